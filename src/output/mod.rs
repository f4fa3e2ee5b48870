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

use crate::ticket::Ticket;

/// A ticket's personal values (customer name and contact, order and serial numbers),
/// lower-cased, to keep terms taken from its text out of outputs: a customer may type their
/// own name or order number into the description, and the model's terms for and against a
/// label, like a report's hot issues, must not repeat it.
pub(crate) struct PersonalValues(Vec<String>);

impl PersonalValues {
    pub(crate) fn of(ticket: &Ticket) -> PersonalValues {
        let p = &ticket.personal;
        PersonalValues(
            [&p.name, &p.contact, &p.order_no, &p.serial_no]
                .into_iter()
                .flatten()
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }

    /// Whether `term` (a word, words separated by spaces, or a run of Han characters)
    /// overlaps a personal value: one of its words lies within the value, or holds it.
    pub(crate) fn overlaps(&self, term: &str) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let term = term.to_lowercase();
        term.split(' ')
            .filter(|w| !w.is_empty())
            .chain(std::iter::once(term.as_str()))
            .any(|w| {
                self.0
                    .iter()
                    .any(|p| p.contains(w) || w.contains(p.as_str()))
            })
    }
}

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
