//! `when` tables → [`Condition`] trees.

use super::reader::{did_you_mean, unknown_key};
use super::tree::{Key, Node, Value};
use crate::diagnostics::Sink;
use crate::model::{CmpOp, Condition, Field, FieldTest, Scalar, Test, PERSONAL_FIELDS};

/// Which stage a condition belongs to: later stages may read the results of earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    Category,
    Priority,
    Route,
}

const OPERATORS: [&str; 11] = [
    "not",
    "in",
    "gt",
    "gte",
    "lt",
    "lte",
    "contains",
    "contains_any",
    "matches",
    "exists",
    "eq",
];

/// Prefixes that may be written as nested tables: `customer = { tier = "vip" }`.
const PREFIXES: [&str; 3] = ["customer", "product", "attributes"];

const FIELD_NAMES: [&str; 14] = [
    "id",
    "channel",
    "kind",
    "subject",
    "description",
    "text",
    "category",
    "priority",
    "customer.tier",
    "customer.region",
    "customer.id",
    "product.model",
    "any",
    "all",
];

pub(crate) fn parse(node: &Node, stage: Stage, sink: &mut Sink) -> Option<Condition> {
    let Value::Table(entries) = &node.value else {
        sink.error(
            &node.span,
            format!(
                "a condition must be a table, found {}",
                node.value.type_name()
            ),
        )
        .hint(r#"e.g. when = { kind = "complaint" }"#);
        return None;
    };
    let mut parts = Vec::with_capacity(entries.len());
    let mut ok = true;
    for (key, value) in entries {
        match entry(key, value, "", stage, sink) {
            Some(c) => parts.push(c),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(if parts.len() == 1 {
        parts.pop()?
    } else {
        Condition::All(parts)
    })
}

fn entry(
    key: &Key,
    value: &Node,
    prefix: &str,
    stage: Stage,
    sink: &mut Sink,
) -> Option<Condition> {
    let name = key.name.as_str();
    if prefix.is_empty() {
        match name {
            "any" | "all" => {
                let Some(items) = value.as_array() else {
                    sink.error(
                        &value.span,
                        format!("`{name}` takes an array of conditions"),
                    )
                    .hint(format!(
                        r#"e.g. {name} = [ {{ kind = "complaint" }}, {{ channel = "phone" }} ]"#
                    ));
                    return None;
                };
                let mut parts = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match parse(item, stage, sink) {
                        Some(c) => parts.push(c),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                return Some(if name == "any" {
                    Condition::Any(parts)
                } else {
                    Condition::All(parts)
                });
            }
            "not" => return parse(value, stage, sink).map(|c| Condition::Not(Box::new(c))),
            _ => {}
        }
    }
    let path = if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    };
    if PERSONAL_FIELDS.contains(&path.as_str()) {
        sink.error(&key.span, format!("`{path}` is personal data and cannot be used in rules"))
            .hint("rules may read customer.id, customer.tier, customer.region, product.model and attributes");
        return None;
    }
    // Nested path tables: `customer = { tier = "vip" }` reads as `"customer.tier" = "vip"`.
    if prefix.is_empty() && PREFIXES.contains(&name) {
        if let Value::Table(inner) = &value.value {
            let mut parts = Vec::with_capacity(inner.len());
            let mut ok = true;
            for (k, v) in inner {
                match entry(k, v, name, stage, sink) {
                    Some(c) => parts.push(c),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            return Some(if parts.len() == 1 {
                parts.pop()?
            } else {
                Condition::All(parts)
            });
        }
    }
    let Some(field) = Field::parse(&path) else {
        let report = sink.error(&key.span, format!("unknown field `{path}` in condition"));
        match did_you_mean(&path, FIELD_NAMES) {
            Some(s) => report.hint(format!("did you mean `{s}`?")),
            None => report.hint(
                "fields: id, channel, kind, subject, description, text, customer.<f>, product.<f>, attributes.<f>, category, priority; and any, all, not",
            ),
        }
        return None;
    };
    match (&field, stage) {
        (Field::Category, Stage::Category) => {
            sink.error(
                &key.span,
                "`category` is not known yet while choosing the category",
            )
            .hint("category rules can test the ticket's fields, e.g. `kind` or `text`");
            return None;
        }
        (Field::Priority, Stage::Category | Stage::Priority) => {
            sink.error(&key.span, "`priority` is not known yet at this stage")
                .hint("`priority` can be tested in routes, SLA rules and escalations");
            return None;
        }
        _ => {}
    }
    let test = test(value, &path, sink)?;
    let text = describe(&path, &test);
    Some(Condition::Test(FieldTest {
        field,
        test,
        text,
        span: key.span.clone(),
    }))
}

fn scalar(node: &Node, sink: &mut Sink) -> Option<Scalar> {
    match &node.value {
        Value::String(s) => Some(Scalar::Str(s.clone())),
        Value::Integer(n) => Some(Scalar::Num(*n as f64)),
        Value::Float(f) if f.is_finite() => Some(Scalar::Num(*f)),
        Value::Boolean(b) => Some(Scalar::Bool(*b)),
        other => {
            sink.error(
                &node.span,
                format!(
                    "expected a string, number or boolean here, found {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

fn number(node: &Node, op: &str, sink: &mut Sink) -> Option<f64> {
    match node.value {
        Value::Integer(n) => Some(n as f64),
        Value::Float(f) if f.is_finite() => Some(f),
        ref other => {
            sink.error(
                &node.span,
                format!("`{op}` compares numbers, found {}", other.type_name()),
            );
            None
        }
    }
}

fn test(value: &Node, path: &str, sink: &mut Sink) -> Option<Test> {
    match &value.value {
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(scalar(item, sink)?);
            }
            Some(Test::In(out))
        }
        Value::Table(ops) => {
            if ops.is_empty() {
                sink.error(&value.span, format!("empty operator table for `{path}`"))
                    .hint(r#"e.g. { in = ["a", "b"] } or { contains = "text" }"#);
                return None;
            }
            let mut tests = Vec::with_capacity(ops.len());
            let mut ok = true;
            for (op, arg) in ops {
                match operator(op, arg, path, sink) {
                    Some(t) => tests.push(t),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            Some(if tests.len() == 1 {
                tests.pop()?
            } else {
                Test::All(tests)
            })
        }
        _ => Some(Test::Eq(scalar(value, sink)?)),
    }
}

fn operator(op: &Key, arg: &Node, path: &str, sink: &mut Sink) -> Option<Test> {
    let name = op.name.as_str();
    Some(match name {
        "eq" => Test::Eq(scalar(arg, sink)?),
        "not" => Test::Not(Box::new(test(arg, path, sink)?)),
        "in" => {
            let Some(items) = arg.as_array() else {
                sink.error(&arg.span, "`in` takes an array")
                    .hint(r#"e.g. { in = ["north", "east"] }"#);
                return None;
            };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(scalar(item, sink)?);
            }
            Test::In(out)
        }
        "gt" => Test::Cmp(CmpOp::Gt, number(arg, name, sink)?),
        "gte" => Test::Cmp(CmpOp::Gte, number(arg, name, sink)?),
        "lt" => Test::Cmp(CmpOp::Lt, number(arg, name, sink)?),
        "lte" => Test::Cmp(CmpOp::Lte, number(arg, name, sink)?),
        "contains" | "contains_any" => {
            let needles: Vec<String> = match &arg.value {
                Value::String(s) if name == "contains" => vec![s.to_lowercase()],
                Value::Array(items) if name == "contains_any" => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        match item.as_str() {
                            Some(s) => out.push(s.to_lowercase()),
                            None => {
                                sink.error(&item.span, "`contains_any` lists strings");
                                return None;
                            }
                        }
                    }
                    out
                }
                _ => {
                    let report = sink.error(
                        &arg.span,
                        format!(
                            "`{name}` takes {}",
                            if name == "contains" {
                                "a string"
                            } else {
                                "an array of strings"
                            }
                        ),
                    );
                    report.hint(if name == "contains" {
                        r#"e.g. { contains = "漏水" }; for several, { contains_any = ["漏水", "leak"] }"#
                    } else {
                        r#"e.g. { contains_any = ["漏水", "leak"] }"#
                    });
                    return None;
                }
            };
            if let Some(empty) = arg
                .as_array()
                .and_then(|items| items.iter().find(|i| i.as_str() == Some("")))
                .or_else(|| (arg.as_str() == Some("")).then_some(arg))
            {
                sink.error(&empty.span, "an empty keyword matches every text")
                    .hint("remove it, or use { exists = true }");
                return None;
            }
            if needles.is_empty() {
                sink.error(&arg.span, "`contains_any` needs at least one keyword");
                return None;
            }
            Test::ContainsAny(needles)
        }
        "matches" => {
            let Some(pattern) = arg.as_str() else {
                sink.error(&arg.span, "`matches` takes a regular expression string");
                return None;
            };
            match crate::model::Pattern::new(pattern) {
                Ok(re) => Test::Matches(re),
                Err(msg) => {
                    sink.error(&arg.span, format!("invalid regular expression: {msg}"))
                        .hint("the syntax is that of the Rust `regex` crate; add (?i) for case-insensitive matching");
                    return None;
                }
            }
        }
        "exists" => match arg.value {
            Value::Boolean(b) => Test::Exists(b),
            _ => {
                sink.error(&arg.span, "`exists` takes true or false");
                return None;
            }
        },
        _ => {
            unknown_key(
                &op.span,
                name,
                &format!("the operators for `{path}`"),
                &OPERATORS,
                sink,
            );
            return None;
        }
    })
}

/// How a test reads in a trace.
fn describe(path: &str, test: &Test) -> String {
    fn list(items: &[Scalar]) -> String {
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn one(test: &Test) -> String {
        match test {
            Test::Eq(v) => format!("= {v}"),
            Test::In(v) => format!("in [{}]", list(v)),
            Test::Not(t) => format!("not {}", one(t)),
            Test::Cmp(op, n) => {
                let op = match op {
                    CmpOp::Gt => ">",
                    CmpOp::Gte => ">=",
                    CmpOp::Lt => "<",
                    CmpOp::Lte => "<=",
                };
                format!("{op} {n}")
            }
            Test::ContainsAny(n) if n.len() == 1 => format!("contains {:?}", n.concat()),
            Test::ContainsAny(n) => format!("contains any of {} keywords", n.len()),
            Test::Matches(re) => format!("matches /{}/", re.as_str()),
            Test::Exists(true) => "exists".to_string(),
            Test::Exists(false) => "is missing".to_string(),
            Test::All(t) => t.iter().map(one).collect::<Vec<_>>().join(" and "),
        }
    }
    format!("{path} {}", one(test))
}
