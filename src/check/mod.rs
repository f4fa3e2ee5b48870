//! Policy tree → validated [`Model`]: the section readers, conditions, validation and lints.
//! Reads every section, checks every value and reference, and records every problem in the
//! [`Sink`] instead of stopping at the first.

mod condition;
mod lints;
mod model;
mod validate;

pub(crate) use condition::{CmpOp, Field, FieldTest, Pattern, Scalar, Test, PERSONAL_FIELDS};
pub(crate) use model::*;

use std::path::Path;

use chrono::NaiveDate;

use self::condition::Stage;
use crate::business_time::{BusinessDuration, CalendarSpec, Window};
use crate::limits::Limits;
use crate::source::reader::{check_id, tables, Table};
use crate::source::tree::{self, Node, Value};
use crate::source::{Sink, Span, LINT_CODES};

const TOP_KEYS: [&str; 14] = [
    "policy",
    "models",
    "limits",
    "include",
    "calendars",
    "categories",
    "priorities",
    "priority_rules",
    "routes",
    "departments",
    "sla",
    "escalations",
    "follow_up",
    "scripts",
];

/// Reads and validates a policy. `None` when there were errors (they are in the sink).
pub(crate) fn check(origin: tree::Origin<'_>, limits: &Limits, sink: &mut Sink) -> Option<Model> {
    let base = match &origin {
        tree::Origin::Path(p) => p.parent().map(Path::to_path_buf),
        tree::Origin::Text { base, .. } => base.map(Path::to_path_buf),
    };
    let root = tree::load(origin, limits.max_policy_bytes, sink)?;
    check_rule_count(&root, limits.max_rules, sink)?;
    let mut model = Model::default();
    let mut top = Table::new(&root, "the policy", sink)?;
    read_meta(&mut top, &mut model, sink);
    if let Some(node) = top.get("limits") {
        read_limits(node, &mut model, sink);
    }
    if let Some(node) = top.get("models") {
        read_models(node, base.as_deref(), &mut model, sink);
    }
    if let Some(node) = top.get("calendars") {
        read_calendars(node, &mut model, sink);
    }
    if let Some(node) = top.get("categories") {
        for t in tables(node, "categories", sink) {
            read_category(t, &mut model, sink);
        }
    }
    match top.get("priorities") {
        Some(node) => read_priorities(node, &mut model, sink),
        None => {
            sink.error("missing", &root.span, "the policy has no `[priorities]`")
                .hint(r#"add [priorities] with order = ["urgent", "high", "medium", "low"] and a default"#);
        }
    }
    if let Some(node) = top.get("priority_rules") {
        for t in tables(node, "priority_rules", sink) {
            read_priority_rule(t, &mut model, sink);
        }
    }
    if let Some(node) = top.get("routes") {
        for t in tables(node, "routes", sink) {
            read_route(t, &mut model, sink);
        }
    }
    if let Some(node) = top.get("departments") {
        read_departments(node, &mut model, sink);
    }
    if let Some(node) = top.get("sla") {
        read_sla(node, &mut model, sink);
    }
    if let Some(node) = top.get("escalations") {
        for t in tables(node, "escalations", sink) {
            read_escalation(t, &mut model, sink);
        }
    }
    if let Some(node) = top.get("follow_up") {
        read_follow_up(node, &mut model, sink);
    }
    if let Some(node) = top.get("scripts") {
        read_scripts(node, base.as_deref(), &mut model, sink);
    }
    let _ = top.get("include"); // already expanded by the loader
    top.finish("the policy", &TOP_KEYS, sink);
    validate::validate(&model, &root.span, sink);
    // Lints judge a policy that makes sense; on a broken one they would only add noise.
    if !sink.has_errors() {
        lints::lint(&model, sink);
    }
    if sink.has_errors() {
        None
    } else {
        Some(model)
    }
}

/// Refuses a policy with more rules than `Limits::max_rules`, before reading any of them.
fn check_rule_count(root: &Node, max: usize, sink: &mut Sink) -> Option<()> {
    let lists = ["categories", "priority_rules", "routes", "escalations"];
    let rules: usize = root
        .as_table()
        .unwrap_or_default()
        .iter()
        .filter(|(key, _)| lists.contains(&key.name.as_str()))
        .map(|(_, node)| node.as_array().map_or(0, <[Node]>::len))
        .sum();
    if rules > max {
        sink.error("limit", 
            &Span {
                file: root.span.file,
                range: 0..0,
            },
            format!(
                "the policy has {rules} rules (categories, priority rules, routes and escalations together); the limit is {max} (max_rules)"
            ),
        )
        .hint("raise `Limits::max_rules` if so many rules are intended");
        return None;
    }
    Some(())
}

fn reference(text: &str, span: &Span) -> Ref {
    Ref {
        name: text.to_string(),
        span: span.clone(),
    }
}

fn read_meta(top: &mut Table<'_>, model: &mut Model, sink: &mut Sink) {
    let Some(node) = top.get("policy") else {
        sink.error("missing", top.span(), "the policy has no `[policy]` table")
            .hint(r#"start the file with [policy] name = "…" version = "…""#);
        return;
    };
    let Some(mut t) = Table::new(node, "`[policy]`", sink) else {
        return;
    };
    if let Some((name, _)) = t.required_string("name", "`[policy]`", sink) {
        model.name = name.to_string();
    }
    if let Some((version, _)) = t.string("version", sink) {
        model.version = version.to_string();
    }
    if let Some((cal, span)) = t.string("calendar", sink) {
        model.calendar = Some(reference(cal, span));
    }
    let _ = t.string("description", sink);
    if let Some((locale, span)) = t.string("locale", sink) {
        if model::LOCALES.contains(&locale) {
            model.locale = Some(locale.to_string());
        } else {
            let report = sink.error(
                "unknown-name",
                span,
                format!("`{locale}` is not a locale reports can be written in"),
            );
            match crate::source::reader::did_you_mean(locale, model::LOCALES.iter().copied()) {
                Some(s) => report.hint(format!("did you mean `{s}`?")),
                None => report.hint(format!("the locales are {}", model::LOCALES.join(", "))),
            };
        }
    }
    // The custom fields and statuses, declared so that a misspelt one is caught.
    if let Some(list) = t.strings("fields", sink) {
        let mut fields = Vec::with_capacity(list.len());
        for (name, span) in list {
            let custom = name.split_once('.').is_some_and(|(head, rest)| {
                ["customer", "product", "attributes"].contains(&head) && !rest.is_empty()
            });
            if custom && Field::parse(name).is_some() {
                fields.push(reference(name, span));
            } else {
                sink.error("bad-field", span, format!("`{name}` is not a custom field"))
                    .hint("declare fields as customer.NAME, product.NAME or attributes.NAME");
            }
        }
        model.fields = Some(fields);
    }
    if let Some(list) = t.strings("statuses", sink) {
        model.statuses = Some(
            list.into_iter()
                .map(|(s, span)| reference(s, span))
                .collect(),
        );
    }
    // Lints the policy's authors have judged and accept, by code.
    if let Some(codes) = t.strings("allow", sink) {
        for (code, span) in codes {
            if LINT_CODES.contains(&code) {
                sink.allowed.push(code.to_string());
                continue;
            }
            let report = sink.error(
                "unknown-name",
                span,
                format!("`{code}` is not the code of a lint"),
            );
            match crate::source::reader::did_you_mean(code, LINT_CODES) {
                Some(s) => report.hint(format!("did you mean `{s}`?")),
                None => report.hint(format!("the lints are {}", LINT_CODES.join(", "))),
            }
        }
    }
    t.finish(
        "`[policy]`",
        &[
            "name",
            "version",
            "calendar",
            "description",
            "allow",
            "locale",
            "fields",
            "statuses",
        ],
        sink,
    );
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn read_calendars(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(entries) = node.as_table() else {
        sink.error(
            "wrong-type",
            &node.span,
            "`calendars` must be a table of named calendars",
        )
        .hint("write each calendar as [calendars.NAME]");
        return;
    };
    for (key, cal) in entries {
        let Some(mut t) = Table::new(cal, &format!("calendar `{}`", key.name), sink) else {
            continue;
        };
        check_id(&key.name, &key.span, sink);
        let what = format!("calendar `{}`", key.name);
        let timezone = match t.string("timezone", sink) {
            Some((tz, span)) => match tz.parse::<chrono_tz::Tz>() {
                Ok(tz) => Some(tz),
                Err(_) => {
                    let report =
                        sink.error("unknown-name", span, format!("unknown time zone `{tz}`"));
                    let names = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name());
                    match crate::source::reader::did_you_mean(tz, names) {
                        Some(s) => {
                            report.hint(format!("did you mean `{s}`? Time zones are IANA names"))
                        }
                        None => report
                            .hint("use an IANA name such as `Asia/Shanghai` or `Europe/Berlin`"),
                    }
                    None
                }
            },
            None => {
                if t.get("timezone").is_none() {
                    sink.error("missing", t.span(), format!("{what} needs a `timezone`"))
                        .hint(r#"e.g. timezone = "Asia/Shanghai""#);
                }
                None
            }
        };
        let always_open = t.boolean("always_open", sink).unwrap_or(false);
        let mut week: [Vec<Window>; 7] = Default::default();
        if let Some(w) = t.get("week") {
            if let Some(mut wt) = Table::new(w, "`week`", sink) {
                for (slot, day) in week.iter_mut().zip(DAYS) {
                    if let Some(list) = wt.strings(day, sink) {
                        *slot = windows(&list, sink);
                    }
                }
                wt.finish("`week`", &DAYS, sink);
            }
        } else if !always_open {
            sink.error("missing", t.span(), format!("{what} has no opening hours"))
                .hint(r#"add week = { mon = ["09:00-18:00"], … } or always_open = true"#);
        }
        let holidays = t
            .get("holidays")
            .map(|n| dates(n, "holidays", sink))
            .unwrap_or_default();
        let workdays = t
            .get("workdays")
            .map(|n| dates(n, "workdays", sink))
            .unwrap_or_default();
        let workday_hours = t
            .strings("workday_hours", sink)
            .map(|list| windows(&list, sink));
        for (date, span) in &workdays {
            if holidays.iter().any(|(h, _)| h == date) {
                sink.error("duplicate", span, format!("{date} is listed both as a holiday and as a workday"))
                    .hint("a date is either closed all day or a make-up working day; remove it from one list");
            }
        }
        let _ = t.string("label", sink);
        t.finish(
            &what,
            &[
                "timezone",
                "week",
                "holidays",
                "workdays",
                "workday_hours",
                "always_open",
                "label",
            ],
            sink,
        );
        // A calendar whose time zone is bad or missing has been reported above; it is still
        // defined, so that references to it are not reported as unknown as well. The model is
        // not compiled when there were errors, so the placeholder zone is never used.
        model.calendars.push(CalendarDef {
            name: reference(&key.name, &key.span),
            spec: CalendarSpec {
                timezone: timezone.unwrap_or(chrono_tz::UTC),
                week,
                holidays: holidays.into_iter().map(|(d, _)| d).collect(),
                workdays: workdays.into_iter().map(|(d, _)| d).collect(),
                workday_hours,
                always_open,
            },
        });
    }
}

/// Parses windows, reporting bad ones and overlaps within the list.
fn windows(list: &[(&str, &Span)], sink: &mut Sink) -> Vec<Window> {
    let mut out: Vec<(Window, &str, &Span)> = Vec::with_capacity(list.len());
    for (text, span) in list {
        match Window::parse(text) {
            Ok(w) => {
                if let Some((_, other, _)) = out
                    .iter()
                    .find(|(o, _, _)| o.start < w.end && w.start < o.end)
                {
                    sink.error(
                        "overlap",
                        span,
                        format!("windows `{other}` and `{text}` overlap"),
                    )
                    .hint("windows of one day must not overlap; merge them into one");
                } else {
                    out.push((w, text, span));
                }
            }
            Err(e) => {
                sink.error("bad-value", span, e.to_string())
                    .hint(r#"e.g. "09:00-12:00"; a window may end at "24:00""#);
            }
        }
    }
    out.into_iter().map(|(w, _, _)| w).collect()
}

fn dates(node: &Node, key: &str, sink: &mut Sink) -> Vec<(NaiveDate, Span)> {
    let Some(items) = node.as_array() else {
        sink.error(
            "wrong-type",
            &node.span,
            format!("`{key}` must be an array of dates"),
        )
        .hint(r#"e.g. ["2025-10-01", "2025-10-02"]"#);
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let text = match &item.value {
            Value::String(s) | Value::Datetime(s) => s.as_str(),
            other => {
                sink.error(
                    "wrong-type",
                    &item.span,
                    format!("expected a date, found {}", other.type_name()),
                );
                continue;
            }
        };
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => out.push((d, item.span.clone())),
            Err(_) => {
                sink.error("wrong-type", &item.span, format!("`{text}` is not a date"))
                    .hint("write dates as YYYY-MM-DD");
            }
        }
    }
    out
}

fn when(t: &mut Table<'_>, stage: Stage, sink: &mut Sink) -> Option<Condition> {
    let node = t.get("when")?;
    condition::parse(node, stage, sink)
}

/// `[limits]`: the ticket limits, each a positive integer within [`Limits::CEILING`].
fn read_limits(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "`[limits]`", sink) else {
        return;
    };
    for key in Limits::POLICY_KEYS {
        let Some((n, span)) = t.integer(key, sink) else {
            continue;
        };
        let ceiling = Limits::CEILING.get(key).unwrap_or(0);
        match usize::try_from(n) {
            Ok(v) if v > 0 && v <= ceiling => model.limits.push((key, v)),
            _ => {
                sink.error(
                    "bad-value",
                    span,
                    format!("`{key}` is {n}; it must be between 1 and {ceiling}"),
                )
                .hint(format!(
                    "{ceiling} is the library's hard ceiling for `{key}`"
                ));
            }
        }
    }
    t.finish("`[limits]`", &Limits::POLICY_KEYS, sink);
}

fn id(t: &mut Table<'_>, what: &str, sink: &mut Sink) -> Option<Ref> {
    let (id, span) = t.required_string("id", what, sink)?;
    check_id(id, span, sink).then(|| reference(id, span))
}

fn read_category(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "a category", sink) else {
        return;
    };
    let id = id(&mut t, "a category", sink);
    if let (Some(id), Some((label, _))) = (&id, t.string("label", sink)) {
        model
            .labels
            .categories
            .push((id.name.clone(), label.to_string()));
    }
    let default = t.boolean("default", sink);
    // A `default` that is not a boolean has been reported; the author meant one, so neither
    // "needs `when`" nor "no default category" is reported on top of it.
    let meant_default = default.is_none() && t.get("default").is_some();
    model.unreadable_default.categories |= meant_default;
    let default = default.unwrap_or(false);
    let cond = when(&mut t, Stage::Category, sink);
    if t.get("when").is_none() && !default && !meant_default {
        sink.error(
            "missing",
            t.span(),
            "a category needs `when` or `default = true`",
        )
        .hint("without a condition the category could never be chosen");
    }
    t.finish("a category", &["id", "label", "when", "default"], sink);
    if let Some(id) = id {
        model.categories.push(CategoryDef {
            id,
            when: cond,
            default,
        });
    }
}

fn read_priorities(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "`[priorities]`", sink) else {
        return;
    };
    match t.strings("order", sink) {
        Some(list) if !list.is_empty() => {
            for (name, span) in list {
                if model.priorities.iter().any(|p| p.name == name) {
                    sink.error(
                        "duplicate",
                        span,
                        format!("priority `{name}` is listed twice"),
                    );
                } else if check_id(name, span, sink) {
                    model.priorities.push(reference(name, span));
                }
            }
        }
        Some(_) => {
            sink.error("missing", t.span(), "`order` lists no priorities");
        }
        None => {
            if t.get("order").is_none() {
                sink.error(
                    "missing",
                    t.span(),
                    "`[priorities]` needs `order`, most urgent first",
                )
                .hint(r#"order = ["urgent", "high", "medium", "low"]"#);
            }
        }
    }
    match t.string("default", sink) {
        Some((name, span)) => model.default_priority = Some(reference(name, span)),
        None => {
            if t.get("default").is_none() {
                sink.error("missing", t.span(), "no default priority")
                    .hint(r#"add default = "medium" (one of `order`)"#);
            }
        }
    }
    if let Some(node) = t.get("labels") {
        match node.as_table() {
            Some(entries) => {
                for (key, value) in entries {
                    match value.as_str() {
                        Some(label) => model
                            .labels
                            .priorities
                            .push((key.name.clone(), label.to_string())),
                        None => {
                            sink.error(
                                "wrong-type",
                                &value.span,
                                format!("the label of priority `{}` must be a string", key.name),
                            );
                        }
                    }
                }
            }
            None => {
                sink.error(
                    "wrong-type",
                    &node.span,
                    "`labels` must be a table of priority = \"label\"",
                )
                .hint(r#"labels = { urgent = "紧急", high = "高" }"#);
            }
        }
    }
    t.finish("`[priorities]`", &["order", "default", "labels"], sink);
}

fn read_priority_rule(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "a priority rule", sink) else {
        return;
    };
    let id = id(&mut t, "a priority rule", sink);
    let priority = t.required_string("priority", "a priority rule", sink);
    let cond = when(&mut t, Stage::Priority, sink);
    if t.get("when").is_none() {
        sink.error("missing", t.span(), "a priority rule needs `when`")
            .hint("use `[priorities] default` for tickets no rule matches");
    }
    t.finish(
        "a priority rule",
        &["id", "priority", "when", "label"],
        sink,
    );
    if let (Some(id), Some((p, span))) = (id, priority) {
        model.priority_rules.push(PriorityRule {
            id,
            priority: reference(p, span),
            when: cond,
        });
    }
}

fn read_route(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "a route", sink) else {
        return;
    };
    let id = id(&mut t, "a route", sink);
    let default = t.boolean("default", sink);
    let meant_default = default.is_none() && t.get("default").is_some();
    model.unreadable_default.routes |= meant_default;
    let default = default.unwrap_or(false);
    let department = t.required_string("department", "a route", sink);
    let team = t.string("team", sink).map(|(s, _)| s.to_string());
    let assignee = t.string("assignee", sink).map(|(s, _)| s.to_string());
    let calendar = t
        .string("calendar", sink)
        .map(|(s, span)| reference(s, span));
    let cond = when(&mut t, Stage::Route, sink);
    if t.get("when").is_none() && !default && !meant_default {
        sink.error(
            "missing",
            t.span(),
            "a route needs `when` or `default = true`",
        );
    }
    t.finish(
        "a route",
        &[
            "id",
            "when",
            "default",
            "department",
            "team",
            "assignee",
            "calendar",
            "label",
        ],
        sink,
    );
    if let (Some(id), Some((d, span))) = (id, department) {
        model.routes.push(RouteDef {
            id,
            when: cond,
            default,
            department: reference(d, span),
            team,
            assignee,
            calendar,
        });
    }
}

fn read_departments(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(entries) = node.as_table() else {
        sink.error(
            "wrong-type",
            &node.span,
            "`departments` must be a table of named departments",
        )
        .hint("write each as [departments.NAME]");
        return;
    };
    for (key, dept) in entries {
        let what = format!("department `{}`", key.name);
        let Some(mut t) = Table::new(dept, &what, sink) else {
            continue;
        };
        check_id(&key.name, &key.span, sink);
        if let Some((label, _)) = t.string("label", sink) {
            model
                .labels
                .departments
                .push((key.name.clone(), label.to_string()));
        }
        let supervisor = t.string("supervisor", sink).map(|(s, _)| s.to_string());
        t.finish(&what, &["label", "supervisor"], sink);
        model.departments.push(DepartmentDef {
            id: reference(&key.name, &key.span),
            supervisor,
        });
    }
}

fn duration(t: &mut Table<'_>, key: &str, sink: &mut Sink) -> Option<DurationDef> {
    let (text, span) = t.string(key, sink)?;
    parse_duration(text, span, sink)
}

fn parse_duration(text: &str, span: &Span, sink: &mut Sink) -> Option<DurationDef> {
    match text.parse::<BusinessDuration>() {
        Ok(d) => Some(DurationDef {
            duration: d,
            text: text.to_string(),
            span: span.clone(),
        }),
        Err(e) => {
            sink.error("bad-value", span, e.to_string())
                .hint("units: s, m, h for business time, bd for business days; `@name` counts on another calendar");
            None
        }
    }
}

fn on_reopen(text: &str, span: &Span, sink: &mut Sink) -> Option<OnReopen> {
    match text {
        "restart" => Some(OnReopen::Restart),
        "continue" => Some(OnReopen::Continue),
        _ => {
            sink.error(
                "unknown-name",
                span,
                format!("unknown `on_reopen` value `{text}`"),
            )
            .hint(r#"use "restart" (a new cycle with the full target) or "continue""#);
            None
        }
    }
}

fn read_sla(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "`[sla]`", sink) else {
        return;
    };
    model.sla.span = Some(node.span.clone());
    model.sla.calendar = t
        .string("calendar", sink)
        .map(|(s, span)| reference(s, span));
    let pauses = t.strings("pause_statuses", sink).unwrap_or_default();
    model.sla.pause_status_spans = pauses.iter().map(|(_, span)| (*span).clone()).collect();
    model.sla.pause_statuses = pauses.into_iter().map(|(s, _)| s.to_string()).collect();
    if let Some((text, span)) = t.string("on_reopen", sink) {
        if let Some(r) = on_reopen(text, span, sink) {
            model.sla.on_reopen = r;
        }
    }
    if let Some((text, span)) = t.string("on_priority_change", sink) {
        match text {
            "from_creation" => model.sla.on_priority_change = OnPriorityChange::FromCreation,
            "from_change" => model.sla.on_priority_change = OnPriorityChange::FromChange,
            _ => {
                sink.error(
                    "unknown-name",
                    span,
                    format!("unknown `on_priority_change` value `{text}`"),
                )
                    .hint(r#"use "from_creation" (the new target counts from the clock's start) or "from_change""#);
            }
        }
    }
    if let Some(targets) = t.get("targets") {
        match targets.as_table() {
            Some(entries) => {
                for (key, value) in entries {
                    let what = format!("targets for `{}`", key.name);
                    let Some(mut tt) = Table::new(value, &what, sink) else {
                        continue;
                    };
                    if ["first_response", "resolution", "next_response"]
                        .iter()
                        .all(|k| tt.key_span(k).is_none())
                    {
                        sink.error(
                            "missing",
                            &key.span,
                            format!("priority `{}` has an empty target table", key.name),
                        )
                        .hint(r#"set first_response and resolution, e.g. first_response = "4h""#);
                    }
                    let first_response = duration(&mut tt, "first_response", sink);
                    let resolution = duration(&mut tt, "resolution", sink);
                    let next_response = duration(&mut tt, "next_response", sink);
                    let reopen = tt
                        .string("on_reopen", sink)
                        .and_then(|(s, span)| on_reopen(s, span, sink));
                    tt.finish(
                        &what,
                        &["first_response", "resolution", "next_response", "on_reopen"],
                        sink,
                    );
                    model.sla.targets.push(TargetsDef {
                        priority: reference(&key.name, &key.span),
                        first_response,
                        resolution,
                        next_response,
                        on_reopen: reopen,
                    });
                }
            }
            None => {
                sink.error(
                    "wrong-type",
                    &targets.span,
                    "`sla.targets` must be a table of priorities",
                )
                .hint("write [sla.targets.urgent] first_response = \"2h\" resolution = \"24h\"");
            }
        }
    }
    t.finish(
        "`[sla]`",
        &[
            "calendar",
            "pause_statuses",
            "on_reopen",
            "on_priority_change",
            "targets",
        ],
        sink,
    );
}

fn read_escalation(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "an escalation", sink) else {
        return;
    };
    let _ = t.string("id", sink);
    let metric =
        t.required_string("metric", "an escalation", sink)
            .and_then(|(m, span)| {
                let metric = Metric::parse(m);
                if metric.is_none() {
                    let report = sink.error("unknown-name", span, format!("unknown metric `{m}`"));
                    match crate::source::reader::did_you_mean(m, Metric::NAMES) {
                        Some(s) => report.hint(format!("did you mean `{s}`?")),
                        None => report
                            .hint("metrics: first_response, resolution, next_response, follow_up"),
                    }
                }
                metric
            });
    let at = t.required_string("at", "an escalation", sink).and_then(|(text, span)| {
        let parsed = parse_step(text, span, sink);
        if matches!(parsed, Err(false)) {
            sink.error("bad-value", span, format!("bad escalation step `{text}`"))
                .hint(r#"a share of the target, optionally plus a duration: "80%", "100%", "100%+4h""#);
        }
        parsed.ok().map(|(p, o)| (p, o, text.to_string(), span.clone()))
    });
    let notify = match t.strings("notify", sink) {
        Some(list) if !list.is_empty() => list.into_iter().map(|(s, _)| s.to_string()).collect(),
        Some(_) => {
            sink.error("missing", t.span(), "`notify` names nobody")
                .hint(r#"e.g. notify = ["assignee", "supervisor"]"#);
            Vec::new()
        }
        None => {
            if t.get("notify").is_none() {
                sink.error("missing", t.span(), "an escalation needs `notify`")
                    .hint(r#"e.g. notify = ["assignee", "supervisor"]"#);
            }
            Vec::new()
        }
    };
    let cond = when(&mut t, Stage::Route, sink);
    t.finish(
        "an escalation",
        &["id", "metric", "at", "notify", "when"],
        sink,
    );
    if let (Some(metric), Some((permille, offset, at_text, at_span))) = (metric, at) {
        model.escalations.push(EscalationDef {
            metric,
            permille,
            offset,
            at_text,
            notify,
            when: cond,
            span: node.span.clone(),
            at_span,
        });
    }
}

/// `"80%"`, `"100%+4h"` → (per mille, offset). `None` without a diagnostic means a bad form.
/// A step such as `80%` or `100%+4h`. `Err(true)` when the duration after `+` was bad and has
/// been reported already (one mistake, one error); `Err(false)` when the step itself is bad.
fn parse_step(
    text: &str,
    span: &Span,
    sink: &mut Sink,
) -> Result<(u32, Option<DurationDef>), bool> {
    let text = text.trim();
    let (share, rest) = text.split_once('%').ok_or(false)?;
    let share: f64 = share.trim().parse().map_err(|_| false)?;
    if !(0.0..=1000.0).contains(&share) {
        return Err(false);
    }
    let permille = (share * 10.0).round() as u32;
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok((permille, None));
    }
    let offset = rest.strip_prefix('+').ok_or(false)?.trim();
    match parse_duration(offset, span, sink) {
        Some(d) => Ok((permille, Some(d))),
        None => Err(true),
    }
}

fn read_follow_up(node: &Node, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "`[follow_up]`", sink) else {
        return;
    };
    let within = duration(&mut t, "within", sink);
    if t.key_span("within").is_none() {
        sink.error("missing", t.span(), "`[follow_up]` needs `within`")
            .hint(r#"e.g. within = "24h" (after resolution)"#);
    }
    let threshold = match t.integer("unsatisfied_at_or_below", sink) {
        Some((n, _)) if (0..=5).contains(&n) => n as u8,
        Some((n, span)) => {
            sink.error(
                "bad-value",
                span,
                format!("`unsatisfied_at_or_below` is {n}, outside the 1–5 score scale"),
            )
            .hint(
                "scores run from 1 (very unsatisfied) to 5 (very satisfied); 0 disables reopening",
            );
            2
        }
        None => 2,
    };
    t.finish(
        "`[follow_up]`",
        &["within", "unsatisfied_at_or_below"],
        sink,
    );
    if let Some(within) = within {
        model.follow_up = Some(FollowUpDef {
            within,
            unsatisfied_at_or_below: threshold,
        });
    }
}

const MODEL_KEYS: [&str; 1] = ["path"];

/// `[models.NAME] path = "…"`: each model file is read and checked once, here, at load.
fn read_models(node: &Node, base: Option<&Path>, model: &mut Model, sink: &mut Sink) {
    let Value::Table(entries) = &node.value else {
        sink.error(
            "wrong-type",
            &node.span,
            format!("`models` must be a table, found {}", node.value.type_name()),
        )
        .hint(r#"e.g. [models.sentiment] path = "models/sentiment.model""#);
        return;
    };
    for (key, value) in entries {
        let name = key.name.as_str();
        if !check_id(name, &key.span, sink) {
            continue;
        }
        let what = format!("`[models.{name}]`");
        let Some(mut t) = Table::new(value, &what, sink) else {
            continue;
        };
        let path = t.required_string("path", &what, sink);
        t.finish(&what, &MODEL_KEYS, sink);
        let Some((rel, span)) = path else {
            continue;
        };
        let Some(base) = base else {
            sink.error("bad-value", span, "models need a policy loaded from a file")
                .hint("model paths are relative to the policy file");
            continue;
        };
        let file = base.join(rel);
        // Recorded even when it fails, so that `watch` reloads once the file is fixed.
        sink.files.push(file.clone());
        match load_model(base, rel, sink) {
            Ok(m) => model.models.push(ModelDef {
                name: reference(name, &key.span),
                model: std::sync::Arc::new(m),
            }),
            Err((message, hint)) => {
                sink.error("model", span, format!("model `{name}`: {message}"))
                    .hint(hint);
                model.unloaded_models.push(name.to_string());
            }
        }
    }
}

/// Reads a model file that must lie inside the policy's root once symbolic links are
/// resolved, so a policy cannot make the loader read files elsewhere.
fn load_model(
    base: &Path,
    rel: &str,
    sink: &mut Sink,
) -> Result<crate::text::Model, (String, String)> {
    use crate::source::files::{self, ReadError};
    use crate::text::ModelError;
    // Messages name the path as written, never where the policy happens to live.
    let shown = rel.to_string();
    let typed = |e: ModelError| (e.to_string(), e.hint().to_string());
    let read = sink
        .root
        .as_deref()
        .ok_or(ReadError::Outside)
        .and_then(|root| files::resolve(root, base, rel))
        .and_then(|real| {
            let cap = usize::try_from(crate::text::MAX_MODEL_BYTES).unwrap_or(usize::MAX);
            files::read_stable(&real, cap).map(|(bytes, f)| (real, bytes, f))
        });
    match read {
        Ok((real, bytes, fingerprint)) => {
            sink.read.push((real, fingerprint));
            crate::text::Model::from_bytes(&bytes).map_err(typed)
        }
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(typed(ModelError::Missing { path: shown }))
        }
        Err(ReadError::NotAFile) => Err(typed(ModelError::NotAFile { path: shown })),
        Err(ReadError::TooLarge) => Err(typed(ModelError::TooLarge {
            size: std::fs::metadata(base.join(rel)).map_or(0, |m| m.len()),
            limit: crate::text::MAX_MODEL_BYTES,
        })),
        Err(ReadError::Io(e)) => Err(typed(ModelError::Unreadable {
            path: shown,
            message: e.to_string(),
        })),
        Err(e @ (ReadError::Outside | ReadError::Absolute)) => Err((
            format!("`{shown}` cannot be read: {e}"),
            e.hint().to_string(),
        )),
        Err(e) => Err((
            format!("`{shown}` cannot be read: {e}"),
            e.hint().to_string(),
        )),
    }
}

const SCRIPT_KEYS: [&str; 11] = [
    "path",
    "on_script_error",
    "max_operations",
    "max_call_depth",
    "max_expr_depth",
    "max_string_size",
    "max_array_size",
    "max_map_size",
    "max_time_ms",
    "expose",
    "label",
];

fn read_scripts(node: &Node, base: Option<&Path>, model: &mut Model, sink: &mut Sink) {
    let Some(mut t) = Table::new(node, "`[scripts]`", sink) else {
        return;
    };
    let path = t.required_string("path", "`[scripts]`", sink);
    let on_error = match t.string("on_script_error", sink) {
        Some(("fail", _)) | None => OnScriptError::Fail,
        Some(("fallback", _)) => OnScriptError::Fallback,
        Some((other, span)) => {
            sink.error("unknown-name", span, format!("unknown `on_script_error` value `{other}`"))
                .hint(r#"use "fail" (the ticket gets an error) or "fallback" (keep the declarative result)"#);
            OnScriptError::Fail
        }
    };
    let mut limits = ScriptLimits::default();
    let limit = |t: &mut Table<'_>, key: &str, slot: &mut u64, sink: &mut Sink| {
        if let Some((n, span)) = t.integer(key, sink) {
            // Calls and expressions nest on the native stack (expressions while parsing, too).
            let most = match key {
                "max_call_depth" | "max_expr_depth" => Some(256),
                _ => None,
            };
            if n <= 0 {
                sink.error("limit", span, format!("`{key}` must be positive"));
            } else if let Some(most) = most.filter(|m| n > *m) {
                sink.error("limit", span, format!("`{key}` is at most {most}"))
                    .hint("deeper nesting would need more stack than a thread has");
            } else {
                *slot = n as u64;
            }
        }
    };
    let mut ops = limits.max_operations;
    limit(&mut t, "max_operations", &mut ops, sink);
    limits.max_operations = ops;
    let mut fuse = limits.max_time_ms;
    limit(&mut t, "max_time_ms", &mut fuse, sink);
    limits.max_time_ms = fuse;
    for (key, slot) in [
        ("max_call_depth", &mut limits.max_call_depth),
        ("max_expr_depth", &mut limits.max_expr_depth),
        ("max_string_size", &mut limits.max_string_size),
        ("max_array_size", &mut limits.max_array_size),
        ("max_map_size", &mut limits.max_map_size),
    ] {
        let mut v = *slot as u64;
        limit(&mut t, key, &mut v, sink);
        *slot = usize::try_from(v).unwrap_or(usize::MAX);
    }
    let expose = t
        .strings("expose", sink)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(s, span)| {
            if PERSONAL_FIELDS.contains(&s) {
                Some(s.to_string())
            } else {
                sink.error(
                    "personal-data",
                    span,
                    format!("`{s}` is not a personal field"),
                )
                .hint(format!(
                    "`expose` opts scripts into personal fields: {}",
                    PERSONAL_FIELDS.join(", ")
                ));
                None
            }
        })
        .collect();
    t.finish("`[scripts]`", &SCRIPT_KEYS, sink);
    let Some((rel, span)) = path else {
        return;
    };
    let Some(base) = base else {
        sink.error(
            "bad-value",
            span,
            "scripts need a policy loaded from a file",
        )
        .hint("script paths are relative to the policy file");
        return;
    };
    sink.files.push(base.join(rel));
    // Confined to the root, a regular file within the policy size limit: `path =
    // "/dev/zero"` read forever.
    let cap = sink.max_file_bytes;
    let read = match sink.root.clone() {
        Some(root) => crate::source::files::resolve(&root, base, rel).and_then(|real| {
            let (text, fingerprint) = crate::source::files::read_stable_text(&real, cap)?;
            sink.read.push((real, fingerprint));
            Ok(text)
        }),
        None => Err(crate::source::files::ReadError::Outside),
    };
    match read {
        Ok(source) => {
            model.scripts = Some(ScriptsDef {
                path: reference(rel, span),
                base: base.to_path_buf(),
                source,
                on_error,
                limits,
                expose,
            })
        }
        Err(e) => {
            sink.error("io", span, format!("cannot read script `{rel}`: {e}"))
                .hint(e.hint());
        }
    }
}
