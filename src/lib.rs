//! A client for the GitHub Copilot CLI's JSON-RPC protocol (what every official Copilot SDK
//! speaks to `copilot --headless --stdio`), built as a `no_std`, allocation-free, sans-IO
//! state machine: bytes in, events and bytes out. It never reads a clock, blocks, allocates or
//! does IO; drivers on top do that for std threads, async runtimes and embedded targets.
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
//! # The map
//!
//! - **The core** (always there, `no_std`, no allocation):
//!   - [`Client`]: the state machine. Requests ([`Client::connect`],
//!     [`Client::create_session`], [`Client::request`], a session's verbs through
//!     [`Client::session`] ([`ClientSession::send`], ...), ...) and answers
//!     ([`Client::respond`]) are queued, framed, for [`Client::transmit_bytes`];
//!     [`Client::poll_event`] turns received frames into one [`Event`] each.
//!   - [`Inbox`]: the receive buffer (the caller's) and Content-Length framing, in place.
//!   - [`Instant`]: time, passed in; [`Client::poll_timeout`] says when to call
//!     [`Client::handle_timeout`].
//!   - [`proto`]: the protocol, typed, generated from the CLI's own schemas where they speak
//!     (every method, event type and server request of CLI 1.0.102; most methods with the
//!     `methods` feature): [`proto::params`] (one struct per method, sent with
//!     [`Client::call`] or [`ClientSession::call`]; [`Call`] reads the response),
//!     [`proto::results`] and [`proto::events`] views ([`proto::events::TypedEvent`]: one
//!     variant per event type), [`proto::server`] requests ([`proto::server::ServerCall`]) and
//!     their answers.
//!   - [`json`]: the JSON underneath: a non-recursive validator, [`json::RawJson`] and
//!     [`json::JsonStr`] (text still escaped, decoded on demand).
//! - **On top of the client** ([`handler`]), still sans-IO and in fixed memory: a
//!   [`handler::SessionHandler`] per session (tools, permissions, user input, hooks, a
//!   [`handler::SessionFs`], ...), [`handler::Dispatch`] to feed each event to its session's
//!   handler and send the answers, and [`handler::Turns`] to follow sends until the CLI says
//!   each is done, with its answer.
//! - **The drivers** ([`driver`]): [`driver::BlockingDriver`] over `std::io` (feature `std`),
//!   [`driver::AsyncDriver`] over `embedded-io-async` (feature `async`), and
//!   [`driver::CliCommand`] to start the real CLI.
//! - **A `Copilot` that owns the connection** (features `std` and `tokio`):
//!   `blocking::Copilot` and `tokio::Copilot` start the CLI (or attach to streams or TCP), run
//!   the client, the handlers and the turns on a thread or task of their own, and give
//!   sessions with `send_and_wait`, tools from closures (`Tool`), permission policies in one
//!   line and streams of events, as the official SDKs do.
//! - **The simulated CLI** ([`sim`], feature `sim`): the server side, sans-IO, speaking as CLI
//!   1.0.102 does, for tests and examples without the real CLI.
//! - **The examples** (in the repository's `examples/`): `chat` (a whole conversation with a
//!   tool and a permission policy, streaming the reply, through the blocking `Copilot`),
//!   `tokio_chat` (the same through the tokio `Copilot`), `multi_session` (three sessions in
//!   parallel tasks on one CLI), `fixed_memory` (the sans-IO client and handlers with no heap,
//!   with their sizes), `replay` (recorded CLI traffic through the client).
//!
//! The folders of the source follow the layers: `json/` < `wire/` (framing, JSON-RPC
//! classification) < `proto/` < `client/` < `handler/` < `driver/` and `sim/`; a layer never
//! imports one above it.
//!
//! # The contract
//!
//! - **Reserve before emit**: [`Client::create_session`] and [`Client::resume_session`] put
//!   the session in the table (pending) before encoding the request; every `session.event` and
//!   session-scoped server request for it is routed to it from then on. An error response
//!   releases the slot with one [`Event::SessionOpenFailed`]; a success yields one
//!   [`Event::SessionOpened`]. A destroy keeps routing until its response.
//! - **Live resume**: [`Client::resume_session`] of a session open on this client sends
//!   `session.resume` with the new options and keeps the session in its slot, with its handle;
//!   its events keep flowing to it in order. Success is one [`Event::SessionOpened`], failure
//!   one [`Event::LiveResumeFailed`] that leaves the session open as it was. One create,
//!   resume or destroy of an id is in flight at a time: another is refused
//!   ([`Error::DuplicateSession`] for a create, [`Error::SessionBusy`] otherwise).
//! - **Handlers from the first byte**: [`handler::Dispatch::create_session`] installs the
//!   session's handler as the request is queued, so it sees every event of the session; each
//!   call on the session (broadcast or server request) is answered exactly once, by the
//!   handler's answer, the client's default, or later by the handler's owner; an answer that
//!   cannot fit is replaced by an error, and none is attempted without room for it. A live
//!   resume with a new handler hands it the session when the request is queued; if the resume
//!   fails, the old handler is back.
//! - **Nothing dropped silently**: events for unknown sessions, unknown notifications and
//!   responses with unknown ids each surface as an event.
//! - **Every server request answered exactly once**, however large, deep or malformed: by
//!   the caller ([`Event::Request`] + [`Client::respond`]) or by the client itself, with an
//!   error, for unknown sessions, methods the caller does not answer
//!   ([`Config::caller_answers`]), a full table, requests too large or nested too deep to read
//!   (answered from the id found in their first level, wherever it is), invalid requests, and
//!   requests left unanswered when their session or the connection closes. Every answer is
//!   valid JSON: quoted text is cut between whole characters and escapes.
//! - **Cancels end things once**: a request the server cancels (`$/cancelRequest`) is
//!   answered -32800 by the client, once, and the caller's handle goes stale
//!   ([`Event::ServerRequestCancelled`]); [`Client::cancel`] tells the server and resolves the
//!   caller's request once, with [`Failure::Cancelled`].
//! - **Every pending request resolves exactly once**, whatever its response looks like
//!   (nested too deep, too large with its `id` anywhere at the top level, malformed: no
//!   `"jsonrpc"`, both `result` and `error`, an `error` without `message` or with a
//!   non-integer code), when its deadline passes ([`Config::request_timeout_ms`],
//!   [`Client::set_deadline`]), or when the connection ends. An open whose response could not
//!   be read may have succeeded: the client destroys it on the server and keeps its slot until
//!   then (at most a grace period).
//! - **Owed answers flow as soon as there is room**: answers the client owes go out whenever
//!   transmit space frees ([`Client::transmitted`]), and [`Client::wants_transmit`] and
//!   [`Client::can_poll`] tell the truth, so a driver that waits on them never stalls.
//! - **Lost events are named**: a `session.event` too large or too deep to read arrives as
//!   [`InputError::LostSessionEvent`] with its session and its type.
//! - **Handles belong to their client**: a [`SessionHandle`] or [`ReplyHandle`] from another
//!   client is refused ([`Error::UnknownSession`], [`Error::UnknownReply`]).
//! - **Leave or stop**: [`Client::shutdown`] destroys this client's sessions and, with
//!   [`ShutdownMode::StopCli`] only, asks the CLI to stop (`runtime.shutdown`). A client that
//!   joined a shared CLI (TCP, several clients) leaves with [`ShutdownMode::Leave`] and the
//!   other clients keep their sessions; a CLI this program started is stopped
//!   (`driver::CliProcess::shutdown`).
//! - **Waits end when the caller says**: every driver wait takes an optional deadline of the
//!   caller's and returns `Polled::DeadlinePassed` when it passes first, with nothing pending
//!   touched, nothing lost and the connection still usable.
//! - **Numbers read one way**: every integer of every view (and of the generated code) is read
//!   by [`json::RawJson::as_u64`] and [`json::RawJson::as_i64`], which take an integer however
//!   it is written (`7`, `7.0`, `7e2`, `1.5e1`: the CLI writes some integers as floats); a
//!   fraction, a value out of range or a non-number reads as absent (`None`), never as a
//!   wrong value.
//! - **Backpressure, not loss**: an inbox that is not drained accepts fewer bytes; a request
//!   that does not fit in the transmit buffer is refused whole ([`Error::TransmitFull`]).
//! - **Nothing grows without bound**: tables, buffers and queues are fixed at compile time or
//!   by the caller; oversized frames are skipped by count; JSON is validated without recursion
//!   and with a depth limit; lone UTF-16 surrogates are accepted; no input can panic the
//!   library.
//! - **Secrets stay out of logs**: tokens, keys and secret headers print as `<redacted>`
//!   under `Debug`, in typed fields and in JSON at any depth, and so do typed environment
//!   maps and secret values; the types that hold them have no `defmt::Format`, and the
//!   client's own logging (`defmt` or `log`) never includes message content.
//!
//! These rules are checked by a model of the client under random conversations
//! (`tests/model.rs`) and by the fuzz targets in the repository's `fuzz/` folder.
//!
//! # Features
//!
//! | feature | adds |
//! |---|---|
//! | `std` | [`driver::BlockingDriver`], [`driver::CliCommand`] and the CLI process helpers, `driver::DirectoryFs`, `SessionId::random`, the blocking `Copilot` |
//! | `async` | [`driver::AsyncDriver`], over `embedded_io_async::{Read, Write}` |
//! | `tokio` | [`driver::TokioDriver`]: the async driver on tokio's own IO, clock and processes, and the tokio `Copilot` |
//! | `sim` | [`sim`], the simulated CLI (with `std`: [`sim::spawn`] on a thread) |
//! | `defmt` | `defmt::Format` for the public types, and logging through defmt |
//! | `log` | logging through the `log` crate |
//! | `methods` | the typed params and result views of every method of the CLI's schemas (without it: those of the methods the client's shorthands send) |
//! | `internal` | the methods, events and types the CLI's schemas mark internal (they may change in any CLI release); turns on `methods` |
//! | `fuzzing` | a hidden hook for the fuzz kit (test tooling, not API) |
//!
//! The protocol as this crate uses it is summarised in the repository's `docs/protocol.md`.
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
pub mod handler;
pub mod json;
pub mod proto;
#[cfg(feature = "sim")]
pub mod sim;
mod wire;

/// (feature `std`) The blocking [`Copilot`](blocking::Copilot): a whole chat with a tool in a
/// few lines. It starts the CLI ([`CliCommand`](crate::driver::CliCommand)) or attaches to
/// one, runs each session's [`Handlers`](blocking::Handlers) on a thread of its own, and
/// waits for the turns ([`Session::send_and_wait`](blocking::Session::send_and_wait)).
#[cfg(feature = "std")]
pub mod blocking {
    pub use crate::driver::copilot::blocking::{Copilot, Session};
    pub use crate::driver::{
        CliCommand, CopilotError, CopilotHandler, Handlers, OwnedEvent, Permissions, Reply,
        Settings, Tool, ToolOutput,
    };
}

/// (feature `tokio`) The async [`Copilot`](tokio::Copilot), over tokio's own IO, clock and
/// child processes: the blocking one's twin, whose sessions any task may use, whose pending
/// `send_and_wait` is cancelled when dropped, and whose sessions stream their events.
#[cfg(feature = "tokio")]
pub mod tokio {
    pub use crate::driver::copilot::tokio::{Copilot, EventStream, Session};
    pub use crate::driver::{
        CliCommand, CopilotError, CopilotHandler, Handlers, OwnedEvent, Permissions, Reply,
        Settings, Tool, ToolOutput,
    };
}

pub use client::{
    AutoAction, AutoReason, Call, CallerAnswers, Client, ClientSession, Config, Error, Event,
    Failure, InputError, Instant, MIN_TRANSMIT_BUFFER, OpenMethod, PROTOCOL_VERSION, ReplyHandle,
    RequestId, ServerRequest, SessionHandle, SessionState, Shutdown, ShutdownMode, Stats, Unread,
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
