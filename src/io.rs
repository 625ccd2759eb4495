//! (feature `async`) Drives a [`Client`] over `embedded_io_async::{Read, Write}`: embassy
//! directly; tokio, async-std or futures through `embedded-io-adapters`.
//!
//! The driver holds no buffer of its own: reads go straight into the inbox's free space and
//! writes straight from the client's transmit buffer. Time comes from a [`Clock`], which also
//! sleeps until the client's next deadline.
//!
//! # Cancel safety
//!
//! [`Driver::next_event`] may be dropped while it waits for input or for a deadline: nothing
//! is lost, provided the reader's `read` is cancel safe (tokio's is, through the adapters).
//! Output is committed write by write, so dropping it during a `write` call may leave that
//! call's bytes in doubt; drop it only while it waits (e.g. in a `select` with a signal that
//! should stop the program).

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use embedded_io_async::{Read, Write};

use crate::client::Client;
use crate::event::Event;
use crate::farewell::Farewell;
use crate::inbox::Inbox;
use crate::time::Instant;

/// Time for the driver: the current instant, and a way to sleep until one.
pub trait Clock {
    /// Now.
    fn now(&self) -> Instant;
    /// Completes at `at` (at once if it has passed).
    fn sleep_until(&mut self, at: Instant) -> impl Future<Output = ()>;
}

/// An IO failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DriverError<R, W> {
    /// Reading failed (the input is then closed; this is reported once).
    Read(R),
    /// Writing failed.
    Write(W),
    /// The writer accepted no bytes.
    WriteZero,
}

impl<R: core::fmt::Debug, W: core::fmt::Debug> core::fmt::Display for DriverError<R, W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DriverError::Read(e) => write!(f, "read failed: {e:?}"),
            DriverError::Write(e) => write!(f, "write failed: {e:?}"),
            DriverError::WriteZero => f.write_str("write accepted no bytes"),
        }
    }
}

/// A reader and a writer (the two halves of a stream, or one type doing both).
pub struct Driver<R, W> {
    reader: R,
    writer: W,
}

impl<R: Read, W: Write> Driver<R, W> {
    /// A driver reading from `reader` and writing to `writer`.
    pub fn new(reader: R, writer: W) -> Self {
        Driver { reader, writer }
    }

    /// The reader and writer back.
    pub fn into_inner(self) -> (R, W) {
        (self.reader, self.writer)
    }

    /// Writes everything the client has queued.
    pub async fn flush<const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
    ) -> Result<(), DriverError<R::Error, W::Error>> {
        if !client.wants_transmit() {
            return Ok(());
        }
        while client.wants_transmit() {
            let n = self
                .writer
                .write(client.transmit_bytes())
                .await
                .map_err(DriverError::Write)?;
            if n == 0 {
                return Err(DriverError::WriteZero);
            }
            client.transmitted(n);
        }
        self.writer.flush().await.map_err(DriverError::Write)
    }

    /// The next event: writes what the client queued, then waits for input or the client's
    /// next deadline. `Ok(None)` once the connection is closed (after [`Event::Closed`]). End
    /// of input (a read of 0) closes the inbox; the client then delivers its closing events.
    pub async fn next_event<'i, C: Clock, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        inbox: &'i mut Inbox<'_>,
        clock: &mut C,
    ) -> Result<Option<Event<'i>>, DriverError<R::Error, W::Error>> {
        loop {
            self.flush(client).await?;
            if client.is_closed() {
                return Ok(None);
            }
            if client.can_poll(inbox) {
                break;
            }
            let deadline = client.poll_timeout();
            if let Some(at) = deadline
                && at <= clock.now()
            {
                client.handle_timeout(clock.now());
                continue;
            }
            let read = {
                let buf = inbox.receive_buffer();
                let mut read = pin!(self.reader.read(buf));
                match deadline {
                    None => Some(read.await),
                    Some(at) => {
                        let mut sleep = pin!(clock.sleep_until(at));
                        poll_fn(|cx| {
                            if let Poll::Ready(r) = read.as_mut().poll(cx) {
                                return Poll::Ready(Some(r));
                            }
                            sleep.as_mut().poll(cx).map(|()| None)
                        })
                        .await
                    }
                }
            };
            match read {
                Some(Ok(0)) => inbox.close(),
                Some(Ok(n)) => inbox.received(n),
                Some(Err(e)) => {
                    inbox.close();
                    return Err(DriverError::Read(e));
                }
                None => client.handle_timeout(clock.now()),
            }
        }
        Ok(client.poll_event(inbox, clock.now()))
    }

    /// Ends the conversation politely ([`Client::farewell`]): destroys the active sessions,
    /// sends `runtime.shutdown` and takes events (passed to `on_event` with the client, to
    /// answer server requests that still arrive) until they are answered or `timeout_ms` has
    /// passed. Then drop the driver (or close the writer) so the
    /// peer sees the end of input.
    pub async fn farewell<'b, C: Clock, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'b, S, P>,
        inbox: &mut Inbox<'_>,
        clock: &mut C,
        timeout_ms: u64,
        mut on_event: impl FnMut(&mut Client<'b, S, P>, &Event<'_>),
    ) -> Result<Farewell<P>, DriverError<R::Error, W::Error>> {
        let deadline = clock.now().add_millis(timeout_ms);
        let mut farewell = client.farewell(clock.now(), deadline);
        while !farewell.answered() {
            let Some(event) = self.next_event(client, inbox, clock).await? else {
                break;
            };
            farewell.on_event(&event);
            on_event(client, &event);
        }
        self.flush(client).await?;
        Ok(farewell)
    }
}
