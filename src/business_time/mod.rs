//! Business-time arithmetic: calendars of weekly opening windows, holidays and make-up
//! workdays in an IANA time zone, and the two operations everything else is built on —
//! [`Calendar::add`] (when is a budget of business time used up?) and [`Calendar::between`]
//! (how much business time lies between two instants?).
//!
//! This module knows nothing about tickets; it is plain time arithmetic.

mod calendar;
mod days;
mod duration;
mod zone;

pub use calendar::{Calendar, CalendarSpec, ClosedReason, SkippedDay, Window};
pub use duration::{Amount, BusinessDuration};

/// Errors from calendar construction, duration parsing and business-time arithmetic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// A window such as `"09:00-18:00"` could not be read.
    #[error("bad time window `{0}`: expected `HH:MM-HH:MM` with the end after the start (an end may be `24:00`)")]
    BadWindow(String),
    /// Two windows of the same day overlap.
    #[error("windows `{0}` and `{1}` overlap")]
    Overlap(String, String),
    /// A date is listed both as a holiday and as a make-up workday.
    #[error("{0} is listed both as a holiday and as a workday")]
    HolidayIsWorkday(chrono::NaiveDate),
    /// A duration such as `"1h30m"` could not be read.
    #[error("bad duration `{0}`: expected e.g. `90m`, `2h`, `1h30m`, `3bd` or `24h@calendar`")]
    BadDuration(String),
    /// The calendar has no business time at or after the start, so no deadline exists.
    #[error("the calendar never opens after {0}")]
    NeverOpens(chrono::DateTime<chrono::Utc>),
    /// The result would lie outside the supported range of instants.
    #[error("the result lies outside the supported range of dates")]
    OutOfRange,
}
