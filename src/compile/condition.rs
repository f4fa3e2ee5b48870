//! Compiled `when` conditions: field paths resolved to accessors, keyword lists folded into one
//! Aho-Corasick automaton per field and rule set, regexes compiled once.
//!
//! Evaluation walks these prepared structures; a ticket's text is scanned at most once per
//! field per rule set, and only when a rule actually needs it.

use std::collections::HashMap;
use std::sync::Arc;

use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::check::{CmpOp, Condition, Field, Pattern, Scalar, Test};
use crate::ticket::{AttrValue, Ticket};

use super::keywords::KeywordSlot;
pub(crate) use super::keywords::{Keywords, Scan};

/// A field accessor resolved at load.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Path {
    Id,
    Channel,
    Kind,
    Subject,
    Description,
    Text,
    CustomerId,
    CustomerTier,
    CustomerRegion,
    Customer(String),
    ProductModel,
    Product(String),
    Attribute(String),
    Category,
    Priority,
    /// The label of the policy's `i`th model.
    Model(usize),
    /// The confidence of the policy's `i`th model.
    ModelConfidence(usize),
}

impl Path {
    fn from_field(field: &Field, models: &[String]) -> Path {
        // Model names were checked against `[models]`; an unknown one reads as missing.
        let model = |n: &str| models.iter().position(|m| m == n).unwrap_or(usize::MAX);
        match field {
            Field::Model(n) => Path::Model(model(n)),
            Field::ModelConfidence(n) => Path::ModelConfidence(model(n)),
            Field::Id => Path::Id,
            Field::Channel => Path::Channel,
            Field::Kind => Path::Kind,
            Field::Subject => Path::Subject,
            Field::Description => Path::Description,
            Field::Text => Path::Text,
            Field::Customer(f) => match f.as_str() {
                "id" => Path::CustomerId,
                "tier" => Path::CustomerTier,
                "region" => Path::CustomerRegion,
                _ => Path::Customer(f.clone()),
            },
            Field::Product(f) => match f.as_str() {
                "model" => Path::ProductModel,
                _ => Path::Product(f.clone()),
            },
            Field::Attribute(f) => Path::Attribute(f.clone()),
            Field::Category => Path::Category,
            Field::Priority => Path::Priority,
        }
    }
}

/// What a field holds for one ticket.
#[derive(Debug, Clone, Copy)]
pub(super) enum Val<'t> {
    Missing,
    Str(&'t str),
    /// `text`: subject and description, tested separately so nothing matches across the seam.
    Text(Option<&'t str>, Option<&'t str>),
    Num(f64),
    Bool(bool),
    List(&'t [String]),
}

fn attr(v: Option<&AttrValue>) -> Val<'_> {
    match v {
        None => Val::Missing,
        Some(AttrValue::Str(s)) => Val::Str(s),
        Some(AttrValue::Num(n)) => Val::Num(*n),
        Some(AttrValue::Bool(b)) => Val::Bool(*b),
        Some(AttrValue::List(l)) => Val::List(l),
    }
}

fn opt(s: Option<&str>) -> Val<'_> {
    s.map_or(Val::Missing, Val::Str)
}

/// The ticket plus what earlier stages decided: each as its id and its index in the policy's
/// list (tests on them compare indices).
#[derive(Clone, Copy)]
pub(crate) struct Subject<'t> {
    pub(crate) ticket: &'t Ticket,
    pub(crate) category: Option<(usize, &'t str)>,
    pub(crate) priority: Option<(usize, &'t str)>,
}

impl<'t> Subject<'t> {
    pub(super) fn get(&self, path: &Path) -> Val<'t> {
        let t = self.ticket;
        match path {
            Path::Id => Val::Str(&t.id),
            Path::Channel => opt(t.channel.as_deref()),
            Path::Kind => opt(t.kind.as_deref()),
            Path::Subject => opt(t.subject.as_deref()),
            Path::Description => opt(t.description.as_deref()),
            Path::Text => match (&t.subject, &t.description) {
                (None, None) => Val::Missing,
                (s, d) => Val::Text(s.as_deref(), d.as_deref()),
            },
            Path::CustomerId => opt(t.customer.id.as_deref()),
            Path::CustomerTier => opt(t.customer.tier.as_deref()),
            Path::CustomerRegion => opt(t.customer.region.as_deref()),
            Path::Customer(f) => attr(t.customer.extra.get(f)),
            Path::ProductModel => opt(t.product.model.as_deref()),
            Path::Product(f) => attr(t.product.extra.get(f)),
            Path::Attribute(f) => attr(t.attributes.get(f)),
            Path::Category => opt(self.category.map(|c| c.1)),
            Path::Priority => opt(self.priority.map(|p| p.1)),
            // Read through `Keywords::prediction`, which keeps the evaluation's predictions.
            Path::Model(_) | Path::ModelConfidence(_) => Val::Missing,
        }
    }
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    True,
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Test {
        path: Path,
        test: CTest,
        text: Arc<str>,
    },
    // The commonest tests, each decided in one step (rules are mostly these).
    /// A string field equal to one of `values`.
    StrIs {
        field: StrField,
        values: Box<[Box<str>]>,
        text: Arc<str>,
    },
    /// `category` or `priority` is one of a set, by index.
    OneOf {
        priority: bool,
        ids: u64,
        text: Arc<str>,
    },
    /// A flag attribute equal to `value`.
    Flag {
        key: Box<str>,
        value: bool,
        text: Arc<str>,
    },
}

/// A ticket field that holds one optional string.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StrField {
    Id,
    Channel,
    Kind,
    Subject,
    Description,
    CustomerId,
    CustomerTier,
    CustomerRegion,
    ProductModel,
}

impl StrField {
    fn of(path: &Path) -> Option<StrField> {
        Some(match path {
            Path::Id => StrField::Id,
            Path::Channel => StrField::Channel,
            Path::Kind => StrField::Kind,
            Path::Subject => StrField::Subject,
            Path::Description => StrField::Description,
            Path::CustomerId => StrField::CustomerId,
            Path::CustomerTier => StrField::CustomerTier,
            Path::CustomerRegion => StrField::CustomerRegion,
            Path::ProductModel => StrField::ProductModel,
            _ => return None,
        })
    }

    // Out of line: inlined into a loop over rules, its field addresses get hoisted wholesale.
    #[inline(never)]
    fn get(self, t: &Ticket) -> Option<&str> {
        match self {
            StrField::Id => Some(&t.id),
            StrField::Channel => t.channel.as_deref(),
            StrField::Kind => t.kind.as_deref(),
            StrField::Subject => t.subject.as_deref(),
            StrField::Description => t.description.as_deref(),
            StrField::CustomerId => t.customer.id.as_deref(),
            StrField::CustomerTier => t.customer.tier.as_deref(),
            StrField::CustomerRegion => t.customer.region.as_deref(),
            StrField::ProductModel => t.product.model.as_deref(),
        }
    }
}

/// String equality that compares the short ids rules test (`phone`, `complaint`) a word at a
/// time instead of calling `memcmp`.
#[inline]
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    match n {
        0..8 => a.iter().zip(b).all(|(x, y)| x == y),
        // Two overlapping words cover 8 to 16 bytes.
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[derive(Debug, Clone)]
pub(crate) enum CTest {
    Eq(Scalar),
    In(Vec<Scalar>),
    Not(Box<CTest>),
    Cmp(CmpOp, f64),
    Keywords {
        slot: usize,
        /// The keywords' ids in the slot's automaton, as written (the trace names the first
        /// one found).
        patterns: Vec<usize>,
        /// The same ids as a bit set: a test looks up the few keywords found, not all of its own.
        mask: Box<[u64]>,
    },
    /// `category` or `priority` is one of a set, by index (bit `i` = the `i`th id).
    OneOf {
        priority: bool,
        ids: u64,
    },
    /// A pattern; `memo` is its result's place in the evaluation's [`Scan`] when the field
    /// holds still during an evaluation (the same pattern on the same field shares one place,
    /// so a policy that repeats a long pattern in several stages runs it once).
    Matches {
        re: Pattern,
        memo: Option<usize>,
    },
    Exists(bool),
    All(Vec<CTest>),
}

/// The keywords of one field while compiling: in id order, and the id of each.
type SlotKeywords = (Path, Vec<Arc<str>>, HashMap<Arc<str>, usize>);

/// Builds the conditions of a policy, sharing one keyword automaton per field.
#[derive(Default)]
pub(crate) struct Compiler {
    slots: Vec<SlotKeywords>,
    categories: Vec<String>,
    priorities: Vec<String>,
    /// The names of the policy's models, in order.
    pub(crate) models: Vec<String>,
    /// Each (field, pattern) with a memo place, and its place.
    memos: HashMap<(Path, String), usize>,
}

impl Compiler {
    /// A compiler for a policy with these category and priority ids, in order.
    pub(crate) fn new(categories: Vec<String>, priorities: Vec<String>) -> Compiler {
        Compiler {
            slots: Vec::new(),
            categories,
            priorities,
            models: Vec::new(),
            memos: HashMap::new(),
        }
    }

    /// `category`/`priority` equal to one of `values`, as an index set, when the ids fit one.
    fn one_of(&self, path: &Path, values: &[Scalar]) -> Option<CTest> {
        let (priority, names) = match path {
            Path::Category => (false, &self.categories),
            Path::Priority => (true, &self.priorities),
            _ => return None,
        };
        if names.len() > 64 {
            return None;
        }
        let mut ids = 0u64;
        for v in values {
            // A number or a boolean never equals an id; an unknown id matches nothing.
            if let Scalar::Str(s) = v {
                if let Some(i) = names.iter().position(|n| n == s) {
                    ids |= 1 << i;
                }
            }
        }
        Some(CTest::OneOf { priority, ids })
    }

    pub(crate) fn condition(&mut self, cond: Option<&Condition>) -> Cond {
        match cond {
            None => Cond::True,
            Some(c) => self.compile(c),
        }
    }

    fn compile(&mut self, cond: &Condition) -> Cond {
        match cond {
            Condition::All(c) if c.is_empty() => Cond::True,
            // A group of one is that one, a step less to walk.
            Condition::All(c) | Condition::Any(c) if c.len() == 1 => match c.first() {
                Some(only) => self.compile(only),
                None => Cond::True,
            },
            Condition::All(c) => Cond::All(c.iter().map(|c| self.compile(c)).collect()),
            Condition::Any(c) => Cond::Any(c.iter().map(|c| self.compile(c)).collect()),
            Condition::Not(c) => Cond::Not(Box::new(self.compile(c))),
            Condition::Test(t) => {
                let path = Path::from_field(&t.field, &self.models);
                let test = self.test(&path, &t.test);
                let text: Arc<str> = t.text.as_str().into();
                let strings = |values: &[Scalar]| -> Option<Box<[Box<str>]>> {
                    values
                        .iter()
                        .map(|v| match v {
                            Scalar::Str(s) => Some(s.as_str().into()),
                            _ => None,
                        })
                        .collect()
                };
                match (&test, &path) {
                    (CTest::OneOf { priority, ids }, _) => Cond::OneOf {
                        priority: *priority,
                        ids: *ids,
                        text,
                    },
                    (CTest::Eq(Scalar::Bool(value)), Path::Attribute(key)) => Cond::Flag {
                        key: key.as_str().into(),
                        value: *value,
                        text,
                    },
                    (CTest::Eq(v), _) => {
                        match (StrField::of(&path), strings(std::slice::from_ref(v))) {
                            (Some(field), Some(values)) => Cond::StrIs {
                                field,
                                values,
                                text,
                            },
                            _ => Cond::Test { path, test, text },
                        }
                    }
                    (CTest::In(v), _) => match (StrField::of(&path), strings(v)) {
                        (Some(field), Some(values)) => Cond::StrIs {
                            field,
                            values,
                            text,
                        },
                        _ => Cond::Test { path, test, text },
                    },
                    _ => Cond::Test { path, test, text },
                }
            }
        }
    }

    fn test(&mut self, path: &Path, test: &Test) -> CTest {
        match test {
            Test::Eq(v) => self
                .one_of(path, std::slice::from_ref(v))
                .unwrap_or_else(|| CTest::Eq(v.clone())),
            Test::In(v) => self.one_of(path, v).unwrap_or_else(|| CTest::In(v.clone())),
            Test::Not(t) => CTest::Not(Box::new(self.test(path, t))),
            Test::Cmp(op, n) => CTest::Cmp(*op, *n),
            // A model's label is no text to scan: its substrings are tested directly.
            Test::ContainsAny(needles)
                if matches!(path, Path::Model(_) | Path::ModelConfidence(_)) =>
            {
                let alternatives: Vec<String> = needles.iter().map(|n| escape(n)).collect();
                match Pattern::new(
                    &format!("(?i){}", alternatives.join("|")),
                    crate::limits::Limits::DEFAULT.max_pattern_bytes,
                ) {
                    Ok(re) => CTest::Matches { re, memo: None },
                    Err(_) => CTest::Exists(false),
                }
            }
            Test::ContainsAny(needles) => {
                let slot = match self.slots.iter().position(|(p, _, _)| p == path) {
                    Some(i) => i,
                    None => {
                        self.slots.push((path.clone(), Vec::new(), HashMap::new()));
                        self.slots.len() - 1
                    }
                };
                let mut patterns = Vec::with_capacity(needles.len());
                if let Some((_, list, ids)) = self.slots.get_mut(slot) {
                    for n in needles {
                        let id = *ids.entry(n.as_str().into()).or_insert_with(|| {
                            list.push(n.as_str().into());
                            list.len() - 1
                        });
                        patterns.push(id);
                    }
                }
                let mut mask = vec![0u64; patterns.iter().max().map_or(0, |m| m / 64 + 1)];
                for &p in &patterns {
                    if let Some(w) = mask.get_mut(p / 64) {
                        *w |= 1 << (p % 64);
                    }
                }
                CTest::Keywords {
                    slot,
                    patterns,
                    mask: mask.into(),
                }
            }
            Test::Matches(re) => {
                // `category` and `priority` change between stages, a model's label is no text.
                let holds_still = !matches!(
                    path,
                    Path::Category | Path::Priority | Path::Model(_) | Path::ModelConfidence(_)
                );
                let memo = holds_still.then(|| {
                    let next = self.memos.len();
                    *self
                        .memos
                        .entry((path.clone(), re.as_str().to_string()))
                        .or_insert(next)
                });
                CTest::Matches {
                    re: re.clone(),
                    memo,
                }
            }
            Test::Exists(b) => CTest::Exists(*b),
            Test::All(t) => CTest::All(t.iter().map(|t| self.test(path, t)).collect()),
        }
    }

    /// Builds the automata. Fails only if the keyword set is too large for the automaton.
    pub(crate) fn finish(self) -> Result<Keywords, aho_corasick::BuildError> {
        let mut slots = Vec::with_capacity(self.slots.len());
        for (path, needles, _) in self.slots {
            let automaton = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                // A contiguous NFA builds in a fraction of a DFA's time over CJK keyword sets
                // and searches short ticket texts nearly as fast: policies load in ~2 ms.
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(needles.iter().map(|n| n.as_bytes()))?;
            slots.push(KeywordSlot {
                path,
                automaton,
                needles,
            });
        }
        let derived = slots
            .iter()
            .enumerate()
            .filter(|(_, k)| matches!(k.path, Path::Category | Path::Priority))
            .map(|(i, _)| i)
            .collect();
        Ok(Keywords {
            slots,
            derived,
            memos: self.memos.len(),
            models: Vec::new(),
        })
    }
}

/// `text` as a regular expression that matches it literally.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn scalar_eq(v: Val<'_>, s: &Scalar) -> bool {
    match (v, s) {
        (Val::Str(a), Scalar::Str(b)) => same(a, b),
        (Val::Text(a, b), Scalar::Str(x)) => a == Some(x.as_str()) || b == Some(x.as_str()),
        (Val::Num(a), Scalar::Num(b)) => a == *b,
        (Val::Bool(a), Scalar::Bool(b)) => a == *b,
        (Val::List(items), Scalar::Str(b)) => items.iter().any(|i| i == b),
        _ => false,
    }
}

fn text_parts<'t>(v: Val<'t>) -> [Option<&'t str>; 2] {
    match v {
        Val::Str(s) => [Some(s), None],
        Val::Text(a, b) => [a, b],
        _ => [None, None],
    }
}

/// The general test, kept out of line: `Cond::eval` stays small for the common one-step tests,
/// which saves most of its cost per call.
#[inline(never)]
fn eval_test(
    path: &Path,
    test: &CTest,
    subject: &Subject<'_>,
    kw: &Keywords,
    scan: &mut Scan,
) -> bool {
    let v = value(path, subject, kw, scan);
    test.eval(v, subject, kw, scan)
}

/// A field's value, model predictions included (computed on first use, then kept in `scan`).
fn value<'a>(path: &Path, subject: &Subject<'a>, kw: &'a Keywords, scan: &mut Scan) -> Val<'a> {
    match path {
        Path::Model(i) => kw
            .prediction(*i, subject.ticket, scan)
            .map_or(Val::Missing, |(label, _)| Val::Str(label)),
        Path::ModelConfidence(i) => kw
            .prediction(*i, subject.ticket, scan)
            .map_or(Val::Missing, |(_, c)| Val::Num(c)),
        _ => subject.get(path),
    }
}

impl Cond {
    pub(crate) fn eval(&self, subject: &Subject<'_>, kw: &Keywords, scan: &mut Scan) -> bool {
        match self {
            Cond::All(c) => c.iter().all(|c| c.step(subject, kw, scan)),
            Cond::Any(c) => c.iter().any(|c| c.step(subject, kw, scan)),
            Cond::Not(c) => !c.step(subject, kw, scan),
            Cond::Test { path, test, .. } => eval_test(path, test, subject, kw, scan),
            leaf => leaf.step(subject, kw, scan),
        }
    }

    /// One-step tests decided in place, groups by a call: walking a group's leaves then costs
    /// no call per leaf.
    #[inline(always)]
    pub(super) fn step(&self, subject: &Subject<'_>, kw: &Keywords, scan: &mut Scan) -> bool {
        match self {
            Cond::True => true,
            Cond::StrIs { field, values, .. } => field
                .get(subject.ticket)
                .is_some_and(|v| values.iter().any(|x| same(x, v))),
            Cond::OneOf { priority, ids, .. } => {
                let decided = if *priority {
                    subject.priority
                } else {
                    subject.category
                };
                decided.is_some_and(|(i, _)| i < 64 && ids & (1 << i) != 0)
            }
            Cond::Flag { key, value, .. } => {
                matches!(subject.ticket.attributes.get(&**key), Some(AttrValue::Bool(b)) if b == value)
            }
            Cond::Test { path, test, .. } => eval_test(path, test, subject, kw, scan),
            group => group.eval(subject, kw, scan),
        }
    }

    /// The tests that made this condition true, as they read in a trace (with the keyword
    /// that was found, for keyword tests). Call only when `eval` returned true.
    pub(crate) fn explain(
        &self,
        subject: &Subject<'_>,
        kw: &Keywords,
        scan: &mut Scan,
        out: &mut Vec<String>,
    ) {
        match self {
            Cond::True => {}
            Cond::All(c) => c.iter().for_each(|c| c.explain(subject, kw, scan, out)),
            Cond::Any(c) => {
                if let Some(c) = c.iter().find(|c| c.eval(subject, kw, scan)) {
                    c.explain(subject, kw, scan, out);
                }
            }
            Cond::Not(c) => out.push(format!("not ({})", c.describe())),
            Cond::StrIs { text, .. } | Cond::OneOf { text, .. } | Cond::Flag { text, .. } => {
                out.push(text.to_string())
            }
            Cond::Test { path, test, text } => {
                if let CTest::Keywords { slot, patterns, .. } = test {
                    let hit = kw.found(*slot, subject, scan).and_then(|f| {
                        patterns
                            .iter()
                            .find(|p| f.contains(**p))
                            .and_then(|p| kw.slots.get(*slot).and_then(|s| s.needles.get(*p)))
                    });
                    if let Some(needle) = hit {
                        let field = text.split(' ').next().unwrap_or("text");
                        out.push(format!("{field} contains {needle:?}"));
                        return;
                    }
                }
                // A comparison says what the ticket held, so a reader sees why it passed.
                match (test, value(path, subject, kw, scan)) {
                    (CTest::Cmp(..) | CTest::All(_), Val::Num(x)) => {
                        out.push(format!("{text} (value {x})"))
                    }
                    _ => out.push(text.to_string()),
                }
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Cond::True => "always".into(),
            Cond::All(c) => c
                .iter()
                .map(Cond::describe)
                .collect::<Vec<_>>()
                .join(" and "),
            Cond::Any(c) => c
                .iter()
                .map(Cond::describe)
                .collect::<Vec<_>>()
                .join(" or "),
            Cond::Not(c) => format!("not ({})", c.describe()),
            Cond::Test { text, .. }
            | Cond::StrIs { text, .. }
            | Cond::OneOf { text, .. }
            | Cond::Flag { text, .. } => text.to_string(),
        }
    }
}

impl CTest {
    fn eval(&self, v: Val<'_>, subject: &Subject<'_>, kw: &Keywords, scan: &mut Scan) -> bool {
        if let CTest::Exists(want) = self {
            return !matches!(v, Val::Missing) == *want;
        }
        match self {
            // A missing field fails every test but `exists = false`, so under `not` it passes
            // them, except that `not = { exists = false }` (the field exists) fails.
            CTest::Not(t) => return !t.eval(v, subject, kw, scan),
            // Operators in one table are tested on the same value, missing or not.
            CTest::All(t) => return t.iter().all(|t| t.eval(v, subject, kw, scan)),
            _ => {}
        }
        if matches!(v, Val::Missing) {
            return false;
        }
        match self {
            CTest::Eq(s) => scalar_eq(v, s),
            CTest::In(items) => items.iter().any(|s| scalar_eq(v, s)),
            CTest::Cmp(op, n) => match v {
                Val::Num(x) => match op {
                    CmpOp::Gt => x > *n,
                    CmpOp::Gte => x >= *n,
                    CmpOp::Lt => x < *n,
                    CmpOp::Lte => x <= *n,
                },
                _ => false,
            },
            CTest::Keywords { slot, mask, .. } => kw.found(*slot, subject, scan).is_some_and(|f| {
                f.ids()
                    .any(|i| mask.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0))
            }),
            CTest::OneOf { priority, ids } => {
                let decided = if *priority {
                    subject.priority
                } else {
                    subject.category
                };
                decided.is_some_and(|(i, _)| i < 64 && ids & (1 << i) != 0)
            }
            CTest::Matches { re, memo } => {
                if let Some(known) = memo.and_then(|m| scan.pattern_result(m)) {
                    return known;
                }
                let hit = match v {
                    Val::List(items) => items.iter().any(|s| re.is_match(s)),
                    _ => text_parts(v).into_iter().flatten().any(|s| re.is_match(s)),
                };
                if let Some(m) = *memo {
                    scan.remember_pattern(m, kw.memos, hit);
                }
                hit
            }
            CTest::Exists(_) | CTest::Not(_) | CTest::All(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_compare_like_strings() {
        let words = [
            "",
            "a",
            "phone",
            "complaint",
            "consultation",
            "exactly8",
            "sixteen-bytes-xx",
            "a longer text than sixteen",
        ];
        for a in words {
            for b in words {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
                let changed = format!("{b}!");
                assert_eq!(same(a, &changed), a == changed, "{a:?} {changed:?}");
            }
        }
        // A difference in the middle of an 8-to-16-byte id is seen.
        assert!(!same("abcdefghijkl", "abcdefXhijkl"));
    }
}
