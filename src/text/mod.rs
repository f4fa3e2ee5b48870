//! Understanding the customer's words: one tokenizer for the crate, hashed text features, and
//! a trainable linear classifier (softmax regression) stored in a versioned model file.
//!
//! - [`Tokenizer`]: Chinese word segmentation (jieba's dictionary, built once per process and
//!   shared), Unicode word boundaries for other scripts, lower-casing, stop words, optional
//!   user words kept whole.
//! - [`FeatureConfig`]: hashed word unigrams and bigrams plus character n-grams of Han text.
//! - [`train`] / [`evaluate`]: fit a [`Model`] on labelled [`Example`]s and measure it.
//! - [`Model`]: load, predict (label and probability), explain (terms for and against).
//!
//! Only a ticket's `subject` and `description` are ever read ([`ticket_text`]): personal fields
//! never become features.
//!
//! ```
//! use aftercare::text::{self, Example, TrainOptions};
//! use aftercare::Ticket;
//!
//! let tickets = [
//!     r#"{"id": "1", "created_at": "2025-10-09T09:00:00+08:00", "description": "空调不制冷", "attributes": {"t": "fault"}}"#,
//!     r#"{"id": "2", "created_at": "2025-10-09T09:00:00+08:00", "description": "冰箱不制冷了", "attributes": {"t": "fault"}}"#,
//!     r#"{"id": "3", "created_at": "2025-10-09T09:00:00+08:00", "description": "我要退货", "attributes": {"t": "return"}}"#,
//!     r#"{"id": "4", "created_at": "2025-10-09T09:00:00+08:00", "description": "申请退货退款", "attributes": {"t": "return"}}"#,
//!     r#"{"id": "5", "created_at": "2025-10-09T09:00:00+08:00", "description": "没有标签"}"#,
//! ];
//! let tickets: Vec<Ticket> = tickets.iter().map(|t| Ticket::from_json(t).unwrap()).collect();
//! let (examples, skipped) = text::examples(&tickets, "attributes.t").unwrap();
//! assert_eq!((examples.len(), skipped), (4, 1));
//! let opts = TrainOptions { min_examples: 2, min_df: 1, ..TrainOptions::default() };
//! let model = text::train(&examples, "attributes.t", &opts, &mut |_| {}).unwrap();
//! assert_eq!(model.predict("洗衣机不制冷").label, "fault");
//! ```

mod evaluate;
mod features;
mod file;
mod model;
mod tokenize;
mod train;

pub use evaluate::{evaluate, Confusion, Evaluation, LabelScores};
pub use features::FeatureConfig;
pub(crate) use features::Scratch;
pub use file::{FORMAT_VERSION, MAX_MODEL_BYTES};
pub use model::{Explanation, Model, Prediction, Quantization, Term, MAX_TEXT_BYTES};
pub use tokenize::{is_han, is_negation, is_stop_word, normalize, warm_up, Tokenizer, Word};
pub use train::{train, Example, Progress, TrainError, TrainOptions};

use crate::ticket::{AttrValue, Ticket};

/// Why a model file could not be read. Each kind has a [`hint`](ModelError::hint) for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// No file at the path.
    #[error("model file `{path}` does not exist")]
    Missing {
        /// The path as given.
        path: String,
    },
    /// A directory, device or other non-file.
    #[error("`{path}` is not a regular file")]
    NotAFile {
        /// The path as given.
        path: String,
    },
    /// The file exists but cannot be read.
    #[error("cannot read model file `{path}`: {message}")]
    Unreadable {
        /// The path as given.
        path: String,
        /// The system's reason.
        message: String,
    },
    /// Larger than [`MAX_MODEL_BYTES`].
    #[error("the model file is {size} bytes; the limit is {limit} bytes")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// It does not start with the model file signature.
    #[error("not an aftercare model file")]
    NotAModel,
    /// Written in a format version this build does not read.
    #[error("model file format version {found}; this aftercare reads version {supported}")]
    Version {
        /// The file's version.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// Shorter than it says it is.
    #[error("the model file is truncated: {actual} bytes{}", expected.map(|e| format!(" of {e}")).unwrap_or_default())]
    Truncated {
        /// Bytes present.
        actual: u64,
        /// Bytes the header announces, when the header is there.
        expected: Option<u64>,
    },
    /// Its checksum does not match its contents.
    #[error("the model file is damaged: its checksum does not match")]
    Checksum,
    /// Well-formed header and checksum, impossible contents.
    #[error("the model file is damaged: {0}")]
    Corrupt(String),
}

impl ModelError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ModelError::Missing { .. } => {
                "the path is relative to the policy file; train one with `aftercare train TICKETS --label FIELD --out FILE`"
            }
            ModelError::NotAFile { .. } => "point `path` at a model file written by `aftercare train`",
            ModelError::Unreadable { .. } => "check the file's permissions",
            ModelError::TooLarge { .. } => {
                "train with fewer buckets or with f16 weights (the default)"
            }
            ModelError::NotAModel => "model files are written by `aftercare train`",
            ModelError::Version { .. } => {
                "train the model again with this version of `aftercare train`"
            }
            ModelError::Truncated { .. } | ModelError::Checksum | ModelError::Corrupt(_) => {
                "the file was cut short or changed after it was written; copy or train it again"
            }
        }
    }
}

/// The text a model reads from a ticket: `subject` and `description`, one line each. Nothing
/// else, so that personal fields never become features.
pub fn ticket_text(ticket: &Ticket) -> String {
    match (&ticket.subject, &ticket.description) {
        (Some(s), Some(d)) => format!("{s}\n{d}"),
        (Some(s), None) => s.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => String::new(),
    }
}

/// Reads the label at `path` (`kind`, `channel`, `customer.tier`, `customer.region`,
/// `customer.X`, `product.model`, `product.X`, `attributes.X`) of a ticket: `Ok(None)` when the
/// ticket has no (or an empty) value there. Personal fields cannot be labels.
///
/// ```
/// let t = aftercare::Ticket::from_json(r#"{"id": "1", "created_at": "2025-10-09T09:00:00+08:00",
///     "attributes": {"sentiment": "negative", "n": 3}}"#).unwrap();
/// assert_eq!(aftercare::text::label_of(&t, "attributes.sentiment").unwrap().as_deref(), Some("negative"));
/// assert_eq!(aftercare::text::label_of(&t, "attributes.n").unwrap().as_deref(), Some("3"));
/// assert_eq!(aftercare::text::label_of(&t, "kind").unwrap(), None);
/// assert!(aftercare::text::label_of(&t, "customer.name").is_err());
/// ```
pub fn label_of(ticket: &Ticket, path: &str) -> Result<Option<String>, String> {
    let plain = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let attr = |v: Option<&AttrValue>| -> Option<String> {
        match v? {
            AttrValue::Str(s) => Some(s.clone()).filter(|s| !s.trim().is_empty()),
            AttrValue::Bool(b) => Some(b.to_string()),
            AttrValue::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Some(format!("{}", *n as i64))
            }
            AttrValue::Num(n) => Some(n.to_string()),
            // A list is not one label.
            AttrValue::List(_) => None,
        }
    };
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    Ok(match (head, rest) {
        ("kind", None) => plain(&ticket.kind),
        ("channel", None) => plain(&ticket.channel),
        ("customer", Some("name" | "contact")) | ("product", Some("order_no" | "serial_no")) => {
            return Err(format!(
                "`{path}` is personal data; it can never be a model's label"
            ))
        }
        ("customer", Some("tier")) => plain(&ticket.customer.tier),
        ("customer", Some("region")) => plain(&ticket.customer.region),
        ("customer", Some("id")) => plain(&ticket.customer.id),
        ("customer", Some(k)) if !k.is_empty() => attr(ticket.customer.extra.get(k)),
        ("product", Some("model")) => plain(&ticket.product.model),
        ("product", Some(k)) if !k.is_empty() => attr(ticket.product.extra.get(k)),
        ("attributes", Some(k)) if !k.is_empty() => attr(ticket.attributes.get(k)),
        _ => {
            return Err(format!(
                "`{path}` is not a ticket field a label can come from; use `kind`, `channel`, \
                 `customer.tier`, `customer.region`, `product.model`, `attributes.NAME`, \
                 `customer.NAME` or `product.NAME`"
            ))
        }
    })
}

/// Training examples from tickets: each ticket's [`ticket_text`] with its label at `path`.
/// Returns the examples and how many tickets were skipped for having no label there.
pub fn examples(tickets: &[Ticket], path: &str) -> Result<(Vec<Example>, usize), String> {
    let mut out = Vec::with_capacity(tickets.len());
    let mut skipped = 0;
    for t in tickets {
        match label_of(t, path)? {
            Some(label) => out.push(Example {
                text: ticket_text(t),
                label,
            }),
            None => skipped += 1,
        }
    }
    Ok((out, skipped))
}
