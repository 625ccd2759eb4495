//! [`Error`]: why a call on the client was refused. Nothing was queued when it is returned.

use core::fmt;

use crate::json::JsonError;
use crate::proto::InvalidSessionId;

/// Why a call on the [`Client`](crate::Client) was refused. When a call returns an error,
/// nothing was queued and no state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The message does not fit in the free part of the transmit buffer. Write out the queued
    /// bytes and retry. `needed` is the frame's size when known (it is not when the overflow
    /// happened inside serde-serialized parameters).
    TransmitFull {
        /// Bytes the frame needs, if known.
        needed: Option<usize>,
        /// Bytes free now.
        free: usize,
    },
    /// The transmit buffer is smaller than [`MIN_TRANSMIT_BUFFER`](crate::MIN_TRANSMIT_BUFFER).
    TransmitBufferTooSmall {
        /// The minimum size.
        min: usize,
    },
    /// All session slots are in use.
    SessionTableFull,
    /// A session with this id is already in the table: to change an open session's
    /// configuration, resume it.
    DuplicateSession,
    /// The session id is empty, too long or has control characters.
    InvalidSessionId,
    /// The session handle is stale (its session was released), or belongs to another client.
    UnknownSession,
    /// The session is pending (its open is in flight) or already closing.
    SessionNotActive,
    /// A create, resume or destroy of this session is in flight: wait for its outcome before
    /// resuming or destroying it.
    SessionBusy,
    /// All pending-request slots are in use: wait for responses.
    TooManyPending,
    /// No such request in flight: it was answered (or timed out) already, or it is not a
    /// request of the caller's (opens and destroys cannot be cancelled).
    UnknownRequest,
    /// The reply handle is stale: the request was answered already (maybe by the client, when
    /// its session closed), or the handle belongs to another client.
    UnknownReply,
    /// Parameters must serialize to a JSON object (and must not set `sessionId` where the
    /// client sets it); a result or error could not be serialized.
    InvalidParams,
    /// Raw JSON given to the client is not valid.
    InvalidJson(JsonError),
    /// The connection has ended: nothing more can be sent.
    Closed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TransmitFull {
                needed: Some(n),
                free,
            } => write!(
                f,
                "transmit buffer full: {n} bytes needed, {free} free (write out the queued bytes \
                 and retry, or give the client a larger buffer)"
            ),
            Error::TransmitFull { needed: None, free } => write!(
                f,
                "transmit buffer full: more than {free} bytes needed (write out the queued \
                 bytes and retry, or give the client a larger buffer)"
            ),
            Error::TransmitBufferTooSmall { min } => {
                write!(f, "transmit buffer smaller than {min} bytes")
            }
            Error::SessionTableFull => f.write_str(
                "session table full: destroy a session first, or give the client more slots",
            ),
            Error::DuplicateSession => f.write_str(
                "a session with this id is in the table (resume it to change its configuration)",
            ),
            Error::InvalidSessionId => InvalidSessionId.fmt(f),
            Error::UnknownSession => {
                f.write_str("no such session: the handle is stale or belongs to another client")
            }
            Error::SessionNotActive => f.write_str(
                "the session is not active: its open or its destroy is in flight (wait for \
                 SessionOpened, or it is closing)",
            ),
            Error::SessionBusy => f.write_str(
                "a create, resume or destroy of this session is in flight: wait for its outcome \
                 (SessionOpened, LiveResumeFailed, SessionClosed)",
            ),
            Error::TooManyPending => f.write_str(
                "too many requests pending: wait for responses, or give the client more slots",
            ),
            Error::UnknownRequest => f.write_str(
                "no such request in flight: it was answered or timed out already (opens and \
                 destroys cannot be cancelled)",
            ),
            Error::UnknownReply => f.write_str(
                "no such request to answer: it was answered already (or by the client, when its \
                 session closed), or the handle belongs to another client",
            ),
            Error::InvalidParams => f.write_str(
                "parameters must serialize to a JSON object (without the sessionId the client \
                 sets)",
            ),
            Error::InvalidJson(e) => write!(f, "invalid JSON: {e}"),
            Error::Closed => f.write_str("the connection has ended: nothing more can be sent"),
        }
    }
}

impl From<InvalidSessionId> for Error {
    fn from(_: InvalidSessionId) -> Self {
        Error::InvalidSessionId
    }
}

impl From<JsonError> for Error {
    fn from(e: JsonError) -> Self {
        Error::InvalidJson(e)
    }
}

impl core::error::Error for Error {}
