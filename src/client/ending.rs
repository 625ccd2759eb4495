//! How pending requests and sessions end when no response does it: a deadline passes, or the
//! connection ends. Each ends exactly once, through [`Client::fail`].

use crate::client::error::Error;
use crate::client::event::{AutoAction, Event, Failure};
use crate::client::requests::{Entry, Purpose, RequestId};
use crate::client::sessions::{SessionHandle, SessionState, SlotState};
use crate::client::time::Instant;
use crate::client::{Client, Handshake, Link};

/// How long the client waits, when no request timeout is configured, after a session open
/// timed out for the response that would tell it to destroy the session, and for the answer
/// to the destroy of such an orphan.
pub(super) const ORPHAN_GRACE_MS: u64 = 60_000;

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
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
    pub fn set_deadline(&mut self, id: impl Into<RequestId>, at: Option<Instant>) -> bool {
        let id: RequestId = id.into();
        match self.requests.get_mut(id.0) {
            Some(e) if !e.expired => {
                e.deadline = at;
                true
            }
            _ => false,
        }
    }

    /// Releases a session slot; its unanswered server requests become owed error answers.
    pub(super) fn release(&mut self, slot: u16) -> SessionHandle {
        let handle = self.sessions.handle(slot);
        self.sessions.release(slot);
        self.server.owe_session(slot);
        handle
    }

    /// Ends a pending request with `reason`: the one place that turns a failed request into
    /// its event, whatever failed it (an error response, a deadline, the end of the
    /// connection).
    pub(super) fn fail<'i>(&mut self, entry: Entry, reason: Failure<'i>) -> Event<'i> {
        match entry.purpose {
            Purpose::Connect | Purpose::PingFallback => {
                self.handshake = Handshake::Failed;
                Event::ConnectFailed(reason)
            }
            Purpose::Open { slot, method } => Event::SessionOpenFailed {
                session: self.release(slot),
                method,
                reason,
            },
            Purpose::Destroy { slot } => Event::SessionClosed {
                session: self.release(slot),
                result: Err(reason),
            },
            Purpose::LiveResume { slot } => {
                self.sessions.set_state(slot, SessionState::Active);
                Event::LiveResumeFailed {
                    session: self.sessions.handle(slot),
                    reason,
                }
            }
            Purpose::OrphanOpen { slot } | Purpose::OrphanDestroy { slot } => {
                let _ = self.release(slot);
                Event::Auto(AutoAction::OrphanReleased)
            }
            Purpose::Caller => Event::Response {
                id: RequestId(entry.id),
                outcome: Err(reason),
            },
        }
    }

    /// Cancels a request of the caller's (one whose id a call returned): the client sends
    /// `$/cancelRequest` and resolves it itself, once, at the next poll with
    /// [`Failure::Cancelled`]. The server may still act on it; its late response is reported
    /// as [`InputError::UnknownResponse`](crate::InputError::UnknownResponse).
    ///
    /// A request whose deadline has passed but whose failure was not delivered yet ends as
    /// cancelled. [`Error::UnknownRequest`] if it is not pending (its event was delivered, it
    /// was cancelled already, or it is not a request of the caller's: opens and destroys
    /// cannot be cancelled).
    pub fn cancel(&mut self, id: impl Into<RequestId>) -> Result<(), Error> {
        let id: RequestId = id.into();
        self.check_open()?;
        match self.requests.get_mut(id.0) {
            Some(e) if e.purpose == Purpose::Caller && !e.cancelled => {}
            _ => return Err(Error::UnknownRequest),
        }
        self.send_notification("$/cancelRequest", |w| {
            w.raw("{\"id\":");
            w.u64(u64::from(id.0));
            w.raw("}");
            Ok(())
        })?;
        if let Some(e) = self.requests.get_mut(id.0) {
            e.expired = true;
            e.cancelled = true;
            e.deadline = None;
        }
        self.expired = true;
        Ok(())
    }

    /// Delivers one request whose deadline passed (or that the caller cancelled).
    pub(super) fn expire_one<'i>(&mut self, now: Instant) -> Option<Event<'i>> {
        let entry = self.requests.take_expired()?;
        if entry.cancelled {
            return Some(self.fail(entry, Failure::Cancelled));
        }
        if let Purpose::Open { slot, method } = entry.purpose {
            // The server may still create it: keep the slot out of routing, and destroy the
            // session if the response turns up; if none does within as long again, give the
            // slot back.
            let session = self.sessions.handle(slot);
            self.sessions.orphan(slot);
            self.server.owe_session(slot);
            let grace = self.config.request_timeout_ms.unwrap_or(ORPHAN_GRACE_MS);
            self.requests.insert(Entry {
                purpose: Purpose::OrphanOpen { slot },
                deadline: Some(now.add_millis(grace)),
                expired: false,
                cancelled: false,
                ..entry
            });
            return Some(Event::SessionOpenFailed {
                session,
                method,
                reason: Failure::TimedOut,
            });
        }
        Some(self.fail(entry, Failure::TimedOut))
    }

    /// Delivers one closing event: each pending request fails, each session closes, then
    /// [`Event::Closed`].
    pub(super) fn close_one<'i>(&mut self) -> Event<'i> {
        if let Some(entry) = self.requests.take_first() {
            return self.fail(entry, Failure::ConnectionClosed);
        }
        let first = self.sessions.iter().next().map(|(slot, s)| (slot, s.state));
        if let Some((slot, state)) = first {
            let session = self.release(slot);
            return match state {
                SlotState::Orphaned => Event::Auto(AutoAction::OrphanReleased),
                _ => Event::SessionClosed {
                    session,
                    result: Err(Failure::ConnectionClosed),
                },
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
