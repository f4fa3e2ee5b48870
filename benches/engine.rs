//! Engine benchmarks, each with its baseline in the same run (these machines are noisy, so
//! ratios are what we record):
//!
//! a. triage (category, priority, route) with `Policy::triage`, and as a whole decision —
//!    baseline: a hand-written `match`;
//! b. the default policy's full decision over a ticket with an event history;
//! c. business-time `add` and `between` for 1 h, 3 bd and one year;
//! d. loading and validating the default policy, with and without its text models;
//! e. a batch of 100,000 tickets on one core and on all cores.
//!
//! `cargo bench --bench engine`

use std::hint::black_box;

use aftercare::business_time::{Amount, Calendar, CalendarSpec, Window};
use aftercare::{EvalOptions, Policy, Ticket};
use chrono::{DateTime, NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

#[path = "support/tickets.rs"]
mod support;
#[path = "support/triage.rs"]
mod triage;
use triage::{hand_triage, triage_policy};
#[path = "support/without_models.rs"]
mod without_models;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-09-30T12:00:00+08:00")
        .expect("valid")
        .with_timezone(&Utc)
}

fn tickets(n: usize, events: bool) -> Vec<Ticket> {
    let mut rng = support::Rng::new(42);
    (0..n)
        .map(|i| Ticket::from_json(&support::ticket_json(&mut rng, i, events)).expect("valid"))
        .collect()
}

fn a_triage(c: &mut Criterion) {
    let tickets = tickets(1000, false);
    let policy = triage_policy(false);
    let options = EvalOptions { trace: false };
    // The two must agree, or the comparison means nothing.
    for t in &tickets {
        let d = policy.evaluate_with(t, now(), options).expect("decides");
        let (cat, pri, dept, team) = hand_triage(t);
        assert_eq!(
            (&*d.category, &*d.priority, &*d.route.department),
            (cat, pri, dept)
        );
        assert_eq!(d.route.team.as_deref(), team);
        let tr = policy.triage(t, now()).expect("triages");
        assert_eq!(
            (&*tr.category, tr.priority, tr.department),
            (cat, pri, dept)
        );
        assert_eq!(tr.team.as_deref(), team);
    }
    // Parsed once: the loops measure evaluation, not reading the instant.
    let now = now();
    let mut g = c.benchmark_group("a_triage_per_ticket");
    let mut i = 0;
    g.bench_function("hand_written_match", |b| {
        b.iter(|| {
            i = (i + 1) % tickets.len();
            black_box(hand_triage(black_box(&tickets[i])))
        })
    });
    // `Policy::triage`: the three stages alone, as the benchmark asks.
    g.bench_function("aftercare_triage", |b| {
        b.iter(|| {
            i = (i + 1) % tickets.len();
            black_box(policy.triage(black_box(&tickets[i]), now))
        })
    });
    // A whole `Decision` from the same policy (no SLA section): what `evaluate` adds.
    g.bench_function("aftercare_evaluate", |b| {
        b.iter(|| {
            i = (i + 1) % tickets.len();
            black_box(policy.evaluate_with(black_box(&tickets[i]), now, options))
        })
    });
    g.finish();
}

fn b_full_decision(c: &mut Criterion) {
    let policy = Policy::from_path("policies/default.toml").expect("valid");
    let tickets = tickets(1000, true);
    let now = now();
    let mut g = c.benchmark_group("b_default_policy_full_decision");
    let mut i = 0;
    for (name, trace) in [("trace_off", false), ("trace_on", true)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % tickets.len();
                black_box(policy.evaluate_with(black_box(&tickets[i]), now, EvalOptions { trace }))
            })
        });
    }
    g.finish();
}

/// China's office calendar with the 2024–2026 holidays, read from the bundled calendar file.
fn cn_calendar() -> Calendar {
    let text = std::fs::read_to_string("policies/calendars/cn.toml").expect("readable");
    let doc: toml::Table = text.parse().expect("valid TOML");
    let cal = &doc["calendars"]["cn_office"];
    let dates = |key: &str| -> Vec<NaiveDate> {
        cal[key]
            .as_array()
            .expect("a list")
            .iter()
            .map(|d| {
                NaiveDate::parse_from_str(d.as_str().expect("a date"), "%Y-%m-%d").expect("a date")
            })
            .collect()
    };
    let day = vec![
        Window::parse("09:00-12:00").expect("valid"),
        Window::parse("13:30-18:00").expect("valid"),
    ];
    let mut spec = CalendarSpec::new(chrono_tz::Asia::Shanghai);
    for d in 0..5 {
        spec.week[d] = day.clone();
    }
    spec.holidays = dates("holidays");
    spec.workdays = dates("workdays");
    Calendar::new(spec).expect("valid")
}

fn c_business_time(c: &mut Criterion) {
    let cal = cn_calendar();
    let start = now();
    let mut g = c.benchmark_group("c_business_time");
    for (name, amount) in [
        ("add_1h", Amount::Seconds(3600)),
        ("add_3bd", Amount::Days(3)),
        ("add_1y", Amount::Seconds(250 * 7 * 3600 + 250 * 1800)),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(cal.add(black_box(start), amount)))
        });
    }
    for (name, secs) in [("between_1h", 3600), ("between_1y", 365 * 86_400)] {
        let end = start + chrono::Duration::seconds(secs);
        g.bench_function(name, |b| {
            b.iter(|| black_box(cal.between(black_box(start), end)))
        });
    }
    g.finish();
}

fn d_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("d_load");
    g.bench_function("default_policy", |b| {
        b.iter(|| black_box(Policy::from_path("policies/default.toml").expect("valid")))
    });
    // The same rules without the three text models (decoding them is most of the load).
    g.bench_function("default_policy_without_models", |b| {
        b.iter(|| black_box(without_models::default_without_models()))
    });
    g.finish();
}

fn e_batch(c: &mut Criterion) {
    let policy = Policy::from_path("policies/default.toml").expect("valid");
    let tickets = tickets(100_000, true);
    let options = EvalOptions { trace: false };
    let now = now();
    let mut g = c.benchmark_group("e_batch_100k");
    g.sample_size(10);
    g.bench_function("one_core", |b| {
        b.iter(|| {
            let out: Vec<_> = tickets
                .iter()
                .map(|t| policy.evaluate_with(t, now, options))
                .collect();
            black_box(out)
        })
    });
    g.bench_function("all_cores", |b| {
        b.iter_batched(
            || (),
            |_| black_box(policy.evaluate_batch(&tickets, now, options)),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(
    benches,
    a_triage,
    b_full_decision,
    c_business_time,
    d_load,
    e_batch
);
criterion_main!(benches);
