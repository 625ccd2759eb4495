//! Sending requests: each is reserved in its table (and a session in the session table)
//! before its bytes exist, and queued whole or not at all.

use serde::Serialize;

use crate::client::ending::ORPHAN_GRACE_MS;
use crate::client::error::Error;
use crate::client::requests::{Entry, Purpose, RequestId};
use crate::client::sessions::{OpenMethod, ReserveError, SessionHandle, SessionState};
use crate::client::time::Instant;
use crate::client::{Client, Handshake, Link};
use crate::json::write::Writer;
use crate::json::{JsonType, RawJson};
use crate::proto::SessionId;
use crate::proto::params::Connect;
use crate::wire::FrameError;

/// The caller's error for a frame that could not be queued.
pub(super) fn frame_error(e: FrameError) -> Error {
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
    let empty = match value.json_type() {
        JsonType::Null => true,
        JsonType::Object => value.members().next().is_none(),
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
    pub(super) fn check_open(&self) -> Result<(), Error> {
        match self.link {
            Link::Open => Ok(()),
            _ => Err(Error::Closed),
        }
    }

    /// Queues a request frame and records it as pending.
    pub(super) fn send_request(
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
        let timeout = match purpose {
            // Nobody waits for it: it must not hold its slot forever.
            Purpose::OrphanDestroy { .. } => {
                Some(self.config.request_timeout_ms.unwrap_or(ORPHAN_GRACE_MS))
            }
            _ => self.config.request_timeout_ms,
        };
        let deadline = timeout.map(|ms| now.add_millis(ms));
        self.requests.insert(Entry {
            id,
            purpose,
            deadline,
            expired: false,
            cancelled: false,
        });
        Ok(RequestId(id))
    }

    /// Queues a notification (a message without id): `{"jsonrpc":"2.0","method":..,"params":..}`.
    pub(super) fn send_notification(
        &mut self,
        method: &str,
        params: impl FnOnce(&mut Writer<'_>) -> Result<(), FrameError>,
    ) -> Result<(), Error> {
        self.check_open()?;
        self.out
            .frame(|w| {
                w.raw("{\"jsonrpc\":\"2.0\",\"method\":");
                w.string(method);
                w.raw(",\"params\":");
                params(w)?;
                w.byte(b'}');
                Ok(())
            })
            .map_err(frame_error)
    }

    /// Sends `connect` (the handshake). The server's answer arrives as one
    /// [`Event::Connected`](crate::Event::Connected) or [`Event::ConnectFailed`](crate::Event::ConnectFailed); if the server does not know
    /// `connect`, the client falls back to `ping` by itself.
    pub fn connect(&mut self, now: Instant, params: &Connect<'_>) -> Result<(), Error> {
        let _ = self.send_request(now, Purpose::Connect, "connect", |w| {
            object_params(w, None, params)
        })?;
        self.handshake = Handshake::InFlight;
        Ok(())
    }

    /// Sends any request with typed parameters (which must serialize to a JSON object). The
    /// outcome arrives as one [`Event::Response`](crate::Event::Response) with the returned id.
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
    /// the members of `params` (an object without `sessionId`). The session must be open
    /// (active, or resuming): while its open or its destroy is in flight,
    /// [`Error::SessionNotActive`].
    pub(crate) fn session_request<T: Serialize + ?Sized>(
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
        if !matches!(
            self.session_state(session),
            Some(SessionState::Active | SessionState::Resuming)
        ) {
            return Err(Error::SessionNotActive);
        }
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
        self.open_session(now, OpenMethod::Create, id, options)
    }

    /// Resumes the session `id` with `options`, like [`create_session`](Self::create_session).
    ///
    /// If the session is open on this client, this is a **live resume**: the CLI takes the
    /// new options (tools, model, system message, agents, ...) for the running session. The
    /// session keeps its slot and its handle (returned again), its events keep flowing to it
    /// in order, and requests on it can still be sent ([`SessionState::Resuming`]). Success is
    /// an [`Event::SessionOpened`](crate::Event::SessionOpened) for it; failure an
    /// [`Event::LiveResumeFailed`](crate::Event::LiveResumeFailed), after which the session is
    /// open as it was before.
    ///
    /// One open of an id at a time: a resume while a create, resume or destroy of the same
    /// session is in flight is refused with [`Error::SessionBusy`] (a create of an id in the
    /// table, with [`Error::DuplicateSession`]).
    pub fn resume_session<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        id: SessionId,
        options: &T,
    ) -> Result<SessionHandle, Error> {
        self.open_session(now, OpenMethod::Resume, id, options)
    }

    fn open_session<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        method: OpenMethod,
        id: SessionId,
        options: &T,
    ) -> Result<SessionHandle, Error> {
        self.check_open()?;
        if self.requests.is_full() {
            return Err(Error::TooManyPending);
        }
        if let (OpenMethod::Resume, Some(slot)) =
            (method, self.sessions.find(id.as_str().as_bytes()))
        {
            return self.resume_live(now, slot, options);
        }
        // Reserve before emit.
        let tag = self.tag();
        self.sessions.set_tag(tag);
        let slot = self.sessions.reserve(id, method).map_err(|e| match e {
            ReserveError::Full => Error::SessionTableFull,
            ReserveError::Duplicate => Error::DuplicateSession,
        })?;
        let id = match self.sessions.get(slot) {
            Some(s) => s.id().clone(),
            None => return Err(Error::SessionTableFull),
        };
        let purpose = Purpose::Open { slot, method };
        let sent = self.send_request(now, purpose, method.name(), |w| {
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

    /// A resume of the session in `slot`, which is in the table: it stays there.
    fn resume_live<T: Serialize + ?Sized>(
        &mut self,
        now: Instant,
        slot: u16,
        options: &T,
    ) -> Result<SessionHandle, Error> {
        let session = self.sessions.handle(slot);
        if self.session_state(session) != Some(SessionState::Active) {
            return Err(Error::SessionBusy);
        }
        let id = self
            .session_id(session)
            .ok_or(Error::UnknownSession)?
            .clone();
        let method = OpenMethod::Resume.name();
        let _request = self.send_request(now, Purpose::LiveResume { slot }, method, |w| {
            object_params(w, Some(id.as_str()), options)
        })?;
        self.sessions.set_state(slot, SessionState::Resuming);
        Ok(session)
    }

    /// Sends `session.destroy`, returning the request's id (see
    /// [`ClientSession::destroy`](crate::ClientSession::destroy)).
    pub(super) fn destroy(
        &mut self,
        now: Instant,
        session: SessionHandle,
    ) -> Result<RequestId, Error> {
        let slot = self
            .sessions
            .resolve(session)
            .ok_or(Error::UnknownSession)?;
        match self.session_state(session) {
            Some(SessionState::Active) => {}
            Some(SessionState::Resuming) => return Err(Error::SessionBusy),
            _ => return Err(Error::SessionNotActive),
        }
        let id = self.send_destroy(now, slot, Purpose::Destroy { slot })?;
        self.sessions.set_state(slot, SessionState::Closing);
        Ok(id)
    }

    pub(super) fn send_destroy(
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
}
