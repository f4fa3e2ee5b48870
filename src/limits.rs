//! Input limits: the largest tickets and policies the engine accepts.
//!
//! Tickets and policies come from outside (a web form, a queue, a file someone edited), so
//! every size that drives memory or time has a ceiling. The defaults are far above anything
//! a real ticket or policy needs and low enough that one bad input cannot exhaust a server.

/// Ceilings on input sizes. Anything beyond a limit gets a clear error naming the limit and its
/// value: a [`TicketError`](crate::TicketError) for a ticket, a diagnostic for a policy.
///
/// Build one from the defaults and change what you need:
///
/// ```
/// let limits = aftercare::Limits { max_events: 200, ..aftercare::Limits::default() };
/// let json = r#"{"id": "T1", "created_at": "2025-10-09T09:00:00+08:00", "subject": "0123456789"}"#;
/// let tight = aftercare::Limits { max_text_bytes: 4, ..limits };
/// let e = aftercare::Ticket::from_json_with_limits(json, &tight).unwrap_err();
/// assert_eq!(e.to_string(), "ticket T1: `subject` is 10 bytes long; the limit is 4 bytes (max_text_bytes)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Largest ticket, in bytes of JSON text. Default 256 KiB (262 144).
    pub max_ticket_bytes: usize,
    /// Most events in one ticket. Default 1 000.
    pub max_events: usize,
    /// Longest `subject` or `description`, in bytes of UTF-8. Default 64 KiB (65 536).
    pub max_text_bytes: usize,
    /// Largest policy, in bytes of TOML, the policy file and every file it includes together.
    /// Default 4 MiB (4 194 304).
    pub max_policy_bytes: usize,
    /// Most rules in a policy: categories, priority rules, routes and escalations together.
    /// Default 10 000.
    pub max_rules: usize,
    /// Longest ticket `id`, in bytes of UTF-8. Default 1 KiB (1 024). The id is repeated in
    /// every escalation key of a decision, so this keeps output proportional to the ticket.
    pub max_id_bytes: usize,
    /// Largest compiled `matches` pattern, in bytes of memory: its automata and one search
    /// cache. Default 4 MiB (4 194 304); `\w{20}` (Unicode word characters) takes about
    /// 1.7 MiB, a list of a hundred keywords a few KiB.
    pub max_pattern_bytes: usize,
    /// Most memory all the compiled patterns of a policy take together: its `matches`
    /// patterns and its keyword automata. Default 32 MiB (33 554 432). Loading stops
    /// compiling patterns at the first one over the budget.
    pub max_policy_pattern_bytes: usize,
}

impl Limits {
    /// The defaults, as a constant.
    pub const DEFAULT: Limits = Limits {
        max_ticket_bytes: 256 * 1024,
        max_events: 1_000,
        max_text_bytes: 64 * 1024,
        max_policy_bytes: 4 * 1024 * 1024,
        max_rules: 10_000,
        max_id_bytes: 1024,
        max_pattern_bytes: 4 * 1024 * 1024,
        max_policy_pattern_bytes: 32 * 1024 * 1024,
    };
}

impl Limits {
    /// The hard ceilings: no policy `[limits]` table, command-line flag or caller may go
    /// beyond them (larger values are lowered to them when a policy loads).
    pub const CEILING: Limits = Limits {
        max_ticket_bytes: 16 * 1024 * 1024,
        max_events: 100_000,
        max_text_bytes: 4 * 1024 * 1024,
        max_policy_bytes: 64 * 1024 * 1024,
        max_rules: 1_000_000,
        max_id_bytes: 64 * 1024,
        max_pattern_bytes: 256 * 1024 * 1024,
        max_policy_pattern_bytes: 1024 * 1024 * 1024,
    };

    /// The keys of a policy's `[limits]` table: the ticket limits (the policy limits bound the
    /// policy's own loading and are set by its loader only).
    pub const POLICY_KEYS: [&'static str; 3] = ["max_ticket_bytes", "max_events", "max_text_bytes"];

    /// These limits, each lowered to its [`Limits::CEILING`].
    ///
    /// ```
    /// let huge = aftercare::Limits { max_events: usize::MAX, ..Default::default() };
    /// assert_eq!(huge.capped().max_events, aftercare::Limits::CEILING.max_events);
    /// ```
    pub fn capped(self) -> Limits {
        let c = Limits::CEILING;
        Limits {
            max_ticket_bytes: self.max_ticket_bytes.min(c.max_ticket_bytes),
            max_events: self.max_events.min(c.max_events),
            max_text_bytes: self.max_text_bytes.min(c.max_text_bytes),
            max_policy_bytes: self.max_policy_bytes.min(c.max_policy_bytes),
            max_rules: self.max_rules.min(c.max_rules),
            max_id_bytes: self.max_id_bytes.min(c.max_id_bytes),
            max_pattern_bytes: self.max_pattern_bytes.min(c.max_pattern_bytes),
            max_policy_pattern_bytes: self
                .max_policy_pattern_bytes
                .min(c.max_policy_pattern_bytes),
        }
    }

    /// The value of a limit by its name (`max_events`, …).
    pub fn get(&self, name: &str) -> Option<usize> {
        Some(match name {
            "max_ticket_bytes" => self.max_ticket_bytes,
            "max_events" => self.max_events,
            "max_text_bytes" => self.max_text_bytes,
            "max_policy_bytes" => self.max_policy_bytes,
            "max_rules" => self.max_rules,
            "max_id_bytes" => self.max_id_bytes,
            "max_pattern_bytes" => self.max_pattern_bytes,
            "max_policy_pattern_bytes" => self.max_policy_pattern_bytes,
            _ => return None,
        })
    }

    /// Sets a limit by its name; false for an unknown name.
    pub fn set(&mut self, name: &str, value: usize) -> bool {
        let slot = match name {
            "max_ticket_bytes" => &mut self.max_ticket_bytes,
            "max_events" => &mut self.max_events,
            "max_text_bytes" => &mut self.max_text_bytes,
            "max_policy_bytes" => &mut self.max_policy_bytes,
            "max_id_bytes" => &mut self.max_id_bytes,
            "max_rules" => &mut self.max_rules,
            "max_pattern_bytes" => &mut self.max_pattern_bytes,
            "max_policy_pattern_bytes" => &mut self.max_policy_pattern_bytes,
            _ => return false,
        };
        *slot = value;
        true
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
