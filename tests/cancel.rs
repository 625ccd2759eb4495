//! `$/cancelRequest` both ways: the server cancels a request it sent (the client answers it
//! -32800, once), and the caller cancels one of its own (the client tells the server and
//! resolves it, once).

mod support;

use copilot_sansio::{
    CallerAnswers, Config, Connect, Error, Event, Failure, InputError, Instant, RequestId,
};
use support::*;

fn connected() -> Conn<2, 4> {
    let mut c = Conn::<2, 4>::new(
        8 * 1024,
        4096,
        Config::default().caller_answers(CallerAnswers::INSTALLATIONS),
    );
    c.client.connect(NOW, &Connect::default()).unwrap();
    c.output();
    c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":3}}"#,
    ));
    c
}

const ASK: &str =
    r#"{"jsonrpc":"2.0","id":"q-7","method":"installations.confirm","params":{"name":"tool"}}"#;

#[test]
fn a_request_the_server_cancels_is_answered_once_with_32800() {
    let mut c = connected();
    let events = c.feed(&frame(ASK));
    let reply = match &events[..] {
        [Ev::Request { reply, .. }] => *reply,
        other => panic!("{other:?}"),
    };
    let cancel = r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"q-7"}}"#;
    c.inbox.push(&frame(cancel));
    let event = c.client.poll_event(&mut c.inbox, NOW);
    assert!(
        matches!(event, Some(Event::ServerRequestCancelled { reply: r, session: None }) if r == reply),
        "{event:?}"
    );
    assert_eq!(
        c.output_text(),
        String::from_utf8(frame(
            r#"{"jsonrpc":"2.0","id":"q-7","error":{"code":-32800,"message":"Request cancelled"}}"#
        ))
        .unwrap()
    );
    // The caller's late answer is refused: the server never gets two.
    assert_eq!(
        c.client.respond_raw(reply, r#"{"approved":true}"#),
        Err(Error::UnknownReply)
    );
    assert_eq!(c.client.pending_server_requests(), 0);
    // Cancelling it again, or something never asked, is only reported.
    let events = c.feed(&frame(cancel));
    assert!(
        matches!(&events[..], [Ev::Notification(m, None, _)] if m == "$/cancelRequest"),
        "{events:?}"
    );
    assert_eq!(c.output(), b"");
}

#[test]
fn a_request_answered_before_the_cancel_is_not_answered_again() {
    let mut c = connected();
    let events = c.feed(&frame(ASK));
    let [Ev::Request { reply, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    c.client
        .respond_raw(*reply, r#"{"approved":true}"#)
        .unwrap();
    let answer = c.output_text();
    assert!(answer.ends_with(r#"{"jsonrpc":"2.0","id":"q-7","result":{"approved":true}}"#));
    let events = c.feed(&frame(
        r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"q-7"}}"#,
    ));
    assert!(matches!(&events[..], [Ev::Notification(..)]), "{events:?}");
    assert_eq!(c.output(), b"", "answered once");
}

#[test]
fn the_caller_cancels_its_own_request_once() {
    let mut c = connected();
    let id: RequestId = c.client.list_models(NOW).unwrap().id();
    c.output();
    assert_eq!(c.client.cancel(id), Ok(()));
    assert_eq!(
        c.output_text(),
        String::from_utf8(frame(
            r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}"#
        ))
        .unwrap()
    );
    assert_eq!(c.client.cancel(id), Err(Error::UnknownRequest), "once");
    // Resolved at the next poll, whatever is in the inbox.
    c.inbox
        .push(&frame(r#"{"jsonrpc":"2.0","id":2,"result":{"models":[]}}"#));
    let event = c.client.poll_event(&mut c.inbox, NOW);
    assert!(
        matches!(event, Some(Event::Response { id: i, outcome: Err(Failure::Cancelled) }) if i == id),
        "{event:?}"
    );
    // The server's late response changes nothing.
    let event = c.client.poll_event(&mut c.inbox, NOW);
    assert!(
        matches!(
            event,
            Some(Event::Error(InputError::UnknownResponse { .. }))
        ),
        "{event:?}"
    );
    assert_eq!(c.client.pending_requests(), 0);
    assert_eq!(c.client.cancel(id), Err(Error::UnknownRequest));
}

#[test]
fn a_timed_out_request_can_still_be_cancelled_before_its_failure_is_taken() {
    let mut c = Conn::<2, 4>::new(
        8 * 1024,
        4096,
        Config::default().request_timeout_ms(Some(100)),
    );
    let id = c.client.ping(NOW, None).unwrap().id();
    c.client.handle_timeout(Instant::from_millis(100));
    assert_eq!(c.client.cancel(id), Ok(()));
    let events = c.poll();
    assert_eq!(events, [Ev::Response(id, "Err(Cancelled)".into())]);
    assert_eq!(c.client.cancel(id), Err(Error::UnknownRequest));
}
