//! A ticket's events → its status, handling cycles, pauses and visits, as of `now`.
//!
//! Events after `now` are not known yet and are ignored. Impossible histories are errors that
//! name the event.

use chrono::{DateTime, Utc};

use crate::ticket::{EventKind, Ticket, TicketError, TicketErrorKind};

/// Why a handling cycle started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CycleStart {
    Created,
    Reopened,
    /// An unsatisfied follow-up sent the ticket back to second handling.
    Unsatisfied,
}

/// One handling cycle: from creation (or reopening) to resolution.
#[derive(Debug, Clone)]
pub(crate) struct Cycle {
    pub(crate) start: DateTime<Utc>,
    pub(crate) start_reason: CycleStart,
    pub(crate) end: Option<DateTime<Utc>>,
    /// Pauses in time order; an open pause has no end.
    pub(crate) pauses: Vec<Pause>,
    /// The follow-up visit after this cycle's resolution.
    pub(crate) visit: Option<Visit>,
    /// Closed without a resolution: handling ended, but no visit is owed.
    pub(crate) closed_unresolved: bool,
}

impl Cycle {
    /// Ended by a resolution (which owes a follow-up visit).
    pub(crate) fn is_resolved(&self) -> bool {
        self.end.is_some() && !self.closed_unresolved
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Pause {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Visit {
    pub(crate) at: DateTime<Utc>,
    pub(crate) score: u8,
}

#[derive(Debug)]
pub(crate) struct History<'t> {
    /// The current status, borrowed from the ticket or a fixed name.
    pub(crate) status: &'t str,
    pub(crate) first_response: Option<DateTime<Utc>>,
    pub(crate) cycles: Vec<Cycle>,
    /// Agent activity (responses, replies, status changes, resolutions), for `next_response`.
    pub(crate) updates: Vec<DateTime<Utc>>,
}

impl History<'_> {
    pub(crate) fn current(&self) -> Option<&Cycle> {
        self.cycles.last()
    }
}

/// The history of `ticket` under the policy's pause statuses and follow-up threshold.
pub(crate) fn read_for<'t>(
    inner: &crate::compile::Compiled,
    ticket: &'t Ticket,
    now: DateTime<Utc>,
) -> Result<History<'t>, TicketError> {
    read(
        ticket,
        now,
        inner.sla.as_ref().map_or(&[][..], |s| &s.pause_statuses),
        inner
            .follow_up
            .as_ref()
            .map_or(0, |f| f.unsatisfied_at_or_below),
        inner.tracks_updates,
    )
}

pub(crate) fn read<'t>(
    ticket: &'t Ticket,
    now: DateTime<Utc>,
    pause_statuses: &[String],
    unsatisfied_at_or_below: u8,
    track_updates: bool,
) -> Result<History<'t>, TicketError> {
    let created = ticket.created_at.with_timezone(&Utc);
    let mut h = History {
        status: "new",
        first_response: None,
        cycles: vec![Cycle {
            start: created,
            start_reason: CycleStart::Created,
            end: None,
            pauses: Vec::new(),
            visit: None,
            closed_unresolved: false,
        }],
        updates: Vec::new(),
    };
    if track_updates {
        h.updates.reserve(ticket.events.len());
    }
    let is_pause = |s: &str| pause_statuses.iter().any(|p| p == s);
    for (i, event) in ticket.events.iter().enumerate() {
        let at = event.at.with_timezone(&Utc);
        if at > now {
            break; // events are sorted; later ones are not known as of `now`
        }
        let n = i + 1;
        let fail = |msg: &str| {
            Err(TicketError::new(
                Some(&ticket.id),
                TicketErrorKind::History,
                format!(
                    "event {n} (`{}` at {}): {msg}",
                    event.kind.name(),
                    event.at.to_rfc3339()
                ),
            ))
        };
        let Some(cycle) = h.cycles.last_mut() else {
            break;
        };
        let resolved = cycle.end.is_some();
        match &event.kind {
            EventKind::FirstResponse | EventKind::Reply => {
                if resolved {
                    return fail("the ticket is resolved; send `reopened` first");
                }
                if h.first_response.is_none() {
                    h.first_response = Some(at);
                }
                if track_updates {
                    h.updates.push(at);
                }
                if h.status == "new" {
                    h.status = "in_progress";
                }
            }
            EventKind::Status(s) if s == "closed" => {
                if !resolved {
                    // Closing an unresolved ticket ends its handling all the same: every clock
                    // stops, and there is no resolution to follow up on.
                    close_pause(cycle, at);
                    cycle.end = Some(at);
                    cycle.closed_unresolved = true;
                    if h.first_response.is_none() {
                        h.first_response = Some(at);
                    }
                }
                h.status = s;
                if track_updates {
                    h.updates.push(at);
                }
            }
            EventKind::Status(s) => {
                if resolved {
                    return fail(&format!(
                        "status `{s}` after the ticket was resolved; send `reopened` first"
                    ));
                }
                if h.status == "closed" {
                    return fail("the ticket is closed");
                }
                let paused_now = cycle.pauses.last().is_some_and(|p| p.end.is_none());
                if is_pause(s) {
                    if !paused_now {
                        cycle.pauses.push(Pause {
                            start: at,
                            end: None,
                        });
                    }
                } else {
                    close_pause(cycle, at);
                }
                if track_updates {
                    h.updates.push(at);
                }
                h.status = s;
            }
            EventKind::Resolved => {
                if resolved {
                    return fail("resolved twice without a reopen in between");
                }
                close_pause(cycle, at);
                cycle.end = Some(at);
                if h.first_response.is_none() {
                    h.first_response = Some(at);
                }
                if track_updates {
                    h.updates.push(at);
                }
                h.status = "resolved";
            }
            EventKind::Reopened => {
                if !resolved {
                    return fail("reopened, but the ticket is not resolved");
                }
                h.cycles.push(Cycle {
                    start: at,
                    start_reason: CycleStart::Reopened,
                    end: None,
                    pauses: Vec::new(),
                    visit: None,
                    closed_unresolved: false,
                });
                h.status = "reopened";
            }
            // A person's transfer, priority or category changes no status and no cycle; the
            // stages and clocks read them (see `agents`).
            EventKind::Assigned { .. } | EventKind::Priority(_) | EventKind::Category(_) => {}
            EventKind::FollowUp { score } => {
                if !resolved {
                    return fail("a follow-up visit before the ticket was resolved");
                }
                if cycle.visit.is_some() {
                    return fail("a second follow-up visit for the same resolution");
                }
                cycle.visit = Some(Visit { at, score: *score });
                if *score <= unsatisfied_at_or_below {
                    // Second handling (待二次处理): the customer is not satisfied.
                    h.cycles.push(Cycle {
                        start: at,
                        start_reason: CycleStart::Unsatisfied,
                        end: None,
                        pauses: Vec::new(),
                        visit: None,
                        closed_unresolved: false,
                    });
                    h.status = "reopened";
                }
            }
        }
    }
    Ok(h)
}

fn close_pause(cycle: &mut Cycle, at: DateTime<Utc>) {
    if let Some(p) = cycle.pauses.last_mut() {
        if p.end.is_none() {
            p.end = Some(at);
        }
    }
}
