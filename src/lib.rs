//! A `no_std`, allocation-free, sans-IO client core for the GitHub Copilot CLI's JSON-RPC
//! protocol: bytes in, events and bytes out.
//!
//! ```
//! use copilot_sansio::{Client, Config, Connect, Event, Inbox, Instant, SessionId};
//!
//! # fn main() -> Result<(), copilot_sansio::Error> {
//! let mut rx = [0u8; 16 * 1024];
//! let mut tx = [0u8; 4 * 1024];
//! let mut inbox = Inbox::new(&mut rx);
//! // Up to 8 sessions and 16 pending requests each way, all in fixed memory.
//! let mut client: Client<'_, 8, 16> = Client::new(&mut tx, Config::default())?;
//! let now = Instant::from_millis(0);
//!
//! client.connect(now, &Connect::default())?;
//! // The session is in the table before a single byte of the request exists, so nothing the
//! // CLI sends for it while `session.create` is in flight can be lost.
//! let session = client.create_session(now, SessionId::new_v4([7; 16]), &())?;
//! let id = client.session_id(session).unwrap().clone();
//!
//! // Real code writes these bytes to the CLI's stdin or a socket...
//! let n = client.transmit_bytes().len();
//! client.transmitted(n);
//!
//! // ...and reads its answers into the inbox. Here: what CLI 1.0.102 replies.
//! for body in [
//!     r#"{"jsonrpc":"2.0","id":1,"result":{"ok":true,"protocolVersion":3,"version":"1.0.102"}}"#,
//!     &format!(r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{id}","event":{{"type":"session.start","data":{{}},"id":"e1","timestamp":"2026-11-23T23:10:25.444Z","parentId":null}}}}}}"#),
//!     &format!(r#"{{"jsonrpc":"2.0","id":2,"result":{{"sessionId":"{id}","workspacePath":"/w"}}}}"#),
//! ] {
//!     inbox.push(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
//! }
//!
//! let mut seen = Vec::new();
//! while let Some(event) = client.poll_event(&mut inbox, now) {
//!     match event {
//!         Event::Connected { protocol_version, .. } => seen.push(format!("connected v{protocol_version}")),
//!         Event::Session { session: s, event } if s == session => seen.push(format!("{}", event.event_type())),
//!         Event::SessionOpened { session: s, .. } if s == session => seen.push("opened".to_string()),
//!         other => seen.push(format!("{other:?}")),
//!     }
//! }
//! // `session.start` arrived while the create was in flight and still reached the session.
//! assert_eq!(seen, ["connected v3", "session.start", "opened"]);
//! # Ok(())
//! # }
//! ```
//!
//! # How it fits together
//!
//! - [`Inbox`]: the receive buffer (the caller's) and Content-Length framing. Read bytes into
//!   [`Inbox::receive_buffer`] and commit them with [`Inbox::received`], or copy them in with
//!   [`Inbox::push`]; call [`Inbox::close`] at end of input.
//! - [`Client`]: the state machine and the transmit buffer (the caller's too).
//!   [`Client::poll_event`] takes frames out of the inbox and returns one [`Event`] per frame,
//!   borrowed from the inbox. Requests ([`Client::connect`], [`Client::create_session`],
//!   [`Client::request`], ...) and answers ([`Client::respond`]) are queued, framed, for
//!   [`Client::transmit_bytes`].
//! - Time is passed in ([`Instant`]): [`Client::poll_timeout`] says when to call
//!   [`Client::handle_timeout`].
//!
//! # The contract
//!
//! - **Reserve before emit**: [`Client::create_session`] and [`Client::resume_session`] put
//!   the session in the table (pending) before encoding the request; every `session.event` and
//!   session-scoped server request for it is routed to it from then on. An error response
//!   releases the slot with one [`Event::SessionOpenFailed`]; a success yields one
//!   [`Event::SessionOpened`]. A destroy keeps routing until its response.
//! - **Nothing dropped silently**: events for unknown sessions, unknown notifications and
//!   responses with unknown ids each surface as an event.
//! - **Every server request answered exactly once**: by the caller
//!   ([`Event::Request`] + [`Client::respond`]) or by the client itself, with an error, for
//!   unknown sessions, methods the caller does not handle ([`Config::handles`]), a full table,
//!   and requests left unanswered when their session closes.
//! - **Backpressure, not loss**: an inbox that is not drained accepts fewer bytes; a request
//!   that does not fit in the transmit buffer is refused whole ([`Error::TransmitFull`]).
//! - **Hostile input is survivable**: oversized frames are skipped by count, JSON is validated
//!   without recursion and with a depth limit, lone UTF-16 surrogates are accepted, and no
//!   input can panic the library.
//!
//! # Features
//!
//! - `std`: `std::error::Error` for the error types.
//! - `defmt`: `defmt::Format` for the public types, and logging through defmt.
//! - `log`: logging through the `log` crate.
//! - `fuzzing`: [`fuzzing`], the entry points of the fuzz targets (test tooling; uses `std`).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "std")]
extern crate std;

#[macro_use]
mod fmt;

mod client;
#[cfg(any(feature = "std", feature = "async"))]
pub mod driver;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz_hook;
pub mod json;
pub mod proto;
#[cfg(feature = "sim")]
pub mod sim;
mod wire;

pub use client::{
    AutoAction, AutoReason, CallerAnswers, Client, Config, Error, Event, Failure, InputError,
    Instant, MIN_TRANSMIT_BUFFER, OpenMethod, PROTOCOL_VERSION, ReplyHandle, RequestId,
    ServerRequest, SessionHandle, SessionState, Shutdown, ShutdownMode, Stats,
};
pub use proto::params::Connect;
pub use proto::{
    InvalidSessionId, Lifecycle, MAX_SESSION_ID_LEN, MethodFamily, SessionEvent, SessionId,
};
pub use wire::{HeaderError, Inbox, MAX_HEADER_LEN, MessageError, RpcError, code};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
