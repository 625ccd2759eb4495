//! A loopback stand-in for the Copilot API, so the real Copilot CLI can run model turns offline.
//! std only: one accept thread and one thread per connection.
//!
//! ```ignore
//! #[path = "support/standin.rs"]
//! mod standin;
//! let api = standin::StandIn::start()?;
//! api.push_tool_call("get_weather", r#"{"city":"Paris"}"#);
//! api.push_text("It is 18C in Paris.");
//! // Start the CLI with COPILOT_API_URL and COPILOT_DEBUG_GITHUB_API_URL = api.url(),
//! // COPILOT_SDK_AUTH_TOKEN=mock-token and `--auth-token-env COPILOT_SDK_AUTH_TOKEN`.
//! ```
//!
//! Endpoints: `GET /copilot_internal/user`, `GET /models`, `POST /chat/completions` (replies
//! taken in order from the script; SSE `data:` chunks ending in `data: [DONE]` when the body has
//! `"stream":true`, which CLI 1.0.102 sends iff the session was created with `streaming: true`),
//! and 404 with a JSON body for everything else. HTTP/1.1 keep-alive (the CLI reuses its
//! connections); `Connection: close` and HTTP/1.0 are honoured. Odd input gets a 400 and the
//! connection is closed; nothing panics. Every request is recorded.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One scripted answer to `POST /chat/completions`.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Assistant text, `finish_reason: "stop"`. Streamed word by word.
    Text(String),
    /// Tool calls `(function name, arguments as JSON text)`, `finish_reason: "tool_calls"`.
    /// Call ids are `call_0`, `call_1`, ..., unique for the stand-in's lifetime (the CLI rewrites
    /// an id that repeats one of an earlier turn).
    ToolCalls(Vec<(String, String)>),
    /// This HTTP status with this JSON body.
    Status(u16, String),
}

/// One HTTP request the stand-in received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path including any query string.
    pub path: String,
    pub body: String,
}

#[derive(Default)]
struct Shared {
    url: String,
    script: Mutex<VecDeque<(Duration, Reply)>>,
    requests: Mutex<Vec<Request>>,
    next_call_id: AtomicUsize,
    stop: AtomicBool,
}

/// The running server; stops accepting when dropped.
pub struct StandIn {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl StandIn {
    /// Binds 127.0.0.1 on a free port and starts serving.
    pub fn start() -> io::Result<StandIn> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let shared = Arc::new(Shared {
            url,
            ..Shared::default()
        });
        let accept = Arc::clone(&shared);
        thread::Builder::new()
            .name("standin".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept.stop.load(SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let conn = Arc::clone(&accept);
                        let _ = thread::Builder::new().spawn(move || serve(stream, &conn));
                    }
                }
            })?;
        Ok(StandIn { shared, addr })
    }

    /// `http://127.0.0.1:<port>`: `COPILOT_API_URL` and `COPILOT_DEBUG_GITHUB_API_URL`.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// Queues a reply for the next `POST /chat/completions`.
    pub fn push(&self, reply: Reply) {
        self.push_delayed(Duration::ZERO, reply);
    }

    /// Queues a reply that is sent only after `delay` (for abort tests).
    pub fn push_delayed(&self, delay: Duration, reply: Reply) {
        lock(&self.shared.script).push_back((delay, reply));
    }

    pub fn push_text(&self, text: &str) {
        self.push(Reply::Text(text.into()));
    }

    /// One tool call; `arguments` is the JSON text the model "wrote", e.g. `{"city":"Paris"}`.
    pub fn push_tool_call(&self, name: &str, arguments: &str) {
        self.push(Reply::ToolCalls(vec![(name.into(), arguments.into())]));
    }

    /// Scripted replies not used yet.
    pub fn pending_replies(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// The bodies of the `POST /chat/completions` requests: what the model was sent.
    pub fn chat_bodies(&self) -> Vec<String> {
        let requests = lock(&self.shared.requests);
        let chat = requests
            .iter()
            .filter(|r| r.method == "POST" && route(&r.path) == "/chat/completions");
        chat.map(|r| r.body.clone()).collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.shared.stop.store(true, SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)); // wakes the accept loop
    }
}

fn route(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Serves one connection, request after request, until close, EOF or an error.
fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(120)))?; // idle keep-alive connections end
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let (request, close) = match read_request(&mut reader) {
            Ok(Some(request)) => request,
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return respond(&mut out, 400, JSON, &error_json(&e.to_string()), true);
            }
            Err(e) => return Err(e), // timeout, reset, truncated body: just close
        };
        lock(&shared.requests).push(request.clone());
        let (delay, status, content_type, body) = answer(shared, &request);
        thread::sleep(delay);
        respond(&mut out, status, content_type, &body, close)?;
        if close {
            return Ok(());
        }
    }
}

/// One request and whether to close after it; `None` on EOF between requests.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<(Request, bool)>> {
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = reader
            .by_ref()
            .take(16 * 1024)
            .read_until(b'\n', &mut line)?;
        if n == 0 && lines.is_empty() {
            return Ok(None);
        }
        if !line.ends_with(b"\n") || lines.len() > 100 {
            return Err(bad("request head truncated or too long"));
        }
        let line = String::from_utf8(line).map_err(|_| bad("request head is not UTF-8"))?;
        match line.trim_end() {
            "" if lines.is_empty() => continue, // stray blank lines between requests
            "" => break,
            line => lines.push(line.to_string()),
        }
    }
    let mut words = lines[0].split_whitespace();
    let (Some(method), Some(path), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(bad("malformed request line"));
    };
    let (mut length, mut close) = (0usize, version != "HTTP/1.1");
    for line in &lines[1..] {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("malformed header"))?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.parse().map_err(|_| bad("bad content-length"))?,
            "transfer-encoding" => return Err(bad("transfer-encoding is not supported")),
            "connection" if value.eq_ignore_ascii_case("close") => close = true,
            "connection" if value.eq_ignore_ascii_case("keep-alive") => close = false,
            _ => {}
        }
    }
    if length > 64 << 20 {
        return Err(bad("body too large"));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).into_owned();
    Ok(Some((
        Request {
            method: method.into(),
            path: path.into(),
            body,
        },
        close,
    )))
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &str,
    close: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Scripted",
    };
    let connection = if close { "close" } else { "keep-alive" };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    );
    out.write_all((head + body).as_bytes())?;
    out.flush()
}

const JSON: &str = "application/json";

/// `(delay, status, content type, body)` for one request.
fn answer(shared: &Shared, request: &Request) -> (Duration, u16, &'static str, String) {
    let ok = |body: String| (Duration::ZERO, 200, JSON, body);
    match (request.method.as_str(), route(&request.path)) {
        ("GET", "/copilot_internal/user") => ok(format!(
            r#"{{"login":"dev","copilot_plan":"individual_pro","endpoints":{{"api":{},"telemetry":"https://localhost:1/telemetry"}}}}"#,
            json_str(&shared.url)
        )),
        ("GET", "/models") => ok(r#"{"data":[{"id":"claude-sonnet-4.5","name":"Claude Sonnet 4.5","capabilities":{"supports":{"vision":true},"limits":{"max_context_window_tokens":128000}}}]}"#.into()),
        ("POST", "/chat/completions") => {
            let next = lock(&shared.script).pop_front();
            let (delay, reply) = next.unwrap_or((Duration::ZERO, Reply::Text("(stand-in: no scripted reply)".into())));
            if let Reply::Status(status, body) = reply {
                return (delay, status, JSON, body);
            }
            let calls = match &reply {
                Reply::ToolCalls(calls) => calls.as_slice(),
                _ => &[],
            };
            let first_id = shared.next_call_id.fetch_add(calls.len(), SeqCst);
            let calls: Vec<String> = calls.iter().enumerate().map(|(i, (name, args))| {
                let (id, name, args) = (first_id + i, json_str(name), json_str(args));
                format!(r#""id":"call_{id}","type":"function","function":{{"name":{name},"arguments":{args}}}"#)
            }).collect();
            let text = match &reply {
                Reply::Text(text) => Some(text.as_str()),
                _ => None,
            };
            if request.body.contains(r#""stream":true"#) {
                (delay, 200, "text/event-stream", completion_sse(text, &calls))
            } else {
                (delay, 200, JSON, completion_json(text, &calls))
            }
        }
        _ => (Duration::ZERO, 404, JSON, error_json(&format!("not found: {} {}", request.method, request.path))),
    }
}

fn error_json(message: &str) -> String {
    format!(r#"{{"error":{{"message":{}}}}}"#, json_str(message))
}

const USAGE: &str = r#""usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}"#;

fn envelope(object: &str) -> String {
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        r#""id":"chatcmpl-standin","object":"{object}","created":{created},"model":"claude-sonnet-4.5""#
    )
}

fn finish_reason(calls: &[String]) -> &'static str {
    if calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    }
}

/// A `chat.completion`; `calls` are tool call objects without their braces.
fn completion_json(text: Option<&str>, calls: &[String]) -> String {
    let content = text.map_or("null".into(), json_str);
    let (env, finish) = (envelope("chat.completion"), finish_reason(calls));
    let calls: Vec<String> = calls.iter().map(|c| format!("{{{c}}}")).collect();
    let calls = if calls.is_empty() {
        String::new()
    } else {
        format!(r#","tool_calls":[{}]"#, calls.join(","))
    };
    format!(
        r#"{{{env},"choices":[{{"index":0,"message":{{"role":"assistant","content":{content}{calls}}},"finish_reason":"{finish}"}}],{USAGE}}}"#
    )
}

/// `chat.completion.chunk`s as SSE: one per word of text, one per tool call, a last one with
/// the finish reason and usage, then `data: [DONE]`.
fn completion_sse(text: Option<&str>, calls: &[String]) -> String {
    let env = envelope("chat.completion.chunk");
    let chunk = |delta: String, finish: &str, usage: &str| {
        format!(
            "data: {{{env},\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]{usage}}}\n\n"
        )
    };
    let mut out = String::new();
    for (i, word) in text.unwrap_or("").split_inclusive(' ').enumerate() {
        let role = if i == 0 { r#""role":"assistant","# } else { "" };
        out += &chunk(
            format!(r#"{{{role}"content":{}}}"#, json_str(word)),
            "null",
            "",
        );
    }
    for (i, call) in calls.iter().enumerate() {
        out += &chunk(
            format!(r#"{{"role":"assistant","tool_calls":[{{"index":{i},{call}}}]}}"#),
            "null",
            "",
        );
    }
    let finish = format!("\"{}\"", finish_reason(calls));
    out + &chunk("{}".into(), &finish, &format!(",{USAGE}")) + "data: [DONE]\n\n"
}

/// `s` as a JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out + "\""
}
