//! The `aftercare` command line: a thin shell over the library.

// Like the library: the binary never panics on any input (no unwrap/expect/panic, no unchecked
// indexing); its unit tests may.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod cli;

fn main() {
    std::process::exit(cli::run());
}
