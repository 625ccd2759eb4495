//! What [`Turns`](super::Turns) reports: a turn's id, its updates and how it ended, and whether
//! the CLI waits for turns itself.

use crate::client::Failure;
use crate::proto::SessionEvent;

/// A turn: a small copyable key, in every update about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[must_use = "the turn's updates and its end arrive carrying this id"]
pub struct TurnId {
    pub(super) index: u16,
    pub(super) generation: u32,
}

impl TurnId {
    /// The slot index, `0..N`: handy to index the caller's own per-turn state.
    pub fn index(&self) -> usize {
        usize::from(self.index)
    }
}

/// How a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TurnEnd<'a> {
    /// The turn is done; its last [`TurnUpdate::Message`] is its answer.
    Completed,
    /// A `session.error` for this turn's message.
    Failed(SessionEvent<'a>),
    /// The send itself failed (an error response, the connection ended, ...).
    SendFailed(Failure<'a>),
    /// The turn was aborted (`abort`, or an idle with `aborted: true`).
    Aborted,
    /// Autopilot stopped (`session.autopilot_stopped`).
    AutopilotStopped(SessionEvent<'a>),
    /// The turn's deadline passed first.
    TimedOut,
    /// No event of the turn's session arrived for the activity timeout
    /// ([`Turns::activity_timeout_ms`](super::Turns::activity_timeout_ms)).
    Inactive,
    /// The session (or the connection) ended first.
    SessionClosed,
}

/// What an event meant for a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum TurnUpdate<'a> {
    /// A top-level `assistant.message` of the turn: the last one before
    /// [`Ended`](Self::Ended) is the turn's answer.
    Message {
        /// The turn.
        turn: TurnId,
        /// The event (`data().get_str("content")` is the text).
        event: SessionEvent<'a>,
    },
    /// A top-level tool call of the turn started or finished (`tool.execution_start`,
    /// `tool.execution_complete`).
    Tool {
        /// The turn.
        turn: TurnId,
        /// The event.
        event: SessionEvent<'a>,
    },
    /// The turn ended; its id is free for another turn.
    Ended {
        /// The turn.
        turn: TurnId,
        /// How.
        end: TurnEnd<'a>,
    },
}

/// Whether the CLI has the server-side `session.sendAndWait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ServerWait {
    /// Not known yet: the next send tries it (if its params fit the probe buffer).
    Unknown,
    /// The CLI has it: every send uses it.
    Available,
    /// The CLI answered -32601: sends use `session.send` and events.
    Unavailable,
}
