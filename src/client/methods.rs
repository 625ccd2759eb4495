//! The typed client requests. Each queues one request and returns its id; its outcome
//! arrives as one [`Event::Response`](crate::Event::Response), to be read with the matching
//! view of [`results`](crate::proto::results).
//!
//! [`Client::call`] and [`ClientSession::call`](crate::ClientSession::call) send any method of the CLI's schema, typed by
//! its generated params struct (see [`params`](crate::proto::params)); the named methods below
//! are shorthands for the common ones (and, for `status.get`, `auth.getStatus`,
//! `session.getMessages`/`list`/`delete`/`getLastId`/`getMetadata`, which the schema does not
//! describe, the only typed way).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::client::Client;
use crate::client::call::Call;
use crate::client::error::Error;
use crate::client::requests::RequestId;
use crate::client::time::Instant;
use crate::json::JsonStr;
use crate::proto::Method;
use crate::proto::params::{
    LlmInferenceSetProvider, ModelsList, Ping, RuntimeShutdown, SessionFilter, SessionFsSetProvider,
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
pub(super) struct Pending<'a, T> {
    pub(super) request_id: JsonStr<'a>,
    pub(super) member: Option<(&'static str, T)>,
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
    /// [`ClientSession::call`](crate::ClientSession::call).
    pub fn call<M: Method>(&mut self, now: Instant, params: &M) -> Result<Call<M>, Error> {
        const {
            assert!(
                !M::SESSION,
                "a session-scoped method: send it with `client.session(handle).call(..)`"
            )
        };
        self.request(now, M::NAME, params).map(Call::new)
    }

    /// `ping`: `message` comes back as `pong: <message>` (see
    /// [`PingResult`](crate::proto::results::PingResult)).
    pub fn ping<'m>(
        &mut self,
        now: Instant,
        message: Option<&'m str>,
    ) -> Result<Call<Ping<'m>>, Error> {
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
    pub fn list_models(&mut self, now: Instant) -> Result<Call<ModelsList<'static>>, Error> {
        self.call(now, &ModelsList::new())
    }

    /// `runtime.shutdown`: the CLI cleans up and answers `null`.
    pub fn shutdown_runtime(&mut self, now: Instant) -> Result<Call<RuntimeShutdown>, Error> {
        self.call(now, &RuntimeShutdown::new())
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
    pub fn set_session_fs_provider<'p>(
        &mut self,
        now: Instant,
        provider: &SessionFsSetProvider<'p>,
    ) -> Result<Call<SessionFsSetProvider<'p>>, Error> {
        self.call(now, provider)
    }

    /// `llmInference.setProvider`: the CLI will route model HTTP traffic through
    /// `llmInference.*` requests to this client.
    pub fn set_llm_inference_provider(
        &mut self,
        now: Instant,
    ) -> Result<Call<LlmInferenceSetProvider>, Error> {
        self.call(now, &LlmInferenceSetProvider::new())
    }
}
