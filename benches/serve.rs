//! g. The service under load on loopback: `aftercare serve` (the release binary) answering
//! `POST /v1/evaluate` with one ticket per request and with batches of 100, over 1, 16 and 64
//! keep-alive connections — throughput and p50/p99 latency. Baseline in the same run: the
//! library deciding the same batches of 100 from JSON text to JSON lines
//! (`Policy::evaluate_json_lines`) and from parsed tickets (`Policy::evaluate_batch`).
//!
//! The client runs on one thread of the same machine, so it takes CPU from the server: the
//! wall-clock figures are a floor for what the server does with its cores to itself. Each row
//! also counts decisions per second of the server's own CPU time (and the library rows, of
//! this process's), which holds on a busy machine too.
//!
//! `cargo bench --bench serve` (about 45 s; `AFTERCARE_BENCH_SECS` sets the seconds per row,
//! default 3; `AFTERCARE_BENCH_LOG=info` keeps the per-request log lines on).

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

struct Row {
    what: String,
    connections: usize,
    /// Decisions per second of the server's own CPU time (user + system): what its cores
    /// deliver, whatever else the machine runs.
    per_cpu_sec: f64,
    decisions_per_sec: f64,
    requests_per_sec: f64,
    /// Decisions answered, the warm-up's included.
    all_decisions: f64,
    p50: Duration,
    p99: Duration,
}

fn main() {
    let secs: u64 = std::env::var("AFTERCARE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let run_for = Duration::from_secs(secs);
    // The service's own lines (listening, reloads) but not one line per request, unless asked.
    let log = match std::env::var("AFTERCARE_BENCH_LOG") {
        Ok(level) => level,
        Err(_) => "warn,aftercare=info".into(),
    };
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

    let mut server = Command::new(env!("CARGO_BIN_EXE_aftercare"))
        .args(["serve", policy_path, "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", &log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = server.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("addr=").nth(1) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
            }
            // Keep draining, so that logging never blocks the server.
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the server starts");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let uri = format!(
        "http://{addr}/v1/evaluate?trace=false&now={}",
        NOW.replace('+', "%2B")
    );
    let mut rows = Vec::new();
    for (what, bodies, per) in [("1 ticket", &singles, 1), ("100 tickets", &batches, BATCH)] {
        for connections in [1, 16, 64] {
            let cpu = Cpu::of(server.id());
            let row = runtime.block_on(load(&addr, &uri, bodies, per, connections, run_for));
            let used = cpu.used();
            rows.push(Row {
                what: what.to_string(),
                // The warm-up's requests count too: they used CPU time in the same span.
                per_cpu_sec: row.all_decisions / used.max(1e-9),
                ..row
            });
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
    let json_lines = library(run_for, text_batches.len(), |i| {
        let out = policy.evaluate_json_lines(&text_batches[i], now, options);
        assert!(out.iter().all(Result::is_ok));
    });
    let parsed: Vec<Vec<Ticket>> = tickets
        .chunks(BATCH)
        .map(|c| {
            c.iter()
                .map(|t| Ticket::from_json(t).expect("valid"))
                .collect()
        })
        .collect();
    let batch = library(run_for, parsed.len(), |i| {
        let out = policy.evaluate_batch(&parsed[i], now, options);
        assert!(out.iter().all(Result::is_ok));
    });

    println!(
        "\n| tickets per request | connections | decisions/s | requests/s | p50 | p99 | decisions per server CPU-second |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.2} ms | {:.2} ms | {:.0} |",
            r.what,
            r.connections,
            r.decisions_per_sec,
            r.requests_per_sec,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            r.per_cpu_sec
        );
    }
    println!(
        "| library `evaluate_json_lines`, batches of {BATCH} | – | {:.0} | | | | {:.0} |",
        json_lines.0, json_lines.1
    );
    println!(
        "| library `evaluate_batch`, batches of {BATCH} | – | {:.0} | | | | {:.0} |",
        batch.0, batch.1
    );
    let best = |f: fn(&Row) -> f64| {
        rows.iter()
            .filter(|r| r.what.starts_with("100"))
            .map(f)
            .fold(0.0, f64::max)
    };
    let (wall, cpu) = (best(|r| r.decisions_per_sec), best(|r| r.per_cpu_sec));
    println!(
        "\nlibrary / best server batch, decisions/s: {:.2}x (evaluate_json_lines), {:.2}x (evaluate_batch)",
        json_lines.0 / wall,
        batch.0 / wall
    );
    println!(
        "library / best server batch, per CPU-second: {:.2}x (evaluate_json_lines), {:.2}x (evaluate_batch)",
        json_lines.1 / cpu,
        batch.1 / cpu
    );
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
/// time, for `run_for` after a warm-up.
async fn load(
    addr: &str,
    uri: &str,
    bodies: &[Bytes],
    per_request: usize,
    connections: usize,
    run_for: Duration,
) -> Row {
    let start = Instant::now() + WARMUP;
    let end = start + run_for;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (addr, uri) = (addr.to_string(), uri.to_string());
        let bodies: Vec<Bytes> = bodies.to_vec();
        tasks.spawn(async move {
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
            let mut i = c * 7;
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                let body = bodies[i % bodies.len()].clone();
                i += 1;
                let req = hyper::Request::post(uri.as_str())
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
        });
    }
    let mut latencies = Vec::new();
    let mut answered = 0;
    while let Some(done) = tasks.join_next().await {
        let (l, n) = done.expect("task");
        latencies.extend(l);
        answered += n;
    }
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let secs = run_for.as_secs_f64();
    Row {
        what: String::new(),
        per_cpu_sec: 0.0,
        connections,
        decisions_per_sec: (latencies.len() * per_request) as f64 / secs,
        requests_per_sec: latencies.len() as f64 / secs,
        all_decisions: (answered * per_request) as f64,
        p50: pick(0.50),
        p99: pick(0.99),
    }
}
