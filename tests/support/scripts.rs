//! Script tests: a small policy whose `[scripts]` table and script
//! files are written to a fresh folder for each test.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use aftercare::{Decision, Policy, PolicyError, Ticket, TicketError, TraceEvent};
use chrono::{DateTime, Utc};

/// The policy every script test starts from; `{scripts}` is replaced by extra `[scripts]` keys.
pub const POLICY: &str = r#"
[policy]
name = "script tests"
version = "1"
calendar = "office"

[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
         thu = ["09:00-18:00"], fri = ["09:00-18:00"] }

[calendars.always]
timezone = "UTC"
always_open = true

[[categories]]
id = "complaint"
when = { kind = "complaint" }
[[categories]]
id = "fault"
when = { kind = "fault" }
[[categories]]
id = "suggestion"
when = { kind = "suggestion" }
[[categories]]
id = "consultation"
default = true

[priorities]
order = ["urgent", "high", "medium", "low"]
default = "medium"

[[priority_rules]]
id = "complaints-high"
priority = "high"
when = { category = "complaint" }

[[routes]]
id = "tech"
when = { category = ["complaint", "fault"] }
department = "after_sales_tech"
[[routes]]
id = "desk"
default = true
department = "customer_center"

[departments.after_sales_tech]
supervisor = "tech_supervisor"
[departments.customer_center]
[departments.product_dept]

[sla.targets.urgent]
first_response = "1h"
resolution = "8h"
[sla.targets.high]
first_response = "2h"
resolution = "24h"
[sla.targets.medium]
first_response = "4h"
resolution = "48h"
[sla.targets.low]
first_response = "24h"
resolution = "5bd"

[scripts]
path = "scripts/hooks.rhai"
{scripts}
"#;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty folder under the system temp folder.
pub fn folder() -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("aftercare-scripts-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    dir
}

/// Loads [`POLICY`] with `scripts` as extra `[scripts]` keys and `files` (path, text) written
/// relative to the policy's folder.
pub fn load_with(scripts: &str, files: &[(&str, &str)]) -> Result<Policy, PolicyError> {
    let dir = folder();
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let policy = POLICY.replace("{scripts}", scripts);
    let result = Policy::from_toml_in("policy.toml", &policy, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Loads [`POLICY`] with `script` as `scripts/hooks.rhai`.
pub fn load(script: &str) -> Policy {
    match load_with("", &[("scripts/hooks.rhai", script)]) {
        Ok(p) => p,
        Err(e) => panic!("the policy does not load:\n{e}"),
    }
}

/// [`load`] with extra `[scripts]` keys.
pub fn load_keys(keys: &str, script: &str) -> Policy {
    match load_with(keys, &[("scripts/hooks.rhai", script)]) {
        Ok(p) => p,
        Err(e) => panic!("the policy does not load:\n{e}"),
    }
}

pub fn now() -> DateTime<Utc> {
    "2025-10-15T12:00:00+08:00".parse().unwrap()
}

/// A ticket created on Wednesday 2025-10-15 at 10:00 Beijing time, with `extra` JSON fields.
pub fn ticket(extra: &str) -> Ticket {
    let sep = if extra.trim().is_empty() { "" } else { "," };
    Ticket::from_json(&format!(
        r#"{{"id": "T1", "created_at": "2025-10-15T10:00:00+08:00"{sep} {extra}}}"#
    ))
    .unwrap()
}

pub fn eval(policy: &Policy, extra: &str) -> Result<Decision, TicketError> {
    policy.evaluate(&ticket(extra), now())
}

pub fn decide(policy: &Policy, extra: &str) -> Decision {
    match eval(policy, extra) {
        Ok(d) => d,
        Err(e) => panic!("no decision: {e}"),
    }
}

/// The trace lines written by script hooks.
pub fn script_trace(d: &Decision) -> Vec<String> {
    d.trace
        .iter()
        .filter(|e| {
            matches!(
                e,
                TraceEvent::Script { .. } | TraceEvent::ScriptFallback { .. }
            )
        })
        .map(ToString::to_string)
        .collect()
}
