//! Hostile input: every bad frame gets a clear event, nothing panics, and the connection goes on
//! wherever framing allows.

mod support;

use copilot_sansio::json::JsonErrorKind;
use copilot_sansio::{CallerAnswers, Config, Event, HeaderError, Inbox, InputError, SessionId};
use support::*;

const GOOD: &str = r#"{"jsonrpc":"2.0","method":"ping.later","params":{}}"#;

fn good_event() -> Ev {
    Ev::Notification("ping.later".into(), None, "{}".into())
}

fn conn() -> Conn<4, 8> {
    Conn::new(
        1024,
        4096,
        Config::default().caller_answers(CallerAnswers::ALL),
    )
}

/// Feeds a bad frame then a good one: the bad one yields `expect`, the good one still arrives.
fn survives(bad: &[u8], expect: &str) {
    let mut c = conn();
    let mut input = bad.to_vec();
    input.extend(frame(GOOD));
    let events = c.feed(&input);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        format!("{:?}", events[0]).contains(expect),
        "{:?} lacks {expect}",
        events[0]
    );
    assert_eq!(events[1], good_event());
}

#[test]
fn oversized_frames_are_skipped_and_reported() {
    let big = format!(
        r#"{{"jsonrpc":"2.0","method":"x","params":{{"blob":"{}"}}}}"#,
        "y".repeat(5000)
    );
    survives(
        &frame(&big),
        &format!("FrameTooLarge {{ len: {}, limit: 1024 }}", big.len()),
    );
    // A request too large to hold is still answered, from the id in its first bytes.
    let req = format!(
        r#"{{"jsonrpc":"2.0","id":41,"method":"sessionFs.writeFile","params":{{"content":"{}"}}}}"#,
        "y".repeat(5000)
    );
    let mut c = conn();
    let mut input = frame(&req);
    input.extend(frame(GOOD));
    let events = c.feed(&input);
    assert!(
        matches!(&events[0], Ev::Auto(a) if a.contains("TooLarge")),
        "{events:?}"
    );
    assert_eq!(events[1], good_event());
    assert!(c.output_text().contains(&format!(
        r#"{{"jsonrpc":"2.0","id":41,"error":{{"code":-32600,"message":"request too large for the client: {} bytes"}}}}"#,
        req.len()
    )));
    // A response too large to hold fails its request.
    let id = c.client.request(NOW, "session.getMessages", &()).unwrap();
    let resp = format!(
        r#"{{"jsonrpc":"2.0","id":1,"result":{{"events":["{}"]}}}}"#,
        "z".repeat(3000)
    );
    let events = c.feed(&frame(&resp));
    assert_eq!(
        events,
        [Ev::Response(
            id,
            format!("Err(ResponseTooLarge {{ len: {} }})", resp.len())
        )]
    );
}

#[test]
fn the_receive_buffer_can_be_exactly_full() {
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":"m","params":{{"p":"{}"}}}}"#,
        "q".repeat(100)
    );
    let f = frame(&body);
    let mut rx = vec![0u8; f.len()];
    let mut tx = vec![0u8; 1024];
    let mut inbox = Inbox::new(&mut rx);
    let mut client: copilot_sansio::Client<'_, 1, 1> =
        copilot_sansio::Client::new(&mut tx, Config::default()).unwrap();
    assert_eq!(inbox.push(&f), f.len());
    assert!(inbox.receive_buffer().is_empty());
    assert!(matches!(
        client.poll_event(&mut inbox, NOW),
        Some(Event::Notification { .. })
    ));
    assert_eq!(inbox.receive_buffer().len(), f.len());
    // One byte more than the buffer: skipped by count, framing kept.
    let bigger = frame(&format!(
        r#"{{"jsonrpc":"2.0","method":"m","params":{{"p":"{}"}}}}"#,
        "q".repeat(101)
    ));
    let mut at = 0;
    let mut seen = Vec::new();
    let mut input = bigger.clone();
    input.extend(frame("[]"));
    while at < input.len() {
        at += inbox.push(&input[at..]);
        while let Some(e) = client.poll_event(&mut inbox, NOW) {
            seen.push(format!("{e:?}"));
        }
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].contains("FrameTooLarge"));
    assert_eq!(seen[1], "Error(InvalidMessage(Batch))");
}

#[test]
fn malformed_headers_end_the_connection_once() {
    for (bad, err) in [
        (
            &b"Content-Type: x\r\n\r\n{}"[..],
            HeaderError::MissingContentLength,
        ),
        (
            b"Content-Length: -5\r\n\r\n",
            HeaderError::InvalidContentLength,
        ),
        (
            b"Content-Length: 1e3\r\n\r\n",
            HeaderError::InvalidContentLength,
        ),
        (
            b"Content-Length: 5 5\r\n\r\n",
            HeaderError::InvalidContentLength,
        ),
        (
            b"Content-Length: 99999999999999999999999\r\n\r\n",
            HeaderError::InvalidContentLength,
        ),
        (
            b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            HeaderError::ConflictingContentLength,
        ),
        (b"{\"jsonrpc\":\"2.0\"}\r\n\r\n", HeaderError::InvalidLine),
    ] {
        let mut c = conn();
        let _ = c
            .client
            .create_session(NOW, SessionId::new("s").unwrap(), &())
            .unwrap();
        let mut input = frame(GOOD);
        input.extend_from_slice(bad);
        input.extend(frame(GOOD));
        let events = c.feed(&input);
        assert_eq!(
            events,
            [
                good_event(),
                Ev::Error(format!("{:?}", InputError::MalformedHeader(err))),
                Ev::OpenFailed(
                    events[2].session().unwrap(),
                    copilot_sansio::OpenMethod::Create,
                    "ConnectionClosed".into()
                ),
                Ev::End,
            ],
            "{}",
            String::from_utf8_lossy(bad)
        );
        // Whatever comes after is ignored; nothing else is ever delivered.
        assert!(c.feed(&frame(GOOD)).is_empty());
    }
    // A header that never ends.
    let mut c = conn();
    let events = c.feed(&[b'x'; 2000]);
    assert_eq!(events[0], Ev::Error("MalformedHeader(TooLong)".into()));
    assert_eq!(events.last(), Some(&Ev::End));
}

#[test]
fn tolerated_header_variants() {
    // Lower-case name, spaces, an extra header, LF line ends, a zero-padded length.
    let body = GOOD;
    for header in [
        format!("content-length:{}\r\n\r\n", body.len()),
        format!(
            "Content-Length:   {}  \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
            body.len()
        ),
        format!("Content-Length: {}\n\n", body.len()),
        format!(
            "Content-Length: {0}\r\nContent-Length: {0}\r\n\r\n",
            body.len()
        ),
        format!("Content-Length: 000{}\r\n\r\n", body.len()),
    ] {
        let mut c = conn();
        let mut input = header.into_bytes();
        input.extend_from_slice(body.as_bytes());
        assert_eq!(c.feed(&input), [good_event()]);
    }
}

#[test]
fn bodies_that_are_not_json_are_skipped() {
    survives(&frame("not json"), "InvalidJson");
    survives(&frame(""), "Empty");
    survives(&frame("{\"a\":"), "UnexpectedEnd");
    survives(
        &[&b"Content-Length: 4\r\n\r\n"[..], b"\"\xff\xfe\""].concat(),
        "InvalidUtf8",
    );
    survives(&frame("[1,2]"), "Batch");
    survives(&frame("42"), "NotAnObject");
    survives(&frame(r#"{"jsonrpc":"2.0","id":[1],"result":1}"#), "BadId");
    survives(&frame(r#"{"jsonrpc":"2.0","id":1}"#), "BadResponse");
    survives(
        &frame(r#"{"jsonrpc":"2.0","result":1}"#),
        "ResponseWithoutId",
    );
    survives(
        &frame(r#"{"jsonrpc":"2.0","id":9,"result":1e400}"#),
        "UnknownResponse",
    );
    survives(
        &frame(r#"{"jsonrpc":"2.0","id":18446744073709551616,"result":1}"#),
        "UnknownResponse",
    );
    survives(
        &frame(r#"{"jsonrpc":"2.0","id":-1,"result":1}"#),
        "UnknownResponse",
    );
    survives(
        &frame(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#),
        "RejectedByPeer(RpcError { code: -32700",
    );
    survives(
        &frame(r#"{"jsonrpc":"2.0","id":null,"result":{}}"#),
        "UnknownResponse",
    );
    survives(
        &frame(r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":1}}"#),
        "InvalidSessionEvent",
    );
    survives(
        &frame(
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"data":{}}}}"#,
        ),
        "InvalidSessionEvent",
    );
}

#[test]
fn deep_nesting_is_rejected_without_recursion() {
    let deep = "[".repeat(100_000);
    let mut c: Conn<4, 8> = Conn::new(256 * 1024, 4096, Config::default());
    let mut input = frame(&deep);
    input.extend(frame(GOOD));
    let events = c.feed(&input);
    assert_eq!(events.len(), 2);
    assert!(
        events[0]
            == Ev::Error(format!(
                "{:?}",
                InputError::InvalidJson(copilot_sansio::json::JsonError {
                    kind: JsonErrorKind::TooDeep,
                    offset: 64
                })
            )),
        "{events:?}"
    );
    // Within the limit, deep is fine.
    let ok = format!(
        r#"{{"jsonrpc":"2.0","method":"n","params":{{"a":{}1{}}}}}"#,
        "[".repeat(60),
        "]".repeat(60)
    );
    assert!(matches!(&c.feed(&frame(&ok))[..], [Ev::Notification(..)]));
}

#[test]
fn lone_surrogates_are_accepted_and_decode_to_replacement_characters() {
    let body = r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"type":"assistant.message_delta","data":{"deltaContent":"cut \ud83d| pair \ud83d\ude00| low \udc00"},"id":"e","timestamp":"t","parentId":null,"ephemeral":true}}}"#;
    let mut rx = vec![0u8; 2048];
    let mut tx = vec![0u8; 1024];
    let mut inbox = Inbox::new(&mut rx);
    let mut client: copilot_sansio::Client<'_, 2, 2> =
        copilot_sansio::Client::new(&mut tx, Config::default()).unwrap();
    let s = client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    inbox.push(&frame(body));
    let Some(Event::Session { session, event }) = client.poll_event(&mut inbox, NOW) else {
        panic!("not routed")
    };
    assert_eq!(session, s);
    assert!(event.ephemeral());
    assert_eq!(event.parent_id(), None);
    let delta = event.data().get_str("deltaContent").unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(
        delta.unescape_into(&mut buf).unwrap(),
        "cut \u{FFFD}| pair \u{1F600}| low \u{FFFD}"
    );
}

#[test]
fn unknown_methods_and_event_types_are_surfaced() {
    let mut c = Conn::<4, 8>::new(4096, 4096, Config::default());
    let s = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    let events = c.feed(
        &[
            frame(r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"type":"future.thing","data":{"x":1},"brandNew":true}}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"gitHubTelemetry.event","params":{"sessionId":"s","restricted":false,"event":{}}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"bare"}"#),
            frame(r#"{"jsonrpc":"2.0","id":5,"method":"mystery.request","params":{}}"#),
        ]
        .concat(),
    );
    assert!(matches!(&events[0], Ev::Session(h, t, _) if *h == s && t == "future.thing"));
    assert_eq!(
        events[1],
        Ev::Notification("$/cancelRequest".into(), None, r#"{"id":3}"#.into())
    );
    assert!(
        matches!(&events[2], Ev::Notification(m, Some(h), _) if *h == s && m == "gitHubTelemetry.event")
    );
    assert_eq!(
        events[3],
        Ev::Notification("bare".into(), None, "{}".into())
    );
    assert!(matches!(&events[4], Ev::Auto(a) if a.contains("NotHandled")));
    assert!(c.output_text().contains(
        r#""id":5,"error":{"code":-32601,"message":"Method not found: mystery.request"}"#
    ));
}

#[test]
fn duplicate_and_unknown_response_ids() {
    let mut c = conn();
    let a = c.client.request(NOW, "status.get", &()).unwrap();
    let events = c.feed(
        &[
            frame(r#"{"jsonrpc":"2.0","id":1,"result":{"version":"1.0.102"}}"#),
            frame(r#"{"jsonrpc":"2.0","id":1,"result":{"version":"again"}}"#),
            frame(r#"{"jsonrpc":"2.0","id":77,"result":{}}"#),
            frame(r#"{"jsonrpc":"2.0","id":"1","result":{}}"#),
        ]
        .concat(),
    );
    assert_eq!(
        events[0],
        Ev::Response(a, r#"Ok({"version":"1.0.102"})"#.into())
    );
    for e in &events[1..] {
        assert!(
            matches!(e, Ev::Error(s) if s.starts_with("UnknownResponse")),
            "{e:?}"
        );
    }
}

#[test]
fn malformed_requests_are_still_answered() {
    let mut c = conn();
    let events = c.feed(
        &[
            frame(r#"{"jsonrpc":"1.0","id":3,"method":"sessionFs.stat","params":{}}"#),
            frame(r#"{"jsonrpc":"2.0","id":4,"method":"sessionFs.stat","params":"nope"}"#),
            frame(r#"{"jsonrpc":"2.0","id":5,"method":"sessionFs.stat","params":{"path":"/"}}"#),
            frame(&format!(
                r#"{{"jsonrpc":"2.0","id":"{}","method":"x.y","params":{{}}}}"#,
                "i".repeat(60)
            )),
        ]
        .concat(),
    );
    assert!(matches!(&events[0], Ev::Auto(a) if a.contains("InvalidRequest(BadVersion)")));
    assert!(matches!(&events[1], Ev::Auto(a) if a.contains("InvalidRequest(BadParams)")));
    assert!(matches!(&events[2], Ev::Auto(a) if a.contains("MissingSession")));
    assert!(matches!(&events[3], Ev::Auto(a) if a.contains("IdTooLong")));
    let out = c.output_text();
    assert!(out.contains(r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32600,"message":"Invalid Request: jsonrpc must be \"2.0\""}}"#), "{out}");
    assert!(out.contains(r#"{"jsonrpc":"2.0","id":4,"error":{"code":-32600,"message":"Invalid Request: params must be an object"}}"#));
    assert!(out.contains(
        r#"{"jsonrpc":"2.0","id":5,"error":{"code":-32602,"message":"missing sessionId"}}"#
    ));
    assert!(out.contains(
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"request id too long"}}"#
    ));
}

#[test]
fn long_wire_text_in_automatic_answers_is_cut() {
    let mut c = Conn::<4, 8>::new(4096, 512, Config::default());
    let method = format!("m.{}\\u00e9{}", "a".repeat(75), "b".repeat(300));
    let events = c.feed(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{}}}}"#
    )));
    assert!(matches!(&events[..], [Ev::Auto(_)]));
    let out = c.output_text();
    assert!(
        out.ends_with(&format!(
            r#""message":"Method not found: m.{}..."}}}}"#,
            "a".repeat(75)
        )),
        "{out}"
    );
}
