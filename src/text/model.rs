//! A trained linear text classifier: softmax over hashed features.

use std::collections::HashMap;
use std::path::Path;

use super::features::{weigh, Extractor, FeatureConfig, Scratch};
use super::file;
use super::tokenize::Tokenizer;
use super::ModelError;

/// How weights are stored in a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Quantization {
    /// IEEE half precision: half the size of `F32`, about three significant digits.
    #[default]
    F16,
    /// IEEE single precision.
    F32,
}

/// Text longer than this (in bytes) is read up to here: two fields of the default
/// `max_text_bytes`, the most a ticket can carry.
pub const MAX_TEXT_BYTES: usize = 2 * crate::limits::Limits::DEFAULT.max_text_bytes;

/// A text classifier trained by [`train`](super::train): it reads a ticket's `subject` and
/// `description` and predicts one of its labels with a probability.
///
/// Loaded once (from a file or bytes) and read-only afterwards: `Send + Sync`, and prediction
/// takes `&self`.
///
/// ```
/// use aftercare::text::{train, Example, Model, TrainOptions};
///
/// let mut examples = Vec::new();
/// for (text, label) in [("屏幕碎了", "damage"), ("外壳有裂痕", "damage"), ("我要退货", "return"),
///                       ("申请退款退货", "return"), ("箱子压坏了", "damage"), ("七天无理由退货", "return")] {
///     examples.push(Example::new(text, label));
/// }
/// let opts = TrainOptions { min_examples: 2, min_df: 1, ..TrainOptions::default() };
/// let model = train(&examples, "kind", &opts, &mut |_| {}).unwrap();
/// let bytes = model.to_bytes();
/// let model = Model::from_bytes(&bytes).unwrap();
/// let p = model.predict("收到的屏幕碎了");
/// assert_eq!(p.label, "damage");
/// assert!(p.confidence > 0.5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub(crate) extractor: Extractor,
    pub(crate) label_field: String,
    pub(crate) labels: Vec<String>,
    pub(crate) quantization: Quantization,
    pub(crate) bias: Vec<f32>,
    /// Buckets the model knows, ascending.
    pub(crate) rows: Vec<u32>,
    /// The inverse document frequency of each row's bucket.
    pub(crate) idf: Vec<f32>,
    /// `rows.len() × labels.len()` weights, row by row.
    pub(crate) weights: Vec<f32>,
    /// For each bucket, its row + 1, or 0: one array read per feature at prediction.
    pub(crate) index: Box<[u32]>,
    /// Row by row, its idf then its `k` weights: what a prediction reads of a row lies in
    /// one place (one cache line for up to 15 labels).
    pub(crate) table: Box<[f32]>,
}

/// A model's answer for one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction<'m> {
    /// The most probable label.
    pub label: &'m str,
    /// Its position in [`Model::labels`].
    pub index: usize,
    /// Its probability, 0..1. Text without a single feature the model knows (empty text,
    /// another language) gets `1 / number of labels`.
    pub confidence: f64,
}

/// A term that moved a prediction, and by how much (in log-probability of the label).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Term {
    /// A word, two words with a space between, or a run of Han characters.
    pub term: String,
    /// Positive: for the label; negative: against it.
    pub weight: f64,
}

/// A prediction with the terms that weighed most for and against its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation<'m> {
    /// The prediction.
    pub prediction: Prediction<'m>,
    /// Terms that raised the label's probability, strongest first.
    pub for_label: Vec<Term>,
    /// Terms that lowered it, strongest first.
    pub against_label: Vec<Term>,
}

impl Model {
    #[allow(clippy::too_many_arguments)] // the parts of a file, in file order
    pub(crate) fn new(
        extractor: Extractor,
        label_field: String,
        labels: Vec<String>,
        quantization: Quantization,
        bias: Vec<f32>,
        rows: Vec<u32>,
        idf: Vec<f32>,
        weights: Vec<f32>,
    ) -> Model {
        let mut index = vec![0u32; extractor.config.buckets()].into_boxed_slice();
        for (i, b) in rows.iter().enumerate() {
            if let Some(slot) = index.get_mut(*b as usize) {
                *slot = i as u32 + 1;
            }
        }
        let k = labels.len();
        let mut table = Vec::with_capacity(rows.len() * (k + 1));
        for (i, v) in idf.iter().enumerate() {
            table.push(*v);
            table.extend(weights.iter().skip(i * k).take(k));
        }
        Model {
            extractor,
            label_field,
            labels,
            quantization,
            bias,
            rows,
            idf,
            weights,
            index,
            table: table.into_boxed_slice(),
        }
    }

    /// Reads a model file.
    ///
    /// Errors say what is wrong in a way a program can tell apart: missing, not a regular
    /// file, too large, not a model, another format version, truncated, damaged.
    pub fn load(path: impl AsRef<Path>) -> Result<Model, ModelError> {
        file::load(path.as_ref())
    }

    /// Reads a model from the bytes of a model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        file::decode(bytes)
    }

    /// The bytes of this model's file. The same model always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        file::encode(self)
    }

    /// Writes this model's file.
    pub fn save(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, self.to_bytes())
    }

    /// The labels it predicts, sorted.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The ticket field it was trained to predict, e.g. `kind` or `attributes.sentiment`.
    pub fn label_field(&self) -> &str {
        &self.label_field
    }

    /// Its features.
    pub fn features(&self) -> FeatureConfig {
        self.extractor.config
    }

    /// Its tokenizer (with the user words it was trained with).
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.extractor.tokenizer
    }

    /// How its weights are stored.
    pub fn quantization(&self) -> Quantization {
        self.quantization
    }

    /// How many hash buckets carry weights.
    pub fn weight_rows(&self) -> usize {
        self.rows.len()
    }

    /// The row of a bucket the model knows, and its idf.
    #[inline]
    fn lookup(&self, bucket: u32) -> Option<(u32, f32)> {
        let r = (*self.index.get(bucket as usize)?).checked_sub(1)?;
        Some((r, *self.table.get(r as usize * (self.labels.len() + 1))?))
    }

    #[inline]
    fn row_weights(&self, row: u32) -> Option<&[f32]> {
        let k = self.labels.len();
        let start = row as usize * (k + 1) + 1;
        self.table.get(start..start + k)
    }

    /// Probabilities of every label (in [`Model::labels`] order) into `scratch.scores`, and
    /// whether any feature was known. `scratch.weighed` keeps the weighted features.
    fn scores(&self, text: &str, scratch: &mut Scratch) -> bool {
        self.extract(text, scratch);
        self.scores_of_extracted(scratch)
    }

    /// The raw features of `text` into `scratch.raw`: the costly part of a prediction (words and
    /// n-grams), which models with the same extractor can share.
    pub(crate) fn extract(&self, text: &str, scratch: &mut Scratch) {
        self.extractor.raw(cap(text), scratch);
    }

    /// Whether `other` turns a text into the same raw features as this model.
    pub(crate) fn extracts_like(&self, other: &Model) -> bool {
        self.extractor == other.extractor
    }

    /// The prediction (label index, confidence) from the raw features [`Model::extract`] (of
    /// this model or one that [`Model::extracts_like`] it) left in `scratch`.
    pub(crate) fn predict_extracted(&self, scratch: &mut Scratch) -> (usize, f64) {
        let known = self.scores_of_extracted(scratch);
        let p = self.best(&scratch.scores, known);
        (p.index, p.confidence)
    }

    /// [`Model::scores`] from the raw features already in `scratch.raw`.
    fn scores_of_extracted(&self, scratch: &mut Scratch) -> bool {
        scratch.weighed.reserve(scratch.raw.len());
        weigh(&scratch.raw, |b| self.lookup(b), &mut scratch.weighed);
        let s = &mut scratch.scores;
        s.clear();
        s.extend(self.bias.iter().map(|b| f64::from(*b)));
        let k = self.labels.len();
        if k == 2 {
            // The common case (sentiment): two sums, no inner loop.
            let (mut a, mut b) = (0.0f32, 0.0f32);
            for (row, x) in &scratch.weighed {
                if let Some([w0, w1]) = self.row_weights(*row).and_then(|r| r.first_chunk::<2>()) {
                    a += w0 * x;
                    b += w1 * x;
                }
            }
            if let [s0, s1] = &mut s[..] {
                *s0 += f64::from(a);
                *s1 += f64::from(b);
            }
        } else {
            for (row, x) in &scratch.weighed {
                if let Some(w) = self.row_weights(*row) {
                    for (acc, w) in s.iter_mut().zip(w) {
                        *acc += f64::from(*w * x);
                    }
                }
            }
        }
        softmax(s);
        !scratch.weighed.is_empty()
    }

    /// The probability of each label, in [`Model::labels`] order.
    pub fn probabilities(&self, text: &str) -> Vec<f64> {
        let mut scratch = Scratch::default();
        if self.scores(text, &mut scratch) {
            scratch.scores
        } else {
            vec![1.0 / self.labels.len() as f64; self.labels.len()]
        }
    }

    /// The most probable label of `text` and its probability.
    pub fn predict(&self, text: &str) -> Prediction<'_> {
        let mut scratch = Scratch::default();
        let known = self.scores(text, &mut scratch);
        self.best(&scratch.scores, known)
    }

    fn best(&self, p: &[f64], known: bool) -> Prediction<'_> {
        let mut index = 0;
        for (i, v) in p.iter().enumerate() {
            if *v > p.get(index).copied().unwrap_or(f64::NEG_INFINITY) {
                index = i;
            }
        }
        Prediction {
            label: self.labels.get(index).map_or("", String::as_str),
            index,
            confidence: if known {
                p.get(index).copied().unwrap_or(0.0)
            } else {
                1.0 / self.labels.len() as f64
            },
        }
    }

    /// The prediction with up to `top` terms for and against its label.
    ///
    /// A term's weight is what it adds to the label's score over the other labels' mean:
    /// `x · (w_label − mean_{j ≠ label} w_j)` for its feature value `x` (for two labels, its
    /// share of the log-odds). Unlike the gradient of the label's probability, it does not
    /// vanish when the model is sure. Terms that name the same text (the word 制冷 and the
    /// character pair 制冷) are summed.
    pub fn explain(&self, text: &str, top: usize) -> Explanation<'_> {
        let text = cap(text);
        let mut scratch = Scratch::default();
        let known = self.scores(text, &mut scratch);
        let p = std::mem::take(&mut scratch.scores);
        let prediction = self.best(&p, known);
        // Each known bucket's value (summed over blocks), keyed by its bucket.
        let mut values: HashMap<u32, f32> = HashMap::new();
        for (row, x) in &scratch.weighed {
            if let Some(b) = self.rows.get(*row as usize) {
                *values.entry(*b).or_default() += x;
            }
        }
        let mut by_term: Vec<(String, f64)> = Vec::new();
        let mut seen_bucket = std::collections::HashSet::new();
        let mut position: HashMap<String, usize> = HashMap::new();
        for (bucket, term) in self.extractor.terms(text) {
            if !seen_bucket.insert(bucket) {
                continue;
            }
            let (Some(row), Some(x)) = (
                self.lookup(bucket).and_then(|(r, _)| self.row_weights(r)),
                values.get(&bucket),
            ) else {
                continue;
            };
            let own = row.get(prediction.index).map_or(0.0, |w| f64::from(*w));
            let others = row.len().saturating_sub(1).max(1) as f64;
            let mean = (row.iter().map(|w| f64::from(*w)).sum::<f64>() - own) / others;
            let effect = f64::from(*x) * (own - mean);
            match position.get(&term) {
                Some(&i) => {
                    if let Some(t) = by_term.get_mut(i) {
                        t.1 += effect;
                    }
                }
                None => {
                    position.insert(term.clone(), by_term.len());
                    by_term.push((term, effect));
                }
            }
        }
        // Strongest first; a stable sort keeps ties in first-seen order.
        by_term.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        let mut for_label = Vec::new();
        let mut against_label = Vec::new();
        for (term, weight) in by_term {
            let list = if weight > 0.0 {
                &mut for_label
            } else if weight < 0.0 {
                &mut against_label
            } else {
                continue;
            };
            if list.len() < top {
                list.push(Term { term, weight });
            }
        }
        Explanation {
            prediction,
            for_label,
            against_label,
        }
    }
}

/// `text` up to [`MAX_TEXT_BYTES`], cut at a character boundary.
fn cap(text: &str) -> &str {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

pub(crate) fn softmax(s: &mut [f64]) {
    let max = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in s.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        s.iter_mut().for_each(|v| *v /= sum);
    }
}
