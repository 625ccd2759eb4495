//! Resuming a session that is open on this client (a live resume), as the official SDKs do to
//! change a running session's tools, model or system message: the session keeps its slot, its
//! handle and its events; a failure leaves it open as it was; one open of an id at a time.

mod support;

use copilot_sansio::sim::{ModelReply, Sim, SimConfig};
use copilot_sansio::{
    Client, Config, Connect, Error, Event, Inbox, Instant, OpenMethod, SessionHandle, SessionId,
    SessionState,
};
use support::*;

const SID: &str = "9d54a69c-624b-4a7a-a3f8-d57c18a45562";

fn event(kind: &str, id: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{SID}","event":{{"type":"{kind}","data":{{}},"id":"{id}","timestamp":"2026-11-23T23:10:25.444Z","parentId":null}}}}}}"#
    )
}

fn ok(id: u64, result: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#)
}

fn opened(id: u64) -> String {
    ok(id, &format!(r#"{{"sessionId":"{SID}"}}"#))
}

/// A client with the session `SID` open (requests 1: connect, 2: create).
fn open_session() -> (Conn<4, 8>, SessionHandle) {
    let mut c = Conn::<4, 8>::new(16 * 1024, 4096, Config::default());
    c.client.connect(NOW, &Connect::default()).unwrap();
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    c.output();
    let events = c.feed(&[frame(&ok(1, r#"{"protocolVersion":3}"#)), frame(&opened(2))].concat());
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(c.client.session_state(h), Some(SessionState::Active));
    (c, h)
}

fn resume(c: &mut Conn<4, 8>, options: &str) -> Result<SessionHandle, Error> {
    let options = copilot_sansio::json::RawJson::parse(options).unwrap();
    c.client
        .resume_session(NOW, SessionId::new(SID).unwrap(), &options)
}

#[test]
fn a_live_resume_keeps_the_session_and_its_events_in_order() {
    let (mut c, h) = open_session();
    let again = resume(&mut c, r#"{"model":"gpt-5","streaming":true}"#).unwrap();
    assert_eq!(again, h, "the same session, the same handle");
    assert_eq!(c.client.session_state(h), Some(SessionState::Resuming));
    assert_eq!(c.client.sessions().count(), 1);
    let written = c.output_text();
    assert!(
        written.ends_with(&format!(
            r#"{{"jsonrpc":"2.0","id":3,"method":"session.resume","params":{{"sessionId":"{SID}","model":"gpt-5","streaming":true}}}}"#
        )),
        "{written}"
    );
    // Requests on it still go out while the resume is in flight.
    let send = c
        .client
        .session(h)
        .request(NOW, "session.send", &())
        .unwrap();
    // Events of a turn that was running, the resume's own events, then its response.
    let events = c.feed(
        &[
            frame(&event("assistant.message", "e1")),
            frame(&event("session.idle", "e2")),
            frame(&event("session.resume", "e3")),
            frame(&opened(3)),
            frame(&event("session.title_changed", "e4")),
        ]
        .concat(),
    );
    let seen: Vec<String> = events
        .iter()
        .map(|e| match e {
            Ev::Session(s, t, _) => {
                assert_eq!(*s, h);
                t.clone()
            }
            Ev::Opened(s, OpenMethod::Resume, _) => {
                assert_eq!(*s, h);
                "opened".into()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        seen,
        [
            "assistant.message",
            "session.idle",
            "session.resume",
            "opened",
            "session.title_changed"
        ]
    );
    assert_eq!(c.client.session_state(h), Some(SessionState::Active));
    let events = c.feed(&frame(&ok(u64::from(send.value()), "{}")));
    assert!(matches!(events[..], [Ev::Response(id, _)] if id == send));
}

#[test]
fn a_failed_live_resume_leaves_the_session_open_as_it_was() {
    let (mut c, h) = open_session();
    assert_eq!(resume(&mut c, r#"{"model":"nope"}"#), Ok(h));
    c.output();
    let events = c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32603,"message":"Unknown model: nope"}}"#,
    ));
    match &events[..] {
        [Ev::ResumeFailed(s, reason)] => {
            assert_eq!(*s, h);
            assert!(reason.contains("Unknown model"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(c.client.session_state(h), Some(SessionState::Active));
    // Still routed, still usable.
    let events = c.feed(&frame(&event("session.idle", "e9")));
    assert!(matches!(&events[..], [Ev::Session(s, t, _)] if *s == h && t == "session.idle"));
    c.client.session(h).destroy(NOW).unwrap();
}

#[test]
fn a_live_resume_that_times_out_leaves_the_session_open() {
    let mut c = Conn::<4, 8>::new(
        16 * 1024,
        4096,
        Config::default().request_timeout_ms(Some(1_000)),
    );
    c.client.connect(NOW, &Connect::default()).unwrap();
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    c.output();
    c.feed(&[frame(&ok(1, r#"{"protocolVersion":3}"#)), frame(&opened(2))].concat());
    assert_eq!(resume(&mut c, "{}"), Ok(h));
    c.output();
    c.client.handle_timeout(Instant::from_millis(1_000));
    let events = c.poll();
    assert!(
        matches!(&events[..], [Ev::ResumeFailed(s, r)] if *s == h && r == "TimedOut"),
        "{events:?}"
    );
    assert_eq!(c.client.session_state(h), Some(SessionState::Active));
    // The late response is reported, and changes nothing.
    let events = c.feed(&frame(&opened(3)));
    assert!(
        matches!(&events[..], [Ev::Error(e)] if e.starts_with("UnknownResponse")),
        "{events:?}"
    );
    assert_eq!(c.client.session_state(h), Some(SessionState::Active));
}

#[test]
fn one_open_of_an_id_at_a_time() {
    let mut c = Conn::<4, 8>::new(16 * 1024, 4096, Config::default());
    c.client.connect(NOW, &Connect::default()).unwrap();
    let id = || SessionId::new(SID).unwrap();
    let h = c.client.create_session(NOW, id(), &()).unwrap();
    let before = c.client.transmit_bytes().to_vec();
    // While the create is in flight: no second create, no resume, no destroy.
    assert_eq!(
        c.client.create_session(NOW, id(), &()),
        Err(Error::DuplicateSession)
    );
    assert_eq!(
        c.client.resume_session(NOW, id(), &()),
        Err(Error::SessionBusy)
    );
    assert_eq!(
        c.client.session(h).destroy(NOW),
        Err(Error::SessionNotActive)
    );
    assert_eq!(c.client.transmit_bytes(), &before[..], "nothing queued");
    c.output();
    c.feed(&[frame(&ok(1, r#"{"protocolVersion":3}"#)), frame(&opened(2))].concat());
    // Open: a create is still a duplicate; a resume is a live resume.
    assert_eq!(
        c.client.create_session(NOW, id(), &()),
        Err(Error::DuplicateSession)
    );
    assert_eq!(resume(&mut c, "{}"), Ok(h));
    // While it is in flight: no second resume, no destroy.
    assert_eq!(resume(&mut c, "{}"), Err(Error::SessionBusy));
    assert_eq!(c.client.session(h).destroy(NOW), Err(Error::SessionBusy));
    c.output();
    c.feed(&frame(&opened(3)));
    assert_eq!(c.client.session_state(h), Some(SessionState::Active));
    c.client.session(h).destroy(NOW).unwrap();
    // While the destroy is in flight: no resume.
    assert_eq!(resume(&mut c, "{}"), Err(Error::SessionBusy));
}

#[test]
fn the_end_of_the_connection_fails_the_live_resume_then_closes_the_session() {
    let (mut c, h) = open_session();
    assert_eq!(resume(&mut c, "{}"), Ok(h));
    c.output();
    let events = c.close();
    assert!(
        matches!(
            &events[..],
            [Ev::ResumeFailed(a, r), Ev::Closed(b, _), Ev::End]
                if *a == h && *b == h && r == "ConnectionClosed"
        ),
        "{events:?}"
    );
}

/// Client and simulated CLI, pumped until both are quiet; returns the events, owned.
fn pump(
    client: &mut Client<'_, 4, 8>,
    inbox: &mut Inbox<'_>,
    sim: &mut Sim<'_, 4>,
    on: &mut dyn FnMut(&mut Client<'_, 4, 8>, &Event<'_>),
) -> Vec<Ev> {
    let mut seen = Vec::new();
    for _ in 0..100 {
        let n = sim.push(client.transmit_bytes());
        client.transmitted(n);
        sim.poll();
        let n = inbox.push(sim.transmit_bytes());
        sim.transmitted(n);
        let mut any = n > 0;
        while let Some(e) = client.poll_event(inbox, NOW) {
            on(client, &e);
            seen.push(Ev::of(&e));
            any = true;
        }
        if !any && client.transmit_bytes().is_empty() {
            break;
        }
    }
    seen
}

fn types(events: &[Ev]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            Ev::Session(_, t, _) => Some(t.as_str()),
            Ev::Opened(_, OpenMethod::Resume, _) => Some("(resumed)"),
            Ev::ResumeFailed(..) => Some("(resume failed)"),
            _ => None,
        })
        .collect()
}

#[test]
fn the_simulated_cli_takes_a_live_resume_between_turns_and_refuses_one_mid_turn() {
    let (mut rx, mut tx, mut srx, mut stx) = (
        vec![0u8; 16384],
        vec![0u8; 8192],
        vec![0u8; 16384],
        vec![0u8; 16384],
    );
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 4, 8> = Client::new(&mut tx, Config::default()).unwrap();
    let replies = [ModelReply::Stall, ModelReply::Text("Hello!")];
    let mut sim: Sim<'_, 4> = Sim::new(&mut srx, &mut stx, SimConfig::default().replies(&replies));
    client.connect(NOW, &Connect::default()).unwrap();
    let id = || SessionId::new(SID).unwrap();
    let h = client.create_session(NOW, id(), &()).unwrap();
    let mut nothing = |_: &mut Client<'_, 4, 8>, _: &Event<'_>| {};
    pump(&mut client, &mut inbox, &mut sim, &mut nothing);
    assert_eq!(client.session_state(h), Some(SessionState::Active));

    // Between turns: the CLI takes the new options.
    assert_eq!(client.resume_session(NOW, id(), &()), Ok(h));
    let events = pump(&mut client, &mut inbox, &mut sim, &mut nothing);
    assert_eq!(types(&events)[..2], ["(resumed)", "session.resume"]);
    assert_eq!(client.session_state(h), Some(SessionState::Active));

    // Mid-turn (the first reply stalls): refused, and the turn goes on.
    let prompt = copilot_sansio::proto::params::SessionSend::new("Hi");
    let _turn = client.session(h).send(NOW, &prompt).unwrap();
    pump(&mut client, &mut inbox, &mut sim, &mut nothing);
    assert_eq!(client.resume_session(NOW, id(), &()), Ok(h));
    let events = pump(&mut client, &mut inbox, &mut sim, &mut nothing);
    assert_eq!(types(&events), ["(resume failed)"]);
    assert_eq!(client.session_state(h), Some(SessionState::Active));
    let _abort = client.session(h).abort(NOW, None).unwrap();
    let events = pump(&mut client, &mut inbox, &mut sim, &mut nothing);
    assert!(types(&events).contains(&"session.idle"), "{events:?}");

    // The next turn plays in the same session.
    let _turn = client.session(h).send(NOW, &prompt).unwrap();
    let events = pump(&mut client, &mut inbox, &mut sim, &mut nothing);
    assert!(types(&events).contains(&"assistant.message"), "{events:?}");
    assert!(matches!(
        events.iter().find(|e| matches!(e, Ev::Response(..))),
        Some(Ev::Response(_, r)) if r.starts_with("Ok")
    ));
}
