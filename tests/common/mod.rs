//! Shared test harness: owned descriptions of events, fixtures, and a replay driver.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;

use copilot_sansio::json::RawJson;
use copilot_sansio::{
    Client, Config, Connect, Event, Inbox, Instant, OpenKind, ReplyHandle, RequestId,
    SessionHandle, SessionId,
};

pub const NOW: Instant = Instant::from_millis(0);

/// `Content-Length: N\r\n\r\n{body}`
pub fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// An event, owned, with everything a test compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    Connected(u32, Option<String>),
    ConnectFailed(String),
    Opened(SessionHandle, OpenKind, String),
    OpenFailed(SessionHandle, OpenKind, String),
    Closed(SessionHandle, String),
    /// session, type, raw event
    Session(SessionHandle, String, String),
    /// session id, type
    UnknownSession(String, String),
    /// session, raw params
    Lifecycle(Option<SessionHandle>, String),
    Request {
        reply: ReplyHandle,
        id: String,
        method: String,
        session: Option<SessionHandle>,
        params: String,
    },
    Response(RequestId, String),
    Notification(String, Option<SessionHandle>, String),
    Auto(String),
    Error(String),
    End,
}

impl Ev {
    pub fn of(event: &Event<'_>) -> Ev {
        match *event {
            Event::Connected {
                protocol_version,
                server_version,
            } => Ev::Connected(protocol_version, server_version.map(|v| v.to_string())),
            Event::ConnectFailed(f) => Ev::ConnectFailed(format!("{f:?}")),
            Event::SessionOpened {
                session,
                kind,
                result,
            } => Ev::Opened(session, kind, result.to_string()),
            Event::SessionOpenFailed {
                session,
                kind,
                reason,
            } => Ev::OpenFailed(session, kind, format!("{reason:?}")),
            Event::SessionClosed { session, result } => Ev::Closed(session, format!("{result:?}")),
            Event::Session { session, event } => Ev::Session(
                session,
                event.event_type().to_string(),
                event.raw().to_string(),
            ),
            Event::UnknownSessionEvent(e) => Ev::UnknownSession(
                e.session_id().map(|s| s.to_string()).unwrap_or_default(),
                e.event_type().to_string(),
            ),
            Event::Lifecycle { session, lifecycle } => {
                Ev::Lifecycle(session, lifecycle.raw().to_string())
            }
            Event::Request(r) => Ev::Request {
                reply: r.reply,
                id: r.id.to_string(),
                method: r.method.to_string(),
                session: r.session,
                params: r.params.to_string(),
            },
            Event::Response { id, outcome } => Ev::Response(
                id,
                match outcome {
                    Ok(v) => format!("Ok({v})"),
                    Err(f) => format!("Err({f:?})"),
                },
            ),
            Event::Notification {
                method,
                session,
                params,
            } => Ev::Notification(method.to_string(), session, params.to_string()),
            Event::Auto(a) => Ev::Auto(format!("{a:?}")),
            Event::Error(e) => Ev::Error(format!("{e:?}")),
            Event::Closed => Ev::End,
        }
    }

    /// The session an event was routed to, if any.
    pub fn session(&self) -> Option<SessionHandle> {
        match self {
            Ev::Opened(s, ..) | Ev::OpenFailed(s, ..) | Ev::Closed(s, _) | Ev::Session(s, ..) => {
                Some(*s)
            }
            Ev::Lifecycle(s, _) | Ev::Notification(_, s, _) => *s,
            Ev::Request { session, .. } => *session,
            _ => None,
        }
    }

    /// The raw params (or event) text this event was built from, for frame-level comparison.
    pub fn raw(&self) -> Option<&str> {
        match self {
            Ev::Session(_, _, raw) | Ev::Lifecycle(_, raw) | Ev::Notification(_, _, raw) => {
                Some(raw)
            }
            Ev::Request { params, .. } => Some(params),
            _ => None,
        }
    }
}

/// A client and its inbox over leaked buffers (tests only).
pub struct Conn<const S: usize, const P: usize> {
    pub inbox: Inbox<'static>,
    pub client: Client<'static, S, P>,
    /// Output taken out early because the client was waiting for room.
    drained: Vec<u8>,
}

pub fn leak(len: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; len].into_boxed_slice())
}

impl<const S: usize, const P: usize> Conn<S, P> {
    pub fn new(rx: usize, tx: usize, config: Config) -> Self {
        Conn {
            inbox: Inbox::new(leak(rx)),
            client: Client::new(leak(tx), config).expect("client"),
            drained: Vec::new(),
        }
    }

    /// Polls until the client has nothing more to deliver.
    pub fn poll(&mut self) -> Vec<Ev> {
        let mut out = Vec::new();
        while let Some(e) = self.client.poll_event(&mut self.inbox, NOW) {
            out.push(Ev::of(&e));
        }
        out
    }

    /// Feeds `bytes` in pieces of the sizes `chunk` returns, polling after each piece (and
    /// whenever the inbox is full).
    pub fn feed_with(&mut self, bytes: &[u8], chunk: &mut dyn FnMut() -> usize) -> Vec<Ev> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + chunk().max(1)).min(bytes.len());
            let mut piece = &bytes[at..end];
            while !piece.is_empty() {
                let n = self.inbox.push(piece);
                piece = &piece[n..];
                at += n;
                out.extend(self.poll());
                if n == 0 {
                    // The client is waiting for its output to be written.
                    assert!(self.client.wants_transmit(), "inbox full and client stuck");
                    let queued = self.client.transmit_bytes().to_vec();
                    self.client.transmitted(queued.len());
                    self.drained.extend(queued);
                }
            }
        }
        out
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Ev> {
        let len = bytes.len();
        self.feed_with(bytes, &mut || len)
    }

    /// Takes everything queued for the peer.
    pub fn output(&mut self) -> Vec<u8> {
        let mut bytes = std::mem::take(&mut self.drained);
        bytes.extend_from_slice(self.client.transmit_bytes());
        self.client.transmitted(self.client.transmit_bytes().len());
        bytes
    }

    pub fn output_text(&mut self) -> String {
        String::from_utf8(self.output()).expect("utf8 output")
    }

    /// Ends the input and collects the closing events.
    pub fn close(&mut self) -> Vec<Ev> {
        self.inbox.close();
        self.poll()
    }
}

/// One recorded frame.
#[derive(Debug, Clone)]
pub struct Line {
    pub t_ms: f64,
    pub out: bool,
    pub frame: Vec<u8>,
    pub body: String,
}

impl Line {
    pub fn json(&self) -> RawJson<'_> {
        RawJson::parse(&self.body).expect("fixture body is JSON")
    }
    pub fn method(&self) -> Option<String> {
        self.json().get_str("method").map(|m| m.to_string())
    }
    /// `params.sessionId`, or `params.scope.sessionId`.
    pub fn session_id(&self) -> Option<String> {
        let params = self.json().get("params")?;
        params
            .get_str("sessionId")
            .or_else(|| params.get("scope").and_then(|s| s.get_str("sessionId")))
            .map(|s| s.to_string())
    }
}

pub fn fixture_path(name: &str) -> String {
    format!(
        "{}/../shared/fixtures/cli-1.0.102/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

pub fn load(name: &str) -> Vec<Line> {
    load_path(&fixture_path(name))
}

/// Loads a recording in the fixtures' JSON-lines format.
pub fn load_path(path: &str) -> Vec<Line> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("fixture {path}: {e} (../shared must sit beside the repository)")
    });
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("jsonl line");
            let frame = v["frame"].as_str().expect("frame").as_bytes().to_vec();
            let split = frame
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("header end");
            Line {
                t_ms: v["t_ms"].as_f64().unwrap_or(0.0),
                out: v["dir"] == "out",
                body: String::from_utf8(frame[split + 4..].to_vec()).expect("utf8 body"),
                frame,
            }
        })
        .collect()
}

/// What a replay produced.
pub struct Replayed {
    pub events: Vec<Ev>,
    /// Every byte the client queued.
    pub output: Vec<u8>,
    /// The session handle of each session the client created or resumed, by id.
    pub sessions: HashMap<String, SessionHandle>,
    /// Answers the client wrote by itself (requests left unanswered when their session
    /// closed), which the recorded client never sent.
    pub auto_output: Vec<u8>,
}

/// Replays a recorded conversation: every `out` frame is re-issued through the client's API
/// (and the bytes the client queues must equal the recorded frame), every `in` frame is fed
/// to the client in pieces sized by `chunk`.
pub fn replay<const S: usize, const P: usize>(
    lines: &[Line],
    config: Config,
    chunk: &mut dyn FnMut() -> usize,
) -> Replayed {
    let mut conn = Conn::<S, P>::new(64 * 1024, 64 * 1024, config);
    let mut events = Vec::new();
    let mut output = Vec::new();
    let mut sessions: HashMap<String, SessionHandle> = HashMap::new();
    let mut replies: HashMap<String, ReplyHandle> = HashMap::new();
    let mut pending_in: Vec<u8> = Vec::new();
    let mut auto_output = Vec::new();
    for line in lines {
        if !line.out {
            pending_in.extend_from_slice(&line.frame);
            continue;
        }
        // Deliver the server's frames up to this point, then act as the recorded client did.
        for e in conn.feed_with(&std::mem::take(&mut pending_in), chunk) {
            if let Ev::Request { reply, id, .. } = &e {
                replies.insert(id.clone(), *reply);
            }
            events.push(e);
        }
        let leftover = conn.output();
        let text = String::from_utf8_lossy(&leftover);
        assert!(
            leftover.is_empty() || text.contains("session closed before the request was answered"),
            "unexpected output {text}"
        );
        auto_output.extend(leftover);
        act(&mut conn.client, line, &mut sessions, &mut replies);
        let queued = conn.output();
        assert_eq!(
            String::from_utf8_lossy(&queued),
            String::from_utf8_lossy(&line.frame),
            "output differs from the recorded client at t={}",
            line.t_ms
        );
        output.extend(queued);
    }
    events.extend(conn.feed_with(&pending_in, chunk));
    auto_output.extend(conn.output());
    Replayed {
        events,
        output,
        sessions,
        auto_output,
    }
}

fn act<const S: usize, const P: usize>(
    client: &mut Client<'static, S, P>,
    line: &Line,
    sessions: &mut HashMap<String, SessionHandle>,
    replies: &mut HashMap<String, ReplyHandle>,
) {
    let body = line.json();
    let Some(method) = body.get_str("method") else {
        // An answer to a server request.
        let id = body.get("id").expect("id").to_string();
        let reply = replies
            .remove(&id)
            .expect("a request with this id was delivered");
        match (body.get("result"), body.get("error")) {
            (Some(result), None) => client.respond_raw(reply, result.as_str()),
            (None, Some(err)) => client.respond_error(
                reply,
                err.get("code").and_then(|c| c.as_i64()).expect("code"),
                &err.get_str("message").expect("message").to_string(),
            ),
            _ => panic!("bad answer line"),
        }
        .expect("answer queued");
        return;
    };
    let method = method.to_string();
    let params = body.get("params").expect("params").as_str().to_string();
    let sid = body
        .get("params")
        .and_then(|p| p.get_str("sessionId"))
        .map(|s| s.to_string());
    // Parameters without the leading `"sessionId"` member the client writes itself.
    let rest = |sid: &str| -> String {
        let prefix = format!("{{\"sessionId\":\"{sid}\"");
        let tail = params.strip_prefix(&prefix).expect("sessionId first");
        match tail.strip_prefix(',') {
            Some(members) => format!("{{{members}"),
            None => "{}".to_string(),
        }
    };
    let result = match (method.as_str(), sid) {
        ("connect", _) => {
            assert_eq!(params, "{}");
            client.connect(NOW, &Connect::default()).map(|_| ())
        }
        ("session.create" | "session.resume", Some(sid)) => {
            let text = rest(&sid);
            let options = RawJson::parse(&text).expect("options");
            let id = SessionId::new(&sid).expect("session id");
            let opened = if method == "session.create" {
                client.create_session(NOW, id, &options)
            } else {
                client.resume_session(NOW, id, &options)
            };
            opened.map(|h| {
                // Reserved before a byte was written.
                assert_eq!(client.find_session(&sid), Some(h));
                sessions.insert(sid, h);
            })
        }
        ("session.destroy", Some(sid)) => client.destroy_session(NOW, sessions[&sid]).map(|_| ()),
        (_, Some(sid)) if sessions.contains_key(&sid) => {
            let text = rest(&sid);
            let p = RawJson::parse(&text).expect("params");
            client
                .session_request(NOW, sessions[&sid], &method, &p)
                .map(|_| ())
        }
        _ => client.request_raw(NOW, &method, &params).map(|_| ()),
    };
    result.unwrap_or_else(|e| panic!("{method}: {e}"));
}

/// Deterministic pseudo-random numbers (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Compact text of events, for messages.
pub fn summary(events: &[Ev]) -> String {
    let mut s = String::new();
    for e in events {
        let _ = writeln!(
            s,
            "{}",
            format!("{e:?}").chars().take(160).collect::<String>()
        );
    }
    s
}

/// The raw text the event for an `in` frame carries: `params.event` for `session.event`,
/// `params` otherwise.
pub fn raw_of(line: &Line) -> Option<String> {
    let params = line.json().get("params")?;
    if line.method().as_deref() == Some("session.event") {
        params.get("event").map(|e| e.to_string())
    } else {
        Some(params.to_string())
    }
}

/// Checks that each session saw exactly the frames the CLI sent for it, in order, and that
/// every frame produced one event.
pub fn check_routing(lines: &[Line], r: &Replayed) {
    let incoming = lines.iter().filter(|l| !l.out).count();
    assert_eq!(
        r.events.len(),
        incoming,
        "one event per frame:\n{}",
        summary(&r.events)
    );
    assert!(!r.sessions.is_empty());
    for (sid, handle) in &r.sessions {
        let expected: Vec<String> = lines
            .iter()
            .filter(|l| !l.out && l.method().is_some() && l.session_id().as_deref() == Some(sid))
            .filter_map(raw_of)
            .collect();
        let got: Vec<String> = r
            .events
            .iter()
            .filter(|e| e.session() == Some(*handle))
            .filter_map(|e| e.raw().map(str::to_string))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(got, expected, "frames for session {sid}");
        let opened = r
            .events
            .iter()
            .filter(|e| matches!(e, Ev::Opened(h, ..) if h == handle))
            .count();
        assert_eq!(opened, 1, "session {sid} opened once");
    }
    assert!(
        !r.events
            .iter()
            .any(|e| matches!(e, Ev::Error(_) | Ev::UnknownSession(..))),
        "{}",
        summary(&r.events)
    );
}
