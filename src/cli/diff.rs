//! `aftercare diff OLD_POLICY NEW_POLICY TICKETS [--now RFC3339] [--format text|json]
//! [--lang en|zh-CN]`.

use std::path::PathBuf;

use super::{
    input, load_policy, parse_lang, parse_now, Format, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK,
};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy in force.
    old_policy: PathBuf,
    /// The changed policy.
    new_policy: PathBuf,
    /// Tickets: a .json array, a .jsonl file, or - for JSON lines on stdin.
    tickets: String,
    /// Decide as of this instant (RFC 3339); defaults to the current time.
    #[arg(long, value_parser = parse_now)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Language of the text form: en or zh-CN; defaults to the new policy's `locale`.
    #[arg(long, value_parser = parse_lang)]
    lang: Option<aftercare::i18n::Lang>,
}

/// Tickets compared per parallel chunk: bounds memory on huge inputs.
const CHUNK: usize = 65_536;

pub(crate) fn run(args: &Args) -> i32 {
    let (old, new) = match (load_policy(&args.old_policy), load_policy(&args.new_policy)) {
        (Ok(old), Ok(new)) => (old, new),
        _ => return EXIT_BAD_INPUT,
    };
    let now = super::now_or_current(args.now);
    let mut source = match input::open(&args.tickets) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let mut report = aftercare::diff::DiffReport::default();
    loop {
        let max_bytes = old.limits().max_ticket_bytes;
        let (chunk, unreadable) = match source.next_texts(CHUNK, max_bytes) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        };
        if chunk.is_empty() && unreadable.is_empty() {
            break;
        }
        report.merge(aftercare::diff::diff_json_lines(&old, &new, &chunk, now));
        // A line that is not a ticket's text counts like any ticket that cannot be read.
        report.tickets += unreadable.len();
        report.errors += unreadable.len();
    }
    let mut labels = new.labels();
    labels.merge(&old.labels());
    let lang = args.lang.unwrap_or_else(|| new.locale());
    /// The report, and the labels once beside its ids when the policies give any.
    #[derive(serde::Serialize)]
    struct WithLabels<'a> {
        #[serde(flatten)]
        report: &'a aftercare::diff::DiffReport,
        #[serde(skip_serializing_if = "aftercare::i18n::Labels::is_empty")]
        labels: &'a aftercare::i18n::Labels,
    }
    let json = serde_json::to_string_pretty(&WithLabels {
        report: &report,
        labels: &labels,
    });
    let text = match args.format {
        Format::Json => match json {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        },
        Format::Text => {
            let name = |p: &aftercare::Policy, path: &PathBuf| {
                let version = if p.version().is_empty() {
                    String::new()
                } else {
                    format!(" {}", p.version())
                };
                format!("{} ({}{version})", path.display(), p.name())
            };
            let header = lang.fill(
                aftercare::i18n::Msg::DiffHeader,
                &[
                    &name(&old, &args.old_policy),
                    &name(&new, &args.new_policy),
                    // In the new policy's zone, as explain and report show instants.
                    &now.with_timezone(&new.report_time_zone())
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                ],
            );
            format!("{header}\n\n{}", report.to_text(lang, &labels))
        }
    };
    if !super::write_out(&text) {
        return EXIT_BAD_INPUT;
    }
    if report.errors > 0 {
        eprintln!(
            "{} ticket(s) could not be evaluated; `aftercare eval` shows why",
            report.errors
        );
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}
