//! W3: 1,000 live sessions, 100,000 `assistant.message_delta` events round-robin (then one
//! `session.idle` each), fed through the client in 64 KiB reads; every event routed to its
//! session and read through its typed view.
//!
//! `cargo bench --bench w3_sessions`

mod common;

use std::time::Instant as Clock;

use common::*;
use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::{Client, Config, Event, Inbox, Instant, SessionHandle, SessionId};

#[global_allocator]
static ALLOC: Counting = Counting;

const SESSIONS: usize = 1_000;
const EVENTS: usize = 100_000;
const READ: usize = 64 * 1024;

type BenchClient = Client<'static, 1024, 64>;

/// The measured work; counts the events each session got.
#[inline(never)]
fn consume(
    stream: &[u8],
    inbox: &mut Inbox<'static>,
    client: &mut BenchClient,
    per_session: &mut [usize],
    text: &mut [u8],
) -> (usize, usize) {
    let now = Instant::from_millis(0);
    let (mut deltas, mut idles) = (0, 0);
    let mut at = 0;
    while at < stream.len() {
        let room = inbox.receive_buffer();
        let n = room.len().min(READ).min(stream.len() - at);
        room[..n].copy_from_slice(&stream[at..at + n]);
        inbox.received(n);
        at += n;
        while let Some(event) = client.poll_event(inbox, now) {
            let Event::Session { session, event } = event else {
                panic!("{event:?}")
            };
            per_session[session.index()] += 1;
            match event.typed() {
                TypedEvent::AssistantMessageDelta(d) => {
                    d.delta_content()
                        .unwrap()
                        .unescape_bytes_into(text)
                        .unwrap();
                    deltas += 1;
                }
                TypedEvent::SessionIdle(_) => idles += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    (deltas, idles)
}

fn main() {
    let mut rng = Rng::new(5);
    let ids: Vec<String> = (0..SESSIONS).map(|_| uuid(&mut rng)).collect();
    let (stream, _) = delta_stream(&ids, EVENTS, 6);
    median_of_runs("W3", "events_per_s", || run(&ids, &stream));
}

/// One run on a fresh client with every session open.
fn run(ids: &[String], stream: &[u8]) -> Run {
    let tx: &'static mut [u8] = Box::leak(vec![0u8; 512 * 1024].into_boxed_slice());
    let mut client: Box<BenchClient> = Box::new(Client::new(tx, Config::default()).unwrap());
    let mut inbox = Inbox::new(Box::leak(vec![0u8; 256 * 1024].into_boxed_slice()));
    let now = Instant::from_millis(0);
    // Open the sessions, 50 at a time (64 requests can be pending).
    let mut handles: Vec<SessionHandle> = Vec::new();
    let mut opened = 0;
    for (batch, chunk) in ids.chunks(50).enumerate() {
        let mut results = Vec::new();
        for (k, id) in chunk.iter().enumerate() {
            common::create_result((batch * 50 + k) as u32 + 1, id, &mut results);
            handles.push(
                client
                    .create_session(now, SessionId::new(id).unwrap(), &())
                    .unwrap(),
            );
        }
        let n = client.transmit_bytes().len();
        client.transmitted(n);
        inbox.push(&results);
        while let Some(e) = client.poll_event(&mut inbox, now) {
            opened += usize::from(matches!(e, Event::SessionOpened { .. }));
        }
    }
    assert_eq!(opened, SESSIONS);
    let mut per_session = vec![0usize; 1024];
    let mut text = vec![0u8; 4096];

    let allocs_before = allocations();
    let started = Clock::now();
    let (deltas, idles) = consume(stream, &mut inbox, &mut client, &mut per_session, &mut text);
    let secs = started.elapsed().as_secs_f64();
    let allocs = allocations() - allocs_before;
    let expected = EVENTS / SESSIONS + 1;
    let misrouted = handles
        .iter()
        .filter(|h| per_session[h.index()] != expected)
        .count();
    assert_eq!((idles, misrouted), (SESSIONS, 0));
    let rate = (deltas + idles) as f64 / secs;
    Run {
        rate,
        line: format!(
            "W3 sessions={SESSIONS} events={deltas} lost={} secs={secs:.3} events_per_s={rate:.0} mb_per_s={:.0} allocs={allocs}",
            EVENTS - deltas,
            stream.len() as f64 / secs / 1e6
        ),
    }
}
