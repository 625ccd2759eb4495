//! Hostile input beyond tests/hostile.rs: each test is one item of the hardening checklist or a
//! finding of the fuzz targets (their crash files are in fuzz/regressions/).

mod support;

use copilot_sansio::driver::Polled;
use copilot_sansio::{Client, Config, Event, HeaderError, Inbox, InputError, Instant, SessionId};
use support::*;

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
                "SessionOpenFailed {{ session: {s:?}, method: Create, reason: ConnectionClosed }}"
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
        for handles in [
            copilot_sansio::CallerAnswers::NONE,
            copilot_sansio::CallerAnswers::ALL,
        ] {
            let mut c = Conn::<2, 2>::new(
                4096,
                copilot_sansio::MIN_TRANSMIT_BUFFER,
                Config::default().caller_answers(handles),
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
fn answers_owed_at_the_end_of_input_are_written_once_there_is_room() {
    // Fuzz finding (client): at the end of input the client closes every session and owes an
    // error answer for each request the caller had not answered. When the transmit buffer had
    // no room for those answers at that moment, `Closed` came and the owed answers were
    // forgotten: the CLI waited forever for them. Now they stay owed after `Closed` and are
    // queued as the caller writes its output out.
    let config = Config::default().caller_answers(copilot_sansio::CallerAnswers::SESSION_FS);
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
    let events = c.poll();
    assert_eq!(
        events.first(),
        Some(&Ev::OpenFailed(
            s,
            copilot_sansio::OpenMethod::Create,
            "ConnectionClosed".into()
        ))
    );
    assert_eq!(events.last(), Some(&Ev::End));
    assert_eq!(c.client.pending_server_requests(), 1, "still owed");
    // Writing the output out makes room: the answer is queued, once.
    let mut out = c.output_text();
    assert!(!out.contains(r#""id":41"#));
    out.push_str(&c.output_text());
    assert_eq!(
        out.matches(r#"{"jsonrpc":"2.0","id":41,"error":{"code":-32603"#)
            .count(),
        1,
        "{out}"
    );
    assert_eq!(c.client.pending_server_requests(), 0);
    assert!(c.poll().is_empty());
    assert_eq!(c.output_text(), "");
}

#[test]
fn connection_wide_requests_still_held_at_the_end_of_input_are_answered() {
    // Same finding: requests of no session (`llmInference.*`) the caller had not answered
    // when the input ended were dropped without an answer. The caller cannot answer once the
    // connection is closing, so the client does, like for requests of closed sessions.
    let config = Config::default().caller_answers(copilot_sansio::CallerAnswers::LLM_INFERENCE);
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

// ----- the hardening checklist -------------------------------------------------------------

const GOOD: &str = r#"{"jsonrpc":"2.0","method":"ping.later","params":{}}"#;

fn good() -> Ev {
    Ev::Notification("ping.later".into(), None, "{}".into())
}

fn fs_config() -> Config {
    Config::default()
        .caller_answers(copilot_sansio::CallerAnswers::SESSION_FS)
        .request_timeout_ms(Some(1000))
}

/// Feeds `input` then the end of input to a client with one pending create: everything that
/// came out.
fn feed_then_close(input: &[u8]) -> Vec<Ev> {
    let mut c = Conn::<2, 4>::new(1024, 2048, Config::default());
    let _ = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    c.output();
    let mut events = c.feed(input);
    events.extend(c.close());
    assert!(c.client.is_closed());
    assert_eq!(c.client.session_slots_in_use(), 0);
    assert_eq!(c.client.pending_requests(), 0);
    events
}

fn malformed(err: HeaderError) -> Ev {
    Ev::Error(format!("{:?}", InputError::MalformedHeader(err)))
}

fn header_then_good(header: &str) -> Vec<u8> {
    let mut input = header.as_bytes().to_vec();
    input.extend_from_slice(GOOD.as_bytes());
    input.extend(frame(GOOD));
    input
}

#[test]
fn content_length_absent_negative_non_decimal_spaced_or_twice_is_fatal_once() {
    use HeaderError::*;
    let n = GOOD.len();
    for (header, err) in [
        (
            "Content-Type: application/vscode-jsonrpc\r\n\r\n".to_string(),
            MissingContentLength,
        ),
        ("\r\n".to_string(), MissingContentLength),
        (
            format!("Content-Length: -{n}\r\n\r\n"),
            InvalidContentLength,
        ),
        (
            format!("Content-Length: +{n}\r\n\r\n"),
            InvalidContentLength,
        ),
        (
            format!("Content-Length: 0x{n:x}\r\n\r\n"),
            InvalidContentLength,
        ),
        (
            "Content-Length: fifty\r\n\r\n".to_string(),
            InvalidContentLength,
        ),
        (
            "Content-Length: \u{ff15}\u{ff10}\r\n\r\n".to_string(),
            InvalidContentLength,
        ),
        (
            format!("Content-Length: {n}.0\r\n\r\n"),
            InvalidContentLength,
        ),
        (
            format!("Content-Length: {} {}\r\n\r\n", n / 10, n % 10),
            InvalidContentLength,
        ),
        ("Content-Length: \r\n\r\n".to_string(), InvalidContentLength),
        (
            "Content-Length: 18446744073709551616\r\n\r\n".to_string(),
            InvalidContentLength,
        ),
        (format!("Content-Length : {n}\r\n\r\n"), InvalidLine),
        (format!(" Content-Length: {n}\r\n\r\n"), InvalidLine),
        (
            format!("Content-Length: {n}\r\nContent-Length: {}\r\n\r\n", n + 1),
            ConflictingContentLength,
        ),
        (
            format!("content-length: {n}\r\nCONTENT-LENGTH: 7\r\n\r\n"),
            ConflictingContentLength,
        ),
    ] {
        let events = feed_then_close(&header_then_good(&header));
        assert_eq!(events.len(), 3, "{header:?}: {events:?}");
        assert_eq!(events[0], malformed(err), "{header:?}");
        assert!(matches!(&events[1], Ev::OpenFailed(_, _, r) if r == "ConnectionClosed"));
        assert_eq!(events[2], Ev::End);
    }
    // Invalid UTF-8 in a header name or value.
    for header in [
        &b"Content-Length: 4\xff\r\n\r\n"[..],
        b"Content-\xc3\x28Length: 4\r\n\r\n",
    ] {
        let mut input = header.to_vec();
        input.extend_from_slice(b"null");
        let events = feed_then_close(&input);
        assert!(matches!(&events[0], Ev::Error(e) if e.starts_with("MalformedHeader")));
    }
}

#[test]
fn spaces_tabs_repeats_and_bare_line_feeds_are_tolerated() {
    let n = GOOD.len();
    for header in [
        format!("Content-Length:\t{n}\t\r\n\r\n"),
        format!("Content-Length:{n}\r\n\r\n"),
        format!("Content-Length:      {n}      \r\n\r\n"),
        format!("Content-Length: {n}\r\ncontent-length: {n}\r\n\r\n"),
        format!("Content-Length: {n}\n\n"),
        format!("Content-Length: {n}\r\n\n"),
        format!("Content-Length: {n}\n\r\n"),
        format!("X-Other:\r\nContent-Length: {n}\r\nContent-Type: x\r\n\r\n"),
    ] {
        let mut input = header.clone().into_bytes();
        input.extend_from_slice(GOOD.as_bytes());
        let events = feed_then_close(&input);
        assert_eq!(events[0], good(), "{header:?}");
    }
}

#[test]
fn a_huge_content_length_is_skipped_by_count_without_buffering() {
    // u64::MAX is a valid length: the frame is reported, then its "body" (everything that
    // follows) is skipped as it arrives, in constant memory, until the end of input.
    let mut c = Conn::<2, 4>::new(1024, 2048, Config::default());
    let mut input = b"Content-Length: 18446744073709551615\r\n\r\n".to_vec();
    input.extend(frame(r#"{"jsonrpc":"2.0","id":3,"method":"x"}"#));
    let mut events = c.feed(&input);
    let mut pushed = 0;
    while pushed < 1_000_000 {
        let n = c.inbox.push(&[b'{'; 1000]);
        assert!(n > 0, "stalled after {pushed} bytes");
        pushed += n;
        events.extend(c.poll());
        assert_eq!(c.inbox.buffered(), 0);
    }
    // A frame is reported when it ends: this one never does, so the end of input reports it.
    assert_eq!(events, []);
    let closing = c.close();
    assert_eq!(closing.len(), 2, "{closing:?}");
    assert!(
        matches!(&closing[0], Ev::Error(e)
            if e.starts_with("Truncated { expected: Some(18446744073709551615), received: ")),
        "{closing:?}"
    );
    assert_eq!(closing[1], Ev::End);
    assert!(
        c.output().is_empty(),
        "nothing answered from inside a skipped body"
    );
}

#[test]
fn a_header_without_line_ends() {
    // Never ends: the end of input reports it truncated...
    let events = feed_then_close(format!("Content-Length: 5{GOOD}").as_bytes());
    assert!(
        matches!(&events[0], Ev::Error(e) if e.starts_with("Truncated { expected: None")),
        "{events:?}"
    );
    // ...and more than MAX_HEADER_LEN of it is malformed.
    let mut input = b"Content-Length: 5".to_vec();
    input.extend(std::iter::repeat_n(b'x', copilot_sansio::MAX_HEADER_LEN));
    let events = feed_then_close(&input);
    assert_eq!(events[0], malformed(HeaderError::TooLong));
    // A bare carriage return does not end a line.
    let events = feed_then_close(format!("Content-Length: {}\r\r{GOOD}", GOOD.len()).as_bytes());
    assert!(
        matches!(&events[0], Ev::Error(e) if e.starts_with("Truncated { expected: None")),
        "{events:?}"
    );
}

#[test]
fn a_body_shorter_than_declared_at_the_end_of_input() {
    let mut c = Conn::<2, 4>::new(1024, 2048, fs_config());
    let s = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    let req = c.client.request(NOW, "status.get", &()).unwrap();
    c.output();
    let mut input = frame(r#"{"jsonrpc":"2.0","id":2,"result":{"version":"1.0.102"}}"#);
    input.truncate(input.len() - 5);
    let mut events = c.feed(&input);
    assert!(
        events.is_empty(),
        "a partial frame is not delivered: {events:?}"
    );
    events.extend(c.close());
    assert_eq!(
        events,
        [
            Ev::Error("Truncated { expected: Some(55), received: 50 }".into()),
            Ev::OpenFailed(
                s,
                copilot_sansio::OpenMethod::Create,
                "ConnectionClosed".into()
            ),
            Ev::Response(req, "Err(ConnectionClosed)".into()),
            Ev::End,
        ]
    );
}

#[test]
fn deep_nesting_of_objects_and_arrays_anywhere_in_a_message() {
    let deep_objects = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    let mixed = format!("{}null{}", r#"[{"k":"#.repeat(50_000), "}]".repeat(50_000));
    let unclosed = "[".repeat(100_000);
    for deep in [&deep_objects, &mixed, &unclosed] {
        let expect = |event: &Ev, what: &str| {
            assert!(
                matches!(event, Ev::Error(e) if e.contains(what) && e.contains("TooDeep"))
                    || matches!(event, Ev::OpenFailed(_, _, e) if e.contains(what) && e.contains("TooDeep"))
                    || matches!(event, Ev::Auto(e) if e.contains(what) && e.contains("TooDeep")),
                "{what}: {event:?}"
            )
        };
        let session_event = format!(
            r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"s","event":{{"type":"t","data":{deep}}}}}}}"#
        );
        let response = format!(r#"{{"jsonrpc":"2.0","id":1,"result":{deep}}}"#);
        let request = format!(
            r#"{{"jsonrpc":"2.0","id":"r-9","method":"hooks.invoke","params":{{"sessionId":"s","input":{deep}}}}}"#
        );
        for (body, what) in [
            (&session_event, "LostSessionEvent"),
            (&response, "UnreadableResponse"),
            (&request, "Unreadable"),
            (deep, "InvalidJson"),
        ] {
            let mut c = Conn::<2, 4>::new(1024 * 1024, 2048, fs_config());
            let s = c
                .client
                .create_session(NOW, SessionId::new("s").unwrap(), &())
                .unwrap();
            c.output();
            let mut input = frame(body);
            input.extend(frame(GOOD));
            let events = c.feed(&input);
            assert_eq!(events.len(), 2, "{what}: {events:?}");
            expect(&events[0], what);
            assert_eq!(events[1], good());
            let out = c.output_text();
            match what {
                // The event is reported with its session and its type.
                "LostSessionEvent" => {
                    let Ev::Error(e) = &events[0] else {
                        panic!("{:?}", events[0])
                    };
                    assert!(e.contains(&format!("session: Some({s:?})")), "{e}");
                    assert!(e.contains(r#"event_type: Some("t")"#), "{e}");
                }
                // The create is resolved: it failed for the caller, and since it may have
                // succeeded, the client destroys the session on the server.
                "UnreadableResponse" => {
                    assert!(
                        out.contains(r#""method":"session.destroy","params":{"sessionId":"s"}"#),
                        "{out}"
                    );
                    assert_eq!(c.client.session_state(s), None);
                }
                // The request is answered, once, with its id.
                "Unreadable" => assert_eq!(
                    out.matches(r#"{"jsonrpc":"2.0","id":"r-9","error":{"code":-32600"#)
                        .count(),
                    1,
                    "{out}"
                ),
                _ => assert!(out.is_empty(), "{out}"),
            }
            check_output_framing(&out.into_bytes(), what);
        }
    }
}

#[test]
fn invalid_utf8_anywhere_in_a_body() {
    for bad in [
        &b"\xff"[..],
        b"\xc0\xaf",         // overlong '/'
        b"\xed\xa0\x80",     // a UTF-16 surrogate encoded as UTF-8
        b"\xf4\x90\x80\x80", // above U+10FFFF
        b"\xe2\x82",         // truncated sequence
        b"\x80",             // lone continuation byte
    ] {
        for body in [
            [br#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"type":"x"#, bad, br#""}}}"#].concat(),
            [br#"{"jsonrpc":"2.0","id":1,"result":""#, bad, br#""}"#].concat(),
            [br#"{"jsonrpc":"2.0","id":9,"method":"sessionFs.readFile","params":{"sessionId":"s","#, bad, br#"":1}}"#].concat(),
            [br#"{"jsonrpc":"2.0","method":"m"}"#.as_slice(), bad].concat(),
        ] {
            let mut input = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
            input.extend_from_slice(&body);
            input.extend(frame(GOOD));
            let mut c = Conn::<2, 4>::new(4096, 2048, fs_config());
            let events = c.feed(&input);
            assert_eq!(events.len(), 2, "{bad:?}: {events:?}");
            assert!(
                matches!(&events[0], Ev::Error(e) | Ev::Auto(e) if e.contains("InvalidUtf8")),
                "{bad:?}: {:?}",
                events[0]
            );
            assert_eq!(events[1], good());
            // A request that is not JSON is still answered, once: a parse error with its id.
            let out = c.output_text();
            let answers = out.matches(r#"{"jsonrpc":"2.0","id":9,"error":{"code":-32700"#);
            let expected = usize::from(body.starts_with(br#"{"jsonrpc":"2.0","id":9"#));
            assert_eq!(answers.count(), expected, "{bad:?}: {out}");
        }
    }
}

#[test]
fn lone_and_paired_surrogates_in_ids_keys_methods_and_text() {
    let mut c = Conn::<4, 8>::new(8192, 4096, fs_config());
    let emoji = c
        .client
        .create_session(NOW, SessionId::new("\u{1F600}x").unwrap(), &())
        .unwrap();
    let replacement = c
        .client
        .create_session(NOW, SessionId::new("\u{FFFD}").unwrap(), &())
        .unwrap();
    c.output();
    let event = |sid: &str| {
        frame(&format!(
            r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{sid}","event":{{"type":"t\ud83d","data":{{"\udc00key":"\ude00\ud83d"}}}}}}}}"#
        ))
    };
    let events = c.feed(
        &[
            // A pair routes to the session whose id holds that character.
            event(r"\ud83d\ude00x"),
            event(r"\uD83D\uDE00x"),
            // A lone surrogate decodes to U+FFFD, whatever it was.
            event(r"\ud83d"),
            event(r"\udc00"),
            // Reversed pair: two replacement characters, which no session has.
            event(r"\ude00\ud83d"),
            frame(r#"{"jsonrpc":"2.0","id":5,"method":"sessionFs.stat","params":{"sessionId":"\ud83d\ude00x","\ud800":"\udfff"}}"#),
        ]
        .concat(),
    );
    assert_eq!(events.len(), 6, "{events:?}");
    assert_eq!(events[0].session(), Some(emoji));
    assert_eq!(events[1].session(), Some(emoji));
    assert_eq!(events[2].session(), Some(replacement));
    assert_eq!(events[3].session(), Some(replacement));
    assert!(
        matches!(&events[4], Ev::UnknownSession(..)),
        "{:?}",
        events[4]
    );
    assert!(matches!(&events[5], Ev::Request { session: Some(h), .. } if *h == emoji));
    let Ev::Session(_, kind, _) = &events[0] else {
        panic!()
    };
    assert_eq!(kind, "t\u{FFFD}");
}

#[test]
fn numbers_out_of_range() {
    let mut c = Conn::<2, 8>::new(4096, 4096, Config::default());
    let a = c.client.request(NOW, "a", &()).unwrap();
    c.output();
    let events = c.feed(
        &[
            // Ids that are not exactly request 1: wrapped to 32 bits, float, exponent, huge.
            frame(r#"{"jsonrpc":"2.0","id":4294967297,"result":{}}"#),
            frame(r#"{"jsonrpc":"2.0","id":1.0,"result":{}}"#),
            frame(r#"{"jsonrpc":"2.0","id":1e0,"result":{}}"#),
            frame(r#"{"jsonrpc":"2.0","id":-0,"result":{}}"#),
            frame(r#"{"jsonrpc":"2.0","id":99999999999999999999999999999,"result":{}}"#),
            // Error codes outside i64.
            frame(r#"{"jsonrpc":"2.0","id":1,"error":{"code":9223372036854775808,"message":"m"}}"#),
            frame(r#"{"jsonrpc":"2.0","id":1,"error":{"code":1e400,"message":"m"}}"#),
            frame(r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603.5,"message":"m"}}"#),
        ]
        .concat(),
    );
    assert_eq!(events.len(), 8, "{events:?}");
    for e in &events[..5] {
        assert!(
            matches!(e, Ev::Error(s) if s.starts_with("UnknownResponse")),
            "{e:?}"
        );
    }
    // A malformed response resolves the request it answers, once; the next ones answer
    // nothing pending any more.
    assert_eq!(
        events[5],
        Ev::Response(a, "Err(InvalidResponse(BadErrorObject))".into())
    );
    for e in &events[6..] {
        assert!(
            matches!(e, Ev::Error(s) if s.contains("BadErrorObject")),
            "{e:?}"
        );
    }
    let b = c.client.ping(NOW, None).unwrap().id();
    let events = c.feed(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":{},"result":1e400}}"#,
        b.value()
    )));
    assert_eq!(events, [Ev::Response(b, "Ok(1e400)".into())]);
    // An integer reads however it is written (the CLI writes some as floats)...
    for version in ["3.0", "3e0", "0.3e1"] {
        let mut c = Conn::<2, 8>::new(4096, 4096, Config::default());
        c.client
            .connect(NOW, &copilot_sansio::Connect::default())
            .unwrap();
        let events = c.feed(&frame(&format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":{{"protocolVersion":{version}}}}}"#
        )));
        assert!(
            matches!(events.as_slice(), [Ev::Connected(3, _)]),
            "{version}: {events:?}"
        );
    }
    // ...but protocol versions out of range are unsupported, not truncated.
    for version in ["3.5", "1e400", "18446744073709551619", "-3", "\"3\""] {
        let mut c = Conn::<2, 8>::new(4096, 4096, Config::default());
        c.client
            .connect(NOW, &copilot_sansio::Connect::default())
            .unwrap();
        let events = c.feed(&frame(&format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":{{"protocolVersion":{version}}}}}"#
        )));
        assert_eq!(
            events,
            [Ev::ConnectFailed(
                "UnsupportedVersion { server: None }".into()
            )],
            "{version}"
        );
    }
}

#[test]
fn ids_of_every_json_type() {
    let mut c = Conn::<2, 8>::new(4096, 4096, fs_config());
    let s = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    c.output();
    let req = |id: &str| {
        frame(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"sessionFs.stat","params":{{"sessionId":"s"}}}}"#
        ))
    };
    let resp = |id: &str| frame(&format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{}}}}"#));
    let events = c.feed(
        &[
            req("7"),
            req("\"seven\""),
            req("null"),
            req("-7.5e1"),
            req("true"),
            req("{}"),
            req("[7]"),
            resp("null"),
            resp("\"1\""),
            resp("false"),
            resp("{\"id\":1}"),
            resp("[1]"),
        ]
        .concat(),
    );
    assert_eq!(events.len(), 12, "{events:?}");
    // Numbers, strings and null are request ids: routed, answerable, echoed verbatim.
    let mut replies = Vec::new();
    for (e, id) in events[..4].iter().zip(["7", "\"seven\"", "null", "-7.5e1"]) {
        let Ev::Request {
            reply,
            id: got,
            session,
            ..
        } = e
        else {
            panic!("{e:?}")
        };
        assert_eq!((got.as_str(), *session), (id, Some(s)));
        replies.push(*reply);
    }
    // Other types are not: the request is still answered, with a `null` id.
    for e in &events[4..7] {
        assert_eq!(
            *e,
            Ev::Auto(
                r#"Answered { method: Some("sessionFs.stat"), session_id: None, reason: InvalidRequest(BadId) }"#
                    .into()
            )
        );
    }
    // Responses with ids that match nothing, or of types ids cannot have.
    for e in &events[7..9] {
        assert!(
            matches!(e, Ev::Error(x) if x.starts_with("UnknownResponse")),
            "{e:?}"
        );
    }
    for e in &events[9..] {
        assert_eq!(*e, Ev::Error("InvalidMessage(BadId)".into()));
    }
    let out = c.output_text();
    assert_eq!(
        out.matches(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600"#)
            .count(),
        3,
        "{out}"
    );
    for r in replies {
        c.client.respond_raw(r, "{}").unwrap();
    }
    let out = c.output_text();
    for id in ["7", "\"seven\"", "null", "-7.5e1"] {
        assert_eq!(
            out.matches(&format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{}}}}"#))
                .count(),
            1,
            "{out}"
        );
    }
}

#[test]
fn a_flood_of_server_requests_bigger_than_the_table() {
    // P = 4 tracked requests: the rest are answered by the client, each exactly once, and the
    // tracked ones are answered by the caller; nothing waits forever.
    let mut c = Conn::<2, 4>::new(64 * 1024, 64 * 1024, fs_config());
    let _ = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    c.output();
    let flood: Vec<u8> = (0..100)
        .flat_map(|i| {
            frame(&format!(
                r#"{{"jsonrpc":"2.0","id":{i},"method":"sessionFs.readFile","params":{{"sessionId":"s","path":"/{i}"}}}}"#
            ))
        })
        .collect();
    let events = c.feed(&flood);
    assert_eq!(events.len(), 100);
    let replies: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Ev::Request { reply, .. } => Some(*reply),
            _ => None,
        })
        .collect();
    assert_eq!(replies.len(), 4);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Ev::Auto(a) if a.contains("TooManyPending")))
            .count(),
        96
    );
    assert_eq!(c.client.pending_server_requests(), 4);
    for r in replies {
        c.client.respond_raw(r, r#"{"content":""}"#).unwrap();
    }
    let out = c.output_text();
    for i in 0..100 {
        assert_eq!(
            out.matches(&format!(r#"{{"jsonrpc":"2.0","id":{i},"#))
                .count(),
            1,
            "request {i}"
        );
    }
    // Room again: the next one is tracked.
    let events = c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":100,"method":"sessionFs.stat","params":{"sessionId":"s"}}"#,
    ));
    assert!(matches!(&events[..], [Ev::Request { .. }]));
}

#[test]
fn traffic_for_a_destroyed_session_is_surfaced_and_answered() {
    let mut c = Conn::<2, 4>::new(4096, 4096, fs_config());
    let s = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":1,"result":{"sessionId":"s"}}"#,
    ));
    c.client.session(s).destroy(NOW).unwrap();
    c.output();
    let events = c.feed(
        &[
            frame(r#"{"jsonrpc":"2.0","id":2,"result":{}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"type":"session.shutdown","data":{}}}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"session.lifecycle","params":{"type":"session.deleted","sessionId":"s"}}"#),
            frame(r#"{"jsonrpc":"2.0","id":77,"method":"sessionFs.rm","params":{"sessionId":"s","path":"/"}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"host.event","params":{"scope":{"sessionId":"s"}}}"#),
        ]
        .concat(),
    );
    assert_eq!(events[0], Ev::Closed(s, "Ok(())".into()));
    assert_eq!(
        events[1],
        Ev::UnknownSession("s".into(), "session.shutdown".into())
    );
    assert!(matches!(&events[2], Ev::Lifecycle(None, _)));
    assert!(matches!(&events[3], Ev::Auto(a) if a.contains("UnknownSession")));
    assert!(matches!(&events[4], Ev::Notification(_, None, _)));
    assert!(c.output_text().contains(
        r#"{"jsonrpc":"2.0","id":77,"error":{"code":-32602,"message":"Session not found: s"}}"#
    ));
    assert_eq!(c.client.session_state(s), None);
    assert_eq!(c.client.session_slots_in_use(), 0);
}

#[test]
fn a_late_create_response_after_a_timeout_destroys_the_orphan_or_releases_it() {
    let timed_out = || {
        let mut c = Conn::<2, 4>::new(4096, 4096, fs_config());
        let h = c
            .client
            .create_session(NOW, SessionId::new("late").unwrap(), &())
            .unwrap();
        c.output();
        c.client.handle_timeout(Instant::from_millis(1000));
        assert_eq!(
            c.poll(),
            [Ev::OpenFailed(
                h,
                copilot_sansio::OpenMethod::Create,
                "TimedOut".into()
            )]
        );
        assert_eq!(c.client.session_slots_in_use(), 1);
        (c, h)
    };
    // Success: destroyed on the server, then released.
    let (mut c, _) = timed_out();
    let events = c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":1,"result":{"sessionId":"late"}}"#,
    ));
    assert_eq!(events, [Ev::Auto("DestroyingOrphan".into())]);
    assert!(c.output_text().ends_with(
        r#"{"jsonrpc":"2.0","id":2,"method":"session.destroy","params":{"sessionId":"late"}}"#
    ));
    assert_eq!(
        c.feed(&frame(r#"{"jsonrpc":"2.0","id":2,"result":{}}"#)),
        [Ev::Auto("OrphanReleased".into())]
    );
    assert_eq!(c.client.session_slots_in_use(), 0);
    // Failure: nothing to destroy.
    let (mut c, _) = timed_out();
    let events = c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"x"}}"#,
    ));
    assert_eq!(events, [Ev::Auto("OrphanReleased".into())]);
    assert!(c.output().is_empty());
    assert_eq!(c.client.session_slots_in_use(), 0);
    // The destroy itself times out: released anyway.
    let (mut c, _) = timed_out();
    c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":1,"result":{"sessionId":"late"}}"#,
    ));
    c.client.handle_timeout(Instant::from_millis(3000));
    assert_eq!(c.poll(), [Ev::Auto("OrphanReleased".into())]);
    assert_eq!(c.client.session_slots_in_use(), 0);
    // The input ends first.
    let (mut c, _) = timed_out();
    assert_eq!(c.close(), [Ev::Auto("OrphanReleased".into()), Ev::End]);
    assert_eq!(c.client.session_slots_in_use(), 0);
    // The response arrives while the transmit buffer is full: it waits, nothing is lost.
    let mut c = Conn::<2, 64>::new(4096, copilot_sansio::MIN_TRANSMIT_BUFFER, fs_config());
    let _ = c
        .client
        .create_session(NOW, SessionId::new("late").unwrap(), &())
        .unwrap();
    c.output();
    c.client.handle_timeout(Instant::from_millis(1000));
    assert_eq!(c.poll().len(), 1);
    while c.client.request(NOW, "fill", &()).is_ok() {}
    let queued = c.client.transmit_bytes().len();
    c.inbox.push(&frame(
        r#"{"jsonrpc":"2.0","id":1,"result":{"sessionId":"late"}}"#,
    ));
    assert!(c.poll().is_empty());
    assert_eq!(c.client.transmit_bytes().len(), queued);
    let n = c.client.transmit_bytes().len();
    c.client.transmitted(n);
    assert_eq!(c.poll(), [Ev::Auto("DestroyingOrphan".into())]);
}

#[test]
fn the_receive_buffer_exactly_full_of_one_frame_in_any_split() {
    let body = r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"type":"session.idle","data":{}}}}"#;
    let f = frame(body);
    for split in 1..=f.len() {
        let mut rx = vec![0u8; f.len()];
        let mut tx = vec![0u8; 1024];
        let mut inbox = Inbox::new(&mut rx);
        let mut client: Client<'_, 2, 2> = Client::new(&mut tx, Config::default()).unwrap();
        let s = client
            .create_session(NOW, SessionId::new("s").unwrap(), &())
            .unwrap();
        let mut events = Vec::new();
        for round in 0..3 {
            for piece in f.chunks(split) {
                assert_eq!(
                    inbox.push(piece),
                    piece.len(),
                    "split {split} round {round}"
                );
                while let Some(e) = client.poll_event(&mut inbox, NOW) {
                    events.push(matches!(e, Event::Session { session, .. } if session == s));
                }
            }
            assert_eq!(inbox.buffered(), 0);
        }
        assert_eq!(events, [true, true, true], "split {split}");
    }
    // A header that fills the buffer exactly, with an empty body, is a frame too.
    let empty = b"Content-Length: 0\r\n\r\n";
    let mut rx = vec![0u8; empty.len()];
    let mut tx = vec![0u8; 1024];
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 1, 1> = Client::new(&mut tx, Config::default()).unwrap();
    assert_eq!(inbox.push(empty), empty.len());
    assert!(matches!(
        client.poll_event(&mut inbox, NOW),
        Some(Event::Error(InputError::InvalidJson(_)))
    ));
}

#[test]
fn a_late_create_response_does_not_destroy_a_session_reopened_with_the_same_id() {
    // Fuzz finding (client): `session.create "b"` timed out (the slot became an orphan), the
    // caller opened "b" again (a retry, or a resume by name), then the first create's success
    // arrived late. The client destroyed the orphan on the server by id, which destroyed the
    // caller's new session "b": its events kept coming to the caller until the server
    // stopped them, and the caller's later requests failed.
    for retry in [
        copilot_sansio::OpenMethod::Create,
        copilot_sansio::OpenMethod::Resume,
    ] {
        let mut c = Conn::<4, 8>::new(4096, 4096, fs_config());
        let first = c
            .client
            .create_session(NOW, SessionId::new("b").unwrap(), &())
            .unwrap();
        c.output();
        c.client.handle_timeout(Instant::from_millis(1000));
        assert_eq!(
            c.poll(),
            [Ev::OpenFailed(
                first,
                copilot_sansio::OpenMethod::Create,
                "TimedOut".into()
            )]
        );
        let id = SessionId::new("b").unwrap();
        let again = match retry {
            copilot_sansio::OpenMethod::Create => c.client.create_session(NOW, id, &()),
            copilot_sansio::OpenMethod::Resume => c.client.resume_session(NOW, id, &()),
        }
        .unwrap();
        c.output();
        // The late success of the first create: the orphan is released, nothing is destroyed.
        let events = c.feed(&frame(
            r#"{"jsonrpc":"2.0","id":1,"result":{"sessionId":"b"}}"#,
        ));
        assert_eq!(events, [Ev::Auto("OrphanReleased".into())]);
        assert_eq!(
            c.output_text(),
            "",
            "no session.destroy for the caller's session"
        );
        assert_eq!(c.client.session_slots_in_use(), 1);
        // The retry goes on as if nothing happened.
        let events = c.feed(
            &[
                frame(r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"b","event":{"type":"session.start","data":{}}}}"#),
                frame(r#"{"jsonrpc":"2.0","id":2,"result":{"sessionId":"b"}}"#),
            ]
            .concat(),
        );
        assert_eq!(events[0].session(), Some(again));
        assert!(matches!(&events[1], Ev::Opened(h, k, _) if *h == again && *k == retry));
    }
}

#[test]
fn more_owed_answers_than_the_transmit_buffer_holds_at_the_end_through_the_blocking_driver() {
    // The same end of input, through the blocking driver, with eight answers owed and a
    // 512-byte transmit buffer (room for three at a time): the driver must see `Closed`, and
    // the peer all eight answers, exactly once each.
    use copilot_sansio::driver::BlockingDriver;
    let mut input = Vec::new();
    for i in 0..8 {
        input.extend(frame(&format!(
            r#"{{"jsonrpc":"2.0","id":{},"method":"sessionFs.readFile","params":{{"sessionId":"s","path":"/{i}"}}}}"#,
            900 + i
        )));
    }
    let mut rx = vec![0u8; 4096];
    let mut tx = vec![0u8; copilot_sansio::MIN_TRANSMIT_BUFFER];
    let mut inbox = Inbox::new(&mut rx);
    let config = Config::default().caller_answers(copilot_sansio::CallerAnswers::SESSION_FS);
    let mut client: Client<'_, 2, 8> = Client::new(&mut tx, config).unwrap();
    let _ = client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    let mut driver = BlockingDriver::new(std::io::Cursor::new(input), Vec::new());
    let mut seen = Vec::new();
    while let Polled::Event(event) = driver.next_event(&mut client, &mut inbox, None).unwrap() {
        seen.push(format!("{event:?}"));
    }
    assert_eq!(seen.last().map(String::as_str), Some("Closed"), "{seen:?}");
    let written = String::from_utf8(driver.writer_mut().unwrap().clone()).unwrap();
    for i in 0..8 {
        assert_eq!(
            written
                .matches(&format!(r#"{{"jsonrpc":"2.0","id":{},"error""#, 900 + i))
                .count(),
            1,
            "answer {i}: {written}"
        );
    }
}
