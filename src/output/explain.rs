//! Why a ticket got its decision, for a person (text) or a tool (JSON): each stage's rule and
//! the conditions that matched, each text model's label with its confidence and the terms
//! that weighed most for and against it, each clock's calendar with the windows of business
//! time its target runs through, the closed days it skips and its pauses, the escalation
//! steps, the follow-up and the next change.
//!
//! Built on the [`Decision`] and its trace; the calendar arithmetic is redone only to list the
//! windows, so an explanation never disagrees with the decision. Like the decision, it holds
//! no personal data.
//!
//! ```
//! # let policy = aftercare::Policy::from_toml(r#"
//! #     [policy]
//! #     name = "tiny"
//! #     calendar = "office"
//! #     [calendars.office]
//! #     timezone = "Asia/Shanghai"
//! #     week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
//! #              thu = ["09:00-18:00"], fri = ["09:00-18:00"] }
//! #     [[categories]]
//! #     id = "general"
//! #     default = true
//! #     [priorities]
//! #     order = ["normal"]
//! #     default = "normal"
//! #     [[routes]]
//! #     id = "all"
//! #     default = true
//! #     department = "desk"
//! #     [departments.desk]
//! #     [sla.targets.normal]
//! #     first_response = "4h"
//! # "#).unwrap();
//! let ticket = aftercare::Ticket::from_json(
//!     r#"{"id": "T1", "created_at": "2025-10-10T16:00:00+08:00"}"#).unwrap();
//! let now = "2025-10-10T17:00:00+08:00".parse().unwrap();
//! let why = policy.explain(&ticket, now).unwrap();
//! let first = &why.clocks[0];
//! // Two business hours on Friday afternoon, two on Monday morning.
//! assert_eq!(first.windows.len(), 2);
//! assert_eq!(first.windows[1].to.to_string(), "2025-10-13T11:00:00+08:00");
//! println!("{why}");
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::business_time::{Calendar, ClosedReason};
use crate::compile::Compiled;
use crate::evaluate::history::{self, History};
use crate::i18n::{LabelKind, Labels, Lang, Msg};
use crate::output::decision::{
    Agents, BusinessSpan, Clock, ClockStatus, Decision, Escalation, FollowUp, PolicyRef,
    ZonedInstant,
};
use crate::output::trace::{RuleOutcome, TraceEvent, TraceStage};
use crate::ticket::{Ticket, TicketError};

/// At most this many windows are listed per clock; the rest are counted.
const MAX_WINDOWS: usize = 40;
/// At most this many closed days are looked up per clock.
const MAX_SKIPPED: usize = 64;
/// The terms listed for and against each model's label.
pub const TOP_TERMS: usize = 5;

/// `[from, to)` in UTC.
type Interval = (DateTime<Utc>, DateTime<Utc>);
/// A pause: from, and to unless it lasts.
type Gap = (DateTime<Utc>, Option<DateTime<Utc>>);

/// Why a ticket got its decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The ticket id.
    pub ticket: String,
    /// The policy that decided.
    pub policy: PolicyRef,
    /// The instant the ticket was evaluated at.
    pub now: ZonedInstant,
    /// Category, priority and route: the rule that decided each and why.
    pub stages: Vec<Stage>,
    /// Each text model's label, its confidence and the terms that weighed most for and
    /// against it, in policy order; left out of the JSON for a policy without models.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<ModelWhy>,
    /// The ticket's status from its events.
    pub status: String,
    /// Every SLA clock (each resolution cycle on its own), in the decision's order.
    pub clocks: Vec<ClockWhy>,
    /// Every escalation step with its instant and whether it fired, as in the decision.
    pub escalations: Vec<Escalation>,
    /// The satisfaction visit, as in the decision.
    pub follow_up: Option<FollowUp>,
    /// The earliest instant after `now` at which the decision changes with no new event.
    pub next_change_at: Option<ZonedInstant>,
    /// What happens then: clocks falling due and escalation steps firing.
    pub next_change: Vec<String>,
    /// What agents did: transfers and overridden fields, as in the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agents: Option<Agents>,
    /// Trace lines not shown elsewhere (e.g. from script hooks).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The policy's labels of the ids named above (empty maps when it gives none).
    pub labels: Labels,
    /// The language of the text form: the policy's `locale` unless changed (`--lang`).
    pub locale: Lang,
}

/// One decision stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stage {
    /// `category`, `priority` or `route`.
    pub stage: &'static str,
    /// What it decided (`department / team` for a route).
    pub value: String,
    /// The rule that decided.
    pub rule: String,
    /// Whether no rule matched and the default applied.
    pub is_default: bool,
    /// The conditions that matched, with the keyword found or the value compared.
    pub because: String,
    /// The rule's outcome as traced, for the text form in other languages.
    #[serde(skip)]
    pub(crate) outcome: Option<RuleOutcome>,
    /// The agent's choice that decided the stage, for the text form in other languages.
    #[serde(skip)]
    pub(crate) agent: Option<crate::output::decision::Override>,
}

/// A text model's reading of the ticket's subject and description.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ModelWhy {
    /// `[models.NAME]`.
    pub model: String,
    /// The label, as in the decision's `labels`.
    pub label: String,
    /// Its probability, 0..1.
    pub confidence: f64,
    /// Up to [`TOP_TERMS`] terms that raised the label's probability, strongest first (terms
    /// that weigh less than 0.005 are left out).
    #[serde(rename = "for")]
    pub for_label: Vec<TermWeight>,
    /// Up to [`TOP_TERMS`] terms that lowered it, strongest first.
    #[serde(rename = "against")]
    pub against_label: Vec<TermWeight>,
}

/// A term of the ticket's text and its weight on a label: what it adds to the label's score
/// over the other labels' mean (positive for, negative against). Terms that name one of the
/// ticket's personal values are never listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TermWeight {
    /// A word, two words with a space between, or a run of Han characters.
    pub term: String,
    /// Its weight.
    pub weight: f64,
}

/// One SLA clock and how its instants came about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ClockWhy {
    /// `first_response`, `resolution`, `next_response` or `follow_up`.
    pub metric: &'static str,
    /// The calendar it counts on.
    pub calendar: String,
    /// The clock as in the decision (without earlier cycles: each is listed on its own).
    #[serde(flatten)]
    pub clock: Clock,
    /// The windows of business time the target runs through, pauses left out: from the start
    /// to the due instant (whether or not the clock stopped earlier), or to `now` while a pause
    /// leaves it without one.
    pub windows: Vec<CountedWindow>,
    /// Windows beyond those listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub more_windows: usize,
    /// Closed days (holidays, closed weekdays) between those windows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// Make-up working days (调休) among the windows: counted although their weekday is
    /// normally closed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workdays: Vec<NaiveDate>,
    /// The pauses of this clock.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<Pause>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The old name of [`CountedWindow`].
#[deprecated(since = "0.2.0", note = "renamed to `CountedWindow`")]
pub type Window = CountedWindow;

/// A stretch of business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CountedWindow {
    /// Start.
    pub from: ZonedInstant,
    /// End (exclusive).
    pub to: ZonedInstant,
    /// Its length.
    pub length: BusinessSpan,
}

/// Consecutive closed days with the same reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Skipped {
    /// The first local date.
    pub from: NaiveDate,
    /// The last local date (the same as `from` for one day).
    pub to: NaiveDate,
    /// `holiday` or `closed` (a weekday without windows).
    pub reason: &'static str,
}

/// A pause of a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Pause {
    /// When the pause status was set.
    pub from: ZonedInstant,
    /// When it ended; null while it lasts.
    pub to: Option<ZonedInstant>,
    /// Business time inside the pause, up to its end or `now`.
    pub business_time: BusinessSpan,
}

/// The explanation of `decision`, which [`Policy::explain`](crate::Policy::explain) made with
/// the trace on.
pub(crate) fn explain(
    inner: &Compiled,
    decision: Decision,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> Result<Explanation, TicketError> {
    let history = history::read_for(inner, ticket, now)?;
    let tz = decision
        .sla
        .calendar
        .as_deref()
        .and_then(|n| calendar_of(inner, n))
        .map_or(chrono_tz::UTC, Calendar::timezone);
    let mut used = vec![false; decision.trace.len()];
    let stages = stages(&decision, &mut used);
    let models = models(inner, &decision, ticket);
    // The model lines are shown as their own section.
    for (event, u) in decision.trace.iter().zip(used.iter_mut()) {
        if matches!(event, TraceEvent::Model { .. }) {
            *u = true;
        }
    }
    let clocks = clocks(inner, &decision, &history, now, &mut used);
    // Escalations are listed from the decision itself.
    for (event, u) in decision.trace.iter().zip(used.iter_mut()) {
        if matches!(event, TraceEvent::Escalation { .. }) {
            *u = true;
        }
    }
    let notes = decision
        .trace
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| e.to_string())
        .collect();
    Ok(Explanation {
        ticket: decision.ticket.to_string(),
        policy: decision.policy.clone(),
        now: ZonedInstant::new(now, tz),
        stages,
        models,
        status: decision.status.to_string(),
        next_change: next_change(&decision, &clocks),
        clocks,
        escalations: decision.escalations.clone(),
        follow_up: decision.follow_up.clone(),
        next_change_at: decision.next_change_at,
        agents: decision.agents.clone(),
        notes,
        labels: Labels::of(inner),
        locale: Lang::of(inner),
    })
}

/// Each model's label from the decision, with the terms for and against it (personal values
/// left out).
fn models(inner: &Compiled, d: &Decision, ticket: &Ticket) -> Vec<ModelWhy> {
    if d.labels.is_empty() {
        return Vec::new();
    }
    let text = crate::text::ticket_text(ticket);
    let personal = crate::output::PersonalValues::of(ticket);
    let terms = |terms: Vec<crate::text::Term>| -> Vec<TermWeight> {
        terms
            .into_iter()
            // A term whose weight rounds to 0.00 did not weigh.
            .filter(|t| t.weight.abs() >= 0.005 && !personal.overlaps(&t.term))
            .take(TOP_TERMS)
            .map(|t| TermWeight {
                term: t.term,
                weight: t.weight,
            })
            .collect()
    };
    d.labels
        .0
        .iter()
        .map(|(name, l)| {
            let model = inner.keywords.models.iter().find(|(n, _)| n == name);
            // Twice as many as shown, as terms naming personal values are left out.
            let why = model.map(|(_, m)| m.explain(&text, 2 * TOP_TERMS));
            let (for_label, against_label) = match why {
                Some(e) => (terms(e.for_label), terms(e.against_label)),
                None => (Vec::new(), Vec::new()),
            };
            ModelWhy {
                model: name.to_string(),
                label: l.label.to_string(),
                confidence: l.confidence,
                for_label,
                against_label,
            }
        })
        .collect()
}

fn calendar_of<'a>(inner: &'a Compiled, name: &str) -> Option<&'a Calendar> {
    inner
        .calendars
        .iter()
        .find(|(n, _)| &**n == name)
        .map(|(_, c)| c)
}

fn stages(d: &Decision, used: &mut [bool]) -> Vec<Stage> {
    let route = match &d.route.team {
        Some(team) => format!("{} / {team}", d.route.department),
        None => d.route.department.to_string(),
    };
    let wanted = [
        (
            TraceStage::Category,
            d.category.to_string(),
            &d.rules.category,
        ),
        (
            TraceStage::Priority,
            d.priority.to_string(),
            &d.rules.priority,
        ),
        (TraceStage::Route, route, &d.rules.route),
    ];
    wanted
        .into_iter()
        .map(|(stage, value, rule)| {
            // A person decided: the agent's line says which event, and what the rules chose.
            if &**rule == "agent" {
                let agent = d.trace.iter().enumerate().find_map(|(i, e)| match e {
                    TraceEvent::Agent { stage: s, .. } if *s == stage => Some((i, e)),
                    _ => None,
                });
                if let Some((i, e)) = agent {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    // What the rules chose is in the agent's line: their own line is not a
                    // note.
                    for (j, r) in d.trace.iter().enumerate() {
                        if matches!(r, TraceEvent::Rule { stage: s, .. } if *s == stage) {
                            if let Some(u) = used.get_mut(j) {
                                *u = true;
                            }
                        }
                    }
                    let line = e.to_string();
                    let prefix = format!("{} {value}: ", stage.name());
                    let agent = d.agents.as_ref().and_then(|a| match stage {
                        TraceStage::Category => a.overrides.category.clone(),
                        TraceStage::Priority => a.overrides.priority.clone(),
                        _ => a.overrides.route.clone(),
                    });
                    return Stage {
                        stage: stage.name(),
                        because: line.strip_prefix(&prefix).unwrap_or(&line).to_string(),
                        value,
                        rule: rule.to_string(),
                        is_default: false,
                        outcome: None,
                        agent,
                    };
                }
            }
            // What the stage's rules decided, when that is what the decision says.
            let found = d.trace.iter().enumerate().find_map(|(i, e)| match e {
                TraceEvent::Rule {
                    stage: s,
                    value: v,
                    outcome,
                } if *s == stage && *v == value => Some((i, outcome)),
                _ => None,
            });
            let (because, is_default) = match found {
                Some((i, outcome)) => {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    let is_default = matches!(outcome, RuleOutcome::Default { .. });
                    (outcome.to_string(), is_default)
                }
                // A script hook changed the declarative result; its own lines are in `notes`.
                None if &**rule == "script" => (Lang::En.text(Msg::SetByScript).to_string(), false),
                None => (String::new(), false),
            };
            let outcome = found.map(|(_, o)| o.clone());
            Stage {
                stage: stage.name(),
                value,
                rule: rule.to_string(),
                is_default,
                because,
                outcome,
                agent: None,
            }
        })
        .collect()
}

fn clocks(
    policy: &Compiled,
    d: &Decision,
    history: &History,
    now: DateTime<Utc>,
    used: &mut [bool],
) -> Vec<ClockWhy> {
    let mut out = Vec::new();
    for (metric, clock) in d.sla.clocks() {
        let mut all: Vec<&Clock> = clock.previous_cycles.iter().collect();
        all.push(clock);
        let cycles = all.len();
        for (i, c) in all.into_iter().enumerate() {
            // Mark the clock's trace event as shown.
            let cycle = (cycles > 1).then(|| u32::try_from(i + 1).unwrap_or(u32::MAX));
            let shown = |e: &TraceEvent| matches!(e, TraceEvent::Clock(c) if c.metric == metric && c.cycle == cycle);
            let mut created = None;
            if let Some(j) = d.trace.iter().position(shown) {
                if let Some(u) = used.get_mut(j) {
                    *u = true;
                }
                if let Some(TraceEvent::Clock(t)) = d.trace.get(j) {
                    created = Some(t.started.utc());
                }
            }
            let pauses = pauses_of(metric, i, c, history);
            out.push(explain_clock(policy, d, (metric, c, created), pauses, now));
        }
    }
    out
}

/// The pauses of a clock, from the ticket's history (only resolution and next-response
/// clocks pause).
fn pauses_of(metric: &str, cycle: usize, clock: &Clock, history: &History) -> Vec<Gap> {
    let cycle = match metric {
        "resolution" => history.cycles.get(cycle),
        "next_response" => history.current(),
        _ => None,
    };
    let start = clock.started_at.utc();
    cycle
        .map(|c| {
            c.pauses
                .iter()
                .filter(|p| p.end.is_none_or(|e| e > start))
                .map(|p| (p.start.max(start), p.end))
                .collect()
        })
        .unwrap_or_default()
}

/// `created` is when the clock was started as its trace says (e.g. the ticket's creation),
/// which may lie before the opening it counts from: closed days in between are listed too.
fn explain_clock(
    policy: &Compiled,
    d: &Decision,
    (metric, clock, created): (&'static str, &Clock, Option<DateTime<Utc>>),
    pauses: Vec<Gap>,
    now: DateTime<Utc>,
) -> ClockWhy {
    // A target such as `24h@round_the_clock` counts on its own calendar; others on the one
    // in force for the ticket.
    let own = clock
        .target
        .split_once('@')
        .map(|(_, name)| name.to_string());
    let calendar = match &own {
        Some(name) => name.clone(),
        None => d.sla.calendar.as_deref().unwrap_or_default().to_string(),
    };
    // A ticket transferred to a calendar of its own counts on each calendar in turn.
    let legs: Vec<(DateTime<Utc>, &str)> = match (&own, &d.agents) {
        (None, Some(a)) => a
            .calendars
            .iter()
            .map(|c| (c.from.utc(), &*c.calendar))
            .collect(),
        _ => Vec::new(),
    };
    let mut shown = clock.clone();
    shown.previous_cycles = Vec::new();
    let mut why = ClockWhy {
        metric,
        calendar,
        clock: shown,
        windows: Vec::new(),
        more_windows: 0,
        skipped: Vec::new(),
        workdays: Vec::new(),
        pauses: Vec::new(),
    };
    let Some(cal) = calendar_of(policy, &why.calendar) else {
        return why;
    };
    let tz = clock.started_at.local().timezone();
    let start = clock.started_at.utc();
    let stop = clock.stopped_at.map(|s| s.utc()).filter(|s| *s <= now);
    // Up to the due instant, which is what the windows explain; without one (paused), up to
    // the stop or `now`.
    let end = match (clock.due.map(|d| d.utc()), stop) {
        (Some(due), _) => due,
        (None, Some(stop)) => stop,
        (None, None) => now,
    };
    if legs.len() > 1 {
        // Each leg on its own calendar, clipped to the clock.
        for (i, &(from, name)) in legs.iter().enumerate() {
            let to = legs.get(i + 1).map_or(end, |l| l.0.min(end));
            let from = from.max(start);
            let Some(leg) = calendar_of(policy, name).filter(|_| from < to) else {
                continue;
            };
            let (windows, more) = windows_between(leg, from, to, &pauses);
            for (a, b) in windows {
                if why.windows.len() < MAX_WINDOWS {
                    why.windows.push(CountedWindow {
                        from: ZonedInstant::new(a, tz),
                        to: ZonedInstant::new(b, tz),
                        length: BusinessSpan(leg.between(a, b)),
                    });
                } else {
                    why.more_windows += 1;
                }
            }
            why.more_windows += more;
            // Closed days before the first opening are listed too, as the trace does.
            let since = if i == 0 {
                created.map_or(from, |c| c.min(from))
            } else {
                from
            };
            why.skipped.extend(skipped(leg, since, to));
        }
    } else {
        let (windows, more) = windows_between(cal, start, end, &pauses);
        why.windows = windows
            .into_iter()
            .map(|(a, b)| CountedWindow {
                from: ZonedInstant::new(a, tz),
                to: ZonedInstant::new(b, tz),
                length: BusinessSpan(cal.between(a, b)),
            })
            .collect();
        why.more_windows = more;
        why.skipped = skipped(cal, created.map_or(start, |c| c.min(start)), end);
    }
    let mut workdays: Vec<NaiveDate> = why
        .windows
        .iter()
        .map(|w| w.from.local().date_naive())
        .filter(|day| cal.is_make_up_workday(*day))
        .collect();
    workdays.dedup();
    why.workdays = workdays;
    why.pauses = pauses
        .iter()
        .map(|&(a, b)| Pause {
            from: ZonedInstant::new(a, tz),
            to: b.map(|b| ZonedInstant::new(b, tz)),
            business_time: BusinessSpan(cal.between(a, b.unwrap_or(now).min(now).max(a))),
        })
        .collect();
    why
}

/// The open stretches of `cal` in `[from, to)` minus the pauses, split at local midnight;
/// at most [`MAX_WINDOWS`], with the number left over.
fn windows_between(
    cal: &Calendar,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    pauses: &[Gap],
) -> (Vec<Interval>, usize) {
    let mut out = Vec::new();
    let mut more = 0;
    let mut t = from;
    while t < to {
        let Some(open) = cal.next_open(t) else {
            break;
        };
        if open >= to {
            break;
        }
        let close = stretch_end(cal, open, to);
        for piece in minus_pauses(open, close, pauses) {
            for day in split_at_midnight(piece, cal.timezone()) {
                if out.len() < MAX_WINDOWS {
                    out.push(day);
                } else {
                    more += 1;
                }
            }
        }
        if close <= t {
            break; // cannot happen; guards the loop all the same
        }
        t = close;
    }
    (out, more)
}

/// The end of the open stretch that starts at the open instant `open`, at most `limit`.
fn stretch_end(cal: &Calendar, open: DateTime<Utc>, limit: DateTime<Utc>) -> DateTime<Utc> {
    let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or(limit);
    let start = open.timestamp();
    let all_open = |e: i64| cal.between(open, at(e)) == e - start;
    if all_open(limit.timestamp()) {
        return limit;
    }
    // Binary search on whole seconds (the calendar counts whole seconds): `lo` is open all
    // the way, `hi` is not.
    let (mut lo, mut hi) = (start, limit.timestamp());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if all_open(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    at(lo)
}

fn minus_pauses(a: DateTime<Utc>, b: DateTime<Utc>, pauses: &[Gap]) -> Vec<Interval> {
    let mut pieces = vec![(a, b)];
    for &(ps, pe) in pauses {
        pieces = pieces
            .into_iter()
            .flat_map(|(x, y)| {
                let mut keep = Vec::with_capacity(2);
                if ps > x {
                    keep.push((x, y.min(ps)));
                }
                if let Some(pe) = pe {
                    if pe < y {
                        keep.push((x.max(pe), y));
                    }
                }
                keep.into_iter().filter(|(x, y)| x < y)
            })
            .collect();
    }
    pieces
}

fn split_at_midnight((a, b): (DateTime<Utc>, DateTime<Utc>), tz: Tz) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut from = a;
    while from < b {
        let next_day = from
            .with_timezone(&tz)
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|m| m.and_local_timezone(tz).earliest())
            .map(|m| m.with_timezone(&Utc));
        let to = match next_day {
            Some(m) if m > from && m < b => m,
            _ => b,
        };
        out.push((from, to));
        from = to;
    }
    out
}

fn skipped(cal: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Skipped> {
    let mut out: Vec<Skipped> = Vec::new();
    for day in cal.skipped_days(from, to, MAX_SKIPPED) {
        let reason = match day.reason {
            ClosedReason::Holiday => "holiday",
            ClosedReason::ClosedWeekday => "closed",
        };
        match out.last_mut() {
            Some(last) if last.reason == reason && last.to.succ_opt() == Some(day.date) => {
                last.to = day.date;
            }
            _ => out.push(Skipped {
                from: day.date,
                to: day.date,
                reason,
            }),
        }
    }
    out
}

/// What happens at `next_change_at`.
fn next_change(d: &Decision, clocks: &[ClockWhy]) -> Vec<String> {
    next_change_in(Lang::En, d.next_change_at, clocks, &d.escalations)
}

fn next_change_in(
    l: Lang,
    at: Option<ZonedInstant>,
    clocks: &[ClockWhy],
    escalations: &[Escalation],
) -> Vec<String> {
    let Some(at) = at else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in clocks {
        let open = matches!(c.clock.status, ClockStatus::Running);
        if open && c.clock.due == Some(at) {
            out.push(l.fill(Msg::FallsDue, &[&label(l, c)]));
        }
    }
    for e in escalations {
        if !e.fired && e.at == Some(at) {
            out.push(l.fill(
                Msg::EscalationFires,
                &[&e.metric, &e.step, &e.cycle, &join(&e.notify)],
            ));
        }
    }
    out
}

fn label(l: Lang, c: &ClockWhy) -> String {
    match c.clock.cycle {
        Some(n) => format!("{} {}", c.metric, l.fill(Msg::Cycle, &[&n])),
        None => c.metric.to_string(),
    }
}

fn join(items: &[std::sync::Arc<str>]) -> String {
    items.iter().map(|s| &**s).collect::<Vec<_>>().join(", ")
}

/// `Thu 2025-10-09 16:30`, or only the time when on `day`.
fn local(l: Lang, at: &ZonedInstant, with_date: bool) -> String {
    if with_date {
        format!(
            "{} {}",
            weekday(l, at.local().date_naive()),
            at.local().format("%Y-%m-%d %H:%M")
        )
    } else {
        at.local().format("%H:%M").to_string()
    }
}

/// `Sun` or `周日`.
fn weekday(l: Lang, date: NaiveDate) -> &'static str {
    use chrono::Datelike;
    let i = date.weekday().num_days_from_monday() as usize;
    l.text(Msg::Weekdays).split('|').nth(i).unwrap_or_default()
}

fn clock_status(l: Lang, s: ClockStatus) -> &'static str {
    l.text(match s {
        ClockStatus::Running => Msg::StatusRunning,
        ClockStatus::Paused => Msg::StatusPaused,
        ClockStatus::Met => Msg::StatusMet,
        ClockStatus::Breached => Msg::StatusBreached,
    })
}

/// A rule outcome as a sentence of `l`.
fn outcome_text(l: Lang, o: &RuleOutcome) -> String {
    match o {
        RuleOutcome::Default { rule } => l.fill(Msg::RuleDefault, &[rule]),
        RuleOutcome::Unconditional { rule } => l.fill(Msg::RuleUnconditional, &[rule]),
        RuleOutcome::Matched { rule, because } => {
            l.fill(Msg::RuleMatched, &[rule, &because.join(l.text(Msg::And))])
        }
        // Kinds added later print as traced.
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    }
}

impl Explanation {
    /// `fired`, `pending`, or `never (stopped)` when its clock stopped without reaching it.
    fn step_state(&self, e: &Escalation) -> Msg {
        if e.fired {
            return Msg::Fired;
        }
        let clock = self
            .clocks
            .iter()
            .find(|c| c.metric == e.metric && c.clock.cycle.unwrap_or(1) == e.cycle);
        match clock.and_then(|c| c.clock.stopped_at) {
            Some(_) => Msg::NeverStopped,
            None => Msg::Pending,
        }
    }

    /// The same explanation in another language (`--lang`).
    pub fn in_lang(mut self, lang: Lang) -> Explanation {
        self.locale = lang;
        self
    }

    /// A stage's value with its label: `售后技术部 (after_sales_tech) / east_service_team`.
    fn stage_value(&self, s: &Stage) -> String {
        match s.stage {
            "category" => self.labels.with_id(LabelKind::Category, &s.value),
            "priority" => self.labels.with_id(LabelKind::Priority, &s.value),
            "route" => match s.value.split_once(" / ") {
                Some((dept, team)) => format!(
                    "{} / {team}",
                    self.labels.with_id(LabelKind::Department, dept)
                ),
                None => self.labels.with_id(LabelKind::Department, &s.value),
            },
            _ => s.value.clone(),
        }
    }
}

/// Terminal columns of `s`: CJK characters and full-width punctuation take two.
fn cols(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
            0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// Pads `s` to `w` terminal columns.
fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(cols(s))))
}

impl fmt::Display for Explanation {
    /// A report for people, one section per stage, in [`Explanation::locale`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ids, statuses and channels come from the ticket: control characters are escaped.
        self.render(&mut crate::output::Escaped(f))
    }
}

impl Explanation {
    fn render(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        let l = self.locale;
        writeln!(
            f,
            "{}",
            l.fill(
                Msg::ExplainHeader,
                &[
                    &self.ticket,
                    &self.policy.name,
                    &self.policy.version,
                    &self.now
                ]
            )
        )?;
        writeln!(f)?;
        for s in &self.stages {
            let name = l.text(match s.stage {
                "category" => Msg::StageCategory,
                "priority" => Msg::StagePriority,
                _ => Msg::StageRoute,
            });
            let because = match (&s.outcome, &s.agent) {
                (Some(o), _) => outcome_text(l, o),
                (None, Some(a)) => l.fill(
                    Msg::AgentDecided,
                    &[&a.event, &a.at, &a.rules_chose, &a.rule],
                ),
                (None, None) if s.rule == "script" => l.text(Msg::SetByScript).to_string(),
                (None, None) => s.because.clone(),
            };
            writeln!(f, "{} {}", pad(name, 9), self.stage_value(s))?;
            writeln!(f, "          {because}")?;
        }
        writeln!(f, "{} {}", pad(l.text(Msg::Status), 9), self.status)?;
        if let Some(a) = &self.agents {
            for t in &a.transfers {
                let to = match &t.team {
                    Some(team) => format!("{} / {team}", t.to),
                    None => t.to.to_string(),
                };
                writeln!(
                    f,
                    "{} {}",
                    pad(l.text(Msg::TransferRow), 9),
                    l.fill(
                        Msg::TransferLine,
                        &[&t.event, &t.at, &t.from, &to, &l.span(t.held.0)]
                    )
                )?;
            }
            let o = &a.overrides;
            for (field, x) in [
                (Msg::StageCategory, &o.category),
                (Msg::StagePriority, &o.priority),
                (Msg::StageRoute, &o.route),
            ] {
                if let Some(x) = x {
                    writeln!(
                        f,
                        "{} {}",
                        pad(l.text(Msg::OverrideRow), 9),
                        l.fill(
                            Msg::OverrideLine,
                            &[
                                &l.text(field),
                                &x.value,
                                &x.event,
                                &x.at,
                                &x.rules_chose,
                                &x.rule
                            ]
                        )
                    )?;
                }
            }
        }
        if !self.models.is_empty() {
            writeln!(f)?;
            writeln!(f, "{}", l.text(Msg::ModelsHeading))?;
            for m in &self.models {
                let confidence = format!("{:.2}", m.confidence);
                writeln!(
                    f,
                    "  {}",
                    l.fill(Msg::ModelLine, &[&m.model, &m.label, &confidence])
                )?;
                let w = cols(l.text(Msg::TermsFor)).max(cols(l.text(Msg::TermsAgainst)));
                for (name, terms) in [
                    (Msg::TermsFor, &m.for_label),
                    (Msg::TermsAgainst, &m.against_label),
                ] {
                    let list = if terms.is_empty() {
                        l.text(Msg::NoTerms).to_string()
                    } else {
                        terms
                            .iter()
                            .map(|t| format!("{} ({:+.2})", t.term, t.weight))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    writeln!(f, "    {}  {list}", pad(l.text(name), w))?;
                }
            }
        }
        for c in &self.clocks {
            writeln!(f)?;
            write_clock(f, l, c)?;
        }
        if !self.escalations.is_empty() {
            writeln!(f)?;
            writeln!(f, "{}", l.text(Msg::EscalationsHeading))?;
            let steps: Vec<String> = self
                .escalations
                .iter()
                .map(|e| l.fill(Msg::EscalationStep, &[&e.metric, &e.step, &e.cycle]))
                .collect();
            let step_w = steps.iter().map(|s| cols(s)).max().unwrap_or(0);
            let state_w = [Msg::Fired, Msg::Pending, Msg::NeverStopped]
                .iter()
                .map(|m| cols(l.text(*m)))
                .max()
                .unwrap_or(0);
            for (e, step) in self.escalations.iter().zip(&steps) {
                let at =
                    e.at.map_or_else(|| l.text(Msg::WhenPauseEnds).into(), |a| a.to_string());
                writeln!(
                    f,
                    "  {}  {}  {}  {}",
                    pad(step, step_w),
                    pad(&at, 25),
                    pad(l.text(self.step_state(e)), state_w),
                    l.fill(Msg::Notify, &[&join(&e.notify)])
                )?;
            }
        }
        if let Some(v) = &self.follow_up {
            writeln!(f)?;
            let due = v.due.map(|d| l.fill(Msg::DueAt, &[&d])).unwrap_or_default();
            let outcome = match (v.outcome, v.score) {
                (Some(o), Some(s)) => l.fill(Msg::OutcomeScore, &[&o, &s]),
                _ => String::new(),
            };
            let meaning = match v.status {
                "not_due" => l.text(Msg::FollowUpNotDue),
                "pending" => l.text(Msg::FollowUpPending),
                "missed" => l.text(Msg::FollowUpMissed),
                _ => "",
            };
            writeln!(
                f,
                "{}{meaning}{due}{outcome}",
                l.fill(Msg::FollowUpHeader, &[&v.status])
            )?;
        }
        writeln!(f)?;
        match self.next_change_at {
            Some(at) => {
                writeln!(f, "{}", l.fill(Msg::NextChangeAt, &[&at]))?;
                for n in next_change_in(l, Some(at), &self.clocks, &self.escalations) {
                    writeln!(f, "  {n}")?;
                }
            }
            None => writeln!(f, "{}", l.text(Msg::NoNextChange))?,
        }
        for n in &self.notes {
            writeln!(f, "{}", l.fill(Msg::Note, &[n]))?;
        }
        Ok(())
    }
}

fn write_clock(f: &mut dyn fmt::Write, l: Lang, c: &ClockWhy) -> fmt::Result {
    let k = &c.clock;
    let row = |m: Msg| pad(l.text(m), 9);
    writeln!(
        f,
        "{}",
        l.fill(
            Msg::ClockHeader,
            &[
                &label(l, c),
                &clock_status(l, k.status),
                &k.target,
                &c.calendar
            ]
        )
    )?;
    writeln!(f, "  {} {}", row(Msg::Started), k.started_at)?;
    for (i, w) in c.windows.iter().enumerate() {
        let head = if i == 0 {
            row(Msg::Windows)
        } else {
            pad("", 9)
        };
        writeln!(
            f,
            "  {head} {}–{}  {}",
            local(l, &w.from, true),
            local(
                l,
                &w.to,
                w.to.local().date_naive() != w.from.local().date_naive()
            ),
            l.span(w.length.0)
        )?;
    }
    if c.more_windows > 0 {
        writeln!(
            f,
            "            {}",
            l.fill(Msg::MoreWindows, &[&c.more_windows])
        )?;
    }
    for s in &c.skipped {
        let days = if s.from == s.to {
            s.from.to_string()
        } else {
            format!("{}..{}", s.from, s.to)
        };
        let reason = match s.reason {
            "holiday" => l.text(Msg::Holiday),
            _ => l.text(Msg::ClosedDay),
        };
        writeln!(f, "  {} {days} ({reason})", row(Msg::Skipped))?;
    }
    for day in &c.workdays {
        writeln!(
            f,
            "  {} {}",
            row(Msg::MakeUpDay),
            l.fill(Msg::MakeUpDayLine, &[day, &weekday(l, *day)])
        )?;
    }
    for p in &c.pauses {
        let text = match p.to {
            Some(to) => l.fill(Msg::PausedLine, &[&p.from, &to, &l.span(p.business_time.0)]),
            None => l.fill(Msg::PausedSince, &[&p.from, &l.span(p.business_time.0)]),
        };
        writeln!(f, "  {} {text}", row(Msg::Paused))?;
    }
    match k.due {
        Some(due) => writeln!(f, "  {} {due}", row(Msg::Due))?,
        None => writeln!(f, "  {} {}", row(Msg::Due), l.text(Msg::WhenPauseEnds))?,
    }
    if let Some(stop) = k.stopped_at {
        writeln!(f, "  {} {stop}", row(Msg::Stopped))?;
    }
    let rest = match (k.remaining, k.overdue_by) {
        (_, Some(o)) => l.fill(Msg::OverdueBy, &[&l.span(o.0)]),
        (Some(r), None) => l.fill(Msg::Remaining, &[&l.span(r.0)]),
        _ => String::new(),
    };
    writeln!(f, "  {} {}{rest}", row(Msg::Elapsed), l.span(k.elapsed.0))
}
