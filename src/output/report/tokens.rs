//! Keywords for hot issues: Chinese text as character bigrams (Chinese has no spaces between
//! words, and two characters are the most common word length), other text as lower-cased
//! words without stop words.

use std::collections::BTreeSet;

use crate::ticket::Ticket;

/// Function words that say nothing about an issue.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "but", "by", "can", "could", "did", "do", "does",
    "for", "from", "get", "got", "had", "has", "have", "he", "her", "him", "his", "how", "i", "if",
    "in", "into", "is", "it", "its", "it's", "i'm", "i've", "just", "me", "my", "no", "not", "of",
    "on", "one", "only", "or", "our", "out", "please", "she", "should", "so", "some", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "too",
    "up", "us", "very", "was", "we", "were", "what", "when", "which", "who", "will", "with",
    "would", "you", "your", "don't", "didn't", "doesn't", "can't", "they're", "we're", "you're",
    "there's", "still",
];

/// Chinese bigrams that are function words rather than issues.
const STOP_BIGRAMS: &[&str] = &[
    "一个", "我们", "你们", "他们", "这个", "那个", "已经", "但是", "因为", "所以", "就是", "还是",
    "如果", "自己", "您好", "你好", "谢谢", "现在", "一下", "可以", "的时", "时候", "了一", "是不",
];

/// Han characters (CJK unified ideographs and their extensions).
fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() && !is_han(c)) || c == '\'' || c == '’'
}

/// The distinct keywords of a ticket's subject and description, without any that occur in
/// the ticket's personal fields.
pub(crate) fn keywords(ticket: &Ticket) -> Vec<String> {
    let mut found = BTreeSet::new();
    for text in [&ticket.subject, &ticket.description].into_iter().flatten() {
        tokenize(text, &mut found);
    }
    let p = &ticket.personal;
    let personal: Vec<String> = [&p.name, &p.contact, &p.order_no, &p.serial_no]
        .into_iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect();
    found
        .into_iter()
        .filter(|k| !personal.iter().any(|p| p.contains(k.as_str())))
        .collect()
}

/// Adds the keywords of `text` to `out`.
pub(crate) fn tokenize(text: &str, out: &mut BTreeSet<String>) {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Han,
        Word,
        Other,
    }
    let class = |c: char| {
        if is_han(c) {
            Class::Han
        } else if is_word_char(c) {
            Class::Word
        } else {
            Class::Other
        }
    };
    let mut run: Vec<char> = Vec::new();
    let mut run_class = Class::Other;
    // A sentinel `Other` at the end flushes the last run.
    for c in text.chars().chain(std::iter::once(' ')) {
        let k = class(c);
        if k == run_class && k != Class::Other {
            run.push(c);
            continue;
        }
        match run_class {
            // A lone character is too ambiguous to be an issue: pairs only.
            Class::Han => {
                for pair in run.windows(2) {
                    let bigram: String = pair.iter().collect();
                    if !STOP_BIGRAMS.contains(&bigram.as_str()) {
                        out.insert(bigram);
                    }
                }
            }
            Class::Word => {
                let word: String = run
                    .iter()
                    .map(|c| if *c == '’' { '\'' } else { *c })
                    .collect::<String>()
                    .trim_matches('\'')
                    .to_lowercase();
                if keep_word(&word) {
                    out.insert(word);
                }
            }
            Class::Other => {}
        }
        run.clear();
        run.push(c);
        run_class = k;
    }
}

fn keep_word(word: &str) -> bool {
    word.chars().count() >= 2
        && !STOP_WORDS.contains(&word)
        // Numbers are amounts, dates and phone fragments, not issues.
        && !word.chars().all(|c| c.is_ascii_digit())
        // Redaction masks such as `XXXX` in public complaint data.
        && !word.chars().all(|c| c == 'x')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<String> {
        let mut out = BTreeSet::new();
        tokenize(text, &mut out);
        out.into_iter().collect()
    }

    #[test]
    fn chinese_bigrams_and_english_words() {
        assert_eq!(toks("空调不制冷"), ["不制", "制冷", "空调", "调不"]);
        assert_eq!(
            toks("The heater is NOT heating, error E21! 2024 XXXX"),
            ["e21", "error", "heater", "heating"]
        );
        assert_eq!(toks("显示E21,不加热"), ["e21", "不加", "加热", "显示"]);
        assert_eq!(toks("I don't know"), ["know"]);
    }

    #[test]
    fn personal_values_are_dropped() {
        let t = Ticket::from_json(
            r#"{"id":"T","created_at":"2025-10-13T09:00:00+08:00",
                "description":"王丽娟 says the Whitmore heater leaks",
                "customer":{"name":"王丽娟","contact":"d.whitmore@example.net"}}"#,
        )
        .map(|t| keywords(&t))
        .unwrap_or_default();
        assert_eq!(t, ["heater", "leaks", "says"]);
    }
}
