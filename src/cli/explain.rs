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
    let mut text = String::new();
    let read = if args.ticket == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(&args.ticket).map(|t| text = t)
    };
    if let Err(e) = read {
        eprintln!("error: cannot read `{}`: {e}", args.ticket);
        return EXIT_BAD_INPUT;
    }
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
