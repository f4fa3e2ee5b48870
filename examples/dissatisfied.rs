//! A strongly dissatisfied customer makes a ticket an urgent complaint.
//!
//! `cargo run --example dissatisfied` loads `examples/policies/dissatisfied/policy.toml`
//! (rules plus `scripts/dissatisfied.rhai`), evaluates the sample tickets beside it as of
//! Wednesday 2025-10-15 12:00 Beijing time, and prints each decision with what the script
//! changed.

#[path = "support/script_example.rs"]
mod script_example;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    script_example::run("dissatisfied")
}
