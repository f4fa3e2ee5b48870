//! Policy test cases (contract §5): tickets with a fixed `now` and the parts of the decision
//! they must produce, a runner that compares them field by field, and rule coverage.
//!
//! A cases file is TOML:
//!
//! ```toml
//! policy = "../default.toml"            # optional; relative to this file
//!
//! [[case]]
//! name = "safety hazard is urgent"
//! now = "2025-10-09T17:00:00+08:00"
//! ticket = { id = "T1", created_at = "2025-10-09T16:30:00+08:00",
//!            description = "热水器漏电", attributes = { safety_hazard = true } }
//! [case.expect]                          # paths into the decision JSON; only these are compared
//! priority = "urgent"
//! "route.department" = "after_sales_tech"
//! "sla.first_response.due" = "2025-10-09T18:30:00+08:00"
//! "escalations.0.fired" = false
//! ```
//!
//! Instants compare as instants (any offset), amounts of business time as amounts (`90m` is
//! `1h30m`), a table compares only the keys it names, and `"null"` stands for a null or absent
//! value (TOML has no null). `error = "substring"` expects the ticket to be rejected.
//!
//! In a project's own `cargo test`:
//!
//! ```no_run
//! #[test]
//! fn policy_cases_pass() {
//!     aftercare::testing::assert_cases_pass("policies/default.toml");
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use crate::business_time::{Amount, BusinessDuration};
use crate::output::decision::Decision;
use crate::output::trace::{TraceEvent, TraceStage};
use crate::policy::Policy;
use crate::source::reader::{did_you_mean, tables, Table};
use crate::source::tree::{self, Node, Value};
use crate::source::{Diagnostic, PolicyError, Sink, Span};
use crate::ticket::{Ticket, TicketError};

/// A file of test cases, read and checked.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// The file as it was named when loading.
    pub name: String,
    /// The policy the file names (`policy = "…"`), resolved against the file's folder.
    pub policy: Option<PathBuf>,
    /// The cases, in file order.
    pub cases: Vec<Case>,
}

/// One test case: a ticket, the instant it is evaluated at, and what the decision must hold.
#[derive(Debug, Clone)]
pub struct Case {
    /// What the case is about.
    pub name: String,
    /// The line of its `name`.
    pub line: usize,
    /// The instant the ticket is evaluated at.
    pub now: DateTime<Utc>,
    /// The ticket, in the ticket JSON shape (contract §1). It is read only when the case runs,
    /// so a case can check that a bad ticket is rejected.
    pub ticket: Json,
    /// The fields to compare, in file order.
    pub expect: Vec<Expect>,
}

/// One expected field.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// A path into the decision JSON: keys and array indexes joined by dots, e.g.
    /// `sla.first_response.due` or `escalations.0.fired`; `error` for a rejected ticket.
    pub path: String,
    /// The expected value.
    pub value: Json,
    /// The line it was written on.
    pub line: usize,
}

/// A cases file that could not be read, with every problem found, each with its position.
///
/// `Display` gives one `FILE:LINE:COL: error: message` line per problem (each followed by a
/// `  = hint:` line where there is one), like [`PolicyError`].
#[derive(Clone)]
pub struct CasesError(PolicyError);

impl fmt::Debug for CasesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl CasesError {
    /// Every problem, in position order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.0.diagnostics()
    }

    /// Renders rustc-style snippets; `color` adds ANSI colours.
    pub fn render(&self, color: bool) -> String {
        self.0.render(color)
    }

    /// The number of errors.
    pub fn error_count(&self) -> usize {
        self.0.error_count()
    }
}

impl fmt::Display for CasesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for CasesError {}

/// The top-level keys of a decision (and of a rejected ticket's error line).
const DECISION_KEYS: [&str; 15] = [
    "ticket",
    "policy",
    "category",
    "priority",
    "route",
    "rules",
    "status",
    "sla",
    "escalations",
    "follow_up",
    "next_change_at",
    "labels",
    "agents",
    "trace",
    "error",
];

/// Decision fields left out of the JSON when they have no value: a missing one reads as null.
const OPTIONAL_KEYS: [&str; 15] = [
    "agents",
    "owner",
    "assignee",
    "calendar",
    "first_response",
    "resolution",
    "next_response",
    "follow_up",
    "stopped_at",
    "remaining",
    "overdue_by",
    "paused",
    "cycle",
    "previous_cycles",
    "trace",
];

const CASE_KEYS: [&str; 5] = ["name", "now", "ticket", "expect", "note"];

impl CaseFile {
    /// Reads a cases file of at most [`MAX_CASES_BYTES`]. A `policy` path in it is resolved
    /// against the file's folder.
    pub fn from_path(path: impl AsRef<Path>) -> Result<CaseFile, CasesError> {
        CaseFile::from_path_within(path, MAX_CASES_BYTES)
    }

    /// [`CaseFile::from_path`] with another size limit. Only a regular file is read (a FIFO
    /// or a device such as `/dev/zero` would block or never end), and no more than
    /// `max_bytes` of it.
    pub fn from_path_within(
        path: impl AsRef<Path>,
        max_bytes: u64,
    ) -> Result<CaseFile, CasesError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        match read_bounded(path, max_bytes) {
            Ok(text) => parse(&name, &text, path.parent()),
            Err(why) => {
                let mut sink = Sink::default();
                let file = sink.sources.add(name, Arc::from(""));
                sink.error(
                    "io",
                    &Span { file, range: 0..0 },
                    format!("cannot read cases file: {why}"),
                );
                let (diagnostics, sources) = sink.finish();
                Err(CasesError(PolicyError::new(diagnostics, sources)))
            }
        }
    }

    /// Reads cases from TOML text named `name` in diagnostics; a `policy` path is resolved
    /// against `base` when given.
    pub fn from_toml(name: &str, text: &str, base: Option<&Path>) -> Result<CaseFile, CasesError> {
        parse(name, text, base)
    }

    /// Whether the file is meant for the policy at `policy`: it names no policy, or names
    /// that file.
    pub fn is_for(&self, policy: &Path) -> bool {
        self.policy.as_deref().is_none_or(|p| same_file(p, policy))
    }
}

/// The largest cases file [`CaseFile::from_path`] reads: 64 MiB, some 200,000 cases.
pub const MAX_CASES_BYTES: u64 = 64 * 1024 * 1024;

/// The text of the regular file at `path`, refused beyond `max_bytes`.
fn read_bounded(path: &Path, max_bytes: u64) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let too_big = || format!("it is over {max_bytes} bytes, the limit for a cases file");
    if meta.len() > max_bytes {
        return Err(too_big());
    }
    let mut text = String::new();
    // The file may grow while it is read: never read more than the limit.
    file.take(max_bytes.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    if text.len() as u64 > max_bytes {
        return Err(too_big());
    }
    Ok(text)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Line numbers of byte offsets, from the offsets of the newlines found once: looking each
/// case's line up by counting from the start made a file of many cases quadratic.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(
            text.bytes()
                .enumerate()
                .filter_map(|(i, b)| (b == b'\n').then_some(i))
                .collect(),
        )
    }

    /// The 1-based line of `offset`.
    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

fn parse(name: &str, text: &str, base: Option<&Path>) -> Result<CaseFile, CasesError> {
    let mut sink = Sink::default();
    let file = sink.sources.add(name.to_string(), Arc::from(text));
    let mut out = CaseFile {
        name: name.to_string(),
        policy: None,
        cases: Vec::new(),
    };
    let (doc, errors) = toml::de::DeTable::parse_recoverable(text);
    let lines = Lines::new(text);
    if errors.is_empty() {
        let root = tree::convert_table(file, doc.span(), doc.get_ref());
        if let Some(mut top) = Table::new(&root, "the cases file", &mut sink) {
            if let Some((p, _)) = top.string("policy", &mut sink) {
                out.policy = Some(base.map_or_else(|| PathBuf::from(p), |b| b.join(p)));
            }
            match top.get("case") {
                Some(node) => {
                    for t in tables(node, "case", &mut sink) {
                        if let Some(case) = read_case(t, &lines, &mut sink) {
                            out.cases.push(case);
                        }
                    }
                }
                None => {
                    sink.error("missing", &root.span, "the cases file has no `[[case]]`")
                        .hint("each case starts with [[case]] and has name, now, ticket and [case.expect]");
                }
            }
            top.finish("the cases file", &["policy", "case"], &mut sink);
        }
    } else {
        for e in errors {
            let range = e.span().unwrap_or(0..0);
            sink.error(
                "toml-syntax",
                &Span { file, range },
                format!("TOML syntax: {}", e.message().trim()),
            )
            .hint("see https://toml.io for the syntax");
        }
    }
    if sink.has_errors() {
        let (diagnostics, sources) = sink.finish();
        return Err(CasesError(PolicyError::new(diagnostics, sources)));
    }
    Ok(out)
}

fn read_case(node: &Node, lines: &Lines, sink: &mut Sink) -> Option<Case> {
    let mut t = Table::new(node, "a case", sink)?;
    let name = t.required_string("name", "a case", sink);
    let line = lines.of(name.map_or(node.span.range.start, |(_, s)| s.range.start));
    let now = match t.get("now") {
        None => {
            sink.error("missing", t.span(), "a case needs `now`")
                .hint(r#"the instant it is evaluated at, e.g. now = "2025-10-15T12:00:00+08:00""#);
            None
        }
        Some(n) => {
            let parsed = match &n.value {
                Value::String(s) | Value::Datetime(s) => DateTime::parse_from_rfc3339(s).ok(),
                _ => None,
            };
            if parsed.is_none() {
                sink.error(
                    "wrong-type",
                    &n.span,
                    "`now` must be an RFC 3339 instant with an offset",
                )
                .hint(r#"e.g. now = "2025-10-15T12:00:00+08:00""#);
            }
            parsed.map(|d| d.with_timezone(&Utc))
        }
    };
    let ticket = match t.get("ticket") {
        None => {
            sink.error("missing", t.span(), "a case needs `ticket`").hint(
                r#"an inline table in the ticket JSON shape, e.g. ticket = { id = "T1", created_at = "2025-10-15T09:00:00+08:00" }"#,
            );
            None
        }
        Some(n) if n.as_table().is_none() => {
            sink.error(
                "wrong-type",
                &n.span,
                format!("`ticket` must be a table, found {}", n.value.type_name()),
            );
            None
        }
        Some(n) => to_json(n, sink),
    };
    let expect = match t.get("expect") {
        None => {
            sink.error("missing", t.span(), "a case needs `[case.expect]`")
                .hint("list the decision fields to check, e.g. category = \"fault\"");
            None
        }
        Some(n) => read_expect(n, lines, sink),
    };
    let _ = t.string("note", sink);
    t.finish("a case", &CASE_KEYS, sink);
    Some(Case {
        name: name?.0.to_string(),
        line,
        now: now?,
        ticket: ticket?,
        expect: expect?,
    })
}

fn read_expect(node: &Node, lines: &Lines, sink: &mut Sink) -> Option<Vec<Expect>> {
    let Some(entries) = node.as_table() else {
        sink.error(
            "wrong-type",
            &node.span,
            format!("`expect` must be a table, found {}", node.value.type_name()),
        );
        return None;
    };
    if entries.is_empty() {
        sink.error("missing", &node.span, "the case expects nothing")
            .hint("name at least one decision field, e.g. category = \"fault\"");
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (key, value) in entries {
        let first = key.name.split('.').next().unwrap_or_default();
        if !DECISION_KEYS.contains(&first) {
            let report = sink.error(
                "unknown-name",
                &key.span,
                format!("`{}` is not a field of a decision", key.name),
            );
            match did_you_mean(first, DECISION_KEYS) {
                Some(s) => report.hint(format!("did you mean `{s}`?")),
                None => report.hint(format!(
                    "a path starts with one of: {}",
                    DECISION_KEYS.join(", ")
                )),
            }
            ok = false;
            continue;
        }
        if key.name == "error" && value.as_str().is_none() {
            sink.error(
                "wrong-type",
                &value.span,
                "`error` must be a string: a part of the expected message",
            );
            ok = false;
            continue;
        }
        ok &= flatten(
            &key.name,
            key.span.range.start,
            value,
            lines,
            sink,
            &mut out,
        );
    }
    ok.then_some(out)
}

/// A table of expectations becomes one expectation per leaf, so that each is compared (and
/// reported) on its own and only the named keys are compared.
fn flatten(
    path: &str,
    offset: usize,
    node: &Node,
    lines: &Lines,
    sink: &mut Sink,
    out: &mut Vec<Expect>,
) -> bool {
    match &node.value {
        // `{ gte = 0.7 }`: a comparison with a number, kept whole (no decision field is named
        // `gt`, `gte`, `lt` or `lte`).
        Value::Table(entries) if is_comparison(entries) => match to_json(node, sink) {
            Some(value) => {
                out.push(Expect {
                    path: path.to_string(),
                    value,
                    line: lines.of(offset),
                });
                true
            }
            None => false,
        },
        Value::Table(entries) if !entries.is_empty() => entries.iter().all(|(k, v)| {
            flatten(
                &format!("{path}.{}", k.name),
                k.span.range.start,
                v,
                lines,
                sink,
                out,
            )
        }),
        _ => match to_json(node, sink) {
            Some(value) => {
                out.push(Expect {
                    path: path.to_string(),
                    value,
                    line: lines.of(offset),
                });
                true
            }
            None => false,
        },
    }
}

/// The operators an expected number may be compared with.
const COMPARISONS: [&str; 4] = ["gt", "gte", "lt", "lte"];

/// Whether a table of expectations is a comparison: only comparison operators, each with a
/// number (`{ gte = 0.7 }`, `{ gt = 0.5, lte = 1 }`).
fn is_comparison(entries: &[(tree::Key, Node)]) -> bool {
    !entries.is_empty()
        && entries.iter().all(|(k, v)| {
            COMPARISONS.contains(&k.name.as_str())
                && matches!(v.value, Value::Integer(_) | Value::Float(_))
        })
}

/// Whether `actual` is a number that satisfies every operator of `comparison`.
fn compares(comparison: &serde_json::Map<String, Json>, actual: &Json) -> bool {
    let Some(a) = actual.as_f64() else {
        return false;
    };
    comparison.iter().all(|(op, limit)| {
        let Some(limit) = limit.as_f64() else {
            return false;
        };
        match op.as_str() {
            "gt" => a > limit,
            "gte" => a >= limit,
            "lt" => a < limit,
            "lte" => a <= limit,
            _ => false,
        }
    })
}

fn to_json(node: &Node, sink: &mut Sink) -> Option<Json> {
    Some(match &node.value {
        Value::String(s) | Value::Datetime(s) => Json::String(s.clone()),
        Value::Integer(n) => Json::from(*n),
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => Json::Number(n),
            None => {
                sink.error("wrong-type", &node.span, "a number must be finite");
                return None;
            }
        },
        Value::Boolean(b) => Json::Bool(*b),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(to_json(item, sink)?);
            }
            Json::Array(out)
        }
        Value::Table(entries) => {
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                out.insert(k.name.clone(), to_json(v, sink)?);
            }
            Json::Object(out)
        }
    })
}

/// The outcome of one case.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CaseResult {
    /// The cases file.
    pub file: String,
    /// The line of the case's `name`.
    pub line: usize,
    /// The case's name.
    pub name: String,
    /// The decision, or why the ticket was rejected.
    pub outcome: Result<Decision, TicketError>,
    /// The fields that differ; empty when the case passed.
    pub mismatches: Vec<Mismatch>,
}

impl CaseResult {
    /// Whether every expected field matched.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// One expected field that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mismatch {
    /// The path as written in the case.
    pub path: String,
    /// The line it was written on.
    pub line: usize,
    /// The expected value, as JSON (an instant also shown in the decision's offset).
    pub expected: String,
    /// The actual value, as JSON, or what stood in the way.
    pub actual: String,
    /// The trace lines of the stage that decided the field.
    pub trace: Vec<String>,
}

/// The old name of [`TestReport`].
#[deprecated(since = "0.2.0", note = "renamed to `TestReport`")]
pub type Report = TestReport;

/// What a run of cases found.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct TestReport {
    /// One result per case, in run order.
    pub results: Vec<CaseResult>,
}

impl TestReport {
    /// Cases whose expectations all held.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.passed()).count()
    }

    /// Cases with at least one differing field.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// Whether no case failed.
    pub fn is_success(&self) -> bool {
        self.results.iter().all(CaseResult::passed)
    }

    /// Adds the results of another run (e.g. another cases file).
    pub fn extend(&mut self, other: TestReport) {
        self.results.extend(other.results);
    }

    /// The failed cases.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| !r.passed())
    }
}

impl TestReport {
    /// Each failed case with its differing fields, expected vs actual, and the trace lines of
    /// the stage that decided each; a blank line after each case. Empty when all passed.
    pub fn failure_details(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for r in self.failures() {
            let _ = writeln!(out, "FAIL {}:{}: {}", r.file, r.line, r.name);
            for m in &r.mismatches {
                let _ = writeln!(out, "  {}:{}: {}", r.file, m.line, m.path);
                let _ = writeln!(out, "    expected: {}", m.expected);
                let _ = writeln!(out, "    actual:   {}", m.actual);
                for (i, line) in m.trace.iter().enumerate() {
                    let label = if i == 0 { "trace:   " } else { "         " };
                    let _ = writeln!(out, "    {label} {line}");
                }
            }
            out.push('\n');
        }
        out
    }

    /// `N passed, M failed`.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed(), self.failed())
    }
}

impl fmt::Display for TestReport {
    /// [`TestReport::failure_details`], then [`TestReport::summary`] (no newline after it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.failure_details(), self.summary())
    }
}

/// Runs the cases of `file` against `policy` (whatever policy the file names).
pub fn run(policy: &Policy, file: &CaseFile) -> TestReport {
    TestReport {
        results: file
            .cases
            .iter()
            .map(|case| run_case(policy, &file.name, case))
            .collect(),
    }
}

/// Reads the cases file at `path` and runs it against `policy`.
///
/// ```no_run
/// let policy = aftercare::Policy::from_path("policies/default.toml")?;
/// let report = aftercare::testing::run_cases(&policy, "policies/tests/routing.toml")?;
/// assert!(report.is_success(), "{report}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_cases(policy: &Policy, path: impl AsRef<Path>) -> Result<TestReport, CasesError> {
    Ok(run(policy, &CaseFile::from_path(path)?))
}

/// The cases files that belong to the policy at `policy`: `<stem>.tests.toml` beside it
/// (`default.tests.toml` for `default.toml`), then every `tests/*.toml` beside it, sorted.
/// Files that do not exist are left out; a file there may still name another policy (see
/// [`CaseFile::is_for`]).
pub fn default_case_files(policy: impl AsRef<Path>) -> Vec<PathBuf> {
    let policy = policy.as_ref();
    let dir = policy.parent().unwrap_or_else(|| Path::new(""));
    let mut out = Vec::new();
    if let Some(stem) = policy.file_stem() {
        let mut name = stem.to_os_string();
        name.push(".tests.toml");
        let own = dir.join(name);
        if own.is_file() {
            out.push(own);
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("tests")) {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

/// Loads the policy at `policy`, runs its cases files ([`default_case_files`], skipping
/// those written for another policy) and panics with a readable list of the failures if
/// any case fails. Made for a project's own `cargo test`:
///
/// ```no_run
/// #[test]
/// fn policy_cases_pass() {
///     aftercare::testing::assert_cases_pass("policies/default.toml");
/// }
/// ```
///
/// # Panics
///
/// When the policy does not load, no cases file is found, a cases file cannot be read, or a
/// case fails. The message lists every problem, and every failed field with its expected and
/// actual value. This is the only function of the library that panics on purpose.
// A test assertion: panicking is its whole purpose, and it is documented above.
#[allow(clippy::panic)]
pub fn assert_cases_pass(policy: impl AsRef<Path>) {
    let path = policy.as_ref();
    let policy = match Policy::from_path(path) {
        Ok(p) => p,
        Err(e) => panic!("{} does not load:\n{e}", path.display()),
    };
    let mut report = TestReport::default();
    let mut problems = Vec::new();
    let mut files = 0;
    for file in default_case_files(path) {
        match CaseFile::from_path(&file) {
            Ok(cases) if cases.is_for(path) => {
                files += 1;
                report.extend(run(&policy, &cases));
            }
            Ok(_) => {}
            Err(e) => problems.push(e.to_string()),
        }
    }
    if files == 0 && problems.is_empty() {
        panic!(
            "no test cases for {}: write them in {} or in {}",
            path.display(),
            own_cases_name(path),
            path.parent()
                .unwrap_or_else(|| Path::new(""))
                .join("tests")
                .join("*.toml")
                .display()
        );
    }
    if !problems.is_empty() || !report.is_success() {
        let mut message = problems.join("\n");
        if !message.is_empty() {
            message.push('\n');
        }
        panic!("policy test cases failed:\n{message}{report}");
    }
}

fn own_cases_name(policy: &Path) -> String {
    let stem = policy
        .file_stem()
        .map_or_else(|| "policy".into(), |s| s.to_string_lossy());
    policy
        .with_file_name(format!("{stem}.tests.toml"))
        .display()
        .to_string()
}

fn run_case(policy: &Policy, file: &str, case: &Case) -> CaseResult {
    let outcome =
        Ticket::from_value(case.ticket.clone()).and_then(|t| policy.evaluate(&t, case.now));
    let actual = match &outcome {
        Ok(d) => serde_json::to_value(d).unwrap_or(Json::Null),
        Err(e) => serde_json::json!({ "ticket": e.ticket, "error": e.to_string() }),
    };
    let trace: &[TraceEvent] = outcome.as_ref().map_or(&[], |d| &d.trace);
    let mut mismatches = Vec::new();
    let wants_error = case.expect.iter().any(|e| e.path == "error");
    match (&outcome, wants_error) {
        // One line says why nothing else could be compared.
        (Err(e), false) => mismatches.push(Mismatch {
            path: "error".into(),
            line: case.line,
            expected: "no error".into(),
            actual: Json::String(e.to_string()).to_string(),
            trace: Vec::new(),
        }),
        _ => mismatches.extend(
            case.expect
                .iter()
                .filter_map(|expect| check(expect, &outcome, &actual, trace)),
        ),
    }
    CaseResult {
        file: file.to_string(),
        line: case.line,
        name: case.name.clone(),
        outcome,
        mismatches,
    }
}

/// For a `labels.NAME…` path naming a model the policy does not have: why, with the models
/// it has (or that it has none).
fn model_missing(actual: &Json, path: &str) -> Option<String> {
    let mut parts = path.split('.');
    if parts.next() != Some("labels") || actual.get("error").is_some() {
        return None;
    }
    let name = parts.next()?;
    let labels = actual.get("labels").and_then(Json::as_object);
    let models: Vec<&str> = labels
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if models.contains(&name) {
        return None;
    }
    Some(if models.is_empty() {
        format!("(no model `{name}`: the policy has no [models])")
    } else {
        let hint = did_you_mean(name, models.iter().copied())
            .map(|m| format!("; did you mean `{m}`?"))
            .unwrap_or_default();
        format!(
            "(no model `{name}`: the policy's models are {}{hint})",
            models.join(", ")
        )
    })
}

/// What a path finds in the decision.
enum Found<'a> {
    Value(&'a Json),
    /// A field left out because it has no value.
    Absent,
    /// No such field: why.
    Missing(String),
}

fn lookup<'a>(root: &'a Json, path: &str) -> Found<'a> {
    let mut here = root;
    let mut walked = String::new();
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let next = match here {
            Json::Object(map) => match map.get(*part) {
                Some(v) => v,
                None if last && OPTIONAL_KEYS.contains(part) => return Found::Absent,
                None => {
                    let at = if walked.is_empty() {
                        "the decision"
                    } else {
                        &walked
                    };
                    return Found::Missing(format!("(no field `{part}` in {at})"));
                }
            },
            Json::Array(items) => match part.parse::<usize>().ok().and_then(|n| items.get(n)) {
                Some(v) => v,
                None => {
                    return Found::Missing(format!(
                        "(no item `{part}`: {walked} has {} item(s))",
                        items.len()
                    ))
                }
            },
            Json::Null => return Found::Missing(format!("(`{walked}` is null)")),
            _ => return Found::Missing(format!("(`{walked}` has no fields)")),
        };
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(part);
        here = next;
    }
    Found::Value(here)
}

fn check(
    expect: &Expect,
    outcome: &Result<Decision, TicketError>,
    actual: &Json,
    trace: &[TraceEvent],
) -> Option<Mismatch> {
    let mismatch = |expected: String, actual: String| Mismatch {
        path: expect.path.clone(),
        line: expect.line,
        expected,
        actual,
        trace: stage_trace(
            &expect.path,
            escalation_at(outcome.as_ref().ok(), &expect.path),
            trace,
        ),
    };
    if expect.path == "error" {
        let want = expect.value.as_str().unwrap_or_default();
        return match outcome {
            Err(e) if e.to_string().contains(want) => None,
            Err(e) => Some(mismatch(
                format!("an error containing {}", Json::String(want.into())),
                Json::String(e.to_string()).to_string(),
            )),
            Ok(_) => Some(mismatch(
                format!("an error containing {}", Json::String(want.into())),
                "a decision (the ticket was accepted)".into(),
            )),
        };
    }
    let found = match model_missing(actual, &expect.path) {
        Some(why) => Found::Missing(why),
        None => lookup(actual, &expect.path),
    };
    let same = match &found {
        Found::Value(v) => matches(&expect.value, v),
        Found::Absent => matches(&expect.value, &Json::Null),
        Found::Missing(_) => false,
    };
    if same {
        return None;
    }
    let shown = match &found {
        Found::Value(v) => v.to_string(),
        Found::Absent => "null (absent)".into(),
        Found::Missing(why) => why.clone(),
    };
    let reference = match &found {
        Found::Value(Json::String(s)) => Some(s.as_str()),
        _ => None,
    };
    Some(mismatch(show_expected(&expect.value, reference), shown))
}

/// The escalation an `escalations.N…` path points at, to find its trace lines.
fn escalation_at<'a>(
    decision: Option<&'a Decision>,
    path: &str,
) -> Option<&'a crate::output::decision::Escalation> {
    let mut parts = path.split('.');
    if parts.next() != Some("escalations") {
        return None;
    }
    let n: usize = parts.next()?.parse().ok()?;
    decision?.escalations.get(n)
}

/// The trace lines of the stage that decides the field at `path`.
fn stage_trace(
    path: &str,
    escalation: Option<&crate::output::decision::Escalation>,
    trace: &[TraceEvent],
) -> Vec<String> {
    let mut parts = path.split('.');
    let first = parts.next().unwrap_or_default();
    let second = parts.next().unwrap_or_default();
    let clock =
        |metric: &str, e: &TraceEvent| matches!(e, TraceEvent::Clock(c) if c.metric == metric);
    let rule = |stage: TraceStage, e: &TraceEvent| matches!(e, TraceEvent::Rule { stage: s, .. } if *s == stage);
    let pick = |keep: &dyn Fn(&TraceEvent) -> bool| -> Vec<String> {
        trace
            .iter()
            .filter(|e| keep(e))
            .map(ToString::to_string)
            .collect()
    };
    const METRICS: [&str; 4] = ["first_response", "resolution", "next_response", "follow_up"];
    match (first, second) {
        ("category", _) | ("rules", "category") => pick(&|e| rule(TraceStage::Category, e)),
        ("priority", _) | ("rules", "priority") => pick(&|e| rule(TraceStage::Priority, e)),
        ("route", _) | ("rules", "route") | ("sla", "calendar") => {
            pick(&|e| rule(TraceStage::Route, e))
        }
        ("sla", metric) if METRICS.contains(&metric) => pick(&|e| clock(metric, e)),
        ("follow_up", _) => pick(&|e| clock("follow_up", e)),
        ("labels", model) => {
            pick(&|e| matches!(e, TraceEvent::Model { model: m, .. } if m == model))
        }
        ("escalations", _) => match escalation {
            Some(step) => pick(&|e| {
                clock(step.metric, e)
                    || matches!(e, TraceEvent::Escalation { step: s, metric, cycle, .. }
                        if **s == *step.step && *metric == step.metric && *cycle == step.cycle)
            }),
            // No such step: nothing in the trace speaks of it.
            None => Vec::new(),
        },
        ("next_change_at", _) | ("status", _) => pick(&|e| {
            METRICS.iter().any(|m| clock(m, e)) || matches!(e, TraceEvent::Escalation { .. })
        }),
        _ => Vec::new(),
    }
}

/// The expected value as JSON; an instant written in another offset than the decision's is
/// also shown in the decision's offset, so the two read alike.
fn show_expected(expected: &Json, actual: Option<&str>) -> String {
    let text = expected.to_string();
    if let (Json::String(e), Some(a)) = (expected, actual) {
        if let (Ok(e), Ok(a)) = (
            DateTime::parse_from_rfc3339(e),
            DateTime::parse_from_rfc3339(a),
        ) {
            let same_offset = e.offset() == a.offset();
            if !same_offset {
                let shown = e.with_timezone(a.offset()).to_rfc3339();
                return format!("{text} (= {shown})");
            }
        }
    }
    text
}

/// Whether the actual value matches the expected one: instants as instants, amounts of time as
/// amounts, numbers as numbers, tables by the keys they name, arrays item by item, `"null"` for
/// null.
fn matches(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::String(e), Json::Null) => e == "null",
        (Json::String(e), Json::String(a)) => e == a || same_instant(e, a) || same_span(e, a),
        (Json::Number(e), Json::Number(a)) => e.as_f64() == a.as_f64(),
        (Json::Array(e), Json::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| matches(e, a))
        }
        (Json::Object(e), Json::Number(_))
            if !e.is_empty() && e.keys().all(|k| COMPARISONS.contains(&k.as_str())) =>
        {
            compares(e, actual)
        }
        (Json::Object(e), Json::Object(a)) => e.iter().all(|(k, e)| match a.get(k) {
            Some(a) => matches(e, a),
            None => OPTIONAL_KEYS.contains(&k.as_str()) && matches(e, &Json::Null),
        }),
        (e, a) => e == a,
    }
}

fn same_instant(e: &str, a: &str) -> bool {
    match (
        DateTime::parse_from_rfc3339(e),
        DateTime::parse_from_rfc3339(a),
    ) {
        (Ok(e), Ok(a)) => e == a,
        _ => false,
    }
}

fn same_span(e: &str, a: &str) -> bool {
    let seconds = |s: &str| match s.parse::<BusinessDuration>() {
        Ok(BusinessDuration {
            amount: Amount::Seconds(n),
            calendar: None,
        }) => Some(n),
        _ => None,
    };
    matches!((seconds(e), seconds(a)), (Some(e), Some(a)) if e == a)
}

/// Which rules of a policy a run of cases reached: every category, priority rule (and the
/// priorities default), route and escalation step, with the number of cases that hit it.
///
/// A case hits the category, priority and route rules its decision names in `rules`, and
/// the escalation steps that fired in it (in any cycle). A rejected ticket hits nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Coverage {
    /// One entry per rule, stage by stage, in the order the rules are tried.
    pub entries: Vec<CoverageEntry>,
}

/// One rule and how many cases hit it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CoverageEntry {
    /// `category`, `priority`, `route` or `escalation`.
    pub stage: &'static str,
    /// The rule id (`priorities.default` for the default priority); for an escalation step,
    /// `metric at` as written, e.g. `resolution at 80%`.
    pub rule: String,
    /// What the rule decides, or `step N` for an escalation (its index in the policy).
    pub outcome: String,
    /// Whether it is the stage's default.
    pub is_default: bool,
    /// The number of cases that hit it.
    pub hits: usize,
}

impl Coverage {
    /// Counts the hits of `report`'s cases on `policy`'s rules.
    pub fn of(policy: &Policy, report: &TestReport) -> Coverage {
        let rules = policy.rules();
        let decisions: Vec<&Decision> = report
            .results
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .collect();
        let count = |hit: &dyn Fn(&Decision) -> bool| decisions.iter().filter(|d| hit(d)).count();
        let mut entries = Vec::new();
        let stages: [(&'static str, &[crate::RuleRef]); 3] = [
            ("category", &rules.categories),
            ("priority", &rules.priorities),
            ("route", &rules.routes),
        ];
        for (stage, list) in stages {
            for r in list {
                let hits = count(&|d| {
                    let id = match stage {
                        "category" => &d.rules.category,
                        "priority" => &d.rules.priority,
                        _ => &d.rules.route,
                    };
                    **id == *r.id
                });
                entries.push(CoverageEntry {
                    stage,
                    rule: r.id.clone(),
                    outcome: r.outcome.clone(),
                    is_default: r.is_default,
                    hits,
                });
            }
        }
        for step in &rules.escalations {
            let hits = count(&|d| {
                d.escalations
                    .iter()
                    .any(|e| e.fired && e.key.step() == step.index)
            });
            entries.push(CoverageEntry {
                stage: "escalation",
                rule: step.to_string(),
                outcome: format!("step {}", step.index),
                is_default: false,
                hits,
            });
        }
        Coverage { entries }
    }

    /// The number of rules hit at least once.
    pub fn hit(&self) -> usize {
        self.entries.iter().filter(|e| e.hits > 0).count()
    }

    /// The share of rules hit, in percent (100 when there are none).
    pub fn percent(&self) -> f64 {
        if self.entries.is_empty() {
            return 100.0;
        }
        // Counts are small, so the conversion is exact.
        self.hit() as f64 * 100.0 / self.entries.len() as f64
    }

    /// [`Coverage::percent`] as shown: rounded to one decimal (13 of 15 is 86.7%), except that
    /// 100.0% means every rule was hit (1999 of 2000 shows 99.9%).
    pub fn percent_shown(&self) -> f64 {
        let shown = (self.percent() * 10.0).round() / 10.0;
        if shown >= 100.0 && self.hit() < self.entries.len() {
            99.9
        } else {
            shown
        }
    }

    /// Whether at least `min_percent` of the rules were hit.
    pub fn meets(&self, min_percent: f64) -> bool {
        // Compared as `hit * 100 >= min * total` so that 100% means every rule, exactly.
        self.hit() as f64 * 100.0 >= min_percent * self.entries.len() as f64
    }

    /// The rules no case hit.
    pub fn never_hit(&self) -> impl Iterator<Item = &CoverageEntry> {
        self.entries.iter().filter(|e| e.hits == 0)
    }
}

impl fmt::Display for Coverage {
    /// A table: stage, rule, what it decides, hits, and `never hit` flags; then a line
    /// `rule coverage: H of N rules hit (P%)` (no newline after it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width =
            |get: &dyn Fn(&CoverageEntry) -> usize| self.entries.iter().map(get).max().unwrap_or(0);
        let rule_w = width(&|e| e.rule.chars().count());
        let outcome_w = width(&|e| e.outcome.chars().count() + if e.is_default { 10 } else { 0 });
        for e in &self.entries {
            let outcome = if e.is_default {
                format!("{} (default)", e.outcome)
            } else {
                e.outcome.clone()
            };
            let flag = if e.hits == 0 { "  never hit" } else { "" };
            writeln!(
                f,
                "{:<10} {:<rule_w$}  {:<outcome_w$}  {:>4}{flag}",
                e.stage, e.rule, outcome, e.hits
            )?;
        }
        write!(
            f,
            "rule coverage: {} of {} rules hit ({:.1}%)",
            self.hit(),
            self.entries.len(),
            self.percent_shown()
        )
    }
}
