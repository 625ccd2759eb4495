//! A simulated Copilot CLI (feature `sim`): the server side of the protocol, itself sans-IO
//! and in fixed memory, speaking as CLI 1.0.102 does.
//!
//! Feed it the client's bytes ([`Sim::push`] or [`Sim::receive_buffer`] + [`Sim::received`]),
//! call [`Sim::poll`], and give its [`Sim::transmit_bytes`] to the client's inbox. It answers
//! the handshake, creates, resumes and destroys sessions (with `session.lifecycle`,
//! `session.start` and, once a session filesystem provider is set, `sessionFs.*` requests
//! before the create response, as the real CLI does), and plays scripted model turns:
//! `user.message`, `assistant.message_delta`s when streaming, tool calls (with
//! `permission.requested` and `external_tool.requested`, waiting for the client's answers),
//! `assistant.message`, `session.idle`. Errors come on demand ([`SimConfig::failing`],
//! [`SimConfig::failing_creates`]). Use it to test an application without the CLI.
//!
//! ```
//! use copilot_sansio::sim::{Reply, Sim, SimConfig};
//! use copilot_sansio::{Client, Config, Connect, Event, Inbox, Instant, SessionId};
//!
//! # fn main() -> Result<(), copilot_sansio::Error> {
//! let (mut rx, mut tx, mut srx, mut stx) = ([0u8; 8192], [0u8; 8192], [0u8; 8192], [0u8; 8192]);
//! let mut inbox = Inbox::new(&mut rx);
//! let mut client: Client<'_, 4, 8> = Client::new(&mut tx, Config::default())?;
//! let replies = [Reply::Text("Hello!")];
//! let mut sim: Sim<'_, 4> = Sim::new(&mut srx, &mut stx, SimConfig { replies: &replies, ..SimConfig::default() });
//! let now = Instant::from_millis(0);
//! client.connect(now, &Connect::default())?;
//! let session = client.create_session(now, SessionId::new_v4([1; 16]), &())?;
//! let mut texts = Vec::new();
//! for _ in 0..10 {
//!     // Client -> sim, sim -> client.
//!     let n = sim.push(client.transmit_bytes());
//!     client.transmitted(n);
//!     sim.poll();
//!     let n = inbox.push(sim.transmit_bytes());
//!     sim.transmitted(n);
//!     while let Some(event) = client.poll_event(&mut inbox, now) {
//!         match event {
//!             Event::SessionOpened { .. } => {
//!                 client.send(now, session, &copilot_sansio::params::SendMessage::prompt("Hi"))?;
//!             }
//!             Event::Session { event, .. } if event.is("assistant.message") => {
//!                 texts.push(event.data().get_str("content").unwrap().to_string());
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//! assert_eq!(texts, ["Hello!"]);
//! # Ok(())
//! # }
//! ```

mod emit;
mod script;

use crate::inbox::{Inbox, Item};
use crate::json::write::Writer;
use crate::json::{JsonStr, Kind, RawJson};
use crate::outbox::Outbox;
use crate::rpc::{self, BadMessage, Message, MessageError, code};
use crate::session::{OpenKind, SessionId, SessionTable};

use emit::Envelope;
use script::{PermissionMode, Program, SimSession, Step, ToolOutcome, Wait, note};

/// A scripted model reply. Turns take the replies in order, cycling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    /// The model answers with this text.
    Text(&'a str),
    /// The model calls a tool (`arguments` is a JSON object), gets its result, then answers
    /// with `then`.
    ToolCall {
        /// The tool's name (one the session was created with).
        tool: &'a str,
        /// The call's arguments, a JSON object.
        arguments: &'a str,
        /// The final answer after the tool result.
        then: &'a str,
    },
    /// The model never answers: the turn runs until `session.abort`.
    Stall,
}

/// How the simulated CLI behaves.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig<'a> {
    /// The CLI version it reports.
    pub version: &'a str,
    /// Whether it is logged in (`auth.getStatus`, `models.list`).
    pub authenticated: bool,
    /// If set, `connect` must carry this token.
    pub connection_token: Option<&'a str>,
    /// The model's replies, one per turn, cycling. Empty: a turn fails with a `session.error`
    /// (as the real CLI does without credentials).
    pub replies: &'a [Reply<'a>],
    /// Bytes of reply text per `assistant.message_delta` (sessions created with
    /// `streaming: true`).
    pub delta_len: usize,
    /// Emit `session.start` before the create response. The real CLI sends it just after
    /// (the default); before is the race the official SDKs used to lose.
    pub early_session_start: bool,
    /// `sessionFs.*` requests sent before each create response once a provider is set (the
    /// real CLI sends about 22).
    pub fs_requests_on_create: u8,
    /// Requests with these methods fail with this code and message.
    pub failing: &'a [(&'a str, i64, &'a str)],
    /// The next this-many `session.create` requests fail.
    pub failing_creates: u32,
}

impl Default for SimConfig<'_> {
    fn default() -> Self {
        SimConfig {
            version: "1.0.102",
            authenticated: true,
            connection_token: None,
            replies: &[],
            delta_len: 24,
            early_session_start: false,
            fs_requests_on_create: 2,
            failing: &[],
            failing_creates: 0,
        }
    }
}

/// Counters of what the simulated CLI did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Client requests handled.
    pub requests: u64,
    /// `session.event` notifications sent.
    pub events: u64,
    /// Requests sent to the client.
    pub server_requests: u64,
    /// Turns completed.
    pub turns: u64,
    /// Frames it could not parse.
    pub bad_frames: u64,
}

/// Room kept free before taking a request: its immediate answers always fit.
const RESERVE: usize = 4096;

/// A simulated Copilot CLI holding up to `S` sessions (open or persisted).
pub struct Sim<'b, const S: usize = 16> {
    inbox: Inbox<'b>,
    core: Core<'b, S>,
}

/// Everything but the inbox, so requests can be handled while their frame is borrowed.
struct Core<'b, const S: usize> {
    out: Outbox<'b>,
    config: SimConfig<'b>,
    sessions: SessionTable<S>,
    state: [SimSession; S],
    runnable: heapless::Deque<u16, S>,
    counter: u64,
    next_request: u64,
    /// `sessionFs.*` requests in flight and their sessions (the newest ones; any beyond are
    /// found by a scan of the sessions).
    fs_waiting: heapless::Vec<(u64, u16), 32>,
    fs_provider: bool,
    failing_creates: u32,
    turn: usize,
    last_session: Option<u16>,
    stats: SimStats,
}

/// The raw JSON text of a request id.
type IdBytes = heapless::Vec<u8, 40, u8>;

fn id_bytes(id: RawJson<'_>) -> IdBytes {
    IdBytes::from_slice(id.as_bytes()).unwrap_or_default()
}

impl<'b, const S: usize> Sim<'b, S> {
    /// A simulated CLI reading the client's bytes into `rx` and queuing its own in `tx` (at
    /// least 8 KiB each).
    pub fn new(rx: &'b mut [u8], tx: &'b mut [u8], config: SimConfig<'b>) -> Self {
        Sim {
            inbox: Inbox::new(rx),
            core: Core {
                out: Outbox::new(tx),
                failing_creates: config.failing_creates,
                config,
                sessions: SessionTable::new(),
                state: [SimSession::EMPTY; S],
                runnable: heapless::Deque::new(),
                counter: 1,
                next_request: 1,
                fs_waiting: heapless::Vec::new(),
                fs_provider: false,
                turn: 0,
                last_session: None,
                stats: SimStats::default(),
            },
        }
    }

    /// Free room for the client's bytes; then [`received`](Self::received).
    pub fn receive_buffer(&mut self) -> &mut [u8] {
        self.inbox.receive_buffer()
    }

    /// `n` bytes were written into [`receive_buffer`](Self::receive_buffer).
    pub fn received(&mut self, n: usize) {
        self.inbox.received(n);
    }

    /// Copies in as many of the client's bytes as fit; returns how many.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        self.inbox.push(bytes)
    }

    /// Bytes for the client.
    pub fn transmit_bytes(&self) -> &[u8] {
        self.core.out.pending()
    }

    /// `n` bytes of [`transmit_bytes`](Self::transmit_bytes) were delivered.
    pub fn transmitted(&mut self, n: usize) {
        self.core.out.consumed(n);
    }

    /// Counters.
    pub fn stats(&self) -> SimStats {
        self.core.stats
    }

    /// Sessions held (open or persisted).
    pub fn sessions(&self) -> usize {
        self.core.sessions.len()
    }

    /// Handles what the client sent and plays what can be played; returns true if anything
    /// happened. Stops when its transmit buffer is full: deliver its bytes, then poll again.
    pub fn poll(&mut self) -> bool {
        let mut progressed = false;
        loop {
            let ran = self.core.run_programs();
            let took = self.core.out.free() >= RESERVE && self.take_input();
            progressed |= ran || took;
            if !ran && !took {
                return progressed;
            }
        }
    }

    fn take_input(&mut self) -> bool {
        let core = &mut self.core;
        let (body, commit) = match self.inbox.next_item() {
            Item::Frame { body, commit } => (body, commit),
            Item::NeedMore | Item::End => return false,
            Item::TooLarge { commit, .. }
            | Item::Malformed { commit, .. }
            | Item::Truncated { commit, .. } => {
                commit.commit();
                core.stats.bad_frames += 1;
                return true;
            }
        };
        // The frame borrows the inbox; copy what is needed out of it as we go.
        match rpc::classify(body, 64) {
            Ok(Message::Request { id, method, params }) => {
                core.stats.requests += 1;
                let params = params.unwrap_or(RawJson::EMPTY_OBJECT);
                let id = id_bytes(id);
                let mut name = heapless::String::<64>::new();
                let _ = name.push_str(method.as_str().unwrap_or("?"));
                core.request(&id, &name, params);
            }
            Ok(Message::Response { id, outcome }) => {
                core.response(id.as_u64(), outcome.is_ok());
            }
            Ok(Message::Notification { .. }) => {}
            // As the CLI answers: always with `"id": null`.
            Err(BadMessage::Json(e)) => {
                core.stats.bad_frames += 1;
                let _ = emit::error(&mut core.out, b"null", code::PARSE_ERROR, |w| {
                    w.raw("Parse error: ");
                    let _ = core::fmt::Write::write_fmt(&mut Text(w), format_args!("{e}"));
                });
            }
            Err(BadMessage::Invalid { error, .. }) => {
                core.stats.bad_frames += 1;
                let message = match error {
                    MessageError::BadVersion => "missing field `jsonrpc`",
                    _ => "not a recognizable JSON-RPC request, notification, or response",
                };
                let _ = emit::error(&mut core.out, b"null", code::INVALID_REQUEST, |w| {
                    w.raw(message)
                });
            }
        }
        commit.commit();
        true
    }
}

impl<'b, const S: usize> Core<'b, S> {
    fn next_counter(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn ok(&mut self, id: &[u8], body: &str) {
        let _ = emit::result(&mut self.out, id, |w| w.raw(body));
    }

    fn fail(&mut self, id: &[u8], method: &str, message: impl FnOnce(&mut Writer<'_>)) {
        let _ = emit::error(&mut self.out, id, code::INTERNAL_ERROR, |w| {
            w.raw("Request ");
            w.escaped(method);
            w.raw(" failed with message: ");
            message(w);
        });
    }

    /// The session a request names, or the error answer already sent.
    fn session_of(&mut self, id: &[u8], method: &str, params: RawJson<'_>) -> Option<u16> {
        let Some(sid) = params.get_str("sessionId") else {
            self.fail(id, method, |w| {
                w.raw("Missing sessionId in ");
                w.escaped(method);
                w.raw(" request");
            });
            return None;
        };
        match self.sessions.find_json(sid).filter(|&s| self.live(s)) {
            Some(slot) => Some(slot),
            None => {
                self.fail(id, method, |w| {
                    w.raw("Session not found: ");
                    w.raw(sid.raw_bytes());
                });
                None
            }
        }
    }

    fn live(&self, slot: u16) -> bool {
        self.state
            .get(usize::from(slot))
            .is_some_and(|s| !s.persisted)
    }

    fn request(&mut self, id: &[u8], method: &str, params: RawJson<'_>) {
        if let Some(&(_, code, message)) = self.config.failing.iter().find(|f| f.0 == method) {
            let _ = emit::error(&mut self.out, id, code, |w| w.escaped(message));
            return;
        }
        match method {
            "ping" => {
                let message = params.get_str("message");
                let counter = self.next_counter();
                let _ = emit::result(&mut self.out, id, |w| {
                    w.raw(r#"{"message":"pong"#);
                    if let Some(m) = message {
                        w.raw(": ");
                        w.raw(m.raw_bytes());
                    }
                    w.raw(r#"","timestamp":"#);
                    emit::timestamp(w, counter);
                    w.raw(r#","protocolVersion":3}"#);
                });
            }
            "connect" => {
                let token = params.get_str("token");
                match self.config.connection_token {
                    Some(expected) if token.is_none_or(|t| !t.eq_str(expected)) => {
                        let _ = emit::error(&mut self.out, id, code::INTERNAL_ERROR, |w| {
                            w.raw("AUTHENTICATION_FAILED: invalid connection token")
                        });
                    }
                    _ => {
                        let version = self.config.version;
                        let _ = emit::result(&mut self.out, id, |w| {
                            w.raw(r#"{"ok":true,"protocolVersion":3,"version":"#);
                            w.string(version);
                            w.raw(r#","taskKinds":["agent","shell"]}"#);
                        });
                    }
                }
            }
            "status.get" => {
                let version = self.config.version;
                let _ = emit::result(&mut self.out, id, |w| {
                    w.raw(r#"{"version":"#);
                    w.string(version);
                    w.raw(r#","protocolVersion":3}"#);
                });
            }
            "auth.getStatus" => {
                let body = if self.config.authenticated {
                    r#"{"isAuthenticated":true,"authType":"token","host":"https://github.com","login":"dev","statusMessage":"Authenticated (simulated)"}"#
                } else {
                    r#"{"isAuthenticated":false,"statusMessage":"Not authenticated"}"#
                };
                self.ok(id, body);
            }
            "models.list" => {
                if self.config.authenticated {
                    self.ok(id, r#"{"models":[{"id":"claude-sonnet-4.5","name":"Claude Sonnet 4.5","capabilities":{"supports":{"vision":true},"limits":{"max_context_window_tokens":128000}}}]}"#);
                } else {
                    self.fail(id, method, |w| {
                        w.raw("Not authenticated. Please authenticate first.")
                    });
                }
            }
            "runtime.shutdown" => self.ok(id, "null"),
            "sessionFs.setProvider" => {
                self.fs_provider = true;
                self.ok(id, r#"{"success":true}"#);
            }
            "llmInference.setProvider" => self.ok(id, r#"{"success":true}"#),
            "session.create" => self.open(id, OpenKind::Create, params),
            "session.resume" => self.open(id, OpenKind::Resume, params),
            "session.list" => self.list(id),
            "session.getLastId" => match self.last_session {
                Some(slot) => {
                    let sid = self.session_name(slot);
                    let _ = emit::result(&mut self.out, id, |w| {
                        w.raw(r#"{"sessionId":"#);
                        w.string(sid.as_str());
                        w.byte(b'}');
                    });
                }
                None => self.ok(id, "{}"),
            },
            "session.getMetadata" => {
                let slot = params
                    .get_str("sessionId")
                    .and_then(|s| self.sessions.find_json(s));
                match slot {
                    Some(slot) => {
                        let sid = self.session_name(slot);
                        let _ = emit::result(&mut self.out, id, |w| {
                            w.raw(r#"{"session":"#);
                            session_info(w, &sid);
                            w.byte(b'}');
                        });
                    }
                    None => self.ok(id, "{}"),
                }
            }
            "session.delete" => {
                let slot = params
                    .get_str("sessionId")
                    .and_then(|s| self.sessions.find_json(s));
                match slot {
                    Some(slot) if !self.live(slot) => {
                        self.release(slot);
                        self.ok(id, r#"{"success":true}"#);
                    }
                    Some(_) => self.ok(id, r#"{"success":false,"error":"Session is active"}"#),
                    None => self.ok(id, r#"{"success":false,"error":"Session not found"}"#),
                }
            }
            "session.send" => {
                if let Some(slot) = self.session_of(id, method, params) {
                    self.send(id, slot, params);
                }
            }
            "session.abort" => {
                if let Some(slot) = self.session_of(id, method, params) {
                    self.abort(id, slot);
                }
            }
            "session.destroy" => {
                if let Some(slot) = self.session_of(id, method, params) {
                    self.start(slot, Program::destroy(id));
                }
            }
            "session.getMessages" => {
                if let Some(slot) = self.session_of(id, method, params) {
                    let sid = self.session_name(slot);
                    let _ = emit::result(&mut self.out, id, |w| {
                        w.raw(r#"{"events":[{"type":"session.start","data":{"sessionId":"#);
                        w.string(sid.as_str());
                        w.raw(r#","version":1,"producer":"copilot-agent"},"id":"#);
                        emit::uuid(w, 1);
                        w.raw(r#","timestamp":"#);
                        emit::timestamp(w, 1);
                        w.raw(r#","parentId":null}]}"#);
                    });
                }
            }
            "session.model.switchTo" | "session.log" => {
                if self.session_of(id, method, params).is_some() {
                    self.ok(id, "{}");
                }
            }
            "session.tools.handlePendingToolCall" => self.answer(id, method, params, Wait::Tool),
            "session.permissions.handlePendingPermissionRequest" => {
                self.answer(id, method, params, Wait::Permission)
            }
            "session.ui.handlePendingElicitation" | "session.commands.handlePendingCommand" => {
                if self.session_of(id, method, params).is_some() {
                    self.ok(id, r#"{"success":false}"#);
                }
            }
            _ => {
                let _ = emit::error(&mut self.out, id, code::METHOD_NOT_FOUND, |w| {
                    w.raw("Unhandled method ");
                    w.escaped(method);
                });
            }
        }
    }

    fn session_name(&self, slot: u16) -> SessionId {
        self.sessions
            .get(slot)
            .map(|s| s.id().clone())
            .unwrap_or_else(|| SessionId::new_v4([0; 16]))
    }

    fn list(&mut self, id: &[u8]) {
        let ids: heapless::Vec<SessionId, 8> = self
            .sessions
            .iter()
            .map(|(_, s)| s.id().clone())
            .take(8)
            .collect();
        let _ = emit::result(&mut self.out, id, |w| {
            w.raw(r#"{"sessions":["#);
            for (i, sid) in ids.iter().enumerate() {
                if i > 0 {
                    w.byte(b',');
                }
                session_info(w, sid);
            }
            w.raw("]}");
        });
    }

    fn release(&mut self, slot: u16) {
        self.sessions.release(slot);
        self.fs_waiting.retain(|&(_, s)| s != slot);
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            *s = SimSession::EMPTY;
        }
    }

    fn open(&mut self, id: &[u8], kind: OpenKind, params: RawJson<'_>) {
        let method = match kind {
            OpenKind::Create => "session.create",
            OpenKind::Resume => "session.resume",
        };
        let existing = params
            .get_str("sessionId")
            .and_then(|s| self.sessions.find_json(s));
        let slot = match (kind, existing) {
            (OpenKind::Resume, Some(slot)) if !self.live(slot) => slot,
            (OpenKind::Resume, Some(_)) => {
                return self.fail(id, method, |w| w.raw("Session is already open"));
            }
            (OpenKind::Resume, None) => {
                return self.fail(id, method, |w| {
                    w.raw("Failed to load session events: Session not found")
                });
            }
            (OpenKind::Create, Some(_)) => {
                return self.fail(id, method, |w| w.raw("Session already exists"));
            }
            (OpenKind::Create, None) => {
                if self.failing_creates > 0 {
                    self.failing_creates -= 1;
                    return self.fail(id, method, |w| {
                        w.raw("session construction failed (simulated)")
                    });
                }
                let sid = match params.get_str("sessionId") {
                    Some(s) => {
                        let mut buf = [0u8; 64];
                        match s
                            .unescape_into(&mut buf)
                            .ok()
                            .and_then(|s| SessionId::new(s).ok())
                        {
                            Some(sid) => sid,
                            None => {
                                return self.fail(id, method, |w| w.raw("Invalid sessionId"));
                            }
                        }
                    }
                    // The server picks the id.
                    None => {
                        let n = self.next_counter();
                        let mut random = [0u8; 16];
                        random[..8].copy_from_slice(&n.to_le_bytes());
                        SessionId::new_v4(random)
                    }
                };
                match self.sessions.reserve(sid, OpenKind::Create) {
                    Ok(slot) => slot,
                    Err(_) => {
                        return self.fail(id, method, |w| w.raw("too many sessions (simulated)"));
                    }
                }
            }
        };
        let tools_need_permission = params.get("tools").is_some_and(|t| {
            t.elements()
                .any(|t| t.get("skipPermission").and_then(|s| s.as_bool()) != Some(true))
        });
        let flag = |name: &str| params.get(name).and_then(|v| v.as_bool()) == Some(true);
        let fs_left = if self.fs_provider {
            self.config.fs_requests_on_create
        } else {
            0
        };
        let program = Program::open(
            kind,
            id,
            self.config.early_session_start,
            fs_left,
            flag("disableResume"),
        );
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.persisted = false;
            s.streaming = flag("streaming");
            s.permission = match (tools_need_permission, flag("requestPermission")) {
                (false, _) => PermissionMode::Skip,
                (true, true) => PermissionMode::Ask,
                (true, false) => PermissionMode::Deny,
            };
        }
        self.last_session = Some(slot);
        self.start(slot, program);
    }

    fn send(&mut self, id: &[u8], slot: u16, params: RawJson<'_>) {
        let prompt = params.get_str("prompt").map_or("", |p| p.raw());
        let reply = if self.config.replies.is_empty() {
            None
        } else {
            let r = self.turn % self.config.replies.len();
            self.turn += 1;
            Some(r as u16)
        };
        let busy = self
            .state
            .get(usize::from(slot))
            .is_some_and(|s| !s.program.is_idle());
        let message_id = self.next_counter();
        self.event(slot, "pending_messages.modified", |w, _| w.raw("{}"));
        let _ = emit::result(&mut self.out, id, |w| {
            w.raw(r#"{"messageId":"#);
            emit::uuid(w, message_id);
            w.byte(b'}');
        });
        if busy {
            // One turn at a time; a message sent meanwhile is taken after (not simulated).
            return;
        }
        let Some(s) = self.state.get_mut(usize::from(slot)) else {
            return;
        };
        s.prompt = note(prompt);
        s.tool = match s.permission {
            PermissionMode::Deny => ToolOutcome::Unanswerable,
            _ => ToolOutcome::Pending,
        };
        let first = s.turns == 0;
        let replies = self.config.replies;
        let program = Program::turn(reply, replies, s.streaming, s.permission, first);
        self.start(slot, program);
    }

    fn abort(&mut self, id: &[u8], slot: u16) {
        let running = self
            .state
            .get(usize::from(slot))
            .is_some_and(|s| s.program.is_turn());
        if running {
            // The events first; the response comes between `assistant.idle` and
            // `session.idle`.
            self.start(slot, Program::aborted(id));
        } else {
            self.ok(id, r#"{"success":true}"#);
        }
    }

    /// `handlePending*` from the client: resumes the waiting turn, which sends the response
    /// after the `*.completed` event, as the CLI does. Late or unknown answers get
    /// `{"success":false}`.
    fn answer(&mut self, id: &[u8], method: &str, params: RawJson<'_>, kind: fn(u64) -> Wait) {
        let Some(slot) = self.session_of(id, method, params) else {
            return;
        };
        let waiting = self.state.get(usize::from(slot)).map(|s| s.program.wait);
        let matches = match (waiting, params.get_str("requestId")) {
            (Some(w @ (Wait::Tool(n) | Wait::Permission(n))), Some(r)) => {
                w == kind(n) && emit_matches_uuid(r, n)
            }
            _ => false,
        };
        if !matches {
            self.ok(id, r#"{"success":false}"#);
            return;
        }
        let result = params.get("result");
        let (tool, text) = match waiting {
            Some(Wait::Permission(_)) => {
                let kind = result.and_then(|r| r.get_str("kind"));
                if kind.is_some_and(|k| k.as_str().is_some_and(|k| k.starts_with("approve"))) {
                    (ToolOutcome::Pending, None)
                } else {
                    (
                        ToolOutcome::Rejected,
                        result.and_then(|r| r.get_str("feedback")),
                    )
                }
            }
            _ => match (result, params.get_str("error")) {
                (_, Some(_)) => (ToolOutcome::Error, None),
                (Some(r), None) if r.kind() == Kind::String => (ToolOutcome::Done, r.as_string()),
                (Some(r), None) => {
                    let failed = r.get_str("resultType").is_some_and(|t| t == "failure");
                    let text = r.get_str("textResultForLlm");
                    match failed {
                        true => (ToolOutcome::Failed, r.get_str("error").or(text)),
                        false => (ToolOutcome::Done, text),
                    }
                }
                (None, None) => (ToolOutcome::Done, None),
            },
        };
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.tool = tool;
            s.note = text.map(|t| note(t.raw())).unwrap_or_default();
            s.program.wait = Wait::None;
            s.program.reply_to = IdBytes::from_slice(id).unwrap_or_default();
        }
        self.wake(slot);
    }

    /// A response from the client to a `sessionFs.*` request.
    fn response(&mut self, id: Option<u64>, ok: bool) {
        let Some(id) = id else { return };
        let waiting = self.fs_waiting.iter().position(|&(n, _)| n == id);
        let slot = match waiting {
            Some(k) => Some(self.fs_waiting.swap_remove(k).1),
            None => self.sessions.iter().map(|(slot, _)| slot).find(|&slot| {
                self.state
                    .get(usize::from(slot))
                    .is_some_and(|s| s.program.wait == Wait::Fs(id))
            }),
        };
        let waits = |s: &SimSession| s.program.wait == Wait::Fs(id);
        let slot = slot.filter(|&slot| self.state.get(usize::from(slot)).is_some_and(waits));
        let Some(slot) = slot else { return };
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.program.wait = Wait::None;
            if !ok {
                // The CLI cannot build the session without its filesystem.
                s.program.fs_failed = true;
            }
        }
        self.wake(slot);
    }

    // ----- programs -------------------------------------------------------------------------

    fn start(&mut self, slot: u16, program: Program) {
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.program = program;
        }
        self.wake(slot);
    }

    /// After a broadcast request event (`id`, or `None` if it did not fit): the program waits
    /// for its answer.
    fn await_answer(&mut self, slot: u16, id: Option<u64>, wait: fn(u64) -> Wait) -> Played {
        let Some(id) = id else {
            return Played::Full;
        };
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.program.wait = wait(id);
            s.program.request = id;
        }
        Played::Wait
    }

    fn wake(&mut self, slot: u16) {
        if !self.runnable.iter().any(|&s| s == slot) {
            let _ = self.runnable.push_back(slot);
        }
    }

    /// Queues one `session.event` for `slot`; returns the event's number (its id), or `None`
    /// if the transmit buffer is full.
    fn event(
        &mut self,
        slot: u16,
        kind: &str,
        data: impl FnOnce(&mut Writer<'_>, u64),
    ) -> Option<u64> {
        let sid = self.session_name(slot);
        let id = self.counter + 1;
        let parent = self.state.get(usize::from(slot)).and_then(|s| s.last_event);
        let env = Envelope {
            session_id: sid.as_str(),
            id,
            parent,
        };
        emit::event(&mut self.out, &env, kind, |w| data(w, id)).ok()?;
        self.counter = id;
        self.stats.events += 1;
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.last_event = Some(id);
        }
        Some(id)
    }

    /// `assistant.streaming_delta`: the reply's size so far.
    fn streaming_delta(&mut self, slot: u16, total: usize) -> Option<u64> {
        self.event(slot, "assistant.streaming_delta", |w, _| {
            w.raw(r#"{"totalResponseSizeBytes":"#);
            w.u64(total as u64);
            w.byte(b'}');
        })
    }

    /// Runs runnable programs until each waits, ends, or the transmit buffer is full.
    fn run_programs(&mut self) -> bool {
        let mut progressed = false;
        while let Some(slot) = self.runnable.pop_front() {
            loop {
                let step = self
                    .state
                    .get(usize::from(slot))
                    .and_then(|s| s.program.current());
                let Some(step) = step else {
                    break;
                };
                let played = self.play(slot, step);
                if !matches!(played, Played::Full) {
                    progressed = true;
                }
                match played {
                    Played::Next => self.advance(slot),
                    Played::Stay => {}
                    Played::Wait => {
                        self.advance(slot);
                        break;
                    }
                    Played::Full => {
                        let _ = self.runnable.push_front(slot);
                        return progressed;
                    }
                    Played::Released => break,
                }
            }
        }
        progressed
    }

    fn advance(&mut self, slot: u16) {
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.program.advance();
        }
    }

    /// Plays one step.
    fn play(&mut self, slot: u16, step: Step) -> Played {
        let sid = self.session_name(slot);
        let Some(s) = self.state.get(usize::from(slot)) else {
            return Played::Released;
        };
        let replies = self.config.replies;
        let reply = s
            .program
            .reply
            .and_then(|r| replies.get(usize::from(r)).copied());
        let (at, between, turn) = (s.program.at, s.program.between, u64::from(s.turns));
        let (outcome, fs_failed, request) = (s.tool, s.program.fs_failed, s.program.request);
        let ran = !matches!(outcome, ToolOutcome::Rejected | ToolOutcome::Unanswerable);
        let reply_to = s.program.reply_to.clone();
        let prompt = s.prompt.clone();
        let noted = s.note.clone();
        let fs_op = s.program.fs_sent;
        let (tool, args) = match reply {
            Some(Reply::ToolCall {
                tool, arguments, ..
            }) => (tool, valid_object(arguments)),
            _ => ("", "{}"),
        };
        let text = |then: bool| match reply {
            Some(Reply::Text(t)) => t,
            Some(Reply::ToolCall { then: t, .. }) if then => t,
            _ => "",
        };
        let call_id = |w: &mut Writer<'_>| {
            w.raw("\"call_");
            w.u64(turn);
            w.byte(b'"');
        };
        let message_id = |w: &mut Writer<'_>| emit::uuid(w, turn << 8 | 0xAB);
        let done = |written: Option<u64>| match written {
            Some(_) => Played::Next,
            None => Played::Full,
        };
        match step {
            Step::LifecycleCreated | Step::LifecycleUpdated => {
                let kind = match step {
                    Step::LifecycleCreated => "session.created",
                    _ => "session.updated",
                };
                let now = self.counter;
                let r = emit::notification(&mut self.out, "session.lifecycle", |w| {
                    w.raw(r#"{"type":""#);
                    w.raw(kind);
                    w.raw(r#"","sessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#","metadata":{"startTime":"#);
                    emit::timestamp(w, 0);
                    w.raw(r#","modifiedTime":"#);
                    emit::timestamp(w, now);
                    w.raw("}}");
                });
                done(r.ok().map(|_| 0))
            }
            Step::FsRequest => {
                // What the CLI asks while building a session, in its order.
                const OPS: [(&str, &str); 6] = [
                    ("sessionFs.readFile", r#"{"path":"/session-state/settings.json""#),
                    ("sessionFs.mkdir", r#"{"path":"/session-state/checkpoints","recursive":true,"mode":448"#),
                    ("sessionFs.writeFile", r##"{"path":"/session-state/checkpoints/index.md","content":"# Checkpoint History\n""##),
                    ("sessionFs.rename", r#"{"src":"/session-state/workspace.yaml.tmp","dest":"/session-state/workspace.yaml""#),
                    ("sessionFs.readdirWithTypes", r#"{"path":"/session-state/files""#),
                    ("sessionFs.stat", r#"{"path":"/session-state/temp""#),
                ];
                let (method, params) = OPS[usize::from(fs_op) % OPS.len()];
                let n = self.next_request;
                let r = emit::request(&mut self.out, n, method, |w| {
                    w.raw(params);
                    w.raw(r#","sessionId":"#);
                    w.string(sid.as_str());
                    w.byte(b'}');
                });
                if r.is_err() {
                    return Played::Full;
                }
                self.next_request += 1;
                self.stats.server_requests += 1;
                let _ = self.fs_waiting.push((n, slot));
                if let Some(s) = self.state.get_mut(usize::from(slot)) {
                    s.program.wait = Wait::Fs(n);
                    s.program.fs_sent = s.program.fs_sent.wrapping_add(1);
                }
                Played::Wait
            }
            Step::CheckFs if fs_failed => {
                // The CLI cannot build the session without its filesystem.
                let r = emit::error(&mut self.out, &reply_to, code::INTERNAL_ERROR, |w| {
                    w.raw("Request session.create failed with message: session construction failed: No session found for sessionId: ");
                    w.escaped(sid.as_str());
                });
                if r.is_err() {
                    return Played::Full;
                }
                self.release(slot);
                Played::Released
            }
            Step::CheckFs => Played::Next,
            Step::Start => done(self.event(slot, "session.start", |w, _| {
                w.raw(r#"{"sessionId":"#);
                w.string(sid.as_str());
                w.raw(r#","version":1,"producer":"copilot-agent","copilotVersion":"1.0.102","startTime":"#);
                emit::timestamp(w, 0);
                w.raw(r#","context":{"cwd":"/"},"remoteSteerable":false,"alreadyInUse":false}"#);
            })),
            Step::OpenResponse => {
                let r = emit::result(&mut self.out, &reply_to, |w| {
                    w.raw(r#"{"sessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#","nativeSessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#","startTime":"#);
                    emit::timestamp(w, 0);
                    w.raw(r#","isRemote":false,"mode":"interactive","workspacePath":"/home/dev/demo/copilot-home/session-state/"#);
                    w.escaped(sid.as_str());
                    w.raw(r#"","capabilities":{"ui":{"elicitation":false,"mcpApps":false,"canvases":false},"extensions":false},"modelState":{}}"#);
                });
                done(r.ok().map(|_| 0))
            }
            Step::SettingsResolved => {
                done(self.event(slot, "session.managed_settings_resolved", |w, _| {
                    w.raw(r#"{"source":"none","managedKeys":[]}"#)
                }))
            }
            Step::ResumeEvent => done(self.event(slot, "session.resume", |w, id| {
                w.raw(r#"{"resumeTime":"#);
                emit::timestamp(w, id);
                w.raw(r#","contextTier":null,"sessionLimits":null,"context":{"cwd":"/"},"remoteSteerable":false,"eventCount":"#);
                w.u64(turn * 8 + 2);
                w.raw(r#","alreadyInUse":false,"sessionWasActive":false}"#);
            })),
            Step::PendingModified => {
                done(self.event(slot, "pending_messages.modified", |w, _| w.raw("{}")))
            }
            Step::Title => done(self.event(slot, "session.title_changed", |w, _| {
                w.raw(r#"{"title":""#);
                w.bytes(&prompt);
                w.raw("\"}");
            })),
            Step::User => done(self.event(slot, "user.message", |w, _| {
                w.raw(r#"{"content":""#);
                w.bytes(&prompt);
                w.raw(r#"","delivery":"idle","turnId":""#);
                w.u64(turn);
                w.raw("\"}");
            })),
            Step::TurnStart | Step::TurnEnd => {
                let kind = match step {
                    Step::TurnStart => "assistant.turn_start",
                    _ => "assistant.turn_end",
                };
                done(self.event(slot, kind, |w, _| {
                    w.raw(r#"{"turnId":""#);
                    w.u64(turn);
                    w.raw("\"}");
                }))
            }
            Step::NoModel => done(self.event(slot, "session.error", |w, _| {
                w.raw(r#"{"errorType":"query","message":"Execution failed: InvalidArg, No GitHub OAuth token or Copilot HMAC key provided"}"#)
            })),
            Step::MessageStart => done(self.event(slot, "assistant.message_start", |w, _| {
                w.raw(r#"{"messageId":"#);
                message_id(w);
                w.byte(b'}');
            })),
            Step::StreamStart { then } => {
                let end = next_boundary(text(then), 0, self.config.delta_len.max(1));
                done(self.streaming_delta(slot, end))
            }
            Step::Deltas { then } => {
                // delta, streaming_delta, delta, ..., delta.
                let whole = text(then);
                let end = next_boundary(whole, at, self.config.delta_len.max(1));
                if end <= at {
                    return Played::Next;
                }
                if between {
                    if self.streaming_delta(slot, end).is_none() {
                        return Played::Full;
                    }
                    if let Some(s) = self.state.get_mut(usize::from(slot)) {
                        s.program.between = false;
                    }
                    return Played::Stay;
                }
                let piece = whole.get(at..end).unwrap_or("");
                let r = self.event(slot, "assistant.message_delta", |w, _| {
                    w.raw(r#"{"messageId":"#);
                    message_id(w);
                    w.raw(r#","deltaContent":"#);
                    w.string(piece);
                    w.byte(b'}');
                });
                if r.is_none() {
                    return Played::Full;
                }
                if let Some(s) = self.state.get_mut(usize::from(slot)) {
                    s.program.at = end;
                    s.program.between = true;
                }
                Played::Stay
            }
            Step::Message { then } => done(self.event(slot, "assistant.message", |w, _| {
                w.raw(r#"{"messageId":"#);
                message_id(w);
                w.raw(r#","content":"#);
                w.string(text(then));
                w.raw(r#","toolRequests":[]}"#);
            })),
            Step::ToolMessage => done(self.event(slot, "assistant.message", |w, _| {
                w.raw(r#"{"messageId":"#);
                message_id(w);
                w.raw(r#","content":"","toolRequests":[{"toolCallId":"#);
                call_id(w);
                w.raw(r#","name":"#);
                w.string(tool);
                w.raw(r#","arguments":"#);
                w.raw(args);
                w.raw(r#","type":"function"}]}"#);
            })),
            Step::ToolStart => done(self.event(slot, "tool.execution_start", |w, _| {
                w.raw(r#"{"toolCallId":"#);
                call_id(w);
                w.raw(r#","toolName":"#);
                w.string(tool);
                w.raw(r#","arguments":"#);
                w.raw(args);
                w.byte(b'}');
            })),
            Step::Permission => {
                let r = self.event(slot, "permission.requested", |w, id| {
                    w.raw(r#"{"requestId":"#);
                    emit::uuid(w, id);
                    w.raw(r#","permissionRequest":{"kind":"custom-tool","toolCallId":"#);
                    call_id(w);
                    w.raw(r#","toolName":"#);
                    w.string(tool);
                    w.raw(r#","toolDescription":"","args":"#);
                    w.raw(args);
                    w.raw("}}");
                });
                self.await_answer(slot, r, Wait::Permission)
            }
            Step::PermissionCompleted => {
                if self.out.free() < 1024 {
                    return Played::Full;
                }
                let r = self.event(slot, "permission.completed", |w, _| {
                    w.raw(r#"{"requestId":"#);
                    emit::uuid(w, request);
                    w.raw(r#","toolCallId":"#);
                    call_id(w);
                    if ran {
                        w.raw(r#","result":{"kind":"approved"}}"#);
                    } else {
                        w.raw(r#","result":{"kind":"denied-interactively-by-user""#);
                        if !noted.is_empty() {
                            w.raw(r#","feedback":""#);
                            w.bytes(&noted);
                            w.byte(b'"');
                        }
                        w.raw("}}");
                    }
                });
                self.ok(&reply_to, r#"{"success":true}"#);
                done(r)
            }
            // Not permitted: the tool does not run.
            Step::ExternalTool | Step::ToolCompleted if !ran => Played::Next,
            Step::ExternalTool => {
                let r = self.event(slot, "external_tool.requested", |w, id| {
                    w.raw(r#"{"requestId":"#);
                    emit::uuid(w, id);
                    w.raw(r#","sessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#","toolCallId":"#);
                    call_id(w);
                    w.raw(r#","toolName":"#);
                    w.string(tool);
                    w.raw(r#","arguments":"#);
                    w.raw(args);
                    w.byte(b'}');
                });
                self.await_answer(slot, r, Wait::Tool)
            }
            Step::ToolCompleted => {
                if self.out.free() < 1024 {
                    return Played::Full;
                }
                let r = self.event(slot, "external_tool.completed", |w, _| {
                    w.raw(r#"{"requestId":"#);
                    emit::uuid(w, request);
                    w.byte(b'}');
                });
                self.ok(&reply_to, r#"{"success":true}"#);
                done(r)
            }
            Step::ToolComplete => done(self.event(slot, "tool.execution_complete", |w, _| {
                w.raw(r#"{"toolCallId":"#);
                call_id(w);
                let failure = |w: &mut Writer<'_>, code: &str, message: &dyn Fn(&mut Writer<'_>)| {
                    w.raw(r#","success":false,"error":{"message":""#);
                    message(w);
                    w.raw(r#"","code":""#);
                    w.raw(code);
                    w.raw("\"}}");
                };
                match outcome {
                    ToolOutcome::Done | ToolOutcome::Pending => {
                        w.raw(r#","success":true,"result":{"content":""#);
                        w.bytes(&noted);
                        w.raw("\"}}");
                    }
                    ToolOutcome::Failed => failure(w, "failure", &|w| w.bytes(&noted)),
                    ToolOutcome::Error => failure(w, "failure", &|w| w.raw("Tool execution failed")),
                    ToolOutcome::Rejected => failure(w, "denied", &|w| {
                        w.raw("The user rejected this tool call.");
                        if !noted.is_empty() {
                            w.raw(" User feedback: ");
                            w.bytes(&noted);
                        }
                    }),
                    ToolOutcome::Unanswerable => failure(w, "denied", &|w| {
                        w.raw("Permission denied and could not request permission from user. Copilot needed the user's approval and no one could answer.")
                    }),
                }
            })),
            Step::Stall => {
                if let Some(s) = self.state.get_mut(usize::from(slot)) {
                    s.program.wait = Wait::Abort;
                }
                Played::Wait
            }
            Step::Abort => done(self.event(slot, "abort", |w, _| {
                w.raw(r#"{"reason":"user_initiated"}"#)
            })),
            Step::AssistantIdle { aborted } => done(self.event(slot, "assistant.idle", |w, _| {
                w.raw(if aborted { r#"{"aborted":true}"# } else { "{}" })
            })),
            Step::AbortResponse => {
                let r = emit::result(&mut self.out, &reply_to, |w| w.raw(r#"{"success":true}"#));
                done(r.ok().map(|_| 0))
            }
            Step::SessionIdle { aborted } => {
                let r = self.event(slot, "session.idle", |w, _| {
                    w.raw(if aborted {
                        r#"{"aborted":true,"mode":"interactive"}"#
                    } else {
                        r#"{"mode":"interactive"}"#
                    })
                });
                if r.is_some() {
                    self.stats.turns += 1;
                    if let Some(s) = self.state.get_mut(usize::from(slot)) {
                        s.turns += 1;
                    }
                }
                done(r)
            }
            Step::Shutdown => done(self.event(slot, "session.shutdown", |w, _| {
                w.raw(r#"{"shutdownType":"routine","totalPremiumRequests":0,"totalApiDurationMs":0,"sessionStartTime":1795475425418,"codeChanges":{"linesAdded":0,"linesRemoved":0,"filesModified":[]},"modelMetrics":{}}"#)
            })),
            Step::HostEvent => {
                let r = emit::notification(&mut self.out, "host.event", |w| {
                    w.raw(r#"{"scope":{"type":"session","sessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#"},"kind":"task_transition","payload":{"kind":"disposed"}}"#);
                });
                done(r.ok().map(|_| 0))
            }
            Step::DestroyResponse => {
                let r = emit::result(&mut self.out, &reply_to, |w| w.raw(r#"{"success":true}"#));
                if r.is_err() {
                    return Played::Full;
                }
                // Sessions that had a turn persist and can be resumed.
                match self.state.get_mut(usize::from(slot)) {
                    Some(s) if s.turns > 0 => {
                        s.persisted = true;
                        s.program = Program::IDLE;
                    }
                    _ => self.release(slot),
                }
                Played::Released
            }
        }
    }
}

/// Writes formatted text (no quotes or escapes in it) into a frame.
struct Text<'w, 'b>(&'w mut Writer<'b>);

impl core::fmt::Write for Text<'_, '_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.escaped(s);
        Ok(())
    }
}

/// The result of playing one step.
enum Played {
    /// Done; go on to the next step.
    Next,
    /// Wrote a frame; the same step has more.
    Stay,
    /// Done; now wait for the client.
    Wait,
    /// The transmit buffer is full: try again later.
    Full,
    /// The session is gone.
    Released,
}

/// The end of the next delta: `at + len` moved back to a character boundary.
fn next_boundary(text: &str, at: usize, len: usize) -> usize {
    if at >= text.len() {
        return at;
    }
    let mut end = (at + len).min(text.len());
    while end > at && !text.is_char_boundary(end) {
        end -= 1;
    }
    if end == at {
        // A character longer than `len`: take it whole.
        end = at + 1;
        while end < text.len() && !text.is_char_boundary(end) {
            end += 1;
        }
    }
    end
}

/// `text` if it is a JSON object, else `{}`.
fn valid_object(text: &str) -> &str {
    match RawJson::parse(text) {
        Ok(v) if v.kind() == Kind::Object => v.as_str(),
        _ => "{}",
    }
}

/// True if a request id the client sent back is the UUID the simulator made from `n`.
fn emit_matches_uuid(got: JsonStr<'_>, n: u64) -> bool {
    let mut buf = [0u8; 40];
    let mut w = Writer::new(&mut buf);
    emit::uuid(&mut w, n);
    let len = w.len();
    buf.get(1..len.saturating_sub(1))
        .is_some_and(|expected| got.raw_bytes() == expected)
}

fn session_info(w: &mut Writer<'_>, sid: &SessionId) {
    w.raw(r#"{"sessionId":"#);
    w.string(sid.as_str());
    w.raw(r#","startTime":"#);
    emit::timestamp(w, 0);
    w.raw(r#","modifiedTime":"#);
    emit::timestamp(w, 0);
    w.raw(r#","isRemote":false,"context":{"cwd":"/"}}"#);
}
