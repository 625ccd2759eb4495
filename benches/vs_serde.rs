//! W1 and W3 side by side with what a std user would write instead: serde_json into borrowed
//! structs. Both do the same work per frame, framing included: take 64 KiB reads into a
//! receive buffer, find each frame by its `Content-Length` header, parse its body, check that
//! it is a `session.event` of one of our sessions, read its event type and unescape
//! `deltaContent`. The two run interleaved in one process, each on fresh state, and the medians
//! of the runs are compared.
//!
//! A third line, `CHECK`, compares only the check that each W1 frame body is JSON: the
//! validator every frame goes through here (`json::validate`: syntax, depth, the UTF-8 of every
//! string) against serde_json skipping the same body (`IgnoredAny`), which checks the same.
//! It is the floor under both contenders' numbers above.
//!
//! Two more lines put a SIMD JSON parser beside serde_json, measured the same way: simd-json
//! (AVX2 or SSE4.2 picked at run time, `unsafe` inside; the line `simd_json_implementation`
//! says which). It parses in place, so each body is first copied into a reused buffer, and that
//! copy is part of its time. `W1_SIMD` is the W1 work of the serde_json side done with
//! simd-json's serde support into the same borrowed structs (`simd_consume`, with the same
//! framing, routing and unescaped copy; its events per second and ratio are simd-json's over
//! serde_json's). `CHECK_SIMD` is the `CHECK` of the W1 bodies with simd-json's cheapest full
//! check (`fill_tape_padded`: structure, numbers, strings and the UTF-8 of the whole body) in
//! place of `json::validate`, again against serde_json's `IgnoredAny`, in bodies per second.
//!
//! `cargo bench --bench vs_serde` (`BENCH_RUNS` runs of each, 7 unless set; `VS_SERDE_ONLY=W1`,
//! `W3`, `CHECK`, `W1_SIMD` or `CHECK_SIMD` for one workload, e.g. to count instructions per
//! event under callgrind with `--toggle-collect='*serde_consume*'`, `'*sansio_consume*'` or
//! `'*simd_consume*'`)

mod common;

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Instant as Clock;

use common::*;
use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::{Client, Config, Event, Inbox, Instant, SessionHandle, SessionId};
use serde::Deserialize;

#[global_allocator]
static ALLOC: Counting = Counting;

const READ: usize = 64 * 1024;
const RX: usize = 256 * 1024;

// ---- serde_json into borrowed structs -------------------------------------------------------

#[derive(Deserialize)]
struct Frame<'a> {
    jsonrpc: &'a str,
    method: &'a str,
    #[serde(borrow)]
    params: Params<'a>,
}

#[derive(Deserialize)]
struct Params<'a> {
    #[serde(rename = "sessionId")]
    session_id: &'a str,
    #[serde(borrow)]
    event: SessionEvent<'a>,
}

#[derive(Deserialize)]
struct SessionEvent<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow)]
    data: Data<'a>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(rename = "deltaContent", borrow, default)]
    delta_content: Option<Text<'a>>,
}

/// A string that borrows from the body when it can (when it has no escape, with serde_json).
/// serde borrows a `Cow<str>` only when it is the field's own type: inside an `Option` it
/// would always be an owned copy.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// A receive buffer with `Content-Length` framing, as a std program would write it.
struct Framer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Framer {
    fn new() -> Self {
        Framer {
            buf: vec![0; RX],
            start: 0,
            end: 0,
        }
    }

    /// Room for the next read (moving what is left to the front first).
    fn room(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        &mut self.buf[self.end..]
    }

    /// The next complete frame body, if any.
    fn next(&mut self) -> Option<&[u8]> {
        let data = &self.buf[self.start..self.end];
        let header_end = data.windows(4).position(|w| w == b"\r\n\r\n")?;
        let mut len = None;
        for line in data[..header_end].split(|&c| c == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.iter().position(|&c| c == b':') else {
                continue;
            };
            if line[..colon].eq_ignore_ascii_case(b"content-length") {
                len = std::str::from_utf8(&line[colon + 1..])
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok());
            }
        }
        let len = len.expect("Content-Length");
        let body_start = header_end + 4;
        if data.len() < body_start + len {
            return None;
        }
        let body = self.start + body_start..self.start + body_start + len;
        self.start = body.end;
        Some(&self.buf[body])
    }
}

/// Counts of what a serde run saw.
#[derive(Default, Debug, PartialEq)]
struct Seen {
    deltas: usize,
    idles: usize,
    unescaped: usize,
    other: usize,
}

impl Seen {
    /// What a parsed frame is for: routed to its session, counted, its delta copied to `text`.
    #[inline(always)]
    fn frame(
        &mut self,
        frame: Frame<'_>,
        route: &HashMap<&str, usize>,
        per_session: &mut [usize],
        text: &mut Vec<u8>,
    ) {
        if frame.jsonrpc != "2.0" || frame.method != "session.event" {
            self.other += 1;
            return;
        }
        let Some(&session) = route.get(frame.params.session_id) else {
            self.other += 1;
            return;
        };
        per_session[session] += 1;
        match frame.params.event.kind {
            "assistant.message_delta" => {
                let Text(delta) = frame.params.event.data.delta_content.expect("deltaContent");
                // The unescaped text, into the caller's buffer (as the client side does).
                text.clear();
                text.extend_from_slice(delta.as_bytes());
                self.unescaped += text.len();
                self.deltas += 1;
            }
            "session.idle" => self.idles += 1,
            _ => self.other += 1,
        }
    }
}

/// The measured work with serde_json: `route` maps a session id to its index.
#[inline(never)]
fn serde_consume(
    stream: &[u8],
    framer: &mut Framer,
    route: &HashMap<&str, usize>,
    per_session: &mut [usize],
    text: &mut Vec<u8>,
) -> Seen {
    let mut seen = Seen::default();
    let mut at = 0;
    while at < stream.len() {
        let room = framer.room();
        let n = room.len().min(READ).min(stream.len() - at);
        room[..n].copy_from_slice(&stream[at..at + n]);
        framer.end += n;
        at += n;
        while let Some(body) = framer.next() {
            let frame: Frame<'_> = serde_json::from_slice(body).expect("valid frame");
            seen.frame(frame, route, per_session, text);
        }
    }
    seen
}

fn serde_run(name: &str, ids: &[String], stream: &[u8]) -> (f64, Seen, u64) {
    framed_run(name, "serde", ids, stream, serde_consume)
}

/// What simd-json keeps from frame to frame: it parses in place (`&mut [u8]`), so each body
/// is copied into `input` first, and its working buffers (`Buffers`) are reused.
struct SimdScratch {
    input: Vec<u8>,
    buffers: simd_json::Buffers,
}

impl SimdScratch {
    fn new() -> Self {
        SimdScratch {
            input: Vec::with_capacity(4096),
            buffers: simd_json::Buffers::new(4096),
        }
    }
}

/// The work of `serde_consume`, with simd-json's serde support into the same borrowed
/// structs (the strings borrow from `scratch.input`, where simd-json unescapes them).
#[inline(never)]
fn simd_consume(
    stream: &[u8],
    framer: &mut Framer,
    route: &HashMap<&str, usize>,
    per_session: &mut [usize],
    text: &mut Vec<u8>,
    scratch: &mut SimdScratch,
) -> Seen {
    let mut seen = Seen::default();
    let mut at = 0;
    while at < stream.len() {
        let room = framer.room();
        let n = room.len().min(READ).min(stream.len() - at);
        room[..n].copy_from_slice(&stream[at..at + n]);
        framer.end += n;
        at += n;
        while let Some(body) = framer.next() {
            scratch.input.clear();
            scratch.input.extend_from_slice(body);
            // A new tape (one allocation) per frame: this entry point does not take one in.
            let frame: Frame<'_> =
                simd_json::serde::from_slice_with_buffers(&mut scratch.input, &mut scratch.buffers)
                    .expect("valid frame");
            seen.frame(frame, route, per_session, text);
        }
    }
    seen
}

fn simd_run(name: &str, ids: &[String], stream: &[u8]) -> (f64, Seen, u64) {
    let mut scratch = SimdScratch::new();
    framed_run(name, "simd-json", ids, stream, |s, f, r, p, t| {
        simd_consume(s, f, r, p, t, &mut scratch)
    })
}

/// One run of `consume` (`serde_consume` or `simd_consume`) on fresh state.
fn framed_run(
    name: &str,
    side: &str,
    ids: &[String],
    stream: &[u8],
    consume: impl FnOnce(&[u8], &mut Framer, &HashMap<&str, usize>, &mut [usize], &mut Vec<u8>) -> Seen,
) -> (f64, Seen, u64) {
    let route: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| (id.as_str(), k))
        .collect();
    let mut framer = Framer::new();
    let mut per_session = vec![0usize; ids.len()];
    let mut text = Vec::with_capacity(4096);
    let allocs_before = allocations();
    let started = Clock::now();
    let seen = consume(stream, &mut framer, &route, &mut per_session, &mut text);
    let secs = started.elapsed().as_secs_f64();
    let allocs = allocations() - allocs_before;
    assert_eq!(seen.other, 0, "{name} {side}");
    (((seen.deltas + seen.idles) as f64) / secs, seen, allocs)
}

// ---- copilot-sansio ------------------------------------------------------------------------

/// The measured work with the client (the loop of `w1_stream` and `w3_sessions`).
#[inline(never)]
fn sansio_consume<const S: usize, const P: usize>(
    stream: &[u8],
    inbox: &mut Inbox<'_>,
    client: &mut Client<'_, S, P>,
    per_session: &mut [usize],
    text: &mut [u8],
) -> Seen {
    let now = Instant::from_millis(0);
    let mut seen = Seen::default();
    let mut at = 0;
    while at < stream.len() {
        let room = inbox.receive_buffer();
        let n = room.len().min(READ).min(stream.len() - at);
        room[..n].copy_from_slice(&stream[at..at + n]);
        inbox.received(n);
        at += n;
        while let Some(event) = client.poll_event(inbox, now) {
            let Event::Session { session, event } = event else {
                seen.other += 1;
                continue;
            };
            per_session[session.index()] += 1;
            match event.typed() {
                TypedEvent::AssistantMessageDelta(d) => {
                    let t = d.delta_content().expect("deltaContent");
                    seen.unescaped += t.unescape_bytes_into(text).expect("room").len();
                    seen.deltas += 1;
                }
                TypedEvent::SessionIdle(_) => seen.idles += 1,
                _ => seen.other += 1,
            }
        }
    }
    seen
}

fn sansio_run<const S: usize, const P: usize>(
    name: &str,
    ids: &[String],
    stream: &[u8],
) -> (f64, Seen, u64) {
    let mut tx = vec![0u8; 512 * 1024];
    let mut rx = vec![0u8; RX];
    let mut client: Box<Client<'_, S, P>> =
        Box::new(Client::new(&mut tx, Config::default()).expect("client"));
    let mut inbox = Inbox::new(&mut rx);
    let now = Instant::from_millis(0);
    // Open the sessions, 50 at a time (fewer requests than that can be pending).
    let mut handles: Vec<SessionHandle> = Vec::new();
    for (batch, chunk) in ids.chunks(50).enumerate() {
        let mut results = Vec::new();
        for (k, id) in chunk.iter().enumerate() {
            common::create_result((batch * 50 + k) as u32 + 1, id, &mut results);
            let id = SessionId::new(id).expect("session id");
            handles.push(client.create_session(now, id, &()).expect("create"));
        }
        let n = client.transmit_bytes().len();
        client.transmitted(n);
        inbox.push(&results);
        while client.poll_event(&mut inbox, now).is_some() {}
    }
    let mut per_session = vec![0usize; S];
    let mut text = vec![0u8; 4096];
    let allocs_before = allocations();
    let started = Clock::now();
    let seen = sansio_consume(stream, &mut inbox, &mut client, &mut per_session, &mut text);
    let secs = started.elapsed().as_secs_f64();
    let allocs = allocations() - allocs_before;
    assert_eq!(seen.other, 0, "{name} copilot-sansio");
    let expected = per_session[handles[0].index()];
    assert!(handles.iter().all(|h| per_session[h.index()] == expected));
    (((seen.deltas + seen.idles) as f64) / secs, seen, allocs)
}

// ---- the check alone ------------------------------------------------------------------------

/// Checks every body with `check`; the rate is bodies per second.
fn check_run(bodies: &[&[u8]], mut check: impl FnMut(&[u8]) -> bool) -> (f64, Seen, u64) {
    let allocs_before = allocations();
    let started = Clock::now();
    let valid = bodies.iter().filter(|b| check(b)).count();
    let secs = started.elapsed().as_secs_f64();
    let allocs = allocations() - allocs_before;
    assert_eq!(valid, bodies.len(), "every body is JSON");
    let seen = Seen {
        other: valid,
        ..Seen::default()
    };
    (valid as f64 / secs, seen, allocs)
}

#[inline(never)]
fn sansio_check(body: &[u8]) -> bool {
    copilot_sansio::json::validate(body, copilot_sansio::json::MAX_DEPTH).is_ok()
}

#[inline(never)]
fn serde_check(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// simd-json's cheapest full check, `fill_tape_padded`: both of its stages (structure and the
/// UTF-8 of the whole body, then every value: numbers parsed, strings unescaped) into a reused
/// tape, in place in a reused, padded copy of the body. `to_tape` and `to_borrowed_value` do the
/// same and more: a new tape (and tree) per body, and another copy of the body inside.
struct SimdCheck {
    input: Vec<u8>,
    buffers: simd_json::Buffers,
    /// The tape between bodies (empty, so it borrows nothing).
    tape: Option<simd_json::Tape<'static>>,
}

impl SimdCheck {
    fn new() -> Self {
        SimdCheck {
            input: Vec::with_capacity(4096),
            buffers: simd_json::Buffers::new(4096),
            tape: Some(simd_json::Tape::null()),
        }
    }

    #[inline(never)]
    fn simd_check(&mut self, body: &[u8]) -> bool {
        self.input.clear();
        self.input.extend_from_slice(body);
        self.input
            .resize(body.len() + simd_json::INPUT_PADDING, b' ');
        let mut tape = self.tape.take().expect("tape").reset();
        let valid =
            simd_json::fill_tape_padded(&mut self.input, body.len(), &mut self.buffers, &mut tape)
                .is_ok();
        self.tape = Some(tape.reset());
        valid
    }
}

// ---- side by side --------------------------------------------------------------------------

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Runs both sides `runs` times, interleaved, and prints the medians and their ratio (the
/// first side's over the second's), each side under its label.
fn compare(
    name: &str,
    runs: usize,
    [our_name, theirs_name]: [&str; 2],
    mut first: impl FnMut() -> (f64, Seen, u64),
    mut second: impl FnMut() -> (f64, Seen, u64),
) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_allocs, mut their_allocs) = (0, 0);
    for _ in 0..runs {
        let (rate, seen_ours, allocs) = first();
        ours.push(rate);
        our_allocs = allocs;
        let (rate, seen_theirs, allocs) = second();
        theirs.push(rate);
        their_allocs = allocs;
        assert_eq!(
            seen_ours, seen_theirs,
            "{name}: both sides see the same events"
        );
    }
    let (a, b) = (median(ours.clone()), median(theirs.clone()));
    let spread = |v: &[f64]| {
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, 0f64), |(l, h), &x| (l.min(x), h.max(x)));
        format!("{:.2}-{:.2}", lo / 1e6, hi / 1e6)
    };
    println!(
        "{name} runs={runs} {our_name}_median_events_per_s={a:.0} ({} M) allocs={our_allocs} \
         {theirs_name}_median_events_per_s={b:.0} ({} M) allocs={their_allocs} ratio={:.2}",
        spread(&ours),
        spread(&theirs),
        a / b
    );
}

/// W1: one session, 200,000 deltas (the stream of `w1_stream`), and the session's id.
fn w1_stream() -> (Vec<String>, Vec<u8>) {
    let mut rng = Rng::new(1);
    let ids = vec![uuid(&mut rng)];
    let (stream, _) = delta_stream(&ids, 200_000, 2);
    (ids, stream)
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(7);
    println!("machine=\"{}\"", machine());
    let only = std::env::var("VS_SERDE_ONLY").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);

    if wanted("W1") {
        let (w1_ids, w1) = w1_stream();
        compare(
            "W1",
            runs,
            ["copilot_sansio", "serde_json_borrowed"],
            || sansio_run::<8, 16>("W1", &w1_ids, &w1),
            || serde_run("W1", &w1_ids, &w1),
        );
    }

    // W3: 1,000 sessions, 100,000 deltas round-robin (the stream of `w3_sessions`).
    if wanted("W3") {
        let mut rng = Rng::new(5);
        let w3_ids: Vec<String> = (0..1_000).map(|_| uuid(&mut rng)).collect();
        let (w3, _) = delta_stream(&w3_ids, 100_000, 6);
        compare(
            "W3",
            runs,
            ["copilot_sansio", "serde_json_borrowed"],
            || sansio_run::<1024, 64>("W3", &w3_ids, &w3),
            || serde_run("W3", &w3_ids, &w3),
        );
    }

    // CHECK: the W1 bodies, only checked to be JSON (the rate is bodies per second).
    if wanted("CHECK") {
        let (_, w1) = w1_stream();
        let (bodies, _) = wire::bodies(&w1);
        compare(
            "CHECK",
            runs,
            ["copilot_sansio", "serde_json_ignored_any"],
            || check_run(&bodies, sansio_check),
            || check_run(&bodies, serde_check),
        );
    }

    if wanted("W1_SIMD") || wanted("CHECK_SIMD") {
        println!(
            "simd_json_implementation={}",
            simd_json::Deserializer::algorithm()
        );
    }

    // W1_SIMD: the W1 work with simd-json against serde_json.
    if wanted("W1_SIMD") {
        let (w1_ids, w1) = w1_stream();
        compare(
            "W1_SIMD",
            runs,
            ["simd_json_borrowed", "serde_json_borrowed"],
            || simd_run("W1_SIMD", &w1_ids, &w1),
            || serde_run("W1_SIMD", &w1_ids, &w1),
        );
    }

    // CHECK_SIMD: the bodies of CHECK, checked by simd-json against serde_json.
    if wanted("CHECK_SIMD") {
        let (_, w1) = w1_stream();
        let (bodies, _) = wire::bodies(&w1);
        compare(
            "CHECK_SIMD",
            runs,
            ["simd_json_tape", "serde_json_ignored_any"],
            || {
                let mut simd = SimdCheck::new();
                check_run(&bodies, |body| simd.simd_check(body))
            },
            || check_run(&bodies, serde_check),
        );
    }
}
