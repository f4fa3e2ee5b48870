//! SLA clocks: one run of a metric from a start instant, with its budget of business time and
//! its pauses, and what that means as of `now`.
//!
//! Everything is counted on one calendar; the budget and the escalation steps are instants at
//! which a given amount of unpaused business time has been used.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::business_time::{Amount, Calendar, ClosedReason, TimeError};
use crate::decision::{Clock, ClockStatus, Instant, Span};
use crate::ticket::TicketError;

/// One run of a metric.
#[derive(Debug, Clone)]
pub(crate) struct Run<'c> {
    pub(crate) calendar: &'c Calendar,
    pub(crate) calendar_name: &'c str,
    pub(crate) start: DateTime<Utc>,
    pub(crate) stop: Option<DateTime<Utc>>,
    /// Pauses in time order, clipped to the run; an open pause has no end.
    pub(crate) pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// Business seconds allowed.
    pub(crate) budget: i64,
    /// The target was given in business days: instants land on the same local time of a
    /// working day, so one that falls on a closing moves to the next opening.
    pub(crate) whole_days: bool,
    pub(crate) target: Arc<str>,
    /// The due instant; `None` while paused before the budget is used up.
    pub(crate) due: Option<DateTime<Utc>>,
}

pub(crate) fn time_error(ticket: &str, what: &str, e: TimeError) -> TicketError {
    TicketError::new(Some(ticket), format!("{what}: {e}"))
}

/// How much business time a target allows from a given start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    pub(crate) secs: i64,
    pub(crate) whole_days: bool,
}

/// Business seconds of `amount` counted from `start` (business days depend on the start).
pub(crate) fn budget_of(
    cal: &Calendar,
    start: DateTime<Utc>,
    amount: Amount,
) -> Result<Budget, TimeError> {
    Ok(match amount {
        Amount::Seconds(secs) => Budget {
            secs,
            whole_days: false,
        },
        Amount::Days(_) => Budget {
            secs: cal.between(start, cal.add(start, amount)?),
            whole_days: true,
        },
    })
}

impl<'c> Run<'c> {
    pub(crate) fn new(
        calendar: &'c Calendar,
        calendar_name: &'c str,
        start: DateTime<Utc>,
        stop: Option<DateTime<Utc>>,
        pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
        budget: Budget,
        target: Arc<str>,
    ) -> Result<Run<'c>, TimeError> {
        let mut run = Run {
            calendar,
            calendar_name,
            start,
            stop,
            pauses,
            budget: budget.secs.max(0),
            whole_days: budget.whole_days,
            target,
            due: None,
        };
        run.due = run.instant_after(run.budget)?;
        Ok(run)
    }

    /// The instant at which `amount` business seconds of unpaused time have been used;
    /// `None` if an open pause comes first.
    pub(crate) fn instant_after(&self, amount: i64) -> Result<Option<DateTime<Utc>>, TimeError> {
        let at = self.count(amount)?;
        Ok(match at {
            // `3bd` means the same local time on the third working day: a count that ends at a
            // closing is due at the next opening, which holds the same business time.
            Some(t) if self.whole_days && !self.calendar.is_open(t) => {
                Some(self.calendar.next_open(t).unwrap_or(t))
            }
            other => other,
        })
    }

    fn count(&self, amount: i64) -> Result<Option<DateTime<Utc>>, TimeError> {
        let cal = self.calendar;
        let mut remaining = amount.max(0);
        let mut from = self.start;
        for &(pause_start, pause_end) in &self.pauses {
            let available = cal.between(from, pause_start);
            if available >= remaining {
                return cal.add(from, Amount::Seconds(remaining)).map(Some);
            }
            remaining -= available;
            match pause_end {
                Some(end) => from = end.max(from),
                None => return Ok(None),
            }
        }
        cal.add(from, Amount::Seconds(remaining)).map(Some)
    }

    /// Unpaused business seconds from the start up to `until`.
    pub(crate) fn elapsed(&self, until: DateTime<Utc>) -> i64 {
        let cal = self.calendar;
        let mut total = cal.between(self.start, until);
        for &(ps, pe) in &self.pauses {
            if ps >= until {
                break;
            }
            let end = pe.map_or(until, |e| e.min(until));
            total -= cal.between(ps, end);
        }
        total.max(0)
    }

    /// Business seconds spent paused up to `until`.
    pub(crate) fn paused(&self, until: DateTime<Utc>) -> i64 {
        self.pauses
            .iter()
            .filter(|(ps, _)| *ps < until)
            .map(|&(ps, pe)| {
                self.calendar
                    .between(ps, pe.map_or(until, |e| e.min(until)))
            })
            .sum()
    }

    /// Whether the run counts nothing right now because of an open pause.
    pub(crate) fn is_paused(&self, now: DateTime<Utc>) -> bool {
        self.stop.is_none_or(|s| s > now)
            && self
                .pauses
                .last()
                .is_some_and(|(ps, pe)| *ps <= now && pe.is_none_or(|e| e > now))
    }

    pub(crate) fn status(&self, now: DateTime<Utc>) -> ClockStatus {
        match (self.stop.filter(|s| *s <= now), self.due) {
            (Some(stop), Some(due)) => {
                if stop <= due {
                    ClockStatus::Met
                } else {
                    ClockStatus::Breached
                }
            }
            (Some(_), None) => ClockStatus::Met,
            (None, Some(due)) if now >= due => ClockStatus::Breached,
            (None, _) if self.is_paused(now) => ClockStatus::Paused,
            (None, _) => ClockStatus::Running,
        }
    }

    /// The clock as of `now`, shown in `tz`.
    pub(crate) fn clock(&self, now: DateTime<Utc>, tz: Tz, cycle: Option<u32>) -> Clock {
        let status = self.status(now);
        let until = self
            .stop
            .filter(|s| *s <= now)
            .unwrap_or(now)
            .max(self.start);
        let elapsed = self.elapsed(until);
        let started = self.calendar.next_open(self.start).unwrap_or(self.start);
        let (remaining, overdue_by) = match status {
            ClockStatus::Breached => (None, Some(Span((elapsed - self.budget).max(0)))),
            _ => (Some(Span((self.budget - elapsed).max(0))), None),
        };
        Clock {
            target: self.target.clone(),
            due: self.due.map(|d| Instant::new(d, tz)),
            status,
            started_at: Instant::new(started.max(self.start), tz),
            stopped_at: self.stop.filter(|s| *s <= now).map(|s| Instant::new(s, tz)),
            elapsed: Span(elapsed),
            remaining,
            overdue_by,
            paused: Span(self.paused(until)),
            cycle,
            previous_cycles: Vec::new(),
        }
    }

    /// A sentence for the trace: target, calendar, opening, closed days skipped, pauses, due.
    pub(crate) fn explain(&self, metric: &str, why: &str, now: DateTime<Utc>, tz: Tz) -> String {
        let cal = self.calendar;
        let mut s = format!(
            "{metric}: target {} ({why}) on calendar {}",
            self.target, self.calendar_name
        );
        let start = Instant::new(self.start, tz);
        match cal.next_open(self.start) {
            Some(open) if open > self.start => {
                s.push_str(&format!(
                    "; started {start} outside business hours, counting from the opening at {}",
                    Instant::new(open, tz)
                ));
            }
            _ => s.push_str(&format!("; started {start}")),
        }
        let end = self
            .stop
            .filter(|s| *s <= now)
            .or(self.due)
            .unwrap_or(now)
            .max(cal.next_open(self.start).unwrap_or(self.start));
        let skipped = cal.skipped_days(self.start, end, 64);
        if !skipped.is_empty() {
            s.push_str("; skipped ");
            s.push_str(&describe_skipped(&skipped));
        }
        for (ps, pe) in &self.pauses {
            match pe {
                Some(pe) => s.push_str(&format!(
                    "; paused {} to {} ({} of business time)",
                    Instant::new(*ps, tz),
                    Instant::new(*pe, tz),
                    Span(cal.between(*ps, *pe))
                )),
                None => s.push_str(&format!("; paused since {}", Instant::new(*ps, tz))),
            }
        }
        match self.due {
            Some(due) => s.push_str(&format!("; due {}", Instant::new(due, tz))),
            None => s.push_str("; due when the pause ends"),
        }
        if let Some(stop) = self.stop.filter(|s| *s <= now) {
            s.push_str(&format!("; stopped {}", Instant::new(stop, tz)));
        }
        s
    }
}

/// `2025-10-01..2025-10-08 (holiday), 2025-10-11 (closed weekday)`.
fn describe_skipped(days: &[crate::business_time::SkippedDay]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(first) = days.get(i) {
        let mut j = i;
        while let (Some(a), Some(b)) = (days.get(j), days.get(j + 1)) {
            if b.reason == first.reason && a.date.succ_opt() == Some(b.date) {
                j += 1;
            } else {
                break;
            }
        }
        let reason = match first.reason {
            ClosedReason::Holiday => "holiday",
            ClosedReason::ClosedWeekday => "closed",
        };
        let last = days.get(j).map_or(first.date, |d| d.date);
        if last == first.date {
            parts.push(format!("{} ({reason})", first.date));
        } else {
            parts.push(format!("{}..{} ({reason})", first.date, last));
        }
        i = j + 1;
    }
    parts.join(", ")
}
