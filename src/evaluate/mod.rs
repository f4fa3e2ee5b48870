//! Evaluation: category → priority → route → SLA clocks → escalations → follow-up → decision.
//!
//! Pure: no clock reads (`now` is an argument), no I/O, no shared mutable state. Everything it
//! reads was prepared when the policy was loaded.

pub(crate) mod agents;
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

use self::agents::Acts;
use self::clock::{Axis, Switch};
use self::escalation::Holder;
use crate::compile::{CategoryId, Compiled, RouteTarget, Scan, Subject};
use crate::output::decision::{
    Agents, BusinessSpan, CalendarFrom, Decision, ModelLabel, ModelLabels, Override, Overrides,
    PolicyRef, Route, Rules, Transfer, Triage, TriageRules, ZonedInstant,
};
use crate::output::trace::{TraceEvent, TraceStage};
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
    /// A person's choice (an agent's event).
    Agent,
}

/// What `rules.*` say when a person decided.
const AGENT: &str = "agent";

impl<'p> Name<'p> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Name::Policy(s) => s,
            Name::Script(s) => s,
            Name::Agent => AGENT,
        }
    }

    fn to_arc(&self) -> Arc<str> {
        match self {
            Name::Policy(s) => Arc::clone(s),
            Name::Script(s) => Arc::clone(s),
            Name::Agent => Arc::from(AGENT),
        }
    }

    fn into_cow(self) -> Cow<'p, str> {
        match self {
            Name::Policy(s) => Cow::Borrowed(&**s),
            Name::Script(s) => Cow::Owned(s.to_string()),
            Name::Agent => Cow::Borrowed(AGENT),
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
    /// What the rules (and hooks) gave before agents' choices, when agents acted.
    base: Option<Base<'p>>,
}

/// The priority and route the rules gave a ticket that agents acted on: where its clocks
/// start from.
struct Base<'p> {
    priority: usize,
    target: Cow<'p, RouteTarget>,
}

/// `tech / field_team`.
fn place(inner: &Compiled, target: &RouteTarget) -> String {
    let dept = inner
        .departments
        .get(target.department)
        .map_or("?", |d| &*d.id);
    match target.team.as_deref() {
        Some(team) => format!("{dept} / {team}"),
        None => dept.to_string(),
    }
}

/// `event 3 (`priority` at 2025-11-03T10:00:00+08:00)`.
fn which(ticket: &Ticket, n: usize) -> String {
    match n.checked_sub(1).and_then(|i| ticket.events.get(i)) {
        Some(e) => format!("event {n} (`{}` at {})", e.kind.name(), e.at.to_rfc3339()),
        None => format!("event {n}"),
    }
}

/// Stages 1–3: category, priority and route, each followed by its script hook.
fn triage<'p>(
    inner: &'p Compiled,
    ticket: &Ticket,
    scan: &mut Scan,
    mut hooks: Option<&mut Session<'_>>,
    trace: &mut Option<Vec<TraceEvent>>,
    acts: Option<&Acts>,
) -> Result<Triaged<'p>, TicketError> {
    let subject = Subject {
        ticket,
        category: None,
        priority: None,
    };
    let (mut category, mut category_rule) =
        category::decide(inner, &subject, scan, hooks.as_deref_mut(), trace)?;
    // From its instant on, a person's choice wins; later stages read it.
    if let Some(act) = acts.and_then(|a| a.category.as_ref()) {
        let id = inner
            .category_ids
            .get(act.value)
            .ok_or_else(|| unknown(ticket, "category"))?;
        if trace.is_some() {
            note(
                trace,
                TraceEvent::Agent {
                    stage: TraceStage::Category,
                    value: id.to_string(),
                    event: which(ticket, act.n),
                    rules_chose: category.1.as_str().to_string(),
                    rule: category_rule.as_str().to_string(),
                },
            );
        }
        category = (act.value, Name::Policy(id));
        category_rule = Name::Agent;
    }

    scan.forget_derived(&inner.keywords);
    let subject = Subject {
        category: Some((category.0, category.1.as_str())),
        ..subject
    };
    let (mut priority, mut priority_rule) =
        priority::decide(inner, &subject, scan, hooks.as_deref_mut(), trace)?;
    let rules_priority = priority;
    if let Some(act) = acts.and_then(Acts::priority) {
        if trace.is_some() {
            let name = |p: usize| inner.priorities.get(p).map_or("?", |p| &**p);
            note(
                trace,
                TraceEvent::Agent {
                    stage: TraceStage::Priority,
                    value: name(act.value).to_string(),
                    event: which(ticket, act.n),
                    rules_chose: name(priority).to_string(),
                    rule: priority_rule.as_str().to_string(),
                },
            );
        }
        priority = act.value;
        priority_rule = Name::Agent;
    }
    let priority_name = inner
        .priorities
        .get(priority)
        .ok_or_else(|| unknown(ticket, "priority"))?;

    scan.forget_derived(&inner.keywords);
    let subject = Subject {
        priority: Some((priority, priority_name)),
        ..subject
    };
    let (mut target, mut route_rule) = route::decide(inner, &subject, scan, hooks, trace)?;
    let mut base = None;
    if let Some(acts) = acts {
        let rules_target = target.clone();
        if let Some(act) = acts.assignment() {
            if trace.is_some() {
                note(
                    trace,
                    TraceEvent::Agent {
                        stage: TraceStage::Route,
                        value: place(inner, &act.value),
                        event: which(ticket, act.n),
                        rules_chose: place(inner, &target),
                        rule: route_rule.as_str().to_string(),
                    },
                );
            }
            target = Cow::Owned(act.value.clone());
            route_rule = Name::Agent;
        }
        base = Some(Base {
            priority: rules_priority,
            target: rules_target,
        });
    }
    Ok(Triaged {
        category,
        category_rule,
        priority,
        priority_rule,
        target,
        route_rule,
        base,
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
    let acts = match agents::any(ticket) {
        true => agents::read(inner, ticket, now)?,
        false => None,
    };
    if scripts.is_none() && acts.is_none() {
        return Ok(rules_only(inner, ticket));
    }
    let mut scan = Scan::default();
    let mut hooks = scripts.map(|s| s.session(inner, ticket, now));
    let t = triage(
        inner,
        ticket,
        &mut scan,
        hooks.as_mut(),
        &mut None,
        acts.as_ref(),
    )?;
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
            base: None,
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
    // Agents' events take the general path; a ticket without any costs one look at its events.
    let acts = match agents::any(ticket) {
        true => agents::read(inner, ticket, now)?,
        false => None,
    };
    let triaged = match (&hooks, &trace, &acts) {
        (None, None, None) => decide_all(inner, ticket, &mut scan).into(),
        _ => triage(
            inner,
            ticket,
            &mut scan,
            hooks.as_mut(),
            &mut trace,
            acts.as_ref(),
        )?,
    };
    // What the rules and hooks alone decide, for the agents' section of the decision.
    let pure = match &acts {
        Some(_) => Some(triage(
            inner,
            ticket,
            &mut Scan::default(),
            hooks.as_mut(),
            &mut None,
            None,
        )?),
        None => None,
    };
    let labels = match inner.keywords.models.is_empty() {
        true => ModelLabels::default(),
        false => model_labels(inner, ticket, &mut scan, &mut trace),
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

    // Stage 4: SLA clocks, on the route's calendar or the policy's; a transfer to a place
    // with a calendar of its own counts on it from the transfer on.
    let history = history::read_for(inner, ticket, now)?;
    let sla_calendar = inner.sla.as_ref().map(|s| s.calendar).or(inner.calendar);
    let created = ticket.created_at.with_timezone(&Utc);
    // For a ticket agents acted on: where it was from when (where the rules put it at
    // creation; where they put it once an agent reclassified it, unless an agent had assigned
    // it by then; each assignment), and which priority it had from when (likewise).
    let mut holders: Vec<Holder> = Vec::new();
    let mut priorities: Vec<(DateTime<Utc>, usize)> = Vec::new();
    if let (Some(acts), Some(pure), Some(base)) = (&acts, &pure, &triaged.base) {
        let holder = |from, t: &RouteTarget, event| Holder {
            from,
            department: t.department,
            team: t.team.clone(),
            assignee: t.assignee.clone(),
            calendar: t.calendar.or(sla_calendar),
            event,
        };
        holders.push(holder(created, &pure.target, None));
        priorities.push((created, pure.priority));
        if let Some(cat) = &acts.category {
            let rerouted = (
                base.target.department,
                &base.target.team,
                base.target.calendar,
            ) != (
                pure.target.department,
                &pure.target.team,
                pure.target.calendar,
            );
            if rerouted && !acts.assignments.iter().any(|a| a.at <= cat.at) {
                holders.push(holder(cat.at, &base.target, None));
            }
            if base.priority != pure.priority && !acts.priorities.iter().any(|p| p.at <= cat.at) {
                priorities.push((cat.at, base.priority));
            }
        }
        holders.extend(
            acts.assignments
                .iter()
                .map(|a| holder(a.at, &a.value, Some(a.n))),
        );
        priorities.extend(acts.priorities.iter().map(|p| (p.at, p.value)));
        // Stable: at one instant, the rules' re-reading before the agents' events.
        holders.sort_by_key(|h| h.from);
        priorities.sort_by_key(|p| p.0);
    }
    let start_calendar = holders
        .first()
        .map_or(target.calendar.or(sla_calendar), |h| h.calendar);
    let switches: Vec<(DateTime<Utc>, usize)> = holders
        .iter()
        .skip(1)
        .filter_map(|h| Some((h.from, h.calendar?)))
        .collect();
    let calendar = switches.last().map(|s| s.1).or(start_calendar);
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
    // The targets in force from creation, then from each change of priority; the last are
    // the ones in force now.
    let mut changes = Vec::new();
    if priorities.len() > 1 {
        let of = |p: usize| inner.sla.as_ref().and_then(|s| s.targets.get(p));
        changes.extend(
            priorities
                .iter()
                .map(|&(at, p)| sla::Change { at, targets: of(p) }),
        );
        if let Some(last) = changes.last_mut() {
            last.targets = targets;
        }
    }
    let clocks = sla::Clocks {
        calendar: start_calendar.unwrap_or(0),
        targets,
        switches: &switches,
        changes: &changes,
        on_priority_change: inner
            .sla
            .as_ref()
            .map_or_else(Default::default, |s| s.on_priority_change),
    };
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

    // The holder only matters when it changed.
    if holders.len() < 2 {
        holders.clear();
    }

    // Stage 5: escalations, each to the holder when it fires.
    let ticket_id: Arc<str> = ticket.id.as_str().into();
    let ladder = escalation::ladder(
        inner,
        &subject,
        &ticket_id,
        &mut scan,
        &runs,
        target.department,
        &holders,
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

    let agents = match (&acts, &pure) {
        (Some(acts), Some(pure)) => Some(agents_section(
            inner,
            acts,
            pure,
            &holders,
            start_calendar,
            &switches,
            created,
            tz,
        )?),
        _ => None,
    };

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
        labels,
        agents,
        trace: trace.unwrap_or_default(),
    })
}

/// Each model's label, predicted at most once per evaluation (conditions may have asked
/// already); with a trace, the terms that weighed most for and against it.
fn model_labels(
    inner: &Compiled,
    ticket: &Ticket,
    scan: &mut Scan,
    trace: &mut Option<Vec<TraceEvent>>,
) -> ModelLabels {
    let models = &inner.keywords.models;
    let mut labels = Vec::with_capacity(models.len());
    for (i, (name, model)) in models.iter().enumerate() {
        let Some((label, confidence)) = inner.keywords.prediction(i, ticket, scan) else {
            continue;
        };
        if let Some(t) = trace.as_mut() {
            // More than shown, as terms naming personal values are left out.
            let e = model.explain(&crate::text::ticket_text(ticket), 6);
            let personal = crate::output::PersonalValues::of(ticket);
            let terms = |terms: &[crate::text::Term]| {
                terms
                    .iter()
                    .filter(|t| !personal.overlaps(&t.term))
                    .take(3)
                    .map(|t| format!("{} ({:+.2})", t.term, t.weight))
                    .collect()
            };
            t.push(TraceEvent::Model {
                model: name.to_string(),
                label: label.to_string(),
                confidence: format!("{confidence:.2}"),
                for_label: terms(&e.for_label),
                against_label: terms(&e.against_label),
            });
        }
        labels.push((
            Arc::clone(name),
            ModelLabel {
                label: label.into(),
                confidence,
            },
        ));
    }
    ModelLabels(labels)
}

/// The decision's account of what agents did: transfers with the business time each holder
/// kept the ticket, and each overridden field against what the rules alone chose.
#[allow(clippy::too_many_arguments)]
fn agents_section(
    inner: &Compiled,
    acts: &Acts,
    pure: &Triaged<'_>,
    holders: &[Holder],
    start_calendar: Option<usize>,
    switches: &[(DateTime<Utc>, usize)],
    created: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Agents, TicketError> {
    let dept = |d: usize| {
        inner
            .departments
            .get(d)
            .map_or_else(|| Arc::from(""), |d| d.id.clone())
    };
    // Business time on the calendars the clocks count on.
    let axis = start_calendar
        .and_then(|i| inner.calendars.get(i))
        .map(|(name, cal)| {
            let mut axis = Axis::one(cal, name);
            for &(at, i) in switches {
                if let Some((name, cal)) = inner.calendars.get(i) {
                    axis.switches.push(Switch::new(at, cal, name));
                }
            }
            axis.prepare(created, &mut clock::Positions::default());
            axis
        });
    let mut transfers = Vec::new();
    let mut since = created;
    for pair in holders.windows(2) {
        let [prev, holder] = pair else { continue };
        let Some(n) = holder.event else {
            continue; // the rules re-read after a reclassification: no one transferred it
        };
        if prev.department == holder.department && prev.team == holder.team {
            continue; // a new assignee in the same place: no transfer
        }
        transfers.push(Transfer {
            event: u32::try_from(n).unwrap_or(u32::MAX),
            at: ZonedInstant::new(holder.from, tz),
            from: dept(prev.department),
            to: dept(holder.department),
            team: holder.team.clone(),
            assignee: holder.assignee.clone(),
            held: BusinessSpan(axis.as_ref().map_or(0, |a| a.between(since, holder.from))),
        });
        since = holder.from;
    }
    let name = |n: &Name<'_>| n.to_arc();
    let act_override =
        |n: usize, at: DateTime<Utc>, value: Arc<str>, rule: Arc<str>, chose| Override {
            event: u32::try_from(n).unwrap_or(u32::MAX),
            at: ZonedInstant::new(at, tz),
            value,
            rule,
            rules_chose: chose,
        };
    let priority_id = |p: usize| {
        inner
            .priorities
            .get(p)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    };
    let overrides = Overrides {
        category: acts.category.as_ref().map(|a| {
            act_override(
                a.n,
                a.at,
                inner
                    .category_ids
                    .get(a.value)
                    .cloned()
                    .unwrap_or_else(|| Arc::from("")),
                name(&pure.category_rule),
                pure.category.1.to_arc(),
            )
        }),
        priority: acts.priority().map(|a| {
            act_override(
                a.n,
                a.at,
                priority_id(a.value),
                name(&pure.priority_rule),
                priority_id(pure.priority),
            )
        }),
        route: acts.assignment().map(|a| {
            act_override(
                a.n,
                a.at,
                dept(a.value.department),
                name(&pure.route_rule),
                dept(pure.target.department),
            )
        }),
    };
    // The calendar from creation, then each change of it.
    let mut calendars: Vec<CalendarFrom> = Vec::new();
    if !switches.is_empty() {
        let name = |i: usize| inner.calendars.get(i).map(|(n, _)| n.clone());
        let steps = std::iter::once((created, start_calendar))
            .chain(switches.iter().map(|&(at, i)| (at, Some(i))));
        for (at, i) in steps {
            if let Some(calendar) = i.and_then(name) {
                if calendars.last().is_none_or(|c| c.calendar != calendar) {
                    calendars.push(CalendarFrom {
                        from: ZonedInstant::new(at, tz),
                        calendar,
                    });
                }
            }
        }
        if calendars.len() < 2 {
            calendars.clear();
        }
    }
    Ok(Agents {
        calendars,
        rules: Rules {
            category: name(&pure.category_rule),
            priority: name(&pure.priority_rule),
            route: name(&pure.route_rule),
        },
        transfers,
        overrides,
    })
}
