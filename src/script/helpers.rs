//! Functions registered for scripts: keyword tests, field access with defaults, and
//! business time on the policy's calendars. Instants are RFC 3339 strings.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, INT};

use super::sandbox::charge;
use crate::business_time::{BusinessDuration, Calendar};

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// The policy's calendars as scripts see them.
pub(crate) struct CalendarSet {
    pub(crate) calendars: Vec<(Arc<str>, Calendar)>,
    /// The calendar used when a helper names none.
    pub(crate) default: Option<usize>,
}

impl CalendarSet {
    fn named(&self, name: &str) -> Fallible<&Calendar> {
        match self.calendars.iter().find(|(n, _)| &**n == name) {
            Some((_, c)) => Ok(c),
            None => {
                let names: Vec<&str> = self.calendars.iter().map(|(n, _)| &**n).collect();
                Err(format!(
                    "unknown calendar `{name}` (calendars: {})",
                    names.join(", ")
                )
                .into())
            }
        }
    }

    fn default(&self) -> Fallible<&Calendar> {
        self.default
            .and_then(|i| self.calendars.get(i))
            .map(|(_, c)| c)
            .ok_or_else(|| {
                "the policy has no default calendar; name one, e.g. is_open(at, \"office\")".into()
            })
    }

    /// `name` or, when empty, the default calendar.
    fn pick(&self, name: Option<&str>) -> Fallible<&Calendar> {
        match name {
            Some(n) => self.named(n),
            None => self.default(),
        }
    }
}

fn instant(text: &str) -> Fallible<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!("`{text}` is not an RFC 3339 instant such as 2024-05-01T09:00:00+08:00").into()
        })
}

fn show(at: DateTime<Utc>, cal: &Calendar) -> String {
    at.with_timezone(&cal.timezone())
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Case-insensitive: does `text` contain any of `words`?
///
/// Its cost grows with the text times the words, so it pays for what it reads (see
/// [`charge`]): a hook that calls it on large inputs runs out of operations, or of time,
/// in the middle of a call rather than after it.
fn contains_any(text: &str, words: &Array) -> Fallible<bool> {
    charge(text.len())?;
    let text = text.to_lowercase();
    for w in words {
        let Some(w) = w.read_lock::<rhai::ImmutableString>() else {
            return Err(format!(
                "contains_any: keywords must be strings, found {}",
                w.type_name()
            )
            .into());
        };
        if contains_word(&text, &w)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Does the lower-cased `text` contain `word`, case-insensitively? Charged for the scan.
fn contains_word(text: &str, word: &str) -> Fallible<bool> {
    if word.is_empty() {
        return Ok(false);
    }
    charge(text.len() + word.len())?;
    Ok(text.contains(&word.to_lowercase()))
}

/// Follows a dotted path through nested maps; `None` when a step is missing or `()`.
fn lookup(map: &Map, path: &str) -> Option<Dynamic> {
    let mut parts = path.split('.');
    let mut current = map.get(parts.next()?)?.clone();
    for part in parts {
        let next = current.read_lock::<Map>()?.get(part)?.clone();
        current = next;
    }
    (!current.is_unit()).then_some(current)
}

fn add_business(
    cals: &CalendarSet,
    at: &str,
    duration: &str,
    calendar: Option<&str>,
) -> Fallible<String> {
    let start = instant(at)?;
    let d: BusinessDuration = duration
        .parse()
        .map_err(|e: crate::business_time::TimeError| e.to_string())?;
    let cal = match (&d.calendar, calendar) {
        (Some(n), _) => cals.named(n)?,
        (None, name) => cals.pick(name)?,
    };
    let due = cal.add(start, d.amount).map_err(|e| e.to_string())?;
    Ok(show(due, cal))
}

fn between(cals: &CalendarSet, a: &str, b: &str, calendar: Option<&str>) -> Fallible<INT> {
    let cal = cals.pick(calendar)?;
    Ok(cal.between(instant(a)?, instant(b)?))
}

/// Registers every helper on `engine`.
pub(crate) fn register(engine: &mut Engine, cals: Arc<CalendarSet>) {
    engine.register_fn("contains_any", |text: &str, words: Array| {
        contains_any(text, &words)
    });
    engine.register_fn("contains_any", |text: &str, word: &str| {
        charge(text.len())?;
        contains_word(&text.to_lowercase(), word)
    });
    // A missing field is `()`: it contains nothing.
    engine.register_fn("contains_any", |_: (), _: Array| false);
    engine.register_fn("contains_any", |_: (), _: &str| false);

    engine.register_fn(
        "get",
        |map: &mut Map, path: &str, default: Dynamic| -> Fallible<Dynamic> {
            charge(path.len())?;
            Ok(lookup(map, path).unwrap_or(default))
        },
    );
    engine.register_fn("get", |_: (), _: &str, default: Dynamic| default);

    let c = cals.clone();
    engine.register_fn("is_open", move |at: &str| -> Fallible<bool> {
        Ok(c.default()?.is_open(instant(at)?))
    });
    let c = cals.clone();
    engine.register_fn(
        "is_open",
        move |at: &str, calendar: &str| -> Fallible<bool> {
            Ok(c.named(calendar)?.is_open(instant(at)?))
        },
    );
    let c = cals.clone();
    engine.register_fn("add_business", move |at: &str, d: &str| {
        add_business(&c, at, d, None)
    });
    let c = cals.clone();
    engine.register_fn("add_business", move |at: &str, d: &str, calendar: &str| {
        add_business(&c, at, d, Some(calendar))
    });
    let c = cals.clone();
    engine.register_fn("business_between", move |a: &str, b: &str| {
        between(&c, a, b, None)
    });
    let c = cals;
    engine.register_fn(
        "business_between",
        move |a: &str, b: &str, calendar: &str| between(&c, a, b, Some(calendar)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_time::CalendarSpec;

    fn engine() -> Engine {
        let mut spec = CalendarSpec::new(chrono_tz::Asia::Shanghai);
        for day in 0..5 {
            spec.week[day] = vec![crate::business_time::Window::parse("09:00-18:00").unwrap()];
        }
        let office = Calendar::new(spec).unwrap();
        let always = Calendar::new(CalendarSpec::round_the_clock(chrono_tz::UTC)).unwrap();
        let mut e = Engine::new();
        register(
            &mut e,
            Arc::new(CalendarSet {
                calendars: vec![(Arc::from("office"), office), (Arc::from("always"), always)],
                default: Some(0),
            }),
        );
        e
    }

    #[test]
    fn keywords_ignore_case() {
        let e = engine();
        assert!(e
            .eval::<bool>(r#"contains_any("The unit is LEAKING", ["leak", "noise"])"#)
            .unwrap());
        assert!(!e.eval::<bool>(r#"contains_any("fine", ["leak"])"#).unwrap());
        assert!(e
            .eval::<bool>(r#"contains_any("非常不满", ["不满"])"#)
            .unwrap());
        assert!(!e.eval::<bool>(r#"contains_any((), ["x"])"#).unwrap());
        assert!(e.eval::<bool>(r#"contains_any("x", [1])"#).is_err());
    }

    #[test]
    fn get_with_default() {
        let e = engine();
        let r: String = e
            .eval(r#"let t = #{customer: #{tier: "vip"}}; get(t, "customer.tier", "regular")"#)
            .unwrap();
        assert_eq!(r, "vip");
        let r: String = e
            .eval(r#"let t = #{customer: #{}}; get(t, "customer.tier", "regular")"#)
            .unwrap();
        assert_eq!(r, "regular");
        let r: String = e
            .eval(r#"let t = #{}; get(t, "customer.tier", "regular")"#)
            .unwrap();
        assert_eq!(r, "regular");
    }

    #[test]
    fn business_time() {
        let e = engine();
        // Friday 17:00 + 2h: one hour on Friday, one on Monday.
        let r: String = e
            .eval(r#"add_business("2025-10-10T17:00:00+08:00", "2h")"#)
            .unwrap();
        assert_eq!(r, "2025-10-13T10:00:00+08:00");
        let r: String = e
            .eval(r#"add_business("2025-10-10T17:00:00+08:00", "2h", "always")"#)
            .unwrap();
        assert_eq!(r, "2025-10-10T11:00:00+00:00");
        let r: String = e
            .eval(r#"add_business("2025-10-10T17:00:00+08:00", "2h@always")"#)
            .unwrap();
        assert_eq!(r, "2025-10-10T11:00:00+00:00");
        assert!(e
            .eval::<bool>(r#"is_open("2025-10-10T10:00:00+08:00")"#)
            .unwrap());
        assert!(!e
            .eval::<bool>(r#"is_open("2025-10-11T10:00:00+08:00")"#)
            .unwrap());
        assert!(e
            .eval::<bool>(r#"is_open("2025-10-11T10:00:00+08:00", "always")"#)
            .unwrap());
        let n: INT = e
            .eval(r#"business_between("2025-10-10T17:00:00+08:00", "2025-10-13T10:00:00+08:00")"#)
            .unwrap();
        assert_eq!(n, 7200);
        let err = e
            .eval::<bool>(r#"is_open("yesterday")"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("RFC 3339"), "{err}");
        let err = e
            .eval::<bool>(r#"is_open("2025-10-10T10:00:00+08:00", "nope")"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown calendar `nope`"), "{err}");
    }
}
