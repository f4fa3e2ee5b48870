//! Tickets as callers send them (contract §1), parsed and checked. Personal data is kept apart
//! in [`Personal`], which never prints and never serializes.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset};
use serde::de::{self, Deserializer, Visitor};
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
    /// A person put the ticket in a department (转派, a transfer when the place changes): from
    /// then on it wins over the route rules and hooks. The event's free-text `reason` is
    /// checked and dropped: it may quote the customer.
    Assigned {
        /// A department id of the policy.
        department: String,
        /// A team the policy's routes name in that department.
        team: Option<String>,
        /// The owner, as the agent gave it.
        assignee: Option<String>,
    },
    /// A person set the priority (a priority id of the policy).
    Priority(String),
    /// A person set the category (a category id of the policy).
    Category(String),
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
            EventKind::Assigned { .. } => "assigned",
            EventKind::Priority(_) => "priority",
            EventKind::Category(_) => "category",
        }
    }

    /// Whether a person chose something the rules decide: `assigned`, `priority`, `category`.
    pub fn is_agent(&self) -> bool {
        matches!(
            self,
            EventKind::Assigned { .. } | EventKind::Priority(_) | EventKind::Category(_)
        )
    }
}

/// A ticket that could not be read or evaluated. The message never contains personal data.
///
/// Programs match on [`TicketError::kind`]; people read the message. The JSON form (a line of
/// `aftercare eval`) is `{"ticket": ID, "error": MESSAGE}`.
///
/// ```
/// use aftercare::{Ticket, TicketErrorKind};
/// let e = Ticket::from_json(r#"{"id": "T1"}"#).unwrap_err();
/// assert_eq!(e.kind, TicketErrorKind::Field);
/// assert_eq!(e.to_string(), "ticket T1: missing `created_at`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("{}{message}", ticket.as_ref().map(|t| format!("ticket {t}: ")).unwrap_or_default())]
#[non_exhaustive]
pub struct TicketError {
    /// The ticket's id, when it could be read.
    pub ticket: Option<String>,
    /// What is wrong, for a person.
    #[serde(rename = "error")]
    pub message: String,
    /// What kind of problem it is, for a program.
    #[serde(skip)]
    pub kind: TicketErrorKind,
}

/// What kind of problem a [`TicketError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TicketErrorKind {
    /// The text is not a JSON object of the ticket's shape.
    Json,
    /// Over one of the [`Limits`]: bytes, events, text length.
    Limit,
    /// A field is missing or has the wrong type or value, or the ticket has a top-level key
    /// that is not a ticket field (a misspelling such as `descripton`; custom fields go in
    /// `attributes`).
    Field,
    /// The events do not make a history: out of order, before `created_at`, a status change
    /// the ticket's state does not allow.
    History,
    /// Business-time arithmetic went out of range (an instant too far in the past or future,
    /// a duration too large).
    Time,
    /// A script hook failed and the policy says `on_script_error = "fail"`.
    Script,
    /// The engine found itself in a state it should never be in; please report it.
    Internal,
}

impl TicketError {
    pub(crate) fn new(
        ticket: Option<&str>,
        kind: TicketErrorKind,
        message: impl Into<String>,
    ) -> Self {
        TicketError {
            ticket: ticket.map(str::to_string),
            message: message.into(),
            kind,
        }
    }

    /// The error for input that is not a ticket's text at all (say, a line of JSON lines that
    /// is not UTF-8): no ticket id, kind [`TicketErrorKind::Json`].
    ///
    /// ```
    /// let e = aftercare::TicketError::unreadable("line 3 is not UTF-8");
    /// assert_eq!(e.to_string(), "line 3 is not UTF-8");
    /// ```
    pub fn unreadable(why: impl Into<String>) -> Self {
        TicketError::new(None, TicketErrorKind::Json, why)
    }
}

// The parse borrows strings from the input where it can: keys, instants and event types are
// only read, so copying them would be wasted. The field types accept exactly what the plain
// `String` / `serde_json::Value` fields they replace accepted, with the same parser messages.
#[derive(Deserialize)]
struct RawTicket<'a> {
    #[serde(borrow)]
    id: Option<Val<'a>>,
    #[serde(borrow)]
    created_at: Option<Text<'a>>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, borrow)]
    customer: Option<Entries<'a>>,
    #[serde(default, borrow)]
    product: Option<Entries<'a>>,
    #[serde(default, borrow)]
    attributes: Option<Entries<'a>>,
    #[serde(default, borrow)]
    events: Option<Vec<RawEvent<'a>>>,
    /// Any other top-level key: an error (a misspelt field must not pass silently). Only
    /// tickets that have one pay for collecting it.
    #[serde(flatten)]
    unknown: UnknownKey,
}

/// The top-level keys of a ticket, in the order the reference lists them.
const TICKET_KEYS: [&str; 10] = [
    "id",
    "created_at",
    "channel",
    "kind",
    "subject",
    "description",
    "customer",
    "product",
    "attributes",
    "events",
];

/// The first top-level key that is not one of [`TICKET_KEYS`], if any; its value is skipped
/// unread.
#[derive(Default)]
struct UnknownKey(Option<String>);

impl<'de> Deserialize<'de> for UnknownKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = UnknownKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the other keys of a ticket")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<UnknownKey, A::Error> {
                let mut first = None;
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<de::IgnoredAny>()?;
                    first.get_or_insert(key);
                }
                Ok(UnknownKey(first))
            }
        }
        d.deserialize_map(KeyVisitor)
    }
}

/// The error for a top-level key a ticket does not have: the nearest key it may have meant,
/// and where custom fields go. Quotes the key (clipped), never a value.
fn unknown_key_message(key: &str) -> String {
    let near = TICKET_KEYS
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&key.to_lowercase(), k), *k))
        .min();
    let hint = match near {
        Some((d, k)) if d <= 2.max(k.len() / 3) => format!("did you mean `{k}`? "),
        _ => format!("a ticket has {}; ", TICKET_KEYS.join(", ")),
    };
    format!(
        "unknown ticket key `{}`; {hint}custom fields go in `attributes`",
        clip(key)
    )
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow)]
    at: Option<Text<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    status: Option<String>,
    #[serde(borrow)]
    score: Option<Val<'a>>,
    // Agents' events; all optional so that other events cost nothing more.
    department: Option<String>,
    team: Option<String>,
    assignee: Option<String>,
    priority: Option<String>,
    category: Option<String>,
    reason: Option<String>,
}

/// A JSON string, borrowed from the input when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // What `String` expects, so that messages stay as they were.
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(TextVisitor(PhantomData))
    }
}

/// Any JSON value, strings borrowed where they can be: what `serde_json::Value` reads, read
/// the same way (numbers, nesting depth and errors alike).
#[derive(Debug)]
enum Val<'a> {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(Cow<'a, str>),
    List(Vec<Val<'a>>),
    Map(Vec<(Cow<'a, str>, Val<'a>)>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Val<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValVisitor(PhantomData))
    }
}

struct ValVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ValVisitor<'a> {
    type Value = Val<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Val<'a>, E> {
        Ok(Val::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Val<'a>, E> {
        Ok(Val::Num(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val<'a>, E> {
        Ok(Val::Num(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Val<'a>, E> {
        // As `Value` does: a float JSON cannot hold becomes null.
        Ok(serde_json::Number::from_f64(v).map_or(Val::Null, Val::Num))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Val<'a>, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Val<'a>, E> {
        Ok(Val::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Val<'a>, E> {
        Ok(Val::Str(Cow::Owned(v)))
    }
    fn visit_none<E: de::Error>(self) -> Result<Val<'a>, E> {
        Ok(Val::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Val<'a>, E> {
        Ok(Val::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Val<'a>, D::Error> {
        Val::deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'a>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Val<'a>>()? {
            items.push(item);
        }
        Ok(Val::List(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Val<'a>, A::Error> {
        Ok(Val::Map(entries(map)?))
    }
}

fn entries<'de: 'a, 'a, A: de::MapAccess<'de>>(
    mut map: A,
) -> Result<Vec<(Cow<'a, str>, Val<'a>)>, A::Error> {
    // serde_json gives no size hint; tickets' objects have a handful of members.
    let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8).min(16));
    while let Some(key) = map.next_key::<Text<'a>>()? {
        out.push((key.0, map.next_value::<Val<'a>>()?));
    }
    Ok(out)
}

impl Val<'_> {
    fn as_i64(&self) -> Option<i64> {
        match self {
            Val::Num(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The same value as a `serde_json::Value`, for the rare cases that print it.
    fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => Value::Number(n.clone()),
            Val::Str(s) => Value::String(s.to_string()),
            Val::List(items) => Value::Array(items.iter().map(Val::to_value).collect()),
            Val::Map(entries) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    map.insert(k.to_string(), v.to_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// The members of a JSON object, in key order: the order in which the `BTreeMap` this
/// replaces gave them, which decides which error comes first. A repeated key is an error.
struct Entries<'a>(Vec<(Cow<'a, str>, Val<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for EntriesVisitor<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // What `BTreeMap` expects, so that messages stay as they were.
                f.write_str("a map")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Entries<'a>, A::Error> {
                let mut all = entries(map)?;
                all.sort_by(|a, b| a.0.cmp(&b.0));
                // A repeated key is an error: which of two values is meant cannot be known.
                let repeated = all.windows(2).find_map(|w| match w {
                    [a, b] if a.0 == b.0 => Some(&a.0),
                    _ => None,
                });
                if let Some(key) = repeated {
                    return Err(de::Error::custom(format_args!(
                        "duplicate key `{}`",
                        clip(key)
                    )));
                }
                Ok(Entries(all))
            }
        }
        d.deserialize_map(EntriesVisitor(PhantomData))
    }
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
                TicketErrorKind::Limit,
                format!(
                    "the ticket is {} bytes of JSON; the limit is {} bytes (max_ticket_bytes)",
                    json.len(),
                    limits.max_ticket_bytes
                ),
            ));
        }
        // A byte-order mark is what some editors put before the first line of a file.
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        match serde_json::from_str::<RawTicket>(json) {
            Ok(raw) => Ticket::from_raw(raw, limits),
            Err(e) => Err(TicketError::new(
                sniff_id(json).as_deref(),
                TicketErrorKind::Json,
                format!("invalid ticket JSON: {}", sanitize(&e.to_string())),
            )),
        }
    }

    /// Reads one ticket from an already parsed JSON value. The default [`Limits`] on events
    /// and text apply (the size in bytes is the caller's to check before parsing).
    pub fn from_value(value: serde_json::Value) -> Result<Ticket, TicketError> {
        let id = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
        match RawTicket::deserialize(&value) {
            Ok(raw) => Ticket::from_raw(raw, &Limits::DEFAULT),
            Err(e) => Err(TicketError::new(
                id.as_deref(),
                TicketErrorKind::Json,
                format!("invalid ticket: {}", sanitize(&e.to_string())),
            )),
        }
    }

    /// Reads one ticket from any serde [`Deserializer`] that yields the ticket JSON shape,
    /// such as one over another language's objects, without JSON text in between. The
    /// `limits` on events and text apply (the size in bytes has no meaning here).
    ///
    /// On a malformed ticket the error carries no id: the caller, who holds the input, may
    /// add it. Like every ticket error, its message quotes no value from the ticket.
    ///
    /// ```
    /// let value = serde_json::json!({"id": "T1", "created_at": "2024-05-06T09:00:00+08:00"});
    /// let limits = aftercare::Limits::default();
    /// let t = aftercare::Ticket::from_deserializer(&value, &limits).unwrap();
    /// assert_eq!(t.id, "T1");
    /// ```
    pub fn from_deserializer<'de, D: Deserializer<'de>>(
        deserializer: D,
        limits: &Limits,
    ) -> Result<Ticket, TicketError> {
        match RawTicket::deserialize(deserializer) {
            Ok(raw) => Ticket::from_raw(raw, limits),
            Err(e) => Err(TicketError::new(
                None,
                TicketErrorKind::Json,
                format!("invalid ticket: {}", sanitize(&e.to_string())),
            )),
        }
    }

    fn from_raw(raw: RawTicket<'_>, limits: &Limits) -> Result<Ticket, TicketError> {
        let id = match raw.id {
            Some(Val::Str(s)) if !s.trim().is_empty() => s.into_owned(),
            Some(Val::Num(n)) => n.to_string(),
            Some(Val::Str(_)) => {
                return Err(TicketError::new(
                    None,
                    TicketErrorKind::Field,
                    "`id` is empty",
                ))
            }
            Some(_) => {
                return Err(TicketError::new(
                    None,
                    TicketErrorKind::Field,
                    "`id` must be a string",
                ))
            }
            None => {
                return Err(TicketError::new(
                    None,
                    TicketErrorKind::Field,
                    "missing `id`",
                ))
            }
        };
        // Checked first: the id is repeated in every escalation key and error line, so a long
        // one would make output grow out of proportion to the ticket.
        if id.len() > limits.max_id_bytes {
            return Err(TicketError::new(
                None,
                TicketErrorKind::Limit,
                format!(
                    "`id` is {} bytes long; the limit is {} bytes (max_id_bytes)",
                    id.len(),
                    limits.max_id_bytes
                ),
            ));
        }
        let err = |m: String| TicketError::new(Some(&id), TicketErrorKind::Field, m);
        if let Some(key) = &raw.unknown.0 {
            return Err(err(unknown_key_message(key)));
        }
        let limit = |m: String| TicketError::new(Some(&id), TicketErrorKind::Limit, m);
        let history = |m: String| TicketError::new(Some(&id), TicketErrorKind::History, m);
        let events = raw.events.as_ref().map_or(0, Vec::len);
        if events > limits.max_events {
            return Err(limit(format!(
                "the ticket has {events} events; the limit is {} (max_events)",
                limits.max_events
            )));
        }
        for (field, text) in [("subject", &raw.subject), ("description", &raw.description)] {
            let len = text.as_ref().map_or(0, String::len);
            if len > limits.max_text_bytes {
                return Err(limit(format!(
                    "`{field}` is {len} bytes long; the limit is {} bytes (max_text_bytes)",
                    limits.max_text_bytes
                )));
            }
        }
        let created_at = match raw.created_at {
            Some(s) => parse_instant(&s.0).map_err(|(kind, m)| {
                TicketError::new(Some(&id), kind, format!("`created_at`: {m}"))
            })?,
            None => return Err(err("missing `created_at`".into())),
        };
        let mut personal = Personal::default();
        let mut customer = Customer::default();
        for (key, value) in raw.customer.map(|c| c.0).unwrap_or_default() {
            match personal_key(&key, &["name", "contact"]) {
                "name" => personal.name = personal_string(value),
                "contact" => personal.contact = personal_string(value),
                "id" => customer.id = plain_string(value, "customer.id").map_err(err)?,
                "tier" => customer.tier = plain_string(value, "customer.tier").map_err(err)?,
                "region" => {
                    customer.region = plain_string(value, "customer.region").map_err(err)?
                }
                _ => {
                    if let Some(v) = attr(value, "customer", &key).map_err(err)? {
                        customer.extra.insert(key.into_owned(), v);
                    }
                }
            }
        }
        let mut product = Product::default();
        for (key, value) in raw.product.map(|p| p.0).unwrap_or_default() {
            match personal_key(&key, &["order_no", "serial_no"]) {
                "order_no" => personal.order_no = personal_string(value),
                "serial_no" => personal.serial_no = personal_string(value),
                "model" => product.model = plain_string(value, "product.model").map_err(err)?,
                _ => {
                    if let Some(v) = attr(value, "product", &key).map_err(err)? {
                        product.extra.insert(key.into_owned(), v);
                    }
                }
            }
        }
        let mut attributes = BTreeMap::new();
        for (key, value) in raw.attributes.map(|a| a.0).unwrap_or_default() {
            if let Some(v) = attr(value, "attributes", &key).map_err(err)? {
                attributes.insert(key.into_owned(), v);
            }
        }
        let raw_events = raw.events.unwrap_or_default();
        let mut events = Vec::with_capacity(raw_events.len());
        for (i, e) in raw_events.into_iter().enumerate() {
            let n = i + 1;
            let kind_name = e.kind.as_ref().map_or("", |k| &k.0);
            let at = match e.at {
                Some(s) => parse_instant(&s.0).map_err(|(kind, m)| {
                    TicketError::new(
                        Some(&id),
                        kind,
                        format!("event {n} (`{kind_name}`): `at`: {m}"),
                    )
                })?,
                None => return Err(err(format!("event {n} (`{kind_name}`) has no `at`"))),
            };
            let kind = match kind_name {
                "first_response" => EventKind::FirstResponse,
                "reply" => EventKind::Reply,
                "resolved" => EventKind::Resolved,
                "reopened" => EventKind::Reopened,
                "status" => match e.status {
                    Some(s) if !s.trim().is_empty() => EventKind::Status(s),
                    _ => return Err(err(format!("event {n} (`status` at {}) has no `status`", at.to_rfc3339()))),
                },
                "follow_up" => {
                    let score = e.score.as_ref().and_then(Val::as_i64);
                    match score {
                        Some(s @ 1..=5) => EventKind::FollowUp { score: s as u8 },
                        Some(s) => {
                            return Err(err(format!(
                                "event {n} (`follow_up` at {}): score {s} is outside 1–5",
                                at.to_rfc3339()
                            )))
                        }
                        None => {
                            return Err(err(format!(
                                "event {n} (`follow_up` at {}) needs a whole-number `score` from 1 to 5",
                                at.to_rfc3339()
                            )))
                        }
                    }
                }
                "assigned" | "priority" | "category" => {
                    agent_event(kind_name, n, at, e.department, e.team, e.assignee, e.priority, e.category, e.reason, limits)
                        .map_err(|(kind, m)| TicketError::new(Some(&id), kind, m))?
                }
                "" => return Err(err(format!("event {n} has no `type`"))),
                other => {
                    return Err(err(format!(
                        "event {n} has unknown type `{}`; expected first_response, reply, status, resolved, reopened, follow_up, assigned, priority or category",
                        clip(other)
                    )))
                }
            };
            if at < created_at {
                return Err(history(format!(
                    "event {n} (`{kind_name}` at {}) is before `created_at` ({})",
                    at.to_rfc3339(),
                    created_at.to_rfc3339()
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

/// An agent's event from its fields: the id it names is required and non-empty; `assignee`
/// and `reason` are free text within `max_text_bytes`, and `reason` is not kept.
#[allow(clippy::too_many_arguments)]
fn agent_event(
    kind: &str,
    n: usize,
    at: DateTime<FixedOffset>,
    department: Option<String>,
    team: Option<String>,
    assignee: Option<String>,
    priority: Option<String>,
    category: Option<String>,
    reason: Option<String>,
    limits: &Limits,
) -> Result<EventKind, (TicketErrorKind, String)> {
    let at = at.to_rfc3339();
    for (field, text) in [("assignee", &assignee), ("reason", &reason)] {
        let len = text.as_ref().map_or(0, String::len);
        if len > limits.max_text_bytes {
            return Err((
                TicketErrorKind::Limit,
                format!(
                    "event {n} (`{kind}` at {at}): `{field}` is {len} bytes long; the limit is {} bytes (max_text_bytes)",
                    limits.max_text_bytes
                ),
            ));
        }
    }
    let given = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let required = |v: Option<String>, field: &str| {
        given(v).ok_or_else(|| {
            (
                TicketErrorKind::Field,
                format!("event {n} (`{kind}` at {at}) has no `{field}`"),
            )
        })
    };
    Ok(match kind {
        "assigned" => EventKind::Assigned {
            department: required(department, "department")?,
            team: given(team),
            assignee: given(assignee),
        },
        "priority" => EventKind::Priority(required(priority, "priority")?),
        _ => EventKind::Category(required(category, "category")?),
    })
}

/// An RFC 3339 instant within the range business time supports. An instant before
/// 1970-01-01T00:00:00Z is refused (kind [`TicketErrorKind::Time`]) rather than clamped, which
/// would start clocks on 1970-01-01 and file the ticket under week `1-W01`.
fn parse_instant(s: &str) -> Result<DateTime<FixedOffset>, (TicketErrorKind, String)> {
    let at = DateTime::parse_from_rfc3339(s).map_err(|_| {
        (
            TicketErrorKind::Field,
            format!(
                "`{}` is not an RFC 3339 instant with an offset (e.g. 2024-05-01T09:00:00+08:00)",
                clip(s)
            ),
        )
    })?;
    // chrono reads `:60` as a leap second; business time has none, and a ticket with one
    // would be due a second off.
    if chrono::Timelike::nanosecond(&at) >= 1_000_000_000 {
        return Err((
            TicketErrorKind::Field,
            format!(
                "`{}` is a leap second (`:60`); use the second before or after it",
                clip(s)
            ),
        ));
    }
    if at.timestamp() < 0 {
        return Err((
            TicketErrorKind::Time,
            format!(
                "{} is before 1970-01-01T00:00:00Z, outside the supported range of dates",
                at.to_rfc3339()
            ),
        ));
    }
    Ok(at)
}

/// `key`, or the personal field it spells in other letter case (`Name`, `SERIAL_NO`): a
/// personal value under such a key must not become a custom field rules and outputs can read.
fn personal_key<'k>(key: &'k str, personal: &[&'static str]) -> &'k str {
    personal
        .iter()
        .find(|p| p.eq_ignore_ascii_case(key))
        .copied()
        .unwrap_or(key)
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

fn personal_string(value: Val<'_>) -> Option<String> {
    match value {
        Val::Str(s) => Some(s.into_owned()),
        Val::Null => None,
        other => Some(other.to_value().to_string()),
    }
}

fn plain_string(value: Val<'_>, field: &str) -> Result<Option<String>, String> {
    match value {
        Val::Str(s) => Ok(Some(s.into_owned())),
        Val::Null => Ok(None),
        Val::Num(n) => Ok(Some(n.to_string())),
        _ => Err(format!("`{field}` must be a string")),
    }
}

/// `section.key` as a custom field value; the field's name is only spelt out for an error.
fn attr(value: Val<'_>, section: &str, key: &str) -> Result<Option<AttrValue>, String> {
    let field = || format!("{section}.{key}");
    Ok(Some(match value {
        Val::Null => return Ok(None),
        Val::Str(s) => AttrValue::Str(s.into_owned()),
        Val::Bool(b) => AttrValue::Bool(b),
        Val::Num(n) => match n.as_f64() {
            Some(f) if f.is_finite() => AttrValue::Num(f),
            _ => return Err(format!("`{}` is not a usable number", field())),
        },
        Val::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Val::Str(s) => out.push(s.into_owned()),
                    _ => return Err(format!("`{}` must be an array of strings", field())),
                }
            }
            AttrValue::List(out)
        }
        Val::Map(_) => {
            let field = field();
            return Err(format!(
                "`{field}` is an object; custom fields are strings, numbers, booleans or arrays of strings"
            ));
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

/// The parser as it was before it borrowed from its input (`serde_json::Value` maps, owned
/// strings), kept to check that the borrowing one accepts and rejects exactly the same tickets
/// with exactly the same messages.
#[cfg(test)]
mod reference {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::{
        clip, parse_instant, personal_key, sanitize, sniff_id, unknown_key_message, AttrValue,
        Customer, Event, EventKind, Limits, Personal, Product, Ticket, TicketError,
        TicketErrorKind, UnknownKey,
    };

    pub(super) fn from_json_with_limits(
        json: &str,
        limits: &Limits,
    ) -> Result<Ticket, TicketError> {
        if json.len() > limits.max_ticket_bytes {
            return Err(TicketError::new(
                None,
                TicketErrorKind::Limit,
                format!(
                    "the ticket is {} bytes of JSON; the limit is {} bytes (max_ticket_bytes)",
                    json.len(),
                    limits.max_ticket_bytes
                ),
            ));
        }
        match serde_json::from_str::<RawTicket>(json) {
            Ok(raw) => from_raw(raw, limits),
            Err(e) => Err(TicketError::new(
                sniff_id(json).as_deref(),
                TicketErrorKind::Json,
                format!("invalid ticket JSON: {}", sanitize(&e.to_string())),
            )),
        }
    }

    pub(super) fn from_value(value: serde_json::Value) -> Result<Ticket, TicketError> {
        let id = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
        match serde_json::from_value::<RawTicket>(value) {
            Ok(raw) => from_raw(raw, &Limits::DEFAULT),
            Err(e) => Err(TicketError::new(
                id.as_deref(),
                TicketErrorKind::Json,
                format!("invalid ticket: {}", sanitize(&e.to_string())),
            )),
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
        #[serde(flatten)]
        unknown: UnknownKey,
    }

    #[derive(Deserialize)]
    struct RawEvent {
        at: Option<String>,
        #[serde(rename = "type")]
        kind: Option<String>,
        status: Option<String>,
        score: Option<serde_json::Value>,
        department: Option<String>,
        team: Option<String>,
        assignee: Option<String>,
        priority: Option<String>,
        category: Option<String>,
        reason: Option<String>,
    }

    fn from_raw(raw: RawTicket, limits: &Limits) -> Result<Ticket, TicketError> {
        let id = match raw.id {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s,
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(_)) => {
                return Err(TicketError::new(
                    None,
                    TicketErrorKind::Field,
                    "`id` is empty",
                ))
            }
            Some(_) => {
                return Err(TicketError::new(
                    None,
                    TicketErrorKind::Field,
                    "`id` must be a string",
                ))
            }
            None => {
                return Err(TicketError::new(
                    None,
                    TicketErrorKind::Field,
                    "missing `id`",
                ))
            }
        };
        // Checked first: the id is repeated in every escalation key and error line, so a long
        // one would make output grow out of proportion to the ticket.
        if id.len() > limits.max_id_bytes {
            return Err(TicketError::new(
                None,
                TicketErrorKind::Limit,
                format!(
                    "`id` is {} bytes long; the limit is {} bytes (max_id_bytes)",
                    id.len(),
                    limits.max_id_bytes
                ),
            ));
        }
        let err = |m: String| TicketError::new(Some(&id), TicketErrorKind::Field, m);
        if let Some(key) = &raw.unknown.0 {
            return Err(err(unknown_key_message(key)));
        }
        let limit = |m: String| TicketError::new(Some(&id), TicketErrorKind::Limit, m);
        let history = |m: String| TicketError::new(Some(&id), TicketErrorKind::History, m);
        let events = raw.events.as_ref().map_or(0, Vec::len);
        if events > limits.max_events {
            return Err(limit(format!(
                "the ticket has {events} events; the limit is {} (max_events)",
                limits.max_events
            )));
        }
        for (field, text) in [("subject", &raw.subject), ("description", &raw.description)] {
            let len = text.as_ref().map_or(0, String::len);
            if len > limits.max_text_bytes {
                return Err(limit(format!(
                    "`{field}` is {len} bytes long; the limit is {} bytes (max_text_bytes)",
                    limits.max_text_bytes
                )));
            }
        }
        let created_at = match raw.created_at {
            Some(s) => parse_instant(&s).map_err(|(kind, m)| {
                TicketError::new(Some(&id), kind, format!("`created_at`: {m}"))
            })?,
            None => return Err(err("missing `created_at`".into())),
        };
        let mut personal = Personal::default();
        let mut customer = Customer::default();
        for (key, value) in raw.customer.unwrap_or_default() {
            match personal_key(&key, &["name", "contact"]) {
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
            match personal_key(&key, &["order_no", "serial_no"]) {
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
                Some(s) => parse_instant(&s).map_err(|(kind, m)| {
                    TicketError::new(
                        Some(&id),
                        kind,
                        format!("event {n} (`{kind_name}`): `at`: {m}"),
                    )
                })?,
                None => return Err(err(format!("event {n} (`{kind_name}`) has no `at`"))),
            };
            let kind = match kind_name.as_str() {
            "first_response" => EventKind::FirstResponse,
            "reply" => EventKind::Reply,
            "resolved" => EventKind::Resolved,
            "reopened" => EventKind::Reopened,
            "status" => match e.status {
                Some(s) if !s.trim().is_empty() => EventKind::Status(s),
                _ => return Err(err(format!("event {n} (`status` at {}) has no `status`", at.to_rfc3339()))),
            },
            "follow_up" => {
                let score = e.score.as_ref().and_then(serde_json::Value::as_i64);
                match score {
                    Some(s @ 1..=5) => EventKind::FollowUp { score: s as u8 },
                    Some(s) => {
                        return Err(err(format!(
                            "event {n} (`follow_up` at {}): score {s} is outside 1–5",
                                at.to_rfc3339()
                        )))
                    }
                    None => {
                        return Err(err(format!(
                            "event {n} (`follow_up` at {}) needs a whole-number `score` from 1 to 5",
                                at.to_rfc3339()
                        )))
                    }
                }
            }
            "assigned" | "priority" | "category" => {
                super::agent_event(&kind_name, n, at, e.department, e.team, e.assignee, e.priority, e.category, e.reason, limits)
                    .map_err(|(kind, m)| TicketError::new(Some(&id), kind, m))?
            }
            "" => return Err(err(format!("event {n} has no `type`"))),
            other => {
                return Err(err(format!(
                    "event {n} has unknown type `{}`; expected first_response, reply, status, resolved, reopened, follow_up, assigned, priority or category",
                    clip(other)
                )))
            }
        };
            if at < created_at {
                return Err(history(format!(
                    "event {n} (`{kind_name}` at {}) is before `created_at` ({})",
                    at.to_rfc3339(),
                    created_at.to_rfc3339()
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

/// The borrowing parser against the one it replaced, on malformed and odd tickets.
#[cfg(test)]
mod same_as_reference {
    use super::*;

    const VALID: [&str; 3] = [
        r#"{"id":"T1","created_at":"2024-05-01T09:00:00+08:00","channel":"phone","kind":"complaint","subject":"空调不制冷","description":"It \"leaks\"\n","customer":{"id":"C1","name":"王小明","contact":"13800138000","tier":"vip","region":"north","since":2019,"tags":["a","b"]},"product":{"model":"KFR-35GW","order_no":"O-9","serial_no":"ABC56","warranty":true},"attributes":{"safety_hazard":false,"cost":12.5,"parts":["pump"],"note":null},"events":[{"at":"2024-05-01T10:00:00+08:00","type":"first_response"},{"at":"2024-05-01T11:00:00+08:00","type":"status","status":"waiting_customer"},{"at":"2024-05-02T09:00:00+08:00","type":"resolved"},{"at":"2024-05-03T09:00:00+08:00","type":"follow_up","score":4}]}"#,
        r#"{"id":42,"created_at":"2024-05-01T09:00:00Z","customer":{"tier":"vip","id":7},"product":{},"attributes":{"b":2,"a":"x"},"events":[]}"#,
        r#"{"created_at":"2024-05-01T09:00:00+08:00","id":"T\u0033","kind":null,"events":[{"type":"reply","at":"2024-05-01T09:30:00+08:00","extra":{"x":[1,{"y":null}]}}]}"#,
    ];

    /// Values of every kind, for every place a value can go.
    const VALUES: [&str; 23] = [
        "null",
        "true",
        "0",
        "-7",
        "3",
        "13800138000",
        "18446744073709551616",
        "1e400",
        "-1.5e-3",
        "2.0",
        r#""""#,
        r#""  ""#,
        r#""13800138000""#,
        r#""2024-05-02T09:00:00+08:00""#,
        r#""status""#,
        r#""follow_up""#,
        r#""a\"b\\c\u00e9\ud83d\ude00""#,
        "[]",
        r#"["x","y"]"#,
        r#"["x",1]"#,
        "{}",
        r#"{"name":"王小明","n":[1,{"m":2}]}"#,
        r#"[{"at":"2024-05-02T09:00:00+08:00","type":"follow_up","score":5.0}]"#,
    ];

    /// Field paths that take a value, as `prefix` + value + `suffix` around the first valid
    /// ticket's opening.
    const PLACES: [(&str, &str); 23] = [
        (r#"{"id":"#, r#","created_at":"2024-05-01T09:00:00Z"}"#),
        (r#"{"id":"T","created_at":"#, "}"),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","channel":"#,
            "}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","subject":"#,
            "}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":"#,
            "}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":{"name":"#,
            "}}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":{"contact":"#,
            "}}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":{"id":"#,
            "}}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":{"tier":"#,
            r#","region":5}}"#,
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":{"zz":"#,
            r#","id":[]}}"#,
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","product":"#,
            "}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","product":{"order_no":"#,
            "}}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","product":{"serial_no":"#,
            "}}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","product":{"model":"#,
            "}}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","product":{"x":"#,
            "}}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","attributes":"#,
            "}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","attributes":{"k":"#,
            r#","k":"#,
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","events":"#,
            "}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","events":[{"type":"reply","at":"#,
            "}]}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","events":[{"at":"2024-05-02T09:00:00Z","type":"#,
            "}]}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","events":[{"at":"2024-05-02T09:00:00Z","type":"status","status":"#,
            "}]}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","events":[{"at":"2024-05-02T09:00:00Z","type":"follow_up","score":"#,
            "}]}",
        ),
        (
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","unknown":"#,
            "}",
        ),
    ];

    fn assert_same(json: &str, limits: &Limits) {
        let new = Ticket::from_json_with_limits(json, limits);
        // A repeated key is an error in the text; the reference reads it last-wins.
        if matches!(&new, Err(e) if e.message.contains("duplicate key")) {
            return;
        }
        let old = reference::from_json_with_limits(json, limits);
        assert_eq!(new, old, "{json}");
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(json) {
            assert_eq!(
                Ticket::from_value(value.clone()),
                reference::from_value(value),
                "from_value: {json}"
            );
        }
    }

    #[test]
    fn every_value_in_every_place() {
        let mut n = 0;
        for (prefix, suffix) in PLACES {
            for value in VALUES {
                // The second `"k":` of the attributes place takes the value again.
                let tail = if suffix.ends_with(':') {
                    format!("{suffix}{value}}}}}")
                } else {
                    suffix.to_string()
                };
                assert_same(&format!("{prefix}{value}{tail}"), &Limits::DEFAULT);
                n += 1;
            }
        }
        assert_eq!(n, PLACES.len() * VALUES.len());
    }

    #[test]
    fn every_truncation_and_limit() {
        let tight = Limits {
            max_ticket_bytes: 600,
            max_events: 3,
            max_text_bytes: 10,
            ..Limits::DEFAULT
        };
        for json in VALID {
            assert!(Ticket::from_json(json).is_ok(), "{json}");
            for end in (0..json.len()).filter(|&i| json.is_char_boundary(i)) {
                let cut = json.get(..end).unwrap();
                assert_same(cut, &Limits::DEFAULT);
                // The cut with the rest of the object closed off: other errors, further in.
                assert_same(&format!("{cut}}}"), &Limits::DEFAULT);
                assert_same(&format!("{cut}\"]}}}}"), &Limits::DEFAULT);
            }
            assert_same(json, &tight);
            assert_same(&format!("[{json}]"), &Limits::DEFAULT);
            assert_same(&format!("{json} x"), &Limits::DEFAULT);
        }
    }

    #[test]
    fn odd_shapes() {
        for json in [
            "",
            "null",
            "[]",
            r#"["T1","2024-05-01T09:00:00Z"]"#,
            r#"["T1","2024-05-01T09:00:00Z",null,null,null,null,{"tier":1},null,null,[["2024-05-02T09:00:00Z","reply",null,null]]]"#,
            r#"{"id":"T","id":"U","created_at":"2024-05-01T09:00:00Z"}"#,
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":{"tier":"a","id":[],"tier":5,"tier":"c","id":"C"}}"#,
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":{"tier":"a","tier":5,"tier":{}},"attributes":{"x":1,"x":{},"x":null}}"#,
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","events":[{"at":"2024-05-02T09:00:00Z","at":"2024-05-02T09:00:00Z","type":"reply"}]}"#,
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","customer":{"name":{"first":"Wang"},"contact":13800138000}}"#,
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","events":[{"at":"2024-05-02T09:00:00Z","type":"follow_up","score":9223372036854775808}]}"#,
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","events":[{"at":"2024-05-02T09:00:00Z","type":"launch"}]}"#,
            r#"{"id":"T","created_at":"2024-05-01T09:00:00Z","attributes":{"deep":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}"#,
            "{\"id\":\"T\",\"created_at\":\"2024-05-01T09:00:00Z\",\"subject\":\"bad \\x escape\"}",
            "{\"id\":\"T\",\"created_at\":\"2024-05-01T09:00:00Z\",\"customer\":{\"name\":\"ctrl \u{1} char\"}}",
        ] {
            assert_same(json, &Limits::DEFAULT);
        }
    }

    #[test]
    fn the_fuzz_inputs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for folder in [
            "tests/fuzz_regressions/ticket_eval",
            "fuzz/seeds/ticket_eval",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
                continue;
            };
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path()).unwrap();
                for line in String::from_utf8_lossy(&bytes).lines() {
                    assert_same(line, &Limits::DEFAULT);
                    n += 1;
                }
            }
        }
        assert!(n > 0);
    }
}
