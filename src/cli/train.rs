//! `aftercare train TICKETS --label PATH --out FILE [--test TICKETS] [--format text|json]`:
//! learn a text classifier from tickets whose field PATH holds the label; with `--test`,
//! measure it on other tickets. A thin shell over `aftercare::text`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;

use aftercare::text::{self, Evaluation, Example, Progress, Quantization, TrainOptions};
use aftercare::{Limits, Ticket};

use super::input;
use super::{write_out, Format, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Training tickets: a .json array, a .jsonl file, or - for JSON lines on stdin.
    tickets: String,
    /// The ticket field that holds the label: `kind`, `channel`, `customer.tier`,
    /// `product.model`, `attributes.NAME`, …
    #[arg(long, value_name = "PATH")]
    label: String,
    /// Where to write the model file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Tickets to measure the model on (never trained on), in the same formats.
    #[arg(long, value_name = "TICKETS")]
    test: Option<String>,
    /// Output for people or for tools.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Words to keep whole, one per line (product and model names); stored in the model.
    #[arg(long, value_name = "FILE")]
    user_dict: Option<PathBuf>,
    /// Fewest training tickets each label needs.
    #[arg(long, value_name = "N", default_value_t = 5)]
    min_examples: usize,
    /// Inverse strength of the L2 penalty, as scikit-learn's `C`.
    #[arg(
        long,
        value_name = "C",
        default_value_t = 10.0,
        conflicts_with = "choose_c"
    )]
    c: f64,
    /// Choose C among 0.1, 0.3, 1, 3, 10, 30 and 100 by 3-fold cross-validation on the
    /// training tickets (best mean macro-F1); takes about 20 trainings' time.
    #[arg(long)]
    choose_c: bool,
    /// Weigh rare labels up, so that each label counts as much as the others in training.
    #[arg(long)]
    balanced: bool,
    /// Fewest training tickets a feature must occur in to get a weight.
    #[arg(long, value_name = "N", default_value_t = 1)]
    min_df: usize,
    /// 2^N hash buckets (10..=22).
    #[arg(long, value_name = "N", default_value_t = 18)]
    buckets_log2: u8,
    /// Store weights in single precision (twice the size of the default half precision).
    #[arg(long)]
    f32: bool,
}

/// Tickets of a file with their labels, and what could not be used.
struct Loaded {
    examples: Vec<Example>,
    skipped: usize,
    bad: usize,
}

fn read(path: &str, label: &str) -> Result<Loaded, String> {
    let limits = Limits::default();
    let mut source = input::open(path)?;
    let mut loaded = Loaded {
        examples: Vec::new(),
        skipped: 0,
        bad: 0,
    };
    loop {
        let (texts, unreadable) = source.next_texts(4096, limits.max_ticket_bytes)?;
        for why in &unreadable {
            eprintln!("error: {path}: {why}");
        }
        loaded.bad += unreadable.len();
        if texts.is_empty() && unreadable.is_empty() {
            return Ok(loaded);
        }
        for json in texts {
            match Ticket::from_json_with_limits(&json, &limits) {
                Ok(t) => match text::label_of(&t, label)? {
                    Some(l) => loaded.examples.push(Example::new(text::ticket_text(&t), l)),
                    None => loaded.skipped += 1,
                },
                Err(e) => {
                    eprintln!("error: {path}: {e}");
                    loaded.bad += 1;
                }
            }
        }
    }
}

pub(crate) fn run(args: &Args) -> i32 {
    let train_set = match read(&args.tickets, &args.label) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let test_set = match args
        .test
        .as_deref()
        .map(|p| read(p, &args.label))
        .transpose()
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let user_words = match &args.user_dict {
        None => Vec::new(),
        Some(p) => match std::fs::read_to_string(p) {
            Ok(s) => s
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect(),
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", p.display());
                return EXIT_BAD_INPUT;
            }
        },
    };
    let options = TrainOptions {
        features: text::FeatureConfig {
            buckets_log2: args.buckets_log2,
            ..text::FeatureConfig::DEFAULT
        },
        user_words,
        c: args.c,
        c_grid: if args.choose_c {
            vec![0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
        } else {
            Vec::new()
        },
        balanced: args.balanced,
        min_df: args.min_df,
        min_examples: args.min_examples,
        quantization: if args.f32 {
            Quantization::F32
        } else {
            Quantization::F16
        },
        ..TrainOptions::default()
    };
    let terminal = std::io::stderr().is_terminal();
    let mut chosen = None;
    let mut progress = |p: Progress| {
        if let Progress::ChoseC { c, macro_f1 } = p {
            chosen = Some((c, macro_f1));
        }
        if !terminal {
            return;
        }
        match p {
            Progress::ChoosingC { c, candidate, of } => {
                eprint!("\rcross-validating C = {c} ({candidate}/{of})        ")
            }
            Progress::ChoseC { .. } => {}
            Progress::Features { done, total } => {
                eprint!("\rreading words: {done}/{total}        ")
            }
            Progress::Iteration {
                iteration,
                max,
                loss,
            } => eprint!("\rtraining: iteration {iteration}/{max}, loss {loss:.4}        "),
        }
    };
    let trained = text::train(&train_set.examples, &args.label, &options, &mut progress);
    if terminal {
        eprint!("\r\x1b[2K");
    }
    let model = match trained {
        Ok(m) => m,
        Err(e) => {
            eprintln!(
                "error: {e} (field `{}` of `{}`; {} ticket(s) without it skipped)",
                args.label, args.tickets, train_set.skipped
            );
            return EXIT_BAD_INPUT;
        }
    };
    let bytes = model.to_bytes();
    if let Err(e) = std::fs::write(&args.out, &bytes) {
        eprintln!("error: cannot write `{}`: {e}", args.out.display());
        return EXIT_FAILED;
    }
    let evaluation = test_set
        .as_ref()
        .map(|t| text::evaluate(&model, &t.examples));
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &train_set.examples {
        *counts.entry(e.label.as_str()).or_default() += 1;
    }
    let report = Report {
        args,
        train: &train_set,
        test: test_set.as_ref(),
        counts: &counts,
        bytes: bytes.len(),
        rows: model.weight_rows(),
        chosen,
        evaluation: evaluation.as_ref(),
    };
    write_out(&match args.format {
        Format::Text => report.text(),
        Format::Json => report.json(),
    });
    if train_set.bad + test_set.as_ref().map_or(0, |t| t.bad) > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

struct Report<'a> {
    args: &'a Args,
    train: &'a Loaded,
    test: Option<&'a Loaded>,
    counts: &'a BTreeMap<&'a str, usize>,
    bytes: usize,
    rows: usize,
    /// C chosen by cross-validation and its mean macro-F1 over the folds.
    chosen: Option<(f64, f64)>,
    evaluation: Option<&'a Evaluation>,
}

impl Report<'_> {
    fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "trained `{}` on {} ticket(s) ({} without it skipped{}): {} labels, {} weight rows, {} bytes -> {}",
            self.args.label,
            self.train.examples.len(),
            self.train.skipped,
            if self.train.bad > 0 {
                format!(", {} unreadable", self.train.bad)
            } else {
                String::new()
            },
            self.counts.len(),
            self.rows,
            self.bytes,
            self.args.out.display()
        );
        if let Some((c, f1)) = self.chosen {
            let _ = writeln!(
                s,
                "C = {c}, chosen by cross-validation on the training tickets (mean macro-F1 {f1:.4})"
            );
        }
        let (Some(test), Some(e)) = (self.test, self.evaluation) else {
            return s;
        };
        let _ = writeln!(
            s,
            "test: {} ticket(s) ({} without the label skipped)\naccuracy {:.4}  macro-F1 {:.4}\n",
            test.examples.len(),
            test.skipped,
            e.accuracy,
            e.macro_f1
        );
        let width = e
            .confusion
            .labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(s, "{:<width$}  precision  recall      f1  support", "label");
        for (label, m) in &e.labels {
            let _ = writeln!(
                s,
                "{label:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
                m.precision, m.recall, m.f1, m.support
            );
        }
        let _ = writeln!(
            s,
            "\nconfusion (rows: true label, columns: predicted, in this order)"
        );
        for (label, row) in e.confusion.labels.iter().zip(&e.confusion.counts) {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:>6}")).collect();
            let _ = writeln!(s, "{label:<width$}  {}", cells.join(""));
        }
        s
    }

    fn json(&self) -> String {
        let mut v = serde_json::json!({
            "trained": {
                "tickets": self.train.examples.len(),
                "skipped": self.train.skipped,
                "unreadable": self.train.bad,
                "labels": self.counts,
            },
            "model": {
                "path": self.args.out.display().to_string(),
                "bytes": self.bytes,
                "weight_rows": self.rows,
            },
        });
        if let (Some((c, f1)), Some(obj)) = (self.chosen, v.as_object_mut()) {
            obj.insert(
                "chosen_c".into(),
                serde_json::json!({"c": c, "cv_macro_f1": f1}),
            );
        }
        if let (Some(test), Some(e), Some(obj)) = (self.test, self.evaluation, v.as_object_mut()) {
            obj.insert(
                "test".into(),
                serde_json::json!({
                    "tickets": test.examples.len(),
                    "skipped": test.skipped,
                    "unreadable": test.bad,
                }),
            );
            obj.insert("accuracy".into(), e.accuracy.into());
            obj.insert("macro_f1".into(), e.macro_f1.into());
            obj.insert(
                "labels".into(),
                serde_json::to_value(&e.labels).unwrap_or_default(),
            );
            obj.insert(
                "confusion".into(),
                serde_json::to_value(&e.confusion).unwrap_or_default(),
            );
        }
        format!("{v}\n")
    }
}
