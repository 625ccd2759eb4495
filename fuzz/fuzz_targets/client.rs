//! The client state machine: caller actions interleaved with server bytes, checked against a
//! model after every step (see `copilot_sansio_fuzzkit::client`).
#![no_main]

use copilot_sansio_fuzzkit::{ClientInput, client};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: ClientInput| client(&input));
