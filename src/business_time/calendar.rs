use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{Amount, TimeError};

/// An opening window within one local day: `[start, end)` in seconds since local midnight.
/// `end` may be 86 400 (`24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    /// Seconds since local midnight at which the window opens.
    pub start: u32,
    /// Seconds since local midnight at which the window closes (exclusive), at most 86 400.
    pub end: u32,
}

impl Window {
    /// Parses `"HH:MM-HH:MM"`; the end may be `24:00` and must be after the start.
    pub fn parse(text: &str) -> Result<Window, TimeError> {
        todo!("{text}")
    }
}

/// Everything needed to build a [`Calendar`].
#[derive(Debug, Clone)]
pub struct CalendarSpec {
    /// The calendar's IANA time zone.
    pub timezone: Tz,
    /// Opening windows per weekday, index 0 = Monday … 6 = Sunday; empty = closed.
    pub week: [Vec<Window>; 7],
    /// Dates closed all day.
    pub holidays: Vec<NaiveDate>,
    /// Make-up working days (调休), open with `workday_hours`.
    pub workdays: Vec<NaiveDate>,
    /// Windows of a make-up workday; `None` means Monday's windows.
    pub workday_hours: Option<Vec<Window>>,
    /// Open at every instant (the other fields but `timezone` are ignored).
    pub always_open: bool,
}

/// Why a day had no business time (for explanations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReason {
    /// Listed in `holidays`.
    Holiday,
    /// Its weekday has no windows.
    ClosedWeekday,
}

/// A closed local day that a span of business time skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedDay {
    /// The local date.
    pub date: NaiveDate,
    /// Why it was closed.
    pub reason: ClosedReason,
}

/// A compiled business calendar. Immutable, `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Calendar {}

impl Calendar {
    /// Validates the spec and prepares it for fast arithmetic.
    pub fn new(spec: CalendarSpec) -> Result<Calendar, TimeError> {
        todo!("{spec:?}")
    }

    /// The calendar's time zone.
    pub fn timezone(&self) -> Tz {
        todo!()
    }

    /// Whether `at` lies inside an open window.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        todo!("{at}")
    }

    /// The first open instant at or after `at` (`at` itself when open); `None` if the calendar
    /// never opens again.
    pub fn next_open(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        todo!("{at}")
    }

    /// The instant at which `amount` of business time counted from `start` is used up.
    pub fn add(&self, start: DateTime<Utc>, amount: Amount) -> Result<DateTime<Utc>, TimeError> {
        todo!("{start} {amount:?}")
    }

    /// Business seconds in `[a, b)`; 0 when `b <= a`.
    pub fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        todo!("{a} {b}")
    }

    /// Closed days (holidays and closed weekdays) whose local date lies strictly between the
    /// local dates of `a` and `b`, at most `limit` of them, oldest first.
    pub fn skipped_days(&self, a: DateTime<Utc>, b: DateTime<Utc>, limit: usize) -> Vec<SkippedDay> {
        todo!("{a} {b} {limit}")
    }
}
