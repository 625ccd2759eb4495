//! The typed client requests. Each queues one request and returns its id; its outcome
//! arrives as one [`Event::Response`](crate::Event::Response), to be read with the matching
//! view of [`results`](crate::proto::results).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::client::Client;
use crate::client::error::Error;
use crate::client::requests::RequestId;
use crate::client::sessions::SessionHandle;
use crate::client::time::Instant;
use crate::json::JsonStr;
use crate::proto::answers::{ElicitationAnswer, PermissionDecision, ToolCallResult};
use crate::proto::params::{
    AbortReason, LogMessage, SendMessage, SessionFilter, SessionFsProvider, SwitchModel,
};

#[derive(Serialize)]
struct Ping<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

#[derive(Serialize)]
struct Abort {
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<AbortReason>,
}

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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a, T> {
    request_id: JsonStr<'a>,
    result: &'a T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommandAnswer<'a> {
    request_id: JsonStr<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

struct ToolAnswer<'a> {
    request_id: JsonStr<'a>,
    result: &'a ToolCallResult<'a>,
}

impl Serialize for ToolAnswer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("requestId", &self.request_id)?;
        self.result.entry(&mut map)?;
        map.end()
    }
}

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
    /// `ping`: `message` comes back as `pong: <message>` (see
    /// [`PingResult`](crate::proto::results::PingResult)).
    pub fn ping(&mut self, now: Instant, message: Option<&str>) -> Result<RequestId, Error> {
        self.request(now, "ping", &Ping { message })
    }

    /// `status.get` ([`StatusResult`](crate::proto::results::StatusResult)).
    pub fn get_status(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "status.get", &())
    }

    /// `auth.getStatus` ([`AuthStatus`](crate::proto::results::AuthStatus)).
    pub fn get_auth_status(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "auth.getStatus", &())
    }

    /// `models.list` ([`ModelList`](crate::proto::results::ModelList)).
    pub fn list_models(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "models.list", &())
    }

    /// `runtime.shutdown`: the CLI cleans up and answers `null`.
    pub fn shutdown_runtime(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "runtime.shutdown", &())
    }

    /// `session.send` ([`SendResult`](crate::proto::results::SendResult)). The turn's events may
    /// arrive before the response.
    pub fn send(
        &mut self,
        now: Instant,
        session: SessionHandle,
        message: &SendMessage<'_>,
    ) -> Result<RequestId, Error> {
        self.session_request(now, session, "session.send", message)
    }

    /// `session.abort`: the turn ends with `abort` and `session.idle {aborted: true}`.
    pub fn abort(
        &mut self,
        now: Instant,
        session: SessionHandle,
        reason: Option<AbortReason>,
    ) -> Result<RequestId, Error> {
        self.session_request(now, session, "session.abort", &Abort { reason })
    }

    /// `session.getMessages`: the persisted history
    /// ([`Messages`](crate::proto::results::Messages)).
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
        model: &SwitchModel<'_>,
    ) -> Result<RequestId, Error> {
        self.session_request(now, session, "session.model.switchTo", model)
    }

    /// `session.log`: a message in the session's timeline.
    pub fn log(
        &mut self,
        now: Instant,
        session: SessionHandle,
        message: &LogMessage<'_>,
    ) -> Result<RequestId, Error> {
        self.session_request(now, session, "session.log", message)
    }

    /// `session.list` ([`SessionList`](crate::proto::results::SessionList)).
    pub fn list_sessions(
        &mut self,
        now: Instant,
        filter: Option<&SessionFilter<'_>>,
    ) -> Result<RequestId, Error> {
        self.request(now, "session.list", &List { filter })
    }

    /// `session.delete`: removes a persisted session's state. Destroy it first if it is open
    /// here.
    pub fn delete_session(&mut self, now: Instant, session_id: &str) -> Result<RequestId, Error> {
        self.request(now, "session.delete", &ById { session_id })
    }

    /// `session.getLastId` ([`LastSessionId`](crate::proto::results::LastSessionId)).
    pub fn get_last_session_id(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "session.getLastId", &())
    }

    /// `session.getMetadata` ([`SessionMetadata`](crate::proto::results::SessionMetadata)).
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
        provider: &SessionFsProvider<'_>,
    ) -> Result<RequestId, Error> {
        self.request(now, "sessionFs.setProvider", provider)
    }

    /// `llmInference.setProvider`: the CLI will route model HTTP traffic through
    /// `llmInference.*` requests to this client.
    pub fn set_llm_inference_provider(&mut self, now: Instant) -> Result<RequestId, Error> {
        self.request(now, "llmInference.setProvider", &())
    }

    /// Answers `external_tool.requested` (`session.tools.handlePendingToolCall`). Pass the
    /// event's `requestId` as it came (escapes and all).
    pub fn answer_tool_call(
        &mut self,
        now: Instant,
        session: SessionHandle,
        request_id: JsonStr<'_>,
        result: &ToolCallResult<'_>,
    ) -> Result<RequestId, Error> {
        let params = ToolAnswer { request_id, result };
        self.session_request(now, session, "session.tools.handlePendingToolCall", &params)
    }

    /// Answers `permission.requested`
    /// (`session.permissions.handlePendingPermissionRequest`). Pass the event's `requestId`
    /// as it came.
    pub fn answer_permission(
        &mut self,
        now: Instant,
        session: SessionHandle,
        request_id: JsonStr<'_>,
        decision: &PermissionDecision<'_>,
    ) -> Result<RequestId, Error> {
        let params = Answer {
            request_id,
            result: decision,
        };
        let method = "session.permissions.handlePendingPermissionRequest";
        self.session_request(now, session, method, &params)
    }

    /// Answers `elicitation.requested` (`session.ui.handlePendingElicitation`). Pass the
    /// event's `requestId` as it came.
    pub fn answer_elicitation(
        &mut self,
        now: Instant,
        session: SessionHandle,
        request_id: JsonStr<'_>,
        answer: &ElicitationAnswer<'_>,
    ) -> Result<RequestId, Error> {
        let params = Answer {
            request_id,
            result: answer,
        };
        self.session_request(now, session, "session.ui.handlePendingElicitation", &params)
    }

    /// Answers `command.execute` (`session.commands.handlePendingCommand`); `error` reports
    /// a failure (e.g. `Unknown command: X`).
    pub fn answer_command(
        &mut self,
        now: Instant,
        session: SessionHandle,
        request_id: JsonStr<'_>,
        error: Option<&str>,
    ) -> Result<RequestId, Error> {
        let params = CommandAnswer { request_id, error };
        self.session_request(
            now,
            session,
            "session.commands.handlePendingCommand",
            &params,
        )
    }
}
