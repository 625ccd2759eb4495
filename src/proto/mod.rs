//! The protocol itself, typed: the envelopes of what the CLI sends ([`SessionEvent`],
//! [`Lifecycle`], the [`MethodFamily`] of a server request), session ids, parameters of client
//! requests, views of results, session events and server requests, and the answers to them.
//! Everything borrows; nothing allocates. Nothing here knows about the client's state.

pub mod answers;
mod envelope;
pub mod events;
mod family;
pub mod params;
pub mod results;
pub mod server;
mod session_id;
pub(crate) mod setters;
pub(crate) mod view;

pub use envelope::{Lifecycle, SessionEvent};
pub use family::MethodFamily;
pub use session_id::{InvalidSessionId, MAX_SESSION_ID_LEN, SessionId};
pub use view::FromJson;

/// What `Debug` prints in place of a secret (a token, a key).
pub(crate) const REDACTED: &str = "<redacted>";
