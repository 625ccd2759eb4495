//! (feature `std`) The blocking [`Copilot`]: the machine runs on a thread of its own, fed by a
//! reader thread; the `Copilot` and its [`Session`]s ask it through a channel.

use std::boxed::Box;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::string::ToString;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{self, Duration};
use std::vec;
use std::vec::Vec;

use serde::de::DeserializeOwned;

use crate::driver::copilot::commands::{Command, Connection, Peer, Respond, session_options};
use crate::driver::copilot::machine::Machine;
use crate::driver::copilot::{CopilotError, CopilotHandler, OwnedEvent, Reply, Settings};
use crate::driver::{CliCommand, CliProcess, TcpWriter};
use crate::proto::SessionId;
use crate::proto::params::SessionOptions;
use crate::{Config, Instant, SessionHandle, ShutdownMode};

/// Bytes read at a time by the reader thread.
const CHUNK: usize = 16 * 1024;

/// How long a CLI may take to exit once its input is closed, before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// What the machine's thread receives: input, or a command.
enum Msg {
    Input(Vec<u8>),
    End,
    Command(Command),
}

/// A connection to the Copilot CLI, blocking: it starts the CLI (or attaches to one), and
/// owns the buffers, the clock and the loop that drains the connection, on a thread of its
/// own. Create sessions with [`create_session`](Self::create_session); end with
/// [`shutdown`](Self::shutdown) (dropping it does the same).
///
/// ```
/// use copilot_sansio::blocking::{Copilot, Handlers};
/// use copilot_sansio::proto::params::SessionOptions;
/// use copilot_sansio::sim::{self, ModelReply, SimConfig};
///
/// # fn main() -> Result<(), copilot_sansio::blocking::CopilotError> {
/// static REPLIES: [ModelReply<'static>; 1] = [ModelReply::Text("Hello!")];
/// let (reader, writer) = sim::spawn::<4>(SimConfig::default().replies(&REPLIES));
/// let copilot = Copilot::attach(reader, writer)?;
/// let session = copilot.create_session(&SessionOptions::default(), Handlers::new())?;
/// assert_eq!(session.send_and_wait("Hi")?.text, "Hello!");
/// copilot.shutdown()
/// # }
/// ```
#[derive(Debug)]
pub struct Copilot {
    commands: SyncSender<Msg>,
    config: Config,
    settings: Settings,
    stopped: bool,
    pid: Option<u32>,
}

/// A session of a [`Copilot`]: send prompts and wait for the replies, watch its events,
/// destroy it. Its handler runs on the `Copilot`'s thread: do not call the session from it.
#[derive(Debug, Clone)]
pub struct Session {
    handle: SessionHandle,
    id: SessionId,
    commands: SyncSender<Msg>,
}

impl core::fmt::Debug for Msg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Msg::Input(_) => "Input",
            Msg::End => "End",
            Msg::Command(_) => "Command",
        })
    }
}

/// Sends a command made with a reply channel and waits for the answer.
fn ask<T>(
    commands: &SyncSender<Msg>,
    command: impl FnOnce(Respond<Result<T, CopilotError>>) -> Command,
) -> Result<T, CopilotError> {
    let (reply, answer) = mpsc::channel();
    commands
        .send(Msg::Command(command(Respond::Std(reply))))
        .map_err(|_| CopilotError::Closed)?;
    answer.recv().unwrap_or(Err(CopilotError::Closed))
}

impl Copilot {
    /// Starts the CLI `cli` describes and connects to it.
    pub fn spawn(cli: &CliCommand) -> Result<Copilot, CopilotError> {
        Copilot::spawn_with(cli, Settings::default())
    }

    /// [`spawn`](Self::spawn) with `settings`.
    pub fn spawn_with(cli: &CliCommand, settings: Settings) -> Result<Copilot, CopilotError> {
        let mode = settings.shutdown_mode.unwrap_or(ShutdownMode::StopCli);
        let mut child = cli
            .command()
            .spawn()
            .map_err(|e| CopilotError::of_spawn(cli.program().into(), e))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(CopilotError::Io(io::Error::other(
                "the CLI's stdio is not piped",
            )));
        };
        let stderr = crate::driver::process::StderrTail::default();
        if let Some(pipe) = child.stderr.take() {
            stderr.follow(pipe);
        }
        let pid = child.id();
        let process = Arc::new(Mutex::new(CliProcess { child, stderr }));
        let peer = Box::new(ProcessPeer {
            process: Arc::clone(&process),
            seen: None,
        });
        let mut copilot = Copilot::start(stdout, stdin, settings, mode, peer, Some(process))?;
        copilot.pid = Some(pid);
        Ok(copilot)
    }

    /// Connects over any reader and writer (a CLI's pipes, a simulated CLI, ...). The shutdown
    /// destroys this connection's sessions and closes it, leaving the CLI running (it may have
    /// other clients); to stop it too, set [`Settings::shutdown_mode`] to
    /// [`ShutdownMode::StopCli`] and attach with [`attach_with`](Self::attach_with).
    pub fn attach<R, W>(reader: R, writer: W) -> Result<Copilot, CopilotError>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        Copilot::attach_with(reader, writer, Settings::default())
    }

    /// [`attach`](Self::attach) with `settings`.
    pub fn attach_with<R, W>(
        reader: R,
        writer: W,
        settings: Settings,
    ) -> Result<Copilot, CopilotError>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let peer = Box::new(Connection);
        let mode = settings.shutdown_mode.unwrap_or(ShutdownMode::Leave);
        Copilot::start(reader, writer, settings, mode, peer, None)
    }

    /// Connects to a CLI serving TCP (`copilot --headless --port N`), with the connection token
    /// of `settings` if it needs one. The shutdown leaves the CLI running for its other
    /// clients, destroying only this connection's sessions (unless
    /// [`Settings::shutdown_mode`] says otherwise).
    pub fn connect_tcp(
        addr: impl ToSocketAddrs,
        settings: Settings,
    ) -> Result<Copilot, CopilotError> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let reader = stream.try_clone()?;
        Copilot::attach_with(reader, TcpWriter(stream), settings)
    }

    fn start<R, W>(
        reader: R,
        writer: W,
        settings: Settings,
        mode: ShutdownMode,
        peer: Box<dyn Peer>,
        process: Option<Arc<Mutex<CliProcess>>>,
    ) -> Result<Copilot, CopilotError>
    where
        R: Read + Send + 'static,
        W: Write + Send + 'static,
    {
        let (commands, msgs) = mpsc::sync_channel(8);
        let (recycle, recycled) = mpsc::sync_channel(4);
        let input = commands.clone();
        thread::spawn(move || read_into(reader, input, recycled));
        let (connected, outcome) = mpsc::channel();
        let config = settings.config();
        let actor_settings = settings.clone();
        thread::spawn(move || {
            run(
                msgs,
                recycle,
                writer,
                &actor_settings,
                mode,
                peer,
                process,
                Respond::Std(connected),
            )
        });
        let copilot = Copilot {
            commands,
            config,
            settings,
            stopped: false,
            pid: None,
        };
        match outcome.recv().unwrap_or(Err(CopilotError::Closed)) {
            Ok(()) => Ok(copilot),
            // Dropping it stops what was started.
            Err(e) => Err(e),
        }
    }

    /// The process id of the CLI it spawned, if it did.
    pub fn cli_process_id(&self) -> Option<u32> {
        self.pid
    }

    /// Creates a session with `options` and `handler` (its tools are declared in the
    /// options). The handler gets every event of the session from the moment the request is
    /// queued, those before the response included.
    pub fn create_session(
        &self,
        options: &SessionOptions<'_>,
        handler: impl CopilotHandler,
    ) -> Result<Session, CopilotError> {
        let id = SessionId::random();
        let json = session_options(
            options,
            &handler,
            &self.config,
            self.settings.transmit_buffer,
        )?;
        let handler: Box<dyn CopilotHandler> = Box::new(handler);
        let handle = ask(&self.commands, |reply| Command::Open {
            id: id.clone(),
            options: json,
            handler,
            reply,
        })?;
        Ok(Session {
            handle,
            id,
            commands: self.commands.clone(),
        })
    }

    /// Ends the conversation: destroys the sessions, stops the CLI (or, over TCP, leaves it),
    /// and waits until the connection is closed and a spawned CLI has exited (killed if it
    /// does not within the shutdown timeout).
    pub fn shutdown(mut self) -> Result<(), CopilotError> {
        self.stopped = true;
        ask(&self.commands, |reply| Command::Shutdown { reply })
    }
}

impl Drop for Copilot {
    fn drop(&mut self) {
        if !self.stopped {
            let _ = ask(&self.commands, |reply| Command::Shutdown { reply });
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
    pub fn send_and_wait(&self, prompt: &str) -> Result<Reply, CopilotError> {
        let prompt = prompt.to_string();
        let session = self.handle;
        ask(&self.commands, |reply| Command::Send {
            session,
            ticket: 0,
            prompt,
            reply,
        })
    }

    /// [`send_and_wait`](Self::send_and_wait), with the reply read as JSON into `T` (ask the
    /// model for JSON in the prompt).
    pub fn send_and_wait_typed<T: DeserializeOwned>(
        &self,
        prompt: &str,
    ) -> Result<T, CopilotError> {
        self.send_and_wait(prompt)?.parse()
    }

    /// Aborts the turn in progress (`session.abort`); its `send_and_wait` ends with
    /// [`CopilotError::Aborted`].
    pub fn abort(&self) {
        let session = self.handle;
        let _ = self.commands.send(Msg::Command(Command::Abort { session }));
    }

    /// The session's events from now on, copied (one allocation each), for another thread.
    /// The stream ends when the session does.
    pub fn events(&self) -> Receiver<OwnedEvent> {
        let (sink, events) = mpsc::channel();
        let session = self.handle;
        let sink = crate::driver::copilot::commands::Sink::Std(sink);
        let _ = self
            .commands
            .send(Msg::Command(Command::Watch { session, sink }));
        events
    }

    /// Destroys the session (`session.destroy`) and waits for the CLI's answer.
    pub fn destroy(self) -> Result<(), CopilotError> {
        let session = self.handle;
        ask(&self.commands, |reply| Command::Destroy { session, reply })
    }
}

/// The reader thread: chunks of input to the machine's thread, reusing the buffers it gives
/// back.
fn read_into(mut reader: impl Read, input: SyncSender<Msg>, recycled: Receiver<Vec<u8>>) {
    loop {
        let mut buf = recycled.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                buf.truncate(n);
                if input.send(Msg::Input(buf)).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = input.send(Msg::End);
}

/// A spawned CLI, for the error when it is gone.
struct ProcessPeer {
    process: Arc<Mutex<CliProcess>>,
    seen: Option<(Option<std::process::ExitStatus>, Vec<std::string::String>)>,
}

impl Peer for ProcessPeer {
    fn ended(&mut self) -> CopilotError {
        let (status, stderr) = self.seen.get_or_insert_with(|| {
            let Ok(mut process) = self.process.lock() else {
                return (None, Vec::new());
            };
            let mut status = None;
            for _ in 0..50 {
                if let Ok(Some(s)) = process.try_status() {
                    status = Some(s);
                    break;
                }
                thread::sleep(Duration::from_millis(10));
            }
            process.stderr.wait_for_end(Duration::from_millis(500));
            (status, process.stderr_tail())
        });
        CopilotError::CliExited {
            status: *status,
            stderr: stderr.clone(),
        }
    }
}

/// Waits up to `grace` for the CLI to exit, then kills it.
fn reap(process: &Mutex<CliProcess>, grace: Duration) {
    let Ok(mut process) = process.lock() else {
        return;
    };
    let started = time::Instant::now();
    while started.elapsed() < grace {
        if let Ok(Some(_)) = process.try_status() {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
    let _ = process.child.kill();
    let _ = process.child.wait();
}

/// Writes out everything the machine has queued.
fn write_out(writer: &mut impl Write, machine: &mut Machine<'_>) -> io::Result<()> {
    while machine.wants_transmit() {
        let n = writer.write(machine.transmit_bytes())?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        machine.transmitted(n);
    }
    writer.flush()
}

/// The machine's thread.
#[allow(clippy::too_many_arguments)]
fn run<W: Write>(
    msgs: Receiver<Msg>,
    recycle: SyncSender<Vec<u8>>,
    writer: W,
    settings: &Settings,
    mode: ShutdownMode,
    peer: Box<dyn Peer>,
    process: Option<Arc<Mutex<CliProcess>>>,
    connected: Respond<Result<(), CopilotError>>,
) {
    let epoch = time::Instant::now();
    let now = || Instant::from_millis(epoch.elapsed().as_millis() as u64);
    let (mut tx, mut rx) = (
        vec![0u8; settings.transmit_buffer],
        vec![0u8; settings.receive_buffer],
    );
    let mut machine = match Machine::new(&mut tx, &mut rx, settings.config(), settings, mode, peer)
    {
        Ok(machine) => machine,
        Err(e) => return connected.send(Err(e)),
    };
    machine.connect(now(), settings.connection_token.as_deref(), connected);
    let mut writer = Some(writer);
    let mut pending: Option<(Vec<u8>, usize)> = None;
    loop {
        if machine.wants_transmit() {
            match writer.as_mut() {
                Some(w) => {
                    if write_out(w, &mut machine).is_err() {
                        // The peer is gone: its end of input follows.
                        writer = None;
                    }
                }
                None => {
                    let n = machine.transmit_bytes().len();
                    machine.transmitted(n);
                }
            }
            continue;
        }
        if machine.may_close_writer() {
            writer = None;
        }
        let t = now();
        if machine.deliver(t) || machine.wants_transmit() {
            continue;
        }
        if machine.is_closed() {
            break;
        }
        if let Some((chunk, taken)) = pending.take() {
            let n = machine.push(chunk.get(taken..).unwrap_or(&[]));
            if taken + n < chunk.len() {
                pending = Some((chunk, taken + n));
            } else {
                let _ = recycle.try_send(chunk);
            }
            if n > 0 {
                continue;
            }
        }
        let deadline = machine.deadline();
        if deadline.is_some_and(|d| d <= t) {
            if machine.expire(t) {
                machine.abandon();
                break;
            }
            continue;
        }
        let msg = match deadline {
            Some(d) => msgs.recv_timeout(Duration::from_millis(
                d.as_millis().saturating_sub(t.as_millis()),
            )),
            None => msgs.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match msg {
            Ok(Msg::Input(chunk)) => pending = Some((chunk, 0)),
            Ok(Msg::End) => machine.end_of_input(),
            Ok(Msg::Command(command)) => machine.command(now(), command),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                machine.abandon();
                break;
            }
        }
    }
    drop(writer);
    if let Some(process) = process {
        reap(&process, EXIT_GRACE.min(settings.shutdown_timeout));
    }
    for reply in machine.take_finished() {
        reply.send(Ok(()));
    }
    // Commands already queued get their answer; later ones find the channel closed.
    while let Ok(msg) = msgs.try_recv() {
        if let Msg::Command(command) = msg {
            machine.command(now(), command);
            for reply in machine.take_finished() {
                reply.send(Ok(()));
            }
        }
    }
}
