//! Typed views of the results of client requests, decoded on demand from
//! [`Event::Response`](crate::Event::Response) (or
//! [`Event::SessionOpened`](crate::Event::SessionOpened)).
//!
//! The result of every client -> server method of the CLI's schema has a generated view (see
//! `src/proto/generated/results/`), reachable from its params type as
//! [`Method::Result`](crate::proto::Method::Result): read a response with
//! `SessionModelSwitchTo::result(raw)`.
//!
//! Hand-written here, because the schema does not describe these methods: [`OpenResult`]
//! (`session.create`/`resume`), [`StatusResult`] (`status.get`), [`AuthStatus`]
//! (`auth.getStatus`), [`Messages`] (`session.getMessages`), [`SessionListResult`] and
//! [`SessionInfo`] (`session.list`), [`SessionMetadata`] (`session.getMetadata`),
//! [`LastSessionId`] (`session.getLastId`) and [`Success`] (`session.delete`).

pub use super::generated::results::*;

use crate::json::{JsonStr, RawJson};
use crate::proto::SessionEvent;
use crate::proto::view::view;

view! {
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

    /// `session.create` / `session.resume`
    OpenResult {
        session_id: JsonStr<'a> = "sessionId",
        workspace_path: JsonStr<'a> = "workspacePath",
        remote_url: JsonStr<'a> = "remoteUrl",
        /// `{ui?: {elicitation?, mcpApps?, canvases?}}`
        capabilities: RawJson<'a> = "capabilities",
    }

    /// `session.getMessages`
    Messages {
        /// See [`events`](Self::events).
        events_raw: RawJson<'a> = "events",
    }

    /// `session.list`
    SessionListResult {
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

    /// `session.delete`: `{success, error?}`.
    Success {
        success: bool = "success",
        error: JsonStr<'a> = "error",
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

impl<'a> SessionListResult<'a> {
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

impl<'a> ModelList<'a> {
    /// The entries of `models`, read as the official SDKs fill them in: see [`ModelInfo`].
    pub fn infos(&self) -> impl Iterator<Item = ModelInfo<'a>> + use<'a> {
        self.models().into_iter().flatten().map(ModelInfo)
    }
}

/// One entry of `models.list`, whose [`capabilities`](Self::capabilities) read as empty
/// (not `None`) when the CLI leaves them out, as the Node SDK fills in `capabilities`,
/// `capabilities.supports` and `capabilities.limits`. Everything else of the entry is on
/// [`model`](Self::model).
#[derive(Debug, Clone, Copy)]
pub struct ModelInfo<'a>(pub Model<'a>);

impl<'a> ModelInfo<'a> {
    /// The whole entry.
    pub fn model(&self) -> Model<'a> {
        self.0
    }

    /// `id`.
    pub fn id(&self) -> Option<JsonStr<'a>> {
        self.0.id()
    }

    /// `name`.
    pub fn name(&self) -> Option<JsonStr<'a>> {
        self.0.name()
    }

    /// `capabilities`, empty if absent.
    pub fn capabilities(&self) -> ModelInfoCapabilities<'a> {
        ModelInfoCapabilities(
            self.0
                .capabilities()
                .unwrap_or(ModelCapabilities::new(RawJson::EMPTY_OBJECT)),
        )
    }
}

/// A model's capabilities, whose [`supports`](Self::supports) and [`limits`](Self::limits)
/// read as empty objects when absent.
#[derive(Debug, Clone, Copy)]
pub struct ModelInfoCapabilities<'a>(pub ModelCapabilities<'a>);

impl<'a> ModelInfoCapabilities<'a> {
    /// `supports`, empty if absent: every flag then reads as `None`.
    pub fn supports(&self) -> ModelCapabilitiesSupports<'a> {
        self.0
            .supports()
            .unwrap_or(ModelCapabilitiesSupports::new(RawJson::EMPTY_OBJECT))
    }

    /// `limits`, empty if absent: every limit then reads as `None`.
    pub fn limits(&self) -> ModelCapabilitiesLimits<'a> {
        self.0
            .limits()
            .unwrap_or(ModelCapabilitiesLimits::new(RawJson::EMPTY_OBJECT))
    }
}
