//! The entry points that evaluate: one ticket, a batch, JSON lines, triage only, explain.

use chrono::{DateTime, Utc};

use super::Policy;
use crate::evaluate::{evaluate, triage_only, EvalOptions};
use crate::output::decision::{Decision, Triage};
use crate::output::explain::{self, Explanation};
use crate::output::json;
use crate::ticket::{Ticket, TicketError, TicketErrorKind};

impl Policy {
    /// Decides what happens to `ticket` as of `now`.
    ///
    /// Agents' events up to `now` (`assigned`, `priority`, `category`) win over the rules and
    /// hooks from their instant on; see `docs/agents.md`.
    ///
    /// ```
    /// # let policy = aftercare::Policy::from_toml(r#"
    /// #     [policy]
    /// #     name = "tiny"
    /// #     calendar = "office"
    /// #     [calendars.office]
    /// #     timezone = "Asia/Shanghai"
    /// #     week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
    /// #              thu = ["09:00-18:00"], fri = ["09:00-18:00"] }
    /// #     [[categories]]
    /// #     id = "general"
    /// #     default = true
    /// #     [priorities]
    /// #     order = ["normal"]
    /// #     default = "normal"
    /// #     [[routes]]
    /// #     id = "all"
    /// #     default = true
    /// #     department = "desk"
    /// #     [departments.desk]
    /// #     [sla.targets.normal]
    /// #     first_response = "4h"
    /// # "#).unwrap();
    /// use aftercare::Ticket;
    /// let ticket = Ticket::from_json(r#"{"id": "T1", "created_at": "2025-10-10T16:00:00+08:00"}"#).unwrap();
    /// let now = "2025-10-10T17:00:00+08:00".parse().unwrap();
    /// let decision = policy.evaluate(&ticket, now).unwrap();
    /// // Two business hours on Friday, two on Monday morning.
    /// let due = decision.sla.first_response.unwrap().due.unwrap();
    /// assert_eq!(due.to_string(), "2025-10-13T11:00:00+08:00");
    /// ```
    pub fn evaluate(&self, ticket: &Ticket, now: DateTime<Utc>) -> Result<Decision, TicketError> {
        evaluate(
            &self.inner,
            self.inner.scripts.as_ref(),
            ticket,
            now,
            EvalOptions::default(),
        )
    }

    /// Only the category, priority and route of `ticket`: stages 1–3 of [`Policy::evaluate`],
    /// script hooks included, without SLA clocks, escalations, follow-up or trace. For
    /// callers that assign a ticket as it arrives; it borrows its ids from the policy and
    /// allocates nothing unless a script hook changes an outcome (or the ticket has agents'
    /// events).
    ///
    /// `now` is what script hooks see, and agents' events up to `now` win over the rules;
    /// the rules themselves do not read it.
    ///
    /// ```
    /// # let policy = aftercare::Policy::from_toml(r#"
    /// #     [policy]
    /// #     name = "tiny"
    /// #     [[categories]]
    /// #     id = "fault"
    /// #     when = { text.contains_any = ["broken"] }
    /// #     [[categories]]
    /// #     id = "general"
    /// #     default = true
    /// #     [priorities]
    /// #     order = ["high", "normal"]
    /// #     default = "normal"
    /// #     [[priority_rules]]
    /// #     id = "faults-first"
    /// #     priority = "high"
    /// #     when = { category = "fault" }
    /// #     [[routes]]
    /// #     id = "all"
    /// #     default = true
    /// #     department = "desk"
    /// #     [departments.desk]
    /// # "#).unwrap();
    /// use aftercare::Ticket;
    /// let ticket = Ticket::from_json(
    ///     r#"{"id": "T1", "created_at": "2025-10-10T16:00:00+08:00", "subject": "Broken screen"}"#,
    /// ).unwrap();
    /// let now = "2025-10-10T17:00:00+08:00".parse().unwrap();
    /// let t = policy.triage(&ticket, now).unwrap();
    /// assert_eq!((&*t.category, t.priority, t.department), ("fault", "high", "desk"));
    /// assert_eq!(t.rules.priority, "faults-first");
    /// ```
    pub fn triage(&self, ticket: &Ticket, now: DateTime<Utc>) -> Result<Triage<'_>, TicketError> {
        triage_only(&self.inner, self.inner.scripts.as_ref(), ticket, now)
    }

    /// [`Policy::evaluate`] with options.
    pub fn evaluate_with(
        &self,
        ticket: &Ticket,
        now: DateTime<Utc>,
        options: EvalOptions,
    ) -> Result<Decision, TicketError> {
        evaluate(
            &self.inner,
            self.inner.scripts.as_ref(),
            ticket,
            now,
            options,
        )
    }

    /// Reads a ticket from JSON (within the policy's [`Limits`](crate::Limits)) and evaluates
    /// it, trace on; [`Policy::evaluate_json_with`] turns the trace off.
    pub fn evaluate_json(&self, json: &str, now: DateTime<Utc>) -> Result<Decision, TicketError> {
        self.evaluate_json_with(json, now, EvalOptions::default())
    }

    /// [`Policy::evaluate_json`] with options: ticket text in, decision out. The text is read
    /// by the same borrowing parser `aftercare eval` uses; with the trace off this is the
    /// cheapest way from a ticket's JSON to its decision.
    ///
    /// ```
    /// # let policy = aftercare::Policy::from_toml(r#"
    /// #     [policy]
    /// #     name = "tiny"
    /// #     [[categories]]
    /// #     id = "general"
    /// #     default = true
    /// #     [priorities]
    /// #     order = ["normal"]
    /// #     default = "normal"
    /// #     [[routes]]
    /// #     id = "all"
    /// #     default = true
    /// #     department = "desk"
    /// #     [departments.desk]
    /// # "#).unwrap();
    /// use aftercare::EvalOptions;
    /// let json = r#"{"id": "T1", "created_at": "2025-10-10T16:00:00+08:00"}"#;
    /// let now = "2025-10-10T17:00:00+08:00".parse().unwrap();
    /// let decision = policy.evaluate_json_with(json, now, EvalOptions { trace: false }).unwrap();
    /// assert_eq!(&*decision.route.department, "desk");
    /// assert!(decision.trace.is_empty());
    /// ```
    pub fn evaluate_json_with(
        &self,
        json: &str,
        now: DateTime<Utc>,
        options: EvalOptions,
    ) -> Result<Decision, TicketError> {
        let ticket = Ticket::from_json_with_limits(json, &self.inner.limits)?;
        self.evaluate_with(&ticket, now, options)
    }

    /// Evaluates many tickets on all cores. Results are in input order; a bad ticket gets its
    /// own error and never stops the batch.
    pub fn evaluate_batch(
        &self,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        options: EvalOptions,
    ) -> Vec<Result<Decision, TicketError>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        crate::parallel::map(tickets, threads, |t| {
            evaluate(&self.inner, self.inner.scripts.as_ref(), t, now, options)
        })
    }

    /// Evaluates tickets given as JSON texts on all cores and returns, in input order, one JSON
    /// line per ticket: `Ok` with the decision, or `Err` with `{"ticket": ID, "error": "…"}`.
    /// This is what `aftercare eval` prints.
    pub fn evaluate_json_lines<S: AsRef<str> + Sync>(
        &self,
        tickets: &[S],
        now: DateTime<Utc>,
        options: EvalOptions,
    ) -> Vec<Result<String, String>> {
        evaluate_json_lines(self, tickets, now, options)
    }

    /// Explains what [`Policy::evaluate`] decides for `ticket` as of `now`, and why.
    ///
    /// Errors are those of [`Policy::evaluate`].
    pub fn explain(&self, ticket: &Ticket, now: DateTime<Utc>) -> Result<Explanation, TicketError> {
        let decision = self.evaluate_with(ticket, now, EvalOptions { trace: true })?;
        explain::explain(&self.inner, decision, ticket, now)
    }
    /// Reads a ticket from JSON (within the policy's [`Limits`](crate::Limits)), evaluates it
    /// and appends one JSON line, without a line break, to `out`: the decision, or
    /// `{"ticket": ID, "error": "…"}`. Returns `false` when it wrote an error.
    ///
    /// The line is the one [`Policy::evaluate_json_lines`] returns for the same text.
    pub fn write_json_line(
        &self,
        json: &str,
        now: DateTime<Utc>,
        options: EvalOptions,
        out: &mut Vec<u8>,
    ) -> bool {
        let result = Ticket::from_json_with_limits(json, self.limits())
            .and_then(|t| self.evaluate_with(&t, now, options));
        let decision = match result {
            Ok(d) => d,
            Err(e) => {
                json::write_error_line(&e, out);
                return false;
            }
        };
        let start = out.len();
        if json::to_vec(out, &decision).is_ok() {
            return true;
        }
        // A shape the compact writer leaves to serde_json: start the line over with it.
        out.truncate(start);
        match serde_json::to_writer(&mut *out, &decision) {
            Ok(()) => true,
            Err(e) => {
                // Drop what was written of the decision: the line holds the error alone.
                out.truncate(start);
                json::write_error_line(
                    &TicketError::new(
                        Some(&decision.ticket),
                        TicketErrorKind::Internal,
                        e.to_string(),
                    ),
                    out,
                );
                false
            }
        }
    }
}

/// [`Policy::evaluate_json_lines`]: each ticket's line on its own, in input order.
fn evaluate_json_lines<S: AsRef<str> + Sync>(
    policy: &Policy,
    tickets: &[S],
    now: DateTime<Utc>,
    options: EvalOptions,
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
