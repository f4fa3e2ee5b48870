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

/// Tickets per round: large enough that a round's fixed costs (threads) vanish, small enough
/// that the pipeline fills and drains quickly.
const CHUNK: usize = 4096;

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

/// A round of items, read onto one tape.
#[derive(Default)]
struct Round {
    tape: Tape,
    items: Vec<Input>,
}

impl Round {
    /// Refills the round with up to [`CHUNK`] items of `iter`, reusing its memory.
    fn read(&mut self, iter: &mut Bound<'_, PyIterator>) -> PyResult<()> {
        self.tape.clear();
        self.items.clear();
        for item in iter.by_ref().take(CHUNK) {
            self.items.push(Input::read(&item?, &mut self.tape));
        }
        Ok(())
    }
}

/// The results of a block of items: decisions serialized one after the other onto one tape
/// (or their JSON text into its text), errors beside.
struct Block {
    tape: Tape,
    /// Per item: `Ok(None)` for the next value on the tape, `Ok(Some(range))` for a JSON text.
    results: Vec<Result<Option<(u32, u32)>, Failure>>,
}

/// Block tapes given back after their round is out, for the next rounds: their memory is
/// reused instead of freed and allocated again (by another thread) round after round.
type Pool = Mutex<Vec<Tape>>;

/// `Policy.evaluate_many`.
pub(crate) fn evaluate_many<'py>(
    py: Python<'py>,
    policy: &Policy,
    tickets: &Bound<'py, PyAny>,
    now: DateTime<Utc>,
    options: EvalOptions,
    format: Format,
) -> PyResult<Bound<'py, PyList>> {
    // For the whole call (see `GcPause`): collections triggered by the results would walk
    // them again and again while they grow.
    let _paused = GcPause::new(py)?;
    let out = PyList::empty(py);
    let strings = Strings::shared();
    let pool = Pool::default();
    let mut iter = tickets.try_iter()?;
    let (mut round, mut next) = (Round::default(), Round::default());
    round.read(&mut iter)?;
    let mut pending: Vec<Block> = Vec::new();
    while !round.items.is_empty() {
        let (current, pool) = (&round, &pool);
        let (blocks, read) = std::thread::scope(|s| {
            let work = s.spawn(move || {
                par_chunks(&current.items, BLOCK, |items| {
                    evaluate_block(policy, current, items, now, options, format, pool)
                })
            });
            // Meanwhile, with the GIL: the previous round out, the next one in.
            let read =
                emit(py, &out, &mut pending, &strings, pool).and_then(|()| next.read(&mut iter));
            let blocks = py.detach(|| work.join());
            (blocks, read)
        });
        pending = blocks.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        read?;
        std::mem::swap(&mut round, &mut next);
    }
    emit(py, &out, &mut pending, &strings, &pool)?;
    Ok(out)
}

/// Appends the results of `blocks` to `out` as Python objects, and gives their tapes back.
fn emit<'py>(
    py: Python<'py>,
    out: &Bound<'py, PyList>,
    blocks: &mut Vec<Block>,
    strings: &Strings<'py>,
    pool: &Pool,
) -> PyResult<()> {
    for mut block in blocks.drain(..) {
        let mut at = 0;
        for result in &block.results {
            let item = match result {
                Ok(None) => block.tape.to_py_at(py, &mut at, strings)?,
                Ok(Some(range)) => PyString::new(py, block.tape.text(*range)).into_any(),
                Err(Failure::Ticket(e)) => error_to_py(py, e.ticket.as_deref(), &e.message)?,
                Err(Failure::NotATicket(why)) => error_to_py(py, None, why)?,
            };
            out.append(item)?;
        }
        block.tape.clear();
        if let Ok(mut pool) = pool.lock() {
            pool.push(block.tape);
        }
    }
    Ok(())
}

/// A block of a round's items, on a worker thread: each read from the round's tape,
/// evaluated, and its decision serialized onto the block's tape.
fn evaluate_block(
    policy: &Policy,
    round: &Round,
    items: &[Input],
    now: DateTime<Utc>,
    options: EvalOptions,
    format: Format,
    pool: &Pool,
) -> Block {
    let mut tape = pool
        .lock()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_default();
    let mut results = Vec::with_capacity(items.len());
    for input in items {
        let result = evaluate(policy, round, input, now, options, format, &mut tape);
        // In the JSON format an error is a line too, as `aftercare eval` prints it.
        let result = match (result, format) {
            (Err(e), Format::Json) => {
                let line = match &e {
                    Failure::Ticket(e) => error_line(e.ticket.as_deref(), &e.message),
                    Failure::NotATicket(why) => error_line(None, why),
                };
                tape.push_text(&line).map(Some).map_err(|_| e)
            }
            (result, _) => result,
        };
        results.push(result);
    }
    Block { tape, results }
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

/// One ticket: read, evaluated, written onto `tape`.
fn evaluate(
    policy: &Policy,
    round: &Round,
    input: &Input,
    now: DateTime<Utc>,
    options: EvalOptions,
    format: Format,
    tape: &mut Tape,
) -> Result<Option<(u32, u32)>, Failure> {
    let ticket = input.ticket(&round.tape, policy.limits())?;
    let decision = policy
        .evaluate_with(&ticket, now, options)
        .map_err(Failure::Ticket)?;
    let unwritable = |why: String| {
        let mut e = TicketError::unreadable(format!("the decision cannot be written: {why}"));
        e.ticket = Some(decision.ticket.to_string());
        Failure::Ticket(e)
    };
    match format {
        Format::Dict => tape
            .push(&decision)
            .map(|()| None)
            .map_err(|e| unwritable(e.to_string())),
        Format::Json => serde_json::to_string(&decision)
            .map_err(|e| unwritable(e.to_string()))
            .and_then(|line| {
                tape.push_text(&line)
                    .map(Some)
                    .map_err(|e| unwritable(e.to_string()))
            }),
    }
}

/// Reads every ticket of `tickets` (dicts or JSON strings): the tickets that could be read,
/// and how many could not. Dicts are copied with the GIL held, then read on all cores.
pub(crate) fn read_tickets(
    py: Python<'_>,
    tickets: &Bound<'_, PyAny>,
    limits: &aftercare::Limits,
) -> PyResult<(Vec<Ticket>, usize)> {
    let mut round = Round::default();
    for item in tickets.try_iter()? {
        round.items.push(Input::read(&item?, &mut round.tape));
    }
    let read = py.detach(|| {
        par_chunks(&round.items, BLOCK, |items| {
            items
                .iter()
                .map(|input| input.ticket(&round.tape, limits).ok())
                .collect::<Vec<_>>()
        })
    });
    let read: Vec<Option<Ticket>> = read.into_iter().flatten().collect();
    let bad = read.iter().filter(|t| t.is_none()).count();
    Ok((read.into_iter().flatten().collect(), bad))
}

/// `f` over the chunks of `size` items of `items`, on all cores (the calling thread among
/// them), results in order. Threads take chunks in turn, so that a slow ticket does not hold
/// up a whole share.
fn par_chunks<T: Sync, R: Send>(items: &[T], size: usize, f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let chunks = items.len().div_ceil(size);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(chunks);
    if threads <= 1 {
        return items.chunks(size).map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(chunks));
    let work = || {
        let mut mine = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = items.chunks(size).nth(i) else {
                break;
            };
            mine.push((i, f(chunk)));
        }
        if let Ok(mut all) = done.lock() {
            all.extend(mine);
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    let mut all = done.into_inner().unwrap_or_else(|e| e.into_inner());
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// For benchmarks: tickets read ahead (from JSON strings), so that [`rust_batch`] times the
/// library's own batch evaluation alone.
#[pyclass(frozen, module = "aftercare")]
pub(crate) struct ReadTickets {
    tickets: Vec<Ticket>,
}

/// For benchmarks: `tickets` (JSON strings) read into the library's tickets.
#[pyfunction]
#[pyo3(name = "_read_tickets")]
pub(crate) fn read_for_bench(
    py: Python<'_>,
    policy: &crate::Policy,
    tickets: Vec<String>,
) -> ReadTickets {
    let limits = policy.inner.limits();
    let tickets = py.detach(|| {
        tickets
            .iter()
            .filter_map(|t| Ticket::from_json_with_limits(t, limits).ok())
            .collect()
    });
    ReadTickets { tickets }
}

/// For benchmarks: the library's own batch call (`Policy::evaluate_batch`, on all cores,
/// GIL released) over tickets read ahead; the decisions are dropped, as part of the call's
/// cost. Returns how many decisions there were. What `evaluate_many` adds is its time minus
/// this call's.
#[pyfunction]
#[pyo3(name = "_rust_batch", signature = (policy, tickets, now, trace = false))]
pub(crate) fn rust_batch(
    py: Python<'_>,
    policy: &crate::Policy,
    tickets: &ReadTickets,
    now: &Bound<'_, PyAny>,
    trace: bool,
) -> PyResult<usize> {
    let now = crate::parse_now(now)?;
    let policy = &policy.inner;
    Ok(py.detach(|| {
        let decisions = policy.evaluate_batch(&tickets.tickets, now, EvalOptions { trace });
        std::hint::black_box(decisions)
            .iter()
            .filter(|d| d.is_ok())
            .count()
    }))
}
