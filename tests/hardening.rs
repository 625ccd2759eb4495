//! What a buggy or hostile CLI cannot make the client do: leave a request unresolved, leave a
//! server request unanswered, write invalid JSON, stall with answers owed, end a shutdown
//! early, or act on another client's handles. One test per class, through the public API.

mod support;

use copilot_sansio::proto::params::Connect;
use copilot_sansio::proto::params::{Provider, SessionOptions};
use copilot_sansio::proto::server::ProviderTokenAcquireResult;
use copilot_sansio::{CallerAnswers, Config, Error, Inbox, Instant, SessionId, ShutdownMode};
use support::*;

const SID: &str = "s-1";

/// A client with one session, created and active, its output taken.
fn with_session(config: Config) -> (Conn<4, 8>, copilot_sansio::SessionHandle) {
    let mut c = Conn::<4, 8>::new(64 * 1024, 4096, config);
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    c.output();
    let opened = c.feed(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":1,"result":{{"sessionId":"{SID}"}}}}"#
    )));
    assert!(matches!(opened[..], [Ev::Opened(..)]), "{opened:?}");
    (c, h)
}

/// Everything written must be whole frames of valid JSON-RPC.
fn valid_output(c: &mut Conn<4, 8>) -> Vec<Out> {
    let bytes = c.output();
    let (frames, used) = parse_output(&bytes);
    assert_eq!(used, bytes.len(), "partial frame written");
    frames
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn a_server_request_nested_deeper_than_the_limit_is_answered() {
    // Model-written tool arguments nesting 62 levels inside `hooks.invoke`: deeper than the
    // default limit (64) counting the envelope.
    let (mut c, h) = with_session(Config::default().caller_answers(CallerAnswers::HOOKS));
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":41,"method":"hooks.invoke","params":{{"sessionId":"{SID}","hookType":"preToolUse","input":{{"toolArgs":{}}}}}}}"#,
        nested(62)
    );
    let events = c.feed(&frame(&body));
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        matches!(&events[0], Ev::Auto(a) if a.contains("hooks.invoke") && a.contains("TooDeep") && a.contains(SID)),
        "{events:?}"
    );
    assert_eq!(valid_output(&mut c), [Out::Answer { id: "41".into() }]);
    assert_eq!(c.client.pending_server_requests(), 0);
    let _ = h;
}

#[test]
fn automatic_error_answers_stay_valid_json_when_cut() {
    let (mut c, _) = with_session(Config::default().caller_answers(CallerAnswers::NONE));
    // Backslashes everywhere near the cut at 80 bytes, in a method name and in a session id.
    for n in 70..90 {
        let method = format!("{}{}", "m".repeat(n), r"\\\\\u00e9\\".repeat(4));
        let sid = format!("{}{}", "s".repeat(n), r"\\\\".repeat(6));
        c.feed(&frame(&format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{}}}}"#
        )));
        c.feed(&frame(&format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"sessionFs.stat","params":{{"sessionId":"{sid}"}}}}"#
        )));
        let out = valid_output(&mut c);
        assert_eq!(out.len(), 2, "{n}: {out:?}");
    }
}

#[test]
fn a_response_nested_too_deep_resolves_its_request() {
    let mut c = Conn::<4, 8>::new(64 * 1024, 4096, Config::default());
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    let ping = c.client.ping(NOW, None).unwrap();
    c.output();
    let events = c.feed(
        &[
            frame(&format!(
                r#"{{"jsonrpc":"2.0","id":1,"result":{{"sessionId":"{SID}","x":{}}}}}"#,
                nested(100)
            )),
            frame(&format!(
                r#"{{"jsonrpc":"2.0","result":{},"id":2}}"#,
                nested(100)
            )),
        ]
        .concat(),
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        matches!(&events[0], Ev::OpenFailed(s, _, why) if *s == h && why.contains("UnreadableResponse")),
        "{events:?}"
    );
    assert!(
        matches!(&events[1], Ev::Response(id, why) if *id == ping && why.contains("TooDeep")),
        "{events:?}"
    );
    // The create may have succeeded: the session is destroyed on the server.
    assert!(matches!(
        &valid_output(&mut c)[..],
        [Out::Request { method, .. }] if method == "session.destroy"
    ));
    // With no request timeout configured, a destroy that is never answered still gives the
    // slot back, after a minute.
    assert_eq!(c.client.session_slots_in_use(), 1);
    let later = Instant::from_millis(NOW.as_millis() + 60_000);
    assert_eq!(c.client.poll_timeout(), Some(later));
    c.client.handle_timeout(later);
    let mut events = Vec::new();
    while let Some(e) = c.client.poll_event(&mut c.inbox, later) {
        events.push(Ev::of(&e));
    }
    assert_eq!(events, [Ev::Auto("OrphanReleased".into())]);
    assert_eq!(c.client.session_slots_in_use(), 0);
    assert_eq!(c.client.pending_requests(), 0);
}

#[test]
fn answers_owed_for_a_closed_session_go_out_as_room_frees() {
    // A transmit buffer that holds few answers; the session holds many server requests when
    // its destroy is answered.
    let mut c = Conn::<4, 8>::new(
        64 * 1024,
        copilot_sansio::MIN_TRANSMIT_BUFFER,
        Config::default().caller_answers(CallerAnswers::SESSION_FS),
    );
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    c.output();
    c.feed(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":1,"result":{{"sessionId":"{SID}"}}}}"#
    )));
    let long_id = |i: usize| format!("\"{}-{i:02}\"", "r".repeat(30));
    let requests: Vec<u8> = (0..8)
        .flat_map(|i| {
            frame(&format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":"sessionFs.stat","params":{{"sessionId":"{SID}","path":"/x"}}}}"#,
                long_id(i)
            ))
        })
        .collect();
    let events = c.feed(&requests);
    assert_eq!(events.len(), 8);
    c.client.session(h).destroy(NOW).unwrap();
    c.output();
    let closed = c.feed(&frame(r#"{"jsonrpc":"2.0","id":2,"result":{}}"#));
    assert!(matches!(closed[..], [Ev::Closed(..)]), "{closed:?}");
    // Every owed answer goes out, once, as the caller writes the buffer out: the client
    // always says there is more to write until there is none.
    let mut answered = Vec::new();
    while c.client.wants_transmit() {
        let bytes = c.client.transmit_bytes().to_vec();
        let n = bytes.len().min(100);
        c.client.transmitted(n);
        answered.extend_from_slice(&bytes[..n]);
    }
    let (frames, used) = parse_output(&answered);
    assert_eq!(used, answered.len());
    let mut ids: Vec<String> = frames
        .iter()
        .map(|f| match f {
            Out::Answer { id } => id.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    ids.sort();
    assert_eq!(ids, (0..8).map(long_id).collect::<Vec<_>>());
    assert_eq!(c.client.pending_server_requests(), 0);
}

#[test]
fn a_shutdown_waits_for_its_own_destroys() {
    let mut c = Conn::<4, 8>::new(64 * 1024, 4096, Config::default());
    let a = c
        .client
        .create_session(NOW, SessionId::new("a").unwrap(), &())
        .unwrap();
    let b = c
        .client
        .create_session(NOW, SessionId::new("b").unwrap(), &())
        .unwrap();
    c.output();
    c.feed(
        &[
            frame(r#"{"jsonrpc":"2.0","id":1,"result":{"sessionId":"a"}}"#),
            frame(r#"{"jsonrpc":"2.0","id":2,"result":{"sessionId":"b"}}"#),
        ]
        .concat(),
    );
    // The application destroys `a` itself, just before shutting down: the shutdown destroys
    // only `b`, and must not count `a`'s close as its own.
    c.client.session(a).destroy(NOW).unwrap();
    let mut shutdown = c
        .client
        .shutdown(NOW, Instant::from_millis(5000), ShutdownMode::Leave);
    let out = valid_output(&mut c);
    assert_eq!(out.len(), 2, "{out:?}");
    let mut events = Vec::new();
    c.inbox
        .push(&frame(r#"{"jsonrpc":"2.0","id":3,"result":{}}"#));
    while let Some(e) = c.client.poll_event(&mut c.inbox, NOW) {
        assert!(!shutdown.on_event(&e), "answered after a's close: {e:?}");
        events.push(Ev::of(&e));
    }
    assert_eq!(events, [Ev::Closed(a, "Ok(())".into())]);
    c.inbox
        .push(&frame(r#"{"jsonrpc":"2.0","id":4,"result":{}}"#));
    let e = c.client.poll_event(&mut c.inbox, NOW).unwrap();
    assert_eq!(Ev::of(&e), Ev::Closed(b, "Ok(())".into()));
    assert!(shutdown.on_event(&e));
    assert_eq!(shutdown.destroyed, 1);
    // Leave: no `runtime.shutdown`.
    assert!(
        out.iter()
            .all(|o| matches!(o, Out::Request { method, .. } if method == "session.destroy"))
    );
}

#[test]
fn malformed_responses_resolve_their_requests() {
    for (body, why) in [
        (r#"{"id":ID,"result":{}}"#, "BadVersion"),
        (
            r#"{"jsonrpc":"2.0","id":ID,"result":{},"error":{"code":1,"message":"m"}}"#,
            "BadResponse",
        ),
        (
            r#"{"jsonrpc":"2.0","id":ID,"error":{"code":-32603}}"#,
            "BadErrorObject",
        ),
        (
            r#"{"jsonrpc":"2.0","id":ID,"error":{"code":"x","message":"m"}}"#,
            "BadErrorObject",
        ),
        (
            r#"{"jsonrpc":"2.0","id":ID,"error":{"code":1.5,"message":"m"}}"#,
            "BadErrorObject",
        ),
        // Neither a result nor an error.
        (r#"{"jsonrpc":"2.0","id":ID}"#, "BadResponse"),
        (r#"{"jsonrpc":"2.0","id":ID,"params":{}}"#, "BadResponse"),
    ] {
        let mut c = Conn::<4, 8>::new(4096, 4096, Config::default());
        let id = c.client.ping(NOW, None).unwrap().id();
        c.output();
        let events = c.feed(&frame(&body.replace("ID", &id.value().to_string())));
        assert_eq!(
            events,
            [Ev::Response(id, format!("Err(InvalidResponse({why}))"))],
            "{body}"
        );
        assert_eq!(c.client.pending_requests(), 0);
    }
}

#[test]
fn an_oversized_response_resolves_its_request_wherever_its_id_is() {
    let mut c = Conn::<4, 8>::new(2048, 4096, Config::default());
    let id = c.client.ping(NOW, None).unwrap().id();
    let body = format!(
        r#"{{"jsonrpc":"2.0","result":{{"text":"{}"}},"id":{}}}"#,
        "x".repeat(10_000),
        id.value()
    );
    let events = c.feed_with(&frame(&body), &mut || 700);
    assert_eq!(
        events,
        [Ev::Response(
            id,
            format!("Err(ResponseTooLarge {{ len: {} }})", body.len())
        )]
    );
}

#[test]
fn an_oversized_session_event_is_reported_with_its_session_and_type() {
    let (mut c, h) = with_session(Config::default());
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{SID}","event":{{"type":"system.message","data":{{"content":"{}"}}}}}}}}"#,
        "x".repeat(42_000)
    );
    // A receive buffer smaller than the event (42 KB, as the real CLI's `system.message`).
    c.inbox = Inbox::new(leak(16 * 1024));
    let events = c.feed(&frame(&body));
    assert_eq!(events.len(), 1, "{events:?}");
    let Ev::Error(e) = &events[0] else {
        panic!("{events:?}")
    };
    assert!(e.starts_with("LostSessionEvent"), "{e}");
    assert!(e.contains(&format!("session: Some({h:?})")), "{e}");
    assert!(e.contains(r#"event_type: Some("system.message")"#), "{e}");
    assert!(e.contains("TooLarge"), "{e}");
}

#[test]
fn invalid_requests_get_a_json_rpc_error() {
    let (mut c, _) = with_session(Config::default().caller_answers(CallerAnswers::ALL));
    for (body, id) in [
        (r#"{"jsonrpc":"2.0","id":5,"method":7}"#, "5"),
        (r#"{"jsonrpc":"2.0","id":{"a":1},"method":"m"}"#, "null"),
        (r#"{"jsonrpc":"2.0","id":true,"method":"m"}"#, "null"),
        (r#"[{"jsonrpc":"2.0","id":1,"method":"m"}]"#, "null"),
        (r#"{"id":6,"method":"m"}"#, "6"),
    ] {
        let events = c.feed(&frame(body));
        assert!(
            matches!(&events[..], [Ev::Auto(a)] if a.contains("InvalidRequest")),
            "{body}: {events:?}"
        );
        assert_eq!(
            valid_output(&mut c),
            [Out::Answer { id: id.into() }],
            "{body}"
        );
    }
    // Notifications are never answered, however broken.
    c.feed(&frame(r#"{"jsonrpc":"2.0","method":7}"#));
    c.feed(&frame(r#"[{"jsonrpc":"2.0","method":"m"}]"#));
    assert!(valid_output(&mut c).is_empty());
}

#[test]
fn handles_of_another_client_are_refused() {
    let (mut a, ha) = with_session(Config::default().caller_answers(CallerAnswers::SESSION_FS));
    let (mut b, hb) = with_session(Config::default().caller_answers(CallerAnswers::SESSION_FS));
    // Same slot, same generation: only the client tag tells them apart.
    assert_eq!(ha, hb);
    let request = frame(&format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"sessionFs.stat","params":{{"sessionId":"{SID}"}}}}"#
    ));
    let Ev::Request { reply: ra, .. } = a.feed(&request).remove(0) else {
        panic!()
    };
    let Ev::Request { reply: rb, .. } = b.feed(&request).remove(0) else {
        panic!()
    };
    assert_eq!(ra, rb);
    // Each client takes its own handles, and refuses the other's, though the other has a live
    // session and a pending request in the same slots.
    assert_eq!(b.client.session_id(ha), None);
    assert_eq!(a.client.session_id(hb), None);
    assert_eq!(
        b.client.session(ha).destroy(NOW),
        Err(Error::UnknownSession)
    );
    assert_eq!(b.client.respond_raw(ra, "{}"), Err(Error::UnknownReply));
    assert_eq!(a.client.respond_raw(rb, "{}"), Err(Error::UnknownReply));
    assert!(a.client.session_id(ha).is_some());
    assert!(b.client.session_id(hb).is_some());
    a.client.respond_raw(ra, "{}").unwrap();
    b.client.respond_raw(rb, "{}").unwrap();
    assert_eq!(a.client.respond_raw(ra, "{}"), Err(Error::UnknownReply));
}

#[test]
fn a_new_client_on_a_reused_buffer_refuses_the_old_clients_handles() {
    let mut tx = vec![0u8; 4096];
    let mut rx = vec![0u8; 4096];
    let mut handles = Vec::new();
    for _ in 0..2 {
        let mut inbox = copilot_sansio::Inbox::new(&mut rx);
        let mut client = copilot_sansio::Client::<4, 8>::new(&mut tx, Config::default()).unwrap();
        let h = client
            .create_session(NOW, SessionId::new(SID).unwrap(), &())
            .unwrap();
        let n = client.transmit_bytes().len();
        client.transmitted(n);
        let response = frame(&format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":{{"sessionId":"{SID}"}}}}"#
        ));
        assert_eq!(inbox.push(&response), response.len());
        while let Some(event) = client.poll_event(&mut inbox, NOW) {
            assert!(
                matches!(event, copilot_sansio::Event::SessionOpened { .. }),
                "{event:?}"
            );
        }
        // The handle of the client before, on this very buffer, in the same slot: refused.
        for &old in &handles {
            assert_eq!(client.session_id(old), None);
        }
        assert!(client.session_id(h).is_some());
        handles.push(h);
    }
    assert_eq!(handles[0], handles[1], "same slot, same generation");
}

#[test]
fn requests_on_a_session_that_is_opening_or_closing_are_refused() {
    let mut c = Conn::<4, 8>::new(4096, 4096, Config::default());
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    let send = copilot_sansio::proto::params::SessionSend::new("hi");
    assert_eq!(
        c.client.session(h).send(NOW, &send),
        Err(Error::SessionNotActive)
    );
    c.output();
    c.feed(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":1,"result":{{"sessionId":"{SID}"}}}}"#
    )));
    let _ = c.client.session(h).send(NOW, &send).unwrap();
    c.client.session(h).destroy(NOW).unwrap();
    assert_eq!(
        c.client.session(h).send(NOW, &send),
        Err(Error::SessionNotActive)
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    const SECRET: &str = "ghu_s3cr3t-T0KEN";
    let connect = Connect::default().token(SECRET);
    let answer = ProviderTokenAcquireResult::new(SECRET);
    let provider = Provider::new("http://127.0.0.1:1").api_key(SECRET);
    let options = SessionOptions::default().model("m").provider(provider);
    let cli = copilot_sansio::driver::CliCommand::new("copilot")
        .auth_token(SECRET)
        .env("GH_TOKEN", SECRET);
    for shown in [
        format!("{connect:?}"),
        format!("{answer:?}"),
        format!("{options:?}"),
        format!("{cli:?}"),
        format!("{cli:#?}"),
    ] {
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}

#[test]
fn a_client_never_writes_invalid_json_whatever_it_echoes() {
    // Ids and method names full of escapes, echoed in automatic answers of every kind.
    let mut c = Conn::<2, 2>::new(8192, 4096, Config::default());
    for id in [r#""\u0000\\\"\n""#, r#""\ud83d""#, "-0.5e-7", "null"] {
        for method in [r"a\\b", r"\u0000", r"sessionFs.\ud83d", "userInput.request"] {
            c.feed(&frame(&format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{{"sessionId":"\\\\"}}}}"#
            )));
        }
    }
    let bytes = c.output();
    check_output_framing(&bytes, "escaped ids and methods");
    assert_eq!(parse_output(&bytes).0.len(), 16);
}
