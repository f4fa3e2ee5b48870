//! The SLA clock over a ticket's whole life: life stories checked by hand, then snapshotted whole.
//!
//! Policy: tests/fixtures/lifecycle.toml — a Shanghai office (Mon–Fri 09:00–12:00, 13:30–18:00:
//! 7.5 business hours a day), Labour Day 2024 and National Day 2025 with their make-up days.

use aftercare::decision::ClockStatus;
use aftercare::{Decision, Policy, Ticket};

use crate::support::{self, at};

fn policy() -> Policy {
    support::policy("tests/fixtures/lifecycle.toml")
}

fn decide(ticket: &str, now: &str) -> Decision {
    support::decide(&policy(), &support::ticket(ticket), at(now))
}

fn due(c: &Option<aftercare::decision::Clock>) -> String {
    c.as_ref()
        .and_then(|c| c.due)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn status(c: &Option<aftercare::decision::Clock>) -> ClockStatus {
    c.as_ref().expect("the clock exists").status
}

#[test]
fn story_01_domain_sample_fb202405001() {
    // Created on Labour Day 2024: every clock starts at the opening on Monday 2024-05-06.
    let d = decide(
        r#"{"id":"FB202405001","created_at":"2024-05-01T09:00:00+08:00","channel":"phone","kind":"complaint",
            "subject":"空调制冷效果差","description":"空调使用3个月后制冷效果差,联系售后未得到解决,要求尽快处理。",
            "customer":{"id":"C-1001","name":"某公司","contact":"010-0000","tier":"regular","region":"east"},
            "product":{"model":"KFR-35GW","serial_no":"ABC56"},
            "events":[{"at":"2024-05-01T10:00:00+08:00","type":"first_response"},
                      {"at":"2024-05-01T11:00:00+08:00","type":"status","status":"waiting_parts"},
                      {"at":"2024-05-02T09:00:00+08:00","type":"status","status":"in_progress"},
                      {"at":"2024-05-02T16:00:00+08:00","type":"resolved"},
                      {"at":"2024-05-03T10:00:00+08:00","type":"follow_up","score":5}]}"#,
        "2024-05-10T12:00:00+08:00",
    );
    assert_eq!(&*d.category, "complaint");
    assert_eq!(&*d.priority, "high");
    assert_eq!(d.status, "resolved");
    assert_eq!(due(&d.sla.first_response), "2024-05-06T14:30:00+08:00"); // 3h before lunch, 1h after
    assert_eq!(status(&d.sla.first_response), ClockStatus::Met);
    assert_eq!(due(&d.sla.resolution), "2024-05-08T09:00:00+08:00"); // 2bd: the same time two working days on
    assert_eq!(status(&d.sla.resolution), ClockStatus::Met);
    // Follow-up: 24 business hours from the Monday opening = 3 days and 1.5 h.
    assert_eq!(due(&d.sla.follow_up), "2024-05-09T10:30:00+08:00");
    let f = d.follow_up.as_ref().expect("a follow-up");
    assert_eq!(
        (f.status, f.outcome, f.score),
        ("done", Some("satisfied"), Some(5))
    );
    assert!(
        d.trace.iter().any(|t| t
            .to_string()
            .contains("skipped 2024-05-02..2024-05-05 (holiday)")),
        "{:#?}",
        d.trace
    );
    assert_eq!(d.next_change_at, None);
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_02_unsatisfied_follow_up_starts_second_handling() {
    let d = decide(
        r#"{"id":"S02","created_at":"2025-09-15T09:00:00+08:00","kind":"complaint","description":"安装师傅态度差",
            "events":[{"at":"2025-09-15T10:00:00+08:00","type":"first_response"},
                      {"at":"2025-09-16T15:00:00+08:00","type":"resolved"},
                      {"at":"2025-09-17T10:00:00+08:00","type":"follow_up","score":2}]}"#,
        "2025-09-18T12:00:00+08:00",
    );
    assert_eq!(d.status, "reopened");
    let res = d.sla.resolution.as_ref().expect("resolution");
    assert_eq!(res.cycle, Some(2));
    // Restart: a full 2bd (15 business hours) from the visit, Wed 10:00 → Fri 10:00.
    assert_eq!(due(&d.sla.resolution), "2025-09-19T10:00:00+08:00");
    assert_eq!(res.status, ClockStatus::Running);
    assert_eq!(res.previous_cycles.len(), 1);
    assert_eq!(res.previous_cycles[0].status, ClockStatus::Met);
    let f = d.follow_up.as_ref().expect("a follow-up");
    assert_eq!(
        (f.status, f.outcome, f.score),
        ("done", Some("unsatisfied"), Some(2))
    );
    // Cycle 2's 50% step (7.5 business hours after Wed 10:00) fired Thu 10:00.
    let step = d
        .escalations
        .iter()
        .find(|e| e.key == "S02/resolution/2/1")
        .expect("cycle 2 has its own steps");
    assert_eq!(
        step.at.map(|t| t.to_string()).as_deref(),
        Some("2025-09-18T10:00:00+08:00")
    );
    assert!(step.fired);
    assert_eq!(
        d.next_change_at.map(|t| t.to_string()).as_deref(),
        Some("2025-09-19T10:00:00+08:00")
    );
    insta::assert_json_snapshot!(d);
}

const PAUSED_TICKET: &str = r#"{"id":"S03","created_at":"2025-09-15T09:00:00+08:00","subject":"怎么设置定时",
    "events":[{"at":"2025-09-15T10:00:00+08:00","type":"first_response"},
              {"at":"2025-09-16T09:00:00+08:00","type":"status","status":"waiting_customer"},
              {"at":"2025-09-16T13:30:00+08:00","type":"status","status":"in_progress"}]}"#;

#[test]
fn story_03_a_pause_moves_the_due_instant_by_the_time_paused() {
    let d = decide(PAUSED_TICKET, "2025-09-17T12:00:00+08:00");
    assert_eq!(&*d.priority, "medium");
    let res = d.sla.resolution.as_ref().expect("resolution");
    // 3bd: Thu 09:00 without the pause (the same local time three working days on). Paused
    // Tue 09:00–12:00, 3 business hours, which lead to Thu 12:00 — a closing; a deadline in
    // whole days never falls on a closing but on the opening after it, 13:30.
    assert_eq!(due(&d.sla.resolution), "2025-09-18T13:30:00+08:00");
    assert_eq!(res.paused.to_string(), "3h");
    assert_eq!(res.elapsed.to_string(), "15h");
    assert_eq!(
        res.remaining.map(|r| r.to_string()).as_deref(),
        Some("7h30m")
    );
    // The wait for the next agent update runs from the last status change, Tue 13:30.
    assert_eq!(due(&d.sla.next_response), "2025-09-17T14:00:00+08:00");
    assert_eq!(
        d.next_change_at.map(|t| t.to_string()).as_deref(),
        Some("2025-09-17T14:00:00+08:00")
    );
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_04_paused_now_has_no_due_and_no_wake_up() {
    let ticket = PAUSED_TICKET.replace(
        r#",
              {"at":"2025-09-16T13:30:00+08:00","type":"status","status":"in_progress"}"#,
        "",
    );
    let d = decide(&ticket, "2025-09-17T12:00:00+08:00");
    assert_eq!(d.status, "waiting_customer");
    let res = d.sla.resolution.as_ref().expect("resolution");
    assert_eq!(res.status, ClockStatus::Paused);
    assert_eq!(res.due, None);
    assert_eq!(res.remaining.map(|r| r.to_string()).as_deref(), Some("15h"));
    assert_eq!(status(&d.sla.next_response), ClockStatus::Paused);
    assert_eq!(d.next_change_at, None);
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_05_reopened_restarts_with_the_full_target() {
    let d = decide(
        r#"{"id":"S05","created_at":"2025-09-15T09:00:00+08:00","kind":"fault",
            "events":[{"at":"2025-09-15T09:30:00+08:00","type":"first_response"},
                      {"at":"2025-09-15T11:00:00+08:00","type":"resolved"},
                      {"at":"2025-09-16T09:00:00+08:00","type":"reopened"}]}"#,
        "2025-09-17T09:00:00+08:00",
    );
    assert_eq!(d.status, "reopened");
    assert_eq!(due(&d.sla.resolution), "2025-09-19T09:00:00+08:00");
    let res = d.sla.resolution.as_ref().expect("resolution");
    assert_eq!(res.previous_cycles[0].status, ClockStatus::Met);
    // Reopened before any visit: no visit is owed for the first resolution.
    assert_eq!(d.follow_up.as_ref().map(|f| f.status), Some("not_due"));
    assert!(d.sla.follow_up.is_none());
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_06_reopened_continues_with_what_was_left() {
    // Priority low: resolution 4h with on_reopen = "continue". Two hours used in cycle 1.
    let d = decide(
        r#"{"id":"S06","created_at":"2025-09-15T09:00:00+08:00","attributes":{"lane":"continue"},
            "events":[{"at":"2025-09-15T09:30:00+08:00","type":"first_response"},
                      {"at":"2025-09-15T11:00:00+08:00","type":"resolved"},
                      {"at":"2025-09-16T09:00:00+08:00","type":"reopened"}]}"#,
        "2025-09-16T12:00:00+08:00",
    );
    assert_eq!(&*d.priority, "low");
    assert_eq!(due(&d.sla.resolution), "2025-09-16T11:00:00+08:00");
    let res = d.sla.resolution.as_ref().expect("resolution");
    assert_eq!(res.status, ClockStatus::Breached);
    assert_eq!(res.overdue_by.map(|o| o.to_string()).as_deref(), Some("1h"));
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_07_urgent_safety_case_counts_round_the_clock() {
    let d = decide(
        r#"{"id":"S07","created_at":"2025-09-20T20:00:00+08:00","kind":"fault","description":"热水器漏电",
            "attributes":{"safety_hazard":true},
            "events":[{"at":"2025-09-20T21:00:00+08:00","type":"first_response"}]}"#,
        "2025-09-21T22:00:00+08:00",
    );
    assert_eq!(&*d.priority, "urgent");
    assert_eq!(due(&d.sla.first_response), "2025-09-20T22:00:00+08:00");
    assert_eq!(status(&d.sla.first_response), ClockStatus::Met);
    assert_eq!(due(&d.sla.resolution), "2025-09-21T20:00:00+08:00");
    assert_eq!(status(&d.sla.resolution), ClockStatus::Breached);
    let fired: Vec<(&str, bool)> = d
        .escalations
        .iter()
        .filter(|e| e.metric == "resolution")
        .map(|e| (&*e.step, e.fired))
        .collect();
    assert_eq!(fired, [("50%", true), ("100%", true), ("100%+4h", false)]);
    let last = d.escalations.last().expect("steps");
    assert_eq!(
        last.notify.iter().map(|n| &**n).collect::<Vec<_>>(),
        ["tech_supervisor", "service_manager"]
    );
    assert_eq!(
        d.next_change_at.map(|t| t.to_string()).as_deref(),
        Some("2025-09-22T00:00:00+08:00")
    );
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_08_follow_up_visit_missed() {
    let d = decide(
        r#"{"id":"S08","created_at":"2025-09-15T09:00:00+08:00","subject":"保修期多久",
            "events":[{"at":"2025-09-15T09:10:00+08:00","type":"first_response"},
                      {"at":"2025-09-15T10:00:00+08:00","type":"resolved"}]}"#,
        "2025-09-19T09:00:00+08:00",
    );
    assert_eq!(due(&d.sla.follow_up), "2025-09-18T11:30:00+08:00");
    assert_eq!(status(&d.sla.follow_up), ClockStatus::Breached);
    assert_eq!(d.follow_up.as_ref().map(|f| f.status), Some("missed"));
    let visit = d
        .escalations
        .iter()
        .find(|e| e.metric == "follow_up")
        .expect("a follow-up step");
    assert!(visit.fired);
    assert_eq!(
        visit.notify.iter().map(|n| &**n).collect::<Vec<_>>(),
        ["service_center"]
    );
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_09_national_day_is_skipped_and_the_make_up_saturday_counts() {
    let d = decide(
        r#"{"id":"S09","created_at":"2025-09-30T17:00:00+08:00","subject":"预约安装时间"}"#,
        "2025-10-09T12:00:00+08:00",
    );
    // 1 h on Tue 30 Sep, nothing 1–8 Oct, 3 h + 2 h on Thu 9 Oct.
    assert_eq!(due(&d.sla.first_response), "2025-10-09T15:30:00+08:00");
    // 3bd: the same local time on the third working day: Thu 9, Fri 10, Sat 11 (make-up day).
    assert_eq!(due(&d.sla.resolution), "2025-10-11T17:00:00+08:00");
    assert!(
        d.trace.iter().any(|t| t
            .to_string()
            .contains("skipped 2025-10-01..2025-10-08 (holiday)")),
        "{:#?}",
        d.trace
    );
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_10_a_make_up_sunday_is_a_working_day() {
    let d = decide(
        r#"{"id":"S10","created_at":"2025-09-27T10:00:00+08:00","subject":"发票怎么开"}"#,
        "2025-09-28T12:00:00+08:00",
    );
    assert_eq!(due(&d.sla.first_response), "2025-09-28T16:30:00+08:00");
    assert_eq!(status(&d.sla.first_response), ClockStatus::Running);
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_11_a_new_york_team_counts_on_its_own_calendar_across_dst() {
    let d = decide(
        r#"{"id":"S11","created_at":"2025-10-31T16:00:00-04:00","subject":"warranty question",
            "customer":{"region":"us"}}"#,
        "2025-11-03T10:00:00-05:00",
    );
    assert_eq!(d.route.team.as_deref(), Some("us_team"));
    assert_eq!(d.sla.calendar.as_deref(), Some("new_york"));
    // 1 h on Friday (EDT), 5 h on Monday after the clocks went back (EST).
    assert_eq!(due(&d.sla.first_response), "2025-11-03T14:00:00-05:00");
    insta::assert_json_snapshot!(d);
}

#[test]
fn story_12_a_long_wait_for_an_agent_update_breaches_next_response() {
    let d = decide(
        r#"{"id":"S12","created_at":"2025-09-15T09:00:00+08:00","subject":"维修进度查询",
            "events":[{"at":"2025-09-15T10:00:00+08:00","type":"first_response"},
                      {"at":"2025-09-16T10:00:00+08:00","type":"reply"}]}"#,
        "2025-09-17T12:00:00+08:00",
    );
    assert_eq!(due(&d.sla.next_response), "2025-09-17T10:30:00+08:00");
    assert_eq!(status(&d.sla.next_response), ClockStatus::Breached);
    insta::assert_json_snapshot!(d);
}

#[test]
fn events_after_now_are_not_known_yet() {
    let ticket = r#"{"id":"S13","created_at":"2025-09-15T09:00:00+08:00","kind":"fault",
        "events":[{"at":"2025-09-15T09:30:00+08:00","type":"first_response"},
                  {"at":"2025-09-15T11:00:00+08:00","type":"resolved"}]}"#;
    let before = decide(ticket, "2025-09-15T10:00:00+08:00");
    assert_eq!(before.status, "in_progress");
    assert_eq!(status(&before.sla.resolution), ClockStatus::Running);
    let after = decide(ticket, "2025-09-15T12:00:00+08:00");
    assert_eq!(after.status, "resolved");
    assert_eq!(status(&after.sla.resolution), ClockStatus::Met);
}

#[test]
fn escalation_keys_are_stable_across_evaluations() {
    let keys = |now: &str| -> Vec<String> {
        decide(PAUSED_TICKET, now)
            .escalations
            .into_iter()
            .map(|e| e.key.to_string())
            .collect()
    };
    assert_eq!(
        keys("2025-09-16T10:00:00+08:00"),
        keys("2025-09-19T10:00:00+08:00")
    );
}

#[test]
fn impossible_histories_are_errors_naming_the_event() {
    let cases = [
        (
            r#"[{"at":"2025-09-15T10:00:00+08:00","type":"resolved"},{"at":"2025-09-15T11:00:00+08:00","type":"resolved"}]"#,
            "event 2 (`resolved`",
            "resolved twice without a reopen",
        ),
        (
            r#"[{"at":"2025-09-15T10:00:00+08:00","type":"follow_up","score":4}]"#,
            "event 1 (`follow_up`",
            "before the ticket was resolved",
        ),
        (
            r#"[{"at":"2025-09-15T10:00:00+08:00","type":"reopened"}]"#,
            "event 1 (`reopened`",
            "not resolved",
        ),
        (
            r#"[{"at":"2025-09-15T10:00:00+08:00","type":"resolved"},{"at":"2025-09-15T11:00:00+08:00","type":"status","status":"in_progress"}]"#,
            "event 2 (`status`",
            "send `reopened` first",
        ),
        (
            r#"[{"at":"2025-09-15T10:00:00+08:00","type":"resolved"},{"at":"2025-09-15T11:00:00+08:00","type":"follow_up","score":5},{"at":"2025-09-15T12:00:00+08:00","type":"follow_up","score":4}]"#,
            "event 3 (`follow_up`",
            "second follow-up",
        ),
    ];
    for (events, which, why) in cases {
        let json =
            format!(r#"{{"id":"BAD","created_at":"2025-09-15T09:00:00+08:00","events":{events}}}"#);
        let ticket = Ticket::from_json(&json).expect("parses");
        let err = policy()
            .evaluate(&ticket, at("2025-09-20T00:00:00+08:00"))
            .expect_err("an impossible history");
        assert_eq!(err.ticket.as_deref(), Some("BAD"));
        assert!(err.message.contains(which), "{err}");
        assert!(err.message.contains(why), "{err}");
    }
}

#[test]
fn a_priority_change_applies_the_new_targets_from_creation() {
    // The same ticket before and after someone flags a safety hazard: the urgent targets count
    // from creation (round the clock), so the raised ticket is breached at once.
    let base = r#"{"id":"S14","created_at":"2025-09-15T09:00:00+08:00","kind":"fault"ATTR}"#;
    let now = "2025-09-15T12:00:00+08:00";
    let medium = decide(&base.replace("ATTR", ""), now);
    assert_eq!(&*medium.priority, "medium");
    assert_eq!(due(&medium.sla.first_response), "2025-09-15T16:30:00+08:00");
    assert_eq!(status(&medium.sla.first_response), ClockStatus::Running);
    let urgent = decide(
        &base.replace("ATTR", r#","attributes":{"safety_hazard":true}"#),
        now,
    );
    assert_eq!(&*urgent.priority, "urgent");
    assert_eq!(due(&urgent.sla.first_response), "2025-09-15T11:00:00+08:00");
    assert_eq!(status(&urgent.sla.first_response), ClockStatus::Breached);
    assert!(urgent.trace.iter().any(|t| t
        .to_string()
        .starts_with("first_response: target 2h@always (priority urgent)")));
}

#[test]
fn a_business_day_offset_counts_from_where_it_begins() {
    // Friday has 9 business hours, Saturday 3. Due one working day after Friday 09:00, so on
    // Saturday at 09:00; one working day after that is Monday 09:00 (3 hours later), not a
    // Friday-sized day (9 hours, Monday 15:00).
    let policy = Policy::from_toml(
        r#"
        [policy]
        name = "short saturdays"
        calendar = "shop"
        [calendars.shop]
        timezone = "Asia/Shanghai"
        week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
                 thu = ["09:00-18:00"], fri = ["09:00-18:00"], sat = ["09:00-12:00"] }
        [[categories]]
        id = "any"
        default = true
        [priorities]
        order = ["normal"]
        default = "normal"
        [[routes]]
        id = "desk"
        default = true
        department = "desk"
        [departments.desk]
        [sla.targets.normal]
        resolution = "1bd"
        [[escalations]]
        metric = "resolution"
        at = "100%+1bd"
        notify = ["supervisor"]
        "#,
    )
    .expect("valid");
    let ticket = Ticket::from_json(r#"{"id":"S15","created_at":"2025-09-19T09:00:00+08:00"}"#)
        .expect("valid");
    let d = policy
        .evaluate(&ticket, at("2025-09-19T10:00:00+08:00"))
        .expect("decides");
    assert_eq!(due(&d.sla.resolution), "2025-09-20T09:00:00+08:00");
    let step = d.escalations.first().expect("one step");
    assert_eq!(
        step.at.map(|t| t.to_string()).as_deref(),
        Some("2025-09-22T09:00:00+08:00")
    );
}

/// FB202405001 was answered on a holiday, before its clocks' first opening: every clock shows
/// a start no later than its stop.
#[test]
fn a_clock_never_starts_after_it_stops() {
    let d = decide(
        r#"{"id":"S16","created_at":"2024-05-01T09:00:00+08:00","kind":"complaint",
            "events":[{"at":"2024-05-01T10:00:00+08:00","type":"first_response"},
                      {"at":"2024-05-02T16:00:00+08:00","type":"resolved"}]}"#,
        "2024-05-10T12:00:00+08:00",
    );
    for (metric, clock) in d.sla.clocks() {
        if let Some(stop) = clock.stopped_at {
            assert!(clock.started_at <= stop, "{metric}: {clock:?}");
        }
    }
    let first = d
        .sla
        .first_response
        .as_ref()
        .expect("a first-response clock");
    assert_eq!(first.started_at.to_string(), "2024-05-01T09:00:00+08:00");
}
