//! [`Client`]: the connection state machine.
//!
//! Data flows one way: the [`Inbox`] turns bytes into frames, [`rpc::classify`] turns a frame
//! into a message, and the client routes the message into exactly one [`Event`] (acting on its
//! own where the contract says so). Everything the client sends is queued, framed, in its
//! transmit buffer.

use serde::Serialize;

use crate::config::Config;
use crate::error::Error;
use crate::event::{
    AutoAction, AutoReason, Event, Failure, InputError, Lifecycle, ServerMethod, ServerRequest,
    SessionEvent,
};
use crate::inbox::{Inbox, Item};
use crate::json::write::Writer;
use crate::json::{JsonStr, Kind, RawJson};
use crate::outbox::{FrameError, Outbox};
use crate::pending::{
    Entry, MAX_SERVER_ID_LEN, Purpose, ReplyHandle, RequestId, Requests, ServerRequests,
};
use crate::rpc::{self, BadMessage, Message, code};
use crate::session::{
    OpenKind, ReserveError, SessionHandle, SessionId, SessionState, SessionTable, SlotState,
};
use crate::time::Instant;

/// The protocol version this crate speaks (the range the official SDKs accept is 3..=3).
pub const PROTOCOL_VERSION: u32 = 3;

/// The smallest transmit buffer accepted: room for any answer the client sends by itself.
pub const MIN_TRANSMIT_BUFFER: usize = 512;

/// Parameters of `connect`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connect<'a> {
    /// The connection token of a CLI started with `COPILOT_CONNECTION_TOKEN` (TCP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<&'a str>,
    /// Opt in to `gitHubTelemetry.event` notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_git_hub_telemetry_forwarding: Option<bool>,
}

/// Counters of what went through the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
/// into an [`Inbox`] (the caller's too), and [`poll_event`](Self::poll_event) turns them into
/// [`Event`]s. Nothing allocates, blocks or reads a clock.
pub struct Client<'b, const S: usize, const P: usize> {
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
}

/// A frame cannot be handled until the transmit buffer is drained.
struct Blocked;

type Step<'a> = Result<Event<'a>, Blocked>;

fn frame_error(e: FrameError) -> Error {
    match e {
        FrameError::Full { needed, free } => Error::TransmitFull { needed, free },
        FrameError::Rejected => Error::InvalidParams,
    }
}

/// Writes a serde value that must be a JSON object (`()`/`None`, which serialize to `null`,
/// mean no parameters: `{}`). With `session_id`, the object gets `"sessionId"` as its first
/// member (and must not carry one itself).
fn object_params<T: Serialize + ?Sized>(
    w: &mut Writer<'_>,
    session_id: Option<&str>,
    params: &T,
) -> Result<(), FrameError> {
    if let Some(id) = session_id {
        w.raw("{\"sessionId\":");
        w.string(id);
    }
    let object = w.len();
    w.serialize(params)?;
    if !w.fits() {
        return Ok(());
    }
    let written = w.written().get(object..).unwrap_or(&[]);
    let value = RawJson::from_bytes(written).map_err(|_| FrameError::Rejected)?;
    let empty = match value.kind() {
        Kind::Null => true,
        Kind::Object => value.members().next().is_none(),
        _ => return Err(FrameError::Rejected),
    };
    match session_id {
        None if value.is_null() => {
            w.truncate(object);
            w.raw("{}");
        }
        None => {}
        Some(_) if empty => {
            w.truncate(object);
            w.byte(b'}');
        }
        Some(_) if value.get("sessionId").is_some() => return Err(FrameError::Rejected),
        Some(_) => {
            if let Some(brace) = w.written_mut().get_mut(object) {
                *brace = b',';
            }
        }
    }
    Ok(())
}

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
    /// A client that queues its output in `tx` (at least [`MIN_TRANSMIT_BUFFER`] bytes).
    pub const fn new(tx: &'b mut [u8], config: Config) -> Result<Self, Error> {
        if tx.len() < MIN_TRANSMIT_BUFFER {
            return Err(Error::BufferTooSmall {
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
        if self.link == Link::Closed {
            // Answers still owed after the end go out as room is made.
            self.flush_owed();
        }
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

    // ----- time ----------------------------------------------------------------------------

    /// The earliest request deadline, if any: call [`handle_timeout`](Self::handle_timeout)
    /// then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.requests.earliest_deadline()
    }

    /// Expires requests whose deadline is at or before `now`; their failures are delivered by
    /// [`poll_event`](Self::poll_event).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.requests.expire(now) {
            self.expired = true;
        }
    }

    /// Sets (or clears) the deadline of a pending request. False if it is not pending.
    pub fn set_deadline(&mut self, id: RequestId, at: Option<Instant>) -> bool {
        match self.requests.get_mut(id.0) {
            Some(e) if !e.expired => {
                e.deadline = at;
                true
            }
            _ => false,
        }
    }

    // ----- requests --------------------------------------------------------------------------

    fn check_open(&self) -> Result<(), Error> {
        match self.link {
            Link::Open => Ok(()),
            _ => Err(Error::Closed),
        }
    }

    /// Queues a request frame and records it as pending.
    fn send_request(
        &mut self,
        now: Instant,
        purpose: Purpose,
        method: &str,
        params: impl FnOnce(&mut Writer<'_>) -> Result<(), FrameError>,
    ) -> Result<RequestId, Error> {
        self.check_open()?;
        if self.requests.is_full() {
            return Err(Error::TooManyPending);
        }
        let id = self.next_id;
        self.out
            .frame(|w| {
                w.raw("{\"jsonrpc\":\"2.0\",\"id\":");
                w.u64(u64::from(id));
                w.raw(",\"method\":");
                w.string(method);
                w.raw(",\"params\":");
                params(w)?;
                w.byte(b'}');
                Ok(())
            })
            .map_err(frame_error)?;
        self.next_id = id.checked_add(1).unwrap_or(1);
        let deadline = self.config.request_timeout_ms.map(|ms| now.add_millis(ms));
        self.requests.insert(Entry {
            id,
            purpose,
            deadline,
            expired: false,
        });
        Ok(RequestId(id))
    }

    /// Sends `connect` (the handshake). The server's answer arrives as [`Event::Connected`] or
    /// [`Event::ConnectFailed`]; if the server does not know `connect`, the client falls back
    /// to `ping` by itself.
    pub fn connect(&mut self, now: Instant, params: &Connect<'_>) -> Result<RequestId, Error> {
        let id = self.send_request(now, Purpose::Connect, "connect", |w| {
            object_params(w, None, params)
        })?;
        self.handshake = Handshake::InFlight;
        Ok(id)
    }

    /// Sends any request with typed parameters (which must serialize to a JSON object). The
    /// outcome arrives as one [`Event::Response`] with the returned id.
    pub fn request<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        method: &str,
        params: &T,
    ) -> Result<RequestId, Error> {
        self.send_request(now, Purpose::Caller, method, |w| {
            object_params(w, None, params)
        })
    }

    /// Sends any request with parameters given as JSON text (an object).
    pub fn request_raw(
        &mut self,
        now: Instant,
        method: &str,
        params: &str,
    ) -> Result<RequestId, Error> {
        let params = RawJson::parse(params)?;
        self.request(now, method, &params)
    }

    /// Sends a session-scoped request: `"sessionId"` is set from the table, first, followed by
    /// the members of `params` (an object without `sessionId`).
    pub fn session_request<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        session: SessionHandle,
        method: &str,
        params: &T,
    ) -> Result<RequestId, Error> {
        let id = self
            .session_id(session)
            .ok_or(Error::UnknownSession)?
            .clone();
        self.send_request(now, Purpose::Caller, method, |w| {
            object_params(w, Some(id.as_str()), params)
        })
    }

    /// Creates a session with the id `id` (see [`SessionId::new_v4`]) and `options` (a JSON
    /// object: model, tools, ...; `sessionId` is set by the client).
    ///
    /// The session is in the table, `Pending`, before the request is encoded: every event and
    /// server request the CLI sends for it while the request is in flight is routed to it.
    /// On error nothing is queued and nothing stays in the table.
    pub fn create_session<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        id: SessionId,
        options: &T,
    ) -> Result<SessionHandle, Error> {
        self.open_session(now, OpenKind::Create, id, options)
    }

    /// Resumes the persisted session `id`, like [`create_session`](Self::create_session).
    pub fn resume_session<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        id: SessionId,
        options: &T,
    ) -> Result<SessionHandle, Error> {
        self.open_session(now, OpenKind::Resume, id, options)
    }

    fn open_session<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        kind: OpenKind,
        id: SessionId,
        options: &T,
    ) -> Result<SessionHandle, Error> {
        self.check_open()?;
        if self.requests.is_full() {
            return Err(Error::TooManyPending);
        }
        // Reserve before emit.
        let slot = self.sessions.reserve(id, kind).map_err(|e| match e {
            ReserveError::Full => Error::SessionTableFull,
            ReserveError::Duplicate => Error::DuplicateSession,
        })?;
        let method = match kind {
            OpenKind::Create => "session.create",
            OpenKind::Resume => "session.resume",
        };
        let id = match self.sessions.get(slot) {
            Some(s) => s.id().clone(),
            None => return Err(Error::SessionTableFull),
        };
        let sent = self.send_request(now, Purpose::Open { slot, kind }, method, |w| {
            object_params(w, Some(id.as_str()), options)
        });
        match sent {
            Ok(_) => Ok(self.sessions.handle(slot)),
            Err(e) => {
                self.sessions.release(slot);
                Err(e)
            }
        }
    }

    /// Sends `session.destroy`. The session keeps receiving its events until the response,
    /// then [`Event::SessionClosed`] releases it.
    pub fn destroy_session(
        &mut self,
        now: Instant,
        session: SessionHandle,
    ) -> Result<RequestId, Error> {
        let slot = self
            .sessions
            .resolve(session)
            .ok_or(Error::UnknownSession)?;
        if self.session_state(session) != Some(SessionState::Active) {
            return Err(Error::SessionNotActive);
        }
        let id = self.send_destroy(now, slot, Purpose::Destroy { slot })?;
        self.sessions.set_state(slot, SessionState::Closing);
        Ok(id)
    }

    fn send_destroy(
        &mut self,
        now: Instant,
        slot: u16,
        purpose: Purpose,
    ) -> Result<RequestId, Error> {
        let Some(s) = self.sessions.get(slot) else {
            return Err(Error::UnknownSession);
        };
        let id = s.id().clone();
        self.send_request(now, purpose, "session.destroy", |w| {
            w.raw("{\"sessionId\":");
            w.string(id.as_str());
            w.byte(b'}');
            Ok(())
        })
    }

    // ----- answers to server requests --------------------------------------------------------

    fn answer(
        &mut self,
        reply: ReplyHandle,
        body: impl FnOnce(&mut Writer<'_>) -> Result<(), FrameError>,
    ) -> Result<(), Error> {
        self.check_open()?;
        let entry = self.server.resolve(reply).ok_or(Error::UnknownReply)?;
        let id = entry.id.clone();
        write_answer(&mut self.out, &id, body).map_err(frame_error)?;
        self.server.free_handle(reply);
        Ok(())
    }

    /// Answers a server request with a result (any serde value).
    pub fn respond<T: Serialize + ?Sized>(
        &mut self,
        reply: ReplyHandle,
        result: &T,
    ) -> Result<(), Error> {
        self.answer(reply, |w| {
            w.raw(",\"result\":");
            w.serialize(result)?;
            Ok(())
        })
    }

    /// Answers a server request with a result given as JSON text.
    pub fn respond_raw(&mut self, reply: ReplyHandle, result: &str) -> Result<(), Error> {
        let result = RawJson::parse(result)?;
        self.answer(reply, |w| {
            w.raw(",\"result\":");
            w.raw(result.as_bytes());
            Ok(())
        })
    }

    /// Answers a server request with a JSON-RPC error.
    pub fn respond_error(
        &mut self,
        reply: ReplyHandle,
        code: i64,
        message: &str,
    ) -> Result<(), Error> {
        self.answer(reply, |w| {
            error_body(w, code, |w| w.escaped(message));
            Ok(())
        })
    }

    // ----- input -----------------------------------------------------------------------------

    /// The next event, taken from `inbox` (or from the client's own state: timeouts, the end
    /// of the connection). `None` when there is nothing to deliver: more input is needed, or a
    /// frame needs the client to answer by itself and the transmit buffer must be written out
    /// first.
    ///
    /// State changes happen here, as events are taken: a session is active once its
    /// [`Event::SessionOpened`] has been returned. `now` dates the requests the client sends
    /// by itself.
    pub fn poll_event<'i>(&mut self, inbox: &'i mut Inbox<'_>, now: Instant) -> Option<Event<'i>> {
        let event = self.next_event(inbox, now);
        // After the frame's own answers: with an empty transmit buffer, a frame never waits.
        self.flush_owed();
        let event = event?;
        self.stats.events += 1;
        if let Event::Error(_) = event {
            self.stats.input_errors += 1;
        }
        if let Event::Auto(AutoAction::Answered { .. }) = event {
            self.stats.auto_answers += 1;
        }
        Some(event)
    }

    /// True if [`poll_event`](Self::poll_event) has something to deliver: a frame (or the end
    /// of input) in `inbox`, an expired request, or the closing of the connection. Once the
    /// transmit buffer has been written out, `can_poll` true means `poll_event` returns an
    /// event: drivers wait for IO only while this is false.
    pub fn can_poll(&self, inbox: &Inbox<'_>) -> bool {
        match self.link {
            Link::Closed => false,
            Link::Closing => true,
            Link::Open => (self.expired && self.requests.has_expired()) || inbox.has_item(),
        }
    }

    fn next_event<'i>(&mut self, inbox: &'i Inbox<'_>, now: Instant) -> Option<Event<'i>> {
        if self.expired {
            if let Some(event) = self.expire_one() {
                return Some(event);
            }
            self.expired = false;
        }
        match self.link {
            Link::Closed => return None,
            Link::Closing => return Some(self.close_one()),
            Link::Open => {}
        }
        match inbox.next_item() {
            Item::NeedMore => None,
            Item::End => {
                self.link = Link::Closing;
                Some(self.close_one())
            }
            Item::Frame { body, commit } => {
                let event = self.on_frame(body, now).ok()?;
                commit.commit();
                self.stats.frames += 1;
                Some(event)
            }
            Item::TooLarge {
                len,
                prefix,
                commit,
            } => {
                let event = self
                    .on_too_large(len, prefix, inbox.max_frame_len(), now)
                    .ok()?;
                commit.commit();
                self.stats.frames += 1;
                Some(event)
            }
            Item::Malformed { error, commit } => {
                commit.commit();
                warn!("malformed frame header: connection lost");
                self.link = Link::Closing;
                Some(Event::Error(InputError::MalformedHeader(error)))
            }
            Item::Truncated {
                expected,
                received,
                commit,
            } => {
                commit.commit();
                Some(Event::Error(InputError::Truncated { expected, received }))
            }
        }
    }

    /// Writes the error answers owed for requests whose session closed, as room allows.
    fn flush_owed(&mut self) {
        while let Some((index, id)) = self.server.first_owed() {
            let id = id.clone();
            let written = write_answer(&mut self.out, &id, |w| {
                error_body(w, code::INTERNAL_ERROR, |w| {
                    w.raw("session closed before the request was answered")
                });
                Ok(())
            });
            if written.is_err() {
                return;
            }
            self.server.free(index);
        }
    }

    fn on_frame<'i>(&mut self, body: &'i [u8], now: Instant) -> Step<'i> {
        match rpc::classify(body, self.config.max_json_depth) {
            Ok(Message::Response { id, outcome }) => {
                self.on_response(id, outcome.map_err(Failure::Rpc), now)
            }
            Ok(Message::Request { id, method, params }) => self.on_request(id, method, params),
            Ok(Message::Notification { method, params }) => {
                Ok(self.on_notification(method, params))
            }
            Err(BadMessage::Json(e)) => Ok(Event::Error(InputError::InvalidJson(e))),
            Err(BadMessage::Invalid {
                error,
                request: Some((id, method)),
            }) => {
                let id = match id.as_bytes().len() {
                    ..=MAX_SERVER_ID_LEN => id,
                    _ => RawJson::NULL,
                };
                self.auto_error(id, code::INVALID_REQUEST, |w| {
                    w.raw("Invalid Request: ");
                    w.raw(match error {
                        rpc::MessageError::BadVersion => "jsonrpc must be \\\"2.0\\\"",
                        rpc::MessageError::BadParams => "params must be an object",
                        _ => "malformed message",
                    });
                })?;
                Ok(Event::Auto(AutoAction::Answered {
                    method,
                    session_id: None,
                    reason: AutoReason::InvalidRequest(error),
                }))
            }
            Err(BadMessage::Invalid { error, .. }) => {
                Ok(Event::Error(InputError::InvalidMessage(error)))
            }
        }
    }

    fn on_too_large<'i>(
        &mut self,
        len: u64,
        prefix: &'i [u8],
        limit: usize,
        now: Instant,
    ) -> Step<'i> {
        let (id, method, response) = rpc::peek_prefix(prefix);
        match (id, method) {
            (Some(id), Some(method)) => {
                self.auto_error(id, code::INVALID_REQUEST, |w| {
                    w.raw("request too large for the client: ");
                    w.u64(len);
                    w.raw(" bytes");
                })?;
                Ok(Event::Auto(AutoAction::Answered {
                    method,
                    session_id: None,
                    reason: AutoReason::TooLarge { len },
                }))
            }
            (Some(id), None) if response => {
                self.on_response(id, Err(Failure::ResponseTooLarge { len }), now)
            }
            _ => Ok(Event::Error(InputError::FrameTooLarge { len, limit })),
        }
    }

    fn on_response<'i>(
        &mut self,
        id: RawJson<'i>,
        outcome: Result<RawJson<'i>, Failure<'i>>,
        now: Instant,
    ) -> Step<'i> {
        if let (true, Err(Failure::Rpc(error))) = (id.is_null(), outcome) {
            return Ok(Event::Error(InputError::RejectedByPeer(error)));
        }
        let unknown = Event::Error(InputError::UnknownResponse { id });
        let Some(n) = id.as_u64().and_then(|n| u32::try_from(n).ok()) else {
            return Ok(unknown);
        };
        let Some(entry) = self.requests.get_mut(n).copied() else {
            return Ok(unknown);
        };
        self.requests.take(n);
        // Responses that make the client send something: if that cannot be queued yet, the
        // entry is put back and the frame waits.
        match (entry.purpose, outcome) {
            (Purpose::Connect, Err(Failure::Rpc(e))) if e.code == code::METHOD_NOT_FOUND => {
                let sent = self.send_request(now, Purpose::PingFallback, "ping", |w| {
                    w.raw("{}");
                    Ok(())
                });
                return self.sent_or_restore(sent, entry, AutoAction::PingFallback);
            }
            (Purpose::OrphanOpen { slot }, Ok(_) | Err(Failure::ResponseTooLarge { .. }))
                if !self.id_in_use(slot) =>
            {
                // The server created the session the caller was told had failed (unless the
                // caller opened the same id again since: then it is the caller's session, and
                // the orphan is only released).
                let sent = self.send_destroy(now, slot, Purpose::OrphanDestroy { slot });
                return self.sent_or_restore(sent, entry, AutoAction::DestroyingOrphan);
            }
            (Purpose::Open { slot, kind }, Err(reason @ Failure::ResponseTooLarge { .. })) => {
                // Unreadable, so maybe a success: fail it for the caller, destroy it on the
                // server.
                let session = self.sessions.handle(slot);
                let sent = self.send_destroy(now, slot, Purpose::OrphanDestroy { slot });
                self.sent_or_restore(sent, entry, AutoAction::DestroyingOrphan)?;
                self.sessions.orphan(slot);
                self.server.owe_session(slot);
                return Ok(Event::SessionOpenFailed {
                    session,
                    kind,
                    reason,
                });
            }
            _ => {}
        }
        Ok(match entry.purpose {
            Purpose::Connect | Purpose::PingFallback => self.on_handshake(outcome),
            Purpose::Open { slot, kind } => self.on_open(slot, kind, outcome),
            Purpose::Destroy { slot } => {
                let session = self.release(slot);
                Event::SessionClosed {
                    session,
                    result: outcome.map(|_| ()),
                }
            }
            Purpose::OrphanOpen { slot } | Purpose::OrphanDestroy { slot } => {
                self.release(slot);
                Event::Auto(AutoAction::OrphanReleased)
            }
            Purpose::Caller => Event::Response {
                id: RequestId(n),
                outcome,
            },
        })
    }

    /// True if a session in the table (not `slot` itself, which is out of routing) has the id
    /// of `slot`.
    fn id_in_use(&self, slot: u16) -> bool {
        self.sessions
            .get(slot)
            .and_then(|s| self.sessions.find(s.id().as_str().as_bytes()))
            .is_some_and(|found| found != slot)
    }

    /// After trying to send a follow-up to a response: the event, or the response's request
    /// put back so the frame can wait for room.
    fn sent_or_restore<'i>(
        &mut self,
        sent: Result<RequestId, Error>,
        entry: Entry,
        action: AutoAction<'i>,
    ) -> Step<'i> {
        match sent {
            Ok(_) => Ok(Event::Auto(action)),
            Err(_) => {
                self.requests.insert(entry);
                Err(Blocked)
            }
        }
    }

    fn on_handshake<'i>(&mut self, outcome: Result<RawJson<'i>, Failure<'i>>) -> Event<'i> {
        let result = match outcome {
            Ok(result) => result,
            Err(f) => {
                self.handshake = Handshake::Failed;
                return Event::ConnectFailed(f);
            }
        };
        let version = result.get("protocolVersion").and_then(|v| v.as_u64());
        match version {
            Some(v) if v == u64::from(PROTOCOL_VERSION) => {
                self.handshake = Handshake::Done(PROTOCOL_VERSION);
                Event::Connected {
                    protocol_version: PROTOCOL_VERSION,
                    server_version: result.get_str("version"),
                }
            }
            server => {
                self.handshake = Handshake::Failed;
                Event::ConnectFailed(Failure::UnsupportedVersion { server })
            }
        }
    }

    fn on_open<'i>(
        &mut self,
        slot: u16,
        kind: OpenKind,
        outcome: Result<RawJson<'i>, Failure<'i>>,
    ) -> Event<'i> {
        let session = self.sessions.handle(slot);
        let failed = |this: &mut Self, reason| {
            this.release(slot);
            Event::SessionOpenFailed {
                session,
                kind,
                reason,
            }
        };
        let result = match outcome {
            Ok(result) => result,
            Err(reason) => return failed(self, reason),
        };
        if result.kind() != Kind::Object {
            return failed(self, Failure::InvalidResult);
        }
        let returned = result.get_str("sessionId");
        let matches = match (returned, self.sessions.get(slot)) {
            (Some(r), Some(s)) => r.eq_str(s.id().as_str()),
            // Older runtimes omit the id from a resume result.
            (None, Some(_)) => kind == OpenKind::Resume,
            (_, None) => false,
        };
        if !matches {
            return failed(self, Failure::SessionIdMismatch { returned });
        }
        self.sessions.set_state(slot, SessionState::Active);
        Event::SessionOpened {
            session,
            kind,
            result,
        }
    }

    /// Releases a session slot; its unanswered server requests get error answers.
    fn release(&mut self, slot: u16) -> SessionHandle {
        let handle = self.sessions.handle(slot);
        self.sessions.release(slot);
        self.server.owe_session(slot);
        handle
    }

    fn on_request<'i>(
        &mut self,
        id: RawJson<'i>,
        method: JsonStr<'i>,
        params: Option<RawJson<'i>>,
    ) -> Step<'i> {
        let params = params.unwrap_or(RawJson::EMPTY_OBJECT);
        let kind = method
            .as_str()
            .map_or(ServerMethod::Other, ServerMethod::of);
        let session_id = params.get_str("sessionId");
        let answered = |reason| {
            Ok(Event::Auto(AutoAction::Answered {
                method,
                session_id,
                reason,
            }))
        };
        // First: every other answer echoes the id, and one that cannot fit in the transmit
        // buffer would hold the connection forever.
        if id.as_bytes().len() > MAX_SERVER_ID_LEN {
            self.auto_error(RawJson::NULL, code::INVALID_REQUEST, |w| {
                w.raw("request id too long")
            })?;
            return answered(AutoReason::IdTooLong);
        }
        if !self.config.handles.contains(kind) {
            let reason = self.default_answer(id, method, kind, params, session_id)?;
            return answered(reason);
        }
        let session = match session_id {
            Some(sid) => match self.sessions.find_json(sid) {
                Some(slot) => Some(slot),
                None => {
                    self.auto_error(id, code::INVALID_PARAMS, |w| {
                        w.raw("Session not found: ");
                        write_bounded(w, sid);
                    })?;
                    return answered(AutoReason::UnknownSession);
                }
            },
            None if kind.is_session_scoped() => {
                self.auto_error(id, code::INVALID_PARAMS, |w| w.raw("missing sessionId"))?;
                return answered(AutoReason::MissingSession);
            }
            None => None,
        };
        match self.server.insert(id.as_bytes(), session) {
            Some(reply) => Ok(Event::Request(ServerRequest {
                reply,
                id,
                method,
                kind,
                session: session.map(|slot| self.sessions.handle(slot)),
                params,
            })),
            None => {
                self.auto_error(id, code::INTERNAL_ERROR, |w| {
                    w.raw("too many pending requests")
                })?;
                answered(AutoReason::TooManyPending)
            }
        }
    }

    /// Answers a request the caller does not handle as protocol.md §5.1 says the SDKs do: the
    /// documented default result where there is one, else an error.
    fn default_answer(
        &mut self,
        id: RawJson<'_>,
        method: JsonStr<'_>,
        kind: ServerMethod,
        params: RawJson<'_>,
        session_id: Option<JsonStr<'_>>,
    ) -> Result<AutoReason, Blocked> {
        let result = |this: &mut Self, text: &str| {
            this.auto_result(id, |w| w.raw(text))
                .map(|_| AutoReason::Default)
        };
        match kind {
            ServerMethod::ExitPlanMode => result(self, r#"{"approved":true}"#),
            ServerMethod::AutoModeSwitch => result(self, r#"{"response":"no"}"#),
            ServerMethod::Hooks => result(self, r#"{"output":{}}"#),
            ServerMethod::SystemMessageTransform => {
                let Some(sections) = params.get("sections").filter(|s| s.kind() == Kind::Object)
                else {
                    self.auto_error(id, code::INVALID_PARAMS, |w| w.raw("missing sections"))?;
                    return Ok(AutoReason::InvalidRequest(rpc::MessageError::BadParams));
                };
                // Unchanged: the sections go back as they came.
                let echoed = self.auto_result(id, |w| {
                    w.raw("{\"sections\":");
                    w.raw(sections.as_bytes());
                    w.byte(b'}');
                });
                match echoed {
                    Ok(()) => Ok(AutoReason::Default),
                    // Too big for the whole transmit buffer: it can never be sent.
                    Err(Blocked) if !self.wants_transmit() => {
                        self.auto_error(id, code::INTERNAL_ERROR, |w| {
                            w.raw("sections too large for the client's transmit buffer")
                        })?;
                        Ok(AutoReason::TooLarge {
                            len: sections.as_bytes().len() as u64,
                        })
                    }
                    Err(Blocked) => Err(Blocked),
                }
            }
            ServerMethod::UserInput => {
                self.auto_error(id, code::INTERNAL_ERROR, |w| {
                    w.raw("User input requested but no handler registered")
                })?;
                Ok(AutoReason::NotHandled)
            }
            ServerMethod::SessionFs => {
                self.auto_error(id, code::INTERNAL_ERROR, |w| {
                    w.raw("No sessionFs handler registered for session: ");
                    if let Some(sid) = session_id {
                        write_bounded(w, sid);
                    }
                })?;
                Ok(AutoReason::NotHandled)
            }
            _ => {
                self.auto_error(id, code::METHOD_NOT_FOUND, |w| {
                    w.raw("Method not found: ");
                    write_bounded(w, method);
                })?;
                Ok(AutoReason::NotHandled)
            }
        }
    }

    /// Answers a server request by itself with a result.
    fn auto_result(
        &mut self,
        id: RawJson<'_>,
        result: impl FnOnce(&mut Writer<'_>),
    ) -> Result<(), Blocked> {
        write_answer(&mut self.out, id.as_bytes(), |w| {
            w.raw(",\"result\":");
            result(w);
            Ok(())
        })
        .map_err(|_| Blocked)
    }

    /// Answers a server request by itself, straight from the frame.
    fn auto_error(
        &mut self,
        id: RawJson<'_>,
        code: i64,
        message: impl FnOnce(&mut Writer<'_>),
    ) -> Result<(), Blocked> {
        write_answer(&mut self.out, id.as_bytes(), |w| {
            error_body(w, code, message);
            Ok(())
        })
        .map_err(|_| Blocked)
    }

    fn on_notification<'i>(
        &mut self,
        method: JsonStr<'i>,
        params: Option<RawJson<'i>>,
    ) -> Event<'i> {
        let params = params.unwrap_or(RawJson::EMPTY_OBJECT);
        let find = |sid: Option<JsonStr<'_>>| {
            sid.and_then(|sid| self.sessions.find_json(sid))
                .map(|slot| self.sessions.handle(slot))
        };
        if method == "session.event" {
            let Some(event) = SessionEvent::from_params(params) else {
                return Event::Error(InputError::InvalidSessionEvent { params });
            };
            return match find(event.session_id()) {
                Some(session) => Event::Session { session, event },
                None => Event::UnknownSessionEvent(event),
            };
        }
        if method == "session.lifecycle" {
            return Event::Lifecycle {
                session: find(params.get_str("sessionId")),
                lifecycle: Lifecycle::new(params),
            };
        }
        let sid = params
            .get_str("sessionId")
            .or_else(|| params.get("scope").and_then(|s| s.get_str("sessionId")));
        Event::Notification {
            method,
            session: find(sid),
            params,
        }
    }

    /// Delivers one request whose deadline passed.
    fn expire_one<'i>(&mut self) -> Option<Event<'i>> {
        let entry = self.requests.take_expired()?;
        Some(match entry.purpose {
            Purpose::Connect | Purpose::PingFallback => {
                self.handshake = Handshake::Failed;
                Event::ConnectFailed(Failure::TimedOut)
            }
            Purpose::Open { slot, kind } => {
                // The server may still create it: keep the slot out of routing and destroy the
                // session if the response turns up.
                let session = self.sessions.handle(slot);
                self.sessions.orphan(slot);
                self.server.owe_session(slot);
                self.requests.insert(Entry {
                    purpose: Purpose::OrphanOpen { slot },
                    deadline: None,
                    expired: false,
                    ..entry
                });
                Event::SessionOpenFailed {
                    session,
                    kind,
                    reason: Failure::TimedOut,
                }
            }
            Purpose::Destroy { slot } => Event::SessionClosed {
                session: self.release(slot),
                result: Err(Failure::TimedOut),
            },
            Purpose::OrphanOpen { slot } | Purpose::OrphanDestroy { slot } => {
                self.release(slot);
                Event::Auto(AutoAction::OrphanReleased)
            }
            Purpose::Caller => Event::Response {
                id: RequestId(entry.id),
                outcome: Err(Failure::TimedOut),
            },
        })
    }

    /// Delivers one closing event: each pending request fails, each session closes, then
    /// [`Event::Closed`].
    fn close_one<'i>(&mut self) -> Event<'i> {
        let closed = Failure::ConnectionClosed;
        if let Some(entry) = self.requests.take_first() {
            return match entry.purpose {
                Purpose::Connect | Purpose::PingFallback => {
                    self.handshake = Handshake::Failed;
                    Event::ConnectFailed(closed)
                }
                Purpose::Open { slot, kind } => Event::SessionOpenFailed {
                    session: self.release(slot),
                    kind,
                    reason: closed,
                },
                Purpose::Destroy { slot } => Event::SessionClosed {
                    session: self.release(slot),
                    result: Err(closed),
                },
                Purpose::OrphanOpen { slot } | Purpose::OrphanDestroy { slot } => {
                    self.release(slot);
                    Event::Auto(AutoAction::OrphanReleased)
                }
                Purpose::Caller => Event::Response {
                    id: RequestId(entry.id),
                    outcome: Err(closed),
                },
            };
        }
        let first = self.sessions.iter().next().map(|(slot, s)| (slot, s.state));
        if let Some((slot, state)) = first {
            let orphan = state == SlotState::Orphaned;
            let session = self.release(slot);
            return if orphan {
                Event::Auto(AutoAction::OrphanReleased)
            } else {
                Event::SessionClosed {
                    session,
                    result: Err(closed),
                }
            };
        }
        // Requests still waiting for the caller can no longer be answered by it: the client
        // answers them. Answers that do not fit yet are written as room is made (see
        // `transmitted`), never dropped.
        self.server.owe_all();
        self.link = Link::Closed;
        Event::Closed
    }
}

/// Writes `{"jsonrpc":"2.0","id":<id>` + `rest` + `}` as one frame.
fn write_answer(
    out: &mut Outbox<'_>,
    id: &[u8],
    rest: impl FnOnce(&mut Writer<'_>) -> Result<(), FrameError>,
) -> Result<(), FrameError> {
    out.frame(|w| {
        w.raw("{\"jsonrpc\":\"2.0\",\"id\":");
        w.bytes(id);
        rest(w)?;
        w.byte(b'}');
        Ok(())
    })
}

/// `,"error":{"code":<code>,"message":"<message>"}`; `message` writes escaped text.
fn error_body(w: &mut Writer<'_>, code: i64, message: impl FnOnce(&mut Writer<'_>)) {
    w.raw(",\"error\":{\"code\":");
    w.i64(code);
    w.raw(",\"message\":\"");
    message(w);
    w.raw("\"}");
}

/// Writes wire text into a message, cut short if long (answers stay small).
fn write_bounded(w: &mut Writer<'_>, s: JsonStr<'_>) {
    const MAX: usize = 80;
    let raw = s.raw();
    if raw.len() <= MAX {
        w.raw(raw);
    } else {
        // Cut at a character boundary that does not split an escape.
        let mut cut = MAX;
        while cut > 0 && !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        let head = raw.get(..cut).unwrap_or("");
        let head = match head.rfind('\\') {
            Some(b) if head.len() - b < 6 => head.get(..b).unwrap_or(""),
            _ => head,
        };
        w.raw(head);
        w.raw("...");
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
