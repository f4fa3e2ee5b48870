//! Rule coverage on the small fixture policy (tests/fixtures/policy_tests/small.toml: 3
//! categories, 3 priority rules and the default, 3 routes, 3 escalation steps), with the hits
//! counted by hand from its cases file.

use aftercare::testing::{self, CaseFile, Coverage};
use aftercare::Policy;

const DIR: &str = "tests/fixtures/policy_tests";

fn small() -> Policy {
    Policy::from_path(format!("{DIR}/small.toml")).expect("the fixture policy loads")
}

fn cases(only: &[&str]) -> CaseFile {
    let mut file = CaseFile::from_path(format!("{DIR}/small.tests.toml")).expect("reads");
    if !only.is_empty() {
        file.cases
            .retain(|c| only.iter().any(|o| c.name.starts_with(o)));
        assert_eq!(file.cases.len(), only.len());
    }
    file
}

fn hits(c: &Coverage) -> Vec<(&str, &str, usize)> {
    c.entries
        .iter()
        .map(|e| (e.stage, e.rule.as_str(), e.hits))
        .collect()
}

#[test]
fn policy_rules_lists_every_rule_of_every_stage_in_order() {
    let rules = small().rules();
    let ids = |r: &[aftercare::RuleRef]| r.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&rules.categories), ["complaint", "fault", "question"]);
    assert_eq!(
        ids(&rules.priorities),
        ["many-units", "vip", "questions-low", "priorities.default"]
    );
    assert_eq!(ids(&rules.routes), ["repairs", "complaints", "desk"]);
    let steps: Vec<String> = rules.escalations.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        steps,
        [
            "first_response at 100%",
            "resolution at 50%",
            "resolution at 100%+1h"
        ]
    );
    let question = rules.categories.last().expect("a default");
    assert!(question.is_default && !question.has_condition);
    let routes: Vec<&str> = rules.routes.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(routes, ["tech / repair_team", "tech", "desk"]);
}

#[test]
fn a_default_that_also_has_a_condition_is_one_entry() {
    // In the default policy, `consultation` has keywords and is the default category.
    let policy = Policy::from_path("policies/default.toml").expect("loads");
    let categories = policy.rules().categories;
    let consultation: Vec<_> = categories
        .iter()
        .filter(|r| r.id == "consultation")
        .collect();
    assert_eq!(consultation.len(), 1);
    assert!(consultation[0].is_default && consultation[0].has_condition);
}

#[test]
fn the_whole_suite_hits_every_rule() {
    let report = testing::run(&small(), &cases(&[]));
    let coverage = Coverage::of(&small(), &report);
    // By hand: A fault/default/repairs; B complaint/vip/complaints with all three steps
    // fired; C question/many-units/desk; D question/questions-low/desk; E fault/default/
    // repairs with the 50% step fired; F rejected, so it hits nothing.
    assert_eq!(
        hits(&coverage),
        [
            ("category", "complaint", 1),
            ("category", "fault", 2),
            ("category", "question", 2),
            ("priority", "many-units", 1),
            ("priority", "vip", 1),
            ("priority", "questions-low", 1),
            ("priority", "priorities.default", 2),
            ("route", "repairs", 2),
            ("route", "complaints", 1),
            ("route", "desk", 2),
            ("escalation", "first_response at 100%", 1),
            ("escalation", "resolution at 50%", 2),
            ("escalation", "resolution at 100%+1h", 1),
        ]
    );
    assert_eq!(coverage.hit(), 13);
    assert_eq!(coverage.percent(), 100.0);
    assert!(coverage.meets(100.0));
    assert_eq!(coverage.never_hit().count(), 0);
}

#[test]
fn part_of_the_suite_flags_the_rules_never_hit() {
    // Only A (a fault, default priority, repairs, nothing fired) and D (a question, low,
    // desk, nothing fired).
    let report = testing::run(&small(), &cases(&["a broken unit", "a plain question"]));
    assert!(report.is_success(), "{report}");
    let coverage = Coverage::of(&small(), &report);
    let never: Vec<&str> = coverage.never_hit().map(|e| e.rule.as_str()).collect();
    assert_eq!(
        never,
        [
            "complaint",
            "many-units",
            "vip",
            "complaints",
            "first_response at 100%",
            "resolution at 50%",
            "resolution at 100%+1h"
        ]
    );
    assert_eq!(coverage.hit(), 6);
    assert!(coverage.meets(46.0));
    assert!(!coverage.meets(47.0)); // 6 of 13 is 46.15%
    insta::assert_snapshot!(coverage.to_string());
}

#[test]
fn a_rejected_ticket_hits_nothing() {
    let report = testing::run(&small(), &cases(&["a ticket without created_at"]));
    assert!(report.is_success(), "{report}");
    assert_eq!(Coverage::of(&small(), &report).hit(), 0);
}
