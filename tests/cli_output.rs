//! Output that cannot be written is an error (exit 2, said on stderr), for every command; a
//! reader that goes away early (`| head`) is not.

use std::io::Read;
use std::process::Stdio;

use crate::support::aftercare;

const NOW: &str = "2025-10-15T12:00:00+08:00";
const SAMPLES: &str = "policies/samples/tickets.jsonl";

/// Runs `aftercare ARGS > /dev/full` (every write fails: no space left on the device).
#[cfg(target_os = "linux")]
fn into_full_device(args: &[&str]) -> (i32, String) {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let first_ticket = std::fs::read_to_string(crate::support::root().join(SAMPLES))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut child = aftercare()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(first_ticket.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[cfg(target_os = "linux")]
#[test]
fn every_command_fails_when_its_output_cannot_be_written() {
    let commands: [&[&str]; 6] = [
        &["eval", "policies/default.toml", SAMPLES, "--now", NOW],
        &["test", "policies/examples/minimal-en.toml"],
        &["explain", "policies/default.toml", "-", "--now", NOW],
        &[
            "explain",
            "policies/default.toml",
            "-",
            "--now",
            NOW,
            "--format",
            "json",
        ],
        &[
            "diff",
            "policies/default.toml",
            "policies/default.toml",
            SAMPLES,
            "--now",
            NOW,
        ],
        &["report", "policies/default.toml", SAMPLES, "--now", NOW],
    ];
    for args in commands {
        let (code, stderr) = into_full_device(args);
        assert_eq!(code, 2, "aftercare {args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write"),
            "aftercare {args:?}: {stderr}"
        );
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // Far more output than a pipe holds, so that writing it must meet the closed pipe.
    let samples = std::fs::read_to_string(crate::support::root().join(SAMPLES)).unwrap();
    let input = samples.repeat(200);
    let mut child = aftercare()
        .args(["eval", "policies/default.toml", "-", "--now", NOW])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        // The command may stop reading once its output is gone: a failed write is expected.
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is closed here: the rest of the output has nowhere to go.
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(&first, br#"{"ticket":"#);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
