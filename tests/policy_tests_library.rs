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
