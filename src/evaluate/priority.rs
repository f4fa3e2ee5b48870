//! Stage 2: how urgent the ticket is. The priority rules (which may read the category), then
//! the `prioritise` hook.

use super::rules::first_match;
use super::{note, Name};
use crate::compile::{Compiled, Scan, Subject};
use crate::output::trace::{TraceEvent, TraceStage};
use crate::script::Session;
use crate::ticket::TicketError;

/// The index of the priority and the rule that gave it.
pub(super) fn decide<'p>(
    inner: &'p Compiled,
    subject: &Subject<'_>,
    scan: &mut Scan,
    hooks: Option<&mut Session<'_>>,
    trace: &mut Option<Vec<TraceEvent>>,
) -> Result<(usize, Name<'p>), TicketError> {
    let explain = trace.is_some();
    let pri = first_match(
        &inner.priority_rules,
        subject,
        &inner.keywords,
        scan,
        explain,
    );
    let mut priority = *pri.outcome;
    let mut priority_rule = Name::Policy(pri.rule);
    if explain {
        let value = inner.priorities.get(priority).map_or("?", |p| &**p);
        let value = value.to_string();
        let outcome = pri.describe();
        note(
            trace,
            TraceEvent::Rule {
                stage: TraceStage::Priority,
                value,
                outcome,
            },
        );
    }
    if let Some(h) = hooks {
        let category = subject.category.map_or("", |(_, c)| c);
        if let Some(p) = h.prioritise(category, priority, trace)? {
            priority = p;
            priority_rule = Name::Script("script".into());
        }
    }
    Ok((priority, priority_rule))
}
