//! The integration tests, one module per area, in one binary (one link, one run).

mod support;

mod business_time_cases;
mod business_time_differential;
mod business_time_props;
mod cli;
mod cli_bad_input;
mod conditions;
mod diff;
mod evaluate;
mod fuzz_regressions;
mod jsonl;
mod lifecycle;
mod limits;
mod lints;
mod next_change;
mod personal_data;
mod policy_tests_cli;
mod policy_tests_coverage;
mod policy_tests_explain;
mod policy_tests_library;
mod policy_tests_runner;
mod reload;
mod report;
mod report_cli;
mod schema;
mod scripts_diagnostics;
mod scripts_examples;
mod scripts_hooks;
mod scripts_sandbox;
mod thread_safety;
mod triage;
mod validation;
mod zh_tickets;
