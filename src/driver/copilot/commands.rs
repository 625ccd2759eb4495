//! What goes between a `Copilot` (and its sessions) and the machine: the commands, where each
//! answer goes, where a session's copied events go, and the session options put together on
//! the caller's side.

use std::boxed::Box;
use std::string::String;
use std::sync::mpsc;
use std::vec;
use std::vec::Vec;

use crate::driver::copilot::{CopilotError, CopilotHandler, OwnedEvent, Reply};
use crate::proto::params::{SessionOptions, ToolDeclaration};
use crate::proto::{SessionEvent, SessionId};
use crate::{Config, Error, SessionHandle};

/// Where an answer goes: the caller waiting for it.
pub(crate) enum Respond<T> {
    /// A blocking caller.
    Std(mpsc::Sender<T>),
    /// An async caller.
    #[cfg(feature = "tokio")]
    Tokio(::tokio::sync::oneshot::Sender<T>),
}

impl<T> Respond<T> {
    /// Answers; a caller that stopped waiting does not mind.
    pub(crate) fn send(self, value: T) {
        match self {
            Respond::Std(s) => {
                let _ = s.send(value);
            }
            #[cfg(feature = "tokio")]
            Respond::Tokio(s) => {
                let _ = s.send(value);
            }
        }
    }
}

/// Where a session's events are copied to, for a stream of them.
pub(crate) enum Sink {
    /// A blocking receiver.
    Std(mpsc::Sender<OwnedEvent>),
    /// An async receiver.
    #[cfg(feature = "tokio")]
    Tokio(::tokio::sync::mpsc::UnboundedSender<OwnedEvent>),
}

impl Sink {
    /// Sends a copy of `event`; false once nobody listens.
    pub(crate) fn send(&self, event: &SessionEvent<'_>) -> bool {
        match self {
            Sink::Std(s) => s.send(OwnedEvent::of(event)).is_ok(),
            #[cfg(feature = "tokio")]
            Sink::Tokio(s) => s.send(OwnedEvent::of(event)).is_ok(),
        }
    }
}

/// What a `Copilot` or a session asks of the machine.
pub(crate) enum Command {
    /// `session.create` with this handler.
    Open {
        id: SessionId,
        options: Vec<u8>,
        handler: Box<dyn CopilotHandler>,
        reply: Respond<Result<SessionHandle, CopilotError>>,
    },
    /// A turn: send `prompt` and answer when it is over.
    Send {
        session: SessionHandle,
        ticket: u64,
        prompt: String,
        reply: Respond<Result<Reply, CopilotError>>,
    },
    /// The caller stopped waiting for the turn `ticket`: cancel and abort it (a dropped
    /// tokio `send_and_wait`; a blocking one cannot be dropped while it waits).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    Cancel { ticket: u64 },
    /// `session.abort`.
    Abort { session: SessionHandle },
    /// `session.destroy`.
    Destroy {
        session: SessionHandle,
        reply: Respond<Result<(), CopilotError>>,
    },
    /// Copy the session's events to `sink` from now on.
    Watch { session: SessionHandle, sink: Sink },
    /// Destroy every session, stop the CLI (or leave it) and close.
    Shutdown {
        reply: Respond<Result<(), CopilotError>>,
    },
}

impl Command {
    /// Answers the command with `error` (the connection is over).
    pub(crate) fn fail(self, error: impl FnOnce() -> CopilotError) {
        match self {
            Command::Open { reply, .. } => reply.send(Err(error())),
            Command::Send { reply, .. } => reply.send(Err(error())),
            Command::Destroy { reply, .. } => reply.send(Err(error())),
            // Nothing to stop: done.
            Command::Shutdown { reply } => reply.send(Ok(())),
            Command::Cancel { .. } | Command::Abort { .. } | Command::Watch { .. } => {}
        }
    }
}

/// The other end, as far as errors go: what to say when the connection ends.
pub(crate) trait Peer: Send {
    /// The error for a connection that ended (a CLI's exit status and last stderr lines);
    /// asked once per waiter, so a process looks once and remembers.
    fn ended(&mut self) -> CopilotError;
}

/// A peer that is only a connection.
pub(crate) struct Connection;

impl Peer for Connection {
    fn ended(&mut self) -> CopilotError {
        CopilotError::Closed
    }
}

/// The options of `session.create`, as JSON: `options` with the handler's tools added and the
/// `request*` flags the `Copilot` answers set where the caller left them out.
pub(crate) fn session_options(
    options: &SessionOptions<'_>,
    handler: &dyn CopilotHandler,
    config: &Config,
    max: usize,
) -> Result<Vec<u8>, CopilotError> {
    let mut tools: Vec<ToolDeclaration<'_>> = options.tools.unwrap_or_default().to_vec();
    for tool in handler.tools() {
        tools.push(tool.declaration()?);
    }
    let flags = config.session_options();
    let mut options = *options;
    if !tools.is_empty() {
        options.tools = Some(&tools);
    }
    options.request_permission = options.request_permission.or(flags.request_permission);
    let mut json = vec![0u8; max];
    let n = serde_json_core::to_slice(&options, &mut json).map_err(|_| CopilotError::Refused {
        request: "session.create".into(),
        reason: Error::TransmitFull {
            needed: None,
            free: max,
        },
    })?;
    json.truncate(n);
    Ok(json)
}
