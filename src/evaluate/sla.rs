//! The SLA stage: which targets apply, and the runs of each metric over the ticket's history.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::clock::{budget_of, time_error, Axis, Budget, Paused, Positions, Run, Switch};
use super::history::{CycleStart, History};
use crate::check::{OnPriorityChange, OnReopen};
use crate::compile::{Compiled, Target, Targets};
use crate::output::decision::{ClockStatus, Sla};
use crate::output::trace::{ClockTrace, TraceEvent};
use crate::ticket::{TicketError, TicketErrorKind};

/// The metric runs of one ticket.
#[derive(Default)]
pub(crate) struct Runs<'p> {
    pub(crate) first_response: Option<Run<'p>>,
    /// One run per handling cycle, oldest first.
    pub(crate) resolution: Vec<Run<'p>>,
    pub(crate) next_response: Option<Run<'p>>,
    /// Whether an earlier wait for an agent update already broke the `next_response` target.
    pub(crate) next_response_breached_before: bool,
    pub(crate) follow_up: Option<Run<'p>>,
}

pub(crate) struct Clocks<'p> {
    /// The calendar in force from creation.
    pub(crate) calendar: usize,
    /// The targets of the priority in force now.
    pub(crate) targets: Option<&'p Targets>,
    /// Transfers to another calendar, in time order: from the instant on, that calendar.
    pub(crate) switches: &'p [(DateTime<Utc>, usize)],
    /// Agents' priority changes, in time order, after the priority the ticket had from
    /// creation; empty when agents never changed it.
    pub(crate) changes: &'p [Change<'p>],
    pub(crate) on_priority_change: OnPriorityChange,
}

/// The targets in force from an instant: the first from creation, then one per agent's
/// priority change (the last is the priority in force now).
#[derive(Clone, Copy)]
pub(crate) struct Change<'p> {
    pub(crate) at: DateTime<Utc>,
    pub(crate) targets: Option<&'p Targets>,
}

impl<'p> Clocks<'p> {
    /// The calendars a target counts on: its own `@calendar`, else the one in force, switching
    /// where the ticket was transferred to a calendar of its own.
    fn calendar(
        &self,
        inner: &'p Compiled,
        target: &Target,
        ticket_id: &str,
    ) -> Result<Axis<'p>, TicketError> {
        let missing = || {
            TicketError::new(
                Some(ticket_id),
                TicketErrorKind::Internal,
                "internal error: a calendar is missing",
            )
        };
        let get = |index: usize| {
            inner
                .calendars
                .get(index)
                .map(|(n, c)| (c, &**n))
                .ok_or_else(missing)
        };
        if let Some(own) = target.calendar {
            let (cal, name) = get(own)?;
            return Ok(Axis::one(cal, name));
        }
        let (cal, name) = get(self.calendar)?;
        let mut axis = Axis::one(cal, name);
        for &(at, index) in self.switches {
            let (cal, name) = get(index)?;
            axis.switches.push(Switch::new(at, cal, name));
        }
        Ok(axis)
    }
}

pub(crate) fn runs<'p>(
    inner: &'p Compiled,
    clocks: &Clocks<'p>,
    ticket_id: &str,
    created: DateTime<Utc>,
    history: &History,
    now: DateTime<Utc>,
) -> Result<Runs<'p>, TicketError> {
    let mut runs = Runs::default();
    let mut positions = Positions::default();
    let positions = &mut positions;
    let err = |what: &'static str| move |e| time_error(ticket_id, what, e);
    if let Some(targets) = clocks.targets {
        if let Some(t) = &targets.first_response {
            let axis = clocks.calendar(inner, t, ticket_id)?;
            let budget = budget_of(axis.calendar, created, t.amount, positions)
                .map_err(err("first response"))?;
            let mut run = Run::new(
                axis,
                created,
                history.first_response,
                Vec::new(),
                budget,
                t.text.clone(),
                now,
                positions,
            )
            .map_err(err("first response"))?;
            if !clocks.changes.is_empty() {
                let pick = |t: &'p Targets| t.first_response.as_ref();
                let initial = |t: &Target, run: &Run<'_>, positions: &mut Positions| {
                    budget_of(run.axis.calendar, run.start, t.amount, positions)
                };
                apply_changes(clocks, &mut run, pick, &initial, positions)
                    .map_err(err("first response"))?;
            }
            runs.first_response = Some(run);
        }
        if let Some(t) = &targets.resolution {
            let axis = clocks.calendar(inner, t, ticket_id)?;
            let mut used_before = 0i64;
            for cycle in &history.cycles {
                let continues = matches!(
                    (targets.on_reopen, cycle.start_reason),
                    (
                        OnReopen::Continue,
                        CycleStart::Reopened | CycleStart::Unsatisfied
                    )
                );
                let of = |t: &Target, positions: &mut Positions| {
                    let cal = axis.calendar_at(cycle.start);
                    let full = budget_of(cal, cycle.start, t.amount, positions)?;
                    Ok::<_, crate::business_time::TimeError>(if continues {
                        Budget {
                            secs: full.secs - used_before,
                            ..full
                        }
                    } else {
                        full
                    })
                };
                let budget = of(t, positions).map_err(err("resolution"))?;
                let pauses = cycle
                    .pauses
                    .iter()
                    .map(|p| Paused::new(p.start, p.end))
                    .collect();
                let mut run = Run::new(
                    axis.clone(),
                    cycle.start,
                    cycle.end,
                    pauses,
                    budget,
                    t.text.clone(),
                    now,
                    positions,
                )
                .map_err(err("resolution"))?;
                if !clocks.changes.is_empty() {
                    let pick = |t: &'p Targets| t.resolution.as_ref();
                    let initial =
                        |t: &Target, _: &Run<'_>, positions: &mut Positions| of(t, positions);
                    apply_changes(clocks, &mut run, pick, &initial, positions)
                        .map_err(err("resolution"))?;
                }
                used_before += run.elapsed();
                runs.resolution.push(run);
            }
        }
        if let (Some(t), Some(_)) = (&targets.next_response, history.first_response) {
            let axis = clocks.calendar(inner, t, ticket_id)?;
            let at_axis = axis.clone();
            let mut budget = |start| {
                budget_of(at_axis.calendar_at(start), start, t.amount, &mut *positions)
                    .map_err(err("next response"))
            };
            // Every wait between two agent updates, while the ticket was open.
            let mut breached_before = false;
            for pair in history.updates.windows(2) {
                if let [a, b] = pair {
                    if axis.between(*a, *b) > budget(*a)?.secs {
                        breached_before = true;
                    }
                }
            }
            if let (Some(last), Some(cycle)) = (history.updates.last(), history.current()) {
                let pauses = cycle
                    .pauses
                    .iter()
                    .filter(|p| p.end.is_none_or(|e| e > *last))
                    .map(|p| Paused::new(p.start.max(*last), p.end))
                    .collect();
                let stop = cycle.end;
                runs.next_response = Some(
                    Run::new(
                        axis,
                        *last,
                        stop,
                        pauses,
                        budget(*last)?,
                        t.text.clone(),
                        now,
                        positions,
                    )
                    .map_err(err("next response"))?,
                );
            }
            runs.next_response_breached_before = breached_before;
        }
    }
    if let Some(f) = &inner.follow_up {
        // The visit after the latest resolution; none is owed if the ticket was reopened
        // before it took place.
        let latest = history.cycles.iter().rev().find(|c| c.is_resolved());
        let is_current =
            |c: &super::history::Cycle| history.cycles.last().is_some_and(|l| std::ptr::eq(l, c));
        if let Some(cycle) = latest.filter(|c| c.visit.is_some() || is_current(c)) {
            if let Some(resolved) = cycle.end {
                let axis = clocks.calendar(inner, &f.within, ticket_id)?;
                let budget = budget_of(
                    axis.calendar_at(resolved),
                    resolved,
                    f.within.amount,
                    positions,
                )
                .map_err(err("follow-up"))?;
                runs.follow_up = Some(
                    Run::new(
                        axis,
                        resolved,
                        cycle.visit.map(|v| v.at),
                        Vec::new(),
                        budget,
                        f.within.text.clone(),
                        now,
                        positions,
                    )
                    .map_err(err("follow-up"))?,
                );
            }
        }
    }
    Ok(runs)
}

/// Agents' priority changes during a run. Under `from_creation` the run keeps the target of
/// the priority in force now, counted from its start; under `from_change` it starts with the
/// target of the priority in force at its start, and each change while it counts gives the new
/// priority's target from the change on, on top of what was already used. Either way, a
/// deadline that passed while its priority was in force leaves the clock breached.
fn apply_changes<'p>(
    clocks: &Clocks<'p>,
    run: &mut Run<'p>,
    pick: impl Fn(&'p Targets) -> Option<&'p Target>,
    initial: &dyn Fn(
        &Target,
        &Run<'p>,
        &mut Positions,
    ) -> Result<Budget, crate::business_time::TimeError>,
    positions: &mut Positions,
) -> Result<(), crate::business_time::TimeError> {
    let Some((first, rest)) = clocks.changes.split_first() else {
        return Ok(());
    };
    // The targets in force at the start, and the changes while the run counts.
    let mut current = first.targets;
    let mut during = Vec::new();
    for c in rest {
        if c.at <= run.start {
            current = c.targets;
        } else if run.stop.is_none_or(|s| c.at < s) {
            during.push(*c);
        }
    }
    let mut budget = match current.and_then(&pick) {
        Some(t) => Some((initial(t, run, positions)?, 0, t.text.clone())),
        None => None,
    };
    for change in &during {
        if let Some((b, _, _)) = &budget {
            if run
                .instant_after(b.secs)?
                .is_some_and(|due| due <= change.at)
            {
                run.breached_before = true;
            }
        }
        budget = match change.targets.and_then(&pick) {
            Some(t) => Some(match clocks.on_priority_change {
                OnPriorityChange::FromCreation => (initial(t, run, positions)?, 0, t.text.clone()),
                OnPriorityChange::FromChange => {
                    let used = run.used_at(change.at, positions);
                    let cal = run.axis.calendar_at(change.at);
                    let more = budget_of(cal, change.at, t.amount, positions)?;
                    let total = Budget {
                        secs: used + more.secs,
                        ..more
                    };
                    (total, used, t.text.clone())
                }
            }),
            None => None,
        };
    }
    // Under `from_creation` the last budget is the one the run was built with.
    if clocks.on_priority_change == OnPriorityChange::FromChange {
        if let Some((b, spent, text)) = budget {
            run.set_budget(b, spent, text)?;
        }
    }
    Ok(())
}

impl Runs<'_> {
    /// The clocks of the decision as of `now`, with their explanations in the trace.
    pub(crate) fn clocks(
        &self,
        calendar: Option<Arc<str>>,
        priority: &str,
        now: DateTime<Utc>,
        tz: Tz,
        trace: &mut Option<Vec<TraceEvent>>,
    ) -> Sla {
        let mut sla = Sla {
            calendar,
            ..Sla::default()
        };
        let why = match trace {
            Some(_) => format!("priority {priority}"),
            None => String::new(),
        };
        let tracing = trace.is_some();
        let mut note = |clock: ClockTrace| {
            if let Some(t) = trace.as_mut() {
                t.push(TraceEvent::Clock(clock));
            }
        };
        let explain = |run: &Run<'_>, metric: &'static str, cycle: Option<u32>, why: &str| {
            run.explain(metric, cycle, why, now, tz)
        };
        if let Some(run) = &self.first_response {
            sla.first_response = Some(run.clock(now, tz, None));
            if tracing {
                note(explain(run, "first_response", None, &why));
            }
        }
        if let Some((last, earlier)) = self.resolution.split_last() {
            let cycle = |i: usize| Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
            let mut clock = last.clock(now, tz, cycle(earlier.len()));
            clock.previous_cycles = earlier
                .iter()
                .enumerate()
                .map(|(i, r)| r.clock(now, tz, cycle(i)))
                .collect();
            if tracing {
                for (i, r) in self.resolution.iter().enumerate() {
                    let several = self.resolution.len() > 1;
                    note(explain(
                        r,
                        "resolution",
                        several.then(|| cycle(i)).flatten(),
                        &why,
                    ));
                }
            }
            sla.resolution = Some(clock);
        }
        if let Some(run) = &self.next_response {
            let mut clock = run.clock(now, tz, None);
            if self.next_response_breached_before {
                clock.status = ClockStatus::Breached;
            }
            if tracing {
                note(explain(run, "next_response", None, &why));
            }
            sla.next_response = Some(clock);
        }
        if let Some(run) = &self.follow_up {
            sla.follow_up = Some(run.clock(now, tz, None));
            if tracing {
                note(explain(run, "follow_up", None, "after resolution"));
            }
        }
        sla
    }

    /// The earliest due instant after `now` of a clock still counting, if any.
    pub(crate) fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        [
            self.first_response.as_ref(),
            self.resolution.last(),
            // An earlier wait already broke the target: this clock stays breached whatever
            // happens, so its due changes nothing.
            self.next_response
                .as_ref()
                .filter(|_| !self.next_response_breached_before),
            self.follow_up.as_ref(),
        ]
        .into_iter()
        .flatten()
        .filter(|r| r.stop.is_none_or(|s| s > now))
        // An earlier priority's deadline was missed: nothing later changes the status.
        .filter(|r| !r.breached_before)
        .filter_map(|r| r.due)
        .filter(|d| *d > now)
        .min()
    }
}
