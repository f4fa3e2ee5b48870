//! Training: multinomial logistic regression (softmax) with an L2 penalty, fitted by L-BFGS,
//! over TF-IDF features whose idf is learnt here and stored in the model.
//!
//! The objective is scikit-learn's `LogisticRegression(C=c)` scaled by the number of examples
//! n: `(1/n) Σ −log p(yᵢ | xᵢ) + ‖W‖² / (2·c·n)`, the intercepts unpenalised. Deterministic:
//! examples are read in input order, buckets in ascending order, and the work that runs on
//! several threads writes disjoint slices (per-example probabilities, then per-feature
//! gradients summed over examples in input order), so the result does not depend on the
//! number of threads or their timing. Each text is turned into features once, also when C is
//! chosen by cross-validation.

// The solver's loops index the matrices that `Data::new` builds: every index comes from that
// construction (row and column pointers, label ids below `k`), never from input.
#![allow(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use super::features::{idf, weigh, Extractor, FeatureConfig, Raw, Scratch, Sparse};
use super::model::{softmax, Model, Quantization};
use super::tokenize::Tokenizer;

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The text (a ticket's subject and description).
    pub text: String,
    /// Its label.
    pub label: String,
}

impl Example {
    /// An example from text and label.
    pub fn new(text: impl Into<String>, label: impl Into<String>) -> Example {
        Example {
            text: text.into(),
            label: label.into(),
        }
    }
}

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// The features. Default [`FeatureConfig::DEFAULT`].
    pub features: FeatureConfig,
    /// Words the tokenizer keeps whole (product and model names); stored in the model.
    pub user_words: Vec<String>,
    /// Inverse strength of the L2 penalty, as scikit-learn's `C`. Default 10. Unused when
    /// [`c_grid`](TrainOptions::c_grid) is not empty.
    pub c: f64,
    /// Candidates for `c`: when not empty, the one with the best mean macro-F1 (ties: the
    /// smaller) over [`folds`](TrainOptions::folds)-fold cross-validation on the examples is
    /// used. Folds are fixed by a hash of each text. Default empty.
    pub c_grid: Vec<f64>,
    /// Folds of the cross-validation that chooses `c`. Default 3.
    pub folds: usize,
    /// Most L-BFGS iterations. Default 1000.
    pub max_iterations: usize,
    /// Training stops when no gradient component exceeds this (scikit-learn's `tol`).
    /// Default 1e-4.
    pub tolerance: f64,
    /// Weigh each example by `n / (labels × examples of its label)`, so that rare labels
    /// count as much as common ones (scikit-learn's `class_weight="balanced"`). Default off.
    pub balanced: bool,
    /// Fewest examples a label needs. Default 5.
    pub min_examples: usize,
    /// A bucket gets a weight only if at least this many training texts have it: rarer
    /// features cannot generalise, and leaving them out keeps the file small. Default 2.
    pub min_df: usize,
    /// How weights are stored. Default f16.
    pub quantization: Quantization,
    /// Worker threads; 0 for as many as the machine has. The result is the same for any
    /// number.
    pub threads: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            features: FeatureConfig::DEFAULT,
            user_words: Vec::new(),
            c: 10.0,
            c_grid: Vec::new(),
            folds: 3,
            max_iterations: 1000,
            tolerance: 1e-4,
            balanced: false,
            min_examples: 5,
            min_df: 1,
            quantization: Quantization::F16,
            threads: 0,
        }
    }
}

/// Why a model could not be trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// No example at all.
    #[error("no examples to learn from")]
    NoExamples,
    /// Fewer than two distinct labels.
    #[error("a model needs at least two labels; the examples have only {}", if labels.is_empty() { "none".to_string() } else { labels.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ") })]
    TooFewLabels {
        /// The labels found.
        labels: Vec<String>,
    },
    /// A label with fewer examples than [`TrainOptions::min_examples`].
    #[error("label `{label}` has {count} example(s); each label needs at least {min}")]
    TooFewExamples {
        /// The label.
        label: String,
        /// Its examples.
        count: usize,
        /// The minimum.
        min: usize,
    },
    /// Bad options.
    #[error("{0}")]
    Options(String),
}

/// What training reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    /// Texts turned into features so far.
    Features {
        /// Done.
        done: usize,
        /// Of.
        total: usize,
    },
    /// Cross-validation is trying a candidate C.
    ChoosingC {
        /// The candidate.
        c: f64,
        /// Its position among the candidates, from 1.
        candidate: usize,
        /// Candidates.
        of: usize,
    },
    /// Cross-validation chose this C.
    ChoseC {
        /// The C.
        c: f64,
        /// Its mean macro-F1 over the folds.
        macro_f1: f64,
    },
    /// One optimiser iteration finished.
    Iteration {
        /// Iteration number, from 1.
        iteration: usize,
        /// The most iterations.
        max: usize,
        /// The objective after it.
        loss: f64,
    },
}

/// Trains a model that predicts the label of a text. `label_field` names the ticket field
/// the labels came from (stored in the model, shown by `explain`). `progress` is called now
/// and then.
///
/// See [`Model`] for an example.
pub fn train(
    examples: &[Example],
    label_field: &str,
    options: &TrainOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Model, TrainError> {
    options.features.check().map_err(TrainError::Options)?;
    if !(options.c.is_finite() && options.c > 0.0) {
        return Err(TrainError::Options(format!(
            "c is {}; it must be a positive number",
            options.c
        )));
    }
    if examples.is_empty() {
        return Err(TrainError::NoExamples);
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in examples {
        *counts.entry(e.label.as_str()).or_default() += 1;
    }
    if counts.len() < 2 {
        return Err(TrainError::TooFewLabels {
            labels: counts.keys().map(|l| l.to_string()).collect(),
        });
    }
    if counts.len() > 65_535 {
        return Err(TrainError::Options(format!(
            "{} labels; a model has at most 65535",
            counts.len()
        )));
    }
    // The label with the fewest examples first, so that the message names the worst one.
    if let Some((label, count)) = counts
        .iter()
        .filter(|(_, n)| **n < options.min_examples.max(1))
        .min_by_key(|(l, n)| (**n, **l))
    {
        return Err(TrainError::TooFewExamples {
            label: label.to_string(),
            count: *count,
            min: options.min_examples,
        });
    }
    let labels: Vec<String> = counts.keys().map(|l| l.to_string()).collect();
    if let Some(bad) = options
        .c_grid
        .iter()
        .find(|c| !(c.is_finite() && **c > 0.0))
    {
        return Err(TrainError::Options(format!(
            "a candidate c is {bad}; each must be a positive number"
        )));
    }
    let extractor = Extractor {
        config: options.features,
        tokenizer: Tokenizer::with_user_words(&options.user_words),
    };
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    };

    let docs = featurize(&extractor, examples, threads, progress);
    let y: Vec<usize> = examples
        .iter()
        .map(|e| labels.binary_search(&e.label).unwrap_or(0))
        .collect();
    let k = labels.len();
    let all: Vec<usize> = (0..docs.len()).collect();
    let c = if options.c_grid.is_empty() {
        options.c
    } else {
        choose_c(&docs, &y, k, examples, options, threads, progress)
    };
    let fit = fit(&docs, &y, &all, k, c, options, threads, progress);

    let bias: Vec<f32> = fit
        .theta
        .iter()
        .skip(fit.columns.len() * k)
        .map(|b| *b as f32)
        .collect();
    let weights: Vec<f32> = fit
        .theta
        .iter()
        .take(fit.columns.len() * k)
        .map(|w| quantize(*w as f32, options.quantization))
        .collect();
    Ok(Model::new(
        extractor,
        label_field.to_string(),
        labels,
        options.quantization,
        bias,
        fit.columns,
        fit.idf,
        weights,
    ))
}

fn quantize(w: f32, q: Quantization) -> f32 {
    match q {
        Quantization::F16 => super::file::f16_to_f32(super::file::f32_to_f16(w)),
        Quantization::F32 => w,
    }
}

/// Which of `folds` folds a text belongs to: FNV-1a of its bytes, so that the folds do not
/// depend on the order of the examples.
fn fold_of(text: &str, folds: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % folds.max(1) as u64) as usize
}

/// The candidate C with the best mean macro-F1 over the folds (ties: the smaller C).
fn choose_c(
    docs: &[Vec<Raw>],
    y: &[usize],
    k: usize,
    examples: &[Example],
    options: &TrainOptions,
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> f64 {
    let folds = options.folds.max(2);
    let fold: Vec<usize> = examples.iter().map(|e| fold_of(&e.text, folds)).collect();
    let mut grid = options.c_grid.clone();
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    let mut best = (f64::NEG_INFINITY, options.c);
    for (n, c) in grid.iter().enumerate() {
        progress(Progress::ChoosingC {
            c: *c,
            candidate: n + 1,
            of: grid.len(),
        });
        let mut score = 0.0;
        for f in 0..folds {
            let train: Vec<usize> = (0..docs.len()).filter(|i| fold[*i] != f).collect();
            let test: Vec<usize> = (0..docs.len()).filter(|i| fold[*i] == f).collect();
            let fit = fit(docs, y, &train, k, *c, options, threads, &mut |_| {});
            score += macro_f1(&fit, docs, y, &test, k);
        }
        score /= folds as f64;
        if score > best.0 {
            best = (score, *c);
        }
    }
    progress(Progress::ChoseC {
        c: best.1,
        macro_f1: best.0,
    });
    best.1
}

/// Macro-F1 of a fit on the examples `test`, over the labels true or predicted there.
fn macro_f1(fit: &Fit, docs: &[Vec<Raw>], y: &[usize], test: &[usize], k: usize) -> f64 {
    let mut col_of = vec![u32::MAX; fit.buckets];
    for (j, b) in fit.columns.iter().enumerate() {
        col_of[*b as usize] = j as u32;
    }
    let f = fit.columns.len();
    let (mut tp, mut truth, mut predicted) = (vec![0usize; k], vec![0usize; k], vec![0usize; k]);
    let mut x = Vec::new();
    let mut s = vec![0.0f64; k];
    for i in test {
        weigh(
            &docs[*i],
            |b| {
                let j = col_of[b as usize];
                (j != u32::MAX).then(|| (j, fit.idf[j as usize]))
            },
            &mut x,
        );
        s.copy_from_slice(&fit.theta[f * k..]);
        for (j, v) in &x {
            let j = *j as usize;
            for (acc, w) in s.iter_mut().zip(&fit.theta[j * k..j * k + k]) {
                *acc += w * f64::from(*v);
            }
        }
        let mut p = 0;
        for (l, v) in s.iter().enumerate() {
            if *v > s[p] {
                p = l;
            }
        }
        truth[y[*i]] += 1;
        predicted[p] += 1;
        if p == y[*i] {
            tp[p] += 1;
        }
    }
    let mut sum = 0.0;
    let mut labels = 0;
    for l in 0..k {
        if truth[l] + predicted[l] == 0 {
            continue;
        }
        labels += 1;
        sum += 2.0 * tp[l] as f64 / (truth[l] + predicted[l]) as f64;
    }
    if labels == 0 {
        0.0
    } else {
        sum / labels as f64
    }
}

/// A fitted model before it becomes a [`Model`].
struct Fit {
    buckets: usize,
    /// The buckets that became columns, ascending.
    columns: Vec<u32>,
    /// Their idf (quantised as the weights will be).
    idf: Vec<f32>,
    /// `columns.len() × k` weights, then `k` intercepts.
    theta: Vec<f64>,
}

#[allow(clippy::too_many_arguments)]
fn fit(
    docs: &[Vec<Raw>],
    y: &[usize],
    rows: &[usize],
    k: usize,
    c: f64,
    options: &TrainOptions,
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Fit {
    let data = Data::new(docs, y, rows, k, options);
    let lambda = 1.0 / (c * rows.len().max(1) as f64);
    let theta = lbfgs(&data, lambda, options, threads, progress);
    Fit {
        buckets: options.features.buckets(),
        columns: data.columns,
        idf: data.idf,
        theta,
    }
}

fn featurize(
    extractor: &Extractor,
    examples: &[Example],
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Vec<Raw>> {
    let total = examples.len();
    let step = 2048;
    let mut docs = Vec::with_capacity(total);
    for block in examples.chunks(step * threads.max(1)) {
        let per = block.len().div_ceil(threads.max(1)).max(1);
        let parts: Vec<Vec<Vec<Raw>>> = std::thread::scope(|s| {
            let handles: Vec<_> = block
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        let mut scratch = Scratch::default();
                        part.iter()
                            .map(|e| {
                                extractor.raw(&e.text, &mut scratch);
                                scratch.raw.clone()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        docs.extend(parts.into_iter().flatten());
        progress(Progress::Features {
            done: docs.len(),
            total,
        });
    }
    docs
}

/// The training matrix in both row (per example) and column (per feature) order.
struct Data {
    k: usize,
    y: Vec<usize>,
    /// Each example's weight in the loss.
    sw: Vec<f64>,
    /// Bucket of each column, ascending.
    columns: Vec<u32>,
    idf: Vec<f32>,
    row_ptr: Vec<usize>,
    row_col: Vec<u32>,
    row_val: Vec<f32>,
    col_ptr: Vec<usize>,
    col_row: Vec<u32>,
    col_val: Vec<f32>,
}

impl Data {
    /// The matrix of the examples `rows` of `docs`: document frequencies and idf from them
    /// alone, then each example weighed as a model weighs text.
    fn new(
        docs: &[Vec<Raw>],
        y: &[usize],
        rows: &[usize],
        k: usize,
        options: &TrainOptions,
    ) -> Data {
        let buckets = options.features.buckets();
        let mut df = vec![0u32; buckets];
        // A bucket counts once per text, also when both blocks have it.
        let mut last = vec![u32::MAX; buckets];
        for (n, i) in rows.iter().enumerate() {
            for (key, _) in &docs[*i] {
                let b = (key >> 1) as usize;
                if last[b] != n as u32 {
                    last[b] = n as u32;
                    df[b] += 1;
                }
            }
        }
        let min_df = options.min_df.max(1) as u32;
        let mut col_of = last;
        col_of.iter_mut().for_each(|c| *c = u32::MAX);
        let mut columns = Vec::new();
        let mut idfs = Vec::new();
        for (b, n) in df.iter().enumerate() {
            if *n >= min_df {
                col_of[b] = columns.len() as u32;
                columns.push(b as u32);
                idfs.push(quantize(
                    idf(rows.len(), *n as usize) as f32,
                    options.quantization,
                ));
            }
        }
        let mut row_ptr = vec![0];
        let mut row_col = Vec::new();
        let mut row_val = Vec::new();
        let mut col_count = vec![0usize; columns.len()];
        let mut x: Sparse = Vec::new();
        for i in rows {
            weigh(
                &docs[*i],
                |b| {
                    let j = col_of[b as usize];
                    (j != u32::MAX).then(|| (j, idfs[j as usize]))
                },
                &mut x,
            );
            for (j, v) in &x {
                row_col.push(*j);
                row_val.push(*v);
                col_count[*j as usize] += 1;
            }
            row_ptr.push(row_col.len());
        }
        let mut col_ptr = vec![0usize; columns.len() + 1];
        for (j, c) in col_count.iter().enumerate() {
            col_ptr[j + 1] = col_ptr[j] + c;
        }
        let mut fill = col_ptr.clone();
        let mut col_row = vec![0u32; row_col.len()];
        let mut col_val = vec![0f32; row_col.len()];
        for i in 0..rows.len() {
            for at in row_ptr[i]..row_ptr[i + 1] {
                let j = row_col[at] as usize;
                col_row[fill[j]] = i as u32;
                col_val[fill[j]] = row_val[at];
                fill[j] += 1;
            }
        }
        let y: Vec<usize> = rows.iter().map(|i| y[*i]).collect();
        let sw = if options.balanced {
            let mut count = vec![0usize; k];
            y.iter().for_each(|l| count[*l] += 1);
            let n = y.len() as f64;
            y.iter()
                .map(|l| n / (k as f64 * count[*l].max(1) as f64))
                .collect()
        } else {
            vec![1.0; y.len()]
        };
        Data {
            k,
            y,
            sw,
            columns,
            idf: idfs,
            row_ptr,
            row_col,
            row_val,
            col_ptr,
            col_row,
            col_val,
        }
    }

    fn n(&self) -> usize {
        self.y.len()
    }

    fn dim(&self) -> usize {
        (self.columns.len() + 1) * self.k
    }

    /// The objective at `theta` and its gradient into `grad`; `resid` is scratch (n × k).
    fn value_and_gradient(
        &self,
        theta: &[f64],
        lambda: f64,
        threads: usize,
        resid: &mut [f64],
        grad: &mut [f64],
    ) -> f64 {
        let (k, n, f) = (self.k, self.n(), self.columns.len());
        let bias = &theta[f * k..];
        // Probabilities minus the one-hot label, per example; loss per example.
        let mut losses = vec![0.0f64; n];
        let per = n.div_ceil(threads).max(1);
        std::thread::scope(|s| {
            for ((rs, ls), start) in resid
                .chunks_mut(per * k)
                .zip(losses.chunks_mut(per))
                .zip((0..).step_by(per))
            {
                s.spawn(move || {
                    for (off, (r, loss)) in rs.chunks_mut(k).zip(ls.iter_mut()).enumerate() {
                        let i = start + off;
                        r.copy_from_slice(bias);
                        for at in self.row_ptr[i]..self.row_ptr[i + 1] {
                            let j = self.row_col[at] as usize;
                            let x = f64::from(self.row_val[at]);
                            for (acc, w) in r.iter_mut().zip(&theta[j * k..j * k + k]) {
                                *acc += w * x;
                            }
                        }
                        let max = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        let lse = max + r.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                        let yi = self.y[i];
                        let sw = self.sw[i];
                        *loss = sw * (lse - r[yi]);
                        softmax(r);
                        r[yi] -= 1.0;
                        if sw != 1.0 {
                            r.iter_mut().for_each(|v| *v *= sw);
                        }
                    }
                });
            }
        });
        let inv_n = 1.0 / n as f64;
        let mut value = losses.iter().sum::<f64>() * inv_n;
        // Per-feature gradients: disjoint column ranges, each summed in example order.
        let (gw, gb) = grad.split_at_mut(f * k);
        let per_col = f.div_ceil(threads).max(1);
        let resid = &*resid;
        std::thread::scope(|s| {
            for (part, first) in gw.chunks_mut(per_col * k).zip((0..).step_by(per_col)) {
                s.spawn(move || {
                    for (off, g) in part.chunks_mut(k).enumerate() {
                        let j = first + off;
                        g.iter_mut().for_each(|v| *v = 0.0);
                        for at in self.col_ptr[j]..self.col_ptr[j + 1] {
                            let i = self.col_row[at] as usize;
                            let x = f64::from(self.col_val[at]);
                            for (gv, r) in g.iter_mut().zip(&resid[i * k..i * k + k]) {
                                *gv += r * x;
                            }
                        }
                        for (gv, w) in g.iter_mut().zip(&theta[j * k..j * k + k]) {
                            *gv = *gv * inv_n + lambda * w;
                        }
                    }
                });
            }
        });
        gb.iter_mut().for_each(|v| *v = 0.0);
        for r in resid.chunks(k) {
            for (g, v) in gb.iter_mut().zip(r) {
                *g += v;
            }
        }
        gb.iter_mut().for_each(|v| *v *= inv_n);
        value += 0.5 * lambda * theta[..f * k].iter().map(|w| w * w).sum::<f64>();
        value
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// L-BFGS (memory 8) with a backtracking Armijo line search, from all-zero weights. Stops
/// when the largest gradient component is below the tolerance, the objective stops falling
/// (relative change below 1e-10), or after the most iterations.
fn lbfgs(
    data: &Data,
    lambda: f64,
    options: &TrainOptions,
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Vec<f64> {
    const MEMORY: usize = 8;
    let max_iterations = options.max_iterations;
    let tolerance = if options.tolerance > 0.0 {
        options.tolerance
    } else {
        1e-4
    };
    let threads = threads.max(1);
    let dim = data.dim();
    let mut resid = vec![0.0; data.n() * data.k];
    let mut x = vec![0.0; dim];
    let mut g = vec![0.0; dim];
    let mut fx = data.value_and_gradient(&x, lambda, threads, &mut resid, &mut g);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
        std::collections::VecDeque::new();
    let mut d = vec![0.0; dim];
    let mut x_new = vec![0.0; dim];
    let mut g_new = vec![0.0; dim];
    for iteration in 1..=max_iterations {
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) < tolerance {
            break;
        }
        // Two-loop recursion: d = −H·g.
        d.copy_from_slice(&g);
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let a = rho * dot(s, &d);
            d.iter_mut().zip(y).for_each(|(di, yi)| *di -= a * yi);
            alphas.push(a);
        }
        let gamma = history
            .back()
            .map_or(1.0 / dot(&g, &g).sqrt().max(1e-12), |(s, y, _)| {
                dot(s, y) / dot(y, y)
            });
        d.iter_mut().for_each(|v| *v *= gamma);
        for ((s, y, rho), a) in history.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &d);
            d.iter_mut().zip(s).for_each(|(di, si)| *di += (a - b) * si);
        }
        d.iter_mut().for_each(|v| *v = -*v);
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart along the gradient.
            history.clear();
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            slope = dot(&g, &d);
        }
        let mut step = 1.0;
        let mut f_new = fx;
        let mut accepted = false;
        for _ in 0..40 {
            x_new
                .iter_mut()
                .zip(&x)
                .zip(&d)
                .for_each(|((xn, xi), di)| *xn = xi + step * di);
            f_new = data.value_and_gradient(&x_new, lambda, threads, &mut resid, &mut g_new);
            if f_new <= fx + 1e-4 * step * slope {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        let f_old = fx;
        fx = f_new;
        progress(Progress::Iteration {
            iteration,
            max: max_iterations,
            loss: fx,
        });
        if (f_old - fx).abs() <= 1e-10 * f_old.abs().max(fx.abs()).max(1.0) {
            break;
        }
    }
    x
}
