//! JSON-RPC 2.0 messages: classification of incoming frames (docs/protocol.md, Messages), ids and error
//! objects.

use core::fmt;

use crate::json::index::MemberIndex;
use crate::json::validate::validate_recording;
use crate::json::{JsonError, JsonStr, JsonType, RawJson};

/// A JSON-RPC error object: `{"code", "message", "data"?}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RpcError<'a> {
    /// The error code (-32601 method not found, -32603 internal error, ...).
    pub code: i64,
    /// The message, still escaped.
    pub message: JsonStr<'a>,
    /// Extra data, if any.
    pub data: Option<RawJson<'a>>,
}

impl fmt::Display for RpcError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Standard JSON-RPC error codes used by the client's own answers.
pub mod code {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON is not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method is not handled.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// The request was cancelled (`$/cancelRequest`), as LSP defines it.
    pub const REQUEST_CANCELLED: i64 = -32800;
    /// Invalid parameters (e.g. an unknown session).
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal error.
    pub const INTERNAL_ERROR: i64 = -32603;
}

/// Why a well-formed JSON body is not a usable JSON-RPC message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum MessageError {
    /// The body is not a JSON object.
    NotAnObject,
    /// `"jsonrpc"` is missing or not `"2.0"`.
    BadVersion,
    /// `id` is not a number, a string or null.
    BadId,
    /// `method` is not a string.
    BadMethod,
    /// `params` is neither an object nor an array.
    BadParams,
    /// A response without `id`.
    ResponseWithoutId,
    /// A response with both `result` and `error`, or neither.
    BadResponse,
    /// `error` is not `{"code": integer, "message": string}`.
    BadErrorObject,
    /// A batch (an array of messages), which this protocol does not use.
    Batch,
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MessageError::NotAnObject => "message is not a JSON object",
            MessageError::BadVersion => "\"jsonrpc\" is not \"2.0\"",
            MessageError::BadId => "id is not a number, string or null",
            MessageError::BadMethod => "method is not a string",
            MessageError::BadParams => "params is not an object or array",
            MessageError::ResponseWithoutId => "response without id",
            MessageError::BadResponse => "response needs exactly one of result and error",
            MessageError::BadErrorObject => "error object lacks an integer code or a message",
            MessageError::Batch => "batches (arrays of messages) are not supported",
        })
    }
}

impl core::error::Error for MessageError {}

/// An incoming message.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// A request of the server's, to be answered.
    Request {
        /// Its id.
        id: RawJson<'a>,
        /// Its method.
        method: JsonStr<'a>,
        /// Its params, if any.
        params: Option<RawJson<'a>>,
    },
    /// A notification.
    Notification {
        /// Its method.
        method: JsonStr<'a>,
        /// Its params, if any.
        params: Option<RawJson<'a>>,
    },
    /// A response to a request of the client's.
    Response {
        /// The request's id.
        id: RawJson<'a>,
        /// Its result or error.
        outcome: Result<RawJson<'a>, RpcError<'a>>,
    },
}

/// Why a frame body could not be used.
#[derive(Debug, Clone, Copy)]
pub enum BadMessage<'a> {
    /// It is not JSON.
    Json(JsonError),
    /// It is JSON but not a valid message.
    Invalid {
        /// What is wrong.
        error: MessageError,
        /// What it means to be, as far as it tells.
        intent: Intent<'a>,
    },
}

/// What an invalid message means to be, so that it can still be answered, or still resolve
/// the request it responds to.
#[derive(Debug, Clone, Copy)]
pub enum Intent<'a> {
    /// A request (it has `method` and `id`, or it is a batch holding one): the sender waits
    /// for an answer.
    Request {
        /// Its id, if it is a number, a string or null (else answers carry `null`).
        id: Option<RawJson<'a>>,
        /// Its method, if it is a string.
        method: Option<JsonStr<'a>>,
    },
    /// A response (no `method`, a valid `id`, and `result` or `error`).
    Response {
        /// Its id.
        id: RawJson<'a>,
    },
    /// Anything else.
    Other,
}

/// The members of a JSON-RPC message.
struct Fields<'a> {
    jsonrpc: Option<RawJson<'a>>,
    id: Option<RawJson<'a>>,
    method: Option<RawJson<'a>>,
    params: Option<RawJson<'a>>,
    result: Option<RawJson<'a>>,
    error: Option<RawJson<'a>>,
}

/// Reads the members of a message in one pass (the first of a duplicated key counts, as in
/// `RawJson::get`).
fn top_fields(message: RawJson<'_>) -> Fields<'_> {
    let mut found = [None; 6];
    message.get_each(
        &["jsonrpc", "id", "method", "params", "result", "error"],
        &mut found,
    );
    let [jsonrpc, id, method, params, result, error] = found;
    Fields {
        jsonrpc,
        id,
        method,
        params,
        result,
        error,
    }
}

/// A request/response id is a number, a string or null.
pub fn valid_id(id: &RawJson<'_>) -> bool {
    matches!(
        id.json_type(),
        JsonType::Number | JsonType::String | JsonType::Null
    )
}

/// Validates a frame body and classifies it.
#[cfg(any(test, feature = "sim", feature = "fuzzing"))]
pub fn classify(body: &[u8], max_depth: usize) -> Result<Message<'_>, BadMessage<'_>> {
    crate::json::validate::validate(body, max_depth).map_err(BadMessage::Json)?;
    classify_valid(RawJson::trusted(body.trim_ascii()))
}

/// [`classify`], recording in `index` the members of the message's first levels of objects
/// on the way: the objects of the message (its `params`, ...) read their members there
/// instead of scanning them again.
pub fn classify_indexed<'a>(
    body: &'a [u8],
    max_depth: usize,
    index: &'a mut MemberIndex,
) -> Result<Message<'a>, BadMessage<'a>> {
    // One pass checks syntax, depth and the UTF-8 of every string.
    let text = body;
    validate_recording(text, max_depth, index).map_err(BadMessage::Json)?;
    let index: &'a MemberIndex = index;
    // The index records offsets as `u32`: a longer text is scanned (frames are shorter).
    let value = match u32::try_from(text.len()) {
        Ok(_) => index.top(text.trim_ascii()),
        Err(_) => RawJson::trusted(text.trim_ascii()),
    };
    classify_valid(value)
}

/// Classifies a validated message.
fn classify_valid(value: RawJson<'_>) -> Result<Message<'_>, BadMessage<'_>> {
    match value.json_type() {
        JsonType::Object => {}
        JsonType::Array => {
            // A batch: answer it as one invalid request if it holds a request.
            let holds_request = value
                .elements()
                .any(|e| e.get("method").is_some() && e.get("id").is_some());
            let intent = match holds_request {
                true => Intent::Request {
                    id: None,
                    method: None,
                },
                false => Intent::Other,
            };
            return Err(BadMessage::Invalid {
                error: MessageError::Batch,
                intent,
            });
        }
        _ => {
            return Err(BadMessage::Invalid {
                error: MessageError::NotAnObject,
                intent: Intent::Other,
            });
        }
    }
    let f = top_fields(value);
    let method = f.method.map(|m| m.as_string().ok_or(m));
    let intent = match (f.id, method) {
        (Some(id), Some(method)) => Intent::Request {
            id: valid_id(&id).then_some(id),
            method: method.ok(),
        },
        // Without a method, a valid id can only mean a response, however malformed: its
        // request is resolved with the reason.
        (Some(id), None) if valid_id(&id) => Intent::Response { id },
        _ => Intent::Other,
    };
    let invalid = |error| BadMessage::Invalid { error, intent };
    // `"2.0"` as sent, or written with escapes.
    let version_ok =
        |v: RawJson<'_>| v.as_bytes() == b"\"2.0\"" || v.as_string().is_some_and(|v| v == "2.0");
    if !f.jsonrpc.is_some_and(version_ok) {
        return Err(invalid(MessageError::BadVersion));
    }
    if f.id.is_some_and(|id| !valid_id(&id)) {
        return Err(invalid(MessageError::BadId));
    }
    if f.params
        .is_some_and(|p| !matches!(p.json_type(), JsonType::Object | JsonType::Array))
    {
        return Err(invalid(MessageError::BadParams));
    }
    match method {
        Some(Err(_)) => Err(invalid(MessageError::BadMethod)),
        Some(Ok(method)) => Ok(match f.id {
            Some(id) => Message::Request {
                id,
                method,
                params: f.params,
            },
            None => Message::Notification {
                method,
                params: f.params,
            },
        }),
        None => {
            let id = f.id.ok_or(invalid(MessageError::ResponseWithoutId))?;
            let outcome = match (f.result, f.error) {
                (Some(result), None) => Ok(result),
                (None, Some(error)) => {
                    Err(error_object(error).ok_or(invalid(MessageError::BadErrorObject))?)
                }
                _ => return Err(invalid(MessageError::BadResponse)),
            };
            Ok(Message::Response { id, outcome })
        }
    }
}

fn error_object(error: RawJson<'_>) -> Option<RpcError<'_>> {
    Some(RpcError {
        code: error.get("code")?.as_i64()?,
        message: error.get_str("message")?,
        data: error.get("data"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(body: &str) -> &'static str {
        match classify(body.as_bytes(), 64) {
            Ok(Message::Request { .. }) => "request",
            Ok(Message::Notification { .. }) => "notification",
            Ok(Message::Response { outcome: Ok(_), .. }) => "result",
            Ok(Message::Response {
                outcome: Err(_), ..
            }) => "error",
            Err(BadMessage::Json(_)) => "json",
            Err(BadMessage::Invalid {
                intent: Intent::Request { .. },
                ..
            }) => "invalid request",
            Err(BadMessage::Invalid {
                intent: Intent::Response { .. },
                ..
            }) => "invalid response",
            Err(BadMessage::Invalid { .. }) => "invalid",
        }
    }

    #[test]
    fn classifies_messages() {
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{}}"#),
            "request"
        );
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":"a","method":"x"}"#),
            "request"
        );
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","method":"session.event","params":{}}"#),
            "notification"
        );
        assert_eq!(kind(r#"{"jsonrpc":"2.0","id":1,"result":null}"#), "result");
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":5,"error":{"code":-32603,"message":"boom","data":[1]}}"#),
            "error"
        );
        // Neither a result nor an error: still the response of request 1.
        assert_eq!(kind(r#"{"jsonrpc":"2.0","id":1}"#), "invalid response");
        // Malformed responses still say which request they answer.
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":1,"result":1,"error":{}}"#),
            "invalid response"
        );
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}}"#),
            "invalid response"
        );
        assert_eq!(kind(r#"{"id":1,"result":1}"#), "invalid response");
        assert_eq!(kind(r#"{"jsonrpc":"2.0","result":1}"#), "invalid");
        assert_eq!(
            kind(r#"{"jsonrpc":"1.0","id":7,"method":"m"}"#),
            "invalid request"
        );
        assert_eq!(kind(r#"{"id":7,"method":"m"}"#), "invalid request");
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":7,"method":"m","params":3}"#),
            "invalid request"
        );
        // Requests whose id or method is of the wrong type still get an answer.
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":{},"method":"m"}"#),
            "invalid request"
        );
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","id":1,"method":7}"#),
            "invalid request"
        );
        assert_eq!(kind(r#"{"jsonrpc":"2.0","method":7}"#), "invalid");
        assert_eq!(kind(r#"[1]"#), "invalid");
        assert_eq!(
            kind(r#"[{"jsonrpc":"2.0","id":1,"method":"m"}]"#),
            "invalid request"
        );
        assert_eq!(kind(r#"{"jsonrpc":"2.0""#), "json");
        assert_eq!(
            kind(r#"{"jsonrpc":"2.0","\u006dethod":"x"}"#),
            "notification"
        );
        // Whitespace around the object changes nothing.
        assert_eq!(
            kind(" \r\n\t{ \"jsonrpc\" : \"2.0\" , \"id\" : 4 , \"result\" : [ ] } \n"),
            "result"
        );
        let many = " {\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"jsonrpc\":\"2.0\",\"method\":\"m\"}";
        assert_eq!(kind(many), "notification");
    }

    #[test]
    fn reads_error_objects() {
        let Ok(Message::Response {
            outcome: Err(e), ..
        }) = classify(
            br#"{"jsonrpc":"2.0","id":2,"error":{"code":-32601,"message":"Unhandled method bogus.method"}}"#,
            64,
        )
        else {
            panic!("not an error response")
        };
        assert_eq!(e.code, -32601);
        assert!(e.message.eq_str("Unhandled method bogus.method"));
        assert!(e.data.is_none());
    }
}
