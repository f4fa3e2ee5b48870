//! JSON lines out: one decision, or one error, per ticket. This is what `aftercare eval`
//! prints, written into the caller's buffer so that bulk runs reuse one buffer per thread.

mod compact;

use chrono::{DateTime, Utc};

use crate::compile::Policy;
use crate::evaluate::Options;
use crate::ticket::{Ticket, TicketError};

impl Policy {
    /// Reads a ticket from JSON (within the policy's [`Limits`](crate::Limits)), evaluates it
    /// and appends one JSON line, without a line break, to `out`: the decision, or
    /// `{"ticket": ID, "error": "…"}`. Returns `false` when it wrote an error.
    ///
    /// The line is the one [`Policy::evaluate_json_lines`] returns for the same text.
    pub fn write_json_line(
        &self,
        json: &str,
        now: DateTime<Utc>,
        options: Options,
        out: &mut Vec<u8>,
    ) -> bool {
        let result = Ticket::from_json_with_limits(json, self.limits())
            .and_then(|t| self.evaluate_with(&t, now, options));
        let decision = match result {
            Ok(d) => d,
            Err(e) => {
                write_error_line(&e, out);
                return false;
            }
        };
        let start = out.len();
        if compact::to_vec(out, &decision).is_ok() {
            return true;
        }
        // A shape the compact writer leaves to serde_json: start the line over with it.
        out.truncate(start);
        match serde_json::to_writer(&mut *out, &decision) {
            Ok(()) => true,
            Err(e) => {
                // Drop what was written of the decision: the line holds the error alone.
                out.truncate(start);
                write_error_line(
                    &TicketError::new(Some(&decision.ticket), e.to_string()),
                    out,
                );
                false
            }
        }
    }
}

/// Appends `{"ticket": ID, "error": "…"}` to `out`.
pub(crate) fn write_error_line(e: &TicketError, out: &mut Vec<u8>) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, e).is_err() {
        out.truncate(start);
        out.extend_from_slice(br#"{"ticket":null,"error":"unprintable error"}"#);
    }
}

/// [`Policy::evaluate_json_lines`]: each ticket's line on its own, in input order.
pub(crate) fn evaluate_json_lines<S: AsRef<str> + Sync>(
    policy: &Policy,
    tickets: &[S],
    now: DateTime<Utc>,
    options: Options,
) -> Vec<Result<String, String>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    crate::parallel::map(tickets, threads, |json| {
        let mut line = Vec::new();
        let ok = policy.write_json_line(json.as_ref(), now, options, &mut line);
        // serde_json writes UTF-8 only; the lossy conversion never changes a byte.
        let line = String::from_utf8(line)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        if ok {
            Ok(line)
        } else {
            Err(line)
        }
    })
}
