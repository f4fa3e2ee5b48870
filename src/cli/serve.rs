//! `aftercare serve POLICY [--addr HOST:PORT] [--watch] [--allow-write]`: the decision service
//! (see `docs/server.md`).

use std::path::PathBuf;
use std::time::Duration;

use aftercare::server::{App, Config, StartError};

use super::{print_diagnostics, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Reload the policy when a .toml or .rhai file in its folder changes (SIGHUP always
    /// reloads).
    #[arg(long)]
    watch: bool,
    /// Let `PUT /v1/policy` replace the policy file with one that passes check.
    #[arg(long)]
    allow_write: bool,
    /// Sample tickets (JSON lines) for the studio.
    #[arg(long, value_name = "FILE")]
    samples: Option<PathBuf>,
    /// A cases file for the studio.
    #[arg(long, value_name = "FILE")]
    cases: Option<PathBuf>,
    /// Largest request body, in bytes (suffixes KiB, MiB accepted).
    #[arg(long, value_name = "BYTES", default_value = "16MiB", value_parser = parse_bytes)]
    max_body: usize,
    /// Most requests handled at once; more are answered 503 at once.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_concurrency: usize,
    /// Longest time for one request (e.g. 30s, 500ms); a slower one is answered 503.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// `key=value` lines for people.
    Text,
    /// One JSON object per line for log collectors.
    Json,
}

fn parse_bytes(s: &str) -> Result<usize, String> {
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        _ => return Err(format!("`{s}` is not a size, e.g. 65536, 64KiB or 16MiB")),
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}` is not a size, e.g. 65536, 64KiB or 16MiB"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration, e.g. 30s or 500ms");
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(bad()),
    };
    if d.is_zero() {
        return Err(bad());
    }
    Ok(d)
}

pub(crate) fn run(args: &Args) -> i32 {
    // Held to the end: dropping it writes the last log lines.
    let _log = aftercare::server::init_logging(matches!(args.log_format, LogFormat::Json));
    let config = Config {
        watch: args.watch,
        allow_write: args.allow_write,
        samples: args.samples.clone(),
        cases: args.cases.clone(),
        max_body_bytes: args.max_body,
        max_concurrency: args.max_concurrency,
        request_timeout: args.timeout,
        ..Config::new(&args.policy)
    };
    let app = match App::open(config) {
        Ok(app) => app,
        Err(StartError::Policy(e)) => {
            print_diagnostics(&e);
            return EXIT_BAD_INPUT;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = match runtime.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return EXIT_FAILED;
        }
    };
    match runtime.block_on(aftercare::server::run(app, &args.addr)) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {}: {e}", args.addr);
            EXIT_FAILED
        }
    }
}
