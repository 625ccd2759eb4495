//! Typed views of the results of client requests, decoded on demand from
//! [`Event::Response`](crate::Event::Response) (or
//! [`Event::SessionOpened`](crate::Event::SessionOpened)).

use crate::json::{JsonStr, RawJson};
use crate::proto::SessionEvent;
use crate::proto::view::view;

view! {
    /// `connect`
    ConnectResult {
        ok: bool = "ok",
        protocol_version: u64 = "protocolVersion",
        version: JsonStr<'a> = "version",
        task_kinds: RawJson<'a> = "taskKinds",
    }

    /// `ping`
    PingResult {
        /// `pong`, or `pong: <your message>`.
        message: JsonStr<'a> = "message",
        timestamp: JsonStr<'a> = "timestamp",
        protocol_version: u64 = "protocolVersion",
    }

    /// `status.get`
    StatusResult {
        version: JsonStr<'a> = "version",
        protocol_version: u64 = "protocolVersion",
    }

    /// `auth.getStatus`
    AuthStatus {
        is_authenticated: bool = "isAuthenticated",
        /// `user`, `env`, `gh-cli`, `hmac`, `api-key`, `token`, ...
        auth_type: JsonStr<'a> = "authType",
        host: JsonStr<'a> = "host",
        login: JsonStr<'a> = "login",
        status_message: JsonStr<'a> = "statusMessage",
    }

    /// `models.list`
    ModelList {
        /// See [`models`](Self::models).
        models_raw: RawJson<'a> = "models",
    }

    /// One model of [`ModelList::models`].
    ModelInfo {
        id: JsonStr<'a> = "id",
        name: JsonStr<'a> = "name",
        /// `{supports?: {vision?, reasoningEffort?}, limits?: {max_prompt_tokens?, ...}}`
        capabilities: RawJson<'a> = "capabilities",
        policy: RawJson<'a> = "policy",
        billing: RawJson<'a> = "billing",
        supported_reasoning_efforts: RawJson<'a> = "supportedReasoningEfforts",
        default_reasoning_effort: JsonStr<'a> = "defaultReasoningEffort",
    }

    /// `session.create` / `session.resume`
    OpenResult {
        session_id: JsonStr<'a> = "sessionId",
        workspace_path: JsonStr<'a> = "workspacePath",
        remote_url: JsonStr<'a> = "remoteUrl",
        /// `{ui?: {elicitation?, mcpApps?, canvases?}}`
        capabilities: RawJson<'a> = "capabilities",
    }

    /// `session.send`
    SendResult {
        message_id: JsonStr<'a> = "messageId",
    }

    /// `session.getMessages`
    Messages {
        /// See [`events`](Self::events).
        events_raw: RawJson<'a> = "events",
    }

    /// `session.list`
    SessionList {
        /// See [`sessions`](Self::sessions).
        sessions_raw: RawJson<'a> = "sessions",
    }

    /// One entry of `session.list` or `session.getMetadata`.
    SessionInfo {
        session_id: JsonStr<'a> = "sessionId",
        start_time: JsonStr<'a> = "startTime",
        modified_time: JsonStr<'a> = "modifiedTime",
        summary: JsonStr<'a> = "summary",
        is_remote: bool = "isRemote",
        /// `{cwd, gitRoot?, repository?, branch?}`
        context: RawJson<'a> = "context",
    }

    /// `session.getMetadata`
    SessionMetadata {
        /// Absent if the session is not known; see [`info`](Self::info).
        session: RawJson<'a> = "session",
    }

    /// `session.getLastId`
    LastSessionId {
        session_id: JsonStr<'a> = "sessionId",
    }

    /// Results of the shape `{success, error?}`: `session.delete`, `session.abort`, the
    /// `handlePending*` answers, `sessionFs.setProvider`.
    Success {
        success: bool = "success",
        error: JsonStr<'a> = "error",
    }
}

impl<'a> ModelList<'a> {
    /// The models.
    pub fn models(&self) -> impl Iterator<Item = ModelInfo<'a>> + use<'a> {
        self.models_raw()
            .into_iter()
            .flat_map(|m| m.elements())
            .map(ModelInfo::new)
    }
}

impl<'a> ModelInfo<'a> {
    /// `capabilities.supports.vision`
    pub fn supports_vision(&self) -> Option<bool> {
        self.capabilities()?
            .get("supports")?
            .get("vision")?
            .as_bool()
    }

    /// `capabilities.limits.max_context_window_tokens`
    pub fn max_context_window_tokens(&self) -> Option<u64> {
        self.capabilities()?
            .get("limits")?
            .get("max_context_window_tokens")?
            .as_u64()
    }
}

impl OpenResult<'_> {
    /// `capabilities.ui.elicitation`: whether `session.ui.elicitation` may be used.
    pub fn elicitation(&self) -> Option<bool> {
        self.capabilities()?
            .get("ui")?
            .get("elicitation")?
            .as_bool()
    }
}

impl<'a> Messages<'a> {
    /// The session's persisted events, oldest first. Entries without a `type` are skipped.
    pub fn events(&self) -> impl Iterator<Item = SessionEvent<'a>> + use<'a> {
        self.events_raw()
            .into_iter()
            .flat_map(|e| e.elements())
            .filter_map(SessionEvent::from_event)
    }
}

impl<'a> SessionList<'a> {
    /// The sessions.
    pub fn sessions(&self) -> impl Iterator<Item = SessionInfo<'a>> + use<'a> {
        self.sessions_raw()
            .into_iter()
            .flat_map(|s| s.elements())
            .map(SessionInfo::new)
    }
}

impl<'a> SessionMetadata<'a> {
    /// The session, if the server knows it.
    pub fn info(&self) -> Option<SessionInfo<'a>> {
        self.session()
            .filter(|s| !s.is_null())
            .map(SessionInfo::new)
    }
}
