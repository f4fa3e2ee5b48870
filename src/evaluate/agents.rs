//! Agents' events: a person transfers the ticket (`assigned`), sets its priority or its
//! category. Each is checked against the policy, and from its instant on it wins over the
//! rules and the script hooks.
//!
//! Events after `now` are not known yet and are ignored, like every event. An event that names
//! a department, team, priority or category the policy does not know is an error that names
//! the event.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::compile::{Compiled, RouteTarget};
use crate::ticket::{EventKind, Ticket, TicketError, TicketErrorKind};

/// One person's choice: the event's number (1-based, in time order), its instant and what it
/// chose.
#[derive(Clone)]
pub(crate) struct Act<T> {
    pub(crate) n: usize,
    pub(crate) at: DateTime<Utc>,
    pub(crate) value: T,
}

/// What agents did to a ticket up to `now`.
#[derive(Default)]
pub(crate) struct Acts {
    /// The latest category an agent set (its index among the policy's).
    pub(crate) category: Option<Act<usize>>,
    /// Every priority an agent set (indexes), in time order.
    pub(crate) priorities: Vec<Act<usize>>,
    /// Every assignment, in time order: department, team, assignee, and the calendar the
    /// ticket counts on there.
    pub(crate) assignments: Vec<Act<RouteTarget>>,
}

impl Acts {
    /// The priority in force now, if an agent set one.
    pub(crate) fn priority(&self) -> Option<&Act<usize>> {
        self.priorities.last()
    }

    /// The assignment in force now, if an agent made one.
    pub(crate) fn assignment(&self) -> Option<&Act<RouteTarget>> {
        self.assignments.last()
    }
}

/// Whether the ticket has any agent's event at all: tickets without one take the usual path.
pub(crate) fn any(ticket: &Ticket) -> bool {
    ticket.events.iter().any(|e| e.kind.is_agent())
}

/// The agents' events of `ticket` up to `now`, checked against the policy; `None` when there
/// are none.
pub(crate) fn read(
    inner: &Compiled,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> Result<Option<Acts>, TicketError> {
    let mut acts = Acts::default();
    let mut seen = false;
    for (i, event) in ticket.events.iter().enumerate() {
        let at = event.at.with_timezone(&Utc);
        if at > now {
            break; // events are sorted; later ones are not known as of `now`
        }
        if !event.kind.is_agent() {
            continue;
        }
        seen = true;
        let n = i + 1;
        let fail = |msg: String| {
            TicketError::new(
                Some(&ticket.id),
                TicketErrorKind::Field,
                format!(
                    "event {n} (`{}` at {}): {msg}",
                    event.kind.name(),
                    event.at.to_rfc3339()
                ),
            )
        };
        match &event.kind {
            EventKind::Category(c) => {
                let index = inner
                    .category_ids
                    .iter()
                    .position(|id| **id == **c)
                    .ok_or_else(|| {
                        fail(format!(
                            "unknown category `{}`; the policy has {}",
                            clip(c),
                            list(inner.category_ids.iter().map(|s| &**s))
                        ))
                    })?;
                acts.category = Some(Act {
                    n,
                    at,
                    value: index,
                });
            }
            EventKind::Priority(p) => {
                let index = inner
                    .priorities
                    .iter()
                    .position(|id| **id == **p)
                    .ok_or_else(|| {
                        fail(format!(
                            "unknown priority `{}`; the policy has {}",
                            clip(p),
                            list(inner.priorities.iter().map(|s| &**s))
                        ))
                    })?;
                acts.priorities.push(Act {
                    n,
                    at,
                    value: index,
                });
            }
            EventKind::Assigned {
                department,
                team,
                assignee,
            } => {
                let d = inner
                    .departments
                    .iter()
                    .position(|dept| *dept.id == **department)
                    .ok_or_else(|| {
                        fail(format!(
                            "unknown department `{}`; the policy has {}",
                            clip(department),
                            list(inner.departments.iter().map(|d| &*d.id))
                        ))
                    })?;
                let calendar = match placement(inner, d, team.as_deref()) {
                    Some(calendar) => calendar,
                    None => {
                        let known = teams(inner, d);
                        return Err(fail(format!(
                            "department `{department}` has no team `{}`; {}",
                            clip(team.as_deref().unwrap_or_default()),
                            if known.is_empty() {
                                "its routes name no team".to_string()
                            } else {
                                format!("its routes name {}", list(known.into_iter()))
                            }
                        )));
                    }
                };
                acts.assignments.push(Act {
                    n,
                    at,
                    value: RouteTarget {
                        department: d,
                        team: team.as_deref().map(Arc::from),
                        assignee: assignee.as_deref().map(Arc::from),
                        calendar,
                    },
                });
            }
            _ => {}
        }
    }
    Ok(seen.then_some(acts))
}

/// Every route of the policy, the default last.
fn routes(inner: &Compiled) -> impl Iterator<Item = &RouteTarget> {
    inner
        .routes
        .rules
        .iter()
        .map(|r| &r.outcome)
        .chain(std::iter::once(&inner.routes.default.outcome))
}

/// Where an assignment to department `d` (and `team`) counts: the calendar of the first route
/// to that department and team (`Some(None)`: the SLA calendar), or `None` when no route
/// names that team. A department without a team is always a place.
fn placement(inner: &Compiled, d: usize, team: Option<&str>) -> Option<Option<usize>> {
    let found = routes(inner).find(|r| r.department == d && r.team.as_deref() == team);
    match (found, team) {
        (Some(r), _) => Some(r.calendar),
        (None, None) => Some(None),
        (None, Some(_)) => None,
    }
}

/// The teams the routes name in department `d`, each once.
fn teams(inner: &Compiled, d: usize) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in routes(inner).filter(|r| r.department == d) {
        if let Some(t) = r.team.as_deref() {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// An id as typed by an agent, shortened: it is quoted back in the error.
fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        let mut out: String = s.chars().take(37).collect();
        out.push_str("...");
        out
    } else {
        s.to_string()
    }
}
