//! Frames on the wire, for tests, benchmarks and the fuzz kit: [`frame`] writes one,
//! [`bodies`] splits a stream into frame bodies, and [`parse_output`] reads and checks what a
//! client wrote (every byte must be a canonical frame
//! holding a valid JSON-RPC message).

use copilot_sansio::json::{JsonType, RawJson};

/// `Content-Length: N\r\n\r\n{body}`
pub fn frame(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 24);
    frame_into(body, &mut out);
    out
}

/// Appends `Content-Length: N\r\n\r\n{body}` to `out`.
pub fn frame_into(body: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"Content-Length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body.as_bytes());
}

/// A frame a client wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// A request of the client's: id, method, `params.sessionId`.
    Request {
        id: u32,
        method: String,
        session_id: Option<String>,
    },
    /// An answer to a server request: the id's JSON text.
    Answer { id: String },
    /// A notification (`$/cancelRequest`): method, params' `id` as JSON text.
    Notification { method: String, id: String },
}

/// Splits `bytes` into the bodies of the frames in it, each of which must have exactly the
/// header `Content-Length: N\r\n\r\n`; panics otherwise. Returns them and the bytes they
/// took (only whole frames).
pub fn bodies(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut bodies = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let Some(head_end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
            break;
        };
        let head = std::str::from_utf8(&rest[..head_end]).unwrap_or("");
        let Some(len) = head
            .strip_prefix("Content-Length: ")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            panic!("bad header {head:?}");
        };
        assert_eq!(
            head,
            format!("Content-Length: {len}"),
            "non-canonical header"
        );
        let Some(body) = rest.get(head_end + 4..head_end + 4 + len) else {
            break;
        };
        bodies.push(body);
        at += head_end + 4 + len;
    }
    (bodies, at)
}

/// Parses frames a client wrote, which must be exactly `Content-Length: N\r\n\r\n` and a
/// JSON-RPC message; panics otherwise. Returns them and the bytes they took (only whole
/// frames).
pub fn parse_output(bytes: &[u8]) -> (Vec<Out>, usize) {
    let (bodies, used) = bodies(bytes);
    (bodies.into_iter().map(parse_message).collect(), used)
}

/// Everything a client wrote must be whole, well-formed frames.
pub fn check_output_framing(bytes: &[u8], context: &str) {
    let (_, used) = parse_output(bytes);
    assert_eq!(
        used,
        bytes.len(),
        "partial frame in the output; after {context}"
    );
}

fn parse_message(body: &[u8]) -> Out {
    let text = String::from_utf8_lossy(body);
    // A second opinion from an independent parser: the crate's own validator does not judge
    // its own output alone.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        panic!("client wrote invalid JSON (serde_json: {e}): {text}");
    }
    let msg = match RawJson::from_bytes(body) {
        Ok(v) => v,
        Err(e) => panic!("client wrote invalid JSON ({e}): {text}"),
    };
    assert!(msg.get_str("jsonrpc").is_some_and(|v| v == "2.0"), "{text}");
    let Some(id) = msg.get("id") else {
        let Some(method) = msg.get_str("method") else {
            panic!("client wrote a message without id or method: {text}")
        };
        let params = msg.get("params");
        assert!(
            params.is_some_and(|p| p.json_type() == JsonType::Object),
            "params must be an object: {text}"
        );
        return Out::Notification {
            method: method.to_string(),
            id: params
                .and_then(|p| p.get("id"))
                .map(|i| i.text().to_string())
                .unwrap_or_default(),
        };
    };
    match msg.get_str("method") {
        Some(method) => {
            let Some(n) = id.as_u64().and_then(|n| u32::try_from(n).ok()) else {
                panic!("request id is not a u32: {text}")
            };
            let params = msg.get("params");
            assert!(
                params.is_some_and(|p| p.json_type() == JsonType::Object),
                "params must be an object: {text}"
            );
            Out::Request {
                id: n,
                method: method.to_string(),
                session_id: params
                    .and_then(|p| p.get_str("sessionId"))
                    .map(|s| s.to_string()),
            }
        }
        None => {
            let (result, error) = (msg.get("result"), msg.get("error"));
            assert!(
                result.is_some() != error.is_some(),
                "an answer needs exactly one of result and error: {text}"
            );
            if let Some(e) = error {
                assert!(e.get("code").and_then(|c| c.as_i64()).is_some(), "{text}");
                assert!(e.get_str("message").is_some(), "{text}");
            }
            Out::Answer {
                id: id.text().to_string(),
            }
        }
    }
}
