//! Cross-references: every name a policy uses must be defined, every stage must have a default,
//! every priority must have SLA targets.

use crate::check::{Condition, DurationDef, Field, Model, Ref, Scalar, Test};
use crate::source::reader::did_you_mean;
use crate::source::{Sink, Span};

fn missing(kind: &str, r: &Ref, known: &[&str], sink: &mut Sink) {
    let report = sink.error(
        "unknown-name",
        &r.span,
        format!("unknown {kind} `{}`", r.name),
    );
    match did_you_mean(&r.name, known.iter().copied()) {
        Some(s) => report.hint(format!("did you mean `{s}`?")),
        None if known.is_empty() => report.hint(format!("the policy defines no {kind}")),
        None => report.hint(format!("defined: {}", known.join(", "))),
    }
}

/// `category = "…"` and `priority = "…"` in a condition must name a defined category or
/// priority; a misspelt name would silently never match. Reported at the field's key.
fn check_names(cond: &Condition, categories: &[&str], priorities: &[&str], sink: &mut Sink) {
    fn names<'a>(test: &'a Test, out: &mut Vec<&'a str>) {
        match test {
            Test::Eq(Scalar::Str(s)) => out.push(s),
            Test::In(items) => out.extend(items.iter().filter_map(|i| match i {
                Scalar::Str(s) => Some(s.as_str()),
                _ => None,
            })),
            Test::Not(t) => names(t, out),
            Test::All(tests) => tests.iter().for_each(|t| names(t, out)),
            _ => {}
        }
    }
    match cond {
        Condition::All(c) | Condition::Any(c) => {
            c.iter()
                .for_each(|c| check_names(c, categories, priorities, sink));
        }
        Condition::Not(c) => check_names(c, categories, priorities, sink),
        Condition::Test(t) => {
            let (kind, known) = match t.field {
                Field::Category => ("category", categories),
                Field::Priority => ("priority", priorities),
                _ => return,
            };
            if known.is_empty() {
                return; // reported elsewhere: no categories / no `[priorities]`
            }
            let mut used = Vec::new();
            names(&t.test, &mut used);
            for name in used {
                if !known.contains(&name) {
                    let r = Ref {
                        name: name.to_string(),
                        span: t.span.clone(),
                    };
                    missing(kind, &r, known, sink);
                }
            }
        }
    }
}

/// `model.NAME` and `model.NAME.confidence` must name a model of `[models]`, and a label a
/// model test compares with must be one of that model's labels.
fn check_models(cond: &Condition, model: &Model, sink: &mut Sink) {
    match cond {
        Condition::All(c) | Condition::Any(c) => {
            c.iter().for_each(|c| check_models(c, model, sink))
        }
        Condition::Not(c) => check_models(c, model, sink),
        Condition::Test(t) => {
            let (name, label) = match &t.field {
                Field::Model(n) => (n, true),
                Field::ModelConfidence(n) => (n, false),
                _ => return,
            };
            if model.unloaded_models.contains(name) {
                return;
            }
            let known: Vec<&str> = model.models.iter().map(|m| m.name.name.as_str()).collect();
            let Some(def) = model.models.iter().find(|m| &m.name.name == name) else {
                let r = Ref {
                    name: name.clone(),
                    span: t.span.clone(),
                };
                missing("model", &r, &known, sink);
                return;
            };
            if label {
                let labels: Vec<&str> = def.model.labels().iter().map(String::as_str).collect();
                let mut used = Vec::new();
                label_names(&t.test, &mut used);
                for l in used {
                    if !labels.contains(&l) {
                        // A warning: the policy may be written for a retrained model.
                        let report = sink.warning(
                            "unknown-label",
                            &t.span,
                            format!("label `{l}` is not one of model `{name}`'s labels"),
                        );
                        match did_you_mean(l, labels.iter().copied()) {
                            Some(s) => report.hint(format!("did you mean `{s}`?")),
                            None => report.hint(format!("its labels: {}", labels.join(", "))),
                        }
                    }
                }
            }
        }
    }
}

fn label_names<'a>(test: &'a Test, out: &mut Vec<&'a str>) {
    match test {
        Test::Eq(Scalar::Str(s)) => out.push(s),
        Test::In(items) => out.extend(items.iter().filter_map(|i| match i {
            Scalar::Str(s) => Some(s.as_str()),
            _ => None,
        })),
        Test::Not(t) => label_names(t, out),
        Test::All(tests) => tests.iter().for_each(|t| label_names(t, out)),
        _ => {}
    }
}

pub(crate) fn validate(model: &Model, root: &Span, sink: &mut Sink) {
    for cond in model
        .categories
        .iter()
        .filter_map(|c| c.when.as_ref())
        .chain(model.priority_rules.iter().filter_map(|r| r.when.as_ref()))
        .chain(model.routes.iter().filter_map(|r| r.when.as_ref()))
        .chain(model.escalations.iter().filter_map(|e| e.when.as_ref()))
    {
        check_models(cond, model, sink);
    }
    let calendars: Vec<&str> = model
        .calendars
        .iter()
        .map(|c| c.name.name.as_str())
        .collect();
    let priorities: Vec<&str> = model.priorities.iter().map(|p| p.name.as_str()).collect();
    let departments: Vec<&str> = model
        .departments
        .iter()
        .map(|d| d.id.name.as_str())
        .collect();
    let categories: Vec<&str> = model
        .categories
        .iter()
        .map(|c| c.id.name.as_str())
        .collect();

    // Names of categories and priorities tested by later stages.
    let conditions = model
        .priority_rules
        .iter()
        .filter_map(|r| r.when.as_ref())
        .chain(model.routes.iter().filter_map(|r| r.when.as_ref()))
        .chain(model.escalations.iter().filter_map(|e| e.when.as_ref()));
    for cond in conditions {
        check_names(cond, &categories, &priorities, sink);
    }

    let check_calendar = |r: &Ref, sink: &mut Sink| {
        if !calendars.contains(&r.name.as_str()) {
            missing("calendar", r, &calendars, sink);
        }
    };
    let check_duration = |d: &DurationDef, sink: &mut Sink| {
        if let Some(cal) = &d.duration.calendar {
            if !calendars.contains(&cal.as_str()) {
                missing(
                    "calendar",
                    &Ref {
                        name: cal.clone(),
                        span: d.span.clone(),
                    },
                    &calendars,
                    sink,
                );
            }
        }
    };

    if let Some(c) = &model.calendar {
        check_calendar(c, sink);
    }

    // Categories: exactly one default.
    let defaults: Vec<_> = model.categories.iter().filter(|c| c.default).collect();
    match defaults.as_slice() {
        // A `default` of the wrong type has been reported where it is written.
        [] if model.unreadable_default.categories => {}
        [] => {
            sink.error("missing", root, "no default category")
                .hint("mark one [[categories]] entry with `default = true`; it takes tickets no rule matches");
        }
        [_] => {}
        [_, rest @ ..] => {
            for c in rest {
                sink.error(
                    "duplicate",
                    &c.id.span,
                    format!("category `{}` is a second default", c.id.name),
                )
                .hint("exactly one category may have `default = true`");
            }
        }
    }

    if let Some(d) = &model.default_priority {
        if !priorities.is_empty() && !priorities.contains(&d.name.as_str()) {
            missing("priority", d, &priorities, sink);
        }
    }
    for rule in &model.priority_rules {
        if !priorities.is_empty() && !priorities.contains(&rule.priority.name.as_str()) {
            missing("priority", &rule.priority, &priorities, sink);
        }
    }

    // Routes: exactly one default, known departments and calendars.
    let route_defaults: Vec<_> = model.routes.iter().filter(|r| r.default).collect();
    match route_defaults.as_slice() {
        [] if model.unreadable_default.routes => {}
        [] => {
            sink.error("missing", root, "no default route")
                .hint("add a [[routes]] entry with `default = true` and a department");
        }
        [_] => {}
        [_, rest @ ..] => {
            for r in rest {
                sink.error(
                    "duplicate",
                    &r.id.span,
                    format!("route `{}` is a second default", r.id.name),
                )
                .hint("exactly one route may have `default = true`");
            }
        }
    }
    for route in &model.routes {
        if !departments.contains(&route.department.name.as_str()) {
            missing("department", &route.department, &departments, sink);
        }
        if let Some(c) = &route.calendar {
            check_calendar(c, sink);
        }
    }

    // SLA: a calendar to count on, and targets for every priority.
    let has_sla = model.sla.span.is_some();
    if let Some(c) = &model.sla.calendar {
        check_calendar(c, sink);
    }
    if (has_sla || model.follow_up.is_some())
        && model.sla.calendar.is_none()
        && model.calendar.is_none()
    {
        let span = model.sla.span.as_ref().unwrap_or(root);
        sink.error("missing", span, "no calendar to count business time on")
            .hint(r#"set `calendar = "NAME"` in [sla] or [policy]"#);
    }
    for targets in &model.sla.targets {
        if !priorities.is_empty() && !priorities.contains(&targets.priority.name.as_str()) {
            missing("priority", &targets.priority, &priorities, sink);
        }
        for d in [
            &targets.first_response,
            &targets.resolution,
            &targets.next_response,
        ]
        .into_iter()
        .flatten()
        {
            check_duration(d, sink);
        }
    }
    if has_sla {
        for p in &model.priorities {
            if !model.sla.targets.iter().any(|t| t.priority.name == p.name) {
                sink.error(
                    "missing",
                    &p.span,
                    format!("priority `{}` has no SLA targets", p.name),
                )
                .hint(format!(
                    r#"add [sla.targets.{}] with first_response and resolution"#,
                    p.name
                ));
            }
        }
    }

    for e in &model.escalations {
        if let Some(offset) = &e.offset {
            check_duration(offset, sink);
        }
        if !has_sla && e.metric != crate::check::Metric::FollowUp {
            sink.error(
                "missing",
                &e.span,
                "an escalation needs SLA targets to count from",
            )
            .hint("add [sla] with targets per priority");
        }
        if e.metric == crate::check::Metric::FollowUp && model.follow_up.is_none() {
            sink.error(
                "missing",
                &e.span,
                "a follow_up escalation needs `[follow_up]`",
            );
        }
    }
    if let Some(f) = &model.follow_up {
        check_duration(&f.within, sink);
    }
}
