//! The `client` target: caller actions interleaved with server bytes, checked against a model of
//! the session table, the request tables and the output after every step.

use super::input::{Action, ClientInput, SID_POOL, Sid};
use crate::routing::check_routing;
use crate::wire::{Out, frame, parse_output};
use copilot_sansio::json::RawJson;
use copilot_sansio::{
    AutoAction, AutoReason, CallerAnswers, Client, Config, Connect, Error, Event, Failure, Inbox,
    InputError, Instant, MethodFamily, OpenMethod, ReplyHandle, RequestId, SessionHandle,
    SessionId, SessionState,
};

// ----- the model -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MState {
    Live(SessionState),
    Gone,
}

#[derive(Debug)]
struct MSession {
    handle: SessionHandle,
    id: String,
    state: MState,
    /// The id of the request its state waits for (its open, then its destroy).
    waits_for: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SState {
    /// The caller has it.
    Live,
    /// Its session closed: the client owes the answer.
    Owed,
    Done,
}

#[derive(Debug)]
struct MServer {
    reply: ReplyHandle,
    id: String,
    session: Option<SessionHandle>,
    state: SState,
}

#[derive(Debug, Default)]
struct Model {
    sessions: Vec<MSession>,
    orphans: usize,
    /// The caller's requests: id, answered.
    caller: Vec<(RequestId, bool)>,
    /// The caller's requests it cancelled: each ends with `Failure::Cancelled`.
    cancelled: Vec<RequestId>,
    /// `connect`/`ping` in flight.
    connects: usize,
    server: Vec<MServer>,
    closed: bool,
    /// The input ended or framing was lost: calls may fail with `Closed`.
    maybe_closing: bool,
}

impl Model {
    fn live(&self) -> usize {
        self.sessions
            .iter()
            .filter(|s| s.state != MState::Gone)
            .count()
    }

    fn pending_requests(&self) -> usize {
        let opens_and_destroys = self
            .sessions
            .iter()
            .filter(|s| {
                matches!(
                    s.state,
                    MState::Live(
                        SessionState::Pending(_) | SessionState::Closing | SessionState::Resuming
                    )
                )
            })
            .count();
        let caller = self.caller.iter().filter(|(_, done)| !done).count();
        self.connects + caller + opens_and_destroys + self.orphans
    }

    fn session(&mut self, h: SessionHandle) -> &mut MSession {
        match self.sessions.iter_mut().find(|s| s.handle == h) {
            Some(s) => s,
            None => panic!("event for a handle never returned: {h:?}"),
        }
    }

    fn routable(&self, id: &str) -> bool {
        self.sessions
            .iter()
            .any(|s| s.state != MState::Gone && s.id == id)
    }

    fn owe(&mut self, h: SessionHandle) {
        for e in &mut self.server {
            if e.state == SState::Live && e.session == Some(h) {
                e.state = SState::Owed;
            }
        }
    }
}

/// What output a poll may have queued besides owed answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Nothing,
    /// An automatic answer, written last; `null` if the request id was too long to echo.
    Answer {
        null_id: bool,
    },
    /// A request of the client's own.
    Request(&'static str),
    /// `session.destroy` for an orphan: never for an id a session in the table has (that
    /// would destroy the caller's session on the server).
    OrphanDestroy,
}

/// What the poll that returned `event` may have written besides owed answers.
fn expect_of(event: &Event<'_>) -> Expect {
    match *event {
        // The open may have succeeded on the server: the client destroys it there.
        Event::SessionOpenFailed { reason, .. } if reason.may_have_succeeded() => {
            Expect::Request("session.destroy")
        }
        Event::Auto(AutoAction::DestroyingOrphan) => Expect::OrphanDestroy,
        Event::Auto(AutoAction::PingFallback) => Expect::Request("ping"),
        Event::Auto(AutoAction::Answered { reason, .. }) => Expect::Answer {
            null_id: reason == AutoReason::IdTooLong,
        },
        _ => Expect::Nothing,
    }
}

/// Applies an event to the model, checking that it was possible.
fn on_event(m: &mut Model, event: &Event<'_>) {
    match *event {
        Event::Connected { .. } | Event::ConnectFailed(_) => {
            assert!(m.connects > 0, "handshake outcome without a handshake");
            m.connects -= 1;
        }
        Event::SessionOpened {
            session, method, ..
        } => {
            let s = m.session(session);
            let live_resume =
                method == OpenMethod::Resume && s.state == MState::Live(SessionState::Resuming);
            assert!(
                live_resume || s.state == MState::Live(SessionState::Pending(method)),
                "opened from {s:?}"
            );
            s.state = MState::Live(SessionState::Active);
        }
        Event::LiveResumeFailed { session, .. } => {
            let s = m.session(session);
            assert_eq!(s.state, MState::Live(SessionState::Resuming), "{s:?}");
            s.state = MState::Live(SessionState::Active);
        }
        Event::SessionOpenFailed {
            session,
            method,
            reason,
        } => {
            let s = m.session(session);
            assert_eq!(
                s.state,
                MState::Live(SessionState::Pending(method)),
                "{s:?}"
            );
            s.state = MState::Gone;
            m.owe(session);
            // Its slot stays reserved until the server's answer (or a grace deadline) says
            // the session is gone.
            if reason == Failure::TimedOut || reason.may_have_succeeded() {
                m.orphans += 1;
            }
        }
        Event::SessionClosed { session, result } => {
            let s = m.session(session);
            let closing = s.state == MState::Live(SessionState::Closing);
            let on_close = matches!(
                s.state,
                MState::Live(SessionState::Active | SessionState::Resuming)
            ) && result == Err(Failure::ConnectionClosed);
            assert!(closing || on_close, "closed from {s:?}: {result:?}");
            s.state = MState::Gone;
            m.owe(session);
        }
        Event::Session { session, event } => {
            let s = m.session(session);
            assert!(s.state != MState::Gone);
            assert!(event.session_id().is_some_and(|sid| sid.eq_str(&s.id)));
        }
        Event::UnknownSessionEvent(e) => {
            assert!(
                !e.session_id()
                    .is_some_and(|sid| m.routable(&sid.to_string())),
                "routable event dropped"
            );
        }
        Event::Lifecycle {
            session: Some(h), ..
        }
        | Event::Notification {
            session: Some(h), ..
        } => assert!(m.session(h).state != MState::Gone),
        Event::Request(r) => {
            if let Some(h) = r.session {
                assert!(m.session(h).state != MState::Gone);
            }
            assert!(
                !m.server
                    .iter()
                    .any(|e| e.reply == r.reply && matches!(e.state, SState::Live | SState::Owed)),
                "reply handle given out twice"
            );
            m.server.push(MServer {
                reply: r.reply,
                id: r.id.text().to_string(),
                session: r.session,
                state: SState::Live,
            });
        }
        Event::Response { id, outcome } => {
            match m.caller.iter_mut().find(|(i, _)| *i == id) {
                Some((_, done)) if !*done => *done = true,
                _ => panic!("response event for {id} which is not pending"),
            }
            // A cancelled request ends as cancelled, at the first poll after the cancel.
            let cancelled = m.cancelled.contains(&id);
            assert_eq!(
                cancelled,
                outcome == Err(Failure::Cancelled),
                "{id}: {outcome:?}"
            );
        }
        Event::Notification { method, params, .. } if method == "$/cancelRequest" => {
            // Reported as a plain notification only when nothing the caller holds matches.
            let id = params.get("id").map(|i| i.text().to_string());
            assert!(
                !m.server
                    .iter()
                    .any(|e| e.state == SState::Live && Some(&e.id) == id.as_ref()),
                "a cancel of a request the caller holds was not applied: {id:?}"
            );
        }
        Event::ServerRequestCancelled { reply, session } => {
            let e = m.server.iter_mut().find(|e| e.reply == reply);
            match e {
                Some(e) if e.state == SState::Live => {
                    assert_eq!(e.session, session);
                    e.state = SState::Owed;
                }
                other => panic!("cancel of a request the caller does not hold: {other:?}"),
            }
        }
        Event::Auto(AutoAction::PingFallback) => assert!(m.connects > 0),
        Event::Auto(AutoAction::DestroyingOrphan) => {
            assert!(m.orphans > 0, "destroying an orphan that does not exist");
        }
        Event::Auto(AutoAction::OrphanReleased) => {
            assert!(m.orphans > 0, "released an orphan that does not exist");
            m.orphans -= 1;
        }
        Event::Error(InputError::MalformedHeader(_)) => m.maybe_closing = true,
        Event::Error(InputError::LostSessionEvent {
            session,
            session_id,
            ..
        }) => match (session, session_id) {
            // Named by its session: one the caller still has, and the id the frame holds.
            (Some(h), Some(sid)) => {
                let s = m.session(h);
                assert!(s.state != MState::Gone, "lost event for a closed session");
                assert!(sid.eq_str(&s.id), "lost event named the wrong session");
            }
            (Some(h), None) => panic!("lost event routed to {h:?} without an id"),
            (None, Some(sid)) => assert!(
                !m.routable(&sid.to_string()),
                "lost event of a live session reported without its handle"
            ),
            (None, None) => {}
        },
        Event::Closed => {
            assert!(!m.closed, "Closed twice");
            m.closed = true;
            assert_eq!(m.live(), 0, "sessions left at Closed: {:?}", m.sessions);
            assert_eq!(m.orphans, 0, "orphans left at Closed");
            assert_eq!(m.pending_requests(), 0, "requests left at Closed");
            // The caller can no longer answer: the client owes every answer left.
            for e in &mut m.server {
                if e.state == SState::Live {
                    e.state = SState::Owed;
                }
            }
        }
        _ => {}
    }
}

// ----- the harness ---------------------------------------------------------------------------

fn json_string(s: &str, escape_first: bool) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        if i == 0 && escape_first {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const SERVER_METHODS: [&str; 8] = [
    "sessionFs.readFile",
    "sessionFs.stat",
    "userInput.request",
    "hooks.invoke",
    "exitPlanMode.request",
    "llmInference.complete",
    "brand.new.method",
    "permission.request",
];

const EVENT_TYPES: [&str; 4] = [
    "session.start",
    "assistant.message_delta",
    "session.idle",
    "future.unknown_type",
];

/// A request the client wrote, and where it ends in the output stream.
#[derive(Debug)]
struct Sent {
    id: u32,
    method: String,
    session_id: Option<String>,
    end: usize,
}

/// What the client wrote so far.
#[derive(Default)]
struct Output {
    /// Output bytes parsed (counted from the first byte ever written) and written out.
    parsed: usize,
    drained: usize,
    sent: Vec<Sent>,
    trace: bool,
}

/// Frames queued since the last look.
fn take_output<const S: usize, const P: usize>(
    client: &Client<'_, S, P>,
    o: &mut Output,
) -> Vec<Out> {
    let pending = client.transmit_bytes();
    let Some(new) = pending.get(o.parsed - o.drained..) else {
        panic!("output shrank without being written")
    };
    let (frames, used) = parse_output(new);
    assert_eq!(used, new.len(), "a partial frame was queued");
    if o.trace && used > 0 {
        std::eprintln!("  output {}", String::from_utf8_lossy(new));
    }
    o.parsed += used;
    for f in &frames {
        if let Out::Request {
            id,
            method,
            session_id,
        } = f
        {
            if let Some(last) = o.sent.last() {
                assert!(*id > last.id, "request ids must increase");
            }
            o.sent.push(Sent {
                id: *id,
                method: method.clone(),
                session_id: session_id.clone(),
                end: o.parsed,
            });
        }
    }
    frames
}

struct Harness<'x, const S: usize, const P: usize> {
    client: Client<'x, S, P>,
    inbox: Inbox<'x>,
    tx_len: usize,
    now: u64,
    /// Everything the server sends; `wire[..pushed]` is in the inbox.
    wire: Vec<u8>,
    pushed: usize,
    o: Output,
    m: Model,
    /// The inbox's limits, for the reference framer.
    rx_len: usize,
    max_frame: usize,
    /// Bytes were pushed after the input was closed (the client may never read them).
    pushed_after_eof: bool,
    /// Ids of the client's requests the server sent a response to, of any shape, with the
    /// right id: once such a frame is read, its request must be resolved.
    responded: Vec<u32>,
    /// Raw bytes went on the wire: frames may be lost with framing.
    garbage: bool,
    serial: u32,
    big_text: String,
}

/// Runs a [`ClientInput`]: its actions, then the rest of the server's bytes, the end of input
/// and the closing events, with every output written. Panics on any invariant break.
pub fn client(input: &ClientInput) {
    match input.caps % 3 {
        0 => run::<4, 6>(input),
        1 => run::<2, 3>(input),
        _ => run::<8, 16>(input),
    }
}

fn run<const S: usize, const P: usize>(input: &ClientInput) {
    let rx_len = 64 + usize::from(input.rx) % 8192;
    let tx_len = 512 + usize::from(input.tx) % 4096;
    let mut handles = CallerAnswers::NONE;
    // 16 bits for 17 families: the last shares the first's bit.
    for (bit, family) in MethodFamily::ALL.iter().enumerate() {
        if input.handles & (1 << (bit % 16)) != 0 {
            handles |= CallerAnswers::of(*family);
        }
    }
    let config = Config::default()
        .caller_answers(handles)
        .request_timeout_ms((input.timeout != 0).then_some(u64::from(input.timeout)));
    let mut rx = vec![0u8; rx_len];
    let mut tx = vec![0u8; tx_len];
    let mut inbox = Inbox::new(&mut rx);
    if input.max_frame != 0 {
        inbox = inbox.with_max_frame_len(usize::from(input.max_frame));
    }
    let client = match Client::new(&mut tx, config) {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    };
    let mut h = Harness::<S, P> {
        client,
        inbox,
        tx_len,
        now: 0,
        wire: Vec::new(),
        pushed: 0,
        o: Output {
            trace: std::env::var_os("FUZZ_TRACE").is_some(),
            ..Output::default()
        },
        m: Model::default(),
        rx_len,
        max_frame: match input.max_frame {
            0 => usize::MAX,
            n => usize::from(n),
        },
        pushed_after_eof: false,
        responded: Vec::new(),
        garbage: false,
        serial: 0,
        big_text: format!("{{\"blob\":\"{}\"}}", "z".repeat(tx_len)),
    };
    for action in &input.actions {
        if h.o.trace {
            std::eprintln!("{action:?}");
        }
        h.act(action);
        h.check();
    }
    h.finish();
}

impl<const S: usize, const P: usize> Harness<'_, S, P> {
    fn now(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn new_output(&mut self) -> Vec<Out> {
        take_output(&self.client, &mut self.o)
    }

    fn drain(&mut self, n: usize) {
        assert!(self.new_output().is_empty());
        let n = n.min(self.client.transmit_bytes().len());
        self.client.transmitted(n);
        self.o.drained += n;
        // Writing out makes room for answers still owed (their session closed, or the
        // connection did): they go out at once, and nothing else does.
        let out = self.new_output();
        on_output(&mut self.m, out, Expect::Nothing);
    }

    fn free(&self) -> usize {
        self.tx_len - self.client.transmit_bytes().len()
    }

    /// After a call that returned an error: nothing was queued, nothing changed.
    fn refused(&mut self, e: Error, before: &[u8], slots: usize, pending: usize, what: &str) {
        assert!(
            self.new_output().is_empty(),
            "{what} failed ({e:?}) but queued"
        );
        assert_eq!(
            self.client.transmit_bytes(),
            before,
            "{what} failed but changed output"
        );
        assert_eq!(self.client.session_slots_in_use(), slots, "{what}: {e:?}");
        assert_eq!(self.client.pending_requests(), pending, "{what}: {e:?}");
        if e == Error::Closed {
            assert!(
                self.m.maybe_closing,
                "{what}: Closed while the input goes on"
            );
        }
        if e == Error::TooManyPending {
            assert_eq!(pending, P, "{what}: TooManyPending with {pending} of {P}");
        }
    }

    /// After a call that queued one request (`id`: the id the call returned, if it returns
    /// one).
    fn queued(&mut self, id: Option<RequestId>, method: &str, session_id: Option<&str>) {
        let out = self.new_output();
        let written = match out.as_slice() {
            [Out::Request { id, .. }] => *id,
            _ => panic!("{method}: expected one request, got {out:?}"),
        };
        let expected = Out::Request {
            id: id.map_or(written, RequestId::value),
            method: method.to_string(),
            session_id: session_id.map(str::to_string),
        };
        assert_eq!(out, [expected]);
    }

    fn handle(&self, sel: u8) -> Option<(SessionHandle, MState, String)> {
        let n = self.m.sessions.len();
        (n > 0).then(|| {
            let s = &self.m.sessions[usize::from(sel) % n];
            (s.handle, s.state, s.id.clone())
        })
    }

    fn act(&mut self, action: &Action) {
        let now = self.now();
        let before = self.client.transmit_bytes().to_vec();
        let slots = self.client.session_slots_in_use();
        let pending = self.client.pending_requests();
        match action {
            Action::Connect => match self.client.connect(now, &Connect::default()) {
                Ok(()) => {
                    self.queued(None, "connect", None);
                    self.m.connects += 1;
                }
                Err(e) => {
                    assert!(matches!(
                        e,
                        Error::TooManyPending | Error::Closed | Error::TransmitFull { .. }
                    ));
                    self.refused(e, &before, slots, pending, "connect");
                }
            },
            Action::Open {
                resume,
                id,
                options,
            } => self.open(*resume, id, *options, &before),
            Action::SessionRequest { session, params } => {
                let Some((h, state, id)) = self.handle(*session) else {
                    return;
                };
                let r = self.call_request(*params, Some(h));
                match r {
                    Ok(rid) => {
                        assert!(
                            matches!(
                                state,
                                MState::Live(SessionState::Active | SessionState::Resuming)
                            ),
                            "request on a session that is not open: {state:?}"
                        );
                        self.queued(Some(rid), "session.send", Some(&id));
                        self.m.caller.push((rid, false));
                    }
                    Err(e) => {
                        match state {
                            MState::Gone => assert_eq!(e, Error::UnknownSession),
                            MState::Live(SessionState::Active | SessionState::Resuming) => {
                                self.check_request_error(e, *params)
                            }
                            MState::Live(_) => assert_eq!(e, Error::SessionNotActive),
                        }
                        self.refused(e, &before, slots, pending, "session_request");
                    }
                }
            }
            Action::Request { params } => match self.call_request(*params, None) {
                Ok(rid) => {
                    self.queued(Some(rid), "fuzz.request", None);
                    self.m.caller.push((rid, false));
                }
                Err(e) => {
                    self.check_request_error(e, *params);
                    self.refused(e, &before, slots, pending, "request");
                }
            },
            Action::Destroy { session } => {
                let Some((h, state, id)) = self.handle(*session) else {
                    return;
                };
                match self.client.session(h).destroy(now) {
                    Ok(()) => {
                        assert_eq!(state, MState::Live(SessionState::Active));
                        self.queued(None, "session.destroy", Some(&id));
                        let rid = self.o.sent.last().map_or(0, |s| s.id);
                        let s = self.m.session(h);
                        s.state = MState::Live(SessionState::Closing);
                        s.waits_for = rid;
                    }
                    Err(e) => {
                        match state {
                            MState::Gone => assert_eq!(e, Error::UnknownSession),
                            MState::Live(SessionState::Active) => assert!(matches!(
                                e,
                                Error::TooManyPending | Error::Closed | Error::TransmitFull { .. }
                            )),
                            MState::Live(SessionState::Resuming) => {
                                assert_eq!(e, Error::SessionBusy)
                            }
                            MState::Live(_) => assert_eq!(e, Error::SessionNotActive),
                        }
                        self.refused(e, &before, slots, pending, "destroy");
                    }
                }
            }
            Action::Respond { request, how } => self.respond(*request, *how, &before),
            Action::Advance { ms } => {
                self.now += u64::from(*ms);
                let now = self.now();
                self.client.handle_timeout(now);
                assert!(self.client.poll_timeout().is_none_or(|t| t > now));
                assert!(self.new_output().is_empty());
            }
            Action::SetDeadline { request, after } => {
                let n = self.m.caller.len();
                if n == 0 {
                    return;
                }
                let (id, done) = self.m.caller[usize::from(*request) % n];
                let at = after.map(|ms| now.add_millis(u64::from(ms)));
                let set = self.client.set_deadline(id, at);
                assert!(!(set && done), "deadline set on an answered request");
            }
            Action::Eof => {
                self.inbox.close();
                self.m.maybe_closing = true;
            }
            Action::Drain { bytes } => self.drain(usize::from(*bytes)),
            Action::DrainAll => self.drain(usize::MAX),
            Action::Poll { max } => {
                let max = if *max == 0 { 512 } else { usize::from(*max) };
                for _ in 0..max {
                    if !self.poll() {
                        break;
                    }
                }
            }
            Action::Deliver { bytes } => {
                let end = self.wire.len().min(self.pushed + usize::from(*bytes));
                let took = self.inbox.push(&self.wire[self.pushed..end]);
                assert!(took <= end - self.pushed);
                self.pushed += took;
                self.pushed_after_eof |= took > 0 && self.inbox.is_closed();
            }
            Action::Response { to, kind } => self.server_response(*to, *kind),
            Action::Cancel { request } => {
                let n = self.m.caller.len();
                if n == 0 {
                    return;
                }
                let (id, done) = self.m.caller[usize::from(*request) % n];
                let cancelling = self.m.cancelled.contains(&id);
                match self.client.cancel(id) {
                    Ok(()) => {
                        assert!(
                            !done && !cancelling,
                            "cancelled {id} twice, or after its end"
                        );
                        let out = self.new_output();
                        let expected = Out::Notification {
                            method: "$/cancelRequest".into(),
                            id: id.value().to_string(),
                        };
                        assert_eq!(out, [expected]);
                        self.m.cancelled.push(id);
                    }
                    Err(Error::UnknownRequest) => assert!(done || cancelling),
                    Err(e) => {
                        let ok = match e {
                            // A `$/cancelRequest` frame is 80 to 90 bytes: refused only when
                            // it does not fit, and the error says so.
                            Error::TransmitFull { needed, free } => {
                                free == self.free() && needed.is_some_and(|n| n > free && n <= 96)
                            }
                            Error::Closed => self.m.maybe_closing,
                            _ => false,
                        };
                        assert!(ok, "cancel refused with {e:?}");
                        assert!(self.new_output().is_empty());
                    }
                }
            }
            Action::Reply { kind } => {
                let written = self.o.sent.iter().filter(|s| s.end <= self.o.drained);
                let oldest = written
                    .enumerate()
                    .find(|(_, s)| !self.responded.contains(&s.id))
                    .map(|(i, _)| i);
                if let Some(i) = oldest.and_then(|i| u8::try_from(i).ok()) {
                    self.server_response(i, *kind);
                }
            }
            Action::SessionEvent { session, kind } => {
                let sid = self.server_sid(*session);
                let t = EVENT_TYPES[usize::from(*kind) % EVENT_TYPES.len()];
                self.serial += 1;
                let event = if kind & 0x10 != 0 {
                    r#"{"data":{}}"#.to_string()
                } else {
                    format!(
                        r#"{{"type":"{t}","data":{{"deltaContent":"x\ud83d y\ud83d\ude00 \u00e9","messageId":"m"}},"id":"e-{}","timestamp":"2026-11-23T23:10:25.444Z","parentId":null,"ephemeral":true}}"#,
                        self.serial
                    )
                };
                self.send(&format!(
                    r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":{sid},"event":{event}}}}}"#
                ));
            }
            Action::Lifecycle { session } => {
                let sid = self.server_sid(*session);
                self.send(&format!(
                    r#"{{"jsonrpc":"2.0","method":"session.lifecycle","params":{{"type":"session.created","sessionId":{sid},"metadata":{{"summary":"s"}}}}}}"#
                ));
            }
            Action::ServerRequest {
                method,
                session,
                id,
            } => self.server_request(*method, *session, *id),
            Action::Notification { method, session } => {
                let sid = self.server_sid(*session);
                let body = match method % 4 {
                    0 => format!(
                        r#"{{"jsonrpc":"2.0","method":"host.event","params":{{"scope":{{"type":"session","sessionId":{sid}}},"kind":"k","payload":{{}}}}}}"#
                    ),
                    1 => format!(
                        r#"{{"jsonrpc":"2.0","method":"gitHubTelemetry.event","params":{{"sessionId":{sid},"restricted":false,"event":{{}}}}}}"#
                    ),
                    // A cancel of a request delivered so far (maybe answered already).
                    2 => {
                        let n = self.m.server.len();
                        let id = match n {
                            0 => "3".to_string(),
                            n => self.m.server[usize::from(*session) % n].id.clone(),
                        };
                        format!(
                            r#"{{"jsonrpc":"2.0","method":"$/cancelRequest","params":{{"id":{id}}}}}"#
                        )
                    }
                    _ => format!(
                        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":{sid}}}}}"#
                    ),
                };
                self.send(&body);
            }
            Action::Garbage(bytes) => {
                self.garbage = true;
                self.wire.extend_from_slice(bytes);
            }
            Action::Frame(bytes) => {
                self.wire.extend_from_slice(
                    format!("Content-Length: {}\r\n\r\n", bytes.len()).as_bytes(),
                );
                self.wire.extend_from_slice(bytes);
            }
            Action::BigFrame { kind, to, len } => {
                let pad = "x".repeat(usize::from(*len));
                self.serial += 1;
                let target = self.target(*to).map(|s| s.0);
                let response_id = target.unwrap_or(u32::from(*to) + 1);
                if let (1 | 4, Some(id)) = (kind % 6, target) {
                    self.responded.push(id);
                }
                let body = match kind % 6 {
                    0 => format!(
                        r#"{{"jsonrpc":"2.0","id":{},"method":"sessionFs.writeFile","params":{{"sessionId":"a","content":"{pad}"}}}}"#,
                        2_000_000 + self.serial
                    ),
                    1 => format!(
                        r#"{{"jsonrpc":"2.0","id":{response_id},"result":{{"blob":"{pad}"}}}}"#
                    ),
                    2 => format!(
                        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"a","event":{{"type":"t","data":{{"p":"{pad}"}}}}}}}}"#
                    ),
                    3 => format!(
                        r#"{{"jsonrpc":"2.0","method":"hooks.invoke","params":{{"sessionId":"a","input":"{pad}"}},"id":{}}}"#,
                        2_000_000 + self.serial
                    ),
                    4 => format!(
                        r#"{{"jsonrpc":"2.0","result":{{"blob":"{pad}"}},"id":{response_id}}}"#
                    ),
                    _ => format!(
                        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":{},"event":{{"type":"system.message","data":{{"content":"{pad}"}}}}}}}}"#,
                        self.server_sid(*to)
                    ),
                };
                self.send(&body);
            }
            Action::DeepFrame { kind, to, depth } => {
                let depth = usize::from(*depth);
                let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
                self.serial += 1;
                let body = match kind % 3 {
                    0 => format!(
                        r#"{{"jsonrpc":"2.0","id":{},"method":"hooks.invoke","params":{{"sessionId":{},"hookType":"preToolUse","input":{{"toolArgs":{deep}}}}}}}"#,
                        2_000_000 + self.serial,
                        self.server_sid(*to)
                    ),
                    1 => {
                        let target = self.target(*to).map(|s| s.0);
                        self.responded.extend(target);
                        let id = target.unwrap_or(u32::from(*to) + 1);
                        format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"v":{deep}}}}}"#)
                    }
                    _ => format!(
                        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":{},"event":{{"type":"tool.execution_start","data":{{"arguments":{deep}}}}}}}}}"#,
                        self.server_sid(*to)
                    ),
                };
                self.send(&body);
            }
        }
    }

    fn send(&mut self, body: &str) {
        self.wire.extend_from_slice(&frame(body));
    }

    /// A session id as JSON text, for server messages.
    fn server_sid(&self, sel: u8) -> String {
        let escape = sel & 0x80 != 0;
        let i = usize::from(sel & 0x0F);
        let id = match (i, self.m.sessions.len()) {
            (8.., n) if n > 0 => self.m.sessions[i % n].id.as_str(),
            _ => SID_POOL[i % SID_POOL.len()],
        };
        json_string(id, escape)
    }

    /// The `to`-th request written out: id, method, session id.
    fn target(&self, to: u8) -> Option<(u32, String, Option<String>)> {
        let written: Vec<&Sent> = self
            .o
            .sent
            .iter()
            .filter(|s| s.end <= self.o.drained)
            .collect();
        let n = written.len();
        (n > 0).then(|| {
            let s = written[usize::from(to) % n];
            (s.id, s.method.clone(), s.session_id.clone())
        })
    }

    fn server_response(&mut self, to: u8, kind: u8) {
        let target = self.target(to);
        // Only a request written out counts as answered: an id made up before any was
        // written may be the id of a later request.
        if let (true, Some((id, ..))) = (kind % 16 != 9, &target) {
            self.responded.push(*id);
        }
        let (id, method, sid) = target.unwrap_or((u32::from(to) + 1, String::new(), None));
        let sid = sid.unwrap_or_else(|| "a".to_string());
        let good = match method.as_str() {
            "connect" => r#"{"ok":true,"protocolVersion":3,"version":"1.0.102"}"#.to_string(),
            "ping" => r#"{"message":"pong","protocolVersion":3}"#.to_string(),
            "session.create" | "session.resume" => format!(
                r#"{{"sessionId":{},"workspacePath":"/w","capabilities":{{}}}}"#,
                json_string(&sid, kind & 0x80 != 0)
            ),
            _ => r#"{"ok":true}"#.to_string(),
        };
        let (id_text, outcome) = match kind % 16 {
            0..=3 => (id.to_string(), format!(r#""result":{good}"#)),
            4 => (
                id.to_string(),
                r#""result":{"sessionId":"other"}"#.to_string(),
            ),
            5 => (id.to_string(), r#""result":{}"#.to_string()),
            6 => (
                id.to_string(),
                r#""error":{"code":-32601,"message":"Unhandled method"}"#.to_string(),
            ),
            7 => (
                id.to_string(),
                r#""error":{"code":-32603,"message":"failed","data":{"x":1}}"#.to_string(),
            ),
            8 => (id.to_string(), r#""result":null"#.to_string()),
            9 => (format!("\"{id}\""), r#""result":{}"#.to_string()),
            // Malformed responses to a pending id: each must still resolve its request.
            10 => {
                return self.send(&format!(r#"{{"id":{id},"result":{good}}}"#));
            }
            11 => (
                id.to_string(),
                r#""result":{},"error":{"code":-32603,"message":"both"}"#.to_string(),
            ),
            12 => (id.to_string(), r#""error":{"code":-32603}"#.to_string()),
            13 => (
                id.to_string(),
                r#""error":{"code":-32603.5,"message":"x"}"#.to_string(),
            ),
            14 => (
                id.to_string(),
                r#""error":{"code":"E","message":"x"}"#.to_string(),
            ),
            _ => {
                // The id last, after the outcome.
                return self.send(&format!(r#"{{"jsonrpc":"2.0","result":{good},"id":{id}}}"#));
            }
        };
        self.send(&format!(r#"{{"jsonrpc":"2.0","id":{id_text},{outcome}}}"#));
    }

    fn server_request(&mut self, method: u8, session: u8, id: u8) {
        self.serial += 1;
        let n = self.serial;
        let mut method = SERVER_METHODS[usize::from(method) % SERVER_METHODS.len()].to_string();
        if session & 0x10 != 0 {
            // Longer than automatic answers quote, with escapes everywhere the quote may end.
            let pad = "m".repeat(usize::from(id >> 3) % 8);
            method = format!("{method}.{pad}{}", "\\u00e9\\\\x".repeat(12));
        }
        let version = if session & 0x20 != 0 { "1.0" } else { "2.0" };
        let id = match id % 8 {
            0 | 1 => (1_000_000 + n).to_string(),
            2 => format!("\"r-{n}\""),
            3 => format!("\"r\\u002d{n}\""),
            4 => "null".to_string(),
            5 => "true".to_string(),
            6 => format!("\"{}-{n}\"", "L".repeat(44)),
            _ => format!("\"{}-{n}\"", "H".repeat(self.tx_len)),
        };
        let params = if session & 0x40 != 0 {
            r#"{"path":"/x"}"#.to_string()
        } else {
            format!(
                r#"{{"sessionId":{},"path":"/x"}}"#,
                self.server_sid(session)
            )
        };
        self.send(&format!(
            r#"{{"jsonrpc":"{version}","id":{id},"method":"{method}","params":{params}}}"#
        ));
    }

    fn call_request(
        &mut self,
        params: u8,
        session: Option<SessionHandle>,
    ) -> Result<RequestId, Error> {
        let now = self.now();
        let object = RawJson::EMPTY_OBJECT;
        let prompt = RawJson::parse(r#"{"prompt":"hi \"there\"","n":[1,2]}"#);
        let array = RawJson::parse("[1]");
        let sets_id = RawJson::parse(r#"{"sessionId":"x"}"#);
        let big = RawJson::parse(&self.big_text);
        let (Ok(prompt), Ok(array), Ok(sets_id), Ok(big)) = (prompt, array, sets_id, big) else {
            panic!("test JSON")
        };
        let method = if session.is_some() {
            "session.send"
        } else {
            "fuzz.request"
        };
        let call = |c: &mut Client<'_, S, P>, p: &RawJson<'_>| match session {
            Some(h) => c.session(h).request(now, method, p),
            None => c.request(now, method, p),
        };
        match params % 6 {
            0 => match session {
                Some(h) => self.client.session(h).request(now, method, &()),
                None => self.client.request(now, method, &()),
            },
            1 => call(&mut self.client, &prompt),
            2 => call(&mut self.client, &array),
            3 => call(&mut self.client, &big),
            4 if session.is_some() => call(&mut self.client, &sets_id),
            4 => self.client.request_raw(now, method, "{\"unterminated"),
            _ => call(&mut self.client, &object),
        }
    }

    fn check_request_error(&self, e: Error, params: u8) {
        let ok = match e {
            Error::InvalidParams => matches!(params % 6, 2 | 4),
            Error::InvalidJson(_) => params % 6 == 4,
            Error::TransmitFull { .. } => params % 6 == 3 || self.free() < 400,
            Error::TooManyPending => self.client.pending_requests() == P,
            Error::Closed => self.m.maybe_closing,
            _ => false,
        };
        assert!(ok, "request refused with {e:?} (params {params})");
    }

    fn open(&mut self, resume: bool, sid: &Sid, options: u8, before: &[u8]) {
        let Ok(id) = SessionId::new(sid.text()) else {
            return;
        };
        let now = self.now();
        let slots = self.client.session_slots_in_use();
        let pending = self.client.pending_requests();
        let model = RawJson::parse(r#"{"model":"gpt-5","streaming":true}"#);
        let array = RawJson::parse("[1,2]");
        let sets_id = RawJson::parse(r#"{"sessionId":"x"}"#);
        let big = RawJson::parse(&self.big_text);
        let (Ok(model), Ok(array), Ok(sets_id), Ok(big)) = (model, array, sets_id, big) else {
            panic!("test JSON")
        };
        let options = options % 5;
        let call = |c: &mut Client<'_, S, P>, o: &RawJson<'_>| {
            if resume {
                c.resume_session(now, id.clone(), o)
            } else {
                c.create_session(now, id.clone(), o)
            }
        };
        let result = match options {
            0 if resume => self.client.resume_session(now, id.clone(), &()),
            0 => self.client.create_session(now, id.clone(), &()),
            1 => call(&mut self.client, &model),
            2 => call(&mut self.client, &array),
            3 => call(&mut self.client, &sets_id),
            _ => call(&mut self.client, &big),
        };
        let text = id.as_str().to_string();
        let existing = self
            .m
            .sessions
            .iter()
            .find(|s| s.state != MState::Gone && s.id == text)
            .map(|s| (s.handle, s.state));
        let duplicate = existing.is_some();
        // A resume of an open session: it stays in its slot, with its handle.
        let live = match existing {
            Some((h, MState::Live(SessionState::Active))) if resume => Some(h),
            _ => None,
        };
        let full = self.m.live() + self.m.orphans >= S;
        match result {
            Ok(h) => {
                assert!(options < 2, "open accepted with options {options}: {h:?}");
                let Some(rid) = self.sent_next_id() else {
                    panic!("open queued nothing")
                };
                let method = if resume {
                    "session.resume"
                } else {
                    "session.create"
                };
                self.queued(Some(rid), method, Some(&text));
                if let Some(live) = live {
                    assert_eq!(h, live, "a live resume keeps the session's handle");
                    let s = self.m.session(h);
                    s.state = MState::Live(SessionState::Resuming);
                    s.waits_for = rid.value();
                } else {
                    assert!(!duplicate && !full, "open accepted: {h:?}");
                    assert!(h.index() < S);
                    assert!(
                        self.m.sessions.iter().all(|s| s.handle != h),
                        "handle reused: {h:?}"
                    );
                    let kind = if resume {
                        OpenMethod::Resume
                    } else {
                        OpenMethod::Create
                    };
                    self.m.sessions.push(MSession {
                        handle: h,
                        id: text.clone(),
                        state: MState::Live(SessionState::Pending(kind)),
                        waits_for: rid.value(),
                    });
                }
                assert_eq!(self.client.find_session(&text), Some(h));
            }
            Err(e) => {
                let expected = if pending == P {
                    Some(Error::TooManyPending)
                } else if duplicate && !resume {
                    Some(Error::DuplicateSession)
                } else if duplicate && live.is_none() {
                    Some(Error::SessionBusy)
                } else if full && live.is_none() {
                    Some(Error::SessionTableFull)
                } else if options == 2 || options == 3 {
                    Some(Error::InvalidParams)
                } else {
                    None
                };
                let ok = match (e, expected) {
                    (Error::Closed, _) => self.m.maybe_closing,
                    // Invalid options are found while they are written, so a full transmit
                    // buffer can be found first.
                    (Error::TransmitFull { .. }, Some(Error::InvalidParams)) => self.free() < 400,
                    (e, Some(x)) => e == x,
                    (Error::TransmitFull { .. }, None) => options == 4 || self.free() < 400,
                    _ => false,
                };
                assert!(ok, "open refused with {e:?}, expected {expected:?}");
                self.refused(e, before, slots, pending, "open");
                if !duplicate {
                    assert_eq!(self.client.find_session(&text), None);
                }
            }
        }
    }

    /// The id of the request just queued, if one was.
    fn sent_next_id(&mut self) -> Option<RequestId> {
        let pending = self.client.transmit_bytes();
        let new = pending.get(self.o.parsed - self.o.drained..)?;
        let (frames, _) = parse_output(new);
        match frames.first() {
            Some(Out::Request { id, .. }) => Some(copilot_sansio::fuzz_hook::request_id(*id)),
            _ => None,
        }
    }

    fn respond(&mut self, request: u8, how: u8, before: &[u8]) {
        let n = self.m.server.len();
        if n == 0 {
            return;
        }
        let i = usize::from(request) % n;
        let (reply, state) = (self.m.server[i].reply, self.m.server[i].state);
        let how = how % 5;
        let big = RawJson::parse(&self.big_text);
        let content = RawJson::parse(r#"{"content":"ok \u00e9"}"#);
        let (Ok(big), Ok(content)) = (big, content) else {
            panic!("test JSON")
        };
        let r = match how {
            0 => self.client.respond(reply, &content),
            1 => self.client.respond_raw(reply, "{}"),
            2 => self.client.respond_error(reply, -32603, "no \"file\"\n"),
            3 => self.client.respond_raw(reply, "{"),
            _ => self.client.respond(reply, &big),
        };
        match r {
            Ok(()) => {
                assert_eq!(state, SState::Live, "answered a request twice: {reply:?}");
                assert!(how < 3);
                let out = self.new_output();
                let id = self.m.server[i].id.clone();
                assert_eq!(out, [Out::Answer { id }]);
                self.m.server[i].state = SState::Done;
            }
            Err(e) => {
                let ok = match e {
                    Error::UnknownReply => state != SState::Live,
                    Error::Closed => self.m.maybe_closing,
                    Error::InvalidJson(_) => how == 3,
                    Error::TransmitFull { .. } => how == 4 || self.free() < 400,
                    _ => false,
                };
                assert!(ok, "respond refused with {e:?} for {state:?}");
                assert!(self.new_output().is_empty());
                assert_eq!(self.client.transmit_bytes(), before);
            }
        }
    }

    /// Polls one event and checks it; false if there was none.
    fn poll(&mut self) -> bool {
        let now = self.now();
        let frames = self.client.stats().frames;
        // With the output written, `can_poll` says exactly whether an event is ready: drivers
        // wait for IO while it is false, so a lie either way is a stall or a busy loop.
        let promised = self
            .client
            .transmit_bytes()
            .is_empty()
            .then(|| self.client.can_poll(&self.inbox));
        let event = self.client.poll_event(&mut self.inbox, now);
        if let Some(promised) = promised {
            assert_eq!(promised, event.is_some(), "can_poll said {promised}");
        }
        let took = self.client.stats().frames - frames;
        assert!(took <= 1, "one poll consumed {took} frames");
        // The event's own frame comes first, then the answers owed so far (including those its
        // effects made owed).
        let out = take_output(&self.client, &mut self.o);
        let expect = event.as_ref().map_or(Expect::Nothing, expect_of);
        if let Some(event) = &event {
            if self.o.trace {
                std::eprintln!("  event {event:?}");
            }
            check_routing(&self.client, event);
            if let Event::Request(r) = event {
                super::values::typed_request(r);
            }
            on_event(&mut self.m, event);
        }
        on_output(&mut self.m, out, expect);
        let Some(_) = event else {
            assert_eq!(took, 0, "a frame consumed without an event");
            if !self.client.is_closed() && self.client.transmit_bytes().is_empty() {
                assert!(
                    !self.inbox.is_closed(),
                    "input ended, output written, and no event: stuck before Closed"
                );
                assert!(
                    !self.inbox.receive_buffer().is_empty(),
                    "stuck: receive buffer full ({} bytes), output written, no event",
                    self.inbox.buffered()
                );
            }
            return false;
        };
        true
    }

    fn check(&mut self) {
        assert!(self.client.transmit_bytes().len() <= self.tx_len);
        assert_eq!(
            self.client.wants_transmit(),
            !self.client.transmit_bytes().is_empty()
        );
        assert!(self.inbox.buffered() <= self.inbox.capacity());
        let m = &self.m;
        assert_eq!(
            self.client.session_slots_in_use(),
            m.live() + m.orphans,
            "slots in use vs model {:?}, {} orphans",
            m.sessions,
            m.orphans
        );
        assert_eq!(self.client.pending_requests(), m.pending_requests());
        let server = m
            .server
            .iter()
            .filter(|e| matches!(e.state, SState::Live | SState::Owed))
            .count();
        assert_eq!(self.client.pending_server_requests(), server);
        for s in &m.sessions {
            match s.state {
                MState::Gone => {
                    assert_eq!(self.client.session_state(s.handle), None);
                    assert!(self.client.session_id(s.handle).is_none());
                }
                MState::Live(state) => {
                    assert_eq!(self.client.session_state(s.handle), Some(state), "{s:?}");
                    assert!(
                        self.client
                            .session_id(s.handle)
                            .is_some_and(|id| *id == *s.id)
                    );
                }
            }
        }
        assert_eq!(self.client.sessions().count(), m.live());
        assert_eq!(self.client.is_closed(), m.closed);
    }

    /// Once every frame was read (none lost to broken framing), each request the server
    /// responded to, whatever the response looked like (malformed, too deep, too large with its
    /// id anywhere), is resolved: not left for the end of input.
    fn check_responses_resolved(&self) {
        let all_read = self.pushed == self.wire.len() && self.inbox.buffered() == 0;
        if self.garbage || self.m.maybe_closing || self.client.is_closed() || !all_read {
            return;
        }
        for (rid, done) in &self.m.caller {
            let answered = self.responded.contains(&rid.value());
            assert!(
                !answered || *done,
                "{rid} got a response but never resolved"
            );
        }
        for s in &self.m.sessions {
            let waiting = matches!(
                s.state,
                MState::Live(SessionState::Pending(_) | SessionState::Closing)
            );
            assert!(
                !(waiting && self.responded.contains(&s.waits_for)),
                "{s:?}: its request got a response but the session still waits"
            );
        }
    }

    /// Delivers the rest, ends the input, and writes everything out: then every session, request
    /// and server request must be settled.
    fn finish(&mut self) {
        let mut idle = 0;
        while !self.inbox.is_closed() && !self.client.is_closed() {
            let mut progress = false;
            self.drain(usize::MAX);
            let took = self.inbox.push(&self.wire[self.pushed..]);
            self.pushed += took;
            progress |= took > 0;
            while self.poll() {
                progress = true;
                self.check();
            }
            progress |= !self.client.transmit_bytes().is_empty();
            if self.pushed == self.wire.len() && !progress {
                break;
            }
            idle = if progress { 0 } else { idle + 1 };
            assert!(idle < 3, "stuck delivering the rest of the input");
        }
        self.check_responses_resolved();
        self.inbox.close();
        self.m.maybe_closing = true;
        let mut rounds = 0;
        while !self.client.is_closed() || !self.client.transmit_bytes().is_empty() {
            rounds += 1;
            assert!(rounds < 100_000, "never closes");
            self.drain(usize::MAX);
            while self.poll() {
                self.check();
            }
        }
        self.drain(usize::MAX);
        assert!(!self.poll(), "event after Closed");
        self.check();
        assert!(self.client.is_closed() && self.m.closed);
        assert_eq!(self.client.session_slots_in_use(), 0, "slots leaked");
        assert_eq!(self.client.pending_requests(), 0, "requests leaked");
        assert_eq!(
            self.client.pending_server_requests(),
            0,
            "server requests leaked"
        );
        for e in &self.m.server {
            assert_eq!(
                e.state,
                SState::Done,
                "server request never answered: {e:?}"
            );
        }
        assert_eq!(self.client.pending_server_requests(), 0);
        assert_eq!(
            self.client.request(self.now(), "x", &()),
            Err(Error::Closed)
        );
        // Every frame that arrived was taken, once: none lost, none read twice.
        if !self.pushed_after_eof {
            let pushed = &self.wire[..self.pushed];
            let frames = super::framing::frames_in(pushed, self.rx_len, self.max_frame);
            assert_eq!(self.client.stats().frames, frames as u64, "frames read");
        }
    }
}

/// Accounts for the frames a poll queued: owed answers first, then what the event says.
fn on_output(m: &mut Model, mut out: Vec<Out>, expect: Expect) {
    match expect {
        Expect::Nothing => {}
        Expect::Answer { null_id } => match (!out.is_empty()).then(|| out.remove(0)) {
            Some(Out::Answer { id }) => assert!(!null_id || id == "null", "{id}"),
            other => panic!("automatic answer not queued: {other:?}"),
        },
        Expect::OrphanDestroy => {
            let i = out.iter().position(|o| matches!(o, Out::Request { .. }));
            let Some(i) = i else {
                panic!("orphan destroy not queued")
            };
            match out.remove(i) {
                Out::Request {
                    method,
                    session_id: Some(sid),
                    ..
                } => {
                    assert_eq!(method, "session.destroy");
                    assert!(
                        !m.routable(&sid),
                        "destroying orphan {sid} on the server, which is a live session's id"
                    );
                }
                other => panic!("orphan destroy: {other:?}"),
            }
        }
        Expect::Request(method) => {
            let i = out.iter().position(|o| matches!(o, Out::Request { .. }));
            let Some(i) = i else {
                panic!("{method} not queued")
            };
            match out.remove(i) {
                Out::Request { method: m, .. } => assert_eq!(m, method),
                _ => unreachable!(),
            }
        }
    }
    for o in out {
        let Out::Answer { id } = o else {
            panic!("unexpected request queued by a poll: {o:?}")
        };
        // Owed: their session closed, or the connection did.
        let owed = m
            .server
            .iter_mut()
            .find(|e| e.id == id && e.state == SState::Owed);
        match owed {
            Some(e) => e.state = SState::Done,
            None => panic!("answer to {id}, which was not owed: answered twice?"),
        }
    }
}
