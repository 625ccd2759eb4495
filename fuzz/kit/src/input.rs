//! [`ClientInput`]: what the `client` target runs, and its byte encoding.
//!
//! The encoding is this module's own (a tag byte per action, little-endian integers, length-
//! prefixed bytes), so the corpus test can write seeds that decode to exactly the intended
//! actions, and any byte string decodes to something.

use arbitrary::{Arbitrary, Unstructured};

/// Session ids that inputs name by number, so that server messages can refer to them: plain
/// ids, ids with characters JSON escapes, non-ASCII, a UUID, and the longest id allowed.
pub const SID_POOL: [&str; 8] = [
    "a",
    "b",
    "ab",
    "e\"q\\/x",
    "\u{3c0}-\u{2713}-\u{1F600}",
    "9d54a69c-624b-4a7a-a3f8-d57c18a45562",
    "s-0123456789",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
];

/// A session id for `create_session`/`resume_session`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sid {
    /// `SID_POOL[i % 8]`.
    Pool(u8),
    /// Any text (invalid ids are refused by `SessionId::new`).
    Text(String),
}

impl Sid {
    /// The id's text.
    pub fn text(&self) -> &str {
        match self {
            Sid::Pool(i) => SID_POOL[usize::from(*i) % SID_POOL.len()],
            Sid::Text(t) => t,
        }
    }
}

/// One step of the `client` target: a call on the client, or bytes the server sends.
///
/// `session` selectors of caller actions pick among the handles returned so far (stale ones
/// included); those of server messages pick an id: `0..8` from [`SID_POOL`], `8..16` the id of
/// an opened session; with bit 7 set, the id is written with an escape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `connect`.
    Connect,
    /// `create_session`, or `resume_session`. `options`: 0 `()`, 1 an object, 2 not an
    /// object, 3 an object that sets `sessionId`, 4 too large for the transmit buffer.
    Open {
        /// Resume instead of create.
        resume: bool,
        /// The id.
        id: Sid,
        /// The options (see above).
        options: u8,
    },
    /// `session_request` on a handle; `params` as for `Request`.
    SessionRequest {
        /// Which handle.
        session: u8,
        /// 0 `()`, 1 an object, 2 not an object, 3 too large, 4 raw invalid JSON.
        params: u8,
    },
    /// `request` (`request_raw` for invalid JSON).
    Request {
        /// As for `SessionRequest`.
        params: u8,
    },
    /// `destroy_session` on a handle.
    Destroy {
        /// Which handle.
        session: u8,
    },
    /// Answers the `request`-th server request delivered so far (answered or not). `how`:
    /// 0 `respond`, 1 `respond_raw`, 2 `respond_error`, 3 invalid raw JSON, 4 too large.
    Respond {
        /// Which delivered request.
        request: u8,
        /// How (see above).
        how: u8,
    },
    /// Time passes by `ms`, then `handle_timeout`.
    Advance {
        /// Milliseconds.
        ms: u16,
    },
    /// `set_deadline` on the `request`-th caller request sent so far.
    SetDeadline {
        /// Which request.
        request: u8,
        /// Milliseconds from now, or no deadline.
        after: Option<u16>,
    },
    /// The input ends: `Inbox::close`.
    Eof,
    /// Writes out up to `bytes` of the transmit buffer.
    Drain {
        /// How many.
        bytes: u16,
    },
    /// Writes out the whole transmit buffer.
    DrainAll,
    /// Polls up to `max` events (0: until there is none).
    Poll {
        /// How many.
        max: u8,
    },
    /// Pushes up to `bytes` of the server's pending bytes into the inbox.
    Deliver {
        /// How many.
        bytes: u16,
    },
    /// The server answers the `to`-th request the client wrote out. `kind` picks a success
    /// that fits the method, a wrong session id, `{}`, errors, `null`, a mistyped id, or a
    /// malformed response (no `"jsonrpc"`, both `result` and `error`, an `error` without
    /// `message` or with a non-integer code), or one with its `id` last.
    Response {
        /// Which request.
        to: u8,
        /// Which answer.
        kind: u8,
    },
    /// A `session.event` (or a malformed one).
    SessionEvent {
        /// Which id.
        session: u8,
        /// Which event type.
        kind: u8,
    },
    /// A `session.lifecycle` notification.
    Lifecycle {
        /// Which id.
        session: u8,
    },
    /// A server request. `id`: unique number, unique string, escaped string, `null`, an
    /// invalid type, or too long.
    ServerRequest {
        /// Which method.
        method: u8,
        /// Which id (bit 6: no `sessionId`; bit 5: `"jsonrpc":"1.0"`; bit 4: a long method
        /// name with an escape).
        session: u8,
        /// Which kind of request id.
        id: u8,
    },
    /// Another notification (`host.event`, `gitHubTelemetry.event`, `$/...`).
    Notification {
        /// Which method.
        method: u8,
        /// Which id.
        session: u8,
    },
    /// Raw bytes, framing included or not.
    Garbage(Vec<u8>),
    /// A well-framed body of raw bytes.
    Frame(Vec<u8>),
    /// A frame of `len` bytes of padding more: a request, a response to the `to`-th request
    /// written, or a notification, to overflow the receive limit.
    BigFrame {
        /// 0 request, 1 response, 2 notification; 3 and 4: a request and a response with their
        /// `id` after the padding; 5 a `session.event` of the session `to` selects.
        kind: u8,
        /// Which request, for responses; which session id, for events.
        to: u8,
        /// Padding.
        len: u16,
    },
    /// A frame holding a value nested `depth` levels deep: a `hooks.invoke` request (in its
    /// tool arguments), a response to the `to`-th request written (in its result), or a
    /// `session.event` (in its data) of the session `to` selects.
    DeepFrame {
        /// 0 request, 1 response, 2 session event.
        kind: u8,
        /// Which request or session.
        to: u8,
        /// How deep.
        depth: u8,
    },
    /// The server answers the oldest request written out that it has not answered yet, as
    /// [`Response`](Action::Response) does with `kind` (a server working through its queue).
    Reply {
        /// Which answer.
        kind: u8,
    },
    /// `cancel` on the `request`-th caller request sent so far.
    Cancel {
        /// Which request.
        request: u8,
    },
}

const ACTIONS: u8 = 24;

/// The `client` target's input: buffer sizes, configuration and actions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientInput {
    /// Table capacities: `S, P` = 4, 6 / 2, 3 / 8, 16 (`caps % 3`).
    pub caps: u8,
    /// Receive buffer: `64 + rx % 8192` bytes.
    pub rx: u16,
    /// Transmit buffer: `512 + tx % 4096` bytes.
    pub tx: u16,
    /// The inbox's frame limit, if not 0.
    pub max_frame: u16,
    /// `request_timeout_ms`, if not 0.
    pub timeout: u16,
    /// The server-method families the caller handles (bit `i`: family `i`).
    pub handles: u16,
    /// The steps.
    pub actions: Vec<Action>,
}

/// Reads little-endian numbers from fuzz bytes; missing bytes read as zeros.
pub(crate) struct Reader<'a> {
    pub(crate) data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn bytes(&mut self) -> Vec<u8> {
        let len = usize::from(self.u16()).min(self.data.len());
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        head.to_vec()
    }

    fn sid(&mut self) -> Sid {
        match self.u8() {
            0xFF => {
                let len = usize::from(self.u8()).min(self.data.len());
                let (head, rest) = self.data.split_at(len);
                self.data = rest;
                Sid::Text(String::from_utf8_lossy(head).into_owned())
            }
            i => Sid::Pool(i % SID_POOL.len() as u8),
        }
    }

    fn action(&mut self) -> Action {
        match self.u8() % ACTIONS {
            0 => Action::Connect,
            1 => Action::Open {
                resume: self.u8() & 1 == 1,
                id: self.sid(),
                options: self.u8(),
            },
            2 => Action::SessionRequest {
                session: self.u8(),
                params: self.u8(),
            },
            3 => Action::Request { params: self.u8() },
            4 => Action::Destroy { session: self.u8() },
            5 => Action::Respond {
                request: self.u8(),
                how: self.u8(),
            },
            6 => Action::Advance { ms: self.u16() },
            7 => Action::SetDeadline {
                request: self.u8(),
                after: match self.u8() & 1 {
                    1 => Some(self.u16()),
                    _ => None,
                },
            },
            8 => Action::Eof,
            9 => Action::Drain { bytes: self.u16() },
            10 => Action::DrainAll,
            11 => Action::Poll { max: self.u8() },
            12 => Action::Deliver { bytes: self.u16() },
            13 => Action::Response {
                to: self.u8(),
                kind: self.u8(),
            },
            14 => Action::SessionEvent {
                session: self.u8(),
                kind: self.u8(),
            },
            15 => Action::Lifecycle { session: self.u8() },
            16 => Action::ServerRequest {
                method: self.u8(),
                session: self.u8(),
                id: self.u8(),
            },
            17 => Action::Notification {
                method: self.u8(),
                session: self.u8(),
            },
            18 => Action::Garbage(self.bytes()),
            19 => Action::Frame(self.bytes()),
            20 => Action::BigFrame {
                kind: self.u8(),
                to: self.u8(),
                len: self.u16(),
            },
            21 => Action::DeepFrame {
                kind: self.u8(),
                to: self.u8(),
                depth: self.u8(),
            },
            22 => Action::Reply { kind: self.u8() },
            _ => Action::Cancel { request: self.u8() },
        }
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }

    fn u16(&mut self, n: u16) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        let b = b.get(..usize::from(u16::MAX)).unwrap_or(b);
        self.u16(b.len() as u16);
        self.0.extend_from_slice(b);
    }

    fn sid(&mut self, sid: &Sid) {
        match sid {
            Sid::Pool(i) => self.u8(*i % SID_POOL.len() as u8),
            Sid::Text(t) => {
                let b = t.as_bytes();
                let b = b.get(..255).unwrap_or(b);
                self.u8(0xFF);
                self.u8(b.len() as u8);
                self.0.extend_from_slice(b);
            }
        }
    }

    fn action(&mut self, a: &Action) {
        match a {
            Action::Connect => self.u8(0),
            Action::Open {
                resume,
                id,
                options,
            } => {
                self.u8(1);
                self.u8(u8::from(*resume));
                self.sid(id);
                self.u8(*options);
            }
            Action::SessionRequest { session, params } => {
                self.u8(2);
                self.u8(*session);
                self.u8(*params);
            }
            Action::Request { params } => {
                self.u8(3);
                self.u8(*params);
            }
            Action::Destroy { session } => {
                self.u8(4);
                self.u8(*session);
            }
            Action::Respond { request, how } => {
                self.u8(5);
                self.u8(*request);
                self.u8(*how);
            }
            Action::Advance { ms } => {
                self.u8(6);
                self.u16(*ms);
            }
            Action::SetDeadline { request, after } => {
                self.u8(7);
                self.u8(*request);
                match after {
                    Some(ms) => {
                        self.u8(1);
                        self.u16(*ms);
                    }
                    None => self.u8(0),
                }
            }
            Action::Eof => self.u8(8),
            Action::Drain { bytes } => {
                self.u8(9);
                self.u16(*bytes);
            }
            Action::DrainAll => self.u8(10),
            Action::Poll { max } => {
                self.u8(11);
                self.u8(*max);
            }
            Action::Deliver { bytes } => {
                self.u8(12);
                self.u16(*bytes);
            }
            Action::Response { to, kind } => {
                self.u8(13);
                self.u8(*to);
                self.u8(*kind);
            }
            Action::SessionEvent { session, kind } => {
                self.u8(14);
                self.u8(*session);
                self.u8(*kind);
            }
            Action::Lifecycle { session } => {
                self.u8(15);
                self.u8(*session);
            }
            Action::ServerRequest {
                method,
                session,
                id,
            } => {
                self.u8(16);
                self.u8(*method);
                self.u8(*session);
                self.u8(*id);
            }
            Action::Notification { method, session } => {
                self.u8(17);
                self.u8(*method);
                self.u8(*session);
            }
            Action::Garbage(b) => {
                self.u8(18);
                self.bytes(b);
            }
            Action::Frame(b) => {
                self.u8(19);
                self.bytes(b);
            }
            Action::BigFrame { kind, to, len } => {
                self.u8(20);
                self.u8(*kind);
                self.u8(*to);
                self.u16(*len);
            }
            Action::DeepFrame { kind, to, depth } => {
                self.u8(21);
                self.u8(*kind);
                self.u8(*to);
                self.u8(*depth);
            }
            Action::Reply { kind } => {
                self.u8(22);
                self.u8(*kind);
            }
            Action::Cancel { request } => {
                self.u8(23);
                self.u8(*request);
            }
        }
    }
}

impl ClientInput {
    /// Decodes any bytes (missing bytes read as zeros).
    pub fn from_bytes(data: &[u8]) -> ClientInput {
        let mut r = Reader { data };
        let mut input = ClientInput {
            caps: r.u8(),
            rx: r.u16(),
            tx: r.u16(),
            max_frame: r.u16(),
            timeout: r.u16(),
            handles: r.u16(),
            actions: Vec::new(),
        };
        while !r.data.is_empty() {
            input.actions.push(r.action());
        }
        input
    }

    /// The bytes [`from_bytes`](Self::from_bytes) decodes back into this input (ids longer
    /// than 255 bytes and byte strings longer than 65535 are cut).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::new());
        w.u8(self.caps);
        w.u16(self.rx);
        w.u16(self.tx);
        w.u16(self.max_frame);
        w.u16(self.timeout);
        w.u16(self.handles);
        for a in &self.actions {
            w.action(a);
        }
        w.0
    }
}

impl<'a> Arbitrary<'a> for ClientInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let rest = u.bytes(u.len())?;
        Ok(ClientInput::from_bytes(rest))
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(ClientInput::from_bytes(u.take_rest()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn encoding_round_trips() {
        let input = ClientInput {
            caps: 1,
            rx: 700,
            tx: 9,
            max_frame: 0,
            timeout: 100,
            handles: 0xFFFF,
            actions: vec![
                Action::Connect,
                Action::Open {
                    resume: true,
                    id: Sid::Text("custom".into()),
                    options: 1,
                },
                Action::Open {
                    resume: false,
                    id: Sid::Pool(3),
                    options: 0,
                },
                Action::SetDeadline {
                    request: 2,
                    after: Some(77),
                },
                Action::SetDeadline {
                    request: 2,
                    after: None,
                },
                Action::Garbage(b"Content-Length: 1\r\n".to_vec()),
                Action::Frame(b"{}".to_vec()),
                Action::BigFrame {
                    kind: 1,
                    to: 2,
                    len: 5000,
                },
                Action::DeepFrame {
                    kind: 2,
                    to: 9,
                    depth: 200,
                },
                Action::Reply { kind: 3 },
                Action::Cancel { request: 1 },
                Action::Poll { max: 0 },
                Action::Eof,
            ],
        };
        assert_eq!(ClientInput::from_bytes(&input.to_bytes()), input);
        // Anything decodes.
        for data in [
            &b""[..],
            b"\xff",
            b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x01\xff",
        ] {
            let _ = ClientInput::from_bytes(data);
        }
    }
}
