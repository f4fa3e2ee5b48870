//! Order-preserving parallel map over a slice with scoped threads (no global pool).
//!
//! Threads take small chunks in turn (so a slow chunk or a descheduled thread does not hold
//! up the rest) and write each result straight into its place in the output, so nothing is
//! copied after the threads finish.

use std::sync::Mutex;

/// Applies `f` to every item on up to `threads` threads; results keep the input order.
// Writing each result into its final slot needs one `set_len` after the threads are done.
#[allow(unsafe_code)]
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, 64);
    if threads == 1 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    let n = items.len();
    // Enough chunks per thread to balance, few enough that taking one costs nothing.
    let chunk = (n / (threads * 32)).clamp(16, 2048);
    let mut out: Vec<R> = Vec::with_capacity(n);
    let Some(slots) = out.spare_capacity_mut().get_mut(..n) else {
        return items.iter().map(f).collect();
    };
    let work = Mutex::new(items.chunks(chunk).zip(slots.chunks_mut(chunk)));
    let f = &f;
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || loop {
                    // A poisoned lock means another thread panicked: stop, its panic is re-raised.
                    let next = match work.lock() {
                        Ok(mut w) => w.next(),
                        Err(_) => None,
                    };
                    let Some((inputs, outputs)) = next else {
                        break;
                    };
                    for (item, slot) in inputs.iter().zip(outputs) {
                        slot.write(f(item));
                    }
                })
            })
            .collect();
        for h in handles {
            if let Err(e) = h.join() {
                // A panic in `f` is a bug; re-raise it on the caller's thread. Results already
                // written are leaked, never read.
                std::panic::resume_unwind(e);
            }
        }
    });
    // SAFETY: the first `n` slots of the spare capacity were each written exactly once: the
    // chunks of `items` and of those slots pair up one to one, every pair was taken from the
    // shared iterator by some thread, and every thread wrote all of its pairs before finishing
    // (a thread that panicked was re-raised above, so we do not get here).
    unsafe { out.set_len(n) };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_every_item() {
        for n in [0, 1, 63, 64, 65, 1000, 100_003] {
            let items: Vec<usize> = (0..n).collect();
            for threads in [1, 2, 3, 8] {
                let out = map(&items, threads, |i| i * 2);
                assert_eq!(out.len(), n);
                assert!(
                    out.iter().enumerate().all(|(i, &x)| x == i * 2),
                    "{n} {threads}"
                );
            }
        }
    }

    #[test]
    fn results_that_own_memory_are_moved_not_copied() {
        let items: Vec<usize> = (0..5000).collect();
        let out = map(&items, 4, |i| vec![*i; 3]);
        assert!(out.iter().enumerate().all(|(i, v)| v == &vec![i; 3]));
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let items: Vec<usize> = (0..5000).collect();
        let r = std::panic::catch_unwind(|| {
            map(&items, 2, |i| {
                assert!(*i != 4321, "boom");
                *i
            })
        });
        assert!(r.is_err());
    }
}
