//! The typed client requests. Each queues one request and returns its id; its outcome
//! arrives as one [`Event::Response`](crate::Event::Response), to be read with the matching
//! view of [`results`](crate::proto::results).
//!
//! [`Client::call`] and [`Client::session_call`] send any method of the CLI's schema, typed by
//! its generated params struct (see [`params`](crate::proto::params)); the named methods below
//! are shorthands for the common ones (and, for `status.get`, `auth.getStatus`,
//! `session.getMessages`/`list`/`delete`/`getLastId`/`getMetadata`, which the schema does not
//! describe, the only typed way).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::client::Client;
use crate::client::error::Error;
use crate::client::requests::RequestId;
use crate::client::sessions::SessionHandle;
use crate::client::time::Instant;
use crate::json::JsonStr;
use crate::proto::Method;
use crate::proto::params::{
    AbortReason, ExternalToolResult, LlmInferenceSetProvider, ModelsList, PermissionDecision, Ping,
    RuntimeShutdown, SessionAbort, SessionCommandsHandlePendingCommand, SessionFilter,
    SessionFsSetProvider, SessionLog, SessionModelSwitchTo,
    SessionPermissionsHandlePendingPermissionRequest, SessionSend,
    SessionToolsHandlePendingToolCall, SessionUiHandlePendingElicitation, UiElicitationResponse,
};

#[derive(Serialize)]
struct List<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<&'a SessionFilter<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ById<'a> {
    session_id: &'a str,
}

/// The params of a `handlePending*` answer, with the request id as the event gave it (escapes
/// and all, which the generated params structs, holding `&str`, cannot carry): `{requestId,
/// <key>: value}`.
struct Pending<'a, T> {
    request_id: JsonStr<'a>,
    member: Option<(&'static str, T)>,
}

impl<T: Serialize> Serialize for Pending<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("requestId", &self.request_id)?;
        if let Some((key, value)) = &self.member {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
    /// Sends a connection-wide method of the CLI's schema, typed by its params struct (see
    /// [`params`](crate::proto::params)). Read the response's result with
    /// [`Method::result`].
    ///
    /// A session-scoped method ([`Method::SESSION`]) does not compile here: use
    /// [`session_call`](Self::session_call).
    pub fn call<M: Method>(&mut self, now: Instant, params: &M) -> Result<RequestId, Error> {
        const {
            assert!(
                !M::SESSION,
                "a session-scoped method: send it with `Client::session_call`"
            )
        };
        self.request(now, M::NAME, params)
    }

    /// Sends a session-scoped method of the CLI's schema, typed by its params struct: the
    /// client writes the session's `sessionId` first, then the params' members.
    ///
    /// A connection-wide method does not compile here: use [`call`](Self::call).
    pub fn session_call<M: Method>(
        &mut self,
        now: Instant,
        session: SessionHandle,
        params: &M,
    ) -> Result<RequestId, Error> {
        const {
            assert!(
                M::SESSION,
                "a connection-wide method: send it with `Client::call`"
            )
        };
        self.session_request(now, session, M::NAME, params)
    }

    /// `ping`: `message` comes back as `pong: <message>` (see
    /// [`PingResult`](crate::proto::results::PingResult)).
    pub fn ping(&mut self, now: Instant, message: Option<&str>) -> Result<RequestId, Error> {
        let ping = Ping::new();
        let ping = match message {
            Some(m) => ping.message(m),
            None => ping,
        };
        self.call(now, &ping)
    }

    /// `status.get` ([`StatusResult`](crate::proto::results::StatusResult); not described by
    /// the CLI's schema).
    pub fn get_status(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "status.get", &())
    }

    /// `auth.getStatus` ([`AuthStatus`](crate::proto::results::AuthStatus); not described by
    /// the CLI's schema).
    pub fn get_auth_status(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "auth.getStatus", &())
    }

    /// `models.list` ([`ModelList`](crate::proto::results::ModelList)).
    pub fn list_models(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.call(now, &ModelsList::new())
    }

    /// `runtime.shutdown`: the CLI cleans up and answers `null`.
    pub fn shutdown_runtime(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.call(now, &RuntimeShutdown::new())
    }

    /// `session.send` ([`SendResult`](crate::proto::results::SendResult)). The
    /// turn's events may arrive before the response.
    pub fn send(
        &mut self,
        now: Instant,
        session: SessionHandle,
        message: &SessionSend<'_>,
    ) -> Result<RequestId, Error> {
        self.session_call(now, session, message)
    }

    /// `session.abort`: the turn ends with `abort` and `session.idle {aborted: true}`.
    pub fn abort(
        &mut self,
        now: Instant,
        session: SessionHandle,
        reason: Option<AbortReason>,
    ) -> Result<RequestId, Error> {
        let abort = SessionAbort::new();
        let abort = match reason {
            Some(r) => abort.reason(r),
            None => abort,
        };
        self.session_call(now, session, &abort)
    }

    /// `session.getMessages`: the persisted history
    /// ([`Messages`](crate::proto::results::Messages); not described by the CLI's schema).
    pub fn get_messages(
        &mut self,
        now: Instant,
        session: SessionHandle,
    ) -> Result<RequestId, Error> {
        self.session_request(now, session, "session.getMessages", &())
    }

    /// `session.model.switchTo`
    pub fn switch_model(
        &mut self,
        now: Instant,
        session: SessionHandle,
        model: &SessionModelSwitchTo<'_>,
    ) -> Result<RequestId, Error> {
        self.session_call(now, session, model)
    }

    /// `session.log`: a message in the session's timeline.
    pub fn log(
        &mut self,
        now: Instant,
        session: SessionHandle,
        message: &SessionLog<'_>,
    ) -> Result<RequestId, Error> {
        self.session_call(now, session, message)
    }

    /// `session.list` ([`SessionListResult`](crate::proto::results::SessionListResult); not
    /// described by the CLI's schema).
    pub fn list_sessions(
        &mut self,
        now: Instant,
        filter: Option<&SessionFilter<'_>>,
    ) -> Result<RequestId, Error> {
        self.request(now, "session.list", &List { filter })
    }

    /// `session.delete`: removes a persisted session's state. Destroy it first if it is open
    /// here. (Not described by the CLI's schema.)
    pub fn delete_session(&mut self, now: Instant, session_id: &str) -> Result<RequestId, Error> {
        self.request(now, "session.delete", &ById { session_id })
    }

    /// `session.getLastId` ([`LastSessionId`](crate::proto::results::LastSessionId); not
    /// described by the CLI's schema).
    pub fn get_last_session_id(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "session.getLastId", &())
    }

    /// `session.getMetadata` ([`SessionMetadata`](crate::proto::results::SessionMetadata); not
    /// described by the CLI's schema).
    pub fn get_session_metadata(
        &mut self,
        now: Instant,
        session_id: &str,
    ) -> Result<RequestId, Error> {
        self.request(now, "session.getMetadata", &ById { session_id })
    }

    /// `sessionFs.setProvider`: the CLI will keep session state through `sessionFs.*`
    /// requests to this client. Send it before creating sessions.
    pub fn set_session_fs_provider(
        &mut self,
        now: Instant,
        provider: &SessionFsSetProvider<'_>,
    ) -> Result<RequestId, Error> {
        self.call(now, provider)
    }

    /// `llmInference.setProvider`: the CLI will route model HTTP traffic through
    /// `llmInference.*` requests to this client.
    pub fn set_llm_inference_provider(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.call(now, &LlmInferenceSetProvider::new())
    }

    /// Answers `external_tool.requested` (`session.tools.handlePendingToolCall`): `Ok` with
    /// the tool's result (text, or a structured result), `Err` with an error message. Pass
    /// the event's `requestId` as it came (escapes and all).
    pub fn answer_tool_call(
        &mut self,
        now: Instant,
        session: SessionHandle,
        request_id: JsonStr<'_>,
        result: Result<ExternalToolResult<'_>, &str>,
    ) -> Result<RequestId, Error> {
        let method = SessionToolsHandlePendingToolCall::NAME;
        match result {
            Ok(result) => {
                let member = Some(("result", result));
                self.session_request(now, session, method, &Pending { request_id, member })
            }
            Err(message) => {
                let member = Some(("error", message));
                self.session_request(now, session, method, &Pending { request_id, member })
            }
        }
    }

    /// Answers `permission.requested`
    /// (`session.permissions.handlePendingPermissionRequest`). Pass the event's `requestId`
    /// as it came.
    pub fn answer_permission(
        &mut self,
        now: Instant,
        session: SessionHandle,
        request_id: JsonStr<'_>,
        decision: PermissionDecision<'_>,
    ) -> Result<RequestId, Error> {
        let params = Pending {
            request_id,
            member: Some(("result", decision)),
        };
        let method = SessionPermissionsHandlePendingPermissionRequest::NAME;
        self.session_request(now, session, method, &params)
    }

    /// Answers `elicitation.requested` (`session.ui.handlePendingElicitation`). Pass the
    /// event's `requestId` as it came.
    pub fn answer_elicitation(
        &mut self,
        now: Instant,
        session: SessionHandle,
        request_id: JsonStr<'_>,
        response: UiElicitationResponse<'_>,
    ) -> Result<RequestId, Error> {
        let params = Pending {
            request_id,
            member: Some(("result", response)),
        };
        let method = SessionUiHandlePendingElicitation::NAME;
        self.session_request(now, session, method, &params)
    }

    /// Answers `command.execute` (`session.commands.handlePendingCommand`); `error` reports
    /// a failure (e.g. `Unknown command: X`). Pass the event's `requestId` as it came.
    pub fn answer_command(
        &mut self,
        now: Instant,
        session: SessionHandle,
        request_id: JsonStr<'_>,
        error: Option<&str>,
    ) -> Result<RequestId, Error> {
        let params = Pending {
            request_id,
            member: error.map(|e| ("error", e)),
        };
        let method = SessionCommandsHandlePendingCommand::NAME;
        self.session_request(now, session, method, &params)
    }
}
