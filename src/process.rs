//! (feature `std`) Running the real Copilot CLI in stdio server mode, and reaching one over TCP.

extern crate std;

use std::ffi::{OsStr, OsString};
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::string::String;
use std::time::{Duration, Instant as StdInstant};
use std::vec::Vec;

use crate::blocking::Blocking;
use crate::client::Client;
use crate::event::Event;
use crate::farewell::Farewell;
use crate::inbox::Inbox;

/// The environment variable that names the CLI binary.
pub const CLI_PATH_ENV: &str = "COPILOT_CLI_PATH";

/// The environment variable the token goes in, with `--auth-token-env`.
pub const AUTH_TOKEN_ENV: &str = "COPILOT_SDK_AUTH_TOKEN";

/// How to start `copilot --headless --no-auto-update --stdio`.
#[derive(Debug, Clone)]
pub struct CliCommand {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    env_clear: bool,
    dir: Option<PathBuf>,
}

impl CliCommand {
    /// The CLI at `program` (the platform binary of `@github/copilot`, e.g.
    /// `node_modules/@github/copilot-linux-x64/copilot`).
    pub fn new(program: impl Into<PathBuf>) -> Self {
        CliCommand {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            env_clear: false,
            dir: None,
        }
    }

    /// The CLI named by `COPILOT_CLI_PATH`, if set.
    pub fn from_env() -> Option<Self> {
        std::env::var_os(CLI_PATH_ENV)
            .filter(|p| !p.is_empty())
            .map(CliCommand::new)
    }

    /// Authenticates with `token` (passed in `COPILOT_SDK_AUTH_TOKEN`, named by
    /// `--auth-token-env`, never on the command line).
    pub fn auth_token(mut self, token: impl AsRef<OsStr>) -> Self {
        self.env
            .push((AUTH_TOKEN_ENV.into(), token.as_ref().into()));
        self.args.push("--auth-token-env".into());
        self.args.push(AUTH_TOKEN_ENV.into());
        self
    }

    /// `--no-auto-login`: do not use a logged-in user.
    pub fn no_auto_login(mut self) -> Self {
        self.args.push("--no-auto-login".into());
        self
    }

    /// `--log-level` (`none`, `error`, `warning`, `info`, `debug`, `all`).
    pub fn log_level(mut self, level: &str) -> Self {
        self.args.push("--log-level".into());
        self.args.push(level.into());
        self
    }

    /// An extra command-line argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().into());
        self
    }

    /// An environment variable for the CLI.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().into(), value.as_ref().into()));
        self
    }

    /// Starts from an empty environment (then add what the CLI needs with
    /// [`env`](Self::env): a hermetic `HOME`, `COPILOT_HOME`, ...).
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self
    }

    /// The CLI's working directory.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Starts the CLI; returns the process and a driver over its stdio.
    pub fn spawn(&self) -> io::Result<(CliProcess, Blocking<ChildStdin>)> {
        let mut cmd = Command::new(&self.program);
        cmd.args(["--headless", "--no-auto-update", "--stdio"])
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if self.env_clear {
            cmd.env_clear();
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        let mut child = cmd.spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        Ok((CliProcess { child }, Blocking::new(stdout, stdin)))
    }
}

/// A running CLI.
#[derive(Debug)]
pub struct CliProcess {
    child: Child,
}

/// How a shutdown went.
#[derive(Debug, Clone)]
pub struct Shutdown<const P: usize> {
    /// What the protocol part achieved.
    pub farewell: Farewell<P>,
    /// The exit status, if the process exited by itself.
    pub status: Option<ExitStatus>,
    /// The process had to be killed.
    pub killed: bool,
}

impl CliProcess {
    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Shuts down cleanly: [`Blocking::shutdown`] (destroy each active session,
    /// `runtime.shutdown`, close stdin), then waits for the process to exit and kills it if it
    /// has not within `timeout`. Events received meanwhile go to `on_event` with the client (to
    /// answer server requests that still arrive, see [`Blocking::shutdown`]).
    pub fn shutdown<'b, const S: usize, const P: usize>(
        mut self,
        driver: &mut Blocking<ChildStdin>,
        client: &mut Client<'b, S, P>,
        inbox: &mut Inbox<'_>,
        timeout: Duration,
        on_event: impl FnMut(&mut Client<'b, S, P>, &Event<'_>),
    ) -> io::Result<Shutdown<P>> {
        let deadline = StdInstant::now() + timeout;
        let farewell = driver.shutdown(client, inbox, timeout, on_event)?;
        let mut status = None;
        while StdInstant::now() < deadline {
            if let Some(s) = self.child.try_wait()? {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let killed = status.is_none();
        if killed {
            self.child.kill()?;
            self.child.wait()?;
        }
        Ok(Shutdown {
            farewell,
            status,
            killed,
        })
    }

    /// Kills the process at once.
    pub fn kill(mut self) -> io::Result<()> {
        self.child.kill()?;
        self.child.wait().map(|_| ())
    }
}

/// Connects to a CLI serving TCP (`copilot --headless --port N`); send its connection token
/// in [`Connect::token`](crate::Connect::token).
pub fn connect_tcp(addr: impl ToSocketAddrs) -> io::Result<Blocking<TcpStream>> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    Ok(Blocking::new(stream.try_clone()?, stream))
}

/// Reads the port a CLI started with `--port 0` announces on stdout
/// (`... listening on port N`).
pub fn parse_port_announcement(line: &str) -> Option<u16> {
    let lower = line.to_ascii_lowercase();
    let at = lower.find("listening on port ")? + "listening on port ".len();
    let digits: String = lower
        .get(at..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_announcements() {
        assert_eq!(
            parse_port_announcement("CLI server listening on port 52431"),
            Some(52431)
        );
        assert_eq!(parse_port_announcement("Listening on port 7\r"), Some(7));
        assert_eq!(
            parse_port_announcement("listening on http://localhost:1"),
            None
        );
    }
}
