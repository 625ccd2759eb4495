#![no_main]
//! The client against the simulated CLI over a faulty line: see `copilot_sansio_fuzzkit::sim_faults`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| copilot_sansio_fuzzkit::sim_faults(data));
