//! The `aftercare` command line end to end (contract §4): `check` and `eval`, their exit codes,
//! the three ways to pass tickets, per-ticket errors, and that personal data never shows up.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;

const DEFAULT: &str = "policies/default.toml";
const SAMPLES: &str = "policies/samples/tickets.jsonl";
const NOW: &str = "2025-10-15T12:00:00+08:00";

/// Runs `aftercare ARGS` in the package folder, feeding `stdin`.
fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = crate::support::aftercare()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aftercare runs");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("an exit code")
}

/// A folder under the system temp folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("aftercare-cli-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sample_lines() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLES);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

// ---- check --------------------------------------------------------------------------------------

#[test]
fn check_accepts_the_default_policy() {
    let out = run(&["check", DEFAULT], None);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn check_reports_every_problem_as_plain_lines() {
    let scratch = Scratch::new("check");
    let policy = scratch.file(
        "broken.toml",
        r#"[policy]
name = "broken"

[[categories]]
id = "general"
default = true
when = { chanel = "phone" }

[priorities]
order = ["normal"]
default = "norma"

[[routes]]
id = "desk"
default = true
department = "desk"
"#,
    );
    let out = run(&["check", &policy], None);
    assert_eq!(code(&out), 1);
    assert_eq!(text(&out.stdout), "");
    // stderr is not a terminal here: plain FILE:LINE:COL lines, in position order.
    assert_eq!(
        text(&out.stderr),
        format!(
            "{policy}:7:10: error: unknown field `chanel` in condition\n  = hint: did you mean `channel`?\n\
             {policy}:11:11: error: unknown priority `norma`\n  = hint: did you mean `normal`?\n\
             {policy}:16:14: error: unknown department `desk`\n  = hint: the policy defines no department\n"
        )
    );
}

#[test]
fn check_names_included_files() {
    let out = run(&["check", "tests/fixtures/include/twice.toml"], None);
    assert_eq!(code(&out), 1);
    assert_eq!(
        text(&out.stderr),
        "tests/fixtures/include/twice.toml:8:1: error: `timezone` is defined twice\n  = hint: an included file and the including file may not set the same key\n"
    );
}

// ---- eval ---------------------------------------------------------------------------------------

#[test]
fn eval_the_samples() {
    let out = run(&["eval", DEFAULT, SAMPLES, "--now", NOW], None);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let stdout = text(&out.stdout);
    let decisions = parse_lines(&stdout);
    let ids: Vec<String> = sample_lines()
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(decisions.len(), ids.len());
    for (d, id) in decisions.iter().zip(&ids) {
        assert_eq!(d["ticket"], id.as_str());
        assert!(d.get("error").is_none(), "{d}");
        assert_eq!(d["policy"]["name"], "after-sales default");
    }
    insta::assert_snapshot!(stdout);
}

/// `(ticket, category, priority, route rule)` for every sample, as `policies/samples/README.md`
/// lists them.
const SAMPLE_TABLE: [(&str, &str, &str, &str); 29] = [
    ("FB202405001", "complaint", "high", "east-repair"),
    ("FB202409001", "fault", "high", "north-repair"),
    ("T-EN-001", "consultation", "medium", "consultation-desk"),
    ("FB202509001", "complaint", "high", "north-repair"),
    ("FB202509002", "suggestion", "low", "product-suggestion"),
    ("FB202509003", "fault", "urgent", "safety-response"),
    ("FB202509004", "fault", "urgent", "west-repair"),
    ("FB202509005", "fault", "medium", "west-repair"),
    ("FB202509006", "fault", "high", "east-repair"),
    ("T-EN-002", "suggestion", "low", "fallback"),
    ("FB202509007", "consultation", "medium", "consultation-desk"),
    ("FB202510001", "fault", "medium", "south-repair"),
    ("T-EN-003", "complaint", "urgent", "west-repair"),
    ("FB202510002", "complaint", "high", "south-repair"),
    ("FB202510003", "complaint", "urgent", "north-repair"),
    ("T-EN-008", "fault", "high", "south-repair"),
    ("FB202510004", "fault", "high", "east-repair"),
    ("T-EN-004", "suggestion", "low", "product-suggestion"),
    ("T-EN-005", "fault", "urgent", "north-repair"),
    ("FB202510005", "complaint", "urgent", "east-repair"),
    ("FB202510006", "consultation", "medium", "consultation-desk"),
    ("FB202510007", "complaint", "high", "west-repair"),
    ("FB202510008", "consultation", "high", "consultation-desk"),
    ("T-EN-006", "fault", "medium", "tech-default"),
    ("T-EN-007", "fault", "urgent", "safety-response"),
    ("T-AG-001", "complaint", "high", "agent"),
    ("T-AG-002", "fault", "urgent", "east-repair"),
    ("T-AG-003", "fault", "medium", "agent"),
    ("T-AG-004", "consultation", "high", "agent"),
];

#[test]
fn eval_the_samples_as_the_samples_readme_says() {
    let out = run(&["eval", DEFAULT, SAMPLES, "--now", NOW], None);
    assert_eq!(code(&out), 0);
    let decisions = parse_lines(&text(&out.stdout));
    let got: Vec<(String, String, String, String)> = decisions
        .iter()
        .map(|d| {
            let s = |v: &Value| v.as_str().unwrap().to_string();
            (
                s(&d["ticket"]),
                s(&d["category"]),
                s(&d["priority"]),
                s(&d["route"]["rule"]),
            )
        })
        .collect();
    let want: Vec<(String, String, String, String)> = SAMPLE_TABLE
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want);

    // A few of the README's SLA remarks, as of now.
    let by_id = |id: &str| decisions.iter().find(|d| d["ticket"] == id).unwrap();
    let fr = |id: &str| by_id(id)["sla"]["first_response"].clone();
    let res = |id: &str| by_id(id)["sla"]["resolution"].clone();
    // Created on Labour Day 2024 and answered that morning, before the first opening
    // (2024-05-06 09:00): the clock never counted, and starts where it was started.
    assert_eq!(fr("FB202405001")["started_at"], "2024-05-01T09:00:00+08:00");
    assert_eq!(fr("FB202405001")["elapsed"], "0s");
    // Open with no events since Friday 17:40: first response breached.
    assert_eq!(fr("FB202509005")["status"], "breached");
    // The make-up Saturday 10-11 counts: the first response was due then, answered late.
    assert_eq!(fr("T-EN-008")["due"], "2025-10-11T11:30:00+08:00");
    assert_eq!(fr("T-EN-008")["status"], "breached");
    // Urgent: one working day, due on the make-up Saturday 10-11 09:40; all three steps fired.
    assert_eq!(res("FB202510003")["due"], "2025-10-11T09:40:00+08:00");
    assert_eq!(res("FB202510003")["status"], "breached");
    let fired: Vec<bool> = by_id("FB202510003")["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["metric"] == "resolution")
        .map(|e| e["fired"].as_bool().unwrap())
        .collect();
    assert_eq!(fired, [true, true, true]);
    // Waiting for the customer: paused.
    assert_eq!(res("FB202510004")["status"], "paused");
    // Created during the lunch break: first response breached at 10:30 on 10-15.
    assert_eq!(fr("FB202510006")["started_at"], "2025-10-14T13:30:00+08:00");
    assert_eq!(fr("FB202510006")["due"], "2025-10-15T10:30:00+08:00");
    // Due at 15:00, running.
    assert_eq!(fr("FB202510008")["due"], "2025-10-15T15:00:00+08:00");
    assert_eq!(fr("FB202510008")["status"], "running");
    // Created 10 minutes before closing: due 10:50 the next morning, met.
    assert_eq!(fr("FB202510005")["due"], "2025-10-14T10:50:00+08:00");
    assert_eq!(fr("FB202510005")["status"], "met");
    // Follow-up overdue as of now.
    assert_eq!(by_id("T-EN-002")["follow_up"]["status"], "missed");
    // Unsatisfied follow-up: back in handling, second resolution cycle.
    assert_eq!(by_id("FB202510002")["status"], "reopened");
    assert_eq!(res("FB202510002")["cycle"], 2);
}

#[test]
fn eval_a_json_array() {
    let scratch = Scratch::new("array");
    let lines = sample_lines();
    let array: Vec<Value> = lines[..4]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tickets = scratch.file(
        "tickets.json",
        &serde_json::to_string_pretty(&array).unwrap(),
    );
    let out = run(&["eval", DEFAULT, &tickets, "--now", NOW], None);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let from_array = text(&out.stdout);

    let jsonl = scratch.file("tickets.jsonl", &(lines[..4].join("\n") + "\n"));
    let out = run(&["eval", DEFAULT, &jsonl, "--now", NOW], None);
    assert_eq!(code(&out), 0);
    assert_eq!(from_array, text(&out.stdout));
    assert_eq!(from_array.lines().count(), 4);
}

#[test]
fn eval_from_stdin() {
    let lines = sample_lines();
    let input = format!("{}\n\n{}\n", lines[0], lines[1]); // a blank line is skipped
    let out = run(&["eval", DEFAULT, "-", "--now", NOW], Some(&input));
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let decisions = parse_lines(&text(&out.stdout));
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0]["ticket"], "FB202405001");
    assert_eq!(decisions[1]["ticket"], "FB202409001");

    // The same decisions as from the file.
    let all = run(&["eval", DEFAULT, SAMPLES, "--now", NOW], None);
    let first_two: Vec<&str> = std::str::from_utf8(&all.stdout)
        .unwrap()
        .lines()
        .take(2)
        .collect();
    assert_eq!(text(&out.stdout), first_two.join("\n") + "\n");
}

#[test]
fn eval_a_bad_ticket_among_good_ones() {
    let lines = sample_lines();
    let input = [
        lines[0].as_str(),
        r#"{"id": "BAD-1", "created_at": "2025-10-15 09:00"}"#,
        lines[1].as_str(),
        r#"{"id": "BAD-2", "created_at": "2025-10-15T09:00:00+08:00", "events": [{"at": "2025-10-14T09:00:00+08:00", "type": "first_response"}]}"#,
        r#"{"id": "BAD-3", "created_at": "#,
        r#"[1, 2, 3]"#,
        lines[2].as_str(),
    ]
    .join("\n");
    let out = run(&["eval", DEFAULT, "-", "--now", NOW], Some(&input));
    assert_eq!(code(&out), 1);
    let results = parse_lines(&text(&out.stdout));
    assert_eq!(results.len(), 7);
    let ids: Vec<Option<&str>> = results.iter().map(|r| r["ticket"].as_str()).collect();
    assert_eq!(
        ids,
        [
            Some("FB202405001"),
            Some("BAD-1"),
            Some("FB202409001"),
            Some("BAD-2"),
            None, // cut off: no id can be read
            None, // not an object
            Some("T-EN-001"),
        ]
    );
    for (i, r) in results.iter().enumerate() {
        let bad = [1, 3, 4, 5].contains(&i);
        assert_eq!(r.get("error").is_some(), bad, "{r}");
        if bad {
            // Exactly `{"ticket": …, "error": …}`.
            assert_eq!(r.as_object().unwrap().len(), 2, "{r}");
        } else {
            assert!(r.get("category").is_some(), "{r}");
        }
    }
    assert_eq!(
        results[1]["error"],
        "`created_at`: `2025-10-15 09:00` is not an RFC 3339 instant with an offset \
         (e.g. 2024-05-01T09:00:00+08:00)"
    );
    assert!(
        results[3]["error"]
            .as_str()
            .unwrap()
            .contains("is before `created_at`"),
        "{}",
        results[3]
    );
}

#[test]
fn eval_with_a_bad_policy_exits_2() {
    let scratch = Scratch::new("bad-policy");
    let policy = scratch.file("policy.toml", "[policy]\nname = \"x\"\nversoin = \"1\"\n");
    let out = run(&["eval", &policy, SAMPLES, "--now", NOW], None);
    assert_eq!(code(&out), 2);
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{policy}:3:1: error: unknown key `versoin` in `[policy]`\n  = hint: did you mean `version`?"
        )),
        "{stderr}"
    );
}

#[test]
fn eval_with_a_missing_policy_exits_2() {
    let out = run(
        &["eval", "policies/nowhere.toml", SAMPLES, "--now", NOW],
        None,
    );
    assert_eq!(code(&out), 2);
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn eval_with_unreadable_tickets_exits_2() {
    let out = run(
        &[
            "eval",
            DEFAULT,
            "policies/samples/nowhere.jsonl",
            "--now",
            NOW,
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: cannot read `policies/samples/nowhere.jsonl`: "),
        "{stderr}"
    );

    // A .json file that is not an array of tickets.
    let scratch = Scratch::new("not-array");
    let tickets = scratch.file("tickets.json", "{\"id\": \"T1\"}");
    let out = run(&["eval", DEFAULT, &tickets, "--now", NOW], None);
    assert_eq!(code(&out), 2);
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn eval_with_a_bad_now_exits_2() {
    let out = run(&["eval", DEFAULT, SAMPLES, "--now", "tomorrow"], None);
    assert_eq!(code(&out), 2);
    assert_eq!(text(&out.stdout), "");
}

// ---- privacy --------------------------------------------------------------------------------------

/// The personal values of the samples: customer names and contacts, order and serial numbers.
fn personal_values() -> Vec<String> {
    let mut out = Vec::new();
    for line in sample_lines() {
        let t: Value = serde_json::from_str(&line).unwrap();
        for (part, field) in [
            ("customer", "name"),
            ("customer", "contact"),
            ("product", "order_no"),
            ("product", "serial_no"),
        ] {
            if let Some(v) = t[part][field].as_str() {
                assert!(v.len() >= 5, "too short to search for: {v}");
                out.push(v.to_string());
            }
        }
    }
    assert!(out.len() >= 90, "{}", out.len());
    out
}

#[track_caller]
fn assert_no_personal_data(out: &Output, values: &[String]) {
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    for v in values {
        assert!(
            !stdout.contains(v.as_str()),
            "stdout shows `{v}`:\n{stdout}"
        );
        assert!(
            !stderr.contains(v.as_str()),
            "stderr shows `{v}`:\n{stderr}"
        );
    }
}

#[test]
fn eval_never_prints_personal_data() {
    let values = personal_values();
    let out = run(&["eval", DEFAULT, SAMPLES, "--now", NOW], None);
    assert_eq!(code(&out), 0);
    assert_no_personal_data(&out, &values);
    // Also with the trace off, and as of a later instant (more clocks breached, more traces).
    let out = run(
        &[
            "eval",
            DEFAULT,
            SAMPLES,
            "--now",
            "2026-01-05T09:00:00+08:00",
            "--no-trace",
        ],
        None,
    );
    assert_eq!(code(&out), 0);
    assert_no_personal_data(&out, &values);
}

#[test]
fn errors_about_bad_tickets_never_print_personal_data() {
    let values = personal_values();
    let mut bad = Vec::new();
    for line in sample_lines() {
        let t: Value = serde_json::from_str(&line).unwrap();
        let with = |path: &[&str], v: Value| {
            let mut t = t.clone();
            let mut slot = &mut t;
            for p in path {
                slot = &mut slot[*p];
            }
            *slot = v;
            t.to_string()
        };
        let c = &t["customer"];
        let p = &t["product"];
        // Personal values where an object, a number or an instant is expected, quotes and all.
        bad.push(with(
            &["customer"],
            Value::String(format!("{} \"{}\"", c["name"], c["contact"])),
        ));
        bad.push(with(
            &["product"],
            Value::String(format!("{}\"{}", p["order_no"], p["serial_no"])),
        ));
        bad.push(with(
            &["customer", "tier"],
            json_array(&[&c["name"], &c["contact"]]),
        ));
        bad.push(with(&["product", "model"], json_array(&[&p["serial_no"]])));
        bad.push(with(&["events"], Value::String(c["contact"].to_string())));
        bad.push(with(&["attributes"], json_array(&[&p["order_no"]])));
        // The same personal values with a problem elsewhere in the ticket.
        bad.push(with(
            &["created_at"],
            Value::String("2025-13-45T00:00:00+08:00".into()),
        ));
        bad.push(with(
            &["events"],
            serde_json::json!([{ "at": "2000-01-01T00:00:00Z", "type": "first_response" }]),
        ));
        bad.push(with(
            &["events"],
            serde_json::json!([{ "at": "2025-10-15T10:00:00+08:00", "type": "call" }]),
        ));
        // Cut off in the middle of a personal value.
        if let Some(i) = line.find("\"contact\"") {
            let mut end = i + 15;
            while !line.is_char_boundary(end) {
                end += 1;
            }
            bad.push(line[..end].to_string());
        }
    }
    let input = bad.join("\n");
    let out = run(&["eval", DEFAULT, "-", "--now", NOW], Some(&input));
    assert_eq!(code(&out), 1);
    let results = parse_lines(&text(&out.stdout));
    assert_eq!(results.len(), bad.len());
    assert!(results.iter().all(|r| r.get("error").is_some()));
    assert_no_personal_data(&out, &values);

    // The same through a .json array.
    let scratch = Scratch::new("privacy");
    let parsed: Vec<Value> = bad
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let tickets = scratch.file("bad.json", &Value::Array(parsed).to_string());
    let out = run(&["eval", DEFAULT, &tickets, "--now", NOW], None);
    assert_eq!(code(&out), 1);
    assert_no_personal_data(&out, &values);
}

fn json_array(items: &[&Value]) -> Value {
    Value::Array(items.iter().map(|v| (*v).clone()).collect())
}
