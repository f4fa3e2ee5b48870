//! Arbitrary calendars, instants and durations, checked against the properties of the
//! business-time arithmetic (see `aftercare_fuzz::business_time`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| aftercare_fuzz::business_time(data));
