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
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
