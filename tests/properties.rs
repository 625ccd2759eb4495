//! Property tests: chunking never matters, the session table follows a reference model, and
//! every typed request goes through the simulated CLI and comes back as sent.

mod support;

use copilot_sansio::json::JsonStr;

use copilot_sansio::{
    AutoAction, CallerAnswers, Client, Config, Error, Event, Failure, Inbox, Instant, OpenMethod,
    SessionHandle, SessionId, SessionState,
};
use proptest::prelude::*;
use support::*;

// ----- chunking invariance -------------------------------------------------------------------

/// One server message of a generated stream.
#[derive(Debug, Clone)]
enum Msg {
    /// A `session.event` for session `0..3` (2 is unknown), with escapes and surrogates.
    Event(usize, String),
    Lifecycle(usize),
    /// A `sessionFs.readFile` (or, for `None`, a connection-wide `llmInference` request).
    Request(Option<usize>),
    /// A response to request id `n`: result or error.
    Response(u32, bool),
    Notification,
    /// A body that is not a message.
    Invalid(String),
    /// A frame larger than the receive buffer.
    Oversized(usize),
}

const IDS: [&str; 3] = ["a", "b\\u00e9", "zz"];

fn render(msgs: &[Msg]) -> Vec<u8> {
    let mut wire = Vec::new();
    for (n, m) in msgs.iter().enumerate() {
        let body = match m {
            Msg::Event(s, text) => format!(
                r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{}","event":{{"type":"assistant.message_delta","data":{{"deltaContent":{}}},"id":"e{n}","parentId":null}}}}}}"#,
                IDS[*s],
                serde_json::to_string(text).unwrap()
            ),
            Msg::Lifecycle(s) => format!(
                r#"{{"jsonrpc":"2.0","method":"session.lifecycle","params":{{"type":"session.updated","sessionId":"{}"}}}}"#,
                IDS[*s]
            ),
            Msg::Request(Some(s)) => format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":"sessionFs.readFile","params":{{"sessionId":"{}","path":"/p"}}}}"#,
                100 + n,
                IDS[*s]
            ),
            Msg::Request(None) => format!(
                r#"{{"jsonrpc":"2.0","id":"r{n}","method":"llmInference.complete","params":{{}}}}"#
            ),
            Msg::Response(id, true) => {
                let sid = match id {
                    1 => r#"{"sessionId":"a"}"#,
                    2 => r#"{"sessionId":"b\u00e9"}"#,
                    _ => "{}",
                };
                format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{sid}}}"#)
            }
            Msg::Response(id, false) => format!(
                r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32603,"message":"no \"luck\""}}}}"#
            ),
            Msg::Notification => {
                r#"{"jsonrpc":"2.0","method":"$/progress","params":{"v":[1,{"w":null}]}}"#
                    .to_string()
            }
            Msg::Invalid(text) => text.clone(),
            Msg::Oversized(len) => format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":"sessionFs.writeFile","params":{{"sessionId":"a","content":"{}"}}}}"#,
                200 + n,
                "x".repeat(*len)
            ),
        };
        wire.extend(frame(&body));
    }
    wire
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        4 => (0..3usize, "[a-z \\\\\"\u{e9}\u{1F600}\u{2028}]{0,40}").prop_map(|(s, t)| Msg::Event(s, t)),
        1 => (0..3usize).prop_map(Msg::Lifecycle),
        2 => prop::option::of(0..3usize).prop_map(Msg::Request),
        2 => (1..6u32, any::<bool>()).prop_map(|(id, ok)| Msg::Response(id, ok)),
        1 => Just(Msg::Notification),
        1 => "[\\[\\]{}\":,0-9a-z ]{0,30}".prop_map(Msg::Invalid),
        1 => (1500..3000usize).prop_map(Msg::Oversized),
    ]
}

/// Events and output for `wire` fed in pieces of the sizes in `chunks` (cycled), then the end
/// of input.
fn run_stream(wire: &[u8], chunks: &[usize]) -> (Vec<Ev>, Vec<u8>) {
    let config =
        Config::default().caller_answers(CallerAnswers::SESSION_FS | CallerAnswers::LLM_INFERENCE);
    let mut c = Conn::<4, 8>::new(2048, 2048, config);
    let _ = c
        .client
        .create_session(NOW, SessionId::new("a").unwrap(), &())
        .unwrap();
    let _ = c
        .client
        .resume_session(NOW, SessionId::new("b\u{e9}").unwrap(), &())
        .unwrap();
    let _ = c.client.request(NOW, "status.get", &()).unwrap();
    let mut i = 0;
    let mut events = c.feed_with(wire, &mut || {
        i += 1;
        chunks[i % chunks.len()]
    });
    events.extend(c.close());
    (events, c.output())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn chunking_never_changes_events_or_output(
        msgs in prop::collection::vec(msg(), 0..24),
        chunks in prop::collection::vec(1..400usize, 1..16),
    ) {
        let wire = render(&msgs);
        let (whole_events, whole_out) = run_stream(&wire, &[usize::MAX]);
        prop_assert_eq!(whole_events.last(), Some(&Ev::End));
        let (events, out) = run_stream(&wire, &chunks);
        prop_assert_eq!(&events, &whole_events);
        prop_assert_eq!(&out, &whole_out);
        let (bytewise_events, bytewise_out) = run_stream(&wire, &[1]);
        prop_assert_eq!(&bytewise_events, &whole_events);
        prop_assert_eq!(&bytewise_out, &whole_out);
    }
}

// ----- the session table against a reference model -------------------------------------------

const S: usize = 3;
const P: usize = 4;
const TIMEOUT: u64 = 100;
const POOL: [&str; 4] = ["s0", "s1", "s2", "s3"];

#[derive(Debug, Clone, Copy)]
enum Reply {
    Ok,
    Error,
    OtherId,
    Null,
    Empty,
}

#[derive(Debug, Clone)]
enum Op {
    Open(usize, OpenMethod),
    /// The server answers the `n`-th pending request (or an id never sent).
    Respond(usize, Reply),
    Unknown(u32),
    Event(usize),
    Destroy(usize),
    Advance(u64),
    Eof,
}

fn op() -> impl Strategy<Value = Op> {
    let reply = prop_oneof![
        4 => Just(Reply::Ok),
        2 => Just(Reply::Error),
        1 => Just(Reply::OtherId),
        1 => Just(Reply::Null),
        1 => Just(Reply::Empty),
    ];
    prop_oneof![
        4 => (0..POOL.len(), prop_oneof![Just(OpenMethod::Create), Just(OpenMethod::Resume)])
            .prop_map(|(i, k)| Op::Open(i, k)),
        5 => (0..8usize, reply).prop_map(|(n, r)| Op::Respond(n, r)),
        1 => (1000..1010u32).prop_map(Op::Unknown),
        2 => (0..POOL.len()).prop_map(Op::Event),
        2 => (0..8usize).prop_map(Op::Destroy),
        2 => (0..150u64).prop_map(Op::Advance),
        1 => Just(Op::Eof),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Live(SessionState),
    Orphan,
    Gone,
}

#[derive(Debug)]
struct MSession {
    id: &'static str,
    kind: OpenMethod,
    handle: SessionHandle,
    slot: usize,
    state: St,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Open,
    /// A resume of a session that is open.
    LiveResume,
    Destroy,
    OrphanOpen,
    OrphanDestroy,
}

#[derive(Debug)]
struct MReq {
    id: u32,
    session: usize,
    purpose: Purpose,
    deadline: Option<u64>,
}

/// The reference: a list of sessions, a list of pending requests in table order, and a stack
/// of free slots.
#[derive(Debug, Default)]
struct Model {
    sessions: Vec<MSession>,
    reqs: Vec<MReq>,
    free: Vec<usize>,
    next_id: u32,
    now: u64,
    closed: bool,
}

impl Model {
    fn new() -> Self {
        Model {
            free: (0..S).rev().collect(),
            next_id: 1,
            ..Model::default()
        }
    }

    fn send(&mut self, session: usize, purpose: Purpose) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.reqs.push(MReq {
            id,
            session,
            purpose,
            deadline: Some(self.now + TIMEOUT),
        });
        id
    }

    fn release(&mut self, i: usize) {
        self.sessions[i].state = St::Gone;
        self.free.push(self.sessions[i].slot);
    }

    fn routable(&self, id: &str) -> Option<usize> {
        self.sessions
            .iter()
            .position(|s| s.id == id && matches!(s.state, St::Live(_)))
    }

    fn slots_in_use(&self) -> usize {
        S - self.free.len()
    }

    /// The events a request's end (response, timeout, end of input) yields; `outcome` is
    /// `Err(tag)` for failures.
    fn settle(&mut self, r: MReq, reply: Option<Reply>, failure: &str) -> String {
        let i = r.session;
        let (h, kind) = (self.sessions[i].handle, self.sessions[i].kind);
        match (r.purpose, reply) {
            (Purpose::Open, Some(Reply::Ok)) | (Purpose::Open, Some(Reply::Empty))
                if matches!(reply, Some(Reply::Ok)) || kind == OpenMethod::Resume =>
            {
                self.sessions[i].state = St::Live(SessionState::Active);
                format!("opened {h:?}")
            }
            (Purpose::Open, Some(reply)) => {
                self.release(i);
                let why = match reply {
                    Reply::Error => "Rpc",
                    Reply::Null => "InvalidResult",
                    _ => "SessionIdMismatch",
                };
                format!("open-failed {h:?} {why}")
            }
            (Purpose::Open, None) if failure == "TimedOut" => {
                // Kept out of routing; released if no response comes within as long again.
                self.sessions[i].state = St::Orphan;
                self.reqs.push(MReq {
                    purpose: Purpose::OrphanOpen,
                    deadline: Some(self.now + TIMEOUT),
                    ..r
                });
                format!("open-failed {h:?} TimedOut")
            }
            (Purpose::Open, None) => {
                self.release(i);
                format!("open-failed {h:?} {failure}")
            }
            // A live resume: the session stays open, whatever the outcome.
            (Purpose::LiveResume, reply) => {
                self.sessions[i].state = St::Live(SessionState::Active);
                match reply {
                    Some(Reply::Ok | Reply::Empty) => format!("opened {h:?}"),
                    Some(Reply::Error) => format!("resume-failed {h:?} Rpc"),
                    Some(Reply::Null) => format!("resume-failed {h:?} InvalidResult"),
                    Some(Reply::OtherId) => format!("resume-failed {h:?} SessionIdMismatch"),
                    None => format!("resume-failed {h:?} {failure}"),
                }
            }
            (Purpose::Destroy, reply) => {
                self.release(i);
                let result = match reply {
                    Some(Reply::Error) => "Rpc",
                    Some(_) => "Ok",
                    None => failure,
                };
                format!("closed {h:?} {result}")
            }
            // A late success: destroyed on the server, unless the caller has opened that id
            // again since (then the server session is the caller's).
            (Purpose::OrphanOpen, Some(reply))
                if !matches!(reply, Reply::Error)
                    && self.routable(self.sessions[i].id).is_none() =>
            {
                self.send(i, Purpose::OrphanDestroy);
                "destroying-orphan".to_string()
            }
            (Purpose::OrphanOpen | Purpose::OrphanDestroy, _) => {
                self.release(i);
                "orphan-released".to_string()
            }
        }
    }
}

fn tag(e: &Event<'_>) -> String {
    let failure = |f: &Failure<'_>| match f {
        Failure::Rpc(_) => "Rpc",
        Failure::TimedOut => "TimedOut",
        Failure::ConnectionClosed => "ConnectionClosed",
        Failure::SessionIdMismatch { .. } => "SessionIdMismatch",
        Failure::InvalidResult => "InvalidResult",
        other => panic!("unexpected failure {other:?}"),
    };
    match e {
        Event::SessionOpened { session, .. } => format!("opened {session:?}"),
        Event::SessionOpenFailed {
            session, reason, ..
        } => format!("open-failed {session:?} {}", failure(reason)),
        Event::LiveResumeFailed { session, reason } => {
            format!("resume-failed {session:?} {}", failure(reason))
        }
        Event::SessionClosed { session, result } => format!(
            "closed {session:?} {}",
            match result {
                Ok(()) => "Ok",
                Err(f) => failure(f),
            }
        ),
        Event::Session { session, event } => {
            format!("event {session:?} {}", event.session_id().unwrap())
        }
        Event::UnknownSessionEvent(e) => format!("unknown-session {}", e.session_id().unwrap()),
        Event::Auto(AutoAction::DestroyingOrphan) => "destroying-orphan".to_string(),
        Event::Auto(AutoAction::OrphanReleased) => "orphan-released".to_string(),
        Event::Error(copilot_sansio::InputError::UnknownResponse { .. }) => {
            "unknown-response".to_string()
        }
        Event::Closed => "end".to_string(),
        other => panic!("unexpected event {other:?}"),
    }
}

fn reply_body(id: u32, reply: Reply, sid: &str) -> String {
    let outcome = match reply {
        Reply::Ok => format!(r#""result":{{"sessionId":"{sid}","workspacePath":"/w"}}"#),
        Reply::Error => r#""error":{"code":-32603,"message":"boom"}"#.to_string(),
        Reply::OtherId => r#""result":{"sessionId":"other"}"#.to_string(),
        Reply::Null => r#""result":null"#.to_string(),
        Reply::Empty => r#""result":{}"#.to_string(),
    };
    format!(r#"{{"jsonrpc":"2.0","id":{id},{outcome}}}"#)
}

fn check_model(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut rx = vec![0u8; 4096];
    let mut tx = vec![0u8; 64 * 1024];
    let mut inbox = Inbox::new(&mut rx);
    let config = Config::default().request_timeout_ms(Some(TIMEOUT));
    let mut client: Client<'_, S, P> = Client::new(&mut tx, config).unwrap();
    let mut m = Model::new();
    for op in ops {
        let now = Instant::from_millis(m.now);
        let mut expected: Vec<String> = Vec::new();
        let mut feed: Option<String> = None;
        match *op {
            Op::Open(i, kind) => {
                let id = SessionId::new(POOL[i]).unwrap();
                let got = match kind {
                    OpenMethod::Create => client.create_session(now, id, &()),
                    OpenMethod::Resume => client.resume_session(now, id, &()),
                };
                let existing = m.routable(POOL[i]);
                let live = existing.filter(|&s| {
                    kind == OpenMethod::Resume
                        && m.sessions[s].state == St::Live(SessionState::Active)
                });
                let want = if m.closed {
                    Err(Error::Closed)
                } else if m.reqs.len() == P {
                    Err(Error::TooManyPending)
                } else if live.is_some() {
                    Ok(())
                } else if existing.is_some() && kind == OpenMethod::Resume {
                    Err(Error::SessionBusy)
                } else if existing.is_some() {
                    Err(Error::DuplicateSession)
                } else if m.free.is_empty() {
                    Err(Error::SessionTableFull)
                } else {
                    Ok(())
                };
                match (got, want) {
                    (Ok(h), Ok(())) if live.is_some() => {
                        let s = live.unwrap();
                        prop_assert_eq!(h, m.sessions[s].handle, "a live resume keeps the handle");
                        m.sessions[s].state = St::Live(SessionState::Resuming);
                        m.send(s, Purpose::LiveResume);
                    }
                    (Ok(h), Ok(())) => {
                        let slot = m.free.pop().unwrap();
                        prop_assert_eq!(h.index(), slot);
                        prop_assert!(m.sessions.iter().all(|s| s.handle != h), "handle reused");
                        m.sessions.push(MSession {
                            id: POOL[i],
                            kind,
                            handle: h,
                            slot,
                            state: St::Live(SessionState::Pending(kind)),
                        });
                        m.send(m.sessions.len() - 1, Purpose::Open);
                    }
                    (Err(e), Err(w)) => prop_assert_eq!(e, w),
                    (got, want) => prop_assert!(false, "open: {:?}, model: {:?}", got, want),
                }
            }
            Op::Respond(n, reply) => {
                if m.reqs.is_empty() {
                    continue;
                }
                let r = m.reqs.remove(n % m.reqs.len());
                feed = Some(reply_body(r.id, reply, m.sessions[r.session].id));
                if !m.closed {
                    expected.push(m.settle(r, Some(reply), ""));
                }
            }
            Op::Unknown(id) => {
                feed = Some(reply_body(id, Reply::Empty, ""));
                if !m.closed {
                    expected.push("unknown-response".to_string());
                }
            }
            Op::Event(i) => {
                feed = Some(format!(
                    r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{}","event":{{"type":"session.idle","data":{{}}}}}}}}"#,
                    POOL[i]
                ));
                if !m.closed {
                    expected.push(match m.routable(POOL[i]) {
                        Some(s) => format!("event {:?} {}", m.sessions[s].handle, POOL[i]),
                        None => format!("unknown-session {}", POOL[i]),
                    });
                }
            }
            Op::Destroy(n) => {
                if m.sessions.is_empty() {
                    continue;
                }
                let i = n % m.sessions.len();
                let got = client.session(m.sessions[i].handle).destroy(now);
                let want = match m.sessions[i].state {
                    St::Gone | St::Orphan => Err(Error::UnknownSession),
                    St::Live(SessionState::Active) if m.closed => Err(Error::Closed),
                    St::Live(SessionState::Active) if m.reqs.len() == P => {
                        Err(Error::TooManyPending)
                    }
                    St::Live(SessionState::Active) => Ok(()),
                    St::Live(SessionState::Resuming) => Err(Error::SessionBusy),
                    St::Live(_) => Err(Error::SessionNotActive),
                };
                match (got, want) {
                    (Ok(_), Ok(())) => {
                        m.sessions[i].state = St::Live(SessionState::Closing);
                        m.send(i, Purpose::Destroy);
                    }
                    (Err(e), Err(w)) => prop_assert_eq!(e, w),
                    (got, want) => prop_assert!(false, "destroy: {:?}, model: {:?}", got, want),
                }
            }
            Op::Advance(ms) => {
                m.now += ms;
                client.handle_timeout(Instant::from_millis(m.now));
                let mut k = 0;
                let mut due = Vec::new();
                while k < m.reqs.len() {
                    if m.reqs[k].deadline.is_some_and(|d| d <= m.now) {
                        due.push(m.reqs.remove(k));
                    } else {
                        k += 1;
                    }
                }
                for r in due {
                    expected.push(m.settle(r, None, "TimedOut"));
                }
            }
            Op::Eof => {
                inbox.close();
                if !m.closed {
                    for r in std::mem::take(&mut m.reqs) {
                        let e = m.settle(r, None, "ConnectionClosed");
                        expected.push(e);
                    }
                    let mut left: Vec<usize> = (0..m.sessions.len())
                        .filter(|&i| m.sessions[i].state != St::Gone)
                        .collect();
                    left.sort_by_key(|&i| m.sessions[i].slot);
                    for i in left {
                        let h = m.sessions[i].handle;
                        expected.push(match m.sessions[i].state {
                            St::Orphan => "orphan-released".to_string(),
                            _ => format!("closed {h:?} ConnectionClosed"),
                        });
                        m.release(i);
                    }
                    expected.push("end".to_string());
                    m.closed = true;
                }
            }
        }
        if let Some(body) = feed {
            prop_assert_eq!(inbox.push(&frame(&body)), frame(&body).len());
        }
        let now = Instant::from_millis(m.now);
        let mut got = Vec::new();
        while let Some(e) = client.poll_event(&mut inbox, now) {
            got.push(tag(&e));
        }
        let n = client.transmit_bytes().len();
        client.transmitted(n);
        prop_assert_eq!(&got, &expected, "after {:?}", op);
        // States, handles and slot counts.
        prop_assert_eq!(client.session_slots_in_use(), m.slots_in_use());
        prop_assert_eq!(client.pending_requests(), m.reqs.len());
        prop_assert_eq!(client.is_closed(), m.closed);
        for s in &m.sessions {
            let want = match s.state {
                St::Live(state) => Some(state),
                St::Orphan | St::Gone => None,
            };
            prop_assert_eq!(client.session_state(s.handle), want, "{:?}", s);
            if let St::Live(_) = s.state {
                prop_assert_eq!(client.find_session(s.id), Some(s.handle));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_session_table_follows_the_reference_model(ops in prop::collection::vec(op(), 0..60)) {
        check_model(&ops)?;
    }
}

// ----- typed requests through the simulated CLI ----------------------------------------------

/// Text that needs every kind of escaping: quotes, backslashes, control characters,
/// non-ASCII, characters beyond the BMP (escaped on the wire as surrogate pairs by some
/// writers). At most 16 characters, so the simulated CLI echoes it whole.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        4 => any::<char>(),
        1 => prop::sample::select(vec!['"', '\\', '/', '\n', '\t', '\u{1}', '\u{7f}', 'é', '\u{2028}', '🚀']),
    ];
    prop::collection::vec(c, 0..16).prop_map(String::from_iter)
}

/// A session id a caller may choose: no control characters, at most 64 bytes.
fn session_id() -> impl Strategy<Value = String> {
    text()
        .prop_map(|t| t.chars().filter(|c| !c.is_control()).collect::<String>())
        .prop_filter("non-empty", |t| !t.is_empty())
}

/// Moves bytes both ways until neither side has anything to say; returns the client's events.
fn converse(
    client: &mut Client<'static, 4, 8>,
    inbox: &mut Inbox<'static>,
    sim: &mut copilot_sansio::sim::Sim<'static, 4>,
    now: Instant,
) -> Vec<Ev> {
    let mut events = Vec::new();
    loop {
        let n = sim.push(client.transmit_bytes());
        client.transmitted(n);
        let progressed = sim.poll() | (n > 0);
        let n = inbox.push(sim.transmit_bytes());
        sim.transmitted(n);
        while let Some(event) = client.poll_event(inbox, now) {
            events.push(Ev::of(&event));
        }
        if !progressed && n == 0 && client.transmit_bytes().is_empty() {
            return events;
        }
    }
}

/// The JSON result of the response to `id` among `events`.
fn result_of(events: &[Ev], id: impl Into<copilot_sansio::RequestId>) -> serde_json::Value {
    let id = id.into();
    let text = events
        .iter()
        .find_map(|e| match e {
            Ev::Response(i, text) if *i == id => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no response to {id:?} in {events:?}"));
    let json = text
        .strip_prefix("Ok(")
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or_else(|| panic!("request {id:?} failed: {text}"));
    serde_json::from_str(json).unwrap()
}

/// Every typed request with generated text goes through the simulated CLI's decoder: the CLI
/// reads it (no bad frame, no error answer) and what it echoes back decodes to what was sent.
fn typed_round_trip(
    sid: &str,
    text: &str,
    streaming: bool,
    mode: Option<copilot_sansio::proto::params::SendMode>,
) -> Result<(), TestCaseError> {
    use copilot_sansio::Connect;
    use copilot_sansio::proto::params::{
        AbortReason, Attachment, AttachmentFile, ExternalToolResult, SessionLog, SessionLogLevel,
        SessionModelSwitchTo, SessionOptions, SessionSend, SystemMessage, ToolDeclaration,
    };
    use copilot_sansio::sim::{ModelReply, Sim, SimConfig};

    let now = Instant::from_millis(0);
    let mut client: Client<'static, 4, 8> =
        Client::new(leak(16 * 1024), Config::default()).unwrap();
    let mut inbox = Inbox::new(leak(16 * 1024));
    const REPLIES: [ModelReply<'static>; 1] = [ModelReply::ToolCall {
        tool: "lookup",
        arguments: r#"{"q":"x"}"#,
        then: "done",
    }];
    let config = SimConfig::default().replies(&REPLIES);
    let mut sim: Sim<'static, 4> = Sim::new(leak(32 * 1024), leak(32 * 1024), config);

    client.connect(now, &Connect::default()).unwrap();
    let ping = client.ping(now, Some(text)).unwrap();
    let plain = [
        client.get_status(now).unwrap(),
        client.get_auth_status(now).unwrap(),
        client.list_models(now).unwrap().id(),
        client.set_llm_inference_provider(now).unwrap().id(),
    ];
    let events = converse(&mut client, &mut inbox, &mut sim, now);
    prop_assert!(
        matches!(events.first(), Some(Ev::Connected(3, _))),
        "{events:?}"
    );
    for id in plain {
        result_of(&events, id);
    }
    let pong = result_of(&events, ping);
    let expected = format!("pong: {text}");
    prop_assert_eq!(pong["message"].as_str(), Some(expected.as_str()));

    let schema = copilot_sansio::json::RawJson::parse(r#"{"type":"object"}"#).unwrap();
    let tools = [ToolDeclaration::new("lookup", text)
        .parameters(schema)
        .skip_permission(true)];
    let options = SessionOptions::default()
        .model(text)
        .client_name(text)
        .streaming(streaming)
        .working_directory(text)
        .system_message(SystemMessage::append(text))
        .tools(&tools);
    let h = client
        .create_session(now, SessionId::new(sid).unwrap(), &options)
        .unwrap();
    let events = converse(&mut client, &mut inbox, &mut sim, now);
    let opened = events.iter().find_map(|e| match e {
        Ev::Opened(s, OpenMethod::Create, result) if *s == h => Some(result.clone()),
        _ => None,
    });
    let opened: serde_json::Value = serde_json::from_str(&opened.unwrap()).unwrap();
    prop_assert_eq!(opened["sessionId"].as_str(), Some(sid));

    let attachments = [Attachment::File(
        AttachmentFile::new(text).display_name(text),
    )];
    let send = SessionSend::new(text).attachments(&attachments);
    let send = match mode {
        Some(mode) => send.mode(mode),
        None => send,
    };
    let sent = client.session(h).send(now, &send).unwrap();
    let events = converse(&mut client, &mut inbox, &mut sim, now);
    prop_assert!(result_of(&events, sent)["messageId"].is_string());
    let user = events.iter().find_map(|e| match e {
        Ev::Session(s, kind, raw) if *s == h && kind == "user.message" => Some(raw.clone()),
        _ => None,
    });
    let user: serde_json::Value = serde_json::from_str(&user.unwrap()).unwrap();
    prop_assert_eq!(user["data"]["content"].as_str(), Some(text));
    // The model calls the tool; the answer's text comes back in the tool's completion.
    let call = events.iter().find_map(|e| match e {
        Ev::Session(s, kind, raw) if *s == h && kind == "external_tool.requested" => {
            Some(serde_json::from_str::<serde_json::Value>(raw).unwrap())
        }
        _ => None,
    });
    let call = call.unwrap_or_else(|| panic!("no tool call in {events:?}"));
    let request_id = call["data"]["requestId"].as_str().unwrap();
    let answer = Ok(ExternalToolResult::Text(text));
    let answered = client
        .session(h)
        .answer_tool_call(now, JsonStr::from_plain(request_id).unwrap(), answer)
        .unwrap();
    let events = converse(&mut client, &mut inbox, &mut sim, now);
    prop_assert_eq!(
        result_of(&events, answered)["success"].as_bool(),
        Some(true)
    );
    let complete = events.iter().find_map(|e| match e {
        Ev::Session(s, kind, raw) if *s == h && kind == "tool.execution_complete" => {
            Some(serde_json::from_str::<serde_json::Value>(raw).unwrap())
        }
        _ => None,
    });
    let complete = complete.unwrap_or_else(|| panic!("no tool completion in {events:?}"));
    prop_assert_eq!(complete["data"]["result"]["content"].as_str(), Some(text));
    prop_assert!(
        events
            .iter()
            .any(|e| matches!(e, Ev::Session(_, k, _) if k == "session.idle"))
    );

    let model = SessionModelSwitchTo::new(text).reasoning_effort(text);
    let log = SessionLog::new(text)
        .level(SessionLogLevel::Info)
        .ephemeral(true);
    let ids = [
        client.session(h).switch_model(now, &model).unwrap().id(),
        client.session(h).log(now, &log).unwrap().id(),
        client.session(h).get_messages(now).unwrap(),
        client
            .session(h)
            .abort(now, Some(AbortReason::UserInitiated))
            .unwrap()
            .id(),
        client.get_session_metadata(now, sid).unwrap(),
        client.get_last_session_id(now).unwrap(),
        client.list_sessions(now, None).unwrap(),
    ];
    let events = converse(&mut client, &mut inbox, &mut sim, now);
    for id in ids {
        result_of(&events, id);
    }
    client.session(h).destroy(now).unwrap();
    let events = converse(&mut client, &mut inbox, &mut sim, now);
    prop_assert!(
        events
            .iter()
            .any(|e| matches!(e, Ev::Closed(s, _) if *s == h)),
        "{events:?}"
    );

    // The persisted session resumes by its id, then goes for good.
    let resumed = client
        .resume_session(now, SessionId::new(sid).unwrap(), &options)
        .unwrap();
    let events = converse(&mut client, &mut inbox, &mut sim, now);
    let opened = events
        .iter()
        .any(|e| matches!(e, Ev::Opened(s, OpenMethod::Resume, _) if *s == resumed));
    prop_assert!(opened, "{events:?}");
    client.session(resumed).destroy(now).unwrap();
    converse(&mut client, &mut inbox, &mut sim, now);
    let deleted = client.delete_session(now, sid).unwrap();
    let shutdown = client.shutdown_runtime(now).unwrap();
    let events = converse(&mut client, &mut inbox, &mut sim, now);
    result_of(&events, deleted);
    result_of(&events, shutdown);
    prop_assert_eq!(sim.stats().bad_frames, 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn typed_requests_round_trip_through_the_simulated_cli(
        sid in session_id(),
        text in text(),
        streaming in any::<bool>(),
        immediate in any::<Option<bool>>(),
    ) {
        use copilot_sansio::proto::params::SendMode;
        let mode = immediate.map(|i| if i { SendMode::Immediate } else { SendMode::Enqueue });
        typed_round_trip(&sid, &text, streaming, mode)?;
    }
}
