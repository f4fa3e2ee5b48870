//! What script hooks cost: the same triage logic as `prioritise` and `route` hooks in a policy,
//! and as plain Rhai (`Engine::call_fn` on a pre-compiled AST with a pre-built map).
//!
//! The triage: priority `urgent` if safety_hazard or batch_issue or (complaint and vip); else
//! `high` if (fault and phone) or complaint; else `medium` if fault or consultation; else `low`.
//! Route: complaint or fault → after_sales_tech, in region north with north_service_team;
//! consultation → customer_center; suggestion → product_dept.
//!
//! Groups:
//! * `triage/plain_rhai` — the baseline: one `call_fn` per ticket on a pre-built map.
//! * `triage/hooks` — `Policy::evaluate` (trace off) of a policy whose priority and route come
//!   from the hooks: the hook path plus the rest of an evaluation.
//! * `triage/no_hooks` — the same policy without `[scripts]`: the rest of an evaluation alone.
//!   `hooks − no_hooks` is what the hook path costs.
//! * `triage/rules` — the same triage written as policy rules, for comparison.
//! * `triage/interleaved` — the first three in turns of 64 tickets, so that a busy machine
//!   slows them alike; it prints the ratios `hook path / plain Rhai` and
//!   `whole evaluation with hooks / plain Rhai`.
//! * `hostile/*` — how long a hostile hook takes to be stopped.
//!
//! Run with `cargo bench --bench script_hook`.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aftercare::{EvalOptions, Policy, Ticket};
use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use rhai::{Dynamic, Engine, Scope};

const TICKETS: usize = 1024;

#[path = "support/tickets.rs"]
mod support;

/// The issue's ticket mix from a fixed seed, as in the engine benchmarks.
fn tickets() -> Vec<String> {
    let mut rng = support::Rng::new(2025);
    (0..TICKETS)
        .map(|i| support::ticket_json(&mut rng, i, false))
        .collect()
}

const PLAIN: &str = r#"
fn triage(t) {
    let kind = t.kind;
    let a = t.attributes;
    let priority = if a.safety_hazard || a.batch_issue || (kind == "complaint" && t.customer.tier == "vip") {
        "urgent"
    } else if (kind == "fault" && t.channel == "phone") || kind == "complaint" {
        "high"
    } else if kind == "fault" || kind == "consultation" {
        "medium"
    } else {
        "low"
    };
    let route = if kind == "complaint" || kind == "fault" {
        if t.customer.region == "north" {
            #{ department: "after_sales_tech", team: "north_service_team" }
        } else {
            #{ department: "after_sales_tech" }
        }
    } else if kind == "consultation" {
        #{ department: "customer_center" }
    } else {
        #{ department: "product_dept" }
    };
    #{ priority: priority, route: route }
}
"#;

const HOOKS: &str = r#"
fn prioritise(t, d) {
    let c = d.category;
    let a = t.attributes;
    if a.safety_hazard || a.batch_issue || (c == "complaint" && t.customer.tier == "vip") {
        "urgent"
    } else if (c == "fault" && t.channel == "phone") || c == "complaint" {
        "high"
    } else if c == "fault" || c == "consultation" {
        "medium"
    } else {
        "low"
    }
}

fn route(t, d) {
    let c = d.category;
    if c == "complaint" || c == "fault" {
        if t.customer.region == "north" {
            #{ department: "after_sales_tech", team: "north_service_team" }
        } else {
            #{ department: "after_sales_tech" }
        }
    } else if c == "consultation" {
        #{ department: "customer_center" }
    } else {
        #{ department: "product_dept" }
    }
}
"#;

const BASE: &str = r#"
[policy]
name = "triage bench"
version = "1"

[[categories]]
id = "complaint"
when = { kind = "complaint" }
[[categories]]
id = "fault"
when = { kind = "fault" }
[[categories]]
id = "suggestion"
when = { kind = "suggestion" }
[[categories]]
id = "consultation"
default = true

[priorities]
order = ["urgent", "high", "medium", "low"]
default = "low"

[departments.after_sales_tech]
[departments.customer_center]
[departments.product_dept]
"#;

const ROUTE_DEFAULT: &str = r#"
[[routes]]
id = "desk"
default = true
department = "customer_center"
"#;

/// A policy in a fresh folder with `script` as `hooks.rhai` when given.
fn policy(toml: &str, script: Option<&str>) -> Policy {
    let dir: PathBuf = std::env::temp_dir().join(format!("aftercare-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = toml.to_string();
    if let Some(s) = script {
        std::fs::write(dir.join("hooks.rhai"), s).unwrap();
        text.push_str("\n[scripts]\npath = \"hooks.rhai\"\n");
    }
    let p = Policy::from_toml_in("policy.toml", &text, &dir).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    p
}

fn now() -> DateTime<Utc> {
    "2025-10-15T18:00:00+08:00".parse().unwrap()
}

fn triage(c: &mut Criterion) {
    let json = tickets();
    let tickets: Vec<Ticket> = json.iter().map(|j| Ticket::from_json(j).unwrap()).collect();
    let options = EvalOptions { trace: false };

    // The baseline: plain Rhai on pre-built maps (the same fields a hook sees).
    let engine = Engine::new();
    let ast = engine.compile(PLAIN).unwrap();
    // The same fields a hook sees: no personal data, plus `events` and `now`.
    let maps: Vec<Dynamic> = json
        .iter()
        .map(|j| {
            let mut v: serde_json::Value = serde_json::from_str(j).unwrap();
            let o = v.as_object_mut().unwrap();
            for (table, field) in [
                ("customer", "name"),
                ("customer", "contact"),
                ("product", "order_no"),
                ("product", "serial_no"),
            ] {
                o[table].as_object_mut().unwrap().remove(field);
            }
            o.insert("events".into(), serde_json::json!([]));
            o.insert("now".into(), "2025-10-15T18:00:00+08:00".into());
            rhai::serde::to_dynamic(v).unwrap()
        })
        .collect();

    let hooks = policy(&format!("{BASE}{ROUTE_DEFAULT}"), Some(HOOKS));
    let no_hooks = policy(&format!("{BASE}{ROUTE_DEFAULT}"), None);
    // The same triage as rules: the engine benchmark's policy, without its SLA targets.
    let rules = std::fs::read_to_string("benches/policies/triage.toml").unwrap();
    let rules = Policy::from_toml(rules.split("[sla.targets").next().unwrap()).unwrap();

    // The three ways agree on every ticket.
    for (i, t) in tickets.iter().enumerate() {
        let a = hooks.evaluate_with(t, now(), options).unwrap();
        let b = rules.evaluate_with(t, now(), options).unwrap();
        let plain: rhai::Map = engine
            .call_fn(&mut Scope::new(), &ast, "triage", (maps[i].clone(),))
            .unwrap();
        assert_eq!(
            (&a.priority, &a.route.department, &a.route.team),
            (&b.priority, &b.route.department, &b.route.team)
        );
        assert_eq!(
            plain["priority"].clone().into_string().unwrap(),
            &*a.priority
        );
    }

    let mut group = c.benchmark_group("triage");
    group.bench_function("plain_rhai", |b| {
        let mut i = 0;
        b.iter(|| {
            let map = maps[i % TICKETS].clone();
            i += 1;
            let r: Dynamic = engine
                .call_fn(&mut Scope::new(), &ast, "triage", (map,))
                .unwrap();
            black_box(r)
        })
    });
    for (name, p) in [
        ("hooks", &hooks),
        ("no_hooks", &no_hooks),
        ("rules", &rules),
    ] {
        group.bench_function(name, |b| {
            let mut i = 0;
            b.iter(|| {
                let t = &tickets[i % TICKETS];
                i += 1;
                black_box(p.evaluate_with(t, now(), options).unwrap())
            })
        });
    }

    // The three measured side by side, in turns of 64 tickets each, so that a busy machine
    // slows them alike: the hook path is `hooks − no_hooks`, compared with `plain_rhai`.
    const TURN: usize = 64;
    let totals = std::cell::Cell::new([Duration::ZERO; 3]);
    group.bench_function("interleaved", |b| {
        let mut i = 0;
        b.iter_custom(|iters| {
            let mut sum = totals.get();
            let mut hooks_time = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = TURN.min((iters - done) as usize);
                let start = i;
                let t0 = Instant::now();
                for k in start..start + n {
                    let map = maps[k % TICKETS].clone();
                    let r: Dynamic = engine
                        .call_fn(&mut Scope::new(), &ast, "triage", (map,))
                        .unwrap();
                    let _ = black_box(r);
                }
                let t1 = Instant::now();
                for k in start..start + n {
                    black_box(
                        hooks
                            .evaluate_with(&tickets[k % TICKETS], now(), options)
                            .unwrap(),
                    );
                }
                let t2 = Instant::now();
                for k in start..start + n {
                    black_box(
                        no_hooks
                            .evaluate_with(&tickets[k % TICKETS], now(), options)
                            .unwrap(),
                    );
                }
                let t3 = Instant::now();
                sum[0] += t1 - t0;
                sum[1] += t2 - t1;
                sum[2] += t3 - t2;
                hooks_time += t2 - t1;
                i += n;
                done += n as u64;
            }
            totals.set(sum);
            hooks_time
        })
    });
    group.finish();
    let [plain, hooked, rest] = totals.get();
    if !plain.is_zero() {
        let path = hooked.saturating_sub(rest);
        println!(
            "interleaved totals: plain Rhai {:.2?}, evaluate with hooks {:.2?}, without {:.2?}; \
             hook path / plain Rhai = {:.2}, whole evaluation with hooks / plain Rhai = {:.2}",
            plain,
            hooked,
            rest,
            path.as_secs_f64() / plain.as_secs_f64(),
            hooked.as_secs_f64() / plain.as_secs_f64(),
        );
    }
}

fn hostile(c: &mut Criterion) {
    let ticket =
        Ticket::from_json(r#"{"id": "H", "created_at": "2025-10-15T10:00:00+08:00"}"#).unwrap();
    let mut group = c.benchmark_group("hostile");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let cases = [
        ("endless_loop", "loop { }"),
        ("deep_recursion", "fn down(n) { down(n + 1) } down(0)"),
        ("string_doubling", "let s = \"x\"; loop { s += s; }"),
        ("array_doubling", "let a = [1]; loop { a += a; }"),
        (
            "map_growth",
            "let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; if m.len() == 0 { break; } }",
        ),
        ("array_push", "let a = []; loop { a.push(\"item\"); }"),
        (
            "scan_loop",
            "let a = []; a.pad(10000, 0); loop { a.contains(-1); }",
        ),
        // The fuse attack of issue 13: a helper whose work grows with its input.
        (
            "contains_any_flood",
            "let t = \"\"; t.pad(32768, \"İ\"); let w = []; w.pad(8192, \"i̇x\"); loop { contains_any(t, w); }",
        ),
        // Cheap operations first (the fuse's stride grows), then expensive builtins.
        (
            "cheap_then_compare",
            "let a = []; a.pad(10000, 0); let b = a; let i = 0; while i < 20000 { i += 1; } loop { a == b; }",
        ),
        (
            "replace_bomb",
            "let s = \"\"; s.pad(65536, \"a\"); let t = s; t.replace(\"a\", s);",
        ),
    ];
    for (name, body) in cases {
        // Recursion needs a function outside the hook.
        let script = match body.split_once(" } ") {
            Some((f, call)) if body.starts_with("fn ") => {
                format!("{f} }}\nfn prioritise(ticket, decision) {{ {call} }}\n")
            }
            _ => format!("fn prioritise(ticket, decision) {{ {body} }}\n"),
        };
        let p = policy(&format!("{BASE}{ROUTE_DEFAULT}"), Some(&script));
        assert!(
            p.evaluate(&ticket, now()).is_err(),
            "{name} was not stopped"
        );
        group.bench_function(name, |b| {
            b.iter(|| black_box(p.evaluate(&ticket, now()).is_err()))
        });
    }
    group.finish();
}

criterion_group!(benches, triage, hostile);
criterion_main!(benches);
