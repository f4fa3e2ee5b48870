//! First-match-wins over a rule set, shared by the category, priority and route stages.

use std::sync::Arc;

use crate::compile::RuleSet;
use crate::condition::{Keywords, Scan, Subject};

/// The rule that decided, and the tests that made it match (empty for the default).
pub(crate) struct Outcome<'p, T> {
    pub(crate) rule: &'p Arc<str>,
    pub(crate) outcome: &'p T,
    pub(crate) is_default: bool,
    pub(crate) because: Vec<String>,
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
    for rule in &set.rules {
        if rule.cond.eval(subject, keywords, scan) {
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
    }
    Outcome {
        rule: &set.default.id,
        outcome: &set.default.outcome,
        is_default: true,
        because: Vec::new(),
    }
}

impl<T> Outcome<'_, T> {
    /// `rule X matched a; b` or `no rule matched: default`.
    pub(crate) fn describe(&self) -> String {
        if self.is_default {
            format!("no rule matched, default `{}`", self.rule)
        } else if self.because.is_empty() {
            format!("rule `{}` (no condition)", self.rule)
        } else {
            format!(
                "rule `{}` matched {}",
                self.rule,
                self.because.join(" and ")
            )
        }
    }
}
