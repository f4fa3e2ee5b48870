//! The decision for one ticket (contract §3). Serializes to the contract's JSON; every instant is
//! RFC 3339 in the SLA calendar's time zone. Nothing here can hold personal data: the only
//! ticket field copied in is the ticket id.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};

use crate::business_time::{Amount, BusinessDuration};
pub use crate::output::trace::{ClockTrace, PauseTrace, RuleOutcome, TraceEvent, TraceStage};

/// The old name of [`ZonedInstant`].
#[deprecated(since = "0.2.0", note = "renamed to `ZonedInstant`")]
pub type Instant = ZonedInstant;

/// The old name of [`BusinessSpan`].
#[deprecated(since = "0.2.0", note = "renamed to `BusinessSpan`")]
pub type Span = BusinessSpan;

/// An instant, shown in a given time zone (converted only when displayed, which keeps
/// decisions small and cheap to build).
#[derive(Debug, Clone, Copy)]
pub struct ZonedInstant {
    at: DateTime<Utc>,
    tz: Tz,
}

impl ZonedInstant {
    pub(crate) fn new(at: DateTime<Utc>, tz: Tz) -> ZonedInstant {
        ZonedInstant { at, tz }
    }

    /// The instant in UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        self.at
    }

    /// The instant in the time zone it is shown in.
    pub fn local(&self) -> DateTime<Tz> {
        self.at.with_timezone(&self.tz)
    }
}

impl PartialEq for ZonedInstant {
    /// Instants are equal when they are the same instant, whatever their time zones.
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for ZonedInstant {}

impl std::hash::Hash for ZonedInstant {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.at.hash(state);
    }
}

impl PartialOrd for ZonedInstant {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ZonedInstant {
    /// Instants compare as instants, whatever their time zones.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

impl fmt::Display for ZonedInstant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = TextBuf::new();
        match self.write_rfc3339(&mut buf) {
            Some(()) => f.write_str(buf.as_str()),
            None => f.write_str(&self.local().to_rfc3339_opts(SecondsFormat::AutoSi, false)),
        }
    }
}

impl Serialize for ZonedInstant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Decisions hold many instants and bulk runs print millions of decisions: formatting
        // on the stack skips chrono's formatter and a String per instant.
        let mut buf = TextBuf::new();
        match self.write_rfc3339(&mut buf) {
            Some(()) => s.serialize_str(buf.as_str()),
            None => s.collect_str(self),
        }
    }
}

impl ZonedInstant {
    /// Writes what `to_rfc3339_opts(SecondsFormat::AutoSi, false)` writes for the local time,
    /// for years 0–9999, whole-minute offsets and no leap second; `None` for anything else,
    /// which chrono then formats.
    fn write_rfc3339(&self, out: &mut TextBuf) -> Option<()> {
        use chrono::{Offset, TimeZone};
        let offset = self.tz.offset_from_utc_datetime(&self.at.naive_utc()).fix();
        let seconds_east = offset.local_minus_utc();
        let nano = self.at.timestamp_subsec_nanos();
        if nano >= 1_000_000_000 || seconds_east % 60 != 0 {
            return None;
        }
        let local = self.at.timestamp().checked_add(i64::from(seconds_east))?;
        let (year, month, day) = civil_date(local.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            return None;
        }
        // In range: every part below fits in a u32.
        let time = local.rem_euclid(86_400) as u32;
        let (year, month, day) = (year as u32, month as u32, day as u32);
        let (hour, minute, second) = (time / 3600, time / 60 % 60, time % 60);
        let d = |n: u32| b'0' + (n % 10) as u8;
        out.extend(&[
            d(year / 1000),
            d(year / 100),
            d(year / 10),
            d(year),
            b'-',
            d(month / 10),
            d(month),
            b'-',
            d(day / 10),
            d(day),
            b'T',
            d(hour / 10),
            d(hour),
            b':',
            d(minute / 10),
            d(minute),
            b':',
            d(second / 10),
            d(second),
        ]);
        if nano != 0 {
            out.push(b'.');
            if nano.is_multiple_of(1_000_000) {
                out.digits(nano / 1_000_000, 3);
            } else if nano.is_multiple_of(1_000) {
                out.digits(nano / 1_000, 6);
            } else {
                out.digits(nano, 9);
            }
        }
        let minutes = seconds_east.unsigned_abs() / 60;
        let (hours, minutes) = (minutes / 60, minutes % 60);
        out.extend(&[
            if seconds_east < 0 { b'-' } else { b'+' },
            d(hours / 10),
            d(hours),
            b':',
            d(minutes / 10),
            d(minutes),
        ]);
        out.ok()
    }
}

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A small text buffer on the stack for formatting instants and spans without allocating.
struct TextBuf {
    bytes: [u8; 40],
    len: usize,
    overflow: bool,
}

impl TextBuf {
    fn new() -> TextBuf {
        TextBuf {
            bytes: [0; 40],
            len: 0,
            overflow: false,
        }
    }

    fn push(&mut self, b: u8) {
        match self.bytes.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        match self.bytes.get_mut(self.len..end) {
            Some(slots) => {
                slots.copy_from_slice(bytes);
                self.len = end;
            }
            None => self.overflow = true,
        }
    }

    /// `n` as exactly `width` decimal digits (the lowest ones).
    fn digits(&mut self, n: u32, width: u32) {
        for place in (0..width).rev() {
            let digit = n / 10u32.pow(place) % 10;
            self.push(b'0' + digit as u8);
        }
    }

    /// `n` in decimal, as many digits as it needs.
    fn number(&mut self, n: u64) {
        let mut reversed = [0u8; 20];
        let mut count = 0;
        let mut rest = n;
        loop {
            if let Some(slot) = reversed.get_mut(count) {
                *slot = b'0' + (rest % 10) as u8;
            }
            count += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &b in reversed.iter().take(count).rev() {
            self.push(b);
        }
    }

    fn ok(&self) -> Option<()> {
        (!self.overflow).then_some(())
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever pushed.
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

/// An amount of business time, shown as `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BusinessSpan(pub i64);

impl fmt::Display for BusinessSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = BusinessDuration {
            amount: Amount::Seconds(self.0.max(0)),
            calendar: None,
        };
        write!(f, "{d}")
    }
}

impl Serialize for BusinessSpan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The same text as `Display` (a business duration in seconds, e.g. `1h30m`), formatted
        // on the stack: clocks print several spans each.
        let seconds = self.0.max(0).unsigned_abs();
        if seconds == 0 {
            return s.serialize_str("0s");
        }
        let mut buf = TextBuf::new();
        for (amount, unit) in [
            (seconds / 3600, b'h'),
            (seconds / 60 % 60, b'm'),
            (seconds % 60, b's'),
        ] {
            if amount > 0 {
                buf.number(amount);
                buf.push(unit);
            }
        }
        match buf.ok() {
            Some(()) => s.serialize_str(buf.as_str()),
            None => s.collect_str(self),
        }
    }
}

/// Category, priority and route only, as [`Policy::triage`](crate::Policy::triage) decides
/// them. Ids are borrowed from the policy unless a script hook supplied them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Triage<'p> {
    /// Category id.
    pub category: Cow<'p, str>,
    /// Priority id.
    pub priority: &'p str,
    /// Department id.
    pub department: &'p str,
    /// Team within the department, if the route names one.
    pub team: Option<Cow<'p, str>>,
    /// Assignee, if the route names one.
    pub assignee: Option<Cow<'p, str>>,
    /// The rule that decided each of the three (`script` when a script hook changed it).
    pub rules: TriageRules<'p>,
}

/// The rules behind a [`Triage`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TriageRules<'p> {
    /// The category rule.
    pub category: Cow<'p, str>,
    /// The priority rule.
    pub priority: Cow<'p, str>,
    /// The route.
    pub route: Cow<'p, str>,
}

/// A text model's label for a ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ModelLabel {
    /// The most probable label.
    pub label: Arc<str>,
    /// Its probability, 0..1.
    pub confidence: f64,
}

/// The labels of a decision, by model name in policy order; serialized as a JSON object
/// `{"NAME": {"label": "…", "confidence": 0.91}}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelLabels(pub Vec<(Arc<str>, ModelLabel)>);

impl ModelLabels {
    /// Whether the policy has no models.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The label model `name` gave.
    pub fn get(&self, name: &str) -> Option<&ModelLabel> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, l)| l)
    }
}

impl Serialize for ModelLabels {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, label) in &self.0 {
            map.serialize_entry(&**name, label)?;
        }
        map.end()
    }
}

/// What aftercare decided for one ticket as of `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Decision {
    /// The ticket id.
    pub ticket: Arc<str>,
    /// Which policy decided.
    pub policy: PolicyRef,
    /// Category id.
    pub category: Arc<str>,
    /// Priority id.
    pub priority: Arc<str>,
    /// Department and team.
    pub route: Route,
    /// The rule that decided each of category, priority and route (`script` when a script
    /// hook changed it).
    pub rules: Rules,
    /// The ticket's status from its events: `new`, `in_progress`, a custom status,
    /// `resolved`, `reopened`, `closed`.
    pub status: Cow<'static, str>,
    /// SLA clocks.
    pub sla: Sla,
    /// Every escalation step with its instant and whether it has fired.
    pub escalations: Vec<Escalation>,
    /// The satisfaction visit.
    pub follow_up: Option<FollowUp>,
    /// The earliest instant after `now` at which this decision changes with no new event.
    pub next_change_at: Option<ZonedInstant>,
    /// Each text model's label for the ticket, by model name in policy order; empty (and
    /// left out of the JSON) when the policy has no `[models]`.
    #[serde(skip_serializing_if = "ModelLabels::is_empty")]
    pub labels: ModelLabels,
    /// What agents did (transfers, overrides), when they did anything up to `now`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agents: Option<Agents>,
    /// Which rule decided what, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TraceEvent>,
}

/// The policy's name and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PolicyRef {
    /// `[policy] name`.
    pub name: Arc<str>,
    /// `[policy] version`.
    pub version: Arc<str>,
}

/// Where the ticket goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Route {
    /// Department id.
    pub department: Arc<str>,
    /// Team, if the route names one.
    pub team: Option<Arc<str>>,
    /// Named owner, if the route names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Arc<str>>,
    /// The route rule that decided.
    pub rule: Arc<str>,
}

/// Which rule decided each stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Rules {
    /// The category rule (the default category's id when no rule matched).
    pub category: Arc<str>,
    /// The priority rule (`priorities.default` when no rule matched).
    pub priority: Arc<str>,
    /// The route rule.
    pub route: Arc<str>,
}

/// The SLA clocks of a ticket.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[non_exhaustive]
pub struct Sla {
    /// The calendar the clocks count on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<Arc<str>>,
    /// Created → first response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_response: Option<Clock>,
    /// Created (or reopened) → resolved, minus pauses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Clock>,
    /// Longest wait for an agent update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_response: Option<Clock>,
    /// Resolved → follow-up visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<Clock>,
}

impl Sla {
    /// The clocks that are present, with their metric names.
    pub fn clocks(&self) -> impl Iterator<Item = (&'static str, &Clock)> {
        [
            ("first_response", &self.first_response),
            ("resolution", &self.resolution),
            ("next_response", &self.next_response),
            ("follow_up", &self.follow_up),
        ]
        .into_iter()
        .filter_map(|(n, c)| c.as_ref().map(|c| (n, c)))
    }
}

/// The state of one SLA metric as of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Counting, not yet due.
    Running,
    /// Stopped by a pause status; the due instant moves later by the time paused.
    Paused,
    /// Stopped in time.
    Met,
    /// Due and not stopped in time.
    Breached,
}

impl ClockStatus {
    /// The status as written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockStatus::Running => "running",
            ClockStatus::Paused => "paused",
            ClockStatus::Met => "met",
            ClockStatus::Breached => "breached",
        }
    }
}

/// One SLA metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Clock {
    /// The target as written, e.g. `4h` or `3bd`.
    pub target: Arc<str>,
    /// When the target is used up; null while paused (it depends on when the pause ends).
    pub due: Option<ZonedInstant>,
    /// Running, paused, met or breached.
    pub status: ClockStatus,
    /// When the clock started counting (the opening at or after the start event); for a clock
    /// stopped before its first opening (an answer on a holiday), the start event itself, so
    /// that `started_at` is never after `stopped_at`.
    pub started_at: ZonedInstant,
    /// When the clock stopped, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<ZonedInstant>,
    /// Business time counted so far (up to the stop, or `now`), pauses excluded.
    pub elapsed: BusinessSpan,
    /// Business time left before the due instant, when not breached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<BusinessSpan>,
    /// How late, when breached: business time after the target, or up to the stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_by: Option<BusinessSpan>,
    /// Business time spent paused.
    #[serde(skip_serializing_if = "is_zero")]
    pub paused: BusinessSpan,
    /// The resolution cycle (1 = first handling; reopening starts the next).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle: Option<u32>,
    /// Earlier cycles, oldest first, as they ended.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub previous_cycles: Vec<Clock>,
}

fn is_zero(s: &BusinessSpan) -> bool {
    s.0 == 0
}

/// The key of an escalation step, `ticket/metric/cycle/step` (e.g. `T1/resolution/1/2`): the
/// same in every evaluation of the ticket, so a caller can notify once per key. Shown and
/// serialized as that text, which is only written out when asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EscalationKey {
    ticket: Arc<str>,
    metric: &'static str,
    cycle: u32,
    step: usize,
}

impl EscalationKey {
    pub(crate) fn new(ticket: Arc<str>, metric: &'static str, cycle: u32, step: usize) -> Self {
        EscalationKey {
            ticket,
            metric,
            cycle,
            step,
        }
    }

    /// The index of the step in the policy's `[[escalations]]`, from 0.
    pub fn step(&self) -> usize {
        self.step
    }
}

impl fmt::Display for EscalationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.ticket, self.metric, self.cycle, self.step
        )
    }
}

impl Serialize for EscalationKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl PartialEq<str> for EscalationKey {
    fn eq(&self, other: &str) -> bool {
        // Match the text as it is written out, without building it.
        struct Rest<'a>(Option<&'a str>);
        impl fmt::Write for Rest<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0 = self.0.and_then(|r| r.strip_prefix(s));
                Ok(())
            }
        }
        let mut rest = Rest(Some(other));
        fmt::Write::write_fmt(&mut rest, format_args!("{self}")).is_ok() && rest.0 == Some("")
    }
}

impl PartialEq<&str> for EscalationKey {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

/// One step of the escalation ladder.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Escalation {
    /// Stable across evaluations: `ticket/metric/cycle/step`; use it to notify only once.
    pub key: EscalationKey,
    /// The metric it watches.
    pub metric: &'static str,
    /// The resolution cycle (1 for other metrics).
    pub cycle: u32,
    /// The step as written, e.g. `80%` or `100%+4h`.
    pub step: Arc<str>,
    /// When it fires; null while its clock is paused.
    pub at: Option<ZonedInstant>,
    /// Who to tell: `assignee`, the department's supervisor role, or named roles.
    pub notify: Arc<[Arc<str>]>,
    /// Whether `at` has passed as of `now`.
    pub fired: bool,
    /// Who held the ticket when the step fired (or holds it now, for a step to come): only
    /// for tickets an agent assigned, whose holder changes over time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// The satisfaction visit after resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FollowUp {
    /// When the visit is due; null until the ticket is resolved.
    pub due: Option<ZonedInstant>,
    /// `not_due` (not resolved yet), `pending`, `done` or `missed`.
    pub status: &'static str,
    /// `satisfied` or `unsatisfied` once scored.
    pub outcome: Option<&'static str>,
    /// The score, 1–5.
    pub score: Option<u8>,
}

/// Who held the ticket when an escalation step fired (or holds it now, for a step still to
/// come). Only for tickets an agent assigned: otherwise the route says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Owner {
    /// Department id.
    pub department: Arc<str>,
    /// Team, if any.
    pub team: Option<Arc<str>>,
    /// The assignee as an agent gave it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Arc<str>>,
}

/// What agents did to the ticket up to `now`: present only when they did something.
/// An event's free-text `reason` is never kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Agents {
    /// What the rules and script hooks alone decided, as if no agent had acted: the rules a
    /// report holds responsible for the ticket.
    pub rules: Rules,
    /// Each transfer to another department or team, in time order.
    pub transfers: Vec<Transfer>,
    /// The fields an agent's choice decides now.
    pub overrides: Overrides,
    /// The SLA calendar in force from each instant, when a transfer (or the rules' route
    /// after a reclassification) changed it; empty otherwise. Targets with their own
    /// `@calendar` keep counting on it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<CalendarFrom>,
}

/// A calendar and the instant from which the clocks count on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CalendarFrom {
    /// From when.
    pub from: ZonedInstant,
    /// The calendar's name.
    pub calendar: Arc<str>,
}

/// One transfer (转派): an `assigned` event that moved the ticket to another department or
/// team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Transfer {
    /// The event's number among the ticket's events (1-based, in time order).
    pub event: u32,
    /// When.
    pub at: ZonedInstant,
    /// The department that held the ticket.
    pub from: Arc<str>,
    /// The department it went to.
    pub to: Arc<str>,
    /// The team it went to, if any.
    pub team: Option<Arc<str>>,
    /// The assignee as the agent gave it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Arc<str>>,
    /// Business time the ticket spent with the holder it left (since creation or the previous
    /// transfer), on the SLA calendars in force.
    pub held: BusinessSpan,
}

/// The fields agents decide, each with what the rules would have chosen; null for a field
/// no agent set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct Overrides {
    /// The category an agent set.
    pub category: Option<Override>,
    /// The priority an agent set.
    pub priority: Option<Override>,
    /// The department an agent assigned.
    pub route: Option<Override>,
}

/// An agent's choice in force now, against the rules'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Override {
    /// The event's number (1-based, in time order): the latest of its type.
    pub event: u32,
    /// When.
    pub at: ZonedInstant,
    /// What the agent chose (for the route, the department).
    pub value: Arc<str>,
    /// The rule that decided the field without agents (`script` for a hook).
    pub rule: Arc<str>,
    /// What that rule chose (for the route, the department).
    pub rules_chose: Arc<str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escalation_key_reads_as_its_text() {
        let key = EscalationKey::new("T-1/a".into(), "resolution", 2, 3);
        assert_eq!(key.to_string(), "T-1/a/resolution/2/3");
        assert_eq!(
            serde_json::to_string(&key).unwrap(),
            r#""T-1/a/resolution/2/3""#
        );
        assert_eq!(key, "T-1/a/resolution/2/3");
        assert_eq!(key.step(), 3);
        // Only the whole text is equal: not a prefix, not a longer text, not another step.
        for other in [
            "T-1/a/resolution/2/",
            "T-1/a/resolution/2/30",
            "T-1/a/resolution/2/4",
            "T-1/resolution/2/3",
            "",
        ] {
            assert_ne!(key, other, "{other}");
        }
    }

    use chrono::TimeZone;

    /// What the fast paths must reproduce byte for byte.
    fn chrono_text(i: &ZonedInstant) -> String {
        i.local().to_rfc3339_opts(SecondsFormat::AutoSi, false)
    }

    #[test]
    fn instants_print_as_chrono_prints_them() {
        let zones: [Tz; 6] = [
            chrono_tz::Asia::Shanghai,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Kolkata,
            chrono_tz::UTC,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Pacific::Chatham,
        ];
        let mut utcs = vec![
            Utc.with_ymd_and_hms(2025, 9, 30, 4, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-5, 3, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(12000, 3, 1, 0, 0, 0).unwrap(),
        ];
        let base = Utc.with_ymd_and_hms(2024, 3, 10, 6, 59, 58).unwrap();
        for nanos in [
            0,
            1,
            999,
            1_000,
            120_000,
            5_000_000,
            123_456_789,
            999_999_999,
        ] {
            utcs.push(base + chrono::Duration::nanoseconds(nanos));
        }
        for step in 0..200 {
            utcs.push(base + chrono::Duration::minutes(step * 7919));
        }
        // Across all the years shown by hand, and a little beyond: leap years, centuries,
        // the ends of months.
        let first = Utc.with_ymd_and_hms(-2, 1, 1, 0, 0, 0).unwrap();
        for step in 0..20_000i64 {
            utcs.push(first + chrono::Duration::seconds(step * 15_790_321_337 % 315_600_000_000));
        }
        for tz in zones {
            for at in &utcs {
                let i = ZonedInstant::new(*at, tz);
                let want = chrono_text(&i);
                assert_eq!(i.to_string(), want);
                assert_eq!(serde_json::to_string(&i).unwrap(), format!("\"{want}\""));
            }
        }
        // Shanghai's local mean time until 1901, +08:05:43, is not a whole minute.
        let lmt = ZonedInstant::new(
            Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap(),
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(lmt.to_string(), "1900-01-01T08:05:43+08:06");
    }

    #[test]
    fn spans_serialize_as_they_display() {
        for n in [
            -5,
            0,
            1,
            59,
            60,
            61,
            3599,
            3600,
            3601,
            5400,
            86_399,
            360_000,
            i64::MAX,
            i64::MIN,
        ] {
            let span = BusinessSpan(n);
            assert_eq!(
                serde_json::to_string(&span).unwrap(),
                format!("\"{span}\""),
                "{n}"
            );
        }
    }
}
