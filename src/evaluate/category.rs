//! Stage 1: which kind of ticket this is. The category rules, then the `classify` hook.

use super::rules::first_match;
use super::{note, unknown, Name};
use crate::compile::{Compiled, Scan, Subject};
use crate::output::trace::{TraceEvent, TraceStage};
use crate::script::Session;
use crate::ticket::TicketError;

/// The category (its index and id) and the rule that gave it.
pub(super) fn decide<'p>(
    inner: &'p Compiled,
    subject: &Subject<'_>,
    scan: &mut Scan,
    hooks: Option<&mut Session<'_>>,
    trace: &mut Option<Vec<TraceEvent>>,
) -> Result<((usize, Name<'p>), Name<'p>), TicketError> {
    let explain = trace.is_some();
    let cat = first_match(&inner.categories, subject, &inner.keywords, scan, explain);
    let current = cat.outcome;
    let mut category = (current.index, Name::Policy(&current.id));
    let mut category_rule = Name::Policy(cat.rule);
    if explain {
        let value = current.id.to_string();
        note(
            trace,
            TraceEvent::Rule {
                stage: TraceStage::Category,
                value,
                outcome: cat.describe(),
            },
        );
    }
    if let Some(h) = hooks {
        if let Some(c) = h.classify(&current.id, trace)? {
            let index = inner
                .category_ids
                .iter()
                .position(|id| *id == c)
                .ok_or_else(|| unknown(subject.ticket, "category"))?;
            category = (index, Name::Script(c));
            category_rule = Name::Script("script".into());
        }
    }
    Ok((category, category_rule))
}
