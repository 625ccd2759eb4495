//! [`Event`]: everything the client tells its caller, borrowed from the receive buffer.

use crate::client::requests::RequestId;
use crate::client::server_requests::ReplyHandle;
use crate::client::sessions::{OpenMethod, SessionHandle};
use crate::json::{JsonError, JsonStr, RawJson};
use crate::proto::server::ServerCall;
use crate::proto::{Lifecycle, MethodFamily, SessionEvent};
use crate::wire::{HeaderError, MessageError, RpcError};

/// One thing that happened on the connection. Events borrow from the [`Inbox`](crate::Inbox)
/// and stay valid until it is touched again; every frame received yields exactly one event.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Event<'a> {
    /// The handshake (`connect`, or `ping` on servers without `connect`) succeeded with a
    /// supported protocol version.
    Connected {
        /// The server's protocol version (3).
        protocol_version: u32,
        /// The CLI's version, e.g. `"1.0.102"`, if it said.
        server_version: Option<JsonStr<'a>>,
    },
    /// The handshake failed.
    ConnectFailed(Failure<'a>),
    /// `session.create`/`session.resume` succeeded: the session is active.
    SessionOpened {
        /// The session.
        session: SessionHandle,
        /// Create or resume.
        method: OpenMethod,
        /// The result object (`sessionId`, `workspacePath`, `capabilities`, ...).
        result: RawJson<'a>,
    },
    /// `session.create`/`session.resume` failed: the session's slot is released and its handle
    /// is stale.
    SessionOpenFailed {
        /// The session (now stale).
        session: SessionHandle,
        /// Create or resume.
        method: OpenMethod,
        /// Why.
        reason: Failure<'a>,
    },
    /// A resume of a session that is open on this client (a live resume) failed: an error
    /// response, a timeout, an unreadable response, or the connection ended. The session stays
    /// open, configured as before (the CLI refused the new options).
    LiveResumeFailed {
        /// The session (still open).
        session: SessionHandle,
        /// Why.
        reason: Failure<'a>,
    },
    /// The session is gone and its slot released: its `session.destroy` was answered
    /// (`Ok`, or the server's error), timed out, or the connection ended.
    SessionClosed {
        /// The session (now stale).
        session: SessionHandle,
        /// How the destroy went.
        result: Result<(), Failure<'a>>,
    },
    /// A `session.event` for a session in the table (pending, active or closing).
    Session {
        /// The session it was routed to.
        session: SessionHandle,
        /// The event.
        event: SessionEvent<'a>,
    },
    /// A `session.event` for a session the client does not know (never created here, or
    /// already released).
    UnknownSessionEvent(SessionEvent<'a>),
    /// A `session.lifecycle` notification; `session` is set if its `sessionId` is in the table.
    Lifecycle {
        /// The session, if known.
        session: Option<SessionHandle>,
        /// The notification's params.
        lifecycle: Lifecycle<'a>,
    },
    /// A request from the server that the caller must answer, exactly once, with
    /// [`Client::respond`](crate::Client::respond) or
    /// [`Client::respond_error`](crate::Client::respond_error).
    Request(ServerRequest<'a>),
    /// The response to a request the caller sent; also reports its local failures (timeout,
    /// connection closed, response too large to receive).
    Response {
        /// The request.
        id: RequestId,
        /// Its result, or why it failed.
        outcome: Result<RawJson<'a>, Failure<'a>>,
    },
    /// Any other notification (`host.event`, `gitHubTelemetry.event`, `$/...`, or methods newer
    /// than this crate). `session` is set when `params.sessionId` (or `params.scope.sessionId`)
    /// names a session in the table.
    Notification {
        /// The method.
        method: JsonStr<'a>,
        /// The session, if known.
        session: Option<SessionHandle>,
        /// The params (`{}` if absent).
        params: RawJson<'a>,
    },
    /// The server cancelled a request it had sent to the caller (`$/cancelRequest`): the
    /// client has answered it -32800 (`Request cancelled`), and `reply` is stale (answering it
    /// returns [`Error::UnknownReply`](crate::Error::UnknownReply)). Stop working on it. A
    /// cancel for a request already answered arrives as an [`Event::Notification`].
    ServerRequestCancelled {
        /// The request's handle, now stale.
        reply: ReplyHandle,
        /// The session it was routed to.
        session: Option<SessionHandle>,
    },
    /// Something the client did by itself.
    Auto(AutoAction<'a>),
    /// Input that could not be used. It was reported and skipped; the connection goes on
    /// unless the error is [`InputError::MalformedHeader`].
    Error(InputError<'a>),
    /// The connection is over: every pending request and every session has had its event.
    /// No more events follow. Server requests still unanswered are answered by the client with
    /// errors; those that do not fit in the transmit buffer yet are queued as it is written
    /// out ([`Client::transmitted`](crate::Client::transmitted)).
    Closed,
}

/// Why a request, a handshake, or a session open or close failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Failure<'a> {
    /// The server answered with an error.
    Rpc(RpcError<'a>),
    /// The deadline passed before the response.
    TimedOut,
    /// The connection ended first.
    ConnectionClosed,
    /// The response was larger than the receive limit and was skipped.
    ResponseTooLarge {
        /// Its size in bytes.
        len: u64,
    },
    /// The server's protocol version is not supported (this crate speaks version 3).
    /// `None`: the server did not say.
    UnsupportedVersion {
        /// The version the server reported.
        server: Option<u64>,
    },
    /// The open's result carries another session id than the one sent (or none, for create).
    SessionIdMismatch {
        /// The id returned.
        returned: Option<JsonStr<'a>>,
    },
    /// The result does not have the expected shape.
    InvalidResult,
    /// The response is not JSON the client can read: invalid, or nested deeper than
    /// [`Config::max_json_depth`](crate::Config::max_json_depth).
    UnreadableResponse(JsonError),
    /// The caller cancelled the request ([`Client::cancel`](crate::Client::cancel)): the
    /// server was told with `$/cancelRequest`; a late response is reported as
    /// [`InputError::UnknownResponse`].
    Cancelled,
    /// The response is JSON but not a valid JSON-RPC response (no `"jsonrpc": "2.0"`, both
    /// `result` and `error`, an `error` without an integer `code` or a `message`, ...).
    InvalidResponse(MessageError),
}

impl core::fmt::Display for Failure<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Failure::Rpc(e) => write!(f, "the server answered with an error: {e}"),
            Failure::TimedOut => f.write_str("no response before the deadline"),
            Failure::Cancelled => f.write_str("cancelled by the caller"),
            Failure::ConnectionClosed => f.write_str("the connection ended before the response"),
            Failure::ResponseTooLarge { len } => write!(
                f,
                "the response ({len} bytes) is larger than the receive buffer or frame limit"
            ),
            Failure::UnsupportedVersion { server: Some(v) } => write!(
                f,
                "the server speaks protocol version {v}; this client speaks version 3"
            ),
            Failure::UnsupportedVersion { server: None } => f.write_str(
                "the server did not say which protocol version it speaks; this client speaks 3",
            ),
            Failure::SessionIdMismatch { returned: Some(id) } => {
                write!(f, "the server returned another session id ({id})")
            }
            Failure::SessionIdMismatch { returned: None } => {
                f.write_str("the server returned no session id")
            }
            Failure::InvalidResult => f.write_str("the result does not have the expected shape"),
            Failure::UnreadableResponse(e) => write!(f, "the response could not be read: {e}"),
            Failure::InvalidResponse(e) => {
                write!(f, "the response is not a valid JSON-RPC response: {e}")
            }
        }
    }
}

impl Failure<'_> {
    /// True if the server may have done what was asked: its response could not be read, so
    /// it may have been a success.
    pub fn may_have_succeeded(&self) -> bool {
        matches!(
            self,
            Failure::ResponseTooLarge { .. }
                | Failure::UnreadableResponse(_)
                | Failure::InvalidResponse(_)
        )
    }
}

/// Something the client did without the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AutoAction<'a> {
    /// The client answered a server request itself.
    Answered {
        /// The request's method (`None` if it is not a string, or could not be read).
        method: Option<JsonStr<'a>>,
        /// The request's `sessionId`, if it had one.
        session_id: Option<JsonStr<'a>>,
        /// Why the caller did not get it.
        reason: AutoReason,
    },
    /// `connect` is unknown to this server: the client sent `ping` instead.
    PingFallback,
    /// A session whose open had already failed for the caller (timeout, unreadable response)
    /// exists on the server: the client sent `session.destroy` for it.
    DestroyingOrphan,
    /// An orphaned session is gone and its slot is free again.
    OrphanReleased,
}

/// Why a frame could not be read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Unread {
    /// It is larger than the receive limit: it was skipped by count.
    TooLarge {
        /// Its size in bytes.
        len: u64,
        /// The limit.
        limit: usize,
    },
    /// It is not JSON, or nested deeper than the limit.
    NotJson(JsonError),
}

/// Why the client answered a server request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum AutoReason {
    /// Its `sessionId` is not in the table: answered -32602.
    UnknownSession,
    /// A session-scoped method without `sessionId`: answered -32602.
    MissingSession,
    /// The caller does not handle this method (see [`CallerAnswers`](crate::CallerAnswers)) and it has no
    /// default: answered with an error (-32601, or -32603 for `userInput.request` and
    /// `sessionFs.*`, as the official SDKs do).
    NotHandled,
    /// The caller does not handle this method: answered with its documented default result
    /// (`exitPlanMode.request` approved, `autoModeSwitch.request` "no",
    /// `systemMessage.transform` unchanged, `hooks.invoke` no output).
    Default,
    /// All `P` server-request slots are waiting for the caller: answered -32603.
    TooManyPending,
    /// The request id is longer than the client keeps: answered -32600 with a `null` id
    /// (answers never echo such an id, so they always fit in the transmit buffer).
    IdTooLong,
    /// The request is malformed: answered -32600.
    InvalidRequest(MessageError),
    /// The request is not JSON the client can read (invalid, or nested deeper than
    /// [`Config::max_json_depth`](crate::Config::max_json_depth)): answered -32700, or -32600
    /// when too deep.
    Unreadable(JsonError),
    /// The request (or the default answer to it) is larger than the client's buffers:
    /// answered with an error.
    TooLarge {
        /// Its size in bytes.
        len: u64,
    },
}

/// Input that could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum InputError<'a> {
    /// A frame larger than the receive limit was skipped (it was neither a server request, nor
    /// a response to a pending request, nor a session event).
    FrameTooLarge {
        /// Its size in bytes.
        len: u64,
        /// The limit.
        limit: usize,
    },
    /// A malformed frame header: framing is lost and the connection ends.
    MalformedHeader(HeaderError),
    /// The input ended inside a frame.
    Truncated {
        /// The announced body length, if the header was complete.
        expected: Option<u64>,
        /// Bytes of it received.
        received: usize,
    },
    /// A frame body that is not JSON.
    InvalidJson(JsonError),
    /// JSON that is not a JSON-RPC message.
    InvalidMessage(MessageError),
    /// A response whose id matches no pending request (never sent, already answered, or
    /// timed out).
    UnknownResponse {
        /// The id.
        id: RawJson<'a>,
    },
    /// The peer rejected something it could not parse or recognise (an error response with
    /// `"id": null`: -32700 parse error, -32600 invalid request).
    RejectedByPeer(RpcError<'a>),
    /// A `session.event` that could not be read (too large to hold, not JSON, nested too
    /// deep): its session and type, as far as they could be found, say what was lost.
    LostSessionEvent {
        /// The session, if its id was found and is in the table.
        session: Option<SessionHandle>,
        /// `params.sessionId`, if found.
        session_id: Option<JsonStr<'a>>,
        /// `params.event.type`, if found.
        event_type: Option<JsonStr<'a>>,
        /// Why it could not be read.
        why: Unread,
    },
    /// A `session.event` without a string `sessionId` or an `event` object with a `type`.
    InvalidSessionEvent {
        /// The params.
        params: RawJson<'a>,
    },
}

/// A request from the server for the caller to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct ServerRequest<'a> {
    /// Pass to `respond`/`respond_error`.
    pub reply: ReplyHandle,
    /// The JSON-RPC id (echoed back verbatim by the client).
    pub id: RawJson<'a>,
    /// The method, e.g. `sessionFs.readFile`.
    pub method: JsonStr<'a>,
    /// The method's family.
    pub family: MethodFamily,
    /// The session it was routed to (by `params.sessionId`), if session-scoped.
    pub session: Option<SessionHandle>,
    /// The params (`{}` if absent).
    pub params: RawJson<'a>,
}

impl<'a> ServerRequest<'a> {
    /// The request's typed params, chosen by its method: one variant per server -> client
    /// method of the CLI's schema (and the few it does not describe), each a view that
    /// implements [`Callback`](crate::proto::Callback) with its answer type.
    #[inline]
    pub fn call(&self) -> ServerCall<'a> {
        ServerCall::of(self.method, self.params)
    }
}
