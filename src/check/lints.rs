//! Lints: things a valid policy says that are probably mistakes. They are warnings (the policy
//! still loads); `aftercare check --deny-warnings` makes them fail the check.
//!
//! Every lint is conservative: it fires only when the problem is certain from the text of the
//! policy, so a warning is always worth reading. The lints:
//!
//! - **unreachable rule**: in one first-match stage (categories, priority rules, routes), a rule
//!   that an earlier rule always takes first: the earlier one matches every ticket (no
//!   condition left, e.g. `when = {}`, or one that always holds), has the same condition, or a
//!   condition every ticket of the later one also meets (its tests are a part of the later
//!   one's, e.g. `category = "fault"` before `category = "fault", channel = "phone"`).
//! - **duplicate id**: two rules of one stage with the same `id` (traces and `rules.*` name
//!   rules by id, so the two could not be told apart).
//! - **category without a route**: when routes choose by category (at least one route's
//!   condition only admits some categories), a category that no route's condition admits: its
//!   tickets can only ever reach the default route. A route whose condition does not restrict
//!   the category (it tests other fields only) admits every category. The default route does
//!   not count: it receives what nobody else takes, which is exactly what this lint is about.
//!   The default category is not judged: sending "everything else" to the default route is
//!   the natural pairing.
//! - **priority no rule gives**: a priority in `order` that is not the default and that no
//!   priority rule sets.
//! - **department never routed to**: a department no route names.
//! - **escalation steps out of order**: a step listed after a step of the same metric and the
//!   same condition that fires later (`100%` before `80%`). Steps are numbered in list order in
//!   escalation keys, so the order is worth getting right before tickets carry those keys.
//!
//! - **undeclared field** (with `[policy] fields`): a rule reading a custom field
//!   (`customer.*`, `product.*`, `attributes.*` beyond `customer.id`, `customer.tier`,
//!   `customer.region`, `product.model`) that the list does not declare: a typo such as
//!   `customer.teir` reads a field no ticket has.
//! - **undeclared status** (with `[policy] statuses`): a `pause_statuses` entry that is neither
//!   built in nor declared.
//!
//! - **zero target**: an SLA target or follow-up window of no time (`"0s"`), or an escalation
//!   step at `0%` with no offset: due (or firing) the moment its clock starts.
//!
//! Each lint has a code (`unreachable-rule`, …, see `LINT_CODES`); `[policy] allow` silences
//! the ones a policy accepts.
//!
//! With `[scripts]`, a script hook can set a priority or a route the rules never give, so the
//! route, priority and department lints are left out.

use std::collections::BTreeSet;

use crate::business_time::Amount;
use crate::check::{
    CmpOp, Condition, DurationDef, EscalationDef, Field, FieldTest, Model, Ref, Scalar, Test,
};
use crate::source::reader::did_you_mean;
use crate::source::Sink;

pub(crate) fn lint(model: &Model, sink: &mut Sink) {
    let names = Names {
        categories: model
            .categories
            .iter()
            .map(|c| c.id.name.as_str())
            .collect(),
    };
    let stages: [(&str, Vec<StageRule<'_>>); 3] = [
        (
            "category",
            model
                .categories
                .iter()
                .map(|c| (&c.id, c.when.as_ref()))
                .collect(),
        ),
        (
            "priority rule",
            model
                .priority_rules
                .iter()
                .map(|r| (&r.id, r.when.as_ref()))
                .collect(),
        ),
        (
            "route",
            model
                .routes
                .iter()
                .map(|r| (&r.id, r.when.as_ref()))
                .collect(),
        ),
    ];
    for (what, rules) in &stages {
        duplicate_ids(what, rules, sink);
        // A rule without `when` is a stage's default: it is not tried in order.
        let ordered: Vec<(&Ref, &Condition)> = rules
            .iter()
            .filter_map(|(id, w)| Some((*id, (*w)?)))
            .collect();
        unreachable_rules(what, &ordered, &names, sink);
    }
    if model.scripts.is_none() {
        categories_without_route(model, &names, sink);
        priorities_never_given(model, sink);
        departments_never_routed_to(model, sink);
    }
    escalations_out_of_order(&model.escalations, sink);
    zero_targets(model, sink);
    undeclared_fields(model, sink);
    undeclared_statuses(model, sink);
}

/// Whether a duration is no time at all (`"0s"`, `"0bd"`).
fn is_zero(d: &DurationDef) -> bool {
    matches!(d.duration.amount, Amount::Seconds(0) | Amount::Days(0))
}

/// A target of no time (due the moment its clock starts: at the next opening) and an
/// escalation step at `0%` with no offset (it fires as the clock starts): almost always a
/// placeholder or a typo for a real target.
fn zero_targets(model: &Model, sink: &mut Sink) {
    for t in &model.sla.targets {
        for (metric, d) in [
            ("first_response", &t.first_response),
            ("resolution", &t.resolution),
            ("next_response", &t.next_response),
        ] {
            if let Some(d) = d.as_ref().filter(|d| is_zero(d)) {
                sink.warning(
                    "zero-target",
                    &d.span,
                    format!(
                        "the {metric} target of priority `{}` is `{}`: due as soon as its clock starts",
                        t.priority.name, d.text
                    ),
                )
                .hint("give the time the team has, or leave the target out for no clock");
            }
        }
    }
    if let Some(d) = model
        .follow_up
        .as_ref()
        .map(|f| &f.within)
        .filter(|d| is_zero(d))
    {
        sink.warning(
            "zero-target",
            &d.span,
            format!(
                "the follow-up window is `{}`: due as soon as the ticket is resolved",
                d.text
            ),
        )
        .hint("give the time the team has to follow up");
    }
    for step in &model.escalations {
        if step.permille == 0 && step.offset.as_ref().is_none_or(is_zero) {
            sink.warning(
                "zero-target",
                &step.at_span,
                format!(
                    "escalation step `{}` of `{}` fires as soon as the clock starts",
                    step.at_text,
                    step.metric.name()
                ),
            )
            .hint("escalate at a share of the target (e.g. `80%`), or notify from a route instead");
        }
    }
}

/// Fields every ticket format has; custom fields beside them are declared in `[policy] fields`.
const BUILT_IN_FIELDS: [&str; 4] = [
    "customer.id",
    "customer.tier",
    "customer.region",
    "product.model",
];

/// Statuses the engine knows; custom ones are declared in `[policy] statuses`.
const BUILT_IN_STATUSES: [&str; 5] = ["new", "in_progress", "resolved", "reopened", "closed"];

/// With `[policy] fields`, a rule reading a custom field the list does not name (a typo such
/// as `customer.teir` reads a field no ticket has, and the rule silently never matches).
fn undeclared_fields(model: &Model, sink: &mut Sink) {
    let Some(declared) = &model.fields else {
        return;
    };
    let known: Vec<&str> = BUILT_IN_FIELDS
        .iter()
        .copied()
        .chain(declared.iter().map(|r| r.name.as_str()))
        .collect();
    let conditions = model
        .categories
        .iter()
        .filter_map(|c| c.when.as_ref())
        .chain(model.priority_rules.iter().filter_map(|r| r.when.as_ref()))
        .chain(model.routes.iter().filter_map(|r| r.when.as_ref()))
        .chain(model.escalations.iter().filter_map(|e| e.when.as_ref()));
    let mut tests = Vec::new();
    for c in conditions {
        field_tests(c, &mut tests);
    }
    for t in tests {
        let path = match &t.field {
            Field::Customer(k) => format!("customer.{k}"),
            Field::Product(k) => format!("product.{k}"),
            Field::Attribute(k) => format!("attributes.{k}"),
            _ => continue,
        };
        if known.contains(&path.as_str()) {
            continue;
        }
        let report = sink.warning(
            "undeclared-field",
            &t.span,
            format!("`{path}` is not among the fields the policy declares"),
        );
        match did_you_mean(&path, known.iter().copied()) {
            Some(s) => report.hint(format!(
                "did you mean `{s}`? Otherwise add it to [policy] fields"
            )),
            None => report.hint("add it to [policy] fields, or correct its name"),
        }
    }
}

/// With `[policy] statuses`, a pause status the list does not name.
fn undeclared_statuses(model: &Model, sink: &mut Sink) {
    let Some(declared) = &model.statuses else {
        return;
    };
    let known: Vec<&str> = BUILT_IN_STATUSES
        .iter()
        .copied()
        .chain(declared.iter().map(|r| r.name.as_str()))
        .collect();
    for (status, span) in model
        .sla
        .pause_statuses
        .iter()
        .zip(&model.sla.pause_status_spans)
    {
        if known.contains(&status.as_str()) {
            continue;
        }
        let report = sink.warning(
            "undeclared-status",
            span,
            format!("pause status `{status}` is not among the statuses the policy declares"),
        );
        match did_you_mean(status, known.iter().copied()) {
            Some(s) => report.hint(format!(
                "did you mean `{s}`? Otherwise add it to [policy] statuses"
            )),
            None => report.hint("add it to [policy] statuses, or correct its name"),
        }
    }
}

/// Every field test of a condition, in order.
fn field_tests<'c>(c: &'c Condition, out: &mut Vec<&'c FieldTest>) {
    match c {
        Condition::All(parts) | Condition::Any(parts) => {
            for p in parts {
                field_tests(p, out);
            }
        }
        Condition::Not(inner) => field_tests(inner, out),
        Condition::Test(t) => out.push(t),
    }
}

/// A rule of a first-match stage: its id and its condition (`None` for a stage's default).
type StageRule<'m> = (&'m Ref, Option<&'m Condition>);

/// What a lint needs to know about the policy's names.
struct Names<'m> {
    categories: Vec<&'m str>,
}

fn duplicate_ids(what: &str, rules: &[StageRule<'_>], sink: &mut Sink) {
    for (i, (id, _)) in rules.iter().enumerate() {
        let Some((first, _)) = rules.iter().take(i).find(|(o, _)| o.name == id.name) else {
            continue;
        };
        let place = sink.sources.place(&first.span, &id.span);
        sink.warning(
            "duplicate-id",
            &id.span,
            format!("{what} id `{}` is used twice", id.name),
        )
        .hint(format!(
            "the first is at {place}; decisions and traces name rules by id, so give each its own"
        ));
    }
}

fn unreachable_rules(what: &str, rules: &[(&Ref, &Condition)], names: &Names<'_>, sink: &mut Sink) {
    // Canonical texts once per rule: comparing every pair must not rebuild them.
    let canons: Vec<String> = rules.iter().map(|(_, c)| canon(c)).collect();
    for (j, (id, cond)) in rules.iter().enumerate() {
        for (i, (earlier, earlier_cond)) in rules.iter().enumerate().take(j) {
            let why = if always_true(earlier_cond, names) {
                "matches every ticket"
            } else if canons.get(i) == canons.get(j) {
                "has the same condition"
            } else if implies(cond, earlier_cond, names) {
                "matches every ticket this one matches"
            } else {
                continue;
            };
            let place = sink.sources.place(&earlier.span, &id.span);
            sink.warning("unreachable-rule", 
                &id.span,
                format!(
                    "{what} `{}` can never match: `{}` before it {why}",
                    id.name, earlier.name
                ),
            )
            .hint(format!(
                "the first matching rule wins; move `{}` above `{}` ({place}), make the conditions differ, or remove it",
                id.name, earlier.name
            ));
            break;
        }
    }
}

fn categories_without_route(model: &Model, names: &Names<'_>, sink: &mut Sink) {
    // Routes tried in order (with a condition), and the categories each one admits.
    let admitted: Vec<Option<BTreeSet<&str>>> = model
        .routes
        .iter()
        .filter_map(|r| r.when.as_ref())
        .map(|c| categories_admitted(c, names))
        .collect();
    if admitted.iter().all(Option::is_none) {
        return; // routes do not choose by category
    }
    let Some(default) = model.routes.iter().find(|r| r.default) else {
        return;
    };
    // The default category (tickets no category rule matches) going to the default route
    // (tickets no route takes) is the natural "everything else" pairing, not a mistake.
    for c in model.categories.iter().filter(|c| !c.default) {
        let name = c.id.name.as_str();
        if admitted
            .iter()
            .any(|a| a.as_ref().is_none_or(|s| s.contains(name)))
        {
            continue;
        }
        sink.warning("category-without-route", 
            &c.id.span,
            format!(
                "no route takes category `{name}`: its tickets always go to the default route `{}`",
                default.id.name
            ),
        )
        .hint(format!(
            r#"routes choose by category but none admits `{name}`; name it in a route, e.g. when = {{ category = "{name}" }}"#
        ));
    }
}

fn priorities_never_given(model: &Model, sink: &mut Sink) {
    for p in &model.priorities {
        let is_default = model
            .default_priority
            .as_ref()
            .is_some_and(|d| d.name == p.name);
        if is_default
            || model
                .priority_rules
                .iter()
                .any(|r| r.priority.name == p.name)
        {
            continue;
        }
        sink.warning("priority-never-given", 
            &p.span,
            format!("no rule gives priority `{}`", p.name),
        )
        .hint(format!(
            r#"add a [[priority_rules]] entry with priority = "{}", or remove it from `order` and its SLA targets"#,
            p.name
        ));
    }
}

fn departments_never_routed_to(model: &Model, sink: &mut Sink) {
    for d in &model.departments {
        if !model.routes.iter().any(|r| r.department.name == d.id.name) {
            sink.warning(
                "department-never-routed",
                &d.id.span,
                format!("department `{}` is never routed to", d.id.name),
            )
            .hint("add a route to it, or remove it");
        }
    }
}

fn escalations_out_of_order(steps: &[EscalationDef], sink: &mut Sink) {
    for (k, step) in steps.iter().enumerate() {
        let same_ladder = |e: &&EscalationDef| {
            e.metric == step.metric && e.when.as_ref().map(canon) == step.when.as_ref().map(canon)
        };
        let Some(later) = steps
            .iter()
            .take(k)
            .filter(same_ladder)
            .find(|e| fires_later(e, step))
        else {
            continue;
        };
        let place = sink.sources.place(&later.at_span, &step.at_span);
        sink.warning("escalation-order", 
            &step.at_span,
            format!(
                "escalation step `{}` of `{}` is listed after `{}`, which fires later",
                step.at_text,
                step.metric.name(),
                later.at_text
            ),
        )
        .hint(format!(
            "list the steps of a metric in the order they fire (`{}` is at {place}); escalation keys number the steps in list order",
            later.at_text
        ));
    }
}

/// Whether step `a` certainly fires after step `b` on the same clock.
fn fires_later(a: &EscalationDef, b: &EscalationDef) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (
            a.permille.cmp(&b.permille),
            offset_cmp(&a.offset, &b.offset)
        ),
        (Greater, Some(Greater | Equal)) | (Equal, Some(Greater))
    )
}

/// Compares two offsets when that is certain: no offset is the smallest; offsets on the same
/// calendar in the same unit compare by amount; anything else (hours against business days,
/// two calendars) depends on the ticket.
fn offset_cmp(a: &Option<DurationDef>, b: &Option<DurationDef>) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering::*;
    match (a, b) {
        (None, None) => Some(Equal),
        (None, Some(_)) => Some(Less),
        (Some(_), None) => Some(Greater),
        (Some(a), Some(b)) if a.duration.calendar == b.duration.calendar => {
            match (a.duration.amount, b.duration.amount) {
                (Amount::Seconds(x), Amount::Seconds(y)) => Some(x.cmp(&y)),
                (Amount::Days(x), Amount::Days(y)) => Some(x.cmp(&y)),
                _ => None,
            }
        }
        _ => None,
    }
}

// --- Reasoning about conditions ------------------------------------------------------------
//
// Everything below is sound but incomplete: `true` is certain, `false` means "not known".

/// Fields every ticket has at the stages that may test them.
fn always_present(field: &Field) -> bool {
    matches!(field, Field::Id | Field::Category | Field::Priority)
}

/// Whether a condition holds for every ticket.
fn always_true(c: &Condition, names: &Names<'_>) -> bool {
    match c {
        Condition::All(parts) => parts.iter().all(|p| always_true(p, names)),
        Condition::Any(parts) => parts.iter().any(|p| always_true(p, names)),
        Condition::Not(inner) => always_false(inner, names),
        Condition::Test(t) => test_always_true(t, &t.test, names),
    }
}

fn test_always_true(t: &FieldTest, test: &Test, names: &Names<'_>) -> bool {
    match test {
        Test::Exists(true) => always_present(&t.field),
        // `category` in a list of every category.
        Test::In(list) if t.field == Field::Category => names
            .categories
            .iter()
            .all(|c| list.contains(&Scalar::Str((*c).to_string()))),
        Test::All(parts) => parts.iter().all(|p| test_always_true(t, p, names)),
        _ => false,
    }
}

/// Whether a condition holds for no ticket.
fn always_false(c: &Condition, names: &Names<'_>) -> bool {
    match c {
        Condition::All(parts) => parts.iter().any(|p| always_false(p, names)),
        Condition::Any(parts) => parts.iter().all(|p| always_false(p, names)),
        Condition::Not(inner) => always_true(inner, names),
        Condition::Test(t) => match &t.test {
            Test::Exists(false) => always_present(&t.field),
            Test::In(list) => list.is_empty(),
            _ => false,
        },
    }
}

/// Whether every ticket that meets `a` also meets `b`.
fn implies(a: &Condition, b: &Condition, names: &Names<'_>) -> bool {
    if always_true(b, names) {
        return true;
    }
    // A condition that never holds would "imply" anything; it is not what the lint is about.
    if always_false(a, names) {
        return false;
    }
    if let Condition::All(bs) = b {
        return bs.iter().all(|x| implies(a, x, names));
    }
    if let Condition::Any(options) = a {
        return options.iter().all(|x| implies(x, b, names));
    }
    if let Condition::Any(bs) = b {
        if bs.iter().any(|x| implies(a, x, names)) {
            return true;
        }
    }
    if let Condition::All(parts) = a {
        if parts.iter().any(|x| implies(x, b, names)) {
            return true;
        }
    }
    match (a, b) {
        (Condition::Test(x), Condition::Test(y)) => {
            x.field == y.field && test_implies(&x.test, &y.test)
        }
        (Condition::Not(x), Condition::Not(y)) => implies(y, x, names),
        _ => canon(a) == canon(b),
    }
}

/// Whether a field value that passes `a` also passes `b` (same field).
fn test_implies(a: &Test, b: &Test) -> bool {
    if canon_test(a) == canon_test(b) {
        return true;
    }
    match (a, b) {
        (Test::All(parts), _) => parts.iter().any(|p| test_implies(p, b)),
        (_, Test::All(parts)) => parts.iter().all(|p| test_implies(a, p)),
        (Test::Eq(x), Test::In(list)) => list.contains(x),
        (Test::In(xs), Test::In(ys)) => !xs.is_empty() && xs.iter().all(|x| ys.contains(x)),
        (Test::In(xs), Test::Eq(y)) => !xs.is_empty() && xs.iter().all(|x| x == y),
        // A text that contains "漏水严重" contains "漏水".
        (Test::ContainsAny(xs), Test::ContainsAny(ys)) => {
            !xs.is_empty() && xs.iter().all(|x| ys.iter().any(|y| x.contains(y.as_str())))
        }
        (Test::Cmp(op_a, x), Test::Cmp(op_b, y)) => cmp_implies(*op_a, *x, *op_b, *y),
        // Every positive test needs the field to be there.
        (
            Test::Eq(_) | Test::In(_) | Test::Cmp(..) | Test::ContainsAny(_) | Test::Matches(_),
            Test::Exists(true),
        ) => true,
        _ => false,
    }
}

/// `v op_a x` ⇒ `v op_b y` for every number `v`.
fn cmp_implies(op_a: CmpOp, x: f64, op_b: CmpOp, y: f64) -> bool {
    use CmpOp::*;
    match (op_a, op_b) {
        (Gt, Gt | Gte) | (Gte, Gte) => x >= y,
        (Gte, Gt) => x > y,
        (Lt, Lt | Lte) | (Lte, Lte) => x <= y,
        (Lte, Lt) => x < y,
        _ => false,
    }
}

/// The categories a route condition admits; `None` when it does not restrict the category.
fn categories_admitted<'m>(c: &Condition, names: &Names<'m>) -> Option<BTreeSet<&'m str>> {
    match c {
        Condition::Test(t) if t.field == Field::Category => test_admits(&t.test, names),
        Condition::Test(_) => None,
        Condition::All(parts) => parts
            .iter()
            .filter_map(|p| categories_admitted(p, names))
            .reduce(|a, b| a.intersection(&b).copied().collect()),
        Condition::Any(parts) => {
            let mut out = BTreeSet::new();
            for p in parts {
                out.extend(categories_admitted(p, names)?);
            }
            Some(out)
        }
        // `not = { category = "x" }` admits the others; a negated compound condition can admit
        // anything.
        Condition::Not(inner) => match &**inner {
            Condition::Test(t) if t.field == Field::Category => {
                let excluded = test_admits(&t.test, names)?;
                Some(
                    names
                        .categories
                        .iter()
                        .copied()
                        .filter(|c| !excluded.contains(c))
                        .collect(),
                )
            }
            _ => None,
        },
    }
}

fn test_admits<'m>(test: &Test, names: &Names<'m>) -> Option<BTreeSet<&'m str>> {
    let named = |list: &[Scalar]| {
        names
            .categories
            .iter()
            .copied()
            .filter(|c| list.contains(&Scalar::Str((*c).to_string())))
            .collect::<BTreeSet<_>>()
    };
    match test {
        Test::Eq(s) => Some(named(std::slice::from_ref(s))),
        Test::In(list) => Some(named(list)),
        Test::Not(inner) => {
            let excluded = test_admits(inner, names)?;
            Some(
                names
                    .categories
                    .iter()
                    .copied()
                    .filter(|c| !excluded.contains(c))
                    .collect(),
            )
        }
        Test::All(parts) => parts
            .iter()
            .filter_map(|p| test_admits(p, names))
            .reduce(|a, b| a.intersection(&b).copied().collect()),
        _ => None,
    }
}

/// A canonical text of a condition: equal texts mean equal conditions. Tests of one table are
/// sorted, so `{ a = 1, b = 2 }` and `{ b = 2, a = 1 }` are the same.
fn canon(c: &Condition) -> String {
    fn parts(
        kind: &str,
        items: &[Condition],
        out_kind: fn(&Condition) -> Option<&[Condition]>,
    ) -> String {
        // Flatten nested groups of the same kind, then sort and dedupe.
        let mut flat: Vec<String> = Vec::new();
        let mut stack: Vec<&Condition> = items.iter().rev().collect();
        while let Some(c) = stack.pop() {
            match out_kind(c) {
                Some(inner) => stack.extend(inner.iter().rev()),
                None => flat.push(canon(c)),
            }
        }
        flat.sort();
        flat.dedup();
        if flat.len() == 1 {
            flat.pop().unwrap_or_default()
        } else {
            format!("{kind}({})", flat.join(", "))
        }
    }
    match c {
        Condition::All(items) => parts("all", items, |c| match c {
            Condition::All(i) => Some(i),
            _ => None,
        }),
        Condition::Any(items) => parts("any", items, |c| match c {
            Condition::Any(i) => Some(i),
            _ => None,
        }),
        Condition::Not(inner) => format!("not({})", canon(inner)),
        Condition::Test(t) => format!("{:?} {}", t.field, canon_test(&t.test)),
    }
}

/// A string in a canonical text: quoted, with quotes and backslashes escaped, so texts stay
/// unambiguous. (`{:?}` would do, but its printability checks dominated loading CJK keyword
/// lists.)
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn canon_test(t: &Test) -> String {
    fn scalar(s: &Scalar) -> String {
        match s {
            Scalar::Str(s) => quote(s),
            Scalar::Num(n) => format!("{n}"),
            Scalar::Bool(b) => format!("{b}"),
        }
    }
    fn sorted(items: impl Iterator<Item = String>) -> String {
        let mut v: Vec<String> = items.collect();
        v.sort();
        v.dedup();
        v.join(", ")
    }
    match t {
        Test::Eq(s) => format!("= {}", scalar(s)),
        Test::In(list) => match list.as_slice() {
            // One value in a list is equality.
            [one] => format!("= {}", scalar(one)),
            _ => format!("in [{}]", sorted(list.iter().map(scalar))),
        },
        Test::Not(inner) => format!("not {}", canon_test(inner)),
        Test::Cmp(op, n) => format!("{op:?} {n}"),
        Test::ContainsAny(needles) => {
            format!("contains [{}]", sorted(needles.iter().map(|n| quote(n))))
        }
        Test::Matches(re) => format!("matches {}", quote(re.as_str())),
        Test::Exists(b) => format!("exists {b}"),
        Test::All(parts) => format!("all [{}]", sorted(parts.iter().map(canon_test))),
    }
}
