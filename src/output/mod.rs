//! What comes out of an evaluation: the [`Decision`](decision::Decision) and the compact JSON
//! it is printed as, and the views built on decisions — explain, diff, policy test cases, the
//! compliance report.

pub mod decision;
pub mod diff;
pub mod explain;
pub mod i18n;
pub(crate) mod json;
pub mod report;
pub mod testing;
pub(crate) mod trace;

use std::borrow::Cow;
use std::fmt;

/// `text` with every control character but the line break written as an escape (`\u{1b}`,
/// `\t`): ids, statuses and channels come from tickets, and an ANSI escape sequence in one
/// must not reach a terminal raw from a text view.
pub(crate) fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let _ = fmt::Write::write_str(&mut Escaped(&mut out), text);
    Cow::Owned(out)
}

fn is_escaped(c: char) -> bool {
    c.is_control() && c != '\n'
}

/// A writer that escapes control characters (see [`escape_controls`]) on their way to `W`.
pub(crate) struct Escaped<W>(pub(crate) W);

impl<W: fmt::Write> fmt::Write for Escaped<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(i) = rest.find(is_escaped) {
            self.0.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            write!(self.0, "{}", c.escape_default())?;
            rest = &rest[i + c.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}
