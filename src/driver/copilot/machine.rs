//! The sans-IO heart of both `Copilot`s: the client, the sessions' handlers, the turns, and
//! who waits for what. The blocking and the tokio `Copilot` only move bytes, commands and
//! time in and out of it.

use std::boxed::Box;
use std::string::{String, ToString};
use std::time::Duration;
use std::vec;
use std::vec::Vec;

use crate::driver::copilot::commands::{Command, Peer, Respond, Sink};
use crate::driver::copilot::handlers::Hosted;
use crate::driver::copilot::{CopilotError, OwnedEvent, Reply};
use crate::handler::{Dispatch, TurnEnd, TurnId, TurnUpdate, Turns};
use crate::json::RawJson;
use crate::proto::SessionEvent;
use crate::proto::params::SessionSend;
use crate::{
    Client, Config, Connect, Error, Event, Failure, Inbox, Instant, SessionHandle, Shutdown,
    ShutdownMode,
};

/// Sessions open at once on one connection.
pub(crate) const SESSIONS: usize = 64;
/// Requests in flight at once.
pub(crate) const PENDING: usize = 128;
/// Request slots kept for the handlers' answers: a send is refused rather than take them.
const RESERVED: usize = 32;
/// Turns in flight at once.
pub(crate) const TURNS: usize = 64;

struct Opening {
    session: SessionHandle,
    since: Instant,
    reply: Respond<Result<SessionHandle, CopilotError>>,
}

struct Destroying {
    session: SessionHandle,
    since: Instant,
    reply: Respond<Result<(), CopilotError>>,
}

struct Wait {
    turn: TurnId,
    ticket: u64,
    session: SessionHandle,
    since: Instant,
    reply: Respond<Result<Reply, CopilotError>>,
    reply_text: String,
    event: Option<OwnedEvent>,
}

struct Stopping {
    shutdown: Shutdown<SESSIONS>,
    deadline: Instant,
    replies: Vec<Respond<Result<(), CopilotError>>>,
}

/// The client with its inbox, and everything that follows its events.
pub(crate) struct Machine<'b> {
    client: Client<'b, SESSIONS, PENDING>,
    inbox: Inbox<'b>,
    state: State,
}

struct State {
    dispatch: Dispatch<Hosted, SESSIONS>,
    turns: Turns<TURNS>,
    opens: Vec<Option<Opening>>,
    destroys: Vec<Option<Destroying>>,
    sinks: Vec<Option<(SessionHandle, Sink)>>,
    waits: Vec<Option<Wait>>,
    connecting: Option<(Instant, Respond<Result<(), CopilotError>>)>,
    stopping: Option<Stopping>,
    mode: ShutdownMode,
    turn_timeout: Option<Duration>,
    shutdown_timeout: Duration,
    peer: Box<dyn Peer>,
    closed: bool,
    /// Shutdowns to answer once the runtime has cleaned up (the CLI reaped).
    finished: Vec<Respond<Result<(), CopilotError>>>,
}

fn slots<T>(n: usize) -> Vec<Option<T>> {
    (0..n).map(|_| None).collect()
}

fn since(then: Instant, now: Instant) -> Duration {
    Duration::from_millis(now.as_millis().saturating_sub(then.as_millis()))
}

impl<'b> Machine<'b> {
    /// A machine over `tx` and `rx` (the buffers), ending with `mode`.
    pub(crate) fn new(
        tx: &'b mut [u8],
        rx: &'b mut [u8],
        config: Config,
        settings: &crate::driver::copilot::Settings,
        mode: ShutdownMode,
        peer: Box<dyn Peer>,
    ) -> Result<Self, CopilotError> {
        let client = Client::new(tx, config).map_err(|reason| CopilotError::Refused {
            request: "the client".into(),
            reason,
        })?;
        Ok(Machine {
            client,
            inbox: Inbox::new(rx),
            state: State {
                dispatch: Dispatch::new(),
                turns: match settings.activity_timeout {
                    Some(quiet) => Turns::new().activity_timeout_ms(quiet.as_millis() as u64),
                    None => Turns::new(),
                },
                opens: slots(SESSIONS),
                destroys: slots(SESSIONS),
                sinks: slots(SESSIONS),
                waits: slots(TURNS),
                connecting: None,
                stopping: None,
                mode,
                turn_timeout: settings.turn_timeout,
                shutdown_timeout: settings.shutdown_timeout,
                peer,
                closed: false,
                finished: Vec::new(),
            },
        })
    }

    /// Sends `connect` (with `token`); `reply` gets its outcome.
    pub(crate) fn connect(
        &mut self,
        now: Instant,
        token: Option<&str>,
        reply: Respond<Result<(), CopilotError>>,
    ) {
        let connect = Connect {
            token,
            ..Connect::default()
        };
        match self.client.connect(now, &connect) {
            Ok(()) => self.state.connecting = Some((now, reply)),
            Err(reason) => reply.send(Err(CopilotError::Refused {
                request: "connect".into(),
                reason,
            })),
        }
    }

    /// True once the connection is closed and everyone was told.
    pub(crate) fn is_closed(&self) -> bool {
        self.state.closed
    }

    /// Bytes to write.
    pub(crate) fn transmit_bytes(&self) -> &[u8] {
        self.client.transmit_bytes()
    }

    /// `n` bytes were written.
    pub(crate) fn transmitted(&mut self, n: usize) {
        self.client.transmitted(n)
    }

    /// True if there are bytes to write.
    pub(crate) fn wants_transmit(&self) -> bool {
        self.client.wants_transmit()
    }

    /// The free part of the receive buffer (empty while it is full of events not delivered):
    /// the tokio `Copilot` reads straight into it, the blocking one through [`push`](Self::push).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn receive_buffer(&mut self) -> &mut [u8] {
        self.inbox.receive_buffer()
    }

    /// `n` bytes were read into [`receive_buffer`](Self::receive_buffer).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn received(&mut self, n: usize) {
        self.inbox.received(n)
    }

    /// Takes what fits of `bytes`; how much.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> usize {
        self.inbox.push(bytes)
    }

    /// The input ended.
    pub(crate) fn end_of_input(&mut self) {
        self.inbox.close()
    }

    /// True once a shutdown has had every answer it waits for: time to close the writing
    /// side, so that the peer ends the connection.
    pub(crate) fn may_close_writer(&self) -> bool {
        self.state
            .stopping
            .as_ref()
            .is_some_and(|s| s.shutdown.answered())
    }

    /// When [`expire`](Self::expire) is due next.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let times = [
            self.client.poll_timeout(),
            self.state.turns.poll_timeout(),
            self.state.stopping.as_ref().map(|s| s.deadline),
        ];
        times.into_iter().flatten().min()
    }

    /// Handles the deadlines due at `now`. True if the shutdown is overdue: close the
    /// connection.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.handle_timeout(now);
        }
        let state = &mut self.state;
        let (turns, waits) = (&mut state.turns, &mut state.waits);
        let peer = &mut state.peer;
        turns.handle_timeout(now, |update| {
            on_turn(waits, update, now, &mut || peer.ended())
        });
        state.stopping.as_ref().is_some_and(|s| s.deadline <= now)
    }

    /// Delivers the events received, each to its handler, its turn, its stream and whoever
    /// waits for it, until the bytes to write must go out first (an event's handler may have
    /// to answer, and its answer needs the transmit buffer). True if any was delivered.
    pub(crate) fn deliver(&mut self, now: Instant) -> bool {
        let mut any = false;
        while !self.client.wants_transmit() {
            let Some(event) = self.client.poll_event(&mut self.inbox, now) else {
                break;
            };
            any = true;
            self.state.on_event(&mut self.client, now, event);
        }
        any
    }

    /// Runs a command.
    pub(crate) fn command(&mut self, now: Instant, command: Command) {
        if self.state.closed {
            match command {
                Command::Shutdown { reply } => self.state.finished.push(reply),
                command => {
                    let peer = &mut self.state.peer;
                    command.fail(|| peer.ended());
                }
            }
            return;
        }
        let client = &mut self.client;
        let state = &mut self.state;
        match command {
            Command::Open {
                id,
                options,
                handler,
                reply,
            } => {
                let opened = RawJson::from_bytes(&options)
                    .map_err(Error::InvalidJson)
                    .and_then(|options| {
                        state
                            .dispatch
                            .create_session(client, now, id, &options, Hosted(handler))
                    });
                match opened {
                    Ok(session) => {
                        if let Some(slot) = state.opens.get_mut(session.index()) {
                            *slot = Some(Opening {
                                session,
                                since: now,
                                reply,
                            });
                        }
                    }
                    Err(reason) => reply.send(Err(CopilotError::Refused {
                        request: "session.create".into(),
                        reason,
                    })),
                }
            }
            Command::Send {
                session,
                ticket,
                prompt,
                reply,
            } => {
                let refuse = |reason| {
                    Err(CopilotError::Refused {
                        request: "session.send".into(),
                        reason,
                    })
                };
                if client.pending_requests() + RESERVED >= PENDING {
                    return reply.send(refuse(Error::TooManyPending));
                }
                let deadline = state
                    .turn_timeout
                    .map(|t| now.add_millis(t.as_millis() as u64));
                let message = SessionSend::new(&prompt);
                match state.turns.send(client, now, session, &message, deadline) {
                    Ok(turn) => {
                        if let Some(slot) = state.waits.get_mut(turn.index()) {
                            *slot = Some(Wait {
                                turn,
                                ticket,
                                session,
                                since: now,
                                reply,
                                reply_text: String::new(),
                                event: None,
                            });
                        }
                    }
                    Err(reason) => reply.send(refuse(reason)),
                }
            }
            Command::Cancel { ticket } => {
                let found = state
                    .waits
                    .iter_mut()
                    .find(|w| w.as_ref().is_some_and(|w| w.ticket == ticket));
                if let Some(wait) = found.and_then(Option::take) {
                    // `$/cancelRequest` while its request is pending (`session.sendAndWait`
                    // until the turn's end), and the turn aborted either way.
                    if let Some(request) = state.turns.request(wait.turn) {
                        let _ = client.cancel(request);
                    }
                    let _ = client.session(wait.session).abort(now, None);
                }
            }
            Command::Abort { session } => {
                let _ = client.session(session).abort(now, None);
            }
            Command::Destroy { session, reply } => match client.session(session).destroy(now) {
                Ok(()) => {
                    if let Some(slot) = state.destroys.get_mut(session.index()) {
                        *slot = Some(Destroying {
                            session,
                            since: now,
                            reply,
                        });
                    }
                }
                Err(Error::UnknownSession) => reply.send(Err(CopilotError::SessionClosed)),
                Err(reason) => reply.send(Err(CopilotError::Refused {
                    request: "session.destroy".into(),
                    reason,
                })),
            },
            Command::Watch { session, sink } => {
                if let Some(slot) = state.sinks.get_mut(session.index()) {
                    *slot = Some((session, sink));
                }
            }
            Command::Shutdown { reply } => match state.stopping.as_mut() {
                Some(stopping) => stopping.replies.push(reply),
                None => {
                    let deadline = now.add_millis(state.shutdown_timeout.as_millis() as u64);
                    let shutdown = client.shutdown(now, deadline, state.mode);
                    state.stopping = Some(Stopping {
                        shutdown,
                        deadline,
                        replies: vec![reply],
                    });
                }
            },
        }
    }

    /// The connection is over without its `Closed` event (the shutdown's deadline passed, or
    /// writing failed): everyone waiting is told.
    pub(crate) fn abandon(&mut self) {
        self.state.close();
    }

    /// The shutdowns waiting for the end: answer them once the CLI is reaped.
    pub(crate) fn take_finished(&mut self) -> Vec<Respond<Result<(), CopilotError>>> {
        core::mem::take(&mut self.state.finished)
    }
}

/// What a turn's update means for its waiter.
fn on_turn(
    waits: &mut [Option<Wait>],
    update: TurnUpdate<'_>,
    now: Instant,
    ended: &mut dyn FnMut() -> CopilotError,
) {
    match update {
        TurnUpdate::Message { turn, event } => {
            if let Some(Some(wait)) = waits.get_mut(turn.index())
                && wait.turn == turn
            {
                wait.reply_text.clear();
                if let Some(text) = event.data().get_str("content") {
                    use core::fmt::Write as _;
                    let _ = write!(wait.reply_text, "{text}");
                }
                wait.event = Some(OwnedEvent::of(&event));
            }
        }
        TurnUpdate::Ended { turn, end } => {
            let Some(slot) = waits.get_mut(turn.index()) else {
                return;
            };
            if !slot.as_ref().is_some_and(|w| w.turn == turn) {
                return;
            }
            let Some(wait) = slot.take() else { return };
            let waited = since(wait.since, now);
            let outcome = match end {
                TurnEnd::Completed => Ok(Reply {
                    text: wait.reply_text,
                    event: wait.event,
                }),
                TurnEnd::Failed(event) => Err(turn_error(&event)),
                TurnEnd::SendFailed(failure) => Err(CopilotError::of_failure(
                    "session.send",
                    failure,
                    waited,
                    ended,
                )),
                TurnEnd::Aborted => Err(CopilotError::Aborted),
                TurnEnd::AutopilotStopped(event) => Err(turn_error(&event)),
                TurnEnd::TimedOut => Err(CopilotError::TimedOut {
                    request: "the turn (send_and_wait)".into(),
                    waited,
                }),
                TurnEnd::Inactive => Err(CopilotError::TimedOut {
                    request: "the turn (send_and_wait: the session went quiet)".into(),
                    waited,
                }),
                TurnEnd::SessionClosed => Err(ended()),
            };
            wait.reply.send(outcome);
        }
        _ => {}
    }
}

/// The error of a turn that ended with `event` (`session.error`, ...).
fn turn_error(event: &SessionEvent<'_>) -> CopilotError {
    let data = event.data();
    let text = |key| data.get_str(key).map(|s| s.to_string()).unwrap_or_default();
    let message = text("message");
    if crate::driver::copilot::error::is_auth_message(&message) {
        return CopilotError::AuthMissing { message };
    }
    let error_type = match text("errorType") {
        t if t.is_empty() => event.event_type().to_string(),
        t => t,
    };
    CopilotError::Turn {
        error_type,
        message,
    }
}

impl State {
    fn on_event(
        &mut self,
        client: &mut Client<'_, SESSIONS, PENDING>,
        now: Instant,
        event: Event<'_>,
    ) {
        // The handler and the turns both read every event's `id` and `agentId`: read once.
        let event = match event {
            Event::Session { session, event } => Event::Session {
                session,
                event: event.with_ids(),
            },
            event => event,
        };
        // The handler first: the transmit buffer is empty, so it has room to answer.
        let _ = self.dispatch.dispatch(client, now, event);
        let closing = matches!(event, Event::Closed);
        {
            let (turns, waits, peer) = (&mut self.turns, &mut self.waits, &mut self.peer);
            turns.on_event(client, now, &event, |update| {
                let mut ended = || match closing {
                    true => peer.ended(),
                    false => CopilotError::SessionClosed,
                };
                on_turn(waits, update, now, &mut ended)
            });
        }
        if let Some(stopping) = self.stopping.as_mut() {
            stopping.shutdown.on_event(&event);
        }
        match event {
            Event::Session { session, event } => {
                if let Some(slot) = self.sinks.get_mut(session.index())
                    && let Some((owner, sink)) = slot.as_ref()
                    && *owner == session
                    && !sink.send(&event)
                {
                    *slot = None;
                }
            }
            Event::Connected { .. } => {
                if let Some((_, reply)) = self.connecting.take() {
                    reply.send(Ok(()));
                }
            }
            Event::ConnectFailed(failure) => {
                if let Some((since_, reply)) = self.connecting.take() {
                    let peer = &mut self.peer;
                    reply.send(Err(CopilotError::of_failure(
                        "connect",
                        failure,
                        since(since_, now),
                        || peer.ended(),
                    )));
                }
            }
            Event::SessionOpened { session, .. } => {
                if let Some(open) = self.take_open(session) {
                    open.reply.send(Ok(session));
                }
            }
            Event::SessionOpenFailed {
                session, reason, ..
            } => {
                self.forget(session);
                if let Some(open) = self.take_open(session) {
                    let peer = &mut self.peer;
                    let waited = since(open.since, now);
                    open.reply.send(Err(CopilotError::of_failure(
                        "session.create",
                        reason,
                        waited,
                        || peer.ended(),
                    )));
                }
            }
            Event::SessionClosed { session, result } => {
                self.forget(session);
                let destroying = self
                    .destroys
                    .get_mut(session.index())
                    .and_then(|d| d.take_if(|d| d.session == session));
                if let Some(d) = destroying {
                    let peer = &mut self.peer;
                    let waited = since(d.since, now);
                    d.reply.send(result.map_err(|f: Failure<'_>| {
                        CopilotError::of_failure("session.destroy", f, waited, || peer.ended())
                    }));
                }
            }
            Event::Closed => self.close(),
            _ => {}
        }
    }

    fn take_open(&mut self, session: SessionHandle) -> Option<Opening> {
        self.opens
            .get_mut(session.index())
            .and_then(|o| o.take_if(|o| o.session == session))
    }

    /// The session is gone: its stream ends.
    fn forget(&mut self, session: SessionHandle) {
        if let Some(slot) = self.sinks.get_mut(session.index())
            && slot.as_ref().is_some_and(|(s, _)| *s == session)
        {
            *slot = None;
        }
    }

    /// The connection is over: everyone still waiting is told why (the peer says), the
    /// shutdown is done.
    fn close(&mut self) {
        self.closed = true;
        if let Some((_, reply)) = self.connecting.take() {
            reply.send(Err(self.peer.ended()));
        }
        for open in self.opens.iter_mut().filter_map(Option::take) {
            open.reply.send(Err(self.peer.ended()));
        }
        for wait in self.waits.iter_mut().filter_map(Option::take) {
            wait.reply.send(Err(self.peer.ended()));
        }
        for d in self.destroys.iter_mut().filter_map(Option::take) {
            d.reply.send(Ok(()));
        }
        for sink in self.sinks.iter_mut() {
            *sink = None;
        }
        if let Some(stopping) = self.stopping.take() {
            self.finished.extend(stopping.replies);
        }
    }
}

#[cfg(test)]
mod tests {
    use core::mem::size_of;

    use super::*;

    /// What one more session adds to a table of `N` entries of which each `Client`, `Dispatch`
    /// or `Turns` holds: the difference between `SESSIONS` entries and one, per entry.
    fn per_entry(full: usize, one: usize, n: usize) -> usize {
        (full - one).div_ceil(n - 1)
    }

    /// Memory per live session, beyond the caller's handler: its entries in the client's
    /// tables, the handler table, the turn table (one turn per session) and the `Copilot`'s
    /// own slots. Sizes are static, so this is exact, not a timing.
    #[test]
    fn a_live_session_costs_at_most_one_kilobyte() {
        let client = per_entry(
            size_of::<Client<'static, SESSIONS, PENDING>>(),
            size_of::<Client<'static, 1, PENDING>>(),
            SESSIONS,
        );
        let dispatch = per_entry(
            size_of::<Dispatch<Hosted, SESSIONS>>(),
            size_of::<Dispatch<Hosted, 1>>(),
            SESSIONS,
        );
        let turn = per_entry(size_of::<Turns<TURNS>>(), size_of::<Turns<1>>(), TURNS);
        let slots = size_of::<Option<Opening>>()
            + size_of::<Option<Destroying>>()
            + size_of::<Option<Wait>>()
            + size_of::<Option<(SessionHandle, Sink)>>();
        let total = client + dispatch + turn + slots;
        std::println!(
            "per session: client {client} B, handler table {dispatch} B, turn {turn} B, \
             Copilot slots {slots} B: {total} B"
        );
        assert!(total <= 1024, "{total} bytes per session");
    }
}
