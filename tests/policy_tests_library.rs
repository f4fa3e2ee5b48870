//! The one-liner a project puts in its own `cargo test` to run its policy's cases.

#[test]
fn the_default_policy_passes_its_own_cases() {
    aftercare::testing::assert_cases_pass("policies/default.toml");
}

#[test]
fn the_small_fixture_policy_passes_its_own_cases() {
    // small.tests.toml and tests/more.toml; tests/other.toml names another policy and is
    // left out (it would fail).
    aftercare::testing::assert_cases_pass("tests/fixtures/policy_tests/small.toml");
}

#[test]
#[should_panic(expected = "expected: \"complaint\"\n    actual:   \"fault\"")]
fn a_failing_case_panics_with_expected_and_actual() {
    aftercare::testing::assert_cases_pass("tests/fixtures/policy_tests/broken/broken.toml");
}

#[test]
#[should_panic(expected = "0 passed, 1 failed")]
fn the_panic_message_ends_with_the_summary() {
    aftercare::testing::assert_cases_pass("tests/fixtures/policy_tests/broken/broken.toml");
}

#[test]
#[should_panic(expected = "no test cases for")]
fn a_policy_without_cases_panics() {
    aftercare::testing::assert_cases_pass("tests/fixtures/lifecycle.toml");
}

#[test]
fn a_cases_file_is_read_within_its_size_limit() {
    use aftercare::testing::{CaseFile, MAX_CASES_BYTES};
    let path = std::env::temp_dir().join(format!("aftercare-cases-{}.toml", std::process::id()));
    let case = "[[case]]\nname = \"c\"\nnow = \"2025-11-03T11:00:00+08:00\"\n\
                ticket = { id = \"A\", created_at = \"2025-11-03T10:00:00+08:00\" }\n\
                [case.expect]\ncategory = \"fault\"\n";
    let text = case.repeat(3_000);
    std::fs::write(&path, &text).expect("write");
    let limit = text.len() as u64 - 1;
    let e = CaseFile::from_path_within(&path, limit).expect_err("one byte too many");
    assert!(
        e.to_string().contains(&format!("over {limit} bytes")),
        "{e}"
    );
    // Within the limit every case is read, each at its own line.
    let file = CaseFile::from_path_within(&path, limit + 1).expect("within the limit");
    let _ = std::fs::remove_file(&path);
    assert_eq!(file.cases.len(), 3_000);
    let lines: Vec<usize> = file.cases.iter().map(|c| c.line).collect();
    assert_eq!(lines[0], 2);
    assert_eq!(lines[2_999], 2 + 2_999 * 6);
    assert_eq!(MAX_CASES_BYTES, 64 * 1024 * 1024, "as documented");
}
