//! The script's view of a ticket: a Rhai map built once per evaluation, without personal
//! fields unless the policy exposes them.

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

fn put(map: &mut Map, key: &str, value: Option<&String>) {
    if let Some(v) = value {
        map.insert(key.into(), string(v));
    }
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

/// Builds the ticket map. Absent fields are absent keys, so `ticket.kind` is `()` and
/// `ticket.customer?.tier ?? "regular"` works. `now` is the evaluation instant as RFC 3339.
pub(crate) fn ticket_map(ticket: &Ticket, now: &str, expose: Expose) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), string(&ticket.id));
    m.insert("created_at".into(), string(&ticket.created_at.to_rfc3339()));
    m.insert("now".into(), string(now));
    put(&mut m, "channel", ticket.channel.as_ref());
    put(&mut m, "kind", ticket.kind.as_ref());
    put(&mut m, "subject", ticket.subject.as_ref());
    put(&mut m, "description", ticket.description.as_ref());

    let mut customer = Map::new();
    put(&mut customer, "id", ticket.customer.id.as_ref());
    put(&mut customer, "tier", ticket.customer.tier.as_ref());
    put(&mut customer, "region", ticket.customer.region.as_ref());
    for (k, v) in &ticket.customer.extra {
        customer.insert(k.as_str().into(), attr(v));
    }
    if expose.name {
        put(&mut customer, "name", ticket.personal.name.as_ref());
    }
    if expose.contact {
        put(&mut customer, "contact", ticket.personal.contact.as_ref());
    }
    m.insert("customer".into(), Dynamic::from_map(customer));

    let mut product = Map::new();
    put(&mut product, "model", ticket.product.model.as_ref());
    for (k, v) in &ticket.product.extra {
        product.insert(k.as_str().into(), attr(v));
    }
    if expose.order_no {
        put(&mut product, "order_no", ticket.personal.order_no.as_ref());
    }
    if expose.serial_no {
        put(
            &mut product,
            "serial_no",
            ticket.personal.serial_no.as_ref(),
        );
    }
    m.insert("product".into(), Dynamic::from_map(product));

    let attributes: Map = ticket
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str().into(), attr(v)))
        .collect();
    m.insert("attributes".into(), Dynamic::from_map(attributes));

    let events: Array = ticket
        .events
        .iter()
        .map(|e| {
            let mut ev = Map::new();
            ev.insert("at".into(), string(&e.at.to_rfc3339()));
            ev.insert("type".into(), string(e.kind.name()));
            match &e.kind {
                EventKind::Status(s) => {
                    ev.insert("status".into(), string(s));
                }
                EventKind::FollowUp { score } => {
                    ev.insert("score".into(), Dynamic::from(INT::from(*score)));
                }
                _ => {}
            }
            Dynamic::from_map(ev)
        })
        .collect();
    m.insert("events".into(), Dynamic::from_array(events));
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
        let m = ticket_map(&t, "2024-05-02T00:00:00+08:00", Expose::default());
        let text = format!("{m:?}");
        for secret in ["王小明", "13800138000", "ABC56", "O-9"] {
            assert!(!text.contains(secret), "{secret} is in the script's view");
        }
        let m = ticket_map(&t, "", Expose::from_list(&["customer.name".to_string()]));
        let text = format!("{m:?}");
        assert!(text.contains("王小明"));
        assert!(!text.contains("13800138000"));
    }

    #[test]
    fn numbers_and_events() {
        let m = ticket_map(&ticket(), "now", Expose::default());
        let attrs = m["attributes"].clone_cast::<Map>();
        assert_eq!(attrs["affected_units"].as_int(), Ok(15));
        assert_eq!(attrs["ratio"].as_float(), Ok(0.5));
        let customer = m["customer"].clone_cast::<Map>();
        assert_eq!(customer["since"].as_int(), Ok(2019));
        let events = m["events"].clone_cast::<Array>();
        let first = events[0].clone_cast::<Map>();
        assert_eq!(first["score"].as_int(), Ok(2));
        assert_eq!(first["type"].clone().into_string().unwrap(), "follow_up");
        assert!(!m.contains_key("channel"));
    }
}
