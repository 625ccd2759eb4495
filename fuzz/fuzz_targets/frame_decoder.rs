//! Content-Length framing: any bytes, any chunking, any receive buffer size (see
//! `copilot_sansio_fuzzkit::frame_decoder`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| copilot_sansio_fuzzkit::frame_decoder(data));
