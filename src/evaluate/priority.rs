//! Stage 2: how urgent the ticket is. Rules may read the category.

use super::rules::{first_match, Outcome};
use crate::compile::Inner;
use crate::condition::{Scan, Subject};

/// The winning rule and the index of the priority it gives.
pub(crate) fn prioritise<'p>(
    inner: &'p Inner,
    subject: &Subject<'_>,
    scan: &mut Scan,
    explain: bool,
) -> Outcome<'p, usize> {
    first_match(
        &inner.priority_rules,
        subject,
        &inner.keywords,
        scan,
        explain,
    )
}
