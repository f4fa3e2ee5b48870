//! Validated model → compiled policy: calendars built, conditions compiled, every name
//! resolved to an index. What evaluation reads is only what this module prepares; the script
//! hooks are compiled beside it (`crate::script`) and joined to it in `crate::policy`.

mod condition;
mod keywords;
mod program;

pub(crate) use condition::{Cond, Subject};
pub(crate) use keywords::{Keywords, Scan};
pub(crate) use program::Program;

use std::sync::Arc;

use crate::business_time::{Amount, Calendar};
use crate::check::{Metric, Model, OnPriorityChange, OnReopen};
use crate::limits::Limits;
use crate::source::{Diagnostic, Sink, Span};
use condition::Compiler;

/// A compiled policy: what evaluation and the script hooks read.
pub(crate) struct Compiled {
    pub(crate) name: Arc<str>,
    pub(crate) version: Arc<str>,
    pub(crate) calendars: Vec<(Arc<str>, Calendar)>,
    /// `[policy] calendar`, the default for business time.
    pub(crate) calendar: Option<usize>,
    /// The keyword automata of every stage's conditions.
    pub(crate) keywords: Keywords,
    pub(crate) categories: RuleSet<CategoryId>,
    /// Every category id, in policy order (the index of a [`CategoryId`]).
    pub(crate) category_ids: Vec<Arc<str>>,
    pub(crate) priorities: Vec<Arc<str>>,
    pub(crate) priority_rules: RuleSet<usize>,
    pub(crate) routes: RuleSet<RouteTarget>,
    pub(crate) departments: Vec<Department>,
    pub(crate) sla: Option<Sla>,
    pub(crate) escalations: Escalations,
    pub(crate) follow_up: Option<FollowUp>,
    pub(crate) warnings: Vec<Diagnostic>,
    /// The limits it was loaded with; they also bound the tickets read by `evaluate_json*`.
    pub(crate) limits: Limits,
    /// Whether evaluation needs the agent updates of a ticket's history: only `next_response`
    /// reads them, set in the policy or by a `targets` hook (added when the policy loads).
    pub(crate) tracks_updates: bool,
    /// `[limits]` of the policy: ticket limits that replace the loader's.
    pub(crate) limit_overrides: Vec<(&'static str, usize)>,
    /// `[policy] locale`, checked: `en` or `zh-CN`.
    pub(crate) locale: Option<Arc<str>>,
    /// The `label`s of categories, priorities and departments.
    pub(crate) labels: crate::check::Labels,
}

/// First-match-wins rules with a default outcome.
pub(crate) struct RuleSet<T> {
    pub(crate) rules: Vec<Rule<T>>,
    pub(crate) default: Default<T>,
    /// The rules' conditions as one flat program, for finding the first match fast.
    pub(crate) program: Option<Program>,
}

impl<T> RuleSet<T> {
    fn new(rules: Vec<Rule<T>>, default: Default<T>) -> RuleSet<T> {
        RuleSet {
            program: Program::build(rules.iter().map(|r| &r.cond)),
            rules,
            default,
        }
    }
}

/// The outcome when no rule matches.
pub(crate) struct Default<T> {
    pub(crate) id: Arc<str>,
    pub(crate) outcome: T,
}

pub(crate) struct Rule<T> {
    pub(crate) id: Arc<str>,
    pub(crate) cond: Cond,
    pub(crate) outcome: T,
}

/// A category: its id and its index among the policy's categories.
#[derive(Debug, Clone)]
pub(crate) struct CategoryId {
    pub(crate) index: usize,
    pub(crate) id: Arc<str>,
}

impl std::ops::Deref for CategoryId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.id
    }
}

impl std::fmt::Display for CategoryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

#[derive(Clone)]
pub(crate) struct RouteTarget {
    pub(crate) department: usize,
    pub(crate) team: Option<Arc<str>>,
    pub(crate) assignee: Option<Arc<str>>,
    pub(crate) calendar: Option<usize>,
}

pub(crate) struct Department {
    pub(crate) id: Arc<str>,
}

pub(crate) struct Sla {
    pub(crate) calendar: usize,
    pub(crate) pause_statuses: Vec<String>,
    /// Per priority index.
    pub(crate) targets: Vec<Targets>,
    pub(crate) on_priority_change: OnPriorityChange,
}

#[derive(Default)]
pub(crate) struct Targets {
    pub(crate) first_response: Option<Target>,
    pub(crate) resolution: Option<Target>,
    pub(crate) next_response: Option<Target>,
    pub(crate) on_reopen: OnReopen,
}

/// A target or offset: an amount on a calendar (`None` = the calendar in force).
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) amount: Amount,
    pub(crate) calendar: Option<usize>,
    pub(crate) text: Arc<str>,
}

pub(crate) struct Escalations {
    pub(crate) steps: Vec<Step>,
}

pub(crate) struct Step {
    pub(crate) metric: Metric,
    pub(crate) permille: u32,
    pub(crate) offset: Option<Target>,
    pub(crate) text: Arc<str>,
    /// Who to notify, as written.
    pub(crate) notify: Arc<[Arc<str>]>,
    /// Who to notify per department index, `supervisor` resolved to its role.
    pub(crate) recipients: Vec<Arc<[Arc<str>]>>,
    pub(crate) cond: Cond,
}

pub(crate) struct FollowUp {
    pub(crate) within: Target,
    pub(crate) unsatisfied_at_or_below: u8,
}

fn arc(s: &str) -> Arc<str> {
    Arc::from(s)
}

/// Who a step notifies in a department: `supervisor` becomes the department's supervisor role;
/// each name once.
fn recipients(notify: &[String], supervisor: Option<&str>) -> Arc<[Arc<str>]> {
    let mut out: Vec<Arc<str>> = Vec::with_capacity(notify.len());
    for n in notify {
        let who = match (n.as_str(), supervisor) {
            ("supervisor", Some(s)) => arc(s),
            _ => arc(n),
        };
        if !out.contains(&who) {
            out.push(who);
        }
    }
    out.into()
}

/// Compiles a validated model. Only things validation cannot see can still fail here (a
/// calendar the time arithmetic rejects, a keyword set too large, a script that does not
/// compile); they are reported like every other problem.
pub(crate) fn compile(model: &Model, sink: &mut Sink) -> Option<Compiled> {
    let mut calendars = Vec::with_capacity(model.calendars.len());
    for def in &model.calendars {
        match Calendar::new(def.spec.clone()) {
            Ok(c) => calendars.push((arc(&def.name.name), c)),
            Err(e) => {
                sink.error(
                    "bad-value",
                    &def.name.span,
                    format!("calendar `{}`: {e}", def.name.name),
                );
            }
        }
    }
    let calendar_index = |name: &str| calendars.iter().position(|(n, _)| &**n == name);
    let priority_index = |name: &str| model.priorities.iter().position(|p| p.name == name);
    let dept_index = |name: &str| model.departments.iter().position(|d| d.id.name == name);

    // One keyword automaton per field for all stages.
    let mut c = Compiler::new(
        model.categories.iter().map(|d| d.id.name.clone()).collect(),
        model.priorities.iter().map(|p| p.name.clone()).collect(),
    );
    c.models = model.models.iter().map(|m| m.name.name.clone()).collect();

    // Categories.
    let mut category_rules = Vec::new();
    let mut default_category = None;
    for (index, def) in model.categories.iter().enumerate() {
        let outcome = CategoryId {
            index,
            id: arc(&def.id.name),
        };
        if def.default {
            default_category = Some(outcome.clone());
        }
        if def.when.is_some() {
            category_rules.push(Rule {
                id: arc(&def.id.name),
                cond: c.condition(def.when.as_ref()),
                outcome,
            });
        }
    }
    let categories = RuleSet::new(
        category_rules,
        Default {
            id: default_category.as_ref()?.id.clone(),
            outcome: default_category?,
        },
    );

    // Priorities.
    let priorities: Vec<Arc<str>> = model.priorities.iter().map(|p| arc(&p.name)).collect();
    let default_priority = priority_index(&model.default_priority.as_ref()?.name)?;
    let mut rules = Vec::with_capacity(model.priority_rules.len());
    for def in &model.priority_rules {
        rules.push(Rule {
            id: arc(&def.id.name),
            cond: c.condition(def.when.as_ref()),
            outcome: priority_index(&def.priority.name)?,
        });
    }
    let priority_rules = RuleSet::new(
        rules,
        Default {
            id: arc("priorities.default"),
            outcome: default_priority,
        },
    );

    // Routes.
    let mut rules = Vec::with_capacity(model.routes.len());
    let mut default_route = None;
    for def in &model.routes {
        let target = RouteTarget {
            department: dept_index(&def.department.name)?,
            team: def.team.as_deref().map(arc),
            assignee: def.assignee.as_deref().map(arc),
            calendar: match &def.calendar {
                Some(r) => Some(calendar_index(&r.name)?),
                None => None,
            },
        };
        if def.default {
            default_route = Some(Default {
                id: arc(&def.id.name),
                outcome: target.clone(),
            });
        }
        if def.when.is_some() {
            rules.push(Rule {
                id: arc(&def.id.name),
                cond: c.condition(def.when.as_ref()),
                outcome: target,
            });
        }
    }
    let routes = RuleSet::new(rules, default_route?);
    let departments = model
        .departments
        .iter()
        .map(|d| Department {
            id: arc(&d.id.name),
        })
        .collect();

    let target = |d: &crate::check::DurationDef| -> Option<Target> {
        Some(Target {
            amount: d.duration.amount,
            calendar: match &d.duration.calendar {
                Some(name) => Some(calendar_index(name)?),
                None => None,
            },
            text: arc(&d.text),
        })
    };

    // SLA.
    let sla_calendar = model
        .sla
        .calendar
        .as_ref()
        .or(model.calendar.as_ref())
        .and_then(|r| calendar_index(&r.name));
    let sla = match (&model.sla.span, sla_calendar) {
        (Some(_), Some(calendar)) => {
            let mut targets: Vec<Targets> = priorities.iter().map(|_| Targets::default()).collect();
            for def in &model.sla.targets {
                let slot = targets.get_mut(priority_index(&def.priority.name)?)?;
                slot.first_response = def.first_response.as_ref().and_then(target);
                slot.resolution = def.resolution.as_ref().and_then(target);
                slot.next_response = def.next_response.as_ref().and_then(target);
                slot.on_reopen = def.on_reopen.unwrap_or(model.sla.on_reopen);
            }
            Some(Sla {
                calendar,
                pause_statuses: model.sla.pause_statuses.clone(),
                targets,
                on_priority_change: model.sla.on_priority_change,
            })
        }
        _ => None,
    };

    let steps = model
        .escalations
        .iter()
        .map(|e| Step {
            metric: e.metric,
            permille: e.permille,
            offset: e.offset.as_ref().and_then(target),
            text: arc(&e.at_text),
            notify: e.notify.iter().map(|n| arc(n)).collect(),
            recipients: model
                .departments
                .iter()
                .map(|d| recipients(&e.notify, d.supervisor.as_deref()))
                .collect(),
            cond: c.condition(e.when.as_ref()),
        })
        .collect();
    let escalations = Escalations { steps };
    let keywords = match c.finish() {
        Ok(k)
            if !sink.patterns.exceeded
                && sink.patterns.used.saturating_add(k.memory_usage()) > sink.patterns.total =>
        {
            let total = sink.patterns.total;
            let taken = k.memory_usage();
            sink.patterns.exceeded = true;
            sink.error(
                "limit",
                &Span { file: 0, range: 0..0 },
                format!("the keyword automata take {taken} bytes; with the `matches` patterns the policy's compiled patterns take more than {total} bytes (max_policy_pattern_bytes)"),
            )
            .hint("fewer keywords, or raise `Limits::max_policy_pattern_bytes`");
            return None;
        }
        Ok(mut k) => {
            k.models = model
                .models
                .iter()
                .map(|m| (arc(&m.name.name), Arc::clone(&m.model)))
                .collect();
            k
        }
        Err(e) => {
            let root = Span {
                file: 0,
                range: 0..0,
            };
            sink.error(
                "bad-value",
                &root,
                format!("the keywords cannot be compiled: {e}"),
            );
            return None;
        }
    };

    let follow_up = match &model.follow_up {
        Some(f) => Some(FollowUp {
            within: target(&f.within)?,
            unsatisfied_at_or_below: f.unsatisfied_at_or_below,
        }),
        None => None,
    };

    // No check for errors here: the caller compiles the scripts against these calendars
    // first, so that every problem is reported at once.
    let tracks_updates = sla
        .as_ref()
        .is_some_and(|s| s.targets.iter().any(|t| t.next_response.is_some()));
    Some(Compiled {
        tracks_updates,
        name: arc(&model.name),
        version: arc(&model.version),
        calendar: model
            .calendar
            .as_ref()
            .and_then(|r| calendars.iter().position(|(n, _)| **n == *r.name)),
        calendars,
        keywords,
        category_ids: model.categories.iter().map(|d| arc(&d.id.name)).collect(),
        categories,
        priorities,
        priority_rules,
        routes,
        departments,
        sla,
        escalations,
        follow_up,
        warnings: Vec::new(),
        limits: Limits::DEFAULT,
        locale: model.locale.as_deref().map(arc),
        limit_overrides: model.limits.clone(),
        labels: model.labels.clone(),
    })
}
