//! Policy text → a tree of values that remember where they were written, with `include`d
//! files merged in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use crate::source::files::{self, ReadError};
use crate::source::{FileId, Sink, Span};

/// A TOML value with its position.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) span: Span,
    pub(crate) value: Value,
}

/// A table key with its position.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub(crate) name: String,
    pub(crate) span: Span,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(Key, Node)>),
}

impl Value {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

impl Node {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_table(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// Where policy text comes from.
#[derive(Clone, Copy)]
pub(crate) enum Origin<'a> {
    /// A file on disk; includes resolve relative to its folder.
    Path(&'a Path),
    /// Text given directly; includes resolve relative to `base` if any.
    Text {
        name: &'a str,
        text: &'a str,
        base: Option<&'a Path>,
    },
}

const INCLUDE_HINT: &str = "include paths are relative to the file that includes them";

/// How deep includes may nest; deeper is almost certainly a cycle the path check missed.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Reads the policy (and its includes) into one merged tree; problems go to the sink.
/// `max_bytes` bounds the text of all files together.
pub(crate) fn load(origin: Origin<'_>, max_bytes: usize, sink: &mut Sink) -> Option<Node> {
    let mut loader = Loader {
        sink,
        stack: Vec::new(),
        max_bytes,
        bytes: 0,
        over_limit: false,
    };
    let root = match origin {
        Origin::Path(path) => loader.load_path(path, path, None, 0),
        Origin::Text { name, text, base } => {
            if text.len() > max_bytes {
                // The text is not kept: a diagnostic at its start says all there is to say.
                let file = loader.sink.sources.add(name.to_string(), Arc::from(""));
                loader.too_large(&Span { file, range: 0..0 }, name);
                return None;
            }
            loader.bytes = text.len();
            loader.load_text(name, text.into(), base, 0)
        }
    };
    // A policy over the size limit is not read further: what is missing would only bring
    // follow-on errors (unknown calendars and the like).
    root.filter(|_| !loader.over_limit)
}

struct Loader<'s> {
    sink: &'s mut Sink,
    /// Canonical paths of the files being loaded, to report include cycles.
    stack: Vec<PathBuf>,
    /// `Limits::max_policy_bytes`.
    max_bytes: usize,
    /// Bytes read so far, across includes.
    bytes: usize,
    /// Whether a file was refused for `max_bytes`.
    over_limit: bool,
}

impl Loader<'_> {
    fn too_large(&mut self, span: &Span, name: &str) {
        self.over_limit = true;
        let limit = self.max_bytes;
        self.sink
            .error("limit", 
                span,
                format!("the policy is larger than {limit} bytes (max_policy_bytes) with `{name}`"),
            )
            .hint("the limit counts the policy file and every file it includes together; raise `Limits::max_policy_bytes` if this size is intended");
    }

    /// Loads the file `shown` (as diagnostics name it), read from `real`. `from` is the
    /// include that names it, `None` for the policy file.
    fn load_path(
        &mut self,
        shown: &Path,
        real: &Path,
        from: Option<&Span>,
        depth: usize,
    ) -> Option<Node> {
        let name = shown.display().to_string();
        self.sink.files.push(shown.to_path_buf());
        let cap = self.max_bytes.saturating_sub(self.bytes);
        let text = match files::read_stable_text(real, cap) {
            Ok((t, fingerprint)) => {
                self.sink.read.push((real.to_path_buf(), fingerprint));
                t
            }
            Err(ReadError::TooLarge) => {
                match from {
                    Some(span) => self.too_large(span, &name),
                    None => {
                        let file = self.sink.sources.add(name.clone(), Arc::from(""));
                        self.too_large(&Span { file, range: 0..0 }, &name);
                    }
                }
                return None;
            }
            Err(e) => {
                match from {
                    Some(span) => {
                        self.sink
                            .error(
                                "include",
                                span,
                                format!("cannot read included file `{name}`: {e}"),
                            )
                            .hint(match e {
                                ReadError::Io(_) => INCLUDE_HINT,
                                _ => e.hint(),
                            });
                    }
                    None => {
                        let id = self.sink.sources.add(name.clone(), Arc::from(""));
                        self.sink
                            .error(
                                "io",
                                &Span {
                                    file: id,
                                    range: 0..0,
                                },
                                format!("cannot read policy file: {e}"),
                            )
                            .hint(e.hint());
                    }
                }
                return None;
            }
        };
        let canonical = real.canonicalize().unwrap_or_else(|_| real.to_path_buf());
        if self.stack.contains(&canonical) {
            if let Some(span) = from {
                self.sink
                    .error(
                        "include",
                        span,
                        format!("`{name}` includes itself (an include cycle)"),
                    )
                    .hint("remove one of the includes that lead back to this file");
            }
            return None;
        }
        self.bytes += text.len();
        self.stack.push(canonical);
        let base = shown.parent().map(Path::to_path_buf);
        let node = self.load_text(&name, text.into(), base.as_deref(), depth);
        self.stack.pop();
        node
    }

    fn load_text(
        &mut self,
        name: &str,
        text: Arc<str>,
        base: Option<&Path>,
        depth: usize,
    ) -> Option<Node> {
        let file = self.sink.sources.add(name.to_string(), text.clone());
        let (doc, errors) = DeTable::parse_recoverable(&text);
        if !errors.is_empty() {
            for e in errors {
                let range = e.span().unwrap_or(0..0);
                self.sink
                    .error(
                        "toml-syntax",
                        &Span { file, range },
                        format!("TOML syntax: {}", e.message().trim()),
                    )
                    .hint("see https://toml.io for the syntax");
            }
            return None;
        }
        let root = convert_table(file, doc.span(), doc.get_ref());
        self.expand_includes(root, base, depth)
    }

    /// Replaces the `include` key by the merged content of the named files.
    fn expand_includes(&mut self, root: Node, base: Option<&Path>, depth: usize) -> Option<Node> {
        let Value::Table(entries) = root.value else {
            return Some(root);
        };
        let mut own = Vec::with_capacity(entries.len());
        let mut includes = Vec::new();
        for (key, value) in entries {
            if key.name == "include" {
                includes.push((key, value));
            } else {
                own.push((key, value));
            }
        }
        let mut merged = Node {
            span: root.span.clone(),
            value: Value::Table(Vec::new()),
        };
        for (key, value) in includes {
            let items: Vec<Node> = match value.value {
                Value::Array(items) => items,
                Value::String(_) => vec![value],
                other => {
                    self.sink
                        .error(
                            "include",
                            &value.span,
                            format!(
                                "`include` must be an array of paths, found {}",
                                other.type_name()
                            ),
                        )
                        .hint(r#"e.g. include = ["calendars/cn.toml"]"#);
                    continue;
                }
            };
            let _ = key;
            for item in items {
                let Some(rel) = item.as_str() else {
                    self.sink
                        .error("include", &item.span, "an include must be a path string")
                        .hint(r#"e.g. include = ["calendars/cn.toml"]"#);
                    continue;
                };
                if depth >= MAX_INCLUDE_DEPTH {
                    self.sink
                        .error("include", &item.span, "includes nest too deeply")
                        .hint(format!("at most {MAX_INCLUDE_DEPTH} levels of include"));
                    continue;
                }
                let Some(base) = base else {
                    self.sink
                        .error(
                            "include",
                            &item.span,
                            "includes need a policy loaded from a file",
                        )
                        .hint("load the policy with `Policy::from_path`, or give a base folder");
                    continue;
                };
                let shown = base.join(rel);
                let real = match &self.sink.root {
                    Some(root) => files::resolve(root, base, rel),
                    None => Err(ReadError::Outside),
                };
                let real = match real {
                    Ok(real) => real,
                    Err(ReadError::Io(e)) => {
                        self.sink
                            .error(
                                "include",
                                &item.span,
                                format!("cannot read included file `{}`: {e}", shown.display()),
                            )
                            .hint(INCLUDE_HINT);
                        self.sink.files.push(shown);
                        continue;
                    }
                    Err(e) => {
                        self.sink.files.push(shown);
                        self.sink
                            .error(
                                "include",
                                &item.span,
                                format!("cannot include `{rel}`: {e}"),
                            )
                            .hint(e.hint());
                        continue;
                    }
                };
                if let Some(node) = self.load_path(&shown, &real, Some(&item.span), depth + 1) {
                    merge(&mut merged, node, self.sink);
                }
            }
        }
        merge(
            &mut merged,
            Node {
                span: root.span,
                value: Value::Table(own),
            },
            self.sink,
        );
        Some(merged)
    }
}

/// Merges `overlay` into `base`: tables key by key, arrays of tables appended; anything else
/// defined twice is an error, reported at the second definition.
fn merge(base: &mut Node, overlay: Node, sink: &mut Sink) {
    let (Value::Table(base_entries), Value::Table(overlay_entries)) =
        (&mut base.value, overlay.value)
    else {
        return;
    };
    for (key, value) in overlay_entries {
        match base_entries.iter_mut().find(|(k, _)| k.name == key.name) {
            None => base_entries.push((key, value)),
            Some((_, existing)) => match (&mut existing.value, value.value) {
                (Value::Table(_), v @ Value::Table(_)) => merge(
                    existing,
                    Node {
                        span: value.span,
                        value: v,
                    },
                    sink,
                ),
                (Value::Array(a), Value::Array(b))
                    if a.iter().chain(b.iter()).all(|n| n.as_table().is_some()) =>
                {
                    a.extend(b)
                }
                _ => {
                    sink.error(
                        "include",
                        &key.span,
                        format!("`{}` is defined twice", key.name),
                    )
                    .hint("an included file and the including file may not set the same key");
                }
            },
        }
    }
}

pub(crate) fn convert_table(
    file: FileId,
    range: std::ops::Range<usize>,
    table: &DeTable<'_>,
) -> Node {
    let entries = table
        .iter()
        .map(|(k, v)| {
            (
                Key {
                    name: k.get_ref().to_string(),
                    span: Span {
                        file,
                        range: k.span(),
                    },
                },
                convert(file, v.span(), v.get_ref()),
            )
        })
        .collect();
    Node {
        span: Span { file, range },
        value: Value::Table(entries),
    }
}

fn convert(file: FileId, range: std::ops::Range<usize>, value: &DeValue<'_>) -> Node {
    let value = match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Integer(n),
            // Out of range for i64: keep it as a float-like number the validator will reject.
            Err(_) => Value::Float(f64::INFINITY),
        },
        DeValue::Float(f) => Value::Float(f.as_str().replace('_', "").parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Boolean(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(
            a.iter()
                .map(|v| convert(file, v.span(), v.get_ref()))
                .collect(),
        ),
        DeValue::Table(t) => return convert_table(file, range, t),
    };
    Node {
        span: Span { file, range },
        value,
    }
}
