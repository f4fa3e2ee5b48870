//! Stage 3: which department and team own the ticket. The route rules (which may read
//! category and priority), then the `route` hook.

use std::borrow::Cow;

use super::rules::first_match;
use super::{note, unknown, Name};
use crate::compile::{Compiled, RouteTarget, Scan, Subject};
use crate::output::trace::{TraceEvent, TraceStage};
use crate::script::Session;
use crate::ticket::TicketError;

/// The route and the rule that gave it. The department is one the policy knows.
pub(super) fn decide<'p>(
    inner: &'p Compiled,
    subject: &Subject<'_>,
    scan: &mut Scan,
    hooks: Option<&mut Session<'_>>,
    trace: &mut Option<Vec<TraceEvent>>,
) -> Result<(Cow<'p, RouteTarget>, Name<'p>), TicketError> {
    let explain = trace.is_some();
    let rt = first_match(&inner.routes, subject, &inner.keywords, scan, explain);
    let mut target = Cow::Borrowed(rt.outcome);
    let mut route_rule = Name::Policy(rt.rule);
    if explain {
        let dept = inner
            .departments
            .get(target.department)
            .map_or("?", |d| &*d.id);
        let team = target
            .team
            .as_deref()
            .map(|t| format!(" / {t}"))
            .unwrap_or_default();
        note(
            trace,
            TraceEvent::Rule {
                stage: TraceStage::Route,
                value: format!("{dept}{team}"),
                outcome: rt.describe(),
            },
        );
    }
    if let Some(h) = hooks {
        let category = subject.category.map_or("", |(_, c)| c);
        let priority = subject.priority.map_or("", |(_, p)| p);
        if let Some(t) = h.route(category, priority, &target, trace)? {
            target = Cow::Owned(t);
            route_rule = Name::Script(h.rule());
        }
    }
    if inner.departments.get(target.department).is_none() {
        return Err(unknown(subject.ticket, "department"));
    }
    Ok((target, route_rule))
}
