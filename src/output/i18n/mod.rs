//! Message catalogues: every sentence, heading and column name a person reads in a report, an
//! explanation or a diff, in English and in Chinese.
//!
//! Each language is one table (`en.rs`, `zh_cn.rs`): an exhaustive `match` over [`Msg`], so a
//! key missing from a language does not compile. Placeholders are `{0}`, `{1}`, …, filled by
//! [`Lang::fill`]; a test checks that both languages use the same ones.
//!
//! ```
//! use aftercare::i18n::{Lang, Msg};
//! let zh: Lang = "zh-CN".parse().unwrap();
//! assert_eq!(zh.span(9000), "2小时30分");
//! assert_eq!(Lang::En.span(9000), "2h30m");
//! assert_eq!(Lang::En.fill(Msg::TicketsCount, &[&3, &0]), "3 tickets, 0 could not be evaluated.");
//! ```

mod en;
mod zh_cn;

use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A language reports and explanations can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Lang {
    /// English (`en`), the default when a policy names no `locale`.
    #[default]
    En,
    /// Simplified Chinese (`zh-CN`).
    ZhCn,
}

impl Lang {
    /// Every language, for tests and help texts.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The tag: `en` or `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The text of `msg`, placeholders unfilled.
    pub fn text(self, msg: Msg) -> &'static str {
        match self {
            Lang::En => en::text(msg),
            Lang::ZhCn => zh_cn::text(msg),
        }
    }

    /// The text of `msg` with `{0}`, `{1}`, … replaced by `args`.
    pub fn fill(self, msg: Msg, args: &[&dyn fmt::Display]) -> String {
        let mut out = String::new();
        let mut rest = self.text(msg);
        while let Some((before, after)) = rest.split_once('{') {
            out.push_str(before);
            let arg = after.split_once('}').and_then(|(n, tail)| {
                let arg = args.get(n.parse::<usize>().ok()?)?;
                Some((arg, tail))
            });
            match arg {
                Some((arg, tail)) => {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "{arg}");
                    rest = tail;
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// A business time in seconds: `2h30m` or `2小时30分`; `0s` / `0分` for none.
    pub fn span(self, seconds: i64) -> String {
        let s = seconds.max(0);
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
        let units = match self {
            Lang::En => ["h", "m", "s"],
            Lang::ZhCn => ["小时", "分", "秒"],
        };
        let mut out = String::new();
        for (n, unit) in [(h, units[0]), (m, units[1]), (sec, units[2])] {
            if n > 0 {
                out.push_str(&n.to_string());
                out.push_str(unit);
            }
        }
        if out.is_empty() {
            out = match self {
                Lang::En => "0s".into(),
                Lang::ZhCn => "0分".into(),
            };
        }
        out
    }

    /// The `[policy] locale` of a compiled policy; English without one.
    pub(crate) fn of(inner: &crate::compile::Compiled) -> Lang {
        inner
            .locale
            .as_deref()
            .and_then(|l| l.parse().ok())
            .unwrap_or_default()
    }

    /// The display name of a report period length.
    pub(crate) fn period(self, by: crate::report::Granularity) -> &'static str {
        use crate::report::Granularity as G;
        self.text(match by {
            G::Week => Msg::Week,
            G::Month => Msg::Month,
            G::Quarter => Msg::Quarter,
            G::Year => Msg::Year,
        })
    }
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Lang, String> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            "zh-cn" | "zh" | "zh-hans" => Ok(Lang::ZhCn),
            _ => Err(format!("`{s}` is not a language; use en or zh-CN")),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.tag())
    }
}

/// What people read instead of ids: the `label`s a policy gives its categories, priorities and
/// departments. JSON outputs carry it once, beside the ids.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Labels {
    /// Category id → label.
    pub category: BTreeMap<String, String>,
    /// Priority id → label.
    pub priority: BTreeMap<String, String>,
    /// Department id → label.
    pub department: BTreeMap<String, String>,
}

/// Which kind of id a label belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    /// A category id.
    Category,
    /// A priority id.
    Priority,
    /// A department id.
    Department,
}

impl Labels {
    /// The labels of a compiled policy.
    pub(crate) fn of(inner: &crate::compile::Compiled) -> Labels {
        let map = |pairs: &[(String, String)]| pairs.iter().cloned().collect();
        let l = &inner.labels;
        Labels {
            category: map(&l.categories),
            priority: map(&l.priorities),
            department: map(&l.departments),
        }
    }

    /// The label of `id`, if the policy gives one.
    pub fn get(&self, kind: LabelKind, id: &str) -> Option<&str> {
        let map = match kind {
            LabelKind::Category => &self.category,
            LabelKind::Priority => &self.priority,
            LabelKind::Department => &self.department,
        };
        map.get(id).map(String::as_str)
    }

    /// `label (id)` when the policy labels `id`, else the id.
    pub fn with_id(&self, kind: LabelKind, id: &str) -> String {
        match self.get(kind, id) {
            Some(label) if label != id => format!("{label} ({id})"),
            _ => id.to_string(),
        }
    }

    /// The label alone, or the id.
    pub fn short<'a>(&'a self, kind: LabelKind, id: &'a str) -> &'a str {
        self.get(kind, id).unwrap_or(id)
    }

    /// Adds the labels of `other` for ids this one does not label (e.g. the old policy's
    /// beside the new one's in a diff).
    pub fn merge(&mut self, other: &Labels) {
        for (mine, theirs) in [
            (&mut self.category, &other.category),
            (&mut self.priority, &other.priority),
            (&mut self.department, &other.department),
        ] {
            for (id, label) in theirs {
                mine.entry(id.clone()).or_insert_with(|| label.clone());
            }
        }
    }

    /// Whether the policy labels nothing.
    pub fn is_empty(&self) -> bool {
        self.category.is_empty() && self.priority.is_empty() && self.department.is_empty()
    }
}

macro_rules! messages {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// The key of one message in the catalogues.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Msg {
            $($(#[$doc])* $key,)*
        }

        impl Msg {
            /// Every key.
            pub const ALL: &'static [Msg] = &[$(Msg::$key,)*];
        }
    };
}

messages! {
    // ---- report: header and totals
    /// `Service report: {0} ({1})`.
    ReportTitle,
    /// As of, by, time zone.
    ReportMeta,
    /// Tickets and errors.
    TicketsCount,
    /// Section heading.
    Totals,
    /// Column.
    Measure,
    /// Column.
    Value,
    /// Row.
    FirstResponseSla,
    /// Row.
    ResolutionSla,
    /// Row.
    TimeToFirstResponse,
    /// Row.
    TimeToResolution,
    /// `{0} met, {1} breached, {2} open: {3}`.
    ComplianceLine,
    /// `{0} met, {1} breached, {2} open`.
    ComplianceNote,
    /// `median {0}, p90 {1} ({2} measured)`.
    TimesLine,
    /// `p90 {0} ({1} measured)`.
    TimesNote,
    /// Row.
    EscalationsFired,
    /// `{0} on {1} tickets`.
    EscalationsLine,
    /// `on {0} tickets`.
    EscalationsNote,
    /// Row.
    FollowUpVisits,
    /// `{0} of {1} resolutions: {2}`.
    FollowUpLine,
    /// `{0} of {1} resolutions`.
    FollowUpNote,
    /// Row.
    Satisfaction,
    /// Tile label.
    SatisfactionScale,
    /// `{0} / 5 from {1} responses`.
    SatisfactionLine,
    /// `{0} responses`.
    ResponsesNote,
    /// Tile label.
    MedianFirstResponse,
    /// Tile label.
    MedianResolution,
    // ---- report: periods
    /// Section heading (text).
    PeriodsHeading,
    /// Section heading (HTML).
    Periods,
    /// `({0} {1} without tickets not shown)`.
    EmptyPeriods,
    /// Column.
    Period,
    /// Column.
    Tickets,
    /// Column (short).
    FirstResponseShort,
    /// Column.
    FirstResponse,
    /// Column.
    Resolution,
    /// Column.
    Median,
    /// Column.
    P90,
    /// Column (short).
    EscalationsShort,
    /// Column.
    Escalations,
    /// Column.
    FollowUp,
    /// Column (short).
    SatisfactionShort,
    /// Column.
    Change,
    /// Column.
    Average,
    /// Column.
    MetOfDecided,
    /// Period length.
    Week,
    /// Period length.
    Month,
    /// Period length.
    Quarter,
    /// Period length.
    Year,
    // ---- report: breakdowns
    /// Heading.
    ByCategory,
    /// Heading.
    ByPriority,
    /// Heading.
    ByChannel,
    /// Heading (HTML).
    Breakdowns,
    /// Column.
    Category,
    /// Column.
    Priority,
    /// Column.
    Channel,
    /// Column.
    Share,
    /// Heading and column.
    Departments,
    /// Column.
    Department,
    /// Column.
    Open,
    /// Column (short).
    FirstResponsePercent,
    /// Column (short).
    ResolutionPercent,
    /// Column.
    ResolutionMedian,
    /// Column.
    ResolutionP90,
    /// Heading (text).
    HotIssuesHeading,
    /// Heading (HTML).
    HotIssues,
    /// No hot issues.
    NoHotIssues,
    /// Column.
    KeywordsTickets,
    /// Follow-up when the policy owes no visits.
    FollowUpNotConfigured,
    /// Row and tile: the share of negative sentiment.
    NegativeSentiment,
    /// `{0} of {1} tickets: {2}`.
    NegativeSentimentLine,
    /// `Labels of model {0} (tickets per period)`.
    ModelLabelsHeading,
    /// `Labels of model {0}` over all periods.
    ModelLabelsTotalsHeading,
    /// Column.
    Label,
    /// Row: all periods.
    Total,
    /// Column: share of negative sentiment.
    NegativePercent,
    /// Term.
    DefModels,
    /// Definition.
    DefModelsText,
    /// Heading (text).
    TransfersHeading,
    /// Transfers, tickets transferred, all tickets, share, median and p90 held.
    TransfersLine,
    /// Column.
    FromTo,
    /// Column.
    TransfersColumn,
    /// Column.
    OverridesColumn,
    /// Heading (text).
    AgentsRulesHeading,
    /// Categories, priorities, routes overridden.
    OverriddenLine,
    /// Column.
    Rule,
    /// Column.
    Decided,
    /// Column.
    Overridden,
    /// Column.
    AgentsChose,
    // ---- report: HTML charts
    /// Heading.
    Trends,
    /// Caption.
    VolumeChart,
    /// Caption.
    ComplianceChart,
    /// Caption.
    SatisfactionChart,
    /// Caption.
    DepartmentChart,
    /// Chart text.
    NoScoresYet,
    /// Legend.
    AverageScore,
    /// Legend.
    ResolvedOrClosed,
    /// Legend.
    DepartmentBarLabel,
    /// Tile label.
    TicketsTile,
    /// `{0} of {1}` months within a quarter or year.
    MonthsOf,
    // ---- report: how to read it
    /// Heading.
    HowToRead,
    /// Term.
    DefCompliance,
    /// Definition.
    DefComplianceText,
    /// Term.
    DefTimes,
    /// Definition.
    DefTimesText,
    /// Definition.
    DefEscalationsText,
    /// Definition.
    DefFollowUpText,
    /// Definition.
    DefSatisfactionText,
    /// Term.
    DefTransfers,
    /// Definition.
    DefTransfersText,
    /// Definition.
    DefHotIssuesText,
    /// Definition.
    DefLabelsText,
    // ---- explain
    /// `ticket {0} under policy {1} {2}, as of {3}`.
    ExplainHeader,
    /// Stage name.
    StageCategory,
    /// Stage name.
    StagePriority,
    /// Stage name.
    StageRoute,
    /// Heading.
    Status,
    /// `no rule matched, default `{0}``.
    RuleDefault,
    /// `rule `{0}` (no condition)`.
    RuleUnconditional,
    /// `rule `{0}` matched {1}`.
    RuleMatched,
    /// Joins matched tests.
    And,
    /// A script hook set the stage.
    SetByScript,
    /// `{0}: {1} — target {2} on calendar {3}`.
    ClockHeader,
    /// Clock row.
    Started,
    /// Clock row.
    Windows,
    /// `… and {0} more window(s)`.
    MoreWindows,
    /// Clock row.
    Skipped,
    /// Clock row.
    MakeUpDay,
    /// `{1} {0} (make-up working day, counted)`: date, weekday.
    MakeUpDayLine,
    /// Reason.
    Holiday,
    /// Reason.
    ClosedDay,
    /// Clock row.
    Paused,
    /// `{0} to {1} ({2} of business time)`.
    PausedLine,
    /// `since {0} ({1} of business time so far)`.
    PausedSince,
    /// Clock row.
    Due,
    /// `when the pause ends`.
    WhenPauseEnds,
    /// Clock row.
    Stopped,
    /// Clock row.
    Elapsed,
    /// `, overdue by {0}`.
    OverdueBy,
    /// `, {0} remaining`.
    Remaining,
    /// `(cycle {0})`.
    Cycle,
    /// Heading.
    EscalationsHeading,
    /// `{0} at {1} (cycle {2})`.
    EscalationStep,
    /// `notify {0}`.
    Notify,
    /// Step state.
    Fired,
    /// Step state.
    Pending,
    /// Step state.
    NeverStopped,
    /// `follow-up {0}`.
    FollowUpHeader,
    /// Follow-up meaning.
    FollowUpNotDue,
    /// Follow-up meaning.
    FollowUpPending,
    /// Follow-up meaning.
    FollowUpMissed,
    /// `, due {0}`.
    DueAt,
    /// `, {0} (score {1})`.
    OutcomeScore,
    /// `next change at {0}`.
    NextChangeAt,
    /// No next change.
    NoNextChange,
    /// `{0} falls due (breached from then on)`.
    FallsDue,
    /// `escalation {0} at {1} (cycle {2}) fires: notify {3}`.
    EscalationFires,
    /// `note: {0}`.
    Note,
    /// Clock status.
    StatusRunning,
    /// Clock status.
    StatusPaused,
    /// Clock status.
    StatusMet,
    /// Clock status.
    StatusBreached,
    /// Weekday names, Monday first, `|`-separated.
    Weekdays,
    /// Row label.
    TransferRow,
    /// Row label.
    OverrideRow,
    /// Event, instant, from, to, held.
    TransferLine,
    /// Field, value, event, instant, what the rules chose, rule.
    OverrideLine,
    /// A stage an agent decided: event, instant, what the rules chose, rule.
    AgentDecided,
    /// Heading.
    ModelsHeading,
    /// Model, label, confidence.
    ModelLine,
    /// Row label.
    TermsFor,
    /// Row label.
    TermsAgainst,
    /// No term weighed.
    NoTerms,
    // ---- diff
    /// `old: {0}` / `new: {1}` / `as of {2}`, three lines.
    DiffHeader,
    /// `{0} tickets`.
    DiffTickets,
    /// `, {0} could not be evaluated (left out below)`.
    DiffErrors,
    /// Heading.
    Changed,
    /// No change.
    NoDecisionChanged,
    /// `breached (any SLA metric): {0} → {1} ({2})`.
    BreachedLine,
    /// Heading.
    Examples,
    /// `none`.
    None,
    /// `rule {0} → {1}`.
    RuleChange,
    /// Field.
    FirstResponseDue,
    /// Field.
    ResolutionDue,
    /// Field, old share, new share, tickets.
    AgreementLine,
    /// Field: any model's label.
    Labels,
    /// `label {0}`: one model's label.
    LabelOf,
    // ---- test
    /// `{0} passed, {1} failed`.
    TestSummary,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(text: &str) -> Vec<String> {
        let mut out: Vec<String> = text
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
            .filter(|n| n.parse::<usize>().is_ok())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_key_has_a_text_with_the_same_placeholders_in_every_language() {
        for msg in Msg::ALL {
            let en = Lang::En.text(*msg);
            assert!(!en.trim().is_empty(), "{msg:?} is empty in en");
            for lang in Lang::ALL {
                let text = lang.text(*msg);
                assert!(!text.trim().is_empty(), "{msg:?} is empty in {lang}");
                assert_eq!(
                    placeholders(text),
                    placeholders(en),
                    "{msg:?}: {lang} and en use different placeholders"
                );
            }
        }
    }

    #[test]
    fn chinese_texts_are_translated() {
        // A key left in English in the Chinese table is a missed translation; these few are
        // the same in both languages on purpose.
        let same = [Msg::P90, Msg::DepartmentBarLabel];
        for msg in Msg::ALL.iter().filter(|m| !same.contains(m)) {
            let en = Lang::En.text(*msg);
            let zh = Lang::ZhCn.text(*msg);
            assert_ne!(en, zh, "{msg:?} is not translated");
        }
    }

    #[test]
    fn fill_and_spans() {
        assert_eq!(
            Lang::ZhCn.fill(Msg::ReportTitle, &[&"默认", &"2025.10"]),
            "服务报告：默认（2025.10）"
        );
        assert_eq!(Lang::En.fill(Msg::Cycle, &[&2]), "(cycle 2)");
        assert_eq!(Lang::ZhCn.span(0), "0分");
        assert_eq!(Lang::ZhCn.span(3600 * 27 + 5), "27小时5秒");
        assert_eq!(Lang::En.span(-5), "0s");
        assert_eq!("zh_CN".parse::<Lang>(), Ok(Lang::ZhCn));
        assert!("fr".parse::<Lang>().is_err());
    }
}
