//! Hostile input beyond tests/hostile.rs: each test is one item of the hardening checklist or a
//! finding of the fuzz targets (their crash files are in fuzz/regressions/).

mod common;

use common::*;
use copilot_sansio::{Client, Config, Event, HeaderError, Inbox, InputError, SessionId};

#[test]
fn a_header_longer_than_a_small_receive_buffer_ends_the_connection() {
    // Fuzz finding (frame_decoder): with a receive buffer smaller than the header block, the
    // buffer filled with a header that had not ended, accepted no more bytes, and
    // `poll_event` returned `None` forever: the connection hung without an error.
    let mut rx = [0u8; 64];
    let mut tx = [0u8; 1024];
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 2, 2> = Client::new(&mut tx, Config::default()).unwrap();
    let s = client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    let mut input = format!("X-Pad: {}\r\n", "p".repeat(100)).into_bytes();
    input.extend(frame(r#"{"jsonrpc":"2.0","method":"m"}"#));
    let mut at = 0;
    let mut events = Vec::new();
    for _ in 0..10 {
        at += inbox.push(&input[at..]);
        while let Some(e) = client.poll_event(&mut inbox, NOW) {
            events.push(format!("{e:?}"));
        }
    }
    assert_eq!(
        events,
        [
            format!(
                "{:?}",
                Event::Error(InputError::MalformedHeader(HeaderError::TooLong))
            ),
            format!(
                "SessionOpenFailed {{ session: {s:?}, kind: Create, reason: ConnectionClosed }}"
            ),
            "Closed".to_string(),
        ]
    );
    assert!(client.is_closed());
    assert_eq!(client.session_slots_in_use(), 0);
}

#[test]
fn a_request_id_too_long_for_the_transmit_buffer_is_answered_without_it() {
    // Fuzz finding (client): the client answers a request it does not handle (or for an
    // unknown session, or malformed) by echoing its id. An id longer than the transmit buffer
    // made that answer impossible to queue, so the frame waited for room forever: no event,
    // no output, and the receive buffer filled up behind it.
    let long_id = format!("\"{}\"", "i".repeat(600));
    for body in [
        format!(r#"{{"jsonrpc":"2.0","id":{long_id},"method":"brand.new","params":{{}}}}"#),
        format!(
            r#"{{"jsonrpc":"2.0","id":{long_id},"method":"sessionFs.stat","params":{{"sessionId":"nobody"}}}}"#
        ),
        format!(r#"{{"jsonrpc":"1.0","id":{long_id},"method":"sessionFs.stat","params":{{}}}}"#),
        format!(
            r#"{{"jsonrpc":"2.0","id":{},"method":"x","params":{{}}}}"#,
            "9".repeat(600)
        ),
    ] {
        for handles in [copilot_sansio::Handles::NONE, copilot_sansio::Handles::ALL] {
            let mut c = Conn::<2, 2>::new(
                4096,
                copilot_sansio::MIN_TRANSMIT_BUFFER,
                Config {
                    handles,
                    ..Config::default()
                },
            );
            let mut input = frame(&body);
            input.extend(frame(r#"{"jsonrpc":"2.0","method":"after"}"#));
            let events = c.feed(&input);
            assert_eq!(events.len(), 2, "{events:?}");
            assert!(
                matches!(&events[0], Ev::Auto(a) if a.contains("IdTooLong") || a.contains("InvalidRequest")),
                "{events:?}"
            );
            assert!(matches!(&events[1], Ev::Notification(m, ..) if m == "after"));
            assert!(
                c.output_text()
                    .contains(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":""#),
            );
        }
    }
}

#[test]
fn answers_owed_at_the_end_of_input_wait_for_room_instead_of_being_dropped() {
    // Fuzz finding (client): at the end of input the client closes every session and owes an
    // error answer for each request the caller had not answered. When the transmit buffer had
    // no room for those answers at that moment, `Closed` was delivered anyway and the owed
    // answers were forgotten: the CLI waited forever for them.
    let config = Config {
        handles: copilot_sansio::Handles::SESSION_FS,
        ..Config::default()
    };
    let mut c = Conn::<2, 8>::new(4096, copilot_sansio::MIN_TRANSMIT_BUFFER, config);
    let s = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    c.output();
    let events = c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":41,"method":"sessionFs.readFile","params":{"sessionId":"s","path":"/a"}}"#,
    ));
    assert!(matches!(&events[..], [Ev::Request { session: Some(h), .. }] if *h == s));
    // The caller fills the transmit buffer and does not write it out yet.
    while c.client.request(NOW, "session.log", &()).is_ok() {}
    c.inbox.close();
    let mut events = c.poll();
    assert!(
        !events.contains(&Ev::End),
        "Closed before the owed answer was queued: {events:?}"
    );
    assert!(events.contains(&Ev::OpenFailed(
        s,
        copilot_sansio::OpenKind::Create,
        "ConnectionClosed".into()
    )));
    // Once the output is written, the answer is queued and the connection closes.
    let mut out = c.output_text();
    events.extend(c.poll());
    out.push_str(&c.output_text());
    assert_eq!(events.last(), Some(&Ev::End));
    assert_eq!(
        out.matches(r#"{"jsonrpc":"2.0","id":41,"error":{"code":-32603"#)
            .count(),
        1,
        "{out}"
    );
    assert_eq!(c.client.pending_server_requests(), 0);
}

#[test]
fn connection_wide_requests_still_held_at_the_end_of_input_are_answered() {
    // Same finding: requests of no session (`llmInference.*`) the caller had not answered
    // when the input ended were dropped without an answer. The caller cannot answer once the
    // connection is closing, so the client does, like for requests of closed sessions.
    let config = Config {
        handles: copilot_sansio::Handles::LLM_INFERENCE,
        ..Config::default()
    };
    let mut c = Conn::<2, 4>::new(4096, 4096, config);
    let events = c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":"llm-1","method":"llmInference.complete","params":{"prompt":"x"}}"#,
    ));
    let [
        Ev::Request {
            reply,
            session: None,
            ..
        },
    ] = events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(c.close(), [Ev::End]);
    assert_eq!(
        c.client.respond_raw(reply, "{}"),
        Err(copilot_sansio::Error::Closed)
    );
    let out = c.output_text();
    assert_eq!(
        out.matches(r#"{"jsonrpc":"2.0","id":"llm-1","error":{"code":-32603"#)
            .count(),
        1,
        "{out}"
    );
}
