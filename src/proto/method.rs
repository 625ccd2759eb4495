//! Typed calls: what a params type says about its method.

use serde::Serialize;

use crate::json::RawJson;
use crate::proto::view::FromJson;

/// A client -> server method, implemented by its params type: the generated params structs
/// of [`params`](crate::proto::params), one per method of the CLI's schema.
///
/// Send one with [`Client::call`](crate::Client::call) (connection-wide methods) or
/// [`ClientSession::call`](crate::ClientSession::call) (session-scoped ones, [`SESSION`]:
/// the client fills in `sessionId`; calling one with the other does not compile); read the
/// response's result with [`Method::result`].
///
/// [`SESSION`]: Method::SESSION
pub trait Method: Serialize {
    /// The method's name on the wire, e.g. `session.model.switchTo`.
    const NAME: &'static str;
    /// True for methods of one session (their params carry `sessionId`, which the params
    /// type leaves out: the client writes it from its session table).
    const SESSION: bool;
    /// The view of its result.
    type Result<'a>: FromJson<'a>;

    /// Reads a response's result (`None` if it does not have the result's type).
    fn result(raw: RawJson<'_>) -> Option<Self::Result<'_>> {
        Self::Result::from_json(raw)
    }
}

/// A request (or notification) the server sends to the client, implemented by the view of
/// its params: the generated views of [`server`](crate::proto::server), one per method of the CLI's
/// schema. [`ServerRequest::call`](crate::ServerRequest::call) picks the view; answer with
/// [`Client::respond`](crate::Client::respond) and a [`Callback::Answer`].
pub trait Callback<'a>: FromJson<'a> {
    /// The method's name on the wire, e.g. `sessionFs.readFile`.
    const NAME: &'static str;
    /// True for notifications, which are never answered.
    const NOTIFICATION: bool;
    /// What the client answers with (`()`: `null`).
    type Answer<'b>: Serialize;
}
