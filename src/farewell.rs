//! [`Farewell`]: the polite end of a connection, sans-IO, for any driver.

use crate::client::Client;
use crate::event::Event;
use crate::pending::RequestId;
use crate::session::SessionState;
use crate::time::Instant;

/// Ending a connection politely: [`Client::farewell`] sends `session.destroy` for each active
/// session and `runtime.shutdown`; feed every event to [`Farewell::on_event`] until
/// [`Farewell::answered`], then close the writing side and take events until
/// [`Event::Closed`].
#[derive(Debug, Clone)]
pub struct Farewell<const P: usize> {
    waiting: heapless::Vec<RequestId, P>,
    runtime: Option<RequestId>,
    /// Sessions whose destroy succeeded.
    pub destroyed: usize,
    /// `runtime.shutdown` was answered.
    pub runtime_answered: bool,
    /// The client delivered [`Event::Closed`].
    pub closed: bool,
}

impl<const P: usize> Farewell<P> {
    /// Follows one event; true once everything sent was answered (or failed).
    pub fn on_event(&mut self, event: &Event<'_>) -> bool {
        match event {
            Event::SessionClosed { result, .. } => {
                self.destroyed += usize::from(result.is_ok());
                // Closing events of sessions are not tied to a request id: count them down.
                self.waiting.pop();
            }
            Event::Response { id, outcome } if Some(*id) == self.runtime => {
                self.runtime_answered = outcome.is_ok();
                self.runtime = None;
            }
            Event::Closed => self.closed = true,
            _ => {}
        }
        self.answered()
    }

    /// True once every destroy and the runtime shutdown were answered (or failed).
    pub fn answered(&self) -> bool {
        self.waiting.is_empty() && self.runtime.is_none()
    }
}

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
    /// Starts a polite shutdown (see [`Farewell`]): `session.destroy` for every active
    /// session and `runtime.shutdown`, each with the deadline `deadline`. Requests that cannot
    /// be queued now (transmit buffer full, too many pending) are skipped.
    pub fn farewell(&mut self, now: Instant, deadline: Instant) -> Farewell<P> {
        let mut waiting = heapless::Vec::new();
        let mut active = heapless::Vec::<_, S>::new();
        for (handle, _, state) in self.sessions() {
            if state == SessionState::Active {
                let _ = active.push(handle);
            }
        }
        for session in active {
            if let Ok(id) = self.destroy_session(now, session) {
                self.set_deadline(id, Some(deadline));
                let _ = waiting.push(id);
            }
        }
        let runtime = self.shutdown_runtime(now).ok();
        if let Some(id) = runtime {
            self.set_deadline(id, Some(deadline));
        }
        Farewell {
            waiting,
            runtime,
            destroyed: 0,
            runtime_answered: false,
            closed: false,
        }
    }
}
