//! (features `sim`, `tokio`) The simulated CLI in a tokio task, behind an in-memory duplex
//! stream.

use std::vec;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use crate::sim::{Sim, SimConfig};

/// Runs a simulated CLI with up to `S` sessions in a tokio task; returns the client's end of
/// the stream (split it with `tokio::io::split` for a reader and a writer). The task ends
/// when the client closes its end, or once the CLI has stopped (`runtime.shutdown`).
pub fn duplex<const S: usize>(config: SimConfig<'static>) -> DuplexStream {
    let (client, mut cli) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
        let mut sim: Sim<'_, S> = Sim::new(&mut rx, &mut tx, config);
        loop {
            sim.poll();
            if !sim.transmit_bytes().is_empty() {
                if cli.write_all(sim.transmit_bytes()).await.is_err() {
                    return;
                }
                let n = sim.transmit_bytes().len();
                sim.transmitted(n);
                continue;
            }
            if sim.stopped() {
                return;
            }
            match cli.read(sim.receive_buffer()).await {
                Ok(n) if n > 0 => sim.received(n),
                _ => return,
            }
        }
    });
    client
}
