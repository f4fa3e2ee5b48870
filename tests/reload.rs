//! Hot reload under load: readers always get a whole policy, old or new, and a reload that
//! fails keeps the old one in service.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use aftercare::{PolicyHandle, Ticket};

/// A valid policy whose every decision names its version three times: in `policy.version`,
/// the category and the department, so a mix of two versions would show.
fn valid(n: usize) -> String {
    format!(
        r#"
[policy]
name = "reload"
version = "{n}"
calendar = "office"

[calendars.office]
timezone = "Asia/Shanghai"
week = {{ mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
          thu = ["09:00-18:00"], fri = ["09:00-18:00"] }}

[[categories]]
id = "cat_{n}"
default = true

[priorities]
order = ["urgent", "normal"]
default = "normal"

[[priority_rules]]
id = "vip"
priority = "urgent"
when = {{ "customer.tier" = "vip" }}

[[routes]]
id = "all"
default = true
department = "desk_{n}"

[departments.desk_{n}]

[sla.targets.urgent]
first_response = "{n}m"
resolution = "24h"
[sla.targets.normal]
first_response = "4h"
resolution = "3bd"
"#
    )
}

/// Invalid policies of several kinds: bad TOML, a missing reference, an unknown key.
fn invalid(n: usize) -> String {
    match n % 3 {
        0 => format!("[policy]\nname = \"broken {n}\nversion = "),
        1 => valid(1000 + n).replace("department = \"desk_", "department = \"nowhere_"),
        _ => valid(1000 + n).replace("[[priority_rules]]", "[[priority_rules]]\nurgency = 3"),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aftercare-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

#[test]
fn readers_see_whole_policies_while_reloads_alternate_valid_and_invalid() {
    const READERS: usize = 8;
    const RELOADS: usize = 100;
    let dir = temp_dir("reload");
    let path = dir.join("policy.toml");
    std::fs::write(&path, valid(0)).expect("write");
    let handle = PolicyHandle::open(&path).expect("the first policy loads");

    let tickets: Vec<Ticket> = (0..4)
        .map(|i| {
            let tier = if i % 2 == 0 { "vip" } else { "regular" };
            Ticket::from_json(&format!(
                r#"{{"id": "R{i}", "created_at": "2025-10-09T09:00:00+08:00",
                    "customer": {{"tier": "{tier}"}}}}"#
            ))
            .expect("a ticket")
        })
        .collect();
    let now = "2025-10-09T12:00:00+08:00".parse().expect("now");
    let done = AtomicBool::new(false);
    let seen = Mutex::new(BTreeSet::new());

    std::thread::scope(|s| {
        for r in 0..READERS {
            let (handle, tickets, done, seen) = (&handle, &tickets, &done, &seen);
            s.spawn(move || {
                let mut last = 0usize;
                let mut decisions = 0usize;
                let mut versions = BTreeSet::new();
                while !done.load(Ordering::Acquire) {
                    let ticket = &tickets[(r + decisions) % tickets.len()];
                    let policy = handle.policy();
                    let d = policy.evaluate(ticket, now).expect("a decision");
                    let n: usize = d.policy.version.parse().expect("a valid version");
                    // Only valid versions were ever in service, and each decision is whole.
                    assert!(n <= RELOADS / 2, "version {n} was never valid");
                    assert_eq!(&*d.category, format!("cat_{n}"));
                    assert_eq!(&*d.route.department, format!("desk_{n}"));
                    if ticket.customer.tier.as_deref() == Some("vip") {
                        let target = &d.sla.first_response.as_ref().expect("a clock").target;
                        assert_eq!(&**target, format!("{n}m"));
                    }
                    // Reloads are sequential, so no reader ever goes back to an older version.
                    assert!(n >= last, "version {n} after {last}");
                    last = n;
                    versions.insert(n);
                    decisions += 1;
                }
                assert!(decisions > 0, "reader {r} made no decision");
                seen.lock().expect("lock").extend(versions);
            });
        }

        let mut in_service = 0;
        for i in 0..RELOADS {
            if i % 2 == 0 {
                in_service = i / 2 + 1;
                std::fs::write(&path, valid(in_service)).expect("write");
                let policy = handle.reload().expect("a valid policy reloads");
                assert_eq!(policy.version(), in_service.to_string());
                assert!(handle.last_error().is_none());
            } else {
                std::fs::write(&path, invalid(i)).expect("write");
                let e = handle.reload().expect_err("an invalid policy is refused");
                assert!(e.error_count() > 0);
                let kept = handle.last_error().expect("the error is kept");
                assert_eq!(kept.to_string(), e.to_string());
            }
            assert_eq!(handle.policy().version(), in_service.to_string());
            std::thread::yield_now();
        }
        done.store(true, Ordering::Release);
    });

    let seen = seen.into_inner().expect("lock");
    assert!(seen.len() > 1, "readers saw only versions {seen:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reloads_while_the_file_is_rewritten_in_place_load_one_version_or_the_other() {
    // Two versions of the same length and shape, the version and the rules pages apart: a
    // read that got the start of one and the rest of the other would parse, and show as a
    // policy whose version, category and department disagree.
    let padding = "# padding between the version and the rules\n".repeat(1500);
    let version = |n| {
        let rules = valid(n)
            .replacen(&format!("version = \"{n}\"\n"), "", 1)
            .replacen("[policy]\n", "", 1);
        format!("[policy]\nversion = \"{n}\"\n{rules}").replacen(
            "\n[calendars",
            &format!("\n{padding}[calendars"),
            1,
        )
    };
    let versions = [version(1), version(2)];
    assert_eq!(versions[0].len(), versions[1].len());
    let dir = temp_dir("reload-torn");
    let path = dir.join("policy.toml");
    std::fs::write(&path, &versions[0]).expect("write");
    let handle = PolicyHandle::open(&path).expect("loads");
    let ticket = Ticket::from_json(
        r#"{"id": "T", "created_at": "2025-10-09T09:00:00+08:00", "customer": {"tier": "vip"}}"#,
    )
    .expect("a ticket");
    const RELOADS: usize = 300;
    let stop = AtomicBool::new(false);
    let (mut loaded, mut failed) = (0, 0);
    std::thread::scope(|s| {
        s.spawn(|| {
            // Rewrites in place (truncate, then write in 4 KiB pieces), as editors do.
            use std::io::Write;
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let mut file = std::fs::File::create(&path).expect("rewrite");
                for piece in versions[i % 2].as_bytes().chunks(4096) {
                    file.write_all(piece).expect("rewrite");
                }
                drop(file);
                std::thread::sleep(std::time::Duration::from_micros(200 * (i % 10) as u64));
            }
        });
        for _ in 0..RELOADS {
            match handle.reload() {
                Ok(policy) => {
                    loaded += 1;
                    let v = policy.version().to_string();
                    let decision = policy.evaluate(&ticket, crate::support::now());
                    let decision = decision.expect("a decision");
                    let json = serde_json::to_value(&decision).expect("json");
                    assert_eq!(json["category"], format!("cat_{v}"), "a mixed policy");
                    assert_eq!(
                        json["route"]["department"],
                        format!("desk_{v}"),
                        "a mixed policy"
                    );
                    assert_eq!(
                        json["sla"]["first_response"]["target"],
                        format!("{v}m"),
                        "a mixed policy"
                    );
                }
                Err(e) => {
                    failed += 1;
                    // The file changing (or read between truncate and write) fails the
                    // reload, and the last good version stays in service.
                    let version = handle.policy().version().to_string();
                    assert!(version == "1" || version == "2", "{version}: {e}");
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(loaded + failed, RELOADS);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failed_first_load_is_an_error() {
    let dir = temp_dir("reload-first");
    let path = dir.join("policy.toml");
    std::fs::write(&path, invalid(0)).expect("write");
    let e = PolicyHandle::open(&path).expect_err("no policy to serve");
    assert!(e.to_string().contains("TOML syntax"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reloads_keep_the_handles_limits() {
    let dir = temp_dir("reload-limits");
    let path = dir.join("policy.toml");
    std::fs::write(&path, valid(1)).expect("write");
    let limits = aftercare::Limits {
        max_policy_bytes: valid(1).len() + 10,
        ..Default::default()
    };
    let handle = PolicyHandle::open_with(&path, &limits).expect("loads");
    std::fs::write(&path, valid(2) + " ".repeat(100).as_str()).expect("write");
    let e = handle.reload().expect_err("too large now");
    assert!(e.to_string().contains("(max_policy_bytes)"), "{e}");
    assert_eq!(handle.policy().version(), "1");
    assert_eq!(handle.policy().limits(), &limits);
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "watch")]
#[test]
fn the_watch_feature_reloads_on_change() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let wait_for = |what: &str, ok: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !ok() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let dir = temp_dir("reload-watch");
    let path = dir.join("policy.toml");
    std::fs::write(&path, valid(1)).expect("write");
    let handle = Arc::new(PolicyHandle::open(&path).expect("loads"));
    let _watch = handle.watch().expect("watching");

    std::fs::write(&path, valid(2)).expect("write");
    wait_for("version 2", &|| handle.policy().version() == "2");
    std::fs::write(&path, invalid(1)).expect("write");
    wait_for("the error", &|| handle.last_error().is_some());
    assert_eq!(handle.policy().version(), "2");
    std::fs::write(&path, valid(3)).expect("write");
    wait_for("version 3", &|| {
        handle.policy().version() == "3" && handle.last_error().is_none()
    });
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "watch")]
#[test]
fn the_watch_reacts_only_to_the_files_the_policy_reads() {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let dir = temp_dir("reload-watch-files");
    let calendar = r#"[calendars.office]
timezone = "Asia/Shanghai"
week = { mon = ["09:00-18:00"], tue = ["09:00-18:00"], wed = ["09:00-18:00"],
          thu = ["09:00-18:00"], fri = ["09:00-18:00"] }
"#;
    let main = valid(1).replace(calendar, "");
    assert!(
        !main.contains("[calendars.office]"),
        "the calendar moved out"
    );
    let path = dir.join("policy.toml");
    std::fs::write(dir.join("cal.toml"), calendar).expect("write");
    std::fs::write(&path, format!("include = [\"cal.toml\"]\n{main}")).expect("write");
    let handle = Arc::new(PolicyHandle::open(&path).expect("loads"));
    let files: Vec<String> = handle
        .policy()
        .files()
        .iter()
        .filter_map(|f| f.file_name())
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["policy.toml", "cal.toml"]);

    let reloads = Arc::new(AtomicUsize::new(0));
    let counter = reloads.clone();
    let _watch = handle
        .watch_with(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .expect("watching");
    // Another TOML file beside the policy, and a script it does not use: no reload. (A reload
    // would come within the settle time of 100 ms; a second is plenty.)
    std::fs::write(dir.join("draft.toml"), "not = [a policy").expect("write");
    std::fs::write(dir.join("unused.rhai"), "fn x() { 1 }").expect("write");
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(
        reloads.load(Ordering::SeqCst),
        0,
        "reloaded for unrelated files"
    );

    // The included calendar changes: one reload.
    std::fs::write(dir.join("cal.toml"), calendar.replace("18:00", "17:00")).expect("write");
    let start = Instant::now();
    while reloads.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(handle.last_error().is_none());
    std::fs::remove_dir_all(&dir).ok();
}
