//! [`Shutdown`]: the polite end of a connection, sans-IO, for any driver.

use crate::client::Client;
use crate::client::event::Event;
use crate::client::requests::RequestId;
use crate::client::sessions::{SessionHandle, SessionState};
use crate::client::time::Instant;

/// How far a shutdown goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ShutdownMode {
    /// Destroy this client's sessions and close the connection; the CLI keeps running. For a
    /// CLI this client joined (TCP, several clients on one CLI): the other clients keep their
    /// sessions.
    Leave,
    /// Also ask the CLI to stop (`runtime.shutdown`). For a CLI this client started.
    StopCli,
}

/// A shutdown in progress: [`Client::shutdown`] sends `session.destroy` for each active
/// session (and `runtime.shutdown` with [`ShutdownMode::StopCli`]); feed every event to
/// [`Shutdown::on_event`] until [`Shutdown::answered`], then close the writing side and take
/// events until [`Event::Closed`]. The drivers do all of this in their `shutdown`.
#[derive(Debug, Clone)]
pub struct Shutdown<const S: usize> {
    /// The sessions whose destroy this shutdown sent and that are not closed yet.
    waiting: heapless::Vec<SessionHandle, S>,
    runtime: Option<RequestId>,
    /// Sessions whose destroy succeeded.
    pub destroyed: usize,
    /// `runtime.shutdown` was sent and answered with success.
    pub runtime_stopped: bool,
    /// The client delivered [`Event::Closed`].
    pub closed: bool,
}

impl<const S: usize> Shutdown<S> {
    /// Follows one event; true once everything sent was answered (or failed).
    pub fn on_event(&mut self, event: &Event<'_>) -> bool {
        match event {
            Event::SessionClosed { session, result } => {
                // Only the sessions this shutdown destroys count: one the caller destroyed
                // just before is not waited for.
                if let Some(at) = self.waiting.iter().position(|s| s == session) {
                    let _ = self.waiting.swap_remove(at);
                    self.destroyed += usize::from(result.is_ok());
                }
            }
            Event::Response { id, outcome } if Some(*id) == self.runtime => {
                self.runtime_stopped = outcome.is_ok();
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
    /// Starts a polite shutdown (see [`Shutdown`]): `session.destroy` for every active
    /// session and, with [`ShutdownMode::StopCli`], `runtime.shutdown`, each with the deadline
    /// `deadline`. Requests that cannot be queued now (transmit buffer full, too many pending)
    /// are skipped.
    pub fn shutdown(&mut self, now: Instant, deadline: Instant, mode: ShutdownMode) -> Shutdown<S> {
        let mut waiting = heapless::Vec::new();
        let mut active = heapless::Vec::<_, S>::new();
        for (handle, _, state) in self.sessions() {
            if state == SessionState::Active {
                let _ = active.push(handle);
            }
        }
        for session in active {
            if let Ok(id) = self.destroy(now, session) {
                self.set_deadline(id, Some(deadline));
                let _ = waiting.push(session);
            }
        }
        let runtime = match mode {
            ShutdownMode::StopCli => self.shutdown_runtime(now).ok().map(|call| call.id()),
            ShutdownMode::Leave => None,
        };
        if let Some(id) = runtime {
            self.set_deadline(id, Some(deadline));
        }
        Shutdown {
            waiting,
            runtime,
            destroyed: 0,
            runtime_stopped: false,
            closed: false,
        }
    }
}
