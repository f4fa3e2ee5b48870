//! The policy-test runner (`aftercare::testing`) on passing and failing suites and on bad
//! cases files. Fixtures: tests/fixtures/policy_tests/ — `small.toml` and its cases, whose
//! instants were worked out by hand on its office calendar.

use aftercare::testing::{self, CaseFile};
use aftercare::Policy;

const DIR: &str = "tests/fixtures/policy_tests";

fn small() -> Policy {
    Policy::from_path(format!("{DIR}/small.toml")).expect("the fixture policy loads")
}

/// Runs cases written inline against the small policy.
fn run_inline(cases: &str) -> testing::TestReport {
    let file = CaseFile::from_toml("inline.toml", cases, None).expect("the cases read");
    testing::run(&small(), &file)
}

#[test]
fn a_passing_suite_prints_only_its_summary() {
    let report = testing::run_cases(&small(), format!("{DIR}/small.tests.toml"))
        .expect("the cases file reads");
    assert_eq!((report.passed(), report.failed()), (6, 0));
    assert!(report.is_success());
    insta::assert_snapshot!(report.to_string());
}

#[test]
fn a_failing_suite_shows_each_field_expected_vs_actual_and_the_deciding_trace() {
    let report = testing::run_cases(&small(), format!("{DIR}/failing_cases.toml"))
        .expect("the cases file reads");
    assert_eq!((report.passed(), report.failed()), (1, 3));
    let failed: Vec<&str> = report.failures().map(|r| r.name.as_str()).collect();
    assert_eq!(
        failed,
        [
            "wrong about the stages and the clock",
            "expects a rejection that does not come",
            "a rejection nobody expected"
        ]
    );
    let wrong = report.failures().next().expect("a failure");
    let paths: Vec<&str> = wrong.mismatches.iter().map(|m| m.path.as_str()).collect();
    // `route.team` was right, so it is not listed.
    assert_eq!(
        paths,
        [
            "category",
            "priority",
            "sla.first_response.due",
            "sla.first_response.dua",
            "escalations.1.fired",
            "escalations.9.fired"
        ]
    );
    let priority = &wrong.mismatches[1];
    assert_eq!(priority.expected, r#""normal""#);
    assert_eq!(priority.actual, r#""urgent""#);
    assert_eq!(
        priority.trace,
        ["priority urgent: rule `many-units` matched attributes.units >= 10 (value 15)"]
    );
    assert!(report.to_string().ends_with("\n1 passed, 3 failed"));
    insta::assert_snapshot!(report.to_string());
}

#[test]
fn a_bad_cases_file_lists_every_problem_with_its_position() {
    let e = CaseFile::from_path(format!("{DIR}/bad_cases.toml")).expect_err("a bad file");
    assert_eq!(e.error_count(), 7);
    insta::assert_snapshot!(e.to_string());
}

#[test]
fn an_unreadable_cases_file_is_an_error_naming_it() {
    let e =
        testing::run_cases(&small(), format!("{DIR}/no_such_file.toml")).expect_err("no such file");
    let text = e.to_string();
    assert!(
        text.starts_with(
            "tests/fixtures/policy_tests/no_such_file.toml:1:1: error: cannot read cases file"
        ),
        "{text}"
    );
}

#[test]
fn a_toml_syntax_error_is_reported_at_its_position() {
    let e = CaseFile::from_toml("cases.toml", "[[case]]\nname = \"x\nnow = 1\n", None)
        .expect_err("bad TOML");
    let first = e.diagnostics().first().expect("a diagnostic");
    assert_eq!((first.file.as_str(), first.line), ("cases.toml", 2));
    assert!(
        first.message.starts_with("TOML syntax"),
        "{}",
        first.message
    );
}

#[test]
fn instants_compare_as_instants_in_any_offset_and_durations_as_amounts() {
    let report = run_inline(
        r#"
        [[case]]
        name = "any offset, TOML date-times, and 90m for 1h30m"
        now = 2025-11-03T10:30:00+08:00
        ticket = { id = "A", created_at = "2025-11-03T10:00:00+08:00", description = "broken" }
        [case.expect]
        "sla.first_response.due" = "2025-11-03T04:00:00Z"
        "sla.resolution.due" = 2025-11-05T03:00:00+01:00
        "sla.first_response.remaining" = "90m"
        "sla.first_response.elapsed" = "1800s"
        "#,
    );
    assert!(report.is_success(), "{report}");
}

#[test]
fn a_table_compares_only_the_keys_it_names() {
    let report = run_inline(
        r#"
        [[case]]
        name = "nested tables and dotted keys"
        now = "2025-11-03T10:30:00+08:00"
        ticket = { id = "A", created_at = "2025-11-03T10:00:00+08:00", description = "broken" }
        [case.expect]
        route = { team = "repair_team" }
        sla.first_response.status = "running"
        "policy" = { name = "small" }
        "escalations.0" = { metric = "first_response", notify = ["assignee", "tech_lead"] }
        "#,
    );
    assert!(report.is_success(), "{report}");
}

#[test]
fn null_matches_a_null_or_left_out_field_but_not_a_misspelt_one() {
    let report = run_inline(
        r#"
        [[case]]
        name = "nulls"
        now = "2025-11-03T10:30:00+08:00"
        ticket = { id = "A", created_at = "2025-11-03T10:00:00+08:00", description = "broken" }
        [case.expect]
        "route.team" = "repair_team"
        "follow_up.due" = "null"
        "sla.first_response.stopped_at" = "null"
        "sla.next_response" = "null"
        "sla.first_response.stoped_at" = "null"
        "#,
    );
    assert_eq!(report.failed(), 1);
    let only = report
        .failures()
        .flat_map(|r| &r.mismatches)
        .collect::<Vec<_>>();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].path, "sla.first_response.stoped_at");
    assert_eq!(
        only[0].actual,
        "(no field `stoped_at` in sla.first_response)"
    );
}

#[test]
fn an_expected_error_matches_by_substring() {
    let report = run_inline(
        r#"
        [[case]]
        name = "an event before creation"
        now = "2025-11-03T10:30:00+08:00"
        ticket = { id = "A", created_at = "2025-11-03T10:00:00+08:00",
                   events = [ { at = "2025-11-03T09:00:00+08:00", type = "resolved" } ] }
        [case.expect]
        error = "is before `created_at`"
        ticket = "A"
        "#,
    );
    assert!(report.is_success(), "{report}");
}

#[test]
fn personal_data_in_a_case_never_shows_in_a_failure() {
    let report = run_inline(
        r#"
        [[case]]
        name = "a wrong expectation"
        now = "2025-11-03T10:30:00+08:00"
        [case.ticket]
        id = "A"
        created_at = "2025-11-03T10:00:00+08:00"
        description = "broken"
        customer = { name = "王小明", contact = "13800000000", tier = "vip" }
        product = { order_no = "SO-123456", serial_no = "SN-987654" }
        [case.expect]
        category = "complaint"
        priority = "low"
        trace = []
        "#,
    );
    assert_eq!(report.failed(), 1);
    let text = report.to_string();
    for secret in ["王小明", "13800000000", "SO-123456", "SN-987654"] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
}

#[test]
fn cases_files_beside_a_policy_are_found_and_those_for_another_policy_left_out() {
    let policy = std::path::Path::new(DIR).join("small.toml");
    let found = testing::default_case_files(&policy);
    let names: Vec<String> = found
        .iter()
        .map(|p| p.strip_prefix(DIR).unwrap_or(p).display().to_string())
        .collect();
    assert_eq!(
        names,
        ["small.tests.toml", "tests/more.toml", "tests/other.toml"]
    );
    let meant: Vec<bool> = found
        .iter()
        .map(|p| CaseFile::from_path(p).expect("reads").is_for(&policy))
        .collect();
    assert_eq!(meant, [true, true, false]);
}

// --- Text models: expected labels and confidences ------------------------------------------

const MODEL_CASES: &str = r#"
[[case]]
name = "a broken screen is damage, surely, and the customer is upset"
now = "2025-10-15T12:00:00+08:00"
ticket = { id = "T1", created_at = "2025-10-15T09:00:00+08:00", description = "屏幕碎了，太差了" }
[case.expect]
category = "damage"
"labels.kind.label" = "damage"
"labels.kind.confidence" = { gte = 0.5 }
"labels.sentiment" = { label = "negative", confidence = { gt = 0.5, lte = 1 } }

[[case]]
name = "too sure, and a model that does not exist"
now = "2025-10-15T12:00:00+08:00"
ticket = { id = "T2", created_at = "2025-10-15T09:00:00+08:00", description = "我要退货" }
[case.expect]
"labels.kind.label" = "return"
"labels.kind.confidence" = { gt = 0.9999 }
"labels.knid.label" = "return"
"#;

#[test]
fn cases_expect_labels_and_confidences_with_an_operator() {
    let (policy, dir) = crate::support::models::policy();
    let file = CaseFile::from_toml("models.toml", MODEL_CASES, None).expect("the cases read");
    let report = testing::run(&policy, &file);
    assert_eq!((report.passed(), report.failed()), (1, 1), "{report}");
    let failed = report.failures().next().expect("one failure");
    let paths: Vec<(&str, &str, &str)> = failed
        .mismatches
        .iter()
        .map(|m| (m.path.as_str(), m.expected.as_str(), m.actual.as_str()))
        .collect();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert_eq!(paths[0].0, "labels.kind.confidence");
    assert_eq!(paths[0].1, r#"{"gt":0.9999}"#);
    assert!(paths[0].2.starts_with("0."), "{paths:?}");
    assert_eq!(
        paths[1],
        (
            "labels.knid.label",
            r#""return""#,
            "(no model `knid`: the policy's models are kind, sentiment; did you mean `kind`?)"
        )
    );
    // The failure shows the model's trace line for the label it is about.
    let mismatch = &failed.mismatches[0];
    assert!(
        mismatch
            .trace
            .iter()
            .any(|l| l.starts_with("model kind: return")),
        "{mismatch:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_case_naming_a_model_of_a_policy_without_models_says_so() {
    let report = run_inline(
        r#"
[[case]]
name = "labels of a policy without models"
now = "2025-10-15T12:00:00+08:00"
ticket = { id = "T1", created_at = "2025-10-15T09:00:00+08:00" }
[case.expect]
"labels.kind.label" = "damage"
"#,
    );
    let failed = report.failures().next().expect("the case fails");
    assert_eq!(
        failed.mismatches[0].actual,
        "(no model `kind`: the policy has no [models])"
    );
}

#[test]
fn aftercare_test_runs_cases_on_labels() {
    let dir = crate::support::models::fixture();
    std::fs::write(
        dir.join("policy.tests.toml"),
        MODEL_CASES
            .split("[[case]]\nname = \"too sure")
            .next()
            .unwrap_or_default(),
    )
    .expect("written");
    let out = crate::support::aftercare()
        .arg("test")
        .arg(dir.join("policy.toml"))
        .output()
        .expect("aftercare runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}
