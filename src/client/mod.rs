//! [`Client`]: the connection state machine, and what it owns.
//!
//! Data flows one way: the [`Inbox`] turns bytes into frames, the wire layer validates and
//! classifies a frame into a JSON-RPC message, and the client routes the message into exactly
//! one [`Event`] (acting on its own where the contract says so). Everything the client sends
//! is queued, framed, in its transmit buffer.
//!
//! - `send`: requests of the caller's (and the handshake, the session opens and destroys),
//!   reserved in their tables before their bytes exist.
//! - `methods`: the typed request methods; `session_view`: the per-session ones
//!   ([`Client::session`]); `call`: typed request ids.
//! - `receive`: [`Client::poll_event`], routing each frame to its session or request.
//! - `answers`: answers to server requests, the caller's and the client's own (defaults,
//!   automatic errors, answers owed when a session closes).
//! - `ending`: deadlines and the end of the connection; every request ends exactly once.
//! - `shutdown`: ending a connection politely.
//! - `sessions`, `requests`, `server_requests`: the three fixed-capacity tables.

mod answers;
mod call;
mod config;
mod ending;
mod error;
mod event;
mod methods;
mod receive;
mod requests;
mod send;
mod server_requests;
mod session_view;
mod sessions;
mod shutdown;
mod time;

pub use call::Call;
pub use config::{CallerAnswers, Config};
pub use error::Error;
pub use event::{AutoAction, AutoReason, Event, Failure, InputError, ServerRequest, Unread};
pub use requests::RequestId;
pub use server_requests::ReplyHandle;
pub use session_view::ClientSession;
pub use sessions::{OpenMethod, SessionHandle, SessionState};
pub use shutdown::{Shutdown, ShutdownMode};
pub use time::Instant;

use crate::proto::SessionId;
use crate::wire::Outbox;
pub(crate) use sessions::SessionTable;

use requests::Requests;
use server_requests::ServerRequests;
use sessions::{ClientTag, SlotState};

/// The protocol version this crate speaks (the range the official SDKs accept is 3..=3).
pub const PROTOCOL_VERSION: u32 = 3;

/// The smallest transmit buffer accepted: room for any answer the client sends by itself.
pub const MIN_TRANSMIT_BUFFER: usize = 512;

/// Counters of what went through the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Stats {
    /// Frames received (skipped ones included).
    pub frames: u64,
    /// Events returned by `poll_event`.
    pub events: u64,
    /// Server requests the client answered itself.
    pub auto_answers: u64,
    /// Input errors reported.
    pub input_errors: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handshake {
    NotStarted,
    InFlight,
    Done(u32),
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Open,
    /// The input ended (or framing was lost): closing events are being delivered.
    Closing,
    Closed,
}

/// Bytes in, events and bytes out: the client side of the Copilot CLI protocol.
///
/// `S` is the number of sessions the table holds, `P` the number of requests that can be
/// pending at once in each direction. The transmit buffer is the caller's; received bytes go
/// into an [`Inbox`](crate::Inbox) (the caller's too), and [`poll_event`](Self::poll_event) turns them into
/// [`Event`]s. Nothing allocates, blocks or reads a clock.
pub struct Client<'b, const S: usize = 8, const P: usize = 16> {
    out: Outbox<'b>,
    config: Config,
    handshake: Handshake,
    link: Link,
    next_id: u32,
    sessions: SessionTable<S>,
    requests: Requests<P>,
    server: ServerRequests<P>,
    expired: bool,
    stats: Stats,
    /// The tag of this client's handles, given when the first is made.
    tag: ClientTag,
}

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
    /// A client that queues its output in `tx` (at least [`MIN_TRANSMIT_BUFFER`] bytes).
    pub const fn new(tx: &'b mut [u8], config: Config) -> Result<Self, Error> {
        if tx.len() < MIN_TRANSMIT_BUFFER {
            return Err(Error::TransmitBufferTooSmall {
                min: MIN_TRANSMIT_BUFFER,
            });
        }
        Ok(Client {
            out: Outbox::new(tx),
            config,
            handshake: Handshake::NotStarted,
            link: Link::Open,
            next_id: 1,
            sessions: SessionTable::new(),
            requests: Requests::new(),
            server: ServerRequests::new(),
            expired: false,
            stats: Stats {
                frames: 0,
                events: 0,
                auto_answers: 0,
                input_errors: 0,
            },
            tag: ClientTag::NONE,
        })
    }

    // ----- output --------------------------------------------------------------------------

    /// Bytes queued for the peer, in order. Write some or all, then call
    /// [`transmitted`](Self::transmitted).
    pub fn transmit_bytes(&self) -> &[u8] {
        self.out.pending()
    }

    /// `n` bytes of [`transmit_bytes`](Self::transmit_bytes) were written.
    pub fn transmitted(&mut self, n: usize) {
        self.out.consumed(n);
        // Answers owed for closed sessions (or a closed connection) go out as soon as there
        // is room, so `wants_transmit` tells the truth.
        self.flush_owed();
    }

    /// Bytes free in the transmit buffer.
    pub(crate) fn transmit_free(&self) -> usize {
        self.out.free()
    }

    /// True if bytes are waiting to be written.
    pub fn wants_transmit(&self) -> bool {
        !self.out.pending().is_empty()
    }

    // ----- state ---------------------------------------------------------------------------

    /// The negotiated protocol version, once connected.
    pub fn protocol_version(&self) -> Option<u32> {
        match self.handshake {
            Handshake::Done(v) => Some(v),
            _ => None,
        }
    }

    /// True once the connection has ended and [`Event::Closed`] was delivered.
    pub fn is_closed(&self) -> bool {
        self.link == Link::Closed
    }

    /// The id of a session in the table.
    pub fn session_id(&self, session: SessionHandle) -> Option<&SessionId> {
        let slot = self.sessions.resolve(session)?;
        self.sessions.get(slot).map(|s| s.id())
    }

    /// Where a session stands; `None` once it is released.
    pub fn session_state(&self, session: SessionHandle) -> Option<SessionState> {
        let slot = self.sessions.resolve(session)?;
        match self.sessions.get(slot)?.state {
            SlotState::Live(state) => Some(state),
            _ => None,
        }
    }

    /// The session with this id, if it is in the table.
    pub fn find_session(&self, id: &str) -> Option<SessionHandle> {
        self.sessions
            .find(id.as_bytes())
            .map(|slot| self.sessions.handle(slot))
    }

    /// The sessions in the table (pending, active and closing).
    pub fn sessions(&self) -> impl Iterator<Item = (SessionHandle, &SessionId, SessionState)> {
        self.sessions.iter().filter_map(|(i, s)| match s.state {
            SlotState::Live(state) => Some((self.sessions.handle(i), s.id(), state)),
            _ => None,
        })
    }

    /// Slots in use, including sessions the client is still cleaning up after a failed open.
    pub fn session_slots_in_use(&self) -> usize {
        self.sessions.len()
    }

    /// Requests sent and not answered yet (the client's own included).
    pub fn pending_requests(&self) -> usize {
        self.requests.len()
    }

    /// Server requests not answered yet.
    pub fn pending_server_requests(&self) -> usize {
        self.server.len()
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The tag of this client's handles.
    fn tag(&mut self) -> ClientTag {
        if self.tag == ClientTag::NONE {
            self.tag = ClientTag::next(self.out.addr());
        }
        self.tag
    }
}

impl<const S: usize, const P: usize> core::fmt::Debug for Client<'_, S, P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("handshake", &self.handshake)
            .field("link", &self.link)
            .field("sessions", &self.sessions.len())
            .field("pending_requests", &self.requests.len())
            .field("pending_server_requests", &self.server.len())
            .field("queued_bytes", &self.out.pending().len())
            .finish()
    }
}
