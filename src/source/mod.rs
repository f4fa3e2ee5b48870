//! Policy source: the TOML tree with positions (includes merged), the readers that take
//! values out of it, and diagnostics with file, line, column and hint.
//!
//! Knows nothing of what a policy means: `crate::check` reads sections through it.

mod diagnostics;
pub(crate) mod files;
pub(crate) mod reader;
pub(crate) mod tree;

pub use diagnostics::{Diagnostic, PolicyError, Severity, LINT_CODES};
pub(crate) use diagnostics::{FileId, Sink, Span};
