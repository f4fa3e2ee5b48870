//! Agents' events: transfers, manual priority and category, and what the rules would have
//! chosen. The life stories themselves are policy test cases in tests/fixtures/agents/.

#[test]
fn the_life_stories_under_from_creation() {
    aftercare::testing::assert_cases_pass("tests/fixtures/agents/agents.toml");
}

#[test]
fn the_life_stories_under_from_change() {
    aftercare::testing::assert_cases_pass("tests/fixtures/agents/agents_from_change.toml");
}

#[test]
fn the_life_stories_after_a_hook() {
    aftercare::testing::assert_cases_pass("tests/fixtures/agents/agents_hooks.toml");
}

use aftercare::report::{Granularity, Report};
use aftercare::{diff, Policy, Ticket};

use crate::support::{at, decide, policy, policy_text, ticket};

const AGENTS: &str = "tests/fixtures/agents/agents.toml";

/// TR-1 of agents.tests.toml: a complaint care held 5h30m, then moved to the field team.
const TRANSFERRED: &str = r#"{"id": "TR-1", "created_at": "2025-11-03T09:00:00+08:00", "kind": "complaint",
    "events": [{"at": "2025-11-03T10:00:00+08:00", "type": "first_response"},
               {"at": "2025-11-03T16:00:00+08:00", "type": "assigned", "department": "tech",
                "team": "field_team", "reason": "needs a technician on site"}]}"#;

#[test]
fn the_trace_names_the_event_and_what_the_rules_chose() {
    let d = decide(
        &policy(AGENTS),
        &ticket(TRANSFERRED),
        at("2025-11-04T12:00:00+08:00"),
    );
    let lines: Vec<String> = d.trace.iter().map(|l| l.to_string()).collect();
    let line = |prefix: &str| {
        lines
            .iter()
            .map(|e| e.to_string())
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in {:#?}", d.trace))
    };
    // The rules' own line first, then the agent's.
    assert_eq!(
        line("route care: "),
        "route care: rule `complaints` matched category = \"complaint\""
    );
    assert_eq!(
        line("route tech"),
        "route tech / field_team: assigned by an agent, event 2 (`assigned` at \
         2025-11-03T16:00:00+08:00); the rules chose care (rule `complaints`)"
    );
    let resolution = line("resolution:");
    assert!(
        resolution.contains("on calendar field from 2025-11-03T16:00:00+08:00 (transferred)"),
        "{resolution}"
    );
    // The rules still decided the category and priority.
    assert!(line("category ").starts_with("category complaint: rule `complaint`"));
}

#[test]
fn a_priority_override_is_traced_with_the_rule_it_replaced() {
    let t = ticket(
        r#"{"id": "P", "created_at": "2025-11-03T09:00:00+08:00", "kind": "complaint",
            "customer": {"tier": "vip"},
            "events": [{"at": "2025-11-03T10:00:00+08:00", "type": "priority", "priority": "low"}]}"#,
    );
    let d = decide(&policy(AGENTS), &t, at("2025-11-03T11:00:00+08:00"));
    assert_eq!((&*d.priority, &*d.rules.priority), ("low", "agent"));
    assert!(
        d.trace.iter().any(|l| {
            l
            == "priority low: set by an agent, event 1 (`priority` at 2025-11-03T10:00:00+08:00); \
                the rules chose high (rule `vip-complaint`)"
        }),
        "{:#?}",
        d.trace
    );
    let agents = d.agents.expect("agents acted");
    assert_eq!(&*agents.rules.priority, "vip-complaint");
    let o = agents.overrides.priority.expect("a priority override");
    assert_eq!(
        (&*o.value, &*o.rule, &*o.rules_chose),
        ("low", "vip-complaint", "high")
    );
}

#[test]
fn tickets_without_agents_events_look_as_before() {
    let t = ticket(
        r#"{"id": "N", "created_at": "2025-11-03T09:00:00+08:00", "kind": "complaint",
            "events": [{"at": "2025-11-03T10:00:00+08:00", "type": "first_response"}]}"#,
    );
    let d = decide(&policy(AGENTS), &t, at("2025-11-06T11:00:00+08:00"));
    assert!(d.agents.is_none());
    assert!(d.escalations.iter().all(|e| e.owner.is_none()));
    let json = serde_json::to_string(&d).expect("serializes");
    assert!(
        !json.contains("\"agents\"") && !json.contains("\"owner\""),
        "{json}"
    );
}

#[test]
fn triage_follows_the_agents_too() {
    let p = policy(AGENTS);
    let t = ticket(TRANSFERRED);
    let before = p
        .triage(&t, at("2025-11-03T15:00:00+08:00"))
        .expect("triage");
    assert_eq!(
        (before.department, &*before.rules.route),
        ("care", "complaints")
    );
    let after = p
        .triage(&t, at("2025-11-03T16:00:00+08:00"))
        .expect("triage");
    assert_eq!(
        (after.department, after.team.as_deref()),
        ("tech", Some("field_team"))
    );
    assert_eq!(&*after.rules.route, "agent");
}

#[test]
fn a_reason_never_leaves_and_an_assignee_only_as_given() {
    let secret = "王小明 13800138000";
    let json = format!(
        r#"{{"id": "PD", "created_at": "2025-11-03T09:00:00+08:00", "kind": "complaint",
            "customer": {{"name": "王小明", "contact": "13800138000"}},
            "events": [{{"at": "2025-11-03T10:00:00+08:00", "type": "assigned", "department": "desk",
                         "assignee": "Li Wei", "reason": "{secret} wants a call"}},
                       {{"at": "2025-11-03T11:00:00+08:00", "type": "priority", "priority": "high",
                         "reason": "{secret}"}},
                       {{"at": "2025-11-03T11:30:00+08:00", "type": "category", "category": "fault",
                         "reason": "{secret}"}}]}}"#
    );
    let p = policy(AGENTS);
    let t = ticket(&json);
    let now = at("2025-11-06T11:00:00+08:00");
    let d = decide(&p, &t, now);
    let decision = serde_json::to_string(&d).expect("serializes");
    let explained = p.explain(&t, now).expect("explains");
    let report = Report::build(&p, std::slice::from_ref(&t), now, Granularity::Week);
    for text in [
        decision.clone(),
        explained.to_string(),
        serde_json::to_string(&explained).expect("serializes"),
        report.to_json(),
        report.to_text(),
        report.to_html(),
        format!("{t:?}"),
    ] {
        for s in ["王小明", "13800138000", "wants a call"] {
            assert!(!text.contains(s), "{s} leaked:\n{text}");
        }
    }
    assert_eq!(d.route.assignee.as_deref(), Some("Li Wei"));
    assert!(decision.contains("\"assignee\":\"Li Wei\""));
    // A bad event in the same ticket: the error names the event, never its reason.
    let bad = json.replace("\"department\": \"desk\"", "\"department\": \"nowhere\"");
    let e = p
        .evaluate(&ticket(&bad), now)
        .expect_err("unknown department");
    assert!(e.to_string().contains("event 1 (`assigned`"), "{e}");
    assert!(!e.to_string().contains("13800138000"), "{e}");
}

#[test]
fn reasons_and_assignees_are_bounded_and_must_be_text() {
    let limits = aftercare::Limits {
        max_text_bytes: 8,
        ..Default::default()
    };
    let json = r#"{"id": "L", "created_at": "2025-11-03T09:00:00+08:00",
        "events": [{"at": "2025-11-03T10:00:00+08:00", "type": "priority", "priority": "low",
                    "reason": "far too long a reason"}]}"#;
    let e = Ticket::from_json_with_limits(json, &limits).expect_err("too long");
    assert!(
        e.message
            .contains("`reason` is 21 bytes long; the limit is 8 bytes (max_text_bytes)"),
        "{e}"
    );
    let json = json.replace("\"far too long a reason\"", "13800138000");
    let e = Ticket::from_json(&json).expect_err("a number");
    assert!(
        e.message
            .contains("invalid type: integer, expected a string"),
        "{e}"
    );
    assert!(!e.message.contains("13800138000"), "{e}");
    let json = r#"{"id": "L", "created_at": "2025-11-03T09:00:00+08:00",
        "events": [{"at": "2025-11-03T10:00:00+08:00", "type": "transfer"}]}"#;
    let e = Ticket::from_json(json).expect_err("unknown type");
    assert!(e.message.contains("assigned, priority or category"), "{e}");
}

/// The report's tickets: two transferred, one with its priority lowered, one left alone.
fn report_tickets() -> Vec<Ticket> {
    [
        TRANSFERRED,
        r#"{"id": "ES-1", "created_at": "2025-11-03T09:00:00+08:00", "kind": "complaint",
            "events": [{"at": "2025-11-03T09:30:00+08:00", "type": "first_response"},
                       {"at": "2025-11-04T16:00:00+08:00", "type": "assigned", "department": "desk"}]}"#,
        r#"{"id": "PR-1", "created_at": "2025-11-03T09:00:00+08:00",
            "events": [{"at": "2025-11-03T15:00:00+08:00", "type": "priority", "priority": "low"}]}"#,
        r#"{"id": "N", "created_at": "2025-11-05T09:00:00+08:00"}"#,
    ]
    .iter()
    .map(|j| ticket(j))
    .collect()
}

#[test]
fn the_report_counts_transfers_and_where_agents_overrode_rules() {
    let r = Report::build(
        &policy(AGENTS),
        &report_tickets(),
        at("2025-11-06T11:00:00+08:00"),
        Granularity::Week,
    );
    let k = &r.totals.kpis;
    assert_eq!((k.transfers.count, k.transfers.tickets), (2, 2));
    assert_eq!(k.transfers.share, Some(0.5));
    let pairs: Vec<(&str, u64)> = k
        .transfers
        .by_pair
        .iter()
        .map(|(p, n)| (p.as_str(), *n))
        .collect();
    assert_eq!(pairs, [("care→desk", 1), ("care→tech", 1)]);
    // Held 5h30m (TR-1) and 13h (ES-1); the lower middle by nearest rank.
    assert_eq!(k.transfers.held.median_seconds, Some(5 * 3600 + 1800));
    assert_eq!(k.transfers.held.p90_seconds, Some(13 * 3600));
    assert_eq!(
        (
            k.overrides.category,
            k.overrides.priority,
            k.overrides.route
        ),
        (0, 1, 2)
    );
    let rule = |id: &str| k.overrides.by_rule.get(id).cloned().unwrap_or_default();
    let complaints = rule("route:complaints");
    assert_eq!((complaints.decided, complaints.overridden), (2, 2));
    assert_eq!(complaints.to.get("tech"), Some(&1));
    assert_eq!(complaints.to.get("desk"), Some(&1));
    let desk = rule("route:desk");
    assert_eq!((desk.decided, desk.overridden), (2, 0));
    let default = rule("priority:priorities.default");
    assert_eq!((default.decided, default.overridden), (4, 1));
    assert_eq!(default.to.get("low"), Some(&1));

    let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("JSON");
    assert_eq!(json["totals"]["transfers"]["by_pair"]["care→tech"], 1);
    assert_eq!(json["periods"][0]["transfers"]["count"], 2);
    assert_eq!(
        json["totals"]["overrides"]["by_rule"]["route:complaints"]["overridden"],
        2
    );
    let text = r.to_text();
    assert!(
        text.contains("2 transfers; 2 of 4 tickets transferred at least once (50.0%)"),
        "{text}"
    );
    assert!(text.contains("care → tech"), "{text}");
    assert!(text.contains("route:complaints"), "{text}");
    let html = r.to_html();
    assert!(html.contains("<h2>Transfers and agents</h2>"));
    assert!(html.contains("care → desk"));
}

/// The agents fixture as one text, with an extra route in front of the complaints route:
/// complaints that need someone on site go to the field team.
fn policy_with_onsite_route() -> Policy {
    let common = std::fs::read_to_string("tests/fixtures/agents/common.toml").expect("fixture");
    let onsite = r#"[[routes]]
id = "onsite-complaints"
when = { category = "complaint", "attributes.onsite" = true }
department = "tech"
team = "field_team"
calendar = "field"

[[routes]]
id = "complaints""#;
    let common = common.replacen("[[routes]]\nid = \"complaints\"", onsite, 1);
    policy_text(&format!(
        "[policy]\nname = \"agents fixture v2\"\ncalendar = \"office\"\n{common}\n[sla]\ncalendar = \"office\"\n"
    ))
}

#[test]
fn diff_measures_agreement_with_agents_under_both_policies() {
    let t = |id: &str, onsite: bool, to: Option<&str>| {
        let event = to.map_or(String::new(), |d| {
            format!(r#"{{"at": "2025-11-03T12:00:00+08:00", "type": "assigned", {d}}}"#)
        });
        ticket(&format!(
            r#"{{"id": "{id}", "created_at": "2025-11-03T09:00:00+08:00", "kind": "complaint",
                "attributes": {{"onsite": {onsite}}}, "events": [{event}]}}"#
        ))
    };
    let field = Some(r#""department": "tech", "team": "field_team""#);
    let tickets = [
        t("A", true, field),
        t("B", true, field),
        t("C", false, Some(r#""department": "desk""#)),
        t("D", true, None),
    ];
    let r = diff::diff(
        &policy(AGENTS),
        &policy_with_onsite_route(),
        &tickets,
        at("2025-11-04T12:00:00+08:00"),
    );
    let route = r.agreement.route;
    assert_eq!((route.tickets, route.old, route.new), (3, 0, 2));
    assert_eq!(r.agreement.category.tickets, 0);
    let text = r.to_string();
    assert!(
        text.contains("agreement with agents (route): 0 % → 67 % (3 tickets an agent set)"),
        "{text}"
    );
    // In Chinese as well, through the message catalogue.
    let zh = r.to_text(
        aftercare::i18n::Lang::ZhCn,
        &aftercare::i18n::Labels::default(),
    );
    assert!(
        zh.contains("与人工一致（分派）：0 % → 67 %（人工设定的工单 3 张）"),
        "{zh}"
    );
    let json = serde_json::to_value(&r).expect("JSON");
    assert_eq!(json["agreement"]["route"]["new"], 2);
    assert!(
        (json["agreement"]["route"]["new_share"]
            .as_f64()
            .unwrap_or(0.0)
            - 2.0 / 3.0)
            .abs()
            < 1e-9
    );
}

#[test]
fn explain_counts_each_leg_on_its_own_calendar() {
    let p = policy(AGENTS);
    let why = p
        .explain(&ticket(TRANSFERRED), at("2025-11-04T12:00:00+08:00"))
        .expect("explains");
    let resolution = why
        .clocks
        .iter()
        .find(|c| c.metric == "resolution")
        .expect("a resolution clock");
    // The windows run from creation to the due instant: 24h in all, office hours on Monday
    // until the transfer at 16:00, the field team's hours after it.
    let total: i64 = resolution.windows.iter().map(|w| w.length.0).sum();
    assert_eq!(total, 24 * 3600);
    let spans: Vec<String> = resolution
        .windows
        .iter()
        .map(|w| format!("{}..{}", w.from, w.to))
        .collect();
    assert_eq!(
        spans,
        [
            "2025-11-03T09:00:00+08:00..2025-11-03T12:00:00+08:00",
            "2025-11-03T13:30:00+08:00..2025-11-03T16:00:00+08:00",
            "2025-11-03T16:00:00+08:00..2025-11-03T20:00:00+08:00",
            "2025-11-04T08:00:00+08:00..2025-11-04T20:00:00+08:00",
            "2025-11-05T08:00:00+08:00..2025-11-05T10:30:00+08:00",
        ]
    );
    let route = why
        .stages
        .iter()
        .find(|s| s.stage == "route")
        .expect("a route stage");
    assert_eq!(route.value, "tech / field_team");
    assert_eq!(
        route.because,
        "assigned by an agent, event 2 (`assigned` at 2025-11-03T16:00:00+08:00); the rules chose care (rule `complaints`)"
    );
    let text = why.to_string();
    assert!(
        text.contains("transfer  event 2 at 2025-11-03T16:00:00+08:00: care → tech / field_team, after 5h30m of business time"),
        "{text}"
    );
    assert!(
        text.contains("override  route tech by an agent (event 2 at 2025-11-03T16:00:00+08:00); the rules chose care (rule `complaints`)"),
        "{text}"
    );
}
