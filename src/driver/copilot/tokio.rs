//! (feature `tokio`) The async [`Copilot`]: the machine runs in a task of its own, over
//! tokio's own `AsyncRead`/`AsyncWrite`, clock and child processes; the `Copilot` and its
//! [`Session`]s (usable from any task) ask it through a channel.

use std::boxed::Box;
use std::io;
use std::process::Stdio;
use std::string::ToString;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::vec;

use ::tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use ::tokio::net::{TcpStream, ToSocketAddrs};
use ::tokio::process::Child;
use ::tokio::sync::{mpsc, oneshot};
use serde::de::DeserializeOwned;

use crate::driver::CliCommand;
use crate::driver::copilot::commands::{Command, Connection, Peer, Respond, Sink, session_options};
use crate::driver::copilot::machine::Machine;
use crate::driver::copilot::{CopilotError, CopilotHandler, OwnedEvent, Reply, Settings};
use crate::driver::process::StderrTail;
use crate::proto::SessionId;
use crate::proto::params::SessionOptions;
use crate::{Config, Instant, SessionHandle, ShutdownMode};

/// How long a CLI may take to exit once its input is closed, before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// A connection to the Copilot CLI, async (tokio): it starts the CLI as a tokio child process
/// (or attaches to any reader and writer, or to TCP), and owns the buffers, the clock and the
/// loop that drains the connection, in a task of its own. Clones share the connection.
///
/// ```
/// use copilot_sansio::tokio::{Copilot, Handlers};
/// use copilot_sansio::proto::params::SessionOptions;
/// use copilot_sansio::sim::{self, ModelReply, SimConfig};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), copilot_sansio::tokio::CopilotError> {
/// static REPLIES: [ModelReply<'static>; 1] = [ModelReply::Text("Hello!")];
/// let (reader, writer) = tokio::io::split(sim::duplex::<4>(SimConfig::default().replies(&REPLIES)));
/// let copilot = Copilot::attach(reader, writer).await?;
/// let session = copilot.create_session(&SessionOptions::default(), Handlers::new()).await?;
/// assert_eq!(session.send_and_wait("Hi").await?.text, "Hello!");
/// copilot.shutdown().await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Copilot {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    commands: mpsc::UnboundedSender<Command>,
    config: Config,
    settings: Settings,
    tickets: AtomicU64,
    /// The process id of the CLI it spawned, if it did.
    pid: Option<u32>,
}

/// A session of a [`Copilot`], usable from any task (clones share it): send prompts and wait
/// for the replies, stream its events, destroy it.
#[derive(Debug, Clone)]
pub struct Session {
    handle: SessionHandle,
    id: SessionId,
    inner: Arc<Inner>,
}

/// A session's events, copied for the task that reads them ([`Session::events`]).
#[derive(Debug)]
pub struct EventStream {
    events: mpsc::UnboundedReceiver<OwnedEvent>,
}

impl EventStream {
    /// The next event; `None` once the session (or the connection) is over.
    pub async fn recv(&mut self) -> Option<OwnedEvent> {
        self.events.recv().await
    }
}

/// Sends a command made with a reply channel and waits for the answer.
async fn ask<T>(
    commands: &mpsc::UnboundedSender<Command>,
    command: impl FnOnce(Respond<Result<T, CopilotError>>) -> Command,
) -> Result<T, CopilotError> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(command(Respond::Tokio(reply)))
        .map_err(|_| CopilotError::Closed)?;
    answer.await.unwrap_or(Err(CopilotError::Closed))
}

impl Copilot {
    /// Starts the CLI `cli` describes as a tokio child process and connects to it.
    pub async fn spawn(cli: &CliCommand) -> Result<Copilot, CopilotError> {
        Copilot::spawn_with(cli, Settings::default()).await
    }

    /// [`spawn`](Self::spawn) with `settings`.
    pub async fn spawn_with(cli: &CliCommand, settings: Settings) -> Result<Copilot, CopilotError> {
        let mode = settings.shutdown_mode.unwrap_or(ShutdownMode::StopCli);
        let mut cmd = ::tokio::process::Command::from(cli.command());
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| CopilotError::of_spawn(cli.program().into(), e))?;
        let pid = child.id();
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(CopilotError::Io(io::Error::other(
                "the CLI's stdio is not piped",
            )));
        };
        let stderr = StderrTail::default();
        if let Some(pipe) = child.stderr.take() {
            let tail = stderr.clone();
            ::tokio::spawn(async move {
                let mut lines = BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tail.push(line);
                }
                tail.end();
            });
        }
        let child = Arc::new(Mutex::new(child));
        let peer = Box::new(ChildPeer {
            child: Arc::clone(&child),
            stderr,
        });
        Copilot::start(stdout, stdin, settings, mode, peer, Some(child), pid).await
    }

    /// Connects over any tokio reader and writer (the halves of a stream, a duplex pipe, a
    /// simulated CLI, ...). The shutdown destroys this connection's sessions and closes it,
    /// leaving the CLI running (it may have other clients); to stop it too, set
    /// [`Settings::shutdown_mode`] to [`ShutdownMode::StopCli`] and attach with
    /// [`attach_with`](Self::attach_with).
    pub async fn attach<R, W>(reader: R, writer: W) -> Result<Copilot, CopilotError>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        Copilot::attach_with(reader, writer, Settings::default()).await
    }

    /// [`attach`](Self::attach) with `settings`.
    pub async fn attach_with<R, W>(
        reader: R,
        writer: W,
        settings: Settings,
    ) -> Result<Copilot, CopilotError>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let mode = settings.shutdown_mode.unwrap_or(ShutdownMode::Leave);
        Copilot::start(
            reader,
            writer,
            settings,
            mode,
            Box::new(Connection),
            None,
            None,
        )
        .await
    }

    /// Connects to a CLI serving TCP (`copilot --headless --port N`), with the connection token
    /// of `settings` if it needs one. The shutdown leaves the CLI running for its other
    /// clients, destroying only this connection's sessions (unless
    /// [`Settings::shutdown_mode`] says otherwise).
    pub async fn connect_tcp(
        addr: impl ToSocketAddrs,
        settings: Settings,
    ) -> Result<Copilot, CopilotError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (reader, writer) = stream.into_split();
        Copilot::attach_with(reader, writer, settings).await
    }

    async fn start<R, W>(
        reader: R,
        writer: W,
        settings: Settings,
        mode: ShutdownMode,
        peer: Box<dyn Peer>,
        child: Option<Arc<Mutex<Child>>>,
        pid: Option<u32>,
    ) -> Result<Copilot, CopilotError>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (commands, received) = mpsc::unbounded_channel();
        let (connected, outcome) = oneshot::channel();
        let actor_settings = settings.clone();
        ::tokio::spawn(async move {
            let connected = Respond::Tokio(connected);
            run(
                reader,
                writer,
                received,
                actor_settings,
                mode,
                peer,
                child,
                connected,
            )
            .await
        });
        let copilot = Copilot {
            inner: Arc::new(Inner {
                commands,
                config: settings.config(),
                settings,
                tickets: AtomicU64::new(1),
                pid,
            }),
        };
        match outcome.await.unwrap_or(Err(CopilotError::Closed)) {
            Ok(()) => Ok(copilot),
            Err(e) => {
                // Stop what was started.
                let _ = copilot.shutdown().await;
                Err(e)
            }
        }
    }

    /// The process id of the CLI it spawned, if it did.
    pub fn cli_process_id(&self) -> Option<u32> {
        self.inner.pid
    }

    /// Creates a session with `options` and `handler` (its tools are declared in the
    /// options). The handler runs in the `Copilot`'s task and gets every event of the session
    /// from the moment the request is queued, those before the response included.
    pub async fn create_session(
        &self,
        options: &SessionOptions<'_>,
        handler: impl CopilotHandler,
    ) -> Result<Session, CopilotError> {
        let id = SessionId::random();
        let inner = &self.inner;
        let json = session_options(
            options,
            &handler,
            &inner.config,
            inner.settings.transmit_buffer,
        )?;
        let handler: Box<dyn CopilotHandler> = Box::new(handler);
        let open_id = id.clone();
        let handle = ask(&inner.commands, |reply| Command::Open {
            id: open_id,
            options: json,
            handler,
            reply,
        })
        .await?;
        Ok(Session {
            handle,
            id,
            inner: Arc::clone(&self.inner),
        })
    }

    /// Ends the conversation: destroys the sessions, stops the CLI (or, over TCP, leaves it),
    /// and waits until the connection is closed and a spawned CLI has exited (killed if it
    /// does not within the shutdown timeout).
    pub async fn shutdown(&self) -> Result<(), CopilotError> {
        ask(&self.inner.commands, |reply| Command::Shutdown { reply }).await
    }
}

/// Tells the machine that nobody waits for a turn any more, unless disarmed.
struct CancelOnDrop<'a> {
    commands: &'a mpsc::UnboundedSender<Command>,
    ticket: u64,
    armed: bool,
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            let ticket = self.ticket;
            let _ = self.commands.send(Command::Cancel { ticket });
        }
    }
}

impl Session {
    /// The session's id.
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// Sends `prompt` and waits for the turn to end: its reply (the text of the last
    /// assistant message, and that event), or why it failed.
    ///
    /// Dropping the future before it is done cancels the turn: the request is cancelled
    /// (`$/cancelRequest`) if still pending, and the turn aborted (`session.abort`).
    pub async fn send_and_wait(&self, prompt: &str) -> Result<Reply, CopilotError> {
        let commands = &self.inner.commands;
        let ticket = self.inner.tickets.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        let send = Command::Send {
            session: self.handle,
            ticket,
            prompt: prompt.to_string(),
            reply: Respond::Tokio(reply),
        };
        commands.send(send).map_err(|_| CopilotError::Closed)?;
        let mut guard = CancelOnDrop {
            commands,
            ticket,
            armed: true,
        };
        let outcome = answer.await.unwrap_or(Err(CopilotError::Closed));
        guard.armed = false;
        outcome
    }

    /// [`send_and_wait`](Self::send_and_wait), with the reply read as JSON into `T` (ask the
    /// model for JSON in the prompt).
    pub async fn send_and_wait_typed<T: DeserializeOwned>(
        &self,
        prompt: &str,
    ) -> Result<T, CopilotError> {
        self.send_and_wait(prompt).await?.parse()
    }

    /// Aborts the turn in progress (`session.abort`); its `send_and_wait` ends with
    /// [`CopilotError::Aborted`].
    pub fn abort(&self) {
        let session = self.handle;
        let _ = self.inner.commands.send(Command::Abort { session });
    }

    /// The session's events from now on, copied (one allocation each) for the task that
    /// reads them; the stream ends with the session. Handlers see the same events borrowed,
    /// without a copy.
    pub fn events(&self) -> EventStream {
        let (sink, events) = mpsc::unbounded_channel();
        let session = self.handle;
        let sink = Sink::Tokio(sink);
        let _ = self.inner.commands.send(Command::Watch { session, sink });
        EventStream { events }
    }

    /// Destroys the session (`session.destroy`) and waits for the CLI's answer.
    pub async fn destroy(&self) -> Result<(), CopilotError> {
        let session = self.handle;
        ask(&self.inner.commands, |reply| Command::Destroy {
            session,
            reply,
        })
        .await
    }
}

/// A spawned CLI, for the error when it is gone.
struct ChildPeer {
    child: Arc<Mutex<Child>>,
    stderr: StderrTail,
}

impl Peer for ChildPeer {
    fn ended(&mut self) -> CopilotError {
        let status = self
            .child
            .lock()
            .ok()
            .and_then(|mut c| c.try_wait().ok().flatten());
        CopilotError::CliExited {
            status,
            stderr: self.stderr.lines(),
        }
    }
}

/// Waits up to `grace` for the CLI to exit, then kills it and waits for that.
async fn reap(child: &Mutex<Child>, grace: Duration) {
    let exited = || {
        child
            .lock()
            .map(|mut c| !matches!(c.try_wait(), Ok(None)))
            .unwrap_or(true)
    };
    let started = ::tokio::time::Instant::now();
    while !exited() {
        if started.elapsed() >= grace {
            if let Ok(mut c) = child.lock() {
                let _ = c.start_kill();
            }
            let killed = ::tokio::time::Instant::now();
            while !exited() && killed.elapsed() < Duration::from_secs(5) {
                ::tokio::time::sleep(Duration::from_millis(10)).await;
            }
            return;
        }
        ::tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The machine's task.
#[allow(clippy::too_many_arguments)]
async fn run<R, W>(
    mut reader: R,
    writer: W,
    mut commands: mpsc::UnboundedReceiver<Command>,
    settings: Settings,
    mode: ShutdownMode,
    peer: Box<dyn Peer>,
    child: Option<Arc<Mutex<Child>>>,
    connected: Respond<Result<(), CopilotError>>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let epoch = ::tokio::time::Instant::now();
    let now = || Instant::from_millis(epoch.elapsed().as_millis() as u64);
    let (mut tx, mut rx) = (
        vec![0u8; settings.transmit_buffer],
        vec![0u8; settings.receive_buffer],
    );
    let config = settings.config();
    let mut machine = match Machine::new(&mut tx, &mut rx, config, &settings, mode, peer) {
        Ok(machine) => machine,
        Err(e) => return connected.send(Err(e)),
    };
    machine.connect(now(), settings.connection_token.as_deref(), connected);
    let mut writer = Some(writer);
    let (mut input_ended, mut commands_ended) = (false, false);
    loop {
        if machine.wants_transmit() {
            match writer.as_mut() {
                Some(w) => match w.write(machine.transmit_bytes()).await {
                    Ok(n) if n > 0 => {
                        machine.transmitted(n);
                        if !machine.wants_transmit() && w.flush().await.is_err() {
                            writer = None;
                        }
                    }
                    // The peer is gone: its end of input follows.
                    _ => writer = None,
                },
                None => {
                    let n = machine.transmit_bytes().len();
                    machine.transmitted(n);
                }
            }
            continue;
        }
        if machine.may_close_writer()
            && let Some(mut w) = writer.take()
        {
            let _ = w.shutdown().await;
        }
        let t = now();
        if machine.deliver(t) || machine.wants_transmit() {
            continue;
        }
        if machine.is_closed() {
            break;
        }
        let deadline = machine.deadline();
        if deadline.is_some_and(|d| d <= t) {
            if machine.expire(t) {
                machine.abandon();
                break;
            }
            continue;
        }
        let wake = deadline.map(|d| epoch + Duration::from_millis(d.as_millis()));
        let room = !machine.receive_buffer().is_empty();
        ::tokio::select! {
            read = reader.read(machine.receive_buffer()), if room && !input_ended => match read {
                Ok(n) if n > 0 => machine.received(n),
                _ => {
                    input_ended = true;
                    machine.end_of_input();
                }
            },
            command = commands.recv(), if !commands_ended => match command {
                Some(command) => machine.command(now(), command),
                None => {
                    // Nobody can ask anything any more: shut down.
                    commands_ended = true;
                    let (reply, _) = oneshot::channel();
                    let reply = Respond::Tokio(reply);
                    machine.command(now(), Command::Shutdown { reply });
                }
            },
            _ = ::tokio::time::sleep_until(wake.unwrap_or(epoch)), if wake.is_some() => {}
        }
    }
    if let Some(mut w) = writer.take() {
        let _ = w.shutdown().await;
    }
    drop(reader);
    if let Some(child) = child {
        reap(&child, EXIT_GRACE.min(settings.shutdown_timeout)).await;
    }
    for reply in machine.take_finished() {
        reply.send(Ok(()));
    }
    // Commands already queued get their answer; later ones find the channel closed.
    commands.close();
    while let Ok(command) = commands.try_recv() {
        machine.command(now(), command);
        for reply in machine.take_finished() {
            reply.send(Ok(()));
        }
    }
}
