//! Many tickets at once: read with the GIL held, evaluated on all cores with the GIL
//! released, converted back with the GIL held, chunk by chunk so that memory stays bounded on
//! a long iterable.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use aftercare::{Decision, EvalOptions, Limits, Policy, Ticket, TicketError};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::{error_to_py, to_py_with, GcPause, Input};
use crate::pyserde::Strings;

/// Tickets read, evaluated and converted per round.
const CHUNK: usize = 16_384;

/// Items a thread takes at a time: small enough to balance, large enough to cost nothing.
const BLOCK: usize = 64;

/// `Policy.evaluate_many`.
pub(crate) fn evaluate_many<'py>(
    py: Python<'py>,
    policy: &Policy,
    tickets: &Bound<'py, PyAny>,
    now: DateTime<Utc>,
    options: EvalOptions,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    let mut iter = tickets.try_iter()?;
    let mut inputs = Vec::with_capacity(CHUNK);
    loop {
        inputs.clear();
        for item in iter.by_ref().take(CHUNK) {
            inputs.push(Input::read(&item?, policy.limits()));
        }
        if inputs.is_empty() {
            break;
        }
        let results = py.detach(|| par_map(&inputs, |input| evaluate(policy, input, now, options)));
        let _paused = GcPause::new(py)?;
        let strings = Strings::shared();
        for result in &results {
            let item = match result {
                Ok(d) => to_py_with(py, d, &strings)?,
                Err(Failure::Ticket(e)) => error_to_py(py, e.ticket.as_deref(), &e.message)?,
                Err(Failure::NotATicket(why)) => error_to_py(py, None, why)?,
            };
            out.append(item)?;
        }
    }
    Ok(out)
}

/// Why an item has no decision.
enum Failure {
    /// The library's own error for the ticket.
    Ticket(TicketError),
    /// Not a ticket at all.
    NotATicket(String),
}

fn evaluate(
    policy: &Policy,
    input: &Input,
    now: DateTime<Utc>,
    options: EvalOptions,
) -> Result<Decision, Failure> {
    match input {
        Input::Ticket(t) => policy
            .evaluate_with(t, now, options)
            .map_err(Failure::Ticket),
        Input::Json(text) => Ticket::from_json_with_limits(text, policy.limits())
            .and_then(|t| policy.evaluate_with(&t, now, options))
            .map_err(Failure::Ticket),
        Input::Bad(e) => Err(Failure::Ticket(e.clone())),
        Input::NotATicket(why) => Err(Failure::NotATicket(why.clone())),
    }
}

/// Reads every ticket of `tickets` (dicts or JSON strings): the tickets that could be read,
/// and how many could not.
pub(crate) fn read_tickets(
    tickets: &Bound<'_, PyAny>,
    limits: &Limits,
) -> PyResult<(Vec<Ticket>, usize)> {
    let mut out = Vec::new();
    let mut bad = 0;
    for item in tickets.try_iter()? {
        match Input::read(&item?, limits) {
            Input::Ticket(t) => out.push(t),
            Input::Json(text) => match Ticket::from_json_with_limits(&text, limits) {
                Ok(t) => out.push(t),
                Err(_) => bad += 1,
            },
            Input::Bad(_) | Input::NotATicket(_) => bad += 1,
        }
    }
    Ok((out, bad))
}

/// `f` over `items` on all cores, results in input order. Threads take blocks of items in
/// turn, so that a slow ticket does not hold up a whole share.
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().div_ceil(BLOCK));
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Vec<R>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let start = next.fetch_add(BLOCK, Ordering::Relaxed);
                    let Some(block) = items.get(start..(start + BLOCK).min(items.len())) else {
                        break;
                    };
                    if block.is_empty() {
                        break;
                    }
                    mine.push((start, block.iter().map(&f).collect::<Vec<R>>()));
                }
                if let Ok(mut all) = done.lock() {
                    all.extend(mine);
                }
            });
        }
    });
    let mut blocks = done.into_inner().unwrap_or_else(|e| e.into_inner());
    blocks.sort_unstable_by_key(|(start, _)| *start);
    blocks.into_iter().flat_map(|(_, block)| block).collect()
}

/// For benchmarks: the seconds the library's own batch call (`Policy::evaluate_batch`, on all
/// cores) takes over `tickets` (JSON strings, read before the clock starts), best of
/// `repeat` runs. What `evaluate_many` adds is its time minus this one.
#[pyfunction]
#[pyo3(name = "_rust_batch_seconds", signature = (policy, tickets, now, trace = false, repeat = 3))]
pub(crate) fn rust_batch_seconds(
    py: Python<'_>,
    policy: &crate::Policy,
    tickets: Vec<String>,
    now: &Bound<'_, PyAny>,
    trace: bool,
    repeat: usize,
) -> PyResult<f64> {
    let now = crate::parse_now(now)?;
    let policy = &policy.inner;
    Ok(py.detach(|| {
        let parsed: Vec<Ticket> = tickets
            .iter()
            .filter_map(|t| Ticket::from_json_with_limits(t, policy.limits()).ok())
            .collect();
        let mut best = f64::INFINITY;
        for _ in 0..repeat.max(1) {
            let start = std::time::Instant::now();
            let decisions = policy.evaluate_batch(&parsed, now, EvalOptions { trace });
            // Dropping the decisions is part of the call's cost, as it is in `evaluate_many`.
            drop(std::hint::black_box(decisions));
            let seconds = start.elapsed().as_secs_f64();
            best = best.min(seconds);
        }
        best
    }))
}
