//! How well the default policy reads customers' own Chinese words: category accuracy and urgent
//! recall on the labelled tickets of `corpora/zh_tickets/` (see its README and
//! docs/text-models-accuracy.md).
//!
//! `heldout3.jsonl` was written independently of the policy and never used to tune it or train
//! its models; the goals of the project are ≥ 90 % category accuracy and ≥ 95 % urgent recall
//! there. The other files are training data (the rules were tuned and the models trained on
//! them); their thresholds guard against regressions.

use aftercare::{Policy, Ticket};
use chrono::{DateTime, Utc};

/// Category accuracy and urgent recall of the default policy on one labelled file.
struct Figures {
    tickets: usize,
    correct: usize,
    urgent: usize,
    urgent_found: usize,
    wrong: Vec<String>,
}

impl Figures {
    fn accuracy(&self) -> f64 {
        self.correct as f64 / self.tickets as f64
    }
    fn urgent_recall(&self) -> f64 {
        self.urgent_found as f64 / self.urgent as f64
    }
}

fn measure(file: &str) -> Figures {
    let policy = Policy::from_path("policies/default.toml").unwrap();
    // The labels do not depend on the instant; a fixed one keeps the run reproducible.
    let now: DateTime<Utc> = "2026-01-01T00:00:00+08:00".parse().unwrap();
    let text = std::fs::read_to_string(file).unwrap();
    let mut f = Figures {
        tickets: 0,
        correct: 0,
        urgent: 0,
        urgent_found: 0,
        wrong: vec![],
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let raw: serde_json::Value = serde_json::from_str(line).unwrap();
        let label = |name: &str| raw["attributes"][name].as_str().unwrap().to_owned();
        let (want_category, want_urgent) = (label("label_category"), label("label_urgency"));
        let ticket = Ticket::from_json(line).unwrap();
        let t = policy.triage(&ticket, now).unwrap();
        f.tickets += 1;
        if *t.category == *want_category {
            f.correct += 1;
        } else {
            f.wrong.push(format!(
                "{}: {} -> {}",
                ticket.id, want_category, &*t.category
            ));
        }
        if want_urgent == "urgent" {
            f.urgent += 1;
            if t.priority == "urgent" {
                f.urgent_found += 1;
            } else {
                f.wrong.push(format!("{}: urgent missed", ticket.id));
            }
        }
    }
    f
}

fn check(file: &str, min_tickets: usize, min_accuracy: f64, min_recall: f64) {
    let f = measure(file);
    assert!(
        f.tickets >= min_tickets,
        "{file}: only {} tickets",
        f.tickets
    );
    assert!(
        f.urgent > 0,
        "{file}: no urgent ticket to measure recall on"
    );
    let report = format!(
        "{file}: category accuracy {:.1} % ({}/{}), urgent recall {:.1} % ({}/{})\n{}",
        100.0 * f.accuracy(),
        f.correct,
        f.tickets,
        100.0 * f.urgent_recall(),
        f.urgent_found,
        f.urgent,
        f.wrong.join("\n")
    );
    assert!(f.accuracy() >= min_accuracy, "{report}");
    assert!(f.urgent_recall() >= min_recall, "{report}");
}

#[test]
fn the_default_policy_reaches_the_goals_on_held_out_chinese_tickets() {
    // Measured 96.3 % and 97.1 % (docs/text-models-accuracy.md).
    check("corpora/zh_tickets/heldout3.jsonl", 300, 0.90, 0.95);
}

#[test]
fn the_default_policy_reads_the_chinese_tickets_it_was_trained_on() {
    // In-sample: the rules were tuned and both ticket models trained on these files (99.0 % to
    // 99.7 %, 100 % urgent recall on each); 5-fold cross-validation of the models over all four
    // gives 93.8 % and 96.9 %.
    check("corpora/zh_tickets/train.jsonl", 650, 0.97, 0.98);
    check("corpora/zh_tickets/train2.jsonl", 500, 0.97, 0.98);
    check("corpora/zh_tickets/heldout.jsonl", 240, 0.97, 0.98);
    check("corpora/zh_tickets/heldout2.jsonl", 270, 0.97, 0.98);
}
