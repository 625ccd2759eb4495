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
//! [`SimConfig::failing_creates`]). A `$/cancelRequest` for a `session.sendAndWait` still
//! waiting for its turn's end is answered -32800 (`Request cancelled`) at once; the turn goes
//! on. Use it to test an application without the CLI.
//!
//! ```
//! use copilot_sansio::sim::{ModelReply, Sim, SimConfig};
//! use copilot_sansio::{Client, Config, Connect, Event, Inbox, Instant, SessionId};
//!
//! # fn main() -> Result<(), copilot_sansio::Error> {
//! let (mut rx, mut tx, mut srx, mut stx) = ([0u8; 8192], [0u8; 8192], [0u8; 8192], [0u8; 8192]);
//! let mut inbox = Inbox::new(&mut rx);
//! let mut client: Client<'_, 4, 8> = Client::new(&mut tx, Config::default())?;
//! let replies = [ModelReply::Text("Hello!")];
//! let mut sim: Sim<'_, 4> = Sim::new(&mut srx, &mut stx, SimConfig::default().replies(&replies));
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
//!                 client.session(session).send(now, &copilot_sansio::proto::params::SessionSend::new("Hi"))?;
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
mod methods;
#[cfg(feature = "std")]
mod pipe;
mod player;
mod script;
#[cfg(feature = "tokio")]
mod tokio;

#[cfg(feature = "tokio")]
pub use self::tokio::duplex;
#[cfg(feature = "std")]
pub use pipe::{PipeReader, PipeWriter, SharedSim, pipe, spawn, spawn_shared};

use crate::client::SessionTable;
use crate::json::RawJson;
use crate::json::write::Writer;
use crate::wire::{BadMessage, Inbox, Item, Message, MessageError, Outbox, classify, code};

use script::SimSession;

/// A scripted model reply. Turns take the replies in order, cycling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelReply<'a> {
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
    /// The model answers with `before`, the prompt (its first 128 bytes), and `after`.
    Echo {
        /// Text before the prompt.
        before: &'a str,
        /// Text after the prompt.
        after: &'a str,
    },
    /// The model never answers: the turn runs until `session.abort`.
    Stall,
}

/// How the simulated CLI behaves. Start from [`SimConfig::default`] and set what you need:
/// `SimConfig::default().replies(&[ModelReply::Text("Hi!")]).delta_len(8)`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SimConfig<'a> {
    /// The CLI version it reports.
    pub version: &'a str,
    /// Whether it is logged in (`auth.getStatus`, `models.list`).
    pub authenticated: bool,
    /// If set, `connect` must carry this token.
    pub connection_token: Option<&'a str>,
    /// The model's replies, one per turn, cycling. Empty (and no [`keyed`](Self::keyed)
    /// reply for the prompt): a turn fails with a `session.error`, as the real CLI does
    /// without credentials.
    pub replies: &'a [ModelReply<'a>],
    /// Replies chosen by a word in the prompt: the first entry whose word the prompt contains
    /// (ASCII letters compared without case) plays, instead of the next of
    /// [`replies`](Self::replies).
    pub keyed: &'a [(&'a str, ModelReply<'a>)],
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
    /// Answer `session.sendAndWait` (newer CLIs do; 1.0.102, the default, answers -32601):
    /// the response comes once the turn is over, naming its last event.
    pub send_and_wait: bool,
}

impl Default for SimConfig<'_> {
    fn default() -> Self {
        SimConfig {
            version: "1.0.102",
            authenticated: true,
            connection_token: None,
            replies: &[],
            keyed: &[],
            delta_len: 24,
            early_session_start: false,
            fs_requests_on_create: 2,
            failing: &[],
            failing_creates: 0,
            send_and_wait: false,
        }
    }
}

crate::proto::setters::setters! {
    SimConfig {
        version = &'a str,
        authenticated = bool,
        connection_token: &'a str,
        replies = &'a [ModelReply<'a>],
        keyed = &'a [(&'a str, ModelReply<'a>)],
        delta_len = usize,
        early_session_start = bool,
        fs_requests_on_create = u8,
        failing = &'a [(&'a str, i64, &'a str)],
        failing_creates = u32,
        send_and_wait = bool,
    }
}

impl<'a> SimConfig<'a> {
    /// The reply at `index`: one of [`replies`](Self::replies), then one of
    /// [`keyed`](Self::keyed).
    pub(crate) fn reply(&self, index: u16) -> Option<ModelReply<'a>> {
        let i = usize::from(index);
        match self.replies.get(i) {
            Some(r) => Some(*r),
            None => self.keyed.get(i - self.replies.len()).map(|(_, r)| *r),
        }
    }

    /// The index of the reply for a turn with `prompt`, the `turn`-th of the connection.
    pub(crate) fn pick(&self, prompt: &str, turn: usize) -> Option<u16> {
        let keyed = self
            .keyed
            .iter()
            .position(|(word, _)| contains_word(prompt, word));
        match keyed {
            Some(k) => u16::try_from(self.replies.len() + k).ok(),
            None if self.replies.is_empty() => None,
            None => u16::try_from(turn % self.replies.len()).ok(),
        }
    }
}

/// True if `text` contains `word`, ASCII letters compared without case.
fn contains_word(text: &str, word: &str) -> bool {
    !word.is_empty()
        && text
            .as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
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
    /// `runtime.shutdown` was answered: the CLI exits once its running programs are done.
    stop_requested: bool,
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
                stop_requested: false,
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

    /// True once the simulated CLI has stopped, as the real one exits after answering
    /// `runtime.shutdown`: the answer and what was running are written (programs waiting for
    /// the client are abandoned). A host ends the connection then (the thread of `spawn`
    /// does).
    pub fn stopped(&self) -> bool {
        self.core.stop_requested
            && self.core.runnable.is_empty()
            && self.core.out.pending().is_empty()
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
        match classify(body, 64) {
            Ok(Message::Request { id, method, params }) => {
                core.stats.requests += 1;
                let params = params.unwrap_or(RawJson::EMPTY_OBJECT);
                let id = id_bytes(id);
                let mut name = heapless::String::<64>::new();
                let _ = name.push_str(method.as_plain().unwrap_or("?"));
                core.request(&id, &name, params);
            }
            Ok(Message::Response { id, outcome }) => {
                core.response(id.as_u64(), outcome.is_ok());
            }
            Ok(Message::Notification { method, params }) => {
                if method.eq_str("$/cancelRequest")
                    && let Some(id) = params.and_then(|p| p.get("id"))
                {
                    core.cancel(&id_bytes(id));
                }
            }
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

/// Writes formatted text (no quotes or escapes in it) into a frame.
struct Text<'w, 'b>(&'w mut Writer<'b>);

impl core::fmt::Write for Text<'_, '_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.escaped(s);
        Ok(())
    }
}
