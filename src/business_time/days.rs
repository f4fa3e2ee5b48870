//! The calendar in local wall-clock terms, free of time zones: which windows each local
//! date has, and closed-form cumulative sums over dates.
//!
//! Dates are numbered as days since 1970-01-01 (a Thursday). Local instants are "local
//! seconds": `day * 86_400 + seconds since local midnight`. A cumulative sum over days is
//! a weekly pattern plus corrections at the special dates (holidays, make-up workdays), so
//! it is evaluated — and inverted — with one binary search over the special dates, whatever
//! the distance.

use super::Window;

pub(super) const DAY: i64 = 86_400;

/// Monday = 0 … Sunday = 6 for a day number.
pub(super) fn weekday(day: i64) -> usize {
    // 1970-01-01 was a Thursday.
    (day + 3).rem_euclid(7) as usize
}

/// What a special date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Special {
    Holiday,
    Workday,
}

/// Sum over days `< d` of a per-day weight that follows the week except on special dates.
#[derive(Debug, Clone, Default)]
struct Cumul {
    /// Weight of a whole week.
    week: i64,
    /// `prefix[r]` = weight of weekdays Monday..r (exclusive), `prefix[7] == week`.
    prefix: [i64; 8],
    /// For special date `i`: sum of (special − regular weight) over specials `0..=i`.
    delta: Vec<i64>,
    /// For special date `i`: the cumulative sum through the end of that date.
    through: Vec<i64>,
}

impl Cumul {
    fn new(weights: [i64; 7], days: &[i64], special_weights: &[(i64, i64)]) -> Cumul {
        let mut prefix = [0; 8];
        let mut acc = 0;
        for (slot, weight) in prefix.iter_mut().skip(1).zip(weights) {
            acc += weight;
            *slot = acc;
        }
        let mut c = Cumul {
            week: acc,
            prefix,
            delta: Vec::with_capacity(days.len()),
            through: Vec::with_capacity(days.len()),
        };
        let mut acc = 0;
        for (&day, &(special, regular)) in days.iter().zip(special_weights) {
            acc += special - regular;
            c.delta.push(acc);
            c.through.push(c.regular(day + 1) + acc);
        }
        c
    }

    /// Sum of the weekly pattern alone over days `< d` (relative to a fixed Monday).
    fn regular(&self, d: i64) -> i64 {
        let u = d + 3;
        self.week * u.div_euclid(7) + self.part(u.rem_euclid(7))
    }

    /// Weight of the first `r` weekdays (`0..=7`).
    fn part(&self, r: i64) -> i64 {
        usize::try_from(r)
            .ok()
            .and_then(|r| self.prefix.get(r))
            .copied()
            .unwrap_or(self.week)
    }

    /// Sum over days `< d`, where `idx` = number of special dates `< d`.
    fn at(&self, d: i64, idx: usize) -> i64 {
        let delta = match idx.checked_sub(1) {
            Some(i) => self.delta.get(i).copied().unwrap_or(0),
            None => 0,
        };
        self.regular(d) + delta
    }

    /// Smallest `d` with `regular(d) >= x`. Requires `week > 0`.
    fn regular_reaching(&self, x: i64) -> i64 {
        // week*q < x <= week*(q+1), so the answer lies in (7q, 7q+7] in Monday-based terms.
        let q = (x - 1).div_euclid(self.week);
        let base = self.week * q;
        let r = (1..=7).find(|&r| base + self.part(r) >= x).unwrap_or(7);
        7 * q + r - 3
    }

    /// Smallest day `d` whose cumulative sum through its end (`at(d + 1)`) is `>= v`, or
    /// `None` if no day ever gets there.
    fn first_day_reaching(&self, v: i64, special_days: &[i64]) -> Option<i64> {
        let i = self.through.partition_point(|&t| t < v);
        let (floor, delta) = match i.checked_sub(1) {
            Some(p) => (
                special_days.get(p).map(|&s| s + 1),
                self.delta.get(p).copied().unwrap_or(0),
            ),
            None => (None, 0),
        };
        let ceiling = special_days.get(i).copied();
        // Between special dates (or beyond the last one) the sum is the weekly pattern
        // shifted by the corrections so far.
        let candidate = if self.week > 0 {
            let d = self.regular_reaching(v - delta) - 1;
            Some(match floor {
                Some(f) => d.max(f),
                None => d,
            })
        } else {
            None
        };
        match (candidate, ceiling) {
            (Some(d), Some(c)) => Some(d.min(c)),
            (Some(d), None) => Some(d),
            (None, c) => c,
        }
    }
}

/// Windows per local date plus the cumulative tables.
#[derive(Debug, Clone)]
pub(super) struct Days {
    week: [Vec<Window>; 7],
    workday_hours: Vec<Window>,
    /// Special dates, sorted, unique.
    special_days: Vec<i64>,
    /// For each day from the first special date through the last, the number of special
    /// dates before it: a lookup without a search for the dates that have specials around.
    before: Vec<u32>,
    first_special: i64,
    special_kinds: Vec<Special>,
    /// Open seconds per date.
    seconds: Cumul,
    /// Working days (dates with at least one window).
    working: Cumul,
}

fn total(windows: &[Window]) -> i64 {
    windows
        .iter()
        .map(|w| i64::from(w.end) - i64::from(w.start))
        .sum()
}

impl Days {
    /// `week` and `workday_hours` must be validated and sorted; `specials` sorted by day and
    /// unique.
    pub(super) fn new(
        week: [Vec<Window>; 7],
        workday_hours: Vec<Window>,
        specials: Vec<(i64, Special)>,
    ) -> Days {
        let (special_days, special_kinds): (Vec<i64>, Vec<Special>) = specials.into_iter().unzip();
        let sec_week: [i64; 7] = week.each_ref().map(|w| total(w));
        let work_week: [i64; 7] = week.each_ref().map(|w| i64::from(!w.is_empty()));
        let workday_secs = total(&workday_hours);
        let workday_work = i64::from(!workday_hours.is_empty());
        let mut sec_pairs = Vec::with_capacity(special_days.len());
        let mut work_pairs = Vec::with_capacity(special_days.len());
        for (&day, &kind) in special_days.iter().zip(&special_kinds) {
            let wd = weekday(day);
            let (s, w) = match kind {
                Special::Holiday => (0, 0),
                Special::Workday => (workday_secs, workday_work),
            };
            sec_pairs.push((s, sec_week.get(wd).copied().unwrap_or(0)));
            work_pairs.push((w, work_week.get(wd).copied().unwrap_or(0)));
        }
        let first_special = special_days.first().copied().unwrap_or(0);
        let span = special_days.last().map_or(0, |&l| l - first_special + 1);
        // Calendars list a few years of holidays; a span beyond ~30 years keeps the search.
        let before = if (1..=11_000).contains(&span) {
            let mut before = Vec::with_capacity(span as usize);
            let mut idx = 0u32;
            let mut next = special_days.iter().peekable();
            for day in first_special..first_special + span {
                before.push(idx);
                if next.next_if(|&&s| s == day).is_some() {
                    idx += 1;
                }
            }
            before
        } else {
            Vec::new()
        };
        Days {
            before,
            first_special,
            seconds: Cumul::new(sec_week, &special_days, &sec_pairs),
            working: Cumul::new(work_week, &special_days, &work_pairs),
            week,
            workday_hours,
            special_days,
            special_kinds,
        }
    }

    /// Number of special dates before `day`, and the kind of `day` if it is special.
    fn lookup(&self, day: i64) -> (usize, Option<Special>) {
        let idx = match self
            .before
            .get(usize::try_from(day - self.first_special).unwrap_or(usize::MAX))
        {
            Some(&i) => i as usize,
            None => self.special_days.partition_point(|&s| s < day),
        };
        let kind = match self.special_days.get(idx) {
            Some(&s) if s == day => self.special_kinds.get(idx).copied(),
            _ => None,
        };
        (idx, kind)
    }

    fn windows_for(&self, day: i64, kind: Option<Special>) -> &[Window] {
        match kind {
            Some(Special::Holiday) => &[],
            Some(Special::Workday) => &self.workday_hours,
            None => self.week.get(weekday(day)).map_or(&[], |w| w.as_slice()),
        }
    }

    /// The opening windows of a local date.
    pub(super) fn windows(&self, day: i64) -> &[Window] {
        self.windows_for(day, self.lookup(day).1)
    }

    /// Whether a local date is a make-up workday (调休).
    pub(super) fn is_workday(&self, day: i64) -> bool {
        self.lookup(day).1 == Some(Special::Workday)
    }

    /// Whether a local date is a holiday.
    pub(super) fn is_holiday(&self, day: i64) -> bool {
        self.lookup(day).1 == Some(Special::Holiday)
    }

    /// Whether every weekday has windows (then only holidays close a date).
    pub(super) fn week_always_has_windows(&self) -> bool {
        self.week.iter().all(|w| !w.is_empty())
    }

    /// Holidays in `[from, to)`, sorted.
    pub(super) fn holidays_in(&self, from: i64, to: i64) -> impl Iterator<Item = i64> + '_ {
        let lo = self.special_days.partition_point(|&s| s < from);
        let hi = self.special_days.partition_point(|&s| s < to).max(lo);
        let days = self.special_days.get(lo..hi).unwrap_or(&[]);
        let kinds = self.special_kinds.get(lo..hi).unwrap_or(&[]);
        days.iter()
            .zip(kinds)
            .filter(|(_, &k)| k == Special::Holiday)
            .map(|(&d, _)| d)
    }

    /// Whether local second `local` lies in an open window of its date.
    pub(super) fn is_open_local(&self, local: i64) -> bool {
        let day = local.div_euclid(DAY);
        let sod = local.rem_euclid(DAY);
        self.windows(day)
            .iter()
            .any(|w| i64::from(w.start) <= sod && sod < i64::from(w.end))
    }

    /// Open local seconds in `(-∞, local)`, relative to a fixed origin (only differences
    /// matter). Non-decreasing, continuous, slope 0 or 1.
    pub(super) fn open_before(&self, local: i64) -> i64 {
        let day = local.div_euclid(DAY);
        let sod = local.rem_euclid(DAY);
        let (idx, kind) = self.lookup(day);
        let within: i64 = self
            .windows_for(day, kind)
            .iter()
            .map(|w| (sod - i64::from(w.start)).clamp(0, i64::from(w.end) - i64::from(w.start)))
            .sum();
        self.seconds.at(day, idx) + within
    }

    /// Smallest local second `l` with `open_before(l) >= v`, if any.
    pub(super) fn local_reaching(&self, v: i64) -> Option<i64> {
        let day = self.seconds.first_day_reaching(v, &self.special_days)?;
        let (idx, kind) = self.lookup(day);
        let mut need = v - self.seconds.at(day, idx);
        let windows = self.windows_for(day, kind);
        for w in windows {
            let (start, end) = (i64::from(w.start), i64::from(w.end));
            if need <= end - start {
                return Some(day * DAY + start + need.max(0));
            }
            need -= end - start;
        }
        // Unreachable when the tables are consistent; stay total anyway.
        windows.last().map(|w| day * DAY + i64::from(w.end))
    }

    /// Working days before `day`, relative to a fixed origin.
    pub(super) fn working_before(&self, day: i64) -> i64 {
        self.working.at(day, self.lookup(day).0)
    }

    /// Smallest day `d` with `working_before(d + 1) >= v`, if any.
    pub(super) fn working_day_reaching(&self, v: i64) -> Option<i64> {
        self.working.first_day_reaching(v, &self.special_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(a: u32, b: u32) -> Window {
        Window {
            start: a * 3600,
            end: b * 3600,
        }
    }

    fn office() -> [Vec<Window>; 7] {
        let day = vec![w(9, 12), w(13, 18)];
        [
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ]
    }

    /// Day-by-day reference for the cumulative functions.
    fn slow_open_before(d: &Days, local: i64) -> i64 {
        // Relative to day -4000: compare differences only.
        let mut total = 0;
        let mut day = -4000;
        while day < local.div_euclid(DAY) {
            total += super::total(d.windows(day));
            day += 1;
        }
        let sod = local.rem_euclid(DAY);
        for win in d.windows(day) {
            total += (sod - i64::from(win.start)).clamp(0, i64::from(win.end - win.start));
        }
        total
    }

    #[test]
    fn weekday_numbering() {
        assert_eq!(weekday(0), 3); // Thursday
        assert_eq!(weekday(4), 0); // Monday 1970-01-05
        assert_eq!(weekday(-3), 0); // Monday 1969-12-29
    }

    #[test]
    fn cumulative_sums_match_a_day_by_day_walk() {
        let specials = vec![
            (-10, Special::Holiday),
            (2, Special::Workday), // a Saturday
            (3, Special::Holiday),
            (9, Special::Workday),
            (10, Special::Holiday),
            (40, Special::Holiday),
        ];
        let d = Days::new(office(), vec![w(10, 15)], specials);
        let origin = d.open_before(-4000 * DAY);
        let mut local = -30 * DAY;
        while local < 80 * DAY {
            let fast = d.open_before(local) - origin;
            assert_eq!(fast, slow_open_before(&d, local), "at {local}");
            // Inverse: the earliest local second reaching that sum.
            if d.is_open_local(local) {
                let v = d.open_before(local + 1);
                assert_eq!(d.local_reaching(v), Some(local + 1), "inverse at {local}");
            }
            local += 1800;
        }
    }

    #[test]
    fn inverse_lands_on_closing_time() {
        let d = Days::new(office(), vec![], vec![]);
        // Monday 1970-01-05 18:00 local.
        let closing = 4 * DAY + 18 * 3600;
        let v = d.open_before(closing);
        assert_eq!(d.local_reaching(v), Some(closing));
        // One second more: Tuesday 09:00:01.
        assert_eq!(d.local_reaching(v + 1), Some(5 * DAY + 9 * 3600 + 1));
    }

    #[test]
    fn working_days_count_and_invert() {
        let specials = vec![(3, Special::Workday), (6, Special::Holiday)];
        let d = Days::new(office(), vec![w(9, 17)], specials);
        let mut day = -20;
        while day < 40 {
            let working = !d.windows(day).is_empty();
            assert_eq!(
                d.working_before(day + 1) - d.working_before(day),
                i64::from(working)
            );
            if working {
                assert_eq!(d.working_day_reaching(d.working_before(day + 1)), Some(day));
            }
            day += 1;
        }
    }

    #[test]
    fn empty_week_only_reaches_specials() {
        let empty: [Vec<Window>; 7] = Default::default();
        let d = Days::new(empty, vec![w(9, 10)], vec![(100, Special::Workday)]);
        let before = d.open_before(0);
        assert_eq!(d.local_reaching(before + 1), Some(100 * DAY + 9 * 3600 + 1));
        assert_eq!(d.local_reaching(before + 3601), None);
    }
}
