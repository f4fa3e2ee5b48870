//! Policy validation (contract §2, "Validation"): every kind of problem is reported with file,
//! line, column and a hint. Each test breaks one line of a valid policy and checks the plain
//! `FILE:LINE:COL: error: …` line (`Display`) and, as a snapshot, the rustc-style rendering.

use std::path::{Path, PathBuf};

use aftercare::{Policy, PolicyError, Severity};

/// A valid policy. Tests replace one line of it, so the line numbers below stay true.
const BASE: &str = r#"# top-level keys go here
[policy]
name = "validation"
version = "1"
calendar = "office"

[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-12:00", "13:30-18:00"], tue = ["09:00-18:00"] }
holidays = ["2025-10-01"]
workdays = ["2025-09-28"]

[[categories]]
id = "complaint"
when = { kind = "complaint" }

[[categories]]
id = "consultation"
default = true

[priorities]
order = ["urgent", "normal"]
default = "normal"

[[priority_rules]]
id = "vip"
priority = "urgent"
when = { category = "complaint", "customer.tier" = "vip" }

[[routes]]
id = "complaints"
when = { category = "complaint", priority = "urgent" }
department = "tech"

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
first_response = "2h"
resolution = "24h"

[sla.targets.normal]
first_response = "4h"
resolution = "3bd"

[[escalations]]
metric = "resolution"
at = "80%"
notify = ["assignee"]

[follow_up]
within = "24h"
unsatisfied_at_or_below = 2
"#;

/// `BASE` with lines replaced: `(line, old, new)` checks that 1-based `line` reads `old`.
fn with(replacements: &[(usize, &str, &str)]) -> String {
    let mut lines: Vec<String> = BASE.lines().map(str::to_string).collect();
    for &(n, old, new) in replacements {
        assert_eq!(lines[n - 1], old, "line {n} of BASE");
        lines[n - 1] = new.to_string();
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[track_caller]
fn error_of(text: &str) -> PolicyError {
    match Policy::from_toml(text) {
        Ok(_) => panic!("the policy loaded, but it should not have:\n{text}"),
        Err(e) => e,
    }
}

/// The error of `BASE` with line `n` replaced; asserts that it is the only problem reported.
#[track_caller]
fn only_error(n: usize, old: &str, new: &str) -> PolicyError {
    let e = error_of(&with(&[(n, old, new)]));
    assert_eq!(e.diagnostics().len(), 1, "expected one diagnostic:\n{e}");
    assert_eq!(e.error_count(), 1);
    e
}

#[test]
fn base_policy_is_valid() {
    let p = Policy::from_toml(BASE).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.warnings().is_empty(), "{:?}", p.warnings());
}

#[test]
fn default_policy_loads_without_problems() {
    let p = Policy::from_path("policies/default.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.name(), "after-sales default");
    assert_eq!(p.version(), "2025.10");
    assert!(p.warnings().is_empty(), "{:?}", p.warnings());
}

// ---- syntax and keys ------------------------------------------------------------------------

#[test]
fn toml_syntax_error() {
    let e = error_of(&with(&[(
        3,
        r#"name = "validation""#,
        r#"name = "validation"#,
    )]));
    // The string runs to the end of the line, where the closing quote is missing.
    assert_eq!(
        e.to_string(),
        "<policy>:3:19: error: TOML syntax: invalid basic string, expected `\"`\n  = hint: see https://toml.io for the syntax"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_top_level_key_with_suggestion() {
    let e = only_error(1, "# top-level keys go here", "categorie = []");
    assert_eq!(
        e.to_string(),
        "<policy>:1:1: error: unknown key `categorie` in the policy\n  = hint: did you mean `categories`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_key_in_a_section_with_suggestion() {
    let e = only_error(4, r#"version = "1""#, r#"verison = "1""#);
    assert_eq!(
        e.to_string(),
        "<policy>:4:1: error: unknown key `verison` in `[policy]`\n  = hint: did you mean `version`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_key_in_a_rule() {
    let e = error_of(&with(&[(
        33,
        r#"department = "tech""#,
        r#"departement = "tech""#,
    )]));
    // The misspelt key, and the route that now lacks its department.
    assert_eq!(
        e.to_string(),
        "<policy>:30:1: error: a route needs `department`\n\
         <policy>:33:1: error: unknown key `departement` in a route\n  = hint: did you mean `department`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_field_in_a_condition_with_suggestion() {
    let e = only_error(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { knd = "complaint" }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:15:10: error: unknown field `knd` in condition\n  = hint: did you mean `kind`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_operator_with_suggestion() {
    let e = only_error(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { kind = { contain = "complaint" } }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:15:19: error: unknown key `contain` in the operators for `kind`\n  = hint: did you mean `contains`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn wrong_value_type() {
    let e = only_error(4, r#"version = "1""#, "version = 1");
    assert_eq!(
        e.to_string(),
        "<policy>:4:11: error: `version` must be a string, found an integer"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn wrong_operator_argument_type() {
    let e = only_error(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { "attributes.units" = { gte = "10" } }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:15:39: error: `gte` compares numbers, found a string"
    );
    insta::assert_snapshot!(e.render(false));
}

// ---- durations, windows, time zones, dates -----------------------------------------------------

#[test]
fn bad_duration() {
    let e = only_error(
        53,
        r#"first_response = "4h""#,
        r#"first_response = "4 hours""#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:53:18: error: bad duration `4 hours`: expected e.g. `90m`, `2h`, `1h30m`, `3bd` or `24h@calendar`\n  = hint: units: s, m, h for business time, bd for business days; `@name` counts on another calendar"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn duration_on_an_unknown_calendar() {
    let e = only_error(50, r#"resolution = "24h""#, r#"resolution = "24h@offic""#);
    assert_eq!(
        e.to_string(),
        "<policy>:50:14: error: unknown calendar `offic`\n  = hint: did you mean `office`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn bad_time_window() {
    let e = only_error(
        9,
        r#"week = { mon = ["09:00-12:00", "13:30-18:00"], tue = ["09:00-18:00"] }"#,
        r#"week = { mon = ["09:00-12:00", "13:30-25:00"], tue = ["09:00-18:00"] }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:9:32: error: bad time window `13:30-25:00`: expected `HH:MM-HH:MM` with the end after the start \
         (an end may be `24:00`)\n  = hint: e.g. \"09:00-12:00\"; a window may end at \"24:00\""
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn overlapping_windows() {
    let e = only_error(
        9,
        r#"week = { mon = ["09:00-12:00", "13:30-18:00"], tue = ["09:00-18:00"] }"#,
        r#"week = { mon = ["09:00-12:00", "11:30-18:00"], tue = ["09:00-18:00"] }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:9:32: error: windows `09:00-12:00` and `11:30-18:00` overlap\n  = hint: windows of one day must not overlap; merge them into one"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_time_zone_with_suggestion() {
    let e = only_error(
        8,
        r#"timezone = "Asia/Shanghai""#,
        r#"timezone = "Asia/Shangai""#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:8:12: error: unknown time zone `Asia/Shangai`\n  = hint: did you mean `Asia/Shanghai`? Time zones are IANA names"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn holiday_that_is_also_a_workday() {
    let e = only_error(
        11,
        r#"workdays = ["2025-09-28"]"#,
        r#"workdays = ["2025-10-01"]"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:11:13: error: 2025-10-01 is listed both as a holiday and as a workday\n  = hint: a date is either closed all day or a make-up working day; remove it from one list"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn bad_date() {
    let e = only_error(
        10,
        r#"holidays = ["2025-10-01"]"#,
        r#"holidays = ["2025-13-01"]"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:10:13: error: `2025-13-01` is not a date\n  = hint: write dates as YYYY-MM-DD"
    );
    insta::assert_snapshot!(e.render(false));
}

// ---- references -------------------------------------------------------------------------------

#[test]
fn unknown_calendar_reference() {
    let e = only_error(5, r#"calendar = "office""#, r#"calendar = "ofice""#);
    assert_eq!(
        e.to_string(),
        "<policy>:5:12: error: unknown calendar `ofice`\n  = hint: did you mean `office`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn missing_calendar() {
    // SLA targets and no calendar to count them on.
    let e = only_error(5, r#"calendar = "office""#, "");
    assert_eq!(
        e.to_string(),
        "<policy>:45:1: error: no calendar to count business time on\n  = hint: set `calendar = \"NAME\"` in [sla] or [policy]"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_priority_reference() {
    let e = only_error(27, r#"priority = "urgent""#, r#"priority = "urgnet""#);
    assert_eq!(
        e.to_string(),
        "<policy>:27:12: error: unknown priority `urgnet`\n  = hint: did you mean `urgent`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_default_priority() {
    let e = only_error(23, r#"default = "normal""#, r#"default = "medium""#);
    assert_eq!(
        e.to_string(),
        "<policy>:23:11: error: unknown priority `medium`\n  = hint: defined: urgent, normal"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_department_reference() {
    let e = only_error(33, r#"department = "tech""#, r#"department = "tehc""#);
    assert_eq!(
        e.to_string(),
        "<policy>:33:14: error: unknown department `tehc`\n  = hint: did you mean `tech`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_category_reference() {
    let e = only_error(
        28,
        r#"when = { category = "complaint", "customer.tier" = "vip" }"#,
        r#"when = { category = "complain", "customer.tier" = "vip" }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:28:10: error: unknown category `complain`\n  = hint: did you mean `complaint`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_priority_in_a_route_condition() {
    let e = only_error(
        32,
        r#"when = { category = "complaint", priority = "urgent" }"#,
        r#"when = { category = "complaint", priority = ["urgent", "hihg"] }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:32:34: error: unknown priority `hihg`\n  = hint: defined: urgent, normal"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_category_in_an_escalation_under_not() {
    let e = only_error(
        60,
        "",
        r#"when = { category = { not = ["complaint", "fualt"] } }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:60:10: error: unknown category `fualt`\n  = hint: defined: complaint, consultation"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn priority_without_sla_targets() {
    let e = only_error(
        22,
        r#"order = ["urgent", "normal"]"#,
        r#"order = ["urgent", "normal", "low"]"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:22:30: error: priority `low` has no SLA targets\n  = hint: add [sla.targets.low] with first_response and resolution"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn sla_targets_for_an_unknown_priority() {
    let e = error_of(&with(&[(
        52,
        "[sla.targets.normal]",
        "[sla.targets.norma]",
    )]));
    // `normal` has lost its targets too: two problems, in position order.
    assert_eq!(
        e.to_string(),
        "<policy>:22:20: error: priority `normal` has no SLA targets\n  = hint: add [sla.targets.normal] with first_response and resolution\n\
         <policy>:52:14: error: unknown priority `norma`\n  = hint: did you mean `normal`?"
    );
}

// ---- defaults ----------------------------------------------------------------------------------

#[test]
fn no_default_category() {
    let e = only_error(19, "default = true", r#"when = { kind = "consultation" }"#);
    assert_eq!(
        e.to_string(),
        "<policy>:1:1: error: no default category\n  = hint: mark one [[categories]] entry with `default = true`; it takes tickets no rule matches"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn two_default_categories() {
    let e = only_error(15, r#"when = { kind = "complaint" }"#, "default = true");
    assert_eq!(
        e.to_string(),
        "<policy>:18:6: error: category `consultation` is a second default\n  = hint: exactly one category may have `default = true`"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn no_default_route() {
    let e = only_error(37, "default = true", r#"when = { channel = "phone" }"#);
    assert_eq!(
        e.to_string(),
        "<policy>:1:1: error: no default route\n  = hint: add a [[routes]] entry with `default = true` and a department"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn no_default_priority() {
    let e = only_error(23, r#"default = "normal""#, "");
    assert_eq!(
        e.to_string(),
        "<policy>:21:1: error: no default priority\n  = hint: add default = \"medium\" (one of `order`)"
    );
    insta::assert_snapshot!(e.render(false));
}

// ---- conditions ---------------------------------------------------------------------------------

#[test]
fn invalid_regex() {
    let e = only_error(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { text = { matches = '(退款|refund' } }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:15:29: error: invalid regular expression: unclosed group\n  = hint: the syntax is that of the Rust `regex` crate; add (?i) for case-insensitive matching"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn personal_field_in_a_rule() {
    let e = only_error(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { "customer.contact" = { exists = true } }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:15:10: error: `customer.contact` is personal data and cannot be used in rules\n  = hint: rules may read customer.id, customer.tier, customer.region, product.model and attributes"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn personal_field_in_a_nested_path_table() {
    let e = only_error(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { product = { serial_no = { matches = "^ABC" } } }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:15:22: error: `product.serial_no` is personal data and cannot be used in rules\n  = hint: rules may read customer.id, customer.tier, customer.region, product.model and attributes"
    );
}

#[test]
fn category_in_a_category_rule() {
    let e = only_error(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { category = "complaint" }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:15:10: error: `category` is not known yet while choosing the category\n  = hint: category rules can test the ticket's fields, e.g. `kind` or `text`"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn priority_in_a_priority_rule() {
    let e = only_error(
        28,
        r#"when = { category = "complaint", "customer.tier" = "vip" }"#,
        r#"when = { category = "complaint", priority = "normal" }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:28:34: error: `priority` is not known yet at this stage\n  = hint: `priority` can be tested in routes, SLA rules and escalations"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn empty_keyword() {
    let e = only_error(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { text = { contains_any = ["投诉", ""] } }"#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:15:41: error: an empty keyword matches every text\n  = hint: remove it, or use { exists = true }"
    );
    insta::assert_snapshot!(e.render(false));
}

// ---- escalations and follow-up ----------------------------------------------------------------

#[test]
fn bad_escalation_step() {
    let e = only_error(58, r#"at = "80%""#, r#"at = "eighty""#);
    assert_eq!(
        e.to_string(),
        "<policy>:58:6: error: bad escalation step `eighty`\n  = hint: a share of the target, optionally plus a duration: \"80%\", \"100%\", \"100%+4h\""
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_escalation_metric_with_suggestion() {
    let e = only_error(57, r#"metric = "resolution""#, r#"metric = "resolutoin""#);
    assert_eq!(
        e.to_string(),
        "<policy>:57:10: error: unknown metric `resolutoin`\n  = hint: did you mean `resolution`?"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn follow_up_threshold_out_of_range() {
    let e = only_error(
        63,
        "unsatisfied_at_or_below = 2",
        "unsatisfied_at_or_below = 6",
    );
    assert_eq!(
        e.to_string(),
        "<policy>:63:27: error: `unsatisfied_at_or_below` is 6, outside the 1–5 score scale\n  = hint: scores run from 1 (very unsatisfied) to 5 (very satisfied); 0 disables reopening"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn unknown_on_reopen() {
    let e = only_error(
        46,
        r#"pause_statuses = ["waiting_customer"]"#,
        r#"on_reopen = "resume""#,
    );
    assert_eq!(
        e.to_string(),
        "<policy>:46:13: error: unknown `on_reopen` value `resume`\n  = hint: use \"restart\" (a new cycle with the full target) or \"continue\""
    );
    insta::assert_snapshot!(e.render(false));
}

// ---- files and includes -----------------------------------------------------------------------

const FIXTURES: &str = "tests/fixtures/include";

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

#[test]
fn include_resolves_relative_to_the_including_file() {
    // ok.toml includes calendars/office.toml, which includes ../office.toml.
    let p = Policy::from_path(fixture("ok.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.name(), "include ok");
}

#[test]
fn include_file_missing() {
    let e = Policy::from_path(fixture("missing.toml")).unwrap_err();
    assert_eq!(e.diagnostics().len(), 1, "{e}");
    let line = e.to_string();
    assert!(
        line.starts_with(
            "tests/fixtures/include/missing.toml:1:41: error: \
             cannot read included file `tests/fixtures/include/holidays.toml`: "
        ),
        "{line}"
    );
    assert!(
        line.ends_with("\n  = hint: include paths are relative to the file that includes them"),
        "{line}"
    );
    // The OS error text differs between systems: snapshot the message up to it.
    let rendered = e.render(false);
    let rendered = rendered.replace(
        &e.diagnostics()[0].message,
        "cannot read included file `tests/fixtures/include/holidays.toml`: [os error]",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn include_cycle() {
    let e = Policy::from_path(fixture("cycle_a.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tests/fixtures/include/cycle_b.toml:1:27: error: \
         `tests/fixtures/include/cycle_a.toml` includes itself (an include cycle)\n  = hint: remove one of the includes that lead back to this file"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn include_of_itself() {
    let dir = std::env::temp_dir().join(format!("aftercare-self-include-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("self.toml");
    std::fs::write(
        &path,
        "include = [\"self.toml\"]\n[policy]\nname = \"self\"\n",
    )
    .unwrap();
    let e = Policy::from_path(&path).unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    // The file is not a whole policy either; the cycle is reported at its include.
    let d = e
        .diagnostics()
        .iter()
        .find(|d| d.message.ends_with("includes itself (an include cycle)"))
        .unwrap_or_else(|| panic!("no include cycle reported:\n{e}"));
    assert_eq!((d.line, d.column), (1, 12), "{e}");
    assert_eq!(d.text, "\"self.toml\"");
}

#[test]
fn key_defined_twice_across_include() {
    let e = Policy::from_path(fixture("twice.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tests/fixtures/include/twice.toml:8:1: error: `timezone` is defined twice\n  = hint: an included file and the including file may not set the same key"
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn include_needs_a_file() {
    let e = error_of(&with(&[(
        1,
        "# top-level keys go here",
        r#"include = ["calendars/cn.toml"]"#,
    )]));
    assert_eq!(
        e.to_string(),
        "<policy>:1:12: error: includes need a policy loaded from a file\n  = hint: load the policy with `Policy::from_path`, or give a base folder"
    );
}

#[test]
fn include_from_text_with_a_base_folder() {
    let text = "include = [\"rules.toml\", \"office.toml\"]\n[policy]\nname = \"in\"\ncalendar = \"office\"\n";
    let p = Policy::from_toml_in("inline.toml", text, Path::new(FIXTURES))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.name(), "in");
    // Diagnostics name the text as it was called.
    let e = Policy::from_toml_in(
        "inline.toml",
        &text.replace("office\"\n", "ofice\"\n"),
        Path::new(FIXTURES),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "inline.toml:4:12: error: unknown calendar `ofice`\n  = hint: did you mean `office`?"
    );
}

#[test]
fn unreadable_policy_file() {
    let e = Policy::from_path(fixture("no_such_policy.toml")).unwrap_err();
    assert_eq!(e.error_count(), 1);
    let line = e.to_string();
    assert!(
        line.starts_with(
            "tests/fixtures/include/no_such_policy.toml:1:1: error: cannot read policy file: "
        ),
        "{line}"
    );
}

// ---- several problems at once ---------------------------------------------------------------------

/// Six problems of six kinds, in a file that also has Chinese text before some of them.
const MANY: &str = r#"[policy]
name = "多个错误"
version = "1"
calendar = "office"
colour = "blue"

[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["18:00-09:00"] }

[[categories]]
id = "complaint"
when = { text = { contains_any = ["投诉", "态度差"] }, chanel = "phone" }

[[categories]]
id = "consultation"
default = true

[priorities]
order = ["urgent", "normal"]
default = "normal"

[[priority_rules]]
id = "vip"
priority = "urgnet"
when = { "customer.tier" = "vip" }

[[routes]]
id = "desk"
default = true
department = "desk"

[departments.desk]

[sla.targets.urgent]
first_response = "2 hours"
resolution = "24h"

[sla.targets.normal]
first_response = "4h"
resolution = "3bd"

[follow_up]
within = "24h"
unsatisfied_at_or_below = 9
"#;

#[test]
fn every_problem_is_reported_at_once_in_position_order() {
    let e = error_of(MANY);
    let lines: Vec<String> = e
        .diagnostics()
        .iter()
        .map(|d| match &d.hint {
            Some(h) => format!("{d} (hint: {h})"),
            None => d.to_string(),
        })
        .collect();
    assert_eq!(
        lines,
        [
            "<policy>:5:1: error: unknown key `colour` in `[policy]` \
             (hint: expected one of: name, version, calendar, description, allow, locale, fields, statuses)",
            "<policy>:9:40: error: bad time window `18:00-09:00`: expected `HH:MM-HH:MM` with the end \
             after the start (an end may be `24:00`) (hint: e.g. \"09:00-12:00\"; a window may end at \"24:00\")",
            // Columns count characters, not bytes: the Chinese keywords before it are 5 characters.
            "<policy>:13:51: error: unknown field `chanel` in condition (hint: did you mean `channel`?)",
            "<policy>:25:12: error: unknown priority `urgnet` (hint: did you mean `urgent`?)",
            "<policy>:36:18: error: bad duration `2 hours`: expected e.g. `90m`, `2h`, `1h30m`, `3bd` or \
             `24h@calendar` (hint: units: s, m, h for business time, bd for business days; `@name` counts \
             on another calendar)",
            "<policy>:45:27: error: `unsatisfied_at_or_below` is 9, outside the 1–5 score scale \
             (hint: scores run from 1 (very unsatisfied) to 5 (very satisfied); 0 disables reopening)",
        ]
    );
    assert_eq!(e.error_count(), 6);
    assert!(e
        .diagnostics()
        .iter()
        .all(|d| d.severity == Severity::Error));
    // `Display` is the same lines, each hint on a line of its own.
    let display: Vec<String> = e
        .diagnostics()
        .iter()
        .map(|d| match &d.hint {
            Some(h) => format!("{d}\n  = hint: {h}"),
            None => d.to_string(),
        })
        .collect();
    assert_eq!(e.to_string(), display.join("\n"));
    // Each diagnostic quotes the offending text.
    let texts: Vec<&str> = e.diagnostics().iter().map(|d| d.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "colour",
            "\"18:00-09:00\"",
            "chanel",
            "\"urgnet\"",
            "\"2 hours\"",
            "9"
        ]
    );
    insta::assert_snapshot!(e.render(false));
}

#[test]
fn several_syntax_errors_are_reported_together() {
    let text = "[policy]\nname = \"x\nversion = 1.2.3\n[[categories]]\nid = \"a\"\n";
    let e = error_of(text);
    let lines: Vec<usize> = e.diagnostics().iter().map(|d| d.line).collect();
    assert!(e.error_count() >= 2, "{e}");
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{e}");
    assert!(
        e.diagnostics()
            .iter()
            .all(|d| d.message.starts_with("TOML syntax: ")),
        "{e}"
    );
    assert!(lines.contains(&2) && lines.contains(&3), "{e}");
}

#[test]
fn one_mistake_gives_one_error() {
    // A bad duration inside an escalation step is that step's only error.
    let e = only_error(58, r#"at = "80%""#, r#"at = "80%+2x""#);
    assert!(e.to_string().contains("bad duration `2x`"), "{e}");
    // A step that is not a share at all is reported as a bad step.
    let e = only_error(58, r#"at = "80%""#, r#"at = "soon""#);
    assert!(e.to_string().contains("bad escalation step `soon`"), "{e}");
    // A `default` that is not a boolean: neither "no default" nor "needs `when`" on top.
    let e = only_error(19, "default = true", r#"default = "yes""#);
    assert!(
        e.to_string().contains("`default` must be true or false"),
        "{e}"
    );
    let e = only_error(37, "default = true", "default = 1");
    assert!(
        e.to_string().contains("`default` must be true or false"),
        "{e}"
    );
}

#[test]
fn a_field_path_with_a_stray_space_is_an_error_with_the_fix() {
    let text = with(&[(
        15,
        r#"when = { kind = "complaint" }"#,
        r#"when = { "customer.tier " = "vip" }"#,
    )]);
    let e = error_of(&text);
    let d = &e.diagnostics()[0];
    assert_eq!(d.code, "bad-field");
    assert_eq!(
        d.message,
        "the field `customer.tier ` has a space or an empty part"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `customer.tier`?"));
}

#[test]
fn a_policy_error_debugs_as_it_displays() {
    // `fn main() -> Result<(), PolicyError>` prints the Debug form.
    let e = error_of("[policy]\nname = 1\n");
    assert_eq!(format!("{e:?}"), e.to_string());
}
