//! Input limits and extreme values: each limit gives a clear error naming it and its value;
//! far-future dates and huge durations give errors, never panics or wrapped-around instants.

use aftercare::{Limits, Policy, PolicyError, Ticket};

use crate::support::now;

const POLICY: &str = r#"
[policy]
name = "limits"
version = "1"
calendar = "office"

[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
         thu = ["09:00-18:00"], fri = ["09:00-18:00"] }

[[categories]]
id = "general"
default = true

[priorities]
order = ["normal"]
default = "normal"

[[routes]]
id = "all"
default = true
department = "desk"

[departments.desk]

[sla.targets.normal]
first_response = "4h"
resolution = "RESOLUTION"

[[escalations]]
metric = "resolution"
at = "100%+4h"
notify = ["supervisor"]

[follow_up]
within = "24h"
"#;

fn policy(resolution: &str) -> Result<Policy, PolicyError> {
    Policy::from_toml(&POLICY.replace("RESOLUTION", resolution))
}

#[test]
fn the_defaults_are_documented() {
    let d = Limits::default();
    assert_eq!(d.max_ticket_bytes, 256 * 1024);
    assert_eq!(d.max_events, 1_000);
    assert_eq!(d.max_text_bytes, 64 * 1024);
    assert_eq!(d.max_policy_bytes, 4 * 1024 * 1024);
    assert_eq!(d.max_rules, 10_000);
    assert_eq!(d.max_pattern_bytes, 4 * 1024 * 1024);
    assert_eq!(d.max_policy_pattern_bytes, 32 * 1024 * 1024);
    assert_eq!(d, Limits::DEFAULT);
}

#[test]
fn ticket_limits_name_the_limit_and_its_value() {
    let limits = Limits {
        max_ticket_bytes: 2_000,
        max_events: 3,
        max_text_bytes: 100,
        ..Limits::default()
    };
    let event = r#"{"at": "2025-10-09T10:00:00+08:00", "type": "reply"}"#;
    let ticket = |events: usize, text: usize, pad: usize| {
        format!(
            r#"{{"id": "L1", "created_at": "2025-10-09T09:00:00+08:00", "subject": "{}",
                "attributes": {{"pad": "{}"}}, "events": [{}]}}"#,
            "字".repeat(text / 3),
            "p".repeat(pad),
            vec![event; events].join(",")
        )
    };
    assert!(Ticket::from_json_with_limits(&ticket(3, 99, 0), &limits).is_ok());

    let e = Ticket::from_json_with_limits(&ticket(4, 0, 0), &limits).expect_err("too many events");
    assert_eq!(
        e.to_string(),
        "ticket L1: the ticket has 4 events; the limit is 3 (max_events)"
    );
    let e = Ticket::from_json_with_limits(&ticket(0, 102, 0), &limits).expect_err("too long");
    assert_eq!(
        e.to_string(),
        "ticket L1: `subject` is 102 bytes long; the limit is 100 bytes (max_text_bytes)"
    );
    let big = ticket(0, 0, 2_000);
    let e = Ticket::from_json_with_limits(&big, &limits).expect_err("too large");
    assert_eq!(
        e.to_string(),
        format!(
            "the ticket is {} bytes of JSON; the limit is 2000 bytes (max_ticket_bytes)",
            big.len()
        )
    );
    // The JSON error form names no ticket (the text was not read) and the limit.
    let json = serde_json::to_string(&e).expect("json");
    assert!(
        json.starts_with(r#"{"ticket":null,"error":"the ticket is "#),
        "{json}"
    );

    // `from_json` keeps the defaults.
    let e = Ticket::from_json(&ticket(1_001, 0, 0)).expect_err("over the default");
    assert!(e.message.contains("the limit is 1000 (max_events)"), "{e}");
    assert!(Ticket::from_json(&ticket(1_000, 0, 0)).is_ok());
}

#[test]
fn a_policy_carries_its_ticket_limits_into_evaluate_json() {
    let limits = Limits {
        max_events: 0,
        ..Limits::default()
    };
    let p = Policy::from_toml_with(&POLICY.replace("RESOLUTION", "3bd"), &limits).expect("loads");
    assert_eq!(p.limits(), &limits);
    let json = r#"{"id": "L2", "created_at": "2025-10-09T09:00:00+08:00",
                   "events": [{"at": "2025-10-09T10:00:00+08:00", "type": "reply"}]}"#;
    let e = p
        .evaluate_json(json, now())
        .expect_err("an event is too many");
    assert!(e.message.contains("(max_events)"), "{e}");
    let lines = p.evaluate_json_lines(&[json], now(), aftercare::EvalOptions::default());
    assert!(matches!(&lines[..], [Err(line)] if line.contains("(max_events)")));
}

#[test]
fn policy_size_counts_included_files() {
    let dir = std::env::temp_dir().join(format!("aftercare-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let main = POLICY.replace("RESOLUTION", "3bd").replace(
        "[calendars.office]\ntimezone = \"Asia/Shanghai\"\nweek = { mon = [\"09:00-18:00\"], tue = [\"09:00-18:00\"], wed = [\"09:00-18:00\"],\n         thu = [\"09:00-18:00\"], fri = [\"09:00-18:00\"] }\n",
        "",
    );
    let main = format!("include = [\"office.toml\"]\n{main}");
    let calendar = format!(
        "# {}\n[calendars.office]\ntimezone = \"Asia/Shanghai\"\nweek = {{ mon = [\"09:00-18:00\"] }}\n",
        "padding ".repeat(100)
    );
    std::fs::write(dir.join("main.toml"), &main).expect("write");
    std::fs::write(dir.join("office.toml"), &calendar).expect("write");
    let path = dir.join("main.toml");
    assert!(Policy::from_path(&path).is_ok());

    let exact = Limits {
        max_policy_bytes: main.len() + calendar.len(),
        ..Limits::default()
    };
    assert!(Policy::from_path_with(&path, &exact).is_ok());
    let tight = Limits {
        max_policy_bytes: main.len() + calendar.len() - 1,
        ..Limits::default()
    };
    let e = Policy::from_path_with(&path, &tight).expect_err("too large with the include");
    let text = e.to_string();
    assert_eq!(e.error_count(), 1, "{text}");
    assert!(
        text.contains(&format!(
            "the policy is larger than {} bytes (max_policy_bytes)",
            tight.max_policy_bytes
        )),
        "{text}"
    );
    // Reported at the include that went over the limit.
    assert!(
        text.starts_with(&format!("{}:1:", path.display())),
        "{text}"
    );

    let tiny = Limits {
        max_policy_bytes: 10,
        ..Limits::default()
    };
    let e = Policy::from_path_with(&path, &tiny).expect_err("the file alone is too large");
    assert!(e.to_string().contains("larger than 10 bytes"), "{e}");
    let e = Policy::from_toml_with(&main, &tiny).expect_err("text too large");
    assert!(
        e.to_string()
            .starts_with("<policy>:1:1: error: the policy is larger than 10 bytes"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rule_count_is_limited() {
    let mut text = POLICY.replace("RESOLUTION", "3bd");
    for i in 0..20 {
        text.push_str(&format!(
            "\n[[priority_rules]]\nid = \"r{i}\"\npriority = \"normal\"\nwhen = {{ kind = \"k{i}\" }}\n"
        ));
    }
    // 1 category + 20 priority rules + 1 route + 1 escalation.
    let at = Limits {
        max_rules: 23,
        ..Limits::default()
    };
    assert!(Policy::from_toml_with(&text, &at).is_ok());
    let below = Limits {
        max_rules: 22,
        ..Limits::default()
    };
    let e = Policy::from_toml_with(&text, &below).expect_err("too many rules");
    assert_eq!(e.error_count(), 1);
    assert!(
        e.to_string().contains(
            "the policy has 23 rules (categories, priority rules, routes and escalations together); the limit is 22 (max_rules)"
        ),
        "{e}"
    );
}

#[test]
fn a_ticket_created_in_year_9999_gets_an_error() {
    let p = policy("3bd").expect("loads");
    let json = r#"{"id": "Y9999", "created_at": "9999-12-31T10:00:00+08:00"}"#;
    let far: chrono::DateTime<chrono::Utc> = "9999-12-31T23:00:00Z".parse().expect("now");
    for now in [now(), far] {
        let e = p.evaluate_json(json, now).expect_err("no deadline exists");
        assert_eq!(e.ticket.as_deref(), Some("Y9999"));
        assert!(
            e.message.contains("outside the supported range of dates"),
            "{e}"
        );
    }
    // Events that far out are read, and fail the same way.
    let json = r#"{"id": "Y9999b", "created_at": "9999-12-30T10:00:00+08:00",
                   "events": [{"at": "9999-12-31T23:59:59+00:00", "type": "resolved"}]}"#;
    let e = p.evaluate_json(json, far).expect_err("no deadline exists");
    assert!(e.message.contains("outside the supported range"), "{e}");
    // Past the range of RFC 3339 with a four-digit year, parsing itself refuses.
    let e = Ticket::from_json(r#"{"id": "Y10k", "created_at": "+10000-01-01T00:00:00Z"}"#)
        .expect_err("not RFC 3339");
    assert!(e.message.contains("RFC 3339"), "{e}");
}

#[test]
fn a_ticket_created_before_1970_gets_an_error() {
    // Such instants used to be clamped: clocks started on 1970-01-01 and reports filed the
    // ticket under week `1-W01`.
    let p = policy("3bd").expect("loads");
    for created in [
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T07:59:59+08:00",
    ] {
        let json = format!(r#"{{"id": "OLD", "created_at": "{created}"}}"#);
        let e = p.evaluate_json(&json, now()).expect_err("before 1970");
        assert_eq!(e.ticket.as_deref(), Some("OLD"));
        assert_eq!(e.kind, aftercare::TicketErrorKind::Time, "{e}");
        assert!(e.message.contains("before 1970-01-01T00:00:00Z"), "{e}");
        assert!(
            e.message.contains("outside the supported range of dates"),
            "{e}"
        );
    }
    // The first second of 1970 is inside the range.
    let json = r#"{"id": "EPOCH", "created_at": "1970-01-01T00:00:00Z"}"#;
    assert!(Ticket::from_json(json).is_ok());
}

#[test]
fn a_zero_target_from_a_closed_instant_is_due_at_the_next_opening() {
    // Zero business time from a closed instant is the next opening, as `0bd` is: a ticket
    // opened on Saturday evening with a `0s` target used to be breached, overdue by 0s,
    // before its clock started, and a `0%` escalation fired at creation.
    let text = POLICY
        .replace("RESOLUTION", "0s")
        .replace(r#"at = "100%+4h""#, r#"at = "0%""#);
    let p = Policy::from_toml(&text).expect("loads");
    let json = r#"{"id": "Z1", "created_at": "2025-10-11T20:00:00+08:00"}"#;
    let saturday_night: chrono::DateTime<chrono::Utc> =
        "2025-10-11T22:00:00+08:00".parse().expect("now");
    let monday_nine: chrono::DateTime<chrono::Utc> =
        "2025-10-13T09:00:00+08:00".parse().expect("opening");
    let d = p.evaluate_json(json, saturday_night).expect("a decision");
    let clock = d.sla.resolution.as_ref().expect("a resolution clock");
    assert_eq!(clock.due.as_ref().map(|z| z.utc()), Some(monday_nine));
    assert_eq!(clock.status, aftercare::decision::ClockStatus::Running);
    assert!(clock.overdue_by.is_none());
    assert_eq!(d.escalations.len(), 1);
    assert_eq!(
        d.escalations[0].at.as_ref().map(|z| z.utc()),
        Some(monday_nine)
    );
    assert!(!d.escalations[0].fired);
    // Inside business hours zero is the start itself, and due at once.
    let json = r#"{"id": "Z2", "created_at": "2025-10-13T10:00:00+08:00"}"#;
    let d = p.evaluate_json(json, now()).expect("a decision");
    let clock = d.sla.resolution.as_ref().expect("a resolution clock");
    let ten: chrono::DateTime<chrono::Utc> = "2025-10-13T10:00:00+08:00".parse().expect("t");
    assert_eq!(clock.due.as_ref().map(|z| z.utc()), Some(ten));
    assert_eq!(clock.status, aftercare::decision::ClockStatus::Breached);
    assert!(d.escalations[0].fired);
}

#[test]
fn a_huge_duration_gets_an_error() {
    let p = policy("99999999999h").expect("a huge target is not a syntax error");
    let json = r#"{"id": "H1", "created_at": "2025-10-09T09:00:00+08:00"}"#;
    let e = p
        .evaluate_json(json, now())
        .expect_err("the deadline is past year 9999");
    assert_eq!(e.ticket.as_deref(), Some("H1"));
    assert!(
        e.message.contains("outside the supported range of dates"),
        "{e}"
    );

    // Beyond i64 seconds the duration does not parse at all.
    let e = policy("9999999999999999999h").expect_err("overflows");
    assert!(e.to_string().contains("bad duration"), "{e}");
    let e = policy("99999999999999999999bd").expect_err("overflows");
    assert!(e.to_string().contains("bad duration"), "{e}");
    let p = policy("4294967295bd").expect("the largest number of business days parses");
    let e = p.evaluate_json(json, now()).expect_err("past year 9999");
    assert!(e.message.contains("outside the supported range"), "{e}");
}

#[test]
fn many_diagnostics_on_a_large_policy_cost_linear_time() {
    // 40,000 departments no route uses: one warning each (and, with an unknown key in each,
    // one error each). Positions and snippets used to be found by scanning the file from the
    // start for every diagnostic: minutes for a policy well inside the size limit.
    let base = POLICY.replace("RESOLUTION", "3bd");
    let departments: String = (0..40_000)
        .map(|i| format!("[departments.d{i}]\n"))
        .collect();
    let start = std::time::Instant::now();
    let p = Policy::from_toml(&format!("{base}{departments}")).expect("loads");
    assert_eq!(p.warnings().len(), 40_000);
    let last = p.warnings().last().expect("a warning");
    assert_eq!(
        (last.line, last.column),
        (base.lines().count() + 40_000, 14)
    );

    let bad: String = (0..40_000)
        .map(|i| format!("[departments.d{i}]\nlable = \"x\"\n"))
        .collect();
    let e = Policy::from_toml(&format!("{base}{bad}")).expect_err("unknown keys");
    assert_eq!(e.error_count(), 40_000);
    assert!(e.to_string().lines().count() >= 80_000);
    assert!(e.render(false).contains("lable"));
    let elapsed = start.elapsed();
    assert!(elapsed.as_secs() < 60, "took {elapsed:?}");
}

/// A minimal policy with a `[limits]` table.
fn with_limits() -> String {
    crate::support::minimal_policy(
        "[policy]\nname = \"limits from the policy\"\n[limits]\nmax_events = 2\n",
    )
}

#[test]
fn a_policy_limits_table_sets_the_ticket_limits() {
    let policy = aftercare::Policy::from_toml(&with_limits()).expect("loads");
    assert_eq!(policy.limits().max_events, 2);
    assert_eq!(
        policy.limits().max_ticket_bytes,
        aftercare::Limits::DEFAULT.max_ticket_bytes
    );
    let line = r#"{"id": "T1", "created_at": "2025-10-13T09:00:00+08:00", "events": [
        {"at": "2025-10-13T09:10:00+08:00", "type": "note"},
        {"at": "2025-10-13T09:20:00+08:00", "type": "note"},
        {"at": "2025-10-13T09:30:00+08:00", "type": "note"}]}"#;
    let now = crate::support::at("2025-10-14T09:00:00+08:00");
    let e = policy
        .evaluate_json(line, now)
        .expect_err("too many events");
    assert!(e.to_string().contains("(max_events)"), "{e}");
}

#[test]
fn limits_beyond_the_ceilings_are_refused_or_lowered() {
    let text = with_limits().replace("max_events = 2", "max_events = 100001\nmax_rows = 3");
    let e = aftercare::Policy::from_toml(&text).expect_err("over the ceiling");
    let msg = e.to_string();
    assert!(
        msg.contains("`max_events` is 100001; it must be between 1 and 100000"),
        "{msg}"
    );
    assert!(msg.contains("unknown key `max_rows`"), "{msg}");
    // A caller's limits above the ceilings are lowered to them.
    let huge = aftercare::Limits {
        max_ticket_bytes: usize::MAX,
        ..aftercare::Limits::DEFAULT
    };
    let policy = aftercare::Policy::from_toml_with(
        &with_limits().replace("[limits]\nmax_events = 2\n", ""),
        &huge,
    )
    .expect("loads");
    assert_eq!(
        policy.limits().max_ticket_bytes,
        aftercare::Limits::CEILING.max_ticket_bytes
    );
}

#[test]
fn limit_flags_on_the_command_line() {
    let run = |extra: &[&str]| {
        crate::support::aftercare()
            .args([
                "eval",
                "policies/default.toml",
                "policies/samples/tickets.jsonl",
            ])
            .args(["--now", "2025-10-15T12:00:00+08:00"])
            .args(extra)
            .output()
            .expect("runs")
    };
    let out = run(&["--max-events", "3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(max_events)"));
    assert_eq!(run(&[]).status.code(), Some(0));
    let out = run(&["--max-events", "100001"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the ceiling"));
}

#[test]
fn a_long_ticket_id_gets_an_error() {
    // A 190 KB id used to be repeated in every escalation key: a 243 KB ticket printed 286 MB.
    let id = "x".repeat(Limits::DEFAULT.max_id_bytes + 1);
    let json = format!(r#"{{"id": "{id}", "created_at": "2025-10-13T09:00:00+08:00"}}"#);
    let e = Ticket::from_json(&json).expect_err("too long an id");
    assert_eq!(e.kind, aftercare::TicketErrorKind::Limit);
    assert_eq!(e.ticket, None, "the id is not repeated in its own error");
    assert!(
        e.message
            .contains("`id` is 1025 bytes long; the limit is 1024 bytes (max_id_bytes)"),
        "{e}"
    );
    let json = json.replacen('x', "", 1);
    assert!(Ticket::from_json(&json).is_ok());
}

/// A fresh folder `policy/` inside a fresh folder, and the outer folder, for path tests.
fn nest(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let outer = std::env::temp_dir().join(format!("aftercare-paths-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outer);
    std::fs::create_dir_all(outer.join("policy")).expect("a temp dir");
    (outer.clone(), outer.join("policy"))
}

/// The policy with `extra` before its first table (an `include`), or after it all (a table).
fn with(extra_top: &str, extra_end: &str) -> String {
    format!(
        "{extra_top}\n{}\n{extra_end}\n",
        POLICY.replace("RESOLUTION", "3bd")
    )
}

/// Loads `text` as `policy/main.toml` in the folder, and the error it gives.
fn load_error(dir: &std::path::Path, text: &str) -> String {
    std::fs::write(dir.join("main.toml"), text).expect("write");
    match Policy::from_path(dir.join("main.toml")) {
        Ok(_) => panic!("loaded:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn absolute_paths_in_a_policy_are_refused_at_their_key() {
    let (outer, dir) = nest("absolute");
    std::fs::write(outer.join("other.toml"), "[departments.other]\n").expect("write");
    let absolute = outer.join("other.toml").display().to_string();
    let e = load_error(&dir, &with(&format!("include = [{absolute:?}]"), ""));
    assert!(
        e.contains(&format!(
            "cannot include `{absolute}`: the path is absolute"
        )),
        "{e}"
    );
    // At the path, with its line and column, and a hint.
    assert!(e.contains("main.toml:1:12: error"), "{e}");
    assert!(e.contains("write paths relative to the policy file"), "{e}");
    let e = load_error(&dir, &with("", &format!("[scripts]\npath = {absolute:?}")));
    assert!(e.contains("the path is absolute"), "{e}");
    let e = load_error(&dir, &with("", &format!("[models.m]\npath = {absolute:?}")));
    assert!(e.contains("the path is absolute"), "{e}");
    std::fs::remove_dir_all(&outer).ok();
}

#[test]
fn dot_dot_out_of_the_policys_folder_is_refused_and_a_root_allows_it() {
    let (outer, dir) = nest("dotdot");
    std::fs::write(outer.join("desk.toml"), "[departments.other]\n").expect("write");
    std::fs::write(
        outer.join("hooks.rhai"),
        "fn route(ticket, decision) { () }",
    )
    .expect("write");
    let include = with(r#"include = ["../desk.toml"]"#, "");
    let e = load_error(&dir, &include);
    assert!(
        e.contains("cannot include `../desk.toml`: it lies outside the policy's folder"),
        "{e}"
    );
    // Nothing of the file outside is quoted.
    assert!(!e.contains("departments.other"), "{e}");
    let e = load_error(&dir, &with("", "[scripts]\npath = \"../hooks.rhai\""));
    assert!(
        e.contains("cannot read script `../hooks.rhai`: it lies outside"),
        "{e}"
    );
    let e = load_error(&dir, &with("", "[models.m]\npath = \"../m.model\""));
    assert!(e.contains("outside the policy's folder"), "{e}");
    // `..` that stays inside is fine.
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    std::fs::write(dir.join("desk.toml"), "[departments.other]\n").expect("write");
    std::fs::write(
        dir.join("main.toml"),
        with(r#"include = ["sub/../desk.toml"]"#, ""),
    )
    .expect("write");
    assert!(Policy::from_path(dir.join("main.toml")).is_ok());
    // A caller that names the outer folder as the root lets the policy read it.
    std::fs::write(dir.join("main.toml"), &include).expect("write");
    let options = aftercare::LoadOptions::new().root(&outer);
    let policy = Policy::from_path_with_options(dir.join("main.toml"), &options);
    assert!(policy.is_ok(), "{:?}", policy.err().map(|e| e.to_string()));
    let handle = aftercare::PolicyHandle::open_with_options(dir.join("main.toml"), &options)
        .expect("a handle with the root");
    assert!(handle.reload().is_ok());
    std::fs::remove_dir_all(&outer).ok();
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_policys_folder_are_refused() {
    let (outer, dir) = nest("symlink");
    std::fs::write(outer.join("desk.toml"), "[departments.other]\n").expect("write");
    std::fs::write(
        outer.join("hooks.rhai"),
        "fn route(ticket, decision) { () }",
    )
    .expect("write");
    std::os::unix::fs::symlink(outer.join("desk.toml"), dir.join("desk.toml")).expect("link");
    std::os::unix::fs::symlink(outer.join("hooks.rhai"), dir.join("hooks.rhai")).expect("link");
    let e = load_error(&dir, &with(r#"include = ["desk.toml"]"#, ""));
    assert!(
        e.contains("cannot include `desk.toml`: it lies outside"),
        "{e}"
    );
    let e = load_error(&dir, &with("", "[scripts]\npath = \"hooks.rhai\""));
    assert!(e.contains("it lies outside the policy's folder"), "{e}");
    // A folder linked from outside is outside too.
    std::os::unix::fs::symlink(&outer, dir.join("up")).expect("link");
    let e = load_error(&dir, &with(r#"include = ["up/desk.toml"]"#, ""));
    assert!(e.contains("it lies outside"), "{e}");
    std::fs::remove_dir_all(&outer).ok();
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_without_opening_them() {
    // A FIFO or a device as an include or a script blocked the load or read forever.
    let (outer, dir) = nest("devices");
    let fifo = dir.join("pipe.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let e = load_error(&dir, &with(r#"include = ["pipe.toml"]"#, ""));
    assert!(
        e.contains("cannot read included file") && e.contains("not a regular file"),
        "{e}"
    );
    let e = load_error(&dir, &with("", "[scripts]\npath = \"pipe.toml\""));
    assert!(e.contains("not a regular file"), "{e}");
    let e = load_error(&dir, &with("", "[models.m]\npath = \"pipe.toml\""));
    assert!(e.contains("not a regular file"), "{e}");
    let e = Policy::from_path(&fifo).expect_err("a FIFO");
    assert!(e.to_string().contains("not a regular file"), "{e}");
    // A device, even inside the root (here `/`), is not read.
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.toml")).expect("link");
    std::fs::write(
        dir.join("main.toml"),
        with(r#"include = ["zero.toml"]"#, ""),
    )
    .expect("write");
    let everything = aftercare::LoadOptions::new().root("/");
    let e =
        Policy::from_path_with_options(dir.join("main.toml"), &everything).expect_err("a device");
    assert!(e.to_string().contains("not a regular file"), "{e}");
    std::fs::write(
        dir.join("main.toml"),
        with("", "[scripts]\npath = \"zero.toml\""),
    )
    .expect("write");
    let e =
        Policy::from_path_with_options(dir.join("main.toml"), &everything).expect_err("a device");
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let e = Policy::from_path("/dev/null").expect_err("a device");
    assert!(e.to_string().contains("not a regular file"), "{e}");
    std::fs::remove_dir_all(&outer).ok();
}

#[test]
fn scripts_and_modules_are_read_within_max_policy_bytes() {
    let (outer, dir) = nest("oversize");
    let big = format!(
        "// {}\nfn route(ticket, decision) {{ () }}\n",
        "x".repeat(4096)
    );
    std::fs::write(dir.join("hooks.rhai"), &big).expect("write");
    std::fs::write(
        dir.join("main.toml"),
        with("", "[scripts]\npath = \"hooks.rhai\""),
    )
    .expect("write");
    assert!(Policy::from_path(dir.join("main.toml")).is_ok());
    let tight = Limits {
        max_policy_bytes: 4096,
        ..Limits::default()
    };
    let e = Policy::from_path_with(dir.join("main.toml"), &tight).expect_err("too large");
    assert!(
        e.to_string()
            .contains("cannot read script `hooks.rhai`: larger than max_policy_bytes"),
        "{e}"
    );
    // An imported module over the limit is refused too.
    std::fs::write(
        dir.join("hooks.rhai"),
        "import \"big\" as big;\nfn route(ticket, decision) { () }",
    )
    .expect("write");
    std::fs::write(dir.join("big.rhai"), &big).expect("write");
    let e = Policy::from_path_with(dir.join("main.toml"), &tight).expect_err("too large");
    assert!(
        e.to_string().contains("larger than max_policy_bytes"),
        "{e}"
    );
    std::fs::remove_dir_all(&outer).ok();
}

/// The policy with one more category whose rule is `when`.
fn with_rule(when: &str) -> String {
    POLICY.replace("RESOLUTION", "3bd").replacen(
        "[[categories]]\nid = \"general\"",
        &format!(
            "[[categories]]\nid = \"special\"\nwhen = {when}\n\n[[categories]]\nid = \"general\""
        ),
        1,
    )
}

#[test]
fn many_large_patterns_stop_at_the_policys_pattern_budget() {
    // One rule with `any = [2,000 regexes]` took 2.3 GB and 9,990 of them 102 s: now the load
    // stops at the first pattern over the budget (about twenty of these), at that pattern.
    let any: Vec<String> = (0..2000)
        .map(|i| format!("{{ subject = {{ matches = '\\w{{20}}{i}' }} }}"))
        .collect();
    let text = with_rule(&format!("{{ any = [{}] }}", any.join(", ")));
    let e = Policy::from_toml(&text).expect_err("over the budget");
    assert_eq!(e.error_count(), 1, "{e}");
    let message = e.to_string();
    assert!(
        message.contains(&format!(
            "with this pattern the policy's compiled patterns take more than {} bytes (max_policy_pattern_bytes)",
            Limits::DEFAULT.max_policy_pattern_bytes
        )),
        "{message}"
    );
    assert!(
        message.contains("hint: fewer or simpler patterns"),
        "{message}"
    );
    // At the pattern that went over, inside the rule's `when`.
    let d = &e.diagnostics()[0];
    assert_eq!(
        d.line,
        text.lines().position(|l| l.starts_with("when = ")).unwrap() + 1
    );
    let column = text
        .lines()
        .nth(d.line - 1)
        .unwrap()
        .find("'\\w{20}")
        .unwrap()
        + 1;
    assert!(d.column > column, "{d:?}");
    // A budget that holds them all loads them.
    let few = with_rule(&format!("{{ any = [{}] }}", any[..3].join(", ")));
    assert!(Policy::from_toml(&few).is_ok());
    let tight = Limits {
        max_policy_pattern_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let e = Policy::from_toml_with(&few, &tight).expect_err("over a tight budget");
    assert!(
        e.to_string()
            .contains("more than 1048576 bytes (max_policy_pattern_bytes)"),
        "{e}"
    );
}

#[test]
fn one_large_pattern_stops_at_the_pattern_budget() {
    let text = with_rule(r#"{ subject = { matches = '\w{200}' } }"#);
    let e = Policy::from_toml(&text).expect_err("over the budget");
    let message = e.to_string();
    assert!(
        message.contains(&format!(
            "the compiled pattern takes more than {} bytes (max_pattern_bytes)",
            Limits::DEFAULT.max_pattern_bytes
        )),
        "{message}"
    );
    assert!(message.contains("(?-u)"), "{message}");
    // The same repetition over ASCII word characters is small.
    assert!(Policy::from_toml(&with_rule(r#"{ subject = { matches = '(?-u)\w{200}' } }"#)).is_ok());
    let tight = Limits {
        max_pattern_bytes: 10_000,
        ..Limits::default()
    };
    let e = Policy::from_toml_with(
        &with_rule(r#"{ subject = { matches = '\d{11}' } }"#),
        &tight,
    )
    .expect_err("over a tight budget");
    assert!(
        e.to_string()
            .contains("more than 10000 bytes (max_pattern_bytes)"),
        "{e}"
    );
}

#[test]
fn keyword_automata_count_in_the_pattern_budget() {
    let words: Vec<String> = (0..2000).map(|i| format!("'keyword number {i}'")).collect();
    let text = with_rule(&format!(
        "{{ text = {{ contains_any = [{}] }} }}",
        words.join(", ")
    ));
    assert!(Policy::from_toml(&text).is_ok());
    let tight = Limits {
        max_policy_pattern_bytes: 20_000,
        ..Limits::default()
    };
    let e = Policy::from_toml_with(&text, &tight).expect_err("over the budget");
    assert!(
        e.to_string().contains("the keyword automata take")
            && e.to_string()
                .contains("more than 20000 bytes (max_policy_pattern_bytes)"),
        "{e}"
    );
}
