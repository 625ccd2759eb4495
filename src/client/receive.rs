//! Receiving: [`Client::poll_event`] takes one frame at a time out of the inbox, classifies it
//! and routes it into exactly one [`Event`]: to its session (by `sessionId`, pending sessions
//! included), to its pending request (by id), or to the caller as it is.

use crate::client::answers::{Blocked, write_bounded};
use crate::client::error::Error;
use crate::client::event::{
    AutoAction, AutoReason, Event, Failure, InputError, ServerRequest, Unread,
};
use crate::client::requests::{Entry, Purpose, RequestId};
use crate::client::server_requests::MAX_SERVER_ID_LEN;
use crate::client::sessions::{OpenMethod, SessionState};
use crate::client::time::Instant;
use crate::client::{Client, Handshake, Link, PROTOCOL_VERSION};
use crate::json::index::MemberIndex;
use crate::json::{JsonErrorKind, JsonStr, JsonType, RawJson};
use crate::proto::{Lifecycle, MethodFamily, SessionEvent};
use crate::wire::{
    BadMessage, Glance, Inbox, Intent, Item, Message, MessageError, Peek, classify_indexed, code,
};

type Step<'a> = Result<Event<'a>, Blocked>;

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
    /// The next event, taken from `inbox` (or from the client's own state: timeouts, the end
    /// of the connection). `None` when there is nothing to deliver: more input is needed, or a
    /// frame needs the client to answer by itself and the transmit buffer must be written out
    /// first.
    ///
    /// State changes happen here, as events are taken: a session is active once its
    /// [`Event::SessionOpened`] has been returned. `now` dates the requests the client sends
    /// by itself.
    pub fn poll_event<'i>(&mut self, inbox: &'i mut Inbox<'_>, now: Instant) -> Option<Event<'i>> {
        inbox.advance();
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

    fn next_event<'i>(&mut self, inbox: &'i mut Inbox<'_>, now: Instant) -> Option<Event<'i>> {
        if self.expired {
            if let Some(event) = self.expire_one(now) {
                return Some(event);
            }
            self.expired = false;
        }
        match self.link {
            Link::Closed => return None,
            Link::Closing => return Some(self.close_one()),
            Link::Open => {}
        }
        let limit = inbox.max_frame_len();
        let (item, index) = inbox.next_item_indexed();
        match item {
            Item::NeedMore => None,
            Item::End => {
                self.link = Link::Closing;
                Some(self.close_one())
            }
            Item::Frame { body, commit } => {
                let event = self.on_frame(body, index, now).ok()?;
                commit.commit();
                self.stats.frames += 1;
                Some(event)
            }
            Item::TooLarge {
                len,
                glance,
                commit,
            } => {
                let event = self
                    .on_unreadable(glance.peek(), Unread::TooLarge { len, limit }, now)
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

    /// Reads the message of a frame; its objects read their members from `index`, which
    /// records them as the message is validated.
    fn on_frame<'i>(
        &mut self,
        body: &'i [u8],
        index: &'i mut MemberIndex,
        now: Instant,
    ) -> Step<'i> {
        match classify_indexed(body, self.config.max_json_depth, index) {
            Ok(Message::Response { id, outcome }) => {
                self.on_response(id, outcome.map_err(Failure::Rpc), now)
            }
            Ok(Message::Request { id, method, params }) => self.on_request(id, method, params),
            Ok(Message::Notification { method, params }) => {
                Ok(self.on_notification(method, params))
            }
            Err(BadMessage::Json(e)) => {
                // Not readable whole: what it means to be is found by glancing at it.
                let peek = Glance::of(body).peek_in(body);
                self.on_unreadable(peek, Unread::NotJson(e), now)
            }
            Err(BadMessage::Invalid {
                error,
                intent: Intent::Request { id, method },
            }) => {
                let id = id
                    .filter(|id| id.as_bytes().len() <= MAX_SERVER_ID_LEN)
                    .unwrap_or(RawJson::NULL);
                self.auto_error(id, code::INVALID_REQUEST, |w| {
                    w.raw("Invalid Request: ");
                    w.raw(match error {
                        MessageError::BadVersion => "jsonrpc must be \\\"2.0\\\"",
                        MessageError::BadParams => "params must be an object",
                        MessageError::BadId => "id must be a number, a string or null",
                        MessageError::BadMethod => "method must be a string",
                        MessageError::Batch => "batches are not supported",
                        _ => "malformed message",
                    });
                })?;
                Ok(Event::Auto(AutoAction::Answered {
                    method,
                    session_id: None,
                    reason: AutoReason::InvalidRequest(error),
                }))
            }
            Err(BadMessage::Invalid {
                error,
                intent: Intent::Response { id },
            }) if self.is_pending(id) => {
                self.on_response(id, Err(Failure::InvalidResponse(error)), now)
            }
            Err(BadMessage::Invalid { error, .. }) => {
                Ok(Event::Error(InputError::InvalidMessage(error)))
            }
        }
    }

    /// A frame the client could not read whole (too large to hold, not JSON, nested too
    /// deep): what it meant to be still gets its due. A request gets an error answer, a
    /// response resolves its request, a session event is reported with its session.
    fn on_unreadable<'i>(&mut self, peek: Peek<'i>, why: Unread, now: Instant) -> Step<'i> {
        let method = peek.method();
        if peek.has_method() && peek.has_id() {
            let id = match peek.id() {
                Some(id) if id.as_bytes().len() <= MAX_SERVER_ID_LEN => id,
                _ => RawJson::NULL,
            };
            let (code, reason) = match why {
                Unread::TooLarge { len, .. } => {
                    (code::INVALID_REQUEST, AutoReason::TooLarge { len })
                }
                Unread::NotJson(e) if e.kind == JsonErrorKind::TooDeep => {
                    (code::INVALID_REQUEST, AutoReason::Unreadable(e))
                }
                Unread::NotJson(e) => (code::PARSE_ERROR, AutoReason::Unreadable(e)),
            };
            self.auto_error(id, code, |w| match why {
                Unread::TooLarge { len, .. } => {
                    w.raw("request too large for the client: ");
                    w.u64(len);
                    w.raw(" bytes");
                }
                Unread::NotJson(e) => {
                    w.raw(match e.kind {
                        JsonErrorKind::TooDeep => "request nested deeper than the client reads",
                        _ => "Parse error: ",
                    });
                    if e.kind != JsonErrorKind::TooDeep {
                        w.raw(e.kind.describe());
                        w.raw(" at byte ");
                        w.u64(e.offset as u64);
                    }
                }
            })?;
            return Ok(Event::Auto(AutoAction::Answered {
                method,
                session_id: peek.session_id(),
                reason,
            }));
        }
        // A response to a pending request resolves it; any other is reported as what it is.
        match (peek.is_response(), peek.has_method(), peek.id()) {
            (true, false, Some(id)) if self.is_pending(id) => {
                let failure = match why {
                    Unread::TooLarge { len, .. } => Failure::ResponseTooLarge { len },
                    Unread::NotJson(e) => Failure::UnreadableResponse(e),
                };
                return self.on_response(id, Err(failure), now);
            }
            _ => {}
        }
        if method.is_some_and(|m| m == "session.event") {
            let session_id = peek.session_id();
            let session = session_id
                .and_then(|sid| self.sessions.find_json(sid))
                .map(|slot| self.sessions.handle(slot));
            return Ok(Event::Error(InputError::LostSessionEvent {
                session,
                session_id,
                event_type: peek.event_type(),
                why,
            }));
        }
        Ok(Event::Error(match why {
            Unread::TooLarge { len, limit } => InputError::FrameTooLarge { len, limit },
            Unread::NotJson(e) => InputError::InvalidJson(e),
        }))
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
        let Some(n) = request_number(id) else {
            return Ok(unknown);
        };
        let Some(entry) = self.requests.take(n) else {
            return Ok(unknown);
        };
        // Responses that make the client send something: if that cannot be queued yet, the
        // entry is put back and the frame waits.
        match (entry.purpose, outcome) {
            (Purpose::Connect, Err(Failure::Rpc(e))) if e.code == code::METHOD_NOT_FOUND => {
                let sent = self.send_request(now, Purpose::PingFallback, "ping", |w| {
                    w.raw("{}");
                    Ok(())
                });
                self.sent_or_restore(sent, entry, AutoAction::PingFallback)
            }
            (Purpose::OrphanOpen { slot }, outcome)
                if (outcome.is_ok() || outcome.is_err_and(|f| f.may_have_succeeded()))
                    && !self.id_in_use(slot) =>
            {
                // The server created the session the caller was told had failed (unless the
                // caller opened the same id again since: then it is the caller's session, and
                // the orphan is only released).
                let sent = self.send_destroy(now, slot, Purpose::OrphanDestroy { slot });
                self.sent_or_restore(sent, entry, AutoAction::DestroyingOrphan)
            }
            (Purpose::Open { slot, method }, Err(reason)) if reason.may_have_succeeded() => {
                // Unreadable, so maybe a success: fail it for the caller, destroy it on the
                // server.
                let session = self.sessions.handle(slot);
                let sent = self.send_destroy(now, slot, Purpose::OrphanDestroy { slot });
                self.sent_or_restore(sent, entry, AutoAction::DestroyingOrphan)?;
                self.sessions.orphan(slot);
                self.server.owe_session(slot);
                Ok(Event::SessionOpenFailed {
                    session,
                    method,
                    reason,
                })
            }
            (_, Err(reason)) => Ok(self.fail(entry, reason)),
            (Purpose::Connect | Purpose::PingFallback, Ok(result)) => {
                Ok(self.on_handshake(entry, result))
            }
            (Purpose::Open { slot, method }, Ok(result)) => {
                Ok(self.on_open(entry, slot, method, result))
            }
            (Purpose::LiveResume { slot }, Ok(result)) => {
                Ok(self.on_open(entry, slot, OpenMethod::Resume, result))
            }
            (Purpose::Destroy { slot }, Ok(_)) => Ok(Event::SessionClosed {
                session: self.release(slot),
                result: Ok(()),
            }),
            (Purpose::OrphanOpen { slot } | Purpose::OrphanDestroy { slot }, Ok(_)) => {
                let _ = self.release(slot);
                Ok(Event::Auto(AutoAction::OrphanReleased))
            }
            (Purpose::Caller, Ok(result)) => Ok(Event::Response {
                id: RequestId(n),
                outcome: Ok(result),
            }),
        }
    }

    /// True if `id` is the id of a request waiting for its response.
    fn is_pending(&self, id: RawJson<'_>) -> bool {
        request_number(id).is_some_and(|n| self.requests.contains(n))
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

    fn on_handshake<'i>(&mut self, entry: Entry, result: RawJson<'i>) -> Event<'i> {
        let version = result.get("protocolVersion").and_then(|v| v.as_u64());
        match version {
            Some(v) if v == u64::from(PROTOCOL_VERSION) => {
                self.handshake = Handshake::Done(PROTOCOL_VERSION);
                Event::Connected {
                    protocol_version: PROTOCOL_VERSION,
                    server_version: result.get_str("version"),
                }
            }
            server => self.fail(entry, Failure::UnsupportedVersion { server }),
        }
    }

    fn on_open<'i>(
        &mut self,
        entry: Entry,
        slot: u16,
        method: OpenMethod,
        result: RawJson<'i>,
    ) -> Event<'i> {
        if result.json_type() != JsonType::Object {
            return self.fail(entry, Failure::InvalidResult);
        }
        let returned = result.get_str("sessionId");
        let matches = match (returned, self.sessions.get(slot)) {
            (Some(r), Some(s)) => r.eq_str(s.id().as_str()),
            // Older runtimes omit the id from a resume result.
            (None, Some(_)) => method == OpenMethod::Resume,
            (_, None) => false,
        };
        if !matches {
            return self.fail(entry, Failure::SessionIdMismatch { returned });
        }
        self.sessions.set_state(slot, SessionState::Active);
        Event::SessionOpened {
            session: self.sessions.handle(slot),
            method,
            result,
        }
    }

    fn on_request<'i>(
        &mut self,
        id: RawJson<'i>,
        method: JsonStr<'i>,
        params: Option<RawJson<'i>>,
    ) -> Step<'i> {
        let params = params.unwrap_or(RawJson::EMPTY_OBJECT);
        let family = method
            .as_plain()
            .map_or(MethodFamily::Other, MethodFamily::of);
        let session_id = params.get_str("sessionId");
        let answered = |reason| {
            Ok(Event::Auto(AutoAction::Answered {
                method: Some(method),
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
        if !self.config.caller_answers.contains(family) {
            let reason = self.default_answer(id, method, family, params, session_id)?;
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
            None if family.is_session_scoped() => {
                self.auto_error(id, code::INVALID_PARAMS, |w| w.raw("missing sessionId"))?;
                return answered(AutoReason::MissingSession);
            }
            None => None,
        };
        let tag = self.tag();
        match self.server.insert(tag, id.as_bytes(), session) {
            Some(reply) => Ok(Event::Request(ServerRequest {
                reply,
                id,
                method,
                family,
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

    /// `indexed` is the whole message and the members its validation recorded.
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
        if method == "$/cancelRequest"
            && let Some(id) = params.get("id")
            && let Some((reply, slot)) = self.server.cancel(id.as_bytes())
        {
            return Event::ServerRequestCancelled {
                reply,
                session: slot.map(|slot| self.sessions.handle(slot)),
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
}

/// The number of one of our requests that a response's `id` names. Ids are echoed verbatim,
/// so only the plain digits we wrote match (`1`, not `1.0` or `1e0`, which integer fields
/// elsewhere read as 1).
fn request_number(id: RawJson<'_>) -> Option<u32> {
    crate::json::number::plain_u64(id.as_bytes()).and_then(|n| u32::try_from(n).ok())
}
