//! The endpoints. Each reads its input, calls the library, and writes the JSON the CLI
//! prints; work that can take long (batches, policy loads, test runs) leaves the async
//! threads for tokio's blocking pool so that the time limit can still answer.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::input::{self, Body, Shape};
use super::metrics::{Endpoint, ErrorKind, TicketKind};
use super::App;
use crate::testing::{CaseFile, Coverage, TestReport};
use crate::{Diagnostic, EvalOptions, Policy, PolicyError, Ticket, TicketError, TicketErrorKind};

/// Bodies up to this size are answered on the async thread that read them: a few tickets
/// take microseconds, less than a hand-over to the blocking pool.
const INLINE_MAX_BYTES: usize = 16 * 1024;

/// The fewest tickets worth a piece of their own on another core: a piece takes at least a
/// few hundred microseconds, against a few for the hand-over.
const PIECE_MIN: usize = 32;

/// An error answer: a status, and a JSON body with at least `error` and `kind`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    kind: ErrorKind,
    body: Value,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            body: json!({"error": message.into(), "kind": kind.name()}),
        }
    }

    pub(crate) fn bad_body(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorKind::BadBody, message)
    }

    /// 422 with the diagnostics of a policy that does not load.
    fn invalid_policy(e: &PolicyError, name: &str, text: &str) -> Self {
        let diagnostics: Vec<Value> = e
            .diagnostics()
            .iter()
            .map(|d| diagnostic(d, name, text))
            .collect();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: ErrorKind::InvalidPolicy,
            body: json!({
                "error": format!("the policy has {} error(s)", e.error_count()),
                "kind": ErrorKind::InvalidPolicy.name(),
                "diagnostics": diagnostics,
            }),
        }
    }

    fn internal(message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::Internal,
            message,
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(self.body)).into_response();
        // The guard counts it in `aftercare_errors_total`.
        r.extensions_mut().insert(self.kind);
        r
    }
}

type Answer = Result<Response, ApiError>;

fn json_response(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn json_value(value: &impl serde::Serialize) -> Answer {
    serde_json::to_vec(value)
        .map(|b| json_response(StatusCode::OK, b, "application/json"))
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// Says which instant decided: the one sent, or the server's clock.
fn with_now(mut r: Response, now: DateTime<Utc>, sent: bool) -> Response {
    let text = now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    if let Ok(v) = HeaderValue::from_str(&text) {
        r.headers_mut().insert("x-aftercare-now", v);
    }
    r.headers_mut().insert(
        "x-aftercare-now-source",
        HeaderValue::from_static(if sent { "request" } else { "server" }),
    );
    r
}

/// Runs `work` here for small bodies, on the blocking pool for large ones.
async fn run<T: Send + 'static>(
    size: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    if size <= INLINE_MAX_BYTES {
        Ok(work())
    } else {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ApiError::internal(format!("the work stopped: {e}")))
    }
}

// ---------------------------------------------------------------------------------------
// Tickets against the serving policy

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Evaluate,
    Triage,
    Explain,
}

#[derive(Deserialize)]
pub(crate) struct TicketQuery {
    now: Option<String>,
    trace: Option<bool>,
}

/// Appends the error entry of a ticket: `{"ticket", "error", "kind"}`.
fn write_error(e: &TicketError, out: &mut Vec<u8>) -> TicketKind {
    let kind = TicketKind(e.kind);
    let entry = json!({"ticket": e.ticket, "error": e.message, "kind": kind.name()});
    let _ = serde_json::to_writer(&mut *out, &entry);
    kind
}

/// The error entry of a ticket the library's JSON-lines writer refused, with its kind: the
/// error is found again (a rare path, so deciding twice costs nothing that matters).
fn write_evaluate_error(
    policy: &Policy,
    text: &str,
    line: &str,
    now: DateTime<Utc>,
    options: EvalOptions,
    out: &mut Vec<u8>,
) -> TicketKind {
    let again = Ticket::from_json_with_limits(text, policy.limits())
        .and_then(|t| policy.evaluate_with(&t, now, options));
    let e = match again {
        Err(e) => e,
        // Decided this time: the line itself failed to print.
        Ok(d) => {
            let parsed: Value = serde_json::from_str(line).unwrap_or(Value::Null);
            let message = parsed.get("error").and_then(Value::as_str).unwrap_or(line);
            let mut e = TicketError::unreadable(message);
            e.ticket = Some(d.ticket.to_string());
            e.kind = TicketErrorKind::Internal;
            e
        }
    };
    write_error(&e, out)
}

/// Decides one ticket text and appends its answer (or error entry) to `out`.
fn decide(
    op: Op,
    policy: &Policy,
    text: &str,
    now: DateTime<Utc>,
    options: EvalOptions,
    out: &mut Vec<u8>,
) -> Result<(), TicketKind> {
    if op == Op::Evaluate {
        let start = out.len();
        if policy.write_json_line(text, now, options, out) {
            return Ok(());
        }
        let line = out.split_off(start);
        let line = String::from_utf8_lossy(&line);
        return Err(write_evaluate_error(policy, text, &line, now, options, out));
    }
    let ticket = match Ticket::from_json_with_limits(text, policy.limits()) {
        Ok(t) => t,
        Err(e) => return Err(write_error(&e, out)),
    };
    let written = match op {
        Op::Triage => policy.triage(&ticket, now).map(|t| {
            #[derive(serde::Serialize)]
            struct Out<'a> {
                ticket: &'a str,
                #[serde(flatten)]
                triage: crate::Triage<'a>,
            }
            serde_json::to_writer(
                &mut *out,
                &Out {
                    ticket: &ticket.id,
                    triage: t,
                },
            )
        }),
        _ => policy
            .explain(&ticket, now)
            .map(|e| serde_json::to_writer(&mut *out, &e)),
    };
    match written {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            let mut error = TicketError::unreadable(e.to_string());
            error.ticket = Some(ticket.id.clone());
            error.kind = TicketErrorKind::Internal;
            Err(write_error(&error, out))
        }
        Err(e) => Err(write_error(&e, out)),
    }
}

/// The answers to a list of tickets, written as the caller asked for them.
struct Written {
    shape: Shape,
    /// The answers: one alone, an array's (from `[`), or JSON lines.
    out: Vec<u8>,
    /// Tickets answered.
    count: usize,
    /// The kinds of the tickets that could not be decided.
    errors: Vec<TicketKind>,
}

impl Written {
    fn new(shape: Shape, capacity: usize) -> Written {
        let mut written = Written::piece(shape, capacity);
        if shape == Shape::Array {
            written.out.push(b'[');
        }
        written
    }

    /// A piece of a longer list, to be appended to the first one (no `[`).
    fn piece(shape: Shape, capacity: usize) -> Written {
        Written {
            shape,
            out: Vec::with_capacity(capacity),
            count: 0,
            errors: Vec::new(),
        }
    }

    /// Decides `texts` in order, appending each answer (or error entry) to `out`.
    fn decide<'t>(
        &mut self,
        op: Op,
        policy: &Policy,
        texts: impl IntoIterator<Item = &'t str>,
        now: DateTime<Utc>,
        options: EvalOptions,
    ) {
        for text in texts {
            self.separate();
            if let Err(kind) = decide(op, policy, text, now, options, &mut self.out) {
                self.errors.push(kind);
            }
            if self.shape == Shape::Lines {
                self.out.push(b'\n');
            }
            self.count += 1;
        }
    }

    fn separate(&mut self) {
        if self.shape == Shape::Array && self.count > 0 {
            self.out.push(b',');
        }
    }

    /// Appends the answers of the next piece of the same list (written without a `[`).
    fn append(&mut self, next: Written) {
        if next.count > 0 {
            self.separate();
            self.out.extend_from_slice(&next.out);
            self.count += next.count;
            self.errors.extend(next.errors);
        }
    }

    fn finish(mut self, text: &str) -> Result<Written, ApiError> {
        match self.shape {
            Shape::Array => self.out.push(b']'),
            // Whether the body was JSON at all is found out only when its ticket failed:
            // parsing it twice on every request would cost more.
            Shape::One
                if self.errors.first() == Some(&TicketKind(TicketErrorKind::Json))
                    && serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() =>
            {
                return Err(input::unreadable_body(text));
            }
            _ => {}
        }
        Ok(self)
    }
}

/// Decides the tickets of a small body on this thread.
fn decide_here(
    op: Op,
    policy: &Policy,
    body: &Body,
    now: DateTime<Utc>,
    options: EvalOptions,
) -> Result<Written, ApiError> {
    let text = body.text()?;
    let (shape, texts) = input::tickets(text, body.lines)?;
    let mut written = Written::new(shape, 1024 * texts.len() + 2);
    written.decide(op, policy, texts, now, options);
    written.finish(text)
}

/// Decides the tickets of a large body on the blocking pool, so that the async threads keep
/// answering other requests. Each core is a permit of `App::cpu`: the body waits for one, and
/// a long batch is split across the cores that are idle right now (none when every core is
/// busy with other requests, which already keep them all working). The pool's threads are
/// reused: a thread started per batch cost more in the service's benchmark (stacks,
/// allocator arenas and per-thread caches made anew each time).
async fn decide_large(
    op: Op,
    app: &App,
    policy: Policy,
    body: Body,
    now: DateTime<Utc>,
    options: EvalOptions,
) -> Result<Written, ApiError> {
    let (cpu, cores) = (std::sync::Arc::clone(&app.inner().cpu), app.inner().cores);
    let permit = std::sync::Arc::clone(&cpu)
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let pool = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let text = body.text()?;
        let (shape, texts) = input::tickets(text, body.lines)?;
        let wanted = texts.len() / PIECE_MIN;
        let helpers: Vec<_> = (1..wanted.min(cores))
            .map_while(|_| std::sync::Arc::clone(&cpu).try_acquire_owned().ok())
            .collect();
        let size = texts.len().div_ceil(helpers.len() + 1).max(1);
        let mut pieces = texts.chunks(size);
        let mine = pieces.next().unwrap_or_default();
        let (done, results) = std::sync::mpsc::channel();
        for (k, (piece, permit)) in pieces.zip(helpers).enumerate() {
            // A copy of the helper's tickets, against milliseconds of deciding them.
            let piece: Vec<String> = piece.iter().map(|t| t.to_string()).collect();
            let (policy, done) = (policy.clone(), done.clone());
            pool.spawn_blocking(move || {
                let _permit = permit;
                let mut written = Written::piece(shape, 1024 * piece.len());
                written.decide(op, &policy, piece.iter().map(String::as_str), now, options);
                let _ = done.send((k, written));
            });
        }
        drop(done);
        let mut written = Written::new(shape, 1024 * texts.len() + 2);
        written.decide(op, &policy, mine.iter().copied(), now, options);
        let mut rest: Vec<(usize, Written)> = results.iter().collect();
        if rest.len() + 1 < texts.len().div_ceil(size) {
            return Err(ApiError::internal("a piece of the batch was not decided"));
        }
        rest.sort_by_key(|(k, _)| *k);
        for (_, piece) in rest {
            written.append(piece);
        }
        written.finish(text)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the work stopped: {e}")))?
}

fn endpoint(op: Op) -> Endpoint {
    match op {
        Op::Evaluate => Endpoint::Evaluate,
        Op::Triage => Endpoint::Triage,
        Op::Explain => Endpoint::Explain,
    }
}

async fn tickets(
    op: Op,
    app: App,
    query: Result<Query<TicketQuery>, QueryRejection>,
    body: Body,
) -> Answer {
    let Query(query) = query.map_err(|e| ApiError::bad_body(e.body_text()))?;
    let (now, sent) = input::now(query.now.as_deref())?;
    let options = EvalOptions {
        trace: query.trace.unwrap_or(true),
    };
    let policy = app.inner().handle.policy();
    let written = if body.bytes.len() <= INLINE_MAX_BYTES {
        decide_here(op, &policy, &body, now, options)?
    } else {
        decide_large(op, &app, policy, body, now, options).await?
    };
    let metrics = &app.inner().metrics;
    metrics.decided(endpoint(op), written.count - written.errors.len());
    let response = match written.shape {
        Shape::One => match written.errors.first() {
            // A bad single ticket is the caller's error: 400 with its error entry.
            Some(kind) => {
                let mut r = json_response(StatusCode::BAD_REQUEST, written.out, "application/json");
                r.extensions_mut().insert(*kind);
                r
            }
            None => json_response(StatusCode::OK, written.out, "application/json"),
        },
        Shape::Array | Shape::Lines => {
            for kind in &written.errors {
                metrics.ticket_error(*kind);
            }
            let content_type = if written.shape == Shape::Lines {
                "application/x-ndjson"
            } else {
                "application/json"
            };
            json_response(StatusCode::OK, written.out, content_type)
        }
    };
    Ok(with_now(response, now, sent))
}

pub(crate) async fn evaluate(
    State(app): State<App>,
    query: Result<Query<TicketQuery>, QueryRejection>,
    body: Body,
) -> Answer {
    tickets(Op::Evaluate, app, query, body).await
}

pub(crate) async fn triage(
    State(app): State<App>,
    query: Result<Query<TicketQuery>, QueryRejection>,
    body: Body,
) -> Answer {
    tickets(Op::Triage, app, query, body).await
}

pub(crate) async fn explain(
    State(app): State<App>,
    query: Result<Query<TicketQuery>, QueryRejection>,
    body: Body,
) -> Answer {
    tickets(Op::Explain, app, query, body).await
}

// ---------------------------------------------------------------------------------------
// Policies: the serving one, drafts, checks and saving

/// The serving policy's file name and folder: drafts are named and resolved like it.
fn draft_place(app: &App) -> (String, PathBuf) {
    let path = app.inner().handle.path();
    let name = path.file_name().map_or_else(
        || "policy.toml".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    (name, dir)
}

/// A diagnostic as the studio draws it: start and end line and column.
fn diagnostic(d: &Diagnostic, name: &str, text: &str) -> Value {
    // The span is a byte range in the file the diagnostic names; only in the draft itself
    // can it be turned into an end position here.
    let (end_line, end_column) = if d.file == name && d.span.end > d.span.start {
        position(text, d.span.end).unwrap_or((d.line, d.column))
    } else {
        (d.line, d.column)
    };
    json!({
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "end_line": end_line,
        "end_column": end_column,
        "severity": d.severity,
        "code": d.code,
        "message": d.message,
        "hint": d.hint,
        "text": d.text,
    })
}

/// The 1-based line and character column of byte `at` in `text`.
fn position(text: &str, at: usize) -> Option<(usize, usize)> {
    let before = text.get(..at)?;
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..)?.chars().count() + 1;
    Some((line, column))
}

/// Loads a draft policy's text the way the serving one is loaded (same name, same folder).
async fn load_draft(app: &App, text: String) -> Result<Policy, ApiError> {
    let (name, dir) = draft_place(app);
    run(usize::MAX, move || {
        if let Err(diagnostics) = confine(&name, &text, &dir) {
            return Err(ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                kind: ErrorKind::InvalidPolicy,
                body: json!({
                    "error": "the policy names files outside its folder",
                    "kind": ErrorKind::InvalidPolicy.name(),
                    "diagnostics": diagnostics,
                }),
            });
        }
        Policy::from_toml_in(&name, &text, &dir)
            .map_err(|e| ApiError::invalid_policy(&e, &name, &text))
    })
    .await?
}

/// Checks that a draft names only files inside the serving policy's folder (`include`,
/// `[scripts] path`, `[models.*] path`): a draft comes over the network, and a file it could
/// name elsewhere would be read, and quoted in diagnostics. Script imports are confined by the
/// library itself. Returns a diagnostic per path that is not.
fn confine(name: &str, text: &str, dir: &Path) -> Result<(), Vec<Value>> {
    // A draft that is not TOML loads no file at all; the library reports why.
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Ok(());
    };
    let mut paths: Vec<&str> = Vec::new();
    match doc.get("include") {
        Some(toml::Value::String(s)) => paths.push(s),
        Some(toml::Value::Array(items)) => paths.extend(items.iter().filter_map(|v| v.as_str())),
        _ => {}
    }
    if let Some(p) = doc
        .get("scripts")
        .and_then(|s| s.get("path"))
        .and_then(toml::Value::as_str)
    {
        paths.push(p);
    }
    if let Some(models) = doc.get("models").and_then(toml::Value::as_table) {
        paths.extend(
            models
                .values()
                .filter_map(|m| m.get("path").and_then(toml::Value::as_str)),
        );
    }
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let outside: Vec<Value> = paths
        .into_iter()
        .filter(|p| !inside(&root, p))
        .map(|p| {
            let at = text
                .find(&format!("\"{p}\""))
                .or_else(|| text.find(p))
                .unwrap_or(0);
            let (line, column) = position(text, at).unwrap_or((1, 1));
            json!({
                "file": name,
                "line": line,
                "column": column,
                "end_line": line,
                "end_column": column + p.chars().count() + 2,
                "severity": "error",
                "code": "outside-folder",
                "message": format!("`{p}` lies outside the policy's folder"),
                "hint": "a policy edited here may name only files in its own folder, by relative paths",
                "text": "",
            })
        })
        .collect();
    if outside.is_empty() {
        Ok(())
    } else {
        Err(outside)
    }
}

/// Whether the relative path `p` stays inside `root`, lexically and, when it exists, once
/// symbolic links are followed.
fn inside(root: &Path, p: &str) -> bool {
    use std::path::Component;
    if p.contains('\\') {
        return false;
    }
    let rel = Path::new(p);
    let mut depth = 0usize;
    for c in rel.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return false,
        }
    }
    match root.join(rel).canonicalize() {
        Ok(real) => real.starts_with(root),
        Err(_) => true,
    }
}

pub(crate) async fn policy(State(app): State<App>) -> Answer {
    let policy = app.inner().handle.policy();
    let (name, _) = draft_place(&app);
    let source = app
        .inner()
        .source
        .read()
        .map(|s| s.clone())
        .unwrap_or_else(|_| "".into());
    let rules = policy.rules();
    let ids = |r: &[crate::RuleRef]| r.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let warnings: Vec<Value> = policy
        .warnings()
        .iter()
        .map(|d| diagnostic(d, &name, &source))
        .collect();
    json_value(&json!({
        "name": policy.name(),
        "version": policy.version(),
        "rules": {
            "category": ids(&rules.categories),
            "priority": ids(&rules.priorities),
            "route": ids(&rules.routes),
            "escalation": rules.escalations.iter().map(ToString::to_string).collect::<Vec<_>>(),
        },
        "warnings": warnings,
        "source": &*source,
        "path": name,
    }))
}

pub(crate) async fn check(State(app): State<App>, body: Body) -> Answer {
    let text = body.text()?.to_string();
    let (name, dir) = draft_place(&app);
    let answer = run(usize::MAX, move || {
        if let Err(diagnostics) = confine(&name, &text, &dir) {
            return json!({"ok": false, "diagnostics": diagnostics});
        }
        match Policy::from_toml_in(&name, &text, &dir) {
            Ok(p) => json!({
                "ok": true,
                "diagnostics": p.warnings().iter().map(|d| diagnostic(d, &name, &text)).collect::<Vec<_>>(),
            }),
            Err(e) => json!({
                "ok": false,
                "diagnostics": e.diagnostics().iter().map(|d| diagnostic(d, &name, &text)).collect::<Vec<_>>(),
            }),
        }
    })
    .await?;
    json_value(&answer)
}

pub(crate) async fn save_policy(State(app): State<App>, body: Body) -> Answer {
    if !app.inner().config.allow_write {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorKind::WriteForbidden,
            "saving is off: start the service with --allow-write to let it replace the policy file",
        ));
    }
    let text = body.text()?.to_string();
    let _one_at_a_time = app.inner().writing.lock().await;
    let checked = load_draft(&app, text.clone()).await?;
    let path = app.inner().handle.path().to_path_buf();
    let written = run(usize::MAX, move || {
        write_then_rename(&path, text.as_bytes())
    })
    .await?;
    if let Err(e) = written {
        tracing::error!(error = %e, "cannot write the policy file");
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::WriteFailed,
            format!("cannot write the policy file: {e}"),
        ));
    }
    let reloader = app.clone();
    let reloaded = run(usize::MAX, move || reloader.reload("api")).await?;
    if let Err(e) = reloaded {
        return Err(ApiError::internal(format!(
            "saved, but the saved file does not load: {e}"
        )));
    }
    let serving = app.inner().handle.policy();
    let _ = checked;
    json_value(&json!({
        "saved": true,
        "name": serving.name(),
        "version": serving.version(),
    }))
}

/// Replaces `path` atomically: a temporary file in the same folder, synced, then renamed
/// over it, so that readers (and the watcher) see the old file or the new one, never a mix.
fn write_then_rename(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "policy".into(), |n| n.to_string_lossy().into_owned());
    // Not `.toml`, so the watcher ignores it until the rename.
    let tmp = dir.join(format!(".{name}.{}.saving", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable once the folder is synced.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

// ---------------------------------------------------------------------------------------
// Cases, diffs and drafts

/// `{"passed", "failed", "results", "coverage"}` of a run of cases.
fn test_report(policy: &Policy, report: &TestReport) -> Value {
    let coverage = Coverage::of(policy, report);
    let results: Vec<Value> = report
        .results
        .iter()
        .map(|r| {
            let failures: Vec<Value> = r
                .mismatches
                .iter()
                .map(|m| {
                    json!({
                        "path": m.path,
                        "line": m.line,
                        "expected": m.expected,
                        "actual": m.actual,
                        "trace": m.trace,
                    })
                })
                .collect();
            let mut v = json!({
                "name": r.name,
                "line": r.line,
                "passed": r.passed(),
                "failures": failures,
            });
            if let (Err(e), Some(o)) = (&r.outcome, v.as_object_mut()) {
                o.insert("error".into(), Value::String(e.message.clone()));
            }
            v
        })
        .collect();
    let never_hit: Vec<Value> = coverage
        .never_hit()
        .map(|e| json!({"stage": e.stage, "rule": e.rule}))
        .collect();
    json!({
        "passed": report.passed(),
        "failed": report.failed(),
        "results": results,
        "coverage": {
            "hit": coverage.hit(),
            "total": coverage.entries.len(),
            "percent": coverage.percent(),
            "never_hit": never_hit,
            "rules": coverage.entries,
        },
    })
}

async fn run_cases(app: &App, policy: Policy, cases: String) -> Answer {
    let (_, dir) = draft_place(app);
    let (value, n) = run(usize::MAX, move || {
        let file = CaseFile::from_toml("cases.toml", &cases, Some(&dir)).map_err(|e| {
            let diagnostics: Vec<Value> = e
                .diagnostics()
                .iter()
                .map(|d| diagnostic(d, "cases.toml", &cases))
                .collect();
            ApiError {
                status: StatusCode::BAD_REQUEST,
                kind: ErrorKind::InvalidCases,
                body: json!({
                    "error": e.to_string(),
                    "kind": ErrorKind::InvalidCases.name(),
                    "diagnostics": diagnostics,
                }),
            }
        })?;
        let report = crate::testing::run(&policy, &file);
        Ok::<_, ApiError>((test_report(&policy, &report), report.results.len()))
    })
    .await??;
    app.inner().metrics.decided(Endpoint::Test, n);
    json_value(&value)
}

pub(crate) async fn test(State(app): State<App>, body: Body) -> Answer {
    let cases = body.text()?.to_string();
    let policy = app.inner().handle.policy();
    run_cases(&app, policy, cases).await
}

#[derive(Deserialize)]
struct DraftBody<'a> {
    policy: String,
    #[serde(borrow, default)]
    tickets: Option<&'a RawValue>,
    #[serde(borrow, default)]
    ticket: Option<&'a RawValue>,
    #[serde(default)]
    cases: Option<String>,
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    trace: Option<bool>,
}

fn draft_body(text: &str) -> Result<DraftBody<'_>, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::bad_body(format!("the body: {e}")))
}

pub(crate) async fn diff(State(app): State<App>, body: Body) -> Answer {
    let text = body.text()?;
    let draft = draft_body(text)?;
    let (now, sent) = input::now(draft.now.as_deref())?;
    let tickets = input::ticket_field(draft.tickets)?;
    let candidate = load_draft(&app, draft.policy).await?;
    let serving = app.inner().handle.policy();
    let n = tickets.len();
    let report = run(usize::MAX, move || {
        crate::diff::diff_json_lines(&serving, &candidate, &tickets, now)
    })
    .await?;
    app.inner().metrics.decided(Endpoint::Diff, n);
    Ok(with_now(json_value(&report)?, now, sent))
}

pub(crate) async fn draft_evaluate(State(app): State<App>, body: Body) -> Answer {
    let text = body.text()?;
    let draft = draft_body(text)?;
    let (now, sent) = input::now(draft.now.as_deref())?;
    let tickets = input::ticket_field(draft.tickets)?;
    let options = EvalOptions {
        trace: draft.trace.unwrap_or(true),
    };
    let policy = load_draft(&app, draft.policy).await?;
    let written = run(usize::MAX, move || {
        let mut written = Written::new(Shape::Array, 1024 * tickets.len() + 2);
        written.decide(
            Op::Evaluate,
            &policy,
            tickets.iter().map(String::as_str),
            now,
            options,
        );
        written.finish("")
    })
    .await??;
    let metrics = &app.inner().metrics;
    metrics.decided(Endpoint::Draft, written.count - written.errors.len());
    for kind in &written.errors {
        metrics.ticket_error(*kind);
    }
    let mut out = Vec::with_capacity(written.out.len() + 16);
    out.extend_from_slice(b"{\"decisions\":");
    out.extend_from_slice(&written.out);
    out.push(b'}');
    Ok(with_now(
        json_response(StatusCode::OK, out, "application/json"),
        now,
        sent,
    ))
}

pub(crate) async fn draft_explain(State(app): State<App>, body: Body) -> Answer {
    let text = body.text()?;
    let draft = draft_body(text)?;
    let (now, sent) = input::now(draft.now.as_deref())?;
    let ticket = draft
        .ticket
        .map(|t| t.get().to_string())
        .ok_or_else(|| ApiError::bad_body("the body has no `ticket`"))?;
    let policy = load_draft(&app, draft.policy).await?;
    let mut out = Vec::new();
    let result = decide(
        Op::Explain,
        &policy,
        &ticket,
        now,
        EvalOptions::default(),
        &mut out,
    );
    let response = match result {
        Ok(()) => {
            app.inner().metrics.decided(Endpoint::Draft, 1);
            json_response(StatusCode::OK, out, "application/json")
        }
        Err(kind) => {
            let mut r = json_response(StatusCode::BAD_REQUEST, out, "application/json");
            r.extensions_mut().insert(kind);
            r
        }
    };
    Ok(with_now(response, now, sent))
}

pub(crate) async fn draft_test(State(app): State<App>, body: Body) -> Answer {
    let text = body.text()?;
    let draft = draft_body(text)?;
    let cases = draft
        .cases
        .ok_or_else(|| ApiError::bad_body("the body has no `cases`"))?;
    let policy = load_draft(&app, draft.policy).await?;
    run_cases(&app, policy, cases).await
}

// ---------------------------------------------------------------------------------------
// Service endpoints

pub(crate) async fn samples(State(app): State<App>) -> Answer {
    let config = &app.inner().config;
    let read = |p: &Option<PathBuf>| -> Result<Value, ApiError> {
        match p {
            None => Ok(Value::Null),
            Some(p) => std::fs::read_to_string(p)
                .map(Value::String)
                .map_err(|e| ApiError::internal(format!("cannot read a samples file: {e}"))),
        }
    };
    json_value(&json!({
        "tickets": read(&config.samples)?,
        "cases": read(&config.cases)?,
    }))
}

pub(crate) async fn healthz() -> Response {
    axum::Json(json!({"ok": true})).into_response()
}

pub(crate) async fn readyz(State(app): State<App>) -> Response {
    let inner = app.inner();
    let policy = inner.handle.policy();
    let stopping = inner.shutting_down.load(Ordering::SeqCst);
    let reload = match inner.handle.last_error() {
        None => json!({"ok": true}),
        Some(e) => json!({
            "ok": false,
            "error": format!("the latest reload failed with {} error(s); the previous policy is still serving", e.error_count()),
            "diagnostics": e.diagnostics().iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        }),
    };
    let status = if stopping {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        status,
        axum::Json(json!({
            "ready": !stopping,
            "policy": {"name": policy.name(), "version": policy.version()},
            "reload": reload,
        })),
    )
        .into_response()
}

pub(crate) async fn metrics(State(app): State<App>) -> Response {
    let mut r = app.inner().metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

pub(crate) async fn openapi() -> Response {
    json_response(
        StatusCode::OK,
        super::OPENAPI.as_bytes().to_vec(),
        "application/json",
    )
}

pub(crate) async fn studio() -> Response {
    let mut r = super::STUDIO.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorKind::NotFound,
        "no such endpoint",
    )
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::NotFound,
        "this endpoint does not answer that method",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_name_only_files_in_the_folder() {
        let root = std::env::temp_dir().canonicalize().unwrap();
        assert!(inside(&root, "calendars/cn.toml"));
        assert!(inside(&root, "a/../b.toml"));
        assert!(!inside(&root, "../b.toml"));
        assert!(!inside(&root, "a/../../b.toml"));
        assert!(!inside(&root, "/etc/hostname"));
        let text = "include = [\"ok.toml\", \"/etc/hostname\"]\n[scripts]\npath = \"../x.rhai\"\n";
        let found = confine("p.toml", text, &root).unwrap_err();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0]["line"], 1);
        assert_eq!(found[1]["line"], 3);
        assert!(confine("p.toml", "include = [\"ok.toml\"]", &root).is_ok());
    }

    #[test]
    fn positions_count_characters() {
        assert_eq!(position("ab\n库存x", 6), Some((2, 2)));
        assert_eq!(position("abc", 0), Some((1, 1)));
        assert_eq!(position("abc", 9), None);
    }
}
