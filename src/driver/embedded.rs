//! [`AsyncDriver`] (feature `async`): a [`Client`] over `embedded_io_async::{Read, Write}`:
//! embassy directly; tokio with the feature `tokio` (`TokioDriver`); other runtimes through an
//! adapter.
//!
//! The driver holds no buffer of its own: reads go straight into the inbox's free space and
//! writes straight from the client's transmit buffer. Time comes from a [`Clock`], which also
//! sleeps until the next deadline.
//!
//! # Cancel safety
//!
//! [`AsyncDriver::next_event`] may be dropped while it waits for input or for a deadline:
//! nothing is lost, provided the reader's `read` is cancel safe. Output is committed write by
//! write, so dropping it during a `write` call may leave that call's bytes in doubt; drop it
//! only while it waits (e.g. in a `select` with a signal that should stop the program).

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use embedded_io_async::{Read, Write};

use crate::driver::{Next, Polled, next_step};
use crate::{Client, Event, Inbox, Instant, Shutdown, ShutdownMode};

/// Time for the driver: the current instant, and a way to sleep until one.
pub trait Clock {
    /// Now.
    fn now(&self) -> Instant;
    /// Completes at `at` (at once if it has passed).
    fn sleep_until(&mut self, at: Instant) -> impl Future<Output = ()>;
}

/// An IO failure of the [`AsyncDriver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DriverError<R, W> {
    /// Reading failed (the input is then closed; this is reported once).
    Read(R),
    /// Writing failed.
    Write(W),
    /// The writer accepted no bytes.
    WriteZero,
    /// The client had an event to deliver and delivered none (a bug in this crate).
    NoProgress,
}

impl<R: core::fmt::Debug, W: core::fmt::Debug> core::fmt::Display for DriverError<R, W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DriverError::Read(e) => write!(f, "read failed: {e:?}"),
            DriverError::Write(e) => write!(f, "write failed: {e:?}"),
            DriverError::WriteZero => f.write_str("write accepted no bytes"),
            DriverError::NoProgress => f.write_str("the client made no progress (a bug)"),
        }
    }
}

impl<R: core::fmt::Debug, W: core::fmt::Debug> core::error::Error for DriverError<R, W> {}

/// Drives a [`Client`] over an async reader and writer (the two halves of a stream, or one
/// type doing both) and a [`Clock`].
pub struct AsyncDriver<R, W, C> {
    reader: R,
    writer: Option<W>,
    clock: C,
}

impl<R: Read, W: Write, C: Clock> AsyncDriver<R, W, C> {
    /// A driver reading from `reader`, writing to `writer`, and telling time with `clock`.
    pub fn new(reader: R, writer: W, clock: C) -> Self {
        AsyncDriver {
            reader,
            writer: Some(writer),
            clock,
        }
    }

    /// The clock's time: the time to pass to the client, and the clock of every deadline given
    /// to the driver.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The reader, the writer (unless closed) and the clock back.
    pub fn into_inner(self) -> (R, Option<W>, C) {
        (self.reader, self.writer, self.clock)
    }

    /// Writes everything the client has queued. Once the writing side is closed, what the
    /// client queues is discarded.
    pub async fn flush<const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
    ) -> Result<(), DriverError<R::Error, W::Error>> {
        let Some(writer) = self.writer.as_mut() else {
            let n = client.transmit_bytes().len();
            client.transmitted(n);
            return Ok(());
        };
        if !client.wants_transmit() {
            return Ok(());
        }
        while client.wants_transmit() {
            let n = writer
                .write(client.transmit_bytes())
                .await
                .map_err(DriverError::Write)?;
            if n == 0 {
                return Err(DriverError::WriteZero);
            }
            client.transmitted(n);
        }
        writer.flush().await.map_err(DriverError::Write)
    }

    /// Closes the writing side (drops the writer: for a pipe or a socket half, the peer sees
    /// the end of its input).
    pub fn close_write(&mut self) {
        self.writer = None;
    }

    /// The next event: writes what the client queued, then waits for input, for a request's
    /// deadline, or for `deadline` (the caller's; `None`: no limit), whichever comes first.
    /// [`Polled::Closed`] once the connection is closed (after [`Event::Closed`]). End of
    /// input (a read of 0) closes the inbox; the client then delivers its closing events.
    pub async fn next_event<'i, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        inbox: &'i mut Inbox<'_>,
        deadline: Option<Instant>,
    ) -> Result<Polled<'i>, DriverError<R::Error, W::Error>> {
        loop {
            let now = self.clock.now();
            match next_step(client, inbox, now, deadline) {
                Next::Write => self.flush(client).await?,
                Next::Closed => return Ok(Polled::Closed),
                Next::Deliver => break,
                Next::DeadlinePassed => return Ok(Polled::DeadlinePassed),
                Next::Expire => client.handle_timeout(now),
                Next::Wait(until) => self.receive(inbox, until).await?,
            }
        }
        let now = self.clock.now();
        client
            .poll_event(inbox, now)
            .map(Polled::Event)
            .ok_or(DriverError::NoProgress)
    }

    /// Reads into the inbox, or sleeps until `until`, whichever ends first.
    async fn receive(
        &mut self,
        inbox: &mut Inbox<'_>,
        until: Option<Instant>,
    ) -> Result<(), DriverError<R::Error, W::Error>> {
        let read = {
            let buf = inbox.receive_buffer();
            let mut read = pin!(self.reader.read(buf));
            match until {
                None => Some(read.await),
                Some(at) => {
                    let mut sleep = pin!(self.clock.sleep_until(at));
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
            // The loop looks at the clock again.
            None => {}
        }
        Ok(())
    }

    /// Ends the conversation politely ([`Client::shutdown`]): destroys this client's active
    /// sessions (and, with [`ShutdownMode::StopCli`], stops the CLI), waits for the answers,
    /// closes the writing side, and takes events until the connection closes; all before
    /// `deadline`. Events received meanwhile go to `on_event` with the client, so server
    /// requests still arriving can be answered.
    pub async fn shutdown<'b, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'b, S, P>,
        inbox: &mut Inbox<'_>,
        mode: ShutdownMode,
        deadline: Instant,
        mut on_event: impl FnMut(&mut Client<'b, S, P>, &Event<'_>),
    ) -> Result<Shutdown<S>, DriverError<R::Error, W::Error>> {
        let mut shutdown = client.shutdown(self.clock.now(), deadline, mode);
        while !shutdown.closed {
            if shutdown.answered() && self.writer.is_some() {
                self.flush(client).await?;
                self.close_write();
            }
            let Polled::Event(event) = self.next_event(client, inbox, Some(deadline)).await? else {
                break;
            };
            shutdown.on_event(&event);
            on_event(client, &event);
        }
        self.close_write();
        Ok(shutdown)
    }
}
