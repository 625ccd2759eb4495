//! Drivers: the IO around the sans-IO [`Client`].
//!
//! Both drivers have the same shape. They own the clock and the connection's two halves, write
//! what the client queued, wait for input or for the next deadline (the client's, or one the
//! caller gives), and hand out one [`Polled`] at a time. Both end a conversation with
//! `shutdown` ([`ShutdownMode::Leave`] or [`ShutdownMode::StopCli`]), which closes the
//! writing side once everything sent was answered and takes events until the connection
//! closes or the deadline passes. Time is [`Instant`] everywhere, from the driver's `now()`.
//!
//! - [`BlockingDriver`] (feature `std`): any `std::io::{Read, Write}` pair, with a reader
//!   thread so a wait can end at a deadline.
//! - [`AsyncDriver`] (feature `async`): any `embedded_io_async::{Read, Write}` pair, with a
//!   [`Clock`] of the caller's (embassy's timer, tokio's, ...).
//! - The blocking `Copilot` ([`crate::blocking`], feature `std`) and the async one
//!   ([`crate::tokio`], feature `tokio`): they own the connection, run the sessions'
//!   [`Handlers`] and wait for the turns, on a thread or a task of their own.
//! - [`CliCommand`] (feature `std`): the one place that builds the CLI's command line; it
//!   spawns the CLI for the blocking driver, and gives the [`std::process::Command`] to any
//!   runtime that spawns processes its own way (`tokio::process::Command::from`).
//!
//! [`Client`]: crate::Client
//! [`ShutdownMode::Leave`]: crate::ShutdownMode::Leave
//! [`ShutdownMode::StopCli`]: crate::ShutdownMode::StopCli
//! [`Instant`]: crate::Instant

#[cfg(feature = "std")]
mod blocking;
#[cfg(feature = "std")]
pub(crate) mod copilot;
#[cfg(feature = "std")]
mod dir_fs;
#[cfg(feature = "async")]
mod embedded;
#[cfg(feature = "std")]
mod process;
#[cfg(feature = "tokio")]
mod tokio;

#[cfg(feature = "tokio")]
pub use self::tokio::{
    TokioCliProcess, TokioClock, TokioDriver, TokioIoError, TokioRead, TokioWrite,
    connect_tcp_tokio,
};
#[cfg(feature = "std")]
pub use blocking::BlockingDriver;
#[cfg(feature = "std")]
pub use copilot::{
    CopilotError, CopilotHandler, Handlers, OwnedEvent, Permissions, Reply, Settings, Tool,
    ToolOutput,
};
#[cfg(feature = "std")]
pub use dir_fs::{DirectoryFs, FsFailure, FsStat};
#[cfg(feature = "async")]
pub use embedded::{AsyncDriver, Clock, DriverError};
#[cfg(feature = "std")]
pub use process::{
    AUTH_TOKEN_ENV, CLI_PATH_ENV, CliCommand, CliExit, CliProcess, StartError, StartFailure,
    TcpWriter, connect_tcp, parse_port_announcement,
};

use crate::{Client, Event, Inbox, Instant};

/// What a driver's `next_event` hands out.
#[derive(Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Polled<'i> {
    /// The next event.
    Event(Event<'i>),
    /// The caller's deadline passed first. Nothing was lost: the next call goes on where this
    /// one stopped, and the connection is still usable.
    DeadlinePassed,
    /// The connection is closed: [`Event::Closed`] was handed out before. Nothing follows.
    Closed,
}

/// What a driver does next for its client: the decision both drivers share, so they cannot
/// disagree on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Write out what the client queued.
    Write,
    /// The connection is closed.
    Closed,
    /// `poll_event` has an event.
    Deliver,
    /// The caller's deadline passed.
    DeadlinePassed,
    /// A request's deadline passed: call `handle_timeout`.
    Expire,
    /// Wait for input, until this instant if any.
    Wait(Option<Instant>),
}

/// The next step for `client`, at `now`, with the caller's `deadline`.
pub(crate) fn next_step<const S: usize, const P: usize>(
    client: &Client<'_, S, P>,
    inbox: &Inbox<'_>,
    now: Instant,
    deadline: Option<Instant>,
) -> Next {
    if client.wants_transmit() {
        return Next::Write;
    }
    if client.is_closed() {
        return Next::Closed;
    }
    if client.can_poll(inbox) {
        return Next::Deliver;
    }
    if deadline.is_some_and(|d| d <= now) {
        return Next::DeadlinePassed;
    }
    match client.poll_timeout() {
        Some(at) if at <= now => Next::Expire,
        at => Next::Wait(match (at, deadline) {
            (Some(a), Some(d)) => Some(a.min(d)),
            (a, d) => a.or(d),
        }),
    }
}
