//! [`ClientSession`]: the client, for one session: the per-session verbs.

use serde::Serialize;

use crate::client::Client;
use crate::client::call::Call;
use crate::client::error::Error;
use crate::client::methods::Pending;
use crate::client::requests::RequestId;
use crate::client::sessions::{SessionHandle, SessionState};
use crate::client::time::Instant;
use crate::json::JsonStr;
use crate::proto::params::{
    AbortReason, ExternalToolResult, PermissionDecision, SessionAbort,
    SessionCommandsHandlePendingCommand, SessionLog, SessionModelSwitchTo,
    SessionPermissionsHandlePendingPermissionRequest, SessionSend,
    SessionToolsHandlePendingToolCall, SessionUiHandlePendingElicitation, UiElicitationResponse,
};
use crate::proto::{Method, SessionId};

/// The client, for one session ([`Client::session`]): sends its requests (the client writes
/// its `sessionId`) and answers the calls broadcast to it.
///
/// Requests need the session open (active, or resuming); while its open or its destroy is in
/// flight they are refused with [`Error::SessionNotActive`], and a stale handle with
/// [`Error::UnknownSession`].
pub struct ClientSession<'c, 'b, const S: usize, const P: usize> {
    client: &'c mut Client<'b, S, P>,
    session: SessionHandle,
}

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
    /// The per-session verbs of `session`: `client.session(h).send(now, &message)`.
    pub fn session(&mut self, session: SessionHandle) -> ClientSession<'_, 'b, S, P> {
        ClientSession {
            client: self,
            session,
        }
    }
}

impl<const S: usize, const P: usize> ClientSession<'_, '_, S, P> {
    /// The session's handle.
    pub fn handle(&self) -> SessionHandle {
        self.session
    }

    /// The session's id (`None` for a stale handle).
    pub fn id(&self) -> Option<&SessionId> {
        self.client.session_id(self.session)
    }

    /// The session's state (`None` for a stale handle).
    pub fn state(&self) -> Option<SessionState> {
        self.client.session_state(self.session)
    }

    /// Sends a session-scoped method of the CLI's schema, typed by its params struct: the
    /// client writes the session's `sessionId` first, then the params' members.
    ///
    /// A connection-wide method does not compile here: use [`Client::call`].
    pub fn call<M: Method>(&mut self, now: Instant, params: &M) -> Result<Call<M>, Error> {
        const {
            assert!(
                M::SESSION,
                "a connection-wide method: send it with `Client::call`"
            )
        };
        self.request(now, M::NAME, params).map(Call::new)
    }

    /// Sends any session-scoped request: `"sessionId"` first, then the members of `params`
    /// (an object without `sessionId`).
    pub fn request<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        method: &str,
        params: &T,
    ) -> Result<RequestId, Error> {
        self.client
            .session_request(now, self.session, method, params)
    }

    /// `session.send` ([`SendResult`](crate::proto::results::SendResult)). The turn's events
    /// may arrive before the response. To know when the turn is over, send it through
    /// [`Turns`](crate::handler::Turns).
    pub fn send<'m>(
        &mut self,
        now: Instant,
        message: &SessionSend<'m>,
    ) -> Result<Call<SessionSend<'m>>, Error> {
        self.call(now, message)
    }

    /// `session.abort`: the turn ends with `abort` and `session.idle {aborted: true}`.
    pub fn abort(
        &mut self,
        now: Instant,
        reason: Option<AbortReason>,
    ) -> Result<Call<SessionAbort>, Error> {
        let abort = SessionAbort::new();
        let abort = match reason {
            Some(r) => abort.reason(r),
            None => abort,
        };
        self.call(now, &abort)
    }

    /// `session.getMessages`: the persisted history
    /// ([`Messages`](crate::proto::results::Messages); not described by the CLI's schema).
    pub fn get_messages(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "session.getMessages", &())
    }

    /// `session.model.switchTo`
    pub fn switch_model<'m>(
        &mut self,
        now: Instant,
        model: &SessionModelSwitchTo<'m>,
    ) -> Result<Call<SessionModelSwitchTo<'m>>, Error> {
        self.call(now, model)
    }

    /// `session.log`: a message in the session's timeline.
    pub fn log<'m>(
        &mut self,
        now: Instant,
        message: &SessionLog<'m>,
    ) -> Result<Call<SessionLog<'m>>, Error> {
        self.call(now, message)
    }

    /// Sends `session.destroy`. The session keeps receiving its events until the response,
    /// then one [`Event::SessionClosed`](crate::Event::SessionClosed) releases it.
    pub fn destroy(&mut self, now: Instant) -> Result<(), Error> {
        self.client.destroy(now, self.session).map(|_| ())
    }

    /// Answers `external_tool.requested` (`session.tools.handlePendingToolCall`): `Ok` with
    /// the tool's result (text, or a structured result), `Err` with an error message. Pass
    /// the event's `requestId` as it came (escapes and all).
    pub fn answer_tool_call(
        &mut self,
        now: Instant,
        request_id: JsonStr<'_>,
        result: Result<ExternalToolResult<'_>, &str>,
    ) -> Result<RequestId, Error> {
        let method = SessionToolsHandlePendingToolCall::NAME;
        match result {
            Ok(result) => {
                let member = Some(("result", result));
                self.request(now, method, &Pending { request_id, member })
            }
            Err(message) => {
                let member = Some(("error", message));
                self.request(now, method, &Pending { request_id, member })
            }
        }
    }

    /// Answers `permission.requested`
    /// (`session.permissions.handlePendingPermissionRequest`). Pass the event's `requestId`
    /// as it came.
    pub fn answer_permission(
        &mut self,
        now: Instant,
        request_id: JsonStr<'_>,
        decision: PermissionDecision<'_>,
    ) -> Result<RequestId, Error> {
        let params = Pending {
            request_id,
            member: Some(("result", decision)),
        };
        let method = SessionPermissionsHandlePendingPermissionRequest::NAME;
        self.request(now, method, &params)
    }

    /// Answers `elicitation.requested` (`session.ui.handlePendingElicitation`). Pass the
    /// event's `requestId` as it came.
    pub fn answer_elicitation(
        &mut self,
        now: Instant,
        request_id: JsonStr<'_>,
        response: UiElicitationResponse<'_>,
    ) -> Result<RequestId, Error> {
        let params = Pending {
            request_id,
            member: Some(("result", response)),
        };
        let method = SessionUiHandlePendingElicitation::NAME;
        self.request(now, method, &params)
    }

    /// Answers `command.execute` (`session.commands.handlePendingCommand`); `error` reports
    /// a failure (e.g. `Unknown command: X`). Pass the event's `requestId` as it came.
    pub fn answer_command(
        &mut self,
        now: Instant,
        request_id: JsonStr<'_>,
        error: Option<&str>,
    ) -> Result<RequestId, Error> {
        let params = Pending {
            request_id,
            member: error.map(|e| ("error", e)),
        };
        let method = SessionCommandsHandlePendingCommand::NAME;
        self.request(now, method, &params)
    }
}
