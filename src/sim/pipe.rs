//! (feature `std`) The simulated CLI on a thread, behind in-memory pipes: for tests and
//! examples that use a blocking driver.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::vec;
use std::vec::Vec;

use super::{Sim, SimConfig};

/// Bytes read per chunk from the client.
const CHUNK: usize = 16 * 1024;

/// A reader and a writer joined by an in-memory pipe (blocking, unbounded).
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

/// Runs a simulated CLI holding up to `S` sessions on a thread, over pipes; returns the
/// client's reader and writer (give them to a
/// [`BlockingDriver`](crate::driver::BlockingDriver)). The thread ends when the client's
/// writer is dropped, or when the simulated CLI stops after `runtime.shutdown` (the client's
/// input ends then, as when the real CLI exits).
pub fn spawn<const S: usize>(config: SimConfig<'static>) -> (PipeReader, PipeWriter) {
    let (client_reader, sim_writer) = pipe();
    let (sim_reader, client_writer) = pipe();
    thread::spawn(move || {
        let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
        let mut sim: Sim<'_, S> = Sim::new(&mut rx, &mut tx, config);
        let mut link = Link {
            reader: sim_reader,
            writer: Arc::new(Mutex::new(Some(sim_writer))),
        };
        let mut buf = vec![0u8; CHUNK];
        while link.serve(&mut sim, &mut buf) {}
    });
    (client_reader, client_writer)
}

/// A simulated CLI that several clients join, as a CLI serving TCP (`--port`) does: see
/// [`spawn_shared`].
pub struct SharedSim {
    joins: mpsc::Sender<(PipeReader, PipeWriter)>,
}

impl SharedSim {
    /// A new connection to this CLI: the client's reader and writer. Each connection holds
    /// its own sessions; `runtime.shutdown` on any of them stops the CLI and ends them all.
    /// Once the CLI has stopped, the connection ends at once.
    pub fn connect(&self) -> (PipeReader, PipeWriter) {
        let (client_reader, sim_writer) = pipe();
        let (sim_reader, client_writer) = pipe();
        // If the CLI has stopped, the pipes are dropped here and the client's input ends.
        let _ = self.joins.send((sim_reader, sim_writer));
        (client_reader, client_writer)
    }
}

/// Runs a simulated CLI that several clients join ([`SharedSim::connect`]), each on a
/// thread of its own with up to `S` sessions: a client that leaves (closes its connection)
/// ends only its own connection; `runtime.shutdown` from any client stops the whole CLI,
/// which ends every connection, as the real CLI exits.
pub fn spawn_shared<const S: usize>(config: SimConfig<'static>) -> SharedSim {
    let (joins, joined) = mpsc::channel::<(PipeReader, PipeWriter)>();
    // The writers of every connection, so that the one that stops the CLI ends them all.
    let writers: Arc<Mutex<Vec<SharedWriter>>> = Arc::default();
    let stopped = Arc::new(AtomicBool::new(false));
    thread::spawn(move || {
        for (reader, writer) in joined {
            if stopped.load(Ordering::SeqCst) {
                return;
            }
            let writer = Arc::new(Mutex::new(Some(writer)));
            if let Ok(mut all) = writers.lock() {
                all.push(Arc::clone(&writer));
            }
            let (stopped, writers) = (Arc::clone(&stopped), Arc::clone(&writers));
            thread::spawn(move || {
                let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
                let mut sim: Sim<'_, S> = Sim::new(&mut rx, &mut tx, config);
                let mut buf = vec![0u8; CHUNK];
                let mut link = Link { reader, writer };
                while !stopped.load(Ordering::SeqCst) && link.serve(&mut sim, &mut buf) {}
                let all = if sim.stopped() {
                    // The CLI exits: every connection ends.
                    stopped.store(true, Ordering::SeqCst);
                    writers.lock().map(|w| w.clone()).unwrap_or_default()
                } else {
                    vec![link.writer]
                };
                for w in all {
                    if let Ok(mut w) = w.lock() {
                        *w = None;
                    }
                }
            });
        }
    });
    SharedSim { joins }
}

/// The simulated CLI's end of a connection, which the thread of another connection may close.
type SharedWriter = Arc<Mutex<Option<PipeWriter>>>;

/// One connection of a simulated CLI: its side of the two pipes. Dropping the writer (or
/// setting it to `None`) ends the client's input.
struct Link {
    reader: PipeReader,
    writer: SharedWriter,
}

impl Link {
    /// Writes what `sim` has to say, then feeds it one read of the client's bytes; false once
    /// the connection is over (the client left, or the simulated CLI stopped).
    fn serve<const S: usize>(&mut self, sim: &mut Sim<'_, S>, buf: &mut [u8]) -> bool {
        if !self.write_out(sim) {
            return false;
        }
        let n = match self.reader.read(buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let mut at = 0;
        while at < n {
            at += sim.push(buf.get(at..n).unwrap_or(&[]));
            if !self.write_out(sim) {
                return false;
            }
        }
        true
    }

    /// Polls `sim` and writes its bytes until it has nothing more; false if the client is
    /// gone or the simulated CLI stopped.
    fn write_out<const S: usize>(&mut self, sim: &mut Sim<'_, S>) -> bool {
        let Ok(mut writer) = self.writer.lock() else {
            return false;
        };
        let Some(writer) = writer.as_mut() else {
            return false;
        };
        sim.poll();
        while !sim.transmit_bytes().is_empty() {
            if writer.write_all(sim.transmit_bytes()).is_err() {
                return false;
            }
            let n = sim.transmit_bytes().len();
            sim.transmitted(n);
            sim.poll();
        }
        !sim.stopped()
    }
}
