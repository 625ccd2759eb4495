//! Entry points shared by the fuzz targets in `fuzz/` and by the tests that replay their corpus
//! (feature `fuzzing`; test tooling, not API).
//!
//! Each entry point takes bytes (or a [`ClientInput`]) and panics when an invariant of the crate
//! breaks: a panic inside the library, a hang, a lost or misrouted event, a leaked slot, a server
//! request answered twice or never, a buffer bound exceeded. Unlike the library, this module uses
//! `std`.
//!
//! - [`frame_decoder`]: Content-Length framing ([`Inbox`](crate::Inbox)) in any chunking and
//!   any buffer size, against a whole-input reference, and through a client.
//! - [`json_scan`]: the validator, [`RawJson`](crate::json::RawJson),
//!   [`JsonStr`](crate::json::JsonStr), message classification and the client, on one body.
//!   Typed decoders hook in at [`typed_decoders`].
//! - [`client`]: the state machine driven by caller actions interleaved with server bytes, split
//!   anywhere, checked against a model after every step.

mod framing;
mod harness;
mod input;
mod values;

pub use framing::frame_decoder;
pub use harness::client;
pub use input::{Action, ClientInput, SID_POOL, Sid};
pub use values::{json_scan, typed_decoders, typed_request};
