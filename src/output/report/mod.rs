//! Service reports (数据汇总与分析): decisions and their tickets aggregated into KPIs per week
//! or month.
//!
//! A ticket belongs to the period of its `created_at`, read in the time zone of the policy's
//! SLA calendar (weeks start on Monday, as in ISO 8601). Each period — and the totals — count
//! tickets by category, priority, department and channel, SLA compliance per metric,
//! business time to first response and to resolution (median and 90th percentile), the
//! escalations that fired, the follow-up rate, satisfaction and its change, and the hot issues
//! of each category; for a policy with text models, tickets per label of each model and the
//! share of negative sentiment ([`SentimentKpis`]). See [`Kpis`] for the exact definitions.
//!
//! Only ids, counts, business times, scores and keywords from `subject` and `description` go
//! into a report. Personal fields are never read, and a keyword that also occurs in one of the
//! ticket's personal fields is dropped (a customer may type their own name into the text).
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
//! use aftercare::report::{Granularity, Report};
//! use aftercare::Ticket;
//!
//! let tickets = vec![Ticket::from_json(r#"{"id": "T1", "created_at": "2025-10-13T09:00:00+08:00",
//!     "events": [{"at": "2025-10-13T10:30:00+08:00", "type": "first_response"}]}"#).unwrap()];
//! let now = "2025-10-15T12:00:00+08:00".parse().unwrap();
//! let report = Report::build(&policy, &tickets, now, Granularity::Week);
//! assert_eq!(report.periods[0].label, "2025-W42");
//! assert_eq!(report.totals.kpis.sla.first_response.met, 1);
//! assert_eq!(report.totals.kpis.times.first_response.median_seconds, Some(5400));
//! ```

mod html;
mod text;
mod tokens;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::evaluate::EvalOptions;
use crate::i18n::{Labels, Lang};
use crate::output::decision::{BusinessSpan, ClockStatus, Decision, ZonedInstant};
use crate::policy::Policy;
use crate::ticket::{EventKind, Ticket, TicketError};

/// How many keywords each category lists as its hot issues.
pub const HOT_ISSUES_PER_CATEGORY: usize = 5;

/// A keyword must occur in at least this many tickets of a category to be a hot issue: one
/// ticket's wording is not an issue.
pub const HOT_ISSUE_MIN_TICKETS: u64 = 2;

/// The most periods a report spans, empty ones included (about 190 years of weeks): tickets
/// from 1970 and from 9998 would otherwise make a report of half a million empty weeks.
/// [`ReportBuilder::try_finish`] refuses a wider span; [`ReportBuilder::finish`] then lists
/// only the periods that have tickets.
pub const MAX_PERIODS: u64 = 10_000;

/// The tickets of a report span more than [`MAX_PERIODS`] periods.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the tickets span {periods} {by}s ({first} to {last}); a report covers at most {max} \
     (MAX_PERIODS): report on fewer tickets, or by month"
)]
#[non_exhaustive]
pub struct TooManyPeriods {
    /// Periods from the first ticket's to the last one's.
    pub periods: u64,
    /// Weeks or months.
    pub by: Granularity,
    /// The first period's label.
    pub first: String,
    /// The last period's label.
    pub last: String,
    /// [`MAX_PERIODS`].
    pub max: u64,
}

/// The length of a report period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    #[default]
    Month,
    /// Calendar quarters (January–March is Q1).
    Quarter,
    /// Calendar years.
    Year,
}

impl FromStr for Granularity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "week" => Ok(Granularity::Week),
            "month" => Ok(Granularity::Month),
            "quarter" => Ok(Granularity::Quarter),
            "year" => Ok(Granularity::Year),
            other => Err(format!(
                "`{other}` is not a period; use week, month, quarter or year"
            )),
        }
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Granularity::Week => "week",
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Year => "year",
        })
    }
}

impl Granularity {
    /// The first day of the period that contains `date`.
    pub fn start_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Week => {
                date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
            }
            Granularity::Month => date.with_day(1).unwrap_or(date),
            Granularity::Quarter => {
                let month = (date.month0() / 3) * 3 + 1;
                NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date)
            }
            Granularity::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date),
        }
    }

    /// The first day of the period after the one starting at `start`.
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        let next = match self {
            Granularity::Week => start.checked_add_days(chrono::Days::new(7)),
            Granularity::Month => start.checked_add_months(Months::new(1)),
            Granularity::Quarter => start.checked_add_months(Months::new(3)),
            Granularity::Year => start.checked_add_months(Months::new(12)),
        };
        // Only at the end of chrono's date range; the report stops there.
        next.unwrap_or(NaiveDate::MAX)
    }

    /// `2025-W41` (the ISO week of a Monday), `2025-10`, `2025-Q4` or `2025`.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            Granularity::Week => {
                let w = start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Granularity::Month => format!("{}-{:02}", start.year(), start.month()),
            Granularity::Quarter => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
            Granularity::Year => start.year().to_string(),
        }
    }
}

/// The whole report: per-period KPIs and the totals over all tickets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The policy that decided.
    pub policy: PolicyInfo,
    /// The instant the decisions were computed at.
    pub now: ZonedInstant,
    /// Weeks or months.
    pub by: Granularity,
    /// The SLA calendar's time zone, in which tickets are assigned to periods.
    pub time_zone: String,
    /// Tickets evaluated and counted.
    pub tickets: u64,
    /// Tickets that could not be read or evaluated (not counted anywhere else).
    pub errors: u64,
    /// Display order of the ids, from the policy (most urgent priority first).
    pub order: Order,
    /// The policy's labels of the ids, for people (the ids stay the keys everywhere else).
    pub labels: Labels,
    /// The language of the text and HTML forms: the policy's `locale` unless changed
    /// (e.g. by `--lang`).
    pub locale: Lang,
    /// Every period from the first ticket's to the last one's, empty periods included, oldest
    /// first. This is what the JSON format holds; the text and HTML tables, written for people,
    /// leave the periods without tickets out and say how many they left out.
    pub periods: Vec<Period>,
    /// All tickets together.
    pub totals: Totals,
}

/// The policy's name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PolicyInfo {
    /// `[policy] name`.
    pub name: String,
    /// `[policy] version`.
    pub version: String,
}

/// The policy's own order of categories, priorities and departments, for tables and legends.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct Order {
    /// Category ids in file order.
    pub categories: Vec<String>,
    /// Priority ids, most urgent first.
    pub priorities: Vec<String>,
    /// Department ids in file order.
    pub departments: Vec<String>,
    /// The policy's text models in policy order, each with its labels (sorted); left out of
    /// the JSON when the policy has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<ModelOrder>,
}

/// A text model of the policy and the labels it gives.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct ModelOrder {
    /// `[models.NAME]`.
    pub name: String,
    /// Its labels, sorted.
    pub labels: Vec<String>,
}

/// The label a sentiment model gives negative tickets.
pub const NEGATIVE: &str = "negative";

/// The share of tickets a sentiment model reads as negative.
///
/// The policy's sentiment model is its model named `sentiment` when that model has the label
/// [`NEGATIVE`] (`negative`); otherwise the first model, in policy order, that has that
/// label. A policy without such a model has no sentiment figures (`sentiment` is left out of
/// the JSON).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct SentimentKpis {
    /// The model's name.
    pub model: String,
    /// Tickets the model labelled (every evaluated ticket).
    pub tickets: u64,
    /// Of those, tickets labelled `negative`.
    pub negative: u64,
    /// `negative / tickets`, 0.0–1.0; null without tickets.
    pub share: Option<f64>,
}

/// One week or month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Period {
    /// `2025-W41`, `2025-10`, `2025-Q4` or `2025`.
    pub label: String,
    /// The first local day.
    pub start: NaiveDate,
    /// The first local day of the next period.
    pub end: NaiveDate,
    /// What happened to the tickets created in it.
    #[serde(flatten)]
    pub kpis: Kpis,
    /// For a quarter or a year: its months, each with the same KPIs (empty for weeks and
    /// months).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<Period>,
}

/// All periods together.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Totals {
    /// The first period's first day; null without tickets.
    pub start: Option<NaiveDate>,
    /// The day after the last period; null without tickets.
    pub end: Option<NaiveDate>,
    /// What happened to all tickets.
    #[serde(flatten)]
    pub kpis: Kpis,
}

/// The KPIs of a set of tickets (a period or the totals), as of the report's `now`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Kpis {
    /// Tickets created in the period.
    pub tickets: u64,
    /// Tickets per category id.
    pub by_category: BTreeMap<String, u64>,
    /// Tickets per priority id.
    pub by_priority: BTreeMap<String, u64>,
    /// Tickets per department id.
    pub by_department: BTreeMap<String, u64>,
    /// Tickets per intake channel (`none` when the ticket names none).
    pub by_channel: BTreeMap<String, u64>,
    /// SLA compliance per metric.
    pub sla: SlaKpis,
    /// Business time to first response and to resolution.
    pub times: Times,
    /// Escalation steps that fired.
    pub escalations: EscalationKpis,
    /// Follow-up visits owed and done; null when the policy has no `[follow_up]` (no visit is
    /// owed, so there is no rate to show).
    pub follow_up: Option<FollowUpKpis>,
    /// Satisfaction scores from the visits.
    pub satisfaction: Satisfaction,
    /// Per category: the keywords found in the most tickets, most frequent first.
    pub hot_issues: BTreeMap<String, Vec<Keyword>>,
    /// Per department: its load and how well it kept its SLAs.
    pub departments: BTreeMap<String, DepartmentKpis>,
    /// Transfers (转派) between departments and teams by agents.
    pub transfers: TransferKpis,
    /// Where agents overrode what the rules decided.
    pub overrides: OverrideKpis,
    /// Per text model of the policy: tickets per label (every label of the model, zeros
    /// included). Left out of the JSON when the policy has no models.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_label: BTreeMap<String, BTreeMap<String, u64>>,
    /// The share of negative sentiment, when the policy has a sentiment model
    /// ([`SentimentKpis`]); left out of the JSON otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentKpis>,
}

/// Agents' transfers of the tickets: `assigned` events that moved a ticket to another
/// department or team, up to `now`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct TransferKpis {
    /// Transfers.
    pub count: u64,
    /// Tickets transferred at least once.
    pub tickets: u64,
    /// `tickets` over all tickets, 0.0–1.0; null without tickets.
    pub share: Option<f64>,
    /// Transfers per department pair, keyed `from→to` (the same department twice when only
    /// the team changed).
    pub by_pair: BTreeMap<String, u64>,
    /// Business time each holder kept a ticket before passing it on (since creation or the
    /// previous transfer).
    pub held: TimeStats,
}

/// How often agents overrode the rules, and which rules they overrode.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct OverrideKpis {
    /// Tickets whose category an agent set to another than the rules alone chose.
    pub category: u64,
    /// Tickets whose priority an agent set to another than the rules alone chose.
    pub priority: u64,
    /// Tickets an agent finally put in another department than the rules alone chose (a
    /// ticket transferred away and back counts as agreeing).
    pub route: u64,
    /// Per rule, keyed `stage:rule` (`category:complaint`, `priority:vip`, `route:fallback`;
    /// `script` when a hook decided): the tickets it decided without agents, and how many of
    /// them an agent later overrode, and to what.
    pub by_rule: BTreeMap<String, RuleAgreement>,
}

/// One rule against the agents.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct RuleAgreement {
    /// Tickets the rule decided (its stage's field), agents aside.
    pub decided: u64,
    /// Of those, tickets where an agent's choice now decides the field, and differs.
    pub overridden: u64,
    /// What agents chose instead (for a route, the department), with counts.
    pub to: BTreeMap<String, u64>,
}

/// SLA compliance of the first response and the resolution.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct SlaKpis {
    /// The first-response clock.
    pub first_response: Compliance,
    /// The resolution clock, over all handling cycles of a ticket.
    pub resolution: Compliance,
}

/// Met and breached clocks of one metric.
///
/// A ticket counts once per metric: `breached` if the clock is breached as of `now` (still
/// running past its due instant, or stopped late) — for the resolution, if any handling cycle
/// was; `met` if it stopped in time (every cycle, for the resolution); `open` if it is still
/// running or paused within its target. Tickets without that clock are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Compliance {
    /// Stopped in time.
    pub met: u64,
    /// Late.
    pub breached: u64,
    /// Still counting, not late yet.
    pub open: u64,
    /// `met / (met + breached)`, 0.0–1.0; null when both are zero.
    pub compliance: Option<f64>,
}

impl Compliance {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Met => self.met += 1,
            Outcome::Breached => self.breached += 1,
            Outcome::Open => self.open += 1,
        }
    }

    fn finish(&mut self) {
        self.compliance = ratio(self.met, self.met + self.breached);
    }
}

/// Business time to first response and to resolution.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Times {
    /// From creation to the first response (the clock's `elapsed` once stopped).
    pub first_response: TimeStats,
    /// From creation to resolution: the `elapsed` of every handling cycle added up (pauses
    /// excluded), for tickets whose latest cycle has stopped.
    pub resolution: TimeStats,
}

/// Median and 90th percentile of business times, by the nearest-rank method: the p-th
/// percentile of n sorted values is the value at rank ⌈p·n/100⌉ (1-based), so it is always one
/// of the measured times and the median of an even count is the lower of the middle two.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct TimeStats {
    /// How many times were measured.
    pub samples: u64,
    /// The median, e.g. `1h30m`.
    pub median: Option<BusinessSpan>,
    /// The 90th percentile.
    pub p90: Option<BusinessSpan>,
    /// The median in seconds.
    pub median_seconds: Option<i64>,
    /// The 90th percentile in seconds.
    pub p90_seconds: Option<i64>,
}

impl TimeStats {
    fn of(values: &mut [i64]) -> TimeStats {
        values.sort_unstable();
        let median = nearest_rank(values, 50);
        let p90 = nearest_rank(values, 90);
        TimeStats {
            samples: values.len() as u64,
            median: median.map(BusinessSpan),
            p90: p90.map(BusinessSpan),
            median_seconds: median,
            p90_seconds: p90,
        }
    }
}

/// The p-th percentile of sorted `values` by nearest rank; `None` when empty.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (p as usize * n).div_ceil(100).clamp(1, n);
    sorted.get(rank - 1).copied()
}

/// Escalation steps that fired as of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct EscalationKpis {
    /// Steps fired, over all tickets and cycles.
    pub fired: u64,
    /// Tickets with at least one fired step.
    pub tickets: u64,
}

/// The follow-up visits (回访). Each resolution is owed one visit.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct FollowUpKpis {
    /// `resolved` events up to `now` (a ticket resolved twice counts twice).
    pub resolutions: u64,
    /// `follow_up` events up to `now`.
    pub visits: u64,
    /// `visits / resolutions`, 0.0–1.0; null without resolutions.
    pub rate: Option<f64>,
}

/// Satisfaction scores (1–5) from the follow-up visits.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Satisfaction {
    /// Scored visits.
    pub responses: u64,
    /// Mean score; null without responses.
    pub average: Option<f64>,
    /// `average` minus the average of the nearest earlier period with responses; null for the
    /// totals, for the first period with responses, and for periods without any.
    pub change: Option<f64>,
}

/// A hot-issue keyword and the number of tickets whose text contains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Keyword {
    /// A lower-cased word of two or more characters, as the crate's tokenizer reads it
    /// (Chinese segmented into dictionary words).
    pub keyword: String,
    /// Tickets of the category whose subject or description contains it.
    pub tickets: u64,
}

/// One department's load and SLA performance.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct DepartmentKpis {
    /// Tickets routed to it.
    pub tickets: u64,
    /// Of those, not yet resolved or closed as of `now`.
    pub open: u64,
    /// First-response compliance of its tickets.
    pub first_response: Compliance,
    /// Resolution compliance of its tickets.
    pub resolution: Compliance,
    /// Business time to resolution of its tickets.
    pub resolution_time: TimeStats,
    /// Escalation steps fired on its tickets.
    pub escalations_fired: u64,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Met,
    Breached,
    Open,
}

fn outcome(status: ClockStatus) -> Outcome {
    match status {
        ClockStatus::Met => Outcome::Met,
        ClockStatus::Breached => Outcome::Breached,
        ClockStatus::Running | ClockStatus::Paused => Outcome::Open,
    }
}

/// What one ticket contributes; computed once, added to its period and to the totals.
struct Contribution {
    category: String,
    priority: String,
    department: String,
    channel: String,
    first_response: Option<Outcome>,
    resolution: Option<Outcome>,
    first_response_time: Option<i64>,
    resolution_time: Option<i64>,
    escalations_fired: u64,
    open: bool,
    resolutions: u64,
    scores: Vec<u8>,
    keywords: Vec<String>,
    /// `from→to` and the business time held, per transfer.
    transfers: Vec<(String, i64)>,
    /// Per stage (category, priority, route): `stage:rule` of the rule that decided without
    /// agents, and what an agent chose instead, if one did.
    rules: [(String, Option<String>); 3],
    /// Each model's label, by model name.
    labels: Vec<(String, String)>,
}

impl Contribution {
    fn new(ticket: &Ticket, decision: &Decision, now: DateTime<Utc>) -> Contribution {
        let fr = decision.sla.first_response.as_ref();
        let res = decision.sla.resolution.as_ref();
        let resolution = res.map(|c| {
            let cycles = c.previous_cycles.iter().chain(std::iter::once(c));
            let mut statuses = cycles.map(|c| outcome(c.status));
            let all: Vec<Outcome> = statuses.by_ref().collect();
            if all.contains(&Outcome::Breached) {
                Outcome::Breached
            } else if all.iter().all(|o| *o == Outcome::Met) {
                Outcome::Met
            } else {
                Outcome::Open
            }
        });
        let resolution_time = res
            .filter(|c| c.stopped_at.is_some())
            .map(|c| c.previous_cycles.iter().map(|p| p.elapsed.0).sum::<i64>() + c.elapsed.0);
        let mut resolutions = 0;
        let mut scores = Vec::new();
        for e in &ticket.events {
            // Events after `now` are not known yet, as in evaluation.
            if e.at.with_timezone(&Utc) > now {
                break;
            }
            match e.kind {
                EventKind::Resolved => resolutions += 1,
                EventKind::FollowUp { score } => scores.push(score),
                _ => {}
            }
        }
        Contribution {
            category: decision.category.to_string(),
            priority: decision.priority.to_string(),
            department: decision.route.department.to_string(),
            channel: ticket
                .channel
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or("none")
                .to_string(),
            first_response: fr.map(|c| outcome(c.status)),
            resolution,
            first_response_time: fr.filter(|c| c.stopped_at.is_some()).map(|c| c.elapsed.0),
            resolution_time,
            escalations_fired: decision.escalations.iter().filter(|e| e.fired).count() as u64,
            open: !matches!(&*decision.status, "resolved" | "closed"),
            resolutions,
            scores,
            keywords: tokens::keywords(ticket),
            transfers: decision.agents.as_ref().map_or_else(Vec::new, |a| {
                a.transfers
                    .iter()
                    .map(|t| (format!("{}→{}", t.from, t.to), t.held.0))
                    .collect()
            }),
            rules: {
                let rules = decision
                    .agents
                    .as_ref()
                    .map_or(&decision.rules, |a| &a.rules);
                let o = decision.agents.as_ref().map(|a| &a.overrides);
                let to =
                    // Only a choice other than the rules' is a disagreement.
                    |x: Option<&crate::output::decision::Override>| {
                        x.filter(|x| x.value != x.rules_chose)
                            .map(|x| x.value.to_string())
                    };
                [
                    (
                        format!("category:{}", rules.category),
                        to(o.and_then(|o| o.category.as_ref())),
                    ),
                    (
                        format!("priority:{}", rules.priority),
                        to(o.and_then(|o| o.priority.as_ref())),
                    ),
                    (
                        format!("route:{}", rules.route),
                        to(o.and_then(|o| o.route.as_ref())),
                    ),
                ]
            },
            labels: decision
                .labels
                .0
                .iter()
                .map(|(name, l)| (name.to_string(), l.label.to_string()))
                .collect(),
        }
    }
}

/// Running sums for one period (or the totals).
#[derive(Default)]
struct Acc {
    kpis: Kpis,
    first_response_times: Vec<i64>,
    resolution_times: Vec<i64>,
    score_sum: u64,
    keywords: HashMap<String, HashMap<String, u64>>,
    department_times: HashMap<String, Vec<i64>>,
    held_times: Vec<i64>,
    follow_up: FollowUpKpis,
}

/// What every period's KPIs share: whether the policy owes follow-up visits, its models and
/// its sentiment model.
struct Shape {
    follow_up: bool,
    models: Vec<ModelOrder>,
    sentiment: Option<String>,
}

impl Shape {
    fn of(policy: &Policy) -> Shape {
        let models: Vec<ModelOrder> = policy
            .inner
            .keywords
            .models
            .iter()
            .map(|(name, m)| ModelOrder {
                name: name.to_string(),
                labels: m.labels().to_vec(),
            })
            .collect();
        let negative = |m: &&ModelOrder| m.labels.iter().any(|l| l == NEGATIVE);
        let sentiment = models
            .iter()
            .filter(negative)
            .find(|m| m.name == "sentiment")
            .or_else(|| models.iter().find(negative))
            .map(|m| m.name.clone());
        Shape {
            follow_up: policy.inner.follow_up.is_some(),
            models,
            sentiment,
        }
    }
}

impl Acc {
    fn add(&mut self, c: &Contribution) {
        let k = &mut self.kpis;
        k.tickets += 1;
        *k.by_category.entry(c.category.clone()).or_default() += 1;
        *k.by_priority.entry(c.priority.clone()).or_default() += 1;
        *k.by_department.entry(c.department.clone()).or_default() += 1;
        *k.by_channel.entry(c.channel.clone()).or_default() += 1;
        if let Some(o) = c.first_response {
            k.sla.first_response.count(o);
        }
        if let Some(o) = c.resolution {
            k.sla.resolution.count(o);
        }
        self.first_response_times.extend(c.first_response_time);
        self.resolution_times.extend(c.resolution_time);
        k.escalations.fired += c.escalations_fired;
        k.escalations.tickets += u64::from(c.escalations_fired > 0);
        self.follow_up.resolutions += c.resolutions;
        self.follow_up.visits += c.scores.len() as u64;
        k.satisfaction.responses += c.scores.len() as u64;
        self.score_sum += c.scores.iter().map(|s| u64::from(*s)).sum::<u64>();

        let dept = k.departments.entry(c.department.clone()).or_default();
        dept.tickets += 1;
        dept.open += u64::from(c.open);
        if let Some(o) = c.first_response {
            dept.first_response.count(o);
        }
        if let Some(o) = c.resolution {
            dept.resolution.count(o);
        }
        dept.escalations_fired += c.escalations_fired;
        if let Some(t) = c.resolution_time {
            self.department_times
                .entry(c.department.clone())
                .or_default()
                .push(t);
        }

        let words = self.keywords.entry(c.category.clone()).or_default();
        for w in &c.keywords {
            *words.entry(w.clone()).or_default() += 1;
        }

        k.transfers.count += c.transfers.len() as u64;
        k.transfers.tickets += u64::from(!c.transfers.is_empty());
        for (pair, held) in &c.transfers {
            *k.transfers.by_pair.entry(pair.clone()).or_default() += 1;
            self.held_times.push(*held);
        }
        let [category, priority, route] = &c.rules;
        k.overrides.category += u64::from(category.1.is_some());
        k.overrides.priority += u64::from(priority.1.is_some());
        k.overrides.route += u64::from(route.1.is_some());
        for (rule, to) in &c.rules {
            let r = k.overrides.by_rule.entry(rule.clone()).or_default();
            r.decided += 1;
            if let Some(to) = to {
                r.overridden += 1;
                *r.to.entry(to.clone()).or_default() += 1;
            }
        }
        for (model, label) in &c.labels {
            let labels = k.by_label.entry(model.clone()).or_default();
            *labels.entry(label.clone()).or_default() += 1;
        }
    }

    fn finish(mut self, shape: &Shape) -> Kpis {
        let mut k = self.kpis;
        if shape.follow_up {
            let mut f = self.follow_up;
            f.rate = ratio(f.visits, f.resolutions);
            k.follow_up = Some(f);
        }
        for m in &shape.models {
            let labels = k.by_label.entry(m.name.clone()).or_default();
            for l in &m.labels {
                labels.entry(l.clone()).or_default();
            }
        }
        k.sentiment = shape.sentiment.as_ref().map(|model| {
            let counts = k.by_label.get(model);
            let tickets = counts.map_or(0, |c| c.values().sum());
            let negative = counts.and_then(|c| c.get(NEGATIVE)).copied().unwrap_or(0);
            SentimentKpis {
                model: model.clone(),
                tickets,
                negative,
                share: ratio(negative, tickets),
            }
        });
        k.sla.first_response.finish();
        k.sla.resolution.finish();
        k.times.first_response = TimeStats::of(&mut self.first_response_times);
        k.times.resolution = TimeStats::of(&mut self.resolution_times);
        k.transfers.share = ratio(k.transfers.tickets, k.tickets);
        k.transfers.held = TimeStats::of(&mut self.held_times);
        k.satisfaction.average = ratio(self.score_sum, k.satisfaction.responses);
        for (id, d) in k.departments.iter_mut() {
            d.first_response.finish();
            d.resolution.finish();
            if let Some(times) = self.department_times.get_mut(id) {
                d.resolution_time = TimeStats::of(times);
            }
        }
        for (category, words) in self.keywords {
            let mut top: Vec<Keyword> = words
                .into_iter()
                .filter(|(_, n)| *n >= HOT_ISSUE_MIN_TICKETS)
                .map(|(keyword, tickets)| Keyword { keyword, tickets })
                .collect();
            top.sort_by(|a, b| b.tickets.cmp(&a.tickets).then(a.keyword.cmp(&b.keyword)));
            top.truncate(HOT_ISSUES_PER_CATEGORY);
            if !top.is_empty() {
                k.hot_issues.insert(category, top);
            }
        }
        k
    }
}

/// Collects decisions one ticket at a time, so that a report over millions of tickets never
/// holds them all; [`ReportBuilder::finish`] computes the KPIs.
#[non_exhaustive]
pub struct ReportBuilder {
    policy: Policy,
    now: DateTime<Utc>,
    by: Granularity,
    tz: Tz,
    errors: u64,
    periods: BTreeMap<NaiveDate, Acc>,
    /// Months inside quarters and years.
    months: BTreeMap<NaiveDate, Acc>,
    totals: Acc,
    shape: Shape,
}

impl fmt::Debug for ReportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportBuilder")
            .field("by", &self.by)
            .field("tickets", &self.totals.kpis.tickets)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

impl ReportBuilder {
    /// A report on decisions of `policy` as of `now`, grouped by `by`.
    pub fn new(policy: &Policy, now: DateTime<Utc>, by: Granularity) -> ReportBuilder {
        ReportBuilder {
            tz: policy.report_time_zone(),
            policy: policy.clone(),
            now,
            by,
            errors: 0,
            periods: BTreeMap::new(),
            months: BTreeMap::new(),
            totals: Acc::default(),
            shape: Shape::of(policy),
        }
    }

    /// Adds one ticket and the decision the policy made for it as of the report's `now`
    /// (e.g. one kept in a store).
    pub fn add(&mut self, ticket: &Ticket, decision: &Decision) {
        let c = Contribution::new(ticket, decision, self.now);
        let local = ticket.created_at.with_timezone(&self.tz).date_naive();
        let start = self.by.start_of(local);
        self.periods.entry(start).or_default().add(&c);
        if matches!(self.by, Granularity::Quarter | Granularity::Year) {
            let month = Granularity::Month.start_of(local);
            self.months.entry(month).or_default().add(&c);
        }
        self.totals.add(&c);
    }

    /// Counts a ticket that could not be read or evaluated.
    pub fn add_error(&mut self) {
        self.errors += 1;
    }

    /// Evaluates `tickets` on all cores and adds them; returns the tickets that failed (they
    /// are counted in `errors`).
    pub fn add_tickets(&mut self, tickets: &[Ticket]) -> Vec<TicketError> {
        let decisions = self
            .policy
            .evaluate_batch(tickets, self.now, EvalOptions { trace: false });
        let mut failed = Vec::new();
        for (ticket, decision) in tickets.iter().zip(decisions) {
            match decision {
                Ok(d) => self.add(ticket, &d),
                Err(e) => {
                    self.errors += 1;
                    failed.push(e);
                }
            }
        }
        failed
    }

    /// Reads tickets from JSON texts and evaluates them on all cores, then adds them; returns
    /// the tickets that failed (they are counted in `errors`).
    pub fn add_json_lines<S: AsRef<str> + Sync>(&mut self, lines: &[S]) -> Vec<TicketError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let policy = &self.policy;
        let now = self.now;
        let results = crate::parallel::map(lines, threads, |json| {
            let ticket = Ticket::from_json_with_limits(json.as_ref(), policy.limits())?;
            let decision = policy.evaluate_with(&ticket, now, EvalOptions { trace: false })?;
            Ok::<_, TicketError>((ticket, decision))
        });
        let mut failed = Vec::new();
        for result in results {
            match result {
                Ok((ticket, decision)) => self.add(&ticket, &decision),
                Err(e) => {
                    self.errors += 1;
                    failed.push(e);
                }
            }
        }
        failed
    }

    /// Periods from the first ticket's to the last one's, empty ones included.
    fn span(&self) -> u64 {
        let (Some(first), Some(last)) = (
            self.periods.keys().next().copied(),
            self.periods.keys().next_back().copied(),
        ) else {
            return 0;
        };
        let between = match self.by {
            Granularity::Week => (last - first).num_days() / 7,
            Granularity::Month => {
                i64::from(last.year() - first.year()) * 12 + i64::from(last.month())
                    - i64::from(first.month())
            }
            Granularity::Quarter => {
                i64::from(last.year() - first.year()) * 4 + i64::from(last.month0() / 3)
                    - i64::from(first.month0() / 3)
            }
            Granularity::Year => i64::from(last.year() - first.year()),
        };
        u64::try_from(between).unwrap_or(0) + 1
    }

    /// Computes the KPIs, or refuses when the tickets span more than [`MAX_PERIODS`] periods
    /// (`aftercare report` says so and exits 2).
    pub fn try_finish(self) -> Result<Report, TooManyPeriods> {
        let periods = self.span();
        if periods > MAX_PERIODS {
            let (Some(first), Some(last)) = (
                self.periods.keys().next().copied(),
                self.periods.keys().next_back().copied(),
            ) else {
                return Ok(self.finish());
            };
            return Err(TooManyPeriods {
                periods,
                by: self.by,
                first: self.by.label(first),
                last: self.by.label(last),
                max: MAX_PERIODS,
            });
        }
        Ok(self.finish())
    }

    /// Computes the KPIs. Over more than [`MAX_PERIODS`] periods only the periods with
    /// tickets are listed ([`ReportBuilder::try_finish`] refuses instead).
    pub fn finish(self) -> Report {
        let by = self.by;
        let mut periods = Vec::new();
        let fill = self.span() <= MAX_PERIODS;
        let first = self.periods.keys().next().copied();
        let last = self.periods.keys().next_back().copied();
        let mut accs = self.periods;
        let mut month_accs = self.months;
        let shape = self.shape;
        let done = |acc: Option<Acc>| acc.unwrap_or_default().finish(&shape);
        if !fill {
            // Too many periods to list them all: only those with tickets, without their months.
            for (start, acc) in std::mem::take(&mut accs) {
                periods.push(Period {
                    label: by.label(start),
                    start,
                    end: by.next(start),
                    kpis: acc.finish(&shape),
                    months: Vec::new(),
                });
            }
        } else if let (Some(first), Some(last)) = (first, last) {
            let mut start = first;
            // Every period from the first to the last, so that charts show real gaps.
            while start <= last {
                let end = by.next(start);
                let kpis = done(accs.remove(&start));
                let mut months = Vec::new();
                if matches!(by, Granularity::Quarter | Granularity::Year) {
                    let mut month = start;
                    while month < end {
                        let next = Granularity::Month.next(month);
                        months.push(Period {
                            label: Granularity::Month.label(month),
                            start: month,
                            end: next,
                            kpis: done(month_accs.remove(&month)),
                            months: Vec::new(),
                        });
                        if next <= month {
                            break;
                        }
                        month = next;
                    }
                }
                periods.push(Period {
                    label: by.label(start),
                    start,
                    end,
                    kpis,
                    months,
                });
                if end <= start {
                    break;
                }
                start = end;
            }
        }
        satisfaction_changes(periods.iter_mut());
        // The months of quarters and years compare across period bounds, as in a monthly
        // report.
        satisfaction_changes(periods.iter_mut().flat_map(|p| p.months.iter_mut()));
        let inner = &self.policy.inner;
        let mut categories: Vec<String> = Vec::new();
        let ids = inner
            .categories
            .rules
            .iter()
            .map(|r| &r.outcome)
            .chain(std::iter::once(&inner.categories.default.outcome));
        for id in ids {
            if !categories.iter().any(|c| c.as_str() == &**id) {
                categories.push(id.to_string());
            }
        }
        let order = Order {
            categories,
            priorities: inner.priorities.iter().map(|p| p.to_string()).collect(),
            departments: inner.departments.iter().map(|d| d.id.to_string()).collect(),
            models: shape.models.clone(),
        };
        let totals = self.totals.finish(&shape);
        Report {
            policy: PolicyInfo {
                name: self.policy.name().to_string(),
                version: self.policy.version().to_string(),
            },
            now: ZonedInstant::new(self.now, self.tz),
            by,
            time_zone: self.tz.name().to_string(),
            tickets: totals.tickets,
            errors: self.errors,
            order,
            labels: self.policy.labels(),
            locale: self.policy.locale(),
            totals: Totals {
                start: periods.first().map(|p| p.start),
                end: periods.last().map(|p| p.end),
                kpis: totals,
            },
            periods,
        }
    }
}

impl Report {
    /// Evaluates `tickets` with `policy` as of `now` (on all cores) and reports on them.
    /// Tickets that fail are counted in `errors`.
    pub fn build(
        policy: &Policy,
        tickets: &[Ticket],
        now: DateTime<Utc>,
        by: Granularity,
    ) -> Report {
        let mut builder = ReportBuilder::new(policy, now, by);
        builder.add_tickets(tickets);
        builder.finish()
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain structs, maps and numbers cannot fail; fall back to an empty
        // object rather than panic.
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// The same report in another language (`--lang`).
    pub fn in_lang(mut self, lang: Lang) -> Report {
        self.locale = lang;
        self
    }

    /// The report as tables for a terminal (fixed-width; Chinese characters count double).
    pub fn to_text(&self) -> String {
        text::render(self)
    }

    /// The report as one self-contained HTML page: inline CSS and SVG charts, no scripts, no
    /// external references.
    pub fn to_html(&self) -> String {
        html::render(self)
    }
}

/// Each period's satisfaction change against the nearest earlier one with scores.
fn satisfaction_changes<'a>(periods: impl Iterator<Item = &'a mut Period>) {
    let mut previous: Option<f64> = None;
    for p in periods {
        if let Some(avg) = p.kpis.satisfaction.average {
            p.kpis.satisfaction.change = previous.map(|prev| avg - prev);
            previous = Some(avg);
        }
    }
}

/// Percent with one decimal, or `–` when there is nothing to divide.
fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{:.1}%", x * 100.0))
}

/// A business time as `1h30m` (`1小时30分`), or `–`.
fn span(lang: Lang, x: Option<BusinessSpan>) -> String {
    x.map_or_else(|| "–".to_string(), |s| lang.span(s.0))
}

/// A score average with two decimals, or `–`.
fn score(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{x:.2}"))
}

/// A signed change with two decimals, or empty.
fn change(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| format!("{x:+.2}"))
}

/// Ids in the policy's order first, then any others (e.g. from a script) by name.
fn ordered<'a>(order: &'a [String], present: impl Iterator<Item = &'a String>) -> Vec<&'a str> {
    let mut out: Vec<&str> = order.iter().map(String::as_str).collect();
    let mut extra: Vec<&str> = present
        .map(String::as_str)
        .filter(|p| !order.iter().any(|o| o == p))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    out.extend(extra);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
        assert_eq!(nearest_rank(&v, 50), Some(50));
        assert_eq!(nearest_rank(&v, 90), Some(90));
        assert_eq!(nearest_rank(&v[..1], 90), Some(10));
        assert_eq!(nearest_rank(&v[..3], 50), Some(20));
        assert_eq!(nearest_rank(&v[..4], 50), Some(20)); // lower middle
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn periods_start_on_monday_and_on_the_first() {
        let d = NaiveDate::from_ymd_opt(2025, 10, 15).unwrap_or_default();
        assert_eq!(Granularity::Week.start_of(d).to_string(), "2025-10-13");
        assert_eq!(Granularity::Month.start_of(d).to_string(), "2025-10-01");
        let jan = NaiveDate::from_ymd_opt(2024, 12, 30).unwrap_or_default();
        assert_eq!(Granularity::Week.label(jan), "2025-W01");
        assert_eq!(Granularity::Month.next(d).to_string(), "2025-11-15");
        assert_eq!(Granularity::Quarter.start_of(d).to_string(), "2025-10-01");
        assert_eq!(
            Granularity::Quarter.label(Granularity::Quarter.start_of(d)),
            "2025-Q4"
        );
        let may = NaiveDate::from_ymd_opt(2025, 5, 31).unwrap_or_default();
        assert_eq!(Granularity::Quarter.start_of(may).to_string(), "2025-04-01");
        assert_eq!(
            Granularity::Quarter
                .next(Granularity::Quarter.start_of(may))
                .to_string(),
            "2025-07-01"
        );
        assert_eq!(Granularity::Year.start_of(may).to_string(), "2025-01-01");
        assert_eq!(
            Granularity::Year.label(Granularity::Year.start_of(may)),
            "2025"
        );
        assert_eq!(
            Granularity::Year
                .next(Granularity::Year.start_of(may))
                .to_string(),
            "2026-01-01"
        );
    }
}
