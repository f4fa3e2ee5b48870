//! The trace: what each stage decided and why, as typed events.
//!
//! Evaluation and the script hooks record [`TraceEvent`]s; [`explain`](crate::explain) reads
//! them by kind, and their one `Display` (here, and nowhere else) prints the trace lines of a
//! decision's JSON.
//! New kinds of event are added as new variants: the enum is `#[non_exhaustive]`.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::output::decision::{BusinessSpan, ZonedInstant};

/// One line of a decision's trace.
///
/// Serialized (and printed) as the sentence its `Display` writes, e.g.
/// `category complaint: rule `complaints` matched text contains 投诉`.
///
/// ```
/// use aftercare::{RuleOutcome, TraceEvent, TraceStage};
/// let e = TraceEvent::Rule {
///     stage: TraceStage::Priority,
///     value: "normal".into(),
///     outcome: RuleOutcome::Default { rule: "priorities.default".into() },
/// };
/// assert_eq!(e.to_string(), "priority normal: no rule matched, default `priorities.default`");
/// assert_eq!(e, "priority normal: no rule matched, default `priorities.default`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceEvent {
    /// Stages 1–3: what a stage's rules decided.
    Rule {
        /// Category, priority or route.
        stage: TraceStage,
        /// The outcome as shown: `complaint`, `urgent`, `after_sales_tech / installers`.
        value: String,
        /// Which rule gave it, and why.
        outcome: RuleOutcome,
    },
    /// Stage 4: how an SLA clock reached its due instant.
    Clock(ClockTrace),
    /// A text model's reading of the ticket's subject and description.
    Model {
        /// The model's name in `[models]`.
        model: String,
        /// The label it gave.
        label: String,
        /// Its confidence, as printed (`0.91`).
        confidence: String,
        /// The terms that weighed most for the label, strongest first, with their weights.
        for_label: Vec<String>,
        /// The terms that weighed most against it.
        against_label: Vec<String>,
    },
    /// Stage 5: an escalation step that has fired.
    Escalation {
        /// The step as the policy writes it: `50%`, `100% + 2h`.
        step: String,
        /// The clock it watches: `first_response`, `resolution`, …
        metric: &'static str,
        /// The handling cycle (1 unless the ticket was reopened).
        cycle: u32,
        /// When it fired.
        at: Option<ZonedInstant>,
    },
    /// Stages 1–3: a person's choice (an agent's event) that decides the stage instead of
    /// its rules, e.g. `route tech / field_team: assigned by an agent, event 2 (`assigned` at
    /// 2025-11-03T16:00:00+08:00); the rules chose care (rule `complaints`)`.
    Agent {
        /// Category, priority or route.
        stage: TraceStage,
        /// The agent's choice as shown: `fault`, `urgent`, `tech / field_team`.
        value: String,
        /// The event: `event 2 (`assigned` at 2025-11-03T16:00:00+08:00)`.
        event: String,
        /// What the rules (and hooks) chose, as shown.
        rules_chose: String,
        /// The rule that chose it (`script` for a hook).
        rule: String,
    },
    /// A script hook's effect on a stage.
    Script {
        /// `classify`, `prioritise`, `route` or `targets`.
        hook: &'static str,
        /// What it did: `category fault → complaint`, `() keeps priority high`, …
        change: String,
    },
    /// A script hook failed and the policy's result was kept (`on_error = "fallback"`).
    ScriptFallback {
        /// The failure, as the error would have said it.
        message: String,
        /// What was kept: `category fault`, `the policy's targets`, …
        kept: String,
    },
}

/// The stages whose rules the trace names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TraceStage {
    /// Stage 1.
    Category,
    /// Stage 2.
    Priority,
    /// Stage 3.
    Route,
}

impl TraceStage {
    /// `category`, `priority` or `route`.
    pub fn name(self) -> &'static str {
        match self {
            TraceStage::Category => "category",
            TraceStage::Priority => "priority",
            TraceStage::Route => "route",
        }
    }
}

/// Which rule decided a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleOutcome {
    /// No rule matched: the stage's default.
    Default {
        /// The default's rule id.
        rule: String,
    },
    /// A rule with no condition.
    Unconditional {
        /// The rule's id.
        rule: String,
    },
    /// A rule whose condition held.
    Matched {
        /// The rule's id.
        rule: String,
        /// The tests that held, e.g. `text contains 投诉`.
        because: Vec<String>,
    },
}

impl RuleOutcome {
    /// The id of the rule that decided.
    pub fn rule(&self) -> &str {
        match self {
            RuleOutcome::Default { rule }
            | RuleOutcome::Unconditional { rule }
            | RuleOutcome::Matched { rule, .. } => rule,
        }
    }
}

/// How an SLA clock was counted: target, calendar, start, closed days skipped, pauses, due.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClockTrace {
    /// `first_response`, `resolution`, `next_response` or `follow_up`.
    pub metric: &'static str,
    /// The handling cycle, when the clock ran more than once.
    pub cycle: Option<u32>,
    /// The target as written: `4h`, `3bd`.
    pub target: String,
    /// Why this target: `priority high`, `after resolution`.
    pub why: String,
    /// The calendar counted on.
    pub calendar: String,
    /// When the clock started.
    pub started: ZonedInstant,
    /// The opening it counted from, when it started outside business hours.
    pub counted_from: Option<ZonedInstant>,
    /// Closed days skipped: `2025-10-01..2025-10-08 (holiday), 2025-10-11 (closed)`.
    pub skipped: Option<String>,
    /// Pauses, in order.
    pub pauses: Vec<PauseTrace>,
    /// Where a transfer moved the count to another calendar: from when, and the calendar.
    pub switches: Vec<(ZonedInstant, String)>,
    /// Business time used before the target in force began (an agent changed the priority
    /// and the policy says `on_priority_change = "from_change"`).
    pub spent_before: Option<BusinessSpan>,
    /// A deadline of an earlier priority passed while that priority was in force.
    pub breached_before: bool,
    /// The due instant; `None` while paused.
    pub due: Option<ZonedInstant>,
    /// When the clock stopped, if it has.
    pub stopped: Option<ZonedInstant>,
}

/// One pause of a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PauseTrace {
    /// When it began.
    pub start: ZonedInstant,
    /// When it ended and the business time inside it; `None` while it lasts.
    pub end: Option<(ZonedInstant, BusinessSpan)>,
}

impl ClockTrace {
    /// `first_response` or `resolution (cycle 2)`: how the trace names the clock.
    pub fn label(&self) -> String {
        match self.cycle {
            Some(c) => format!("{} (cycle {c})", self.metric),
            None => self.metric.to_string(),
        }
    }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceEvent::Rule {
                stage,
                value,
                outcome,
            } => write!(f, "{} {value}: {outcome}", stage.name()),
            TraceEvent::Clock(c) => c.fmt(f),
            TraceEvent::Model {
                model,
                label,
                confidence,
                for_label,
                against_label,
            } => {
                write!(f, "model {model}: {label} (confidence {confidence})")?;
                if !for_label.is_empty() {
                    write!(f, "; for: {}", for_label.join(", "))?;
                }
                if !against_label.is_empty() {
                    write!(f, "; against: {}", against_label.join(", "))?;
                }
                Ok(())
            }
            TraceEvent::Escalation {
                step,
                metric,
                cycle,
                at,
            } => {
                write!(f, "escalation {step} of {metric} (cycle {cycle}) fired at ")?;
                match at {
                    Some(at) => write!(f, "{at}"),
                    None => Ok(()),
                }
            }
            TraceEvent::Agent {
                stage,
                value,
                event,
                rules_chose,
                rule,
            } => write!(
                f,
                "{} {value}: {} by an agent, {event}; the rules chose {rules_chose} (rule `{rule}`)",
                stage.name(),
                match stage {
                    TraceStage::Route => "assigned",
                    _ => "set",
                }
            ),
            TraceEvent::Script { hook, change } => write!(f, "script {hook}: {change}"),
            TraceEvent::ScriptFallback { message, kept } => {
                write!(f, "warning: {message}; kept {kept}")
            }
        }
    }
}

impl fmt::Display for RuleOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleOutcome::Default { rule } => write!(f, "no rule matched, default `{rule}`"),
            RuleOutcome::Unconditional { rule } => write!(f, "rule `{rule}` (no condition)"),
            RuleOutcome::Matched { rule, because } => {
                write!(f, "rule `{rule}` matched ")?;
                for (i, b) in because.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    f.write_str(b)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for ClockTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: target {} ({}) on calendar {}",
            self.label(),
            self.target,
            self.why,
            self.calendar
        )?;
        match &self.counted_from {
            Some(open) => write!(
                f,
                "; started {} outside business hours, counting from the opening at {open}",
                self.started
            )?,
            None => write!(f, "; started {}", self.started)?,
        }
        if let Some(skipped) = &self.skipped {
            write!(f, "; skipped {skipped}")?;
        }
        for p in &self.pauses {
            match &p.end {
                Some((end, inside)) => write!(
                    f,
                    "; paused {} to {end} ({inside} of business time)",
                    p.start
                )?,
                None => write!(f, "; paused since {}", p.start)?,
            }
        }
        for (at, calendar) in &self.switches {
            write!(f, "; on calendar {calendar} from {at} (transferred)")?;
        }
        if let Some(spent) = &self.spent_before {
            write!(
                f,
                "; this target counts from the priority change, after {spent} already used"
            )?;
        }
        if self.breached_before {
            f.write_str("; an earlier priority's deadline passed while it was in force")?;
        }
        match &self.due {
            Some(due) => write!(f, "; due {due}")?,
            None => f.write_str("; due when the pause ends")?,
        }
        if let Some(stop) = &self.stopped {
            write!(f, "; stopped {stop}")?;
        }
        Ok(())
    }
}

/// Serialized as its sentence, so a decision's JSON keeps its trace lines.
impl Serialize for TraceEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Compares the printed sentence: `decision.trace[0] == "category …"`.
impl PartialEq<str> for TraceEvent {
    fn eq(&self, other: &str) -> bool {
        // Prints piece by piece against `other`, without building the sentence.
        struct Rest<'a>(&'a str);
        impl fmt::Write for Rest<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0 = self.0.strip_prefix(s).ok_or(fmt::Error)?;
                Ok(())
            }
        }
        let mut rest = Rest(other);
        fmt::write(&mut rest, format_args!("{self}")).is_ok() && rest.0.is_empty()
    }
}

impl PartialEq<&str> for TraceEvent {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl PartialEq<String> for TraceEvent {
    fn eq(&self, other: &String) -> bool {
        self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_with_the_whole_sentence_only() {
        let e = TraceEvent::Script {
            hook: "classify",
            change: "category fault → complaint".into(),
        };
        assert_eq!(e, "script classify: category fault → complaint");
        assert_ne!(e, "script classify: category fault");
        assert_ne!(e, "script classify: category fault → complaint!");
        assert_ne!(e, "");
    }
}
