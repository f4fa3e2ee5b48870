//! What the script examples share: load a policy folder, evaluate its samples, print.

use std::path::Path;

use aftercare::{Decision, Policy, Ticket, TraceEvent};
use chrono::{DateTime, Utc};

/// Loads `examples/policies/<name>/policy.toml`, evaluates the sample tickets beside it as of
/// Wednesday 2025-10-15 12:00 Beijing time, and prints each decision with what the script
/// changed.
pub fn run(name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(name);
    let policy = Policy::from_path(dir.join("policy.toml"))?;
    let now: DateTime<Utc> = "2025-10-15T12:00:00+08:00".parse()?;
    let tickets = std::fs::read_to_string(dir.join("tickets.jsonl"))?;
    for line in tickets.lines().filter(|l| !l.trim().is_empty()) {
        let ticket = Ticket::from_json(line)?;
        match policy.evaluate(&ticket, now) {
            Ok(d) => show(&d),
            Err(e) => println!("{e}"),
        }
    }
    Ok(())
}

fn show(d: &Decision) {
    let team = d
        .route
        .team
        .as_deref()
        .map(|t| format!(" / {t}"))
        .unwrap_or_default();
    let due = |c: &Option<aftercare::decision::Clock>| {
        c.as_ref()
            .and_then(|c| c.due)
            .map_or("-".to_string(), |t| t.to_string())
    };
    println!(
        "{:<6} {:<12} {:<7} {}{team}",
        d.ticket, d.category, d.priority, d.route.department
    );
    println!(
        "       first reply due {}, resolution due {}",
        due(&d.sla.first_response),
        due(&d.sla.resolution)
    );
    let by_script = |e: &&TraceEvent| {
        matches!(
            e,
            TraceEvent::Script { .. } | TraceEvent::ScriptFallback { .. }
        )
    };
    for event in d.trace.iter().filter(by_script) {
        println!("       {event}");
    }
}
