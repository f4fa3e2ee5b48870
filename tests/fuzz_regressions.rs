//! Replays every input that once crashed a fuzz target (`tests/fuzz_regressions/<target>/`),
//! and the fuzzers' seed inputs (`fuzz/seeds/<target>/`), through the very code the fuzz
//! targets run (`fuzz/src/lib.rs`), so a normal `cargo test` catches a regression without
//! libFuzzer or a nightly toolchain.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

/// Runs `target` on every file of its regression and seed folders; fails naming each input
/// that panics.
fn replay(target: &str, run: impl Fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = 0;
    let mut failures = Vec::new();
    for folder in [
        root.join("tests/fuzz_regressions").join(target),
        root.join("fuzz/seeds").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths.into_iter().filter(|p| p.is_file()) {
            let data = std::fs::read(&path).expect("a readable input");
            inputs += 1;
            // Each input runs on its own; a panic in one must not hide the others. The policy is
            // immutable, so nothing it holds is left half-updated by an unwinding panic.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data))).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(inputs > 0, "no inputs for {target}");
    assert!(failures.is_empty(), "{target} panics on: {failures:#?}");
}

#[test]
fn policy_load() {
    replay("policy_load", harness::policy_load);
}

#[test]
fn ticket_eval() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/default.toml");
    let policy = aftercare::Policy::from_path(path).expect("the default policy loads");
    replay("ticket_eval", |data| harness::ticket_eval(&policy, data));
}

#[test]
fn business_time() {
    replay("business_time", harness::business_time);
}

#[test]
fn script_hooks() {
    replay("script_hooks", harness::script_hooks);
}

#[test]
fn model_load() {
    replay("model_load", harness::model_load);
}

#[test]
fn json_array() {
    replay("json_array", harness::json_array);
}
