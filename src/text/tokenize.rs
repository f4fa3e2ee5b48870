//! Words from customer text: Chinese segmented by jieba's dictionary, other scripts split at
//! Unicode word boundaries (UAX #29), everything lower-cased, function words dropped.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use jieba_rs::Jieba;
use std::sync::LazyLock;
use unicode_segmentation::UnicodeSegmentation;

/// jieba's dictionary (about 350,000 words) is built once per process, on first use, and shared
/// read-only by every tokenizer: building it takes far longer than segmenting a ticket.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Looked up once per word: a hash set with a cheap fixed hash (a binary search spent a fifth
/// of the tokenizer's time in string comparisons).
static STOP_WORDS: LazyLock<HashSet<&'static str, BuildWordHasher>> = LazyLock::new(|| {
    [
        include_str!("stop_words_zh.txt"),
        include_str!("stop_words_en.txt"),
    ]
    .into_iter()
    .flat_map(str::lines)
    .map(str::trim)
    .filter(|l| !l.is_empty() && !l.starts_with('#'))
    .collect()
});

/// FNV-1a over the bytes: short keys, no adversary (the set is fixed), no random state.
#[derive(Default, Clone, Copy)]
struct BuildWordHasher;

struct WordHasher(u64);

impl BuildHasher for BuildWordHasher {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Words that turn a statement around. They are not stop words (a model must see 不 in
/// 不制冷), but alone they name no issue, so keyword lists leave them out.
const NEGATIONS: &[&str] = &[
    "不", "没", "没有", "别", "未", "无", "不是", "no", "not", "never", "don't", "didn't",
    "doesn't", "can't", "cannot", "won't", "isn't", "wasn't", "aren't", "haven't",
];

/// Whether `word` (lower-cased) is a function word that the tokenizer drops.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(word)
}

/// Whether `word` (lower-cased) is a negation such as 不 or `not`.
pub fn is_negation(word: &str) -> bool {
    NEGATIONS.contains(&word)
}

/// Han characters: CJK unified ideographs, their extensions and compatibility ideographs.
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Splits text into lower-cased words.
///
/// Chinese runs go through jieba's dictionary segmentation (its shared dictionary is built once
/// per process); other text splits at Unicode word boundaries. Stop words, numbers that are
/// only digits (amounts, dates, phone and order fragments) and redaction masks such as `XXXX`
/// are dropped. A tokenizer may carry user words (product and model names) that always come
/// out whole; they belong to that tokenizer only, never to the shared dictionary.
///
/// ```
/// use aftercare::text::Tokenizer;
///
/// let words = Tokenizer::new().words("洗衣机不脱水，The heater shows E21!");
/// assert_eq!(words, ["洗衣机", "不", "脱水", "heater", "shows", "e21"]);
///
/// let mine = Tokenizer::with_user_words(["KFR-35GW"]);
/// assert_eq!(mine.words("kfr-35gw 不制冷"), ["kfr-35gw", "不", "制冷"]);
/// ```
#[derive(Clone, Default)]
pub struct Tokenizer {
    user: Option<Arc<UserWords>>,
}

struct UserWords {
    words: Vec<String>,
    automaton: AhoCorasick,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("user_words", &self.user_words().len())
            .finish()
    }
}

impl PartialEq for Tokenizer {
    fn eq(&self, other: &Self) -> bool {
        self.user_words() == other.user_words()
    }
}

/// One word of a text, borrowed from the lower-cased text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    /// The word, lower-cased.
    pub text: &'a str,
    /// Whether it is made of Han characters.
    pub han: bool,
}

impl Tokenizer {
    /// A tokenizer with jieba's dictionary only.
    pub fn new() -> Self {
        Tokenizer { user: None }
    }

    /// A tokenizer that keeps `words` whole (matched case-insensitively, longest first), then
    /// segments the rest as [`Tokenizer::new`] does. Blank entries are ignored.
    pub fn with_user_words<I, S>(words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut words: Vec<String> = words
            .into_iter()
            .map(|w| w.as_ref().trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        words.sort_unstable();
        words.dedup();
        if words.is_empty() {
            return Tokenizer::new();
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&words);
        match automaton {
            Ok(automaton) => Tokenizer {
                user: Some(Arc::new(UserWords { words, automaton })),
            },
            // Only a pattern set beyond the automaton's size limits fails; without the user
            // words the text still segments.
            Err(_) => Tokenizer::new(),
        }
    }

    /// The user words, lower-cased and sorted.
    pub fn user_words(&self) -> &[String] {
        self.user.as_ref().map_or(&[], |u| &u.words)
    }

    /// The words of `text`, in order.
    pub fn words(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let lower = normalize(text);
        self.for_each_word(&lower, |w| out.push(w.text.to_string()));
        out
    }

    /// Calls `f` with each word of `lower`, in order. `lower` is text the caller passed
    /// through [`normalize`].
    pub fn for_each_word<'a>(&self, lower: &'a str, mut f: impl FnMut(Word<'a>)) {
        let Some(user) = &self.user else {
            return plain_words(lower, &mut f);
        };
        let mut at = 0;
        for m in user.automaton.find_iter(lower) {
            // A user word inside a longer Latin word or number (`x1` in `ax12`) is not that
            // word.
            let before = lower.get(..m.start()).and_then(|s| s.chars().next_back());
            let after = lower.get(m.end()..).and_then(|s| s.chars().next());
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !is_han(c));
            let word = lower.get(m.start()..m.end()).unwrap_or_default();
            let first = word.chars().next();
            let last = word.chars().next_back();
            if (glued(before) && glued(first)) || (glued(after) && glued(last)) {
                continue;
            }
            plain_words(lower.get(at..m.start()).unwrap_or_default(), &mut f);
            f(Word {
                text: word,
                han: word.chars().all(is_han),
            });
            at = m.end();
        }
        plain_words(lower.get(at..).unwrap_or_default(), &mut f);
    }
}

/// Words of text without user words: Han runs to jieba, the rest to UAX #29. (One jieba pass
/// over the whole text, taking its Han tokens, measured slower: jieba then walks every
/// character of the other scripts too.)
fn plain_words<'a>(text: &'a str, f: &mut impl FnMut(Word<'a>)) {
    let mut start = 0;
    let mut han_run = false;
    for (i, c) in text.char_indices() {
        let han = is_han(c);
        if han != han_run {
            run_words(text.get(start..i).unwrap_or_default(), han_run, f);
            start = i;
            han_run = han;
        }
    }
    run_words(text.get(start..).unwrap_or_default(), han_run, f);
}

fn run_words<'a>(run: &'a str, han: bool, f: &mut impl FnMut(Word<'a>)) {
    if run.is_empty() {
        return;
    }
    if han {
        // No HMM for words missing from the dictionary: it costs about as much again as the
        // dictionary pass, and the classifier's character n-grams already see such words.
        for t in JIEBA.cut(run, false) {
            let w = t.word;
            if !is_stop_word(w) {
                f(Word { text: w, han: true });
            }
        }
    } else {
        for w in run.unicode_words() {
            if keep_other(w) {
                f(Word {
                    text: w,
                    han: false,
                });
            }
        }
    }
}

fn keep_other(w: &str) -> bool {
    // Numbers are amounts, dates, phone and order fragments: never words.
    let number = w.chars().all(|c| c.is_numeric() || c == '.' || c == ',');
    // Redaction masks such as `XXXX` in public complaint data.
    let mask = w.len() >= 2 && w.chars().all(|c| c == 'x');
    !(number || mask || is_stop_word(w))
}

/// Text as the tokenizer reads it: lower-cased, typographic apostrophes as `'`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// [`normalize`] into a buffer the caller reuses (cleared first).
pub(crate) fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    for c in text.chars() {
        // Han characters have no case: skipping the case tables for them halves the cost.
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if is_han(c) {
            out.push(c);
        } else if c == '\u{2019}' {
            out.push('\'');
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// Builds jieba's shared dictionary now rather than on the first word: a server may call this
/// at start-up so that its first request does not pay for it.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_words_come_out_whole() {
        let t = Tokenizer::new();
        assert_eq!(t.words("空调不制冷"), ["空调", "不", "制冷"]);
        assert_eq!(t.words("洗衣机不脱水"), ["洗衣机", "不", "脱水"]);
        assert_eq!(
            t.words("冰箱门有凹痕，我想退货"),
            ["冰箱门", "凹痕", "想", "退货"]
        );
        // Never pairs across word boundaries.
        for w in t.words("空调不制冷，洗衣机不脱水，燃气热水器有煤气味") {
            assert!(
                !["不制", "衣机", "有煤", "调不"].contains(&w.as_str()),
                "{w}"
            );
        }
    }

    #[test]
    fn other_scripts_lower_case_and_filters() {
        let t = Tokenizer::new();
        assert_eq!(
            t.words("The heater is NOT heating, error E21! 2024 XXXX 3.5"),
            ["heater", "not", "heating", "error", "e21"]
        );
        assert_eq!(t.words("I don’t know"), ["don't", "know"]);
        assert_eq!(t.words(""), Vec::<String>::new());
        assert_eq!(t.words("，。！？  "), Vec::<String>::new());
    }

    #[test]
    fn user_words_are_kept_whole_and_private_to_their_tokenizer() {
        let mine = Tokenizer::with_user_words(["小天鹅TG100", "  ", "ax1"]);
        assert_eq!(mine.user_words(), ["ax1", "小天鹅tg100"]);
        assert_eq!(mine.words("我的小天鹅TG100漏水"), ["小天鹅tg100", "漏水"]);
        // Inside a longer Latin word it is not the user word.
        assert_eq!(mine.words("model ax12"), ["model", "ax12"]);
        assert_eq!(mine.words("model ax1"), ["model", "ax1"]);
        // The shared dictionary did not learn it.
        assert_eq!(Tokenizer::new().words("小天鹅TG100"), ["小天鹅", "tg100"]);
    }
}
