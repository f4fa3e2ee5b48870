//! Routing by product line and region.
//!
//! `cargo run --example product_routing` loads `examples/policies/product_routing/policy.toml`
//! (rules plus `scripts/route.rhai`, which imports `scripts/lines.rhai`), evaluates the sample
//! tickets beside it as of Wednesday 2025-10-15 12:00 Beijing time, and prints each decision
//! with what the script changed.

#[path = "support/script_example.rs"]
mod script_example;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    script_example::run("product_routing")
}
