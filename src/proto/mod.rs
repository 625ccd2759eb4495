//! The protocol itself, typed: the envelopes of what the CLI sends ([`SessionEvent`],
//! [`Lifecycle`], the [`MethodFamily`] of a server request), session ids, parameters of client
//! requests, views of results, session events and server requests, and the answers to them.
//! Everything borrows; nothing allocates. Nothing here knows about the client's state.
//!
//! Most of it is generated from the CLI's own schemas (`src/proto/generated/`, written by the
//! `copilot-sansio-codegen` program in `codegen/` from `api.schema.json` and
//! `session-events.schema.json`); what the schemas do not describe (`session.create`/
//! `resume`/`destroy`/`getMessages`/`list`/`delete`/`getLastId`/`getMetadata`, `status.get`,
//! `auth.getStatus`, a few server requests) is written by hand next to it and says so.

mod definitions;
mod envelope;
pub mod events;
mod family;
mod generated;
mod method;
pub mod params;
pub mod results;
pub mod server;
mod session_id;
mod session_options;
pub(crate) mod setters;
pub(crate) mod view;

pub use envelope::{Lifecycle, SessionEvent};
pub use family::MethodFamily;
pub use method::{Callback, Method};
pub use session_id::{InvalidSessionId, MAX_SESSION_ID_LEN, SessionId};
pub use view::{FromJson, JsonArray, Kind, View};

/// What `Debug` prints in place of a secret (a token, a key).
pub(crate) use crate::json::redact::REDACTED;
