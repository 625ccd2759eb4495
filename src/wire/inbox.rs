//! [`Inbox`]: the receive buffer and the framing state of one connection.

use core::cell::Cell;

use crate::json::index::MemberIndex;
use crate::wire::glance::Glance;
use crate::wire::header::{HeaderError, HeaderScan, HeaderStatus};

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
/// framing survives it; on the way, the inbox notes its top-level `id` and `method` (and for a
/// session event its session and type), wherever they are, so the client can still answer it,
/// resolve the request it responds to, or say which session lost an event.
pub struct Inbox<'b> {
    frames: Frames<'b>,
    /// The members of the message of the frame taken out last, recorded while it was
    /// validated: the events read from that frame find their members here instead of
    /// scanning the text again.
    index: MemberIndex,
}

/// The buffer and the framing state of an [`Inbox`].
pub(crate) struct Frames<'b> {
    buf: &'b mut [u8],
    end: usize,
    cursor: Cell<Cursor>,
    max_frame: usize,
    eof: bool,
    /// What the frame being skipped holds, as far as the client needs to know.
    glance: Glance,
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
    Body {
        header_len: usize,
        body_len: usize,
    },
    /// A frame too large to hold: its header is read, its body not yet skipped.
    Oversized {
        header_len: usize,
        body_len: u64,
    },
    /// Skipping a frame too large to hold (`len` bytes), glancing at it on the way.
    Skip {
        remaining: u64,
        len: u64,
    },
    /// A frame too large to hold is skipped: its report is ready.
    Skipped {
        len: u64,
    },
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
    /// A frame too large to hold, skipped.
    TooLarge {
        /// Its body length.
        len: u64,
        /// What it holds, as far as the client needs to know.
        glance: &'i Glance,
        /// Consumes the report.
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
            frames: Frames {
                buf,
                end: 0,
                cursor: Cell::new(fresh(0)),
                max_frame,
                eof: false,
                glance: Glance::NEW,
            },
            index: MemberIndex::new(),
        }
    }

    /// Skips frames whose body is longer than `len` bytes, even if they would fit.
    pub const fn with_max_frame_len(mut self, len: usize) -> Self {
        self.frames.max_frame = len;
        self
    }

    /// The largest frame body accepted.
    pub fn max_frame_len(&self) -> usize {
        self.frames.max_frame.min(self.frames.buf.len())
    }

    /// The buffer's size.
    pub fn capacity(&self) -> usize {
        self.frames.buf.len()
    }

    /// Bytes received and not yet taken out as frames.
    pub fn buffered(&self) -> usize {
        self.frames.end - self.frames.cursor.get().start
    }

    /// The free part of the buffer to read into; then call [`received`](Self::received).
    ///
    /// Empty when the buffer is full of frames not yet polled: poll events first.
    pub fn receive_buffer(&mut self) -> &mut [u8] {
        self.frames.make_room();
        self.frames
            .buf
            .get_mut(self.frames.end..)
            .unwrap_or(&mut [])
    }

    /// Commits `n` bytes written into [`receive_buffer`](Self::receive_buffer).
    pub fn received(&mut self, n: usize) {
        self.frames.end = self.frames.end.saturating_add(n).min(self.frames.buf.len());
        self.frames.skip();
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
        self.frames.eof = true;
    }

    /// True once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.frames.eof
    }

    /// See [`Frames::advance`].
    pub(crate) fn advance(&mut self) {
        self.frames.advance();
    }

    /// See [`Frames::has_item`].
    pub(crate) fn has_item(&self) -> bool {
        self.frames.has_item()
    }

    /// See [`Frames::next_item`].
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn next_item(&self) -> Item<'_> {
        self.frames.next_item()
    }

    /// The next item, and the member index to record its message's members into (the events
    /// read from the frame borrow both).
    pub(crate) fn next_item_indexed(&mut self) -> (Item<'_>, &mut MemberIndex) {
        (self.frames.next_item(), &mut self.index)
    }
}

impl Frames<'_> {
    /// Reads the next frame's header if it is complete, and skips what can be skipped of a
    /// frame too large to hold: the client calls this before it takes an item, so that an item
    /// that can be ready is.
    pub(crate) fn advance(&mut self) {
        let cur = self.cursor.get();
        if let State::Header(_) = cur.state {
            let next = self.read_header(cur);
            self.cursor.set(next);
        }
        self.skip();
    }

    /// Skips the received bytes of a frame too large to hold, glancing at them.
    fn skip(&mut self) {
        let mut cur = self.cursor.get();
        if let State::Oversized {
            header_len,
            body_len,
        } = cur.state
        {
            if self.end - cur.start < header_len {
                return;
            }
            self.glance = Glance::NEW;
            cur.start += header_len;
            cur.state = State::Skip {
                remaining: body_len,
                len: body_len,
            };
        }
        if let State::Skip { remaining, len } = cur.state {
            let data = self.buf.get(cur.start..self.end).unwrap_or(&[]);
            let n = remaining.min(data.len() as u64) as usize;
            self.glance.feed(data.get(..n).unwrap_or(&[]));
            cur.start += n;
            cur.state = match remaining - n as u64 {
                0 => State::Skipped { len },
                remaining => State::Skip { remaining, len },
            };
        }
        self.cursor.set(cur);
    }

    fn make_room(&mut self) {
        self.skip();
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

    /// True if a frame (or a report: too large, malformed, truncated, end of input) is ready,
    /// or will be once [`advance`](Self::advance) has run.
    pub(crate) fn has_item(&self) -> bool {
        !matches!(self.next_item(), Item::NeedMore) || self.skip_ready()
    }

    /// The state once a header in `cur` is read, as far as the received bytes allow: the
    /// frame's body, a frame too large to hold, or a malformed header (framing is lost).
    fn read_header(&self, cur: Cursor) -> Cursor {
        let State::Header(mut scan) = cur.state else {
            return cur;
        };
        let data = self.buf.get(cur.start..self.end).unwrap_or(&[]);
        let state = match scan.advance(data) {
            // Not (yet) a whole header: `next_item` reports it, from where it started.
            HeaderStatus::Incomplete | HeaderStatus::Malformed(_) => return cur,
            HeaderStatus::Done {
                header_len,
                body_len,
            } => {
                let fits = usize::try_from(body_len).ok().filter(|&len| {
                    len <= self.max_frame
                        && header_len.saturating_add(len) <= self.buf.len()
                        && len <= u32::MAX as usize
                });
                match fits {
                    Some(body_len) => State::Body {
                        header_len,
                        body_len,
                    },
                    None => State::Oversized {
                        header_len,
                        body_len,
                    },
                }
            }
        };
        Cursor { state, ..cur }
    }

    /// The next item. Parsing progress is kept; consumption happens on commit.
    pub(crate) fn next_item(&self) -> Item<'_> {
        let mut cur = self.cursor.get();
        loop {
            let data = self.buf.get(cur.start..self.end).unwrap_or(&[]);
            match cur.state {
                State::Failed | State::Done => break Item::End,
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
                    HeaderStatus::Done { .. } => {
                        cur = self.read_header(cur);
                        // Kept: the body is not read twice, and a frame too large to hold waits
                        // for `advance` to skip it.
                        self.cursor.set(cur);
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
                    let got = data.len().saturating_sub(header_len);
                    break self.starved(cur, Some(body_len), got);
                }
                State::Skip { remaining, len } => {
                    let got = (len - remaining) as usize;
                    break self.starved(cur, Some(len), got);
                }
                State::Skipped { len } => {
                    break Item::TooLarge {
                        len,
                        glance: &self.glance,
                        commit: self.commit(fresh(cur.start)),
                    };
                }
            }
        }
    }

    /// True if `advance` would make an item ready: a frame too large to hold whose bytes are
    /// all received (or the input ended).
    fn skip_ready(&self) -> bool {
        let cur = self.cursor.get();
        let buffered = (self.end - cur.start) as u64;
        match cur.state {
            State::Oversized {
                header_len,
                body_len,
            } => self.eof || buffered.saturating_sub(header_len as u64) >= body_len,
            State::Skip { remaining, .. } => self.eof || buffered >= remaining,
            _ => false,
        }
    }

    /// No complete item: either wait for more bytes, or report truncation at end of input.
    fn starved(&self, cur: Cursor, expected: Option<u64>, received: usize) -> Item<'_> {
        self.cursor.set(cur);
        let pending = self.end > cur.start
            || matches!(cur.state, State::Skip { .. } | State::Oversized { .. });
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
            .field("capacity", &self.frames.buf.len())
            .field("buffered", &self.buffered())
            .field("max_frame", &self.frames.max_frame)
            .field("closed", &self.frames.eof)
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
                inbox.advance();
                match inbox.next_item() {
                    Item::Frame { body, commit } => {
                        out.push(std::format!("frame {}", std::str::from_utf8(body).unwrap()));
                        commit.commit();
                    }
                    Item::TooLarge {
                        len,
                        glance,
                        commit,
                    } => {
                        let id = glance.peek().id().map(|i| i.text());
                        out.push(std::format!("too large {len} id {id:?}"));
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
        let body = std::format!(r#"{{"result":"{big}","id":77}}"#);
        let input = std::format!(
            "Content-Length: 3\r\n\r\n[1]Content-Length: {}\r\n\r\n{body}Content-Length: 2\r\n\r\n{{}}",
            body.len()
        );
        for chunk in [1, 5, 64, 2000] {
            let got = drain(input.as_bytes(), 200, 100, chunk);
            let skipped = std::format!("too large {} id Some(\"77\")", body.len());
            assert_eq!(got, ["frame [1]", &skipped, "frame {}"], "chunk {chunk}");
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
