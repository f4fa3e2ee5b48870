//! Hand-written parts against the library each replaces, in the same run:
//!
//! a. finding line breaks in JSON lines: the old word-at-a-time loop vs `memchr`;
//! b. one JSON line per ticket: `Policy::write_json_line` (the compact writer) vs
//!    `evaluate_with` followed by `serde_json::to_writer` — the same evaluation, so the gap
//!    is the writer's;
//! c. terminal width of report cells: the old wide-character table vs `unicode-width`;
//! d. a batch on all cores: the scoped-thread map `parallel.rs` was (threads take chunks in
//!    turn and write into place) vs rayon's `par_iter().map().collect()`, which replaced it;
//! e. UTC offsets: a flat table of constant-offset segments, probed once per zone as
//!    `business_time` does (chrono-tz does not expose its transitions), vs asking chrono-tz
//!    for every instant; and what probing a zone costs once.
//! f. a `.json` array of tickets: the command line's element-by-element reader
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
    // The triage policy with its first-response targets: evaluation is cheap next to the
    // line it prints, so the writer's share shows (the default policy's text rules and
    // models would drown it).
    let policy = Policy::from_path("benches/policies/triage.toml").expect("the policy loads");
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
    let mut g = c.benchmark_group("f_json_array");
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

/// The map `parallel.rs` used before rayon: scoped threads take chunks in turn and write each
/// result into its place.
#[allow(unsafe_code)]
fn scoped_map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::Mutex;
    let n = items.len();
    let chunk = (n / (threads * 32)).clamp(16, 2048);
    let mut out: Vec<R> = Vec::with_capacity(n);
    let Some(slots) = out.spare_capacity_mut().get_mut(..n) else {
        return items.iter().map(f).collect();
    };
    let work = Mutex::new(items.chunks(chunk).zip(slots.chunks_mut(chunk)));
    let (f, work) = (&f, &work);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(move || loop {
                let next = work.lock().ok().and_then(|mut w| w.next());
                let Some((inputs, outputs)) = next else {
                    break;
                };
                for (item, slot) in inputs.iter().zip(outputs) {
                    slot.write(f(item));
                }
            });
        }
    });
    // SAFETY: every one of the first `n` slots was written once by the threads above, which
    // have all finished (a panic would have been re-raised by `scope`).
    unsafe { out.set_len(n) };
    out
}

fn batch(c: &mut Criterion) {
    use rayon::prelude::*;
    let policy = Policy::from_path("policies/default.toml").expect("the default policy loads");
    let tickets: Vec<aftercare::Ticket> = lines(20_000)
        .iter()
        .map(|l| aftercare::Ticket::from_json(l).expect("valid"))
        .collect();
    let options = EvalOptions { trace: false };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group("d_batch_20k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(tickets.len() as u64));
    g.bench_function("scoped_threads", |b| {
        b.iter(|| {
            black_box(scoped_map(&tickets, threads, |t| {
                policy.evaluate_with(t, now(), options)
            }))
        })
    });
    g.bench_function("rayon", |b| {
        b.iter(|| {
            let out: Vec<_> = tickets
                .par_iter()
                .with_min_len(16)
                .map(|t| policy.evaluate_with(t, now(), options))
                .collect();
            black_box(out)
        })
    });
    g.finish();
}

/// The offset of `tz` at `t` (seconds east of UTC), from chrono-tz.
fn chrono_offset(tz: chrono_tz::Tz, t: i64) -> i64 {
    use chrono::{Offset, TimeZone};
    DateTime::from_timestamp(t, 0).map_or(0, |dt| {
        i64::from(
            tz.offset_from_utc_datetime(&dt.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    })
}

/// What `business_time` builds once per zone: probe every 6 days up to 2100, bisect each
/// change to the second.
fn probed_table(tz: chrono_tz::Tz) -> (Vec<i64>, Vec<i64>) {
    const END: i64 = 4_102_444_800;
    let mut starts = vec![0];
    let mut offsets = vec![chrono_offset(tz, 0)];
    let mut lo = 0;
    while lo < END {
        let hi = (lo + 6 * 86_400).min(END);
        let mut lo_off = chrono_offset(tz, lo);
        while chrono_offset(tz, hi) != lo_off {
            let (mut a, mut b) = (lo, hi);
            while b - a > 1 {
                let mid = a + (b - a) / 2;
                if chrono_offset(tz, mid) == lo_off {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            lo = b;
            lo_off = chrono_offset(tz, b);
            starts.push(b);
            offsets.push(lo_off);
        }
        lo = hi;
    }
    (starts, offsets)
}

fn offsets(c: &mut Criterion) {
    let tz = chrono_tz::America::New_York;
    let (starts, offs) = probed_table(tz);
    let table = |t: i64| offs[starts.partition_point(|&s| s <= t).saturating_sub(1)];
    // Instants spread over 2020–2030, as tickets and their deadlines are.
    let mut rng = support::Rng::new(3);
    let instants: Vec<i64> = (0..1024)
        .map(|_| 1_577_836_800 + (rng.next() % (10 * 365 * 86_400)) as i64)
        .collect();
    for &t in &instants {
        assert_eq!(
            table(t),
            chrono_offset(tz, t),
            "the table agrees with chrono-tz"
        );
    }
    let mut g = c.benchmark_group("e_utc_offset");
    g.throughput(Throughput::Elements(instants.len() as u64));
    g.bench_function("probed_table", |b| {
        b.iter(|| instants.iter().map(|&t| table(black_box(t))).sum::<i64>())
    });
    g.bench_function("chrono_tz", |b| {
        b.iter(|| {
            instants
                .iter()
                .map(|&t| chrono_offset(tz, black_box(t)))
                .sum::<i64>()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("e_probe_a_zone_once");
    g.sample_size(10);
    g.bench_function("new_york", |b| b.iter(|| black_box(probed_table(tz))));
    g.finish();
}

criterion_group!(benches, newline, json_line, width, batch, offsets, json_array);
criterion_main!(benches);
