//! Diagnostics for people: every problem in a policy at once, each with its file, line, column,
//! the offending text and a hint.
//!
//! Two renderings: [`PolicyError`]'s `Display` gives plain `FILE:LINE:COL: error: message`
//! lines (for logs, editors and pipes), and [`PolicyError::render`] gives rustc-style snippets
//! for a terminal.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy cannot be loaded.
    Error,
    /// The policy loads, but something in it is probably a mistake.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem found in a policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable name for the kind of problem, e.g. `unknown-key` or `unreachable-rule`.
    /// Messages may be reworded; codes stay. A policy allows a lint by its code with
    /// `[policy] allow = ["unreachable-rule"]`.
    pub code: &'static str,
    /// The file, as it was named when loading (relative paths stay relative).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it, when there is something to say.
    pub hint: Option<String>,
    /// The offending text (at most one line, shortened when long).
    pub text: String,
    /// Byte range in the file.
    #[serde(skip)]
    pub span: Range<usize>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.severity, self.message
        )
    }
}

/// A source file a policy was loaded from.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) text: Arc<str>,
}

/// Identifies a file in a [`Sources`] set.
pub(crate) type FileId = usize;

/// A byte range in one of the loaded files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) file: FileId,
    pub(crate) range: Range<usize>,
}

/// All files of one policy load, so that spans can be turned into lines and columns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources {
    pub(crate) files: Vec<SourceFile>,
}

impl Sources {
    pub(crate) fn add(&mut self, name: String, text: Arc<str>) -> FileId {
        self.files.push(SourceFile { name, text });
        self.files.len() - 1
    }

    /// Where a span starts, for people: `line 12`, or `other.toml:12` when it is in a different
    /// file than `here` (a diagnostic at `here` can then point at it in its hint).
    pub(crate) fn place(&self, span: &Span, here: &Span) -> String {
        let Some(file) = self.files.get(span.file) else {
            return "elsewhere".to_string();
        };
        let line = self
            .positions(&[(span.file, span.range.start)])
            .first()
            .map_or(1, |(line, _)| *line);
        if span.file == here.file {
            format!("line {line}")
        } else {
            format!("{}:{line}", file.name)
        }
    }

    /// 1-based line and column (in characters) of each `(file, byte offset)`.
    ///
    /// One pass over each file, taking the offsets in order: a large policy with many
    /// diagnostics (ten thousand unused departments, say) costs linear time, where counting
    /// from the start of the file for each diagnostic would cost quadratic time.
    fn positions(&self, offsets: &[(FileId, usize)]) -> Vec<(usize, usize)> {
        let mut order: Vec<usize> = (0..offsets.len()).collect();
        order.sort_by_key(|&i| offsets.get(i).copied());
        let mut out = vec![(1, 1); offsets.len()];
        // (file, byte position, line, column) reached so far.
        let mut cursor: Option<(FileId, usize, usize, usize)> = None;
        for i in order {
            let Some(&(file, offset)) = offsets.get(i) else {
                continue;
            };
            let text = self.files.get(file).map_or("", |f| &*f.text);
            let offset = floor_char_boundary(text, offset.min(text.len()));
            let (mut pos, mut line, mut column) = match cursor {
                Some((f, p, l, c)) if f == file && p <= offset => (p, l, c),
                _ => (0, 1, 1),
            };
            for ch in text.get(pos..offset).unwrap_or_default().chars() {
                if ch == '\n' {
                    line += 1;
                    column = 1;
                } else {
                    column += 1;
                }
            }
            pos = offset;
            cursor = Some((file, pos, line, column));
            if let Some(slot) = out.get_mut(i) {
                *slot = (line, column);
            }
        }
        out
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Collects diagnostics during a load. Problems are recorded, never returned early, so a
/// policy author sees every problem in one run.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub(crate) sources: Sources,
    raw: Vec<Raw>,
    /// Lint codes the policy allows (`[policy] allow`): their warnings are dropped.
    pub(crate) allowed: Vec<String>,
    /// Every file the policy read or tried to read (policy, includes, scripts, modules), for
    /// watchers.
    pub(crate) files: Vec<std::path::PathBuf>,
    /// The folder (canonical) every file the policy names must lie in; `None` for policy text
    /// without a folder.
    pub(crate) root: Option<std::path::PathBuf>,
    /// The cap on the bytes of one file read (`max_policy_bytes`).
    pub(crate) max_file_bytes: usize,
    /// Each file read and the version of it that was read, so that a load can tell whether
    /// its files changed while it ran.
    pub(crate) read: Vec<(std::path::PathBuf, super::files::Fingerprint)>,
    /// What the compiled patterns of the policy may take, and have taken so far.
    pub(crate) patterns: PatternBudget,
}

/// The memory budget of a policy's compiled patterns (`Limits::max_pattern_bytes` and
/// `Limits::max_policy_pattern_bytes`).
#[derive(Debug, Default)]
pub(crate) struct PatternBudget {
    /// Most bytes of one pattern.
    pub(crate) each: usize,
    /// Most bytes of all patterns and keyword automata together.
    pub(crate) total: usize,
    /// Bytes taken so far.
    pub(crate) used: usize,
    /// Whether the total was exceeded (reported once; later patterns are not compiled).
    pub(crate) exceeded: bool,
}

/// A diagnostic before its position is resolved.
#[derive(Debug)]
struct Raw {
    severity: Severity,
    code: &'static str,
    span: Span,
    message: String,
    hint: Option<String>,
}

/// The codes of the lints: warnings a policy may allow by code. Errors cannot be allowed.
pub const LINT_CODES: [&str; 12] = [
    "unreachable-rule",
    "duplicate-id",
    "category-without-route",
    "priority-never-given",
    "department-never-routed",
    "escalation-order",
    "script-not-a-hook",
    "script-no-hook",
    "undeclared-field",
    "undeclared-status",
    "zero-target",
    "unknown-label",
];

impl Sink {
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        span: &Span,
        message: impl Into<String>,
    ) -> Report<'_> {
        self.push(Severity::Error, code, span, message.into())
    }

    pub(crate) fn warning(
        &mut self,
        code: &'static str,
        span: &Span,
        message: impl Into<String>,
    ) -> Report<'_> {
        if self.allowed.iter().any(|a| a == code) {
            return Report { hint: None };
        }
        self.push(Severity::Warning, code, span, message.into())
    }

    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        span: &Span,
        message: String,
    ) -> Report<'_> {
        self.raw.push(Raw {
            severity,
            code,
            span: span.clone(),
            message,
            hint: None,
        });
        Report {
            hint: self.raw.last_mut().map(|d| &mut d.hint),
        }
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.raw.iter().any(|d| d.severity == Severity::Error)
    }

    /// Resolves spans to positions, in file order then position order.
    pub(crate) fn finish(self) -> (Vec<Diagnostic>, Sources) {
        let offsets: Vec<(FileId, usize)> = self
            .raw
            .iter()
            .map(|d| (d.span.file, d.span.range.start))
            .collect();
        let positions = self.sources.positions(&offsets);
        let mut out: Vec<Diagnostic> = self
            .raw
            .into_iter()
            .zip(positions)
            .map(|(raw, (line, column))| {
                let Raw {
                    severity,
                    code,
                    span,
                    message,
                    hint,
                } = raw;
                let file = self.sources.files.get(span.file);
                let (name, text) = file.map_or(("<policy>", ""), |f| (f.name.as_str(), &*f.text));
                Diagnostic {
                    severity,
                    code,
                    file: name.to_string(),
                    line,
                    column,
                    message,
                    hint,
                    text: excerpt(text, &span.range),
                    span: span.range,
                }
            })
            .collect();
        // Stable: diagnostics at the same place keep the order they were found in.
        out.sort_by(|a, b| {
            (file_rank(&self.sources, &a.file), a.span.start)
                .cmp(&(file_rank(&self.sources, &b.file), b.span.start))
        });
        (out, self.sources)
    }
}

fn file_rank(sources: &Sources, name: &str) -> usize {
    sources
        .files
        .iter()
        .position(|f| f.name == name)
        .unwrap_or(usize::MAX)
}

/// The first line of the spanned text, shortened to 80 characters.
fn excerpt(text: &str, range: &Range<usize>) -> String {
    let start = floor_char_boundary(text, range.start.min(text.len()));
    let end = floor_char_boundary(text, range.end.min(text.len())).max(start);
    let line = text[start..end].lines().next().unwrap_or("");
    if line.chars().count() > 80 {
        let mut short: String = line.chars().take(77).collect();
        short.push_str("...");
        short
    } else {
        line.to_string()
    }
}

/// Lets a caller attach a hint to the diagnostic just recorded.
pub(crate) struct Report<'a> {
    hint: Option<&'a mut Option<String>>,
}

impl Report<'_> {
    pub(crate) fn hint(self, hint: impl Into<String>) {
        if let Some(slot) = self.hint {
            *slot = Some(hint.into());
        }
    }
}

/// A policy that could not be loaded, with every problem found.
///
/// `Debug` prints what `Display` prints, so `fn main() -> Result<(), PolicyError>` (or any
/// error returned with `?` from `main`) shows the problems as a person reads them.
#[derive(Clone)]
pub struct PolicyError {
    diagnostics: Vec<Diagnostic>,
    sources: Sources,
    /// The files the failed load read or tried to read.
    pub(crate) files: Vec<std::path::PathBuf>,
}

impl PolicyError {
    /// The files the failed load read or tried to read (policy, includes, scripts, modules).
    pub fn files(&self) -> &[std::path::PathBuf] {
        &self.files
    }

    pub(crate) fn new(diagnostics: Vec<Diagnostic>, sources: Sources) -> Self {
        PolicyError {
            diagnostics,
            sources,
            files: Vec::new(),
        }
    }

    /// Every diagnostic, errors and warnings, in file and position order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The number of errors (warnings not counted).
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Renders rustc-style snippets with the offending text underlined; `color` adds ANSI colours.
    pub fn render(&self, color: bool) -> String {
        render_diagnostics(&self.diagnostics, &self.sources, color)
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
            if let Some(hint) = &d.hint {
                write!(f, "\n  = hint: {hint}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for PolicyError {}

pub(crate) fn render_diagnostics(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    color: bool,
) -> String {
    use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let source = sources.files.iter().find(|f| f.name == d.file);
        let mut group = Group::with_title(level.primary_title(d.message.as_str()));
        if let Some(source) = source {
            let (text, span) = around(&source.text, &d.span);
            group = group.element(
                Snippet::source(text)
                    .path(d.file.as_str())
                    .line_start(d.line)
                    .fold(true)
                    .annotation(AnnotationKind::Primary.span(span)),
            );
        }
        let mut report = vec![group];
        if let Some(hint) = &d.hint {
            report.push(Group::with_title(
                Level::HELP.secondary_title(hint.as_str()),
            ));
        }
        if source.is_none() {
            report.push(Group::with_title(
                Level::NOTE.secondary_title(format!("in {}", d.file)),
            ));
        }
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    out
}

/// The lines a span touches (at most [`SNIPPET_LINES`] of them), and the span within them.
///
/// A snippet of the whole file for every diagnostic would cost time proportional to the file
/// times the number of diagnostics. Lines longer than [`SNIPPET_REACH`] bytes on either side
/// of the span are cut (only a machine writes such lines).
fn around<'t>(text: &'t str, span: &Range<usize>) -> (&'t str, Range<usize>) {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    let reach_back = floor_char_boundary(text, start.saturating_sub(SNIPPET_REACH));
    let from = text
        .get(reach_back..start)
        .and_then(|t| t.rfind('\n'))
        .map_or(reach_back, |i| reach_back + i + 1);
    let limit = floor_char_boundary(text, end.saturating_add(SNIPPET_REACH).min(text.len()));
    let mut to = text
        .get(end..limit)
        .and_then(|t| t.find('\n'))
        .map_or(limit, |i| end + i);
    // Keep at most SNIPPET_LINES lines from the first.
    if let Some(cut) = text
        .get(from..to)
        .and_then(|t| t.match_indices('\n').nth(SNIPPET_LINES - 1))
        .map(|(i, _)| from + i)
    {
        to = cut;
    }
    let snippet = text.get(from..to).unwrap_or_default();
    (snippet, (start - from)..(end.min(to).max(start) - from))
}

/// See [`around`].
const SNIPPET_LINES: usize = 12;
/// See [`around`].
const SNIPPET_REACH: usize = 2048;

#[cfg(test)]
mod tests {
    use super::*;

    /// Counting from the start of the file: the reference for `positions`.
    fn naive(text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, text[line_start..offset].chars().count() + 1)
    }

    #[test]
    fn positions_match_counting_from_the_start() {
        let mut sources = Sources::default();
        let a = "[policy]\r\nname = \"售后\"\n\n  x = 1\nlast";
        let b = "é\nü = 2";
        sources.add("a.toml".into(), Arc::from(a));
        sources.add("b.toml".into(), Arc::from(b));
        // Out of order, repeated, inside a character, past the end, in both files.
        let offsets: Vec<(FileId, usize)> = [30, 0, 9, 10, 19, 20, 19, 200, 3, 1, 5]
            .iter()
            .flat_map(|&o| [(0, o), (1, o % 9)])
            .chain([(7, 3)])
            .collect();
        let got = sources.positions(&offsets);
        for (&(file, offset), &pos) in offsets.iter().zip(&got) {
            let text = [a, b].get(file).copied().unwrap_or("");
            assert_eq!(pos, naive(text, offset), "file {file} offset {offset}");
        }
    }

    #[test]
    fn snippets_hold_the_lines_of_the_span_only() {
        let text = "a = 1\nb = 2\nc = [\n  3,\n]\nd = 4\n";
        let start = text.find("c =").unwrap();
        let end = text.find("]").unwrap() + 1;
        let (snippet, span) = around(text, &(start..end));
        assert_eq!(snippet, "c = [\n  3,\n]");
        assert_eq!(&snippet[span], "c = [\n  3,\n]");
        let (snippet, span) = around(text, &(0..1));
        assert_eq!((snippet, span), ("a = 1", 0..1));
        let long = format!("{}x{}", "y".repeat(5000), "z".repeat(5000));
        let (snippet, span) = around(&long, &(5000..5001));
        assert_eq!(&snippet[span], "x");
        assert!(snippet.len() <= 2 * SNIPPET_REACH + 1);
    }
}
