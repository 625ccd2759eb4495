//! The `frame_decoder` target: Content-Length framing under any chunking and buffer size.

use copilot_sansio::fuzz_hook::{self as hook, Glance, HeaderStatus, Peek};
use copilot_sansio::{Client, Config, Event, HeaderError, Inbox, Instant};

use crate::rng::Rng;

/// What the inbox yields, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rec {
    Frame(Vec<u8>),
    TooLarge {
        len: u64,
        /// What the inbox found in it.
        found: String,
    },
    Malformed(HeaderError),
    Truncated {
        expected: Option<u64>,
        received: usize,
    },
}

/// Chunk sizes from a seed: the largest size is picked by the seed's low bits.
pub(crate) struct Chunks {
    rng: Rng,
    max: u64,
}

impl Chunks {
    pub(crate) fn new(seed: u8) -> Self {
        Chunks {
            rng: Rng::new(0x9E37_79B9_7F4A_7C15 ^ u64::from(seed)),
            max: [1, 3, 17, 64, 300, 1024, 4096, u64::MAX][usize::from(seed & 7)],
        }
    }

    pub(crate) fn next_len(&mut self) -> usize {
        self.rng.chunk(self.max)
    }
}

/// Runs `wire` (after 4 bytes of settings) through the inbox in chunks picked by the input, all
/// at once, and through a client, and compares each with a reference that parses the whole
/// input at once.
///
/// Settings: the receive buffer size (1 to 2048 bytes), the frame limit, the chunking.
pub fn frame_decoder(data: &[u8]) {
    let (settings, wire) = data.split_at(data.len().min(4));
    let b = |i: usize| settings.get(i).copied().unwrap_or(0);
    let rx_len = 1 + (usize::from(b(0)) | usize::from(b(1)) << 8) % 2048;
    let max_frame = match b(2) {
        0 => usize::MAX,
        n => usize::from(n) * 8,
    };
    let seed = b(3);
    let expected = reference(wire, rx_len, max_frame);
    let mut chunks = Chunks::new(seed);
    let chunked = inbox_items(wire, rx_len, max_frame, &mut || chunks.next_len());
    assert_eq!(chunked, expected, "chunked (seed {seed}) vs reference");
    let whole = inbox_items(wire, rx_len, max_frame, &mut || usize::MAX);
    assert_eq!(whole, expected, "all at once vs reference");
    let mut chunks = Chunks::new(seed.rotate_left(3));
    through_client(wire, rx_len, max_frame, &expected, &mut || {
        chunks.next_len()
    });
}

/// The items of `wire`, parsed from the whole input, for a buffer of `rx_len` bytes.
fn reference(wire: &[u8], rx_len: usize, max_frame: usize) -> Vec<Rec> {
    let mut out = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        // What a buffer of `rx_len` bytes can hold of the header, parsed in one call.
        let window = rest.get(..rx_len).unwrap_or(rest);
        let mut scan = hook::header_scan();
        let (header_len, body_len) = match hook::header_advance(&mut scan, window) {
            HeaderStatus::Malformed(e) => {
                out.push(Rec::Malformed(e));
                return out;
            }
            // The buffer is full of a header that does not end: it can never be read.
            HeaderStatus::Incomplete if rest.len() >= rx_len => {
                out.push(Rec::Malformed(HeaderError::TooLong));
                return out;
            }
            HeaderStatus::Incomplete => {
                out.push(Rec::Truncated {
                    expected: None,
                    received: rest.len(),
                });
                return out;
            }
            HeaderStatus::Done {
                header_len,
                body_len,
            } => (header_len, body_len),
        };
        let avail = rest.len() - header_len;
        let fits = body_len <= max_frame as u64
            && (header_len as u64).saturating_add(body_len) <= rx_len as u64
            && body_len <= u64::from(u32::MAX);
        if fits {
            let len = body_len as usize;
            if avail < len {
                out.push(Rec::Truncated {
                    expected: Some(body_len),
                    received: avail,
                });
                return out;
            }
            out.push(Rec::Frame(rest[header_len..header_len + len].to_vec()));
            rest = &rest[header_len + len..];
        } else {
            if (avail as u64) < body_len {
                out.push(Rec::Truncated {
                    expected: Some(body_len),
                    received: avail,
                });
                return out;
            }
            let body = &rest[header_len..header_len + body_len as usize];
            out.push(Rec::TooLarge {
                len: body_len,
                found: found(Glance::of(body).peek()),
            });
            rest = &rest[header_len + body_len as usize..];
        }
    }
    out
}

/// What a glance found, as text to compare.
pub(crate) fn found(p: Peek<'_>) -> String {
    let text = |s: Option<copilot_sansio::json::JsonStr<'_>>| s.map(|s| s.raw().to_string());
    format!(
        "object {} id {:?} (seen {}, too long {}) method {:?} (seen {}) response {} session {:?} type {:?}",
        p.is_object(),
        p.id().map(|i| i.text().to_string()),
        p.has_id(),
        p.id_too_long(),
        text(p.method()),
        p.has_method(),
        p.is_response(),
        text(p.session_id()),
        text(p.event_type()),
    )
}

/// How many frames (read or skipped) the inbox yields for `wire` before its end.
pub(crate) fn frames_in(wire: &[u8], rx_len: usize, max_frame: usize) -> usize {
    reference(wire, rx_len, max_frame)
        .iter()
        .filter(|r| matches!(r, Rec::Frame(_) | Rec::TooLarge { .. }))
        .count()
}

fn check_bounds(inbox: &Inbox<'_>, rx_len: usize) {
    assert_eq!(inbox.capacity(), rx_len);
    assert!(
        inbox.buffered() <= inbox.capacity(),
        "{} bytes buffered in {}",
        inbox.buffered(),
        inbox.capacity()
    );
}

/// Everything the inbox yields for `wire` pushed in pieces of `chunk()` bytes, committing each
/// item, then the end of input.
fn inbox_items(
    wire: &[u8],
    rx_len: usize,
    max_frame: usize,
    chunk: &mut dyn FnMut() -> usize,
) -> Vec<Rec> {
    let mut buf = vec![0u8; rx_len];
    let mut inbox = Inbox::new(&mut buf).with_max_frame_len(max_frame);
    let mut out = Vec::new();
    let mut fed = 0;
    loop {
        check_bounds(&inbox, rx_len);
        loop {
            hook::advance(&mut inbox);
            let rec = match hook::next_item(&inbox) {
                hook::Item::Frame { body, commit } => {
                    let rec = Rec::Frame(body.to_vec());
                    hook::commit(commit);
                    rec
                }
                hook::Item::TooLarge {
                    len,
                    glance,
                    commit,
                } => {
                    let rec = Rec::TooLarge {
                        len,
                        found: found(glance.peek()),
                    };
                    hook::commit(commit);
                    rec
                }
                hook::Item::Malformed { error, commit } => {
                    hook::commit(commit);
                    Rec::Malformed(error)
                }
                hook::Item::Truncated {
                    expected,
                    received,
                    commit,
                } => {
                    assert!(inbox.is_closed(), "truncation reported before the end");
                    hook::commit(commit);
                    Rec::Truncated { expected, received }
                }
                hook::Item::End => {
                    assert!(
                        matches!(hook::next_item(&inbox), hook::Item::End),
                        "the end is not final"
                    );
                    assert!(
                        fed == wire.len() || matches!(out.last(), Some(Rec::Malformed(_))),
                        "ended with {} of {} bytes fed",
                        fed,
                        wire.len()
                    );
                    return out;
                }
                hook::Item::NeedMore => {
                    assert!(!inbox.is_closed(), "waits for more after the end of input");
                    break;
                }
            };
            out.push(rec);
            assert!(
                out.len() <= wire.len() / 2 + 2,
                "more items than input allows"
            );
            check_bounds(&inbox, rx_len);
        }
        if fed == wire.len() {
            inbox.close();
            continue;
        }
        let end = fed + chunk().clamp(1, wire.len() - fed);
        let took = inbox.push(&wire[fed..end]);
        assert!(took <= end - fed);
        assert!(
            took > 0,
            "stalled: {}-byte receive buffer full of an incomplete item ({} of {} bytes fed)",
            rx_len,
            fed,
            wire.len()
        );
        fed += took;
    }
}

/// The same input through a client (which handles nothing, so it answers requests itself):
/// one event per item, then `Closed`, whatever the chunking, as long as output is written.
fn through_client(
    wire: &[u8],
    rx_len: usize,
    max_frame: usize,
    expected: &[Rec],
    chunk: &mut dyn FnMut() -> usize,
) {
    let mut rx = vec![0u8; rx_len];
    let mut tx = vec![0u8; 2048];
    let mut inbox = Inbox::new(&mut rx).with_max_frame_len(max_frame);
    let mut client: Client<'_, 2, 2> = match Client::new(&mut tx, Config::default()) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let now = Instant::from_millis(0);
    let mut events = 0usize;
    let mut fed = 0;
    let mut written = Vec::new();
    let mut closed = false;
    let mut idle_rounds = 0;
    while !closed {
        let mut progress = false;
        loop {
            let frames = client.stats().frames;
            let Some(event) = client.poll_event(&mut inbox, now) else {
                assert_eq!(
                    client.stats().frames,
                    frames,
                    "a frame consumed without an event"
                );
                break;
            };
            assert!(
                client.stats().frames <= frames + 1,
                "one poll took two frames"
            );
            progress = true;
            events += 1;
            if let Event::Closed = event {
                closed = true;
                break;
            }
            assert!(events <= expected.len(), "more events than items");
        }
        let out = client.transmit_bytes();
        if !out.is_empty() {
            written.extend_from_slice(out);
            let n = out.len();
            client.transmitted(n);
            progress = true;
        }
        if closed {
            break;
        }
        if fed < wire.len() {
            let end = fed + chunk().clamp(1, wire.len() - fed);
            let took = inbox.push(&wire[fed..end]);
            fed += took;
            progress |= took > 0;
        } else if !inbox.is_closed() {
            inbox.close();
            progress = true;
        }
        idle_rounds = if progress { 0 } else { idle_rounds + 1 };
        assert!(
            idle_rounds < 3,
            "client stalled: {events} events, {fed} of {} bytes fed, {} buffered, output empty",
            wire.len(),
            inbox.buffered()
        );
    }
    assert_eq!(
        events,
        expected.len() + 1,
        "one event per item, then Closed"
    );
    let frames = expected
        .iter()
        .filter(|r| matches!(r, Rec::Frame(_) | Rec::TooLarge { .. }))
        .count();
    assert_eq!(client.stats().frames, frames as u64);
    assert!(client.poll_event(&mut inbox, now).is_none());
    assert!(client.is_closed());
    crate::wire::check_output_framing(&written, &format!("{expected:?}"));
}
