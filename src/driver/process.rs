//! (feature `std`) Running the real Copilot CLI in stdio server mode, and reaching one over TCP.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::format;
use std::io::{self, BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::string::String;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;
use std::vec::Vec;

use crate::driver::{BlockingDriver, Polled};
use crate::{Client, Connect, Event, Failure, Inbox, Instant, Shutdown, ShutdownMode};

/// The environment variable that names the CLI binary.
pub const CLI_PATH_ENV: &str = "COPILOT_CLI_PATH";

/// The environment variable the token goes in, with `--auth-token-env`.
pub const AUTH_TOKEN_ENV: &str = "COPILOT_SDK_AUTH_TOKEN";

/// How many of the CLI's last stderr lines are kept.
const STDERR_LINES: usize = 40;

/// How long a kept stderr line may be, in bytes (longer ones are cut).
const STDERR_LINE_LEN: usize = 1024;

/// How to start the CLI as a server on its stdio: `copilot --headless --no-auto-update
/// --stdio`, plus what the builder adds. The one place the CLI's command line is built: the
/// blocking driver spawns it with [`spawn`](Self::spawn), any other runtime with the
/// [`command`](Self::command) it builds (`tokio::process::Command::from(cli.command())`).
///
/// By default the CLI inherits this process's environment and working directory, as the
/// official SDKs start it; [`env_clear`](Self::env_clear), [`env`](Self::env) and
/// [`current_dir`](Self::current_dir) make it hermetic.
#[derive(Clone)]
pub struct CliCommand {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    env_clear: bool,
    dir: Option<PathBuf>,
}

/// Environment variables whose values are secrets: `Debug` does not print them.
fn is_secret(key: &OsStr) -> bool {
    let key = key.to_string_lossy().to_ascii_uppercase();
    ["TOKEN", "KEY", "SECRET", "PASSWORD", "AUTH"]
        .iter()
        .any(|word| key.contains(word))
}

impl fmt::Debug for CliCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Env<'a>(&'a [(OsString, OsString)]);
        impl fmt::Debug for Env<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, v)| {
                        let v: &dyn fmt::Debug = if is_secret(k) {
                            &crate::proto::REDACTED
                        } else {
                            v
                        };
                        (k, v)
                    }))
                    .finish()
            }
        }
        f.debug_struct("CliCommand")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("env", &Env(&self.env))
            .field("env_clear", &self.env_clear)
            .field("dir", &self.dir)
            .finish()
    }
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

    /// Authenticates with the token in `COPILOT_SDK_AUTH_TOKEN`, if it is set (and then does
    /// not use a logged-in user): [`auth_token`](Self::auth_token) from the environment.
    #[must_use]
    pub fn auth_token_from_env(self) -> Self {
        match std::env::var_os(AUTH_TOKEN_ENV).filter(|t| !t.is_empty()) {
            Some(token) => self.auth_token(token).no_auto_login(),
            None => self,
        }
    }

    /// Authenticates with `token` (passed in `COPILOT_SDK_AUTH_TOKEN`, named by
    /// `--auth-token-env`, never on the command line; `Debug` does not print it).
    #[must_use]
    pub fn auth_token(mut self, token: impl AsRef<OsStr>) -> Self {
        self.env
            .push((AUTH_TOKEN_ENV.into(), token.as_ref().into()));
        self.args.push("--auth-token-env".into());
        self.args.push(AUTH_TOKEN_ENV.into());
        self
    }

    /// `--no-auto-login`: do not use a logged-in user.
    #[must_use]
    pub fn no_auto_login(mut self) -> Self {
        self.args.push("--no-auto-login".into());
        self
    }

    /// `--log-level` (`none`, `error`, `warning`, `info`, `debug`, `all`).
    #[must_use]
    pub fn log_level(mut self, level: &str) -> Self {
        self.args.push("--log-level".into());
        self.args.push(level.into());
        self
    }

    /// An extra command-line argument.
    #[must_use]
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().into());
        self
    }

    /// An environment variable for the CLI.
    #[must_use]
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().into(), value.as_ref().into()));
        self
    }

    /// Starts from an empty environment (then add what the CLI needs with
    /// [`env`](Self::env): a hermetic `HOME`, `COPILOT_HOME`, ...).
    #[must_use]
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self
    }

    /// The CLI's working directory.
    #[must_use]
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// The program it starts.
    pub(crate) fn program(&self) -> &std::path::Path {
        &self.program
    }

    /// The command this builder describes, with stdin, stdout and stderr piped: spawn it with
    /// any runtime.
    pub fn command(&self) -> Command {
        self.command_with(&["--stdio"])
    }

    /// The command with `transport` (`--stdio`, or `--port N`).
    fn command_with(&self, transport: &[&str]) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(["--headless", "--no-auto-update"])
            .args(transport)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if self.env_clear {
            cmd.env_clear();
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// Starts the CLI and connects `client` to it: [`spawn`](Self::spawn), `connect`, and
    /// waits up to `timeout` for [`Event::Connected`]. If the CLI does not get that far (it
    /// cannot be spawned, it exits, it refuses the handshake, it says nothing in time), the
    /// error says why, with its exit status and its last stderr lines, and the process is
    /// stopped.
    ///
    /// Events other than the handshake's that arrive first are handled by the client as
    /// usual and not handed out (there are none from a CLI that was just started).
    pub fn start<const S: usize, const P: usize>(
        &self,
        client: &mut Client<'_, S, P>,
        inbox: &mut Inbox<'_>,
        connect: &Connect<'_>,
        timeout: Duration,
    ) -> Result<(CliProcess, BlockingDriver<ChildStdin>), StartError> {
        let (mut process, mut driver) = self.spawn().map_err(|e| StartError {
            reason: StartFailure::Spawn(e),
            status: None,
            stderr: Vec::new(),
        })?;
        let deadline = driver.now().add_millis(timeout.as_millis() as u64);
        let reason = match handshake(&mut driver, client, inbox, connect, deadline) {
            Ok(()) => return Ok((process, driver)),
            Err(reason) => reason,
        };
        // A CLI that failed usually exits at once: give it a moment, so that its status and
        // its last words are in the error.
        let mut status = None;
        for _ in 0..50 {
            if let Ok(Some(s)) = process.try_status() {
                status = Some(s);
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        if status.is_none() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
        // Writing to a process that has exited fails: that it exited is what matters.
        let reason = match (reason, status) {
            (StartFailure::Io(_), Some(_)) => StartFailure::Exited,
            (reason, _) => reason,
        };
        process.stderr.wait_for_end(Duration::from_millis(500));
        Err(StartError {
            reason,
            status,
            stderr: process.stderr_tail(),
        })
    }

    /// Starts the CLI serving TCP on loopback (`--port`; 0: a free port it picks) for any
    /// number of clients ([`connect_tcp`]); returns the process and the address it listens
    /// on, read from its announcement on stdout (waited for up to `timeout`).
    pub fn spawn_tcp(
        &self,
        port: u16,
        timeout: Duration,
    ) -> Result<(CliProcess, SocketAddr), StartError> {
        let port_arg = format!("{port}");
        let mut cmd = self.command_with(&["--port", &port_arg]);
        cmd.stdin(Stdio::null());
        let failed = |reason, status, stderr| StartError {
            reason,
            status,
            stderr,
        };
        let mut child = cmd
            .spawn()
            .map_err(|e| failed(StartFailure::Spawn(e), None, Vec::new()))?;
        let stderr = StderrTail::default();
        if let Some(pipe) = child.stderr.take() {
            stderr.follow(pipe);
        }
        let (found, announced) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            thread::spawn(move || {
                let mut lines = BufReader::new(stdout).lines();
                for line in lines.by_ref() {
                    let Ok(line) = line else { return };
                    if let Some(port) = parse_port_announcement(&line) {
                        let _ = found.send(port);
                        break;
                    }
                }
                // Keep reading, so the CLI never blocks on a full stdout.
                for _ in lines {}
            });
        }
        let mut process = CliProcess { child, stderr };
        match announced.recv_timeout(timeout) {
            Ok(port) => Ok((process, SocketAddr::from(([127, 0, 0, 1], port)))),
            Err(_) => {
                let status = process.try_status().ok().flatten();
                if status.is_none() {
                    let _ = process.child.kill();
                    let _ = process.child.wait();
                }
                let reason = match status {
                    Some(_) => StartFailure::Exited,
                    None => StartFailure::TimedOut,
                };
                process.stderr.wait_for_end(Duration::from_millis(500));
                Err(failed(reason, status, process.stderr_tail()))
            }
        }
    }

    /// Starts the CLI; returns the process and a driver over its stdio.
    pub fn spawn(&self) -> io::Result<(CliProcess, BlockingDriver<ChildStdin>)> {
        let mut child = self.command().spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let stderr = StderrTail::default();
        if let Some(pipe) = child.stderr.take() {
            stderr.follow(pipe);
        }
        Ok((
            CliProcess { child, stderr },
            BlockingDriver::new(stdout, stdin),
        ))
    }
}

/// `connect` and the wait for its outcome, for [`CliCommand::start`].
fn handshake<const S: usize, const P: usize>(
    driver: &mut BlockingDriver<ChildStdin>,
    client: &mut Client<'_, S, P>,
    inbox: &mut Inbox<'_>,
    connect: &Connect<'_>,
    deadline: Instant,
) -> Result<(), StartFailure> {
    client
        .connect(driver.now(), connect)
        .map_err(StartFailure::Refused)?;
    loop {
        match driver.next_event(client, inbox, Some(deadline)) {
            Ok(Polled::Event(Event::Connected { .. })) => return Ok(()),
            Ok(Polled::Event(Event::ConnectFailed(Failure::ConnectionClosed)))
            | Ok(Polled::Closed) => return Err(StartFailure::Exited),
            Ok(Polled::Event(Event::ConnectFailed(f))) => {
                return Err(StartFailure::Handshake(format!("{f}")));
            }
            Ok(Polled::Event(_)) => {}
            Ok(Polled::DeadlinePassed) => return Err(StartFailure::TimedOut),
            Err(e) => return Err(StartFailure::Io(e)),
        }
    }
}

/// Why the CLI did not start (see [`StartError`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum StartFailure {
    /// The process could not be started (no such file, not executable, ...).
    Spawn(io::Error),
    /// The process ended (or closed its output) before the handshake was done.
    Exited,
    /// The CLI answered the handshake with an error (a protocol version it does not speak, a
    /// wrong connection token, ...).
    Handshake(String),
    /// The client could not send `connect`.
    Refused(crate::Error),
    /// Nothing came back in time.
    TimedOut,
    /// Writing to the CLI failed.
    Io(io::Error),
}

impl fmt::Display for StartFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartFailure::Spawn(e) => write!(f, "could not start it: {e}"),
            StartFailure::Exited => f.write_str("it exited before the handshake"),
            StartFailure::Handshake(why) => write!(f, "the handshake failed: {why}"),
            StartFailure::Refused(e) => write!(f, "the client could not send connect: {e}"),
            StartFailure::TimedOut => f.write_str("it did not answer in time"),
            StartFailure::Io(e) => write!(f, "talking to it failed: {e}"),
        }
    }
}

/// The CLI did not start: why, how it exited (if it did) and the last lines it wrote to
/// stderr, which usually say what to fix (an unknown flag, a missing login, ...).
#[derive(Debug)]
#[non_exhaustive]
pub struct StartError {
    /// What went wrong.
    pub reason: StartFailure,
    /// The exit status, if the process exited.
    pub status: Option<ExitStatus>,
    /// Its last stderr lines (up to 40), oldest first.
    pub stderr: Vec<String>,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the Copilot CLI did not start: {}", self.reason)?;
        if let Some(status) = self.status {
            write!(f, " ({status})")?;
        }
        match self.stderr.as_slice() {
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
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            StartFailure::Spawn(e) | StartFailure::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The last lines a process wrote to stderr, kept by a thread while it runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct StderrTail(Arc<(Mutex<Tail>, Condvar)>);

#[derive(Debug, Default)]
struct Tail {
    lines: VecDeque<String>,
    /// The pipe reached its end.
    ended: bool,
}

impl StderrTail {
    /// Keeps the last lines of `pipe` from now on, read by a thread.
    pub(crate) fn follow(&self, pipe: impl Read + Send + 'static) {
        let tail = self.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                line.truncate(STDERR_LINE_LEN);
                tail.push(String::from_utf8_lossy(&line).into_owned());
                line.clear();
            }
            tail.end();
        });
    }

    /// Keeps `line` (cut to a bounded length, trailing whitespace dropped), dropping the
    /// oldest line when full.
    pub(crate) fn push(&self, mut line: String) {
        if line.len() > STDERR_LINE_LEN {
            let mut cut = STDERR_LINE_LEN;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
        }
        line.truncate(line.trim_end().len());
        let Ok(mut tail) = self.0.0.lock() else {
            return;
        };
        if tail.lines.len() == STDERR_LINES {
            tail.lines.pop_front();
        }
        tail.lines.push_back(line);
    }

    /// The pipe reached its end.
    pub(crate) fn end(&self) {
        if let Ok(mut tail) = self.0.0.lock() {
            tail.ended = true;
        }
        self.0.1.notify_all();
    }

    /// The lines kept so far, oldest first.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.0
            .0
            .lock()
            .map(|t| t.lines.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Waits (up to `limit`) until the pipe has ended, so that the process's last words are
    /// in; a process that left a child holding the pipe open does not hold this up longer.
    pub(crate) fn wait_for_end(&self, limit: Duration) {
        let (tail, ended) = &*self.0;
        let Ok(guard) = tail.lock() else { return };
        let _ = ended.wait_timeout_while(guard, limit, |t| !t.ended);
    }
}

/// A running CLI.
#[derive(Debug)]
pub struct CliProcess {
    pub(crate) child: Child,
    pub(crate) stderr: StderrTail,
}

/// How a CLI process ended after [`CliProcess::shutdown`].
#[derive(Debug, Clone)]
pub struct CliExit<const S: usize> {
    /// What the protocol part achieved.
    pub shutdown: Shutdown<S>,
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

    /// The last lines the CLI wrote to stderr (up to 40), oldest first: what to show when
    /// it fails to start or exits.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr.lines()
    }

    /// The exit status, if the process has exited.
    pub fn try_status(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Shuts down cleanly: [`BlockingDriver::shutdown`] with [`ShutdownMode::StopCli`]
    /// (destroy each active session, `runtime.shutdown`, close stdin), then waits for the
    /// process to exit and kills it if it has not by `deadline` (the driver's clock). Events
    /// received meanwhile go to `on_event` with the client (to answer server requests that
    /// still arrive, see [`BlockingDriver::shutdown`]).
    pub fn shutdown<'b, const S: usize, const P: usize>(
        mut self,
        driver: &mut BlockingDriver<ChildStdin>,
        client: &mut Client<'b, S, P>,
        inbox: &mut Inbox<'_>,
        deadline: Instant,
        on_event: impl FnMut(&mut Client<'b, S, P>, &Event<'_>),
    ) -> io::Result<CliExit<S>> {
        let shutdown = driver.shutdown(client, inbox, ShutdownMode::StopCli, deadline, on_event)?;
        let mut status = None;
        while driver.now() < deadline {
            if let Some(s) = self.child.try_wait()? {
                status = Some(s);
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let killed = status.is_none();
        if killed {
            self.child.kill()?;
            self.child.wait()?;
        }
        Ok(CliExit {
            shutdown,
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

/// Connects to a CLI serving TCP (`copilot --headless --port N`, or
/// [`CliCommand::spawn_tcp`]); send its connection token in
/// [`Connect::token`](crate::Connect::token). Several clients may join one CLI: end this one
/// with [`ShutdownMode::Leave`] so the others keep theirs.
pub fn connect_tcp(addr: impl ToSocketAddrs) -> io::Result<BlockingDriver<TcpWriter>> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    Ok(BlockingDriver::new(stream.try_clone()?, TcpWriter(stream)))
}

/// The writing half of a TCP connection to the CLI: dropping it (the driver's
/// `close_write`) shuts the socket's sending side, which tells the CLI this client is done
/// (a plain clone of the stream would keep it open).
#[derive(Debug)]
pub struct TcpWriter(pub(crate) TcpStream);

impl std::io::Write for TcpWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Drop for TcpWriter {
    fn drop(&mut self) {
        let _ = self.0.shutdown(std::net::Shutdown::Write);
    }
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
    use std::format;

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

    #[test]
    fn debug_never_prints_the_token() {
        let cli = CliCommand::new("copilot")
            .auth_token("ghu_secret123")
            .env("HOME", "/home/dev");
        let shown = format!("{cli:?}");
        assert!(!shown.contains("ghu_secret123"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("/home/dev"),
            "{shown}"
        );
    }
}
