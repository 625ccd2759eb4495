//! What a handler is given: a server request ([`Request`]) or a call broadcast as a session
//! event ([`Broadcast`]), each with what is needed to answer it later.

use crate::client::{ReplyHandle, SessionHandle};
use crate::json::JsonStr;
use crate::proto::events::{
    CommandExecute, ElicitationRequested, ExternalToolRequested, PermissionRequested,
};

/// The longest broadcast `requestId` a [`PendingCall`] keeps, in bytes as written on the wire
/// (a UUID is 36).
pub const MAX_PENDING_ID_LEN: usize = 64;

/// A server request for a session's handler: its typed params, and the handle that answers
/// it ([`Client::respond`](crate::Client::respond)) if the handler answers
/// [`Later`](crate::handler::Answer::Later).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a, V> {
    /// The session the request is for.
    pub session: SessionHandle,
    /// Answers it, once; keep it to answer later.
    pub reply: ReplyHandle,
    /// The method, e.g. `userInput.request`.
    pub method: JsonStr<'a>,
    /// The typed params.
    pub params: V,
}

/// A call the CLI broadcasts as a session event (`external_tool.requested`,
/// `permission.requested`, `elicitation.requested`, `command.execute`): the event's data, and
/// its `requestId`, which the answer names.
#[derive(Debug, Clone, Copy)]
pub struct Broadcast<'a, V> {
    /// The session the call is for.
    pub session: SessionHandle,
    /// The `requestId`, as written on the wire.
    pub request_id: JsonStr<'a>,
    /// The event's typed data.
    pub data: V,
}

/// A tool call (`external_tool.requested`).
pub type ToolCall<'a> = Broadcast<'a, ExternalToolRequested<'a>>;
/// A permission request (`permission.requested`).
pub type PermissionCall<'a> = Broadcast<'a, PermissionRequested<'a>>;
/// An elicitation (`elicitation.requested`).
pub type ElicitationCall<'a> = Broadcast<'a, ElicitationRequested<'a>>;
/// A slash command (`command.execute`).
pub type CommandCall<'a> = Broadcast<'a, CommandExecute<'a>>;

impl<V> Broadcast<'_, V> {
    /// What answers the call later, owned: keep it, return
    /// [`Answer::Later`](crate::handler::Answer::Later), and answer with the client's
    /// `answer_*` method for the call's kind
    /// ([`ClientSession::answer_tool_call`](crate::ClientSession::answer_tool_call), ...), passing
    /// [`PendingCall::session`] and [`PendingCall::request_id`]. `None` if the id is longer
    /// than [`MAX_PENDING_ID_LEN`]: answer such a call now.
    #[must_use = "no one else answers a deferred call: keep it to answer it later"]
    pub fn defer(&self) -> Option<PendingCall> {
        let raw = self.request_id.raw_bytes();
        Some(PendingCall {
            session: self.session,
            request_id: heapless::Vec::from_slice(raw).ok()?,
            escaped: self.request_id.is_escaped(),
        })
    }
}

/// A broadcast call kept to answer later (see [`Broadcast::defer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "no one else answers a deferred call: answer it with the client's `answer_*` method"]
pub struct PendingCall {
    session: SessionHandle,
    request_id: heapless::Vec<u8, MAX_PENDING_ID_LEN>,
    escaped: bool,
}

impl PendingCall {
    /// The session the call is for.
    pub fn session(&self) -> SessionHandle {
        self.session
    }

    /// The call's `requestId`, as it came.
    pub fn request_id(&self) -> JsonStr<'_> {
        JsonStr::from_raw(&self.request_id, self.escaped)
    }
}
