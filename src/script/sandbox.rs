//! The sandbox: an engine with every limit set and nothing that reaches outside, plus the
//! stack guard and wall-clock fuse behind the operation count.

use rhai::{Dynamic, Engine};

use super::MAX_MODULES;
use crate::check::ScriptLimits;

/// An engine with every limit set and nothing that reaches outside.
pub(super) fn sandbox(limits: &ScriptLimits) -> Engine {
    let mut e = Engine::new();
    e.set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_modules(MAX_MODULES)
        // Undeclared variables are load errors, not surprises at run time.
        .set_strict_variables(true);
    fuse(&mut e, limits.max_time_ms);
    e.disable_symbol("eval");
    // Scripts have no output: printing could leak ticket data into logs.
    e.on_print(|_| {});
    e.on_debug(|_, _, _| {});
    e
}

/// The guards look at their state only every this many operations.
pub(super) const FUSE_GRAIN: u64 = 8;
/// Operations before the fuse first looks at the clock: shorter hooks never read it.
pub(super) const FUSE_FIRST: u64 = 16;
/// The most operations between two looks at the clock.
pub(super) const FUSE_MAX_STRIDE: u64 = 4096;
/// How much stack a hook call may use. Calls and nested expressions each take native stack;
/// their limits keep a script well below this in a release build, and this stops what gets
/// past them before the thread's stack (2 MiB for a Rust thread by default) runs out.
pub(super) const STACK_BUDGET: usize = 1 << 20;

/// Per-thread state of the guards for the hook call running on this thread. Each call counts
/// operations from 1 on its own thread, so operation 1 marks a new call.
#[derive(Clone, Copy)]
pub(super) struct FuseState {
    start: Option<std::time::Instant>,
    last: Option<std::time::Instant>,
    stride: u64,
    /// Where the stack was at the call's first operation.
    stack_base: usize,
}

thread_local! {
    /// The operation count at which the fuse looks at the clock next.
    static FUSE_NEXT: std::cell::Cell<u64> = const { std::cell::Cell::new(FUSE_FIRST) };
    static FUSE: std::cell::Cell<FuseState> = const {
        std::cell::Cell::new(FuseState { start: None, last: None, stride: FUSE_FIRST, stack_base: 0 })
    };
}

/// The address of the current stack frame (stacks grow down on every supported target).
#[inline(always)]
pub(super) fn stack_position() -> usize {
    let marker = 0u8;
    std::ptr::from_ref(std::hint::black_box(&marker)) as usize
}

/// What a guard reports to the engine when it stops a script.
pub(super) const STOPPED_BY_STACK: &str = "stack";

/// Two guards behind the operation count, which is the limit that decides.
///
/// The stack guard stops a script whose calls and nested expressions use more than
/// [`STACK_BUDGET`] of native stack, instead of letting the thread overflow.
///
/// The wall-clock fuse stops work that operations undercount, such as a builtin scanning a
/// large array once per operation. It looks at the clock every `stride` operations and adapts
/// the stride so that looks stay about a millisecond apart: cheap for tight loops, prompt for
/// slow operations.
pub(super) fn fuse(engine: &mut Engine, max_ms: u64) {
    use std::time::{Duration, Instant};
    let budget = Duration::from_millis(max_ms);
    engine.on_progress(move |ops| {
        if ops == 1 {
            FUSE_NEXT.with(|n| n.set(FUSE_FIRST));
            FUSE.with(|f| {
                f.set(FuseState {
                    start: None,
                    last: None,
                    stride: FUSE_FIRST,
                    stack_base: stack_position(),
                })
            });
            return None;
        }
        // Most operations return here, before touching the thread's state.
        if ops % FUSE_GRAIN != 0 {
            return None;
        }
        let mut state = FUSE.with(std::cell::Cell::get);
        if state.stack_base.saturating_sub(stack_position()) > STACK_BUDGET {
            return Some(Dynamic::from(STOPPED_BY_STACK));
        }
        if ops < FUSE_NEXT.with(std::cell::Cell::get) {
            return None;
        }
        let now = Instant::now();
        let start = *state.start.get_or_insert(now);
        if now.duration_since(start) > budget {
            return Some(Dynamic::from(
                rhai::INT::try_from(max_ms).unwrap_or(rhai::INT::MAX),
            ));
        }
        if let Some(last) = state.last {
            let since = now.duration_since(last);
            if since < Duration::from_micros(250) {
                state.stride = (state.stride * 2).min(FUSE_MAX_STRIDE);
            } else if since > Duration::from_millis(2) {
                state.stride = (state.stride / 2).max(1);
            }
        }
        state.last = Some(now);
        FUSE_NEXT.with(|n| n.set(ops + state.stride));
        FUSE.with(|f| f.set(state));
        None
    });
}
