//! Converts a CSV export of consumer complaints shaped like the US CFPB's public complaint
//! data into aftercare tickets, and reports on them with `examples/policies/cfpb/policy.toml`.
//!
//! ```sh
//! cargo run --release -p aftercare-integrations --example csv_import -- complaints.csv \
//!     [--policy examples/policies/cfpb/policy.toml] [--out tickets.jsonl] \
//!     [--now RFC3339] [--by week|month] [--format text|json|html] [--report FILE]
//! ```
//!
//! The report goes to standard output (or `--report FILE`); counts and timings go to standard
//! error. `--out` keeps the converted tickets as JSON lines, for `aftercare eval` or
//! `aftercare report`. See `convert.rs` for how columns become ticket fields.

mod convert;

use std::error::Error;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use aftercare::report::{Granularity, ReportBuilder};
use aftercare::Policy;
use chrono::{DateTime, Utc};

struct Args {
    input: PathBuf,
    policy: PathBuf,
    out: Option<PathBuf>,
    now: DateTime<Utc>,
    by: Granularity,
    format: String,
    report: Option<PathBuf>,
}

const USAGE: &str = "usage: csv_import INPUT.csv [--policy FILE] [--out TICKETS.jsonl] \
[--now RFC3339] [--by week|month] [--format text|json|html] [--report FILE]";

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut input = None;
    let mut args = Args {
        input: PathBuf::new(),
        policy: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policies/cfpb/policy.toml"),
        out: None,
        now: Utc::now(),
        by: Granularity::Month,
        format: "text".to_string(),
        report: None,
    };
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--policy" => args.policy = value()?.into(),
            "--out" => args.out = Some(value()?.into()),
            "--report" => args.report = Some(value()?.into()),
            "--now" => {
                args.now = DateTime::parse_from_rfc3339(&value()?)
                    .map_err(|e| format!("--now: {e}"))?
                    .with_timezone(&Utc)
            }
            "--by" => args.by = value()?.parse()?,
            "--format" => args.format = value()?,
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if input.is_none() && !arg.starts_with('-') => input = Some(PathBuf::from(&arg)),
            _ => return Err(format!("unexpected argument `{arg}`\n{USAGE}")),
        }
    }
    args.input = input.ok_or(USAGE)?;
    Ok(args)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let policy = Policy::from_path(&args.policy)?;

    let started = Instant::now();
    let file = std::fs::File::open(&args.input)?;
    let conversion = convert::convert(std::io::BufReader::new(file))?;
    let converted = started.elapsed();
    eprintln!(
        "converted {} rows into tickets in {:.2?}; {} skipped, {} with a caveat",
        conversion.tickets.len(),
        converted,
        conversion.skipped.len(),
        conversion.warnings.len()
    );
    for note in conversion.skipped.iter().take(10) {
        eprintln!("  skipped line {}: {}", note.line, note.message);
    }
    for note in conversion.warnings.iter().take(10) {
        eprintln!("  line {}: {}", note.line, note.message);
    }

    let lines: Vec<String> = conversion.tickets.iter().map(|t| t.to_string()).collect();
    if let Some(out) = &args.out {
        let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
        for line in &lines {
            writeln!(w, "{line}")?;
        }
        w.flush()?;
        eprintln!("tickets written to {}", out.display());
    }

    let started = Instant::now();
    let mut builder = ReportBuilder::new(&policy, args.now, args.by);
    let failed = builder.add_json_lines(&lines);
    for e in failed.iter().take(10) {
        eprintln!("  {e}");
    }
    let report = builder.finish();
    eprintln!(
        "evaluated and reported {} tickets in {:.2?} ({} failed)",
        report.tickets,
        started.elapsed(),
        report.errors
    );

    let text = match args.format.as_str() {
        "json" => report.to_json() + "\n",
        "html" => report.to_html(),
        _ => report.to_text(),
    };
    match &args.report {
        Some(path) => std::fs::write(path, text)?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}
