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
    /// A session with this id is already in the table.
    DuplicateSession,
    /// The session id is empty, too long or has control characters.
    InvalidSessionId,
    /// The session handle is stale (its session was released).
    UnknownSession,
    /// The session is pending (its open is in flight) or already closing.
    SessionNotActive,
    /// All pending-request slots are in use: wait for responses.
    TooManyPending,
    /// The reply handle is stale: the request was answered already (maybe by the client, when
    /// its session closed).
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
            } => write!(f, "transmit buffer full: {n} bytes needed, {free} free"),
            Error::TransmitFull { needed: None, free } => {
                write!(f, "transmit buffer full: more than {free} bytes needed")
            }
            Error::TransmitBufferTooSmall { min } => {
                write!(f, "transmit buffer smaller than {min} bytes")
            }
            Error::SessionTableFull => f.write_str("session table full"),
            Error::DuplicateSession => f.write_str("a session with this id is in the table"),
            Error::InvalidSessionId => InvalidSessionId.fmt(f),
            Error::UnknownSession => f.write_str("stale session handle"),
            Error::SessionNotActive => f.write_str("session is not active"),
            Error::TooManyPending => f.write_str("too many pending requests"),
            Error::UnknownReply => f.write_str("stale reply handle"),
            Error::InvalidParams => f.write_str("parameters must be a JSON object"),
            Error::InvalidJson(e) => write!(f, "invalid JSON: {e}"),
            Error::Closed => f.write_str("connection closed"),
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
