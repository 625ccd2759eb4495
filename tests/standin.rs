//! Self-test of the loopback Copilot API stand-in (`tests/support/standin.rs`) with a plain
//! `TcpStream`; the real-CLI interop tests rely on it.

#[path = "support/standin.rs"]
mod standin;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use standin::{Reply, StandIn};

fn connect(api: &StandIn) -> TcpStream {
    let stream = TcpStream::connect(api.url().trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Reads one response with a Content-Length body: (status, head, body).
fn read_response(stream: &mut TcpStream) -> (u16, String, String) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).unwrap(),
            1,
            "connection closed inside the head"
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    (status, head, String::from_utf8(body).unwrap())
}

fn get(stream: &mut TcpStream, path: &str) -> (u16, String, String) {
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: x\r\naccept: application/json\r\n\r\n"
    )
    .unwrap();
    read_response(stream)
}

fn post(stream: &mut TcpStream, path: &str, body: &str) -> (u16, String, String) {
    let head = format!(
        "POST {path} HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    read_response(stream)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The `data:` payloads of an SSE body, checking that it ends with `data: [DONE]`.
fn sse(body: &str) -> Vec<serde_json::Value> {
    let data: Vec<&str> = body
        .split("\n\n")
        .filter(|c| !c.is_empty())
        .map(|c| c.strip_prefix("data: ").unwrap())
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"));
    data[..data.len() - 1].iter().map(|d| json(d)).collect()
}

#[test]
fn user_models_and_404_on_one_keep_alive_connection() {
    let api = StandIn::start().unwrap();
    let mut s = connect(&api);
    let (status, head, body) = get(&mut s, "/copilot_internal/user");
    assert_eq!(status, 200);
    assert!(head.contains("Connection: keep-alive"));
    assert_eq!(json(&body)["endpoints"]["api"], api.url());
    let (status, _, body) = get(&mut s, "/models?x=1");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["data"][0]["id"], "claude-sonnet-4.5");
    let (status, _, body) = post(&mut s, "/mcp/readonly", r#"{"jsonrpc":"2.0"}"#);
    assert_eq!(status, 404);
    assert!(
        json(&body)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/mcp/readonly")
    );
    let paths: Vec<_> = api
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(paths[1], ("GET".to_string(), "/models?x=1".to_string()));
    assert_eq!(paths.len(), 3);
}

#[test]
fn scripted_replies_plain_json() {
    let api = StandIn::start().unwrap();
    api.push_tool_call("get_weather", r#"{"city":"Paris"}"#);
    api.push_text("It is \"18C\" in Paris.\n");
    let mut s = connect(&api);
    let (status, _, body) = post(
        &mut s,
        "/chat/completions",
        r#"{"model":"m","messages":[]}"#,
    );
    assert_eq!(status, 200);
    let v = json(&body);
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    let call = &v["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["id"], "call_0");
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(
        json(call["function"]["arguments"].as_str().unwrap())["city"],
        "Paris"
    );
    let (_, _, body) = post(
        &mut s,
        "/chat/completions",
        r#"{"model":"m","messages":[{"role":"tool"}]}"#,
    );
    let v = json(&body);
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "It is \"18C\" in Paris.\n"
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    // Tool call ids stay unique across replies (the CLI rewrites repeated ids).
    api.push_tool_call("get_weather", r#"{"city":"Oslo"}"#);
    let (_, _, body) = post(&mut s, "/chat/completions", "{}");
    assert_eq!(
        json(&body)["choices"][0]["message"]["tool_calls"][0]["id"],
        "call_1"
    );
    // Script exhausted: a default text, never a hang.
    let (status, _, _) = post(&mut s, "/chat/completions", "{}");
    assert_eq!(status, 200);
    assert_eq!(api.pending_replies(), 0);
    let bodies = api.chat_bodies();
    assert_eq!(bodies.len(), 4);
    assert!(bodies[1].contains(r#""role":"tool""#));
}

#[test]
fn scripted_replies_streamed() {
    let api = StandIn::start().unwrap();
    api.push_text("Hello there, world!");
    api.push(Reply::ToolCalls(vec![
        ("a".into(), "{}".into()),
        ("b".into(), r#"{"n":1}"#.into()),
    ]));
    let mut s = connect(&api);
    let (status, head, body) = post(
        &mut s,
        "/chat/completions",
        r#"{"model":"m","stream":true}"#,
    );
    assert_eq!(status, 200);
    assert!(head.contains("text/event-stream"));
    let chunks = sse(&body);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello there, world!");
    assert_eq!(chunks.len(), 4);
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[3]["usage"]["total_tokens"], 15);
    let (_, _, body) = post(
        &mut s,
        "/chat/completions",
        r#"{"model":"m","stream":true}"#,
    );
    let chunks = sse(&body);
    assert_eq!(
        chunks[1]["choices"][0]["delta"]["tool_calls"][0]["index"],
        1
    );
    assert_eq!(
        chunks[1]["choices"][0]["delta"]["tool_calls"][0]["id"],
        "call_1"
    );
    assert_eq!(
        chunks[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"],
        r#"{"n":1}"#
    );
    assert_eq!(chunks[2]["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn delay_status_and_connection_close() {
    let api = StandIn::start().unwrap();
    api.push_delayed(Duration::from_millis(300), Reply::Text("late".into()));
    api.push(Reply::Status(500, r#"{"error":"boom"}"#.into()));
    let mut s = connect(&api);
    let start = Instant::now();
    let (_, _, body) = post(&mut s, "/chat/completions", "{}");
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(json(&body)["choices"][0]["message"]["content"], "late");
    let head =
        "POST /chat/completions HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}";
    s.write_all(head.as_bytes()).unwrap();
    let (status, head, body) = read_response(&mut s);
    assert_eq!((status, body.as_str()), (500, r#"{"error":"boom"}"#));
    assert!(head.contains("Connection: close"));
    assert_eq!(
        s.read(&mut [0u8; 16]).unwrap(),
        0,
        "closed after Connection: close"
    );
}

#[test]
fn odd_input_gets_400_and_the_server_keeps_serving() {
    let api = StandIn::start().unwrap();
    for garbage in [
        "\x00\x01\x02 garbage\r\n\r\n",
        "GET\r\n\r\n",
        "POST /chat/completions HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
    ] {
        let mut s = connect(&api);
        s.write_all(garbage.as_bytes()).unwrap();
        let (status, _, _) = read_response(&mut s);
        assert_eq!(status, 400, "{garbage:?}");
    }
    // Truncated request, then a hang-up: no answer, no harm.
    let mut s = connect(&api);
    s.write_all(b"POST /chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    drop(s);
    let mut s = connect(&api);
    assert_eq!(get(&mut s, "/models").0, 200);
}
