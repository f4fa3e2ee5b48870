//! The hooks of one evaluation: calls into the compiled script, failures turned into the
//! policy's `on_error` choice, and the trace lines that say what a hook changed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rhai::{CallFnOptions, Dynamic, EvalAltResult, ImmutableString, Scope};

use super::compile::fn_line;
use super::conversions::{map_of, now_text, opt_text, text};
use super::sandbox::{self, STACK_BUDGET, STOPPED_BY_OPERATIONS, STOPPED_BY_STACK};
use super::view;
use super::{changed, note, script_event, without_position, Names, Scripts, Trace, MAX_MODULES};
use crate::check::OnScriptError;
use crate::compile::{Compiled, RouteTarget, Target, Targets};
use crate::output::trace::TraceEvent;
use crate::ticket::{Ticket, TicketError, TicketErrorKind};

/// Said instead of a value or message that may carry personal data.
pub(super) const WITHHELD: &str = "withheld: the script sees personal fields";

/// The kind of a run-time error, for a script whose messages are withheld.
fn kind_of(e: &EvalAltResult) -> &'static str {
    use EvalAltResult as E;
    match e {
        E::ErrorRuntime(..) => "threw a value",
        E::ErrorArithmetic(..) => "an arithmetic error, such as text that is not a number",
        E::ErrorFunctionNotFound(..) => "called a function that does not exist for its arguments",
        E::ErrorMismatchDataType(..) | E::ErrorMismatchOutputType(..) => {
            "a value of the wrong type"
        }
        E::ErrorArrayBounds(..) | E::ErrorStringBounds(..) | E::ErrorBitFieldBounds(..) => {
            "an index out of bounds"
        }
        E::ErrorIndexingType(..)
        | E::ErrorIndexNotFound(..)
        | E::ErrorPropertyNotFound(..)
        | E::ErrorDotExpr(..) => "a missing property or index",
        E::ErrorAssignmentToConstant(..) | E::ErrorNonPureMethodCallOnConstant(..) => {
            "changed a constant (the ticket is read-only)"
        }
        E::ErrorVariableNotFound(..) => "an undefined variable",
        E::ErrorFor(..) => "a `for` over a value that cannot be iterated",
        _ => "a run-time error",
    }
}

/// Why a hook's result was not used.
pub(super) struct Failure {
    pub(super) message: String,
    /// Where: (module name if not the hook script, line).
    pub(super) line: Option<(Option<String>, usize)>,
    /// The line is where the hook is defined, not where the value was made.
    pub(super) only_hook: bool,
}

impl Failure {
    pub(super) fn render(&self) -> String {
        match &self.line {
            Some((Some(module), line)) => format!("{} ({module}, line {line})", self.message),
            Some((None, line)) if self.only_hook => {
                format!("{} (hook at line {line})", self.message)
            }
            Some((None, line)) => format!("{} (line {line})", self.message),
            None => self.message.clone(),
        }
    }
}

/// The hooks of one evaluation. The ticket map is built on the first hook call and shared by
/// the others.
pub(crate) struct Session<'a> {
    pub(super) scripts: &'a Scripts,
    pub(super) inner: &'a Compiled,
    pub(super) ticket: &'a Ticket,
    pub(super) now: DateTime<Utc>,
    pub(super) map: Option<Dynamic>,
    /// One scope for the hook calls: each call leaves it empty, and its storage is reused.
    pub(super) scope: Scope<'static>,
}

impl Session<'_> {
    /// The ticket map for one hook call. It is built once per evaluation and shared by the hook
    /// calls without copying; it is read-only, so a hook that assigns to it or calls a
    /// mutating method on it gets an error (`let t = ticket;` makes a private copy).
    pub(super) fn ticket_arg(&mut self) -> Dynamic {
        let s = self.scripts;
        let (ticket, now) = (self.ticket, self.now);
        self.map
            .get_or_insert_with(|| {
                Dynamic::from_map(view::ticket_map(
                    ticket,
                    now_text(now, s.zone),
                    &s.templates,
                ))
                .into_read_only()
                .into_shared()
            })
            .clone()
    }

    /// The `decision` argument: a small map of its own for each hook call (sharing one map
    /// between the calls would cost a lock on every read). `entries` are in key order; the
    /// map is a clone of an empty one with these keys, filled in order.
    pub(super) fn decision<const N: usize>(&mut self, entries: [(&str, Dynamic); N]) -> Dynamic {
        let template =
            self.scripts.decisions.iter().find(|t| {
                t.len() == N && t.keys().zip(&entries).all(|(k, (e, _))| k.as_str() == *e)
            });
        match template {
            Some(t) => {
                let mut m = t.clone();
                for (slot, (_, value)) in m.values_mut().zip(entries) {
                    *slot = value;
                }
                Dynamic::from_map(m)
            }
            None => Dynamic::from_map(map_of(entries)),
        }
    }

    pub(super) fn call(
        &mut self,
        hook: &str,
        decision: Option<Dynamic>,
    ) -> Result<Dynamic, Failure> {
        let ticket = self.ticket_arg();
        let s = self.scripts;
        let scope = &mut self.scope;
        let run = || {
            let options = CallFnOptions::new().rewind_scope(true);
            match decision {
                Some(d) => s.engine.call_fn_with_options::<Dynamic>(
                    options,
                    scope,
                    &s.ast,
                    hook,
                    (ticket, d),
                ),
                None => s.engine.call_fn_with_options::<Dynamic>(
                    options,
                    scope,
                    &s.ast,
                    hook,
                    (ticket,),
                ),
            }
        };
        // The engine is not expected to panic; if it does, the ticket gets an error and the
        // process (and the rest of a batch) goes on.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
        sandbox::disarm();
        match outcome {
            Ok(result) => result.map_err(|e| self.explain(hook, &e)),
            Err(_) => {
                // A panic may have left the shared map locked and the scope half-filled.
                self.map = None;
                self.scope = Scope::new();
                Err(Failure {
                    message: "failed: the script engine stopped unexpectedly".into(),
                    line: None,
                    only_hook: false,
                })
            }
        }
    }

    pub(super) fn category_name(&self, id: &str) -> Dynamic {
        Names::of(&self.scripts.names.categories, id)
    }

    /// A Rhai error in terms of the policy: which limit, which line.
    pub(super) fn explain(&self, hook: &str, err: &EvalAltResult) -> Failure {
        let limits = &self.scripts.limits;
        let mut module = None;
        let mut e = err;
        loop {
            match e {
                EvalAltResult::ErrorInFunctionCall(_, src, inner, _) => {
                    if !src.is_empty() {
                        module = Some(src.clone());
                    }
                    e = inner;
                }
                EvalAltResult::ErrorInModule(name, inner, _) => {
                    module = Some(name.clone());
                    e = inner;
                }
                _ => break,
            }
        }
        let message = match e {
            EvalAltResult::ErrorTerminated(token, _)
                if token
                    .read_lock::<ImmutableString>()
                    .as_deref()
                    .map(|t| t.as_str())
                    == Some(STOPPED_BY_OPERATIONS) =>
            {
                format!(
                    "stopped after max_operations = {} operations",
                    limits.max_operations
                )
            }
            EvalAltResult::ErrorTooManyOperations(_) => {
                format!(
                    "stopped after max_operations = {} operations",
                    limits.max_operations
                )
            }
            EvalAltResult::ErrorStackOverflow(_) => {
                format!(
                    "calls nested deeper than max_call_depth = {}",
                    limits.max_call_depth
                )
            }
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("string") => {
                format!(
                    "strings grew beyond max_string_size = {} bytes",
                    limits.max_string_size
                )
            }
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("array") => {
                format!(
                    "arrays grew beyond max_array_size = {} items",
                    limits.max_array_size
                )
            }
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("map") => {
                format!(
                    "maps grew beyond max_map_size = {} entries",
                    limits.max_map_size
                )
            }
            EvalAltResult::ErrorTooManyModules(_) => {
                format!("imported more than {MAX_MODULES} modules")
            }
            EvalAltResult::ErrorTerminated(token, _)
                if token
                    .read_lock::<ImmutableString>()
                    .as_deref()
                    .map(|t| t.as_str())
                    == Some(STOPPED_BY_STACK) =>
            {
                format!(
                    "nested calls and expressions too deeply (more than {} KiB of stack)",
                    STACK_BUDGET / 1024
                )
            }
            EvalAltResult::ErrorTerminated(..) => {
                format!("ran longer than max_time_ms = {} ms", limits.max_time_ms)
            }
            // A script that sees personal fields may have put them (or anything made from
            // them) into what it threw or into the engine's message: only the kind is said.
            other if self.scripts.guarded => {
                format!("{} ({WITHHELD})", kind_of(other))
            }
            EvalAltResult::ErrorRuntime(value, _) => format!("threw {value}"),
            other => without_position(other),
        };
        match e.position().line() {
            Some(line) => Failure {
                message: format!("failed: {message}"),
                line: Some((module, line)),
                only_hook: false,
            },
            // Rhai reports where a limit stopped a script only as the hook's call site, which
            // the policy does not have: name the hook's own line instead.
            None => {
                let line = fn_line(&self.scripts.source, hook).map_or(0, |l| l + 1);
                Failure {
                    message: format!("failed: {message}"),
                    line: (line > 0).then_some((None, line)),
                    only_hook: true,
                }
            }
        }
    }

    /// A returned value that is not usable.
    pub(super) fn bad_value(&self, hook: &str, message: String, literal: Option<&str>) -> Failure {
        // Where a value is written says something about the value: not when it may be personal.
        let literal = literal.filter(|_| !self.scripts.guarded);
        let (line, exact) = self.scripts.line_of(hook, literal.unwrap_or(""));
        Failure {
            message,
            line: (line > 0).then_some((None, line)),
            only_hook: !exact,
        }
    }

    /// Fail the ticket, or keep the declarative result with a warning in the trace.
    pub(super) fn fail<T>(
        &self,
        hook: &str,
        f: Failure,
        kept: String,
        trace: &mut Trace,
    ) -> Result<Option<T>, TicketError> {
        let message = self.scrub(format!(
            "script {}: {hook} {}",
            self.scripts.name,
            f.render()
        ));
        match self.scripts.on_error {
            OnScriptError::Fail => Err(TicketError::new(
                Some(&self.ticket.id),
                TicketErrorKind::Script,
                message,
            )),
            OnScriptError::Fallback => {
                note(trace, || TraceEvent::ScriptFallback { message, kept });
                Ok(None)
            }
        }
    }

    /// Removes exposed personal values from a message meant for output.
    pub(super) fn scrub(&self, mut message: String) -> String {
        if self.scripts.expose.any() {
            for v in self.scripts.expose.values(self.ticket) {
                message = message.replace(v, "<personal>");
            }
        }
        message
    }

    /// The route rule a script's route is reported under.
    pub(crate) fn rule(&self) -> Arc<str> {
        self.scripts.rule.clone()
    }

    /// `value` (a `team` or an `assignee`) as the decision will hold it. A script that sees
    /// personal fields may only return one the policy writes itself (`known`), so that
    /// nothing made from a personal field reaches the decision; any other script may return
    /// any string.
    pub(super) fn declared(
        &self,
        hook: &str,
        what: &str,
        value: &str,
        known: &[Arc<str>],
    ) -> Result<Arc<str>, Failure> {
        if !self.scripts.guarded {
            return Ok(Arc::from(value));
        }
        let a = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        match known.iter().find(|k| ***k == *value) {
            Some(k) => Ok(k.clone()),
            None if known.is_empty() => Err(self.bad_value(
                hook,
                format!(
                    "returned {a} {what} the policy does not write, and it writes none ({WITHHELD}; \
                     such a script may only return {a} {what} written in the policy)"
                ),
                None,
            )),
            None => {
                let list: Vec<&str> = known.iter().map(|k| &**k).collect();
                Err(self.bad_value(
                    hook,
                    format!(
                        "returned {a} {what} the policy does not write ({WITHHELD}; \
                         such a script may only return one of: {})",
                        list.join(", ")
                    ),
                    None,
                ))
            }
        }
    }

    /// A value a hook returned, for a message: withheld when the script sees personal fields.
    pub(super) fn shown<'v>(&self, value: &'v str) -> Option<&'v str> {
        (!self.scripts.guarded).then_some(value)
    }

    pub(super) fn id_of(
        &self,
        hook: &str,
        what: &str,
        v: &Dynamic,
    ) -> Result<Option<ImmutableString>, Failure> {
        if v.is_unit() {
            return Ok(None);
        }
        match v.read_lock::<ImmutableString>() {
            Some(s) => Ok(Some(s.clone())),
            None => Err(self.bad_value(
                hook,
                format!(
                    "returned {} where a {what} id (a string) or () was expected",
                    v.type_name()
                ),
                None,
            )),
        }
    }

    pub(super) fn unknown<'k>(
        &self,
        hook: &str,
        what: &str,
        value: &str,
        known: impl IntoIterator<Item = &'k str> + Clone,
    ) -> Failure {
        let Some(value) = self.shown(value) else {
            let list: Vec<&str> = known.into_iter().collect();
            return self.bad_value(
                hook,
                format!(
                    "returned an unknown {what} ({WITHHELD}) (known: {})",
                    list.join(", ")
                ),
                None,
            );
        };
        let mut message = format!("returned unknown {what} \"{value}\"");
        if let Some(s) = crate::source::reader::did_you_mean(value, known.clone()) {
            message.push_str(&format!(" (did you mean \"{s}\"?)"));
        } else {
            let list: Vec<&str> = known.into_iter().collect();
            message.push_str(&format!(" (known: {})", list.join(", ")));
        }
        self.bad_value(hook, message, Some(value))
    }

    /// `classify`: a category id or `()`.
    pub(crate) fn classify(
        &mut self,
        current: &Arc<str>,
        trace: &mut Trace,
    ) -> Result<Option<Arc<str>>, TicketError> {
        let Some(arity) = self.scripts.hooks.classify else {
            return Ok(None);
        };
        let decision = (arity == 2).then(|| {
            let category = self.category_name(current);
            self.decision([("category", category)])
        });
        let outcome = self.call("classify", decision).and_then(|v| {
            let Some(id) = self.id_of("classify", "category", &v)? else {
                return Ok(None);
            };
            match self
                .scripts
                .categories
                .iter()
                .find(|c| ***c == *id.as_str())
            {
                Some(c) => Ok(Some(c.clone())),
                None => Err(self.unknown(
                    "classify",
                    "category",
                    &id,
                    self.scripts.categories.iter().map(|c| &**c),
                )),
            }
        });
        match outcome {
            Ok(Some(c)) => {
                note(trace, || changed("classify", "category", current, &c));
                Ok(Some(c))
            }
            Ok(None) => {
                note(trace, || {
                    script_event("classify", format!("() keeps category {current}"))
                });
                Ok(None)
            }
            Err(f) => self.fail("classify", f, format!("category {current}"), trace),
        }
    }

    /// `prioritise`: a priority id or `()`.
    pub(crate) fn prioritise(
        &mut self,
        category: &str,
        priority: usize,
        trace: &mut Trace,
    ) -> Result<Option<usize>, TicketError> {
        if !self.scripts.hooks.prioritise {
            return Ok(None);
        }
        let names = &self.inner.priorities;
        let current = names.get(priority).map_or("?", |p| &**p);
        let entries = [
            ("category", self.category_name(category)),
            (
                "priority",
                Names::at(&self.scripts.names.priorities, priority, current),
            ),
        ];
        let decision = self.decision(entries);
        let outcome = self.call("prioritise", Some(decision)).and_then(|v| {
            let Some(id) = self.id_of("prioritise", "priority", &v)? else {
                return Ok(None);
            };
            match names.iter().position(|p| **p == *id.as_str()) {
                Some(i) => Ok(Some(i)),
                None => {
                    Err(self.unknown("prioritise", "priority", &id, names.iter().map(|p| &**p)))
                }
            }
        });
        match outcome {
            Ok(Some(i)) => {
                note(trace, || {
                    changed(
                        "prioritise",
                        "priority",
                        current,
                        names.get(i).map_or("?", |p| &**p),
                    )
                });
                Ok(Some(i))
            }
            Ok(None) => {
                note(trace, || {
                    script_event("prioritise", format!("() keeps priority {current}"))
                });
                Ok(None)
            }
            Err(f) => self.fail("prioritise", f, format!("priority {current}"), trace),
        }
    }

    pub(super) fn route_text(&self, t: &RouteTarget) -> String {
        let dept = self
            .inner
            .departments
            .get(t.department)
            .map_or("?", |d| &*d.id);
        match &t.team {
            Some(team) => format!("{dept} / {team}"),
            None => dept.to_string(),
        }
    }

    /// `route`: `#{department, team, assignee, calendar}`, a department id, or `()`.
    pub(crate) fn route(
        &mut self,
        category: &str,
        priority: &str,
        current: &RouteTarget,
        trace: &mut Trace,
    ) -> Result<Option<RouteTarget>, TicketError> {
        if !self.scripts.hooks.route {
            return Ok(None);
        }
        let dept = self
            .inner
            .departments
            .get(current.department)
            .map_or("?", |d| &*d.id);
        let entries = [
            ("category", self.category_name(category)),
            (
                "department",
                Names::at(&self.scripts.names.departments, current.department, dept),
            ),
            (
                "priority",
                Names::of(&self.scripts.names.priorities, priority),
            ),
            ("team", opt_text(current.team.as_deref())),
        ];
        let decision = self.decision(entries);
        let outcome = self
            .call("route", Some(decision))
            .and_then(|v| self.route_from(v));
        match outcome {
            Ok(Some(t)) => {
                note(trace, || {
                    let (before, after) = (self.route_text(current), self.route_text(&t));
                    changed("route", "route", &before, &after)
                });
                Ok(Some(t))
            }
            Ok(None) => {
                note(trace, || {
                    script_event(
                        "route",
                        format!("() keeps route {}", self.route_text(current)),
                    )
                });
                Ok(None)
            }
            Err(f) => self.fail(
                "route",
                f,
                format!("route {}", self.route_text(current)),
                trace,
            ),
        }
    }

    /// `targets`: overrides of the SLA targets, e.g. `#{first_response: "1h", resolution: "8h"}`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn targets(
        &mut self,
        category: &str,
        priority: &str,
        route: &RouteTarget,
        current: Option<&Targets>,
        trace: &mut Trace,
    ) -> Result<Option<Targets>, TicketError> {
        if !self.scripts.hooks.targets {
            return Ok(None);
        }
        let shown = |t: Option<&Target>| t.map_or(Dynamic::UNIT, |t| text(&t.text));
        let now_targets = map_of([
            (
                "first_response",
                shown(current.and_then(|c| c.first_response.as_ref())),
            ),
            (
                "resolution",
                shown(current.and_then(|c| c.resolution.as_ref())),
            ),
            (
                "next_response",
                shown(current.and_then(|c| c.next_response.as_ref())),
            ),
        ]);
        let dept = self
            .inner
            .departments
            .get(route.department)
            .map_or("?", |d| &*d.id);
        let entries = [
            ("category", self.category_name(category)),
            (
                "department",
                Names::at(&self.scripts.names.departments, route.department, dept),
            ),
            (
                "priority",
                Names::of(&self.scripts.names.priorities, priority),
            ),
            ("targets", Dynamic::from_map(now_targets)),
            ("team", opt_text(route.team.as_deref())),
        ];
        let decision = self.decision(entries);
        let outcome = self
            .call("targets", Some(decision))
            .and_then(|v| self.targets_from(v, current));
        match outcome {
            Ok(Some((t, changes))) => {
                note(trace, || {
                    if changes.is_empty() {
                        script_event("targets", "no change".to_string())
                    } else {
                        script_event("targets", changes.join(", "))
                    }
                });
                Ok(Some(t))
            }
            Ok(None) => {
                note(trace, || {
                    script_event("targets", "() keeps the targets".to_string())
                });
                Ok(None)
            }
            Err(f) => self.fail("targets", f, "the policy's targets".into(), trace),
        }
    }
}
