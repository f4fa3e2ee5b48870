//! Keywords for hot issues: the words of `subject` and `description` from the crate's one
//! tokenizer ([`crate::text::Tokenizer`]: Chinese segmented into dictionary words such as 制冷,
//! 脱水, 退货 — never broken pairs such as 不制 — other scripts at word boundaries, stop words
//! dropped). A hot issue names something: single characters, one-letter words and negations
//! (不, not) alone are left out.

use std::collections::BTreeSet;

use crate::text::{is_negation, normalize, Tokenizer};
use crate::ticket::Ticket;

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
    let lower = normalize(text);
    Tokenizer::new().for_each_word(&lower, |w| {
        if w.text.chars().count() >= 2 && !is_negation(w.text) {
            out.insert(w.text.to_string());
        }
    });
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
    fn chinese_words_and_english_words() {
        assert_eq!(toks("空调不制冷"), ["制冷", "空调"]);
        assert_eq!(toks("洗衣机不脱水，我想退货"), ["洗衣机", "脱水", "退货"]);
        assert_eq!(
            toks("The heater is NOT heating, error E21! 2024 XXXX"),
            ["e21", "error", "heater", "heating"]
        );
        assert_eq!(toks("显示E21,不加热"), ["e21", "加热", "显示"]);
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
