//! What each fuzz target does with its input, shared by the libFuzzer binaries in
//! `fuzz_targets/` and by `tests/fuzz_regressions.rs`, which replays saved inputs through the
//! very same functions under a normal `cargo test`.
//!
//! Each function must never panic for any input: a panic is a bug in the library, or a broken
//! property of the business-time arithmetic.

use std::str::FromStr;

/// How `aftercare eval`, `report`, `diff` and `train` read a `.json` array of tickets: the
/// command line's own reader, compiled in here as it is (it is no part of the library).
#[path = "../../src/cli/input.rs"]
#[allow(dead_code)]
mod input;

use aftercare::business_time::{Amount, BusinessDuration, Calendar, CalendarSpec, Window};
use aftercare::{EvalOptions, Policy, Ticket};
use chrono::{DateTime, Duration, Utc};

/// Tickets evaluated against every policy that loads.
const PROBE_TICKETS: [&str; 3] = [
    r#"{"id": "P1", "created_at": "2025-10-09T16:30:00+08:00", "kind": "complaint",
        "description": "热水器漏电,有安全隐患 投诉", "customer": {"tier": "vip", "region": "north"},
        "attributes": {"safety_hazard": true, "affected_units": 12, "tags": ["a", "b"]},
        "events": [{"at": "2025-10-09T17:00:00+08:00", "type": "first_response"},
                   {"at": "2025-10-10T09:00:00+08:00", "type": "status", "status": "waiting_customer"},
                   {"at": "2025-10-11T09:00:00+08:00", "type": "reply"},
                   {"at": "2025-10-13T09:00:00+08:00", "type": "resolved"},
                   {"at": "2025-10-14T09:00:00+08:00", "type": "follow_up", "score": 1},
                   {"at": "2025-10-15T09:00:00+08:00", "type": "resolved"}]}"#,
    r#"{"id": "P2", "created_at": "2024-05-01T09:00:00+08:00"}"#,
    r#"{"id": "P3", "created_at": "2099-12-31T23:59:59Z", "channel": "web", "subject": "x"}"#,
];

fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `policy_load`: arbitrary text as a policy. Diagnostics are rendered both ways; a policy
/// that loads is evaluated ("a policy that loads is safe to run").
pub fn policy_load(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Policy::from_toml(text) {
        Ok(policy) => {
            let nows = ["2025-10-15T12:00:00+08:00", "9999-12-31T00:00:00Z"];
            for json in PROBE_TICKETS {
                for now in nows.iter().filter_map(|n| instant(n)) {
                    if let Ok(d) = policy.evaluate_json(json, now) {
                        let _ = serde_json::to_string(&d);
                    }
                }
            }
            for w in policy.warnings() {
                let _ = w.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = e.render(false);
            let _ = e.render(true);
        }
    }
}

/// `ticket_eval`: arbitrary text as a ticket, evaluated against `policy` at several instants
/// around it, with and without the trace, one at a time and as a JSON line.
pub fn ticket_eval(policy: &Policy, data: &[u8]) {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let ticket = match Ticket::from_json(json) {
        Ok(t) => t,
        Err(e) => {
            let _ = e.to_string();
            let _ = serde_json::to_string(&e);
            return;
        }
    };
    let created = ticket.created_at.with_timezone(&Utc);
    let last = ticket.events.last().map(|e| e.at.with_timezone(&Utc));
    let mut nows: Vec<DateTime<Utc>> = ["2025-10-15T12:00:00+08:00", "9999-12-31T23:59:59Z"]
        .iter()
        .filter_map(|n| instant(n))
        .collect();
    for (base, step) in [
        (Some(created), Duration::hours(1)),
        (Some(created), Duration::days(30)),
        (last, Duration::seconds(1)),
    ] {
        if let Some(now) = base.and_then(|b| b.checked_add_signed(step)) {
            nows.push(now);
        }
    }
    for now in nows {
        let first = policy.evaluate(&ticket, now);
        if let Ok(d) = &first {
            let _ = serde_json::to_string(d);
            // A timer set for `next_change_at` lies in the future, and an alert that fired
            // fired no later than `now`.
            if let Some(next) = &d.next_change_at {
                assert!(
                    next.utc() > now,
                    "next_change_at {next:?} is not after {now}"
                );
            }
            for step in d.escalations.iter().filter(|s| s.fired) {
                let at = step.at.as_ref().map(|a| a.utc());
                assert!(
                    at.is_some_and(|a| a <= now),
                    "{} fired at {at:?}, now {now}",
                    step.key
                );
            }
        }
        let quiet = policy.evaluate_with(&ticket, now, EvalOptions { trace: false });
        // The trace is the only thing the option changes.
        match (&first, &quiet) {
            (Ok(a), Ok(b)) => {
                let mut a = a.clone();
                a.trace.clear();
                assert_eq!(&a, b, "the trace option changed the decision");
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "the trace option changed the error"),
            _ => panic!("the trace option changed whether the ticket evaluates"),
        }
    }
    if let Some(now) = instant("2025-10-15T12:00:00+08:00") {
        let _ = policy.evaluate_json_lines(&[json], now, EvalOptions::default());
    }
}

/// Reads fuzz bytes as numbers; past the end every read is zero.
struct Bytes<'a> {
    data: &'a [u8],
}

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }
}

const DAY: i64 = 86_400;
/// 9999-12-31 as a day number since 1970-01-01.
const LAST_DAY: i64 = 2_932_896;

fn window(b: &mut Bytes<'_>) -> Window {
    // Mostly on the quarter-hour grid (where real calendars live), sometimes any second.
    if b.u8().is_multiple_of(4) {
        Window {
            start: b.u32() % 86_401,
            end: b.u32() % 86_401,
        }
    } else {
        let start = u32::from(b.u8() % 97) * 900;
        Window {
            start,
            end: start + u32::from(b.u8() % 97) * 900,
        }
    }
}

fn windows(b: &mut Bytes<'_>) -> Vec<Window> {
    (0..b.u8() % 4).map(|_| window(b)).collect()
}

fn date(day: i64) -> Option<chrono::NaiveDate> {
    chrono::DateTime::from_timestamp(day.checked_mul(DAY)?, 0).map(|t| t.date_naive())
}

/// An instant near `focus` (a day number), at the ends of the supported range, or anywhere.
fn instant_near(b: &mut Bytes<'_>, focus: i64) -> DateTime<Utc> {
    let secs = match b.u8() % 8 {
        0 => b.u64() as i64 % (300_000 * DAY),
        1 => 253_402_300_800 - i64::from(b.u32() % (4 * DAY as u32)),
        2 => i64::from(b.u32() % (4 * DAY as u32)) - 2 * DAY,
        _ => focus * DAY + i64::from(b.u32() as i32),
    };
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

fn seconds(b: &mut Bytes<'_>) -> i64 {
    match b.u8() % 8 {
        0 => b.u64() as i64,
        1 => i64::from(b.u32()),
        2 => (b.u64() % (1 << 40)) as i64,
        _ => i64::from(b.u16()) * 60,
    }
}

/// `business_time`: an arbitrary calendar, instants and durations, checked against the
/// properties of the arithmetic:
///
/// * `add(s, d) >= s` and `between(s, add(s, d)) == d`;
/// * `add` is monotonic in the duration and in the start, and a smaller duration succeeds
///   whenever a larger one does;
/// * `between` is additive: `between(a, c) == between(a, b) + between(b, c)` for `a <= b <= c`;
/// * `next_open` finds an open instant with no business time before it;
/// * business days are monotonic in their count and end on an open instant;
/// * a duration's canonical text parses back to the same duration.
pub fn business_time(data: &[u8]) {
    let mut b = Bytes { data };
    let zones = chrono_tz::TZ_VARIANTS;
    let Some(&timezone) = zones.get(usize::from(b.u16()) % zones.len()) else {
        return;
    };
    let focus = i64::from(b.u32()) % (LAST_DAY + 1);
    let mut spec = CalendarSpec::new(timezone);
    spec.always_open = b.u8().is_multiple_of(8);
    for day in spec.week.iter_mut() {
        *day = windows(&mut b);
    }
    let specials = |b: &mut Bytes<'_>| -> Vec<chrono::NaiveDate> {
        (0..b.u8() % 8)
            .filter_map(|_| date(focus + i64::from(b.u8() as i8)))
            .collect()
    };
    spec.holidays = specials(&mut b);
    spec.workdays = specials(&mut b);
    if b.u8().is_multiple_of(2) {
        spec.workday_hours = Some(windows(&mut b));
    }
    let Ok(cal) = Calendar::new(spec) else {
        return;
    };

    let (s1, s2, s3) = (
        instant_near(&mut b, focus),
        instant_near(&mut b, focus),
        instant_near(&mut b, focus),
    );
    let mut starts = [s1, s2, s3];
    starts.sort();
    let [a, m, c] = starts;
    let (d1, d2) = (seconds(&mut b), seconds(&mut b));
    let (d1, d2) = (d1.min(d2), d1.max(d2));

    // Additivity and bounds of `between`.
    let (ab, bc, ac) = (cal.between(a, m), cal.between(m, c), cal.between(a, c));
    assert!(ab >= 0 && bc >= 0, "between is never negative");
    assert_eq!(
        ac,
        ab + bc,
        "between({a}, {c}) != between({a}, {m}) + between({m}, {c})"
    );
    assert_eq!(cal.between(c, a), 0, "between of a reversed span is 0");
    assert!(
        ac <= (c - a).num_seconds(),
        "more business time than elapsed time"
    );

    // `add` against `between`.
    let t2 = cal.add(a, Amount::Seconds(d2));
    let t1 = cal.add(a, Amount::Seconds(d1));
    if d1 < 0 {
        assert!(t1.is_err(), "a negative amount must be an error");
    }
    for (d, t) in [(d1, &t1), (d2, &t2)] {
        if let Ok(t) = t {
            assert!(*t >= a, "add({a}, {d}s) = {t} lies before the start");
            assert_eq!(
                cal.between(a, *t),
                d,
                "between({a}, add({a}, {d}s) = {t}) != {d}"
            );
        }
    }
    if let Ok(t2) = &t2 {
        match &t1 {
            Ok(t1) => assert!(t1 <= t2, "add({a}, {d1}s) = {t1} > add({a}, {d2}s) = {t2}"),
            Err(e) if d1 >= 0 => panic!("add({a}, {d1}s) failed ({e}) but {d2}s worked"),
            Err(_) => {}
        }
    }
    if let (Ok(x), Ok(y)) = (
        cal.add(a, Amount::Seconds(d1)),
        cal.add(m, Amount::Seconds(d1)),
    ) {
        assert!(
            x <= y,
            "add is not monotonic in the start: {a} → {x}, {m} → {y}"
        );
    }

    // `is_open` and `next_open`.
    for t in [a, m, c] {
        match cal.next_open(t) {
            Some(o) => {
                assert!(o >= t, "next_open({t}) = {o} lies before it");
                assert!(cal.is_open(o), "next_open({t}) = {o} is not open");
                assert_eq!(cal.between(t, o), 0, "business time before next_open({t})");
            }
            None => assert!(!cal.is_open(t), "{t} is open but next_open found nothing"),
        }
    }

    // Business days.
    let (n1, n2) = (u32::from(b.u16() % 2000), u32::from(b.u16()));
    let (n1, n2) = (n1.min(n2), n1.max(n2));
    let x = cal.add(a, Amount::Days(n1));
    let y = cal.add(a, Amount::Days(n2));
    for (n, r) in [(n1, &x), (n2, &y)] {
        if let Ok(r) = r {
            assert!(*r >= a, "add({a}, {n}bd) = {r} lies before the start");
            assert!(cal.is_open(*r), "add({a}, {n}bd) = {r} is not open");
        }
    }
    if let (Ok(x), Ok(y)) = (&x, &y) {
        assert!(x <= y, "add({a}, {n1}bd) = {x} > add({a}, {n2}bd) = {y}");
    }

    let skipped = cal.skipped_days(a, c, usize::from(b.u8()));
    assert!(skipped.windows(2).all(|w| w[0].date < w[1].date));

    // Durations as written in a policy.
    if let Ok(text) = std::str::from_utf8(b.data) {
        if let Ok(d) = BusinessDuration::from_str(text) {
            let again = BusinessDuration::from_str(&d.to_string());
            assert_eq!(again.as_ref(), Ok(&d), "`{text}` does not round-trip");
        }
    }
}

/// The policy a fuzzed script is loaded with: every hook has something to refine.
const SCRIPT_POLICY: &str = r#"
[policy]
name = "fuzz"
calendar = "office"
[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-12:00", "13:30-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
         thu = ["09:00-18:00"], fri = ["09:00-18:00"] }
[[categories]]
id = "complaint"
when = { kind = "complaint" }
[[categories]]
id = "consultation"
default = true
[priorities]
order = ["urgent", "normal"]
default = "normal"
[[routes]]
id = "desk"
default = true
department = "desk"
[departments.desk]
supervisor = "lead"
[departments.tech]
[sla.targets.urgent]
first_response = "2h"
resolution = "1bd"
[sla.targets.normal]
first_response = "4h"
resolution = "3bd"
[scripts]
path = "hooks.rhai"
on_script_error = "ONERROR"
max_operations = 20000
"#;

/// `script_hooks`: arbitrary text as a Rhai hook script, loaded beside a small policy and run
/// on the probe tickets, failing and falling back. Loading may fail; nothing may panic or hang.
pub fn script_hooks(data: &[u8]) {
    let Ok(script) = std::str::from_utf8(data) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("aftercare-fuzz-script-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err()
        || std::fs::write(dir.join("hooks.rhai"), script).is_err()
    {
        return;
    }
    let now = instant("2025-10-15T12:00:00+08:00");
    for on_error in ["fail", "fallback"] {
        let text = SCRIPT_POLICY.replace("ONERROR", on_error);
        match Policy::from_toml_in("fuzz.toml", &text, &dir) {
            Ok(policy) => {
                for json in PROBE_TICKETS {
                    if let (Ok(ticket), Some(now)) = (Ticket::from_json(json), now) {
                        match policy.evaluate_with(&ticket, now, EvalOptions { trace: true }) {
                            Ok(d) => {
                                let _ = serde_json::to_string(&d);
                            }
                            Err(e) => {
                                let _ = e.to_string();
                            }
                        }
                    }
                }
            }
            Err(e) => {
                let _ = e.to_string();
                let _ = e.render(false);
            }
        }
    }
}

/// Texts every model that loads must predict and explain.
const PROBE_TEXTS: [&str; 4] = [
    "空调不制冷，我要退货",
    "",
    "The heater leaks. Refund!",
    "，。",
];

/// Any bytes as a model file: reading reports a typed error or gives a model that predicts
/// (a probability in 0..=1, a label of its own) and explains without panicking, and whose
/// bytes read back as the same model.
pub fn model_load(data: &[u8]) {
    let Ok(model) = aftercare::text::Model::from_bytes(data) else {
        return;
    };
    for text in PROBE_TEXTS {
        let p = model.predict(text);
        assert!(
            (0.0..=1.0).contains(&p.confidence),
            "confidence {}",
            p.confidence
        );
        assert_eq!(
            model.labels().get(p.index).map(String::as_str),
            Some(p.label)
        );
        let e = model.explain(text, 3);
        assert!(e.for_label.len() <= 3 && e.against_label.len() <= 3);
    }
    let again = aftercare::text::Model::from_bytes(&model.to_bytes()).expect("written bytes read");
    assert_eq!(again, model);
}

/// `json_array`: any bytes as a `.json` file of tickets, read element by element (the first
/// byte sets the per-ticket limit). The reader ends, never keeps an element over the limit,
/// gives each element to the ticket reader, and splits an array serde_json reads into the
/// very elements serde_json reads.
pub fn json_array(data: &[u8]) {
    let max_bytes = 16 + usize::from(data.first().copied().unwrap_or(0)) * 8;
    let body = data.get(1..).unwrap_or_default();
    // A tiny read buffer, so that elements, strings and escapes cross its refills.
    let reader = std::io::BufReader::with_capacity(7, std::io::Cursor::new(body.to_vec()));
    let mut array = input::ArrayReader::new(Box::new(reader));
    let mut items = Vec::new();
    if array.start().is_ok() {
        while let Some(item) = array.next_item(max_bytes).expect("reading memory") {
            if let input::Item::Json(text) = &item {
                assert!(text.len() <= max_bytes, "{} > {max_bytes}", text.len());
                let _ = Ticket::from_json(text);
            }
            items.push(item);
            // Every item but the last consumed at least one byte of its own.
            assert!(items.len() <= body.len() + 1);
        }
    }
    if let Ok(serde_json::Value::Array(want)) = serde_json::from_slice::<serde_json::Value>(body) {
        let texts: Option<Vec<&String>> = items
            .iter()
            .map(|i| match i {
                input::Item::Json(t) => Some(t),
                input::Item::Unreadable(_) => None,
            })
            .collect();
        // Elements over the limit are errors of their own; otherwise the split agrees.
        if let Some(texts) = texts {
            let got: Vec<serde_json::Value> = texts
                .iter()
                .map(|t| serde_json::from_str(t).expect("an element serde_json read"))
                .collect();
            assert_eq!(got, want);
        }
    }
}
