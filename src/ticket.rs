//! Tickets as callers send them (contract §1), parsed and checked. Personal data is kept apart
//! in [`Personal`], which never prints and never serializes.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;

use crate::limits::Limits;

/// A service ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// The caller's ticket id.
    pub id: String,
    /// When the ticket was opened (RFC 3339 with offset).
    pub created_at: DateTime<FixedOffset>,
    /// Intake channel: `phone`, `chat`, `wechat`, `email`, `store`, `web`, …
    pub channel: Option<String>,
    /// The caller's own classification, if any.
    pub kind: Option<String>,
    /// Short subject line.
    pub subject: Option<String>,
    /// The problem in the customer's words.
    pub description: Option<String>,
    /// The customer (without personal data).
    pub customer: Customer,
    /// The product (without personal data).
    pub product: Product,
    /// Custom fields.
    pub attributes: BTreeMap<String, AttrValue>,
    /// What happened so far, in time order.
    pub events: Vec<Event>,
    /// Personal data: kept only so that a policy may opt a script into it.
    pub personal: Personal,
}

/// The customer fields a policy may read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customer {
    /// The caller's customer id.
    pub id: Option<String>,
    /// Service tier: `regular`, `loyal`, `vip`, …
    pub tier: Option<String>,
    /// Region, e.g. `north`.
    pub region: Option<String>,
    /// Any other non-personal customer fields.
    pub extra: BTreeMap<String, AttrValue>,
}

/// The product fields a policy may read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Product {
    /// Product model.
    pub model: Option<String>,
    /// Any other non-personal product fields.
    pub extra: BTreeMap<String, AttrValue>,
}

/// Personal data from the ticket. Its `Debug` output is redacted and it is never serialized.
#[derive(Clone, Default, PartialEq)]
pub struct Personal {
    /// `customer.name`.
    pub name: Option<String>,
    /// `customer.contact`.
    pub contact: Option<String>,
    /// `product.order_no`.
    pub order_no: Option<String>,
    /// `product.serial_no`.
    pub serial_no: Option<String>,
}

impl fmt::Debug for Personal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Personal(<redacted>)")
    }
}

/// A custom field value: string, number, boolean or a list of strings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    /// A string.
    Str(String),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// A list of strings.
    List(Vec<String>),
}

/// Something that happened to a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// What.
    pub kind: EventKind,
}

/// The event types of contract §1.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// The first answer from an agent.
    FirstResponse,
    /// An agent update after the first response (counts for `next_response`).
    Reply,
    /// A status change, e.g. `waiting_customer`, `in_progress`, `closed`.
    Status(String),
    /// The problem is solved.
    Resolved,
    /// The customer came back: a new handling cycle.
    Reopened,
    /// The satisfaction visit, with a score 1–5.
    FollowUp {
        /// 1 (very unsatisfied) … 5 (very satisfied).
        score: u8,
    },
}

impl EventKind {
    /// The event's `type` as written in JSON.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::FirstResponse => "first_response",
            EventKind::Reply => "reply",
            EventKind::Status(_) => "status",
            EventKind::Resolved => "resolved",
            EventKind::Reopened => "reopened",
            EventKind::FollowUp { .. } => "follow_up",
        }
    }
}

/// A ticket that could not be read or evaluated. The message never contains personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{}{message}", ticket.as_ref().map(|t| format!("ticket {t}: ")).unwrap_or_default())]
pub struct TicketError {
    /// The ticket's id, when it could be read.
    pub ticket: Option<String>,
    /// What is wrong, for a person.
    #[serde(rename = "error")]
    pub message: String,
}

impl TicketError {
    pub(crate) fn new(ticket: Option<&str>, message: impl Into<String>) -> Self {
        TicketError {
            ticket: ticket.map(str::to_string),
            message: message.into(),
        }
    }
}

#[derive(Deserialize)]
struct RawTicket {
    id: Option<serde_json::Value>,
    created_at: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    customer: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    product: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    attributes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    events: Option<Vec<RawEvent>>,
}

#[derive(Deserialize)]
struct RawEvent {
    at: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
    score: Option<serde_json::Value>,
}

impl Ticket {
    /// Reads one ticket from JSON. Errors name the problem (and the ticket id when it can be
    /// read) but never quote personal data.
    ///
    /// ```
    /// let t = aftercare::Ticket::from_json(r#"{"id": "T1", "created_at": "2024-05-06T09:00:00+08:00"}"#).unwrap();
    /// assert_eq!(t.id, "T1");
    /// ```
    ///
    /// The default [`Limits`] apply; see [`Ticket::from_json_with_limits`].
    pub fn from_json(json: &str) -> Result<Ticket, TicketError> {
        Ticket::from_json_with_limits(json, &Limits::DEFAULT)
    }

    /// Reads one ticket from JSON, refusing one larger than `limits` allow (bytes of JSON,
    /// number of events, length of `subject` and `description`). The error names the limit and
    /// its value.
    ///
    /// ```
    /// let limits = aftercare::Limits { max_ticket_bytes: 64, ..Default::default() };
    /// let json = r#"{"id": "T1", "created_at": "2024-05-06T09:00:00+08:00", "subject": "a long subject"}"#;
    /// let e = aftercare::Ticket::from_json_with_limits(json, &limits).unwrap_err();
    /// assert!(e.message.contains("the limit is 64 bytes (max_ticket_bytes)"), "{e}");
    /// ```
    pub fn from_json_with_limits(json: &str, limits: &Limits) -> Result<Ticket, TicketError> {
        // Checked before parsing: the point is to not spend memory on an oversized text.
        if json.len() > limits.max_ticket_bytes {
            return Err(TicketError::new(
                None,
                format!(
                    "the ticket is {} bytes of JSON; the limit is {} bytes (max_ticket_bytes)",
                    json.len(),
                    limits.max_ticket_bytes
                ),
            ));
        }
        match serde_json::from_str::<RawTicket>(json) {
            Ok(raw) => Ticket::from_raw(raw, limits),
            Err(e) => Err(TicketError::new(
                sniff_id(json).as_deref(),
                format!("invalid ticket JSON: {}", sanitize(&e.to_string())),
            )),
        }
    }

    /// Reads one ticket from an already parsed JSON value. The default [`Limits`] on events
    /// and text apply (the size in bytes is the caller's to check before parsing).
    pub fn from_value(value: serde_json::Value) -> Result<Ticket, TicketError> {
        let id = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
        match serde_json::from_value::<RawTicket>(value) {
            Ok(raw) => Ticket::from_raw(raw, &Limits::DEFAULT),
            Err(e) => Err(TicketError::new(
                id.as_deref(),
                format!("invalid ticket: {}", sanitize(&e.to_string())),
            )),
        }
    }

    fn from_raw(raw: RawTicket, limits: &Limits) -> Result<Ticket, TicketError> {
        let id = match raw.id {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s,
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(_)) => {
                return Err(TicketError::new(None, "`id` is empty"))
            }
            Some(_) => return Err(TicketError::new(None, "`id` must be a string")),
            None => return Err(TicketError::new(None, "missing `id`")),
        };
        let err = |m: String| TicketError::new(Some(&id), m);
        let events = raw.events.as_ref().map_or(0, Vec::len);
        if events > limits.max_events {
            return Err(err(format!(
                "the ticket has {events} events; the limit is {} (max_events)",
                limits.max_events
            )));
        }
        for (field, text) in [("subject", &raw.subject), ("description", &raw.description)] {
            let len = text.as_ref().map_or(0, String::len);
            if len > limits.max_text_bytes {
                return Err(err(format!(
                    "`{field}` is {len} bytes long; the limit is {} bytes (max_text_bytes)",
                    limits.max_text_bytes
                )));
            }
        }
        let created_at = match raw.created_at {
            Some(s) => parse_instant(&s).map_err(|m| err(format!("`created_at`: {m}")))?,
            None => return Err(err("missing `created_at`".into())),
        };
        let mut personal = Personal::default();
        let mut customer = Customer::default();
        for (key, value) in raw.customer.unwrap_or_default() {
            match key.as_str() {
                "name" => personal.name = personal_string(value),
                "contact" => personal.contact = personal_string(value),
                "id" => customer.id = plain_string(value, "customer.id").map_err(err)?,
                "tier" => customer.tier = plain_string(value, "customer.tier").map_err(err)?,
                "region" => {
                    customer.region = plain_string(value, "customer.region").map_err(err)?
                }
                _ => {
                    if let Some(v) = attr(value, &format!("customer.{key}")).map_err(err)? {
                        customer.extra.insert(key, v);
                    }
                }
            }
        }
        let mut product = Product::default();
        for (key, value) in raw.product.unwrap_or_default() {
            match key.as_str() {
                "order_no" => personal.order_no = personal_string(value),
                "serial_no" => personal.serial_no = personal_string(value),
                "model" => product.model = plain_string(value, "product.model").map_err(err)?,
                _ => {
                    if let Some(v) = attr(value, &format!("product.{key}")).map_err(err)? {
                        product.extra.insert(key, v);
                    }
                }
            }
        }
        let mut attributes = BTreeMap::new();
        for (key, value) in raw.attributes.unwrap_or_default() {
            if let Some(v) = attr(value, &format!("attributes.{key}")).map_err(err)? {
                attributes.insert(key, v);
            }
        }
        let mut events = Vec::new();
        for (i, e) in raw.events.unwrap_or_default().into_iter().enumerate() {
            let n = i + 1;
            let kind_name = e.kind.unwrap_or_default();
            let at = match e.at {
                Some(s) => parse_instant(&s)
                    .map_err(|m| err(format!("event {n} (`{kind_name}`): `at`: {m}")))?,
                None => return Err(err(format!("event {n} (`{kind_name}`) has no `at`"))),
            };
            let kind = match kind_name.as_str() {
                "first_response" => EventKind::FirstResponse,
                "reply" => EventKind::Reply,
                "resolved" => EventKind::Resolved,
                "reopened" => EventKind::Reopened,
                "status" => match e.status {
                    Some(s) if !s.trim().is_empty() => EventKind::Status(s),
                    _ => return Err(err(format!("event {n} (`status` at {at}) has no `status`"))),
                },
                "follow_up" => {
                    let score = e.score.as_ref().and_then(serde_json::Value::as_i64);
                    match score {
                        Some(s @ 1..=5) => EventKind::FollowUp { score: s as u8 },
                        Some(s) => {
                            return Err(err(format!(
                                "event {n} (`follow_up` at {at}): score {s} is outside 1–5"
                            )))
                        }
                        None => {
                            return Err(err(format!(
                                "event {n} (`follow_up` at {at}) needs a whole-number `score` from 1 to 5"
                            )))
                        }
                    }
                }
                "" => return Err(err(format!("event {n} has no `type`"))),
                other => {
                    return Err(err(format!(
                        "event {n} has unknown type `{}`; expected first_response, reply, status, resolved, reopened or follow_up",
                        clip(other)
                    )))
                }
            };
            if at < created_at {
                return Err(err(format!(
                    "event {n} (`{kind_name}` at {at}) is before `created_at` ({created_at})"
                )));
            }
            events.push(Event { at, kind });
        }
        // Applied in time order; a stable sort keeps same-instant events in the order given.
        events.sort_by_key(|e| e.at);
        Ok(Ticket {
            id,
            created_at,
            channel: raw.channel,
            kind: raw.kind,
            subject: raw.subject,
            description: raw.description,
            customer,
            product,
            attributes,
            events,
            personal,
        })
    }
}

fn parse_instant(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|_| {
        format!(
            "`{}` is not an RFC 3339 instant with an offset (e.g. 2024-05-01T09:00:00+08:00)",
            clip(s)
        )
    })
}

fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut out: String = s.chars().take(37).collect();
        out.push_str("...");
        out
    } else {
        s.to_string()
    }
}

fn personal_string(value: serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn plain_string(value: serde_json::Value, field: &str) -> Result<Option<String>, String> {
    match value {
        serde_json::Value::String(s) => Ok(Some(s)),
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(format!("`{field}` must be a string")),
    }
}

fn attr(value: serde_json::Value, field: &str) -> Result<Option<AttrValue>, String> {
    Ok(Some(match value {
        serde_json::Value::Null => return Ok(None),
        serde_json::Value::String(s) => AttrValue::Str(s),
        serde_json::Value::Bool(b) => AttrValue::Bool(b),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => AttrValue::Num(f),
            _ => return Err(format!("`{field}` is not a usable number")),
        },
        serde_json::Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    serde_json::Value::String(s) => out.push(s),
                    _ => return Err(format!("`{field}` must be an array of strings")),
                }
            }
            AttrValue::List(out)
        }
        serde_json::Value::Object(_) => {
            return Err(format!(
                "`{field}` is an object; custom fields are strings, numbers, booleans or arrays of strings"
            ))
        }
    }))
}

/// Finds the ticket id in text that failed to parse, without trusting the rest.
fn sniff_id(json: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    serde_json::from_str::<IdOnly>(json).ok().map(|t| t.id)
}

/// Drops quoted input values from parser messages: a value in the wrong place may be personal.
/// serde quotes a string as `string "…"` and a number or character between backticks
/// (`integer `…``, `floating point `…``, `character `…``); the kind of value is kept.
fn sanitize(message: &str) -> String {
    const QUOTED: [(&str, char); 4] = [
        ("string \"", '"'),
        ("integer `", '`'),
        ("floating point `", '`'),
        ("character `", '`'),
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some((start, open, close)) = QUOTED
        .iter()
        .filter_map(|&(open, close)| rest.find(open).map(|at| (at, open, close)))
        .min_by_key(|&(at, _, _)| at)
    {
        // Keep the kind (`string`, `integer`, …) without the space and the opening quote.
        let kind_end = start + open.len() - 2;
        out.push_str(rest.get(..kind_end).unwrap_or_default());
        let after = rest.get(start + open.len()..).unwrap_or_default();
        // The value is written as Rust's `{:?}` writes it: skip escapes such as `\"` to find
        // the quote that ends it.
        let mut escaped = false;
        let end = after.char_indices().find_map(|(i, c)| {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                c if c == close => return Some(i),
                _ => {}
            }
            None
        });
        rest = match end {
            Some(end) => after.get(end + close.len_utf8()..).unwrap_or_default(),
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_fields_are_kept_apart_and_redacted() {
        let t = Ticket::from_json(
            r#"{"id":"T1","created_at":"2024-05-01T09:00:00+08:00",
                "customer":{"name":"王小明","contact":"13800138000","tier":"vip"},
                "product":{"model":"KFR-35GW","serial_no":"ABC56","order_no":"O-9"}}"#,
        )
        .unwrap();
        assert_eq!(t.customer.tier.as_deref(), Some("vip"));
        assert_eq!(t.personal.name.as_deref(), Some("王小明"));
        let debug = format!("{t:?}");
        for secret in ["王小明", "13800138000", "ABC56", "O-9"] {
            assert!(!debug.contains(secret), "{secret} leaked into Debug");
        }
    }

    #[test]
    fn errors_name_the_ticket_and_the_event() {
        let e = Ticket::from_json(
            r#"{"id":"T2","created_at":"2024-05-01T09:00:00+08:00",
                "events":[{"at":"2024-04-30T09:00:00+08:00","type":"first_response"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e.ticket.as_deref(), Some("T2"));
        assert!(e.message.contains("event 1 (`first_response`"), "{e}");
        assert!(e.message.contains("before `created_at`"), "{e}");

        let e = Ticket::from_json(
            r#"{"id":"T3","created_at":"2024-05-01T09:00:00+08:00",
                "events":[{"at":"2024-05-02T09:00:00+08:00","type":"follow_up","score":9}]}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("score 9 is outside 1–5"), "{e}");
    }

    #[test]
    fn created_at_needs_an_offset() {
        let e = Ticket::from_json(r#"{"id":"T4","created_at":"2024-05-01T09:00:00"}"#).unwrap_err();
        assert!(e.message.contains("RFC 3339"), "{e}");
        let e = Ticket::from_json(r#"{"created_at":"2024-05-01T09:00:00Z"}"#).unwrap_err();
        assert_eq!(e.message, "missing `id`");
    }

    #[test]
    fn parser_messages_do_not_quote_values() {
        let e = Ticket::from_json(
            r#"{"id":"T5","created_at":"2024-05-01T09:00:00Z","channel":{"x":"13800138000"}}"#,
        )
        .unwrap_err();
        assert!(!e.message.contains("13800138000"), "{e}");
        let e = Ticket::from_json(
            r#"{"id":"T5","created_at":"2024-05-01T09:00:00Z","kind":["13800138000"]}"#,
        )
        .unwrap_err();
        assert!(!e.message.contains("13800138000"), "{e}");
        assert_eq!(e.ticket.as_deref(), None.or(Some("T5")));
    }

    #[test]
    fn sanitize_removes_quoted_strings() {
        assert_eq!(
            sanitize(r#"invalid type: string "secret", expected u8 at line 1"#),
            "invalid type: string, expected u8 at line 1"
        );
        // A value with quotes in it is written with escapes; all of it is dropped.
        assert_eq!(
            sanitize(
                r#"invalid type: string "Dan \"13800138000\" Wu\\", expected a map at line 1"#
            ),
            "invalid type: string, expected a map at line 1"
        );
    }

    #[test]
    fn sanitize_removes_quoted_numbers_and_characters() {
        assert_eq!(
            sanitize("invalid type: integer `13800138000`, expected a map at line 1 column 9"),
            "invalid type: integer, expected a map at line 1 column 9"
        );
        assert_eq!(
            sanitize("invalid type: floating point `1.5e9`, expected a string; character `x`"),
            "invalid type: floating point, expected a string; character"
        );
        // Unterminated quotes drop the rest; other backticks stay.
        assert_eq!(
            sanitize("expected `,` or `}`; integer `123"),
            "expected `,` or `}`; integer"
        );
    }

    #[test]
    fn a_contact_number_in_the_wrong_place_is_not_quoted() {
        let e = Ticket::from_json(
            r#"{"id":"T6","created_at":"2024-05-01T09:00:00Z","customer":13800138000}"#,
        )
        .unwrap_err();
        assert!(!e.message.contains("13800138000"), "{e}");
        assert!(
            e.message.contains("invalid type: integer, expected a map"),
            "{e}"
        );
    }
}
