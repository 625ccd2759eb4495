//! [`check_routing`]: the routing invariant, checked on every event: an event routed to a
//! session names that session's id; one routed nowhere names no session in the table.

use copilot_sansio::json::JsonStr;
use copilot_sansio::{Client, Event, SessionHandle, SessionState};

fn decoded(s: JsonStr<'_>) -> String {
    s.to_string()
}

/// An event routed to a session names that session's id; one routed nowhere names no session
/// in the table.
pub fn check_routing<const S: usize, const P: usize>(client: &Client<'_, S, P>, event: &Event<'_>) {
    let routed = |h: SessionHandle, sid: Option<JsonStr<'_>>, what: &str| {
        let Some(id) = client.session_id(h) else {
            panic!("{what} routed to a stale handle {h:?}")
        };
        let Some(sid) = sid else {
            panic!("{what} without a session id routed to {id}")
        };
        assert!(sid.eq_str(id.as_str()), "{what} for {sid} routed to {id}");
    };
    let unrouted = |sid: Option<JsonStr<'_>>, what: &str| {
        if let Some(sid) = sid {
            let sid = decoded(sid);
            assert!(
                client.find_session(&sid).is_none(),
                "{what} for {sid} not routed to it"
            );
        }
    };
    match *event {
        Event::Session { session, event } => routed(session, event.session_id(), "session.event"),
        Event::UnknownSessionEvent(e) => unrouted(e.session_id(), "session.event"),
        Event::Request(r) => match r.session {
            Some(h) => routed(h, r.params.get_str("sessionId"), "server request"),
            None => assert!(
                r.params.get_str("sessionId").is_none(),
                "server request with a sessionId and no session"
            ),
        },
        Event::Lifecycle { session, lifecycle } => match session {
            Some(h) => routed(h, lifecycle.session_id(), "lifecycle"),
            None => unrouted(lifecycle.session_id(), "lifecycle"),
        },
        Event::Notification {
            session, params, ..
        } => {
            let sid = params
                .get_str("sessionId")
                .or_else(|| params.get("scope").and_then(|s| s.get_str("sessionId")));
            match session {
                Some(h) => routed(h, sid, "notification"),
                None => unrouted(sid, "notification"),
            }
        }
        Event::SessionOpened {
            session, result, ..
        } => {
            assert_eq!(client.session_state(session), Some(SessionState::Active));
            if let Some(sid) = result.get_str("sessionId") {
                routed(session, Some(sid), "open result");
            }
        }
        Event::LiveResumeFailed { session, .. } => {
            assert_eq!(
                client.session_state(session),
                Some(SessionState::Active),
                "a failed live resume leaves its session open"
            );
        }
        Event::SessionOpenFailed { session, .. } | Event::SessionClosed { session, .. } => {
            assert!(
                client.session_id(session).is_none(),
                "released but resolvable"
            );
        }
        _ => {}
    }
}
