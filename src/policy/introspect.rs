//! What a loaded policy holds, for callers that count or list its rules.

use chrono_tz::Tz;

use crate::i18n::{Labels, Lang};

use super::Policy;
use crate::compile::{RouteTarget, RuleSet};

impl Policy {
    /// Every rule of the policy, stage by stage: what a test suite has to exercise.
    ///
    /// The ids are the ones a [`Decision`](crate::Decision) names in `rules` and in its
    /// escalation keys, so a caller can count which rules its cases reach.
    ///
    /// ```
    /// let policy = aftercare::Policy::from_toml(r#"
    ///     [policy]
    ///     name = "tiny"
    ///     [[categories]]
    ///     id = "fault"
    ///     when = { kind = "fault" }
    ///     [[categories]]
    ///     id = "general"
    ///     default = true
    ///     [priorities]
    ///     order = ["high", "normal"]
    ///     default = "normal"
    ///     [[priority_rules]]
    ///     id = "faults-first"
    ///     priority = "high"
    ///     when = { category = "fault" }
    ///     [[routes]]
    ///     id = "desk"
    ///     default = true
    ///     department = "desk"
    ///     [departments.desk]
    /// "#).unwrap();
    /// let rules = policy.rules();
    /// let ids = |r: &[aftercare::RuleRef]| r.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    /// assert_eq!(ids(&rules.categories), ["fault", "general"]);
    /// assert_eq!(ids(&rules.priorities), ["faults-first", "priorities.default"]);
    /// assert_eq!(ids(&rules.routes), ["desk"]);
    /// assert!(rules.escalations.is_empty());
    /// ```
    pub fn rules(&self) -> PolicyRules {
        let inner = &self.inner;
        let priority = |i: &usize| inner.priorities.get(*i).map_or("?", |p| &**p).to_string();
        let route = |t: &RouteTarget| {
            let dept = inner.departments.get(t.department).map_or("?", |d| &*d.id);
            match &t.team {
                Some(team) => format!("{dept} / {team}"),
                None => dept.to_string(),
            }
        };
        PolicyRules {
            categories: rule_refs(&inner.categories, |c| c.to_string()),
            priorities: rule_refs(&inner.priority_rules, priority),
            routes: rule_refs(&inner.routes, route),
            escalations: inner
                .escalations
                .steps
                .iter()
                .enumerate()
                .map(|(index, s)| StepRef {
                    index,
                    metric: s.metric.name(),
                    at: s.text.to_string(),
                })
                .collect(),
        }
    }
}

/// The rules of a policy, per stage, in the order they are tried. See [`Policy::rules`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct PolicyRules {
    /// Category rules, then the default category (once: a default category that also has a
    /// `when` is one entry, marked both ways).
    pub categories: Vec<RuleRef>,
    /// Priority rules, then `priorities.default`.
    pub priorities: Vec<RuleRef>,
    /// Routes, then the default route (once, like categories).
    pub routes: Vec<RuleRef>,
    /// Escalation steps in file order.
    pub escalations: Vec<StepRef>,
}

/// One rule of a stage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RuleRef {
    /// The id a decision names in `rules` when this rule decides.
    pub id: String,
    /// What it decides: a category, a priority, or `department / team`.
    pub outcome: String,
    /// Whether it applies when no rule matches.
    pub is_default: bool,
    /// Whether it has a `when` (a default may have none).
    pub has_condition: bool,
}

/// One escalation step, named as a person reads it: `metric at`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct StepRef {
    /// Its position among `[[escalations]]`: the last part of an escalation's `key`.
    pub index: usize,
    /// The metric it watches, e.g. `resolution`.
    pub metric: &'static str,
    /// The step as written, e.g. `100%+4h`.
    pub at: String,
}

impl std::fmt::Display for StepRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}", self.metric, self.at)
    }
}

/// The rules of a set in order, with the default last (merged into its rule if it has one).
fn rule_refs<T>(set: &RuleSet<T>, outcome: impl Fn(&T) -> String) -> Vec<RuleRef> {
    let mut out: Vec<RuleRef> = set
        .rules
        .iter()
        .map(|r| RuleRef {
            id: r.id.to_string(),
            outcome: outcome(&r.outcome),
            is_default: r.id == set.default.id,
            has_condition: true,
        })
        .collect();
    if !out.iter().any(|r| r.is_default) {
        out.push(RuleRef {
            id: set.default.id.to_string(),
            outcome: outcome(&set.default.outcome),
            is_default: true,
            has_condition: false,
        });
    }
    out
}

impl Policy {
    /// The time zone report periods are read in: the SLA calendar's, else the policy's default
    /// calendar's, else UTC.
    pub fn report_time_zone(&self) -> Tz {
        let inner = &self.inner;
        inner
            .sla
            .as_ref()
            .map(|s| s.calendar)
            .or(inner.calendar)
            .and_then(|i| inner.calendars.get(i))
            .map_or(Tz::UTC, |(_, c)| c.timezone())
    }

    /// The language of reports and explanations: `[policy] locale`, English when the policy
    /// names none.
    pub fn locale(&self) -> Lang {
        Lang::of(&self.inner)
    }

    /// The files the policy was loaded from: the policy file, its includes, the hook script
    /// and the modules it imports, as their paths were written (empty for a policy from text
    /// without includes). What [`PolicyHandle::watch`](crate::PolicyHandle) reacts to.
    pub fn files(&self) -> &[std::path::PathBuf] {
        &self.inner.files
    }

    /// The `label`s the policy gives its categories, priorities and departments, by id.
    pub fn labels(&self) -> Labels {
        Labels::of(&self.inner)
    }
}
