//! The escalation ladder: for each step and each run of its metric, the instant at which the
//! step's share of the budget (plus its offset) has been used, and whether that has passed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::clock::{budget_of, time_error, Positions, Run};
use super::sla::Runs;
use crate::output::trace::TraceEvent;

use crate::business_time::Amount;
use crate::check::Metric;
use crate::compile::Compiled;
use crate::compile::{Scan, Subject};
use crate::output::decision::{Escalation, EscalationKey, Owner, ZonedInstant};
use crate::ticket::TicketError;

/// Who held the ticket from an instant on: an agent's transfer, or the route at creation.
#[derive(Debug, Clone)]
pub(crate) struct Holder {
    pub(crate) from: DateTime<Utc>,
    pub(crate) department: usize,
    pub(crate) team: Option<Arc<str>>,
    pub(crate) assignee: Option<Arc<str>>,
    /// The calendar the clocks count on there.
    pub(crate) calendar: Option<usize>,
    /// The agent's event that put it there; `None` where the rules did.
    pub(crate) event: Option<usize>,
}

pub(crate) struct Ladder {
    pub(crate) steps: Vec<Escalation>,
    /// Unfired steps still to come, for `next_change_at`.
    pub(crate) upcoming: Option<DateTime<Utc>>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn ladder(
    inner: &Compiled,
    subject: &Subject<'_>,
    ticket_id: &Arc<str>,
    scan: &mut Scan,
    runs: &Runs<'_>,
    department: usize,
    holders: &[Holder],
    now: DateTime<Utc>,
    tz: Tz,
    trace: &mut Option<Vec<TraceEvent>>,
) -> Result<Ladder, TicketError> {
    let ticket = &subject.ticket.id;
    let mut out = Ladder {
        steps: Vec::new(),
        upcoming: None,
    };
    for (index, step) in inner.escalations.steps.iter().enumerate() {
        if !step.cond.eval(subject, &inner.keywords, scan) {
            continue;
        }
        let metric_runs: &[Run<'_>] = match step.metric {
            Metric::FirstResponse => runs.first_response.as_slice(),
            Metric::Resolution => &runs.resolution,
            Metric::NextResponse => runs.next_response.as_slice(),
            Metric::FollowUp => runs.follow_up.as_slice(),
        };
        for (i, run) in metric_runs.iter().enumerate() {
            let cycle = u32::try_from(i + 1).unwrap_or(u32::MAX);
            // The share of the target in force, after what was used before it began.
            let share = run.spent_before
                + (run.budget - run.spent_before).saturating_mul(i64::from(step.permille)) / 1000;
            let at = match &step.offset {
                // An offset on the metric's own calendar continues the same count, pauses and all.
                // Business days are counted from the instant the share is used up, where the
                // offset begins: working days differ in length.
                Some(o) if o.calendar.is_none() => {
                    let from = match o.amount {
                        Amount::Seconds(_) => Some(run.start),
                        Amount::Days(_) => run
                            .instant_after(share)
                            .map_err(|e| time_error(ticket, "escalation", e))?,
                    };
                    match from {
                        Some(from) => {
                            let extra = budget_of(
                                run.axis.calendar_at(from),
                                from,
                                o.amount,
                                &mut Positions::default(),
                            )
                            .map_err(|e| time_error(ticket, "escalation", e))?;
                            run.instant_after(share.saturating_add(extra.secs))
                        }
                        None => Ok(None),
                    }
                }
                Some(o) => match run.instant_after(share) {
                    Ok(Some(base)) => {
                        let cal = o
                            .calendar
                            .and_then(|i| inner.calendars.get(i))
                            .map_or(run.axis.calendar_at(base), |(_, c)| c);
                        cal.add(base, o.amount).map(Some)
                    }
                    other => other,
                },
                // The whole target: the due instant, already known.
                None if step.permille == 1000 => Ok(run.due),
                None => run.instant_after(share),
            }
            .map_err(|e| time_error(ticket, "escalation", e))?;
            // A step fires only while its clock is still counting.
            let live = |t: DateTime<Utc>| run.stop.is_none_or(|s| t < s);
            let fired = at.is_some_and(|t| t <= now && live(t));
            if let Some(t) = at.filter(|t| *t > now && live(*t)) {
                out.upcoming = Some(out.upcoming.map_or(t, |u| u.min(t)));
            }
            if let (Some(trace), true) = (trace.as_mut(), fired) {
                trace.push(TraceEvent::Escalation {
                    step: step.text.to_string(),
                    metric: step.metric.name(),
                    cycle,
                    at: at.map(|t| ZonedInstant::new(t, tz)),
                });
            }
            // The holder when the step fires; for a step still to come, the holder now.
            let holder = match at.filter(|t| *t <= now) {
                Some(t) => holders.iter().rev().find(|h| h.from <= t),
                None => holders.last(),
            };
            let department = holder.map_or(department, |h| h.department);
            out.steps.push(Escalation {
                key: EscalationKey::new(ticket_id.clone(), step.metric.name(), cycle, index),
                metric: step.metric.name(),
                cycle,
                step: step.text.clone(),
                at: at.map(|t| ZonedInstant::new(t, tz)),
                notify: step
                    .recipients
                    .get(department)
                    .cloned()
                    .unwrap_or_else(|| step.notify.clone()),
                fired,
                owner: holder.map(|h| Owner {
                    department: inner
                        .departments
                        .get(h.department)
                        .map_or_else(|| Arc::from(""), |d| d.id.clone()),
                    team: h.team.clone(),
                    assignee: h.assignee.clone(),
                }),
            });
        }
    }

    Ok(out)
}
