//! Typed errors: each kind of bad ticket gets its `TicketErrorKind`, and policy problems carry
//! stable codes.

use aftercare::{Limits, Policy, Ticket, TicketErrorKind};

use crate::support::{now, policy};

fn kind_of(json: &str) -> TicketErrorKind {
    let p = policy("tests/fixtures/lifecycle.toml");
    p.evaluate_json(json, now())
        .expect_err("the ticket is refused")
        .kind
}

#[test]
fn each_bad_ticket_has_its_kind() {
    assert_eq!(kind_of("{not json"), TicketErrorKind::Json);
    assert_eq!(kind_of(r#"{"id": "T1"}"#), TicketErrorKind::Field);
    assert_eq!(
        kind_of(r#"{"id": "T1", "created_at": "yesterday"}"#),
        TicketErrorKind::Field
    );
    assert_eq!(
        kind_of(
            r#"{"id": "T1", "created_at": "2025-10-09T09:00:00+08:00",
                "events": [{"at": "2025-10-08T09:00:00+08:00", "type": "reply"}]}"#
        ),
        TicketErrorKind::History
    );
    assert_eq!(
        kind_of(r#"{"id": "T1", "created_at": "9999-12-31T10:00:00+08:00"}"#),
        TicketErrorKind::Time
    );
}

#[test]
fn a_ticket_over_a_limit_has_the_limit_kind() {
    let limits = Limits {
        max_ticket_bytes: 16,
        ..Limits::default()
    };
    let e = Ticket::from_json_with_limits(r#"{"id": "T1", "created_at": "x"}"#, &limits)
        .expect_err("too long");
    assert_eq!(e.kind, TicketErrorKind::Limit);
}

#[test]
fn a_failing_script_hook_has_the_script_kind() {
    let p = crate::support::scripts::load(r#"fn classify(ticket) { throw "no" }"#);
    let e = crate::support::scripts::eval(&p, "").expect_err("the hook fails");
    assert_eq!(e.kind, TicketErrorKind::Script);
}

#[test]
fn policy_problems_carry_codes() {
    let e = Policy::from_toml("[policy]\nname = \"x\"\nnmae = 1\n").expect_err("bad policy");
    let codes: Vec<&str> = e.diagnostics().iter().map(|d| d.code).collect();
    assert!(codes.contains(&"unknown-key"), "{codes:?}");
    assert!(codes.contains(&"missing"), "{codes:?}");
}

#[test]
fn a_leap_second_is_refused() {
    let json = r#"{"id": "L1", "created_at": "2016-12-31T23:59:60Z"}"#;
    let e = Ticket::from_json(json).expect_err("no leap seconds in business time");
    assert_eq!(e.kind, TicketErrorKind::Field);
    assert!(e.message.contains("leap second"), "{e}");
    let json = r#"{"id": "L2", "created_at": "2025-10-13T09:00:00+08:00",
                   "events": [{"at": "2025-10-13T17:00:60+08:00", "type": "reply"}]}"#;
    let e = Ticket::from_json(json).expect_err("an event at a leap second");
    assert!(
        e.message.contains("event 1") && e.message.contains("leap second"),
        "{e}"
    );
}

#[test]
fn a_repeated_key_in_a_ticket_object_is_an_error() {
    for object in ["attributes", "customer", "product"] {
        let json = format!(
            r#"{{"id": "D1", "created_at": "2025-10-13T09:00:00+08:00",
                 "{object}": {{"vip": true, "vip": false}}}}"#
        );
        let e = Ticket::from_json(&json).expect_err("which value is meant?");
        assert_eq!(e.kind, TicketErrorKind::Json, "{object}");
        assert_eq!(e.ticket.as_deref(), Some("D1"));
        assert!(e.message.contains("duplicate key `vip`"), "{e}");
    }
}

#[test]
fn a_byte_order_mark_before_a_ticket_is_skipped() {
    let json = "\u{feff}{\"id\": \"B1\", \"created_at\": \"2025-10-13T09:00:00+08:00\"}";
    assert_eq!(Ticket::from_json(json).expect("read").id, "B1");
}

#[test]
fn an_unknown_top_level_ticket_key_is_an_error_with_a_suggestion() {
    let e = Ticket::from_json(
        r#"{"id": "T1", "created_at": "2025-10-09T09:00:00+08:00", "descripton": "空调漏水"}"#,
    )
    .expect_err("a misspelt key is refused");
    assert_eq!(e.kind, TicketErrorKind::Field);
    assert_eq!(
        e.to_string(),
        "ticket T1: unknown ticket key `descripton`; did you mean `description`? custom fields go in `attributes`"
    );
    // Far from every key: the keys are listed instead, and the value is never quoted.
    let e = Ticket::from_json(
        r#"{"id": "T1", "created_at": "2025-10-09T09:00:00+08:00", "warranty_card": "WC-77812"}"#,
    )
    .expect_err("an unknown key is refused");
    assert!(
        e.message
            .starts_with("unknown ticket key `warranty_card`; a ticket has id, created_at"),
        "{e}"
    );
    assert!(!e.message.contains("WC-77812"), "{e}");
    // Keys inside `customer`, `product` and `attributes` are custom fields, as before.
    let t = Ticket::from_json(
        r#"{"id": "T1", "created_at": "2025-10-09T09:00:00+08:00", "customer": {"since": 2019},
            "product": {"colour": "white"}, "attributes": {"descripton": "x"}}"#,
    )
    .expect("custom fields are read");
    assert_eq!(t.attributes.len(), 1);
}
