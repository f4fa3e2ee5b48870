//! Stage 1: which kind of ticket this is.

use super::rules::{first_match, Outcome};
use crate::compile::Inner;
use crate::condition::Subject;

pub(crate) fn classify<'p>(
    inner: &'p Inner,
    subject: &Subject<'_>,
    explain: bool,
) -> Outcome<'p, std::sync::Arc<str>> {
    first_match(&inner.categories, subject, explain)
}
