//! Evaluation (contract §2 stage order and §3 decision): first match wins in every stage,
//! defaults, the trace of every stage, routes with teams and rules, later stages reading earlier
//! results, SLA clocks on a small office calendar shown in the calendar's time zone, escalations
//! and the follow-up visit.
//!
//! The office is in Berlin: Monday to Friday 09:00–12:00 and 13:00–17:00 (seven hours a day),
//! closed on 2025-10-03 (German Unity Day, a Friday). Summer time ends on 2025-10-26.

use aftercare::decision::ClockStatus;
use aftercare::{Decision, EvalOptions, Policy, Ticket};
use serde_json::{json, Value};

use crate::support::{self, at, ticket_with as ticket};

const POLICY: &str = r#"
[policy]
name = "evaluate"
version = "7"
calendar = "office"

[calendars.office]
timezone = "Europe/Berlin"
week = { mon = ["09:00-12:00", "13:00-17:00"], tue = ["09:00-12:00", "13:00-17:00"],
         wed = ["09:00-12:00", "13:00-17:00"], thu = ["09:00-12:00", "13:00-17:00"],
         fri = ["09:00-12:00", "13:00-17:00"] }
holidays = ["2025-10-03"]

[calendars.shanghai]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
         thu = ["09:00-18:00"], fri = ["09:00-18:00"] }

[[categories]]
id = "complaint"
when = { kind = "complaint" }

[[categories]]
id = "fault"
when = { text = { contains_any = ["broken", "leak"] } }

[[categories]]
id = "question"
default = true

[priorities]
order = ["urgent", "high", "normal"]
default = "normal"

[[priority_rules]]
id = "safety"
priority = "urgent"
when = { category = "fault", "attributes.safety_hazard" = true }

[[priority_rules]]
id = "complaints"
priority = "high"
when = { category = "complaint" }

[[routes]]
id = "urgent-desk"
when = { priority = "urgent" }
department = "tech"
team = "hotline"

[[routes]]
id = "asia-faults"
when = { category = "fault", "customer.region" = "asia" }
department = "tech"
team = "shanghai"
calendar = "shanghai"

[[routes]]
id = "faults"
when = { category = "fault" }
department = "tech"
team = "field"

[[routes]]
id = "desk"
default = true
department = "desk"

[departments.tech]
supervisor = "tech_lead"

[departments.desk]

[sla]
pause_statuses = ["waiting_customer"]

[sla.targets.urgent]
first_response = "1h"
resolution = "8h"

[sla.targets.high]
first_response = "2h"
resolution = "2bd"

[sla.targets.normal]
first_response = "4h"
resolution = "16h"

[[escalations]]
metric = "first_response"
at = "100%"
notify = ["assignee", "supervisor"]

[[escalations]]
metric = "resolution"
at = "100%+1h"
notify = ["supervisor"]

[follow_up]
within = "8h"
unsatisfied_at_or_below = 2
"#;

fn policy() -> Policy {
    support::policy_text(POLICY)
}

fn decide(t: &Ticket, now: &str) -> Decision {
    support::decide(&policy(), t, at(now))
}

/// The trace lines of one stage (`category`, `priority`, `route`, `first_response`, …).
fn traced(d: &Decision, stage: &str) -> Vec<String> {
    d.trace
        .iter()
        .map(ToString::to_string)
        .filter(|l| l.starts_with(&format!("{stage} ")) || l.starts_with(&format!("{stage}:")))
        .collect()
}

/// A fault, normal priority, created Monday 2025-10-06 10:00 in Berlin (given in +08:00).
fn monday_fault(events: Value) -> Ticket {
    ticket(
        "2025-10-06T16:00:00+08:00",
        json!({ "subject": "Washing machine broken", "events": events }),
    )
}

// ---- stages, first match wins, defaults ------------------------------------------------------

#[test]
fn first_match_wins_in_the_category_stage() {
    // Both the complaint rule (kind) and the fault rule (text) hold: the first one wins.
    let d = decide(
        &ticket(
            "2025-10-06T10:00:00+02:00",
            json!({ "kind": "complaint", "subject": "Still broken" }),
        ),
        "2025-10-06T11:00:00+02:00",
    );
    assert_eq!(&*d.category, "complaint");
    assert_eq!(
        traced(&d, "category"),
        ["category complaint: rule `complaint` matched kind = \"complaint\""]
    );
}

#[test]
fn priority_rules_read_the_category() {
    let d = decide(
        &ticket("2025-10-06T10:00:00+02:00", json!({ "kind": "complaint" })),
        "2025-10-06T11:00:00+02:00",
    );
    assert_eq!(&*d.priority, "high");
    assert_eq!(
        traced(&d, "priority"),
        ["priority high: rule `complaints` matched category = \"complaint\""]
    );
    // The same safety flag on a question is not urgent: the safety rule needs a fault.
    let d = decide(
        &ticket(
            "2025-10-06T10:00:00+02:00",
            json!({ "subject": "Manual?", "attributes": { "safety_hazard": true } }),
        ),
        "2025-10-06T11:00:00+02:00",
    );
    assert_eq!((&*d.category, &*d.priority), ("question", "normal"));
}

#[test]
fn route_rules_read_the_priority_and_first_match_wins() {
    // An urgent fault matches `urgent-desk` and `faults`; the first wins.
    let d = decide(
        &ticket(
            "2025-10-06T10:00:00+02:00",
            json!({ "subject": "Leak near the socket", "attributes": { "safety_hazard": true } }),
        ),
        "2025-10-06T10:30:00+02:00",
    );
    assert_eq!(&*d.category, "fault");
    assert_eq!(&*d.priority, "urgent");
    assert_eq!(&*d.route.department, "tech");
    assert_eq!(d.route.team.as_deref(), Some("hotline"));
    assert_eq!(&*d.route.rule, "urgent-desk");
    assert_eq!(
        traced(&d, "priority"),
        ["priority urgent: rule `safety` matched category = \"fault\" and attributes.safety_hazard = true"]
    );
    assert_eq!(
        traced(&d, "route"),
        ["route tech / hotline: rule `urgent-desk` matched priority = \"urgent\""]
    );
}

#[test]
fn route_with_a_team() {
    let d = decide(&monday_fault(json!([])), "2025-10-06T11:00:00+02:00");
    assert_eq!(
        (&*d.category, &*d.priority, &*d.route.department),
        ("fault", "normal", "tech")
    );
    assert_eq!(d.route.team.as_deref(), Some("field"));
    assert_eq!(&*d.route.rule, "faults");
    assert_eq!(
        traced(&d, "route"),
        ["route tech / field: rule `faults` matched category = \"fault\""]
    );
}

#[test]
fn defaults_in_every_stage() {
    let d = decide(
        &ticket("2025-10-06T10:00:00+02:00", json!({})),
        "2025-10-06T11:00:00+02:00",
    );
    assert_eq!(&*d.category, "question");
    assert_eq!(&*d.priority, "normal");
    assert_eq!(&*d.route.department, "desk");
    assert_eq!(d.route.team, None);
    assert_eq!(&*d.route.rule, "desk");
    assert_eq!(
        d.trace[..3],
        [
            "category question: no rule matched, default `question`",
            "priority normal: no rule matched, default `priorities.default`",
            "route desk: no rule matched, default `desk`",
        ]
    );
}

#[test]
fn decision_names_the_ticket_and_the_policy() {
    let d = decide(&monday_fault(json!([])), "2025-10-06T11:00:00+02:00");
    assert_eq!(&*d.ticket, "T1");
    assert_eq!((&*d.policy.name, &*d.policy.version), ("evaluate", "7"));
    assert_eq!(d.status, "new");
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["route"]["team"], "field");
    assert_eq!(json["route"]["rule"], "faults");
    assert_eq!(json["sla"]["first_response"]["status"], "running");
}

#[test]
fn the_trace_has_one_line_per_stage_in_stage_order() {
    let d = decide(
        &monday_fault(json!([{ "at": "2025-10-06T11:30:00+02:00", "type": "first_response" }])),
        "2025-10-06T14:00:00+02:00",
    );
    let stages: Vec<String> = d
        .trace
        .iter()
        .map(|l| l.to_string().split([' ', ':']).next().unwrap().to_string())
        .collect();
    assert_eq!(
        stages,
        [
            "category",
            "priority",
            "route",
            "first_response",
            "resolution"
        ]
    );
    assert_eq!(
        d.trace[3],
        "first_response: target 4h (priority normal) on calendar office; \
         started 2025-10-06T10:00:00+02:00; due 2025-10-06T15:00:00+02:00; \
         stopped 2025-10-06T11:30:00+02:00"
    );
    assert_eq!(
        d.trace[4],
        "resolution: target 16h (priority normal) on calendar office; \
         started 2025-10-06T10:00:00+02:00; due 2025-10-08T12:00:00+02:00"
    );
}

#[test]
fn escalation_and_follow_up_stages() {
    // Answered late, resolved in time, and an unsatisfied follow-up starts a second cycle.
    let t = monday_fault(json!([
        { "at": "2025-10-06T16:00:00+02:00", "type": "first_response" },
        { "at": "2025-10-07T16:00:00+02:00", "type": "resolved" },
        { "at": "2025-10-08T10:00:00+02:00", "type": "follow_up", "score": 2 },
    ]));
    let d = decide(&t, "2025-10-09T10:00:00+02:00");
    assert_eq!(d.status, "reopened");
    assert_eq!(
        d.trace[3..],
        [
            "first_response: target 4h (priority normal) on calendar office; \
             started 2025-10-06T10:00:00+02:00; due 2025-10-06T15:00:00+02:00; \
             stopped 2025-10-06T16:00:00+02:00",
            "resolution (cycle 1): target 16h (priority normal) on calendar office; \
             started 2025-10-06T10:00:00+02:00; due 2025-10-08T12:00:00+02:00; \
             stopped 2025-10-07T16:00:00+02:00",
            "resolution (cycle 2): target 16h (priority normal) on calendar office; \
             started 2025-10-08T10:00:00+02:00; due 2025-10-10T12:00:00+02:00",
            "follow_up: target 8h (after resolution) on calendar office; \
             started 2025-10-07T16:00:00+02:00; due 2025-10-08T17:00:00+02:00; \
             stopped 2025-10-08T10:00:00+02:00",
            "escalation 100% of first_response (cycle 1) fired at 2025-10-06T15:00:00+02:00",
        ]
    );

    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.status, ClockStatus::Breached);
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!((res.cycle, res.status), (Some(2), ClockStatus::Running));
    assert_eq!(res.previous_cycles.len(), 1);
    assert_eq!(res.previous_cycles[0].status, ClockStatus::Met);

    let follow_up = d.follow_up.as_ref().unwrap();
    assert_eq!(
        follow_up.due.unwrap().to_string(),
        "2025-10-08T17:00:00+02:00"
    );
    assert_eq!(
        (follow_up.status, follow_up.outcome, follow_up.score),
        ("done", Some("unsatisfied"), Some(2))
    );

    // `supervisor` is the route's department's supervisor role.
    let steps: Vec<(&str, u32, String, Vec<&str>, bool)> = d
        .escalations
        .iter()
        .map(|e| {
            (
                e.metric,
                e.cycle,
                e.at.unwrap().to_string(),
                e.notify.iter().map(|n| &**n).collect(),
                e.fired,
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                "first_response",
                1,
                "2025-10-06T15:00:00+02:00".to_string(),
                vec!["assignee", "tech_lead"],
                true
            ),
            // Due Wednesday 12:00 plus one business hour; the ticket was resolved before.
            (
                "resolution",
                1,
                "2025-10-08T14:00:00+02:00".to_string(),
                vec!["tech_lead"],
                false
            ),
            // Due Friday 12:00 plus one business hour, after the lunch break.
            (
                "resolution",
                2,
                "2025-10-10T14:00:00+02:00".to_string(),
                vec!["tech_lead"],
                false
            ),
        ]
    );
    assert_eq!(
        d.next_change_at.unwrap().to_string(),
        "2025-10-10T12:00:00+02:00"
    );
}

#[test]
fn trace_can_be_turned_off() {
    let d = policy()
        .evaluate_with(
            &monday_fault(json!([])),
            at("2025-10-06T11:00:00+02:00"),
            EvalOptions { trace: false },
        )
        .unwrap();
    assert!(d.trace.is_empty());
    assert_eq!(&*d.category, "fault");
    assert!(serde_json::to_value(&d).unwrap().get("trace").is_none());
}

// ---- SLA clocks ----------------------------------------------------------------------------------

#[test]
fn clocks_running() {
    let d = decide(&monday_fault(json!([])), "2025-10-06T14:00:00+02:00");
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(&*fr.target, "4h");
    // 10:00–12:00 and 13:00–15:00.
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-06T15:00:00+02:00");
    assert_eq!(fr.status, ClockStatus::Running);
    assert_eq!(fr.elapsed.to_string(), "3h");
    assert_eq!(fr.remaining.unwrap().to_string(), "1h");
    assert_eq!(fr.stopped_at, None);

    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(&*res.target, "16h");
    // Monday 6h, Tuesday 7h, Wednesday 09:00–12:00: the budget runs out at the lunch
    // break, so it is due at 12:00, not when the office opens again at 13:00.
    assert_eq!(res.due.unwrap().to_string(), "2025-10-08T12:00:00+02:00");
    assert_eq!(res.status, ClockStatus::Running);
    assert_eq!(
        d.next_change_at.unwrap().to_string(),
        "2025-10-06T15:00:00+02:00"
    );
}

#[test]
fn first_response_met() {
    let d = decide(
        &monday_fault(json!([{ "at": "2025-10-06T11:30:00+02:00", "type": "first_response" }])),
        "2025-10-06T14:00:00+02:00",
    );
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.status, ClockStatus::Met);
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-06T15:00:00+02:00");
    assert_eq!(
        fr.stopped_at.unwrap().to_string(),
        "2025-10-06T11:30:00+02:00"
    );
    assert_eq!(fr.elapsed.to_string(), "1h30m");
    assert_eq!(d.status, "in_progress");
    // The first response no longer changes; the resolution is due next.
    assert_eq!(
        d.next_change_at.unwrap().to_string(),
        "2025-10-08T12:00:00+02:00"
    );
}

#[test]
fn first_response_breached_while_waiting() {
    let d = decide(&monday_fault(json!([])), "2025-10-07T10:00:00+02:00");
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.status, ClockStatus::Breached);
    assert_eq!(fr.stopped_at, None);
    // Due Monday 15:00; Monday 15:00–17:00 and Tuesday 09:00–10:00 are over.
    assert_eq!(fr.overdue_by.unwrap().to_string(), "3h");
    assert_eq!(fr.remaining, None);
    assert_eq!(
        d.sla.resolution.as_ref().unwrap().status,
        ClockStatus::Running
    );
}

#[test]
fn first_response_breached_by_a_late_answer() {
    let d = decide(
        &monday_fault(json!([{ "at": "2025-10-06T16:00:00+02:00", "type": "first_response" }])),
        "2025-10-07T10:00:00+02:00",
    );
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.status, ClockStatus::Breached);
    assert_eq!(
        fr.stopped_at.unwrap().to_string(),
        "2025-10-06T16:00:00+02:00"
    );
    assert_eq!(fr.overdue_by.unwrap().to_string(), "1h");
}

#[test]
fn an_answer_after_now_is_not_known_yet() {
    let t = monday_fault(json!([{ "at": "2025-10-06T16:00:00+02:00", "type": "first_response" }]));
    let d = decide(&t, "2025-10-06T14:00:00+02:00");
    assert_eq!(
        d.sla.first_response.as_ref().unwrap().status,
        ClockStatus::Running
    );
    assert_eq!(d.status, "new");
}

#[test]
fn resolution_met() {
    let d = decide(
        &monday_fault(json!([
            { "at": "2025-10-06T10:30:00+02:00", "type": "first_response" },
            { "at": "2025-10-07T16:00:00+02:00", "type": "resolved" },
        ])),
        "2025-10-09T10:00:00+02:00",
    );
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(res.status, ClockStatus::Met);
    assert_eq!(res.due.unwrap().to_string(), "2025-10-08T12:00:00+02:00");
    assert_eq!(
        res.stopped_at.unwrap().to_string(),
        "2025-10-07T16:00:00+02:00"
    );
    // Monday 10:00–17:00 (6h) and Tuesday until 16:00 (6h).
    assert_eq!(res.elapsed.to_string(), "12h");
    assert_eq!(d.status, "resolved");
    assert_eq!(d.next_change_at, None);
}

#[test]
fn resolution_breached_by_a_late_resolution() {
    let d = decide(
        &monday_fault(json!([
            { "at": "2025-10-06T10:30:00+02:00", "type": "first_response" },
            { "at": "2025-10-08T14:00:00+02:00", "type": "resolved" },
        ])),
        "2025-10-09T10:00:00+02:00",
    );
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(res.status, ClockStatus::Breached);
    // Due Wednesday 12:00, resolved 13:00–14:00 later in business time.
    assert_eq!(res.overdue_by.unwrap().to_string(), "1h");
    assert_eq!(
        d.sla.first_response.as_ref().unwrap().status,
        ClockStatus::Met
    );
}

#[test]
fn resolution_breached_while_open() {
    let t = monday_fault(json!([{ "at": "2025-10-06T10:30:00+02:00", "type": "first_response" }]));
    // Due Wednesday at 12:00, when the morning window closes: during the lunch break the
    // ticket is already late.
    let d = decide(&t, "2025-10-08T12:30:00+02:00");
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(res.status, ClockStatus::Breached);
    assert_eq!(res.overdue_by.unwrap().to_string(), "0s");
    let d = decide(&t, "2025-10-08T14:00:00+02:00");
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(res.status, ClockStatus::Breached);
    assert_eq!(res.overdue_by.unwrap().to_string(), "1h");
    let d = decide(&t, "2025-10-08T11:59:00+02:00");
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(res.status, ClockStatus::Running);
    assert_eq!(res.remaining.unwrap().to_string(), "1m");
}

#[test]
fn resolution_paused_while_waiting_for_the_customer() {
    let t = monday_fault(json!([
        { "at": "2025-10-06T10:30:00+02:00", "type": "first_response" },
        { "at": "2025-10-06T11:00:00+02:00", "type": "status", "status": "waiting_customer" },
    ]));
    let d = decide(&t, "2025-10-07T10:00:00+02:00");
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(res.status, ClockStatus::Paused);
    assert_eq!(res.due, None);
    assert_eq!(res.elapsed.to_string(), "1h");
    assert_eq!(d.status, "waiting_customer");

    // The customer answers on Tuesday at 10:00: the 15 hours left run from there.
    let t = monday_fault(json!([
        { "at": "2025-10-06T10:30:00+02:00", "type": "first_response" },
        { "at": "2025-10-06T11:00:00+02:00", "type": "status", "status": "waiting_customer" },
        { "at": "2025-10-07T10:00:00+02:00", "type": "status", "status": "in_progress" },
    ]));
    let d = decide(&t, "2025-10-07T11:00:00+02:00");
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(res.status, ClockStatus::Running);
    // Tuesday 10:00–17:00 (6h), Wednesday (7h), Thursday 09:00–11:00 (2h).
    assert_eq!(res.due.unwrap().to_string(), "2025-10-09T11:00:00+02:00");
}

#[test]
fn a_clock_started_outside_business_hours_starts_at_the_next_opening() {
    // Saturday 11:00: counting starts on Monday at 09:00. The trace lists the closed days
    // strictly between the start and the due dates.
    let t = ticket("2025-10-04T11:00:00+02:00", json!({ "subject": "broken" }));
    let d = decide(&t, "2025-10-06T10:00:00+02:00");
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.started_at.to_string(), "2025-10-06T09:00:00+02:00");
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-06T14:00:00+02:00");
    assert_eq!(fr.elapsed.to_string(), "1h");
    assert_eq!(
        traced(&d, "first_response"),
        [
            "first_response: target 4h (priority normal) on calendar office; \
          started 2025-10-04T11:00:00+02:00 outside business hours, counting from the opening at \
          2025-10-06T09:00:00+02:00; skipped 2025-10-05 (closed); \
          due 2025-10-06T14:00:00+02:00"
        ]
    );
}

#[test]
fn holidays_are_skipped() {
    // Thursday 16:00: one hour on Thursday, Friday is a holiday, three hours on Monday morning.
    let t = ticket("2025-10-02T16:00:00+02:00", json!({ "subject": "broken" }));
    let d = decide(&t, "2025-10-02T16:30:00+02:00");
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-06T12:00:00+02:00");
    assert_eq!(
        traced(&d, "first_response"),
        [
            "first_response: target 4h (priority normal) on calendar office; \
          started 2025-10-02T16:00:00+02:00; \
          skipped 2025-10-03 (holiday), 2025-10-04..2025-10-05 (closed); \
          due 2025-10-06T12:00:00+02:00"
        ]
    );
}

#[test]
fn business_days() {
    // A complaint is high: resolution in 2 business days, the same time on the second working
    // day after Thursday 10:00 (Friday is a holiday).
    let t = ticket("2025-10-02T10:00:00+02:00", json!({ "kind": "complaint" }));
    let d = decide(&t, "2025-10-02T11:00:00+02:00");
    let res = d.sla.resolution.as_ref().unwrap();
    assert_eq!(&*res.target, "2bd");
    assert_eq!(res.due.unwrap().to_string(), "2025-10-07T10:00:00+02:00");
}

// ---- time zones -------------------------------------------------------------------------------

#[test]
fn instants_are_shown_in_the_calendar_time_zone() {
    // Created 16:00 in Shanghai = 10:00 in Berlin; every instant is written in Berlin time.
    let d = decide(&monday_fault(json!([])), "2025-10-06T20:00:00+08:00");
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.started_at.to_string(), "2025-10-06T10:00:00+02:00");
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-06T15:00:00+02:00");
    assert_eq!(d.sla.calendar.as_deref(), Some("office"));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json["sla"]["first_response"]["due"],
        "2025-10-06T15:00:00+02:00"
    );
    assert_eq!(json["next_change_at"], "2025-10-06T15:00:00+02:00");
}

#[test]
fn the_offset_follows_daylight_saving_time() {
    // Friday 2025-10-24 16:00 (+02:00); summer time ends on Sunday, so Monday is +01:00.
    let t = ticket("2025-10-24T16:00:00+02:00", json!({ "subject": "broken" }));
    let d = decide(&t, "2025-10-24T16:30:00+02:00");
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.started_at.to_string(), "2025-10-24T16:00:00+02:00");
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-27T12:00:00+01:00");
}

#[test]
fn a_route_calendar_sets_the_clock_and_the_time_zone() {
    // The Shanghai team counts on its own calendar (09:00–18:00) and writes Shanghai time.
    let t = ticket(
        "2025-10-06T10:00:00+02:00",
        json!({ "subject": "leak", "customer": { "region": "asia" } }),
    );
    let d = decide(&t, "2025-10-06T11:00:00+02:00");
    assert_eq!(&*d.route.rule, "asia-faults");
    assert_eq!(d.route.team.as_deref(), Some("shanghai"));
    assert_eq!(d.sla.calendar.as_deref(), Some("shanghai"));
    let fr = d.sla.first_response.as_ref().unwrap();
    // 16:00–18:00 on Monday, 09:00–11:00 on Tuesday.
    assert_eq!(fr.started_at.to_string(), "2025-10-06T16:00:00+08:00");
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-07T11:00:00+08:00");
}

// ---- threads --------------------------------------------------------------------------------------

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Policy>();
    assert_send_sync::<Ticket>();
    assert_send_sync::<Decision>();
};

#[test]
fn the_same_decision_from_several_threads() {
    let policy = policy();
    let t = monday_fault(json!([
        { "at": "2025-10-06T10:30:00+02:00", "type": "first_response" },
        { "at": "2025-10-06T11:00:00+02:00", "type": "status", "status": "waiting_customer" },
        { "at": "2025-10-07T10:00:00+02:00", "type": "status", "status": "in_progress" },
    ]));
    let now = at("2025-10-07T11:00:00+02:00");
    let expected = policy.evaluate(&t, now).unwrap();
    // Eight threads share clones of one policy (and one ticket) and evaluate repeatedly.
    let decisions: Vec<Decision> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let policy = policy.clone();
                let t = &t;
                s.spawn(move || {
                    (0..50)
                        .map(|_| policy.evaluate(t, now).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(decisions.len(), 400);
    for d in decisions {
        assert_eq!(d, expected);
    }
}

#[test]
fn a_batch_keeps_the_input_order_and_isolates_bad_tickets() {
    let policy = policy();
    let now = at("2025-10-07T11:00:00+02:00");
    let tickets: Vec<Ticket> = (0..200)
        .map(|i| {
            let subject = if i % 3 == 0 { "broken" } else { "question" };
            let mut t = ticket("2025-10-06T10:00:00+02:00", json!({ "subject": subject }));
            t.id = format!("T{i}");
            t
        })
        .collect();
    let results = policy.evaluate_batch(&tickets, now, EvalOptions::default());
    assert_eq!(results.len(), 200);
    for (i, r) in results.iter().enumerate() {
        let d = r.as_ref().unwrap();
        assert_eq!(*d.ticket, format!("T{i}"));
        assert_eq!(*d, policy.evaluate(&tickets[i], now).unwrap());
    }

    let mut lines: Vec<String> = (0..100)
        .map(|i| {
            format!(r#"{{"id": "L{i}", "created_at": "2025-10-06T10:00:00+02:00", "subject": "broken"}}"#)
        })
        .collect();
    lines[42] = r#"{"id": "L42", "created_at": "yesterday"}"#.to_string();
    let out = policy.evaluate_json_lines(&lines, now, EvalOptions::default());
    assert_eq!(out.len(), 100);
    for (i, line) in out.iter().enumerate() {
        let (Ok(text) | Err(text)) = line;
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["ticket"], format!("L{i}"));
        assert_eq!(line.is_err(), i == 42, "{text}");
    }
}
