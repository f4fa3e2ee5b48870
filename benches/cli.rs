//! f. The command line end to end on 1,000,000 tickets in JSON lines — baseline: reading and
//! writing the same tickets with serde_json alone, in the same run.
//!
//! `cargo bench --bench cli` (writes a ~600 MB ticket file under target/ once).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "support/tickets.rs"]
mod support;

const TICKETS: usize = 1_000_000;

fn ticket_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("tickets-{TICKETS}.jsonl"));
    if !path.exists() {
        let tmp = dir.join("tickets.partial");
        let mut out = BufWriter::new(std::fs::File::create(&tmp).expect("writable"));
        let mut rng = support::Rng::new(1);
        for i in 0..TICKETS {
            writeln!(out, "{}", support::ticket_json(&mut rng, i, i % 2 == 0)).expect("written");
        }
        out.flush().expect("flushed");
        std::fs::rename(&tmp, &path).expect("renamed");
    }
    path
}

/// Reads every ticket into a JSON value and writes it back out, the least any tool must do.
fn serde_round_trip(path: &PathBuf) -> usize {
    let reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path).expect("readable"));
    let mut out = BufWriter::with_capacity(1 << 20, std::io::sink());
    let mut n = 0;
    for line in reader.lines() {
        let line = line.expect("a line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        serde_json::to_writer(&mut out, &v).expect("written");
        out.write_all(b"\n").expect("written");
        n += 1;
    }
    n
}

fn f_cli(c: &mut Criterion) {
    let path = ticket_file();
    let mut g = c.benchmark_group("f_cli_1m_tickets");
    g.sample_size(10);
    g.bench_function("serde_json_round_trip", |b| {
        b.iter(|| serde_round_trip(&path))
    });
    g.bench_function("aftercare_eval", |b| {
        b.iter(|| {
            let status = Command::new(env!("CARGO_BIN_EXE_aftercare"))
                .args(["eval", "policies/default.toml"])
                .arg(&path)
                .args(["--now", "2025-09-30T12:00:00+08:00", "--no-trace"])
                .stdout(Stdio::null())
                .status()
                .expect("runs");
            assert!(status.success());
        })
    });
    g.finish();
}

criterion_group!(benches, f_cli);
criterion_main!(benches);
