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
