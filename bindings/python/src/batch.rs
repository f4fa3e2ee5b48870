//! Many tickets at once, as a stream: this thread (GIL held) copies the tickets onto tapes a
//! block at a time and hands each block to the worker threads, which (GIL released) read the
//! tickets from their tape, evaluate them and serialize the decisions; this thread then makes
//! the decisions of the finished blocks into Python objects, in input order, while the
//! workers go on. It waits (GIL released) only when it has nothing to read or build. A bounded
//! number of blocks is in flight, so memory stays bounded on a long iterable.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use aftercare::{EvalOptions, Policy, Ticket, TicketError};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyIterator, PyList, PyString};

use crate::convert::{error_to_py, Failure, GcPause, Input};
use crate::pyserde::Strings;
use crate::tape::Tape;

/// Tickets per block: a block is the unit handed to a worker and built back into Python
/// objects; large enough that handing it over costs nothing, small enough that the stream
/// starts and ends quickly.
const BLOCK: usize = 256;

/// Blocks read and not yet built into Python objects, at most.
const IN_FLIGHT: usize = 64;

/// What `evaluate_many` returns for each ticket.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Dicts, as `json.loads` would give the decision JSON.
    Dict,
    /// The decision JSON itself, one string per ticket: the line `aftercare eval` prints.
    Json,
}

/// A block of items, read onto one tape.
#[derive(Default)]
struct Round {
    tape: Tape,
    items: Vec<Input>,
}

impl Round {
    /// Refills the block with up to [`BLOCK`] items of `iter`, reusing its memory.
    fn read(&mut self, iter: &mut Bound<'_, PyIterator>) -> PyResult<()> {
        self.tape.clear();
        self.items.clear();
        for item in iter.by_ref().take(BLOCK) {
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

/// Block tapes given back once built, for the next blocks: their memory is reused instead of
/// freed and allocated again (by another thread) block after block.
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
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (job_tx, job_rx) = mpsc::channel::<(usize, Round)>();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Round, Block)>();
    // Locked by one thread at a time only: the workers for `job_rx`, this thread for
    // `done_rx` (a `Mutex` makes it shareable with the GIL released).
    let (job_rx, done_rx) = (Mutex::new(job_rx), Mutex::new(done_rx));
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (job_rx, done_tx, pool) = (&job_rx, done_tx.clone(), &pool);
            s.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((n, round)) = job else { return };
                let block = evaluate_block(policy, &round, now, options, format, pool);
                if done_tx.send((n, round, block)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        // The workers stop when `job_tx` is dropped: at the end, or on an error.
        let job_tx = job_tx;
        let (mut sent, mut built) = (0usize, 0usize);
        let mut finished: BTreeMap<usize, (Round, Block)> = BTreeMap::new();
        let mut spare: Vec<Round> = Vec::new();
        let mut exhausted = false;
        loop {
            // Read ahead while there is room.
            while !exhausted && sent - built < IN_FLIGHT {
                let mut round = spare.pop().unwrap_or_default();
                round.read(&mut iter)?;
                if round.items.is_empty() {
                    exhausted = true;
                    break;
                }
                if job_tx.send((sent, round)).is_err() {
                    return Err(lost());
                }
                sent += 1;
                // Build what is ready meanwhile, without waiting.
                if let Ok(rx) = done_rx.lock() {
                    while let Ok((n, round, block)) = rx.try_recv() {
                        finished.insert(n, (round, block));
                    }
                }
                build_ready(
                    py,
                    &out,
                    &mut finished,
                    &mut built,
                    &mut spare,
                    &strings,
                    &pool,
                )?;
                // A moment without the GIL per block: a Python thread that has waited for it
                // (longer than the switch interval) runs now; otherwise this costs nothing.
                py.detach(|| ());
            }
            if exhausted && built == sent {
                return Ok(());
            }
            // Nothing to read now: wait for the next block in order, letting other Python
            // threads run meanwhile.
            match py.detach(|| done_rx.lock().ok().and_then(|rx| rx.recv().ok())) {
                Some((n, round, block)) => {
                    finished.insert(n, (round, block));
                }
                None => return Err(lost()),
            }
            build_ready(
                py,
                &out,
                &mut finished,
                &mut built,
                &mut spare,
                &strings,
                &pool,
            )?;
        }
    })?;
    Ok(out)
}

fn lost() -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err("internal error: a worker thread stopped")
}

/// Builds the finished blocks that come next in input order into Python objects.
fn build_ready<'py>(
    py: Python<'py>,
    out: &Bound<'py, PyList>,
    finished: &mut BTreeMap<usize, (Round, Block)>,
    built: &mut usize,
    spare: &mut Vec<Round>,
    strings: &Strings<'py>,
    pool: &Pool,
) -> PyResult<()> {
    while let Some((round, block)) = finished.remove(built) {
        emit(py, out, block, strings, pool)?;
        spare.push(round);
        *built += 1;
    }
    Ok(())
}

/// Appends the results of `block` to `out` as Python objects, and gives its tape back.
fn emit<'py>(
    py: Python<'py>,
    out: &Bound<'py, PyList>,
    mut block: Block,
    strings: &Strings<'py>,
    pool: &Pool,
) -> PyResult<()> {
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
    Ok(())
}

/// A block of items, on a worker thread: each read from the block's tape, evaluated, and its
/// decision serialized onto the result's tape. A panic (a defect) becomes an error entry
/// for each item of the block, never a lost batch.
fn evaluate_block(
    policy: &Policy,
    round: &Round,
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
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut results = Vec::with_capacity(round.items.len());
        for input in &round.items {
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
        results
    }));
    let results = run.unwrap_or_else(|_| {
        tape.clear();
        let why = "internal error: the engine failed on this ticket; please report it";
        let line = error_line(None, why);
        round
            .items
            .iter()
            .map(|_| match format {
                Format::Dict => Err(Failure::NotATicket(why.to_string())),
                Format::Json => tape
                    .push_text(&line)
                    .map(Some)
                    .map_err(|_| Failure::NotATicket(why.to_string())),
            })
            .collect()
    });
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
