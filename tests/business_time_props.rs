//! Algebraic properties of business-time arithmetic on random calendars.

use aftercare::business_time::{Amount, BusinessDuration, Calendar, CalendarSpec, Window};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

const ZONES: [Tz; 7] = [
    chrono_tz::America::New_York,
    chrono_tz::Europe::Berlin,
    chrono_tz::Australia::Sydney,
    chrono_tz::Asia::Shanghai,
    chrono_tz::UTC,
    chrono_tz::Australia::Lord_Howe, // half-hour daylight saving
    chrono_tz::America::Santiago,    // clocks change at local midnight
];

/// 2024-01-01 .. 2028-01-01.
const FROM: i64 = 1_704_067_200;
const TO: i64 = 1_830_297_600;

/// Up to three non-overlapping windows on a 15-minute grid (possibly ending at 24:00).
fn day() -> impl Strategy<Value = Vec<Window>> {
    prop::collection::btree_set(0u32..=96, 0..=6).prop_map(|marks| {
        let marks: Vec<u32> = marks.into_iter().collect();
        marks
            .chunks_exact(2)
            .map(|p| Window {
                start: p[0] * 900,
                end: p[1] * 900,
            })
            .collect()
    })
}

fn dates(max: usize) -> impl Strategy<Value = Vec<NaiveDate>> {
    prop::collection::vec(0i64..4 * 366, 0..max).prop_map(|days| {
        let base = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        days.into_iter()
            .map(|d| base + chrono::Duration::days(d))
            .collect()
    })
}

/// A random calendar that is open at least on Mondays.
fn calendar() -> impl Strategy<Value = Calendar> {
    (
        0..ZONES.len(),
        prop::array::uniform7(day()),
        dates(20),
        dates(10),
        prop::option::of(day()),
        any::<bool>(),
        prop::bool::weighted(0.05),
    )
        .prop_map(
            |(zone, mut week, holidays, workdays, workday_hours, default_monday, always)| {
                if week[0].is_empty() || default_monday {
                    week[0] = vec![Window {
                        start: 9 * 3600,
                        end: 17 * 3600,
                    }];
                }
                let mut spec = CalendarSpec::new(ZONES[zone]);
                spec.week = week;
                spec.workdays = workdays
                    .into_iter()
                    .filter(|d| !holidays.contains(d))
                    .collect();
                spec.holidays = holidays;
                spec.workday_hours = workday_hours;
                spec.always_open = always;
                Calendar::new(spec).unwrap()
            },
        )
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (FROM..TO).prop_map(|t| DateTime::from_timestamp(t, 0).unwrap())
}

/// Up to about four weeks of business seconds, weighted towards short ones.
fn seconds() -> impl Strategy<Value = i64> {
    prop_oneof![0i64..4 * 3600, 0i64..3 * 86_400, 0i64..28 * 86_400]
}

fn add(cal: &Calendar, s: DateTime<Utc>, n: i64) -> DateTime<Utc> {
    cal.add(s, Amount::Seconds(n)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn between_undoes_add(cal in calendar(), s in instant(), n in seconds()) {
        let due = add(&cal, s, n);
        prop_assert!(due >= s);
        prop_assert_eq!(cal.between(s, due), n);
    }

    #[test]
    fn add_is_monotonic_in_start(
        cal in calendar(), s in instant(), shift in 0i64..5 * 86_400, n in seconds()
    ) {
        let later = s + chrono::Duration::seconds(shift);
        prop_assert!(add(&cal, s, n) <= add(&cal, later, n));
    }

    #[test]
    fn add_is_monotonic_in_duration(cal in calendar(), s in instant(), a in seconds(), b in seconds()) {
        let (small, big) = (a.min(b), a.max(b));
        prop_assert!(add(&cal, s, small) <= add(&cal, s, big));
    }

    #[test]
    fn between_is_additive(cal in calendar(), a in instant(), d1 in 0i64..20 * 86_400, d2 in 0i64..20 * 86_400) {
        let b = a + chrono::Duration::seconds(d1);
        let c = b + chrono::Duration::seconds(d2);
        prop_assert_eq!(cal.between(a, b) + cal.between(b, c), cal.between(a, c));
        prop_assert_eq!(cal.between(c, a), 0);
        // Business time is real elapsed time, never more.
        prop_assert!(cal.between(a, c) <= d1 + d2);
    }

    #[test]
    fn a_deadline_ends_an_open_stretch(cal in calendar(), s in instant(), n in 1i64..28 * 86_400) {
        let due = add(&cal, s, n);
        // The second before the deadline is open: a deadline is inside business time or
        // exactly at a closing instant, never somewhere in a closed period.
        prop_assert!(cal.is_open(due - chrono::Duration::seconds(1)));
        prop_assert_eq!(cal.between(due - chrono::Duration::seconds(1), due), 1);
    }

    #[test]
    fn next_open_is_the_first_open_instant(cal in calendar(), s in instant()) {
        let open = cal.next_open(s).unwrap();
        prop_assert!(open >= s);
        prop_assert!(cal.is_open(open));
        prop_assert_eq!(cal.between(s, open), 0);
        prop_assert_eq!(cal.is_open(s), open == s);
        // Starting the clock at `s` or at the opening gives the same deadline.
        prop_assert_eq!(add(&cal, s, 60), add(&cal, open, 60));
    }

    #[test]
    fn business_days_are_open_and_monotonic(cal in calendar(), s in instant(), a in 0u32..15, b in 0u32..15) {
        let (small, big) = (a.min(b), a.max(b));
        let x = cal.add(s, Amount::Days(small)).unwrap();
        let y = cal.add(s, Amount::Days(big)).unwrap();
        prop_assert!(x >= s && x <= y);
        prop_assert!(cal.is_open(x) && cal.is_open(y));
        prop_assert_eq!(cal.add(s, Amount::Days(0)), Ok(cal.next_open(s).unwrap()));
    }

    #[test]
    fn skipped_days_are_closed_and_in_range(cal in calendar(), a in instant(), d in 0i64..40 * 86_400) {
        let b = a + chrono::Duration::seconds(d);
        let tz = cal.timezone();
        let (da, db) = (a.with_timezone(&tz).date_naive(), b.with_timezone(&tz).date_naive());
        let skipped = cal.skipped_days(a, b, 50);
        for pair in skipped.windows(2) {
            prop_assert!(pair[0].date < pair[1].date);
        }
        for day in &skipped {
            prop_assert!(da < day.date && day.date < db);
            // A listed date has no business time at all.
            // The first instant of a local date (midnight may fall in a gap).
            let midnight = |date: NaiveDate| {
                (0..24 * 60)
                    .find_map(|m| {
                        let local = date.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(m);
                        tz.from_local_datetime(&local).earliest()
                    })
                    .unwrap()
                    .to_utc()
            };
            let next = day.date.succ_opt().unwrap();
            prop_assert_eq!(cal.between(midnight(day.date), midnight(next)), 0);
        }
    }

    #[test]
    fn duration_display_round_trips(
        amount in prop_oneof![
            (0i64..=i64::MAX).prop_map(Amount::Seconds),
            (0i64..400_000).prop_map(Amount::Seconds),
            any::<u32>().prop_map(Amount::Days),
        ],
        calendar in prop::option::of("[A-Za-z0-9_-]{1,12}"),
    ) {
        let d = BusinessDuration { amount, calendar };
        prop_assert_eq!(d.to_string().parse::<BusinessDuration>(), Ok(d));
    }

    #[test]
    fn duration_parse_never_panics(text in "\\PC{0,12}") {
        if let Ok(d) = text.parse::<BusinessDuration>() {
            prop_assert_eq!(d.to_string().parse::<BusinessDuration>(), Ok(d));
        }
    }

    #[test]
    fn window_display_round_trips(a in 0u32..=1440, b in 0u32..=1440) {
        let (start, end) = (a.min(b) * 60, a.max(b) * 60);
        let w = Window { start, end };
        let parsed = Window::parse(&w.to_string());
        if start < end {
            prop_assert_eq!(parsed, Ok(w));
        } else {
            prop_assert!(parsed.is_err());
        }
    }
}
