//! Replays recorded CLI traffic through the client and prints one line per frame.
//!
//! `cargo run --example replay [FILE.jsonl ...]` (default: every recording in
//! `tests/recorded/`). Each frame the CLI sent (`<-`) is fed to the client and printed as the
//! event the client made of it; each frame the recorded client sent (`->`) is sent again
//! through the client's API, and server requests are answered as the recorded client answered
//! them.

use std::collections::HashMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use copilot_sansio::json::RawJson;
use copilot_sansio::{
    AutoAction, CallerAnswers, Client, Config, Connect, Event, Inbox, InputError, Instant,
    ReplyHandle, SessionHandle, SessionId,
};

fn main() -> Result<(), Box<dyn Error>> {
    let mut files: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded");
        let listing =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        files = listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
    }
    let (mut frames, mut events) = (0, 0);
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        println!("{}", file.display());
        let (f, e) = replay(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        frames += f;
        events += e;
    }
    println!(
        "{} recordings replayed: {frames} frames in, {events} events out",
        files.len()
    );
    Ok(())
}

/// The conversation of one recording: the client, and what the recording refers to by id.
struct Replay<'b> {
    client: Client<'b, 32, 32>,
    sessions: HashMap<String, SessionHandle>,
    replies: HashMap<String, ReplyHandle>,
}

/// Replays one recording; returns the frames received and the events delivered.
fn replay(text: &str) -> Result<(usize, usize), Box<dyn Error>> {
    let (mut rx, mut tx) = (vec![0u8; 256 * 1024], vec![0u8; 64 * 1024]);
    let mut inbox = Inbox::new(&mut rx);
    // Every server request reaches this program, to be answered as recorded.
    let config = Config::default().caller_answers(CallerAnswers::ALL);
    let mut r = Replay {
        client: Client::new(&mut tx, config)?,
        sessions: HashMap::new(),
        replies: HashMap::new(),
    };
    let now = Instant::from_millis(0);
    let (mut frames, mut events) = (0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: serde_json::Value = serde_json::from_str(line)?;
        let framed = record["frame"].as_str().ok_or("a line without a frame")?;
        if record["dir"] == "in" {
            frames += 1;
            inbox.push(framed.as_bytes());
            while let Some(event) = r.client.poll_event(&mut inbox, now) {
                events += 1;
                println!("  <- {}", r.describe(&event));
            }
        } else {
            let body = framed.split_once("\r\n\r\n").map_or(framed, |(_, b)| b);
            match RawJson::parse(body) {
                Ok(msg) => println!("  -> {}", r.send(&msg, now)),
                // The recorded client wrote this on purpose: the client never would.
                Err(e) => println!("  -> not JSON ({e}), written raw by the recorded client"),
            }
        }
        // A real driver writes these bytes to the CLI.
        let n = r.client.transmit_bytes().len();
        r.client.transmitted(n);
    }
    inbox.close();
    while let Some(event) = r.client.poll_event(&mut inbox, now) {
        events += 1;
        println!("  <- {}", r.describe(&event));
    }
    let stats = r.client.stats();
    println!(
        "  {frames} frames in, {events} events out, {} answered by the client, {} input errors",
        stats.auto_answers, stats.input_errors
    );
    Ok((frames, events))
}

impl Replay<'_> {
    /// The session's id, shortened.
    fn name(&self, session: Option<SessionHandle>) -> String {
        match session.and_then(|s| self.client.session_id(s)) {
            Some(id) => format!(" [{}]", id.as_str().get(..8).unwrap_or(id.as_str())),
            None => String::new(),
        }
    }

    /// One line for an event.
    fn describe(&mut self, event: &Event<'_>) -> String {
        match event {
            Event::Connected {
                protocol_version,
                server_version,
            } => format!(
                "connected: CLI {}, protocol {protocol_version}",
                server_version.map_or("?".into(), |v| v.to_string())
            ),
            Event::ConnectFailed(why) => format!("connect failed: {why:?}"),
            Event::SessionOpened {
                session, method, ..
            } => format!("{} done{}", method.name(), self.name(Some(*session))),
            Event::SessionOpenFailed { method, reason, .. } => {
                format!("{} failed: {reason:?}", method.name())
            }
            Event::SessionClosed { result, .. } => match result {
                Ok(()) => "session.destroy done".into(),
                Err(why) => format!("session closed: {why:?}"),
            },
            Event::Session { session, event } => {
                format!("{}{}", event.event_type(), self.name(Some(*session)))
            }
            Event::UnknownSessionEvent(e) => format!("{} for an unknown session", e.event_type()),
            Event::Lifecycle { session, lifecycle } => format!(
                "session.lifecycle {}{}",
                lifecycle.event_type().map_or("?".into(), |t| t.to_string()),
                self.name(*session)
            ),
            Event::Request(req) => {
                self.replies.insert(req.id.to_string(), req.reply);
                format!("request {}{}", req.method, self.name(req.session))
            }
            Event::Response { id, outcome } => match outcome {
                Ok(_) => format!("response {id}"),
                Err(why) => format!("response {id}: {why:?}"),
            },
            Event::Notification {
                method, session, ..
            } => format!("{method}{}", self.name(*session)),
            Event::Auto(AutoAction::Answered { method, reason, .. }) => format!(
                "request {}, answered by the client ({reason:?})",
                method.map_or("(unreadable)".into(), |m| m.to_string())
            ),
            Event::Auto(action) => format!("the client: {action:?}"),
            Event::Error(InputError::RejectedByPeer(e)) => format!("the CLI rejected a frame: {e}"),
            Event::Error(e) => format!("input error: {e:?}"),
            Event::Closed => "connection closed".into(),
            other => format!("{other:?}"),
        }
    }

    /// Sends what the recorded client sent, through the API; one line for it.
    fn send(&mut self, msg: &RawJson<'_>, now: Instant) -> String {
        let params = msg.get("params");
        let sid = params
            .and_then(|p| p.get_str("sessionId"))
            .map(|s| s.to_string());
        let Some(method) = msg.get_str("method").map(|m| m.to_string()) else {
            // An answer to a server request.
            let Some(id) = msg.get("id").map(|i| i.to_string()) else {
                return "not a JSON-RPC message, written raw by the recorded client".into();
            };
            let Some(reply) = self.replies.remove(&id) else {
                return format!("answer to {id}, which no pending request has: written raw");
            };
            let sent = match (msg.get("result"), msg.get("error")) {
                (Some(result), _) => self.client.respond_raw(reply, result.text()),
                (None, Some(e)) => {
                    let code = e.get("code").and_then(|c| c.as_i64()).unwrap_or(-32603);
                    let text = e.get_str("message").map(|m| m.to_string());
                    self.client
                        .respond_error(reply, code, &text.unwrap_or_default())
                }
                (None, None) => self.client.respond_raw(reply, "null"),
            };
            return match sent {
                Ok(()) => format!("answer to {id}"),
                Err(e) => format!("answer to {id} refused: {e}"),
            };
        };
        let known = sid.as_ref().and_then(|s| self.sessions.get(s)).copied();
        let sent = match (method.as_str(), &sid) {
            ("connect", _) => self.client.connect(now, &Connect::default()),
            ("session.create" | "session.resume", Some(sid)) => {
                let text = without_session_id(params);
                let options = RawJson::parse(&text).unwrap_or(RawJson::EMPTY_OBJECT);
                let opened = SessionId::new(sid).map_err(Into::into).and_then(|id| {
                    if method == "session.create" {
                        self.client.create_session(now, id, &options)
                    } else {
                        self.client.resume_session(now, id, &options)
                    }
                });
                opened.map(|h| {
                    self.sessions.insert(sid.clone(), h);
                })
            }
            ("session.destroy", _) if known.is_some() => {
                known.map_or(Ok(()), |h| self.client.session(h).destroy(now))
            }
            (_, _) => match known {
                Some(h) => {
                    let text = without_session_id(params);
                    let rest = RawJson::parse(&text).unwrap_or(RawJson::EMPTY_OBJECT);
                    self.client
                        .session(h)
                        .request(now, &method, &rest)
                        .map(|_| ())
                }
                None => {
                    let p = params.map_or("{}", |p| p.text());
                    self.client.request_raw(now, &method, p).map(|_| ())
                }
            },
        };
        let session = self.name(known.or_else(|| sid.and_then(|s| self.sessions.get(&s).copied())));
        match sent {
            Ok(()) => format!("{method}{session}"),
            Err(e) => format!("{method}{session} refused: {e}"),
        }
    }
}

/// The members of `params` but `sessionId`, which the client writes itself (the recorded
/// clients always put it first).
fn without_session_id(params: Option<RawJson<'_>>) -> String {
    let Some(params) = params else {
        return "{}".into();
    };
    let text = params.text();
    match text.split_once(',') {
        Some((first, rest)) if first.contains("\"sessionId\"") => format!("{{{rest}"),
        _ if text.contains("\"sessionId\"") => "{}".into(),
        _ => text.into(),
    }
}
