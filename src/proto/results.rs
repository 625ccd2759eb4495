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
