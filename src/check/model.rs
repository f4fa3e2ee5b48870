//! The validated policy model: what a policy says, with every reference checked, before it is
//! compiled for evaluation. Spans are kept for lints and explanations.

use crate::business_time::{BusinessDuration, CalendarSpec};
use crate::source::Span;

pub(crate) use super::condition::Condition;

/// A policy as read and checked.
#[derive(Debug, Default)]
pub(crate) struct Model {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) calendar: Option<Ref>,
    pub(crate) calendars: Vec<CalendarDef>,
    pub(crate) categories: Vec<CategoryDef>,
    pub(crate) priorities: Vec<Ref>,
    pub(crate) default_priority: Option<Ref>,
    pub(crate) priority_rules: Vec<PriorityRule>,
    pub(crate) routes: Vec<RouteDef>,
    pub(crate) departments: Vec<DepartmentDef>,
    pub(crate) sla: SlaDef,
    pub(crate) escalations: Vec<EscalationDef>,
    pub(crate) follow_up: Option<FollowUpDef>,
    pub(crate) scripts: Option<ScriptsDef>,
    /// `[policy] fields`: the custom ticket fields the policy's rules may read, when declared.
    pub(crate) fields: Option<Vec<Ref>>,
    /// `[policy] statuses`: the custom statuses its tickets use, when declared.
    pub(crate) statuses: Option<Vec<Ref>>,
    /// `[policy] locale`: one of [`LOCALES`], checked.
    pub(crate) locale: Option<String>,
    /// The `label`s of categories, priorities and departments, by id.
    pub(crate) labels: Labels,
    /// `[limits]`: ticket limits the policy sets, by name, checked against the ceilings.
    pub(crate) limits: Vec<(&'static str, usize)>,
    /// Where a `default` was written but was not a boolean (already reported).
    pub(crate) unreadable_default: UnreadableDefault,
    /// `[models.NAME]`: text models, loaded once, in policy order.
    pub(crate) models: Vec<ModelDef>,
    /// Models whose file did not load (already reported): conditions on them say nothing more.
    pub(crate) unloaded_models: Vec<String>,
}

/// `[models.NAME]`: a text model the policy's conditions may read.
#[derive(Debug, Clone)]
pub(crate) struct ModelDef {
    pub(crate) name: Ref,
    pub(crate) model: std::sync::Arc<crate::text::Model>,
}

/// Stages whose `default` key was written with a wrong type.
#[derive(Debug, Default)]
pub(crate) struct UnreadableDefault {
    pub(crate) categories: bool,
    pub(crate) routes: bool,
}

/// The languages reports and explanations can be written in (`[policy] locale`).
pub(crate) const LOCALES: &[&str] = &["en", "zh-CN"];

/// What people read instead of ids: `label`s by id, in policy order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Labels {
    pub(crate) categories: Vec<(String, String)>,
    pub(crate) priorities: Vec<(String, String)>,
    pub(crate) departments: Vec<(String, String)>,
}

/// A name written in the policy, with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    pub(crate) name: String,
    pub(crate) span: Span,
}

#[derive(Debug)]
pub(crate) struct CalendarDef {
    pub(crate) name: Ref,
    pub(crate) spec: CalendarSpec,
}

#[derive(Debug)]
pub(crate) struct CategoryDef {
    pub(crate) id: Ref,
    pub(crate) when: Option<Condition>,
    pub(crate) default: bool,
}

#[derive(Debug)]
pub(crate) struct PriorityRule {
    pub(crate) id: Ref,
    pub(crate) priority: Ref,
    pub(crate) when: Option<Condition>,
}

#[derive(Debug)]
pub(crate) struct RouteDef {
    pub(crate) id: Ref,
    pub(crate) when: Option<Condition>,
    pub(crate) default: bool,
    pub(crate) department: Ref,
    pub(crate) team: Option<String>,
    pub(crate) assignee: Option<String>,
    pub(crate) calendar: Option<Ref>,
}

#[derive(Debug)]
pub(crate) struct DepartmentDef {
    pub(crate) id: Ref,
    pub(crate) supervisor: Option<String>,
}

/// What happens to the resolution clock when a ticket is reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum OnReopen {
    /// A new cycle with the full target.
    #[default]
    Restart,
    /// The old cycle resumes with what was left of its budget.
    Continue,
}

/// How an agent's priority change moves the SLA targets (`[sla] on_priority_change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum OnPriorityChange {
    /// The new priority's targets count from the clock's start, as if the ticket always had
    /// that priority.
    #[default]
    FromCreation,
    /// The new priority's targets count from the change, on top of what was already used.
    FromChange,
}

#[derive(Debug, Default)]
pub(crate) struct SlaDef {
    pub(crate) calendar: Option<Ref>,
    pub(crate) pause_statuses: Vec<String>,
    /// Where each of `pause_statuses` is written.
    pub(crate) pause_status_spans: Vec<Span>,
    pub(crate) on_reopen: OnReopen,
    pub(crate) on_priority_change: OnPriorityChange,
    pub(crate) targets: Vec<TargetsDef>,
    pub(crate) span: Option<Span>,
}

#[derive(Debug)]
pub(crate) struct TargetsDef {
    pub(crate) priority: Ref,
    pub(crate) first_response: Option<DurationDef>,
    pub(crate) resolution: Option<DurationDef>,
    pub(crate) next_response: Option<DurationDef>,
    pub(crate) on_reopen: Option<OnReopen>,
}

#[derive(Debug, Clone)]
pub(crate) struct DurationDef {
    pub(crate) duration: BusinessDuration,
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// The SLA metrics a policy can set targets for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Metric {
    FirstResponse,
    Resolution,
    NextResponse,
    FollowUp,
}

impl Metric {
    pub(crate) const NAMES: [&'static str; 4] =
        ["first_response", "resolution", "next_response", "follow_up"];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Metric::FirstResponse => "first_response",
            Metric::Resolution => "resolution",
            Metric::NextResponse => "next_response",
            Metric::FollowUp => "follow_up",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "first_response" => Metric::FirstResponse,
            "resolution" => Metric::Resolution,
            "next_response" => Metric::NextResponse,
            "follow_up" => Metric::FollowUp,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub(crate) struct EscalationDef {
    pub(crate) metric: Metric,
    /// Share of the target in per mille (80% = 800) plus an optional offset after it.
    pub(crate) permille: u32,
    pub(crate) offset: Option<DurationDef>,
    pub(crate) at_text: String,
    pub(crate) notify: Vec<String>,
    pub(crate) when: Option<Condition>,
    pub(crate) span: Span,
    /// Where `at` was written, for lints about the order of steps.
    pub(crate) at_span: Span,
}

#[derive(Debug)]
pub(crate) struct FollowUpDef {
    pub(crate) within: DurationDef,
    pub(crate) unsatisfied_at_or_below: u8,
}

/// What a failing script hook does to the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum OnScriptError {
    #[default]
    Fail,
    Fallback,
}

#[derive(Debug)]
pub(crate) struct ScriptsDef {
    pub(crate) path: Ref,
    /// The folder the policy was loaded from: `path` is relative to it, and imports stay in it.
    pub(crate) base: std::path::PathBuf,
    pub(crate) source: String,
    pub(crate) on_error: OnScriptError,
    pub(crate) limits: ScriptLimits,
    pub(crate) expose: Vec<String>,
}

/// Sandbox limits for scripts; every one has a safe default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScriptLimits {
    pub(crate) max_operations: u64,
    pub(crate) max_call_depth: usize,
    pub(crate) max_expr_depth: usize,
    pub(crate) max_string_size: usize,
    pub(crate) max_array_size: usize,
    pub(crate) max_map_size: usize,
    /// A wall-clock fuse per hook call, for work that operations do not count (a builtin
    /// scanning a large array counts as one operation). Decisions never depend on it unless
    /// a script is pathological: 100 000 operations run in under a millisecond (release build).
    pub(crate) max_time_ms: u64,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            max_operations: 100_000,
            max_call_depth: 32,
            max_expr_depth: 64,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 1_000,
            max_time_ms: 40,
        }
    }
}
