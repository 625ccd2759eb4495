//! Recordings of real CLI traffic (`tests/recorded/*.jsonl`): loading them, replaying them
//! through a client, and checking what each session saw.

use std::collections::HashMap;
use std::fmt::Write as _;

use copilot_sansio::json::RawJson;
use copilot_sansio::{Client, Config, Connect, ReplyHandle, SessionHandle, SessionId};

use super::conn::{Conn, NOW};
use super::events::Ev;

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

/// The path of a recording in `tests/recorded/`.
pub fn recording_path(name: &str) -> String {
    format!("{}/tests/recorded/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Loads the recording `tests/recorded/{name}`.
pub fn load(name: &str) -> Vec<Line> {
    load_path(&recording_path(name))
}

/// Loads a recording in the fixtures' JSON-lines format.
pub fn load_path(path: &str) -> Vec<Line> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("recording {path}: {e}"));
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
            (Some(result), None) => client.respond_raw(reply, result.text()),
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
    let params = body.get("params").expect("params").text().to_string();
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
        ("session.destroy", Some(sid)) => client.session(sessions[&sid]).destroy(NOW).map(|_| ()),
        (_, Some(sid)) if sessions.contains_key(&sid) => {
            let text = rest(&sid);
            let p = RawJson::parse(&text).expect("params");
            client
                .session(sessions[&sid])
                .request(NOW, &method, &p)
                .map(|_| ())
        }
        _ => client.request_raw(NOW, &method, &params).map(|_| ()),
    };
    result.unwrap_or_else(|e| panic!("{method}: {e}"));
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

/// Checks a replay: each session saw exactly the frames the CLI sent for it, in order, and
/// every frame produced one event.
pub fn check_replay(lines: &[Line], r: &Replayed) {
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
