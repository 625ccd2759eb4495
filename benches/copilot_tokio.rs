//! W1 through the tokio `Copilot`: one session, 200,000 `assistant.message_delta` events of
//! about 500 bytes, each reaching the session's handler (an `on_delta` closure, borrowed from
//! the receive buffer) while `send_and_wait` waits for the turn. A fake CLI task on the other
//! end of an in-memory duplex stream answers the handshake, the create and the send, then
//! writes the prepared stream. Counts events per second and heap allocations per event (after
//! a warm-up turn); then the same with a stream of owned events (`session.events()`) watched
//! from another task, which copies each event.
//!
//! `cargo bench --bench copilot_tokio --features tokio` (`BENCH_RUNS` runs, 5 unless set).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant as Clock;

use common::*;
use copilot_sansio::proto::params::SessionOptions;
use copilot_sansio::tokio::{Copilot, Handlers};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

#[global_allocator]
static ALLOC: Counting = Counting;

const EVENTS: usize = 200_000;

/// The frames of one request the client wrote: its id and method, and its session id.
struct Asked {
    id: u64,
    method: String,
    session: Option<String>,
}

/// Takes the whole frames out of `buf`.
fn requests(buf: &mut Vec<u8>) -> Vec<Asked> {
    let mut out = Vec::new();
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return out;
        };
        let head = std::str::from_utf8(&buf[..end]).expect("header");
        let len: usize = head["Content-Length: ".len()..].parse().expect("length");
        if buf.len() < end + 4 + len {
            return out;
        }
        let body: serde_json::Value =
            serde_json::from_slice(&buf[end + 4..end + 4 + len]).expect("json");
        buf.drain(..end + 4 + len);
        if let (Some(id), Some(method)) = (body["id"].as_u64(), body["method"].as_str()) {
            out.push(Asked {
                id,
                method: method.to_string(),
                session: body["params"]["sessionId"].as_str().map(str::to_string),
            });
        }
    }
}

/// The turns of one connection: a warm-up and the measured one.
const TURNS: u64 = 2;

/// The events of turn `turn` of session `sid`: its user message, `EVENTS` deltas and the end.
fn turn_events(sid: &str, turn: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let env = Envelope {
        session: sid,
        id: "u-1",
        parent: None,
        ms: 0,
    };
    let data = format!(r#"{{"content":"go","messageId":"m-{turn}"}}"#);
    event_frame(&env, "user.message", &data, false, &mut out);
    let (deltas, _) = delta_stream(&[sid.to_string()], EVENTS, turn);
    out.extend_from_slice(&deltas);
    out
}

/// The fake CLI: answers what it is asked; on each `session.send`, the turn's events.
async fn fake_cli(mut stream: DuplexStream) {
    let mut inbox = Vec::new();
    let mut read = vec![0u8; 64 * 1024];
    let mut turn = 0u64;
    let mut prepared: Vec<Vec<u8>> = Vec::new();
    loop {
        let n = match stream.read(&mut read).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        inbox.extend_from_slice(&read[..n]);
        for asked in requests(&mut inbox) {
            let mut out = Vec::new();
            let id = asked.id;
            match (asked.method.as_str(), asked.session) {
                ("connect", _) => frame_into(
                    &format!(
                        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"ok":true,"protocolVersion":3,"version":"1.0.102"}}}}"#
                    ),
                    &mut out,
                ),
                ("session.create", Some(sid)) => {
                    prepared = (1..=TURNS).map(|t| turn_events(&sid, t)).collect();
                    create_result(id as u32, &sid, &mut out);
                }
                // Like a CLI without `session.sendAndWait`: the client falls back to
                // `session.send` and watches the events for the turn's end.
                ("session.sendAndWait", Some(_)) => {
                    frame_into(
                        &format!(
                            r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32601,"message":"Method not found"}}}}"#
                        ),
                        &mut out,
                    );
                }
                ("session.send", Some(_)) => {
                    turn += 1;
                    frame_into(
                        &format!(
                            r#"{{"jsonrpc":"2.0","id":{id},"result":{{"messageId":"m-{turn}"}}}}"#
                        ),
                        &mut out,
                    );
                    if stream.write_all(&out).await.is_err() {
                        return;
                    }
                    out.clear();
                    // Prepared when the session was created: building the frames (which
                    // allocates) stays out of the measured turn.
                    let Some(events) = prepared.get(turn as usize - 1) else {
                        return;
                    };
                    if stream.write_all(events).await.is_err() {
                        return;
                    }
                }
                (_, _) => frame_into(
                    &format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{}}}}"#),
                    &mut out,
                ),
            }
            if stream.write_all(&out).await.is_err() {
                return;
            }
        }
    }
}

/// One measured turn: events per second and allocations per event; with `stream`, the
/// session's owned events are also read by another task.
async fn turn(stream: bool) -> (f64, f64) {
    let (ours, theirs) = tokio::io::duplex(256 * 1024);
    tokio::spawn(fake_cli(theirs));
    let (reader, writer) = tokio::io::split(ours);
    let copilot = Copilot::attach(reader, writer).await.expect("attach");
    let deltas = Arc::new(AtomicU64::new(0));
    let seen = deltas.clone();
    let handlers = Handlers::new().on_delta(move |text| {
        if !text.is_empty() {
            seen.fetch_add(1, Ordering::Relaxed);
        }
    });
    let options = SessionOptions::default().streaming(true);
    let session = copilot
        .create_session(&options, handlers)
        .await
        .expect("session");
    // A warm-up turn: buffers, tables and the `sendAndWait` probe are settled after it.
    session
        .send_and_wait("warm up")
        .await
        .expect("warm-up turn");
    let watcher = stream.then(|| {
        let mut events = session.events();
        tokio::spawn(async move {
            let mut n = 0u64;
            while let Some(event) = events.recv().await {
                n += 1;
                if event.is("session.idle") {
                    break;
                }
            }
            n
        })
    });
    let before = deltas.load(Ordering::Relaxed);
    let allocs_before = allocations();
    let start = Clock::now();
    session.send_and_wait("go").await.expect("turn");
    let secs = start.elapsed().as_secs_f64();
    let allocs = allocations() - allocs_before;
    let events = deltas.load(Ordering::Relaxed) - before;
    assert_eq!(events, EVENTS as u64, "every delta reached the handler");
    if let Some(w) = watcher {
        let copied = w.await.expect("watcher");
        assert!(
            copied >= EVENTS as u64,
            "the stream saw every event ({copied})"
        );
    }
    copilot.shutdown().await.expect("shutdown");
    (events as f64 / secs, allocs as f64 / events as f64)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for (name, stream) in [
        ("W1 through tokio Copilot, handler", false),
        (
            "W1 through tokio Copilot, handler + owned event stream",
            true,
        ),
    ] {
        median_of_runs(&name.replace(' ', "_"), "events_per_s", || {
            let (rate, allocs) = runtime.block_on(turn(stream));
            Run {
                rate,
                line: format!(
                    "{name}: {:.2} M events/s, {allocs:.3} allocations per event",
                    rate / 1e6
                ),
            }
        });
    }
}
