//! The `sim_faults` target: a client talks to the simulated CLI through a faulty line. The
//! caller's steps (connect, create, send, abort, destroy, answers, time) come from the input,
//! and so does the fate of each frame the simulated CLI writes: delivered, cut short, cut with
//! its `Content-Length` fixed, a byte flipped, duplicated, held back behind the next frame
//! (reordered), dropped, or with a deep or huge value inserted at any object.
//!
//! Whatever the line does, the client must keep its promises, checked as it goes and at the
//! end: it never panics or stalls; every byte it writes is whole, valid JSON-RPC; every request
//! it sent resolves exactly once and every session it opened ends exactly once; nothing is
//! left in its tables once the input ends; and, while the framing holds and no byte was
//! corrupted, every server request it read is answered exactly once.

use std::collections::BTreeMap;

use copilot_sansio::json::RawJson;
use copilot_sansio::sim::{ModelReply, Sim, SimConfig};
use copilot_sansio::{
    CallerAnswers, Client, Config, Connect, Event, Inbox, Instant, ReplyHandle, RequestId,
    SessionHandle, SessionId,
};

use crate::input::Reader;
use crate::rng::Rng;
use crate::routing::check_routing;
use crate::wire::{Out, parse_output};

/// The caller's steps, by tag: 0 connect, 1 create (an options byte), 2 send (session,
/// prompt), 3 abort (session), 4 destroy (session), 5 answer a server request (which, how),
/// 6 answer a permission or tool call (which), 7 time passes (ms, u16), 8 the client's output
/// goes to the simulated CLI (bytes, u16), 9 the simulated CLI writes (frames, then a fault
/// per frame), 10 poll, 11 the input ends (if the next byte is 0), 12 the line delivers
/// (bytes, u16), 13 `sessionFs.setProvider`.
const STEPS: u8 = 14;

/// A conversation for [`sim_faults`] (see [`STEPS`] for the encoding): connect, maybe a session
/// filesystem provider, then sessions, prompts, answers and time, with the simulated CLI's
/// frames faulted one time in `1 / fault_rate`.
pub fn conversation(rng: &mut Rng, fault_rate: u64) -> Vec<u8> {
    let mut b = Vec::new();
    let u16 = |b: &mut Vec<u8>, n: u64| b.extend_from_slice(&(n as u16).to_le_bytes());
    u16(&mut b, rng.below(8_192)); // transmit buffer
    u16(&mut b, rng.below(16_384)); // receive buffer
    let frame_limit = match rng.below(3) {
        0 => 64 + rng.below(4_000),
        _ => 0,
    };
    u16(&mut b, frame_limit);
    let timeout = match rng.below(3) {
        0 => 1 + rng.below(255) as u8,
        _ => 0,
    };
    b.push(timeout); // in units of 20 ms
    b.extend((0..4).map(|_| rng.below(256) as u8)); // replies, delta length, early start, fs
    b.push(0); // connect
    if rng.below(2) == 0 {
        b.push(13); // sessionFs.setProvider
    }
    for _ in 0..20 + rng.below(120) {
        let byte = rng.below(256) as u8;
        match rng.below(100) {
            // A create, mostly followed by the round trip that opens it.
            0..=7 => {
                b.extend([1, byte]);
                if rng.below(4) != 0 {
                    b.extend([
                        8, 0xFF, 0xFF, 9, 7, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0xFF, 0xFF, 10,
                    ]);
                }
            }
            8..=19 => b.extend([2, byte, rng.below(2) as u8]),
            20..=21 => b.extend([3, byte]),
            22..=25 => b.extend([4, byte]),
            26..=33 => b.extend([5, byte, rng.below(3) as u8]),
            34..=39 => b.extend([6, byte]),
            40..=43 => {
                b.push(7);
                u16(&mut b, [5, 100, 2_000, 60_000][rng.below(4) as usize]);
            }
            44..=55 => {
                b.push(8);
                u16(&mut b, [17, 300, 65_535][rng.below(3) as usize]);
            }
            56..=75 => {
                let frames = rng.below(8);
                b.extend([9, frames as u8]);
                for _ in 0..=frames {
                    if rng.below(fault_rate) == 0 {
                        // A fault, with its arguments.
                        b.push(INTACT + rng.below(256 - u64::from(INTACT)) as u8);
                        b.extend((0..3).map(|_| rng.below(256) as u8));
                    } else {
                        b.push(rng.below(u64::from(INTACT)) as u8);
                    }
                }
            }
            76..=87 => b.push(10),
            88 => b.extend([11, rng.below(8) as u8]),
            _ => {
                b.push(12);
                u16(&mut b, [9, 400, 65_535][rng.below(3) as usize]);
            }
        }
    }
    b
}

/// What happens to one frame on its way from the simulated CLI to the client.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Deliver,
    /// Cut after `at` bytes, header included: the framing is lost.
    Cut {
        at: u16,
    },
    /// The body cut after `at` bytes, with a `Content-Length` that matches.
    CutBody {
        at: u16,
    },
    /// The byte at `at` xor `mask`.
    Flip {
        at: u16,
        mask: u8,
    },
    Duplicate,
    /// Sent after the next frame.
    HoldBack,
    Drop,
    /// A member `"zz": [[[...]]]` nested `depth` deep, first in the `nth` object.
    Deep {
        nth: u8,
        depth: u8,
    },
    /// A member `"zz": "xxx..."` of `len` bytes, first in the `nth` object.
    Huge {
        nth: u8,
        len: u16,
    },
}

/// Fault bytes below this deliver the frame intact.
const INTACT: u8 = 12;

impl Fault {
    fn read(r: &mut Reader<'_>) -> Fault {
        match r.u8() % 24 {
            0..=11 => Fault::Deliver,
            12 => Fault::Cut { at: r.u16() },
            13 => Fault::CutBody { at: r.u16() },
            14 | 15 => Fault::Flip {
                at: r.u16(),
                mask: r.u8() | 1,
            },
            16 | 17 => Fault::Duplicate,
            18 | 19 => Fault::HoldBack,
            20 => Fault::Drop,
            21 | 22 => Fault::Deep {
                nth: r.u8(),
                depth: r.u8(),
            },
            _ => Fault::Huge {
                nth: r.u8(),
                len: r.u16(),
            },
        }
    }
}

/// Inserts `member,` (or `member` in an empty object) just inside the `nth` `{` of `body`
/// (counted modulo their number; braces inside strings count too, which then only changes
/// the string's text).
fn insert_member(body: &[u8], nth: u8, member: &str) -> Vec<u8> {
    let opens: Vec<usize> = (0..body.len()).filter(|&i| body[i] == b'{').collect();
    if opens.is_empty() {
        return body.to_vec();
    }
    let at = opens[usize::from(nth) % opens.len()] + 1;
    let empty = body.get(at) == Some(&b'}');
    let mut out = body[..at].to_vec();
    out.extend_from_slice(member.as_bytes());
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(&body[at..]);
    out
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// The bodies of the whole frames at the front of `bytes`, each with the offset where its
/// frame ends (the simulated CLI writes canonical headers).
fn split_frames(bytes: &[u8]) -> Vec<(Vec<u8>, usize)> {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(rest) = bytes.get(at..) {
        let Some(head) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
            break;
        };
        let len = std::str::from_utf8(&rest[..head])
            .ok()
            .and_then(|h| h.strip_prefix("Content-Length: "))
            .and_then(|n| n.parse::<usize>().ok());
        let Some(len) = len else {
            panic!("simulated CLI wrote a bad header")
        };
        let Some(body) = rest.get(head + 4..head + 4 + len) else {
            break;
        };
        at += head + 4 + len;
        frames.push((body.to_vec(), at));
    }
    frames
}

/// The id of a server request, if `body` is valid JSON and a request with an id.
fn request_id(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("method")?.as_str()?;
    v.get("id").map(serde_json::Value::to_string)
}

/// A server request the caller was given and has not answered yet.
struct Held {
    reply: ReplyHandle,
}

/// An event the caller may answer with a request: a permission or a tool call.
struct Ask {
    session: SessionHandle,
    request_id: Vec<u8>,
    permission: bool,
}

/// What the caller is waiting for and holds.
#[derive(Default)]
struct Caller {
    /// The caller's requests in flight.
    pending: Vec<RequestId>,
    /// Sessions opened (and not ended): opening, open, or closing.
    sessions: Vec<SessionHandle>,
    connects: usize,
    server: Vec<Held>,
    asks: Vec<Ask>,
    closed: bool,
}

struct Run<'x> {
    client: Client<'x, 4, 8>,
    inbox: Inbox<'x>,
    sim: Sim<'x, 4>,
    now: u64,
    /// Bytes on their way to the client; `wire[..pushed]` went into the inbox.
    wire: Vec<u8>,
    pushed: usize,
    /// Frame ends in `wire`, with the id if the frame is a valid server request.
    frames: Vec<(usize, Option<String>)>,
    /// Held back until the next frame.
    held_back: Option<(Vec<u8>, Option<String>)>,
    /// The framing on the wire may be broken (a cut frame or a flipped header byte).
    framing_lost: bool,
    /// Some byte on the wire was corrupted: ids of answers cannot be accounted exactly.
    corrupted: bool,
    caller: Caller,
    /// Client output parsed so far (bytes), and the answers it held, by id.
    parsed: usize,
    answers: BTreeMap<String, usize>,
    /// The input was ended before the line ran out.
    closed_early: bool,
    session_seed: u8,
}

/// Runs the `sim_faults` target on `data`. Panics on any broken promise.
pub fn sim_faults(data: &[u8]) {
    let mut r = Reader { data };
    let tx_len = 700 + usize::from(r.u16()) % 8192;
    let rx_len = 256 + usize::from(r.u16()) % 16384;
    let max_frame = usize::from(r.u16());
    let timeout = r.u8();
    let replies = [
        ModelReply::Text("Hello {there} \"friend\""),
        ModelReply::ToolCall {
            tool: "lookup",
            arguments: r#"{"q":"{x}"}"#,
            then: "Found it.",
        },
        ModelReply::Echo {
            before: "You said: ",
            after: ".",
        },
        ModelReply::Stall,
    ];
    let mix = usize::from(r.u8()) % replies.len();
    let sim_config = SimConfig::default()
        .replies(&replies[mix..])
        .delta_len(1 + usize::from(r.u8() % 32))
        .early_session_start(r.u8() & 1 == 1)
        .fs_requests_on_create(r.u8() % 4);
    let config = Config::default()
        .caller_answers(CallerAnswers::SESSION_FS)
        .request_timeout_ms((timeout != 0).then_some(u64::from(timeout) * 20));

    let (mut rx, mut tx) = (vec![0u8; rx_len], vec![0u8; tx_len]);
    let (mut srx, mut stx) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    let mut inbox = Inbox::new(&mut rx);
    if max_frame >= 64 {
        inbox = inbox.with_max_frame_len(max_frame);
    }
    let Ok(client) = Client::new(&mut tx, config) else {
        panic!("client")
    };
    let mut run = Run {
        client,
        inbox,
        sim: Sim::new(&mut srx, &mut stx, sim_config),
        now: 0,
        wire: Vec::new(),
        pushed: 0,
        frames: Vec::new(),
        held_back: None,
        framing_lost: false,
        corrupted: false,
        caller: Caller::default(),
        parsed: 0,
        answers: BTreeMap::new(),
        closed_early: false,
        session_seed: 0,
    };
    let mut steps = 0;
    while !r.data.is_empty() && steps < 400 {
        steps += 1;
        run.step(&mut r);
        run.check_output();
    }
    run.finish();
}

impl Run<'_> {
    fn now(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn step(&mut self, r: &mut Reader<'_>) {
        let now = self.now();
        match r.u8() % STEPS {
            0 => {
                if self.client.connect(now, &Connect::default()).is_ok() {
                    self.caller.connects += 1;
                }
            }
            1 => {
                self.session_seed = self.session_seed.wrapping_add(1);
                let id = SessionId::new_v4([self.session_seed; 16]);
                let options = match r.u8() % 3 {
                    0 => {
                        r#"{"streaming":true,"tools":[{"name":"lookup","description":"d","parameters":{}}]}"#
                    }
                    1 => r#"{"streaming":false}"#,
                    _ => "{}",
                };
                let Ok(options) = RawJson::parse(options) else {
                    panic!("test JSON")
                };
                if let Ok(h) = self.client.create_session(now, id, &options) {
                    self.caller.sessions.push(h);
                }
            }
            2 => {
                let Some(h) = self.pick_session(r.u8()) else {
                    return;
                };
                let prompt = [
                    r#"{"prompt":"Tell me a joke"}"#,
                    r#"{"prompt":"look {it} up \"now\" \u00e9"}"#,
                ][usize::from(r.u8() % 2)];
                let Ok(p) = RawJson::parse(prompt) else {
                    panic!("test JSON")
                };
                if let Ok(id) = self.client.session(h).request(now, "session.send", &p) {
                    self.caller.pending.push(id);
                }
            }
            3 => {
                let Some(h) = self.pick_session(r.u8()) else {
                    return;
                };
                if let Ok(id) =
                    self.client
                        .session(h)
                        .request(now, "session.abort", &RawJson::EMPTY_OBJECT)
                {
                    self.caller.pending.push(id);
                }
            }
            4 => {
                if let Some(h) = self.pick_session(r.u8()) {
                    let _ = self.client.session(h).destroy(now);
                }
            }
            5 => {
                let (i, how) = (usize::from(r.u8()), r.u8());
                if self.caller.server.is_empty() {
                    return;
                }
                let held = self.caller.server.swap_remove(i % self.caller.server.len());
                let answered = match how % 3 {
                    0 => self.client.respond_raw(held.reply, r#"{"content":"{}"}"#),
                    1 => self.client.respond_error(held.reply, -32603, "no \\ such"),
                    _ => self.client.respond_raw(held.reply, "{}"),
                };
                if answered.is_err() {
                    // The transmit buffer is full (or the session ended): keep it for later.
                    self.caller.server.push(held);
                }
            }
            6 => self.answer_ask(usize::from(r.u8())),
            7 => {
                self.now += u64::from(r.u16());
                let now = self.now();
                self.client.handle_timeout(now);
            }
            8 => self.forward_output(usize::from(r.u16())),
            9 => {
                let frames = 1 + usize::from(r.u8() % 8);
                self.sim_writes(frames, r);
            }
            10 => self.poll(),
            11 => {
                if r.u8() == 0 {
                    self.inbox.close();
                    self.closed_early = true;
                }
            }
            12 => self.deliver(usize::from(r.u16())),
            _ => {
                let provider =
                    r#"{"initialCwd":"/w","sessionStatePath":"/s","conventions":"posix"}"#;
                if let Ok(id) = self
                    .client
                    .request_raw(now, "sessionFs.setProvider", provider)
                {
                    self.caller.pending.push(id);
                }
            }
        }
    }

    fn pick_session(&self, sel: u8) -> Option<SessionHandle> {
        let n = self.caller.sessions.len();
        (n > 0).then(|| self.caller.sessions[usize::from(sel) % n])
    }

    fn answer_ask(&mut self, sel: usize) {
        if self.caller.asks.is_empty() {
            return;
        }
        let ask = self.caller.asks.swap_remove(sel % self.caller.asks.len());
        let id = String::from_utf8_lossy(&ask.request_id).into_owned();
        let (method, params) = if ask.permission {
            (
                "session.permissions.handlePendingPermissionRequest",
                format!(r#"{{"requestId":"{id}","result":{{"kind":"approved"}}}}"#),
            )
        } else {
            (
                "session.tools.handlePendingToolCall",
                format!(r#"{{"requestId":"{id}","result":"42 {{}}"}}"#),
            )
        };
        let Ok(params) = RawJson::parse(&params) else {
            return;
        };
        let now = self.now();
        if let Ok(rid) = self
            .client
            .session(ask.session)
            .request(now, method, &params)
        {
            self.caller.pending.push(rid);
        }
    }

    /// Moves up to `n` bytes of the client's output to the simulated CLI.
    fn forward_output(&mut self, n: usize) {
        self.check_output();
        let out = self.client.transmit_bytes();
        let n = n.min(out.len());
        let took = self.sim.push(&out[..n]);
        self.client.transmitted(took);
        self.parsed -= took;
        self.check_output();
    }

    /// Lets the simulated CLI work, then puts up to `count` of its frames on the wire, each
    /// with its fate.
    fn sim_writes(&mut self, count: usize, r: &mut Reader<'_>) {
        self.sim.poll();
        let frames = split_frames(self.sim.transmit_bytes());
        let frames = frames.get(..count).unwrap_or(&frames).to_vec();
        if let Some((_, end)) = frames.last() {
            self.sim.transmitted(*end);
        }
        for (body, _) in frames {
            let fault = Fault::read(r);
            self.put(body, fault);
        }
    }

    fn put(&mut self, body: Vec<u8>, fault: Fault) {
        // Read before the fault: deep and huge values keep a request a request.
        let id = request_id(&body);
        let bytes = match fault {
            Fault::Deliver | Fault::HoldBack | Fault::Duplicate => framed(&body),
            Fault::Drop => return,
            Fault::Cut { at } => {
                let all = framed(&body);
                let at = usize::from(at) % all.len();
                self.framing_lost = true;
                self.corrupted = true;
                all[..at].to_vec()
            }
            Fault::CutBody { at } => {
                self.corrupted = true;
                framed(&body[..usize::from(at) % body.len().max(1)])
            }
            Fault::Flip { at, mask } => {
                let mut all = framed(&body);
                let at = usize::from(at) % all.len();
                all[at] ^= mask;
                self.corrupted = true;
                if at < all.len() - body.len() {
                    self.framing_lost = true;
                }
                all
            }
            Fault::Deep { nth, depth } => {
                let d = usize::from(depth);
                let member = format!(r#""zz":{}1{}"#, "[".repeat(d), "]".repeat(d));
                framed(&insert_member(&body, nth, &member))
            }
            Fault::Huge { nth, len } => {
                let member = format!(r#""zz":"{}""#, "x".repeat(usize::from(len)));
                framed(&insert_member(&body, nth, &member))
            }
        };
        if let Fault::HoldBack = fault
            && self.held_back.is_none()
        {
            self.held_back = Some((bytes, id));
            return;
        }
        self.wire_frame(&bytes, id.clone());
        if let Fault::Duplicate = fault {
            self.wire_frame(&bytes, id);
        }
        if let Some((held, id)) = self.held_back.take() {
            self.wire_frame(&held, id);
        }
    }

    /// Puts a frame on the wire; `id`: the id if it is a server request.
    fn wire_frame(&mut self, bytes: &[u8], id: Option<String>) {
        self.wire.extend_from_slice(bytes);
        self.frames.push((self.wire.len(), id));
    }

    /// Pushes up to `n` bytes of the wire into the inbox.
    fn deliver(&mut self, n: usize) {
        let end = self.wire.len().min(self.pushed.saturating_add(n));
        self.pushed += self.inbox.push(&self.wire[self.pushed..end]);
    }

    /// Polls every event the client has.
    fn poll(&mut self) {
        for _ in 0..10_000 {
            let now = self.now();
            let Some(event) = self.client.poll_event(&mut self.inbox, now) else {
                return;
            };
            check_routing(&self.client, &event);
            self.caller.on_event(&event);
            self.check_output();
        }
        panic!("10,000 events from one poll loop: the client spins");
    }

    /// Everything the client queued is whole, valid JSON-RPC; answers are counted by id.
    fn check_output(&mut self) {
        let out = self.client.transmit_bytes();
        let Some(new) = out.get(self.parsed..) else {
            panic!("output shrank without being written")
        };
        let (frames, used) = parse_output(new);
        assert_eq!(used, new.len(), "a partial frame was queued");
        self.parsed += used;
        for f in frames {
            if let Out::Answer { id } = f {
                let id =
                    serde_json::from_str::<serde_json::Value>(&id).map_or(id, |v| v.to_string());
                *self.answers.entry(id).or_default() += 1;
            }
        }
    }

    /// Lets the conversation run out with a clean line, ends the input, and checks that
    /// everything settled.
    fn finish(&mut self) {
        let mut quiet = 0;
        for _ in 0..2_000 {
            if self.inbox.is_closed() || quiet > 2 {
                break;
            }
            let before = (self.wire.len(), self.pushed, self.client.stats().frames);
            // Answer everything the caller holds; the client's output goes to the sim.
            while let Some(held) = self.caller.server.pop() {
                if self.client.respond_raw(held.reply, "{}").is_err() {
                    break;
                }
            }
            while !self.caller.asks.is_empty() {
                self.answer_ask(0);
            }
            self.check_output();
            self.forward_output(usize::MAX);
            self.sim.poll();
            let frames = split_frames(self.sim.transmit_bytes());
            if let Some((_, end)) = frames.last() {
                self.sim.transmitted(*end);
            }
            for (body, _) in frames {
                self.put(body, Fault::Deliver);
            }
            if let Some((held, id)) = self.held_back.take() {
                self.wire_frame(&held, id);
            }
            self.deliver(usize::MAX);
            self.poll();
            let after = (self.wire.len(), self.pushed, self.client.stats().frames);
            quiet = if before == after && self.client.transmit_bytes().is_empty() {
                quiet + 1
            } else {
                0
            };
        }
        self.inbox.close();
        for round in 0.. {
            assert!(round < 10_000, "the client never closes");
            self.poll();
            self.forward_output(usize::MAX);
            // The input is closed: what the simulated CLI says now is never read.
            self.sim.poll();
            let pending = self.sim.transmit_bytes().len();
            self.sim.transmitted(pending);
            if self.client.is_closed() && self.client.transmit_bytes().is_empty() {
                break;
            }
        }
        assert!(self.caller.closed, "is_closed without Closed");
        if std::env::var_os("FUZZ_TRACE").is_some() {
            let st = self.client.stats();
            std::eprintln!(
                "frames {} answers {} lost-framing {} corrupted {} early {} sim {:?}",
                st.frames,
                self.answers.values().sum::<usize>(),
                self.framing_lost,
                self.corrupted,
                self.closed_early,
                self.sim.stats()
            );
        }
        assert_eq!(self.client.session_slots_in_use(), 0, "slots leaked");
        assert_eq!(self.client.pending_requests(), 0, "requests leaked");
        assert_eq!(
            self.client.pending_server_requests(),
            0,
            "server requests leaked"
        );
        // Every server request read got exactly one answer, when nothing blurs the count.
        if !self.framing_lost && !self.corrupted && !self.closed_early {
            let mut expected: BTreeMap<String, usize> = BTreeMap::new();
            for (end, id) in &self.frames {
                if let (true, Some(id)) = (*end <= self.pushed, id) {
                    *expected.entry(id.clone()).or_default() += 1;
                }
            }
            assert_eq!(self.answers, expected, "answers by request id");
        }
    }
}

impl Caller {
    fn on_event(&mut self, event: &Event<'_>) {
        let ended = |sessions: &mut Vec<SessionHandle>, h: SessionHandle, what: &str| {
            let Some(i) = sessions.iter().position(|s| *s == h) else {
                panic!("{what} for {h:?}, which was not opened or already ended")
            };
            let _ = sessions.swap_remove(i);
        };
        match *event {
            Event::Connected { .. } | Event::ConnectFailed(_) => {
                assert!(self.connects > 0, "handshake resolved twice");
                self.connects -= 1;
            }
            Event::SessionOpened { .. } => {}
            Event::SessionOpenFailed { session, .. } => {
                ended(&mut self.sessions, session, "open failure");
            }
            Event::SessionClosed { session, .. } => {
                ended(&mut self.sessions, session, "close");
                self.asks.retain(|a| a.session != session);
            }
            Event::Response { id, .. } => {
                let Some(i) = self.pending.iter().position(|p| *p == id) else {
                    panic!("{id} resolved twice, or never sent")
                };
                let _ = self.pending.swap_remove(i);
            }
            Event::Request(ref r) => {
                assert!(
                    self.server.iter().all(|h| h.reply != r.reply),
                    "reply handle given out twice"
                );
                self.server.push(Held { reply: r.reply });
            }
            Event::Session { session, event } => {
                let permission = event.is("permission.requested");
                if (permission || event.is("external_tool.requested"))
                    && let Some(id) = event.data().get_str("requestId")
                {
                    self.asks.push(Ask {
                        session,
                        request_id: id.raw_bytes().to_vec(),
                        permission,
                    });
                }
            }
            Event::Closed => {
                assert!(!self.closed, "Closed twice");
                self.closed = true;
                assert!(self.sessions.is_empty(), "sessions left at Closed");
                assert!(self.pending.is_empty(), "requests left at Closed");
                assert_eq!(self.connects, 0, "handshake left at Closed");
                // The caller can no longer answer: the client answers for it.
                self.server.clear();
            }
            _ => {}
        }
    }
}
