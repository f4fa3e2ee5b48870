//! Helpers shared by every test module: instants, loading policies and tickets, deciding, and
//! running the `aftercare` command.

#![allow(dead_code)] // each test module uses a different part

use std::path::Path;
use std::process::Command;

use aftercare::{Decision, Policy, Ticket};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub mod models;
pub mod scripts;

/// Ticket generation from a fixed seed, shared with the benchmarks.
#[path = "../../benches/support/tickets.rs"]
pub mod tickets;

/// The bundled default policy.
pub const DEFAULT_POLICY: &str = "policies/default.toml";
/// The default policy's sample tickets.
pub const SAMPLES: &str = "policies/samples/tickets.jsonl";

/// The end of a small test policy: one priority, one route, one department.
pub const ONE_PRIORITY_ONE_ROUTE: &str = r#"[priorities]
order = ["normal"]
default = "normal"

[[routes]]
id = "all"
default = true
department = "desk"

[departments.desk]
"#;

/// The smallest policy: `head` (its `[policy]` table, and any other table a test needs), one
/// default category `general`, then [`ONE_PRIORITY_ONE_ROUTE`].
pub fn minimal_policy(head: &str) -> String {
    format!("{head}\n[[categories]]\nid = \"general\"\ndefault = true\n\n{ONE_PRIORITY_ONE_ROUTE}")
}

/// The crate's folder: tests read fixtures relative to it.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An RFC 3339 instant.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("an RFC 3339 instant")
        .with_timezone(&Utc)
}

/// The usual evaluation instant: Wednesday 2025-10-15, noon in Beijing.
pub fn now() -> DateTime<Utc> {
    at("2025-10-15T12:00:00+08:00")
}

/// Loads a policy file (relative to the crate's folder); panics with the diagnostics.
pub fn policy(path: &str) -> Policy {
    Policy::from_path(root().join(path)).unwrap_or_else(|e| panic!("{path} does not load:\n{e}"))
}

/// Loads a policy from TOML text; panics with the diagnostics.
pub fn policy_text(text: &str) -> Policy {
    Policy::from_toml(text).unwrap_or_else(|e| panic!("the policy does not load:\n{e}"))
}

/// A ticket from JSON text.
pub fn ticket(json: &str) -> Ticket {
    Ticket::from_json(json).unwrap_or_else(|e| panic!("not a valid ticket: {e}\n{json}"))
}

/// A ticket `T1` created at `created_at`, plus `fields`.
pub fn ticket_with(created_at: &str, fields: Value) -> Ticket {
    let mut t = json!({ "id": "T1", "created_at": created_at });
    if let (Some(t), Value::Object(extra)) = (t.as_object_mut(), fields) {
        t.extend(extra);
    }
    ticket(&t.to_string())
}

/// What `policy` decides for `ticket` as of `now`; panics on an error.
pub fn decide(policy: &Policy, ticket: &Ticket, now: DateTime<Utc>) -> Decision {
    policy
        .evaluate(ticket, now)
        .unwrap_or_else(|e| panic!("no decision: {e}"))
}

/// The `aftercare` command, run in the crate's folder.
pub fn aftercare() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aftercare"));
    c.current_dir(root());
    c
}
