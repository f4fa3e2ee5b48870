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
    /// Business seconds used before the target in force began (an agent changed the priority
    /// and the new target counts from the change): escalation shares start from there.
    pub(crate) spent_before: i64,
    /// A deadline in force earlier (before an agent changed the priority) passed while it was
    /// in force: the clock stays breached whatever the later target.
    pub(crate) breached_before: bool,
    /// The calendars it counts on, `calendar` first.
    pub(crate) axis: Axis<'c>,
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

/// The calendars a run counts on: `calendar` from its start, then each switch's calendar from
/// the switch on (a ticket transferred to a team with a calendar of its own). Positions on
/// this combined axis continue across a switch, so a run measures spans by subtraction as on
/// one calendar. Without switches it is the calendar itself and costs nothing more.
#[derive(Debug, Clone)]
pub(crate) struct Axis<'c> {
    pub(crate) calendar: &'c Calendar,
    pub(crate) name: &'c str,
    pub(crate) switches: Vec<Switch<'c>>,
}

/// From `at` on, counting goes on on `calendar`.
#[derive(Debug, Clone)]
pub(crate) struct Switch<'c> {
    pub(crate) at: DateTime<Utc>,
    pub(crate) calendar: &'c Calendar,
    pub(crate) name: &'c str,
    /// The position of `at` on `calendar`, and on the combined axis.
    own: i64,
    offset: i64,
}

impl<'c> Switch<'c> {
    pub(crate) fn new(at: DateTime<Utc>, calendar: &'c Calendar, name: &'c str) -> Switch<'c> {
        Switch {
            at,
            calendar,
            name,
            own: 0,
            offset: 0,
        }
    }
}

impl<'c> Axis<'c> {
    /// One calendar.
    pub(crate) fn one(calendar: &'c Calendar, name: &'c str) -> Axis<'c> {
        Axis {
            calendar,
            name,
            switches: Vec::new(),
        }
    }

    /// Keeps the switches after `start` that change the calendar, and places them on the axis.
    pub(crate) fn prepare(&mut self, start: DateTime<Utc>, positions: &mut Positions) {
        if self.switches.is_empty() {
            return;
        }
        let mut current = self.calendar;
        self.switches.retain(|s| {
            let keep = s.at > start && !std::ptr::eq(s.calendar, current);
            if keep {
                current = s.calendar;
            }
            keep
        });
        let (mut cal, mut own, mut offset) = (self.calendar, 0, 0);
        for s in &mut self.switches {
            s.offset = offset + positions.of(cal, s.at) - own;
            s.own = positions.of(s.calendar, s.at);
            (cal, own, offset) = (s.calendar, s.own, s.offset);
        }
    }

    /// The leg `at` falls in: its calendar, the position of its start on that calendar and on
    /// the axis (both 0 for the first leg, whose positions are the calendar's own).
    fn leg(&self, at: DateTime<Utc>) -> (&'c Calendar, i64, i64) {
        match self.switches.iter().rev().find(|s| s.at <= at) {
            Some(s) => (s.calendar, s.own, s.offset),
            None => (self.calendar, 0, 0),
        }
    }

    /// The calendar in force at `at`.
    pub(crate) fn calendar_at(&self, at: DateTime<Utc>) -> &'c Calendar {
        self.leg(at).0
    }

    /// The position of `at` on the axis.
    pub(crate) fn position(&self, at: DateTime<Utc>, positions: &mut Positions) -> i64 {
        let (cal, own, offset) = self.leg(at);
        offset + positions.of(cal, at) - own
    }

    /// Business seconds in `[a, b)` on the axis.
    pub(crate) fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b <= a {
            return 0;
        }
        let mut positions = Positions::default();
        (self.position(b, &mut positions) - self.position(a, &mut positions)).max(0)
    }

    /// The earliest instant at which `n` business seconds after `from` (at axis position
    /// `p_from`) are used up.
    fn add_from(
        &self,
        from: DateTime<Utc>,
        p_from: i64,
        n: i64,
    ) -> Result<DateTime<Utc>, TimeError> {
        if self.switches.is_empty() {
            return self.calendar.add_seconds_from(from, p_from, n);
        }
        let target = p_from.saturating_add(n.max(0));
        // The leg of `from`, then on while the target lies beyond the next switch.
        let mut leg = self.switches.iter().rposition(|s| s.at <= from);
        loop {
            let next = leg.map_or(0, |i| i + 1);
            match self.switches.get(next) {
                Some(s) if target > s.offset => leg = Some(next),
                _ => break,
            }
        }
        let (cal, own, offset, start, p_start) = match leg.and_then(|i| self.switches.get(i)) {
            Some(s) if s.at > from => (s.calendar, s.own, s.offset, s.at, s.offset),
            Some(s) => (s.calendar, s.own, s.offset, from, p_from),
            None => (self.calendar, 0, 0, from, p_from),
        };
        cal.add_seconds_from(start, p_start - offset + own, target - p_start)
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
        mut axis: Axis<'c>,
        start: DateTime<Utc>,
        stop: Option<DateTime<Utc>>,
        mut pauses: Vec<Paused>,
        budget: Budget,
        target: Arc<str>,
        now: DateTime<Utc>,
        positions: &mut Positions,
    ) -> Result<Run<'c>, TimeError> {
        axis.prepare(start, positions);
        for p in &mut pauses {
            p.p_start = axis.position(p.start, positions);
            p.p_end = p.end.map(|e| axis.position(e, positions));
        }
        let until = stop.filter(|s| *s <= now).unwrap_or(now).max(start);
        let (calendar, calendar_name) = (axis.calendar, axis.name);
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
            spent_before: 0,
            breached_before: false,
            p_start: axis.position(start, positions),
            started: positions.next_open(calendar, start),
            until,
            p_until: axis.position(until, positions),
            axis,
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
            Some(t) if self.whole_days && !self.axis.calendar_at(t).is_open(t) => {
                Some(self.axis.calendar_at(t).next_open(t).unwrap_or(t))
            }
            other => other,
        })
    }

    fn count(&self, amount: i64) -> Result<Option<DateTime<Utc>>, TimeError> {
        let cal = &self.axis;
        let mut remaining = amount.max(0);
        let (mut from, mut p_from) = (self.start, self.p_start);
        for p in &self.pauses {
            let available = (p.p_start - p_from).max(0);
            if available >= remaining {
                return cal.add_from(from, p_from, remaining).map(Some);
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
        cal.add_from(from, p_from, remaining).map(Some)
    }

    /// Unpaused business seconds from the start to `at` (at most to where counting ends as of
    /// `now`).
    pub(crate) fn used_at(&self, at: DateTime<Utc>, positions: &mut Positions) -> i64 {
        let at = at.clamp(self.start, self.until);
        let p_at = self.axis.position(at, positions);
        let mut total = p_at - self.p_start;
        for p in &self.pauses {
            if p.start >= at {
                break;
            }
            let end = match (p.end, p.p_end) {
                (Some(e), Some(p_end)) if e < at => p_end,
                _ => p_at,
            };
            total -= (end - p.p_start).max(0);
        }
        total.max(0)
    }

    /// Gives the run another budget (and target text), `spent_before` of it used before that
    /// target began.
    pub(crate) fn set_budget(
        &mut self,
        budget: Budget,
        spent_before: i64,
        target: Arc<str>,
    ) -> Result<(), TimeError> {
        self.budget = budget.secs.max(0);
        self.whole_days = budget.whole_days;
        self.spent_before = spent_before.clamp(0, self.budget);
        self.target = target;
        self.due = self.instant_after(self.budget)?;
        Ok(())
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
        if self.breached_before {
            return ClockStatus::Breached;
        }
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
            // An earlier deadline was missed; the one in force now may still be ahead.
            ClockStatus::Breached if self.breached_before && elapsed < self.budget => {
                (Some(BusinessSpan(self.budget - elapsed)), None)
            }
            ClockStatus::Breached => (None, Some(BusinessSpan((elapsed - self.budget).max(0)))),
            _ => (Some(BusinessSpan((self.budget - elapsed).max(0))), None),
        };
        // A clock stopped while closed, before its first opening (an answer on a holiday),
        // never counted: it shows the instant it started, so that it starts before it stops.
        let counting = started.max(self.start);
        let started_at = match self.stop.filter(|s| *s <= now) {
            Some(stop) if stop < counting => self.start,
            _ => counting,
        };
        Clock {
            target: self.target.clone(),
            due: self.due.map(|d| ZonedInstant::new(d, tz)),
            status,
            started_at: ZonedInstant::new(started_at, tz),
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
                            BusinessSpan(self.axis.between(p.start, pe)),
                        )
                    }),
                })
                .collect(),
            switches: self
                .axis
                .switches
                .iter()
                .map(|sw| (ZonedInstant::new(sw.at, tz), sw.name.to_string()))
                .collect(),
            spent_before: (self.spent_before > 0).then_some(BusinessSpan(self.spent_before)),
            breached_before: self.breached_before,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_time::{CalendarSpec, Window};

    /// Monday to Friday, one window a day, in Shanghai.
    fn weekdays(window: &str) -> Calendar {
        let mut spec = CalendarSpec::new(chrono_tz::Asia::Shanghai);
        for d in 0..5 {
            spec.week[d] = vec![Window::parse(window).expect("a window")];
        }
        Calendar::new(spec).expect("a calendar")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("an instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn an_axis_continues_across_a_switch_and_counts_each_leg_on_its_calendar() {
        let office = weekdays("09:00-17:00");
        let late = weekdays("12:00-22:00");
        let mut axis = Axis::one(&office, "office");
        axis.switches
            .push(Switch::new(at("2025-11-03T15:00:00+08:00"), &late, "late"));
        let mut positions = Positions::default();
        let start = at("2025-11-03T09:00:00+08:00");
        axis.prepare(start, &mut positions);
        let p = |t: &str, positions: &mut Positions| {
            axis.position(at(t), positions) - axis.position(start, positions)
        };
        // Office 09:00–15:00, then the late shift 15:00–22:00.
        assert_eq!(p("2025-11-03T15:00:00+08:00", &mut positions), 6 * 3600);
        assert_eq!(p("2025-11-03T22:00:00+08:00", &mut positions), 13 * 3600);
        assert_eq!(p("2025-11-04T13:00:00+08:00", &mut positions), 14 * 3600);
        let p_start = axis.position(start, &mut positions);
        let add = |n: i64| axis.add_from(start, p_start, n).expect("an instant");
        // A budget that runs out exactly at the switch is due at the switch.
        assert_eq!(add(6 * 3600), at("2025-11-03T15:00:00+08:00"));
        assert_eq!(add(13 * 3600), at("2025-11-03T22:00:00+08:00"));
        // The next hour is on the late calendar: Tuesday 12:00–13:00.
        assert_eq!(add(14 * 3600), at("2025-11-04T13:00:00+08:00"));
        assert_eq!(
            axis.between(start, at("2025-11-04T13:00:00+08:00")),
            14 * 3600
        );
        // A switch to the calendar already in force is no switch.
        let mut same = Axis::one(&office, "office");
        same.switches.push(Switch::new(
            at("2025-11-03T15:00:00+08:00"),
            &office,
            "office",
        ));
        same.prepare(start, &mut Positions::default());
        assert!(same.switches.is_empty());
    }
}
