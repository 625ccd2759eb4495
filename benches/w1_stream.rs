//! W1: one session, 200,000 `assistant.message_delta` events (about 480 bytes each, text with
//! escapes and non-ASCII) then `session.idle`, fed through the client in 64 KiB reads; every
//! delta is read through its typed view and its text unescaped into a buffer.
//!
//! `cargo bench --bench w1_stream`

mod common;

use std::time::Instant as Clock;

use common::*;
use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::{Client, Config, Event, Inbox, Instant, SessionId};

#[global_allocator]
static ALLOC: Counting = Counting;

const READ: usize = 64 * 1024;

/// The measured work: reads of up to 64 KiB into the inbox, every event taken and read.
#[inline(never)]
fn consume(
    stream: &[u8],
    inbox: &mut Inbox<'_>,
    client: &mut Client<'_, 8, 16>,
    h: copilot_sansio::SessionHandle,
    text: &mut [u8],
) -> (usize, usize, usize, usize) {
    let now = Instant::from_millis(0);
    let (mut deltas, mut idles, mut unescaped, mut other) = (0usize, 0usize, 0usize, 0usize);
    let mut at = 0;
    while at < stream.len() {
        // A read: up to 64 KiB straight into the inbox.
        let room = inbox.receive_buffer();
        let n = room.len().min(READ).min(stream.len() - at);
        room[..n].copy_from_slice(&stream[at..at + n]);
        inbox.received(n);
        at += n;
        while let Some(event) = client.poll_event(inbox, now) {
            match event {
                Event::Session { session, event } if session == h => match event.typed() {
                    TypedEvent::AssistantMessageDelta(d) => {
                        let t = d.delta_content().unwrap();
                        unescaped += t.unescape_bytes_into(text).unwrap().len();
                        deltas += 1;
                    }
                    TypedEvent::SessionIdle(_) => idles += 1,
                    _ => other += 1,
                },
                _ => other += 1,
            }
        }
    }
    (deltas, idles, unescaped, other)
}

fn main() {
    // W1_EVENTS: a smaller run for profiling (callgrind).
    let events: usize = std::env::var("W1_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let mut rng = Rng::new(1);
    let session = uuid(&mut rng);
    let (stream, text_bytes) = delta_stream(std::slice::from_ref(&session), events, 2);
    println!(
        "W1 bytes={} bytes_per_event={}",
        stream.len(),
        stream.len() / (events + 1)
    );
    median_of_runs("W1", "events_per_s", || {
        run(&session, &stream, events, text_bytes)
    });
}

/// One run on a fresh client.
fn run(session: &str, stream: &[u8], events: usize, text_bytes: usize) -> Run {
    let mut result = Vec::new();
    common::create_result(1, session, &mut result);
    let mut rx = vec![0u8; 256 * 1024];
    let mut tx = vec![0u8; 16 * 1024];
    let mut text = vec![0u8; 4096];
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 8, 16> = Client::new(&mut tx, Config::default()).unwrap();
    let now = Instant::from_millis(0);
    let h = client
        .create_session(now, SessionId::new(session).unwrap(), &())
        .unwrap();
    let n = client.transmit_bytes().len();
    client.transmitted(n);
    inbox.push(&result);
    while client.poll_event(&mut inbox, now).is_some() {}

    let allocs_before = allocations();
    let started = Clock::now();
    let (deltas, idles, unescaped, other) = consume(stream, &mut inbox, &mut client, h, &mut text);
    let secs = started.elapsed().as_secs_f64();
    let allocs = allocations() - allocs_before;
    assert_eq!((idles, other), (1, 0));
    assert!(unescaped > 0 && unescaped <= text_bytes);
    let lost = events - deltas;
    let rate = deltas as f64 / secs;
    Run {
        rate,
        line: format!(
            "W1 events={deltas} lost={lost} secs={secs:.3} events_per_s={rate:.0} mb_per_s={:.0} allocs={allocs}",
            stream.len() as f64 / secs / 1e6
        ),
    }
}
