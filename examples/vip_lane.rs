//! The VIP lane: VIP and loyal customers get a priority lane.
//!
//! `cargo run --example vip_lane` loads `examples/policies/vip_lane/policy.toml` (rules plus
//! `scripts/vip.rhai`), evaluates the sample tickets beside it as of Wednesday 2025-10-15 12:00
//! Beijing time, and prints each decision with what the script changed.

#[path = "support/script_example.rs"]
mod script_example;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    script_example::run("vip_lane")
}
