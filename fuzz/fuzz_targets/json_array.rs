//! Arbitrary bytes as a `.json` array of tickets, read one element at a time as the command
//! line reads it: it ends, keeps no element over the limit, and splits as serde_json does.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| aftercare_fuzz::json_array(data));
