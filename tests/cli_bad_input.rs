//! `aftercare eval` on bad input lines: each gets its own error line and the run goes on.
#![cfg(feature = "cli")]

use std::process::Command;

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

    let out = Command::new(env!("CARGO_BIN_EXE_aftercare"))
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
