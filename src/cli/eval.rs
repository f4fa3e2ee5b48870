//! `aftercare eval POLICY TICKETS [--now RFC3339]`: one decision (or error) per line.

use std::io::Write;
use std::path::PathBuf;

use super::input::{self, Item};
use super::{load_policy, parse_now, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// Tickets: a .json array, a .jsonl file, or - for JSON lines on stdin.
    tickets: String,
    /// Evaluate as of this instant (RFC 3339); defaults to the current time.
    #[arg(long, value_parser = parse_now)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// Leave the trace out of the decisions (faster for bulk runs).
    #[arg(long)]
    no_trace: bool,
}

/// Tickets evaluated per parallel chunk.
const CHUNK: usize = 8192;

pub(crate) fn run(args: &Args) -> i32 {
    let policy = match load_policy(&args.policy) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let now = args.now.unwrap_or_else(chrono::Utc::now);
    let options = aftercare::Options {
        trace: !args.no_trace,
    };
    let mut source = match input::open(&args.tickets) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut failed = false;
    loop {
        let chunk = match source.next_chunk(CHUNK, policy.limits().max_ticket_bytes) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        };
        if chunk.is_empty() {
            break;
        }
        let texts: Vec<&str> = chunk
            .iter()
            .filter_map(|item| match item {
                Item::Json(text) => Some(text.as_str()),
                Item::Unreadable(_) => None,
            })
            .collect();
        let mut evaluated = policy.evaluate_json_lines(&texts, now, options).into_iter();
        let lines = chunk.iter().map(|item| match item {
            Item::Json(_) => evaluated
                .next()
                .unwrap_or_else(|| Err(unreadable("internal error: no result for this ticket"))),
            Item::Unreadable(why) => Err(unreadable(why)),
        });
        for line in lines {
            failed |= line.is_err();
            let text = match line {
                Ok(text) | Err(text) => text,
            };
            if writeln!(out, "{text}").is_err() {
                // The reader went away (e.g. `| head`): stop quietly.
                return if failed { EXIT_FAILED } else { EXIT_OK };
            }
        }
    }
    if out.flush().is_err() {
        return EXIT_BAD_INPUT;
    }
    if failed {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `{"ticket": null, "error": "…"}` for an input line that is not a ticket's text.
fn unreadable(why: &str) -> String {
    let e = aftercare::TicketError {
        ticket: None,
        message: why.to_string(),
    };
    serde_json::to_string(&e).unwrap_or_else(|_| r#"{"ticket":null,"error":"unreadable"}"#.into())
}
