//! Arbitrary text as a Rhai hook script.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| aftercare_fuzz::script_hooks(data));
