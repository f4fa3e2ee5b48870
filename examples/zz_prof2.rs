use aftercare::{Options, Policy, Ticket};
use std::path::PathBuf;
const TICKETS: usize = 1024;
include!("/tmp/benchparts.rs");
include!("/tmp/benchplain.rs");
fn policy(script: Option<&str>) -> Policy {
    let dir: PathBuf = std::env::temp_dir().join(format!("aftercare-prof2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = format!("{BASE}{ROUTE_DEFAULT}");
    if let Some(s) = script { std::fs::write(dir.join("hooks.rhai"), s).unwrap(); text.push_str("\n[scripts]\npath = \"hooks.rhai\"\n"); }
    Policy::from_toml_in("policy.toml", &text, &dir).unwrap()
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let config = args.get(1).map(String::as_str).unwrap_or("triage");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let json = tickets();
    let tickets: Vec<Ticket> = json.iter().map(|j| Ticket::from_json(j).unwrap()).collect();
    let now = "2025-10-15T18:00:00+08:00".parse().unwrap();
    if config == "plain" || config == "plaintrivial" {
        let engine = rhai::Engine::new();
        let ast = engine.compile(if config == "plain" { PLAIN } else { "fn triage(t) { () }" }).unwrap();
        let maps: Vec<rhai::Dynamic> = json.iter().map(|j| {
            let mut v: serde_json::Value = serde_json::from_str(j).unwrap();
            let o = v.as_object_mut().unwrap();
            for (t, f) in [("customer", "name"), ("customer", "contact"), ("product", "serial_no")] { o[t].as_object_mut().unwrap().remove(f); }
            o.insert("events".into(), serde_json::json!([]));
            o.insert("now".into(), "2025-10-15T18:00:00+08:00".into());
            rhai::serde::to_dynamic(v).unwrap()
        }).collect();
        for i in 0..n {
            let r: rhai::Dynamic = engine.call_fn(&mut rhai::Scope::new(), &ast, "triage", (maps[i % TICKETS].clone(),)).unwrap();
            std::hint::black_box(r);
        }
        return;
    }
    let script = match config { "none" => None, "trivial1" => Some("fn prioritise(t, d) { () }"), "trivial2" => Some("fn prioritise(t, d) { () }\nfn route(t, d) { () }"), _ => Some(HOOKS) };
    let p = policy(script);
    for i in 0..n { std::hint::black_box(p.evaluate_with(&tickets[i % TICKETS], now, Options { trace: false }).unwrap()); }
}
