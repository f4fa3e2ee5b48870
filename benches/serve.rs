//! g. The service under load on loopback: `aftercare serve` (the release binary) answering
//! `POST /v1/evaluate` with one ticket per request and with batches of 100, over 1, 16 and 64
//! keep-alive connections — throughput and p50/p99 latency. Baseline in the same run: the
//! library deciding the same batches of 100 from parsed tickets (`Policy::evaluate_batch`) and
//! from JSON text to JSON lines (`Policy::evaluate_json_lines`), both on all cores.
//!
//! The client runs on one thread of the same machine, so it takes CPU from the server. Each
//! row therefore also says how much CPU time the server and the client spent per request
//! (user + system, from `/proc`): what the server costs does not depend on what else the
//! machine runs, and the client's share says how much of the machine the load generator took.
//! The machine's load average is printed before and after.
//!
//! The client is hyper's (HTTP/1.1 keep-alive, one request at a time per connection) on one
//! thread: it costs about a quarter of what the server spends per request (a client that
//! wrote prepared bytes and read answers by their length measured no cheaper).
//!
//! `cargo bench --bench serve` (about 70 s). Environment:
//! `AFTERCARE_BENCH_SECS` seconds per measurement (default 2), `AFTERCARE_BENCH_REPEAT`
//! measurements per row (default 3; the table shows medians and the range of decisions/s),
//! `AFTERCARE_BENCH_CONNECTIONS` (default `1,16,64`), `AFTERCARE_BENCH_BODIES`
//! (`singles,batches`), `AFTERCARE_BENCH_THREADS` (the server's `--threads`),
//! `AFTERCARE_BENCH_LOG` (the server's `RUST_LOG`, default `info`: one log line per request,
//! as in production).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aftercare::{EvalOptions, Policy, Ticket};
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

#[path = "support/tickets.rs"]
mod support;

const NOW: &str = "2025-09-30T12:00:00+08:00";
const TICKETS: usize = 10_000;
const BATCH: usize = 100;
const WARMUP: Duration = Duration::from_millis(500);

/// One measurement of one row.
#[derive(Clone, Copy, Default)]
struct Run {
    decisions_per_sec: f64,
    p50: Duration,
    p99: Duration,
    /// Server CPU seconds per request answered (the warm-up's included: they used CPU time
    /// in the same span).
    server_cpu: f64,
    /// This process's CPU seconds per request.
    client_cpu: f64,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let run_for = Duration::from_secs_f64(env_or("AFTERCARE_BENCH_SECS", 2.0));
    let repeat: usize = env_or("AFTERCARE_BENCH_REPEAT", 3usize).max(1);
    let connections: Vec<usize> = std::env::var("AFTERCARE_BENCH_CONNECTIONS")
        .unwrap_or_else(|_| "1,16,64".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let bodies =
        std::env::var("AFTERCARE_BENCH_BODIES").unwrap_or_else(|_| "singles,batches".into());
    let log = std::env::var("AFTERCARE_BENCH_LOG").unwrap_or_else(|_| "info".into());
    let policy_path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/default.toml");

    let mut rng = support::Rng::new(42);
    let tickets: Vec<String> = (0..TICKETS)
        .map(|i| support::ticket_json(&mut rng, i, true))
        .collect();
    let singles: Vec<Bytes> = tickets.iter().map(|t| Bytes::from(t.clone())).collect();
    let batches: Vec<Bytes> = tickets
        .chunks(BATCH)
        .map(|c| Bytes::from(format!("[{}]", c.join(","))))
        .collect();

    let load_before = load_average();
    let mut args = vec!["serve", policy_path, "--addr", "127.0.0.1:0"];
    let threads = std::env::var("AFTERCARE_BENCH_THREADS").unwrap_or_default();
    if !threads.is_empty() {
        args.extend(["--threads", threads.as_str()]);
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(&args)
        .env("RUST_LOG", &log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = server.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Read in large blocks, so that draining the log (kept, as a log collector would)
        // costs this process little.
        let mut reader = BufReader::with_capacity(1 << 20, stderr);
        let mut line = String::new();
        let mut found = false;
        while !found {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(rest) = line.split("addr=").nth(1) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                found = true;
            }
        }
        loop {
            let n = reader.fill_buf().map(<[u8]>::len).unwrap_or(0);
            if n == 0 {
                return;
            }
            reader.consume(n);
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server starts");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let path = format!("/v1/evaluate?trace=false&now={}", NOW.replace('+', "%2B"));
    let mut rows: Vec<(String, usize, usize, Vec<Run>)> = Vec::new();
    for (what, set, per) in [("1 ticket", &singles, 1), ("100 tickets", &batches, BATCH)] {
        let name = if per == 1 { "singles" } else { "batches" };
        if !bodies.split(',').any(|b| b.trim() == name) {
            continue;
        }
        for &c in &connections {
            let runs = (0..repeat)
                .map(|_| {
                    let server_cpu = Cpu::of(server.id());
                    let client_cpu = Cpu::of(std::process::id());
                    let (latencies, answered) =
                        runtime.block_on(load(&addr, &path, set, c, run_for));
                    let (server_cpu, client_cpu) = (server_cpu.used(), client_cpu.used());
                    summarise(&latencies, answered, per, run_for, server_cpu, client_cpu)
                })
                .collect();
            rows.push((what.to_string(), per, c, runs));
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();

    // The library on the same batches, in this process, on all cores.
    let policy = Policy::from_path(policy_path).expect("loads");
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339(NOW).expect("valid").to_utc();
    let options = EvalOptions { trace: false };
    let text_batches: Vec<Vec<&str>> = tickets
        .chunks(BATCH)
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let parsed: Vec<Vec<Ticket>> = tickets
        .chunks(BATCH)
        .map(|c| {
            c.iter()
                .map(|t| Ticket::from_json(t).expect("valid"))
                .collect()
        })
        .collect();
    let batch: Vec<(f64, f64)> = (0..repeat)
        .map(|_| {
            library(run_for, parsed.len(), |i| {
                let out = policy.evaluate_batch(&parsed[i], now, options);
                assert!(out.iter().all(Result::is_ok));
            })
        })
        .collect();
    let json_lines: Vec<(f64, f64)> = (0..repeat)
        .map(|_| {
            library(run_for, text_batches.len(), |i| {
                let out = policy.evaluate_json_lines(&text_batches[i], now, options);
                assert!(out.iter().all(Result::is_ok));
            })
        })
        .collect();
    let load_after = load_average();

    println!(
        "\nload average before: {load_before}; after: {load_after}; {repeat} × {:.1} s per row; server log: {log}",
        run_for.as_secs_f64()
    );
    println!(
        "\n| tickets per request | connections | decisions/s (median) | range | p50 | p99 | server CPU µs per request | per decision | client CPU µs per request |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (what, per, c, runs) in &rows {
        let per = *per as f64;
        let m = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
        let dps: Vec<f64> = runs.iter().map(|r| r.decisions_per_sec).collect();
        let (lo, hi) = (
            dps.iter().copied().fold(f64::INFINITY, f64::min),
            dps.iter().copied().fold(0.0, f64::max),
        );
        println!(
            "| {what} | {c} | {:.0} | {:.0}–{:.0} | {:.2} ms | {:.2} ms | {:.1} | {:.2} | {:.1} |",
            m(|r| r.decisions_per_sec),
            lo,
            hi,
            m(|r| r.p50.as_secs_f64()) * 1e3,
            m(|r| r.p99.as_secs_f64()) * 1e3,
            m(|r| r.server_cpu) * 1e6,
            m(|r| r.server_cpu) * 1e6 / per,
            m(|r| r.client_cpu) * 1e6,
        );
    }
    let lib_row = |name: &str, runs: &[(f64, f64)]| {
        let wall = median(runs.iter().map(|r| r.0).collect());
        let cpu = median(runs.iter().map(|r| r.1).collect());
        println!(
            "| library `{name}`, batches of {BATCH} | – | {wall:.0} | {:.0}–{:.0} | | | | {:.2} | |",
            runs.iter().map(|r| r.0).fold(f64::INFINITY, f64::min),
            runs.iter().map(|r| r.0).fold(0.0, f64::max),
            1e6 / cpu,
        );
        (wall, cpu)
    };
    let batch = lib_row("evaluate_batch", &batch);
    let json_lines = lib_row("evaluate_json_lines", &json_lines);

    // The server's batches against the library: the best connection count, wall clock and
    // CPU per decision.
    let server_batches: Vec<&Vec<Run>> = rows
        .iter()
        .filter(|(_, per, _, _)| *per == BATCH)
        .map(|(_, _, _, r)| r)
        .collect();
    if !server_batches.is_empty() {
        let wall = server_batches
            .iter()
            .map(|runs| median(runs.iter().map(|r| r.decisions_per_sec).collect()))
            .fold(0.0, f64::max);
        let cpu = server_batches
            .iter()
            .map(|runs| median(runs.iter().map(|r| r.server_cpu).collect()) / BATCH as f64)
            .fold(f64::INFINITY, f64::min);
        println!(
            "\nlibrary ÷ best server batch row, decisions/s: {:.2} (evaluate_batch), {:.2} (evaluate_json_lines)",
            batch.0 / wall,
            json_lines.0 / wall
        );
        println!(
            "server ÷ library, CPU time per decision (best server batch row): {:.2} (evaluate_batch), {:.2} (evaluate_json_lines)",
            cpu * batch.1,
            cpu * json_lines.1
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn summarise(
    latencies: &[Duration],
    answered: usize,
    per_request: usize,
    run_for: Duration,
    server_cpu: f64,
    client_cpu: f64,
) -> Run {
    let mut sorted = latencies.to_vec();
    sorted.sort();
    let pick = |q: f64| {
        sorted
            .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let secs = run_for.as_secs_f64();
    let answered = answered.max(1) as f64;
    Run {
        decisions_per_sec: (sorted.len() * per_request) as f64 / secs,
        p50: pick(0.50),
        p99: pick(0.99),
        server_cpu: server_cpu / answered,
        client_cpu: client_cpu / answered,
    }
}

/// Decisions per second of `f` over the batches, round robin, for `run_for`, and per second
/// of this process's CPU time.
fn library(run_for: Duration, batches: usize, f: impl Fn(usize)) -> (f64, f64) {
    let warm = Instant::now();
    let mut i = 0;
    while warm.elapsed() < WARMUP {
        f(i % batches);
        i += 1;
    }
    let cpu = Cpu::of(std::process::id());
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < run_for {
        f(n % batches);
        n += 1;
    }
    let decisions = (n * BATCH) as f64;
    (
        decisions / start.elapsed().as_secs_f64(),
        decisions / cpu.used().max(1e-9),
    )
}

/// CPU time (user + system) a process used since `of`, from `/proc/PID/stat` (Linux).
struct Cpu {
    pid: u32,
    at: f64,
}

impl Cpu {
    fn of(pid: u32) -> Cpu {
        Cpu {
            pid,
            at: cpu_seconds(pid),
        }
    }

    fn used(&self) -> f64 {
        cpu_seconds(self.pid) - self.at
    }
}

fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces, inside parentheses): utime and
    // stime are the 12th and 13th, in clock ticks of 1/100 s on Linux.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// `connections` keep-alive connections, each sending the bodies in turn, one request at a
/// time, for `run_for` after a warm-up: the latencies after the warm-up, and how many
/// requests were answered in all.
async fn load(
    addr: &str,
    path: &str,
    bodies: &[Bytes],
    connections: usize,
    run_for: Duration,
) -> (Vec<Duration>, usize) {
    let start = Instant::now() + WARMUP;
    let end = start + run_for;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (addr, path) = (addr.to_string(), path.to_string());
        let bodies: Vec<Bytes> = bodies.to_vec();
        let first = c * 7;
        tasks.spawn(connection(addr, path, bodies, first, start, end));
    }
    let mut latencies = Vec::new();
    let mut answered = 0;
    while let Some(done) = tasks.join_next().await {
        let (l, n) = done.expect("task");
        latencies.extend(l);
        answered += n;
    }
    (latencies, answered)
}

/// One keep-alive connection.
async fn connection(
    addr: String,
    path: String,
    bodies: Vec<Bytes>,
    first: usize,
    start: Instant,
    end: Instant,
) -> (Vec<Duration>, usize) {
    let uri: hyper::Uri = path.parse().expect("uri");
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connects");
    stream.set_nodelay(true).expect("nodelay");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut latencies = Vec::new();
    let mut answered = 0usize;
    let mut i = first;
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let body = bodies[i % bodies.len()].clone();
        i += 1;
        let req = hyper::Request::post(uri.clone())
            .header("host", addr.as_str())
            .header("content-type", "application/json")
            .body(Full::new(body))
            .expect("request");
        let res = sender.send_request(req).await.expect("answered");
        assert_eq!(res.status(), 200);
        let answer = res.into_body().collect().await.expect("body").to_bytes();
        assert!(!answer.is_empty());
        answered += 1;
        if sent >= start {
            latencies.push(sent.elapsed());
        }
    }
    (latencies, answered)
}
