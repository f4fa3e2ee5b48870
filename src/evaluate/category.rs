//! Stage 1: which kind of ticket this is.

use super::rules::{first_match, Outcome};
use crate::compile::{CategoryId, Inner};
use crate::condition::{Scan, Subject};

pub(crate) fn classify<'p>(
    inner: &'p Inner,
    subject: &Subject<'_>,
    scan: &mut Scan,
    explain: bool,
) -> Outcome<'p, CategoryId> {
    first_match(&inner.categories, subject, &inner.keywords, scan, explain)
}
