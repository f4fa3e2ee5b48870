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

mod helpers;
mod imports;
mod view;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rhai::module_resolvers::DummyModuleResolver;
use rhai::{
    CallFnOptions, Dynamic, Engine, EvalAltResult, ImmutableString, LexError, Map, ParseErrorType,
    Position, Scope, AST,
};

use self::helpers::CalendarSet;
use self::imports::{FolderResolver, Problem};
use self::view::Expose;
use crate::business_time::{BusinessDuration, Calendar};
use crate::check::{Model, OnReopen, OnScriptError, ScriptLimits, ScriptsDef};
use crate::compile::{Compiled, RouteTarget, Target, Targets};
use crate::source::{FileId, Sink, Span};
use crate::ticket::{Ticket, TicketError};

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

type Trace = Option<Vec<String>>;

fn note(trace: &mut Trace, line: impl FnOnce() -> String) {
    if let Some(t) = trace.as_mut() {
        t.push(line());
    }
}

/// Byte offset of a Rhai position (1-based line and character column) in `text`.
fn offset_of(text: &str, pos: Position) -> usize {
    let Some(line) = pos.line() else {
        return 0;
    };
    let column = pos.position().unwrap_or(1).saturating_sub(1);
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let body = l.trim_end_matches(['\n', '\r']);
            return start
                + body
                    .char_indices()
                    .nth(column)
                    .map_or(body.len(), |(b, _)| b);
        }
        start += l.len();
    }
    text.len()
}

/// The span of the token at a Rhai position: an identifier, or one character.
fn span_at(file: FileId, text: &str, pos: Position) -> Span {
    let start = offset_of(text, pos);
    let rest = text.get(start..).unwrap_or("");
    let word = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    let len = if word > 0 {
        word
    } else {
        rest.chars().next().map_or(0, char::len_utf8)
    };
    Span {
        file,
        range: start..start + len,
    }
}

/// The span of the line that defines function `name` (the file's start if none does).
fn fn_span(file: FileId, text: &str, name: &str) -> Span {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if defines(line).is_some_and(|n| n == name) {
            let body = line.trim_end();
            let lead = body.len() - body.trim_start().len();
            return Span {
                file,
                range: start + lead..start + body.len(),
            };
        }
        start += line.len();
    }
    Span { file, range: 0..0 }
}

/// Where `fn name(` is written in `text` (the 0-based line), if it is.
fn fn_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| defines(l).is_some_and(|n| n == name))
}

/// The function a line defines, if it starts a definition.
fn defines(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("private").map_or(t, str::trim_start);
    let rest = t.strip_prefix("fn")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    rest[end..]
        .trim_start()
        .starts_with('(')
        .then(|| &rest[..end])
}

fn hint_for(e: &ParseErrorType, limits: &ScriptLimits) -> String {
    match e {
        ParseErrorType::BadInput(LexError::ImproperSymbol(word, _)) if word == "eval" => {
            "`eval` is not available to policy scripts; write the logic as functions".into()
        }
        ParseErrorType::MissingToken(token, _) => format!("add `{token}` here"),
        ParseErrorType::VariableUndefined(_) => {
            "declare variables with `let`; hooks read the ticket through their `ticket` parameter"
                .into()
        }
        ParseErrorType::ExprTooDeep => {
            format!(
                "expressions nest at most max_expr_depth = {} levels deep",
                limits.max_expr_depth
            )
        }
        _ => "see https://rhai.rs/book/ for the language".into(),
    }
}

/// Reports a syntax error. A missing token is reported right after the text it should follow
/// (Rhai reports it at the next token, often on the next line).
fn syntax_error(
    sink: &mut Sink,
    file: FileId,
    text: &str,
    kind: &ParseErrorType,
    pos: Position,
    limits: &ScriptLimits,
) {
    let mut span = span_at(file, text, pos);
    if matches!(kind, ParseErrorType::MissingToken(..)) {
        let before = text.get(..span.range.start).unwrap_or("");
        let end = before.trim_end().len();
        if end > 0 && end < span.range.start {
            span = Span {
                file,
                range: end..end,
            };
        }
    }
    sink.error(&span, format!("syntax error: {kind}"))
        .hint(hint_for(kind, limits));
}

impl Scripts {
    /// Whether a `targets` hook may set SLA targets (say, `next_response`) the policy lacks.
    pub(crate) fn sets_targets(&self) -> bool {
        self.hooks.targets
    }

    /// Compiles the script once for the life of the policy. Problems become diagnostics in
    /// the script's own file (syntax, imports) or at `[scripts] path`.
    pub(crate) fn compile(
        def: &ScriptsDef,
        model: &Model,
        calendars: &[(Arc<str>, Calendar)],
        sink: &mut Sink,
    ) -> Option<Scripts> {
        let path = def.base.join(&def.path.name);
        let source: Arc<str> = Arc::from(def.source.as_str());
        let file = sink.sources.add(path.display().to_string(), source.clone());

        let by_name =
            |name: Option<&str>| name.and_then(|n| calendars.iter().position(|(c, _)| &**c == n));
        let default = by_name(model.calendar.as_ref().map(|r| r.name.as_str()))
            .or_else(|| by_name(model.sla.calendar.as_ref().map(|r| r.name.as_str())))
            .or((calendars.len() == 1).then_some(0));
        let zone = default
            .and_then(|i| calendars.get(i))
            .map_or(chrono_tz::UTC, |(_, c)| c.timezone());
        let set = Arc::new(CalendarSet {
            calendars: calendars.to_vec(),
            default,
        });

        let mut engine = sandbox(&def.limits);
        helpers::register(&mut engine, set);
        let (resolver, problems) = FolderResolver::new(&def.base, &path);
        engine.set_module_resolver(resolver);
        let compiled = engine.compile_into_self_contained(&Scope::new(), &*source);
        // From here on nothing is resolved: the modules are embedded in the AST.
        engine.set_module_resolver(DummyModuleResolver::new());

        let problems = problems.take();
        let had_problems = !problems.is_empty();
        for p in problems {
            report_import(p, file, &source, &def.limits, sink);
        }
        let ast = match compiled {
            Ok(ast) => ast,
            Err(e) => {
                match *e {
                    EvalAltResult::ErrorParsing(ref kind, pos) => {
                        syntax_error(sink, file, &source, kind, pos, &def.limits);
                    }
                    _ if had_problems => {}
                    ref other => {
                        sink.error(
                            &def.path.span,
                            format!("script `{}` cannot be loaded: {other}", def.path.name),
                        );
                    }
                }
                return None;
            }
        };

        let mut hooks = Hooks::default();
        let mut ok = true;
        let mut others = Vec::new();
        for f in ast.iter_functions() {
            let n = f.params.len();
            match (f.name, n) {
                ("classify", 1 | 2) => {
                    hooks.classify = Some(hooks.classify.map_or(n, |m| m.max(n)))
                }
                ("prioritise", 2) => hooks.prioritise = true,
                ("route", 2) => hooks.route = true,
                ("targets", 2) => hooks.targets = true,
                (name, _) if HOOKS.contains(&name) => {
                    ok = false;
                    let expected = if name == "classify" {
                        "1 or 2 parameters"
                    } else {
                        "2 parameters"
                    };
                    sink.error(
                        &fn_span(file, &source, name),
                        format!("hook `{name}` takes {expected}, this definition has {n}"),
                    )
                    .hint(HOOK_SIGNATURES);
                }
                (name, _) => others.push(name.to_string()),
            }
        }
        // A near miss (`prioritize`, `rout`) is probably meant as a hook; a helper such as
        // `classify_text` is not.
        for name in others {
            let near = HOOKS.iter().find(|h| strsim::levenshtein(&name, h) <= 2);
            if let Some(hook) = near {
                sink.warning(
                    &fn_span(file, &source, &name),
                    format!("function `{name}` is not a hook and is never called by the policy"),
                )
                .hint(format!("did you mean `{hook}`?"));
            }
        }
        if !hooks.any() && ok {
            sink.warning(
                &def.path.span,
                format!("script `{}` defines no hook", def.path.name),
            )
            .hint(HOOK_SIGNATURES);
        }
        if !ok {
            return None;
        }

        Some(Scripts {
            engine,
            ast,
            name: Arc::from(def.path.name.as_str()),
            source,
            on_error: def.on_error,
            limits: def.limits,
            expose: Expose::from_list(&def.expose),
            templates: view::Templates::new(Expose::from_list(&def.expose)),
            decisions: [
                &["category"][..],
                &["category", "priority"],
                &["category", "department", "priority", "team"],
                &["category", "department", "priority", "targets", "team"],
            ]
            .iter()
            .map(|keys| keys.iter().map(|k| ((*k).into(), Dynamic::UNIT)).collect())
            .collect(),
            hooks,
            categories: model
                .categories
                .iter()
                .map(|c| Arc::from(c.id.name.as_str()))
                .collect(),
            names: Names {
                categories: model
                    .categories
                    .iter()
                    .map(|c| c.id.name.as_str().into())
                    .collect(),
                priorities: model
                    .priorities
                    .iter()
                    .map(|p| p.name.as_str().into())
                    .collect(),
                departments: model
                    .departments
                    .iter()
                    .map(|d| d.id.name.as_str().into())
                    .collect(),
            },
            zone,
            rule: Arc::from("script"),
        })
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

/// An engine with every limit set and nothing that reaches outside.
fn sandbox(limits: &ScriptLimits) -> Engine {
    let mut e = Engine::new();
    e.set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_modules(MAX_MODULES)
        // Undeclared variables are load errors, not surprises at run time.
        .set_strict_variables(true);
    fuse(&mut e, limits.max_time_ms);
    e.disable_symbol("eval");
    // Scripts have no output: printing could leak ticket data into logs.
    e.on_print(|_| {});
    e.on_debug(|_, _, _| {});
    e
}

thread_local! {
    /// The last `now` written for a ticket map on this thread: a batch evaluates every ticket
    /// at the same instant, so it is written once per thread rather than once per ticket.
    static NOW_TEXT: std::cell::RefCell<Option<(DateTime<Utc>, Tz, Dynamic)>> =
        const { std::cell::RefCell::new(None) };
}

/// `now` as an RFC 3339 Rhai string in `zone`.
fn now_text(now: DateTime<Utc>, zone: Tz) -> Dynamic {
    NOW_TEXT
        .try_with(|cell| {
            let mut last = cell.try_borrow_mut().ok()?;
            match &*last {
                Some((at, z, text)) if *at == now && *z == zone => Some(text.clone()),
                _ => {
                    let text = view::instant(&now.with_timezone(&zone));
                    *last = Some((now, zone, text.clone()));
                    Some(text)
                }
            }
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| view::instant(&now.with_timezone(&zone)))
}

/// The guards look at their state only every this many operations.
const FUSE_GRAIN: u64 = 8;
/// Operations before the fuse first looks at the clock: shorter hooks never read it.
const FUSE_FIRST: u64 = 16;
/// The most operations between two looks at the clock.
const FUSE_MAX_STRIDE: u64 = 4096;
/// How much stack a hook call may use. Calls and nested expressions each take native stack;
/// their limits keep a script well below this in a release build, and this stops what gets
/// past them before the thread's stack (2 MiB for a Rust thread by default) runs out.
const STACK_BUDGET: usize = 1 << 20;

/// Per-thread state of the guards for the hook call running on this thread. Each call counts
/// operations from 1 on its own thread, so operation 1 marks a new call.
#[derive(Clone, Copy)]
struct FuseState {
    start: Option<std::time::Instant>,
    last: Option<std::time::Instant>,
    stride: u64,
    /// Where the stack was at the call's first operation.
    stack_base: usize,
}

thread_local! {
    /// The operation count at which the fuse looks at the clock next.
    static FUSE_NEXT: std::cell::Cell<u64> = const { std::cell::Cell::new(FUSE_FIRST) };
    static FUSE: std::cell::Cell<FuseState> = const {
        std::cell::Cell::new(FuseState { start: None, last: None, stride: FUSE_FIRST, stack_base: 0 })
    };
}

/// The address of the current stack frame (stacks grow down on every supported target).
#[inline(always)]
fn stack_position() -> usize {
    let marker = 0u8;
    std::ptr::from_ref(std::hint::black_box(&marker)) as usize
}

/// What a guard reports to the engine when it stops a script.
const STOPPED_BY_STACK: &str = "stack";

/// Two guards behind the operation count, which is the limit that decides.
///
/// The stack guard stops a script whose calls and nested expressions use more than
/// [`STACK_BUDGET`] of native stack, instead of letting the thread overflow.
///
/// The wall-clock fuse stops work that operations undercount, such as a builtin scanning a
/// large array once per operation. It looks at the clock every `stride` operations and adapts
/// the stride so that looks stay about a millisecond apart: cheap for tight loops, prompt for
/// slow operations.
fn fuse(engine: &mut Engine, max_ms: u64) {
    use std::time::{Duration, Instant};
    let budget = Duration::from_millis(max_ms);
    engine.on_progress(move |ops| {
        if ops == 1 {
            FUSE_NEXT.with(|n| n.set(FUSE_FIRST));
            FUSE.with(|f| {
                f.set(FuseState {
                    start: None,
                    last: None,
                    stride: FUSE_FIRST,
                    stack_base: stack_position(),
                })
            });
            return None;
        }
        // Most operations return here, before touching the thread's state.
        if ops % FUSE_GRAIN != 0 {
            return None;
        }
        let mut state = FUSE.with(std::cell::Cell::get);
        if state.stack_base.saturating_sub(stack_position()) > STACK_BUDGET {
            return Some(Dynamic::from(STOPPED_BY_STACK));
        }
        if ops < FUSE_NEXT.with(std::cell::Cell::get) {
            return None;
        }
        let now = Instant::now();
        let start = *state.start.get_or_insert(now);
        if now.duration_since(start) > budget {
            return Some(Dynamic::from(
                rhai::INT::try_from(max_ms).unwrap_or(rhai::INT::MAX),
            ));
        }
        if let Some(last) = state.last {
            let since = now.duration_since(last);
            if since < Duration::from_micros(250) {
                state.stride = (state.stride * 2).min(FUSE_MAX_STRIDE);
            } else if since > Duration::from_millis(2) {
                state.stride = (state.stride / 2).max(1);
            }
        }
        state.last = Some(now);
        FUSE_NEXT.with(|n| n.set(ops + state.stride));
        FUSE.with(|f| f.set(state));
        None
    });
}

fn report_import(
    p: Problem,
    main: FileId,
    main_text: &Arc<str>,
    limits: &ScriptLimits,
    sink: &mut Sink,
) {
    match p {
        Problem::Syntax { name, text, error } => {
            let id = sink.sources.add(name, text.clone());
            syntax_error(sink, id, &text, error.err_type(), error.position(), limits);
        }
        Problem::Failed {
            name,
            text,
            message,
            position,
        } => {
            let id = sink.sources.add(name, text.clone());
            sink.error(
                &span_at(id, &text, position),
                format!("imported script fails: {message}"),
            )
            .hint("the top level of an imported script runs once, when the policy loads");
        }
        Problem::Unresolved {
            importer,
            path,
            message,
        } => {
            let (id, text) = match importer {
                Some((name, text)) => (sink.sources.add(name, text.clone()), text),
                None => (main, main_text.clone()),
            };
            let literal = format!("\"{path}\"");
            let start = text.find(&literal).unwrap_or(0);
            let len = if text.get(start..).is_some_and(|t| t.starts_with(&literal)) {
                literal.len()
            } else {
                0
            };
            sink.error(
                &Span {
                    file: id,
                    range: start..start + len,
                },
                format!("cannot import `{path}`: {message}"),
            )
            .hint("scripts may import other scripts inside the policy's folder, e.g. import \"text\" as text;");
        }
    }
}

/// Why a hook's result was not used.
struct Failure {
    message: String,
    /// Where: (module name if not the hook script, line).
    line: Option<(Option<String>, usize)>,
    /// The line is where the hook is defined, not where the value was made.
    only_hook: bool,
}

impl Failure {
    fn render(&self) -> String {
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
    scripts: &'a Scripts,
    inner: &'a Compiled,
    ticket: &'a Ticket,
    now: DateTime<Utc>,
    map: Option<Dynamic>,
    /// One scope for the hook calls: each call leaves it empty, and its storage is reused.
    scope: Scope<'static>,
}

fn text(s: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(s))
}

fn opt_text(s: Option<&str>) -> Dynamic {
    s.map_or(Dynamic::UNIT, text)
}

impl Session<'_> {
    /// The ticket map for one hook call. It is built once per evaluation and shared by the hook
    /// calls without copying; it is read-only, so a hook that assigns to it or calls a
    /// mutating method on it gets an error (`let t = ticket;` makes a private copy).
    fn ticket_arg(&mut self) -> Dynamic {
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
    fn decision<const N: usize>(&mut self, entries: [(&str, Dynamic); N]) -> Dynamic {
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

    fn call(&mut self, hook: &str, decision: Option<Dynamic>) -> Result<Dynamic, Failure> {
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
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
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

    fn category_name(&self, id: &str) -> Dynamic {
        Names::of(&self.scripts.names.categories, id)
    }

    /// A Rhai error in terms of the policy: which limit, which line.
    fn explain(&self, hook: &str, err: &EvalAltResult) -> Failure {
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
    fn bad_value(&self, hook: &str, message: String, literal: Option<&str>) -> Failure {
        let (line, exact) = self.scripts.line_of(hook, literal.unwrap_or(""));
        Failure {
            message,
            line: (line > 0).then_some((None, line)),
            only_hook: !exact,
        }
    }

    /// Fail the ticket, or keep the declarative result with a warning in the trace.
    fn fail<T>(
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
            OnScriptError::Fail => Err(TicketError::new(Some(&self.ticket.id), message)),
            OnScriptError::Fallback => {
                note(trace, || format!("warning: {message}; kept {kept}"));
                Ok(None)
            }
        }
    }

    /// Removes exposed personal values from a message meant for output.
    fn scrub(&self, mut message: String) -> String {
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

    /// Whether a string a hook returned for the decision carries an exposed personal value.
    fn leaks(&self, s: &str) -> bool {
        self.scripts.expose.any()
            && self
                .scripts
                .expose
                .values(self.ticket)
                .any(|v| s.contains(v))
    }

    fn id_of(
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

    fn unknown<'k>(
        &self,
        hook: &str,
        what: &str,
        value: &str,
        known: impl IntoIterator<Item = &'k str> + Clone,
    ) -> Failure {
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
                    format!("script classify: () keeps category {current}")
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
                    format!("script prioritise: () keeps priority {current}")
                });
                Ok(None)
            }
            Err(f) => self.fail("prioritise", f, format!("priority {current}"), trace),
        }
    }

    fn route_text(&self, t: &RouteTarget) -> String {
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
                    if before == after {
                        format!("script route: route {after} (unchanged)")
                    } else {
                        format!("script route: route {before} → {after}")
                    }
                });
                Ok(Some(t))
            }
            Ok(None) => {
                note(trace, || {
                    format!("script route: () keeps route {}", self.route_text(current))
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

    fn route_from(&self, v: Dynamic) -> Result<Option<RouteTarget>, Failure> {
        let inner = self.inner;
        let department = |name: &str| -> Result<usize, Failure> {
            inner
                .departments
                .iter()
                .position(|d| &*d.id == name)
                .ok_or_else(|| {
                    self.unknown(
                        "route",
                        "department",
                        name,
                        inner.departments.iter().map(|d| &*d.id),
                    )
                })
        };
        if v.is_unit() {
            return Ok(None);
        }
        if let Some(id) = v.read_lock::<ImmutableString>() {
            return Ok(Some(RouteTarget {
                department: department(&id)?,
                team: None,
                assignee: None,
                calendar: None,
            }));
        }
        let Some(map) = v.read_lock::<Map>() else {
            return Err(self.bad_value(
                "route",
                format!(
                    "returned {} where #{{department, team}}, a department id or () was expected",
                    v.type_name()
                ),
                None,
            ));
        };
        let mut target = RouteTarget {
            department: usize::MAX,
            team: None,
            assignee: None,
            calendar: None,
        };
        for (key, value) in map.iter() {
            let field = |what: &str| -> Result<Option<ImmutableString>, Failure> {
                if value.is_unit() {
                    return Ok(None);
                }
                match value.read_lock::<ImmutableString>() {
                    Some(s) if self.leaks(&s) => Err(self.bad_value(
                        "route",
                        format!("returned a {what} that holds personal data"),
                        None,
                    )),
                    Some(s) => Ok(Some(s.clone())),
                    None => Err(self.bad_value(
                        "route",
                        format!(
                            "returned {} for `{what}` where a string was expected",
                            value.type_name()
                        ),
                        None,
                    )),
                }
            };
            match key.as_str() {
                "department" => {
                    if let Some(d) = field("department")? {
                        target.department = department(&d)?;
                    }
                }
                "team" => target.team = field("team")?.map(|s| Arc::from(s.as_str())),
                "assignee" => target.assignee = field("assignee")?.map(|s| Arc::from(s.as_str())),
                "calendar" => {
                    if let Some(c) = field("calendar")? {
                        let i = inner.calendars.iter().position(|(n, _)| **n == *c.as_str()).ok_or_else(|| {
                            self.unknown("route", "calendar", &c, inner.calendars.iter().map(|(n, _)| &**n))
                        })?;
                        target.calendar = Some(i);
                    }
                }
                other => {
                    return Err(self.bad_value(
                        "route",
                        format!("returned unknown key `{other}` (keys: department, team, assignee, calendar)"),
                        None,
                    ))
                }
            }
        }
        if target.department == usize::MAX {
            return Err(self.bad_value(
                "route",
                "returned a route without `department`".into(),
                None,
            ));
        }
        Ok(Some(target))
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
                        "script targets: no change".to_string()
                    } else {
                        format!("script targets: {}", changes.join(", "))
                    }
                });
                Ok(Some(t))
            }
            Ok(None) => {
                note(trace, || "script targets: () keeps the targets".to_string());
                Ok(None)
            }
            Err(f) => self.fail("targets", f, "the policy's targets".into(), trace),
        }
    }

    fn targets_from(
        &self,
        v: Dynamic,
        current: Option<&Targets>,
    ) -> Result<Option<(Targets, Vec<String>)>, Failure> {
        if v.is_unit() {
            return Ok(None);
        }
        let Some(map) = v.read_lock::<Map>() else {
            return Err(self.bad_value(
                "targets",
                format!("returned {} where a map such as #{{first_response: \"1h\"}} or () was expected", v.type_name()),
                None,
            ));
        };
        let mut out = Targets {
            first_response: current.and_then(|c| c.first_response.clone()),
            resolution: current.and_then(|c| c.resolution.clone()),
            next_response: current.and_then(|c| c.next_response.clone()),
            on_reopen: current.map_or(OnReopen::default(), |c| c.on_reopen),
        };
        let mut changes = Vec::new();
        for (key, value) in map.iter() {
            let slot = match key.as_str() {
                "first_response" => &mut out.first_response,
                "resolution" => &mut out.resolution,
                "next_response" => &mut out.next_response,
                "on_reopen" => {
                    let r = match value.read_lock::<ImmutableString>().as_deref().map(|s| s.as_str()) {
                        Some("restart") => OnReopen::Restart,
                        Some("continue") => OnReopen::Continue,
                        _ => {
                            return Err(self.bad_value(
                                "targets",
                                format!("returned on_reopen = {value}; expected \"restart\" or \"continue\""),
                                None,
                            ))
                        }
                    };
                    if r != out.on_reopen {
                        changes.push(format!("on_reopen {}", if r == OnReopen::Restart { "restart" } else { "continue" }));
                    }
                    out.on_reopen = r;
                    continue;
                }
                other => {
                    return Err(self.bad_value(
                        "targets",
                        format!("returned unknown key `{other}` (keys: first_response, resolution, next_response, on_reopen)"),
                        None,
                    ))
                }
            };
            let before = slot
                .as_ref()
                .map_or("none".to_string(), |t| t.text.to_string());
            *slot = if value.is_unit() {
                None
            } else {
                Some(self.target_from(key, value)?)
            };
            let after = slot
                .as_ref()
                .map_or("none".to_string(), |t| t.text.to_string());
            if before != after {
                changes.push(format!("{key} {before} → {after}"));
            }
        }
        Ok(Some((out, changes)))
    }

    fn target_from(&self, key: &str, value: &Dynamic) -> Result<Target, Failure> {
        let Some(s) = value.read_lock::<ImmutableString>() else {
            return Err(self.bad_value(
                "targets",
                format!(
                    "returned {} for `{key}` where a duration such as \"4h\" was expected",
                    value.type_name()
                ),
                None,
            ));
        };
        let d: BusinessDuration = s.parse().map_err(|e: crate::business_time::TimeError| {
            self.bad_value("targets", format!("returned a bad `{key}`: {e}"), Some(&s))
        })?;
        let calendar = match &d.calendar {
            Some(name) => Some(
                self.inner
                    .calendars
                    .iter()
                    .position(|(n, _)| **n == **name)
                    .ok_or_else(|| {
                        self.unknown(
                            "targets",
                            "calendar",
                            name,
                            self.inner.calendars.iter().map(|(n, _)| &**n),
                        )
                    })?,
            ),
            None => None,
        };
        Ok(Target {
            amount: d.amount,
            calendar,
            text: Arc::from(s.as_str()),
        })
    }
}

/// A small map, filled by insertion (cheaper than collecting for a handful of entries).
fn map_of<const N: usize>(entries: [(&str, Dynamic); N]) -> Map {
    let mut m = Map::new();
    for (k, v) in entries {
        m.insert(k.into(), v);
    }
    m
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

fn changed(hook: &str, what: &str, before: &str, after: &str) -> String {
    if before == after {
        format!("script {hook}: {what} {after} (unchanged)")
    } else {
        format!("script {hook}: {what} {before} → {after}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_lines_and_characters() {
        let text = "fn a() {\n  让 x\n}\n";
        let p = Position::new(2, 5);
        assert_eq!(&text[offset_of(text, p)..], "x\n}\n");
        assert_eq!(offset_of(text, Position::new(9, 1)), text.len());
    }

    #[test]
    fn definitions_are_found() {
        assert_eq!(defines("fn classify(ticket) {"), Some("classify"));
        assert_eq!(defines("  private fn helper (x)"), Some("helper"));
        assert_eq!(defines("// fn nope"), None);
        assert_eq!(defines("let fnx = 1;"), None);
        assert_eq!(fn_line("\nfn route(t, d) {}\n", "route"), Some(1));
    }
}
