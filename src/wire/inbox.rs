//! [`Inbox`]: the receive buffer and the framing state of one connection.

use core::cell::Cell;

use crate::wire::header::{HeaderError, HeaderScan, HeaderStatus};

/// How many body bytes of an oversized frame are kept to read its `id` and `method` before the
/// rest is skipped.
pub const PEEK_LEN: usize = 128;

/// The receive side of a connection: a caller-provided buffer and the Content-Length decoder.
///
/// Received bytes go in with [`receive_buffer`](Self::receive_buffer) +
/// [`received`](Self::received) (read straight into the buffer, zero copy) or with
/// [`push`](Self::push). [`Client::poll_event`](crate::Client::poll_event) takes frames out, and
/// the events it returns borrow from this buffer: they stay valid until the inbox is touched
/// again. Frames are parsed in place and never copied.
///
/// The inbox never grows: when events are not drained, it fills up and accepts fewer bytes
/// (backpressure). A frame bigger than the buffer, or than
/// [`with_max_frame_len`](Self::with_max_frame_len), is skipped by counting its bytes, so
/// framing survives it.
pub struct Inbox<'b> {
    buf: &'b mut [u8],
    end: usize,
    cursor: Cell<Cursor>,
    max_frame: usize,
    eof: bool,
}

#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// First byte not yet consumed.
    start: usize,
    state: State,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Header(HeaderScan),
    Body { header_len: usize, body_len: usize },
    Oversized { header_len: usize, body_len: u64 },
    Skip { remaining: u64 },
    Failed,
    Done,
}

/// What the inbox has for the client next.
pub enum Item<'i> {
    /// A complete frame body.
    Frame {
        /// The body.
        body: &'i [u8],
        /// Consumes it.
        commit: Commit<'i>,
    },
    /// A frame too large to hold. Committing skips the rest.
    TooLarge {
        /// Its body length.
        len: u64,
        /// Its first bytes.
        prefix: &'i [u8],
        /// Consumes it.
        commit: Commit<'i>,
    },
    /// The header is malformed; framing is lost. Committing stops the inbox.
    Malformed {
        /// What is wrong.
        error: HeaderError,
        /// Consumes it.
        commit: Commit<'i>,
    },
    /// The input ended inside a frame.
    Truncated {
        /// The announced body length, if the header was complete.
        expected: Option<u64>,
        /// Bytes of it received.
        received: usize,
        /// Consumes it.
        commit: Commit<'i>,
    },
    /// The input ended (or failed) and everything was delivered.
    End,
    /// More bytes are needed.
    NeedMore,
}

/// Consumes an [`Item`] once the client has acted on it; an item not committed is delivered
/// again.
pub struct Commit<'i> {
    cell: &'i Cell<Cursor>,
    next: Cursor,
}

impl Commit<'_> {
    pub(crate) fn commit(self) {
        self.cell.set(self.next);
    }
}

const fn fresh(start: usize) -> Cursor {
    Cursor {
        start,
        state: State::Header(HeaderScan::NEW),
    }
}

impl<'b> Inbox<'b> {
    /// An inbox over `buf`. Frames up to the buffer's size (header included) are accepted.
    pub const fn new(buf: &'b mut [u8]) -> Self {
        let max_frame = buf.len();
        Inbox {
            buf,
            end: 0,
            cursor: Cell::new(fresh(0)),
            max_frame,
            eof: false,
        }
    }

    /// Skips frames whose body is longer than `len` bytes, even if they would fit.
    pub const fn with_max_frame_len(mut self, len: usize) -> Self {
        self.max_frame = len;
        self
    }

    /// The largest frame body accepted.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame.min(self.buf.len())
    }

    /// The buffer's size.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes received and not yet taken out as frames.
    pub fn buffered(&self) -> usize {
        self.end - self.cursor.get().start
    }

    /// The free part of the buffer to read into; then call [`received`](Self::received).
    ///
    /// Empty when the buffer is full of frames not yet polled: poll events first.
    pub fn receive_buffer(&mut self) -> &mut [u8] {
        self.make_room();
        self.buf.get_mut(self.end..).unwrap_or(&mut [])
    }

    /// Commits `n` bytes written into [`receive_buffer`](Self::receive_buffer).
    pub fn received(&mut self, n: usize) {
        self.end = self.end.saturating_add(n).min(self.buf.len());
        self.discard_skipped();
    }

    /// Copies as many of `bytes` as fit and returns how many were taken.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let room = self.receive_buffer();
        let n = room.len().min(bytes.len());
        if let (Some(dst), Some(src)) = (room.get_mut(..n), bytes.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.received(n);
        n
    }

    /// Marks the end of the input (the peer closed the stream). Frames already received are
    /// still delivered; then the client reports what was left incomplete and closes.
    pub fn close(&mut self) {
        self.eof = true;
    }

    /// True once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.eof
    }

    fn discard_skipped(&mut self) {
        let mut cur = self.cursor.get();
        if let State::Skip { remaining } = cur.state {
            let avail = (self.end - cur.start) as u64;
            let n = remaining.min(avail);
            cur.start += n as usize;
            cur.state = if n == remaining {
                fresh(cur.start).state
            } else {
                State::Skip {
                    remaining: remaining - n,
                }
            };
            self.cursor.set(cur);
        }
    }

    fn make_room(&mut self) {
        self.discard_skipped();
        let mut cur = self.cursor.get();
        if cur.start == 0 {
            return;
        }
        if matches!(cur.state, State::Failed | State::Done) || cur.start == self.end {
            self.end = 0;
        } else {
            // Move the unconsumed bytes (usually part of one frame) to the front, so that
            // any frame that fits in the buffer can always complete.
            self.buf.copy_within(cur.start..self.end, 0);
            self.end -= cur.start;
        }
        cur.start = 0;
        self.cursor.set(cur);
    }

    /// True if a frame (or a report: too large, malformed, truncated, end of input) is ready.
    pub(crate) fn has_item(&self) -> bool {
        !matches!(self.next_item(), Item::NeedMore)
    }

    /// The next item. Parsing progress is kept; consumption happens on commit.
    pub(crate) fn next_item(&self) -> Item<'_> {
        let mut cur = self.cursor.get();
        loop {
            let data = self.buf.get(cur.start..self.end).unwrap_or(&[]);
            match cur.state {
                State::Failed | State::Done => break Item::End,
                State::Skip { remaining } => {
                    let n = remaining.min(data.len() as u64);
                    cur.start += n as usize;
                    if n < remaining {
                        cur.state = State::Skip {
                            remaining: remaining - n,
                        };
                        break self.starved(cur, None, 0);
                    }
                    cur.state = fresh(cur.start).state;
                }
                State::Header(mut scan) => match scan.advance(data) {
                    // A header that fills the whole buffer without ending can never be read:
                    // waiting for room would stall the connection forever.
                    HeaderStatus::Incomplete
                        if !data.is_empty() && data.len() >= self.buf.len() =>
                    {
                        let next = Cursor {
                            start: self.end,
                            state: State::Failed,
                        };
                        break Item::Malformed {
                            error: HeaderError::TooLong,
                            commit: self.commit(next),
                        };
                    }
                    HeaderStatus::Incomplete => {
                        cur.state = State::Header(scan);
                        break self.starved(cur, None, data.len());
                    }
                    HeaderStatus::Malformed(error) => {
                        let next = Cursor {
                            start: self.end,
                            state: State::Failed,
                        };
                        break Item::Malformed {
                            error,
                            commit: self.commit(next),
                        };
                    }
                    HeaderStatus::Done {
                        header_len,
                        body_len,
                    } => {
                        let fits = usize::try_from(body_len).ok().filter(|&len| {
                            len <= self.max_frame
                                && header_len.saturating_add(len) <= self.buf.len()
                                && len <= u32::MAX as usize
                        });
                        cur.state = match fits {
                            Some(body_len) => State::Body {
                                header_len,
                                body_len,
                            },
                            None => State::Oversized {
                                header_len,
                                body_len,
                            },
                        };
                    }
                },
                State::Body {
                    header_len,
                    body_len,
                } => {
                    let frame_end = header_len + body_len;
                    match data.get(header_len..frame_end) {
                        Some(body) => {
                            break Item::Frame {
                                body,
                                commit: self.commit(fresh(cur.start + frame_end)),
                            };
                        }
                        None => {
                            let got = data.len().saturating_sub(header_len);
                            break self.starved(cur, Some(body_len as u64), got);
                        }
                    }
                }
                State::Oversized {
                    header_len,
                    body_len,
                } => {
                    let room = self.buf.len().saturating_sub(header_len);
                    let want = (PEEK_LEN as u64).min(body_len).min(room as u64) as usize;
                    let have = data.len().saturating_sub(header_len);
                    if have < want && !self.eof {
                        self.cursor.set(cur);
                        break Item::NeedMore;
                    }
                    let taken = (have as u64).min(body_len);
                    let prefix = data
                        .get(header_len..header_len + want.min(have))
                        .unwrap_or(&[]);
                    let next = Cursor {
                        start: cur.start + header_len + taken as usize,
                        state: if taken == body_len {
                            fresh(0).state
                        } else {
                            State::Skip {
                                remaining: body_len - taken,
                            }
                        },
                    };
                    break Item::TooLarge {
                        len: body_len,
                        prefix,
                        commit: self.commit(next),
                    };
                }
            }
        }
    }

    /// No complete item: either wait for more bytes, or report truncation at end of input.
    fn starved(&self, cur: Cursor, expected: Option<u64>, received: usize) -> Item<'_> {
        self.cursor.set(cur);
        let pending = self.end > cur.start || matches!(cur.state, State::Skip { .. });
        match (self.eof, pending) {
            (false, _) => Item::NeedMore,
            (true, false) => {
                self.cursor.set(Cursor {
                    start: self.end,
                    state: State::Done,
                });
                Item::End
            }
            (true, true) => Item::Truncated {
                expected,
                received,
                commit: self.commit(Cursor {
                    start: self.end,
                    state: State::Done,
                }),
            },
        }
    }

    fn commit(&self, next: Cursor) -> Commit<'_> {
        Commit {
            cell: &self.cursor,
            next,
        }
    }
}

impl core::fmt::Debug for Inbox<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inbox")
            .field("capacity", &self.buf.len())
            .field("buffered", &self.buffered())
            .field("max_frame", &self.max_frame)
            .field("closed", &self.eof)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Everything the inbox yields, committing each item; bytes fed in `chunk`-sized pieces.
    fn drain(
        input: &[u8],
        buf_len: usize,
        max_frame: usize,
        chunk: usize,
    ) -> Vec<std::string::String> {
        let mut buf = std::vec![0u8; buf_len];
        let mut inbox = Inbox::new(&mut buf).with_max_frame_len(max_frame);
        let mut out = Vec::new();
        let mut fed = 0;
        loop {
            loop {
                match inbox.next_item() {
                    Item::Frame { body, commit } => {
                        out.push(std::format!("frame {}", std::str::from_utf8(body).unwrap()));
                        commit.commit();
                    }
                    Item::TooLarge {
                        len,
                        prefix,
                        commit,
                    } => {
                        out.push(std::format!("too large {len} {}", prefix.len()));
                        commit.commit();
                    }
                    Item::Malformed { error, commit } => {
                        out.push(std::format!("malformed {error:?}"));
                        commit.commit();
                    }
                    Item::Truncated {
                        expected,
                        received,
                        commit,
                    } => {
                        out.push(std::format!("truncated {expected:?} {received}"));
                        commit.commit();
                    }
                    Item::End => return out,
                    Item::NeedMore => break,
                }
            }
            if fed == input.len() {
                inbox.close();
                continue;
            }
            let end = (fed + chunk).min(input.len());
            fed += inbox.push(&input[fed..end]);
        }
    }

    #[test]
    fn frames_survive_any_chunking() {
        let mut input = Vec::new();
        for body in ["{\"a\":1}", "[]", "{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}"] {
            input.extend_from_slice(
                std::format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes(),
            );
        }
        let all = drain(&input, 256, 256, input.len());
        assert_eq!(all.len(), 3);
        for chunk in 1..input.len() {
            assert_eq!(drain(&input, 256, 256, chunk), all, "chunk {chunk}");
        }
        // A buffer barely larger than the biggest frame still works (compaction).
        assert_eq!(drain(&input, 60, 60, 7), all);
    }

    #[test]
    fn oversized_frames_are_skipped_by_count() {
        let big = "x".repeat(1000);
        let input = std::format!(
            "Content-Length: 3\r\n\r\n[1]Content-Length: {}\r\n\r\n\"{big}\"Content-Length: 2\r\n\r\n{{}}",
            big.len() + 2
        );
        for chunk in [1, 5, 64, 2000] {
            let got = drain(input.as_bytes(), 200, 100, chunk);
            assert_eq!(
                got,
                ["frame [1]", "too large 1002 128", "frame {}"],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn malformed_header_stops_the_inbox() {
        let got = drain(
            b"Content-Length: 2\r\n\r\n{}Content-Length: x\r\n\r\n{}",
            64,
            64,
            3,
        );
        assert_eq!(got, ["frame {}", "malformed InvalidContentLength"]);
    }

    #[test]
    fn truncation_at_end_of_input_is_reported() {
        assert_eq!(
            drain(b"Content-Length: 10\r\n\r\n{\"a\"", 64, 64, 4),
            ["truncated Some(10) 4"]
        );
        assert_eq!(drain(b"Content-Len", 64, 64, 4), ["truncated None 11"]);
        assert_eq!(drain(b"", 64, 64, 4), Vec::<std::string::String>::new());
    }

    #[test]
    fn a_header_longer_than_the_buffer_is_malformed() {
        // Found by the frame_decoder fuzz target: a receive buffer smaller than the header
        // block filled up with it, and the inbox waited for room forever.
        let long = std::format!(
            "X-Pad: {}\r\nContent-Length: 2\r\n\r\n{{}}",
            "p".repeat(100)
        );
        for chunk in [1, 7, 1000] {
            assert_eq!(
                drain(long.as_bytes(), 64, 64, chunk),
                ["malformed TooLong"],
                "chunk {chunk}"
            );
        }
        assert_eq!(drain(b"\0", 1, 1, 1), ["malformed TooLong"]);
        // A header that ends exactly at the end of the buffer is fine.
        let exact = b"Content-Length: 0\r\n\r\n";
        assert_eq!(drain(exact, exact.len(), 64, 1), ["frame "]);
    }

    #[test]
    fn uncommitted_items_are_delivered_again() {
        let mut buf = [0u8; 64];
        let mut inbox = Inbox::new(&mut buf);
        inbox.push(b"Content-Length: 2\r\n\r\n{}");
        for _ in 0..3 {
            assert!(matches!(inbox.next_item(), Item::Frame { body: b"{}", .. }));
        }
        if let Item::Frame { commit, .. } = inbox.next_item() {
            commit.commit();
        }
        assert!(matches!(inbox.next_item(), Item::NeedMore));
        assert_eq!(inbox.buffered(), 0);
    }

    #[test]
    fn full_buffer_accepts_nothing_until_drained() {
        let mut buf = [0u8; 30];
        let mut inbox = Inbox::new(&mut buf);
        let frame = b"Content-Length: 2\r\n\r\n{}";
        assert_eq!(inbox.push(frame), 23);
        assert_eq!(inbox.push(frame), 7);
        assert_eq!(inbox.push(frame), 0);
        if let Item::Frame { commit, .. } = inbox.next_item() {
            commit.commit();
        }
        assert_eq!(inbox.push(&frame[7..]), 16);
        assert!(matches!(inbox.next_item(), Item::Frame { body: b"{}", .. }));
    }
}
