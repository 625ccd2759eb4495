//! [`Settings`]: buffer sizes and timeouts of a `Copilot`.

use core::fmt;
use std::string::String;
use std::time::Duration;

use crate::proto::REDACTED;
use crate::{CallerAnswers, Config, ShutdownMode};

/// How a `Copilot` is set up. The defaults suit the real CLI; change what you need:
/// `Settings::default().request_timeout(None)`.
///
/// Its `Debug` leaves the connection token out.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// The receive buffer, in bytes: also the largest frame accepted (a larger one is skipped
    /// and reported, and fails the request it answers). Default 256 KiB: the largest frames
    /// CLI 1.0.102 sends are about 42 KB (an event) and 44 KB (a `session.getMessages` result
    /// of a short conversation), and long conversations' histories grow.
    pub receive_buffer: usize,
    /// The transmit buffer, in bytes: bounds a prompt, a tool's output, a session's options.
    /// Default 64 KiB.
    pub transmit_buffer: usize,
    /// How long a request may wait for its response (the handshake, `session.create`,
    /// `session.destroy`, ...); `None` waits forever. Default 60 s.
    pub request_timeout: Option<Duration>,
    /// How long a turn (`send_and_wait`) may take; `None` (the default) waits forever.
    pub turn_timeout: Option<Duration>,
    /// How long a turn's session may stay quiet (no event at all) before its `send_and_wait`
    /// gives up with [`CopilotError::TimedOut`](crate::driver::CopilotError::TimedOut); a long
    /// tool run that keeps the session talking is not cut short, unlike with
    /// [`turn_timeout`](Self::turn_timeout). `None` (the default) waits forever.
    pub activity_timeout: Option<Duration>,
    /// How long a shutdown may take before the connection is closed (and a spawned CLI
    /// killed). Default 10 s.
    pub shutdown_timeout: Duration,
    /// The connection token of a CLI serving TCP.
    pub connection_token: Option<String>,
    /// What the shutdown does to the CLI. `None` (the default): stop a CLI the `Copilot`
    /// spawned ([`ShutdownMode::StopCli`]), leave running one it attached to, over streams or
    /// TCP ([`ShutdownMode::Leave`]: only this connection's sessions are destroyed).
    pub shutdown_mode: Option<ShutdownMode>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("receive_buffer", &self.receive_buffer)
            .field("transmit_buffer", &self.transmit_buffer)
            .field("request_timeout", &self.request_timeout)
            .field("turn_timeout", &self.turn_timeout)
            .field("activity_timeout", &self.activity_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field(
                "connection_token",
                &self.connection_token.as_ref().map(|_| REDACTED),
            )
            .field("shutdown_mode", &self.shutdown_mode)
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            receive_buffer: 256 * 1024,
            transmit_buffer: 64 * 1024,
            request_timeout: Some(Duration::from_secs(60)),
            turn_timeout: None,
            activity_timeout: None,
            shutdown_timeout: Duration::from_secs(10),
            connection_token: None,
            shutdown_mode: None,
        }
    }
}

impl Settings {
    /// Sets [`receive_buffer`](Self::receive_buffer).
    #[must_use]
    pub fn receive_buffer(mut self, bytes: usize) -> Self {
        self.receive_buffer = bytes;
        self
    }

    /// Sets [`transmit_buffer`](Self::transmit_buffer).
    #[must_use]
    pub fn transmit_buffer(mut self, bytes: usize) -> Self {
        self.transmit_buffer = bytes;
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`turn_timeout`](Self::turn_timeout).
    #[must_use]
    pub fn turn_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.turn_timeout = timeout;
        self
    }

    /// Sets [`activity_timeout`](Self::activity_timeout).
    #[must_use]
    pub fn activity_timeout(mut self, quiet: Option<Duration>) -> Self {
        self.activity_timeout = quiet;
        self
    }

    /// Sets [`shutdown_timeout`](Self::shutdown_timeout).
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Sets [`connection_token`](Self::connection_token).
    #[must_use]
    pub fn connection_token(mut self, token: impl Into<String>) -> Self {
        self.connection_token = Some(token.into());
        self
    }

    /// Sets [`shutdown_mode`](Self::shutdown_mode).
    #[must_use]
    pub fn shutdown_mode(mut self, mode: ShutdownMode) -> Self {
        self.shutdown_mode = Some(mode);
        self
    }

    /// The client's configuration: the handlers answer permissions and the session
    /// filesystem.
    pub(crate) fn config(&self) -> Config {
        Config::default()
            .caller_answers(CallerAnswers::PERMISSIONS | CallerAnswers::SESSION_FS)
            .request_timeout_ms(self.request_timeout.map(|d| d.as_millis() as u64))
    }
}
