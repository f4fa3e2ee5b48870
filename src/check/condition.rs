//! A `when` condition as the policy says it: the model ([`Condition`] trees), and the reader
//! from `when` tables. `crate::compile` turns it into what evaluation runs.

use crate::source::reader::{did_you_mean, unknown_key};
use crate::source::tree::{Key, Node, Value};
use crate::source::{Sink, Span};

/// A `when` condition.
#[derive(Debug)]
pub(crate) enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Test(FieldTest),
}

#[derive(Debug)]
pub(crate) struct FieldTest {
    pub(crate) field: Field,
    pub(crate) test: Test,
    /// How the test reads in a trace, e.g. `customer.tier = "vip"`.
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// A field of the ticket, or the result of an earlier stage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Field {
    Id,
    Channel,
    Kind,
    Subject,
    Description,
    /// Subject and description.
    Text,
    Customer(String),
    Product(String),
    Attribute(String),
    Category,
    Priority,
    /// `model.NAME`: the label the policy's model `NAME` gives the ticket's text.
    Model(String),
    /// `model.NAME.confidence`: that label's probability, 0..1.
    ModelConfidence(String),
}

/// Fields that hold personal data: never readable by rules, never written to any output.
pub(crate) const PERSONAL_FIELDS: [&str; 4] = [
    "customer.name",
    "customer.contact",
    "product.order_no",
    "product.serial_no",
];

impl Field {
    pub(crate) fn parse(path: &str) -> Option<Field> {
        Some(match path {
            "id" => Field::Id,
            "channel" => Field::Channel,
            "kind" => Field::Kind,
            "subject" => Field::Subject,
            "description" => Field::Description,
            "text" => Field::Text,
            "category" => Field::Category,
            "priority" => Field::Priority,
            _ => {
                let (head, rest) = path.split_once('.')?;
                if rest.is_empty() {
                    return None;
                }
                match head {
                    "model" => match rest.strip_suffix(".confidence") {
                        Some(name) if !name.is_empty() && !name.contains('.') => {
                            Field::ModelConfidence(name.to_string())
                        }
                        Some(_) => return None,
                        None if rest.contains('.') => return None,
                        None => Field::Model(rest.to_string()),
                    },
                    "customer" => Field::Customer(rest.to_string()),
                    "product" => Field::Product(rest.to_string()),
                    "attributes" => Field::Attribute(rest.to_string()),
                    _ => return None,
                }
            }
        })
    }
}

/// What a field is tested for.
#[derive(Debug)]
pub(crate) enum Test {
    Eq(Scalar),
    In(Vec<Scalar>),
    Not(Box<Test>),
    Cmp(CmpOp, f64),
    /// Case-insensitive substring test: any of the needles (already lower-cased).
    ContainsAny(Vec<String>),
    Matches(Pattern),
    Exists(bool),
    /// Several operators in one table, all of which must hold.
    All(Vec<Test>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Str(s) => write!(f, "{s:?}"),
            Scalar::Num(n) => write!(f, "{n}"),
            Scalar::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// A compiled `matches` pattern and its text.
///
/// Built with the regex crate's own engine (`regex-automata`) so that the literal prefilter can
/// be left out of case-insensitive patterns: extracting it from a case-insensitive word list
/// costs several times the rest of the compilation, while ticket texts are short enough for
/// the lazy DFA alone.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    text: String,
    re: regex_automata::meta::Regex,
}

/// Why a pattern did not compile.
#[derive(Debug)]
pub(crate) enum PatternError {
    /// Not a regular expression; the reason, one line.
    Syntax(String),
    /// Compiled, or on its way, it would take more than `limit` bytes (`max_pattern_bytes`).
    TooLarge { limit: usize },
}

impl Pattern {
    /// Compiles `text` with the `regex` crate's syntax into at most `max_bytes` of memory: its
    /// automata and one search cache ([`Pattern::cost`]).
    pub(crate) fn new(text: &str, max_bytes: usize) -> Result<Pattern, PatternError> {
        use regex_automata::meta;
        // A literal prefilter lets a search skip text that holds none of a pattern's literals
        // (a decision of the default policy: 11 % faster), but extracting one from a
        // case-insensitive word list costs several times the rest of the compilation.
        let config = meta::Config::new()
            .auto_prefilter(!sets_case_insensitive(text))
            .which_captures(regex_automata::nfa::thompson::WhichCaptures::None)
            // Stops the build as soon as an automaton grows past the budget: a pattern over
            // it costs its budget in time and memory, not its full size.
            .nfa_size_limit(Some(max_bytes))
            .onepass_size_limit(Some(max_bytes.min(1 << 20)))
            .hybrid_cache_capacity(max_bytes.clamp(1, 2 * 1024 * 1024));
        match meta::Regex::builder().configure(config).build(text) {
            Ok(re) => {
                let pattern = Pattern {
                    text: text.to_string(),
                    re,
                };
                if pattern.cost() > max_bytes {
                    return Err(PatternError::TooLarge { limit: max_bytes });
                }
                Ok(pattern)
            }
            Err(e) => Err(match (e.syntax_error(), e.size_limit()) {
                // The last line reads `error: unclosed group`; diagnostics say "error:" already.
                (Some(s), _) => {
                    let s = s.to_string();
                    let last = s.lines().last().unwrap_or("syntax error").trim();
                    PatternError::Syntax(
                        last.strip_prefix("error:")
                            .unwrap_or(last)
                            .trim()
                            .to_string(),
                    )
                }
                (None, Some(_)) => PatternError::TooLarge { limit: max_bytes },
                (None, None) => PatternError::Syntax(e.to_string()),
            }),
        }
    }

    /// The memory the pattern takes: its automata, and the search cache each thread that
    /// evaluates tickets creates for it (at its smallest).
    pub(crate) fn cost(&self) -> usize {
        self.re
            .memory_usage()
            .saturating_add(self.re.create_cache().memory_usage())
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern matches anywhere in `text`.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.re.is_match(text)
    }
}

/// Whether a flag group of `pattern` (`(?i)`, `(?si:…)`, `(?-i)`) names the `i` flag. A
/// pattern that only turns it off counts too: the answer only decides whether a prefilter is
/// worth extracting, never what matches.
fn sets_case_insensitive(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(at, _)| {
        let rest = pattern.get(at + 2..).unwrap_or_default();
        let flags = rest
            .get(..rest.find([':', ')']).unwrap_or(0))
            .unwrap_or_default();
        flags.contains('i') && flags.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
    })
}

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
            "wrong-type",
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
                        "wrong-type",
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
    // A stray space makes another custom field (`"customer.tier "` is not `customer.tier`)
    // that no ticket has: the rule would silently never match.
    if path
        .split('.')
        .any(|part| part.trim() != part || part.is_empty())
    {
        let cleaned: Vec<&str> = path.split('.').map(str::trim).collect();
        sink.error(
            "bad-field",
            &key.span,
            format!("the field `{path}` has a space or an empty part"),
        )
        .hint(format!("did you mean `{}`?", cleaned.join(".")));
        return None;
    }
    if PERSONAL_FIELDS.contains(&path.as_str()) {
        sink.error("personal-data", &key.span, format!("`{path}` is personal data and cannot be used in rules"))
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
        let report = sink.error(
            "unknown-name",
            &key.span,
            format!("unknown field `{path}` in condition"),
        );
        match did_you_mean(&path, FIELD_NAMES) {
            Some(s) => report.hint(format!("did you mean `{s}`?")),
            None => report.hint(
                "fields: id, channel, kind, subject, description, text, customer.<f>, product.<f>, attributes.<f>, category, priority, model.<name>, model.<name>.confidence; and any, all, not",
            ),
        }
        return None;
    };
    match (&field, stage) {
        (Field::Category, Stage::Category) => {
            sink.error(
                "stage-order",
                &key.span,
                "`category` is not known yet while choosing the category",
            )
            .hint("category rules can test the ticket's fields, e.g. `kind` or `text`");
            return None;
        }
        (Field::Priority, Stage::Category | Stage::Priority) => {
            sink.error(
                "stage-order",
                &key.span,
                "`priority` is not known yet at this stage",
            )
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
                "wrong-type",
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
                "wrong-type",
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
                sink.error(
                    "bad-value",
                    &value.span,
                    format!("empty operator table for `{path}`"),
                )
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
                sink.error("wrong-type", &arg.span, "`in` takes an array")
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
                                sink.error(
                                    "wrong-type",
                                    &item.span,
                                    "`contains_any` lists strings",
                                );
                                return None;
                            }
                        }
                    }
                    out
                }
                _ => {
                    let report = sink.error(
                        "wrong-type",
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
                sink.error(
                    "bad-value",
                    &empty.span,
                    "an empty keyword matches every text",
                )
                .hint("remove it, or use { exists = true }");
                return None;
            }
            if needles.is_empty() {
                sink.error(
                    "missing",
                    &arg.span,
                    "`contains_any` needs at least one keyword",
                );
                return None;
            }
            Test::ContainsAny(needles)
        }
        "matches" => {
            let Some(pattern) = arg.as_str() else {
                sink.error(
                    "wrong-type",
                    &arg.span,
                    "`matches` takes a regular expression string",
                );
                return None;
            };
            // Past the policy's budget nothing more is compiled: its cost is the point.
            if sink.patterns.exceeded {
                return None;
            }
            match Pattern::new(pattern, sink.patterns.each) {
                Ok(re) => {
                    let budget = &mut sink.patterns;
                    budget.used = budget.used.saturating_add(re.cost());
                    if budget.used > budget.total {
                        budget.exceeded = true;
                        let total = budget.total;
                        sink.error(
                            "limit",
                            &arg.span,
                            format!("with this pattern the policy's compiled patterns take more than {total} bytes (max_policy_pattern_bytes)"),
                        )
                        .hint("fewer or simpler patterns: `contains_any` keywords share one small automaton per field, and a Unicode class such as \\w repeated many times is large (try (?-u)\\w or [a-z]); or raise `Limits::max_policy_pattern_bytes`");
                        return None;
                    }
                    Test::Matches(re)
                }
                Err(PatternError::Syntax(msg)) => {
                    sink.error("bad-regex", &arg.span, format!("invalid regular expression: {msg}"))
                        .hint("the syntax is that of the Rust `regex` crate; add (?i) for case-insensitive matching");
                    return None;
                }
                Err(PatternError::TooLarge { limit }) => {
                    sink.error(
                        "limit",
                        &arg.span,
                        format!("the compiled pattern takes more than {limit} bytes (max_pattern_bytes)"),
                    )
                    .hint("simplify the pattern: a Unicode class such as \\w or \\d repeated many times is large (try (?-u)\\w or [a-z]); or raise `Limits::max_pattern_bytes`");
                    return None;
                }
            }
        }
        "exists" => match arg.value {
            Value::Boolean(b) => Test::Exists(b),
            _ => {
                sink.error("unknown-name", &arg.span, "`exists` takes true or false");
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

#[cfg(test)]
mod tests {
    use super::sets_case_insensitive;

    #[test]
    fn case_insensitive_flags_are_found_in_any_flag_group() {
        for p in ["(?i)sue", "a(?i:b)", "(?si)x", "(?x-i)y", "态度(?i:OK)"] {
            assert!(sets_case_insensitive(p), "{p}");
        }
        for p in [
            "态度.{0,3}差",
            "(?s)x",
            "(?P<i>x)",
            "(?<i>x)",
            "(?:i)",
            "\\(?",
            "(?",
        ] {
            assert!(!sets_case_insensitive(p), "{p}");
        }
    }
}
