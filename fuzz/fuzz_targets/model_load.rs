//! Arbitrary bytes as a model file: reading gives a typed error or a model that predicts,
//! explains and writes itself back without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| aftercare_fuzz::model_load(data));
