use std::fmt;
use std::str::FromStr;

use super::TimeError;

/// An amount of business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Amount {
    /// Elapsed business seconds (`90m`, `2h`, `1h30m`).
    Seconds(i64),
    /// Business days (`3bd`): the same local time on the n-th working day.
    Days(u32),
}

/// A duration as written in a policy: an amount, optionally on a named calendar
/// (`"24h@round_the_clock"`).
///
/// Syntax: either `<n>bd`, or up to three parts `<n>h`, `<n>m`, `<n>s` in that order, each
/// at most once (`90m`, `1h30m`, `2h5s`, `45s`); then optionally `@name` with a name of
/// ASCII letters, digits, `_` and `-`. Numbers are unsigned decimal. `d` is not a unit
/// (it would be unclear whether 24 hours or one business day is meant).
///
/// [`Display`](fmt::Display) writes the canonical form, which parses back to the same
/// value: seconds are split into hours, minutes and seconds with zero parts left out
/// (`5400` → `1h30m`, `7205` → `2h5s`, `0` → `0s`). A negative amount (which parsing never
/// produces) is written with a leading `-` and does not parse back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BusinessDuration {
    /// How much business time.
    pub amount: Amount,
    /// The calendar it is counted on; `None` = the calendar in force.
    pub calendar: Option<String>,
}

fn is_calendar_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses the amount part (no calendar suffix).
fn parse_amount(text: &str) -> Option<Amount> {
    if let Some(days) = text.strip_suffix("bd") {
        if days.is_empty() || !days.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return days.parse().ok().map(Amount::Days);
    }
    let mut rest = text;
    let mut total: i64 = 0;
    // Units must appear in this order, each at most once.
    let mut units: &[(u8, i64)] = &[(b'h', 3600), (b'm', 60), (b's', 1)];
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, tail) = rest.split_at_checked(digits)?;
        let unit = *tail.as_bytes().first()?;
        if number.is_empty() {
            return None;
        }
        let at = units.iter().position(|&(u, _)| u == unit)?;
        let (_, scale) = *units.get(at)?;
        units = units.get(at + 1..)?;
        let value: i64 = number.parse().ok()?;
        total = total.checked_add(value.checked_mul(scale)?)?;
        rest = tail.get(1..)?;
    }
    Some(Amount::Seconds(total))
}

impl FromStr for BusinessDuration {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TimeError::BadDuration(s.to_string());
        let text = s.trim();
        let (amount, calendar) = match text.split_once('@') {
            Some((amount, name)) if is_calendar_name(name) => (amount, Some(name.to_string())),
            Some(_) => return Err(bad()),
            None => (text, None),
        };
        let amount = parse_amount(amount).ok_or_else(bad)?;
        Ok(BusinessDuration { amount, calendar })
    }
}

impl fmt::Display for BusinessDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.amount {
            Amount::Days(n) => write!(f, "{n}bd")?,
            Amount::Seconds(0) => f.write_str("0s")?,
            Amount::Seconds(n) => {
                if n < 0 {
                    f.write_str("-")?;
                }
                let n = n.unsigned_abs();
                let (h, m, s) = (n / 3600, n / 60 % 60, n % 60);
                if h > 0 {
                    write!(f, "{h}h")?;
                }
                if m > 0 {
                    write!(f, "{m}m")?;
                }
                if s > 0 {
                    write!(f, "{s}s")?;
                }
            }
        }
        if let Some(name) = &self.calendar {
            write!(f, "@{name}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<BusinessDuration, TimeError> {
        s.parse()
    }

    fn secs(n: i64) -> BusinessDuration {
        BusinessDuration {
            amount: Amount::Seconds(n),
            calendar: None,
        }
    }

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse("90m"), Ok(secs(5400)));
        assert_eq!(parse("2h"), Ok(secs(7200)));
        assert_eq!(parse("1h30m"), Ok(secs(5400)));
        assert_eq!(parse("45s"), Ok(secs(45)));
        assert_eq!(parse("2h0m5s"), Ok(secs(7205)));
        assert_eq!(parse("0s"), Ok(secs(0)));
        assert_eq!(
            parse("3bd"),
            Ok(BusinessDuration {
                amount: Amount::Days(3),
                calendar: None
            })
        );
        assert_eq!(
            parse("24h@round_the_clock"),
            Ok(BusinessDuration {
                amount: Amount::Seconds(86_400),
                calendar: Some("round_the_clock".into())
            })
        );
        assert_eq!(
            parse("1bd@cn-office"),
            Ok(BusinessDuration {
                amount: Amount::Days(1),
                calendar: Some("cn-office".into())
            })
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            " ",
            "1d",
            "1h1h",
            "30m1h",
            "m",
            "h",
            "bd",
            "-5m",
            "+5m",
            "1.5h",
            "1h 30m",
            "5",
            "5x",
            "3bd2h",
            "2h3bd",
            "1h@",
            "1h@a b",
            "1h@a@b",
            "@cal",
            "99999999999999999999s",
            "9223372036854775807h",
            "4294967296bd",
            "1hm",
        ] {
            assert_eq!(parse(s), Err(TimeError::BadDuration(s.into())), "{s:?}");
        }
    }

    #[test]
    fn extremes_parse() {
        assert_eq!(parse("9223372036854775807s"), Ok(secs(i64::MAX)));
        assert_eq!(
            parse("4294967295bd").map(|d| d.amount),
            Ok(Amount::Days(u32::MAX))
        );
    }

    #[test]
    fn display_is_canonical() {
        assert_eq!(secs(5400).to_string(), "1h30m");
        assert_eq!(secs(7205).to_string(), "2h5s");
        assert_eq!(secs(45).to_string(), "45s");
        assert_eq!(secs(0).to_string(), "0s");
        assert_eq!(secs(86_400).to_string(), "24h");
        assert_eq!(secs(-90).to_string(), "-1m30s");
        assert_eq!(secs(i64::MIN).to_string(), "-2562047788015215h30m8s");
        let d = BusinessDuration {
            amount: Amount::Days(3),
            calendar: Some("cn".into()),
        };
        assert_eq!(d.to_string(), "3bd@cn");
    }
}
