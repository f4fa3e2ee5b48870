//! Argument parsing and dispatch. Each subcommand lives in its own module and only calls the
//! public library API.

mod check;
mod diff;
mod eval;
mod explain;
mod input;
mod report;
mod serve;
mod test;
mod train;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

/// Exit codes of contract §4.
pub(crate) const EXIT_OK: i32 = 0;
pub(crate) const EXIT_FAILED: i32 = 1;
pub(crate) const EXIT_BAD_INPUT: i32 = 2;

#[derive(Parser)]
#[command(
    name = "aftercare",
    version,
    about = "Decide what happens to after-sales service tickets, from TOML policies."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Input limits for every command (see `aftercare::Limits`); a policy's `[limits]` table
/// overrides the ticket limits, and nothing goes beyond `Limits::CEILING`.
#[derive(clap::Args)]
struct LimitArgs {
    /// Largest ticket, in bytes of JSON.
    #[arg(long, global = true, value_name = "BYTES", value_parser = limit("max_ticket_bytes"))]
    max_ticket_bytes: Option<usize>,
    /// Most events in one ticket.
    #[arg(long, global = true, value_name = "N", value_parser = limit("max_events"))]
    max_events: Option<usize>,
    /// Longest subject or description, in bytes.
    #[arg(long, global = true, value_name = "BYTES", value_parser = limit("max_text_bytes"))]
    max_text_bytes: Option<usize>,
    /// Largest policy with its includes, in bytes.
    #[arg(long, global = true, value_name = "BYTES", value_parser = limit("max_policy_bytes"))]
    max_policy_bytes: Option<usize>,
    /// Most rules in a policy.
    #[arg(long, global = true, value_name = "N", value_parser = limit("max_rules"))]
    max_rules: Option<usize>,
    /// Largest compiled `matches` pattern, in bytes of memory.
    #[arg(long, global = true, value_name = "BYTES", value_parser = limit("max_pattern_bytes"))]
    max_pattern_bytes: Option<usize>,
    /// Most memory a policy's compiled patterns and keyword automata take together.
    #[arg(long, global = true, value_name = "BYTES", value_parser = limit("max_policy_pattern_bytes"))]
    max_policy_pattern_bytes: Option<usize>,
}

/// A parser for the limit `name`: a positive integer up to its ceiling.
fn limit(name: &'static str) -> impl Fn(&str) -> Result<usize, String> + Clone {
    move |s: &str| {
        let ceiling = aftercare::Limits::CEILING.get(name).unwrap_or(usize::MAX);
        match s.parse::<usize>() {
            Ok(n) if n > 0 && n <= ceiling => Ok(n),
            _ => Err(format!(
                "must be a whole number from 1 to {ceiling} (the ceiling)"
            )),
        }
    }
}

impl LimitArgs {
    fn limits(&self) -> aftercare::Limits {
        let mut l = aftercare::Limits::DEFAULT;
        for (name, value) in [
            ("max_ticket_bytes", self.max_ticket_bytes),
            ("max_events", self.max_events),
            ("max_text_bytes", self.max_text_bytes),
            ("max_policy_bytes", self.max_policy_bytes),
            ("max_rules", self.max_rules),
            ("max_pattern_bytes", self.max_pattern_bytes),
            ("max_policy_pattern_bytes", self.max_policy_pattern_bytes),
        ] {
            if let Some(v) = value {
                l.set(name, v);
            }
        }
        l
    }
}

/// The limits of this run, set once from the flags before any command runs.
static LIMITS: std::sync::OnceLock<aftercare::Limits> = std::sync::OnceLock::new();

#[derive(Subcommand)]
enum Command {
    /// Validate a policy: exit 0 if it loads, else list every problem with its position.
    Check(check::Args),
    /// Evaluate tickets (a .json array, a .jsonl file, or - for JSON lines on stdin);
    /// print one decision per line.
    Eval(eval::Args),
    /// Run policy test cases; print each failure and `N passed, M failed`.
    Test(test::Args),
    /// Explain one ticket's decision: the rule of each stage, the business time counted,
    /// pauses, closed days, escalations, follow-up and the next change.
    Explain(explain::Args),
    /// What a policy change would do: compare the decisions of two policies on the same
    /// tickets.
    Diff(diff::Args),
    /// The service report: KPIs per week or month as text, JSON or one HTML page with charts.
    Report(report::Args),
    /// The decision service over HTTP: evaluate, explain, test and diff against the serving
    /// policy, with hot reload, metrics and the policy studio at `/`.
    Serve(serve::Args),
    /// Train a text classifier on tickets whose field PATH holds the label; with --test,
    /// measure it (accuracy, macro-F1, per-label scores, confusion matrix).
    Train(train::Args),
}

pub(crate) fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return code;
        }
    };
    let _ = LIMITS.set(cli.limits.limits());
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Train(args) => train::run(&args),
    }
}

/// `--format` of the commands that write for people or for tools.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Text,
    /// For tools.
    Json,
}

/// `--now`: an RFC 3339 instant; defaults to the current time.
/// `--lang en|zh-CN`: the language of what people read; the policy's `locale` without it.
pub(crate) fn parse_lang(s: &str) -> Result<aftercare::i18n::Lang, String> {
    s.parse()
}

pub(crate) fn parse_now(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("`{s}` is not an RFC 3339 instant, e.g. 2025-10-15T12:00:00+08:00"))
}

/// `--now`, or the current time in whole seconds: instants in decisions and report headers
/// read `12:00:05+08:00`, not `12:00:05.123456789+08:00`.
pub(crate) fn now_or_current(now: Option<DateTime<Utc>>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    now.unwrap_or_else(|| Utc::now().trunc_subsecs(0))
}

/// Loads a policy or prints its diagnostics (rustc-style on a terminal, plain lines otherwise).
pub(crate) fn load_policy(path: &PathBuf) -> Result<aftercare::Policy, i32> {
    let limits = LIMITS.get().copied().unwrap_or_default();
    match aftercare::Policy::from_path_with(path, &limits) {
        Ok(p) => Ok(p),
        Err(e) => {
            print_diagnostics(&e);
            Err(EXIT_BAD_INPUT)
        }
    }
}

pub(crate) fn print_diagnostics(e: &aftercare::PolicyError) {
    use std::io::IsTerminal;
    let stderr = std::io::stderr();
    if stderr.is_terminal() {
        eprint!("{}", e.render(true));
        eprintln!("{} error(s)", e.error_count());
    } else {
        eprintln!("{e}");
    }
}

/// Writes to stdout. A reader that went away (e.g. `| head`) is not an error of ours; any other
/// failure (a full disk) is said on stderr, and `false` tells the caller to exit with
/// [`EXIT_BAD_INPUT`].
pub(crate) fn write_out(text: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    written_or_said(written)
}

/// `true` if the output was written, or its reader went away; otherwise says why on stderr.
pub(crate) fn written_or_said(written: std::io::Result<()>) -> bool {
    match written {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => true,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            false
        }
    }
}
