//! Hand-checked business-time cases.

use aftercare::business_time::{
    Amount, BusinessDuration, Calendar, CalendarSpec, ClosedReason, SkippedDay, TimeError, Window,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

const NY: Tz = chrono_tz::America::New_York;
const SH: Tz = chrono_tz::Asia::Shanghai;
const H: i64 = 3600;

fn w(text: &str) -> Window {
    Window::parse(text).unwrap()
}

/// `"2025-09-30 17:00"` read as a local time in `tz` (must be unambiguous).
fn at(tz: Tz, text: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    tz.from_local_datetime(&naive).single().unwrap().to_utc()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn weekdays(tz: Tz, windows: &[&str]) -> CalendarSpec {
    let mut spec = CalendarSpec::new(tz);
    let day: Vec<Window> = windows.iter().map(|s| w(s)).collect();
    for slot in spec.week.iter_mut().take(5) {
        *slot = day.clone();
    }
    spec
}

fn office(tz: Tz) -> Calendar {
    Calendar::new(weekdays(tz, &["09:00-18:00"])).unwrap()
}

fn lunch(tz: Tz) -> Calendar {
    Calendar::new(weekdays(tz, &["09:00-12:00", "13:30-18:00"])).unwrap()
}

/// Mon–Fri 09:00–18:00 in Shanghai with China's 2025 National Day: closed 10-01..10-08,
/// make-up workdays Sunday 09-28 and Saturday 10-11.
fn china_2025() -> Calendar {
    let mut spec = weekdays(SH, &["09:00-18:00"]);
    spec.holidays = (1..=8)
        .map(|d| NaiveDate::from_ymd_opt(2025, 10, d).unwrap())
        .collect();
    spec.workdays = vec![date("2025-09-28"), date("2025-10-11")];
    Calendar::new(spec).unwrap()
}

fn secs(n: i64) -> Amount {
    Amount::Seconds(n)
}

#[test]
fn weekend_is_skipped() {
    let cal = office(NY);
    // Fri 2025-06-13 17:00 + 2h: one hour on Friday, one on Monday.
    let due = cal.add(at(NY, "2025-06-13 17:00"), secs(2 * H)).unwrap();
    assert_eq!(due, at(NY, "2025-06-16 10:00"));
    assert_eq!(cal.between(at(NY, "2025-06-13 17:00"), due), 2 * H);
}

#[test]
fn lunch_break_is_skipped() {
    let cal = lunch(NY);
    let start = at(NY, "2025-06-16 11:00");
    assert_eq!(cal.add(start, secs(2 * H)), Ok(at(NY, "2025-06-16 14:30")));
    // Running out exactly at the start of lunch is due at 12:00, not 13:30.
    assert_eq!(cal.add(start, secs(H)), Ok(at(NY, "2025-06-16 12:00")));
    assert!(!cal.is_open(at(NY, "2025-06-16 12:00")));
    assert!(!cal.is_open(at(NY, "2025-06-16 13:29")));
    assert!(cal.is_open(at(NY, "2025-06-16 13:30")));
    assert_eq!(
        cal.next_open(at(NY, "2025-06-16 12:10")),
        Some(at(NY, "2025-06-16 13:30"))
    );
    // A whole day holds 7.5 hours.
    assert_eq!(
        cal.between(at(NY, "2025-06-16 00:00"), at(NY, "2025-06-17 00:00")),
        7 * H + 1800
    );
}

#[test]
fn due_exactly_at_closing() {
    let cal = office(NY);
    let due = cal.add(at(NY, "2025-06-16 16:00"), secs(2 * H)).unwrap();
    assert_eq!(due, at(NY, "2025-06-16 18:00"));
    // One more second spills into Tuesday.
    let due = cal
        .add(at(NY, "2025-06-16 16:00"), secs(2 * H + 1))
        .unwrap();
    assert_eq!(
        due,
        at(NY, "2025-06-17 09:00") + chrono::Duration::seconds(1)
    );
}

#[test]
fn clock_started_outside_hours_starts_at_the_next_opening() {
    let cal = office(NY);
    let sat = at(NY, "2025-06-14 20:00");
    assert_eq!(cal.add(sat, secs(H)), Ok(at(NY, "2025-06-16 10:00")));
    assert_eq!(cal.next_open(sat), Some(at(NY, "2025-06-16 09:00")));
    // Zero business time from a closed instant is the next opening, as `0bd` is.
    assert_eq!(cal.add(sat, secs(0)), Ok(at(NY, "2025-06-16 09:00")));
    assert_eq!(
        cal.add(sat, Amount::Days(0)),
        Ok(at(NY, "2025-06-16 09:00"))
    );
    assert_eq!(cal.between(sat, at(NY, "2025-06-16 09:00")), 0);
}

#[test]
fn zero_and_negative_amounts() {
    let cal = office(NY);
    let start = at(NY, "2025-06-14 20:00");
    assert_eq!(cal.add(start, secs(0)), Ok(at(NY, "2025-06-16 09:00")));
    let open = at(NY, "2025-06-16 10:00");
    assert_eq!(cal.add(open, secs(0)), Ok(open));
    assert_eq!(cal.add(start, secs(-1)), Err(TimeError::OutOfRange));
    assert_eq!(cal.add(start, secs(i64::MIN)), Err(TimeError::OutOfRange));
    assert_eq!(
        cal.between(at(NY, "2025-06-17 10:00"), at(NY, "2025-06-16 10:00")),
        0
    );
}

#[test]
fn fractional_seconds_are_dropped() {
    let cal = office(NY);
    let start = at(NY, "2025-06-16 17:59") + chrono::Duration::milliseconds(59_500);
    assert!(cal.is_open(start));
    assert_eq!(cal.next_open(start), Some(start));
    assert_eq!(cal.add(start, secs(1)), Ok(at(NY, "2025-06-16 18:00")));
    assert_eq!(cal.between(start, at(NY, "2025-06-16 18:00")), 1);
}

/// Sundays open all day, in New York.
fn ny_sundays(windows: &[&str]) -> Calendar {
    let mut spec = CalendarSpec::new(NY);
    spec.week[6] = windows.iter().map(|s| w(s)).collect();
    Calendar::new(spec).unwrap()
}

#[test]
fn spring_forward_day_is_23_hours() {
    let cal = ny_sundays(&["00:00-24:00"]);
    let (sun, mon) = (at(NY, "2025-03-09 00:00"), at(NY, "2025-03-10 00:00"));
    assert_eq!(cal.between(sun, mon), 23 * H);
    assert_eq!(
        cal.between(at(NY, "2025-03-02 00:00"), at(NY, "2025-03-03 00:00")),
        24 * H
    );
    // 00:00 EST + 3h real time = 04:00 EDT.
    assert_eq!(cal.add(sun, secs(3 * H)), Ok(at(NY, "2025-03-09 04:00")));
    assert_eq!(cal.add(sun, secs(3 * H)), Ok(utc("2025-03-09T08:00:00Z")));
    // The whole day's budget runs out at midnight.
    assert_eq!(cal.add(at(NY, "2025-03-08 12:00"), secs(23 * H)), Ok(mon));
    assert_eq!(
        cal.add(at(NY, "2025-03-08 12:00"), secs(23 * H + 60)),
        Ok(at(NY, "2025-03-16 00:01"))
    );
}

#[test]
fn fall_back_day_is_25_hours() {
    let cal = ny_sundays(&["00:00-24:00"]);
    let (sun, mon) = (at(NY, "2025-11-02 00:00"), at(NY, "2025-11-03 00:00"));
    assert_eq!(cal.between(sun, mon), 25 * H);
    // 00:00 EDT + 2h real time = 01:00 EST, the second 01:00.
    assert_eq!(cal.add(sun, secs(2 * H)), Ok(utc("2025-11-02T06:00:00Z")));
    assert_eq!(cal.add(sun, secs(25 * H)), Ok(mon));
}

#[test]
fn window_edges_inside_a_daylight_saving_change() {
    // 01:00-04:00 on spring-forward day: 01:00-02:00 EST then 03:00-04:00 EDT.
    let cal = ny_sundays(&["01:00-04:00"]);
    let day = (at(NY, "2025-03-09 00:00"), at(NY, "2025-03-10 00:00"));
    assert_eq!(cal.between(day.0, day.1), 2 * H);
    assert_eq!(cal.add(day.0, secs(H)), Ok(utc("2025-03-09T07:00:00Z")));
    assert_eq!(cal.add(day.0, secs(H + 1)), Ok(utc("2025-03-09T07:00:01Z")));
    // A window entirely inside the gap has no business time at all.
    let gap = ny_sundays(&["02:00-03:00"]);
    assert_eq!(gap.between(day.0, day.1), 0);
    assert_eq!(
        gap.between(at(NY, "2025-03-02 00:00"), at(NY, "2025-03-03 00:00")),
        H
    );

    // Fall back, 01:30-03:00: the repeated hour 01:00-02:00 counts when inside the window on
    // either pass: 01:30-02:00 EDT (05:30-06:00Z), then 01:30-03:00 EST (06:30-08:00Z).
    let cal = ny_sundays(&["01:30-03:00"]);
    let day = (at(NY, "2025-11-02 00:00"), at(NY, "2025-11-03 00:00"));
    assert_eq!(cal.between(day.0, day.1), 2 * H);
    assert!(cal.is_open(utc("2025-11-02T05:45:00Z")));
    assert!(!cal.is_open(utc("2025-11-02T06:15:00Z")));
    assert!(cal.is_open(utc("2025-11-02T06:45:00Z")));
    assert_eq!(cal.add(day.0, secs(1800)), Ok(utc("2025-11-02T06:00:00Z")));
    assert_eq!(cal.add(day.0, secs(1801)), Ok(utc("2025-11-02T06:30:01Z")));
    // A window covering the whole repeated hour runs from the first 01:00 to the last 02:00.
    let cal = ny_sundays(&["00:30-02:30"]);
    assert_eq!(cal.between(day.0, day.1), 3 * H);
}

#[test]
fn national_day_2025_seconds() {
    let cal = china_2025();
    // One hour on Tuesday 09-30, then 10-01..08 closed, one hour on Thursday 10-09.
    assert_eq!(
        cal.add(at(SH, "2025-09-30 17:00"), secs(2 * H)),
        Ok(at(SH, "2025-10-09 10:00"))
    );
    // Saturday 09-27 is closed; Sunday 09-28 is a make-up workday with Monday's hours.
    assert_eq!(
        cal.add(at(SH, "2025-09-27 12:00"), secs(H)),
        Ok(at(SH, "2025-09-28 10:00"))
    );
    assert!(cal.is_open(at(SH, "2025-10-11 09:00")));
    assert!(!cal.is_open(at(SH, "2025-10-12 09:00")));
    assert!(!cal.is_open(at(SH, "2025-10-06 10:00")));
    assert_eq!(
        cal.between(at(SH, "2025-09-26 00:00"), at(SH, "2025-10-13 00:00")),
        // 09-26, 09-28, 09-29, 09-30, 10-09, 10-10, 10-11.
        7 * 9 * H
    );
}

#[test]
fn national_day_2025_business_days() {
    let cal = china_2025();
    let tue = at(SH, "2025-09-30 10:00");
    assert_eq!(
        cal.add(tue, Amount::Days(1)),
        Ok(at(SH, "2025-10-09 10:00"))
    );
    // 10-09, 10-10, then the make-up Saturday 10-11.
    assert_eq!(
        cal.add(tue, Amount::Days(3)),
        Ok(at(SH, "2025-10-11 10:00"))
    );
    assert_eq!(
        cal.add(tue, Amount::Days(4)),
        Ok(at(SH, "2025-10-13 10:00"))
    );
    // Friday 09-26 + 1bd = make-up Sunday 09-28.
    let fri = at(SH, "2025-09-26 15:00");
    assert_eq!(
        cal.add(fri, Amount::Days(1)),
        Ok(at(SH, "2025-09-28 15:00"))
    );
    assert_eq!(
        cal.add(fri, Amount::Days(2)),
        Ok(at(SH, "2025-09-29 15:00"))
    );
    // Started while closed: counted from the next opening (09-28 09:00).
    let sat = at(SH, "2025-09-27 20:00");
    assert_eq!(
        cal.add(sat, Amount::Days(0)),
        Ok(at(SH, "2025-09-28 09:00"))
    );
    assert_eq!(
        cal.add(sat, Amount::Days(2)),
        Ok(at(SH, "2025-09-30 09:00"))
    );
    // Open start, 0bd = start itself.
    assert_eq!(cal.add(tue, Amount::Days(0)), Ok(tue));
}

#[test]
fn business_days_land_on_the_next_opening_when_the_time_is_closed() {
    // Make-up days open 10:00-16:00 only.
    let mut spec = weekdays(SH, &["09:00-12:00", "13:30-18:00"]);
    spec.workdays = vec![date("2025-10-11")];
    spec.workday_hours = Some(vec![w("10:00-16:00")]);
    let cal = Calendar::new(spec).unwrap();
    // Fri 10-10 17:00 + 1bd → Sat 10-11 17:00 is after hours → Mon 10-13 09:00.
    assert_eq!(
        cal.add(at(SH, "2025-10-10 17:00"), Amount::Days(1)),
        Ok(at(SH, "2025-10-13 09:00"))
    );
    // Fri 09:30 + 1bd → Sat 09:30 is before the make-up hours → Sat 10:00.
    assert_eq!(
        cal.add(at(SH, "2025-10-10 09:30"), Amount::Days(1)),
        Ok(at(SH, "2025-10-11 10:00"))
    );
    // Mon 12:10 is lunch: the clock starts 13:30, so +1bd = Tue 13:30.
    assert_eq!(
        cal.add(at(SH, "2025-10-13 12:10"), Amount::Days(1)),
        Ok(at(SH, "2025-10-14 13:30"))
    );
}

#[test]
fn business_days_across_a_daylight_saving_gap() {
    // Open Saturday and Sunday 01:00-04:00 in New York.
    let mut spec = CalendarSpec::new(NY);
    spec.week[5] = vec![w("01:00-04:00")];
    spec.week[6] = vec![w("01:00-04:00")];
    let cal = Calendar::new(spec).unwrap();
    // Sat 2025-03-08 02:30 + 1bd → Sun 02:30 does not exist → 03:00 EDT.
    assert_eq!(
        cal.add(at(NY, "2025-03-08 02:30"), Amount::Days(1)),
        Ok(utc("2025-03-09T07:00:00Z"))
    );
    // Sat 2025-11-01 01:30 + 1bd → Sun 01:30 happens twice: the first one.
    assert_eq!(
        cal.add(at(NY, "2025-11-01 01:30"), Amount::Days(1)),
        Ok(utc("2025-11-02T05:30:00Z"))
    );
}

#[test]
fn always_open_counts_real_time() {
    let cal = Calendar::new(CalendarSpec::round_the_clock(NY)).unwrap();
    let start = at(NY, "2025-03-08 12:00");
    assert_eq!(
        cal.add(start, secs(86_400)),
        Ok(start + chrono::Duration::days(1))
    );
    assert_eq!(
        cal.between(at(NY, "2025-03-09 00:00"), at(NY, "2025-03-10 00:00")),
        23 * H
    );
    assert!(cal.is_open(utc("2025-11-02T06:30:00Z")));
    assert_eq!(
        cal.add(start, Amount::Days(1)),
        Ok(at(NY, "2025-03-09 12:00"))
    );
    assert!(cal
        .skipped_days(start, start + chrono::Duration::days(30), 10)
        .is_empty());
    // The other fields are ignored, even when they would not validate.
    let mut spec = CalendarSpec::round_the_clock(NY);
    spec.week[0] = vec![w("09:00-12:00"), w("11:00-13:00")];
    assert!(Calendar::new(spec).is_ok());
}

#[test]
fn windows_ending_at_midnight() {
    // Fri 18:00-24:00 and Sat 00:00-02:00 form one stretch across midnight.
    let mut spec = CalendarSpec::new(NY);
    spec.week[4] = vec![w("18:00-24:00")];
    spec.week[5] = vec![w("00:00-02:00")];
    let cal = Calendar::new(spec).unwrap();
    let fri = at(NY, "2025-06-13 23:00");
    assert_eq!(cal.add(fri, secs(2 * H)), Ok(at(NY, "2025-06-14 01:00")));
    // Running out exactly at 24:00 is due at 00:00 of the next date.
    assert_eq!(cal.add(fri, secs(H)), Ok(at(NY, "2025-06-14 00:00")));
    assert!(cal.is_open(at(NY, "2025-06-14 00:00")));
    assert!(!cal.is_open(at(NY, "2025-06-14 02:00")));
    assert_eq!(
        cal.between(at(NY, "2025-06-13 00:00"), at(NY, "2025-06-15 00:00")),
        8 * H
    );
}

#[test]
fn skipped_days_name_the_national_day_holidays() {
    let cal = china_2025();
    let (a, b) = (at(SH, "2025-09-30 17:00"), at(SH, "2025-10-09 10:00"));
    let skipped = cal.skipped_days(a, b, 100);
    let expected: Vec<SkippedDay> = (1..=8)
        .map(|d| SkippedDay {
            date: NaiveDate::from_ymd_opt(2025, 10, d).unwrap(),
            reason: ClosedReason::Holiday,
        })
        .collect();
    assert_eq!(skipped, expected);
    assert_eq!(cal.skipped_days(a, b, 3), expected[..3].to_vec());
    assert!(cal.skipped_days(a, b, 0).is_empty());
    assert!(cal.skipped_days(b, a, 10).is_empty());
    // The make-up Saturday 10-11 is open; Sunday 10-12 is an ordinary closed weekday.
    let later = cal.skipped_days(at(SH, "2025-10-09 10:00"), at(SH, "2025-10-14 10:00"), 10);
    assert_eq!(
        later,
        vec![SkippedDay {
            date: date("2025-10-12"),
            reason: ClosedReason::ClosedWeekday
        }]
    );
    // Dates are local: 2025-09-30T16:30Z is already 10-01 in Shanghai.
    let skipped = cal.skipped_days(utc("2025-09-30T16:30:00Z"), b, 100);
    assert_eq!(skipped.first().map(|d| d.date), Some(date("2025-10-02")));
}

#[test]
fn skipped_days_on_a_seven_day_week_jump_to_holidays() {
    let mut spec = CalendarSpec::new(SH);
    spec.week = std::array::from_fn(|_| vec![w("08:00-20:00")]);
    spec.holidays = vec![date("2025-10-01"), date("2035-01-01")];
    let cal = Calendar::new(spec).unwrap();
    let skipped = cal.skipped_days(utc("2000-01-01T00:00:00Z"), utc("2100-01-01T00:00:00Z"), 5);
    let dates: Vec<NaiveDate> = skipped.iter().map(|d| d.date).collect();
    assert_eq!(dates, vec![date("2025-10-01"), date("2035-01-01")]);
}

#[test]
fn window_parse_accepts_and_rejects() {
    assert_eq!(
        Window::parse("09:00-18:00"),
        Ok(Window {
            start: 9 * 3600,
            end: 18 * 3600
        })
    );
    assert_eq!(w("9:00-18:00"), w("09:00-18:00"));
    assert_eq!(w(" 09:00-18:00 "), w("09:00-18:00"));
    assert_eq!(w("00:00-24:00").end, 86_400);
    assert_eq!(w("13:30-18:05").start, 13 * 3600 + 1800);
    for bad in [
        "",
        "09:00",
        "09:00-",
        "-18:00",
        "18:00-09:00",
        "09:00-09:00",
        "24:00-24:00",
        "24:00-23:00",
        "09:60-10:00",
        "09:00-24:01",
        "25:00-26:00",
        "09:00:00-10:00",
        "9-10",
        "09:0-10:00",
        "009:00-10:00",
        "ab:cd-ef:gh",
        "+9:00-10:00",
        "09:00 - 18:00",
        "09:00-18:00-19:00",
        "09h00-18h00",
    ] {
        assert_eq!(
            Window::parse(bad),
            Err(TimeError::BadWindow(bad.into())),
            "{bad:?}"
        );
    }
}

#[test]
fn window_display_round_trips() {
    for text in ["09:00-18:00", "00:00-24:00", "13:30-18:05", "23:59-24:00"] {
        assert_eq!(w(text).to_string(), text);
        assert_eq!(Window::parse(&w(text).to_string()), Ok(w(text)));
    }
    let odd = Window { start: 1, end: 61 };
    assert_eq!(odd.to_string(), "00:00:01-00:01:01");
}

#[test]
fn calendar_validation() {
    let overlap = weekdays(NY, &["09:00-12:00", "11:00-13:00"]);
    assert_eq!(
        Calendar::new(overlap).err(),
        Some(TimeError::Overlap(
            "09:00-12:00".into(),
            "11:00-13:00".into()
        ))
    );
    // Written out of order: still reported earlier-first.
    let overlap = weekdays(NY, &["13:00-18:00", "09:00-13:30"]);
    assert_eq!(
        Calendar::new(overlap).err(),
        Some(TimeError::Overlap(
            "09:00-13:30".into(),
            "13:00-18:00".into()
        ))
    );
    // Touching windows are fine, and get sorted.
    assert!(Calendar::new(weekdays(NY, &["13:00-18:00", "09:00-13:00"])).is_ok());

    let mut spec = CalendarSpec::new(NY);
    spec.week[2] = vec![Window {
        start: 600,
        end: 600,
    }];
    assert_eq!(
        Calendar::new(spec).err(),
        Some(TimeError::BadWindow("00:10-00:10".into()))
    );
    let mut spec = CalendarSpec::new(NY);
    spec.week[2] = vec![Window {
        start: 0,
        end: 86_460,
    }];
    assert_eq!(
        Calendar::new(spec).err(),
        Some(TimeError::BadWindow("00:00-24:01".into()))
    );
    let mut spec = weekdays(NY, &["09:00-18:00"]);
    spec.workday_hours = Some(vec![w("10:00-12:00"), w("11:00-14:00")]);
    assert!(matches!(Calendar::new(spec), Err(TimeError::Overlap(_, _))));

    let mut spec = weekdays(SH, &["09:00-18:00"]);
    spec.holidays = vec![date("2025-10-01"), date("2025-10-02"), date("2025-10-03")];
    spec.workdays = vec![date("2025-10-03"), date("2025-10-02")];
    assert_eq!(
        Calendar::new(spec).err(),
        Some(TimeError::HolidayIsWorkday(date("2025-10-02")))
    );
}

#[test]
fn huge_inputs_fail_fast() {
    let cal = china_2025();
    let start = at(SH, "2025-09-30 17:00");
    assert_eq!(cal.add(start, secs(i64::MAX)), Err(TimeError::OutOfRange));
    assert_eq!(
        cal.add(start, Amount::Days(u32::MAX)),
        Err(TimeError::OutOfRange)
    );
    let always = Calendar::new(CalendarSpec::round_the_clock(SH)).unwrap();
    assert_eq!(
        always.add(start, secs(i64::MAX)),
        Err(TimeError::OutOfRange)
    );
    assert_eq!(
        always.add(start, Amount::Days(u32::MAX)),
        Err(TimeError::OutOfRange)
    );
    // The end of the supported range.
    let late = utc("9999-12-31T00:00:00Z");
    assert_eq!(
        always.add(late, secs(86_400)),
        Ok(DateTime::from_timestamp(253_402_300_800, 0).unwrap())
    );
    assert_eq!(always.add(late, secs(86_401)), Err(TimeError::OutOfRange));
    assert_eq!(
        always.add(DateTime::<Utc>::MAX_UTC, secs(1)),
        Err(TimeError::OutOfRange)
    );
    assert_eq!(
        always.add(DateTime::<Utc>::MAX_UTC, Amount::Days(1)),
        Err(TimeError::OutOfRange)
    );
    assert_eq!(always.next_open(DateTime::<Utc>::MAX_UTC), None);
    assert!(!always.is_open(DateTime::<Utc>::MAX_UTC));
    assert!(!always.is_open(DateTime::<Utc>::MIN_UTC));
    let all = always.between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    assert_eq!(all, 253_402_300_800);
    // Long spans are fine and exact.
    let ten_years = cal.add(start, secs(10 * 250 * 9 * H)).unwrap();
    assert_eq!(cal.between(start, ten_years), 10 * 250 * 9 * H);
    let far = cal.add(start, Amount::Days(100_000)).unwrap();
    assert!(far > utc("2400-01-01T00:00:00Z"));
    assert!(cal.is_open(far));
}

#[test]
fn before_1970_nothing_is_open() {
    let always = Calendar::new(CalendarSpec::round_the_clock(NY)).unwrap();
    let old = utc("1960-06-01T00:00:00Z");
    assert!(!always.is_open(old));
    assert_eq!(always.next_open(old), Some(utc("1970-01-01T00:00:00Z")));
    assert_eq!(always.add(old, secs(H)), Ok(utc("1970-01-01T01:00:00Z")));
    assert_eq!(always.between(old, utc("1970-01-02T00:00:00Z")), 86_400);
}

#[test]
fn a_calendar_that_never_opens() {
    let start = utc("2025-06-01T00:00:00Z");
    let never = Calendar::new(CalendarSpec::new(NY)).unwrap();
    assert_eq!(never.add(start, secs(1)), Err(TimeError::NeverOpens(start)));
    assert_eq!(
        never.add(start, Amount::Days(1)),
        Err(TimeError::NeverOpens(start))
    );
    assert_eq!(
        never.add(start, Amount::Days(0)),
        Err(TimeError::NeverOpens(start))
    );
    assert_eq!(never.next_open(start), None);
    assert_eq!(
        never.between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC),
        0
    );

    // An empty week with one make-up day in the past, one in the future.
    let mut spec = CalendarSpec::new(NY);
    spec.workdays = vec![date("2020-01-04"), date("2025-06-07")];
    spec.workday_hours = Some(vec![w("10:00-11:00")]);
    let rare = Calendar::new(spec).unwrap();
    assert_eq!(rare.next_open(start), Some(at(NY, "2025-06-07 10:00")));
    assert_eq!(rare.add(start, secs(H)), Ok(at(NY, "2025-06-07 11:00")));
    assert_eq!(rare.add(start, secs(H + 1)), Err(TimeError::OutOfRange));
    assert_eq!(rare.add(start, Amount::Days(1)), Err(TimeError::OutOfRange));
    let after = at(NY, "2025-06-07 11:00");
    assert_eq!(rare.add(after, secs(1)), Err(TimeError::NeverOpens(after)));
    assert_eq!(rare.next_open(after), None);
    assert_eq!(
        rare.between(utc("2019-01-01T00:00:00Z"), utc("2026-01-01T00:00:00Z")),
        2 * H
    );
}

#[test]
fn durations_as_written_in_policies() {
    let parse = |s: &str| s.parse::<BusinessDuration>();
    assert_eq!(parse("90m").unwrap().amount, secs(5400));
    assert_eq!(parse("1h30m").unwrap().to_string(), "1h30m");
    assert_eq!(parse("90m").unwrap().to_string(), "1h30m");
    assert_eq!(parse("2h0m5s").unwrap().to_string(), "2h5s");
    assert_eq!(parse("3bd").unwrap().amount, Amount::Days(3));
    let d = parse("24h@round_the_clock").unwrap();
    assert_eq!(d.calendar.as_deref(), Some("round_the_clock"));
    assert_eq!(d.to_string(), "24h@round_the_clock");
    for bad in [
        "",
        "1d",
        "1h1h",
        "m",
        "-1h",
        "99999999999999999999h",
        "1h@",
        "1h@x y",
    ] {
        assert_eq!(
            parse(bad),
            Err(TimeError::BadDuration(bad.into())),
            "{bad:?}"
        );
    }
}

#[test]
fn calendars_are_cheap_shared_values() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Calendar>();
    let cal = office(NY);
    let copy = cal.clone();
    assert_eq!(copy.timezone(), NY);
    let start = at(NY, "2025-06-16 16:00");
    assert_eq!(copy.add(start, secs(H)), cal.add(start, secs(H)));
}

#[test]
fn clocks_changing_at_local_midnight() {
    // Chile: 2025-04-05 24:00 falls back to 23:00 (Saturday gets 25 hours); 2025-09-06
    // 24:00 springs to 01:00 (Sunday 09-07 starts at 01:00 and gets 23 hours).
    const SCL: Tz = chrono_tz::America::Santiago;
    let mut spec = CalendarSpec::new(SCL);
    spec.week[5] = vec![w("00:00-24:00")];
    let saturdays = Calendar::new(spec).unwrap();
    let (fri, mon) = (at(SCL, "2025-04-04 12:00"), at(SCL, "2025-04-07 12:00"));
    assert_eq!(saturdays.between(fri, mon), 25 * H);
    let mut spec = CalendarSpec::new(SCL);
    spec.week[6] = vec![w("00:00-24:00")];
    let sundays = Calendar::new(spec).unwrap();
    let (sat, mon) = (at(SCL, "2025-09-06 12:00"), at(SCL, "2025-09-08 12:00"));
    assert_eq!(sundays.between(sat, mon), 23 * H);
    assert_eq!(sundays.next_open(sat), Some(at(SCL, "2025-09-07 01:00")));
}

#[test]
fn a_local_date_that_never_happens_is_not_a_business_day() {
    // Pacific/Apia skipped Friday 2011-12-30: Thursday 23:59:59 was followed by Saturday.
    let apia: Tz = "Pacific/Apia".parse().expect("a zone");
    let cal = office(apia);
    let thu = at(apia, "2011-12-29 10:00");
    assert_eq!(
        cal.add(thu, Amount::Days(1)),
        Ok(at(apia, "2012-01-02 10:00"))
    );
    assert_eq!(
        cal.add(thu, Amount::Days(2)),
        Ok(at(apia, "2012-01-03 10:00"))
    );
    // Business hours over the skipped day: 8 on Thursday, 1 on Monday.
    assert_eq!(cal.between(thu, at(apia, "2012-01-02 10:00")), 9 * H);
}
