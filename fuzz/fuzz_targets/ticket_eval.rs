//! Arbitrary text as a ticket, evaluated against the bundled default policy.
#![no_main]

use std::sync::OnceLock;

use aftercare::Policy;
use libfuzzer_sys::fuzz_target;

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/default.toml");
        match Policy::from_path(path) {
            Ok(p) => p,
            Err(e) => panic!("the default policy does not load:\n{e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| aftercare_fuzz::ticket_eval(policy(), data));
