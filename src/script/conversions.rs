//! Conversions between Rust and Rhai values: ids and instants as Rhai strings, and hook
//! results read back into routes and SLA targets.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rhai::{Dynamic, ImmutableString, Map};

use super::session::{Failure, Session};
use super::view;
use crate::business_time::BusinessDuration;
use crate::check::OnReopen;
use crate::compile::{RouteTarget, Target, Targets};

pub(super) fn text(s: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(s))
}

pub(super) fn opt_text(s: Option<&str>) -> Dynamic {
    s.map_or(Dynamic::UNIT, text)
}

thread_local! {
    /// The last `now` written for a ticket map on this thread: a batch evaluates every ticket
    /// at the same instant, so it is written once per thread rather than once per ticket.
    static NOW_TEXT: std::cell::RefCell<Option<(DateTime<Utc>, Tz, Dynamic)>> =
        const { std::cell::RefCell::new(None) };
}

/// `now` as an RFC 3339 Rhai string in `zone`.
pub(super) fn now_text(now: DateTime<Utc>, zone: Tz) -> Dynamic {
    NOW_TEXT
        .try_with(|cell| {
            let mut last = cell.try_borrow_mut().ok()?;
            match &*last {
                Some((at, z, text)) if *at == now && *z == zone => Some(text.clone()),
                _ => {
                    let text = view::instant(&now.with_timezone(&zone));
                    *last = Some((now, zone, text.clone()));
                    Some(text)
                }
            }
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| view::instant(&now.with_timezone(&zone)))
}

impl Session<'_> {
    pub(super) fn route_from(&self, v: Dynamic) -> Result<Option<RouteTarget>, Failure> {
        let inner = self.inner;
        let department = |name: &str| -> Result<usize, Failure> {
            inner
                .departments
                .iter()
                .position(|d| &*d.id == name)
                .ok_or_else(|| {
                    self.unknown(
                        "route",
                        "department",
                        name,
                        inner.departments.iter().map(|d| &*d.id),
                    )
                })
        };
        if v.is_unit() {
            return Ok(None);
        }
        if let Some(id) = v.read_lock::<ImmutableString>() {
            return Ok(Some(RouteTarget {
                department: department(&id)?,
                team: None,
                assignee: None,
                calendar: None,
            }));
        }
        let Some(map) = v.read_lock::<Map>() else {
            return Err(self.bad_value(
                "route",
                format!(
                    "returned {} where #{{department, team}}, a department id or () was expected",
                    v.type_name()
                ),
                None,
            ));
        };
        let mut target = RouteTarget {
            department: usize::MAX,
            team: None,
            assignee: None,
            calendar: None,
        };
        for (key, value) in map.iter() {
            let field = |what: &str| -> Result<Option<ImmutableString>, Failure> {
                if value.is_unit() {
                    return Ok(None);
                }
                match value.read_lock::<ImmutableString>() {
                    Some(s) => Ok(Some(s.clone())),
                    None => Err(self.bad_value(
                        "route",
                        format!(
                            "returned {} for `{what}` where a string was expected",
                            value.type_name()
                        ),
                        None,
                    )),
                }
            };
            match key.as_str() {
                "department" => {
                    if let Some(d) = field("department")? {
                        target.department = department(&d)?;
                    }
                }
                "team" => {
                    target.team = match field("team")? {
                        Some(s) => Some(self.declared("route", "team", &s, &self.scripts.teams)?),
                        None => None,
                    }
                }
                "assignee" => {
                    target.assignee = match field("assignee")? {
                        Some(s) => {
                            Some(self.declared("route", "assignee", &s, &self.scripts.assignees)?)
                        }
                        None => None,
                    }
                }
                "calendar" => {
                    if let Some(c) = field("calendar")? {
                        let i = inner
                            .calendars
                            .iter()
                            .position(|(n, _)| **n == *c.as_str())
                            .ok_or_else(|| {
                                self.unknown(
                                    "route",
                                    "calendar",
                                    &c,
                                    inner.calendars.iter().map(|(n, _)| &**n),
                                )
                            })?;
                        target.calendar = Some(i);
                    }
                }
                other => {
                    let key = self.shown(other).map_or_else(
                        || format!(" ({})", super::session::WITHHELD),
                        |k| format!(" `{k}`"),
                    );
                    return Err(self.bad_value(
                        "route",
                        format!("returned unknown key{key} (keys: department, team, assignee, calendar)"),
                        None,
                    ));
                }
            }
        }
        if target.department == usize::MAX {
            return Err(self.bad_value(
                "route",
                "returned a route without `department`".into(),
                None,
            ));
        }
        Ok(Some(target))
    }

    pub(super) fn targets_from(
        &self,
        v: Dynamic,
        current: Option<&Targets>,
    ) -> Result<Option<(Targets, Vec<String>)>, Failure> {
        if v.is_unit() {
            return Ok(None);
        }
        let Some(map) = v.read_lock::<Map>() else {
            return Err(self.bad_value(
                "targets",
                format!("returned {} where a map such as #{{first_response: \"1h\"}} or () was expected", v.type_name()),
                None,
            ));
        };
        let mut out = Targets {
            first_response: current.and_then(|c| c.first_response.clone()),
            resolution: current.and_then(|c| c.resolution.clone()),
            next_response: current.and_then(|c| c.next_response.clone()),
            on_reopen: current.map_or(OnReopen::default(), |c| c.on_reopen),
        };
        let mut changes = Vec::new();
        for (key, value) in map.iter() {
            let slot = match key.as_str() {
                "first_response" => &mut out.first_response,
                "resolution" => &mut out.resolution,
                "next_response" => &mut out.next_response,
                "on_reopen" => {
                    let r = match value
                        .read_lock::<ImmutableString>()
                        .as_deref()
                        .map(|s| s.as_str())
                    {
                        Some("restart") => OnReopen::Restart,
                        Some("continue") => OnReopen::Continue,
                        _ => {
                            let shown = value.to_string();
                            let shown = self.shown(&shown).map_or_else(
                                || format!(" ({})", super::session::WITHHELD),
                                |v| format!(" = {v}"),
                            );
                            return Err(self.bad_value(
                                "targets",
                                format!("returned on_reopen{shown}; expected \"restart\" or \"continue\""),
                                None,
                            ));
                        }
                    };
                    if r != out.on_reopen {
                        changes.push(format!(
                            "on_reopen {}",
                            if r == OnReopen::Restart {
                                "restart"
                            } else {
                                "continue"
                            }
                        ));
                    }
                    out.on_reopen = r;
                    continue;
                }
                other => {
                    let key = self.shown(other).map_or_else(
                        || format!(" ({})", super::session::WITHHELD),
                        |k| format!(" `{k}`"),
                    );
                    return Err(self.bad_value(
                        "targets",
                        format!("returned unknown key{key} (keys: first_response, resolution, next_response, on_reopen)"),
                        None,
                    ));
                }
            };
            let before = slot
                .as_ref()
                .map_or("none".to_string(), |t| t.text.to_string());
            *slot = if value.is_unit() {
                None
            } else {
                Some(self.target_from(key, value)?)
            };
            let after = slot
                .as_ref()
                .map_or("none".to_string(), |t| t.text.to_string());
            if before != after {
                changes.push(format!("{key} {before} → {after}"));
            }
        }
        Ok(Some((out, changes)))
    }

    pub(super) fn target_from(&self, key: &str, value: &Dynamic) -> Result<Target, Failure> {
        let Some(s) = value.read_lock::<ImmutableString>() else {
            return Err(self.bad_value(
                "targets",
                format!(
                    "returned {} for `{key}` where a duration such as \"4h\" was expected",
                    value.type_name()
                ),
                None,
            ));
        };
        let d: BusinessDuration = s.parse().map_err(|e: crate::business_time::TimeError| {
            let why = if self.scripts.guarded {
                super::session::WITHHELD.to_string()
            } else {
                e.to_string()
            };
            self.bad_value(
                "targets",
                format!("returned a bad `{key}`: {why}"),
                Some(&s),
            )
        })?;
        if self.scripts.guarded {
            return self.declared_target(key, &d);
        }
        let calendar = self.target_calendar(d.calendar.as_deref())?;
        Ok(Target {
            amount: d.amount,
            calendar,
            text: Arc::from(s.as_str()),
        })
    }
}

impl Session<'_> {
    /// The index of a target's calendar, if it names one the policy has.
    fn target_calendar(&self, name: Option<&str>) -> Result<Option<usize>, Failure> {
        let Some(name) = name else {
            return Ok(None);
        };
        let calendars = &self.inner.calendars;
        match calendars.iter().position(|(n, _)| &**n == name) {
            Some(i) => Ok(Some(i)),
            None => Err(self.unknown(
                "targets",
                "calendar",
                name,
                calendars.iter().map(|(n, _)| &**n),
            )),
        }
    }

    /// A duration from a script that sees personal fields: only one the policy writes in
    /// `[sla.targets]` (same amount and calendar), spelt as the policy spells it, so that no
    /// number made from a personal field reaches the decision.
    fn declared_target(&self, key: &str, d: &BusinessDuration) -> Result<Target, Failure> {
        let found = self.scripts.durations.iter().find(|(known, _)| known == d);
        let Some((known, text)) = found else {
            let mut list: Vec<&str> = self.scripts.durations.iter().map(|(_, t)| &**t).collect();
            list.dedup();
            return Err(self.bad_value(
                "targets",
                format!(
                    "returned a `{key}` the policy does not write ({}; such a script may only \
                     return a duration written in [sla.targets]: {})",
                    super::session::WITHHELD,
                    if list.is_empty() {
                        "none".to_string()
                    } else {
                        list.join(", ")
                    }
                ),
                None,
            ));
        };
        let calendar = self.target_calendar(known.calendar.as_deref())?;
        Ok(Target {
            amount: known.amount,
            calendar,
            text: text.clone(),
        })
    }
}

/// A small map, filled by insertion (cheaper than collecting for a handful of entries).
pub(super) fn map_of<const N: usize>(entries: [(&str, Dynamic); N]) -> Map {
    let mut m = Map::new();
    for (k, v) in entries {
        m.insert(k.into(), v);
    }
    m
}
