//! Hostile scripts stop with an error, quickly and within bounded memory, and never take the
//! process down.

use crate::support::scripts;

use std::time::{Duration, Instant};

use scripts::*;

/// A loose hang catcher, not a benchmark: the limits stop these in milliseconds.
const PATIENCE: Duration = Duration::from_secs(2);

/// Runs a `prioritise` hook with `body` under the default limits, and checks it stops in time
/// with an error that names the limit.
fn stopped(body: &str, expect: &str) {
    stopped_with("", body, expect);
}

/// [`stopped`] with the time fuse out of the way, for the limits that count: a debug build runs
/// scripts some fifty times slower than a release build and could reach the fuse first.
fn counted(body: &str, expect: &str) {
    stopped_with("max_time_ms = 1500", body, expect);
}

fn stopped_any(body: &str, expect: &[&str]) {
    stopped_any_with("", body, expect);
}

fn stopped_any_with(keys: &str, body: &str, expect: &[&str]) {
    let script = format!("fn prioritise(ticket, decision) {{\n{body}\n}}\n");
    let policy = load_keys(keys, &script);
    let start = Instant::now();
    let err = eval(&policy, "").unwrap_err().to_string();
    assert!(start.elapsed() < PATIENCE, "took {:?}", start.elapsed());
    assert!(
        expect.iter().any(|e| err.contains(e)),
        "expected one of {expect:?} in: {err}"
    );
}

fn stopped_with(keys: &str, body: &str, expect: &str) {
    let script = format!("fn prioritise(ticket, decision) {{\n{body}\n}}\n");
    let policy = load_keys(keys, &script);
    let start = Instant::now();
    let result = eval(&policy, "");
    let took = start.elapsed();
    let err = match result {
        Ok(d) => panic!("the hostile script produced a decision: {:?}", d.priority),
        Err(e) => e.to_string(),
    };
    assert!(took < PATIENCE, "took {took:?}");
    assert!(
        err.contains("script scripts/hooks.rhai: prioritise failed"),
        "{err}"
    );
    assert!(err.contains(expect), "expected `{expect}` in: {err}");
    assert!(err.contains("(hook at line 1)"), "{err}");
}

#[test]
fn endless_loop() {
    counted("loop { }", "max_operations = 100000");
}

#[test]
fn endless_while_with_work() {
    counted(
        "let x = 0;\nwhile true { x += 1; }",
        "max_operations = 100000",
    );
}

#[test]
fn deep_recursion() {
    let script = "fn down(n) { down(n + 1) }\nfn prioritise(ticket, decision) {\n  down(0)\n}\n";
    let policy = load_keys("max_time_ms = 1500", script);
    let start = Instant::now();
    let err = eval(&policy, "").unwrap_err().to_string();
    assert!(start.elapsed() < PATIENCE);
    assert!(err.contains("max_call_depth = 32"), "{err}");
}

#[test]
fn exponential_recursion() {
    let script = "fn fib(n) { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }\n\
                  fn prioritise(ticket, decision) {\n  fib(22)\n}\n";
    let policy = load_keys("max_time_ms = 1500", script);
    let start = Instant::now();
    let err = eval(&policy, "").unwrap_err().to_string();
    assert!(start.elapsed() < PATIENCE);
    assert!(err.contains("max_operations"), "{err}");
}

#[test]
fn string_doubling() {
    counted(
        "let s = \"x\";\nloop { s += s; }",
        "max_string_size = 65536",
    );
}

#[test]
fn array_doubling() {
    counted("let a = [1];\nloop { a += a; }", "max_array_size = 10000");
}

#[test]
fn array_push_loop() {
    // Rhai re-measures the whole array after every push: quadratic work in few operations,
    // so in a debug build the fuse may stop it before the size limit does.
    stopped_any(
        "let a = [];\nloop { a.push(\"item\"); }",
        &["max_array_size = 10000", "max_time_ms = 40"],
    );
}

#[test]
fn map_growth() {
    counted(
        "let m = #{};\nlet i = 0;\nloop { m[`k${i}`] = i; i += 1; if m.len() == 0 { break; } }",
        "max_map_size = 1000",
    );
}

#[test]
fn map_growth_unread() {
    // Rhai measures a map when it is used, not when a key is added; a map that is only
    // written to is stopped by the operation count (or the fuse, in a debug build).
    stopped_any(
        "let m = #{};\nlet s = \"\";\ns.pad(60000, \"k\");\nlet i = 0;\nloop { m[s + i] = i; i += 1; }",
        &["max_operations = 100000", "max_time_ms = 40"],
    );
}

#[test]
fn strings_spread_over_an_array() {
    // Each string is small; together they are not. Re-measuring the array after every push
    // is quadratic, so a debug build may reach the fuse first.
    stopped_any(
        "let a = [];\nlet s = \"0123456789abcdef\";\nloop { a.push(s + a.len()); }",
        &["max_string_size = 65536", "max_time_ms = 40"],
    );
}

#[test]
fn work_that_operations_undercount() {
    // One `contains` on a full array is a single operation; the time fuse stops the loop.
    stopped(
        "let a = [];\na.pad(10000, 0);\nloop { a.contains(-1); }",
        "max_time_ms = 40",
    );
}

#[test]
fn limits_can_be_lowered() {
    let policy = load_keys(
        "max_operations = 500\nmax_call_depth = 4",
        "fn down(n) { down(n + 1) }\nfn prioritise(ticket, decision) { if decision.category == \"fault\" { down(0) } else { loop {} } }\n",
    );
    let err = eval(&policy, "").unwrap_err().to_string();
    assert!(err.contains("max_operations = 500"), "{err}");
    let err = eval(&policy, r#""kind": "fault""#).unwrap_err().to_string();
    assert!(err.contains("max_call_depth = 4"), "{err}");
}

#[test]
fn fallback_keeps_the_declarative_result() {
    // The fuse out of the way: a busy machine must not turn the count's error into the fuse's.
    let policy = load_keys(
        "on_script_error = \"fallback\"\nmax_time_ms = 1500",
        "fn prioritise(ticket, decision) {\n  loop { }\n}\n",
    );
    let start = Instant::now();
    let d = decide(&policy, r#""kind": "complaint""#);
    assert!(start.elapsed() < PATIENCE);
    assert_eq!(&*d.priority, "high");
    let lines = script_trace(&d);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(
            "warning: script scripts/hooks.rhai: prioritise failed: stopped after max_operations"
        ),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("; kept priority high"), "{}", lines[0]);
}

#[test]
fn a_hostile_batch_finishes() {
    let policy =
        load("fn classify(ticket) {\n  if ticket.kind == \"fault\" { loop {} }\n  ()\n}\n");
    let tickets: Vec<_> = (0..200)
        .map(|i| {
            let kind = if i % 2 == 0 { "fault" } else { "consultation" };
            aftercare::Ticket::from_json(&format!(
                r#"{{"id": "T{i}", "created_at": "2025-10-15T10:00:00+08:00", "kind": "{kind}"}}"#
            ))
            .unwrap()
        })
        .collect();
    let start = Instant::now();
    let results = policy.evaluate_batch(&tickets, now(), aftercare::EvalOptions::default());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(results.len(), 200);
    for (i, r) in results.iter().enumerate() {
        match r {
            Err(e) if i % 2 == 0 => assert_eq!(e.ticket.as_deref(), Some(&*format!("T{i}"))),
            Ok(_) if i % 2 == 1 => {}
            // A thread descheduled for longer than the fuse (a machine busy with other
            // builds) may trip it even in a short hook; nothing else may fail.
            Err(e) if e.message.contains("max_time_ms") => {}
            other => panic!("ticket T{i}: {:?}", other.as_ref().map(|d| &d.priority)),
        }
    }
}

#[test]
fn nesting_limits_are_capped() {
    let err = scripts::load_with(
        "max_call_depth = 100000\nmax_expr_depth = 257",
        &[("scripts/hooks.rhai", "fn classify(ticket) { () }")],
    )
    .unwrap_err();
    let messages: Vec<&str> = err
        .diagnostics()
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "`max_call_depth` is at most 256",
            "`max_expr_depth` is at most 256"
        ]
    );
}

#[test]
fn deep_calls_with_deep_expressions_stop_before_the_stack_runs_out() {
    // Each call level nests 100 expressions; at the highest limits the stack guard stops it on
    // a 2 MiB thread. (Parsing such a script takes stack too: it loads on a bigger thread.)
    let body = format!("{}down(n - 1){}", "(1 + ".repeat(100), ")".repeat(100));
    let script = format!(
        "fn down(n) {{ if n > 0 {{ {body} }} else {{ 0 }} }}\nfn prioritise(ticket, decision) {{\n  down(1000)\n}}\n"
    );
    let policy = std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            load_keys(
                "max_call_depth = 256\nmax_expr_depth = 256\nmax_time_ms = 5000",
                &script,
            )
        })
        .unwrap()
        .join()
        .unwrap();
    let err = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || eval(&policy, "").unwrap_err().to_string())
        .unwrap()
        .join()
        .unwrap();
    assert!(
        err.contains("nested calls and expressions too deeply"),
        "{err}"
    );
}

/// The issue's attack: `contains_any` over 64 KiB of `İ` (which grows when lower-cased) with
/// 8 192 keywords, called in a loop. Each call is one operation of the script, but its work
/// is charged, so it stops in the middle of a call, long before a second has passed.
#[test]
fn an_expensive_helper_cannot_outrun_the_limits() {
    for (keys, words) in [("", "\"i̇x\""), ("max_operations = 100000000", "\"i̇x\"")] {
        let body = format!(
            "let t = \"\";\nt.pad(32768, \"İ\");\nlet w = [];\nw.pad(8192, {words});\nlet n = 0;\nloop {{ if contains_any(t, w) {{ n += 1; }} }}"
        );
        let script = format!("fn prioritise(ticket, decision) {{\n{body}\n}}\n");
        let policy = load_keys(keys, &script);
        let start = Instant::now();
        let err = eval(&policy, "").unwrap_err().to_string();
        let took = start.elapsed();
        assert!(took < PATIENCE, "took {took:?}: {err}");
        assert!(
            err.contains("stopped after max_operations") || err.contains("max_time_ms = 40"),
            "{err}"
        );
        assert!(
            err.contains("script scripts/hooks.rhai: prioritise failed"),
            "{err}"
        );
    }
}

/// The work a helper does counts as operations, so the operation count (not the clock)
/// stops a hook that scans a lot of text, and does so at the same point every time.
#[test]
fn helper_work_counts_as_operations() {
    let script = "fn prioritise(ticket, decision) {\n  let t = \"\";\n  t.pad(60000, \"a\");\n  loop { contains_any(t, \"b\"); }\n}\n";
    let policy = load_keys("max_time_ms = 5000", script);
    let start = Instant::now();
    let err = eval(&policy, "").unwrap_err().to_string();
    assert!(start.elapsed() < PATIENCE, "took {:?}", start.elapsed());
    assert!(
        err.contains("stopped after max_operations = 100000"),
        "{err}"
    );
}

/// One call to `contains_any` (an operation of the script) with a huge amount of work is
/// stopped inside the call: the clock starts with the hook, not after its first operations.
#[test]
fn the_clock_starts_with_the_call() {
    let script = "fn prioritise(ticket, decision) {\n  let t = \"\";\n  t.pad(32768, \"İ\");\n  let w = [];\n  w.pad(8000, \"i̇q\");\n  contains_any(t, w)\n}\n";
    let policy = load_keys("max_operations = 100000000\nmax_time_ms = 20", script);
    let start = Instant::now();
    let err = eval(&policy, "").unwrap_err().to_string();
    assert!(start.elapsed() < PATIENCE, "took {:?}", start.elapsed());
    assert!(err.contains("ran longer than max_time_ms = 20 ms"), "{err}");
}

/// `s.replace(find, sub)` would build the whole result before the size limit looks at it:
/// 64 Ki matches of a 64 KiB substitute are 4 GiB. It is measured first and refused.
#[test]
fn replace_cannot_build_gigabytes() {
    for call in [
        "t.replace(\"a\", s)",
        "t.replace('a', s)",
        "t.replace(\"\", s)",
    ] {
        stopped_any_with(
            "max_time_ms = 1500",
            &format!("let s = \"\";\ns.pad(65536, \"a\");\nlet t = s;\n{call};\nt.len()"),
            &["strings grew beyond max_string_size = 65536 bytes"],
        );
    }
    // Replacing within the limit works as before.
    let policy = load(
        "fn prioritise(ticket, decision) {\n  let s = \"a-b-c\";\n  s.replace(\"-\", \"\");\n  s.replace('b', \"ow\");\n  if s == \"aowc\" { \"low\" }\n}\n",
    );
    assert_eq!(&*decide(&policy, "").priority, "low");
}

/// A loop of Rhai builtins that each work on the largest array the limits allow, started
/// after a run of cheap operations: the fuse's stride is bounded, so the hook stops soon
/// after `max_time_ms`.
#[test]
fn cheap_operations_first_do_not_blind_the_fuse() {
    // Operations out of the way: on a quiet machine the count could stop it first, and the
    // point here is that the clock is still read after many cheap operations.
    stopped_with(
        "max_operations = 1000000000",
        "let a = [];\na.pad(10000, 0);\nlet b = a;\nlet i = 0;\nwhile i < 20000 { i += 1; }\nlet n = 0;\nloop { if a == b { n += 1; } }",
        "max_time_ms = 40",
    );
}
