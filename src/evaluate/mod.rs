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

use chrono::{DateTime, Utc};

use crate::compile::{Inner, Policy};
use crate::condition::Subject;
use crate::decision::{Decision, Instant, PolicyRef, Route, Rules};
use crate::ticket::{Ticket, TicketError};

/// How to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Record in `Decision::trace` which rule decided each field and why. On by default; bulk
    /// runs that never read the trace may turn it off.
    pub trace: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { trace: true }
    }
}

impl Policy {
    /// Decides what happens to `ticket` as of `now`.
    ///
    /// ```
    /// # let policy = aftercare::Policy::from_toml(r#"
    /// #     [policy]
    /// #     name = "tiny"
    /// #     calendar = "office"
    /// #     [calendars.office]
    /// #     timezone = "Asia/Shanghai"
    /// #     week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
    /// #              thu = ["09:00-18:00"], fri = ["09:00-18:00"] }
    /// #     [[categories]]
    /// #     id = "general"
    /// #     default = true
    /// #     [priorities]
    /// #     order = ["normal"]
    /// #     default = "normal"
    /// #     [[routes]]
    /// #     id = "all"
    /// #     default = true
    /// #     department = "desk"
    /// #     [departments.desk]
    /// #     [sla.targets.normal]
    /// #     first_response = "4h"
    /// # "#).unwrap();
    /// use aftercare::Ticket;
    /// let ticket = Ticket::from_json(r#"{"id": "T1", "created_at": "2025-10-10T16:00:00+08:00"}"#).unwrap();
    /// let now = "2025-10-10T17:00:00+08:00".parse().unwrap();
    /// let decision = policy.evaluate(&ticket, now).unwrap();
    /// // Two business hours on Friday, two on Monday morning.
    /// let due = decision.sla.first_response.unwrap().due.unwrap();
    /// assert_eq!(due.to_string(), "2025-10-13T11:00:00+08:00");
    /// ```
    pub fn evaluate(&self, ticket: &Ticket, now: DateTime<Utc>) -> Result<Decision, TicketError> {
        evaluate(&self.inner, ticket, now, Options::default())
    }

    /// [`Policy::evaluate`] with options.
    pub fn evaluate_with(
        &self,
        ticket: &Ticket,
        now: DateTime<Utc>,
        options: Options,
    ) -> Result<Decision, TicketError> {
        evaluate(&self.inner, ticket, now, options)
    }

    /// Reads a ticket from JSON (within the policy's [`Limits`](crate::Limits)) and evaluates
    /// it.
    pub fn evaluate_json(&self, json: &str, now: DateTime<Utc>) -> Result<Decision, TicketError> {
        let ticket = Ticket::from_json_with_limits(json, &self.inner.limits)?;
        self.evaluate(&ticket, now)
    }

    /// Evaluates many tickets on all cores. Results are in input order; a bad ticket gets its
    /// own error and never stops the batch.
    pub fn evaluate_batch(
        &self,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        options: Options,
    ) -> Vec<Result<Decision, TicketError>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        crate::parallel::map(tickets, threads, |t| evaluate(&self.inner, t, now, options))
    }

    /// Evaluates tickets given as JSON texts on all cores and returns, in input order, one JSON
    /// line per ticket: `Ok` with the decision, or `Err` with `{"ticket": ID, "error": "…"}`.
    /// This is what `aftercare eval` prints.
    pub fn evaluate_json_lines<S: AsRef<str> + Sync>(
        &self,
        tickets: &[S],
        now: DateTime<Utc>,
        options: Options,
    ) -> Vec<Result<String, String>> {
        crate::jsonl::evaluate_json_lines(self, tickets, now, options)
    }
}

fn evaluate(
    inner: &Inner,
    ticket: &Ticket,
    now: DateTime<Utc>,
    options: Options,
) -> Result<Decision, TicketError> {
    let explain = options.trace;
    let mut trace: Option<Vec<String>> = explain.then(Vec::new);
    let note = |trace: &mut Option<Vec<String>>, line: String| {
        if let Some(t) = trace.as_mut() {
            t.push(line);
        }
    };

    // Stage 1: category.
    let mut subject = Subject {
        ticket,
        category: None,
        priority: None,
    };
    // Script hooks share one ticket map per evaluation, built when the first hook runs.
    let mut hooks = inner
        .scripts
        .as_ref()
        .map(|s| s.session(inner, ticket, now));
    let cat = category::classify(inner, &subject, explain);
    let mut category = cat.outcome.clone();
    let mut category_rule: std::sync::Arc<str> = cat.rule.clone();
    if explain {
        note(
            &mut trace,
            format!("category {category}: {}", cat.describe()),
        );
    }
    if let Some(h) = hooks.as_mut() {
        if let Some(c) = h.classify(&category, &mut trace)? {
            category = c;
            category_rule = "script".into();
        }
    }

    // Stage 2: priority.
    subject.category = Some(&category);
    let pri = priority::prioritise(inner, &subject, explain);
    let mut priority_index = *pri.outcome;
    let mut priority_rule: std::sync::Arc<str> = pri.rule.clone();
    if explain {
        let name = inner.priorities.get(priority_index).map_or("?", |p| &**p);
        note(&mut trace, format!("priority {name}: {}", pri.describe()));
    }
    if let Some(h) = hooks.as_mut() {
        if let Some(p) = h.prioritise(&category, priority_index, &mut trace)? {
            priority_index = p;
            priority_rule = "script".into();
        }
    }
    let priority = inner
        .priorities
        .get(priority_index)
        .cloned()
        .ok_or_else(|| TicketError::new(Some(&ticket.id), "internal error: unknown priority"))?;

    // Stage 3: route.
    subject.priority = Some(&priority);
    let rt = route::route(inner, &subject, explain);
    let mut target = rt.outcome.clone();
    let mut rule: std::sync::Arc<str> = rt.rule.clone();
    if explain {
        let dept = inner
            .departments
            .get(target.department)
            .map_or("?", |d| &*d.id);
        let team = target
            .team
            .as_deref()
            .map(|t| format!(" / {t}"))
            .unwrap_or_default();
        note(&mut trace, format!("route {dept}{team}: {}", rt.describe()));
    }
    if let Some(h) = hooks.as_mut() {
        if let Some(t) = h.route(&category, &priority, &target, &mut trace)? {
            target = t;
            rule = h.rule();
        }
    }
    let department = inner
        .departments
        .get(target.department)
        .ok_or_else(|| TicketError::new(Some(&ticket.id), "internal error: unknown department"))?;

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
        if let Some(t) = h.targets(&category, &priority, &target, targets, &mut trace)? {
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
        &priority,
        now,
        tz,
        &mut trace,
    );

    // Stage 5: escalations.
    let ladder = escalation::ladder(
        inner,
        &subject,
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
        .map(|t| Instant::new(t, tz));

    Ok(Decision {
        ticket: ticket.id.clone(),
        policy: PolicyRef {
            name: inner.name.clone(),
            version: inner.version.clone(),
        },
        category,
        priority,
        route: Route {
            department: department.id.clone(),
            team: target.team.clone(),
            assignee: target.assignee.clone(),
            rule: rule.clone(),
        },
        rules: Rules {
            category: category_rule,
            priority: priority_rule,
            route: rule,
        },
        status: history.status.to_string(),
        sla: decision_sla,
        escalations: ladder.steps,
        follow_up,
        next_change_at,
        trace: trace.unwrap_or_default(),
    })
}
