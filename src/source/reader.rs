//! Typed reading of the value tree: each accessor records a diagnostic on a wrong type and
//! returns `None`, so one pass finds every problem.

use super::tree::{Key, Node, Value};
use crate::source::{Sink, Span};

/// Reads one table, remembering which keys were used so the rest can be reported as unknown.
pub(crate) struct Table<'n> {
    pub(crate) node: &'n Node,
    entries: &'n [(Key, Node)],
    used: Vec<bool>,
}

impl<'n> Table<'n> {
    /// `None` (with an error) when the node is not a table.
    pub(crate) fn new(node: &'n Node, what: &str, sink: &mut Sink) -> Option<Table<'n>> {
        match &node.value {
            Value::Table(entries) => Some(Table {
                node,
                entries,
                used: vec![false; entries.len()],
            }),
            other => {
                sink.error(
                    "wrong-type",
                    &node.span,
                    format!("{what} must be a table, found {}", other.type_name()),
                );
                None
            }
        }
    }

    pub(crate) fn span(&self) -> &'n Span {
        &self.node.span
    }

    pub(crate) fn get(&mut self, key: &str) -> Option<&'n Node> {
        let i = self.entries.iter().position(|(k, _)| k.name == key)?;
        if let Some(used) = self.used.get_mut(i) {
            *used = true;
        }
        self.entries.get(i).map(|(_, v)| v)
    }

    pub(crate) fn key_span(&self, key: &str) -> Option<&'n Span> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, _)| &k.span)
    }

    pub(crate) fn string(&mut self, key: &str, sink: &mut Sink) -> Option<(&'n str, &'n Span)> {
        let node = self.get(key)?;
        match &node.value {
            Value::String(s) => Some((s.as_str(), &node.span)),
            other => {
                sink.error(
                    "wrong-type",
                    &node.span,
                    format!("`{key}` must be a string, found {}", other.type_name()),
                );
                None
            }
        }
    }

    /// A required string; a missing key is reported at the table.
    pub(crate) fn required_string(
        &mut self,
        key: &str,
        what: &str,
        sink: &mut Sink,
    ) -> Option<(&'n str, &'n Span)> {
        if self.entries.iter().all(|(k, _)| k.name != key) {
            sink.error("missing", self.span(), format!("{what} needs `{key}`"));
            return None;
        }
        self.string(key, sink)
    }

    pub(crate) fn boolean(&mut self, key: &str, sink: &mut Sink) -> Option<bool> {
        let node = self.get(key)?;
        match node.value {
            Value::Boolean(b) => Some(b),
            ref other => {
                sink.error(
                    "wrong-type",
                    &node.span,
                    format!("`{key}` must be true or false, found {}", other.type_name()),
                );
                None
            }
        }
    }

    pub(crate) fn integer(&mut self, key: &str, sink: &mut Sink) -> Option<(i64, &'n Span)> {
        let node = self.get(key)?;
        match node.value {
            Value::Integer(n) => Some((n, &node.span)),
            ref other => {
                sink.error(
                    "wrong-type",
                    &node.span,
                    format!("`{key}` must be an integer, found {}", other.type_name()),
                );
                None
            }
        }
    }

    /// An array of strings; a lone string is accepted as a one-element array.
    pub(crate) fn strings(
        &mut self,
        key: &str,
        sink: &mut Sink,
    ) -> Option<Vec<(&'n str, &'n Span)>> {
        let node = self.get(key)?;
        strings(node, key, sink)
    }

    /// Reports every key that was not read as unknown, suggesting the closest known key.
    pub(crate) fn finish(self, what: &str, known: &[&str], sink: &mut Sink) {
        for ((key, _), used) in self.entries.iter().zip(&self.used) {
            if !used {
                unknown_key(&key.span, &key.name, what, known, sink);
            }
        }
    }
}

pub(crate) fn unknown_key(span: &Span, name: &str, what: &str, known: &[&str], sink: &mut Sink) {
    let report = sink.error(
        "unknown-key",
        span,
        format!("unknown key `{name}` in {what}"),
    );
    match did_you_mean(name, known.iter().copied()) {
        Some(s) => report.hint(format!("did you mean `{s}`?")),
        None if !known.is_empty() => report.hint(format!("expected one of: {}", known.join(", "))),
        None => {}
    }
}

/// The closest candidate by Jaro-Winkler similarity, if it is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

pub(crate) fn strings<'n>(
    node: &'n Node,
    key: &str,
    sink: &mut Sink,
) -> Option<Vec<(&'n str, &'n Span)>> {
    match &node.value {
        Value::String(s) => Some(vec![(s.as_str(), &node.span)]),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match &item.value {
                    Value::String(s) => out.push((s.as_str(), &item.span)),
                    other => {
                        sink.error(
                            "wrong-type",
                            &item.span,
                            format!("`{key}` must list strings, found {}", other.type_name()),
                        );
                    }
                }
            }
            Some(out)
        }
        other => {
            sink.error(
                "wrong-type",
                &node.span,
                format!(
                    "`{key}` must be an array of strings, found {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

/// An array of tables (`[[name]]`).
pub(crate) fn tables<'n>(node: &'n Node, key: &str, sink: &mut Sink) -> Vec<&'n Node> {
    match &node.value {
        Value::Array(items) => items
            .iter()
            .filter(|item| {
                let ok = item.as_table().is_some();
                if !ok {
                    sink.error(
                        "wrong-type",
                        &item.span,
                        format!("each `{key}` entry must be a table"),
                    )
                    .hint(format!("write it as [[{key}]] followed by its keys"));
                }
                ok
            })
            .collect(),
        other => {
            sink.error(
                "wrong-type",
                &node.span,
                format!(
                    "`{key}` must be an array of tables, found {}",
                    other.type_name()
                ),
            )
            .hint(format!("write each entry as [[{key}]]"));
            Vec::new()
        }
    }
}

/// Checks that an id is usable: non-empty, no spaces or dots (dots separate paths in tests).
pub(crate) fn check_id(id: &str, span: &Span, sink: &mut Sink) -> bool {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !ok {
        sink.error("bad-id", span, format!("`{id}` is not a valid id"))
            .hint("ids use letters, digits, `_` and `-`");
    }
    ok
}
