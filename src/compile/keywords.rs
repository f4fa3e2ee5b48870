//! Keyword automata: one Aho-Corasick automaton per field over every keyword the policy tests
//! on it, and the per-evaluation record of what was found.

use std::sync::Arc;

use aho_corasick::AhoCorasick;

use super::condition::{Path, Subject, Val};

/// One automaton over all the keywords a rule set tests on one field.
#[derive(Debug)]
pub(super) struct KeywordSlot {
    pub(super) path: Path,
    pub(super) automaton: AhoCorasick,
    pub(super) needles: Vec<Arc<str>>,
}

/// The keyword automata of a policy: one per field, shared by every stage, so that a ticket's
/// text is scanned once per evaluation however many stages test it.
#[derive(Debug, Default)]
pub(crate) struct Keywords {
    pub(super) slots: Vec<KeywordSlot>,
    /// The slots on `category` and `priority`, which change between stages.
    pub(super) derived: Vec<usize>,
    /// How many pattern results an evaluation may remember ([`Scan::pattern_result`]).
    pub(super) memos: usize,
    /// `[models]`: each model's name and the model, loaded once and shared.
    pub(crate) models: Vec<(Arc<str>, Arc<crate::text::Model>)>,
}

impl Keywords {
    /// The memory the keyword automata take, counted in the policy's pattern budget.
    pub(crate) fn memory_usage(&self) -> usize {
        self.slots
            .iter()
            .map(|s| s.automaton.memory_usage())
            .fold(0, usize::saturating_add)
    }

    /// Model `i`'s label and confidence for the ticket's subject and description: predicted
    /// on first use in an evaluation, then kept in `scan`.
    pub(crate) fn prediction<'k>(
        &'k self,
        i: usize,
        ticket: &crate::ticket::Ticket,
        scan: &mut Scan,
    ) -> Option<(&'k str, f64)> {
        let (_, model) = self.models.get(i)?;
        if scan.predictions.len() < self.models.len() {
            scan.predictions.resize(self.models.len(), None);
        }
        let (index, confidence) = match scan.predictions.get(i).copied().flatten() {
            Some(p) => p,
            None => {
                // The words and n-grams of the text are the costly part; models that extract
                // alike (the usual case: the same tokenizer and settings) share them.
                let shared = scan
                    .extracted_by
                    .and_then(|j| self.models.get(j))
                    .is_some_and(|(_, other)| {
                        Arc::ptr_eq(other, model) || other.extracts_like(model)
                    });
                let scratch = scan.text_scratch.get_or_insert_with(Default::default);
                if !shared {
                    model.extract(&crate::text::ticket_text(ticket), scratch);
                    scan.extracted_by = Some(i);
                }
                let p = model.predict_extracted(scratch);
                if let Some(cell) = scan.predictions.get_mut(i) {
                    *cell = Some(p);
                }
                p
            }
        };
        Some((model.labels().get(index)?.as_str(), confidence))
    }
}

/// Which keywords were found in a ticket, per slot, computed on first use and kept for the
/// rest of the evaluation.
#[derive(Default)]
pub(crate) struct Scan {
    /// The first few fields inline (a rule set rarely scans more), the rest on the heap.
    inline: [Option<Found>; INLINE_SLOTS],
    more: Vec<Option<Found>>,
    /// Each model's prediction (label index, confidence), once computed; empty without models.
    predictions: Vec<Option<(usize, f64)>>,
    /// The raw text features of this ticket, once a model extracted them, and which model did.
    text_scratch: Option<Box<crate::text::Scratch>>,
    extracted_by: Option<usize>,
    /// Pattern results by memo place, two bits each (known, and the result): the first 128
    /// places inline, more on the heap.
    patterns: [u64; PATTERN_WORDS],
    more_patterns: Vec<u64>,
}

const INLINE_SLOTS: usize = 4;
const PATTERN_WORDS: usize = 4;

impl Scan {
    /// Forgets what was found in `category` and `priority`: a stage has just set them.
    pub(crate) fn forget_derived(&mut self, kw: &Keywords) {
        for &i in &kw.derived {
            if let Some(cell) = self.cell(i, kw.slots.len()) {
                *cell = None;
            }
        }
    }

    /// A pattern's result at memo place `m`, if this evaluation has tested it.
    pub(super) fn pattern_result(&self, m: usize) -> Option<bool> {
        let i = m / 32;
        let word = match i.checked_sub(PATTERN_WORDS) {
            None => self.patterns.get(i)?,
            Some(j) => self.more_patterns.get(j)?,
        };
        let at = (m % 32) * 2;
        (word >> at & 1 == 1).then_some(word >> (at + 1) & 1 == 1)
    }

    pub(super) fn remember_pattern(&mut self, m: usize, places: usize, hit: bool) {
        let i = m / 32;
        let word = match i.checked_sub(PATTERN_WORDS) {
            None => self.patterns.get_mut(i),
            Some(j) => {
                let more = places.div_ceil(32).saturating_sub(PATTERN_WORDS);
                if self.more_patterns.len() < more {
                    self.more_patterns.resize(more, 0);
                }
                self.more_patterns.get_mut(j)
            }
        };
        if let Some(word) = word {
            *word |= (1 | u64::from(hit) << 1) << ((m % 32) * 2);
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
pub(super) struct Found {
    len: u8,
    inline: [u32; FOUND_INLINE],
    more: Vec<u32>,
}

const FOUND_INLINE: usize = 6;

impl Found {
    pub(super) fn insert(&mut self, i: usize) {
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
    pub(super) fn contains(&self, i: usize) -> bool {
        self.ids().any(|x| x == i)
    }
    pub(super) fn ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.inline
            .iter()
            .take(usize::from(self.len))
            .chain(&self.more)
            .map(|&x| x as usize)
    }
}

impl Keywords {
    pub(super) fn found<'s>(
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
}
