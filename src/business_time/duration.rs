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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BusinessDuration {
    /// How much business time.
    pub amount: Amount,
    /// The calendar it is counted on; `None` = the calendar in force.
    pub calendar: Option<String>,
}

impl FromStr for BusinessDuration {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        todo!("{s}")
    }
}

impl fmt::Display for BusinessDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}
