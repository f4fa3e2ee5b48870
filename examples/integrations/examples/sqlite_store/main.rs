//! Embedding aftercare in a service: a ticket store on SQLite (see `store.rs`).
//!
//! This demo replays the bundled sample tickets as if they arrived live: each ticket is
//! stored when it is created, each event when it happens, and between them the wake-ups that
//! fell due are run, which is what a scheduler would do. It prints every escalation as it
//! fires (to the department holding the ticket then: agents transfer some samples), then the
//! overdue tickets and the pending wake-ups as of 2025-10-15 12:00 (Beijing).
//!
//! ```sh
//! cargo run -p aftercare-integrations --example sqlite_store              # a fresh database in the temp folder
//! cargo run -p aftercare-integrations --example sqlite_store -- my.sqlite # or in this file (kept between runs)
//! ```

mod store;

use std::error::Error;
use std::path::{Path, PathBuf};

use aftercare::report::Granularity;
use aftercare::Policy;
use chrono::{DateTime, Utc};
use serde_json::Value;

use store::{Notification, Store};

/// Something that happens to the store: a new ticket or a new event.
enum Happening {
    Created { json: String },
    Event { ticket: String, json: String },
}

fn instant(s: &str) -> Result<DateTime<Utc>, Box<dyn Error>> {
    Ok(DateTime::parse_from_rfc3339(s)?.with_timezone(&Utc))
}

/// Delivers notifications; here, prints them.
fn print_fired(fired: &[Notification]) {
    for n in fired {
        println!(
            "  {}  {:<12} {:<15} {:<8} -> {}",
            n.at,
            n.ticket,
            n.metric,
            n.step,
            n.notify.join(", ")
        );
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    // The bundled policy and samples, two folders up from this package.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let policy = Policy::from_path(root.join("policies/default.toml"))?;
    let db = match std::env::args().nth(1) {
        Some(path) => PathBuf::from(path),
        None => {
            let path = std::env::temp_dir().join("aftercare-sqlite-store-example.sqlite");
            // The default database is a scratch file: start afresh.
            let _ = std::fs::remove_file(&path);
            path
        }
    };
    let end = instant("2025-10-15T12:00:00+08:00")?;
    // Instants are shown in the SLA calendar's zone, like the decisions.
    let tz = policy.report_time_zone();
    let mut store = Store::open(&db, policy)?;

    let samples = std::fs::read_to_string(root.join("policies/samples/tickets.jsonl"))?;
    let mut timeline: Vec<(DateTime<Utc>, Happening)> = Vec::new();
    for line in samples.lines().filter(|l| !l.trim().is_empty()) {
        let mut ticket: Value = serde_json::from_str(line)?;
        let id = ticket["id"].as_str().unwrap_or_default().to_string();
        let created = instant(ticket["created_at"].as_str().unwrap_or_default())?;
        let events = match ticket.as_object_mut().and_then(|o| o.remove("events")) {
            Some(Value::Array(events)) => events,
            _ => Vec::new(),
        };
        timeline.push((
            created,
            Happening::Created {
                json: ticket.to_string(),
            },
        ));
        for event in events {
            let at = instant(event["at"].as_str().unwrap_or_default())?;
            timeline.push((
                at,
                Happening::Event {
                    ticket: id.clone(),
                    json: event.to_string(),
                },
            ));
        }
    }
    // A stable sort keeps a ticket's creation before its events at the same instant.
    timeline.sort_by_key(|(at, _)| *at);

    println!("Escalations as they fire:");
    let mut stored = 0;
    let mut events = 0;
    for (at, happening) in timeline.into_iter().filter(|(at, _)| *at <= end) {
        // First the timers that went off before this moment.
        print_fired(&store.run_wakeups(at)?);
        let fired = match happening {
            Happening::Created { json } => {
                stored += 1;
                store.add_ticket(&json, at)?.1
            }
            Happening::Event { ticket, json } => {
                events += 1;
                store.add_event(&ticket, &json, at)?.1
            }
        };
        print_fired(&fired);
    }
    print_fired(&store.run_wakeups(end)?);
    println!(
        "\n{stored} tickets and {events} events stored in {}",
        db.display()
    );

    println!("\nOverdue as of {}:", end.with_timezone(&tz));
    for o in store.overdue(end)? {
        println!(
            "  {:<12} {:<8} {:<18} {:<30} since {}",
            o.ticket,
            o.priority,
            o.department,
            o.metrics.join(", "),
            o.since.with_timezone(&tz)
        );
    }

    println!("\nNext wake-ups:");
    let far = instant("2100-01-01T00:00:00Z")?;
    for (ticket, at) in store.due_wakeups(far)?.iter().take(8) {
        println!("  {}  {ticket}", at.with_timezone(&tz));
    }

    // The notifications were printed as they fired; mark them delivered in the outbox.
    let unsent = store.unsent_notifications()?;
    for n in &unsent {
        store.mark_sent(&n.key, end)?;
    }
    println!("\n{} notifications delivered.", unsent.len());

    let report = store.report(end, Granularity::Month)?;
    let t = &report.totals.kpis;
    println!(
        "Report: {} tickets, first response compliance {:.1}%, resolution {:.1}%.",
        t.tickets,
        t.sla.first_response.compliance.unwrap_or(0.0) * 100.0,
        t.sla.resolution.compliance.unwrap_or(0.0) * 100.0
    );
    // Agents' `assigned`, `priority` and `category` events are stored like any other event.
    println!(
        "Transfers: {} on {} tickets; agents overrode {} routes, {} priorities, {} categories.",
        t.transfers.count,
        t.transfers.tickets,
        t.overrides.route,
        t.overrides.priority,
        t.overrides.category
    );
    Ok(())
}
