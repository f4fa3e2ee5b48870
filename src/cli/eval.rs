//! `aftercare eval POLICY TICKETS [--now RFC3339]`: one decision (or error) per line.
//!
//! A pipeline, so that reading, evaluating and writing overlap: one thread reads batches of
//! whole lines, workers parse, evaluate and print each batch into its own buffer, and this
//! thread writes the buffers in input order. A fixed set of batches circulates between them,
//! which bounds memory and reuses the buffers.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

use super::input::{self, Item, Source};
use super::{load_policy, parse_now, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// Tickets: a .json array, a .jsonl file, or - for JSON lines on stdin.
    tickets: String,
    /// Evaluate as of this instant (RFC 3339); defaults to the current time.
    #[arg(long, value_parser = parse_now)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// Leave the trace out of the decisions (faster for bulk runs).
    #[arg(long)]
    no_trace: bool,
}

/// Bytes of JSON lines per batch: big enough that handing batches between threads costs
/// nothing next to evaluating them (about a hundred tickets, a millisecond or more of work),
/// small enough that output starts soon and the batches in circulation stay a few MB (with
/// 1 MiB they held 30 MB at the peak, more than the rest of the process but jieba's dictionary).
const BLOCK: usize = 1 << 16;

/// Input read, and output printed, for one batch of tickets.
#[derive(Default)]
struct Batch {
    seq: u64,
    lines: Vec<u8>,
    items: Vec<Item>,
    out: Vec<u8>,
    failed: bool,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.items.is_empty()
    }
}

/// What the writer receives, tagged with its place in the input.
enum Done {
    Batch(Batch),
    /// The input ended after the batches before this one.
    End,
    /// The input could not be read after the batches before this one.
    ReadError(String),
}

/// Everything a worker needs to evaluate a batch.
struct Job {
    policy: aftercare::Policy,
    now: chrono::DateTime<chrono::Utc>,
    options: aftercare::EvalOptions,
    max_bytes: usize,
}

pub(crate) fn run(args: &Args) -> i32 {
    let policy = match load_policy(&args.policy) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let source = match input::open(&args.tickets) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let job = Arc::new(Job {
        max_bytes: policy.limits().max_ticket_bytes,
        policy,
        now: super::now_or_current(args.now),
        options: aftercare::EvalOptions {
            trace: !args.no_trace,
        },
    });
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(64));
    // Enough batches for each worker to have one in hand and one queued while the reader
    // fills one and the writer drains one.
    let batches = workers * 2 + 2;
    let (free_tx, free_rx) = mpsc::sync_channel::<Batch>(batches);
    for _ in 0..batches {
        // Cannot fail: the channel has room for all of them and its receiver is alive.
        let _ = free_tx.send(Batch::default());
    }
    let (work_tx, work_rx) = mpsc::sync_channel::<Batch>(batches);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Done)>();
    // The threads are not joined: when output stops early (`| head`), this thread returns at
    // once and the process exits; otherwise they have all finished when the writer sees the
    // end. Each one stops as soon as a channel it uses is closed.
    {
        let done_tx = done_tx.clone();
        let max_bytes = job.max_bytes;
        std::thread::spawn(move || read(source, max_bytes, &free_rx, &work_tx, &done_tx));
    }
    let work_rx = Arc::new(Mutex::new(work_rx));
    for _ in 0..workers {
        let (job, work_rx, done_tx) = (Arc::clone(&job), Arc::clone(&work_rx), done_tx.clone());
        std::thread::spawn(move || evaluate(&job, &work_rx, &done_tx));
    }
    drop(done_tx);
    write(&done_rx, &free_tx)
}

/// The reader: fills free batches with input and numbers them.
fn read(
    mut source: Source,
    max_bytes: usize,
    free: &Receiver<Batch>,
    work: &SyncSender<Batch>,
    done: &Sender<(u64, Done)>,
) {
    let mut seq = 0u64;
    while let Ok(mut batch) = free.recv() {
        batch.seq = seq;
        let read = source.next_batch(BLOCK, max_bytes, &mut batch.lines, &mut batch.items);
        let finished = match read {
            Err(e) => Some(Done::ReadError(e)),
            Ok(()) if batch.is_empty() => Some(Done::End),
            Ok(()) => None,
        };
        if let Some(last) = finished {
            let _ = done.send((seq, last));
            return;
        }
        if work.send(batch).is_err() {
            return;
        }
        seq += 1;
    }
}

/// A worker: turns each batch's input into its output lines.
fn evaluate(job: &Job, work: &Mutex<Receiver<Batch>>, done: &Sender<(u64, Done)>) {
    loop {
        let next = match work.lock() {
            Ok(work) => work.recv(),
            Err(_) => return,
        };
        let Ok(mut batch) = next else { return };
        evaluate_batch(job, &mut batch);
        if done.send((batch.seq, Done::Batch(batch))).is_err() {
            return;
        }
    }
}

fn evaluate_batch(job: &Job, batch: &mut Batch) {
    let Batch {
        lines,
        items,
        out,
        failed,
        ..
    } = batch;
    let mut line = |text: Result<&str, &str>| {
        let ok = match text {
            Ok(text) => job.policy.write_json_line(text, job.now, job.options, out),
            Err(why) => {
                unreadable(why, out);
                false
            }
        };
        *failed |= !ok;
        out.push(b'\n');
    };
    for text in input::batch_texts(lines, job.max_bytes) {
        match text {
            Ok(text) => line(Ok(text)),
            Err(why) => line(Err(&why)),
        }
    }
    for item in items.iter() {
        line(match item {
            Item::Json(text) => Ok(text),
            Item::Unreadable(why) => Err(why),
        });
    }
}

/// The writer: prints the batches in input order and hands them back to the reader.
fn write(done: &Receiver<(u64, Done)>, free: &SyncSender<Batch>) -> i32 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    let mut next = 0u64;
    let mut waiting = BTreeMap::new();
    while let Ok((seq, item)) = done.recv() {
        waiting.insert(seq, item);
        while let Some(item) = waiting.remove(&next) {
            match item {
                Done::Batch(mut batch) => {
                    failed |= batch.failed;
                    if let Err(e) = out.write_all(&batch.out) {
                        // The reader went away (e.g. `| head`): stop quietly. Any other
                        // failure (a full disk) is an error: the decisions are not all out.
                        return if !super::written_or_said(Err(e)) {
                            EXIT_BAD_INPUT
                        } else if failed {
                            EXIT_FAILED
                        } else {
                            EXIT_OK
                        };
                    }
                    batch.lines.clear();
                    batch.items.clear();
                    batch.out.clear();
                    batch.failed = false;
                    let _ = free.send(batch);
                    next += 1;
                }
                Done::End => {
                    return if !super::written_or_said(out.flush()) {
                        EXIT_BAD_INPUT
                    } else if failed {
                        EXIT_FAILED
                    } else {
                        EXIT_OK
                    };
                }
                Done::ReadError(e) => {
                    let _ = out.flush();
                    eprintln!("error: {e}");
                    return EXIT_BAD_INPUT;
                }
            }
        }
    }
    // Every sender is gone before the end of the input: a thread stopped unexpectedly.
    eprintln!("error: internal error: tickets after line batch {next} were not evaluated");
    EXIT_FAILED
}

/// `{"ticket": null, "error": "…"}` for an input line that is not a ticket's text.
fn unreadable(why: &str, out: &mut Vec<u8>) {
    let e = aftercare::TicketError::unreadable(why);
    let start = out.len();
    if serde_json::to_writer(&mut *out, &e).is_err() {
        out.truncate(start);
        out.extend_from_slice(br#"{"ticket":null,"error":"unreadable"}"#);
    }
}
