//! The minimal English policy in policies/examples/ loads without warnings, passes its own test
//! cases with every rule hit, and decides a ticket as its comments say.

use aftercare::testing::{run_cases, Coverage};
use aftercare::{Policy, Ticket};

const POLICY: &str = "policies/examples/minimal-en.toml";

fn policy() -> Policy {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(POLICY);
    Policy::from_path(path).expect("the English policy loads")
}

#[test]
fn loads_without_warnings() {
    let policy = policy();
    assert!(policy.warnings().is_empty(), "{:?}", policy.warnings());
    assert_eq!(policy.name(), "minimal service desk");
}

#[test]
fn passes_its_cases_with_every_rule_hit() {
    let policy = policy();
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies/examples/minimal-en.tests.toml");
    let report = run_cases(&policy, cases).expect("the cases file loads");
    assert!(report.is_success(), "{report}");
    assert_eq!(report.passed(), 8);
    let coverage = Coverage::of(&policy, &report);
    assert!(
        coverage.meets(100.0),
        "{:.1}% of the rules hit",
        coverage.percent()
    );
}

#[test]
fn four_business_hours_from_friday_afternoon_end_on_monday() {
    let ticket = Ticket::from_json(
        r#"{"id": "EN-1", "created_at": "2025-10-17T15:00:00+01:00",
            "description": "The dishwasher is not working."}"#,
    )
    .unwrap();
    let now = "2025-10-17T16:00:00+01:00".parse().unwrap();
    let decision = policy().evaluate(&ticket, now).unwrap();
    assert_eq!(&*decision.category, "fault");
    assert_eq!(&*decision.route.department, "engineering");
    let first = decision.sla.first_response.as_ref().unwrap();
    assert_eq!(first.due.unwrap().to_string(), "2025-10-20T11:00:00+01:00");
}
