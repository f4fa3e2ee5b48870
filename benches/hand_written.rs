//! Hand-written parts against the library each replaces, in the same run:
//!
//! a. finding line breaks in JSON lines: the old word-at-a-time loop vs `memchr`;
//! b. one JSON line per ticket: `Policy::write_json_line` (the compact writer) vs
//!    `evaluate_with` followed by `serde_json::to_writer` — the same evaluation, so the gap
//!    is the writer's;
//! c. terminal width of report cells: the old wide-character table vs `unicode-width`;
//! d. a `.json` array of tickets: the command line's element-by-element reader
//!    (`src/cli/input.rs`, memory for one ticket) vs serde_json reading the whole array and
//!    writing each element back as text (what the command line did before; memory for all).
//!
//! `cargo bench --bench hand_written -- --measurement-time 3`

use std::hint::black_box;

use aftercare::{EvalOptions, Policy};
use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/tickets.rs"]
mod support;

/// The command line's ticket reader, as `aftercare eval` compiles it.
#[path = "../src/cli/input.rs"]
#[allow(dead_code)]
mod input;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-09-30T12:00:00+08:00")
        .expect("valid")
        .with_timezone(&Utc)
}

fn lines(n: usize) -> Vec<String> {
    let mut rng = support::Rng::new(7);
    (0..n)
        .map(|i| support::ticket_json(&mut rng, i, i % 2 == 0))
        .collect()
}

/// The loop `aftercare eval` used before `memchr`: eight bytes at a time.
fn find_newline_words(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8])) ^ (ONES * u64::from(b'\n'));
        let zero = w.wrapping_sub(ONES) & !w & HIGH;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| at + i)
}

fn count_lines(text: &[u8], find: impl Fn(&[u8]) -> Option<usize>) -> usize {
    let mut rest = text;
    let mut n = 0;
    while let Some(i) = find(rest) {
        n += 1;
        rest = rest.get(i + 1..).unwrap_or_default();
    }
    n
}

fn newline(c: &mut Criterion) {
    let text = lines(10_000).join("\n").into_bytes();
    let mut g = c.benchmark_group("a_newline");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("words", |b| {
        b.iter(|| count_lines(black_box(&text), find_newline_words))
    });
    g.bench_function("memchr", |b| {
        b.iter(|| count_lines(black_box(&text), |s| memchr::memchr(b'\n', s)))
    });
    g.finish();
}

fn json_line(c: &mut Criterion) {
    let policy = Policy::from_path("policies/default.toml").expect("the default policy loads");
    let lines = lines(2_000);
    let options = EvalOptions { trace: false };
    let mut g = c.benchmark_group("b_json_line");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("compact_writer", |b| {
        let mut out = Vec::with_capacity(1 << 16);
        b.iter(|| {
            for l in &lines {
                out.clear();
                black_box(policy.write_json_line(l, now(), options, &mut out));
            }
        })
    });
    g.bench_function("serde_json", |b| {
        let mut out = Vec::with_capacity(1 << 16);
        b.iter(|| {
            for l in &lines {
                out.clear();
                if let Ok(t) = aftercare::Ticket::from_json_with_limits(l, policy.limits()) {
                    if let Ok(d) = policy.evaluate_with(&t, now(), options) {
                        black_box(serde_json::to_writer(&mut out, &d).is_ok());
                    }
                }
            }
        })
    });
    g.finish();
}

/// The table report cells were measured with before `unicode-width`.
fn width_table(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

fn width(c: &mut Criterion) {
    use unicode_width::UnicodeWidthStr;
    let cells: Vec<&str> = [
        "after_sales_tech",
        "空调制冷效果差",
        "resolution compliance",
        "86.7%",
        "投诉 / 售后",
        "–",
    ]
    .repeat(100);
    let mut g = c.benchmark_group("c_width");
    g.bench_function("table", |b| {
        b.iter(|| {
            cells
                .iter()
                .map(|s| width_table(black_box(s)))
                .sum::<usize>()
        })
    });
    g.bench_function("unicode_width", |b| {
        b.iter(|| cells.iter().map(|s| black_box(s).width()).sum::<usize>())
    });
    g.finish();
}

fn json_array(c: &mut Criterion) {
    let array: std::sync::Arc<[u8]> = format!("[{}]", lines(10_000).join(",\n"))
        .into_bytes()
        .into();
    let max_bytes = aftercare::Limits::DEFAULT.max_ticket_bytes;
    let mut g = c.benchmark_group("d_json_array");
    g.throughput(Throughput::Bytes(array.len() as u64));
    g.bench_function("element_reader", |b| {
        b.iter(|| {
            let reader = std::io::BufReader::new(std::io::Cursor::new(black_box(array.clone())));
            let mut array = input::ArrayReader::new(Box::new(reader));
            assert!(array.start().is_ok(), "an array");
            let mut n = 0usize;
            while let Ok(Some(item)) = array.next_item(max_bytes) {
                n += usize::from(matches!(item, input::Item::Json(_)));
            }
            n
        })
    });
    g.bench_function("serde_json_whole", |b| {
        b.iter(|| {
            let values: Vec<serde_json::Value> =
                serde_json::from_slice(black_box(&array[..])).expect("an array");
            values
                .into_iter()
                .map(|v| black_box(v.to_string()).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, newline, json_line, width, json_array);
criterion_main!(benches);
