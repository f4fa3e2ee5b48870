//! Policy lints: each one with a policy that triggers it and one that does not, their positions,
//! and `aftercare check --deny-warnings`.

use aftercare::{Policy, Severity};

/// A small valid policy with no warnings; `rules` is appended (it may add categories,
/// priority rules, routes, departments and escalations).
const BASE: &str = r#"
[policy]
name = "lints"
calendar = "office"

[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
         thu = ["09:00-18:00"], fri = ["09:00-18:00"] }

[priorities]
order = ["urgent", "normal"]
default = "normal"

[departments.desk]
[departments.tech]

[sla.targets.urgent]
first_response = "1h"
resolution = "8h"
[sla.targets.normal]
first_response = "4h"
resolution = "3bd"
"#;

/// Categories, a priority rule for `urgent` and routes that use both departments.
const STAGES: &str = r#"
[[categories]]
id = "complaint"
when = { kind = "complaint" }
[[categories]]
id = "fault"
when = { kind = "fault" }
[[categories]]
id = "consultation"
default = true

[[priority_rules]]
id = "safety"
priority = "urgent"
when = { "attributes.safety_hazard" = true }

[[routes]]
id = "repairs"
when = { category = ["complaint", "fault"] }
department = "tech"
[[routes]]
id = "questions"
when = { category = "consultation" }
department = "desk"
[[routes]]
id = "fallback"
default = true
department = "desk"
"#;

fn load(extra: &str) -> Policy {
    let text = format!("{BASE}{extra}");
    match Policy::from_toml(&text) {
        Ok(p) => p,
        Err(e) => panic!("the test policy loads:\n{e}\n---\n{text}"),
    }
}

/// `LINE:COL: message` of every warning (the file is `<policy>`; lines count from `BASE`).
fn warnings(extra: &str) -> Vec<String> {
    let policy = load(extra);
    policy
        .warnings()
        .iter()
        .inspect(|d| assert_eq!(d.severity, Severity::Warning))
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect()
}

/// The warnings' messages only.
fn messages(extra: &str) -> Vec<String> {
    load(extra)
        .warnings()
        .iter()
        .map(|d| d.message.clone())
        .collect()
}

/// The line in `BASE + extra` on which `needle` first appears (1-based).
fn line_of(extra: &str, needle: &str) -> usize {
    let text = format!("{BASE}{extra}");
    let at = text.find(needle).expect("the needle is in the text");
    text[..at].matches('\n').count() + 1
}

#[test]
fn the_base_policy_is_clean() {
    assert_eq!(warnings(STAGES), Vec::<String>::new());
}

#[test]
fn the_default_policy_has_no_warnings() {
    let policy = Policy::from_path("policies/default.toml").expect("the default policy loads");
    assert!(
        policy.warnings().is_empty(),
        "{:#?}",
        policy
            .warnings()
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
    );
}

// --- unreachable rules ----------------------------------------------------------------------

#[test]
fn a_rule_after_a_catch_all_is_unreachable() {
    let extra = format!(
        "{STAGES}{}",
        r#"
[[priority_rules]]
id = "everything"
priority = "normal"
when = {}
[[priority_rules]]
id = "vip"
priority = "urgent"
when = { "customer.tier" = "vip" }
"#
    );
    let line = line_of(&extra, r#"id = "vip""#);
    assert_eq!(
        warnings(&extra),
        [format!(
            "{line}:6: priority rule `vip` can never match: `everything` before it matches every ticket"
        )]
    );
    let hint = load(&extra).warnings()[0].hint.clone().unwrap_or_default();
    let earlier = line_of(&extra, r#"id = "everything""#);
    assert!(hint.contains(&format!("(line {earlier})")), "{hint}");
}

#[test]
fn an_always_true_condition_is_a_catch_all() {
    // `id` is on every ticket; a list of every category admits every ticket.
    for when in [
        r#"{ id = { exists = true } }"#,
        r#"{ category = ["complaint", "fault", "consultation"] }"#,
        r#"{ any = [ { kind = "x" }, { not = { id = { exists = false } } } ] }"#,
    ] {
        let extra = format!(
            r#"{STAGES}
[[priority_rules]]
id = "everything"
priority = "normal"
when = {when}
[[priority_rules]]
id = "vip"
priority = "urgent"
when = {{ "customer.tier" = "vip" }}
"#
        );
        assert_eq!(
            messages(&extra),
            ["priority rule `vip` can never match: `everything` before it matches every ticket"],
            "{when}"
        );
    }
}

#[test]
fn a_rule_with_the_same_condition_is_unreachable() {
    // The same tests in another order, and a one-value list written as a value.
    let extra = STAGES.replace(
        "[[routes]]\nid = \"repairs\"",
        r#"[[routes]]
id = "tech-phone"
when = { channel = "phone", category = ["fault"] }
department = "tech"
[[routes]]
id = "tech-phone-again"
when = { category = "fault", channel = "phone" }
department = "desk"
[[routes]]
id = "repairs""#,
    );
    assert_eq!(
        messages(&extra),
        ["route `tech-phone-again` can never match: `tech-phone` before it has the same condition"]
    );
    // After the more general `repairs`, both would be hidden by it.
    let extra = STAGES.replace(
        "[[routes]]\nid = \"fallback\"",
        r#"[[routes]]
id = "tech-phone"
when = { channel = "phone", category = ["fault"] }
department = "tech"
[[routes]]
id = "fallback""#,
    );
    assert_eq!(
        messages(&extra),
        ["route `tech-phone` can never match: `repairs` before it matches every ticket this one matches"]
    );
}

#[test]
fn identical_conditions_are_named_as_such() {
    let extra = format!(
        "{STAGES}{}",
        r#"
[[priority_rules]]
id = "vip"
priority = "urgent"
when = { "customer.tier" = "vip", channel = "phone" }
[[priority_rules]]
id = "vip-again"
priority = "normal"
when = { channel = "phone", "customer.tier" = ["vip"] }
"#
    );
    assert_eq!(
        messages(&extra),
        ["priority rule `vip-again` can never match: `vip` before it has the same condition"]
    );
}

#[test]
fn a_general_rule_before_a_specific_one_hides_it() {
    for (first, second) in [
        (
            r#"{ category = "complaint" }"#,
            r#"{ category = "complaint", "customer.tier" = "vip" }"#,
        ),
        (
            r#"{ "attributes.units" = { gte = 10 } }"#,
            r#"{ "attributes.units" = { gt = 20 } }"#,
        ),
        (
            r#"{ text = { contains_any = ["漏水", "leak"] } }"#,
            r#"{ text = { contains = "严重漏水" } }"#,
        ),
        (
            r#"{ any = [ { kind = "a" }, { kind = "b" } ] }"#,
            r#"{ kind = "b", channel = "web" }"#,
        ),
        (
            r#"{ "customer.region" = { exists = true } }"#,
            r#"{ "customer.region" = ["north", "east"] }"#,
        ),
    ] {
        let extra = format!(
            r#"{STAGES}
[[priority_rules]]
id = "general"
priority = "urgent"
when = {first}
[[priority_rules]]
id = "specific"
priority = "urgent"
when = {second}
"#
        );
        assert_eq!(
            messages(&extra),
            ["priority rule `specific` can never match: `general` before it matches every ticket this one matches"],
            "{first} / {second}"
        );
    }
}

#[test]
fn a_specific_rule_before_a_general_one_is_fine() {
    for (first, second) in [
        (
            r#"{ category = "complaint", "customer.tier" = "vip" }"#,
            r#"{ category = "complaint" }"#,
        ),
        (
            r#"{ "attributes.units" = { gt = 20 } }"#,
            r#"{ "attributes.units" = { gte = 10 } }"#,
        ),
        (
            r#"{ text = { contains = "严重漏水" } }"#,
            r#"{ text = { contains_any = ["漏水", "leak"] } }"#,
        ),
        (r#"{ kind = "b" }"#, r#"{ kind = "c" }"#),
        (
            r#"{ kind = "b" }"#,
            r#"{ any = [ { kind = "b" }, { channel = "web" } ] }"#,
        ),
        (
            r#"{ text = { matches = "a+" } }"#,
            r#"{ text = { matches = "a" } }"#,
        ),
        (r#"{ any = [] }"#, r#"{ kind = "c" }"#),
    ] {
        let extra = format!(
            r#"{STAGES}
[[priority_rules]]
id = "first"
priority = "urgent"
when = {first}
[[priority_rules]]
id = "second"
priority = "urgent"
when = {second}
"#
        );
        assert_eq!(messages(&extra), Vec::<String>::new(), "{first} / {second}");
    }
}

#[test]
fn categories_are_checked_in_file_order_and_the_default_category_is_not_a_catch_all() {
    // The default category without `when` is not tried in order: nothing after it is hidden.
    let extra = STAGES.replace(
        "[[categories]]\nid = \"complaint\"",
        "[[categories]]\nid = \"general\"\ndefault = true\n[[categories]]\nid = \"complaint\"",
    );
    let extra = extra.replace(
        "id = \"consultation\"\ndefault = true",
        "id = \"consultation\"\nwhen = { kind = \"consultation\" }",
    );
    let extra = extra.replace(
        r#"when = { category = "consultation" }"#,
        r#"when = { category = ["consultation", "general"] }"#,
    );
    assert_eq!(messages(&extra), Vec::<String>::new());

    // A category whose condition repeats an earlier one's.
    let extra = STAGES.replace(
        "[[categories]]\nid = \"consultation\"",
        "[[categories]]\nid = \"fault2\"\nwhen = { kind = \"fault\" }\n[[categories]]\nid = \"consultation\"",
    );
    let m = messages(&extra);
    assert!(
        m.contains(
            &"category `fault2` can never match: `fault` before it has the same condition"
                .to_string()
        ),
        "{m:#?}"
    );
}

// --- duplicate ids --------------------------------------------------------------------------

#[test]
fn duplicate_rule_ids_within_a_stage() {
    let extra = format!(
        "{STAGES}{}",
        r#"
[[priority_rules]]
id = "safety"
priority = "urgent"
when = { "attributes.batch_issue" = true }
"#
    );
    let line = line_of(&extra, r#"when = { "attributes.batch_issue""#) - 2;
    assert_eq!(
        warnings(&extra),
        [format!("{line}:6: priority rule id `safety` is used twice")]
    );
    let hint = load(&extra).warnings()[0].hint.clone().unwrap_or_default();
    let first = line_of(&extra, r#"id = "safety""#);
    assert!(
        hint.starts_with(&format!("the first is at line {first};")),
        "{hint}"
    );
}

#[test]
fn the_same_id_in_two_stages_is_fine() {
    // A category, a priority rule and a route may share an id: they are different stages.
    let extra = STAGES
        .replace(r#"id = "safety""#, r#"id = "fault""#)
        .replace(r#"id = "repairs""#, r#"id = "fault""#);
    assert_eq!(messages(&extra), Vec::<String>::new());
}

// --- categories no route takes --------------------------------------------------------------

#[test]
fn a_category_no_route_names_only_reaches_the_default_route() {
    let extra = STAGES.replace(
        r#"when = { category = ["complaint", "fault"] }"#,
        r#"when = { category = "complaint" }"#,
    );
    let line = line_of(&extra, r#"id = "fault""#);
    assert_eq!(
        warnings(&extra),
        [format!(
            "{line}:6: no route takes category `fault`: its tickets always go to the default route `fallback`"
        )]
    );
}

#[test]
fn the_default_category_may_go_to_the_default_route() {
    // "Everything else" to the default route is the natural pairing.
    let extra = STAGES.replace(
        "[[routes]]\nid = \"questions\"\nwhen = { category = \"consultation\" }\ndepartment = \"desk\"\n",
        "",
    );
    assert!(!extra.contains("questions"));
    assert_eq!(messages(&extra), Vec::<String>::new());
    // The same routes with `consultation` no longer the default category.
    let extra = extra
        .replace(
            "id = \"consultation\"\ndefault = true",
            "id = \"consultation\"\nwhen = { kind = \"consultation\" }",
        )
        .replace(
            "[[categories]]\nid = \"complaint\"",
            "[[categories]]\nid = \"other\"\ndefault = true\n[[categories]]\nid = \"complaint\"",
        );
    assert_eq!(
        messages(&extra),
        ["no route takes category `consultation`: its tickets always go to the default route `fallback`"]
    );
}

#[test]
fn a_negated_category_test_admits_the_other_categories() {
    let only_complaints = STAGES.replace(
        r#"when = { category = ["complaint", "fault"] }"#,
        r#"when = { category = "complaint" }"#,
    );
    let extra = only_complaints.replace(
        r#"when = { category = "consultation" }"#,
        r#"when = { not = { category = ["complaint"] } }"#,
    );
    assert_eq!(messages(&extra), Vec::<String>::new());
    let extra = only_complaints.replace(
        r#"when = { category = "consultation" }"#,
        r#"when = { category = { not = "fault" } }"#,
    );
    assert_eq!(
        messages(&extra),
        ["no route takes category `fault`: its tickets always go to the default route `fallback`"]
    );
}

#[test]
fn a_route_that_ignores_the_category_can_take_every_category() {
    // `vip` tests the tier only: a consultation from a VIP customer reaches it.
    let extra = STAGES.replace(
        r#"when = { category = "consultation" }"#,
        r#"when = { "customer.tier" = "vip" }"#,
    );
    assert_eq!(messages(&extra), Vec::<String>::new());
}

#[test]
fn routes_that_do_not_choose_by_category_are_not_judged() {
    let extra = STAGES
        .replace(
            r#"when = { category = ["complaint", "fault"] }"#,
            r#"when = { channel = "phone" }"#,
        )
        .replace(
            r#"when = { category = "consultation" }"#,
            r#"when = { channel = "web" }"#,
        );
    assert_eq!(messages(&extra), Vec::<String>::new());
}

// --- priorities and departments -------------------------------------------------------------

#[test]
fn a_priority_no_rule_gives() {
    let extra = STAGES.replace(r#"priority = "urgent""#, r#"priority = "normal""#);
    let line = line_of(&extra, r#"order = ["urgent""#);
    assert_eq!(
        warnings(&extra),
        [format!("{line}:10: no rule gives priority `urgent`")]
    );
    // The default priority needs no rule.
    assert_eq!(messages(STAGES), Vec::<String>::new());
}

#[test]
fn a_department_no_route_names() {
    let extra = STAGES.replace(r#"department = "tech""#, r#"department = "desk""#);
    let line = line_of(&extra, "[departments.tech]");
    assert_eq!(
        warnings(&extra),
        [format!("{line}:14: department `tech` is never routed to")]
    );
}

// --- escalations ----------------------------------------------------------------------------

fn ladder(steps: &[(&str, &str, &str)]) -> String {
    let mut out = STAGES.to_string();
    for (metric, at, when) in steps {
        out.push_str(&format!(
            "\n[[escalations]]\nmetric = \"{metric}\"\nat = \"{at}\"\nnotify = [\"assignee\"]\n{when}\n"
        ));
    }
    out
}

#[test]
fn escalation_steps_listed_out_of_order() {
    let extra = ladder(&[
        ("resolution", "100%", ""),
        ("resolution", "80%", ""),
        ("resolution", "100%+4h", ""),
        ("resolution", "100%+2h", ""),
    ]);
    let at_80 = line_of(&extra, r#"at = "80%""#);
    let at_2h = line_of(&extra, r#"at = "100%+2h""#);
    assert_eq!(
        warnings(&extra),
        [
            format!("{at_80}:6: escalation step `80%` of `resolution` is listed after `100%`, which fires later"),
            format!("{at_2h}:6: escalation step `100%+2h` of `resolution` is listed after `100%+4h`, which fires later"),
        ]
    );
}

#[test]
fn escalation_steps_in_order_or_on_different_ladders_are_fine() {
    for steps in [
        // In order.
        vec![
            ("resolution", "80%", ""),
            ("resolution", "100%", ""),
            ("resolution", "100%+4h", ""),
        ],
        // Different metrics.
        vec![("resolution", "100%", ""), ("first_response", "80%", "")],
        // Different conditions: two ladders, one per priority.
        vec![
            ("resolution", "100%", r#"when = { priority = "urgent" }"#),
            ("resolution", "80%", r#"when = { priority = "normal" }"#),
        ],
        // Hours against business days: which is later depends on the calendar.
        vec![
            ("resolution", "100%+1bd", ""),
            ("resolution", "100%+4h", ""),
        ],
    ] {
        assert_eq!(messages(&ladder(&steps)), Vec::<String>::new(), "{steps:?}");
    }
}

// --- the command line -----------------------------------------------------------------------

fn check(args: &[&str]) -> (i32, String) {
    let out = crate::support::aftercare()
        .arg("check")
        .args(args)
        .output()
        .expect("aftercare runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_prints_warnings_with_positions_and_hints_and_passes() {
    let (code, stderr) = check(&["tests/fixtures/lints.toml"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn deny_warnings_makes_warnings_fail_the_check() {
    let (code, stderr) = check(&["tests/fixtures/lints.toml", "--deny-warnings"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.ends_with("error: 6 warning(s), denied by --deny-warnings\n"),
        "{stderr}"
    );
    let (code, stderr) = check(&["policies/default.toml", "--deny-warnings"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

// --- codes and `[policy] allow` ---------------------------------------------------------------

/// The catch-all priority rule of `a_rule_after_a_catch_all_is_unreachable`.
const CATCH_ALL: &str = r#"
[[priority_rules]]
id = "everything"
priority = "normal"
when = {}
[[priority_rules]]
id = "vip"
priority = "urgent"
when = { "customer.tier" = "vip" }
"#;

#[test]
fn zero_targets_and_a_zero_escalation_are_warned_about() {
    let text = format!("{BASE}{STAGES}")
        .replacen(r#"resolution = "8h""#, r#"resolution = "0s""#, 1)
        .replacen(r#"first_response = "4h""#, r#"first_response = "0bd""#, 1)
        + "\n[[escalations]]\nmetric = \"resolution\"\nat = \"0%\"\nnotify = [\"assignee\"]\n"
        + "\n[[escalations]]\nmetric = \"resolution\"\nat = \"0%+1h\"\nnotify = [\"assignee\"]\n";
    let policy = load_text(&text);
    let w: Vec<(&str, &str)> = policy
        .warnings()
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(
        w,
        [
            (
                "zero-target",
                "the resolution target of priority `urgent` is `0s`: due as soon as its clock starts"
            ),
            (
                "zero-target",
                "the first_response target of priority `normal` is `0bd`: due as soon as its clock starts"
            ),
            (
                "zero-target",
                "escalation step `0%` of `resolution` fires as soon as the clock starts"
            ),
        ]
    );
    assert!(aftercare::LINT_CODES.contains(&"zero-target"));
    // `allow` silences it.
    let allowed = text.replacen("[policy]\n", "[policy]\nallow = [\"zero-target\"]\n", 1);
    assert!(load_text(&allowed).warnings().is_empty());
}

#[test]
fn every_warning_has_a_lint_code() {
    let policy = load(&format!("{STAGES}{CATCH_ALL}"));
    let codes: Vec<&str> = policy.warnings().iter().map(|d| d.code).collect();
    assert_eq!(codes, ["unreachable-rule"]);
    assert!(codes.iter().all(|c| aftercare::LINT_CODES.contains(c)));
}

#[test]
fn a_policy_allows_a_lint_by_its_code() {
    let text = format!("{BASE}{STAGES}{CATCH_ALL}").replacen(
        "[policy]\n",
        "[policy]\nallow = [\"unreachable-rule\"]\n",
        1,
    );
    let policy = Policy::from_toml(&text).expect("the policy loads");
    assert!(policy.warnings().is_empty(), "{:?}", policy.warnings());
    // Another lint's code leaves this one in place.
    let text = text.replace("unreachable-rule", "duplicate-id");
    let policy = Policy::from_toml(&text).expect("the policy loads");
    assert_eq!(policy.warnings().len(), 1);
}

#[test]
fn an_unknown_lint_code_is_an_error_with_a_suggestion() {
    let text = format!("{BASE}{STAGES}").replacen(
        "[policy]\n",
        "[policy]\nallow = [\"unreachable-rules\"]\n",
        1,
    );
    let e = Policy::from_toml(&text).expect_err("not a lint");
    let d = &e.diagnostics()[0];
    assert_eq!(d.code, "unknown-name");
    assert_eq!(d.message, "`unreachable-rules` is not the code of a lint");
    assert_eq!(d.hint.as_deref(), Some("did you mean `unreachable-rule`?"));
}

// --- declared fields and statuses ----------------------------------------------------------------

#[test]
fn with_declared_fields_a_misspelt_field_is_warned_about() {
    let declare = |extra: &str| {
        format!("{BASE}{STAGES}{extra}").replacen(
            "[policy]\n",
            "[policy]\nfields = [\"attributes.safety_hazard\"]\n",
            1,
        )
    };
    let extra = r#"
[[priority_rules]]
id = "hazard"
priority = "urgent"
when = { "attributes.safety_hazzard" = true }
"#;
    let policy = Policy::from_toml(&declare(extra)).expect("the policy loads");
    let w: Vec<(&str, &str, Option<&str>)> = policy
        .warnings()
        .iter()
        .map(|d| (d.code, d.message.as_str(), d.hint.as_deref()))
        .collect();
    assert_eq!(
        w,
        [(
            "undeclared-field",
            "`attributes.safety_hazzard` is not among the fields the policy declares",
            Some("did you mean `attributes.safety_hazard`? Otherwise add it to [policy] fields")
        )]
    );
    // Without the declaration nothing is known about custom fields, and nothing is said.
    let undeclared = format!("{BASE}{STAGES}{extra}");
    assert!(load_text(&undeclared).warnings().is_empty());
}

#[test]
fn with_declared_statuses_a_misspelt_pause_status_is_warned_about() {
    let text = format!("{BASE}{STAGES}")
        .replacen(
            "[policy]\n",
            "[policy]\nstatuses = [\"waiting_parts\"]\n",
            1,
        )
        .replacen(
            "[sla.targets.urgent]",
            "[sla]\npause_statuses = [\"waiting_part\"]\n\n[sla.targets.urgent]",
            1,
        );
    assert!(text.contains("pause_statuses"), "BASE has an [sla] table");
    let policy = Policy::from_toml(&text).expect("the policy loads");
    let codes: Vec<&str> = policy.warnings().iter().map(|d| d.code).collect();
    assert_eq!(codes, ["undeclared-status"]);
    assert_eq!(
        policy.warnings()[0].hint.as_deref(),
        Some("did you mean `waiting_parts`? Otherwise add it to [policy] statuses")
    );
}

fn load_text(text: &str) -> Policy {
    Policy::from_toml(text).unwrap_or_else(|e| panic!("the test policy loads:\n{e}"))
}
