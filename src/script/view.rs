//! The script's view of a ticket: a Rhai map built once per evaluation, without personal
//! fields unless the policy exposes them.

use chrono::{DateTime, Datelike, Offset, SecondsFormat, TimeZone, Timelike};
use rhai::{Array, Dynamic, ImmutableString, Map, FLOAT, INT};

use crate::ticket::{AttrValue, EventKind, Ticket};

/// Which personal fields `[scripts] expose` opts the script into.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expose {
    pub(crate) name: bool,
    pub(crate) contact: bool,
    pub(crate) order_no: bool,
    pub(crate) serial_no: bool,
}

impl Expose {
    pub(crate) fn from_list(list: &[String]) -> Expose {
        let has = |f: &str| list.iter().any(|e| e == f);
        Expose {
            name: has("customer.name"),
            contact: has("customer.contact"),
            order_no: has("product.order_no"),
            serial_no: has("product.serial_no"),
        }
    }

    pub(crate) fn any(self) -> bool {
        self.name || self.contact || self.order_no || self.serial_no
    }

    /// The exposed personal values of `ticket` (non-empty ones).
    pub(crate) fn values(self, ticket: &Ticket) -> impl Iterator<Item = &str> {
        let p = &ticket.personal;
        [
            (self.name, &p.name),
            (self.contact, &p.contact),
            (self.order_no, &p.order_no),
            (self.serial_no, &p.serial_no),
        ]
        .into_iter()
        .filter_map(|(on, v)| if on { v.as_deref() } else { None })
        .filter(|v| !v.trim().is_empty())
    }
}

fn string(s: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(s))
}

/// A custom field as a Rhai value. Whole numbers become integers so that scripts can compare
/// them with integer literals and use them as counts.
pub(crate) fn attr(value: &AttrValue) -> Dynamic {
    match value {
        AttrValue::Str(s) => string(s),
        AttrValue::Bool(b) => Dynamic::from(*b),
        // 2^53: beyond it an f64 no longer holds every whole number exactly.
        AttrValue::Num(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
            Dynamic::from(*n as INT)
        }
        AttrValue::Num(n) => Dynamic::from(*n as FLOAT),
        AttrValue::List(items) => Dynamic::from_array(items.iter().map(|s| string(s)).collect()),
    }
}

/// An instant as a Rhai string: RFC 3339 in its own offset, as chrono writes it with
/// `SecondsFormat::AutoSi` (`2024-05-01T09:00:00+08:00`). Whole seconds, the common case, are
/// written straight into a buffer: the map is built for every evaluation.
pub(crate) fn instant<Tz: TimeZone>(t: &DateTime<Tz>) -> Dynamic
where
    Tz::Offset: std::fmt::Display,
{
    let local = t.naive_local();
    let offset = t.offset().fix().local_minus_utc();
    let year = local.year();
    if local.nanosecond() != 0 || !(0..=9999).contains(&year) || offset % 60 != 0 {
        return string(&t.to_rfc3339_opts(SecondsFormat::AutoSi, false));
    }
    let minutes = offset.unsigned_abs() / 60;
    let year = year.unsigned_abs();
    let mut buf = *b"0000-00-00T00:00:00+00:00";
    let mut two = |at: usize, n: u32| {
        if let Some([tens, ones]) = buf.get_mut(at..at + 2) {
            *tens = b'0' + (n / 10 % 10) as u8;
            *ones = b'0' + (n % 10) as u8;
        }
    };
    two(0, year / 100);
    two(2, year % 100);
    two(5, local.month());
    two(8, local.day());
    two(11, local.hour());
    two(14, local.minute());
    two(17, local.second());
    two(20, minutes / 60);
    two(23, minutes % 60);
    if offset < 0 {
        buf[19] = b'-';
    }
    // Only ASCII digits and separators were written.
    std::str::from_utf8(&buf).map_or(Dynamic::UNIT, string)
}

fn opt(value: Option<&String>) -> Dynamic {
    value.map_or(Dynamic::UNIT, |v| string(v))
}

/// The keys of the ticket map, in key order.
const TOP: [&str; 11] = [
    "attributes",
    "channel",
    "created_at",
    "customer",
    "description",
    "events",
    "id",
    "kind",
    "now",
    "product",
    "subject",
];

/// Empty ticket maps (every key, every value `()`), made once per policy. A map is built by
/// cloning one and filling the values in key order, which costs no key search.
#[derive(Clone)]
pub(crate) struct Templates {
    top: Map,
    customer: Map,
    product: Map,
}

fn template(keys: &[&str]) -> Map {
    keys.iter().map(|k| ((*k).into(), Dynamic::UNIT)).collect()
}

impl Templates {
    pub(crate) fn new(expose: Expose) -> Templates {
        let mut customer = vec!["id", "region", "tier"];
        if expose.contact {
            customer.push("contact");
        }
        if expose.name {
            customer.push("name");
        }
        let mut product = vec!["model"];
        if expose.order_no {
            product.push("order_no");
        }
        if expose.serial_no {
            product.push("serial_no");
        }
        Templates {
            top: template(&TOP),
            customer: template(&customer),
            product: template(&product),
        }
    }
}

/// Fills `template`'s values (in key order) from `value`, then adds `extra` fields.
fn filled(
    template: &Map,
    value: impl Fn(&str) -> Dynamic,
    extra: &std::collections::BTreeMap<String, AttrValue>,
) -> Dynamic {
    let mut m = template.clone();
    for (k, slot) in m.iter_mut() {
        *slot = value(k.as_str());
    }
    for (k, v) in extra {
        m.insert(k.as_str().into(), attr(v));
    }
    Dynamic::from_map(m)
}

/// Builds the ticket map. A field the ticket does not have is `()`, so `ticket.kind == ()`,
/// `ticket.customer.tier ?? "regular"` and `get(ticket, "customer.tier", "regular")` work.
/// `now` is the evaluation instant as RFC 3339.
pub(crate) fn ticket_map(ticket: &Ticket, now: Dynamic, templates: &Templates) -> Map {
    let p = &ticket.personal;
    let customer = filled(
        &templates.customer,
        |k| match k {
            "id" => opt(ticket.customer.id.as_ref()),
            "region" => opt(ticket.customer.region.as_ref()),
            "tier" => opt(ticket.customer.tier.as_ref()),
            "contact" => opt(p.contact.as_ref()),
            "name" => opt(p.name.as_ref()),
            _ => Dynamic::UNIT,
        },
        &ticket.customer.extra,
    );
    let product = filled(
        &templates.product,
        |k| match k {
            "model" => opt(ticket.product.model.as_ref()),
            "order_no" => opt(p.order_no.as_ref()),
            "serial_no" => opt(p.serial_no.as_ref()),
            _ => Dynamic::UNIT,
        },
        &ticket.product.extra,
    );
    // Inserted one by one: collecting would sort through a buffer of its own.
    let mut attributes = Map::new();
    for (k, v) in ticket.attributes.iter().rev() {
        attributes.insert(k.as_str().into(), attr(v));
    }
    let events: Array = ticket
        .events
        .iter()
        .map(|e| {
            let mut ev = Map::new();
            ev.insert("type".into(), string(e.kind.name()));
            match &e.kind {
                EventKind::Status(s) => {
                    ev.insert("status".into(), string(s));
                }
                EventKind::FollowUp { score } => {
                    ev.insert("score".into(), Dynamic::from(INT::from(*score)));
                }
                // The ids an agent chose, and the assignee as given; never the free-text
                // `reason` (it is not kept).
                EventKind::Assigned {
                    department,
                    team,
                    assignee,
                } => {
                    ev.insert("department".into(), string(department));
                    ev.insert("team".into(), opt(team.as_ref()));
                    ev.insert("assignee".into(), opt(assignee.as_ref()));
                }
                EventKind::Priority(p) => {
                    ev.insert("priority".into(), string(p));
                }
                EventKind::Category(c) => {
                    ev.insert("category".into(), string(c));
                }
                _ => {}
            }
            ev.insert("at".into(), instant(&e.at));
            Dynamic::from_map(ev)
        })
        .collect();
    // In the order of TOP.
    let values = [
        Dynamic::from_map(attributes),
        opt(ticket.channel.as_ref()),
        instant(&ticket.created_at),
        customer,
        opt(ticket.description.as_ref()),
        Dynamic::from_array(events),
        string(&ticket.id),
        opt(ticket.kind.as_ref()),
        now,
        product,
        opt(ticket.subject.as_ref()),
    ];
    let mut m = templates.top.clone();
    for (slot, value) in m.values_mut().zip(values) {
        *slot = value;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket::from_json(
            r#"{"id":"T1","created_at":"2024-05-01T09:00:00+08:00","kind":"complaint",
                "customer":{"name":"王小明","contact":"13800138000","tier":"vip","since":2019},
                "product":{"model":"KFR-35GW","serial_no":"ABC56","order_no":"O-9"},
                "attributes":{"affected_units":15,"ratio":0.5,"tags":["a","b"]},
                "events":[{"at":"2024-05-01T10:00:00+08:00","type":"follow_up","score":2}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn personal_fields_only_when_exposed() {
        let t = ticket();
        let m = ticket_map(&t, Dynamic::UNIT, &Templates::new(Expose::default()));
        let text = format!("{m:?}");
        for secret in ["王小明", "13800138000", "ABC56", "O-9"] {
            assert!(!text.contains(secret), "{secret} is in the script's view");
        }
        let exposed = Templates::new(Expose::from_list(&["customer.name".to_string()]));
        let m = ticket_map(&t, Dynamic::UNIT, &exposed);
        let text = format!("{m:?}");
        assert!(text.contains("王小明"));
        assert!(!text.contains("13800138000"));
    }

    #[test]
    fn instants_read_as_chrono_writes_them() {
        for text in [
            "2024-05-01T09:00:00+08:00",
            "2024-05-01T09:00:00+00:00",
            "1999-12-31T23:59:59-05:30",
            "2024-05-01T09:00:00.250+08:00",
        ] {
            let t = DateTime::parse_from_rfc3339(text).unwrap();
            let shown = instant(&t).into_string().unwrap();
            assert_eq!(shown, t.to_rfc3339_opts(SecondsFormat::AutoSi, false));
            assert_eq!(shown, text);
        }
        let t = DateTime::parse_from_rfc3339("2025-03-30T01:30:00Z").unwrap();
        let berlin = t.with_timezone(&chrono_tz::Europe::Berlin);
        assert_eq!(
            instant(&berlin).into_string().unwrap(),
            "2025-03-30T03:30:00+02:00"
        );
    }

    #[test]
    fn numbers_and_events() {
        let m = ticket_map(&ticket(), Dynamic::UNIT, &Templates::new(Expose::default()));
        let attrs = m["attributes"].clone_cast::<Map>();
        assert_eq!(attrs["affected_units"].as_int(), Ok(15));
        assert_eq!(attrs["ratio"].as_float(), Ok(0.5));
        let customer = m["customer"].clone_cast::<Map>();
        assert_eq!(customer["since"].as_int(), Ok(2019));
        let events = m["events"].clone_cast::<Array>();
        let first = events[0].clone_cast::<Map>();
        assert_eq!(first["score"].as_int(), Ok(2));
        assert_eq!(first["type"].clone().into_string().unwrap(), "follow_up");
        assert!(m["channel"].is_unit());
        let keys: Vec<&str> = m.keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, TOP);
    }
}
