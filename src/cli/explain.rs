//! `aftercare explain POLICY TICKET [--now RFC3339] [--format text|json] [--lang en|zh-CN]`: why one ticket gets
//! its decision.

use std::io::Read;
use std::path::PathBuf;

use super::{
    load_policy, parse_lang, parse_now, write_out, Format, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK,
};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// A JSON file with one ticket, or - for stdin.
    ticket: String,
    /// Explain as of this instant (RFC 3339); defaults to the current time.
    #[arg(long, value_parser = parse_now)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// Language of the text form: en or zh-CN; defaults to the policy's `locale`.
    #[arg(long, value_parser = parse_lang)]
    lang: Option<aftercare::i18n::Lang>,
    /// `text` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(args: &Args) -> i32 {
    let policy = match load_policy(&args.policy) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // No more than one byte over the ticket limit is read: a 500 MB file used to be read whole
    // before its size was checked.
    let max_bytes = policy.limits().max_ticket_bytes;
    let cap = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    let read = if args.ticket == "-" {
        std::io::stdin().take(cap).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(&args.ticket).and_then(|f| f.take(cap).read_to_end(&mut bytes))
    };
    if let Err(e) = read {
        eprintln!("error: cannot read `{}`: {e}", args.ticket);
        return EXIT_BAD_INPUT;
    }
    if bytes.len() > max_bytes {
        eprintln!(
            "error: the ticket is more than {max_bytes} bytes of JSON; the limit is {max_bytes} bytes (max_ticket_bytes)"
        );
        return EXIT_FAILED;
    }
    let Ok(text) = String::from_utf8(bytes) else {
        eprintln!("error: `{}` is not UTF-8 text", args.ticket);
        return EXIT_FAILED;
    };
    let now = super::now_or_current(args.now);
    let why = aftercare::Ticket::from_json_with_limits(&text, policy.limits())
        .and_then(|t| policy.explain(&t, now))
        .map(|why| match args.lang {
            Some(lang) => why.in_lang(lang),
            None => why,
        });
    match (why, args.format) {
        (Ok(why), Format::Text) => {
            if write_out(&why.to_string()) {
                EXIT_OK
            } else {
                EXIT_BAD_INPUT
            }
        }
        (Ok(why), Format::Json) => match serde_json::to_string_pretty(&why) {
            Ok(json) => {
                if write_out(&format!("{json}\n")) {
                    EXIT_OK
                } else {
                    EXIT_BAD_INPUT
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_FAILED
            }
        },
        // A bad ticket is reported like `eval` does, and is not the policy's fault.
        (Err(e), Format::Json) => {
            if write_out(&format!(
                "{}\n",
                serde_json::to_string(&e).unwrap_or_default()
            )) {
                EXIT_FAILED
            } else {
                EXIT_BAD_INPUT
            }
        }
        (Err(e), Format::Text) => {
            eprintln!("error: {e}");
            EXIT_FAILED
        }
    }
}
