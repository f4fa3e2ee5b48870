//! What-if: what a policy change would do to a set of tickets.
//!
//! Both policies decide every ticket as of the same `now`; the report counts the tickets whose
//! category, priority, route, first-response due or resolution due changed — and, when either
//! policy has text models, whose labels changed, in all and per model — how many tickets
//! have a breached SLA metric under each policy, and shows a few changed tickets of each kind.
//! On tickets that agents acted on it also measures how often each policy's rules, on their
//! own, chose what the agents finally chose ([`Agreement`]).
//! Only ticket ids and decision values appear in it: never personal data.
//!
//! ```
//! # let text = |priority: &str| format!(r#"
//! #     [policy]
//! #     name = "tiny"
//! #     [[categories]]
//! #     id = "general"
//! #     default = true
//! #     [priorities]
//! #     order = ["urgent", "normal"]
//! #     default = "{priority}"
//! #     [[priority_rules]]
//! #     id = "vip"
//! #     priority = "urgent"
//! #     when = {{ "customer.tier" = "vip" }}
//! #     [[routes]]
//! #     id = "all"
//! #     default = true
//! #     department = "desk"
//! #     [departments.desk]
//! # "#);
//! use aftercare::{diff, Policy, Ticket};
//! let old = Policy::from_toml(&text("normal")).unwrap();
//! let new = Policy::from_toml(&text("urgent")).unwrap();
//! let tickets = [Ticket::from_json(r#"{"id": "T1", "created_at": "2025-10-10T09:00:00+08:00"}"#).unwrap()];
//! let now = "2025-10-10T12:00:00+08:00".parse().unwrap();
//!
//! let report = diff::diff(&old, &new, &tickets, now);
//! assert_eq!(report.changed.priority, 1);
//! assert_eq!(report.examples[0].to_string(), "T1  priority  normal → urgent  (rule priorities.default → priorities.default)");
//! ```

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::evaluate::EvalOptions;
use crate::i18n::{LabelKind, Labels, Lang, Msg};
use crate::output::decision::{ClockStatus, Decision, ZonedInstant};
use crate::policy::Policy;
use crate::ticket::{Ticket, TicketError};

/// At most this many examples are kept for each kind of change.
pub const EXAMPLES_PER_FIELD: usize = 3;

/// What a policy change does to a set of tickets (contract §4, `aftercare diff`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DiffReport {
    /// Tickets read, including those that could not be evaluated.
    pub tickets: usize,
    /// Tickets that could not be read, or that either policy could not evaluate. They are left
    /// out of every other count.
    pub errors: usize,
    /// How many tickets changed, per field.
    pub changed: Changed,
    /// How many tickets have any SLA metric `breached` as of `now`, under each policy.
    pub breached: Breached,
    /// A few changed tickets per field ([`EXAMPLES_PER_FIELD`] at most each), in input order.
    pub examples: Vec<Example>,
    /// How often the rules of each policy chose what agents finally chose.
    pub agreement: Agreements,
    /// Per text model of either policy: tickets whose label from that model changed (a model
    /// only one policy has changes every label). Present exactly when `changed.labels` is;
    /// kept out of `changed`, whose values are all counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels_by_model: Option<BTreeMap<String, usize>>,
}

/// Agreement with agents, per field agents can set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Agreements {
    /// The category.
    pub category: Agreement,
    /// The priority.
    pub priority: Agreement,
    /// The department (the route's department; teams are not compared).
    pub route: Agreement,
}

/// On the tickets where an agent's choice decides a field as of `now`: how many of them each
/// policy's rules (and hooks), agents aside, gave the same value. JSON:
/// `{"tickets": n, "old": a, "new": b, "old_share": a/n, "new_share": b/n}` (shares 0.0–1.0,
/// null without tickets).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Agreement {
    /// Tickets where an agent set the field (and both policies could evaluate).
    pub tickets: usize,
    /// Of those, tickets where the old policy's rules chose the agents' value.
    pub old: usize,
    /// … and the new policy's.
    pub new: usize,
}

impl Agreement {
    /// `old / tickets`, 0.0–1.0; `None` without tickets.
    pub fn old_share(&self) -> Option<f64> {
        (self.tickets > 0).then(|| self.old as f64 / self.tickets as f64)
    }

    /// `new / tickets`, 0.0–1.0; `None` without tickets.
    pub fn new_share(&self) -> Option<f64> {
        (self.tickets > 0).then(|| self.new as f64 / self.tickets as f64)
    }

    fn add(&mut self, other: Agreement) {
        self.tickets += other.tickets;
        self.old += other.old;
        self.new += other.new;
    }
}

impl Serialize for Agreement {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Agreement", 5)?;
        st.serialize_field("tickets", &self.tickets)?;
        st.serialize_field("old", &self.old)?;
        st.serialize_field("new", &self.new)?;
        st.serialize_field("old_share", &self.old_share())?;
        st.serialize_field("new_share", &self.new_share())?;
        st.end()
    }
}

/// Counts of changed tickets, per field. A ticket counts once in each field that changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Changed {
    /// The category.
    pub category: usize,
    /// The priority.
    pub priority: usize,
    /// Where the ticket goes: department, team or assignee.
    pub route: usize,
    /// When the first response is due (a clock appearing, disappearing or pausing counts).
    pub first_response_due: usize,
    /// When the resolution (of the current cycle) is due.
    pub resolution_due: usize,
    /// Tickets with a text model's label changed (a model added or removed counts): present
    /// when either policy has `[models]`, left out of the JSON otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<usize>,
}

/// Tickets with a breached SLA metric, under each policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Breached {
    /// Under the old policy.
    pub old: usize,
    /// Under the new policy.
    pub new: usize,
}

/// A field a policy change can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Field {
    /// The category.
    Category,
    /// The priority.
    Priority,
    /// Department, team and assignee.
    Route,
    /// `sla.first_response.due`.
    FirstResponseDue,
    /// `sla.resolution.due`.
    ResolutionDue,
    /// A text model's label (`labels.NAME.label`); the example names the model. Counted in
    /// [`Changed::labels`], not in [`Field::ALL`] (the fields every policy decides).
    Label,
}

impl Field {
    /// Every field, in report order.
    pub const ALL: [Field; 5] = [
        Field::Category,
        Field::Priority,
        Field::Route,
        Field::FirstResponseDue,
        Field::ResolutionDue,
    ];

    /// The name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Field::Category => "category",
            Field::Priority => "priority",
            Field::Route => "route",
            Field::FirstResponseDue => "first_response_due",
            Field::ResolutionDue => "resolution_due",
            Field::Label => "label",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One changed field of one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Example {
    /// The ticket id.
    pub ticket: String,
    /// What changed.
    pub field: Field,
    /// The old value; null for a due instant that is absent (no clock, or paused).
    pub old: Option<String>,
    /// The new value.
    pub new: Option<String>,
    /// For category, priority and route: the rule that decided under the old policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_rule: Option<String>,
    /// … and under the new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_rule: Option<String>,
    /// For a label: the model's name (`old` and `new` are its labels, null where a policy
    /// does not have the model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl fmt::Display for Example {
    /// `T1  priority  normal → urgent  (rule a → b)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_string());
        write!(f, "{}  {}", self.ticket, self.field)?;
        if let Some(model) = &self.model {
            write!(f, " {model}")?;
        }
        write!(f, "  {} → {}", value(&self.old), value(&self.new))?;
        if let (Some(a), Some(b)) = (&self.old_rule, &self.new_rule) {
            write!(f, "  (rule {a} → {b})")?;
        }
        Ok(())
    }
}

impl DiffReport {
    /// Adds the counts and examples of a report on later tickets (examples stay capped per
    /// field, earliest first), so that a long input can be compared chunk by chunk.
    pub fn merge(&mut self, later: DiffReport) {
        self.tickets += later.tickets;
        self.errors += later.errors;
        let c = &mut self.changed;
        c.category += later.changed.category;
        c.priority += later.changed.priority;
        c.route += later.changed.route;
        c.first_response_due += later.changed.first_response_due;
        c.resolution_due += later.changed.resolution_due;
        if let Some(n) = later.changed.labels {
            *c.labels.get_or_insert(0) += n;
        }
        for (model, n) in later.labels_by_model.into_iter().flatten() {
            *self
                .labels_by_model
                .get_or_insert_with(BTreeMap::new)
                .entry(model)
                .or_default() += n;
        }
        self.breached.old += later.breached.old;
        self.breached.new += later.breached.new;
        self.agreement.category.add(later.agreement.category);
        self.agreement.priority.add(later.agreement.priority);
        self.agreement.route.add(later.agreement.route);
        for e in later.examples {
            self.add_example(e);
        }
    }

    /// The number of changed tickets for one field.
    pub fn count(&self, field: Field) -> usize {
        match field {
            Field::Category => self.changed.category,
            Field::Priority => self.changed.priority,
            Field::Route => self.changed.route,
            Field::FirstResponseDue => self.changed.first_response_due,
            Field::ResolutionDue => self.changed.resolution_due,
            Field::Label => self.changed.labels.unwrap_or(0),
        }
    }

    /// Whether any ticket changed in any field, labels included.
    pub fn has_changes(&self) -> bool {
        Field::ALL.iter().any(|f| self.count(*f) > 0) || self.count(Field::Label) > 0
    }

    fn count_mut(&mut self, field: Field) -> &mut usize {
        match field {
            Field::Category => &mut self.changed.category,
            Field::Priority => &mut self.changed.priority,
            Field::Route => &mut self.changed.route,
            Field::FirstResponseDue => &mut self.changed.first_response_due,
            Field::ResolutionDue => &mut self.changed.resolution_due,
            Field::Label => self.changed.labels.get_or_insert(0),
        }
    }

    /// Keeps [`EXAMPLES_PER_FIELD`] examples per field (per model for labels).
    fn add_example(&mut self, e: Example) {
        let kept = self
            .examples
            .iter()
            .filter(|x| x.field == e.field && x.model == e.model)
            .count();
        if kept < EXAMPLES_PER_FIELD {
            // Keep the examples grouped by field, in input order within a field.
            let at = self
                .examples
                .iter()
                .position(|x| x.field > e.field)
                .unwrap_or(self.examples.len());
            self.examples.insert(at, e);
        }
    }

    fn add(&mut self, outcome: Outcome) {
        self.tickets += 1;
        match outcome {
            Outcome::Error => self.errors += 1,
            Outcome::Compared(c) => {
                if let Some(models) = c.labels {
                    *self.changed.labels.get_or_insert(0) +=
                        usize::from(models.iter().any(|(_, changed)| *changed));
                    let by_model = self.labels_by_model.get_or_insert_with(BTreeMap::new);
                    for (model, changed) in models {
                        *by_model.entry(model).or_default() += usize::from(changed);
                    }
                }
                self.breached.old += usize::from(c.breached_old);
                self.breached.new += usize::from(c.breached_new);
                self.agreement.category.add(c.agreement.category);
                self.agreement.priority.add(c.agreement.priority);
                self.agreement.route.add(c.agreement.route);
                for f in Field::ALL {
                    if c.changed & f.bit() != 0 {
                        *self.count_mut(f) += 1;
                    }
                }
                for e in c.examples {
                    self.add_example(e);
                }
            }
        }
    }
}

impl fmt::Display for DiffReport {
    /// The report for people: counts, breaches and examples, in English with ids.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text(Lang::En, &Labels::default()))
    }
}

impl DiffReport {
    /// The report for people in `lang`, naming categories, priorities and departments by
    /// `labels` (e.g. the new policy's, see [`Labels::merge`]) with their ids.
    pub fn to_text(&self, lang: Lang, labels: &Labels) -> String {
        let l = lang;
        let mut f = String::new();
        // Writing to a String cannot fail.
        let _ = write!(f, "{}", l.fill(Msg::DiffTickets, &[&self.tickets]));
        if self.errors > 0 {
            let _ = write!(f, "{}", l.fill(Msg::DiffErrors, &[&self.errors]));
        }
        f.push_str("\n\n");
        let field_name = |field: Field| match field {
            Field::Category => l.text(Msg::Category),
            Field::Priority => l.text(Msg::Priority),
            Field::Route => l.text(Msg::StageRoute),
            Field::FirstResponseDue => l.text(Msg::FirstResponseDue),
            Field::ResolutionDue => l.text(Msg::ResolutionDue),
            Field::Label => l.text(Msg::Labels),
        };
        if self.has_changes() {
            let _ = writeln!(f, "{}", l.text(Msg::Changed));
            for field in Field::ALL {
                let name = field_name(field);
                let pad = 20usize.saturating_sub(cols(name));
                let _ = writeln!(f, "  {name}{}{:>8}", " ".repeat(pad), self.count(field));
            }
            // Labels only when one changed: the JSON always has the counts.
            if let (Some(n @ 1..), Some(models)) = (self.changed.labels, &self.labels_by_model) {
                let name = field_name(Field::Label);
                let pad = 20usize.saturating_sub(cols(name));
                let _ = writeln!(f, "  {name}{}{n:>8}", " ".repeat(pad));
                for (model, n) in models {
                    let name = l.fill(Msg::LabelOf, &[model]);
                    let pad = 18usize.saturating_sub(cols(&name));
                    let _ = writeln!(f, "    {name}{}{n:>8}", " ".repeat(pad));
                }
            }
        } else {
            let _ = writeln!(f, "{}", l.text(Msg::NoDecisionChanged));
        }
        f.push('\n');
        let (old, new) = (self.breached.old, self.breached.new);
        let delta = new as i64 - old as i64;
        let delta = format!("{}{delta}", if delta >= 0 { "+" } else { "" });
        let _ = writeln!(f, "{}", l.fill(Msg::BreachedLine, &[&old, &new, &delta]));
        let a = &self.agreement;
        for (field, x) in [
            (Field::Route, &a.route),
            (Field::Category, &a.category),
            (Field::Priority, &a.priority),
        ] {
            if let (Some(old), Some(new)) = (x.old_share(), x.new_share()) {
                let share = |x: f64| format!("{:.0} %", x * 100.0);
                let _ = writeln!(
                    f,
                    "{}",
                    l.fill(
                        Msg::AgreementLine,
                        &[&field_name(field), &share(old), &share(new), &x.tickets]
                    )
                );
            }
        }
        if !self.examples.is_empty() {
            f.push('\n');
            let _ = writeln!(f, "{}", l.text(Msg::Examples));
            let width = self.examples.iter().map(|e| e.ticket.chars().count()).max();
            let width = width.unwrap_or(0);
            for e in &self.examples {
                let value = |v: &Option<String>| match v {
                    None => l.text(Msg::None).to_string(),
                    Some(v) => match e.field {
                        Field::Category => labels.with_id(LabelKind::Category, v),
                        Field::Priority => labels.with_id(LabelKind::Priority, v),
                        Field::Route => match v.split_once(" / ") {
                            Some((dept, rest)) => {
                                format!("{} / {rest}", labels.with_id(LabelKind::Department, dept))
                            }
                            None => labels.with_id(LabelKind::Department, v),
                        },
                        _ => v.clone(),
                    },
                };
                let name = match &e.model {
                    Some(model) => l.fill(Msg::LabelOf, &[model]),
                    None => field_name(e.field).to_string(),
                };
                let pad = 18usize.saturating_sub(cols(&name));
                let _ = write!(
                    f,
                    "  {:<width$}  {name}{}  {} → {}",
                    e.ticket,
                    " ".repeat(pad),
                    value(&e.old),
                    value(&e.new)
                );
                if let (Some(a), Some(b)) = (&e.old_rule, &e.new_rule) {
                    let _ = write!(f, "  ({})", l.fill(Msg::RuleChange, &[a, b]));
                }
                f.push('\n');
            }
        }
        f
    }
}

/// Terminal columns of `s`: Chinese characters take two.
fn cols(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if matches!(c as u32, 0x2E80..=0xA4CF | 0xFF00..=0xFF60) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// Compares the decisions of `old` and `new` on `tickets` as of `now`, on all cores.
pub fn diff(old: &Policy, new: &Policy, tickets: &[Ticket], now: DateTime<Utc>) -> DiffReport {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let outcomes = crate::parallel::map(tickets, threads, |t| compare(old, new, t, now));
    collect(outcomes)
}

/// [`diff`] on tickets given as JSON texts (one ticket each); a text that is not a valid
/// ticket counts as an error.
pub fn diff_json_lines<S: AsRef<str> + Sync>(
    old: &Policy,
    new: &Policy,
    tickets: &[S],
    now: DateTime<Utc>,
) -> DiffReport {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let outcomes = crate::parallel::map(
        tickets,
        threads,
        |json| match Ticket::from_json_with_limits(json.as_ref(), old.limits()) {
            Ok(t) => compare(old, new, &t, now),
            Err(_) => Outcome::Error,
        },
    );
    collect(outcomes)
}

fn collect(outcomes: Vec<Outcome>) -> DiffReport {
    let mut report = DiffReport::default();
    for o in outcomes {
        report.add(o);
    }
    report
}

/// What one ticket contributes: a bit per changed field, whether it is breached under each
/// policy, and its examples (built only for fields that changed).
enum Outcome {
    Error,
    Compared(Comparison),
}

struct Comparison {
    changed: u8,
    /// With models in either policy: each model of either policy, and whether its label
    /// changed.
    labels: Option<Vec<(String, bool)>>,
    breached_old: bool,
    breached_new: bool,
    examples: Vec<Example>,
    agreement: Agreements,
}

fn compare(old: &Policy, new: &Policy, ticket: &Ticket, now: DateTime<Utc>) -> Outcome {
    // Traces are not compared: leaving them out makes the run several times faster.
    let options = EvalOptions { trace: false };
    let decide =
        |p: &Policy| -> Result<Decision, TicketError> { p.evaluate_with(ticket, now, options) };
    let (Ok(a), Ok(b)) = (decide(old), decide(new)) else {
        return Outcome::Error;
    };
    // Each model of either policy, the old policy's order first; a label only one side has
    // counts as changed.
    let mut label_examples = Vec::new();
    let labels = (!a.labels.is_empty() || !b.labels.is_empty()).then(|| {
        let mut names: Vec<&str> = a.labels.0.iter().map(|(n, _)| &**n).collect();
        for (n, _) in &b.labels.0 {
            if !names.contains(&&**n) {
                names.push(n);
            }
        }
        names
            .into_iter()
            .map(|name| {
                let old = a.labels.get(name).map(|l| l.label.to_string());
                let new = b.labels.get(name).map(|l| l.label.to_string());
                let changed = old != new;
                if changed {
                    label_examples.push(Example {
                        ticket: a.ticket.to_string(),
                        field: Field::Label,
                        old,
                        new,
                        old_rule: None,
                        new_rule: None,
                        model: Some(name.to_string()),
                    });
                }
                (name.to_string(), changed)
            })
            .collect()
    });
    let mut c = Comparison {
        changed: 0,
        labels,
        breached_old: breached(&a),
        breached_new: breached(&b),
        examples: Vec::new(),
        agreement: agreement(&a, &b),
    };
    let mut note =
        |field: Field, old: Option<String>, new: Option<String>, rules: Option<(&str, &str)>| {
            c.changed |= field.bit();
            c.examples.push(Example {
                ticket: a.ticket.to_string(),
                field,
                old,
                new,
                old_rule: rules.map(|r| r.0.to_string()),
                new_rule: rules.map(|r| r.1.to_string()),
                model: None,
            });
        };
    if a.category != b.category {
        note(
            Field::Category,
            Some(a.category.to_string()),
            Some(b.category.to_string()),
            Some((&a.rules.category, &b.rules.category)),
        );
    }
    if a.priority != b.priority {
        note(
            Field::Priority,
            Some(a.priority.to_string()),
            Some(b.priority.to_string()),
            Some((&a.rules.priority, &b.rules.priority)),
        );
    }
    let (ra, rb) = (&a.route, &b.route);
    if (&ra.department, &ra.team, &ra.assignee) != (&rb.department, &rb.team, &rb.assignee) {
        note(
            Field::Route,
            Some(route(&a)),
            Some(route(&b)),
            Some((&ra.rule, &rb.rule)),
        );
    }
    let first = |d: &Decision| d.sla.first_response.as_ref().and_then(|c| c.due);
    if !same_instant(first(&a), first(&b)) {
        note(
            Field::FirstResponseDue,
            first(&a).map(|i| i.to_string()),
            first(&b).map(|i| i.to_string()),
            None,
        );
    }
    let resolution = |d: &Decision| d.sla.resolution.as_ref().and_then(|c| c.due);
    if !same_instant(resolution(&a), resolution(&b)) {
        note(
            Field::ResolutionDue,
            resolution(&a).map(|i| i.to_string()),
            resolution(&b).map(|i| i.to_string()),
            None,
        );
    }
    c.examples.extend(label_examples);
    Outcome::Compared(c)
}

/// Whether each policy's rules chose what the agents chose, per field an agent set.
fn agreement(a: &Decision, b: &Decision) -> Agreements {
    let (Some(x), Some(y)) = (&a.agents, &b.agents) else {
        return Agreements::default();
    };
    let one = |o: Option<&crate::output::decision::Override>,
               n: Option<&crate::output::decision::Override>| match (o, n) {
        (Some(o), Some(n)) => Agreement {
            tickets: 1,
            old: usize::from(o.rules_chose == o.value),
            new: usize::from(n.rules_chose == n.value),
        },
        _ => Agreement::default(),
    };
    let (o, n) = (&x.overrides, &y.overrides);
    Agreements {
        category: one(o.category.as_ref(), n.category.as_ref()),
        priority: one(o.priority.as_ref(), n.priority.as_ref()),
        route: one(o.route.as_ref(), n.route.as_ref()),
    }
}

/// `department / team (assignee)`, as a person reads a route.
fn route(d: &Decision) -> String {
    let mut out = d.route.department.to_string();
    if let Some(team) = &d.route.team {
        out.push_str(" / ");
        out.push_str(team);
    }
    if let Some(who) = &d.route.assignee {
        out.push_str(&format!(" ({who})"));
    }
    out
}

/// Instants compare as instants: the same due shown in another time zone is no change.
fn same_instant(a: Option<ZonedInstant>, b: Option<ZonedInstant>) -> bool {
    a.map(|i| i.utc()) == b.map(|i| i.utc())
}

/// Whether any SLA metric of the decision is `breached` (the current clocks, as in
/// `sla.<metric>.status`; earlier resolution cycles are history).
fn breached(d: &Decision) -> bool {
    d.sla
        .clocks()
        .any(|(_, c)| c.status == ClockStatus::Breached)
}
