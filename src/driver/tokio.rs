//! (feature `tokio`) The async driver over tokio's own `AsyncRead`/`AsyncWrite`, its clock and
//! its child processes: [`TokioDriver`], [`CliCommand::spawn_tokio`], [`connect_tcp_tokio`].
//!
//! [`TokioDriver`] is the [`AsyncDriver`] (one driver shape, one implementation) over three
//! small pieces written here rather than taken from an adapter crate, since each is a few lines:
//! [`TokioRead`] and [`TokioWrite`] put tokio's reader and writer behind `embedded-io-async`'s
//! traits, and [`TokioClock`] tells time with tokio's clock (paused time in tests included).

use std::io;
use std::process::Stdio;
use std::string::String;
use std::time::Duration;
use std::vec::Vec;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::Instant;
use crate::driver::process::StderrTail;
use crate::driver::{AsyncDriver, CliCommand, Clock};

/// The [`AsyncDriver`] over a tokio reader and writer, with tokio's clock. Make one with
/// [`TokioDriver::tokio`], [`CliCommand::spawn_tokio`] or [`connect_tcp_tokio`].
pub type TokioDriver<R, W> = AsyncDriver<TokioRead<R>, TokioWrite<W>, TokioClock>;

/// An IO error of the tokio driver (a `std::io::Error`, which `embedded-io-async` asks to be
/// wrapped).
#[derive(Debug)]
pub struct TokioIoError(pub io::Error);

impl core::fmt::Display for TokioIoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TokioIoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl embedded_io_async::Error for TokioIoError {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        use embedded_io_async::ErrorKind as K;
        match self.0.kind() {
            io::ErrorKind::NotFound => K::NotFound,
            io::ErrorKind::PermissionDenied => K::PermissionDenied,
            io::ErrorKind::ConnectionRefused => K::ConnectionRefused,
            io::ErrorKind::ConnectionReset => K::ConnectionReset,
            io::ErrorKind::ConnectionAborted => K::ConnectionAborted,
            io::ErrorKind::BrokenPipe => K::BrokenPipe,
            io::ErrorKind::TimedOut => K::TimedOut,
            io::ErrorKind::Interrupted => K::Interrupted,
            io::ErrorKind::WriteZero => K::WriteZero,
            _ => K::Other,
        }
    }
}

/// A tokio reader behind `embedded_io_async::Read` (tokio's `read` is cancel safe, so the
/// driver's waits are too).
#[derive(Debug)]
pub struct TokioRead<R>(pub R);

/// A tokio writer behind `embedded_io_async::Write`; dropping it (the driver's
/// `close_write`) ends the peer's input where the writer owns its side: a child's stdin
/// closes, a TCP write half shuts its sending side. A half of `tokio::io::split` does not:
/// the peer sees the end only once both halves are dropped.
#[derive(Debug)]
pub struct TokioWrite<W>(pub W);

impl<R> embedded_io_async::ErrorType for TokioRead<R> {
    type Error = TokioIoError;
}

impl<W> embedded_io_async::ErrorType for TokioWrite<W> {
    type Error = TokioIoError;
}

impl<R: AsyncRead + Unpin> embedded_io_async::Read for TokioRead<R> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, TokioIoError> {
        self.0.read(buf).await.map_err(TokioIoError)
    }
}

impl<W: AsyncWrite + Unpin> embedded_io_async::Write for TokioWrite<W> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, TokioIoError> {
        self.0.write(buf).await.map_err(TokioIoError)
    }

    async fn flush(&mut self) -> Result<(), TokioIoError> {
        self.0.flush().await.map_err(TokioIoError)
    }
}

/// Time from tokio's clock: milliseconds since the driver was made.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    epoch: tokio::time::Instant,
}

impl TokioClock {
    /// A clock starting now.
    pub fn new() -> Self {
        TokioClock {
            epoch: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.epoch.elapsed().as_millis() as u64)
    }

    async fn sleep_until(&mut self, at: Instant) {
        tokio::time::sleep_until(self.epoch + Duration::from_millis(at.as_millis())).await
    }
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>
    AsyncDriver<TokioRead<R>, TokioWrite<W>, TokioClock>
{
    /// A driver over any tokio reader and writer (the halves of a stream, a duplex pipe, ...)
    /// with tokio's clock.
    pub fn tokio(reader: R, writer: W) -> Self {
        AsyncDriver::new(TokioRead(reader), TokioWrite(writer), TokioClock::new())
    }
}

/// A CLI started by [`CliCommand::spawn_tokio`]: the child process and its last stderr lines.
#[derive(Debug)]
pub struct TokioCliProcess {
    /// The process.
    pub child: Child,
    stderr: StderrTail,
}

impl TokioCliProcess {
    /// The last lines the CLI wrote to stderr (up to 40), oldest first.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr.lines()
    }
}

impl CliCommand {
    /// Starts the CLI as a tokio child process; returns it and a driver over its stdio. The
    /// CLI's stderr is kept ([`TokioCliProcess::stderr_tail`]). Stops the child when the
    /// process handle is dropped.
    pub fn spawn_tokio(
        &self,
    ) -> io::Result<(TokioCliProcess, TokioDriver<ChildStdout, ChildStdin>)> {
        let mut cmd = tokio::process::Command::from(self.command());
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
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
            let tail = stderr.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tail.push(line);
                }
                tail.end();
            });
        }
        Ok((
            TokioCliProcess { child, stderr },
            AsyncDriver::tokio(stdout, stdin),
        ))
    }
}

/// Connects to a CLI serving TCP (`copilot --headless --port N`, or
/// [`CliCommand::spawn_tcp`]), over tokio; send its connection token in
/// [`Connect::token`](crate::Connect::token). End with
/// [`ShutdownMode::Leave`](crate::ShutdownMode::Leave) on a CLI other clients share.
pub async fn connect_tcp_tokio(
    addr: impl ToSocketAddrs,
) -> io::Result<TokioDriver<OwnedReadHalf, OwnedWriteHalf>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (reader, writer) = stream.into_split();
    Ok(AsyncDriver::tokio(reader, writer))
}
