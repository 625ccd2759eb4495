//! The transmit side: a caller-provided buffer of framed messages waiting to be written.

use crate::json::write::{SerializeFailed, Writer};
use crate::wire::header::{header_len, write_header};

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// It does not fit; `needed` is its total size if known.
    Full { needed: Option<usize>, free: usize },
    /// The body writer refused (e.g. parameters that are not an object).
    Rejected,
}

impl From<SerializeFailed> for FrameError {
    fn from(_: SerializeFailed) -> Self {
        FrameError::Rejected
    }
}

/// Framed messages waiting to be written: `buf[start..end]`. Frames are queued whole or not at
/// all.
pub struct Outbox<'b> {
    buf: &'b mut [u8],
    start: usize,
    end: usize,
}

impl<'b> Outbox<'b> {
    pub(crate) const fn new(buf: &'b mut [u8]) -> Self {
        Outbox {
            buf,
            start: 0,
            end: 0,
        }
    }

    /// The address of the buffer, which no other live outbox shares.
    pub(crate) fn addr(&self) -> usize {
        self.buf.as_ptr() as usize
    }

    /// Bytes waiting to be written.
    pub(crate) fn pending(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }

    /// `n` bytes of [`pending`](Self::pending) were written.
    pub(crate) fn consumed(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Free bytes (once pending bytes are moved to the front).
    pub(crate) fn free(&self) -> usize {
        self.buf.len() - (self.end - self.start)
    }

    /// Queues one frame whose body `write` produces. All or nothing.
    pub(crate) fn frame(
        &mut self,
        write: impl FnOnce(&mut Writer<'_>) -> Result<(), FrameError>,
    ) -> Result<(), FrameError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let free = self.buf.len() - self.end;
        // Room for the longest header the free space could need; the body goes after it.
        let reserve = header_len(free);
        let full = |needed| FrameError::Full { needed, free };
        let Some(area) = self.buf.get_mut(self.end + reserve.min(free)..) else {
            return Err(full(None));
        };
        let mut w = Writer::new(area);
        write(&mut w)?;
        let body = w.len();
        let head = header_len(body);
        if !w.fits() || reserve > free {
            return Err(full(w.needed().map(|n| n + header_len(n))));
        }
        let body_at = self.end + reserve;
        self.buf
            .copy_within(body_at..body_at + body, self.end + head);
        if let Some(h) = self.buf.get_mut(self.end..self.end + head) {
            write_header(body, h);
        }
        self.end += head + body;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_all_or_nothing() {
        let mut buf = [0u8; 64];
        let mut out = Outbox::new(&mut buf);
        out.frame(|w| {
            w.raw("{\"a\":1}");
            Ok(())
        })
        .unwrap();
        assert_eq!(out.pending(), b"Content-Length: 7\r\n\r\n{\"a\":1}");
        let before = out.pending().len();
        let err = out.frame(|w| {
            w.raw("x".repeat(40));
            Ok(())
        });
        assert_eq!(
            err,
            Err(FrameError::Full {
                needed: Some(62),
                free: 64 - before
            })
        );
        assert_eq!(out.pending().len(), before);
        assert_eq!(
            out.frame(|_| Err(FrameError::Rejected)),
            Err(FrameError::Rejected)
        );
        assert_eq!(out.pending().len(), before);
        out.consumed(10);
        out.frame(|w| {
            w.raw("[]");
            Ok(())
        })
        .unwrap();
        assert_eq!(
            &out.pending()[before - 10..],
            b"Content-Length: 2\r\n\r\n[]"
        );
        out.consumed(1000);
        assert_eq!(out.pending(), b"");
    }
}
