//! Arbitrary text as a policy: loading reports problems, never panics, and a policy that
//! loads evaluates tickets without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| aftercare_fuzz::policy_load(data));
