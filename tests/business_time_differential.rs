//! The fast calendar against a naive reference on many random cases.
//!
//! The reference knows nothing of the fast implementation's tables: it converts instants to
//! local time with chrono-tz and checks the local date's windows, walking forward from one
//! "edge" (a window boundary, local midnight, or a UTC-offset change) to the next.

use std::collections::HashSet;

use aftercare::business_time::{Amount, Calendar, CalendarSpec, Window};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// splitmix64: a tiny deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }
}

#[derive(Clone)]
struct Reference {
    tz: Tz,
    week: [Vec<(u32, u32)>; 7],
    holidays: HashSet<NaiveDate>,
    workdays: HashSet<NaiveDate>,
    workday_hours: Vec<(u32, u32)>,
}

impl Reference {
    fn windows(&self, date: NaiveDate) -> &[(u32, u32)] {
        if self.holidays.contains(&date) {
            &[]
        } else if self.workdays.contains(&date) {
            &self.workday_hours
        } else {
            &self.week[date.weekday().num_days_from_monday() as usize]
        }
    }

    fn local(&self, t: i64) -> NaiveDateTime {
        let utc = DateTime::from_timestamp(t, 0).unwrap().naive_utc();
        self.tz.from_utc_datetime(&utc).naive_local()
    }

    fn offset(&self, t: i64) -> i32 {
        let utc = DateTime::from_timestamp(t, 0).unwrap().naive_utc();
        self.tz
            .offset_from_utc_datetime(&utc)
            .fix()
            .local_minus_utc()
    }

    fn is_open(&self, t: i64) -> bool {
        let local = self.local(t);
        let sod = local.time().num_seconds_from_midnight();
        self.windows(local.date())
            .iter()
            .any(|&(a, b)| a <= sod && sod < b)
    }

    /// Whether `t` is open, and for how long from `t` that stays unchanged.
    fn piece(&self, t: i64) -> (bool, i64) {
        let local = self.local(t);
        let sod = local.time().num_seconds_from_midnight();
        let next_edge = self
            .windows(local.date())
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .chain([86_400])
            .filter(|&e| e > sod)
            .min()
            .unwrap();
        let mut len = i64::from(next_edge - sod);
        // If the offset changes before the next local edge, stop at the change instead.
        // (Offsets never change twice within a day, so comparing the ends suffices.)
        let off = self.offset(t);
        if self.offset(t + len - 1) != off {
            let (mut lo, mut hi) = (t, t + len - 1);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if self.offset(mid) == off {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            len = hi - t;
        }
        (self.is_open(t), len)
    }

    fn between(&self, a: i64, b: i64) -> i64 {
        let (mut t, mut total) = (a, 0);
        while t < b {
            let (open, len) = self.piece(t);
            let step = len.min(b - t);
            if open {
                total += step;
            }
            t += step;
        }
        total
    }

    fn add(&self, start: i64, n: i64) -> i64 {
        let (mut t, mut left) = (start, n);
        if left == 0 {
            // Zero business time from a closed instant is the next opening.
            return self.next_open(t);
        }
        loop {
            let (open, len) = self.piece(t);
            if open {
                if left <= len {
                    return t + left;
                }
                left -= len;
            }
            t += len;
            assert!(t < start + 3 * 365 * 86_400, "reference ran away");
        }
    }

    fn next_open(&self, start: i64) -> i64 {
        let mut t = start;
        loop {
            let (open, len) = self.piece(t);
            if open {
                return t;
            }
            t += len;
            assert!(t < start + 3 * 365 * 86_400, "reference ran away");
        }
    }

    fn add_days(&self, start: i64, n: u32) -> i64 {
        let open = self.next_open(start);
        let local = self.local(open);
        let mut date = local.date();
        let mut count = 0;
        while count < n {
            date = date.succ_opt().unwrap();
            if !self.windows(date).is_empty() {
                count += 1;
            }
        }
        // The first instant whose local reading is at or after that date and time.
        let mut target = date.and_time(local.time());
        let instant = loop {
            if let Some(t) = self.tz.from_local_datetime(&target).earliest() {
                break t.timestamp();
            }
            target += chrono::Duration::minutes(1); // inside a gap: walk to its end
        };
        self.next_open(instant.max(open))
    }
}

fn to_windows(list: &[(u32, u32)]) -> Vec<Window> {
    list.iter()
        .map(|&(start, end)| Window { start, end })
        .collect()
}

fn hm(h: u32, m: u32) -> u32 {
    h * 3600 + m * 60
}

/// Up to three random non-overlapping windows on a 15-minute grid, sometimes ending at 24:00.
fn random_day(rng: &mut Rng) -> Vec<(u32, u32)> {
    let count = rng.below(4) as usize;
    let mut marks: Vec<u32> = (0..2 * count).map(|_| 900 * rng.below(97) as u32).collect();
    marks.sort_unstable();
    marks.dedup();
    marks
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1]))
        .filter(|&(a, b)| a < b)
        .collect()
}

/// Calendars built from fixed shapes plus random holidays and make-up days.
fn calendars(rng: &mut Rng) -> Vec<(Reference, Calendar)> {
    let zones = [
        chrono_tz::America::New_York,
        chrono_tz::Europe::Berlin,
        chrono_tz::Australia::Sydney,
        chrono_tz::Asia::Shanghai,
        chrono_tz::UTC,
        chrono_tz::America::Santiago, // clocks change at local midnight
    ];
    let split = vec![(hm(9, 0), hm(12, 0)), (hm(13, 30), hm(18, 0))];
    let shapes: Vec<[Vec<(u32, u32)>; 7]> = vec![
        // Office hours with a lunch break.
        [
            split.clone(),
            split.clone(),
            split.clone(),
            split.clone(),
            split.clone(),
            vec![],
            vec![],
        ],
        // Windows around the 01:00-03:00 hours where clocks change, a 24:00 end, and a
        // whole open day.
        [
            vec![(hm(1, 30), hm(2, 30)), (hm(8, 0), hm(20, 0))],
            vec![(hm(0, 0), hm(3, 15))],
            vec![],
            vec![(hm(22, 0), hm(24, 0))],
            vec![(hm(0, 0), hm(1, 0)), (hm(18, 0), hm(24, 0))],
            vec![(hm(2, 0), hm(3, 0)), (hm(10, 0), hm(14, 0))],
            vec![(hm(0, 0), hm(24, 0))],
        ],
        // Short, odd windows on a sparse week.
        [
            vec![(hm(7, 45), hm(8, 10))],
            vec![],
            vec![(hm(1, 59), hm(3, 1)), (hm(23, 59), hm(24, 0))],
            vec![],
            vec![],
            vec![(hm(12, 0), hm(12, 5))],
            vec![(hm(1, 0), hm(2, 0)), (hm(2, 0), hm(2, 30))],
        ],
    ];
    let mut shapes = shapes;
    for _ in 0..2 {
        shapes.push(std::array::from_fn(|_| random_day(rng)));
    }
    let mut out = Vec::new();
    for &tz in &zones {
        for (i, week) in shapes.iter().enumerate() {
            let mut holidays = HashSet::new();
            let mut workdays = HashSet::new();
            let base = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
            for _ in 0..40 {
                holidays.insert(base + chrono::Duration::days(rng.range(0, 4 * 366)));
            }
            for _ in 0..25 {
                let d = base + chrono::Duration::days(rng.range(0, 4 * 366));
                if !holidays.contains(&d) {
                    workdays.insert(d);
                }
            }
            // Around the known DST weekends too, so special dates meet offset changes.
            for d in [
                "2025-03-09",
                "2025-03-30",
                "2025-10-05",
                "2025-11-02",
                "2026-03-29",
            ] {
                let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
                if rng.below(2) == 0 && !holidays.contains(&d) {
                    workdays.insert(d);
                } else if !workdays.contains(&d) {
                    holidays.insert(d);
                }
            }
            let workday_hours = match i {
                0 | 3 => None,
                1 => Some(vec![(hm(2, 15), hm(2, 45)), (hm(10, 0), hm(16, 0))]),
                _ => Some(vec![(hm(0, 0), hm(24, 0))]),
            };
            let reference = Reference {
                tz,
                week: week.clone(),
                holidays: holidays.clone(),
                workdays: workdays.clone(),
                workday_hours: workday_hours.clone().unwrap_or_else(|| week[0].clone()),
            };
            let mut spec = CalendarSpec::new(tz);
            for (slot, windows) in spec.week.iter_mut().zip(week) {
                *slot = to_windows(windows);
            }
            spec.holidays = holidays.into_iter().collect();
            spec.workdays = workdays.into_iter().collect();
            spec.workday_hours = workday_hours.map(|w| to_windows(&w));
            out.push((reference, Calendar::new(spec).unwrap()));
        }
    }
    out
}

/// Instants where the zone's offset changes in 2024..2027 (found with chrono-tz by daily
/// probes and bisection), to aim starts at.
fn changes(reference: &Reference) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = 1_704_067_200; // 2024-01-01
    while t < 1_830_297_600 {
        let (a, b) = (t, t + 86_400);
        if reference.offset(a) != reference.offset(b) {
            let (mut lo, mut hi) = (a, b);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if reference.offset(mid) == reference.offset(a) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(hi);
        }
        t = b;
    }
    out
}

fn utc(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap()
}

/// A start at minute resolution in 2024..2027, often near an offset change.
fn start(rng: &mut Rng, changes: &[i64]) -> i64 {
    if !changes.is_empty() && rng.below(2) == 0 {
        let c = changes[rng.below(changes.len() as u64) as usize];
        c + 60 * rng.range(-3 * 1440, 3 * 1440)
    } else {
        1_704_067_200 + 60 * rng.range(0, 4 * 365 * 1440)
    }
}

fn duration(rng: &mut Rng) -> i64 {
    match rng.below(10) {
        0 => rng.range(0, 3),
        1..=4 => rng.range(0, 86_400),
        5..=8 => 60 * rng.range(0, 7 * 1440),
        _ => rng.range(0, 21 * 86_400),
    }
}

#[test]
fn fast_calendar_agrees_with_the_reference() {
    // A fixed seed, so failures reproduce; set BUSINESS_TIME_SEED to explore others.
    let seed = std::env::var("BUSINESS_TIME_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2025);
    let mut rng = Rng(seed);
    let cals = calendars(&mut rng);
    let changes: Vec<Vec<i64>> = cals.iter().map(|(r, _)| changes(r)).collect();
    let weekly: Vec<i64> = cals
        .iter()
        .map(|(r, _)| {
            r.week
                .iter()
                .flatten()
                .map(|&(a, b)| i64::from(b - a))
                .sum()
        })
        .collect();
    let (mut adds, mut betweens, mut days) = (0, 0, 0);
    for case in 0..20_000 {
        let k = case % cals.len();
        let (reference, cal) = &cals[k];
        let s = start(&mut rng, &changes[k]);

        // At most about three weeks of this calendar's business time.
        let n = duration(&mut rng) % (3 * weekly[k] + 1);
        let expected = reference.add(s, n);
        let got = cal.add(utc(s), Amount::Seconds(n)).unwrap();
        assert_eq!(
            got.timestamp(),
            expected,
            "add case {case}: {} + {n}s in {} (calendar {})",
            utc(s),
            reference.tz,
            k
        );
        adds += 1;

        let e = s + duration(&mut rng);
        assert_eq!(
            cal.between(utc(s), utc(e)),
            reference.between(s, e),
            "between case {case}: {} .. {} in {} (calendar {})",
            utc(s),
            utc(e),
            reference.tz,
            k
        );
        betweens += 1;

        assert_eq!(
            cal.is_open(utc(e)),
            reference.is_open(e),
            "is_open {}",
            utc(e)
        );
        assert_eq!(
            cal.next_open(utc(e)).map(|t| t.timestamp()),
            Some(reference.next_open(e)),
            "next_open {} in {}",
            utc(e),
            reference.tz
        );

        if case % 3 == 0 {
            let n = rng.below(12) as u32;
            assert_eq!(
                cal.add(utc(s), Amount::Days(n)).unwrap().timestamp(),
                reference.add_days(s, n),
                "add case {case}: {} + {n}bd in {} (calendar {})",
                utc(s),
                reference.tz,
                k
            );
            days += 1;
        }
    }
    assert!(adds >= 20_000 && betweens >= 20_000 && days >= 6_000);
}
