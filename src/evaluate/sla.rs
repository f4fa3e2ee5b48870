//! The SLA stage: which targets apply, and the runs of each metric over the ticket's history.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::clock::{budget_of, time_error, Budget, Paused, Positions, Run};
use super::history::{CycleStart, History};
use crate::business_time::Calendar;
use crate::check::OnReopen;
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
    pub(crate) calendar: usize,
    pub(crate) targets: Option<&'p Targets>,
}

impl<'p> Clocks<'p> {
    /// The calendar a target counts on: its own `@calendar`, else the one in force.
    fn calendar(
        &self,
        inner: &'p Compiled,
        target: &Target,
        ticket_id: &str,
    ) -> Result<(&'p Calendar, &'p str), TicketError> {
        let index = target.calendar.unwrap_or(self.calendar);
        inner
            .calendars
            .get(index)
            .map(|(n, c)| (c, &**n))
            .ok_or_else(|| {
                TicketError::new(
                    Some(ticket_id),
                    TicketErrorKind::Internal,
                    "internal error: a calendar is missing",
                )
            })
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
            let (cal, name) = clocks.calendar(inner, t, ticket_id)?;
            let budget =
                budget_of(cal, created, t.amount, positions).map_err(err("first response"))?;
            runs.first_response = Some(
                Run::new(
                    cal,
                    name,
                    created,
                    history.first_response,
                    Vec::new(),
                    budget,
                    t.text.clone(),
                    now,
                    positions,
                )
                .map_err(err("first response"))?,
            );
        }
        if let Some(t) = &targets.resolution {
            let (cal, name) = clocks.calendar(inner, t, ticket_id)?;
            let mut used_before = 0i64;
            for cycle in &history.cycles {
                let full =
                    budget_of(cal, cycle.start, t.amount, positions).map_err(err("resolution"))?;
                let budget = match (targets.on_reopen, cycle.start_reason) {
                    (OnReopen::Continue, CycleStart::Reopened | CycleStart::Unsatisfied) => {
                        Budget {
                            secs: full.secs - used_before,
                            ..full
                        }
                    }
                    _ => full,
                };
                let pauses = cycle
                    .pauses
                    .iter()
                    .map(|p| Paused::new(p.start, p.end))
                    .collect();
                let run = Run::new(
                    cal,
                    name,
                    cycle.start,
                    cycle.end,
                    pauses,
                    budget,
                    t.text.clone(),
                    now,
                    positions,
                )
                .map_err(err("resolution"))?;
                used_before += run.elapsed();
                runs.resolution.push(run);
            }
        }
        if let (Some(t), Some(_)) = (&targets.next_response, history.first_response) {
            let (cal, name) = clocks.calendar(inner, t, ticket_id)?;
            let mut budget = |start| {
                budget_of(cal, start, t.amount, &mut *positions).map_err(err("next response"))
            };
            // Every wait between two agent updates, while the ticket was open.
            let mut breached_before = false;
            for pair in history.updates.windows(2) {
                if let [a, b] = pair {
                    if cal.between(*a, *b) > budget(*a)?.secs {
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
                        cal,
                        name,
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
                let (cal, name) = clocks.calendar(inner, &f.within, ticket_id)?;
                let budget = budget_of(cal, resolved, f.within.amount, positions)
                    .map_err(err("follow-up"))?;
                runs.follow_up = Some(
                    Run::new(
                        cal,
                        name,
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
        .filter_map(|r| r.due)
        .filter(|d| *d > now)
        .min()
    }
}
