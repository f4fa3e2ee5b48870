//! `aftercare report POLICY TICKETS [--now RFC3339] [--by week|month|quarter|year]
//! [--format text|json|html] [--lang en|zh-CN] [--output FILE]`: the service report.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use aftercare::report::{Granularity, ReportBuilder};

use super::{input, load_policy, parse_lang, parse_now, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Tables for a terminal.
    Text,
    /// The report as JSON.
    Json,
    /// One self-contained HTML page with charts.
    Html,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum By {
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters (2025-Q4), each with its months.
    Quarter,
    /// Calendar years, each with its months.
    Year,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// Tickets: a .json array, a .jsonl file, or - for JSON lines on stdin.
    tickets: String,
    /// Evaluate as of this instant (RFC 3339); defaults to the current time.
    #[arg(long, value_parser = parse_now)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// Period length; tickets count in the period of their creation (SLA calendar's zone).
    #[arg(long, value_enum, default_value = "month")]
    by: By,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Language of the text and HTML forms: en or zh-CN; defaults to the policy's `locale`.
    #[arg(long, value_parser = parse_lang)]
    lang: Option<aftercare::i18n::Lang>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Tickets evaluated per parallel chunk; also how often the progress bar moves.
const CHUNK: usize = 4096;

/// Failed tickets listed on stderr before the rest are only counted.
const SHOWN_ERRORS: usize = 20;

pub(crate) fn run(args: &Args) -> i32 {
    let policy = match load_policy(&args.policy) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let now = super::now_or_current(args.now);
    let by = match args.by {
        By::Week => Granularity::Week,
        By::Month => Granularity::Month,
        By::Quarter => Granularity::Quarter,
        By::Year => Granularity::Year,
    };
    let mut source = match input::open(&args.tickets) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    // Progress by bytes read when the input is a JSON-lines file of known size.
    let total_bytes = (args.tickets != "-" && !args.tickets.ends_with(".json"))
        .then(|| std::fs::metadata(&args.tickets).ok().map(|m| m.len()))
        .flatten()
        .filter(|n| *n > 0);
    let mut progress = Progress::new(total_bytes);
    let mut builder = ReportBuilder::new(&policy, now, by);
    let mut shown = 0;
    loop {
        let (chunk, unreadable) = match source.next_texts(CHUNK, policy.limits().max_ticket_bytes) {
            Ok(c) => c,
            Err(e) => {
                progress.clear();
                eprintln!("error: {e}");
                return EXIT_BAD_INPUT;
            }
        };
        if chunk.is_empty() && unreadable.is_empty() {
            break;
        }
        for why in &unreadable {
            builder.add_error();
            if shown < SHOWN_ERRORS {
                progress.clear();
                eprintln!("error: {why}");
            }
            shown += 1;
        }
        let bytes: usize = chunk.iter().map(String::len).sum();
        let failed = builder.add_json_lines(&chunk);
        for e in failed {
            if shown < SHOWN_ERRORS {
                progress.clear();
                eprintln!("error: {e}");
            }
            shown += 1;
        }
        progress.advance(chunk.len() as u64, bytes as u64);
    }
    progress.clear();
    if shown > SHOWN_ERRORS {
        eprintln!(
            "error: {} more tickets could not be evaluated",
            shown - SHOWN_ERRORS
        );
    }
    let mut report = match builder.try_finish() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(lang) = args.lang {
        report = report.in_lang(lang);
    }
    let text = match args.format {
        Format::Text => report.to_text(),
        Format::Json => {
            let mut json = report.to_json();
            json.push('\n');
            json
        }
        Format::Html => report.to_html(),
    };
    let written = match &args.output {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                // The reader went away (e.g. `| head`): not an error of ours.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| format!("cannot write the report: {e}")),
            }
        }
    };
    if let Err(e) = written {
        eprintln!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    if report.errors > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal (never in logs or
/// pipes).
struct Progress {
    on: bool,
    drawn: bool,
    total_bytes: Option<u64>,
    bytes: u64,
    tickets: u64,
}

impl Progress {
    fn new(total_bytes: Option<u64>) -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            drawn: false,
            total_bytes,
            bytes: 0,
            tickets: 0,
        }
    }

    fn advance(&mut self, tickets: u64, bytes: u64) {
        self.tickets += tickets;
        self.bytes += bytes;
        if !self.on {
            return;
        }
        const WIDTH: usize = 30;
        let line = match self.total_bytes {
            Some(total) => {
                let share = (self.bytes as f64 / total as f64).clamp(0.0, 1.0);
                let filled = (share * WIDTH as f64).round() as usize;
                format!(
                    "[{}{}] {:>3.0}%  {} tickets",
                    "#".repeat(filled),
                    "-".repeat(WIDTH - filled),
                    share * 100.0,
                    self.tickets
                )
            }
            None => format!("{} tickets", self.tickets),
        };
        eprint!("\r{line}");
        let _ = std::io::stderr().flush();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
            self.drawn = false;
        }
    }
}
