//! (feature `std`) The simulated CLI on a thread, behind in-memory pipes: for tests and
//! examples that use a blocking driver.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver};
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
/// writer is dropped.
pub fn spawn<const S: usize>(config: SimConfig<'static>) -> (PipeReader, PipeWriter) {
    let (client_reader, sim_writer) = pipe();
    let (mut sim_reader, client_writer) = pipe();
    thread::spawn(move || {
        let mut sim_writer = sim_writer;
        let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
        let mut sim: Sim<'_, S> = Sim::new(&mut rx, &mut tx, config);
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
