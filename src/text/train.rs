//! Training: multinomial logistic regression (softmax) with an L2 penalty, fitted by L-BFGS.
//!
//! The objective is scikit-learn's `LogisticRegression(C=c)` scaled by the number of examples
//! n: `(1/n) Σ −log p(yᵢ | xᵢ) + ‖W‖² / (2·c·n)`, the intercepts unpenalised. Deterministic:
//! examples are read in input order, buckets in ascending order, and the work that runs on
//! several threads writes disjoint slices (per-example probabilities, then per-feature
//! gradients summed over examples in input order), so the result does not depend on the
//! number of threads or their timing.

// The solver's loops index the matrices that `Data::new` builds: every index comes from that
// construction (row and column pointers, label ids below `k`), never from input.
#![allow(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use super::features::{Extractor, FeatureConfig, Scratch, Sparse};
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
    /// Inverse strength of the L2 penalty, as scikit-learn's `C`. Default 10.
    pub c: f64,
    /// Most L-BFGS iterations. Default 150.
    pub max_iterations: usize,
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
            max_iterations: 150,
            min_examples: 5,
            min_df: 2,
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
    let data = Data::new(&docs, y, labels.len(), options.min_df.max(1));
    let lambda = 1.0 / (options.c * docs.len() as f64);
    let theta = lbfgs(&data, lambda, options.max_iterations, threads, progress);

    // Keep the rows with a weight that survives quantisation.
    let k = labels.len();
    let f = data.columns.len();
    let q = |w: f64| -> f32 {
        let w = w as f32;
        match options.quantization {
            Quantization::F16 => super::file::f16_to_f32(super::file::f32_to_f16(w)),
            Quantization::F32 => w,
        }
    };
    let mut rows = Vec::new();
    let mut weights = Vec::new();
    for (j, bucket) in data.columns.iter().enumerate() {
        let row: Vec<f32> = theta.iter().skip(j * k).take(k).map(|w| q(*w)).collect();
        if row.iter().any(|w| *w != 0.0) {
            rows.push(*bucket);
            weights.extend(row);
        }
    }
    let bias: Vec<f32> = theta.iter().skip(f * k).map(|b| *b as f32).collect();
    Ok(Model::new(
        extractor,
        label_field.to_string(),
        labels,
        options.quantization,
        bias,
        rows,
        weights,
    ))
}

fn featurize(
    extractor: &Extractor,
    examples: &[Example],
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Sparse> {
    let total = examples.len();
    let step = 2048;
    let mut docs = Vec::with_capacity(total);
    for block in examples.chunks(step * threads.max(1)) {
        let per = block.len().div_ceil(threads.max(1)).max(1);
        let parts: Vec<Vec<Sparse>> = std::thread::scope(|s| {
            let handles: Vec<_> = block
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        let mut scratch = Scratch::default();
                        part.iter()
                            .map(|e| {
                                let mut v = Vec::new();
                                extractor.extract_into(&e.text, &mut scratch, &mut v);
                                v
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
    /// Bucket of each column, ascending.
    columns: Vec<u32>,
    row_ptr: Vec<usize>,
    row_col: Vec<u32>,
    row_val: Vec<f32>,
    col_ptr: Vec<usize>,
    col_row: Vec<u32>,
    col_val: Vec<f32>,
}

impl Data {
    fn new(docs: &[Sparse], y: Vec<usize>, k: usize, min_df: usize) -> Data {
        let mut df: BTreeMap<u32, usize> = BTreeMap::new();
        for d in docs {
            for (b, _) in d {
                *df.entry(*b).or_default() += 1;
            }
        }
        let columns: Vec<u32> = df
            .into_iter()
            .filter(|(_, n)| *n >= min_df)
            .map(|(b, _)| b)
            .collect();
        let mut row_ptr = vec![0];
        let mut row_col = Vec::new();
        let mut row_val = Vec::new();
        let mut col_count = vec![0usize; columns.len()];
        for d in docs {
            for (b, v) in d {
                if let Ok(j) = columns.binary_search(b) {
                    row_col.push(j as u32);
                    row_val.push(*v);
                    if let Some(c) = col_count.get_mut(j) {
                        *c += 1;
                    }
                }
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
        for i in 0..docs.len() {
            for at in row_ptr[i]..row_ptr[i + 1] {
                let j = row_col[at] as usize;
                col_row[fill[j]] = i as u32;
                col_val[fill[j]] = row_val[at];
                fill[j] += 1;
            }
        }
        Data {
            k,
            y,
            columns,
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
                        *loss = lse - r[yi];
                        softmax(r);
                        r[yi] -= 1.0;
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
/// when the largest gradient component is below 1e-5, the objective stops falling (relative
/// change below 1e-10), or after `max_iterations`.
fn lbfgs(
    data: &Data,
    lambda: f64,
    max_iterations: usize,
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Vec<f64> {
    const MEMORY: usize = 8;
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
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) < 1e-5 {
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
