//! `aftercare test` and `aftercare explain`: exit codes and output.

use std::process::Output;

const DIR: &str = "tests/fixtures/policy_tests";

fn aftercare(args: &[&str]) -> Output {
    crate::support::aftercare()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn last_line(o: &Output) -> String {
    stdout(o).lines().last().unwrap_or_default().to_string()
}

#[test]
fn test_passing_cases_exit_0_and_end_with_the_summary() {
    // By default: small.tests.toml and tests/more.toml (tests/other.toml is for another policy).
    let o = aftercare(&["test", &format!("{DIR}/small.toml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "7 passed, 0 failed\n");
}

#[test]
fn test_failing_cases_exit_1_with_each_failure() {
    let o = aftercare(&[
        "test",
        &format!("{DIR}/small.toml"),
        &format!("{DIR}/small.tests.toml"),
        &format!("{DIR}/failing_cases.toml"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(last_line(&o), "7 passed, 3 failed");
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn test_with_coverage_lists_every_rule() {
    let o = aftercare(&["test", &format!("{DIR}/small.toml"), "--coverage"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(last_line(&o), "7 passed, 0 failed");
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn test_below_the_minimum_coverage_exits_1() {
    // more.toml alone: one complaint, the default priority, the complaints route, and the
    // first-response and 50% steps fired: 5 of 13 rules (38.46%).
    let o = aftercare(&[
        "test",
        &format!("{DIR}/small.toml"),
        &format!("{DIR}/tests/more.toml"),
        "--min-coverage",
        "90",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(last_line(&o), "1 passed, 0 failed");
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn test_at_the_minimum_coverage_exits_0() {
    let o = aftercare(&[
        "test",
        &format!("{DIR}/small.toml"),
        "--min-coverage",
        "100",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn test_a_bad_policy_exits_2() {
    let o = aftercare(&["test", &format!("{DIR}/bad_cases.toml")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error:"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

#[test]
fn test_a_bad_cases_file_exits_2_with_positions() {
    let o = aftercare(&[
        "test",
        &format!("{DIR}/small.toml"),
        &format!("{DIR}/bad_cases.toml"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "tests/fixtures/policy_tests/bad_cases.toml:3:1: error: unknown key `polcy`"
        ),
        "{err}"
    );
    assert_eq!(err.matches(": error: ").count(), 7, "{err}");
}

#[test]
fn test_an_unreadable_cases_file_exits_2() {
    let o = aftercare(&[
        "test",
        &format!("{DIR}/small.toml"),
        &format!("{DIR}/missing.toml"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(
            "tests/fixtures/policy_tests/missing.toml:1:1: error: cannot read cases file"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn test_a_policy_without_cases_exits_2() {
    let o = aftercare(&["test", "tests/fixtures/lifecycle.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no test cases for"), "{}", stderr(&o));
}

#[test]
fn test_cases_written_for_another_policy_run_with_a_warning_when_named() {
    let o = aftercare(&[
        "test",
        &format!("{DIR}/small.toml"),
        &format!("{DIR}/tests/other.toml"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("warning: "), "{}", stderr(&o));
    assert_eq!(last_line(&o), "0 passed, 1 failed");
}

#[test]
fn test_a_bad_min_coverage_is_a_usage_error() {
    let o = aftercare(&[
        "test",
        &format!("{DIR}/small.toml"),
        "--min-coverage",
        "120",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explain_prints_text_and_json() {
    let args = |format: &'static str| {
        aftercare(&[
            "explain",
            "policies/default.toml",
            "tests/fixtures/policy_tests/ticket_national_day.json",
            "--now",
            "2025-10-11T12:00:00+08:00",
            "--lang",
            "en",
            "--format",
            format,
        ])
    };
    let text = args("text");
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(stdout(&text).contains("skipped   2025-10-01..2025-10-08 (holiday)"));
    let json = args("json");
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(value["clocks"][1]["due"], "2025-10-13T11:20:00+08:00");
    for secret in ["李华", "li.hua@example.com", "SO-2025-0930-1", "WM100-0001"] {
        assert!(!stdout(&text).contains(secret) && !stdout(&json).contains(secret));
    }
}

#[test]
fn explain_reads_a_ticket_from_stdin() {
    use std::io::Write;
    let mut child = crate::support::aftercare()
        .args([
            "explain",
            "policies/default.toml",
            "-",
            "--now",
            "2025-10-15T12:00:00+08:00",
            "--lang",
            "en",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"id": "T1", "created_at": "2025-10-15T09:00:00+08:00", "kind": "fault"}"#)
        .expect("writes");
    let o = child.wait_with_output().expect("runs");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("ticket T1 under policy after-sales default"));
}

#[test]
fn explain_a_bad_ticket_exits_1() {
    let o = aftercare(&[
        "explain",
        "policies/default.toml",
        &format!("{DIR}/small.tests.toml"),
        "--now",
        "2025-10-15T12:00:00+08:00",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
}

#[test]
fn explain_an_unreadable_ticket_or_a_bad_policy_exits_2() {
    let o = aftercare(&["explain", "policies/default.toml", "no/such/ticket.json"]);
    assert_eq!(o.status.code(), Some(2));
    let o = aftercare(&[
        "explain",
        &format!("{DIR}/bad_cases.toml"),
        &format!("{DIR}/ticket_paused.json"),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn test_reads_only_regular_files() {
    // A device or a FIFO used to block or read forever.
    let o = aftercare(&["test", &format!("{DIR}/small.toml"), "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}
