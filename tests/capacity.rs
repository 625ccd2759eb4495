//! Fixed capacity: a full table refuses cleanly, slots are reused, nothing leaks.

mod support;

use copilot_sansio::{Config, Error, Instant, SessionId, SessionState};
use support::*;

fn body_ok(id: u32, sid: &str) -> Vec<u8> {
    frame(&format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"sessionId":"{sid}"}}}}"#
    ))
}

fn body_err(id: u32) -> Vec<u8> {
    frame(&format!(
        r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32603,"message":"session construction failed"}}}}"#
    ))
}

#[test]
fn a_full_table_refuses_create_and_queues_nothing() {
    let mut c = Conn::<2, 8>::new(4096, 4096, Config::default());
    let a = c
        .client
        .create_session(NOW, SessionId::new("a").unwrap(), &())
        .unwrap();
    let _ = c
        .client
        .create_session(NOW, SessionId::new("b").unwrap(), &())
        .unwrap();
    let queued = c.client.transmit_bytes().len();
    let pending = c.client.pending_requests();
    assert_eq!(
        c.client
            .create_session(NOW, SessionId::new("c").unwrap(), &()),
        Err(Error::SessionTableFull)
    );
    assert_eq!(
        c.client
            .resume_session(NOW, SessionId::new("c").unwrap(), &()),
        Err(Error::SessionTableFull)
    );
    assert_eq!(c.client.transmit_bytes().len(), queued);
    assert_eq!(c.client.pending_requests(), pending);
    assert_eq!(c.client.find_session("c"), None);
    // The failed open frees a slot, which the next create reuses.
    c.output();
    assert_eq!(c.feed(&body_err(1)).len(), 1);
    let c2 = c
        .client
        .create_session(NOW, SessionId::new("c").unwrap(), &())
        .unwrap();
    assert_eq!(c2.index(), a.index());
    assert_eq!(
        c.client.session_state(c2),
        Some(SessionState::Pending(copilot_sansio::OpenMethod::Create))
    );
}

#[test]
fn refused_creates_leave_nothing_behind() {
    let mut c = Conn::<4, 2>::new(4096, 512, Config::default());
    let _ = c
        .client
        .create_session(NOW, SessionId::new("a").unwrap(), &())
        .unwrap();
    assert_eq!(
        c.client
            .create_session(NOW, SessionId::new("a").unwrap(), &()),
        Err(Error::DuplicateSession)
    );
    // Options that are not an object, or that set the id themselves.
    assert_eq!(
        c.client
            .create_session(NOW, SessionId::new("x").unwrap(), &[1, 2]),
        Err(Error::InvalidParams)
    );
    let sets_id = copilot_sansio::json::RawJson::parse(r#"{"model":"m","sessionId":"y"}"#).unwrap();
    assert_eq!(
        c.client
            .create_session(NOW, SessionId::new("x").unwrap(), &sets_id),
        Err(Error::InvalidParams)
    );
    // Options too big for the transmit buffer.
    let big_text = format!(r#"{{"model":"{}"}}"#, "m".repeat(600));
    let big = copilot_sansio::json::RawJson::parse(&big_text).unwrap();
    assert!(matches!(
        c.client
            .create_session(NOW, SessionId::new("x").unwrap(), &big),
        Err(Error::TransmitFull { .. })
    ));
    // Too many pending requests.
    let _ = c.client.request(NOW, "ping", &()).unwrap();
    assert_eq!(
        c.client
            .create_session(NOW, SessionId::new("x").unwrap(), &()),
        Err(Error::TooManyPending)
    );
    assert_eq!(c.client.session_slots_in_use(), 1);
    assert_eq!(c.client.find_session("x"), None);
    assert_eq!(c.client.pending_requests(), 2);
    assert_eq!(SessionId::new(""), Err(copilot_sansio::InvalidSessionId));
}

#[test]
fn ten_thousand_create_fail_destroy_cycles_leave_the_table_empty() {
    let mut c = Conn::<4, 8>::new(8192, 8192, Config::default());
    let mut id = 0u32;
    let mut rng = Rng::new(42);
    for cycle in 0..10_000u32 {
        let mut random = [0u8; 16];
        for b in random.iter_mut() {
            *b = rng.next() as u8;
        }
        let ok = c
            .client
            .create_session(NOW, SessionId::new_v4(random), &())
            .unwrap();
        let sid = c.client.session_id(ok).unwrap().as_str().to_string();
        let bad = c
            .client
            .create_session(NOW, SessionId::new(&format!("fail-{cycle}")).unwrap(), &())
            .unwrap();
        c.output();
        let events = c.feed(&[body_ok(id + 1, &sid), body_err(id + 2)].concat());
        assert!(
            matches!(&events[..], [Ev::Opened(a, ..), Ev::OpenFailed(b, ..)] if *a == ok && *b == bad)
        );
        c.client.session(ok).destroy(NOW).unwrap();
        c.output();
        let events = c.feed(&frame(&format!(
            r#"{{"jsonrpc":"2.0","id":{},"result":null}}"#,
            id + 3
        )));
        assert_eq!(events, [Ev::Closed(ok, "Ok(())".into())]);
        id += 3;
        assert_eq!(c.client.session_slots_in_use(), 0, "cycle {cycle}");
        assert_eq!(c.client.pending_requests(), 0);
    }
    assert_eq!(c.client.sessions().count(), 0);
    assert_eq!(c.client.stats().frames, 30_000);
}

#[test]
fn a_session_full_of_unanswered_requests_cannot_starve_the_server() {
    // More server requests than the table tracks: the overflow is answered at once.
    let mut c = Conn::<2, 2>::new(
        8192,
        8192,
        Config::default().caller_answers(copilot_sansio::CallerAnswers::ALL),
    );
    let mut input = Vec::new();
    for i in 0..5 {
        input.extend(frame(&format!(
            r#"{{"jsonrpc":"2.0","id":{i},"method":"llmInference.httpRequestStart","params":{{}}}}"#
        )));
    }
    let events = c.feed(&input);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Ev::Request { .. }))
            .count(),
        2
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Ev::Auto(a) if a.contains("TooManyPending")))
            .count(),
        3
    );
    let out = c.output_text();
    for i in 2..5 {
        assert!(
            out.contains(&format!(
                r#""id":{i},"error":{{"code":-32603,"message":"too many pending requests"}}"#
            )),
            "{out}"
        );
    }
    assert_eq!(c.client.pending_server_requests(), 2);
    let _ = Instant::from_millis(0);
}
