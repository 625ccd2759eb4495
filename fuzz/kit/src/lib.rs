//! Test tooling of copilot-sansio, beside the fuzz targets that use it: the model checker of
//! the client, the structured input of the `client` target, the oracles of the decoders. The
//! fuzz targets (`fuzz/fuzz_targets/`) and the tests that replay their corpus
//! (`tests/fuzz_replay.rs`) call these entry points; the library reaches its internals only
//! through its hidden `fuzz_hook` (feature `fuzzing`).
//!
//! Each entry point takes bytes (or a [`ClientInput`]) and panics when an invariant of the crate
//! breaks: a panic inside the library, a hang, a lost or misrouted event, a leaked slot, a server
//! request answered twice or never, a buffer bound exceeded, an invalid byte written.
//!
//! - [`frame_decoder`]: Content-Length framing (`Inbox`) in any chunking and any buffer size,
//!   against a whole-input reference, and through a client.
//! - [`json_scan`]: the validator, `RawJson`, `JsonStr`, message classification and the client,
//!   on one body. Typed decoders hook in at [`typed_decoders`].
//! - [`client`]: the state machine driven by caller actions interleaved with server bytes, split
//!   anywhere, checked against a model after every step.
//! - [`sim_faults`]: the client in conversation with the simulated CLI over a faulty line
//!   (frames cut, corrupted, duplicated, reordered, dropped, made deep or huge).

mod faults;
mod framing;
mod harness;
mod input;
mod values;

// One copy of each helper, shared with the integration tests and the benchmarks.
#[path = "../../../tests/support/rng.rs"]
mod rng;
#[path = "../../../tests/support/routing.rs"]
mod routing;
#[path = "../../../tests/support/wire.rs"]
mod wire;

pub use faults::{conversation, sim_faults};
pub use framing::frame_decoder;
pub use harness::client;
pub use input::{Action, ClientInput, SID_POOL, Sid};
pub use rng::Rng;
pub use values::{json_scan, typed_decoders, typed_request};
