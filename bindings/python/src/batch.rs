//! Many tickets at once, in rounds of [`CHUNK`] tickets, as a pipeline: while the worker
//! threads (GIL released) read round k's tickets from their tapes, evaluate them and serialize
//! the decisions, this thread (GIL held) builds the Python results of round k − 1 and copies
//! round k + 1's dicts onto tapes. Memory stays bounded on a long iterable.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use aftercare::{EvalOptions, Policy, Ticket, TicketError};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyIterator, PyList, PyString};

use crate::convert::{error_to_py, Failure, GcPause, Input};
use crate::pyserde::Strings;
use crate::tape::Tape;

/// Tickets per round: large enough that a round's fixed costs (threads, tables) vanish, small
/// enough that the pipeline fills and drains quickly and a round's tapes stay in the caches.
const CHUNK: usize = 2048;

/// Items a thread takes at a time: small enough to balance, large enough to cost nothing.
const BLOCK: usize = 64;

/// What `evaluate_many` returns for each ticket.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Dicts, as `json.loads` would give the decision JSON.
    Dict,
    /// The decision JSON itself, one string per ticket: the line `aftercare eval` prints.
    Json,
}

/// A ticket's result before it becomes a Python object.
enum Done {
    Tape(Tape),
    Json(String),
}

/// `Policy.evaluate_many`.
pub(crate) fn evaluate_many<'py>(
    py: Python<'py>,
    policy: &Policy,
    tickets: &Bound<'py, PyAny>,
    now: DateTime<Utc>,
    options: EvalOptions,
    format: Format,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    let mut iter = tickets.try_iter()?;
    let mut inputs = read_chunk(&mut iter)?;
    let mut pending: Vec<Result<Done, Failure>> = Vec::new();
    loop {
        if inputs.is_empty() {
            emit(py, &out, pending, format)?;
            return Ok(out);
        }
        let round = &inputs;
        let (results, next) = std::thread::scope(|s| -> PyResult<_> {
            let work = s.spawn(move || {
                par_map(round, |input| evaluate(policy, input, now, options, format))
            });
            // Meanwhile, with the GIL: the previous round out, the next one in.
            let built = emit(py, &out, std::mem::take(&mut pending), format);
            let next = built.and_then(|()| read_chunk(&mut iter));
            let results = py.detach(|| work.join());
            let results = results.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok((results, next?))
        })?;
        pending = results;
        inputs = next;
    }
}

/// Up to [`CHUNK`] items of `iter`, read.
fn read_chunk(iter: &mut Bound<'_, PyIterator>) -> PyResult<Vec<Input>> {
    let mut inputs = Vec::with_capacity(CHUNK);
    for item in iter.by_ref().take(CHUNK) {
        inputs.push(Input::read(&item?));
    }
    Ok(inputs)
}

/// Appends a round's results to `out` as Python objects.
fn emit<'py>(
    py: Python<'py>,
    out: &Bound<'py, PyList>,
    results: Vec<Result<Done, Failure>>,
    format: Format,
) -> PyResult<()> {
    if results.is_empty() {
        return Ok(());
    }
    let _paused = GcPause::new(py)?;
    let strings = Strings::shared();
    for result in &results {
        let item = match (result, format) {
            (Ok(Done::Tape(tape)), _) => tape.to_py(py, &strings)?,
            (Ok(Done::Json(line)), _) => PyString::new(py, line).into_any(),
            (Err(Failure::Ticket(e)), Format::Dict) => {
                error_to_py(py, e.ticket.as_deref(), &e.message)?
            }
            (Err(Failure::NotATicket(why)), Format::Dict) => error_to_py(py, None, why)?,
            (Err(Failure::Ticket(e)), Format::Json) => {
                PyString::new(py, &error_line(e.ticket.as_deref(), &e.message)).into_any()
            }
            (Err(Failure::NotATicket(why)), Format::Json) => {
                PyString::new(py, &error_line(None, why)).into_any()
            }
        };
        out.append(item)?;
    }
    // The tapes are freed here, with the GIL held but after the objects are made: cheap.
    Ok(())
}

/// `{"ticket":ID,"error":"…"}`, byte for byte as `aftercare eval` prints it.
fn error_line(ticket: Option<&str>, message: &str) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        ticket: Option<&'a str>,
        error: &'a str,
    }
    serde_json::to_string(&Line {
        ticket,
        error: message,
    })
    .unwrap_or_else(|_| r#"{"ticket":null,"error":"unprintable error"}"#.to_string())
}

/// One ticket, on a worker thread: read from its tape or text, evaluated, serialized.
fn evaluate(
    policy: &Policy,
    input: &Input,
    now: DateTime<Utc>,
    options: EvalOptions,
    format: Format,
) -> Result<Done, Failure> {
    let ticket = input.ticket(policy.limits())?;
    let decision = policy
        .evaluate_with(&ticket, now, options)
        .map_err(Failure::Ticket)?;
    let unwritable = |why: String| {
        let mut e = TicketError::unreadable(format!("the decision cannot be written: {why}"));
        e.ticket = Some(decision.ticket.to_string());
        Failure::Ticket(e)
    };
    match format {
        Format::Dict => Tape::of(&decision)
            .map(Done::Tape)
            .map_err(|e| unwritable(e.to_string())),
        Format::Json => serde_json::to_string(&decision)
            .map(Done::Json)
            .map_err(|e| unwritable(e.to_string())),
    }
}

/// Reads every ticket of `tickets` (dicts or JSON strings): the tickets that could be read,
/// and how many could not. Dicts are copied with the GIL held, then read on all cores.
pub(crate) fn read_tickets(
    py: Python<'_>,
    tickets: &Bound<'_, PyAny>,
    limits: &aftercare::Limits,
) -> PyResult<(Vec<Ticket>, usize)> {
    let mut inputs = Vec::new();
    for item in tickets.try_iter()? {
        inputs.push(Input::read(&item?));
    }
    let read = py.detach(|| par_map(&inputs, |input| input.ticket(limits).ok()));
    let bad = read.iter().filter(|t| t.is_none()).count();
    Ok((read.into_iter().flatten().collect(), bad))
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
