//! The log's writer: request threads append their finished lines to a backlog, and one
//! writer thread writes the backlog to stderr every few milliseconds, in one `write`.
//!
//! Written to stderr directly, every request paid a system call, waited on stderr's lock when
//! another thread was writing, and woke the reader of the pipe once per line; the service's
//! own benchmark (`benches/serve.rs`) found that the largest cost of a one-ticket request
//! outside the decision itself. Here a line costs a short lock and a copy, and a request
//! never wakes another thread while lines keep coming (the writer wakes by the clock). A line
//! after a quiet spell wakes the writer and is written at once. Lines stay whole and in
//! order. If the log's reader stops reading, the lines beyond [`BACKLOG_MAX`] are dropped and
//! counted (a line says how many) rather than stopping the service.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Bytes of log waiting to be written before further lines are dropped.
const BACKLOG_MAX: usize = 16 * 1024 * 1024;

/// How often the writer writes while lines keep coming.
const ROUND: Duration = Duration::from_millis(10);

/// A backlog this large is written before the round is over.
const BACKLOG_URGENT: usize = 1024 * 1024;

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// Lines dropped since the last round, for the line that says so.
    dropped: u64,
    /// The writer thread is waiting for lines after a quiet spell (so a new line wakes it).
    waiting: bool,
    /// The backlog has grown past [`BACKLOG_URGENT`] (so the writer was woken).
    urgent: bool,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A writer that panicked mid-copy leaves at worst a partial line: keep logging.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where `tracing_subscriber::fmt` writes: each event's formatted line is appended to the
/// backlog in one call.
#[derive(Clone)]
pub(crate) struct Sink {
    shared: Arc<Shared>,
}

/// Keeps the writer thread; dropping it writes what is left and stops the thread.
#[must_use = "dropping the guard stops the log's writer"]
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogGuard").finish_non_exhaustive()
    }
}

/// Starts the writer thread over `out`.
pub(crate) fn start(mut out: impl Write + Send + 'static) -> (Sink, LogGuard) {
    let shared = Arc::new(Shared::default());
    let theirs = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("aftercare-log".into())
        .spawn(move || {
            let mut batch = Vec::new();
            let mut quiet = false;
            loop {
                let mut s = theirs.lock();
                let nothing = |s: &State| s.pending.is_empty() && s.dropped == 0;
                if quiet {
                    s.waiting = true;
                    while nothing(&s) && !s.closed {
                        s = theirs.wake.wait(s).unwrap_or_else(|e| e.into_inner());
                    }
                    s.waiting = false;
                } else if !s.closed && !s.urgent {
                    s = theirs
                        .wake
                        .wait_timeout(s, ROUND)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                s.urgent = false;
                if nothing(&s) {
                    if s.closed {
                        return;
                    }
                    quiet = true;
                    continue;
                }
                quiet = false;
                std::mem::swap(&mut s.pending, &mut batch);
                let dropped = std::mem::take(&mut s.dropped);
                drop(s);
                if dropped > 0 {
                    let _ = writeln!(
                        out,
                        "{dropped} log line(s) dropped: the log was not read fast enough"
                    );
                }
                // A log that cannot be written (a closed pipe) must not stop the service.
                let _ = out.write_all(&batch);
                let _ = out.flush();
                batch.clear();
                // Give back the memory of a burst.
                if batch.capacity() > 1024 * 1024 {
                    batch = Vec::new();
                }
            }
        });
    // No thread: lines pile up to the limit and are dropped, but the service runs.
    let thread = thread.ok();
    (
        Sink {
            shared: Arc::clone(&shared),
        },
        LogGuard { shared, thread },
    )
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Write for Sink {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut s = self.shared.lock();
        if s.closed || s.pending.len() + line.len() > BACKLOG_MAX {
            s.dropped += 1;
        } else {
            s.pending.extend_from_slice(line);
        }
        let urgent = !s.urgent && s.pending.len() >= BACKLOG_URGENT;
        s.urgent |= urgent;
        let wake = std::mem::take(&mut s.waiting) || urgent;
        drop(s);
        if wake {
            self.shared.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Sink {
    type Writer = Sink;

    fn make_writer(&'a self) -> Sink {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read afterwards.
    #[derive(Clone, Default)]
    struct Collect(Arc<Mutex<Vec<u8>>>);

    impl Write for Collect {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_from_many_threads_come_out_whole_in_order_and_all_by_the_end() {
        let out = Collect::default();
        let (sink, guard) = start(out.clone());
        std::thread::scope(|s| {
            for t in 0..4 {
                let mut sink = sink.clone();
                s.spawn(move || {
                    for i in 0..2000 {
                        let line = format!("thread {t} line {i} {}\n", "x".repeat(i % 50));
                        sink.write_all(line.as_bytes()).unwrap();
                    }
                });
            }
        });
        drop(guard);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let mut next = [0usize; 4];
        for line in text.lines() {
            let words: Vec<&str> = line.split(' ').collect();
            let (t, i): (usize, usize) = (words[1].parse().unwrap(), words[3].parse().unwrap());
            assert_eq!(i, next[t], "thread {t}'s lines in order");
            assert_eq!(words.get(4).map_or(0, |x| x.len()), i % 50, "whole line");
            next[t] += 1;
        }
        assert_eq!(next, [2000; 4], "every line written");
    }

    #[test]
    fn a_log_nobody_reads_drops_lines_and_says_how_many() {
        /// Blocks until the test lets it go, like a pipe nobody reads.
        struct Stuck(Arc<(Mutex<bool>, Condvar)>, Collect);
        impl Write for Stuck {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                let (open, cv) = &*self.0;
                let mut go = open.lock().unwrap();
                while !*go {
                    go = cv.wait(go).unwrap();
                }
                self.1.write(b)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let out = Collect::default();
        let (mut sink, guard) = start(Stuck(Arc::clone(&gate), out.clone()));
        let line = vec![b'x'; 1024 * 1024];
        // The (stuck) writer holds at most one backlog's worth; the next backlog then fills.
        for _ in 0..2 * (BACKLOG_MAX / line.len()) + 8 {
            sink.write_all(&line).unwrap();
        }
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        drop(guard);
        let text = String::from_utf8_lossy(&out.0.lock().unwrap()).into_owned();
        assert!(
            text.contains("log line(s) dropped"),
            "{}",
            &text[text.len().saturating_sub(200)..]
        );
    }
}
