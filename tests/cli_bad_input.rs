//! `aftercare eval` on bad input lines: each gets its own error line and the run goes on.
#![cfg(feature = "cli")]

#[test]
fn unreadable_lines_get_error_lines_and_the_run_goes_on() {
    let dir = std::env::temp_dir().join(format!("aftercare-cli-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let ok = |id: &str| format!(r#"{{"id": "{id}", "created_at": "2025-10-09T09:00:00+08:00"}}"#);
    let mut input: Vec<u8> = Vec::new();
    input.extend(ok("first").as_bytes());
    input.extend(b"\n{\"id\": \"latin1\", \"subject\": \"caf\xe9\"}\n");
    input.extend(
        format!(
            r#"{{"id": "huge", "description": "{}"}}"#,
            "x".repeat(300_000)
        )
        .as_bytes(),
    );
    input.extend(b"\n\n   \n");
    input.extend(ok("crlf").as_bytes());
    input.extend(b"\r\n");
    input.extend(ok("last").as_bytes());
    let path = dir.join("tickets.jsonl");
    std::fs::write(&path, &input).expect("write");

    let out = crate::support::aftercare()
        .args(["eval", "policies/default.toml"])
        .arg(&path)
        .args(["--now", "2025-10-15T12:00:00+08:00", "--no-trace"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines.len(), 5, "{stdout:.2000}");
    assert!(
        lines[0].starts_with(r#"{"ticket":"first","policy""#),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        r#"{"ticket":null,"error":"the line is not UTF-8 text"}"#
    );
    assert_eq!(
        lines[2],
        r#"{"ticket":null,"error":"the ticket is 300033 bytes of JSON; the limit is 262144 bytes (max_ticket_bytes)"}"#
    );
    assert!(
        lines[3].starts_with(r#"{"ticket":"crlf","policy""#),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with(r#"{"ticket":"last","policy""#),
        "{}",
        lines[4]
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs `aftercare eval` on `input` (a file, or stdin when `path` is `-`); returns the exit code
/// and the output lines.
fn eval(path: &str, stdin: Option<&[u8]>) -> (Option<i32>, Vec<String>) {
    use std::io::Write;
    let mut child = crate::support::aftercare()
        .args(["eval", "policies/default.toml", path])
        .args(["--now", "2025-10-15T12:00:00+08:00", "--no-trace"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut feed = child.stdin.take().expect("stdin");
    let stdin = stdin.map(<[u8]>::to_vec);
    // Fed from another thread: the output pipe fills while the input is still being written.
    let feeder = std::thread::spawn(move || {
        if let Some(bytes) = stdin {
            feed.write_all(&bytes).expect("fed");
        }
    });
    let out = child.wait_with_output().expect("runs");
    feeder.join().expect("fed");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    (
        out.status.code(),
        stdout.lines().map(str::to_string).collect(),
    )
}

/// Many tickets, so that they span many batches, with bad lines among them; returns the
/// input and what each output line must start with, in order.
fn many_tickets() -> (Vec<u8>, Vec<String>) {
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for i in 0..30_000 {
        match i % 997 {
            13 => {
                input.extend(b"{\"id\": \"latin1\", \"subject\": \"caf\xe9\"}\n");
                expected.push(r#"{"ticket":null,"error":"the line is not UTF-8 text"}"#.into());
            }
            500 => {
                // Over the limit: skipped over while reading, not kept.
                let long = format!(
                    r#"{{"id": "huge{i}", "description": "{}"}}"#,
                    "x".repeat(300_000)
                );
                input.extend(long.as_bytes());
                input.extend(b"\r\n");
                expected.push(format!(
                    r#"{{"ticket":null,"error":"the ticket is {} bytes of JSON; the limit is 262144 bytes (max_ticket_bytes)"}}"#,
                    long.len() + 1
                ));
            }
            700 => {
                input.extend(
                    format!("{{\"id\": \"B{i}\", \"created_at\": \"soon\"}}\n\n  \n").as_bytes(),
                );
                expected.push(format!(r#"{{"ticket":"B{i}","error":"#));
            }
            _ => {
                let line = format!(
                    r#"{{"id": "T{i}", "created_at": "2025-10-09T09:00:00+08:00", "subject": "ticket {i}"}}"#
                );
                input.extend(line.as_bytes());
                input.extend(if i % 2 == 0 { &b"\n"[..] } else { &b"\r\n"[..] });
                expected.push(format!(r#"{{"ticket":"T{i}","policy""#));
            }
        }
    }
    (input, expected)
}

fn assert_in_order(lines: &[String], expected: &[String]) {
    assert_eq!(lines.len(), expected.len());
    for (n, (line, want)) in lines.iter().zip(expected).enumerate() {
        assert!(
            line.starts_with(want.as_str()),
            "line {n}: {line:.200} (want {want})"
        );
    }
}

#[test]
fn bad_elements_of_a_json_array_get_error_lines_and_the_run_goes_on() {
    // A `.json` array is read one element at a time with the limits of a JSON line: a bad
    // element mid-array or one over `max_ticket_bytes` is an error line, not a failed file.
    let dir = std::env::temp_dir().join(format!("aftercare-cli-bad-array-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let ok = |id: &str| format!(r#"{{"id": "{id}", "created_at": "2025-10-09T09:00:00+08:00"}}"#);
    let huge = format!(
        r#"{{"id": "huge", "description": "{}"}}"#,
        "x".repeat(300_000)
    );
    let elements = [
        ok("first"),
        r#"{"id": "broken", }"#.to_string(),
        huge,
        r#"{"id": "brackets ]", "subject": "a \"quoted\" ], {"}"#.to_string(),
        ok("last"),
    ];
    let path = dir.join("tickets.json");
    std::fs::write(&path, format!("[\n  {}\n]\n", elements.join(",\n  "))).expect("write");
    let out = crate::support::aftercare()
        .args(["eval", "policies/default.toml"])
        .arg(&path)
        .args(["--now", "2025-10-15T12:00:00+08:00", "--no-trace"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines.len(), 5, "{stdout:.2000}");
    assert!(
        lines[0].starts_with(r#"{"ticket":"first","policy""#),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(r#"{"ticket":null,"error":"#),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[2],
        r#"{"ticket":null,"error":"the ticket is 300033 bytes of JSON; the limit is 262144 bytes (max_ticket_bytes)"}"#
    );
    assert_eq!(
        lines[3],
        r#"{"ticket":"brackets ]","error":"missing `created_at`"}"#
    );
    assert!(
        lines[4].starts_with(r#"{"ticket":"last","policy""#),
        "{}",
        lines[4]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn explain_reads_no_more_of_a_ticket_than_its_limit() {
    let dir =
        std::env::temp_dir().join(format!("aftercare-cli-explain-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("ticket.json");
    let huge = format!(
        r#"{{"id": "huge", "created_at": "2025-10-09T09:00:00+08:00", "description": "{}"}}"#,
        "x".repeat(300_000)
    );
    std::fs::write(&path, huge).expect("write");
    let out = crate::support::aftercare()
        .args(["explain", "policies/default.toml"])
        .arg(&path)
        .args(["--now", "2025-10-15T12:00:00+08:00"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the ticket is more than 262144 bytes of JSON; the limit is 262144 bytes (max_ticket_bytes)\n"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn output_keeps_the_input_order_across_batches() {
    let dir = std::env::temp_dir().join(format!("aftercare-cli-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let (input, expected) = many_tickets();
    let path = dir.join("tickets.jsonl");
    std::fs::write(&path, &input).expect("write");

    let (code, lines) = eval(path.to_str().expect("a UTF-8 path"), None);
    assert_eq!(code, Some(1));
    assert_in_order(&lines, &expected);

    let (code, from_stdin) = eval("-", Some(&input));
    assert_eq!(code, Some(1));
    assert_eq!(from_stdin, lines);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_json_array_keeps_its_order_too() {
    let dir = std::env::temp_dir().join(format!("aftercare-cli-array-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let tickets: Vec<String> = (0..5000)
        .map(|i| {
            if i % 333 == 7 {
                format!(r#"{{"id": "B{i}"}}"#)
            } else {
                format!(r#"{{"id": "T{i}", "created_at": "2025-10-09T09:00:00+08:00"}}"#)
            }
        })
        .collect();
    let path = dir.join("tickets.json");
    std::fs::write(&path, format!("[{}]", tickets.join(",\n"))).expect("write");
    let (code, lines) = eval(path.to_str().expect("a UTF-8 path"), None);
    assert_eq!(code, Some(1));
    let expected: Vec<String> = (0..5000)
        .map(|i| {
            if i % 333 == 7 {
                format!(r#"{{"ticket":"B{i}","error":"missing `created_at`"}}"#)
            } else {
                format!(r#"{{"ticket":"T{i}","policy""#)
            }
        })
        .collect();
    assert_in_order(&lines, &expected);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_closed_output_stops_the_run_quietly() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("aftercare-cli-head-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let (input, _) = many_tickets();
    let path = dir.join("tickets.jsonl");
    std::fs::write(&path, &input).expect("write");
    let mut child = crate::support::aftercare()
        .args(["eval", "policies/default.toml"])
        .arg(&path)
        .args(["--now", "2025-10-15T12:00:00+08:00"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    // Like `| head -1`: read one line, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a line");
    assert!(
        first.starts_with(r#"{"ticket":"T0","policy""#),
        "{first:.200}"
    );
    let out = child.wait_with_output().expect("exits");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn control_characters_from_a_ticket_are_escaped_in_text_views() {
    let dir = std::env::temp_dir().join(format!("aftercare-ansi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let ticket = dir.join("t.jsonl");
    std::fs::write(
        &ticket,
        "\u{feff}{\"id\":\"X\\u001b[31mred\",\"created_at\":\"2025-10-13T09:00:00+08:00\",\
         \"channel\":\"ph\\u001b]0;title\\u0007one\",\
         \"events\":[{\"at\":\"2025-10-13T10:00:00+08:00\",\"type\":\"status\",\"status\":\"wait\\u001b[2J\"}]}\n",
    )
    .expect("write");
    let path = ticket.to_str().unwrap_or_default();
    for args in [
        vec!["explain", "policies/default.toml", path],
        vec!["report", "policies/default.toml", path],
    ] {
        let out = crate::support::aftercare()
            .args(&args)
            .args(["--now", "2025-10-15T12:00:00+08:00", "--lang", "en"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stdout.chars().any(|c| c.is_control() && c != '\n'),
            "{args:?}: {stdout:?}"
        );
        if args[0] == "explain" {
            assert!(stdout.contains("ticket X\\u{1b}[31mred"), "{stdout}");
            assert!(stdout.contains("wait\\u{1b}[2J"), "{stdout}");
        } else {
            assert!(stdout.contains("ph\\u{1b}]0;title\\u{7}one"), "{stdout}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
