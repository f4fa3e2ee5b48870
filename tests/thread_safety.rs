//! The same batch evaluated on many threads gives exactly the sequential result.

use aftercare::{Decision, EvalOptions, Policy, Ticket, TicketError};

fn policy() -> Policy {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/default.toml");
    Policy::from_path(path).expect("the default policy loads")
}

/// The sample tickets plus generated variants: every category and priority path, pauses,
/// reopenings, follow-ups, and tickets whose evaluation fails (created in year 9999).
fn batch() -> Vec<Ticket> {
    let samples = include_str!("../policies/samples/tickets.jsonl");
    let mut tickets: Vec<Ticket> = samples
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Ticket::from_json(l).expect("a sample ticket"))
        .collect();
    let texts = [
        "空调不制冷",
        "我要投诉,态度差",
        "热水器漏电,有安全隐患",
        "建议增加功能",
        "how do I descale?",
    ];
    let tiers = ["regular", "vip", "loyal"];
    let regions = ["north", "east", "south", "west"];
    for i in 0..600usize {
        let day = 1 + i % 28;
        let hour = i % 24;
        let created = if i % 97 == 0 {
            "9999-12-31T20:00:00+08:00".to_string()
        } else {
            format!("2025-{:02}-{day:02}T{hour:02}:15:00+08:00", 1 + i % 12)
        };
        let events = match i % 5 {
            0 => String::new(),
            1 => format!(
                r#"{{"at": "{}", "type": "first_response"}}"#,
                created.replace(":15:", ":45:")
            ),
            2 => format!(
                r#"{{"at": "{}", "type": "status", "status": "waiting_customer"}}"#,
                created.replace(":15:", ":30:")
            ),
            3 => format!(
                r#"{{"at": "{}", "type": "resolved"}}, {{"at": "{}", "type": "follow_up", "score": {}}}"#,
                created.replace(":15:", ":30:"),
                created.replace(":15:", ":50:"),
                1 + i % 5
            ),
            _ => format!(
                r#"{{"at": "{}", "type": "resolved"}}, {{"at": "{}", "type": "reopened"}}"#,
                created.replace(":15:", ":20:"),
                created.replace(":15:", ":40:")
            ),
        };
        let json = format!(
            r#"{{"id": "B{i}", "created_at": "{created}", "channel": "phone",
                "description": "{}", "customer": {{"tier": "{}", "region": "{}"}},
                "attributes": {{"safety_hazard": {}}}, "events": [{events}]}}"#,
            texts[i % texts.len()],
            tiers[i % tiers.len()],
            regions[i % regions.len()],
            i % 11 == 0,
        );
        tickets.push(Ticket::from_json(&json).expect("a generated ticket"));
    }
    tickets
}

type Outcome = Vec<Result<Decision, TicketError>>;

fn sequential(policy: &Policy, tickets: &[Ticket], now: chrono::DateTime<chrono::Utc>) -> Outcome {
    tickets
        .iter()
        .map(|t| policy.evaluate_with(t, now, EvalOptions::default()))
        .collect()
}

#[test]
fn many_threads_give_the_sequential_result() {
    let policy = policy();
    let tickets = batch();
    let now = "2025-10-15T12:00:00+08:00".parse().expect("now");
    let expected = sequential(&policy, &tickets, now);
    assert!(
        expected.iter().any(Result::is_err),
        "the batch has failing tickets"
    );
    assert!(expected.iter().filter(|r| r.is_ok()).count() > 500);

    // The library's own parallel batch.
    assert!(policy.evaluate_batch(&tickets, now, EvalOptions::default()) == expected);

    // Eight threads sharing one policy, each evaluating the whole batch, and eight threads
    // each evaluating its own share with its own clone of the policy.
    const THREADS: usize = 8;
    let whole: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| s.spawn(|| sequential(&policy, &tickets, now)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    for (i, outcome) in whole.iter().enumerate() {
        assert!(
            *outcome == expected,
            "thread {i} differs from the sequential run"
        );
    }
    let chunk = tickets.len().div_ceil(THREADS);
    let shared: Outcome = std::thread::scope(|s| {
        let handles: Vec<_> = tickets
            .chunks(chunk)
            .map(|part| {
                let policy = policy.clone();
                s.spawn(move || sequential(&policy, part, now))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert!(
        shared == expected,
        "the chunked run differs from the sequential run"
    );
}

#[test]
fn json_lines_on_all_cores_match_one_at_a_time() {
    let policy = policy();
    let now = "2025-10-15T12:00:00+08:00".parse().expect("now");
    let mut lines: Vec<String> = include_str!("../policies/samples/tickets.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let base = lines.clone();
    for i in 0..10 {
        lines.extend(
            base.iter()
                .map(|l| l.replacen("\"id\": \"", &format!("\"id\": \"{i}-"), 1)),
        );
        lines.push(format!(r#"{{"id": "bad-{i}", "created_at": "yesterday"}}"#));
    }
    let parallel = policy.evaluate_json_lines(&lines, now, EvalOptions::default());
    let one_by_one: Vec<_> = lines
        .iter()
        .flat_map(|l| {
            policy.evaluate_json_lines(std::slice::from_ref(l), now, EvalOptions::default())
        })
        .collect();
    assert_eq!(parallel, one_by_one);
}
