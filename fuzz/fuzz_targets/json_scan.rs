//! JSON validation, scanning, string decoding and message classification on any bytes (see
//! `copilot_sansio_fuzzkit::json_scan`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| copilot_sansio_fuzzkit::json_scan(data));
