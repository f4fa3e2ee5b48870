//! SLA clocks: one run of a metric from a start instant, with its budget of business time and
//! its pauses, and what that means as of `now`.
//!
//! Everything is counted on one calendar; the budget and the escalation steps are instants at
//! which a given amount of unpaused business time has been used.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::business_time::{Amount, Calendar, ClosedReason, TimeError};
use crate::output::decision::{BusinessSpan, Clock, ClockStatus, ZonedInstant};
use crate::output::trace::{ClockTrace, PauseTrace};
use crate::ticket::{TicketError, TicketErrorKind};

/// One run of a metric.
///
/// Every instant it measures from (start, pause edges, and where counting ends as of `now`) is
/// looked up once as a position on the calendar's business-time axis, so spans are
/// subtractions and a due instant is one inverse lookup.
#[derive(Debug, Clone)]
pub(crate) struct Run<'c> {
    pub(crate) calendar: &'c Calendar,
    pub(crate) calendar_name: &'c str,
    pub(crate) start: DateTime<Utc>,
    pub(crate) stop: Option<DateTime<Utc>>,
    /// Pauses in time order, clipped to the run; an open pause has no end.
    pub(crate) pauses: Vec<Paused>,
    /// Business seconds allowed.
    pub(crate) budget: i64,
    /// The target was given in business days: instants land on the same local time of a
    /// working day, so one that falls on a closing moves to the next opening.
    pub(crate) whole_days: bool,
    pub(crate) target: Arc<str>,
    /// The due instant; `None` while paused before the budget is used up.
    pub(crate) due: Option<DateTime<Utc>>,
    p_start: i64,
    /// The first opening at or after the start.
    started: Option<DateTime<Utc>>,
    /// Where counting ends as of `now`: the stop if it has happened, else `now` (never before
    /// the start).
    until: DateTime<Utc>,
    p_until: i64,
}

/// A pause of a run, with the positions of its edges.
#[derive(Debug, Clone)]
pub(crate) struct Paused {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: Option<DateTime<Utc>>,
    p_start: i64,
    p_end: Option<i64>,
}

impl Paused {
    pub(crate) fn new(start: DateTime<Utc>, end: Option<DateTime<Utc>>) -> Paused {
        Paused {
            start,
            end,
            p_start: 0,
            p_end: None,
        }
    }
}

/// Calendar positions already looked up during one evaluation: the runs of a ticket share
/// most of their instants (creation, resolution, `now`).
#[derive(Default)]
pub(crate) struct Positions {
    seen: [(usize, i64, i64); POSITIONS],
    len: usize,
    /// First openings at or after a run's start (runs often share their start).
    openings: [(usize, i64, Option<DateTime<Utc>>); 3],
    openings_len: usize,
}

/// A ticket's runs look up about seven instants; more are looked up again, not cached.
const POSITIONS: usize = 10;

impl Positions {
    pub(crate) fn of(&mut self, cal: &Calendar, at: DateTime<Utc>) -> i64 {
        let key = (std::ptr::from_ref(cal) as usize, at.timestamp());
        if let Some(&(_, _, p)) = self
            .seen
            .iter()
            .take(self.len)
            .find(|(c, t, _)| (*c, *t) == key)
        {
            return p;
        }
        let p = cal.position(at);
        if let Some(slot) = self.seen.get_mut(self.len) {
            *slot = (key.0, key.1, p);
            self.len += 1;
        }
        p
    }

    /// The first open instant at or after `at`.
    fn next_open(&mut self, cal: &Calendar, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let key = (std::ptr::from_ref(cal) as usize, at.timestamp());
        if let Some(&(_, _, open)) = self
            .openings
            .iter()
            .take(self.openings_len)
            .find(|(c, t, _)| (*c, *t) == key)
        {
            // Equal whole seconds: the opening is `at` itself when `at` is open.
            return open.map(|o| if o.timestamp() == key.1 { at } else { o });
        }
        let open = cal.next_open_from(at, self.of(cal, at));
        if let Some(slot) = self.openings.get_mut(self.openings_len) {
            *slot = (key.0, key.1, open);
            self.openings_len += 1;
        }
        open
    }
}

pub(crate) fn time_error(ticket: &str, what: &str, e: TimeError) -> TicketError {
    TicketError::new(Some(ticket), TicketErrorKind::Time, format!("{what}: {e}"))
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
    positions: &mut Positions,
) -> Result<Budget, TimeError> {
    Ok(match amount {
        Amount::Seconds(secs) => Budget {
            secs,
            whole_days: false,
        },
        Amount::Days(_) => {
            let end = cal.add(start, amount)?;
            Budget {
                secs: (positions.of(cal, end) - positions.of(cal, start)).max(0),
                whole_days: true,
            }
        }
    })
}

impl<'c> Run<'c> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        calendar: &'c Calendar,
        calendar_name: &'c str,
        start: DateTime<Utc>,
        stop: Option<DateTime<Utc>>,
        mut pauses: Vec<Paused>,
        budget: Budget,
        target: Arc<str>,
        now: DateTime<Utc>,
        positions: &mut Positions,
    ) -> Result<Run<'c>, TimeError> {
        for p in &mut pauses {
            p.p_start = positions.of(calendar, p.start);
            p.p_end = p.end.map(|e| positions.of(calendar, e));
        }
        let until = stop.filter(|s| *s <= now).unwrap_or(now).max(start);
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
            p_start: positions.of(calendar, start),
            started: positions.next_open(calendar, start),
            until,
            p_until: positions.of(calendar, until),
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
        let (mut from, mut p_from) = (self.start, self.p_start);
        for p in &self.pauses {
            let available = (p.p_start - p_from).max(0);
            if available >= remaining {
                return cal.add_seconds_from(from, p_from, remaining).map(Some);
            }
            remaining -= available;
            match (p.end, p.p_end) {
                (Some(end), Some(p_end)) => {
                    if end > from {
                        (from, p_from) = (end, p_end);
                    }
                }
                _ => return Ok(None),
            }
        }
        cal.add_seconds_from(from, p_from, remaining).map(Some)
    }

    /// Where a pause stops counting as of `now`: its end, or where the run's count ends.
    fn pause_end(&self, p: &Paused) -> i64 {
        match (p.end, p.p_end) {
            (Some(e), Some(p_end)) if e < self.until => p_end,
            _ => self.p_until,
        }
    }

    /// Unpaused business seconds from the start to where counting ends as of `now`.
    pub(crate) fn elapsed(&self) -> i64 {
        let mut total = (self.p_until - self.p_start).max(0);
        for p in &self.pauses {
            if p.start >= self.until {
                break;
            }
            total -= (self.pause_end(p) - p.p_start).max(0);
        }
        total.max(0)
    }

    /// Business seconds spent paused up to where counting ends as of `now`.
    pub(crate) fn paused(&self) -> i64 {
        self.pauses
            .iter()
            .filter(|p| p.start < self.until)
            .map(|p| (self.pause_end(p) - p.p_start).max(0))
            .sum()
    }

    /// Whether the run counts nothing right now because of an open pause.
    pub(crate) fn is_paused(&self, now: DateTime<Utc>) -> bool {
        self.stop.is_none_or(|s| s > now)
            && self
                .pauses
                .last()
                .is_some_and(|p| p.start <= now && p.end.is_none_or(|e| e > now))
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
        let elapsed = self.elapsed();
        let started = self.started.unwrap_or(self.start);
        let (remaining, overdue_by) = match status {
            ClockStatus::Breached => (None, Some(BusinessSpan((elapsed - self.budget).max(0)))),
            _ => (Some(BusinessSpan((self.budget - elapsed).max(0))), None),
        };
        Clock {
            target: self.target.clone(),
            due: self.due.map(|d| ZonedInstant::new(d, tz)),
            status,
            started_at: ZonedInstant::new(started.max(self.start), tz),
            stopped_at: self
                .stop
                .filter(|s| *s <= now)
                .map(|s| ZonedInstant::new(s, tz)),
            elapsed: BusinessSpan(elapsed),
            remaining,
            overdue_by,
            paused: BusinessSpan(self.paused()),
            cycle,
            previous_cycles: Vec::new(),
        }
    }

    /// The trace of this clock: target, calendar, opening, closed days skipped, pauses, due.
    pub(crate) fn explain(
        &self,
        metric: &'static str,
        cycle: Option<u32>,
        why: &str,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> ClockTrace {
        let cal = self.calendar;
        let opening = cal.next_open(self.start);
        let end = self
            .stop
            .filter(|s| *s <= now)
            .or(self.due)
            .unwrap_or(now)
            .max(opening.unwrap_or(self.start));
        let skipped = cal.skipped_days(self.start, end, 64);
        ClockTrace {
            metric,
            cycle,
            target: self.target.to_string(),
            why: why.to_string(),
            calendar: self.calendar_name.to_string(),
            started: ZonedInstant::new(self.start, tz),
            counted_from: opening
                .filter(|open| *open > self.start)
                .map(|open| ZonedInstant::new(open, tz)),
            skipped: (!skipped.is_empty()).then(|| describe_skipped(&skipped)),
            pauses: self
                .pauses
                .iter()
                .map(|p| PauseTrace {
                    start: ZonedInstant::new(p.start, tz),
                    end: p.end.map(|pe| {
                        (
                            ZonedInstant::new(pe, tz),
                            BusinessSpan(cal.between(p.start, pe)),
                        )
                    }),
                })
                .collect(),
            due: self.due.map(|due| ZonedInstant::new(due, tz)),
            stopped: self
                .stop
                .filter(|s| *s <= now)
                .map(|stop| ZonedInstant::new(stop, tz)),
        }
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
