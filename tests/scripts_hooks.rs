//! Each hook refines its stage, `()` keeps the declarative result, and the trace says what a
//! hook changed. Bad results are clear per-ticket errors, never panics.

use crate::support::scripts;

use scripts::*;

#[test]
fn classify_changes_the_category() {
    let policy = load(
        r#"
fn classify(ticket) {
    if contains_any(ticket.description, ["refund", "退款"]) { "complaint" } else { () }
}
"#,
    );
    let d = decide(&policy, r#""description": "I want a REFUND now""#);
    assert_eq!(&*d.category, "complaint");
    // The later stages see the script's category.
    assert_eq!(&*d.priority, "high");
    assert_eq!(&*d.route.department, "after_sales_tech");
    assert_eq!(
        script_trace(&d),
        ["script classify: category consultation → complaint"]
    );

    let d = decide(&policy, r#""description": "how do I descale it?""#);
    assert_eq!(&*d.category, "consultation");
    assert_eq!(
        script_trace(&d),
        ["script classify: () keeps category consultation"]
    );
}

#[test]
fn classify_may_read_the_rules_result() {
    let policy = load(
        r#"
fn classify(ticket, decision) {
    if decision.category == "fault" && contains_any(ticket.subject, "again") { "complaint" }
}
"#,
    );
    let d = decide(&policy, r#""kind": "fault", "subject": "Broken again""#);
    assert_eq!(&*d.category, "complaint");
    let d = decide(&policy, r#""kind": "fault", "subject": "Broken""#);
    assert_eq!(&*d.category, "fault");
    assert_eq!(
        script_trace(&d),
        ["script classify: () keeps category fault"]
    );
}

#[test]
fn a_hook_returning_the_same_value_says_so() {
    let policy = load("fn classify(ticket) { \"consultation\" }");
    let d = decide(&policy, "");
    assert_eq!(
        script_trace(&d),
        ["script classify: category consultation (unchanged)"]
    );
}

#[test]
fn prioritise_sees_the_category_and_the_rules_priority() {
    let policy = load(
        r#"
fn prioritise(ticket, decision) {
    if decision.category == "complaint" && get(ticket, "customer.tier", "regular") == "vip" {
        "urgent"
    } else if decision.priority == "medium" && ticket.channel == "web" {
        "low"
    }
}
"#,
    );
    let d = decide(
        &policy,
        r#""kind": "complaint", "customer": {"tier": "vip"}"#,
    );
    assert_eq!(&*d.priority, "urgent");
    assert_eq!(
        script_trace(&d),
        ["script prioritise: priority high → urgent"]
    );
    // The SLA follows the script's priority: urgent answers within 1 business hour.
    let due = d.sla.first_response.as_ref().and_then(|c| c.due).unwrap();
    assert_eq!(due.to_string(), "2025-10-15T11:00:00+08:00");

    let d = decide(&policy, r#""kind": "complaint""#);
    assert_eq!(&*d.priority, "high");
    assert_eq!(
        script_trace(&d),
        ["script prioritise: () keeps priority high"]
    );

    let d = decide(&policy, r#""channel": "web""#);
    assert_eq!(&*d.priority, "low");
}

#[test]
fn route_returns_department_and_team() {
    let policy = load(
        r#"
fn route(ticket, decision) {
    switch ticket.customer?.region {
        "north" => #{ department: "after_sales_tech", team: "north_service_team" },
        "east" => "product_dept",
        _ => ()
    }
}
"#,
    );
    let d = decide(
        &policy,
        r#""kind": "fault", "customer": {"region": "north"}"#,
    );
    assert_eq!(&*d.route.department, "after_sales_tech");
    assert_eq!(d.route.team.as_deref(), Some("north_service_team"));
    assert_eq!(&*d.route.rule, "script");
    assert_eq!(
        script_trace(&d),
        ["script route: route after_sales_tech → after_sales_tech / north_service_team"]
    );

    let d = decide(&policy, r#""customer": {"region": "east"}"#);
    assert_eq!(&*d.route.department, "product_dept");
    assert_eq!(d.route.team, None);
    assert_eq!(
        script_trace(&d),
        ["script route: route customer_center → product_dept"]
    );

    let d = decide(&policy, r#""customer": {"region": "west"}"#);
    assert_eq!(&*d.route.department, "customer_center");
    assert_eq!(&*d.route.rule, "desk");
    assert_eq!(
        script_trace(&d),
        ["script route: () keeps route customer_center"]
    );
}

#[test]
fn route_sees_the_rules_route() {
    let policy = load(
        r#"
fn route(ticket, decision) {
    if decision.department == "after_sales_tech" && decision.priority == "high" {
        #{ department: decision.department, team: "escalation_desk", assignee: "lead_engineer" }
    }
}
"#,
    );
    let d = decide(&policy, r#""kind": "complaint""#);
    assert_eq!(d.route.team.as_deref(), Some("escalation_desk"));
    assert_eq!(d.route.assignee.as_deref(), Some("lead_engineer"));
}

#[test]
fn targets_override_the_sla() {
    let policy = load(
        r#"
fn targets(ticket, decision) {
    if ticket.customer?.tier == "vip" {
        #{ first_response: "30m", resolution: "8h" }
    } else if decision.department == "customer_center" && decision.targets.first_response == "4h" {
        #{ first_response: "2h@always", next_response: () }
    }
}
"#,
    );
    let d = decide(&policy, r#""customer": {"tier": "vip"}"#);
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-15T10:30:00+08:00");
    let res = d.sla.resolution.as_ref().unwrap();
    // Eight business hours from 10:00 run out exactly at closing time.
    assert_eq!(res.due.unwrap().to_string(), "2025-10-15T18:00:00+08:00");
    assert_eq!(
        script_trace(&d),
        ["script targets: first_response 4h → 30m, resolution 48h → 8h"]
    );

    // Round the clock: 2 hours after 10:00 whatever the office hours.
    let d = decide(&policy, "");
    let fr = d.sla.first_response.as_ref().unwrap();
    assert_eq!(fr.due.unwrap().to_string(), "2025-10-15T12:00:00+08:00");
    // The resolution target is untouched; removing an absent target changes nothing.
    assert_eq!(
        d.sla.resolution.as_ref().unwrap().due.unwrap().to_string(),
        "2025-10-22T13:00:00+08:00"
    );
    assert_eq!(
        script_trace(&d),
        ["script targets: first_response 4h → 2h@always"]
    );

    let d = decide(&policy, r#""kind": "fault""#);
    assert_eq!(script_trace(&d), ["script targets: () keeps the targets"]);
}

#[test]
fn targets_may_remove_a_target() {
    let policy = load("fn targets(ticket, decision) { #{ resolution: () } }");
    let d = decide(&policy, "");
    assert!(d.sla.resolution.is_none());
    assert!(d.sla.first_response.is_some());
    assert_eq!(script_trace(&d), ["script targets: resolution 48h → none"]);
}

#[test]
fn all_hooks_in_one_script_in_stage_order() {
    let policy = load(
        r#"
fn classify(ticket) { if ticket.kind == "suggestion" { "complaint" } }
fn prioritise(ticket, decision) { if decision.category == "complaint" { "urgent" } }
fn route(ticket, decision) { if decision.priority == "urgent" { #{ department: "after_sales_tech", team: "hotline" } } }
fn targets(ticket, decision) { if decision.team == "hotline" { #{ first_response: "15m" } } }
"#,
    );
    let d = decide(&policy, r#""kind": "suggestion""#);
    assert_eq!(&*d.category, "complaint");
    assert_eq!(&*d.priority, "urgent");
    assert_eq!(d.route.team.as_deref(), Some("hotline"));
    assert_eq!(
        d.sla
            .first_response
            .as_ref()
            .unwrap()
            .due
            .unwrap()
            .to_string(),
        "2025-10-15T10:15:00+08:00"
    );
    assert_eq!(
        script_trace(&d),
        [
            "script classify: category suggestion → complaint",
            "script prioritise: priority high → urgent",
            "script route: route after_sales_tech → after_sales_tech / hotline",
            "script targets: first_response 1h → 15m",
        ]
    );
}

#[test]
fn hooks_run_without_a_trace() {
    let policy = load("fn prioritise(ticket, decision) { \"low\" }");
    let options = aftercare::EvalOptions { trace: false };
    let d = policy.evaluate_with(&ticket(""), now(), options).unwrap();
    assert_eq!(&*d.priority, "low");
    assert!(d.trace.is_empty());
}

#[test]
fn the_ticket_carries_now_and_no_clock() {
    let policy = load(
        r#"
fn prioritise(ticket, decision) {
    if ticket.now == "2025-10-15T12:00:00+08:00" && ticket.created_at == "2025-10-15T10:00:00+08:00" {
        "low"
    } else {
        throw `now is ${ticket.now}`;
    }
}
"#,
    );
    assert_eq!(&*decide(&policy, "").priority, "low");
}

#[test]
fn business_time_helpers_use_the_policy_calendars() {
    let policy = load(
        r#"
fn prioritise(ticket, decision) {
    // Created while the office is open, and the 2 business hours end the same day.
    let due = add_business(ticket.created_at, "2h");
    if is_open(ticket.created_at) && due == "2025-10-15T12:00:00+08:00" && !is_open("2025-10-18T10:00:00+08:00") {
        "high"
    } else {
        throw `due ${due}`;
    }
}
"#,
    );
    assert_eq!(&*decide(&policy, "").priority, "high");
}

#[test]
fn the_ticket_is_read_only() {
    for (line, expected) in [
        (
            "ticket.kind = \"complaint\";",
            "Cannot modify constant ticket",
        ),
        (
            "ticket.customer.tier = \"vip\";",
            "Cannot modify constant ticket",
        ),
        (
            "ticket.remove(\"kind\");",
            "Non-pure method 'remove' cannot be called on constant",
        ),
    ] {
        let policy = load(&format!(
            "fn classify(ticket) {{\n    {line}\n    \"complaint\"\n}}\n"
        ));
        let err = eval(&policy, "").unwrap_err().to_string();
        assert!(
            err.starts_with("ticket T1: script scripts/hooks.rhai: classify failed: "),
            "{err}"
        );
        assert!(err.contains(expected), "{err}");
        assert!(err.ends_with("(line 2)"), "{err}");
    }
}

#[test]
fn a_copy_of_the_ticket_is_the_hooks_own() {
    let policy = load(
        r#"
fn classify(ticket) {
    let t = ticket;
    t.kind = "complaint";
    t.customer.tier = "vip";
    if t.kind == "complaint" { () }
}
fn prioritise(ticket, decision) {
    if ticket.kind == () && ticket.customer.tier == () { "low" } else { "urgent" }
}
"#,
    );
    let d = decide(&policy, "");
    assert_eq!(&*d.category, "consultation");
    assert_eq!(&*d.priority, "low");
}

#[test]
fn events_and_custom_fields_are_visible() {
    let policy = load(
        r#"
fn prioritise(ticket, decision) {
    let unhappy = ticket.events.filter(|e| e.type == "follow_up" && e.score <= 2);
    if unhappy.len() > 0 && ticket.attributes.affected_units >= 10 && ticket.product.model == "KFR-35GW" {
        "urgent"
    }
}
"#,
    );
    let d = decide(
        &policy,
        r#""product": {"model": "KFR-35GW"}, "attributes": {"affected_units": 12},
           "events": [{"at": "2025-10-15T10:30:00+08:00", "type": "resolved"},
                      {"at": "2025-10-15T11:00:00+08:00", "type": "follow_up", "score": 1}]"#,
    );
    assert_eq!(&*d.priority, "urgent");
}

const PERSONAL: &str = r#""customer": {"name": "王小明", "contact": "13800138000", "tier": "vip"},
    "product": {"model": "KFR-35GW", "order_no": "SO-1", "serial_no": "ABC56"}"#;

#[test]
fn personal_fields_are_not_in_the_script_view() {
    let policy = load(
        r#"
fn prioritise(ticket, decision) {
    let seen = [ticket.customer.name, ticket.customer.contact, ticket.product.order_no, ticket.product.serial_no];
    if seen.all(|v| v == ()) && ticket.customer.tier == "vip" && !ticket.customer.contains("name") { "low" }
}
"#,
    );
    assert_eq!(&*decide(&policy, PERSONAL).priority, "low");
}

#[test]
fn a_policy_may_expose_a_personal_field() {
    let policy = load_keys(
        r#"expose = ["customer.name"]"#,
        r#"
fn prioritise(ticket, decision) {
    if ticket.customer.name == "王小明" && ticket.customer.contact == () { "low" }
}
"#,
    );
    assert_eq!(&*decide(&policy, PERSONAL).priority, "low");
}

#[test]
fn exposed_personal_data_stays_out_of_outputs() {
    let policy = load_keys(
        r#"expose = ["customer.name"]"#,
        r#"
fn prioritise(ticket, decision) { throw `no rule for ${ticket.customer.name}`; }
fn route(ticket, decision) { #{ department: "customer_center", team: ticket.customer.name } }
"#,
    );
    let err = eval(&policy, PERSONAL).unwrap_err().to_string();
    assert!(!err.contains("王小明"), "{err}");
    assert!(
        err.contains(
            "prioritise failed: threw a value (withheld: the script sees personal fields) (line 2)"
        ),
        "{err}"
    );

    let policy = load_keys(
        r#"expose = ["customer.name"]"#,
        r#"fn route(ticket, decision) { #{ department: "customer_center", team: `vip ${ticket.customer.name}` } }"#,
    );
    let err = eval(&policy, PERSONAL).unwrap_err().to_string();
    assert!(!err.contains("王小明"), "{err}");
    assert!(
        err.contains("route returned a team the policy does not write, and it writes none"),
        "{err}"
    );
}

/// Personal values of the leak tests: each is recognisable in any case, with its spaces and
/// dashes removed, and in pieces of five characters.
const NAME: &str = "Qiu Zhixuan";
const CONTACT: &str = "139 7468 2951";
const ORDER: &str = "SO-88314-XK";
const SERIAL: &str = "SN4QX7P2RZ";

fn leaky_ticket() -> String {
    format!(
        r#""kind": "complaint", "customer": {{"name": "{NAME}", "contact": "{CONTACT}", "tier": "vip"}},
           "product": {{"model": "KFR-35GW", "order_no": "{ORDER}", "serial_no": "{SERIAL}"}}"#
    )
}

/// Fails when `text` holds any personal value of [`leaky_ticket`], whole, in another case,
/// without its spaces and dashes, or any five characters of it in a row.
#[track_caller]
fn assert_no_leak(what: &str, text: &str) {
    let haystack: String = text
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    for value in [NAME, CONTACT, ORDER, SERIAL] {
        let compact: Vec<char> = value
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        for piece in compact.windows(5) {
            let piece: String = piece.iter().collect();
            assert!(
                !haystack.contains(&piece),
                "{what} holds `{piece}` of the personal value `{value}`:\n{text}"
            );
        }
    }
}

/// The policy of the script tests with a team and an assignee written in its routes.
fn policy_with_teams(keys: &str, script: &str) -> aftercare::Policy {
    let dir = crate::support::scripts::folder();
    std::fs::write(dir.join("scripts/hooks.rhai"), script).unwrap();
    let text = crate::support::scripts::POLICY
        .replace("{scripts}", keys)
        .replace(
        "department = \"after_sales_tech\"\n",
        "department = \"after_sales_tech\"\nteam = \"north_service_team\"\nassignee = \"li_lei\"\n",
    );
    let policy = aftercare::Policy::from_toml_in("policy.toml", &text, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    policy.unwrap_or_else(|e| panic!("{e}"))
}

/// Every output of one ticket under `script`: the error (on_script_error = "fail"), and the
/// decision, its trace and its explanation (on_script_error = "fallback"). None may hold a
/// personal value or something made from one; returns the error and the trace for checks.
fn outputs_of(script: &str) -> (String, Vec<String>) {
    const EXPOSE: &str = r#"expose = ["customer.name", "customer.contact", "product.order_no", "product.serial_no"]"#;
    let t = ticket(&leaky_ticket());
    let failing = policy_with_teams(EXPOSE, script);
    let err = failing.evaluate(&t, now()).unwrap_err();
    assert_no_leak("the error", &err.to_string());
    assert_no_leak("the error as JSON", &serde_json::to_string(&err).unwrap());

    let keys = format!("{EXPOSE}\non_script_error = \"fallback\"");
    let lenient = policy_with_teams(&keys, script);
    let d = lenient
        .evaluate_with(&t, now(), aftercare::EvalOptions { trace: true })
        .unwrap();
    assert_no_leak("the decision", &serde_json::to_string(&d).unwrap());
    let trace: Vec<String> = d.trace.iter().map(ToString::to_string).collect();
    assert_no_leak("the trace", &trace.join("\n"));
    let explained = lenient.explain(&t, now()).unwrap().to_string();
    assert_no_leak("the explanation", &explained);
    (err.to_string(), script_trace(&d))
}

#[test]
fn a_team_made_from_the_name_is_refused() {
    let (err, trace) = outputs_of(
        "fn route(ticket, decision) {\n    #{ department: \"after_sales_tech\", team: ticket.customer.name.to_lower() }\n}\n",
    );
    assert!(
        err.contains("route returned a team the policy does not write (withheld: the script sees personal fields; such a script may only return one of: north_service_team)"),
        "{err}"
    );
    assert!(trace.iter().any(|l| l.starts_with("warning:")), "{trace:?}");
}

#[test]
fn an_assignee_cut_from_the_serial_number_is_refused() {
    let (err, _) = outputs_of(
        "fn route(ticket, decision) {\n    let who = ticket.product.serial_no.sub_string(2, 5);\n    #{ department: \"after_sales_tech\", assignee: who }\n}\n",
    );
    assert!(
        err.contains("route returned an assignee the policy does not write")
            && err.contains("li_lei, tech_supervisor"),
        "{err}"
    );
}

#[test]
fn a_thrown_contact_number_is_withheld() {
    let (err, _) = outputs_of(
        "fn prioritise(ticket, decision) {\n    let n = ticket.customer.contact.replace(\" \", \"\");\n    throw `call ${n}`;\n}\n",
    );
    assert!(
        err.ends_with(
            "prioritise failed: threw a value (withheld: the script sees personal fields) (line 3)"
        ),
        "{err}"
    );
}

#[test]
fn a_parse_error_on_the_order_number_is_withheld() {
    let (err, _) = outputs_of(
        "fn prioritise(ticket, decision) {\n    let n = parse_int(ticket.product.order_no);\n    if n > 10 { \"urgent\" }\n}\n",
    );
    assert!(
        err.contains("prioritise failed: an arithmetic error, such as text that is not a number (withheld: the script sees personal fields) (line 2)"),
        "{err}"
    );
}

#[test]
fn other_ways_out_are_closed_too() {
    // A duration made from the contact number (seconds), an unknown category, priority or
    // key named after the serial number, an on_reopen of the order number, an index error.
    for script in [
        "fn targets(ticket, decision) {\n    #{ first_response: ticket.customer.contact.replace(\" \", \"\") + \"s\" }\n}\n",
        "fn classify(ticket) {\n    ticket.product.serial_no\n}\n",
        "fn prioritise(ticket, decision) {\n    ticket.product.serial_no.to_lower()\n}\n",
        "fn route(ticket, decision) {\n    let m = #{ department: \"customer_center\" };\n    m[ticket.product.serial_no] = 1;\n    m\n}\n",
        "fn targets(ticket, decision) {\n    #{ on_reopen: ticket.product.order_no }\n}\n",
        "fn targets(ticket, decision) {\n    #{ resolution: ticket.customer.name }\n}\n",
        "fn route(ticket, decision) {\n    #{ department: \"customer_center\", calendar: ticket.customer.name }\n}\n",
        "fn prioritise(ticket, decision) {\n    let f = Fn(ticket.product.serial_no);\n    f.call()\n}\n",
        "fn prioritise(ticket, decision) {\n    ticket.customer.name.sub_string(0, 4).to_upper() + 1\n}\n",
    ] {
        let (err, _) = outputs_of(script);
        assert!(err.contains("withheld"), "{script}: {err}");
    }
    // A duration the policy writes is taken, spelt as the policy spells it.
    let policy = policy_with_teams(
        r#"expose = ["customer.contact"]"#,
        "fn targets(ticket, decision) {\n    if ticket.customer.contact != () { #{ first_response: \"60m\" } }\n}\n",
    );
    let d = policy
        .evaluate_with(
            &ticket(&leaky_ticket()),
            now(),
            aftercare::EvalOptions { trace: true },
        )
        .unwrap();
    assert_eq!(script_trace(&d), ["script targets: first_response 2h → 1h"]);
}

#[test]
fn unknown_category() {
    let policy = load("fn classify(ticket) {\n    \"complain\"\n}\n");
    let err = eval(&policy, "").unwrap_err();
    assert_eq!(err.ticket.as_deref(), Some("T1"));
    assert_eq!(
        err.message,
        r#"script scripts/hooks.rhai: classify returned unknown category "complain" (did you mean "complaint"?) (line 2)"#
    );
}

#[test]
fn unknown_priority() {
    let policy = load(
        "// VIP lane\n\nfn prioritise(ticket, decision) {\n    if ticket.customer?.tier == \"vip\" {\n        return \"urgnt\";\n    }\n    ()\n}\n",
    );
    let err = eval(&policy, r#""customer": {"tier": "vip"}"#).unwrap_err();
    assert_eq!(
        err.message,
        r#"script scripts/hooks.rhai: prioritise returned unknown priority "urgnt" (did you mean "urgent"?) (line 5)"#
    );
}

#[test]
fn unknown_department() {
    let policy =
        load("fn route(ticket, decision) {\n    let d = \"sales\";\n    #{ department: d }\n}\n");
    let err = eval(&policy, "").unwrap_err();
    assert_eq!(
        err.message,
        r#"script scripts/hooks.rhai: route returned unknown department "sales" (known: after_sales_tech, customer_center, product_dept) (line 2)"#
    );

    // A value the script computes has no literal to point at: the hook's line is named.
    let policy =
        load("fn route(ticket, decision) {\n    #{ department: \"dept_\" + ticket.id }\n}\n");
    let err = eval(&policy, "").unwrap_err();
    assert!(err.message.ends_with("(hook at line 1)"), "{}", err.message);
}

#[test]
fn unusable_results() {
    let cases = [
        (
            "fn classify(ticket) { 42 }",
            "classify returned i64 where a category id (a string) or () was expected",
        ),
        (
            "fn prioritise(ticket, decision) { [\"urgent\"] }",
            "prioritise returned array where a priority id (a string) or () was expected",
        ),
        (
            "fn route(ticket, decision) { #{ team: \"x\" } }",
            "route returned a route without `department`",
        ),
        (
            "fn route(ticket, decision) { #{ department: \"customer_center\", tema: \"x\" } }",
            "route returned unknown key `tema`",
        ),
        (
            "fn targets(ticket, decision) { #{ first_response: \"1 hour\" } }",
            "targets returned a bad `first_response`: bad duration `1 hour`",
        ),
        (
            "fn targets(ticket, decision) { #{ first_response: \"1h@moon\" } }",
            "targets returned unknown calendar \"moon\"",
        ),
        (
            "fn targets(ticket, decision) { #{ first_response: 3600 } }",
            "targets returned i64 for `first_response` where a duration such as \"4h\" was expected",
        ),
        (
            "fn targets(ticket, decision) { \"1h\" }",
            "targets returned string where a map such as #{first_response: \"1h\"} or () was expected",
        ),
    ];
    for (script, expected) in cases {
        let err = eval(&load(script), "").unwrap_err().to_string();
        assert!(
            err.contains(expected),
            "{script}\n  expected: {expected}\n  got: {err}"
        );
        assert!(err.contains("script scripts/hooks.rhai: "), "{err}");
    }
}

#[test]
fn runtime_error_fails_the_ticket_with_script_hook_and_line() {
    let policy = load("fn route(ticket, decision) {\n    let x = 1;\n    x.no_such_method()\n}\n");
    let err = eval(&policy, "").unwrap_err().to_string();
    assert_eq!(
        err,
        "ticket T1: script scripts/hooks.rhai: route failed: Function not found: no_such_method (i64) (line 3)"
    );
}

#[test]
fn fallback_keeps_the_rules_result_and_warns() {
    let script = "fn route(ticket, decision) {\n    throw \"no route for this\";\n}\nfn prioritise(ticket, decision) { \"urgnt\" }\n";
    let fail = load(script);
    assert!(eval(&fail, "").is_err());

    let fallback = load_keys(r#"on_script_error = "fallback""#, script);
    let d = decide(&fallback, r#""kind": "fault""#);
    assert_eq!(&*d.priority, "medium");
    assert_eq!(&*d.route.department, "after_sales_tech");
    assert_eq!(&*d.route.rule, "tech");
    assert_eq!(
        script_trace(&d),
        [
            "warning: script scripts/hooks.rhai: prioritise returned unknown priority \"urgnt\" (did you mean \"urgent\"?) (line 4); kept priority medium",
            "warning: script scripts/hooks.rhai: route failed: threw no route for this (line 2); kept route after_sales_tech",
        ]
    );
}

#[test]
fn exit_returns_a_value() {
    let policy = load("fn prioritise(ticket, decision) { exit(\"low\"); \"urgent\" }");
    assert_eq!(&*decide(&policy, "").priority, "low");
}

#[test]
fn no_eval_at_run_time() {
    let policy =
        load("fn prioritise(ticket, decision) { call(Fn(\"ev\" + \"al\"), \"\\\"low\\\"\") }");
    let err = eval(&policy, "").unwrap_err().to_string();
    assert!(err.contains("prioritise failed"), "{err}");
    assert!(err.contains("'eval' is a reserved keyword"), "{err}");
}

#[test]
fn print_and_debug_are_silent() {
    let policy =
        load("fn prioritise(ticket, decision) { print(ticket.id); debug(ticket); \"low\" }");
    assert_eq!(&*decide(&policy, "").priority, "low");
}

#[test]
fn top_level_constants_are_available_to_hooks() {
    let policy = load(
        r#"
const LANE = ["vip", "loyal"];
fn prioritise(ticket, decision) { if global::LANE.contains(ticket.customer?.tier) { "high" } }
"#,
    );
    assert_eq!(
        &*decide(&policy, r#""customer": {"tier": "loyal"}"#).priority,
        "high"
    );
}

#[test]
fn imports_from_the_policy_folder() {
    let policy = load_with(
        "",
        &[
            (
                "scripts/hooks.rhai",
                "import \"words\" as words;\nfn classify(ticket) { if words::angry(ticket.description) { \"complaint\" } }\n",
            ),
            (
                "scripts/words.rhai",
                "import \"../shared/list\" as list;\nfn angry(text) { contains_any(text, list::ANGRY) }\n",
            ),
            ("shared/list.rhai", "export const ANGRY = [\"furious\", \"非常不满\"];\n"),
        ],
    )
    .unwrap();
    let d = decide(&policy, r#""description": "I am FURIOUS""#);
    assert_eq!(&*d.category, "complaint");
}

#[test]
fn a_policy_evaluates_on_many_threads() {
    let policy = load(
        "fn prioritise(ticket, decision) { if ticket.customer?.tier == \"vip\" { \"urgent\" } else { \"low\" } }",
    );
    let tickets: Vec<_> = (0..300)
        .map(|i| {
            let tier = if i % 3 == 0 { "vip" } else { "regular" };
            aftercare::Ticket::from_json(&format!(
                r#"{{"id": "T{i}", "created_at": "2025-10-15T10:00:00+08:00", "customer": {{"tier": "{tier}"}}}}"#
            ))
            .unwrap()
        })
        .collect();
    let results = policy.evaluate_batch(&tickets, now(), aftercare::EvalOptions::default());
    for (i, r) in results.iter().enumerate() {
        let expected = if i % 3 == 0 { "urgent" } else { "low" };
        assert_eq!(&*r.as_ref().unwrap().priority, expected);
    }
}
