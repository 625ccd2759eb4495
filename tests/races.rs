//! The seed's race, deterministic: a scripted peer sends what the CLI sends, in the order the
//! real CLI does, including the frames that arrive while `session.create`/`session.resume` is
//! in flight.

mod support;

use copilot_sansio::{
    CallerAnswers, Config, Connect, Error, Instant, OpenMethod, SessionHandle, SessionId,
    SessionState,
};
use support::*;

const SID: &str = "9d54a69c-624b-4a7a-a3f8-d57c18a45562";

fn config() -> Config {
    Config::default().caller_answers(CallerAnswers::SESSION_FS)
}

fn event(sid: &str, kind: &str, id: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{sid}","event":{{"type":"{kind}","data":{{"sessionId":"{sid}"}},"id":"{id}","timestamp":"2026-11-23T23:10:25.444Z","parentId":null}}}}}}"#
    )
}

fn fs_read(id: u64, sid: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"sessionFs.readFile","params":{{"path":"/session-state/settings.json","sessionId":"{sid}"}}}}"#
    )
}

fn lifecycle(kind: &str, sid: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"session.lifecycle","params":{{"type":"{kind}","sessionId":"{sid}"}}}}"#
    )
}

fn ok(id: u64, result: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#)
}

fn err(id: u64, code: i64, message: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":{code},"message":"{message}"}}}}"#)
}

fn frames(bodies: &[String]) -> Vec<u8> {
    bodies.iter().flat_map(|b| frame(b)).collect()
}

/// A client that has connected; returns it with the request ids used so far (1).
fn connected() -> Conn<4, 8> {
    let mut c = Conn::<4, 8>::new(16 * 1024, 4096, config());
    c.client.connect(NOW, &Connect::default()).unwrap();
    c.output();
    let events = c.feed(&frame(&ok(
        1,
        r#"{"ok":true,"protocolVersion":3,"version":"1.0.102"}"#,
    )));
    assert_eq!(events, [Ev::Connected(3, Some("1.0.102".into()))]);
    c
}

fn open(c: &mut Conn<4, 8>, kind: OpenMethod) -> SessionHandle {
    let id = SessionId::new(SID).unwrap();
    let h = match kind {
        OpenMethod::Create => c.client.create_session(NOW, id, &()).unwrap(),
        OpenMethod::Resume => c.client.resume_session(NOW, id, &()).unwrap(),
    };
    // In the table, pending, before a single byte of the request has been written out.
    assert_eq!(c.client.session_state(h), Some(SessionState::Pending(kind)));
    assert_eq!(c.client.find_session(SID), Some(h));
    assert_eq!(c.client.session_id(h).unwrap().as_str(), SID);
    let written = c.output_text();
    let method = match kind {
        OpenMethod::Create => "session.create",
        OpenMethod::Resume => "session.resume",
    };
    assert!(
        written.ends_with(&format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"{method}","params":{{"sessionId":"{SID}"}}}}"#
        )),
        "{written}"
    );
    h
}

fn early_traffic_reaches_the_pending_session(kind: OpenMethod) {
    let mut c = connected();
    let h = open(&mut c, kind);
    let first = match kind {
        OpenMethod::Create => "session.start",
        OpenMethod::Resume => "session.resume",
    };
    // What the CLI sends while the open is in flight, then the response.
    let events = c.feed(&frames(&[
        lifecycle("session.created", SID),
        fs_read(1, SID),
        event(SID, first, "e1"),
        fs_read(2, SID),
        event(SID, "session.managed_settings_resolved", "e2"),
    ]));
    let mut replies = Vec::new();
    let mut seen = Vec::new();
    for e in &events {
        assert_eq!(e.session(), Some(h), "{e:?}");
        match e {
            Ev::Request { reply, method, .. } => {
                replies.push(*reply);
                seen.push(method.clone());
            }
            Ev::Session(_, t, _) => seen.push(t.clone()),
            Ev::Lifecycle(..) => seen.push("lifecycle".into()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            "lifecycle",
            "sessionFs.readFile",
            first,
            "sessionFs.readFile",
            "session.managed_settings_resolved"
        ]
    );
    // Answered while still pending, so the server can finish the open.
    for r in replies {
        c.client
            .respond_raw(r, r#"{"content":"{}"}"#)
            .expect("answer while pending");
    }
    let answers = c.output_text();
    assert!(answers.contains(r#"{"jsonrpc":"2.0","id":1,"result":{"content":"{}"}}"#));
    assert!(answers.contains(r#"{"jsonrpc":"2.0","id":2,"result":{"content":"{}"}}"#));
    let events = c.feed(&frame(&ok(
        2,
        &format!(r#"{{"sessionId":"{SID}","workspacePath":"/w"}}"#),
    )));
    assert!(
        matches!(&events[..], [Ev::Opened(s, k, _)] if *s == h && *k == kind),
        "{events:?}"
    );
    assert_eq!(c.client.session_state(h), Some(SessionState::Active));
}

#[test]
fn create_registers_before_the_request_is_written_and_routes_early_traffic() {
    early_traffic_reaches_the_pending_session(OpenMethod::Create);
}

#[test]
fn resume_registers_before_the_request_is_written_and_routes_early_traffic() {
    early_traffic_reaches_the_pending_session(OpenMethod::Resume);
}

fn error_response_releases_the_slot(kind: OpenMethod) {
    let mut c = connected();
    let h = open(&mut c, kind);
    // An early request the caller has not answered yet when the open fails.
    let events = c.feed(&frames(&[
        event(SID, "session.start", "e1"),
        fs_read(7, SID),
    ]));
    assert_eq!(events.len(), 2);
    let events = c.feed(&frame(&err(
        2,
        -32603,
        "Request session.resume failed with message: Failed to load session events: Session not found",
    )));
    assert_eq!(events.len(), 1);
    match &events[0] {
        Ev::OpenFailed(s, k, reason) => {
            assert_eq!((*s, *k), (h, kind));
            assert!(
                reason.contains("-32603") && reason.contains("Session not found"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.client.session_state(h), None);
    assert_eq!(c.client.find_session(SID), None);
    assert_eq!(c.client.session_slots_in_use(), 0);
    assert_eq!(c.client.session_id(h), None);
    // The request the caller never answered gets exactly one answer, from the client.
    assert_eq!(
        c.output_text(),
        "Content-Length: 107\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32603,\"message\":\"session closed before the request was answered\"}}"
    );
    // Traffic for the released id is no longer routed, but still surfaces.
    let events = c.feed(&frames(&[
        event(SID, "session.idle", "e9"),
        fs_read(8, SID),
    ]));
    assert!(matches!(&events[0], Ev::UnknownSession(s, t) if s == SID && t == "session.idle"));
    assert!(matches!(&events[1], Ev::Auto(a) if a.contains("UnknownSession")));
    assert!(c.output_text().contains(&format!(
        r#"{{"jsonrpc":"2.0","id":8,"error":{{"code":-32602,"message":"Session not found: {SID}"}}}}"#
    )));
    // The stale handle is refused; the slot can be used again.
    assert_eq!(c.client.session(h).destroy(NOW), Err(Error::UnknownSession));
    let again = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    assert_ne!(again, h);
    assert_eq!(again.index(), h.index());
}

#[test]
fn error_response_to_create_releases_the_slot() {
    error_response_releases_the_slot(OpenMethod::Create);
}

#[test]
fn error_response_to_resume_releases_the_slot() {
    error_response_releases_the_slot(OpenMethod::Resume);
}

#[test]
fn a_result_for_another_session_id_releases_the_slot() {
    let mut c = connected();
    let h = open(&mut c, OpenMethod::Create);
    let events = c.feed(&frame(&ok(2, r#"{"sessionId":"someone-else"}"#)));
    assert!(
        matches!(&events[..], [Ev::OpenFailed(s, OpenMethod::Create, r)] if *s == h && r.contains("SessionIdMismatch") && r.contains("someone-else")),
        "{events:?}"
    );
    assert_eq!(c.client.session_slots_in_use(), 0);
    // Create results must carry the id; resume results of older runtimes may omit it.
    let h = c
        .client
        .create_session(NOW, SessionId::new("a").unwrap(), &())
        .unwrap();
    let events = c.feed(&frame(&ok(3, "{}")));
    assert!(
        matches!(&events[..], [Ev::OpenFailed(s, _, r)] if *s == h && r.contains("SessionIdMismatch"))
    );
    let h = c
        .client
        .resume_session(NOW, SessionId::new("b").unwrap(), &())
        .unwrap();
    let events = c.feed(&frame(&ok(4, "{}")));
    assert!(matches!(&events[..], [Ev::Opened(s, OpenMethod::Resume, _)] if *s == h));
}

#[test]
fn destroy_keeps_routing_until_its_response() {
    let mut c = connected();
    let h = open(&mut c, OpenMethod::Create);
    c.feed(&frame(&ok(2, &format!(r#"{{"sessionId":"{SID}"}}"#))));
    c.client.session(h).destroy(NOW).unwrap();
    assert_eq!(c.client.session_state(h), Some(SessionState::Closing));
    assert_eq!(
        c.output_text(),
        format!(
            "Content-Length: 113\r\n\r\n{{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"session.destroy\",\"params\":{{\"sessionId\":\"{SID}\"}}}}"
        )
    );
    let host = format!(
        r#"{{"jsonrpc":"2.0","method":"host.event","params":{{"scope":{{"type":"session","sessionId":"{SID}"}},"kind":"task_transition","payload":{{}}}}}}"#
    );
    let events = c.feed(&frames(&[
        event(SID, "session.shutdown", "e5"),
        lifecycle("session.updated", SID),
        host,
        ok(3, "{}"),
    ]));
    assert!(matches!(&events[0], Ev::Session(s, t, _) if *s == h && t == "session.shutdown"));
    assert!(matches!(&events[1], Ev::Lifecycle(Some(s), _) if *s == h));
    assert!(matches!(&events[2], Ev::Notification(m, Some(s), _) if *s == h && m == "host.event"));
    assert_eq!(events[3], Ev::Closed(h, "Ok(())".into()));
    assert_eq!(c.client.session_state(h), None);
    assert_eq!(c.client.session_slots_in_use(), 0);
    // Only active sessions can be destroyed.
    let p = c
        .client
        .create_session(NOW, SessionId::new("p").unwrap(), &())
        .unwrap();
    assert_eq!(
        c.client.session(p).destroy(NOW),
        Err(Error::SessionNotActive)
    );
}

#[test]
fn connect_falls_back_to_ping_and_checks_the_version() {
    let mut c = Conn::<2, 4>::new(4096, 4096, Config::default());
    c.client.connect(NOW, &Connect::default()).unwrap();
    c.output();
    let events = c.feed(&frame(&err(1, -32601, "Unhandled method connect")));
    assert_eq!(events, [Ev::Auto("PingFallback".into())]);
    assert!(
        c.output_text()
            .ends_with(r#"{"jsonrpc":"2.0","id":2,"method":"ping","params":{}}"#)
    );
    let events = c.feed(&frame(&ok(
        2,
        r#"{"message":"pong","timestamp":"2026-08-20T10:00:00.000Z","protocolVersion":3}"#,
    )));
    assert_eq!(events, [Ev::Connected(3, None)]);
    assert_eq!(c.client.protocol_version(), Some(3));

    let mut c = Conn::<2, 4>::new(4096, 4096, Config::default());
    c.client
        .connect(NOW, &Connect::default().token("s3cr\"t"))
        .unwrap();
    assert!(
        c.output_text()
            .ends_with(r#""params":{"token":"s3cr\"t"}}"#)
    );
    let events = c.feed(&frame(&ok(1, r#"{"ok":true,"protocolVersion":2}"#)));
    assert_eq!(
        events,
        [Ev::ConnectFailed(
            "UnsupportedVersion { server: Some(2) }".into()
        )]
    );
    assert_eq!(c.client.protocol_version(), None);
    let events = c.feed(&frame(&ok(1, "{}")));
    assert!(matches!(&events[..], [Ev::Error(e)] if e.contains("UnknownResponse")));
}

#[test]
fn end_of_input_fails_everything_pending_once() {
    let mut c = connected();
    let active = open(&mut c, OpenMethod::Create);
    c.feed(&frame(&ok(2, &format!(r#"{{"sessionId":"{SID}"}}"#))));
    let pending = c
        .client
        .create_session(NOW, SessionId::new("pending").unwrap(), &())
        .unwrap();
    let req = c.client.request(NOW, "status.get", &()).unwrap();
    let events = c.feed(&frame(&fs_read(5, SID)));
    assert!(matches!(events[..], [Ev::Request { .. }]));
    // Half a frame, then the end of input.
    let mut partial = frame(&ok(9, "{}"));
    partial.truncate(30);
    let mut events = c.feed(&partial);
    events.extend(c.close());
    assert_eq!(
        events,
        [
            Ev::Error("Truncated { expected: Some(36), received: 8 }".into()),
            Ev::OpenFailed(pending, OpenMethod::Create, "ConnectionClosed".into()),
            Ev::Response(req, "Err(ConnectionClosed)".into()),
            Ev::Closed(active, "Err(ConnectionClosed)".into()),
            Ev::End,
        ]
    );
    assert!(c.poll().is_empty());
    assert!(c.client.is_closed());
    assert_eq!(c.client.session_slots_in_use(), 0);
    assert_eq!(c.client.pending_requests(), 0);
    assert_eq!(c.client.pending_server_requests(), 0);
    assert_eq!(c.client.request(NOW, "ping", &()), Err(Error::Closed));
}

#[test]
fn a_timed_out_create_is_destroyed_on_the_server_when_its_response_turns_up() {
    let mut c = Conn::<4, 8>::new(4096, 4096, config().request_timeout_ms(Some(1000)));
    let h = c
        .client
        .create_session(Instant::from_millis(50), SessionId::new(SID).unwrap(), &())
        .unwrap();
    c.output();
    assert_eq!(c.client.poll_timeout(), Some(Instant::from_millis(1050)));
    c.client.handle_timeout(Instant::from_millis(1049));
    assert!(c.poll().is_empty());
    c.client.handle_timeout(Instant::from_millis(1050));
    assert_eq!(
        c.poll(),
        [Ev::OpenFailed(h, OpenMethod::Create, "TimedOut".into())]
    );
    assert_eq!(c.client.session_state(h), None);
    // The slot is held until the server side is cleaned up, or as long again (the events
    // here are polled at time 0).
    assert_eq!(c.client.poll_timeout(), Some(Instant::from_millis(1000)));
    assert_eq!(c.client.session_slots_in_use(), 1);
    let events = c.feed(&frames(&[
        event(SID, "session.start", "e1"),
        ok(1, &format!(r#"{{"sessionId":"{SID}"}}"#)),
    ]));
    assert_eq!(
        events[0],
        Ev::UnknownSession(SID.into(), "session.start".into())
    );
    assert_eq!(events[1], Ev::Auto("DestroyingOrphan".into()));
    assert!(c.output_text().ends_with(&format!(
        r#"{{"jsonrpc":"2.0","id":2,"method":"session.destroy","params":{{"sessionId":"{SID}"}}}}"#
    )));
    assert_eq!(
        c.feed(&frame(&ok(2, "null"))),
        [Ev::Auto("OrphanReleased".into())]
    );
    assert_eq!(c.client.session_slots_in_use(), 0);
    assert_eq!(c.client.pending_requests(), 0);
}

#[test]
fn a_timed_out_create_whose_response_never_comes_gives_its_slot_back() {
    let mut c = Conn::<1, 4>::new(4096, 4096, config().request_timeout_ms(Some(1000)));
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    c.output();
    c.client.handle_timeout(Instant::from_millis(1000));
    let at = Instant::from_millis(1000);
    let mut events = Vec::new();
    while let Some(e) = c.client.poll_event(&mut c.inbox, at) {
        events.push(Ev::of(&e));
    }
    assert_eq!(
        events,
        [Ev::OpenFailed(h, OpenMethod::Create, "TimedOut".into())]
    );
    // The one slot is held for a late response, as long again, then given back.
    assert_eq!(
        c.client
            .create_session(at, SessionId::new("other").unwrap(), &())
            .unwrap_err(),
        Error::SessionTableFull
    );
    assert_eq!(c.client.poll_timeout(), Some(Instant::from_millis(2000)));
    c.client.handle_timeout(Instant::from_millis(2000));
    assert_eq!(c.poll(), [Ev::Auto("OrphanReleased".into())]);
    assert_eq!(c.client.session_slots_in_use(), 0);
    assert_eq!(c.client.pending_requests(), 0);
    let _ = c
        .client
        .create_session(at, SessionId::new("other").unwrap(), &())
        .unwrap();
}

#[test]
fn caller_requests_time_out_and_late_responses_surface() {
    let mut c = Conn::<2, 4>::new(4096, 4096, Config::default());
    let a = c.client.request(NOW, "status.get", &()).unwrap();
    let b = c.client.request(NOW, "auth.getStatus", &()).unwrap();
    assert_eq!(c.client.poll_timeout(), None);
    assert!(c.client.set_deadline(a, Some(Instant::from_millis(10))));
    c.client.handle_timeout(Instant::from_millis(10));
    assert_eq!(c.poll(), [Ev::Response(a, "Err(TimedOut)".into())]);
    assert!(!c.client.set_deadline(a, None));
    let events = c.feed(&frames(&[
        ok(1, "{}"),
        ok(2, r#"{"isAuthenticated":false}"#),
    ]));
    assert!(matches!(&events[0], Ev::Error(e) if e.contains("UnknownResponse")));
    assert_eq!(
        events[1],
        Ev::Response(b, r#"Ok({"isAuthenticated":false})"#.into())
    );
}

#[test]
fn server_requests_are_answered_exactly_once() {
    let mut c = connected();
    let h = open(&mut c, OpenMethod::Create);
    let events = c.feed(&frame(&fs_read(3, SID)));
    let Ev::Request { reply, session, .. } = events[0].clone() else {
        panic!("{events:?}")
    };
    assert_eq!(session, Some(h));
    c.client
        .respond_error(reply, -32603, "ENOENT \"x\"")
        .unwrap();
    assert_eq!(c.client.respond_raw(reply, "{}"), Err(Error::UnknownReply));
    assert_eq!(c.client.respond(reply, &()), Err(Error::UnknownReply));
    assert_eq!(
        c.output_text(),
        "Content-Length: 73\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32603,\"message\":\"ENOENT \\\"x\\\"\"}}"
    );
    // String ids are echoed verbatim.
    let events = c.feed(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":"abc-1","method":"sessionFs.exists","params":{{"sessionId":"{SID}","path":"/"}}}}"#
    )));
    let Ev::Request { reply, .. } = events[0].clone() else {
        panic!("{events:?}")
    };
    c.client.respond(reply, &true).unwrap();
    assert!(
        c.output_text()
            .ends_with(r#"{"jsonrpc":"2.0","id":"abc-1","result":true}"#)
    );
    assert_eq!(c.client.pending_server_requests(), 0);
}

#[test]
fn requests_the_caller_does_not_handle_are_answered_by_the_client() {
    let mut c = Conn::<2, 4>::new(4096, 4096, Config::default());
    let events = c.feed(&frames(&[
        r#"{"jsonrpc":"2.0","id":1,"method":"userInput.request","params":{"sessionId":"s","question":"?"}}"#.into(),
        r#"{"jsonrpc":"2.0","id":2,"method":"brand.new","params":{}}"#.into(),
    ]));
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .all(|e| matches!(e, Ev::Auto(a) if a.contains("NotHandled")))
    );
    let out = c.output_text();
    assert!(out.contains(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"User input requested but no handler registered"}}"#));
    assert!(out.contains(r#"{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"Method not found: brand.new"}}"#));
    assert_eq!(c.client.stats().auto_answers, 2);
}

#[test]
fn a_full_transmit_buffer_holds_frames_back_instead_of_dropping_answers() {
    let mut c = Conn::<2, 64>::new(4096, 512, config());
    // Fill the transmit buffer with the caller's own requests.
    let mut queued = 0;
    while c
        .client
        .request_raw(NOW, "session.log", r#"{"message":"xxxxxxxxxxxxxxxx"}"#)
        .is_ok()
    {
        queued += 1;
    }
    assert!(queued > 3);
    let before = c.client.transmit_bytes().len();
    c.inbox.push(&frame(&fs_read(1, "nobody")));
    // The answer does not fit: the frame waits, nothing is lost or half-written.
    assert!(c.poll().is_empty());
    assert_eq!(c.client.transmit_bytes().len(), before);
    assert_eq!(c.inbox.buffered(), frame(&fs_read(1, "nobody")).len());
    let n = c.client.transmit_bytes().len();
    c.client.transmitted(n);
    assert!(matches!(&c.poll()[..], [Ev::Auto(a)] if a.contains("UnknownSession")));
    assert!(c.output_text().contains(r#""id":1,"error":{"code":-32602"#));
}
