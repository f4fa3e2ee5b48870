//! How well the default policy reads customers' own Chinese words: category accuracy, urgent
//! recall and precision, and the sentiment model's tone on the labelled tickets of
//! `corpora/zh_tickets/` (see its README and docs/text-models-accuracy.md).
//!
//! `heldout3.jsonl` was written independently of the policy and never used to tune it or train
//! its models; the goals of the project are ≥ 90 % category accuracy and ≥ 95 % urgent recall
//! there. The other files are training data (the rules were tuned and the models trained on
//! them); their thresholds guard against regressions.

use aftercare::{EvalOptions, Policy, Ticket};
use chrono::{DateTime, Utc};

/// Category accuracy, urgent recall and precision, and tone of the default policy on one
/// labelled file.
struct Figures {
    tickets: usize,
    correct: usize,
    urgent: usize,
    urgent_found: usize,
    /// Tickets the policy made urgent.
    urgent_decided: usize,
    /// Tickets whose tone the sentiment model read as labelled.
    tone_correct: usize,
    wrong: Vec<String>,
}

impl Figures {
    fn accuracy(&self) -> f64 {
        self.correct as f64 / self.tickets as f64
    }
    fn urgent_recall(&self) -> f64 {
        self.urgent_found as f64 / self.urgent as f64
    }
    fn urgent_precision(&self) -> f64 {
        self.urgent_found as f64 / self.urgent_decided as f64
    }
    fn tone_accuracy(&self) -> f64 {
        self.tone_correct as f64 / self.tickets as f64
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
        urgent_decided: 0,
        tone_correct: 0,
        wrong: vec![],
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let raw: serde_json::Value = serde_json::from_str(line).unwrap();
        let label = |name: &str| raw["attributes"][name].as_str().unwrap().to_owned();
        let (want_category, want_urgent) = (label("label_category"), label("label_urgency"));
        let ticket = Ticket::from_json(line).unwrap();
        let t = policy
            .evaluate_with(&ticket, now, EvalOptions { trace: false })
            .unwrap();
        f.tickets += 1;
        let tone = t.labels.get("sentiment").expect("a sentiment model");
        if *tone.label == *label("label_sentiment") {
            f.tone_correct += 1;
        }
        if &*t.priority == "urgent" {
            f.urgent_decided += 1;
        }
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
            if &*t.priority == "urgent" {
                f.urgent_found += 1;
            } else {
                f.wrong.push(format!("{}: urgent missed", ticket.id));
            }
        }
    }
    f
}

/// The least each figure may be on one file.
struct Floors {
    tickets: usize,
    accuracy: f64,
    recall: f64,
    precision: f64,
    tone: f64,
}

fn check(file: &str, floors: Floors) {
    let f = measure(file);
    let min_tickets = floors.tickets;
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
        "{file}: category accuracy {:.1} % ({}/{}), urgent recall {:.1} % ({}/{}), urgent \
         precision {:.1} % (of {}), tone {:.1} %\n{}",
        100.0 * f.accuracy(),
        f.correct,
        f.tickets,
        100.0 * f.urgent_recall(),
        f.urgent_found,
        f.urgent,
        100.0 * f.urgent_precision(),
        f.urgent_decided,
        100.0 * f.tone_accuracy(),
        f.wrong.join("\n")
    );
    assert!(f.accuracy() >= floors.accuracy, "{report}");
    assert!(f.urgent_recall() >= floors.recall, "{report}");
    assert!(f.urgent_precision() >= floors.precision, "{report}");
    assert!(f.tone_accuracy() >= floors.tone, "{report}");
}

#[test]
fn the_default_policy_reaches_the_goals_on_held_out_chinese_tickets() {
    // Goals: 90 % category accuracy, 95 % urgent recall. Measured 96.3 %, 97.1 %, urgent
    // precision 89.2 % and tone 84.0 % (docs/text-models-accuracy.md); the precision and tone
    // floors catch a return of the review-trained sentiment model (84.6 %, 48.3 %).
    check(
        "corpora/zh_tickets/heldout3.jsonl",
        Floors {
            tickets: 300,
            accuracy: 0.90,
            recall: 0.95,
            precision: 0.87,
            tone: 0.80,
        },
    );
}

#[test]
fn the_default_policy_reads_the_chinese_tickets_it_was_trained_on() {
    // In-sample: the rules were tuned and the three ticket models trained on these files
    // (99.0 % to 99.7 %, 100 % urgent recall on each); 5-fold cross-validation of the models
    // over all four gives 93.9 %, 96.7 %, 92.4 % precision and 87.0 % tone.
    for (file, tickets) in [
        ("train.jsonl", 650),
        ("train2.jsonl", 500),
        ("heldout.jsonl", 240),
        ("heldout2.jsonl", 270),
    ] {
        check(
            &format!("corpora/zh_tickets/{file}"),
            Floors {
                tickets,
                accuracy: 0.97,
                recall: 0.98,
                precision: 0.90,
                tone: 0.95,
            },
        );
    }
}
