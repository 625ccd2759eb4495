//! The wire: bytes in, frames out, and the other way round.
//!
//! - [`Inbox`]: the receive buffer (the caller's) and incremental Content-Length framing, in
//!   place. Frames too large for it are skipped by count, keeping their first bytes.
//! - The outbox: the transmit buffer (the caller's), framed messages queued whole or not at all.
//! - JSON-RPC classification: a frame body is validated once and classified as a request, a
//!   response or a notification, with its id, method and error object ([`RpcError`]).

mod glance;
mod header;
mod inbox;
mod message;
mod outbox;

pub use header::{HeaderError, MAX_HEADER_LEN};
pub use inbox::Inbox;
pub use message::{MessageError, RpcError, code};

// The crate's own (this module is private): `pub` so that the fuzz hook can re-export some.
pub use glance::{Glance, Peek};
pub use inbox::Item;
#[cfg(any(test, feature = "sim", feature = "fuzzing"))]
pub use message::classify;
pub use message::{BadMessage, Intent, Message, classify_indexed};
pub use outbox::{FrameError, Outbox};
#[cfg(feature = "fuzzing")]
pub use {
    header::{HeaderScan, HeaderStatus},
    inbox::Commit,
    message::valid_id,
};
