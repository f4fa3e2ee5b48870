//! First-match-wins over a rule set, shared by the category, priority and route stages.

use std::sync::Arc;

use crate::compile::{Keywords, Scan, Subject};
use crate::compile::{Rule, RuleSet};
use crate::output::trace::RuleOutcome;

/// The rule that decided, and the tests that made it match (empty for the default).
pub(crate) struct Outcome<'p, T> {
    pub(crate) rule: &'p Arc<str>,
    pub(crate) outcome: &'p T,
    pub(crate) is_default: bool,
    pub(crate) because: Vec<String>,
}

/// The first rule of `set` whose condition holds, if any.
pub(crate) fn first_rule<'p, T>(
    set: &'p RuleSet<T>,
    subject: &Subject<'_>,
    keywords: &Keywords,
    scan: &mut Scan,
) -> Option<&'p Rule<T>> {
    let first = match &set.program {
        Some(program) => program.first_match(subject, keywords, scan),
        None => set
            .rules
            .iter()
            .position(|r| r.cond.eval(subject, keywords, scan)),
    };
    first.and_then(|i| set.rules.get(i))
}

/// The rule that decides and its outcome, without the explanation: the rule that holds first,
/// else the default.
pub(crate) fn decide<'p, T>(
    set: &'p RuleSet<T>,
    subject: &Subject<'_>,
    keywords: &Keywords,
    scan: &mut Scan,
) -> (&'p Arc<str>, &'p T) {
    match first_rule(set, subject, keywords, scan) {
        Some(rule) => (&rule.id, &rule.outcome),
        None => (&set.default.id, &set.default.outcome),
    }
}

/// The first rule of `set` whose condition holds, else the default. Keyword scans found in
/// `scan` are reused and new ones kept for later stages.
pub(crate) fn first_match<'p, T>(
    set: &'p RuleSet<T>,
    subject: &Subject<'_>,
    keywords: &Keywords,
    scan: &mut Scan,
    explain: bool,
) -> Outcome<'p, T> {
    if let Some(rule) = first_rule(set, subject, keywords, scan) {
        let mut because = Vec::new();
        if explain {
            rule.cond.explain(subject, keywords, scan, &mut because);
        }
        return Outcome {
            rule: &rule.id,
            outcome: &rule.outcome,
            is_default: false,
            because,
        };
    }
    Outcome {
        rule: &set.default.id,
        outcome: &set.default.outcome,
        is_default: true,
        because: Vec::new(),
    }
}

impl<T> Outcome<'_, T> {
    /// Which rule decided and why, for the trace.
    pub(crate) fn describe(self) -> RuleOutcome {
        let rule = self.rule.to_string();
        if self.is_default {
            RuleOutcome::Default { rule }
        } else if self.because.is_empty() {
            RuleOutcome::Unconditional { rule }
        } else {
            RuleOutcome::Matched {
                rule,
                because: self.because,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Policy, Ticket};

    /// First match by walking every rule's condition tree: what the flat program must agree with.
    fn walk<'p, T>(
        set: &'p RuleSet<T>,
        subject: &Subject<'_>,
        kw: &Keywords,
        scan: &mut Scan,
    ) -> &'p Arc<str> {
        set.rules
            .iter()
            .find(|r| r.cond.eval(subject, kw, scan))
            .map_or(&set.default.id, |r| &r.id)
    }

    /// Every stage, under every category and priority the earlier stages could give.
    fn agree(inner: &crate::compile::Compiled, ticket: &Ticket) {
        let kw = &inner.keywords;
        let base = Subject {
            ticket,
            category: None,
            priority: None,
        };
        let mut scan = Scan::default();
        let got = first_match(&inner.categories, &base, kw, &mut scan, false).rule;
        assert_eq!(
            got,
            walk(&inner.categories, &base, kw, &mut scan),
            "{}",
            ticket.id
        );
        for (c, category) in inner.category_ids.iter().enumerate() {
            let subject = Subject {
                category: Some((c, category)),
                ..base
            };
            let mut scan = Scan::default();
            let got = first_match(&inner.priority_rules, &subject, kw, &mut scan, false).rule;
            let want = walk(&inner.priority_rules, &subject, kw, &mut scan);
            assert_eq!(got, want, "{} {category}", ticket.id);
            for (p, priority) in inner.priorities.iter().enumerate() {
                let subject = Subject {
                    priority: Some((p, priority)),
                    ..subject
                };
                let mut scan = Scan::default();
                let got = first_match(&inner.routes, &subject, kw, &mut scan, false).rule;
                let want = walk(&inner.routes, &subject, kw, &mut scan);
                assert_eq!(got, want, "{} {category} {priority}", ticket.id);
            }
        }
    }

    #[test]
    fn the_flat_program_finds_the_rule_the_condition_trees_find() {
        let triage = std::fs::read_to_string("benches/policies/triage.toml").unwrap();
        let nested = r#"
            [policy]
            name = "nested"
            [[categories]]
            id = "a"
            when = { any = [ { all = [ { kind = "x" }, { not = { channel = "phone" } } ] },
                             { not = { any = [ { kind = "y" }, { "attributes.safety_hazard" = true } ] } } ] }
            [[categories]]
            id = "b"
            when = { any = [] }
            [[categories]]
            id = "c"
            when = { all = [ { not = { not = { kind = "complaint" } } }, { any = [ { channel = "email" }, { text.contains_any = ["漏电"] } ] } ] }
            [[categories]]
            id = "d"
            default = true
            [priorities]
            order = ["p"]
            default = "p"
            [[routes]]
            id = "r"
            default = true
            department = "desk"
            [departments.desk]
        "#;
        let policies = [
            Policy::from_path("policies/default.toml").unwrap(),
            Policy::from_toml(&triage).unwrap(),
            Policy::from_toml(nested).unwrap(),
        ];
        for policy in &policies {
            let inner = &policy.inner;
            assert!(inner.categories.program.is_some());
            let mut n = 0;
            for kind in [
                "complaint",
                "fault",
                "suggestion",
                "consultation",
                "x",
                "y",
                "",
            ] {
                for channel in ["phone", "email", ""] {
                    for tier in ["vip", ""] {
                        for region in ["north", "east", ""] {
                            for flags in 0..4 {
                                for text in
                                    ["漏电 冒烟", "服务差 投诉", "建议增加功能", "status?", ""]
                                {
                                    n += 1;
                                    let opt = |k: &str, v: &str| {
                                        if v.is_empty() {
                                            String::new()
                                        } else {
                                            format!(r#","{k}":"{v}""#)
                                        }
                                    };
                                    let json = format!(
                                        r#"{{"id":"T{n}","created_at":"2025-10-10T10:00:00+08:00"{}{}{},"customer":{{"x":1{}{}}},"attributes":{{"safety_hazard":{},"batch_issue":{}}}}}"#,
                                        opt("kind", kind),
                                        opt("channel", channel),
                                        opt("subject", text),
                                        opt("tier", tier),
                                        opt("region", region),
                                        flags & 1 == 1,
                                        flags & 2 == 2,
                                    );
                                    agree(inner, &Ticket::from_json(&json).unwrap());
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
