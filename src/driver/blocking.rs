//! [`BlockingDriver`] (feature `std`): a [`Client`] over any `std::io::{Read, Write}` pair: a
//! child process's pipes, a TCP stream, in-memory pipes.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time;
use std::vec;
use std::vec::Vec;

use crate::driver::{Next, Polled, next_step};
use crate::{Client, Event, Inbox, Instant, Shutdown, ShutdownMode};

/// Bytes read per chunk by the reader thread.
const CHUNK: usize = 16 * 1024;

/// Drives a [`Client`] over a blocking reader and writer.
///
/// The reader is moved to a thread that forwards what it reads through a channel holding at
/// most two chunks, so [`next_event`](Self::next_event) can wait for input *or* a deadline.
/// Time is the driver's own monotonic clock ([`now`](Self::now)).
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// use copilot_sansio::driver::{Polled, connect_tcp};
/// use copilot_sansio::{Client, Config, Connect, Event, Inbox};
///
/// // A CLI serving TCP: `copilot --headless --port 4321`.
/// let mut driver = connect_tcp("127.0.0.1:4321")?;
/// let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 16 * 1024]);
/// let mut inbox = Inbox::new(&mut rx);
/// let mut client: Client<'_> = Client::new(&mut tx, Config::default()).unwrap();
/// client.connect(driver.now(), &Connect::default()).unwrap();
/// // Give up if nothing comes within five seconds.
/// let deadline = driver.now().add_millis(5_000);
/// while let Polled::Event(event) = driver.next_event(&mut client, &mut inbox, Some(deadline))? {
///     if let Event::Connected { protocol_version, .. } = event {
///         println!("connected, protocol {protocol_version}");
///         break;
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct BlockingDriver<W: Write> {
    chunks: Receiver<io::Result<Vec<u8>>>,
    /// A chunk not yet (fully) taken by the inbox, and how much of it was.
    pending: Option<(Vec<u8>, usize)>,
    writer: Option<W>,
    epoch: time::Instant,
}

impl<W: Write> BlockingDriver<W> {
    /// Starts the reader thread; the driver writes to `writer`.
    pub fn new<R: Read + Send + 'static>(mut reader: R, writer: W) -> Self {
        let (tx, chunks) = mpsc::sync_channel(2);
        thread::spawn(move || {
            loop {
                let mut buf = vec![0u8; CHUNK];
                match reader.read(&mut buf) {
                    Ok(n) => {
                        buf.truncate(n);
                        let end = n == 0;
                        if tx.send(Ok(buf)).is_err() || end {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        BlockingDriver {
            chunks,
            pending: None,
            writer: Some(writer),
            epoch: time::Instant::now(),
        }
    }

    /// Milliseconds since the driver started: the time to pass to the client, and the clock
    /// of every deadline given to the driver.
    pub fn now(&self) -> Instant {
        Instant::from_millis(self.epoch.elapsed().as_millis() as u64)
    }

    /// Writes everything the client has queued. Once the writing side is closed, what the
    /// client queues is discarded.
    pub fn flush<const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
    ) -> io::Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            let n = client.transmit_bytes().len();
            client.transmitted(n);
            return Ok(());
        };
        while client.wants_transmit() {
            let n = writer.write(client.transmit_bytes())?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            client.transmitted(n);
        }
        writer.flush()
    }

    /// The writer, unless closed (e.g. to write bytes that are not the client's).
    pub fn writer_mut(&mut self) -> Option<&mut W> {
        self.writer.as_mut()
    }

    /// Closes the writing side (drops the writer: the peer sees the end of its input).
    pub fn close_write(&mut self) {
        self.writer = None;
    }

    /// The next event: writes what the client queued, then waits for input, for a request's
    /// deadline, or for `deadline` (the caller's; `None`: no limit), whichever comes first.
    /// [`Polled::Closed`] once the connection is closed (after [`Event::Closed`]). A read
    /// error ends the input (the client then delivers its closing events); a write error is
    /// returned.
    pub fn next_event<'i, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        inbox: &'i mut Inbox<'_>,
        deadline: Option<Instant>,
    ) -> io::Result<Polled<'i>> {
        loop {
            let now = self.now();
            match next_step(client, inbox, now, deadline) {
                Next::Write => self.flush(client)?,
                Next::Closed => return Ok(Polled::Closed),
                Next::Deliver => break,
                Next::DeadlinePassed => return Ok(Polled::DeadlinePassed),
                Next::Expire => client.handle_timeout(now),
                Next::Wait(until) => self.receive(inbox, now, until)?,
            }
        }
        let now = self.now();
        client
            .poll_event(inbox, now)
            .map(Polled::Event)
            .ok_or_else(|| io::Error::other("the client made no progress (a bug)"))
    }

    /// Moves input into the inbox: what is left of the last chunk, else the next chunk to
    /// arrive before `until`.
    fn receive(
        &mut self,
        inbox: &mut Inbox<'_>,
        now: Instant,
        until: Option<Instant>,
    ) -> io::Result<()> {
        if let Some((chunk, taken)) = self.pending.take() {
            let n = inbox.push(chunk.get(taken..).unwrap_or(&[]));
            if taken + n < chunk.len() {
                if n == 0 {
                    return Err(io::Error::other("inbox full without a frame to deliver"));
                }
                self.pending = Some((chunk, taken + n));
            }
            return Ok(());
        }
        let received = match until {
            Some(at) => {
                let wait = at.as_millis().saturating_sub(now.as_millis());
                self.chunks.recv_timeout(time::Duration::from_millis(wait))
            }
            None => self
                .chunks
                .recv()
                .map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(Ok(chunk)) if chunk.is_empty() => inbox.close(),
            Ok(Ok(chunk)) => self.pending = Some((chunk, 0)),
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => inbox.close(),
            // The loop looks at the clock again.
            Err(RecvTimeoutError::Timeout) => {}
        }
        Ok(())
    }

    /// Ends the conversation politely ([`Client::shutdown`]): destroys this client's active
    /// sessions (and, with [`ShutdownMode::StopCli`], stops the CLI), waits for the answers,
    /// closes the writing side, and takes events until the connection closes; all before
    /// `deadline`. Events received meanwhile go to `on_event` with the client, so server
    /// requests still arriving (the CLI may read or write session files through `sessionFs.*`
    /// while it destroys a session) can be answered.
    pub fn shutdown<'b, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'b, S, P>,
        inbox: &mut Inbox<'_>,
        mode: ShutdownMode,
        deadline: Instant,
        mut on_event: impl FnMut(&mut Client<'b, S, P>, &Event<'_>),
    ) -> io::Result<Shutdown<S>> {
        let mut shutdown = client.shutdown(self.now(), deadline, mode);
        while !shutdown.closed {
            if shutdown.answered() && self.writer.is_some() {
                self.flush(client)?;
                self.close_write();
            }
            let Polled::Event(event) = self.next_event(client, inbox, Some(deadline))? else {
                break;
            };
            shutdown.on_event(&event);
            on_event(client, &event);
        }
        self.close_write();
        Ok(shutdown)
    }
}
