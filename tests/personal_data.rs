//! Personal data (`customer.name`, `customer.contact`, `product.order_no`,
//! `product.serial_no`) never appears in any output: decisions, traces, ticket errors, policy
//! diagnostics, and what the command line prints.
//!
//! Every personal value made here carries a marker (`NAME-000123-ZQ`, or a contact number
//! `139…`), so one scan finds a leak of any of them. To cover a further output, add one line:
//! `assert_no_personal_data(&text_of_that_output);` (for a subcommand, `cli(&[…], None)`).

use std::path::PathBuf;

use aftercare::{EvalOptions, Limits, Policy, Ticket};

use crate::support::{self, root};

const TICKETS: usize = 1000;
const NOW: &str = "2025-10-15T12:00:00+08:00";

/// The personal values of ticket `i`: unique, and recognisable by [`assert_no_personal_data`].
fn personal(i: usize) -> [String; 4] {
    [
        format!("NAME-{i:06}-ZQ"),
        format!("CONTACT-{i:06}-ZQ"),
        format!("ORDER-{i:06}-ZQ"),
        format!("SERIAL-{i:06}-ZQ"),
    ]
}

/// A contact given as a JSON number: `139` and eight digits.
fn phone(i: usize) -> u64 {
    13_900_000_000 + i as u64 * 7
}

/// Fails if `text` holds any personal value made by this test, whole or in part.
#[track_caller]
fn assert_no_personal_data(text: &str) {
    for marker in ["-ZQ", "NAME-0", "CONTACT-0", "ORDER-0", "SERIAL-0"] {
        if let Some(at) = text.find(marker) {
            let context: String = text[at..].chars().take(80).collect();
            panic!("personal data `{marker}` in output: {context}");
        }
    }
    let bytes = text.as_bytes();
    for (at, window) in bytes.windows(11).enumerate() {
        let digits = window.iter().all(u8::is_ascii_digit);
        let alone = at.checked_sub(1).is_none_or(|b| !bytes[b].is_ascii_digit())
            && bytes.get(at + 11).is_none_or(|b| !b.is_ascii_digit());
        if digits && alone && window.starts_with(b"139") {
            panic!(
                "a personal phone number in output: {}",
                String::from_utf8_lossy(window)
            );
        }
    }
}

fn created(i: usize) -> String {
    format!("2025-10-{:02}T{:02}:05:00+08:00", 1 + i % 14, 8 + i % 10)
}

/// Ticket `i` as JSON. Most are valid; the rest fail in as many ways as there are, each with
/// personal values present (and, where the failure allows, next to the fault).
fn ticket(i: usize) -> String {
    let [name, contact, order, serial] = personal(i);
    let id = format!("T{i}");
    let created = created(i);
    let customer = format!(
        r#"{{"id": "C{i}", "name": "{name}", "contact": "{contact}", "tier": "vip", "region": "north"}}"#
    );
    let product =
        format!(r#"{{"model": "KFR-35GW", "order_no": "{order}", "serial_no": "{serial}"}}"#);
    let valid = |events: &str, extra: &str| {
        format!(
            r#"{{"id": "{id}", "created_at": "{created}", "kind": "complaint", "subject": "空调不制冷",
                "description": "我要投诉", "customer": {customer}, "product": {product},
                "events": [{events}]{extra}}}"#
        )
    };
    let later = created.replace(":05:", ":35:");
    match i % 20 {
        // Valid, with a full life: response, pause, resolution, follow-up.
        0..=5 => valid(
            &format!(
                r#"{{"at": "{later}", "type": "first_response"}},
                   {{"at": "{later}", "type": "status", "status": "waiting_customer"}},
                   {{"at": "2025-10-16T10:00:00+08:00", "type": "resolved"}},
                   {{"at": "2025-10-17T10:00:00+08:00", "type": "follow_up", "score": 2}}"#
            ),
            "",
        ),
        // Valid, personal values in odd shapes (numbers, arrays, objects).
        6 => format!(
            r#"{{"id": "{id}", "created_at": "{created}",
                "customer": {{"name": ["{name}"], "contact": {}}},
                "product": {{"order_no": {{"n": "{order}"}}, "serial_no": "{serial}"}}}}"#,
            phone(i)
        ),
        // Created in year 9999: evaluation fails (no deadline exists).
        7 => valid("", "").replace(&created, "9999-12-31T22:00:00+08:00"),
        // `created_at` without an offset.
        8 => valid("", "").replace("+08:00\", \"kind", "\", \"kind"),
        // An event before `created_at`.
        9 => valid(
            r#"{"at": "2020-01-01T00:00:00Z", "type": "first_response"}"#,
            "",
        ),
        // A follow-up score out of range, and one that is not a number.
        10 => valid(
            &format!(r#"{{"at": "{later}", "type": "follow_up", "score": 9}}"#),
            "",
        ),
        11 => valid(
            &format!(r#"{{"at": "{later}", "type": "follow_up", "score": "{name}"}}"#),
            "",
        ),
        // An unknown event type; an event without `at`.
        12 => valid(
            &format!(r#"{{"at": "{later}", "type": "called_back"}}"#),
            "",
        ),
        13 => valid(r#"{"type": "resolved"}"#, ""),
        // Not JSON: cut off right after a personal value.
        14 => {
            let text = valid("", "");
            let cut = text
                .find(&contact)
                .map_or(text.len(), |p| p + contact.len() + 1);
            text[..cut].to_string()
        }
        // Wrong types where personal values sit: the customer as a string or a phone number,
        // a tier that is an object holding a name.
        15 => format!(
            r#"{{"id": "{id}", "created_at": "{created}", "customer": "{name} {contact}"}}"#
        ),
        16 => format!(
            r#"{{"id": "{id}", "created_at": "{created}", "customer": {}}}"#,
            phone(i)
        ),
        17 => format!(
            r#"{{"id": "{id}", "created_at": "{created}", "customer": {{"name": "{name}", "tier": {{"who": "{name}"}}}}}}"#
        ),
        // No id; a custom attribute that is an object holding an order number.
        18 => valid("", "").replacen(&format!(r#""id": "{id}", "#), "", 1),
        // A misspelt top-level key holding personal values, some of the wrong type.
        19 if i % 40 == 39 => format!(
            r#"{{"id": "{id}", "created_at": "{created}", "custmer": {{"name": "{name}", "contact": {}}},
                "product": {{"order_no": {}, "serial_no": ["{serial}"]}}}}"#,
            phone(i),
            phone(i)
        ),
        _ => valid(
            "",
            &format!(r#", "attributes": {{"order": {{"no": "{order}"}}}}"#),
        ),
    }
}

/// Tickets beyond the default limits, with personal values.
fn oversized() -> Vec<String> {
    let [name, contact, order, serial] = personal(TICKETS);
    let head = format!(
        r#""id": "BIG", "created_at": "2025-10-01T09:00:00+08:00", "customer": {{"name": "{name}", "contact": "{contact}"}}, "product": {{"order_no": "{order}", "serial_no": "{serial}"}}"#
    );
    let events = vec![r#"{"at": "2025-10-01T10:00:00+08:00", "type": "reply"}"#; 1001].join(",");
    vec![
        format!(r#"{{{head}, "events": [{events}]}}"#),
        format!(r#"{{{head}, "description": "{}"}}"#, "x".repeat(70_000)),
        format!(
            r#"{{{head}, "attributes": {{"blob": "{}"}}}}"#,
            "y".repeat(300_000)
        ),
    ]
}

fn all_tickets() -> Vec<String> {
    (0..TICKETS).map(ticket).chain(oversized()).collect()
}

fn default_policy() -> Policy {
    support::policy(support::DEFAULT_POLICY)
}

#[test]
fn the_generated_tickets_fail_in_many_ways() {
    let policy = default_policy();
    let now = NOW.parse().expect("now");
    let results: Vec<_> = all_tickets()
        .iter()
        .map(|t| policy.evaluate_json(t, now))
        .collect();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let errors: std::collections::BTreeSet<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|e| e.message.split(':').next().unwrap_or("").to_string())
        .collect();
    assert!(ok >= 300, "{ok} tickets evaluated");
    assert!(
        errors.len() >= 10,
        "only {} kinds of error: {errors:#?}",
        errors.len()
    );
}

#[test]
fn decisions_traces_and_ticket_errors_hold_no_personal_data() {
    let policy = default_policy();
    let now = NOW.parse().expect("now");
    for json in all_tickets() {
        match Ticket::from_json(&json) {
            Ok(ticket) => {
                assert_no_personal_data(&format!("{ticket:?}"));
                match policy.evaluate(&ticket, now) {
                    Ok(decision) => {
                        assert_no_personal_data(&serde_json::to_string(&decision).expect("json"));
                        let lines: Vec<String> =
                            decision.trace.iter().map(ToString::to_string).collect();
                        assert_no_personal_data(&lines.join("\n"));
                        assert_no_personal_data(&format!("{decision:?}"));
                    }
                    Err(e) => {
                        assert_no_personal_data(&e.to_string());
                        assert_no_personal_data(&serde_json::to_string(&e).expect("json"));
                        assert_no_personal_data(&format!("{e:?}"));
                    }
                }
            }
            Err(e) => {
                assert_no_personal_data(&e.to_string());
                assert_no_personal_data(&serde_json::to_string(&e).expect("json"));
                assert_no_personal_data(&format!("{e:?}"));
            }
        }
        // Tight limits fail tickets at other places.
        let tight = Limits {
            max_events: 1,
            max_text_bytes: 4,
            ..Limits::default()
        };
        if let Err(e) = Ticket::from_json_with_limits(&json, &tight) {
            assert_no_personal_data(&e.to_string());
        }
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&json) {
            if let Err(e) = Ticket::from_value(value) {
                assert_no_personal_data(&e.to_string());
            }
        }
    }
    let lines = policy.evaluate_json_lines(&all_tickets(), now, EvalOptions::default());
    for line in lines {
        let (Ok(text) | Err(text)) = line;
        assert_no_personal_data(&text);
    }
}

#[test]
fn policy_diagnostics_hold_no_personal_data() {
    // Rules may not read personal fields; saying so must not need their values.
    let [name, ..] = personal(1);
    let text =
        std::fs::read_to_string(root().join("tests/fixtures/lifecycle.toml")).expect("fixture");
    let bad = format!(
        "{text}\n[[priority_rules]]\nid = \"by-name\"\npriority = \"urgent\"\nwhen = {{ \"customer.name\" = {{ exists = true }} }}\n"
    );
    let e = Policy::from_toml(&bad).expect_err("personal fields cannot be used in rules");
    assert_no_personal_data(&e.to_string());
    assert_no_personal_data(&e.render(false));
    assert!(!name.is_empty());
    for w in default_policy().warnings() {
        assert_no_personal_data(&w.to_string());
    }
}

/// Runs the command line; returns what it printed on stdout and stderr.
#[cfg(feature = "cli")]
fn cli(args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = crate::support::aftercare()
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command line runs");
    let input = stdin.unwrap_or("").to_string();
    let mut pipe = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("output");
    writer.join().expect("writer").ok();
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aftercare-personal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

#[cfg(feature = "cli")]
#[test]
fn the_command_line_prints_no_personal_data() {
    let dir = temp_dir();
    let tickets = all_tickets();
    let jsonl = dir.join("tickets.jsonl");
    std::fs::write(&jsonl, tickets.join("\n")).expect("write");
    let parsable: Vec<&str> = tickets
        .iter()
        .filter(|t| serde_json::from_str::<serde_json::Value>(t).is_ok())
        .map(String::as_str)
        .collect();
    let array = dir.join("tickets.json");
    std::fs::write(&array, format!("[{}]", parsable.join(","))).expect("write");
    let not_array = dir.join("not-an-array.json");
    std::fs::write(&not_array, format!("\"{}\"", personal(7).join(" "))).expect("write");
    let not_array = not_array.to_string_lossy().to_string();
    let bad_policy = dir.join("bad.toml");
    std::fs::write(
        &bad_policy,
        "[policy]\nname = \"x\"\n[[routes]]\nid = \"r\"\nwhen = { \"customer.contact\" = \"x\" }\n",
    )
    .expect("write");
    let (jsonl, array, bad) = (
        jsonl.to_string_lossy().to_string(),
        array.to_string_lossy().to_string(),
        bad_policy.to_string_lossy().to_string(),
    );
    let policy = "policies/default.toml";

    let out = cli(&["eval", policy, &jsonl, "--now", NOW], None);
    assert!(out.lines().count() > TICKETS, "eval printed too little");
    assert_no_personal_data(&out);
    assert_no_personal_data(&cli(&["eval", policy, &array, "--now", NOW], None));
    assert_no_personal_data(&cli(
        &["eval", policy, "-", "--now", NOW],
        Some(&tickets.join("\n")),
    ));
    assert_no_personal_data(&cli(
        &["eval", policy, &jsonl, "--now", NOW, "--no-trace"],
        None,
    ));
    assert_no_personal_data(&cli(&["eval", &bad, &jsonl], None));
    assert_no_personal_data(&cli(&["eval", policy, &not_array], None));
    assert_no_personal_data(&cli(&["check", policy], None));
    assert_no_personal_data(&cli(&["check", &bad], None));

    // What-if diff, the service report in every format, and explain of single tickets.
    for format in ["text", "json"] {
        assert_no_personal_data(&cli(
            &[
                "diff", policy, policy, &jsonl, "--now", NOW, "--format", format,
            ],
            None,
        ));
    }
    for format in ["text", "json", "html"] {
        assert_no_personal_data(&cli(
            &["report", policy, &jsonl, "--now", NOW, "--format", format],
            None,
        ));
    }
    for (i, ticket) in tickets.iter().enumerate().step_by(25) {
        let one = dir.join(format!("ticket-{i}.json"));
        std::fs::write(&one, ticket).expect("write");
        let one = one.to_string_lossy().to_string();
        for format in ["text", "json"] {
            assert_no_personal_data(&cli(
                &["explain", policy, &one, "--now", NOW, "--format", format],
                None,
            ));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_scan_finds_what_it_looks_for() {
    let [name, contact, order, serial] = personal(42);
    for leak in [name, contact, order, serial, phone(42).to_string()] {
        let text = format!("{{\"error\": \"bad value {leak}\"}}");
        assert!(
            std::panic::catch_unwind(|| assert_no_personal_data(&text)).is_err(),
            "{leak}"
        );
    }
    assert_no_personal_data("elapsed 13900 seconds; id T139000000001");
}

#[test]
fn personal_fields_in_another_letter_case_are_personal() {
    let t = aftercare::Ticket::from_json(
        r#"{"id": "P1", "created_at": "2025-10-13T09:00:00+08:00",
            "customer": {"Name": "王小明", "CONTACT": "13800138000"},
            "product": {"Serial_No": "SN-1", "Order_NO": "O-1"}}"#,
    )
    .expect("read");
    assert!(t.customer.extra.is_empty(), "{:?}", t.customer.extra);
    assert!(t.product.extra.is_empty(), "{:?}", t.product.extra);
    assert_eq!(t.personal.name.as_deref(), Some("王小明"));
    assert_eq!(t.personal.contact.as_deref(), Some("13800138000"));
    assert_eq!(t.personal.serial_no.as_deref(), Some("SN-1"));
    assert_eq!(t.personal.order_no.as_deref(), Some("O-1"));
}
