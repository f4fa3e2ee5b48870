//! Hashed features of a text: word unigrams and bigrams, and character n-grams.
//!
//! Each feature is hashed into one of `2^buckets_log2` buckets by a fixed function (below), so
//! a model needs no vocabulary and the same text gives the same buckets on every run and
//! machine. Features come in two blocks: words (unigrams and bigrams) and characters
//! (n-grams of Han runs, and of other scripts' words within their boundaries). A feature's
//! value is TF-IDF, as the field's usual baseline computes it: the sublinear term frequency
//! `1 + ln(count)` times the inverse document frequency `ln((1 + n) / (1 + df)) + 1` of its
//! bucket, learnt from the `n` training texts and stored in the model; buckets the model does
//! not know are dropped; then each block is scaled to unit length (as a union of a word and
//! a character TF-IDF vectoriser does), so long and short tickets weigh alike.
//!
//! The hash: 64-bit state `h`, `mix(h, x) = rotl((h ^ x) * 0x9E3779B97F4A7C15, 31)`, finished
//! with the MurmurHash3 64-bit finaliser; the bucket is the finished hash's top `buckets_log2`
//! bits. A word starts from `SEED ^ 1` and mixes its UTF-8 bytes as little-endian 8-byte
//! chunks (the last one zero-padded), then its length in bytes. A bigram starts from
//! `SEED ^ 2` and mixes the two words' finished hashes. A character n-gram starts from
//! `SEED ^ 3` and mixes each character's code point; a word of another script is padded with
//! a space (U+0020) at each end first, as scikit-learn's `char_wb` analyser does.
//! `SEED = 0x243F6A8885A308D3`.

use super::tokenize::{is_han, normalize_into, Tokenizer};

const SEED: u64 = 0x243F_6A88_85A3_08D3;
const KIND_WORD: u64 = 1;
const KIND_BIGRAM: u64 = 2;
const KIND_CHARS: u64 = 3;

/// The block of word features (unigrams and bigrams).
pub(crate) const WORDS: u32 = 0;
/// The block of character n-grams.
pub(crate) const CHARS: u32 = 1;

#[inline]
fn mix(h: u64, x: u64) -> u64 {
    (h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(31)
}

#[inline]
fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

fn word_hash(word: &str) -> u64 {
    let bytes = word.as_bytes();
    let mut h = SEED ^ KIND_WORD;
    let mut chunks = bytes.chunks_exact(8);
    for c in chunks.by_ref() {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(b));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        b.iter_mut().zip(rest).for_each(|(d, s)| *d = *s);
        h = mix(h, u64::from_le_bytes(b));
    }
    finish(mix(h, bytes.len() as u64))
}

/// Which features a model reads from text, and how many buckets they hash into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeatureConfig {
    /// `2^buckets_log2` hash buckets (10..=22). Default 18 (262,144).
    pub buckets_log2: u8,
    /// Pairs of adjacent words as well as single words. Default on.
    pub word_bigrams: bool,
    /// Shortest character n-gram; 0 for none. Default 1.
    pub char_ngram_min: u8,
    /// Longest character n-gram; 0 for none. Default 3.
    pub char_ngram_max: u8,
    /// Character n-grams of words in other scripts than Han too (each word padded with a
    /// space at both ends), not only of Han runs: they catch inflections and misspellings of
    /// English words. Default on.
    pub word_char_ngrams: bool,
}

impl FeatureConfig {
    /// The defaults.
    pub const DEFAULT: FeatureConfig = FeatureConfig {
        buckets_log2: 18,
        word_bigrams: true,
        char_ngram_min: 1,
        char_ngram_max: 3,
        word_char_ngrams: true,
    };

    /// Why this configuration cannot be used, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if !(10..=22).contains(&self.buckets_log2) {
            return Err(format!(
                "buckets_log2 is {}; it must be 10..=22",
                self.buckets_log2
            ));
        }
        let (lo, hi) = (self.char_ngram_min, self.char_ngram_max);
        if (lo == 0) != (hi == 0) || lo > hi || hi > 8 {
            return Err(format!(
                "character n-grams {lo}..={hi}: both 0 (none) or 1 <= min <= max <= 8"
            ));
        }
        Ok(())
    }

    pub(crate) fn buckets(&self) -> usize {
        1 << self.buckets_log2
    }

    fn bucket(&self, h: u64) -> u32 {
        // Top bits: the finaliser spreads every input bit into them.
        (h >> (64 - u32::from(self.buckets_log2))) as u32
    }
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig::DEFAULT
    }
}

/// A feature of one text before weighting: `key = bucket << 1 | block` and its sublinear
/// term frequency `1 + ln(count)`. Each key occurs once per text.
pub(crate) type Raw = (u32, f32);

/// A weighted sparse vector: (index, value). An index may occur twice (once per block) when
/// a word and a character n-gram share a bucket; a linear model just adds them.
pub(crate) type Sparse = Vec<(u32, f32)>;

/// Turns text into features; holds the tokenizer and the configuration.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Extractor {
    pub(crate) config: FeatureConfig,
    pub(crate) tokenizer: Tokenizer,
}

/// Reusable buffers, so that extracting features allocates nothing once warm.
#[derive(Default)]
pub(crate) struct Scratch {
    lower: String,
    slots: Vec<u32>,
    counts: Vec<u32>,
    chars: Vec<char>,
    pub(crate) raw: Vec<Raw>,
    pub(crate) weighed: Sparse,
    pub(crate) scores: Vec<f64>,
}

/// Hashes character n-grams `lo..=hi` of `chars`, calling `f(bucket)` for each.
#[inline]
fn char_ngrams(
    c: &FeatureConfig,
    chars: &[char],
    lo: usize,
    hi: usize,
    f: &mut impl FnMut(u32, usize, usize),
) {
    for start in 0..chars.len() {
        let mut h = SEED ^ KIND_CHARS;
        for (n, ch) in chars.iter().skip(start).take(hi).enumerate() {
            h = mix(h, u64::from(*ch));
            if n + 1 >= lo {
                f(c.bucket(finish(h)), start, n + 1);
            }
        }
    }
}

impl Extractor {
    /// Calls `f(key, term)` for each feature occurrence (`key = bucket << 1 | block`); `term`
    /// is built only when `with_terms`, else it is empty.
    fn each(
        &self,
        lower: &str,
        chars: &mut Vec<char>,
        with_terms: bool,
        f: &mut impl FnMut(u32, String),
    ) {
        let c = &self.config;
        let (lo, hi) = (usize::from(c.char_ngram_min), usize::from(c.char_ngram_max));
        let word_chars = c.word_char_ngrams && hi > 0;
        let mut prev: Option<(u64, &str)> = None;
        self.tokenizer.for_each_word(lower, |w| {
            let h = word_hash(w.text);
            let term = |s: &dyn Fn() -> String| if with_terms { s() } else { String::new() };
            f(c.bucket(h) << 1 | WORDS, term(&|| w.text.to_string()));
            if c.word_bigrams {
                if let Some((ph, pw)) = prev {
                    let b = finish(mix(mix(SEED ^ KIND_BIGRAM, ph), h));
                    f(
                        c.bucket(b) << 1 | WORDS,
                        term(&|| format!("{pw} {}", w.text)),
                    );
                }
            }
            prev = Some((h, w.text));
            if word_chars && !w.han {
                chars.clear();
                chars.push(' ');
                chars.extend(w.text.chars());
                chars.push(' ');
                let padded: &[char] = chars;
                char_ngrams(c, padded, lo, hi, &mut |b, start, n| {
                    // The space alone says nothing.
                    if n == 1 && padded.get(start) == Some(&' ') {
                        return;
                    }
                    f(
                        b << 1 | CHARS,
                        term(&|| padded.iter().skip(start).take(n).collect()),
                    );
                });
            }
        });
        if hi == 0 {
            return;
        }
        chars.clear();
        let mut flush = |run: &mut Vec<char>| {
            char_ngrams(c, run, lo, hi, &mut |b, start, n| {
                f(b << 1 | CHARS, term_of(with_terms, run, start, n));
            });
            run.clear();
        };
        for ch in lower.chars() {
            if is_han(ch) {
                chars.push(ch);
            } else if !chars.is_empty() {
                flush(chars);
            }
        }
        flush(chars);
    }

    /// The features of `text` before weighting, into `scratch.raw`, in no particular order.
    pub(crate) fn raw(&self, text: &str, scratch: &mut Scratch) {
        let Scratch {
            lower,
            slots,
            counts,
            chars,
            raw,
            ..
        } = scratch;
        raw.clear();
        counts.clear();
        normalize_into(text, lower);
        // Counting in an open-addressing table rather than sorting: a 200-character ticket
        // has about 800 feature occurrences, and sorting them took a sixth of a prediction.
        let size = (lower.len() * 4).next_power_of_two().max(64);
        slots.clear();
        slots.resize(size, u32::MAX);
        // At most about one feature per two slots: grow once, not by doubling.
        raw.reserve(size / 2);
        counts.reserve(size / 2);
        let mask = size - 1;
        self.each(lower, chars, false, &mut |key, _| {
            let mut i = (key as usize).wrapping_mul(0x9E37_79B9) & mask;
            loop {
                match slots.get(i).copied() {
                    Some(u32::MAX) => {
                        if let Some(s) = slots.get_mut(i) {
                            *s = raw.len() as u32;
                        }
                        raw.push((key, 1.0));
                        counts.push(1);
                        return;
                    }
                    Some(at) if raw.get(at as usize).is_some_and(|e| e.0 == key) => {
                        if let Some(c) = counts.get_mut(at as usize) {
                            *c += 1;
                        }
                        return;
                    }
                    _ => i = (i + 1) & mask,
                }
            }
        });
        for ((_, v), n) in raw.iter_mut().zip(counts.iter()) {
            *v = if *n == 1 { 1.0 } else { 1.0 + (*n as f32).ln() };
        }
    }

    /// Each feature occurrence's bucket and the term that produced it, for explanations.
    pub(crate) fn terms(&self, text: &str) -> Vec<(u32, String)> {
        let mut lower = String::new();
        normalize_into(text, &mut lower);
        let mut out = Vec::new();
        self.each(&lower, &mut Vec::new(), true, &mut |k, t| {
            out.push((k >> 1, t))
        });
        out
    }
}

fn term_of(with_terms: bool, run: &[char], start: usize, n: usize) -> String {
    if with_terms {
        run.iter().skip(start).take(n).collect()
    } else {
        String::new()
    }
}

/// Weighs raw features into `out`: `lookup(bucket)` gives the index a known bucket has in
/// the model and its idf (`None`: unknown, dropped); each block is then scaled to unit length.
#[inline]
pub(crate) fn weigh(raw: &[Raw], lookup: impl Fn(u32) -> Option<(u32, f32)>, out: &mut Sparse) {
    out.clear();
    let mut norm = [0.0f32; 2];
    let mut first_chars = 0;
    // Words first, then characters, so that each block is one contiguous run of `out`.
    for block in [WORDS, CHARS] {
        if block == CHARS {
            first_chars = out.len();
        }
        for (key, tf) in raw {
            if key & 1 != block {
                continue;
            }
            if let Some((at, idf)) = lookup(key >> 1) {
                let v = tf * idf;
                out.push((at, v));
                if let Some(n) = norm.get_mut(block as usize) {
                    *n += v * v;
                }
            }
        }
    }
    let (words, chars) = out.split_at_mut(first_chars);
    for (part, n) in [words, chars].into_iter().zip(norm) {
        if n > 0.0 {
            let inv = 1.0 / n.sqrt();
            part.iter_mut().for_each(|(_, v)| *v *= inv);
        }
    }
}

/// scikit-learn's smooth idf: `ln((1 + n) / (1 + df)) + 1`.
pub(crate) fn idf(n: usize, df: usize) -> f64 {
    ((1.0 + n as f64) / (1.0 + df as f64)).ln() + 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex() -> Extractor {
        Extractor {
            config: FeatureConfig::DEFAULT,
            tokenizer: Tokenizer::new(),
        }
    }

    fn features(text: &str) -> Sparse {
        let mut s = Scratch::default();
        ex().raw(text, &mut s);
        let mut out = Vec::new();
        weigh(&s.raw, |b| Some((b, 1.0)), &mut out);
        out
    }

    #[test]
    fn hash_is_fixed() {
        // Pinned: a change here silently breaks every model file ever written.
        assert_eq!(word_hash("制冷"), 0x9c80_4ae8_ef8d_d843);
        assert_eq!(word_hash(""), 0xd525_eb64_8bd3_9054);
        assert_eq!(FeatureConfig::DEFAULT.bucket(word_hash("refund")), 0x2_b6e1);
    }

    #[test]
    fn each_block_is_unit_length_and_keys_are_distinct() {
        let mut s = Scratch::default();
        ex().raw("空调不制冷，空调不制冷 The heater heats", &mut s);
        let mut keys: Vec<u32> = s.raw.iter().map(|r| r.0).collect();
        let n = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), n);
        // Repeated features count once each, with a larger value.
        assert!(s.raw.iter().any(|r| r.1 > 1.0));
        let mut out = Vec::new();
        // Idf of a bucket: its own number, so that the blocks' norms differ.
        weigh(&s.raw, |b| Some((b, 1.0 + (b % 7) as f32)), &mut out);
        let words: f32 = s.raw.iter().filter(|r| r.0 & 1 == WORDS).count() as f32;
        assert!(words > 0.0);
        let total: f32 = out.iter().map(|(_, x)| x * x).sum();
        assert!((total - 2.0).abs() < 1e-4, "{total}");
        // Unknown buckets are dropped before scaling.
        weigh(&s.raw, |b| (b % 2 == 0).then_some((b, 1.0)), &mut out);
        assert!(out.iter().all(|(b, _)| b % 2 == 0));
        assert!(features("").is_empty());
        assert!(features("，。").is_empty());
    }

    #[test]
    fn terms_name_words_bigrams_and_char_ngrams() {
        let terms: Vec<String> = ex().terms("不制冷").into_iter().map(|t| t.1).collect();
        for t in ["不", "制冷", "不 制冷", "不制", "不制冷", "冷"] {
            assert!(terms.contains(&t.to_string()), "{t} in {terms:?}");
        }
        // Other scripts: n-grams within the word, padded with spaces.
        let terms: Vec<String> = ex().terms("refund").into_iter().map(|t| t.1).collect();
        for t in ["refund", " r", " re", "efu", "nd ", "d ", "r"] {
            assert!(terms.contains(&t.to_string()), "{t:?} in {terms:?}");
        }
        assert!(!terms.contains(&" ".to_string()));
        // Buckets of terms equal the buckets of the vector.
        let mut a: Vec<u32> = ex().terms("退货 refund").iter().map(|t| t.0).collect();
        a.sort_unstable();
        a.dedup();
        let mut b: Vec<u32> = features("退货 refund").iter().map(|t| t.0).collect();
        b.sort_unstable();
        b.dedup();
        assert_eq!(a, b);
    }
}
