//! Hashed features of a text: word unigrams and bigrams, and character n-grams of Han runs.
//!
//! Each feature is hashed into one of `2^buckets_log2` buckets by a fixed function (below), so
//! a model needs no vocabulary and the same text gives the same buckets on every run and
//! machine. A bucket's value is `1 + ln(count)`; the vector is then scaled to unit length, so
//! long and short tickets weigh alike.
//!
//! The hash: 64-bit state `h`, `mix(h, x) = rotl((h ^ x) * 0x9E3779B97F4A7C15, 31)`, finished
//! with the MurmurHash3 64-bit finaliser; the bucket is the finished hash's top `buckets_log2`
//! bits. A word starts from `SEED ^ 1` and mixes its UTF-8 bytes as little-endian 8-byte
//! chunks (the last one zero-padded), then its length in bytes. A bigram starts from
//! `SEED ^ 2` and mixes the two words' finished hashes. A character n-gram starts from
//! `SEED ^ 3` and mixes each character's code point. `SEED = 0x243F6A8885A308D3`.

use super::tokenize::{is_han, normalize, Tokenizer};

const SEED: u64 = 0x243F_6A88_85A3_08D3;
const KIND_WORD: u64 = 1;
const KIND_BIGRAM: u64 = 2;
const KIND_CHARS: u64 = 3;

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
    /// Shortest character n-gram of Han text; 0 for none. Default 1.
    pub char_ngram_min: u8,
    /// Longest character n-gram of Han text; 0 for none. Default 3.
    pub char_ngram_max: u8,
}

impl FeatureConfig {
    /// The defaults.
    pub const DEFAULT: FeatureConfig = FeatureConfig {
        buckets_log2: 18,
        word_bigrams: true,
        char_ngram_min: 1,
        char_ngram_max: 3,
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

/// A sparse feature vector: (bucket, value), each bucket once, unit length.
pub type Sparse = Vec<(u32, f32)>;

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
    buckets: Vec<u32>,
}

impl Extractor {
    /// Calls `f(bucket, term)` for each feature occurrence; `term` is built only when
    /// `with_terms`, else it is empty.
    fn each(&self, lower: &str, with_terms: bool, f: &mut impl FnMut(u32, String)) {
        let c = &self.config;
        let mut prev: Option<(u64, &str)> = None;
        self.tokenizer.for_each_word(lower, |w| {
            let h = word_hash(w.text);
            f(
                c.bucket(h),
                if with_terms {
                    w.text.to_string()
                } else {
                    String::new()
                },
            );
            if c.word_bigrams {
                if let Some((ph, pw)) = prev {
                    let b = finish(mix(mix(SEED ^ KIND_BIGRAM, ph), h));
                    f(
                        c.bucket(b),
                        if with_terms {
                            format!("{pw} {}", w.text)
                        } else {
                            String::new()
                        },
                    );
                }
            }
            prev = Some((h, w.text));
        });
        if c.char_ngram_max == 0 {
            return;
        }
        let (lo, hi) = (usize::from(c.char_ngram_min), usize::from(c.char_ngram_max));
        let mut run: Vec<char> = Vec::new();
        let mut flush = |run: &mut Vec<char>| {
            for start in 0..run.len() {
                let mut h = SEED ^ KIND_CHARS;
                for (n, ch) in run.iter().skip(start).take(hi).enumerate() {
                    h = mix(h, u64::from(*ch));
                    if n + 1 >= lo {
                        let term = if with_terms {
                            run.iter().skip(start).take(n + 1).collect()
                        } else {
                            String::new()
                        };
                        f(c.bucket(finish(h)), term);
                    }
                }
            }
            run.clear();
        };
        for ch in lower.chars() {
            if is_han(ch) {
                run.push(ch);
            } else if !run.is_empty() {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }

    /// The feature vector of `text`, into `out`, in no particular order.
    pub(crate) fn extract_into(&self, text: &str, scratch: &mut Scratch, out: &mut Sparse) {
        out.clear();
        scratch.lower.clear();
        scratch.lower.push_str(&normalize(text));
        // Counting in an open-addressing table rather than sorting: a 200-character ticket
        // has about 800 feature occurrences, and sorting them took a sixth of a prediction.
        let Scratch {
            lower,
            buckets: slots,
        } = scratch;
        let size = (lower.len() * 4).next_power_of_two().max(64);
        slots.clear();
        slots.resize(size, u32::MAX);
        let mask = size - 1;
        let mut counts: Vec<u32> = Vec::new();
        self.each(lower, false, &mut |b, _| {
            let mut i = (b as usize).wrapping_mul(0x9E37_79B9) & mask;
            loop {
                match slots.get(i).copied() {
                    Some(u32::MAX) => {
                        if let Some(s) = slots.get_mut(i) {
                            *s = out.len() as u32;
                        }
                        out.push((b, 1.0));
                        counts.push(1);
                        return;
                    }
                    Some(at) if out.get(at as usize).is_some_and(|e| e.0 == b) => {
                        if let Some(c) = counts.get_mut(at as usize) {
                            *c += 1;
                        }
                        return;
                    }
                    _ => i = (i + 1) & mask,
                }
            }
        });
        let mut norm = 0.0f32;
        for ((_, v), n) in out.iter_mut().zip(&counts) {
            *v = if *n == 1 { 1.0 } else { 1.0 + (*n as f32).ln() };
            norm += *v * *v;
        }
        if norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            out.iter_mut().for_each(|(_, v)| *v *= inv);
        }
    }

    /// The feature vector of `text`.
    pub(crate) fn extract(&self, text: &str) -> Sparse {
        let mut out = Vec::new();
        self.extract_into(text, &mut Scratch::default(), &mut out);
        out
    }

    /// Each feature occurrence's bucket and the term that produced it, for explanations.
    pub(crate) fn terms(&self, text: &str) -> Vec<(u32, String)> {
        let lower = normalize(text);
        let mut out = Vec::new();
        self.each(&lower, true, &mut |b, t| out.push((b, t)));
        out
    }
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

    #[test]
    fn hash_is_fixed() {
        // Pinned: a change here silently breaks every model file ever written.
        assert_eq!(word_hash("制冷"), 0x9c80_4ae8_ef8d_d843);
        assert_eq!(word_hash(""), 0xd525_eb64_8bd3_9054);
        assert_eq!(FeatureConfig::DEFAULT.bucket(word_hash("refund")), 0x2_b6e1);
    }

    #[test]
    fn features_are_unit_length_and_distinct() {
        let mut v = ex().extract("空调不制冷，空调不制冷 The heater");
        let norm: f32 = v.iter().map(|(_, x)| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        // Repeated features count once each, with a larger value.
        assert!(v
            .iter()
            .any(|(_, x)| (x * x * norm.recip() - 0.0).abs() > 0.0));
        let n = v.len();
        v.sort_by_key(|e| e.0);
        v.dedup_by_key(|e| e.0);
        assert_eq!(v.len(), n);
        assert!(ex().extract("").is_empty());
        assert!(ex().extract("，。").is_empty());
    }

    #[test]
    fn terms_name_words_bigrams_and_char_ngrams() {
        let terms: Vec<String> = ex().terms("不制冷").into_iter().map(|t| t.1).collect();
        for t in ["不", "制冷", "不 制冷", "不制", "不制冷", "冷"] {
            assert!(terms.contains(&t.to_string()), "{t} in {terms:?}");
        }
        // Buckets of terms equal the buckets of the vector.
        let mut a: Vec<u32> = ex().terms("退货 refund").iter().map(|t| t.0).collect();
        a.sort_unstable();
        a.dedup();
        let mut b: Vec<u32> = ex().extract("退货 refund").iter().map(|t| t.0).collect();
        b.sort_unstable();
        assert_eq!(a, b);
    }
}
