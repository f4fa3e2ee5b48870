//! Stage 3: which department and team own the ticket. Rules may read category and priority.

use super::rules::{first_match, Outcome};
use crate::compile::{Inner, RouteTarget};
use crate::condition::Subject;

pub(crate) fn route<'p>(
    inner: &'p Inner,
    subject: &Subject<'_>,
    explain: bool,
) -> Outcome<'p, RouteTarget> {
    first_match(&inner.routes, subject, explain)
}
