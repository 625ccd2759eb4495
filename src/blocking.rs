//! (feature `std`) A blocking driver for any `std::io::{Read, Write}` pair: a child process's
//! pipes, a TCP stream, in-memory pipes.

extern crate std;

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time;
use std::vec;
use std::vec::Vec;

use crate::client::Client;
use crate::event::Event;
use crate::farewell::Farewell;
use crate::inbox::Inbox;
use crate::time::Instant;

/// Bytes read per chunk by the reader thread.
const CHUNK: usize = 16 * 1024;

/// Drives a [`Client`] over a blocking reader and writer.
///
/// The reader is moved to a thread that forwards what it reads through a channel holding at
/// most two chunks, so [`next_event`](Self::next_event) can wait for input *or* the client's
/// next deadline. Time is the driver's own monotonic clock ([`now`](Self::now)).
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// use copilot_sansio::blocking::Blocking;
/// use copilot_sansio::{Client, Config, Connect, Event, Inbox};
///
/// let stream = std::net::TcpStream::connect("127.0.0.1:4321")?;
/// let mut driver = Blocking::new(stream.try_clone()?, stream);
/// let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 16 * 1024]);
/// let mut inbox = Inbox::new(&mut rx);
/// let mut client: Client<'_, 8, 16> = Client::new(&mut tx, Config::default()).unwrap();
/// client.connect(driver.now(), &Connect::default()).unwrap();
/// while let Some(event) = driver.next_event(&mut client, &mut inbox)? {
///     if let Event::Connected { protocol_version, .. } = event {
///         println!("connected, protocol {protocol_version}");
///         break;
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Blocking<W: Write> {
    chunks: Receiver<io::Result<Vec<u8>>>,
    /// A chunk not yet (fully) taken by the inbox, and how much of it was.
    pending: Option<(Vec<u8>, usize)>,
    writer: Option<W>,
    epoch: time::Instant,
}

impl<W: Write> Blocking<W> {
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
        Blocking {
            chunks,
            pending: None,
            writer: Some(writer),
            epoch: time::Instant::now(),
        }
    }

    /// Milliseconds since the driver started: the time to pass to the client.
    pub fn now(&self) -> Instant {
        Instant::from_millis(self.epoch.elapsed().as_millis() as u64)
    }

    /// Writes everything the client has queued.
    pub fn flush<const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
    ) -> io::Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            // Closed: what the client queues now has nowhere to go.
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

    /// Closes the writing side (drops the writer: the peer sees end of input). Bytes the
    /// client queues afterwards are discarded.
    pub fn close_write(&mut self) {
        self.writer = None;
    }

    /// The next event: writes what the client queued, then waits for input or the client's
    /// next deadline, whichever comes first. `Ok(None)` once the connection is closed (after
    /// [`Event::Closed`]). A read error ends the input (the client then delivers its closing
    /// events); a write error is returned.
    pub fn next_event<'i, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        inbox: &'i mut Inbox<'_>,
    ) -> io::Result<Option<Event<'i>>> {
        loop {
            self.flush(client)?;
            if client.is_closed() {
                return Ok(None);
            }
            if client.can_poll(inbox) {
                break;
            }
            if let Some((chunk, taken)) = self.pending.take() {
                let n = inbox.push(chunk.get(taken..).unwrap_or(&[]));
                if taken + n < chunk.len() {
                    if n == 0 {
                        return Err(io::Error::other("inbox full without a frame to deliver"));
                    }
                    self.pending = Some((chunk, taken + n));
                }
                continue;
            }
            let now = self.now();
            let received = match client.poll_timeout() {
                Some(deadline) if deadline <= now => {
                    client.handle_timeout(now);
                    continue;
                }
                Some(deadline) => {
                    let wait = time::Duration::from_millis(deadline.as_millis() - now.as_millis());
                    self.chunks.recv_timeout(wait)
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
                Err(RecvTimeoutError::Timeout) => client.handle_timeout(self.now()),
            }
        }
        let now = self.now();
        Ok(client.poll_event(inbox, now))
    }
}

impl<W: Write> Blocking<W> {
    /// Ends the conversation politely ([`Client::farewell`]): destroys the active sessions,
    /// sends `runtime.shutdown`, waits for their answers, closes the writing side, and takes
    /// events until the connection closes; all within `timeout`. Events received meanwhile go
    /// to `on_event` with the client, so server requests still arriving (the CLI may read or
    /// write session files through `sessionFs.*` while it destroys a session) can be answered.
    pub fn shutdown<'b, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'b, S, P>,
        inbox: &mut Inbox<'_>,
        timeout: time::Duration,
        mut on_event: impl FnMut(&mut Client<'b, S, P>, &Event<'_>),
    ) -> io::Result<Farewell<P>> {
        let deadline = self.now().add_millis(timeout.as_millis() as u64);
        let mut farewell = client.farewell(self.now(), deadline);
        while self.now() < deadline && !farewell.closed {
            if farewell.answered() && self.writer.is_some() {
                self.flush(client)?;
                self.close_write();
            }
            let Some(event) = self.next_event(client, inbox)? else {
                break;
            };
            farewell.on_event(&event);
            on_event(client, &event);
        }
        self.close_write();
        Ok(farewell)
    }
}

/// A reader and a writer joined by an in-memory pipe (blocking, unbounded): for tests and
/// examples that run the simulated CLI in a thread.
pub fn pipe() -> (PipeReader, PipeWriter) {
    let (tx, rx) = mpsc::channel();
    (
        PipeReader {
            rx,
            buf: Vec::new(),
            at: 0,
        },
        PipeWriter { tx },
    )
}

/// The reading end of [`pipe`].
pub struct PipeReader {
    rx: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    at: usize,
}

/// The writing end of [`pipe`]; dropping it ends the reader's input.
pub struct PipeWriter {
    tx: mpsc::Sender<Vec<u8>>,
}

impl Read for PipeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.buf.len() {
            match self.rx.recv() {
                Ok(buf) => {
                    self.buf = buf;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let rest = self.buf.get(self.at..).unwrap_or(&[]);
        let n = rest.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at += n;
        Ok(n)
    }
}

impl Write for PipeWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.tx
            .send(data.to_vec())
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs a simulated CLI on a thread, over pipes; returns the client's reader and writer.
#[cfg(feature = "sim")]
pub fn spawn_sim<const S: usize>(
    config: crate::sim::SimConfig<'static>,
) -> (PipeReader, PipeWriter) {
    let (client_reader, sim_writer) = pipe();
    let (mut sim_reader, client_writer) = pipe();
    thread::spawn(move || {
        let mut sim_writer = sim_writer;
        let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
        let mut sim: crate::sim::Sim<'_, S> = crate::sim::Sim::new(&mut rx, &mut tx, config);
        let mut buf = vec![0u8; CHUNK];
        loop {
            sim.poll();
            while !sim.transmit_bytes().is_empty() {
                if sim_writer.write_all(sim.transmit_bytes()).is_err() {
                    return;
                }
                let n = sim.transmit_bytes().len();
                sim.transmitted(n);
                sim.poll();
            }
            let n = match sim_reader.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let mut at = 0;
            while at < n {
                at += sim.push(buf.get(at..n).unwrap_or(&[]));
                sim.poll();
                if sim_writer.write_all(sim.transmit_bytes()).is_err() {
                    return;
                }
                let written = sim.transmit_bytes().len();
                sim.transmitted(written);
            }
        }
    });
    (client_reader, client_writer)
}
