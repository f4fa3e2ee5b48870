//! Evaluation: category → priority → route → SLA clocks → escalations → follow-up → decision.
//!
//! Pure: no clock reads (`now` is an argument), no I/O, no shared mutable state. Everything it
//! reads was prepared when the policy was loaded.

mod category;
pub(crate) mod clock;
mod escalation;
mod follow_up;
pub(crate) mod history;
mod priority;
mod route;
mod rules;
mod sla;

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::compile::{CategoryId, Compiled, RouteTarget, Scan, Subject};
use crate::output::decision::{
    Decision, PolicyRef, Route, Rules, Triage, TriageRules, ZonedInstant,
};
use crate::output::trace::TraceEvent;
use crate::script::{Scripts, Session};
use crate::ticket::{Ticket, TicketError, TicketErrorKind};

/// How to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalOptions {
    /// Record in `Decision::trace` which rule decided each field and why. On by default; bulk
    /// runs that never read the trace may turn it off.
    pub trace: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions { trace: true }
    }
}

/// A status as the decision holds it: the built-in names without copying.
fn status_name(status: &str) -> Cow<'static, str> {
    const BUILT_IN: [&str; 5] = ["new", "in_progress", "resolved", "reopened", "closed"];
    match BUILT_IN.iter().find(|s| **s == status) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(status.to_string()),
    }
}

/// An id the policy holds, or one a script hook gave.
#[derive(Debug, Clone)]
pub(crate) enum Name<'p> {
    Policy(&'p Arc<str>),
    Script(Arc<str>),
}

impl<'p> Name<'p> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Name::Policy(s) => s,
            Name::Script(s) => s,
        }
    }

    fn to_arc(&self) -> Arc<str> {
        match self {
            Name::Policy(s) => Arc::clone(s),
            Name::Script(s) => Arc::clone(s),
        }
    }

    fn into_cow(self) -> Cow<'p, str> {
        match self {
            Name::Policy(s) => Cow::Borrowed(&**s),
            Name::Script(s) => Cow::Owned(s.to_string()),
        }
    }
}

/// What stages 1–3 decided.
struct Triaged<'p> {
    /// The category's index among the policy's, and its id.
    category: (usize, Name<'p>),
    category_rule: Name<'p>,
    priority: usize,
    priority_rule: Name<'p>,
    target: Cow<'p, RouteTarget>,
    route_rule: Name<'p>,
}

/// Stages 1–3: category, priority and route, each followed by its script hook.
fn triage<'p>(
    inner: &'p Compiled,
    ticket: &Ticket,
    scan: &mut Scan,
    mut hooks: Option<&mut Session<'_>>,
    trace: &mut Option<Vec<TraceEvent>>,
) -> Result<Triaged<'p>, TicketError> {
    let subject = Subject {
        ticket,
        category: None,
        priority: None,
    };
    let (category, category_rule) =
        category::decide(inner, &subject, scan, hooks.as_deref_mut(), trace)?;

    scan.forget_derived(&inner.keywords);
    let subject = Subject {
        category: Some((category.0, category.1.as_str())),
        ..subject
    };
    let (priority, priority_rule) =
        priority::decide(inner, &subject, scan, hooks.as_deref_mut(), trace)?;
    let priority_name = inner
        .priorities
        .get(priority)
        .ok_or_else(|| unknown(ticket, "priority"))?;

    scan.forget_derived(&inner.keywords);
    let subject = Subject {
        priority: Some((priority, priority_name)),
        ..subject
    };
    let (target, route_rule) = route::decide(inner, &subject, scan, hooks, trace)?;
    Ok(Triaged {
        category,
        category_rule,
        priority,
        priority_rule,
        target,
        route_rule,
    })
}

/// The error for an id a script hook gave that the policy does not know (hooks are checked
/// against the policy's ids, so this does not happen).
fn unknown(ticket: &Ticket, what: &str) -> TicketError {
    TicketError::new(
        Some(&ticket.id),
        TicketErrorKind::Internal,
        format!("internal error: unknown {what}"),
    )
}

/// Appends a line to the trace, when there is one.
fn note(trace: &mut Option<Vec<TraceEvent>>, event: TraceEvent) {
    if let Some(t) = trace.as_mut() {
        t.push(event);
    }
}

/// [`Policy::triage`](crate::Policy::triage): stages 1–3, nothing explained.
pub(crate) fn triage_only<'p>(
    inner: &'p Compiled,
    scripts: Option<&'p Scripts>,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> Result<Triage<'p>, TicketError> {
    let Some(scripts) = scripts else {
        return Ok(rules_only(inner, ticket));
    };
    let mut scan = Scan::default();
    let mut hooks = Some(scripts.session(inner, ticket, now));
    let t = triage(inner, ticket, &mut scan, hooks.as_mut(), &mut None)?;
    let department = inner
        .departments
        .get(t.target.department)
        .map_or("", |d| &*d.id);
    let priority = inner.priorities.get(t.priority).map_or("", |p| &**p);
    let (team, assignee) = match t.target {
        Cow::Borrowed(r) => (
            r.team.as_deref().map(Cow::Borrowed),
            r.assignee.as_deref().map(Cow::Borrowed),
        ),
        Cow::Owned(r) => (
            r.team.as_deref().map(|s| Cow::Owned(s.to_string())),
            r.assignee.as_deref().map(|s| Cow::Owned(s.to_string())),
        ),
    };
    Ok(Triage {
        category: t.category.1.into_cow(),
        priority,
        department,
        team,
        assignee,
        rules: TriageRules {
            category: t.category_rule.into_cow(),
            priority: t.priority_rule.into_cow(),
            route: t.route_rule.into_cow(),
        },
    })
}

/// What stages 1–3 decided when no script hook could change it: everything borrowed from the
/// policy.
struct Decided<'p> {
    category: &'p CategoryId,
    category_rule: &'p Arc<str>,
    priority: usize,
    priority_name: &'p str,
    priority_rule: &'p Arc<str>,
    target: &'p RouteTarget,
    route_rule: &'p Arc<str>,
}

/// Stages 1–3 for a policy without script hooks, nothing explained: the three rule sets
/// alone. The common case; [`triage`] is the general one, where a hook may change each stage's
/// outcome before the next stage reads it and the trace says why.
fn decide_all<'p>(inner: &'p Compiled, ticket: &Ticket, scan: &mut Scan) -> Decided<'p> {
    let kw = &inner.keywords;
    let subject = Subject {
        ticket,
        category: None,
        priority: None,
    };
    let (category_rule, category) = rules::decide(&inner.categories, &subject, kw, scan);
    scan.forget_derived(kw);
    let subject = Subject {
        category: Some((category.index, &category.id)),
        ..subject
    };
    let (priority_rule, &priority) = rules::decide(&inner.priority_rules, &subject, kw, scan);
    let priority_name = inner.priorities.get(priority).map_or("", |p| &**p);
    scan.forget_derived(kw);
    let subject = Subject {
        priority: Some((priority, priority_name)),
        ..subject
    };
    let (route_rule, target) = rules::decide(&inner.routes, &subject, kw, scan);
    Decided {
        category,
        category_rule,
        priority,
        priority_name,
        priority_rule,
        target,
        route_rule,
    }
}

impl<'p> From<Decided<'p>> for Triaged<'p> {
    fn from(d: Decided<'p>) -> Self {
        Triaged {
            category: (d.category.index, Name::Policy(&d.category.id)),
            category_rule: Name::Policy(d.category_rule),
            priority: d.priority,
            priority_rule: Name::Policy(d.priority_rule),
            target: Cow::Borrowed(d.target),
            route_rule: Name::Policy(d.route_rule),
        }
    }
}

/// [`Policy::triage`] without script hooks.
fn rules_only<'p>(inner: &'p Compiled, ticket: &Ticket) -> Triage<'p> {
    let d = decide_all(inner, ticket, &mut Scan::default());
    Triage {
        category: Cow::Borrowed(&d.category.id),
        priority: d.priority_name,
        department: inner
            .departments
            .get(d.target.department)
            .map_or("", |dept| &*dept.id),
        team: d.target.team.as_deref().map(Cow::Borrowed),
        assignee: d.target.assignee.as_deref().map(Cow::Borrowed),
        rules: TriageRules {
            category: Cow::Borrowed(d.category_rule),
            priority: Cow::Borrowed(d.priority_rule),
            route: Cow::Borrowed(d.route_rule),
        },
    }
}

/// [`Policy::evaluate_with`](crate::Policy::evaluate_with): every stage, into a decision.
pub(crate) fn evaluate(
    inner: &Compiled,
    scripts: Option<&Scripts>,
    ticket: &Ticket,
    now: DateTime<Utc>,
    options: EvalOptions,
) -> Result<Decision, TicketError> {
    let mut trace: Option<Vec<TraceEvent>> = options.trace.then(Vec::new);
    let mut scan = Scan::default();
    // Script hooks share one ticket map per evaluation, built when the first hook runs.
    let mut hooks = scripts.map(|s| s.session(inner, ticket, now));
    let triaged = match (&hooks, &trace) {
        (None, None) => decide_all(inner, ticket, &mut scan).into(),
        _ => triage(inner, ticket, &mut scan, hooks.as_mut(), &mut trace)?,
    };
    let priority_index = triaged.priority;
    let priority = inner.priorities.get(priority_index).ok_or_else(|| {
        TicketError::new(
            Some(&ticket.id),
            TicketErrorKind::Internal,
            "internal error: unknown priority",
        )
    })?;
    let category = triaged.category.1.to_arc();
    let target = &*triaged.target;
    let department = inner.departments.get(target.department).ok_or_else(|| {
        TicketError::new(
            Some(&ticket.id),
            TicketErrorKind::Internal,
            "internal error: unknown department",
        )
    })?;
    let subject = Subject {
        ticket,
        category: Some((triaged.category.0, &category)),
        priority: Some((priority_index, priority)),
    };

    // Stage 4: SLA clocks, on the route's calendar or the policy's.
    let history = history::read_for(inner, ticket, now)?;
    let calendar = target
        .calendar
        .or(inner.sla.as_ref().map(|s| s.calendar))
        .or(inner.calendar);
    let tz = calendar
        .and_then(|i| inner.calendars.get(i))
        .map_or(chrono_tz::UTC, |(_, c)| c.timezone());
    let mut targets = inner
        .sla
        .as_ref()
        .and_then(|s| s.targets.get(priority_index));
    let script_targets;
    if let Some(h) = hooks.as_mut() {
        if let Some(t) = h.targets(&category, priority, target, targets, &mut trace)? {
            script_targets = t;
            targets = Some(&script_targets);
        }
    }
    let clocks = sla::Clocks {
        calendar: calendar.unwrap_or(0),
        targets,
    };
    let created = ticket.created_at.with_timezone(&Utc);
    let runs = sla::runs(inner, &clocks, &ticket.id, created, &history, now)?;
    let decision_sla = runs.clocks(
        calendar
            .and_then(|i| inner.calendars.get(i))
            .map(|(n, _)| n.clone()),
        priority,
        now,
        tz,
        &mut trace,
    );

    // Stage 5: escalations.
    let ticket_id: Arc<str> = ticket.id.as_str().into();
    let ladder = escalation::ladder(
        inner,
        &subject,
        &ticket_id,
        &mut scan,
        &runs,
        target.department,
        now,
        tz,
        &mut trace,
    )?;

    // Stage 6: follow-up visit.
    let follow_up = follow_up::follow_up(inner, &history, &runs, now, tz);

    // The next instant at which something changes with no new event.
    let next_change_at = runs
        .next_due(now)
        .into_iter()
        .chain(ladder.upcoming)
        .min()
        .map(|t| ZonedInstant::new(t, tz));

    Ok(Decision {
        ticket: ticket_id,
        policy: PolicyRef {
            name: inner.name.clone(),
            version: inner.version.clone(),
        },
        category,
        priority: priority.clone(),
        route: Route {
            department: department.id.clone(),
            team: target.team.clone(),
            assignee: target.assignee.clone(),
            rule: triaged.route_rule.to_arc(),
        },
        rules: Rules {
            category: triaged.category_rule.to_arc(),
            priority: triaged.priority_rule.to_arc(),
            route: triaged.route_rule.to_arc(),
        },
        status: status_name(history.status),
        sla: decision_sla,
        escalations: ladder.steps,
        follow_up,
        next_change_at,
        trace: trace.unwrap_or_default(),
    })
}
