//! Measuring a model on labelled examples it did not learn from.

use std::collections::BTreeMap;

use super::model::Model;
use super::train::Example;

/// Precision, recall, F1 and support of one label.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LabelScores {
    /// Of the examples predicted as this label, the share that has it (0 if none was).
    pub precision: f64,
    /// Of the examples with this label, the share predicted as it (0 if none has it).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 if both are 0).
    pub f1: f64,
    /// Examples with this label.
    pub support: usize,
}

/// The confusion matrix: `counts[t][p]` examples whose true label is `labels[t]` were
/// predicted as `labels[p]`. Rows are true labels, columns predicted labels, both in the
/// order of `labels`: the model's labels (sorted), then labels only the test set has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Confusion {
    /// Row and column labels.
    pub labels: Vec<String>,
    /// One row per true label, one column per predicted label.
    pub counts: Vec<Vec<usize>>,
}

/// How well a model predicts a labelled set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// Examples measured.
    pub examples: usize,
    /// Share predicted right.
    pub accuracy: f64,
    /// Unweighted mean of the labels' F1, over every label that is true or predicted at
    /// least once (as scikit-learn's `f1_score(average="macro")`).
    pub macro_f1: f64,
    /// Scores of those labels.
    pub labels: BTreeMap<String, LabelScores>,
    /// The confusion matrix.
    pub confusion: Confusion,
}

/// Predicts every example and compares with its label.
///
/// ```
/// use aftercare::text::{evaluate, train, Example, TrainOptions};
///
/// let data: Vec<Example> = [("屏幕碎了", "damage"), ("外壳裂了", "damage"),
///     ("我要退货", "return"), ("申请退货", "return")]
///     .into_iter().map(|(t, l)| Example::new(t, l)).collect();
/// let opts = TrainOptions { min_examples: 1, min_df: 1, ..TrainOptions::default() };
/// let model = train(&data, "kind", &opts, &mut |_| {}).unwrap();
/// let e = evaluate(&model, &data);
/// assert_eq!(e.accuracy, 1.0);
/// assert_eq!(e.confusion.counts, [[2, 0], [0, 2]]);
/// ```
pub fn evaluate(model: &Model, examples: &[Example]) -> Evaluation {
    let mut labels: Vec<String> = model.labels().to_vec();
    for e in examples {
        if !labels.contains(&e.label) {
            labels.push(e.label.clone());
        }
    }
    let n = labels.len();
    let mut counts = vec![vec![0usize; n]; n];
    let mut right = 0;
    for e in examples {
        let p = model.predict(&e.text);
        let t = labels.iter().position(|l| *l == e.label).unwrap_or(0);
        if p.label == e.label {
            right += 1;
        }
        if let Some(c) = counts.get_mut(t).and_then(|row| row.get_mut(p.index)) {
            *c += 1;
        }
    }
    let mut scores = BTreeMap::new();
    for (i, label) in labels.iter().enumerate() {
        let tp = counts.get(i).and_then(|r| r.get(i)).copied().unwrap_or(0);
        let support: usize = counts.get(i).map_or(0, |r| r.iter().sum());
        let predicted: usize = counts.iter().filter_map(|r| r.get(i)).sum();
        if support == 0 && predicted == 0 {
            continue;
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, support);
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        scores.insert(
            label.clone(),
            LabelScores {
                precision,
                recall,
                f1,
                support,
            },
        );
    }
    let macro_f1 = if scores.is_empty() {
        0.0
    } else {
        scores.values().map(|s| s.f1).sum::<f64>() / scores.len() as f64
    };
    Evaluation {
        examples: examples.len(),
        accuracy: if examples.is_empty() {
            0.0
        } else {
            right as f64 / examples.len() as f64
        },
        macro_f1,
        labels: scores,
        confusion: Confusion { labels, counts },
    }
}
