//! `next_change_at` is exact: with no new event, the decision's states (clock statuses, fired
//! steps, follow-up status) stay the same from `now` until just before `next_change_at`, and
//! change at it.

use aftercare::{Decision, Policy, Ticket};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

fn policy() -> Policy {
    crate::support::policy("tests/fixtures/lifecycle.toml")
}

/// What a caller would act on.
fn state(d: &Decision) -> Vec<String> {
    let mut out: Vec<String> = d
        .sla
        .clocks()
        .map(|(name, c)| format!("{name}:{}", c.status.as_str()))
        .collect();
    out.extend(
        d.escalations
            .iter()
            .map(|e| format!("{}:{}", e.key, e.fired)),
    );
    out.push(format!("{:?}", d.follow_up.as_ref().map(|f| f.status)));
    out
}

/// A ticket with a random history: each step happens with some probability, in order.
fn ticket(
    start_min: i64,
    gaps: &[i64],
    kinds: &[u8],
    flags: (bool, bool, u8),
) -> (Ticket, DateTime<Utc>) {
    let base = Utc
        .with_ymd_and_hms(2025, 9, 1, 0, 0, 0)
        .single()
        .expect("valid");
    let created = base + Duration::minutes(start_min);
    let mut at = created;
    let mut events = Vec::new();
    let mut resolved = false;
    for (gap, kind) in gaps.iter().zip(kinds) {
        at += Duration::minutes(*gap);
        let t = at.to_rfc3339();
        let e = match (kind % 6, resolved) {
            (0, false) => format!(r#"{{"at":"{t}","type":"first_response"}}"#),
            (1, false) => format!(r#"{{"at":"{t}","type":"status","status":"waiting_customer"}}"#),
            (2, false) => format!(r#"{{"at":"{t}","type":"status","status":"in_progress"}}"#),
            (3, false) => {
                resolved = true;
                format!(r#"{{"at":"{t}","type":"resolved"}}"#)
            }
            (4, true) => {
                resolved = false;
                format!(r#"{{"at":"{t}","type":"reopened"}}"#)
            }
            (5, false) => format!(r#"{{"at":"{t}","type":"reply"}}"#),
            _ => continue,
        };
        events.push(e);
    }
    let (safety, complaint, lane) = flags;
    let json = format!(
        r#"{{"id":"P","created_at":"{}","kind":"{}","attributes":{{"safety_hazard":{safety},"lane":"{}"}},"events":[{}]}}"#,
        created.to_rfc3339(),
        if complaint { "complaint" } else { "other" },
        if lane == 0 { "continue" } else { "normal" },
        events.join(",")
    );
    (Ticket::from_json(&json).expect("a valid ticket"), at)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn nothing_changes_before_next_change_at_and_something_changes_at_it(
        start_min in 0i64..(60 * 24 * 40),
        gaps in proptest::collection::vec(1i64..(60 * 30), 0..6),
        kinds in proptest::collection::vec(0u8..6, 6),
        flags in (any::<bool>(), any::<bool>(), 0u8..3),
        after in 0i64..(60 * 24 * 10),
    ) {
        let policy = policy();
        let (ticket, last_event) = ticket(start_min, &gaps, &kinds, flags);
        let now = last_event + Duration::minutes(after);
        let d = policy.evaluate(&ticket, now).expect("a decision");
        let here = state(&d);
        match d.next_change_at {
            Some(next) => {
                let next = next.utc();
                prop_assert!(next > now);
                let before = next - Duration::seconds(1);
                for probe in [now + (before - now) / 2, before] {
                    if probe > now {
                        let p = policy.evaluate(&ticket, probe).expect("a decision");
                        prop_assert_eq!(&state(&p), &here, "changed at {} before {}", probe, next);
                    }
                }
                let at_next = policy.evaluate(&ticket, next).expect("a decision");
                prop_assert_ne!(state(&at_next), here, "nothing changed at {}", next);
            }
            None => {
                let later = policy.evaluate(&ticket, now + Duration::days(400)).expect("a decision");
                prop_assert_eq!(state(&later), here);
            }
        }
    }
}

/// A ticket of the agents fixture whose history mixes agents' events (transfers between
/// calendars, priority and category changes) with responses and resolutions.
fn agents_ticket(start_min: i64, gaps: &[i64], kinds: &[u8]) -> (Ticket, DateTime<Utc>) {
    let base = Utc
        .with_ymd_and_hms(2025, 11, 1, 0, 0, 0)
        .single()
        .expect("valid");
    let created = base + Duration::minutes(start_min);
    let mut at = created;
    let mut events = Vec::new();
    let mut resolved = false;
    for (gap, kind) in gaps.iter().zip(kinds) {
        at += Duration::minutes(*gap);
        let t = at.to_rfc3339();
        let e = match (kind % 10, resolved) {
            (0, false) => format!(r#"{{"at":"{t}","type":"first_response"}}"#),
            (1, false) => {
                resolved = true;
                format!(r#"{{"at":"{t}","type":"resolved"}}"#)
            }
            (2, true) => {
                resolved = false;
                format!(r#"{{"at":"{t}","type":"reopened"}}"#)
            }
            (3, _) => format!(
                r#"{{"at":"{t}","type":"assigned","department":"tech","team":"field_team"}}"#
            ),
            (4, _) => format!(r#"{{"at":"{t}","type":"assigned","department":"care"}}"#),
            (5, _) => format!(
                r#"{{"at":"{t}","type":"assigned","department":"desk","assignee":"Li Wei"}}"#
            ),
            (6, _) => format!(r#"{{"at":"{t}","type":"priority","priority":"urgent"}}"#),
            (7, _) => format!(r#"{{"at":"{t}","type":"priority","priority":"low"}}"#),
            (8, _) => format!(r#"{{"at":"{t}","type":"category","category":"fault"}}"#),
            (9, _) => format!(r#"{{"at":"{t}","type":"priority","priority":"high"}}"#),
            _ => continue,
        };
        events.push(e);
    }
    let json = format!(
        r#"{{"id":"A","created_at":"{}","kind":"complaint","events":[{}]}}"#,
        created.to_rfc3339(),
        events.join(",")
    );
    (Ticket::from_json(&json).expect("a valid ticket"), at)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn next_change_at_stays_exact_with_agents_events(
        start_min in 0i64..(60 * 24 * 14),
        gaps in proptest::collection::vec(1i64..(60 * 30), 0..7),
        kinds in proptest::collection::vec(0u8..10, 7),
        from_change in any::<bool>(),
        after in 0i64..(60 * 24 * 10),
    ) {
        let policy = Policy::from_path(if from_change {
            "tests/fixtures/agents/agents_from_change.toml"
        } else {
            "tests/fixtures/agents/agents.toml"
        })
        .expect("the fixture policy loads");
        let (ticket, last_event) = agents_ticket(start_min, &gaps, &kinds);
        let now = last_event + Duration::minutes(after);
        let d = policy.evaluate(&ticket, now).expect("a decision");
        let here = state(&d);
        match d.next_change_at {
            Some(next) => {
                let next = next.utc();
                prop_assert!(next > now);
                let before = next - Duration::seconds(1);
                for probe in [now + (before - now) / 2, before] {
                    if probe > now {
                        let p = policy.evaluate(&ticket, probe).expect("a decision");
                        prop_assert_eq!(&state(&p), &here, "changed at {} before {}", probe, next);
                    }
                }
                let at_next = policy.evaluate(&ticket, next).expect("a decision");
                prop_assert_ne!(state(&at_next), here, "nothing changed at {}", next);
            }
            None => {
                let later = policy.evaluate(&ticket, now + Duration::days(400)).expect("a decision");
                prop_assert_eq!(state(&later), here);
            }
        }
    }
}
