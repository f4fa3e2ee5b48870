//! Compiled `when` conditions: field paths resolved to accessors, keyword lists folded into one
//! Aho-Corasick automaton per field and rule set, regexes compiled once.
//!
//! Evaluation walks these prepared structures; a ticket's text is scanned at most once per
//! field per rule set, and only when a rule actually needs it.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::model::{CmpOp, Condition, Field, Pattern, Scalar, Test};
use crate::ticket::{AttrValue, Ticket};

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
}

impl Path {
    fn from_field(field: &Field) -> Path {
        match field {
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
enum Val<'t> {
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

/// The ticket plus what earlier stages decided.
pub(crate) struct Subject<'t> {
    pub(crate) ticket: &'t Ticket,
    pub(crate) category: Option<&'t str>,
    pub(crate) priority: Option<&'t str>,
}

impl<'t> Subject<'t> {
    fn get(&self, path: &Path) -> Val<'t> {
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
            Path::Category => opt(self.category),
            Path::Priority => opt(self.priority),
        }
    }
}

/// One automaton over all the keywords a rule set tests on one field.
#[derive(Debug)]
struct KeywordSlot {
    path: Path,
    automaton: AhoCorasick,
    needles: Vec<Arc<str>>,
}

/// The keyword automata of one rule set (one stage).
#[derive(Debug, Default)]
pub(crate) struct Keywords {
    slots: Vec<KeywordSlot>,
}

/// Which keywords were found in a ticket, per slot, computed on first use.
pub(crate) struct Scan {
    /// The first few fields inline (a rule set rarely scans more), the rest on the heap.
    inline: [Option<Found>; INLINE_SLOTS],
    more: Vec<Option<Found>>,
}

const INLINE_SLOTS: usize = 4;

impl Scan {
    fn cell(&mut self, slot: usize, slots: usize) -> Option<&mut Option<Found>> {
        if slot < INLINE_SLOTS {
            return self.inline.get_mut(slot);
        }
        if self.more.len() < slots.saturating_sub(INLINE_SLOTS) {
            self.more.resize(slots - INLINE_SLOTS, None);
        }
        self.more.get_mut(slot - INLINE_SLOTS)
    }
}

/// A set of pattern ids.
#[derive(Debug, Clone)]
enum Found {
    Small(u128),
    Large(Vec<u64>),
}

impl Found {
    fn new(n: usize) -> Found {
        if n <= 128 {
            Found::Small(0)
        } else {
            Found::Large(vec![0; n.div_ceil(64)])
        }
    }
    fn insert(&mut self, i: usize) {
        match self {
            Found::Small(bits) => *bits |= 1u128 << i,
            Found::Large(words) => {
                if let Some(w) = words.get_mut(i / 64) {
                    *w |= 1u64 << (i % 64);
                }
            }
        }
    }
    fn contains(&self, i: usize) -> bool {
        match self {
            Found::Small(bits) => i < 128 && bits & (1u128 << i) != 0,
            Found::Large(words) => words
                .get(i / 64)
                .is_some_and(|w| w & (1u64 << (i % 64)) != 0),
        }
    }
}

impl Keywords {
    pub(crate) fn scan(&self) -> Scan {
        Scan {
            inline: Default::default(),
            more: Vec::new(),
        }
    }

    fn found<'s>(
        &self,
        slot: usize,
        subject: &Subject<'_>,
        scan: &'s mut Scan,
    ) -> Option<&'s Found> {
        let k = self.slots.get(slot)?;
        let cell = scan.cell(slot, self.slots.len())?;
        if cell.is_none() {
            let mut found = Found::new(k.needles.len());
            let mut feed = |hay: &str| {
                // ASCII case is folded by the automaton; other scripts with case (É, Ж, Ａ…) are
                // lower-cased first, which costs an allocation only for such text.
                if hay.chars().any(|c| !c.is_ascii() && c.is_uppercase()) {
                    let lower = hay.to_lowercase();
                    for m in k.automaton.find_overlapping_iter(&lower) {
                        found.insert(m.pattern().as_usize());
                    }
                } else {
                    for m in k.automaton.find_overlapping_iter(hay) {
                        found.insert(m.pattern().as_usize());
                    }
                }
            };
            match subject.get(&k.path) {
                Val::Str(s) => feed(s),
                Val::Text(a, b) => {
                    a.into_iter().chain(b).for_each(&mut feed);
                }
                Val::List(items) => items.iter().for_each(|s| feed(s)),
                Val::Missing | Val::Num(_) | Val::Bool(_) => {}
            }
            *cell = Some(found);
        }
        cell.as_ref()
    }
}

/// A compiled condition.
#[derive(Debug)]
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
}

#[derive(Debug)]
pub(crate) enum CTest {
    Eq(Scalar),
    In(Vec<Scalar>),
    Not(Box<CTest>),
    Cmp(CmpOp, f64),
    Keywords { slot: usize, patterns: Vec<usize> },
    Matches(Pattern),
    Exists(bool),
    All(Vec<CTest>),
}

/// Builds the conditions of one rule set, sharing one keyword automaton per field.
#[derive(Default)]
pub(crate) struct Compiler {
    slots: Vec<(Path, Vec<Arc<str>>)>,
}

impl Compiler {
    pub(crate) fn condition(&mut self, cond: Option<&Condition>) -> Cond {
        match cond {
            None => Cond::True,
            Some(c) => self.compile(c),
        }
    }

    fn compile(&mut self, cond: &Condition) -> Cond {
        match cond {
            Condition::All(c) if c.is_empty() => Cond::True,
            Condition::All(c) => Cond::All(c.iter().map(|c| self.compile(c)).collect()),
            Condition::Any(c) => Cond::Any(c.iter().map(|c| self.compile(c)).collect()),
            Condition::Not(c) => Cond::Not(Box::new(self.compile(c))),
            Condition::Test(t) => {
                let path = Path::from_field(&t.field);
                let test = self.test(&path, &t.test);
                Cond::Test {
                    path,
                    test,
                    text: t.text.as_str().into(),
                }
            }
        }
    }

    fn test(&mut self, path: &Path, test: &Test) -> CTest {
        match test {
            Test::Eq(v) => CTest::Eq(v.clone()),
            Test::In(v) => CTest::In(v.clone()),
            Test::Not(t) => CTest::Not(Box::new(self.test(path, t))),
            Test::Cmp(op, n) => CTest::Cmp(*op, *n),
            Test::ContainsAny(needles) => {
                let slot = match self.slots.iter().position(|(p, _)| p == path) {
                    Some(i) => i,
                    None => {
                        self.slots.push((path.clone(), Vec::new()));
                        self.slots.len() - 1
                    }
                };
                let mut patterns = Vec::with_capacity(needles.len());
                if let Some((_, list)) = self.slots.get_mut(slot) {
                    for n in needles {
                        let id = match list.iter().position(|x| **x == **n) {
                            Some(i) => i,
                            None => {
                                list.push(n.as_str().into());
                                list.len() - 1
                            }
                        };
                        patterns.push(id);
                    }
                }
                CTest::Keywords { slot, patterns }
            }
            Test::Matches(re) => CTest::Matches(re.clone()),
            Test::Exists(b) => CTest::Exists(*b),
            Test::All(t) => CTest::All(t.iter().map(|t| self.test(path, t)).collect()),
        }
    }

    /// Builds the automata. Fails only if the keyword set is too large for the automaton.
    pub(crate) fn finish(self) -> Result<Keywords, aho_corasick::BuildError> {
        let mut slots = Vec::with_capacity(self.slots.len());
        for (path, needles) in self.slots {
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
        Ok(Keywords { slots })
    }
}

fn scalar_eq(v: Val<'_>, s: &Scalar) -> bool {
    match (v, s) {
        (Val::Str(a), Scalar::Str(b)) => a == b,
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

impl Cond {
    pub(crate) fn eval(&self, subject: &Subject<'_>, kw: &Keywords, scan: &mut Scan) -> bool {
        match self {
            Cond::True => true,
            Cond::All(c) => c.iter().all(|c| c.eval(subject, kw, scan)),
            Cond::Any(c) => c.iter().any(|c| c.eval(subject, kw, scan)),
            Cond::Not(c) => !c.eval(subject, kw, scan),
            Cond::Test { path, test, .. } => test.eval(subject.get(path), subject, kw, scan),
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
            Cond::Test { path, test, text } => {
                if let CTest::Keywords { slot, patterns } = test {
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
                match (test, subject.get(path)) {
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
            Cond::Test { text, .. } => text.to_string(),
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
            CTest::Keywords { slot, patterns } => kw
                .found(*slot, subject, scan)
                .is_some_and(|f| patterns.iter().any(|p| f.contains(*p))),
            CTest::Matches(re) => match v {
                Val::List(items) => items.iter().any(|s| re.is_match(s)),
                _ => text_parts(v).into_iter().flatten().any(|s| re.is_match(s)),
            },
            CTest::Exists(_) | CTest::Not(_) | CTest::All(_) => false,
        }
    }
}
