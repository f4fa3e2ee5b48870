//! Evaluation allocates only a few times per ticket. Counted with a counting global allocator;
//! the bounds are loose enough for small refactors and tight enough to catch a regression
//! (a format! per rule, a Vec per condition, a clone of the ticket).

// Counting allocations means implementing `GlobalAlloc`, an unsafe trait; each method only
// forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use aftercare::{EvalOptions, Policy, Ticket};
use chrono::{DateTime, Utc};

#[path = "../benches/support/tickets.rs"]
mod support;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarding the caller's layout to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above; `ptr` and `layout` describe a live allocation.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-09-30T12:00:00+08:00")
        .expect("valid")
        .with_timezone(&Utc)
}

/// The most allocations any one of 500 generated tickets needed.
fn worst_case(policy: &Policy, events: bool) -> usize {
    let mut rng = support::Rng::new(7);
    let tickets: Vec<Ticket> = (0..500)
        .map(|i| Ticket::from_json(&support::ticket_json(&mut rng, i, events)).expect("valid"))
        .collect();
    let options = EvalOptions { trace: false };
    // Warm up: the first regex search on a thread builds its matching cache once.
    for t in &tickets {
        let _ = policy.evaluate_with(t, now(), options);
    }
    let mut worst = 0;
    for t in &tickets {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let d = policy.evaluate_with(t, now(), options).expect("decides");
        let used = ALLOCATIONS.load(Ordering::Relaxed) - before;
        drop(d);
        worst = worst.max(used);
    }
    worst
}

// One test function: the counter is global, so parallel tests would disturb each other.
#[test]
fn evaluation_allocates_only_a_few_times_per_ticket() {
    let text = std::fs::read_to_string("benches/policies/triage.toml").expect("readable");
    let triage =
        Policy::from_toml(text.split("[sla.targets").next().unwrap_or_default()).expect("valid");
    let triage_worst = worst_case(&triage, false);
    println!("triage policy, whole decision: at most {triage_worst} allocations per ticket");
    assert!(triage_worst <= 3, "triage allocated {triage_worst} times");

    // `Policy::triage` borrows everything from the policy.
    let mut rng = support::Rng::new(7);
    for i in 0..500 {
        let t = Ticket::from_json(&support::ticket_json(&mut rng, i, false)).expect("valid");
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let outcome = triage.triage(&t, now()).expect("triages");
        let used = ALLOCATIONS.load(Ordering::Relaxed) - before;
        drop(outcome);
        assert_eq!(used, 0, "Policy::triage allocated {used} times");
    }

    // The default policy reads text models; a policy without models must pay nothing for
    // them, so this measures the default policy's words and clocks with its models left out.
    let text = std::fs::read_to_string("policies/default.toml").expect("readable");
    let words_only = without_models(&text);
    assert!(!words_only.contains("\"model."), "models left in");
    let full = Policy::from_toml_in(
        "default.toml",
        &words_only,
        std::path::Path::new("policies"),
    )
    .expect("valid");
    let full_worst = worst_case(&full, true);
    println!("default policy, full decision: at most {full_worst} allocations per ticket");
    assert!(
        full_worst <= 10,
        "a full decision allocated {full_worst} times"
    );
}

/// The policy without its `[models]` and every table that reads a model: the text split into
/// blocks at table headers, and the blocks naming a model dropped.
fn without_models(text: &str) -> String {
    let mut out = String::new();
    let mut block = String::new();
    let flush = |block: &mut String, out: &mut String| {
        let header = block.trim_start().starts_with('[');
        if !(header && (block.contains("\"model.") || block.contains("[models."))) {
            out.push_str(block);
        }
        block.clear();
    };
    for line in text.lines() {
        if line.trim_start().starts_with('[') {
            flush(&mut block, &mut out);
        }
        block.push_str(line);
        block.push('\n');
    }
    flush(&mut block, &mut out);
    out
}
