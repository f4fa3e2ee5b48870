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
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
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
        let (line, _) = Sources::line_col(&file.text, span.range.start);
        if span.file == here.file {
            format!("line {line}")
        } else {
            format!("{}:{line}", file.name)
        }
    }

    fn line_col(text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        (line, column)
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
    raw: Vec<(Severity, Span, String, Option<String>)>,
}

impl Sink {
    pub(crate) fn error(&mut self, span: &Span, message: impl Into<String>) -> Report<'_> {
        self.push(Severity::Error, span, message.into())
    }

    pub(crate) fn warning(&mut self, span: &Span, message: impl Into<String>) -> Report<'_> {
        self.push(Severity::Warning, span, message.into())
    }

    fn push(&mut self, severity: Severity, span: &Span, message: String) -> Report<'_> {
        self.raw.push((severity, span.clone(), message, None));
        Report {
            hint: self.raw.last_mut().map(|d| &mut d.3),
        }
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.raw.iter().any(|(s, ..)| *s == Severity::Error)
    }

    /// Resolves spans to positions, in file order then position order.
    pub(crate) fn finish(self) -> (Vec<Diagnostic>, Sources) {
        let mut out: Vec<Diagnostic> = self
            .raw
            .into_iter()
            .map(|(severity, span, message, hint)| {
                let file = self.sources.files.get(span.file);
                let (name, text) = file.map_or(("<policy>", ""), |f| (f.name.as_str(), &*f.text));
                let (line, column) = Sources::line_col(text, span.range.start);
                Diagnostic {
                    severity,
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
#[derive(Debug, Clone)]
pub struct PolicyError {
    diagnostics: Vec<Diagnostic>,
    sources: Sources,
}

impl PolicyError {
    pub(crate) fn new(diagnostics: Vec<Diagnostic>, sources: Sources) -> Self {
        PolicyError {
            diagnostics,
            sources,
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
            group = group.element(
                Snippet::source(&*source.text)
                    .path(d.file.as_str())
                    .line_start(1)
                    .fold(true)
                    .annotation(AnnotationKind::Primary.span(d.span.clone())),
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
