//! Rhai script hooks: `classify`, `prioritise`, `route`, `targets`.
//!
//! A policy names one script relative to itself (`[scripts] path = "scripts/hooks.rhai"`). The
//! script may define any of
//!
//! | hook | returns |
//! |---|---|
//! | `classify(ticket)` or `classify(ticket, decision)` | a category id, or `()` |
//! | `prioritise(ticket, decision)` | a priority id, or `()` |
//! | `route(ticket, decision)` | `#{department, team?, assignee?, calendar?}` or a department id, or `()` |
//! | `targets(ticket, decision)` | `#{first_response?, resolution?, next_response?, on_reopen?}`, or `()` |
//!
//! Each hook runs after the rules of its stage, so a script refines the declarative result;
//! `()` keeps it. `decision` holds what is decided so far: `category` and `priority` (the
//! rules' result for the hook's own stage included), plus `department` and `team` for `route`
//! and `targets`, and `targets` (the current targets as duration strings) for `targets`. A
//! `targets` map overrides only the metrics it names; `()` as a value removes that target.
//!
//! `ticket` is the ticket as a read-only map: `id`, `created_at`, `channel`, `kind`,
//! `subject`, `description`, `customer` (`id`, `tier`, `region` and custom fields), `product`
//! (`model` and custom fields), `attributes`, `events` (`at`, `type`, `status`, `score`) and
//! `now`, the evaluation instant — the script has no clock of its own. Instants are RFC 3339
//! strings. A field the ticket does not have is `()`. Personal fields are left out unless
//! `[scripts] expose` names them. The map is built once per evaluation (only when a hook
//! runs) and shared by the hook calls; assigning to it or calling a mutating method on it is
//! an error, and `let t = ticket;` makes a private copy.
//!
//! The sandbox: one [`Engine`] per policy, built and compiled once at load and shared by every
//! evaluation and thread; operations, call depth, expression depth, string, array and map
//! sizes are limited per hook call (`[scripts]` keys, safe defaults), with a stack guard and
//! a wall-clock fuse behind the operation count; no `eval`, no printing, no clock, no file
//! access; `import` reaches only scripts inside the policy's folder and is resolved when the
//! policy loads. A hook call needs about 1.2 MiB of stack at most: evaluate on threads with
//! Rust's default 2 MiB or more.

mod compile;
mod conversions;
mod helpers;
mod imports;
mod sandbox;
mod session;
mod view;

pub(crate) use session::Session;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Map, Scope, AST};

use self::compile::{defines, fn_line};
use self::conversions::text;
use self::view::Expose;
use crate::business_time::BusinessDuration;
use crate::check::{OnScriptError, ScriptLimits};
use crate::compile::Compiled;
use crate::output::trace::TraceEvent;
use crate::ticket::Ticket;

const HOOKS: [&str; 4] = ["classify", "prioritise", "route", "targets"];
const HOOK_SIGNATURES: &str =
    "hooks are `fn classify(ticket)`, `fn prioritise(ticket, decision)`, `fn route(ticket, decision)` and `fn targets(ticket, decision)`";
/// How many modules one hook call may import.
const MAX_MODULES: usize = 16;

/// Which hooks the script defines.
#[derive(Debug, Default, Clone, Copy)]
struct Hooks {
    /// `classify` and how many parameters it takes (1 or 2).
    classify: Option<usize>,
    prioritise: bool,
    route: bool,
    targets: bool,
}

impl Hooks {
    fn any(self) -> bool {
        self.classify.is_some() || self.prioritise || self.route || self.targets
    }
}

/// Category, priority and department ids as Rhai strings, in the policy's order.
struct Names {
    categories: Vec<ImmutableString>,
    priorities: Vec<ImmutableString>,
    departments: Vec<ImmutableString>,
}

impl Names {
    /// The id at `index` of `known` (the policy's order), or `id` made anew.
    fn at(known: &[ImmutableString], index: usize, id: &str) -> Dynamic {
        match known.get(index) {
            Some(k) if k.as_str() == id => Dynamic::from(k.clone()),
            _ => text(id),
        }
    }

    /// `id` as a Rhai string, shared when it is one of `known`.
    fn of(known: &[ImmutableString], id: &str) -> Dynamic {
        match known.iter().find(|k| k.as_str() == id) {
            Some(k) => Dynamic::from(k.clone()),
            None => text(id),
        }
    }
}

/// Compiled scripts of a policy.
pub(crate) struct Scripts {
    engine: Engine,
    ast: AST,
    /// The script path as the policy writes it, for messages.
    name: Arc<str>,
    /// The script text, to find the line a bad return value comes from.
    source: Arc<str>,
    on_error: OnScriptError,
    limits: ScriptLimits,
    expose: Expose,
    /// `expose` names a personal field: what the script returns must be written in the
    /// policy, and what it says (thrown values, error messages) is withheld.
    guarded: bool,
    /// Teams written in `[[routes]]`: what a guarded script may return as a team.
    teams: Vec<Arc<str>>,
    /// Assignees written in `[[routes]]` and department supervisors: what a guarded script
    /// may return as an assignee.
    assignees: Vec<Arc<str>>,
    /// Durations written in `[sla.targets]`, with their text: what a guarded script may
    /// return as a target.
    durations: Vec<(BusinessDuration, Arc<str>)>,
    hooks: Hooks,
    /// Every category id of the policy.
    categories: Vec<Arc<str>>,
    /// The policy's ids as Rhai strings, made once: the decision maps share them.
    names: Names,
    /// Empty ticket maps to fill.
    templates: view::Templates,
    /// Empty `decision` maps to fill, one per hook, keys in key order.
    decisions: Vec<Map>,
    /// The zone `ticket.now` is written in.
    zone: Tz,
    /// `script`, the rule name of a route a script chose.
    rule: Arc<str>,
}

type Trace = Option<Vec<TraceEvent>>;

fn note(trace: &mut Trace, event: impl FnOnce() -> TraceEvent) {
    if let Some(t) = trace.as_mut() {
        t.push(event());
    }
}

impl Scripts {
    /// Whether a `targets` hook may set SLA targets (say, `next_response`) the policy lacks.
    pub(crate) fn sets_targets(&self) -> bool {
        self.hooks.targets
    }

    /// Starts the hooks of one evaluation.
    pub(crate) fn session<'a>(
        &'a self,
        inner: &'a Compiled,
        ticket: &'a Ticket,
        now: DateTime<Utc>,
    ) -> Session<'a> {
        Session {
            scripts: self,
            inner,
            ticket,
            now,
            map: None,
            scope: Scope::new(),
        }
    }

    /// The line a bad return value most likely comes from: where the hook writes it as a
    /// literal, else where the hook is defined.
    fn line_of(&self, hook: &str, value: &str) -> (usize, bool) {
        let lines: Vec<&str> = self.source.lines().collect();
        let Some(start) = fn_line(&self.source, hook) else {
            return (0, false);
        };
        let end = lines
            .iter()
            .skip(start + 1)
            .position(|l| defines(l).is_some())
            .map_or(lines.len(), |i| start + 1 + i);
        let literal = format!("\"{value}\"");
        match lines
            .get(start..end)
            .and_then(|ls| ls.iter().position(|l| l.contains(&literal)))
        {
            Some(i) => (start + i + 1, true),
            None => (start + 1, false),
        }
    }
}

/// Rhai's message for an error, without the position it appends.
fn without_position(e: &EvalAltResult) -> String {
    let full = e.to_string();
    let suffix = format!(" ({})", e.position());
    match full.strip_suffix(&suffix) {
        Some(m) if !e.position().is_none() => m.to_string(),
        _ => full,
    }
}

/// What a hook did to one outcome: `category fault → complaint`, or `… (unchanged)`.
fn changed(hook: &'static str, what: &str, before: &str, after: &str) -> TraceEvent {
    let change = if before == after {
        format!("{what} {after} (unchanged)")
    } else {
        format!("{what} {before} → {after}")
    };
    TraceEvent::Script { hook, change }
}

/// A hook's trace event.
fn script_event(hook: &'static str, change: String) -> TraceEvent {
    TraceEvent::Script { hook, change }
}
