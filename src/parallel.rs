//! Order-preserving parallel map over a slice, on rayon's pool.
//!
//! This was a hand-written map over scoped threads writing results into place; measured
//! against rayon's indexed `collect` (which also writes each result into its place) it did
//! not win (`benches/hand_written.rs`, group `d_batch_20k`; figures in docs/performance.md),
//! so the library does it.

use rayon::prelude::*;

/// Applies `f` to every item on up to `threads` threads; results keep the input order. A
/// panic in `f` reaches the caller.
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    // Small batches are not worth waking the pool for.
    if threads <= 1 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    // Chunks of at least 16 tickets: taking one costs nothing next to evaluating them.
    let f = &f;
    items.par_iter().with_min_len(16).map(f).collect()
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
