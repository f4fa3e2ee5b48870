//! # aftercare
//!
//! A ticket-policy engine for after-sales service. Service teams write the rules as TOML
//! policies; aftercare decides, for each ticket, its category, priority, department and team,
//! when the first response and the resolution are due in business time, when to alert the
//! owner and the supervisor, and when the satisfaction follow-up is due.
//!
//! The engine is pure: evaluation reads no clock (`now` is an argument), does no I/O and keeps
//! no global state. A loaded [`Policy`] is immutable, `Send + Sync` and cheap to clone.
//!
//! ```
//! use aftercare::{Policy, Ticket};
//!
//! let policy = Policy::from_toml(r#"
//!     [policy]
//!     name = "example"
//!     version = "1"
//!     calendar = "office"
//!
//!     [calendars.office]
//!     timezone = "Asia/Shanghai"
//!     week = { mon = ["09:00-12:00", "13:30-18:00"], tue = ["09:00-12:00", "13:30-18:00"],
//!              wed = ["09:00-12:00", "13:30-18:00"], thu = ["09:00-12:00", "13:30-18:00"],
//!              fri = ["09:00-12:00", "13:30-18:00"] }
//!
//!     [[categories]]
//!     id = "complaint"
//!     when = { any = [ { kind = "complaint" }, { text = { contains_any = ["投诉", "rude"] } } ] }
//!     [[categories]]
//!     id = "consultation"
//!     default = true
//!
//!     [priorities]
//!     order = ["urgent", "normal"]
//!     default = "normal"
//!     [[priority_rules]]
//!     id = "vip-complaint"
//!     priority = "urgent"
//!     when = { category = "complaint", "customer.tier" = "vip" }
//!
//!     [[routes]]
//!     id = "complaints"
//!     when = { category = "complaint" }
//!     department = "after_sales_tech"
//!     [[routes]]
//!     id = "desk"
//!     default = true
//!     department = "customer_center"
//!     [departments.after_sales_tech]
//!     supervisor = "tech_supervisor"
//!     [departments.customer_center]
//!
//!     [sla.targets.urgent]
//!     first_response = "2h"
//!     resolution = "24h"
//!     [sla.targets.normal]
//!     first_response = "24h"
//!     resolution = "3bd"
//! "#).expect("a valid policy");
//!
//! let ticket = Ticket::from_json(r#"{
//!     "id": "FB1", "created_at": "2025-10-09T11:00:00+08:00",
//!     "description": "我要投诉,空调还是不制冷", "customer": {"tier": "vip"}
//! }"#).expect("a valid ticket");
//!
//! let now = "2025-10-09T12:00:00+08:00".parse().unwrap();
//! let decision = policy.evaluate(&ticket, now).expect("a decision");
//! assert_eq!(&*decision.category, "complaint");
//! assert_eq!(&*decision.priority, "urgent");
//! assert_eq!(&*decision.route.department, "after_sales_tech");
//! // 11:00–12:00 counts one hour; lunch is closed; the second hour ends at 14:30.
//! let due = decision.sla.first_response.as_ref().and_then(|c| c.due).unwrap();
//! assert_eq!(due.to_string(), "2025-10-09T14:30:00+08:00");
//! ```
//!
//! Modules follow the data flow: policy source → check (validated model) → compile →
//! evaluate (category → priority → route → SLA clock → escalations → follow-up) →
//! [`Decision`] and the outputs built on it. Business-time arithmetic lives in
//! [`business_time`] and knows nothing of tickets. `src/README.md` maps the tree.

#![warn(missing_docs)]
// Library code never panics on any input: no unwrap/expect/panic, no unchecked indexing.
// Unit tests may; each exception in library code carries its justification beside it.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod business_time;
mod check;
mod compile;
mod evaluate;
mod limits;
mod output;
mod parallel;
mod policy;
#[cfg(feature = "schema")]
pub mod schema;
mod script;
#[cfg(feature = "serve")]
pub mod server;
mod source;
pub mod text;
mod ticket;

/// The types of `now` and of every instant the API takes, so that a caller needs no chrono of
/// its own: `let now: aftercare::DateTime<aftercare::Utc> = "2025-10-09T12:00:00+08:00".parse()?;`
pub use chrono::{DateTime, Utc};
pub use evaluate::EvalOptions;
/// The old name of [`EvalOptions`].
#[deprecated(since = "0.2.0", note = "renamed to `EvalOptions`")]
pub type Options = EvalOptions;
pub use limits::Limits;
pub use output::decision::{
    ClockTrace, Decision, ModelLabel, ModelLabels, PauseTrace, RuleOutcome, TraceEvent, TraceStage,
    Triage,
};
pub use output::{decision, diff, explain, i18n, report, testing};
#[cfg(feature = "watch")]
pub use policy::Watch;
pub use policy::{LoadOptions, Policy, PolicyHandle, PolicyRules, RuleRef, StepRef};
pub use source::{Diagnostic, PolicyError, Severity, LINT_CODES};
pub use ticket::{
    AttrValue, Customer, Event, EventKind, Personal, Product, Ticket, TicketError, TicketErrorKind,
};

// The examples of the README and of docs/ are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/policy-format.md")]
struct PolicyFormatDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/cli.md")]
struct CliDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/reports.md")]
struct ReportsDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
struct LibraryDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/scripts.md")]
struct ScriptsDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/performance.md")]
struct PerformanceDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/text-models.md")]
struct TextModelsDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/CONTRIBUTING.md")]
struct ContributingDoctests;
