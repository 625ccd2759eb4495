//! [`CopilotError`]: what went wrong, said so that a person can act on it.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::string::{String, ToString};
use std::time::Duration;
use std::vec::Vec;

use crate::Failure;
use crate::driver::{AUTH_TOKEN_ENV, CLI_PATH_ENV, StartError};

/// What went wrong with a [`Copilot`](crate::blocking::Copilot) or one of its sessions.
///
/// Its `Display` says what to do about it: what to install, which environment variable to set,
/// the CLI's own words. Its `Debug` says the same, after the variant's name, so that a `main`
/// returning the error shows something a person can act on.
#[non_exhaustive]
pub enum CopilotError {
    /// The CLI's program was not found where it was looked for.
    CliNotFound {
        /// Where it was looked for.
        program: PathBuf,
    },
    /// The CLI exited (or closed its output) while it was needed.
    CliExited {
        /// How it exited, if known.
        status: Option<ExitStatus>,
        /// Its last stderr lines, oldest first.
        stderr: Vec<String>,
    },
    /// The CLI did not start (see [`StartError`]: its exit status and last stderr lines).
    Start(StartError),
    /// The CLI is not signed in: its own message.
    AuthMissing {
        /// What the CLI said.
        message: String,
    },
    /// A request (or a turn) got no answer in time.
    TimedOut {
        /// The request, e.g. `session.create` or `session.send`.
        request: String,
        /// How long it waited.
        waited: Duration,
    },
    /// The CLI answered a request with an error.
    Rpc {
        /// The request, e.g. `session.create`.
        request: String,
        /// The JSON-RPC error code.
        code: i64,
        /// The CLI's message.
        message: String,
    },
    /// A request failed for another reason than an error answer (see [`Failure`]).
    Failed {
        /// The request.
        request: String,
        /// Why.
        reason: String,
    },
    /// The turn failed: the CLI reported a `session.error`.
    Turn {
        /// Its `errorType`, e.g. `query`.
        error_type: String,
        /// Its message.
        message: String,
    },
    /// The turn was aborted.
    Aborted,
    /// The session was destroyed (or never opened) before the answer.
    SessionClosed,
    /// The connection is closed (after a shutdown, or the peer hung up).
    Closed,
    /// The client refused to send a request (too large for the transmit buffer, too many
    /// sessions or requests at once, ...).
    Refused {
        /// The request.
        request: String,
        /// Why.
        reason: crate::Error,
    },
    /// A tool's JSON Schema is not valid JSON.
    InvalidToolSchema {
        /// The tool.
        tool: String,
    },
    /// The reply is not the JSON asked for (`send_and_wait_typed`).
    UnexpectedReply {
        /// The reply's text.
        text: String,
        /// What serde_json said.
        error: String,
    },
    /// Reading or writing the connection failed.
    Io(io::Error),
}

/// Signs that an error message is about missing credentials (the CLI's messages, 1.0.102).
const AUTH_WORDS: [&str; 4] = [
    "not authenticated",
    "oauth token",
    "hmac key",
    "please authenticate",
];

/// True if the CLI's `message` says it is not signed in.
pub(crate) fn is_auth_message(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    AUTH_WORDS.iter().any(|w| lower.contains(w))
}

impl CopilotError {
    /// The error for a request that failed with `failure` after waiting `waited`;
    /// `ended` gives the error for a connection that ended.
    pub(crate) fn of_failure(
        request: &str,
        failure: Failure<'_>,
        waited: Duration,
        ended: impl FnOnce() -> CopilotError,
    ) -> CopilotError {
        match failure {
            Failure::TimedOut => CopilotError::TimedOut {
                request: request.to_string(),
                waited,
            },
            Failure::ConnectionClosed => ended(),
            Failure::Rpc(e) => {
                let message = e.message.to_string();
                if is_auth_message(&message) {
                    CopilotError::AuthMissing { message }
                } else {
                    CopilotError::Rpc {
                        request: request.to_string(),
                        code: e.code,
                        message,
                    }
                }
            }
            other => CopilotError::Failed {
                request: request.to_string(),
                reason: other.to_string(),
            },
        }
    }

    /// The error of a spawn that failed with `e`.
    pub(crate) fn of_spawn(program: PathBuf, e: io::Error) -> CopilotError {
        match e.kind() {
            io::ErrorKind::NotFound => CopilotError::CliNotFound { program },
            _ => CopilotError::Io(e),
        }
    }
}

fn write_stderr(f: &mut fmt::Formatter<'_>, stderr: &[String]) -> fmt::Result {
    match stderr {
        [] => f.write_str("; it wrote nothing to stderr"),
        lines => {
            f.write_str("; its last stderr lines:")?;
            for line in lines {
                write!(f, "\n  {line}")?;
            }
            Ok(())
        }
    }
}

impl fmt::Display for CopilotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopilotError::CliNotFound { program } => write!(
                f,
                "the Copilot CLI was not found at {}: install it (`npm install -g @github/copilot`, \
                 its binary is node_modules/@github/copilot-<platform>/copilot) and set \
                 {CLI_PATH_ENV} to the binary's path",
                program.display()
            ),
            CopilotError::CliExited { status, stderr } => {
                f.write_str("the Copilot CLI exited")?;
                if let Some(status) = status {
                    write!(f, " ({status})")?;
                }
                write_stderr(f, stderr)
            }
            CopilotError::Start(e) => e.fmt(f),
            CopilotError::AuthMissing { message } => write!(
                f,
                "the Copilot CLI is not signed in (it says: \"{message}\"): put a GitHub token \
                 with Copilot access in {AUTH_TOKEN_ENV} (`CliCommand::auth_token`), or sign in \
                 with `copilot login`"
            ),
            CopilotError::TimedOut { request, waited } => write!(
                f,
                "{request} got no answer within {} ms",
                waited.as_millis()
            ),
            CopilotError::Rpc {
                request,
                code,
                message,
            } => write!(
                f,
                "the Copilot CLI answered {request} with an error: {message} ({code})"
            ),
            CopilotError::Failed { request, reason } => write!(f, "{request} failed: {reason}"),
            CopilotError::Turn {
                error_type,
                message,
            } => write!(f, "the turn failed ({error_type}): {message}"),
            CopilotError::Aborted => f.write_str("the turn was aborted"),
            CopilotError::SessionClosed => {
                f.write_str("the session was closed before the answer came")
            }
            CopilotError::Closed => f.write_str("the connection to the Copilot CLI is closed"),
            CopilotError::Refused { request, reason } => {
                write!(f, "{request} was not sent: {reason}")
            }
            CopilotError::InvalidToolSchema { tool } => {
                write!(f, "the JSON Schema of the tool {tool:?} is not valid JSON")
            }
            CopilotError::UnexpectedReply { text, error } => {
                write!(f, "the reply is not the JSON asked for ({error}): {text}")
            }
            CopilotError::Io(e) => write!(f, "talking to the Copilot CLI failed: {e}"),
        }
    }
}

impl fmt::Debug for CopilotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            CopilotError::CliNotFound { .. } => "CliNotFound",
            CopilotError::CliExited { .. } => "CliExited",
            CopilotError::Start(_) => "Start",
            CopilotError::AuthMissing { .. } => "AuthMissing",
            CopilotError::TimedOut { .. } => "TimedOut",
            CopilotError::Rpc { .. } => "Rpc",
            CopilotError::Failed { .. } => "Failed",
            CopilotError::Turn { .. } => "Turn",
            CopilotError::Aborted => "Aborted",
            CopilotError::SessionClosed => "SessionClosed",
            CopilotError::Closed => "Closed",
            CopilotError::Refused { .. } => "Refused",
            CopilotError::InvalidToolSchema { .. } => "InvalidToolSchema",
            CopilotError::UnexpectedReply { .. } => "UnexpectedReply",
            CopilotError::Io(_) => "Io",
        };
        write!(f, "{name}: {self}")
    }
}

impl std::error::Error for CopilotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CopilotError::Start(e) => Some(e),
            CopilotError::Io(e) => Some(e),
            CopilotError::Refused { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

impl From<io::Error> for CopilotError {
    fn from(e: io::Error) -> Self {
        CopilotError::Io(e)
    }
}
