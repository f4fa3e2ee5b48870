//! Stage 6: the satisfaction visit (满意度回访) after resolution.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::history::History;
use super::sla::Runs;
use crate::compile::Compiled;
use crate::output::decision::{ClockStatus, FollowUp, ZonedInstant};

pub(crate) fn follow_up(
    inner: &Compiled,
    history: &History,
    runs: &Runs<'_>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Option<FollowUp> {
    let policy = inner.follow_up.as_ref()?;
    let outcome = |score: u8| {
        if score <= policy.unsatisfied_at_or_below {
            "unsatisfied"
        } else {
            "satisfied"
        }
    };
    // The latest resolved cycle, and whether the ticket is back in handling since.
    let resolved = history.cycles.iter().rev().find(|c| c.is_resolved());
    let open_now = history.current().is_some_and(|c| c.end.is_none());
    let (Some(cycle), Some(run)) = (resolved, runs.follow_up.as_ref()) else {
        return Some(FollowUp {
            due: None,
            status: "not_due",
            outcome: None,
            score: None,
        });
    };
    let due = run.due.map(|d| ZonedInstant::new(d, tz));
    Some(match cycle.visit {
        Some(v) => FollowUp {
            due,
            status: "done",
            outcome: Some(outcome(v.score)),
            score: Some(v.score),
        },
        // Reopened before any visit: the visit is no longer owed for that resolution.
        None if open_now => FollowUp {
            due: None,
            status: "not_due",
            outcome: None,
            score: None,
        },
        None => FollowUp {
            due,
            status: if run.status(now) == ClockStatus::Breached {
                "missed"
            } else {
                "pending"
            },
            outcome: None,
            score: None,
        },
    })
}
