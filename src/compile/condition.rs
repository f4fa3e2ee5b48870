//! Compiled `when` conditions: field paths resolved to accessors, keyword lists folded into one
//! Aho-Corasick automaton per field and rule set, regexes compiled once.
//!
//! Evaluation walks these prepared structures; a ticket's text is scanned at most once per
//! field per rule set, and only when a rule actually needs it.

use std::collections::HashMap;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::check::{CmpOp, Condition, Field, Pattern, Scalar, Test};
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

/// The ticket plus what earlier stages decided: each as its id and its index in the policy's
/// list (tests on them compare indices).
#[derive(Clone, Copy)]
pub(crate) struct Subject<'t> {
    pub(crate) ticket: &'t Ticket,
    pub(crate) category: Option<(usize, &'t str)>,
    pub(crate) priority: Option<(usize, &'t str)>,
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
            Path::Category => opt(self.category.map(|c| c.1)),
            Path::Priority => opt(self.priority.map(|p| p.1)),
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

/// The keyword automata of a policy: one per field, shared by every stage, so that a ticket's
/// text is scanned once per evaluation however many stages test it.
#[derive(Debug, Default)]
pub(crate) struct Keywords {
    slots: Vec<KeywordSlot>,
    /// The slots on `category` and `priority`, which change between stages.
    derived: Vec<usize>,
}

/// Which keywords were found in a ticket, per slot, computed on first use and kept for the
/// rest of the evaluation.
#[derive(Default)]
pub(crate) struct Scan {
    /// The first few fields inline (a rule set rarely scans more), the rest on the heap.
    inline: [Option<Found>; INLINE_SLOTS],
    more: Vec<Option<Found>>,
}

const INLINE_SLOTS: usize = 4;

impl Scan {
    /// Forgets what was found in `category` and `priority`: a stage has just set them.
    pub(crate) fn forget_derived(&mut self, kw: &Keywords) {
        for &i in &kw.derived {
            if let Some(cell) = self.cell(i, kw.slots.len()) {
                *cell = None;
            }
        }
    }

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

/// The ids of the keywords found in one field: a handful inline, the rest (rare: a text that
/// hits many keywords) on the heap.
#[derive(Debug, Clone, Default)]
struct Found {
    len: u8,
    inline: [u32; FOUND_INLINE],
    more: Vec<u32>,
}

const FOUND_INLINE: usize = 6;

impl Found {
    fn insert(&mut self, i: usize) {
        let Ok(i) = u32::try_from(i) else { return };
        if self.contains(i as usize) {
            return;
        }
        match self.inline.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = i;
                self.len += 1;
            }
            None => self.more.push(i),
        }
    }
    fn contains(&self, i: usize) -> bool {
        self.ids().any(|x| x == i)
    }
    fn ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.inline
            .iter()
            .take(usize::from(self.len))
            .chain(&self.more)
            .map(|&x| x as usize)
    }
}

impl Keywords {
    fn found<'s>(
        &self,
        slot: usize,
        subject: &Subject<'_>,
        scan: &'s mut Scan,
    ) -> Option<&'s Found> {
        let k = self.slots.get(slot)?;
        let cell = scan.cell(slot, self.slots.len())?;
        if cell.is_none() {
            let mut found = Found::default();
            let mut feed = |hay: &str| {
                // ASCII case is folded by the automaton; other scripts with case (É, Ж, Ａ…) are
                // lower-cased first, which costs an allocation only for such text.
                if may_have_upper(hay) && hay.chars().any(|c| may_have_case(c) && c.is_uppercase())
                {
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

/// Whether `text` has a byte that can start a non-ASCII letter with case: a whole-text byte
/// test that lets Chinese text (lead bytes E4–E9) skip decoding characters.
fn may_have_upper(text: &str) -> bool {
    // Lead bytes of U+0080–U+2FFF, U+A000–U+AFFF, U+F000–U+FFFF and beyond U+FFFF.
    text.bytes().fold(false, |any, b| {
        any | matches!(b, 0xC2..=0xE2 | 0xEA | 0xEF | 0xF0..=0xF4)
    })
}

/// Whether `c` can be a non-ASCII upper-case letter: not for the CJK blocks, Hangul and the
/// other caseless ranges that make up most non-Latin ticket text (saves a table lookup each).
fn may_have_case(c: char) -> bool {
    let u = u32::from(c);
    (0x80..0x3000).contains(&u)
        || (0xA640..0xAC00).contains(&u)
        || (0xFF00..0xFF60).contains(&u)
        || u >= 0x10000
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
    Matches(Pattern),
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
}

impl Compiler {
    /// A compiler for a policy with these category and priority ids, in order.
    pub(crate) fn new(categories: Vec<String>, priorities: Vec<String>) -> Compiler {
        Compiler {
            slots: Vec::new(),
            categories,
            priorities,
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
                let path = Path::from_field(&t.field);
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
            Test::Matches(re) => CTest::Matches(re.clone()),
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
        Ok(Keywords { slots, derived })
    }
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
    test.eval(subject.get(path), subject, kw, scan)
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
    fn step(&self, subject: &Subject<'_>, kw: &Keywords, scan: &mut Scan) -> bool {
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
            CTest::Matches(re) => match v {
                Val::List(items) => items.iter().any(|s| re.is_match(s)),
                _ => text_parts(v).into_iter().flatten().any(|s| re.is_match(s)),
            },
            CTest::Exists(_) | CTest::Not(_) | CTest::All(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_non_ascii_upper_case_letter_is_looked_at() {
        // The shortcuts may only skip text that has no such letter.
        for c in (0x80..=0x10FFFF).filter_map(char::from_u32) {
            if c.is_uppercase() {
                assert!(may_have_case(c), "{c:?}");
                assert!(may_have_upper(c.encode_utf8(&mut [0; 4])), "{c:?}");
            }
        }
        assert!(!may_have_upper("空调制冷效果差,联系售后未得到解决"));
        assert!(!may_have_upper("plain ASCII TEXT"));
    }

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

/// A rule set's conditions as one flat program: each step tests one leaf and names the step
/// to go to when it holds and when it does not, so finding the first matching rule walks an
/// array with no call per rule or group. `and`, `or` and `not` become jumps.
#[derive(Debug, Default)]
pub(crate) struct Program {
    steps: Vec<Step>,
    rules: usize,
}

#[derive(Debug)]
struct Step {
    leaf: Cond,
    yes: u32,
    no: u32,
}

/// A jump target at or above this is an outcome, not a step: `DONE + i` is "rule `i`
/// matched", `DONE + rules` is "no rule matched".
const DONE: u32 = 1 << 31;

impl Program {
    /// The program of a rule set's conditions, in order.
    pub(crate) fn build<'c>(conds: impl ExactSizeIterator<Item = &'c Cond>) -> Option<Program> {
        let rules = u32::try_from(conds.len()).ok().filter(|n| *n < DONE)?;
        let mut b = Builder {
            steps: Vec::new(),
            labels: Vec::new(),
        };
        // Label `i` starts rule `i`; label `rules` means "no rule matched".
        b.labels.resize(rules as usize + 1, None);
        if let Some(none) = b.labels.last_mut() {
            *none = Some(DONE + rules);
        }
        for (i, cond) in conds.enumerate() {
            b.place(i);
            let rule = u32::try_from(i).ok()?;
            b.emit(cond, Target::Out(DONE + rule), Target::Label(i + 1));
        }
        let steps = b.finish()?;
        Some(Program {
            steps,
            rules: rules as usize,
        })
    }

    /// The index of the first rule whose condition holds.
    pub(crate) fn first_match(
        &self,
        subject: &Subject<'_>,
        kw: &Keywords,
        scan: &mut Scan,
    ) -> Option<usize> {
        let mut at = 0u32;
        loop {
            // No steps at all: there are no rules.
            let step = self.steps.get(at as usize)?;
            at = if step.leaf.step(subject, kw, scan) {
                step.yes
            } else {
                step.no
            };
            if at >= DONE {
                let rule = (at - DONE) as usize;
                return (rule < self.rules).then_some(rule);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Target {
    /// A label, resolved to a step or an outcome once the program is complete.
    Label(usize),
    Out(u32),
}

struct Builder {
    steps: Vec<(Cond, Target, Target)>,
    labels: Vec<Option<u32>>,
}

impl Builder {
    fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }

    fn place(&mut self, label: usize) {
        let here = u32::try_from(self.steps.len()).unwrap_or(DONE);
        if let Some(slot) = self.labels.get_mut(label) {
            *slot = Some(here);
        }
    }

    /// Code that goes to `yes` when `cond` holds and to `no` when it does not.
    fn emit(&mut self, cond: &Cond, yes: Target, no: Target) {
        match cond {
            Cond::All(parts) => match parts.split_last() {
                None => self.steps.push((Cond::True, yes, no)),
                Some((last, rest)) => {
                    for part in rest {
                        let next = self.label();
                        self.emit(part, Target::Label(next), no);
                        self.place(next);
                    }
                    self.emit(last, yes, no);
                }
            },
            Cond::Any(options) => match options.split_last() {
                // No option can hold.
                None => self.steps.push((Cond::Not(Box::new(Cond::True)), yes, no)),
                Some((last, rest)) => {
                    for option in rest {
                        let next = self.label();
                        self.emit(option, yes, Target::Label(next));
                        self.place(next);
                    }
                    self.emit(last, yes, no);
                }
            },
            Cond::Not(inner) => self.emit(inner, no, yes),
            leaf => self.steps.push((leaf.clone(), yes, no)),
        }
    }

    fn finish(self) -> Option<Vec<Step>> {
        let labels = self.labels;
        let resolve = |t: Target| match t {
            Target::Out(o) => Some(o),
            Target::Label(l) => labels.get(l).copied().flatten(),
        };
        self.steps
            .into_iter()
            .map(|(leaf, yes, no)| {
                Some(Step {
                    leaf,
                    yes: resolve(yes)?,
                    no: resolve(no)?,
                })
            })
            .collect()
    }
}
