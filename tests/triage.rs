//! `Policy::triage` decides exactly what `Policy::evaluate` decides for category, priority and
//! route: over the default policy's samples and the script-hook examples (where hooks change
//! outcomes), and on the conditions that test `category` and `priority`.

use std::path::Path;

use aftercare::{Policy, Ticket};

use crate::support::now;

/// Every ticket of a JSON-lines file gets the same triage from both entry points.
fn agree(policy: &Policy, tickets: &Path) -> usize {
    let text = std::fs::read_to_string(tickets).unwrap();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let ticket = Ticket::from_json(line).unwrap();
        let (d, t) = match (
            policy.evaluate(&ticket, now()),
            policy.triage(&ticket, now()),
        ) {
            (Ok(d), Ok(t)) => (d, t),
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "{line}");
                continue;
            }
            (d, t) => panic!("evaluate {d:?} but triage {t:?} for {line}"),
        };
        let id = &ticket.id;
        assert_eq!(&*t.category, &*d.category, "{id}");
        assert_eq!(t.priority, &*d.priority, "{id}");
        assert_eq!(t.department, &*d.route.department, "{id}");
        assert_eq!(t.team.as_deref(), d.route.team.as_deref(), "{id}");
        assert_eq!(t.assignee.as_deref(), d.route.assignee.as_deref(), "{id}");
        assert_eq!(&*t.rules.category, &*d.rules.category, "{id}");
        assert_eq!(&*t.rules.priority, &*d.rules.priority, "{id}");
        assert_eq!(&*t.rules.route, &*d.rules.route, "{id}");
        n += 1;
    }
    n
}

#[test]
fn triage_agrees_with_the_whole_decision_on_the_default_policy() {
    let policy = Policy::from_path("policies/default.toml").unwrap();
    assert!(agree(&policy, Path::new("policies/samples/tickets.jsonl")) >= 20);
}

#[test]
fn triage_runs_the_script_hooks() {
    let mut changed = 0;
    for name in ["vip_lane", "product_routing", "dissatisfied"] {
        let dir = Path::new("examples/policies").join(name);
        let policy = Policy::from_path(dir.join("policy.toml")).unwrap();
        let tickets = dir.join("tickets.jsonl");
        if tickets.exists() {
            agree(&policy, &tickets);
            // A hook that changed something shows as the `script` rule or the hook's rule.
            let text = std::fs::read_to_string(&tickets).unwrap();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let t = policy.triage(&Ticket::from_json(line).unwrap(), now());
                if let Ok(t) = t {
                    let rules = [&t.rules.category, &t.rules.priority, &t.rules.route];
                    changed += rules.iter().filter(|r| r.starts_with("script")).count();
                }
            }
        }
    }
    assert!(changed > 0, "no sample was changed by a hook");
}

#[test]
fn category_and_priority_tests_see_the_earlier_stages() {
    let policy = Policy::from_toml(
        r#"
        [policy]
        name = "stages"
        [[categories]]
        id = "fault"
        when = { text.contains_any = ["broken"] }
        [[categories]]
        id = "other"
        default = true
        [priorities]
        order = ["high", "low"]
        default = "low"
        [[priority_rules]]
        id = "faults"
        priority = "high"
        when = { category = { in = ["fault"] } }
        [[routes]]
        id = "urgent-faults"
        when = { category = "fault", priority = "high", not = { category = "other" } }
        department = "repair"
        [[routes]]
        id = "rest"
        default = true
        department = "desk"
        [departments.repair]
        [departments.desk]
        "#,
    )
    .unwrap();
    let ticket = |subject: &str| {
        Ticket::from_json(&format!(
            r#"{{"id": "T", "created_at": "2025-10-10T10:00:00+08:00", "subject": "{subject}"}}"#
        ))
        .unwrap()
    };
    let t = policy.triage(&ticket("Broken lid"), now()).unwrap();
    assert_eq!(
        (&*t.category, t.priority, t.department),
        ("fault", "high", "repair")
    );
    let t = policy.triage(&ticket("Question"), now()).unwrap();
    assert_eq!(
        (&*t.category, t.priority, t.department),
        ("other", "low", "desk")
    );
    assert_eq!(t.rules.priority, "priorities.default");
}

use crate::support::tickets;

/// Without the trace, evaluation takes the plain path for stages 1–3; with it, the general one
/// that also runs script hooks. Both must reach the same decision.
#[test]
fn the_trace_changes_nothing_but_the_trace() {
    let policy = Policy::from_path("policies/default.toml").unwrap();
    let mut texts: Vec<String> = std::fs::read_to_string("policies/samples/tickets.jsonl")
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let mut rng = tickets::Rng::new(11);
    texts.extend((0..2000).map(|i| tickets::ticket_json(&mut rng, i, i % 2 == 0)));
    for text in &texts {
        let ticket = Ticket::from_json(text).unwrap();
        let traced = policy.evaluate_with(&ticket, now(), aftercare::EvalOptions { trace: true });
        let plain = policy.evaluate_with(&ticket, now(), aftercare::EvalOptions { trace: false });
        match (traced, plain) {
            (Ok(mut traced), Ok(plain)) => {
                assert!(!traced.trace.is_empty());
                traced.trace.clear();
                assert_eq!(traced, plain, "{}", ticket.id);
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            (a, b) => panic!("{a:?} against {b:?}"),
        }
    }
}
