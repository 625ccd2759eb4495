//! [`Ev`]: an event, owned, with everything a test compares.

use copilot_sansio::{Event, OpenMethod, ReplyHandle, RequestId, SessionHandle};

/// An event, owned, with everything a test compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    Connected(u32, Option<String>),
    ConnectFailed(String),
    Opened(SessionHandle, OpenMethod, String),
    OpenFailed(SessionHandle, OpenMethod, String),
    /// A live resume failed: session, reason.
    ResumeFailed(SessionHandle, String),
    Closed(SessionHandle, String),
    /// session, type, raw event
    Session(SessionHandle, String, String),
    /// session id, type
    UnknownSession(String, String),
    /// session, raw params
    Lifecycle(Option<SessionHandle>, String),
    Request {
        reply: ReplyHandle,
        id: String,
        method: String,
        session: Option<SessionHandle>,
        params: String,
    },
    Response(RequestId, String),
    Notification(String, Option<SessionHandle>, String),
    Auto(String),
    Error(String),
    End,
}

impl Ev {
    pub fn of(event: &Event<'_>) -> Ev {
        match *event {
            Event::Connected {
                protocol_version,
                server_version,
            } => Ev::Connected(protocol_version, server_version.map(|v| v.to_string())),
            Event::ConnectFailed(f) => Ev::ConnectFailed(format!("{f:?}")),
            Event::SessionOpened {
                session,
                method,
                result,
            } => Ev::Opened(session, method, result.to_string()),
            Event::SessionOpenFailed {
                session,
                method,
                reason,
            } => Ev::OpenFailed(session, method, format!("{reason:?}")),
            Event::LiveResumeFailed { session, reason } => {
                Ev::ResumeFailed(session, format!("{reason:?}"))
            }
            Event::SessionClosed { session, result } => Ev::Closed(session, format!("{result:?}")),
            Event::Session { session, event } => Ev::Session(
                session,
                event.event_type().to_string(),
                event.raw().to_string(),
            ),
            Event::UnknownSessionEvent(e) => Ev::UnknownSession(
                e.session_id().map(|s| s.to_string()).unwrap_or_default(),
                e.event_type().to_string(),
            ),
            Event::Lifecycle { session, lifecycle } => {
                Ev::Lifecycle(session, lifecycle.raw().to_string())
            }
            Event::Request(r) => Ev::Request {
                reply: r.reply,
                id: r.id.to_string(),
                method: r.method.to_string(),
                session: r.session,
                params: r.params.to_string(),
            },
            Event::Response { id, outcome } => Ev::Response(
                id,
                match outcome {
                    Ok(v) => format!("Ok({v})"),
                    Err(f) => format!("Err({f:?})"),
                },
            ),
            Event::Notification {
                method,
                session,
                params,
            } => Ev::Notification(method.to_string(), session, params.to_string()),
            Event::Auto(a) => Ev::Auto(format!("{a:?}")),
            Event::Error(e) => Ev::Error(format!("{e:?}")),
            Event::Closed => Ev::End,
            other => Ev::Error(format!("unknown event {other:?}")),
        }
    }

    /// The session an event was routed to, if any.
    pub fn session(&self) -> Option<SessionHandle> {
        match self {
            Ev::Opened(s, ..)
            | Ev::OpenFailed(s, ..)
            | Ev::ResumeFailed(s, _)
            | Ev::Closed(s, _)
            | Ev::Session(s, ..) => Some(*s),
            Ev::Lifecycle(s, _) | Ev::Notification(_, s, _) => *s,
            Ev::Request { session, .. } => *session,
            _ => None,
        }
    }

    /// The raw params (or event) text this event was built from, for frame-level comparison.
    pub fn raw(&self) -> Option<&str> {
        match self {
            Ev::Session(_, _, raw) | Ev::Lifecycle(_, raw) | Ev::Notification(_, _, raw) => {
                Some(raw)
            }
            Ev::Request { params, .. } => Some(params),
            _ => None,
        }
    }
}
