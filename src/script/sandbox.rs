//! The sandbox: an engine with every limit set and nothing that reaches outside, plus the
//! stack guard and wall-clock fuse behind the operation count, and the work account that
//! lets helpers whose cost grows with their input pay for it in operations.
//!
//! Evaluation reads no clock, except here: the fuse is the one documented exception. The
//! operation count (with the work helpers charge) decides first and deterministically; the
//! fuse only stops what the count does not see, such as one Rhai builtin working on the
//! largest value the size limits allow.

use std::cell::Cell;
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Position};

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
    fuse(&mut e, limits);
    bounded_builtins(&mut e, limits.max_string_size);
    e.disable_symbol("eval");
    // Scripts have no output: printing could leak ticket data into logs.
    e.on_print(|_| {});
    e.on_debug(|_, _, _| {});
    e
}

/// The guards look at their state only every this many operations.
pub(super) const FUSE_GRAIN: u64 = 8;
/// The most operations between two looks at the clock once a hook runs long. One operation
/// of a Rhai builtin on the largest values the size limits allow (splitting a 64 KiB string
/// into characters, comparing two arrays of 10 000 items) takes a few milliseconds in a
/// release build, so this bounds how far such a hook can run past `max_time_ms`.
pub(super) const FUSE_MAX_STRIDE: u64 = 16;
/// The aim for the time between two looks at the clock.
const FUSE_TARGET: Duration = Duration::from_micros(100);
/// Helpers pay one operation per this many bytes they read or write: about what an
/// operation costs in time, so that helper work counts like script work.
pub(super) const BYTES_PER_OPERATION: usize = 256;
/// Helpers look at the clock each time they have charged this many operations.
const CHARGE_CLOCK_EVERY: u64 = 64;
/// How much stack a hook call may use. Calls and nested expressions each take native stack;
/// their limits keep a script well below this in a release build, and this stops what gets
/// past them before the thread's stack (2 MiB for a Rust thread by default) runs out.
pub(super) const STACK_BUDGET: usize = 1 << 20;

/// Per-thread state of the guards for the hook call running on this thread. Each call counts
/// operations from 1 on its own thread, so operation 1 marks a new call.
#[derive(Clone, Copy)]
struct FuseState {
    /// When the running call must stop; `None` outside a sandboxed call.
    deadline: Option<Instant>,
    /// The last look at the clock.
    last: Instant,
    /// Operations between looks at the clock.
    stride: u64,
    /// Where the stack was at the call's first operation.
    stack_base: usize,
    /// The operation count at the guards' last look (a multiple of [`FUSE_GRAIN`]).
    ops: u64,
    /// Operations charged by helpers for their work.
    charged: u64,
    /// `max_operations` of the running call (0: none).
    max_ops: u64,
    /// `max_time_ms` of the running call, for the error.
    max_ms: u64,
}

thread_local! {
    /// The operation count at which the fuse looks at the clock next.
    static FUSE_NEXT: Cell<u64> = const { Cell::new(u64::MAX) };
    static FUSE: Cell<Option<FuseState>> = const { Cell::new(None) };
}

/// The address of the current stack frame (stacks grow down on every supported target).
#[inline(always)]
pub(super) fn stack_position() -> usize {
    let marker = 0u8;
    std::ptr::from_ref(std::hint::black_box(&marker)) as usize
}

/// What a guard reports to the engine when it stops a script for its stack.
pub(super) const STOPPED_BY_STACK: &str = "stack";
/// What a guard reports when operations plus charged helper work pass `max_operations`.
pub(super) const STOPPED_BY_OPERATIONS: &str = "operations";

/// Ends the guards' watch over the call that ran on this thread, so that a helper called
/// later outside a sandboxed call (or a stale deadline) never stops anything.
pub(super) fn disarm() {
    FUSE.with(|f| f.set(None));
    FUSE_NEXT.with(|n| n.set(u64::MAX));
}

/// The error a helper returns when the hook's time is up.
fn out_of_time(max_ms: u64) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorTerminated(
        Dynamic::from(rhai::INT::try_from(max_ms).unwrap_or(rhai::INT::MAX)),
        Position::NONE,
    ))
}

/// Charges the running hook call for `bytes` of helper work: one operation per
/// [`BYTES_PER_OPERATION`]. Fails when the operations and the charged work together pass
/// `max_operations` (deterministic), or when the call's time is up (the fuse). Outside a
/// sandboxed call it charges nothing.
pub(super) fn charge(bytes: usize) -> Result<(), Box<EvalAltResult>> {
    let Some(mut state) = FUSE.with(Cell::get) else {
        return Ok(());
    };
    let ops = (bytes / BYTES_PER_OPERATION) as u64 + 1;
    let before = state.charged;
    state.charged = state.charged.saturating_add(ops);
    FUSE.with(|f| f.set(Some(state)));
    if state.max_ops > 0 && state.ops.saturating_add(state.charged) > state.max_ops {
        return Err(Box::new(EvalAltResult::ErrorTooManyOperations(
            Position::NONE,
        )));
    }
    if before / CHARGE_CLOCK_EVERY != state.charged / CHARGE_CLOCK_EVERY {
        if let Some(deadline) = state.deadline {
            if Instant::now() >= deadline {
                return Err(out_of_time(state.max_ms));
            }
        }
    }
    Ok(())
}

/// Two guards behind the operation count, which is the limit that decides.
///
/// The stack guard stops a script whose calls and nested expressions use more than
/// [`STACK_BUDGET`] of native stack, instead of letting the thread overflow.
///
/// The work account adds what helpers charged (see [`charge`]) to the operation count.
///
/// The wall-clock fuse starts with the call (its first operation) and stops work that
/// operations undercount, such as a builtin scanning a large array once per operation. It
/// looks at the clock every `stride` operations and adapts the stride to what operations
/// cost, so that looks stay about [`FUSE_TARGET`] apart but never more than
/// [`FUSE_MAX_STRIDE`] operations: cheap for tight loops, prompt for slow operations.
pub(super) fn fuse(engine: &mut Engine, limits: &ScriptLimits) {
    let budget = Duration::from_millis(limits.max_time_ms);
    let (max_ops, max_ms) = (limits.max_operations, limits.max_time_ms);
    engine.on_progress(move |ops| {
        if ops == 1 {
            let now = Instant::now();
            // The first look comes as late as any: a short hook reads the clock only here.
            FUSE_NEXT.with(|n| n.set(FUSE_MAX_STRIDE));
            FUSE.with(|f| {
                f.set(Some(FuseState {
                    deadline: Some(now + budget),
                    last: now,
                    stride: FUSE_MAX_STRIDE,
                    stack_base: stack_position(),
                    ops: 0,
                    charged: 0,
                    max_ops,
                    max_ms,
                }))
            });
            return None;
        }
        // Most operations return here, before touching the rest of the thread's state.
        let next = FUSE_NEXT.with(Cell::get);
        if ops % FUSE_GRAIN != 0 && ops < next {
            return None;
        }
        let mut state = FUSE.with(Cell::get)?;
        if ops % FUSE_GRAIN == 0 {
            if state.stack_base.saturating_sub(stack_position()) > STACK_BUDGET {
                return Some(Dynamic::from(STOPPED_BY_STACK));
            }
            state.ops = ops;
            if state.charged > 0 && max_ops > 0 && ops.saturating_add(state.charged) > max_ops {
                return Some(Dynamic::from(STOPPED_BY_OPERATIONS));
            }
        }
        if ops >= next {
            let now = Instant::now();
            if state.deadline.is_some_and(|d| now >= d) {
                return Some(Dynamic::from(
                    rhai::INT::try_from(max_ms).unwrap_or(rhai::INT::MAX),
                ));
            }
            let since = now.duration_since(state.last).as_nanos().max(1);
            let per_op = since / u128::from(state.stride.max(1));
            let want = FUSE_TARGET.as_nanos() / per_op.max(1);
            state.stride = u64::try_from(want)
                .unwrap_or(u64::MAX)
                .clamp(1, FUSE_MAX_STRIDE);
            state.last = now;
            FUSE_NEXT.with(|n| n.set(ops + state.stride));
        }
        FUSE.with(|f| f.set(Some(state)));
        None
    });
}

/// Rhai builtins whose result can be far larger than their arguments, replaced by versions
/// that measure the result before making it (the size limits are checked only afterwards):
/// `s.replace(find, sub)` with a long `sub` would otherwise build gigabytes in one operation.
fn bounded_builtins(engine: &mut Engine, max_string: usize) {
    engine.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: &str, sub: &str| {
            replace_bounded(s, find, sub, max_string)
        },
    );
    engine.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: char, sub: &str| {
            let mut buf = [0u8; 4];
            replace_bounded(s, find.encode_utf8(&mut buf), sub, max_string)
        },
    );
    engine.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: &str, sub: char| {
            let mut buf = [0u8; 4];
            replace_bounded(s, find, sub.encode_utf8(&mut buf), max_string)
        },
    );
    engine.register_fn(
        "replace",
        move |s: &mut ImmutableString, find: char, sub: char| {
            let (mut a, mut b) = ([0u8; 4], [0u8; 4]);
            replace_bounded(
                s,
                find.encode_utf8(&mut a),
                sub.encode_utf8(&mut b),
                max_string,
            )
        },
    );
}

/// `str::replace`, refused before it starts when the result would pass `max` bytes.
fn replace_bounded(
    s: &mut ImmutableString,
    find: &str,
    sub: &str,
    max: usize,
) -> Result<(), Box<EvalAltResult>> {
    if s.is_empty() {
        return Ok(());
    }
    charge(s.len())?;
    // An empty pattern matches before every character and at the end.
    let matches = if find.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(find).count()
    };
    let len = (s.len() - matches * find.len()).saturating_add(matches.saturating_mul(sub.len()));
    if max > 0 && len > max {
        return Err(Box::new(EvalAltResult::ErrorDataTooLarge(
            "Length of string".into(),
            Position::NONE,
        )));
    }
    charge(len)?;
    *s = s.replace(find, sub).into();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_is_measured_first() {
        // The fuse out of the way: a busy machine must not stop the padding first.
        let e = sandbox(&ScriptLimits {
            max_time_ms: 60_000,
            ..ScriptLimits::default()
        });
        let err = e
            .run(r#"let s = ""; s.pad(65536, "a"); let t = s; t.replace("a", s);"#)
            .unwrap_err();
        assert!(
            matches!(*err, EvalAltResult::ErrorDataTooLarge(..)),
            "{err:?}"
        );
        let s: String = e.eval(r#"let s = "a-b"; s.replace("-", "+"); s"#).unwrap();
        assert_eq!(s, "a+b");
    }
}
