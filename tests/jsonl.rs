//! `Policy::write_json_line` prints what serde_json prints for the same decision or error.

use aftercare::{EvalOptions, Policy, Ticket};
use chrono::{DateTime, Utc};

use crate::support::tickets;

fn now() -> DateTime<Utc> {
    crate::support::at("2025-09-30T12:00:00+08:00")
}

/// Generated tickets, the samples, and a few that fail.
fn tickets() -> Vec<String> {
    let mut rng = tickets::Rng::new(11);
    let mut all: Vec<String> = (0..2000)
        .map(|i| tickets::ticket_json(&mut rng, i, i % 3 != 0))
        .collect();
    let samples = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/samples/tickets.jsonl"
    );
    all.extend(
        std::fs::read_to_string(samples)
            .expect("the samples")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string),
    );
    all.extend([
        r#"{"id": "Q\"1\\", "created_at": "2025-09-29T09:00:00+08:00", "subject": "line\nbreak\ttab \u0001"}"#.to_string(),
        r#"{"id": "BAD", "created_at": "yesterday"}"#.to_string(),
        r#"{"id": 5"#.to_string(),
    ]);
    all
}

#[test]
fn lines_are_what_serde_json_writes() {
    let policy = Policy::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/default.toml"
    ))
    .expect("the default policy loads");
    let mut line = Vec::new();
    for trace in [false, true] {
        let options = EvalOptions { trace };
        for json in tickets() {
            line.clear();
            let ok = policy.write_json_line(&json, now(), options, &mut line);
            let (want, decided) = match Ticket::from_json_with_limits(&json, policy.limits())
                .and_then(|t| policy.evaluate_with(&t, now(), options))
            {
                Ok(d) => (serde_json::to_string(&d).expect("serializes"), true),
                Err(e) => (serde_json::to_string(&e).expect("serializes"), false),
            };
            assert_eq!(std::str::from_utf8(&line).expect("UTF-8"), want, "{json}");
            assert_eq!(ok, decided, "{json}");
        }
    }
}
