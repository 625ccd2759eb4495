//! [`Conn`]: a client and its inbox over leaked buffers, fed and drained by tests.

use copilot_sansio::{Client, Config, Inbox, Instant};

use super::events::Ev;

/// The time tests pass to the client when time does not matter.
pub const NOW: Instant = Instant::from_millis(0);

/// A client and its inbox over leaked buffers (tests only).
pub struct Conn<const S: usize, const P: usize> {
    pub inbox: Inbox<'static>,
    pub client: Client<'static, S, P>,
    /// Output taken out early because the client was waiting for room.
    drained: Vec<u8>,
}

pub fn leak(len: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; len].into_boxed_slice())
}

impl<const S: usize, const P: usize> Conn<S, P> {
    pub fn new(rx: usize, tx: usize, config: Config) -> Self {
        Conn {
            inbox: Inbox::new(leak(rx)),
            client: Client::new(leak(tx), config).expect("client"),
            drained: Vec::new(),
        }
    }

    /// Polls until the client has nothing more to deliver.
    pub fn poll(&mut self) -> Vec<Ev> {
        let mut out = Vec::new();
        while let Some(e) = self.client.poll_event(&mut self.inbox, NOW) {
            out.push(Ev::of(&e));
        }
        out
    }

    /// Feeds `bytes` in pieces of the sizes `chunk` returns, polling after each piece (and
    /// whenever the inbox is full).
    pub fn feed_with(&mut self, bytes: &[u8], chunk: &mut dyn FnMut() -> usize) -> Vec<Ev> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + chunk().max(1)).min(bytes.len());
            let mut piece = &bytes[at..end];
            while !piece.is_empty() {
                let n = self.inbox.push(piece);
                piece = &piece[n..];
                at += n;
                out.extend(self.poll());
                if n == 0 {
                    // The client is waiting for its output to be written.
                    assert!(self.client.wants_transmit(), "inbox full and client stuck");
                    let queued = self.client.transmit_bytes().to_vec();
                    self.client.transmitted(queued.len());
                    self.drained.extend(queued);
                }
            }
        }
        out
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Ev> {
        let len = bytes.len();
        self.feed_with(bytes, &mut || len)
    }

    /// Takes everything queued for the peer.
    pub fn output(&mut self) -> Vec<u8> {
        let mut bytes = std::mem::take(&mut self.drained);
        bytes.extend_from_slice(self.client.transmit_bytes());
        self.client.transmitted(self.client.transmit_bytes().len());
        bytes
    }

    pub fn output_text(&mut self) -> String {
        String::from_utf8(self.output()).expect("utf8 output")
    }

    /// Ends the input and collects the closing events.
    pub fn close(&mut self) -> Vec<Ev> {
        self.inbox.close();
        self.poll()
    }
}
