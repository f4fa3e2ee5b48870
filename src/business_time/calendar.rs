//! Calendars and the business-time arithmetic on them.
//!
//! # How it is fast
//!
//! With `F(l)` = open local seconds before local second `l` (a closed form over the weekly
//! pattern plus corrections at special dates, see `days.rs`) and the zone's offset history
//! as constant-offset segments (see `zone.rs`), the business seconds before instant `t` are
//! `G(t) = F(t + offset(t)) − adjust(segment of t)`, where `adjust` accumulates, at each
//! offset change, the open local seconds the change skips (gap) or repeats (fold). `G` is
//! continuous and non-decreasing, so `between` is `G(b) − G(a)` and `add` inverts `G` —
//! a few binary searches, independent of the duration.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::days::{Days, Special, DAY};
use super::zone::{self, Zone, MAX_SECS, MIN_SECS};
use super::{Amount, TimeError};

/// Day number of the local date 0001-01-01 … is `num_days_from_ce() − this`; 1970-01-01 = 0.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;
/// Last day number that can matter for the supported range (with slack for offsets).
const MAX_DAY: i64 = MAX_SECS / DAY + 2;

/// An opening window within one local day: `[start, end)` in seconds since local midnight.
/// `end` may be 86 400 (`24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    /// Seconds since local midnight at which the window opens.
    pub start: u32,
    /// Seconds since local midnight at which the window closes (exclusive), at most 86 400.
    pub end: u32,
}

/// Reads `H:MM` or `HH:MM` (hour ≤ 24, minute < 60) as seconds since midnight.
fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || !digits(m) || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 3600 + m * 60)
}

impl Window {
    /// Parses `"HH:MM-HH:MM"`; the end may be `24:00` and must be after the start.
    ///
    /// A one-digit hour (`9:00`) and surrounding whitespace are accepted; seconds, minutes
    /// of 60 or more, hours past 24 and a start of `24:00` are not.
    pub fn parse(text: &str) -> Result<Window, TimeError> {
        let bad = || TimeError::BadWindow(text.to_string());
        let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
        let (start, end) = (
            parse_clock(a).ok_or_else(bad)?,
            parse_clock(b).ok_or_else(bad)?,
        );
        let window = Window { start, end };
        if window.is_valid() {
            Ok(window)
        } else {
            Err(bad())
        }
    }

    /// Length of the window in seconds (wall clock).
    pub fn len_secs(&self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    fn is_valid(&self) -> bool {
        self.start < self.end && self.end <= 86_400
    }
}

impl FromStr for Window {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Window::parse(s)
    }
}

/// Writes a time of day as `HH:MM`, or `HH:MM:SS` when it is not on a whole minute.
fn write_clock(f: &mut fmt::Formatter<'_>, secs: u32) -> fmt::Result {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if s == 0 {
        write!(f, "{h:02}:{m:02}")
    } else {
        write!(f, "{h:02}:{m:02}:{s:02}")
    }
}

impl fmt::Display for Window {
    /// `HH:MM-HH:MM`, as accepted by [`Window::parse`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_clock(f, self.start)?;
        f.write_str("-")?;
        write_clock(f, self.end)
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

impl CalendarSpec {
    /// A spec in `timezone` that is closed every day; fill in `week` and the rest.
    pub fn new(timezone: Tz) -> CalendarSpec {
        CalendarSpec {
            timezone,
            week: Default::default(),
            holidays: Vec::new(),
            workdays: Vec::new(),
            workday_hours: None,
            always_open: false,
        }
    }

    /// A spec that is open at every instant.
    pub fn round_the_clock(timezone: Tz) -> CalendarSpec {
        CalendarSpec {
            always_open: true,
            ..CalendarSpec::new(timezone)
        }
    }
}

/// `specials` with every local date the zone skips whole (Pacific/Apia went from Thursday
/// 2011-12-29 to Saturday 2011-12-31) closed as a holiday: a date that never happens is not a
/// working day, so `1bd` does not count it. Its open seconds never happen either way.
fn with_skipped_dates(mut specials: Vec<(i64, Special)>, zone: &Zone) -> Vec<(i64, Special)> {
    let mut skipped = Vec::new();
    for k in 1..zone.len() {
        let (start, offset) = zone.segment(k);
        let (_, before) = zone.segment(k - 1);
        if offset - before < DAY {
            continue;
        }
        // Local seconds [start + before, start + offset) never happen.
        let first =
            (start + before).div_euclid(DAY) + i64::from((start + before).rem_euclid(DAY) != 0);
        let end = (start + offset).div_euclid(DAY);
        skipped.extend(first..end);
    }
    if skipped.is_empty() {
        return specials;
    }
    specials.retain(|(d, _)| !skipped.contains(d));
    specials.extend(skipped.into_iter().map(|d| (d, Special::Holiday)));
    specials.sort_unstable_by_key(|&(d, _)| d);
    specials
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

/// A compiled business calendar. Immutable, `Send + Sync`; cloning is cheap (the tables
/// are shared).
///
/// # Model
///
/// An instant is business time when its local reading (date and time of day in the
/// calendar's zone) lies inside an open window of that local date. Everything follows from
/// this per-instant rule:
///
/// * Time is counted as real elapsed seconds, so a window spanning a daylight-saving change
///   is an hour shorter (spring forward) or longer (fall back) than its wall-clock length.
/// * Local times skipped by a spring-forward gap never occur, so they are never business
///   time.
/// * Local times that occur twice (fall back) count on both occurrences when inside the
///   window. For a window that contains the whole repeated hour this is the same as running
///   from the earliest occurrence of its start to the latest occurrence of its end. A window
///   edge inside the repeated hour is taken literally: `01:30-03:00` on a day whose
///   01:00–02:00 repeats is open 01:30–02:00 on the first pass, closed 01:00–01:30 on the
///   second pass, and open again from the second 01:30.
///
/// # Range and resolution
///
/// Business time exists only in `[1970-01-01T00:00:00Z, 10000-01-01T00:00:00Z)`; every
/// calendar is closed outside it. Results that would lie beyond the end are
/// [`TimeError::OutOfRange`]. Arithmetic is done in whole seconds: the fractional second of
/// an input is dropped (windows and zone changes fall on whole seconds, so
/// [`Calendar::is_open`] and [`Calendar::next_open`] are exact regardless). Offsets come
/// from chrono-tz, whose rules run to 2099; the offset in force then is kept afterwards.
///
/// # Cost
///
/// [`Calendar::add`] and [`Calendar::between`] cost a few binary searches over the special
/// dates and the zone's offset changes, whatever the distance. The first calendar in a
/// zone reads that zone's offset history from chrono-tz (a few hundred microseconds for a
/// zone with daylight saving); later calendars in the same zone reuse it.
#[derive(Debug, Clone)]
pub struct Calendar {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tz: Tz,
    zone: Arc<Zone>,
    days: Days,
    /// Per zone segment: open local seconds skipped (net of those repeated) by the offset
    /// changes up to and including the segment's start.
    adjust: Vec<i64>,
    /// Per zone segment: `G` at its start.
    seg_g: Vec<i64>,
    /// `G(MAX_SECS)`: no business time exists at or after an instant with this `G`.
    g_max: i64,
}

fn day_of(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - EPOCH_DAYS_FROM_CE
}

fn date_of(day: i64) -> Option<NaiveDate> {
    i32::try_from(day + EPOCH_DAYS_FROM_CE)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

fn instant(secs: i64) -> Result<DateTime<Utc>, TimeError> {
    DateTime::from_timestamp(secs, 0).ok_or(TimeError::OutOfRange)
}

/// Sorts a day's windows and checks them.
fn validate(mut windows: Vec<Window>) -> Result<Vec<Window>, TimeError> {
    if let Some(bad) = windows.iter().find(|w| !w.is_valid()) {
        return Err(TimeError::BadWindow(bad.to_string()));
    }
    windows.sort();
    for pair in windows.windows(2) {
        if let [a, b] = pair {
            // Touching windows (12:00 end, 12:00 start) do not overlap.
            if b.start < a.end {
                return Err(TimeError::Overlap(a.to_string(), b.to_string()));
            }
        }
    }
    Ok(windows)
}

impl Calendar {
    /// Validates the spec and prepares it for fast arithmetic.
    ///
    /// Windows are sorted; duplicate dates are ignored. Errors: a window that is empty or
    /// ends after `24:00` ([`TimeError::BadWindow`]), overlapping windows on one day
    /// ([`TimeError::Overlap`], earlier window first), a date both holiday and workday
    /// ([`TimeError::HolidayIsWorkday`], the earliest such date). With `always_open` the
    /// other fields are not looked at.
    pub fn new(spec: CalendarSpec) -> Result<Calendar, TimeError> {
        let (week, workday_hours, specials) = if spec.always_open {
            let all_day = vec![Window {
                start: 0,
                end: 86_400,
            }];
            (
                std::array::from_fn(|_| all_day.clone()),
                Vec::new(),
                Vec::new(),
            )
        } else {
            let mut week: [Vec<Window>; 7] = Default::default();
            for (slot, windows) in week.iter_mut().zip(spec.week) {
                *slot = validate(windows)?;
            }
            let workday_hours = match spec.workday_hours {
                Some(windows) => validate(windows)?,
                None => week.first().cloned().unwrap_or_default(),
            };
            let mut holidays: Vec<i64> = spec.holidays.iter().copied().map(day_of).collect();
            let mut workdays: Vec<i64> = spec.workdays.iter().copied().map(day_of).collect();
            holidays.sort_unstable();
            holidays.dedup();
            workdays.sort_unstable();
            workdays.dedup();
            if let Some(&clash) = holidays.iter().find(|d| workdays.binary_search(d).is_ok()) {
                let date = date_of(clash).ok_or(TimeError::OutOfRange)?;
                return Err(TimeError::HolidayIsWorkday(date));
            }
            let mut specials: Vec<(i64, Special)> = holidays
                .into_iter()
                .map(|d| (d, Special::Holiday))
                .chain(workdays.into_iter().map(|d| (d, Special::Workday)))
                .collect();
            specials.sort_unstable_by_key(|&(d, _)| d);
            (week, workday_hours, specials)
        };
        let zone = zone::zone(spec.timezone);
        let specials = with_skipped_dates(specials, &zone);
        let days = Days::new(week, workday_hours, specials);
        let mut adjust = Vec::with_capacity(zone.len());
        let mut seg_g = Vec::with_capacity(zone.len());
        let mut acc = 0;
        let mut prev_offset = None;
        for k in 0..zone.len() {
            let (start, offset) = zone.segment(k);
            let after = days.open_before(start + offset);
            if let Some(prev) = prev_offset {
                acc += after - days.open_before(start + prev);
            }
            prev_offset = Some(offset);
            adjust.push(acc);
            seg_g.push(after - acc);
        }
        let mut inner = Inner {
            tz: spec.timezone,
            zone,
            days,
            adjust,
            seg_g,
            g_max: 0,
        };
        inner.g_max = inner.g(MAX_SECS);
        Ok(Calendar {
            inner: Arc::new(inner),
        })
    }

    /// The calendar's time zone.
    pub fn timezone(&self) -> Tz {
        self.inner.tz
    }

    /// Whether `at` lies inside an open window.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.inner.is_open(at.timestamp())
    }

    /// The first open instant at or after `at` (`at` itself when open); `None` if the calendar
    /// never opens again.
    pub fn next_open(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return Some(at);
        }
        self.inner
            .next_open(at.timestamp())
            .and_then(|t| instant(t).ok())
    }

    /// The instant at which `amount` of business time counted from `start` is used up.
    ///
    /// * `Seconds(n)`: the earliest instant `t >= start` with `n` business seconds in
    ///   `[start, t)`. A budget that runs out exactly at closing time is due at closing time;
    ///   a clock started while closed effectively starts at the next opening. `Seconds(0)`
    ///   is the next opening at or after `start` (`start` itself when open), as `Days(0)` is:
    ///   nothing is due before the clock can start. A negative amount is [`TimeError::OutOfRange`] (a deadline never
    ///   lies before its start).
    /// * `Days(n)`: from the first open instant at or after `start`, the same local time of
    ///   day on the n-th working day (a local date with at least one window) after that
    ///   instant's local date — or the next opening at or after that time when it is not open
    ///   (lunch break, shorter hours, a daylight-saving gap; a repeated time is taken at its
    ///   first occurrence). `Days(0)` is the next opening at or after `start`.
    ///
    /// Errors: [`TimeError::NeverOpens`] when there is no business time at all after `start`;
    /// [`TimeError::OutOfRange`] when the result would lie at or beyond year 10000.
    pub fn add(&self, start: DateTime<Utc>, amount: Amount) -> Result<DateTime<Utc>, TimeError> {
        let secs = start.timestamp();
        match amount {
            Amount::Seconds(n) if n < 0 => Err(TimeError::OutOfRange),
            Amount::Seconds(0) | Amount::Days(0) => {
                self.next_open(start).ok_or(TimeError::NeverOpens(start))
            }
            _ if secs >= MAX_SECS => Err(TimeError::OutOfRange),
            Amount::Seconds(n) => self.add_seconds_from(start, self.inner.g(secs), n),
            Amount::Days(n) => {
                let open = self
                    .inner
                    .next_open(secs)
                    .ok_or(TimeError::NeverOpens(start))?;
                instant(self.inner.add_days(open, n)?)
            }
        }
    }

    /// Business seconds before `at`, counted from a fixed origin: a position on the
    /// calendar's business-time axis, so that `between(a, b) == position(b) - position(a)`
    /// for `a <= b`. Lets a caller that measures many spans between the same instants look
    /// each instant up once.
    pub(crate) fn position(&self, at: DateTime<Utc>) -> i64 {
        self.inner.g(at.timestamp())
    }

    /// [`Calendar::add`] of `Seconds(n)` from `start`, given `start`'s [`Calendar::position`].
    pub(crate) fn add_seconds_from(
        &self,
        start: DateTime<Utc>,
        position: i64,
        n: i64,
    ) -> Result<DateTime<Utc>, TimeError> {
        if n < 0 {
            return Err(TimeError::OutOfRange);
        }
        if n == 0 {
            return self
                .next_open_from(start, position)
                .ok_or(TimeError::NeverOpens(start));
        }
        if start.timestamp() >= MAX_SECS {
            return Err(TimeError::OutOfRange);
        }
        if position >= self.inner.g_max {
            return Err(TimeError::NeverOpens(start));
        }
        let target = position
            .checked_add(n)
            .filter(|&y| y <= self.inner.g_max)
            .ok_or(TimeError::OutOfRange)?;
        instant(self.inner.g_inv(target).ok_or(TimeError::OutOfRange)?)
    }

    /// [`Calendar::next_open`] of `at`, given `at`'s [`Calendar::position`].
    pub(crate) fn next_open_from(&self, at: DateTime<Utc>, position: i64) -> Option<DateTime<Utc>> {
        let t = at.timestamp();
        if self.is_open(at) {
            return Some(at);
        }
        if !(MIN_SECS..MAX_SECS).contains(&t) || position >= self.inner.g_max {
            return self.next_open(at);
        }
        // The position is flat up to the opening and rises one per second from it.
        self.inner
            .g_inv(position + 1)
            .and_then(|t| instant(t - 1).ok())
    }

    /// Business seconds in `[a, b)`; 0 when `b <= a`.
    ///
    /// Fractional seconds of `a` and `b` are dropped, which keeps
    /// `between(s, add(s, Seconds(n))) == n` exact.
    pub fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b <= a {
            return 0;
        }
        (self.inner.g(b.timestamp()) - self.inner.g(a.timestamp())).max(0)
    }

    /// Whether `date` is one of the calendar's make-up working days (调休): open although its
    /// weekday may be closed.
    pub fn is_make_up_workday(&self, date: NaiveDate) -> bool {
        self.inner.days.is_workday(day_of(date))
    }

    /// Closed days (holidays and closed weekdays) whose local date lies strictly between the
    /// local dates of `a` and `b`, at most `limit` of them, oldest first.
    ///
    /// A make-up workday is never listed (it is open, unless its hours are empty, in which
    /// case it is reported as a closed weekday).
    pub fn skipped_days(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
        limit: usize,
    ) -> Vec<SkippedDay> {
        let mut out = Vec::new();
        if limit == 0 || b <= a {
            return out;
        }
        let tz = self.inner.tz;
        let from = day_of(a.with_timezone(&tz).date_naive()) + 1;
        let to = day_of(b.with_timezone(&tz).date_naive());
        let days = &self.inner.days;
        let mut push = |day: i64, reason| {
            if let Some(date) = date_of(day) {
                out.push(SkippedDay { date, reason });
            }
        };
        if days.week_always_has_windows() {
            // Only holidays can close a day: jump straight to them.
            for day in days.holidays_in(from, to).take(limit) {
                push(day, ClosedReason::Holiday);
            }
        } else {
            // Some weekday is closed, so a closed day turns up at least weekly (make-up
            // workdays aside) and this walk stops after about `7 * limit` days.
            let mut found = 0;
            let mut day = from;
            while day < to && found < limit {
                if days.windows(day).is_empty() {
                    let reason = if days.is_holiday(day) {
                        ClosedReason::Holiday
                    } else {
                        ClosedReason::ClosedWeekday
                    };
                    push(day, reason);
                    found += 1;
                }
                day += 1;
            }
        }
        out
    }
}

impl Inner {
    /// Business seconds before instant `t`, relative to a fixed origin.
    fn g(&self, t: i64) -> i64 {
        let t = t.clamp(MIN_SECS, MAX_SECS);
        let k = self.zone.segment_of(t);
        let (_, offset) = self.zone.segment(k);
        self.days.open_before(t + offset) - self.adjust.get(k).copied().unwrap_or(0)
    }

    /// The earliest instant `t` with `g(t) >= y`, for `g(MIN_SECS) < y <= g_max`.
    fn g_inv(&self, y: i64) -> Option<i64> {
        // Most targets lie after the zone's last offset change.
        let k = match self.seg_g.last() {
            Some(&last) if last < y => self.seg_g.len() - 1,
            _ => self.seg_g.partition_point(|&g| g < y).checked_sub(1)?,
        };
        let (_, offset) = self.zone.segment(k);
        let local = self
            .days
            .local_reaching(y.checked_add(self.adjust.get(k).copied()?)?)?;
        Some(local - offset)
    }

    fn is_open(&self, t: i64) -> bool {
        (MIN_SECS..MAX_SECS).contains(&t) && self.days.is_open_local(t + self.zone.offset_at(t))
    }

    /// The first open whole second at or after `t`.
    fn next_open(&self, t: i64) -> Option<i64> {
        let t = t.max(MIN_SECS);
        if t >= MAX_SECS {
            return None;
        }
        if self.is_open(t) {
            return Some(t);
        }
        let g = self.g(t);
        if g >= self.g_max {
            return None;
        }
        // `g` is flat up to the opening and rises one per second from it.
        self.g_inv(g + 1).map(|t| t - 1)
    }

    /// `n >= 1` working days after the open instant `open`.
    fn add_days(&self, open: i64, n: u32) -> Result<i64, TimeError> {
        let local = open + self.zone.offset_at(open);
        let (day, time_of_day) = (local.div_euclid(DAY), local.rem_euclid(DAY));
        let target = self.days.working_before(day + 1) + i64::from(n);
        if target > self.days.working_before(MAX_DAY) {
            return Err(TimeError::OutOfRange);
        }
        let day = self
            .days
            .working_day_reaching(target)
            .ok_or(TimeError::OutOfRange)?;
        let then = self
            .zone
            .first_instant_reading(day * DAY + time_of_day)
            .max(open);
        self.next_open(then).ok_or(TimeError::OutOfRange)
    }
}
