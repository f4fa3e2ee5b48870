//! The validated policy model: what a policy says, with every reference checked, before it is
//! compiled for evaluation. Spans are kept for lints and explanations.

use crate::business_time::{BusinessDuration, CalendarSpec};
use crate::diagnostics::Span;

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

#[derive(Debug, Default)]
pub(crate) struct SlaDef {
    pub(crate) calendar: Option<Ref>,
    pub(crate) pause_statuses: Vec<String>,
    pub(crate) on_reopen: OnReopen,
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

/// A `when` condition.
#[derive(Debug)]
pub(crate) enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Test(FieldTest),
}

#[derive(Debug)]
pub(crate) struct FieldTest {
    pub(crate) field: Field,
    pub(crate) test: Test,
    /// How the test reads in a trace, e.g. `customer.tier = "vip"`.
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// A field of the ticket, or the result of an earlier stage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Id,
    Channel,
    Kind,
    Subject,
    Description,
    /// Subject and description.
    Text,
    Customer(String),
    Product(String),
    Attribute(String),
    Category,
    Priority,
}

/// Fields that hold personal data: never readable by rules, never written to any output.
pub(crate) const PERSONAL_FIELDS: [&str; 4] = [
    "customer.name",
    "customer.contact",
    "product.order_no",
    "product.serial_no",
];

impl Field {
    pub(crate) fn parse(path: &str) -> Option<Field> {
        Some(match path {
            "id" => Field::Id,
            "channel" => Field::Channel,
            "kind" => Field::Kind,
            "subject" => Field::Subject,
            "description" => Field::Description,
            "text" => Field::Text,
            "category" => Field::Category,
            "priority" => Field::Priority,
            _ => {
                let (head, rest) = path.split_once('.')?;
                if rest.is_empty() {
                    return None;
                }
                match head {
                    "customer" => Field::Customer(rest.to_string()),
                    "product" => Field::Product(rest.to_string()),
                    "attributes" => Field::Attribute(rest.to_string()),
                    _ => return None,
                }
            }
        })
    }
}

/// What a field is tested for.
#[derive(Debug)]
pub(crate) enum Test {
    Eq(Scalar),
    In(Vec<Scalar>),
    Not(Box<Test>),
    Cmp(CmpOp, f64),
    /// Case-insensitive substring test: any of the needles (already lower-cased).
    ContainsAny(Vec<String>),
    Matches(Pattern),
    Exists(bool),
    /// Several operators in one table, all of which must hold.
    All(Vec<Test>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Str(s) => write!(f, "{s:?}"),
            Scalar::Num(n) => write!(f, "{n}"),
            Scalar::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A compiled `matches` pattern and its text.
///
/// Built with the regex crate's own engine (`regex-automata`) so that the literal prefilter can
/// be left out: extracting it from a case-insensitive word list costs several times the rest of
/// the compilation, while ticket texts are short enough for the lazy DFA alone.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    text: String,
    re: regex_automata::meta::Regex,
}

impl Pattern {
    /// Compiles `text` with the `regex` crate's syntax; the error is the reason, one line.
    pub(crate) fn new(text: &str) -> Result<Pattern, String> {
        use regex_automata::meta;
        let config = meta::Config::new()
            .auto_prefilter(false)
            .which_captures(regex_automata::nfa::thompson::WhichCaptures::None)
            .nfa_size_limit(Some(1 << 20));
        match meta::Regex::builder().configure(config).build(text) {
            Ok(re) => Ok(Pattern {
                text: text.to_string(),
                re,
            }),
            Err(e) => Err(match (e.syntax_error(), e.size_limit()) {
                // The last line reads `error: unclosed group`; diagnostics say "error:" already.
                (Some(s), _) => {
                    let s = s.to_string();
                    let last = s.lines().last().unwrap_or("syntax error").trim();
                    last.strip_prefix("error:")
                        .unwrap_or(last)
                        .trim()
                        .to_string()
                }
                (None, Some(limit)) => {
                    format!("the compiled pattern is larger than the limit of {limit} bytes")
                }
                (None, None) => e.to_string(),
            }),
        }
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern matches anywhere in `text`.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.re.is_match(text)
    }
}
