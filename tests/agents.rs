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
