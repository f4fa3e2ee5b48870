//! Test cases for the example policies under `examples/policies/`: each loads with its scripts,
//! and the sample tickets beside it (plus a few written here) get the expected category,
//! priority, route and due times.

use std::collections::HashMap;
use std::path::PathBuf;

use aftercare::{Decision, Policy, Ticket};

use crate::support::{self, now};

fn folder(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(name)
}

/// Loads an example policy (no warnings) and decides its sample tickets, by id.
fn samples(name: &str) -> (Policy, HashMap<String, Decision>) {
    let dir = folder(name);
    let policy = match Policy::from_path(dir.join("policy.toml")) {
        Ok(p) => p,
        Err(e) => panic!("{name} does not load:\n{e}"),
    };
    assert!(policy.warnings().is_empty(), "{:?}", policy.warnings());
    let text = std::fs::read_to_string(dir.join("tickets.jsonl")).unwrap();
    let decisions = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let d = policy
                .evaluate(&Ticket::from_json(l).unwrap(), now())
                .unwrap();
            (d.ticket.to_string(), d)
        })
        .collect();
    (policy, decisions)
}

/// What a case expects: category, priority, department, team, first response due, resolution due.
type Expect<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a str, &'a str);

fn check(d: &Decision, (category, priority, department, team, first, resolution): Expect<'_>) {
    let id = &d.ticket;
    assert_eq!(
        &*d.category, category,
        "{id} category; trace: {:#?}",
        d.trace
    );
    assert_eq!(
        &*d.priority, priority,
        "{id} priority; trace: {:#?}",
        d.trace
    );
    assert_eq!(&*d.route.department, department, "{id} department");
    assert_eq!(d.route.team.as_deref(), team, "{id} team");
    let due = |c: &Option<aftercare::decision::Clock>| {
        c.as_ref().and_then(|c| c.due).map(|t| t.to_string())
    };
    assert_eq!(
        due(&d.sla.first_response).as_deref(),
        Some(first),
        "{id} first response due"
    );
    assert_eq!(
        due(&d.sla.resolution).as_deref(),
        Some(resolution),
        "{id} resolution due"
    );
}

fn decide(policy: &Policy, json: &str) -> Decision {
    support::decide(policy, &support::ticket(json), now())
}

#[test]
fn vip_lane() {
    let (policy, d) = samples("vip_lane");
    // A VIP complaint is urgent (the urgent targets already beat the VIP lane's).
    check(
        &d["VIP-1"],
        (
            "complaint",
            "urgent",
            "after_sales_tech",
            None,
            "2025-10-14T12:00:00+08:00",
            "2025-10-17T11:30:00+08:00",
        ),
    );
    // A VIP fault moves up a level and gets 1h / 24h: half an hour before closing, half an
    // hour the next morning.
    check(
        &d["VIP-2"],
        (
            "fault",
            "high",
            "after_sales_tech",
            None,
            "2025-10-15T09:30:00+08:00",
            "2025-10-20T10:00:00+08:00",
        ),
    );
    // Created during the National Day holiday: the clocks start on 10-09; the make-up
    // Saturday 10-11 counts.
    check(
        &d["VIP-3"],
        (
            "consultation",
            "high",
            "customer_center",
            None,
            "2025-10-09T10:00:00+08:00",
            "2025-10-13T10:30:00+08:00",
        ),
    );
    // A loyal customer's suggestion is not `low`.
    check(
        &d["LOY-1"],
        (
            "suggestion",
            "medium",
            "product_dept",
            None,
            "2025-10-15T17:00:00+08:00",
            "2025-10-28T15:30:00+08:00",
        ),
    );
    // Everybody else: the rules alone.
    check(
        &d["REG-1"],
        (
            "consultation",
            "medium",
            "customer_center",
            None,
            "2025-10-15T17:00:00+08:00",
            "2025-10-28T15:30:00+08:00",
        ),
    );
    check(
        &d["REG-2"],
        (
            "suggestion",
            "low",
            "product_dept",
            None,
            "2025-10-20T11:00:00+08:00",
            "2025-10-22T09:30:00+08:00",
        ),
    );
    assert!(d["VIP-2"]
        .trace
        .iter()
        .any(|e| *e == "script targets: first_response 4h → 1h, resolution 48h → 24h"));

    // A safety hazard is urgent already; a VIP cannot go higher.
    let vip_safety = decide(
        &policy,
        r#"{"id": "X1", "created_at": "2025-10-15T09:00:00+08:00", "kind": "fault",
            "customer": {"tier": "vip"}, "attributes": {"safety_hazard": true}}"#,
    );
    check(
        &vip_safety,
        (
            "fault",
            "urgent",
            "after_sales_tech",
            None,
            "2025-10-15T11:00:00+08:00",
            "2025-10-20T10:30:00+08:00",
        ),
    );
    // No tier at all counts as regular.
    let anonymous = decide(
        &policy,
        r#"{"id": "X2", "created_at": "2025-10-15T09:00:00+08:00", "kind": "suggestion"}"#,
    );
    assert_eq!(&*anonymous.priority, "low");
}

#[test]
fn product_routing() {
    let (policy, d) = samples("product_routing");
    check(
        &d["PR-1"],
        (
            "fault",
            "medium",
            "after_sales_tech",
            Some("north_air_conditioning"),
            "2025-10-15T16:30:00+08:00",
            "2025-10-28T15:00:00+08:00",
        ),
    );
    check(
        &d["PR-2"],
        (
            "complaint",
            "high",
            "after_sales_tech",
            Some("south_water_heaters"),
            "2025-10-15T14:40:00+08:00",
            "2025-10-23T13:40:00+08:00",
        ),
    );
    // No region: the line's specialists. The model is matched whatever its case.
    check(
        &d["PR-3"],
        (
            "fault",
            "medium",
            "after_sales_tech",
            Some("laundry_specialists"),
            "2025-10-15T16:50:00+08:00",
            "2025-10-28T15:20:00+08:00",
        ),
    );
    check(
        &d["PR-4"],
        (
            "suggestion",
            "low",
            "product_dept",
            Some("refrigeration_product"),
            "2025-10-20T11:00:00+08:00",
            "2025-10-22T09:30:00+08:00",
        ),
    );
    // A model the script does not know keeps the rules' route.
    check(
        &d["PR-5"],
        (
            "fault",
            "medium",
            "after_sales_tech",
            None,
            "2025-10-15T17:10:00+08:00",
            "2025-10-28T15:40:00+08:00",
        ),
    );
    assert_eq!(&*d["PR-5"].route.rule, "tech");
    assert_eq!(&*d["PR-1"].route.rule, "script");
    // Consultations stay with the desk.
    check(
        &d["PR-6"],
        (
            "consultation",
            "medium",
            "customer_center",
            None,
            "2025-10-15T17:20:00+08:00",
            "2025-10-28T15:50:00+08:00",
        ),
    );

    // A region the network does not have: the line's specialists.
    let far = decide(
        &policy,
        r#"{"id": "X1", "created_at": "2025-10-15T09:00:00+08:00", "kind": "fault",
            "customer": {"region": "overseas"}, "product": {"model": "JSQ20-10"}}"#,
    );
    assert_eq!(far.route.team.as_deref(), Some("water_heaters_specialists"));
    // No product at all.
    let none = decide(
        &policy,
        r#"{"id": "X2", "created_at": "2025-10-15T09:00:00+08:00", "kind": "fault"}"#,
    );
    assert_eq!(none.route.team, None);
    assert_eq!(&*none.route.department, "after_sales_tech");
}

#[test]
fn dissatisfied() {
    let (policy, d) = samples("dissatisfied");
    // Threatens the regulator: urgent, first reply within 30 minutes.
    check(
        &d["DS-1"],
        (
            "complaint",
            "urgent",
            "after_sales_tech",
            None,
            "2025-10-15T09:30:00+08:00",
            "2025-10-20T10:30:00+08:00",
        ),
    );
    // A fault by the caller's own `kind`, but the words make it a complaint.
    check(
        &d["DS-2"],
        (
            "complaint",
            "urgent",
            "after_sales_tech",
            None,
            "2025-10-15T10:30:00+08:00",
            "2025-10-20T11:30:00+08:00",
        ),
    );
    // An ordinary complaint stays high.
    check(
        &d["DS-3"],
        (
            "complaint",
            "high",
            "after_sales_tech",
            None,
            "2025-10-15T16:00:00+08:00",
            "2025-10-23T15:00:00+08:00",
        ),
    );
    // Rated the repair 1: a second handling cycle, now urgent, counted from the visit.
    check(
        &d["DS-4"],
        (
            "complaint",
            "urgent",
            "after_sales_tech",
            None,
            "2025-10-13T09:30:00+08:00",
            "2025-10-17T17:30:00+08:00",
        ),
    );
    assert_eq!(d["DS-4"].status, "reopened");
    check(
        &d["DS-5"],
        (
            "consultation",
            "medium",
            "customer_center",
            None,
            "2025-10-16T09:30:00+08:00",
            "2025-10-28T17:00:00+08:00",
        ),
    );

    // One reopening is not enough; two are.
    let once = r#"{"at": "2025-10-14T09:00:00+08:00", "type": "resolved"}, {"at": "2025-10-14T10:00:00+08:00", "type": "reopened"}"#;
    let ticket = |events: &str| {
        format!(
            r#"{{"id": "X", "created_at": "2025-10-13T09:00:00+08:00", "kind": "fault", "events": [{events}]}}"#
        )
    };
    let d1 = decide(&policy, &ticket(once));
    assert_eq!((&*d1.category, &*d1.priority), ("fault", "medium"));
    let twice = format!(
        r#"{once}, {{"at": "2025-10-14T15:00:00+08:00", "type": "resolved"}}, {{"at": "2025-10-14T16:00:00+08:00", "type": "reopened"}}"#
    );
    let d2 = decide(&policy, &ticket(&twice));
    assert_eq!((&*d2.category, &*d2.priority), ("complaint", "urgent"));
}
