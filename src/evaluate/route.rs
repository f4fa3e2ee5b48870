//! Stage 3: which department and team own the ticket. Rules may read category and priority.

use super::rules::{first_match, Outcome};
use crate::compile::{Inner, RouteTarget};
use crate::condition::{Scan, Subject};

pub(crate) fn route<'p>(
    inner: &'p Inner,
    subject: &Subject<'_>,
    scan: &mut Scan,
    explain: bool,
) -> Outcome<'p, RouteTarget> {
    first_match(&inner.routes, subject, &inner.keywords, scan, explain)
}
