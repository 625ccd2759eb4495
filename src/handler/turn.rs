//! [`Turns`]: sends followed until the CLI says they are done, sans-IO and in fixed memory.
//!
//! A turn starts with a send ([`Turns::send`]) and ends once (one [`TurnUpdate::Ended`]):
//!
//! - **completed**: the session went idle after the turn's message was taken up, or the next
//!   tracked message of the session was taken up (the CLI works through its queue in order);
//!   with the server-side `session.sendAndWait`, its response (and, when the response names a
//!   completion event that has not arrived yet, that event);
//! - **failed**: a `session.error` for this turn's message (one for another message does not
//!   count), or the send itself failed;
//! - **aborted**: an `abort` event, or an idle that says so;
//! - **autopilot stopped**: `session.autopilot_stopped`;
//! - **inactive**: with an activity timeout ([`Turns::activity_timeout_ms`]), no event of the
//!   turn's session arrived for that long (long tool runs that keep the session talking are
//!   not cut short, unlike an absolute deadline);
//! - **timed out**: the turn's own deadline passed first (the turn is not aborted: do that
//!   yourself if you want to);
//! - **session closed**: the session or the connection ended first.
//!
//! A turn is recognised by the `messageId` its send produced: `user.message` carries it, and
//! `assistant.message` and `session.error` name it as `originatingMessageId`. Its events may
//! arrive before the send's response gives the id: the first message the session takes up
//! after the send is taken to be the turn's until the response says otherwise. Events of
//! sub-agents (with an `agentId`) never end or answer a top-level turn. CLIs without
//! `originatingMessageId` get every top-level `assistant.message` of the turn.
//!
//! The assistant messages of a turn are reported as they come ([`TurnUpdate::Message`]); the
//! last one before the end is its answer. Nothing is kept from an event after it is reported:
//! copy what you need from it.

use serde::Serialize;

use crate::client::{Client, Error, Event, Failure, Instant, RequestId, SessionHandle};
use crate::json::{JsonStr, RawJson};
use crate::proto::SessionEvent;
use crate::wire::code;

use super::turn_update::{ServerWait, TurnEnd, TurnId, TurnUpdate};

/// The longest message id kept, in bytes (a UUID is 36).
const MAX_MESSAGE_ID: usize = 64;

/// How many recent event ids are remembered, for a `session.sendAndWait` response that names
/// a completion event which already arrived.
const RECENT_EVENTS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Its send is in flight and no message of the session was taken up since.
    Sending,
    /// Its message id is known (from the response), its message not taken up yet.
    Queued,
    /// Its message was taken up: its events are flowing.
    Running,
    /// `session.sendAndWait` answered before its completion event: waiting for that event.
    Completing,
}

/// Bytes of an id, copied (unescaped).
#[derive(Clone, Copy)]
struct IdBuf {
    len: u8,
    bytes: [u8; MAX_MESSAGE_ID],
}

impl IdBuf {
    fn of(s: JsonStr<'_>) -> Option<IdBuf> {
        let mut bytes = [0u8; MAX_MESSAGE_ID];
        let len = s.unescape_into(&mut bytes).ok()?.len();
        Some(IdBuf {
            len: u8::try_from(len).ok()?,
            bytes,
        })
    }

    fn is(&self, s: Option<JsonStr<'_>>) -> bool {
        let mine = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        s.is_some_and(|s| match core::str::from_utf8(mine) {
            Ok(mine) => s.eq_str(mine),
            Err(_) => false,
        })
    }
}

#[derive(Clone, Copy)]
struct Live {
    session: SessionHandle,
    request: RequestId,
    message: Option<IdBuf>,
    /// `message` was guessed from a `user.message` before the response confirmed it.
    guessed: bool,
    phase: Phase,
    deadline: Option<Instant>,
    /// When the turn's session last showed activity (the send, or its latest event).
    active_at: Instant,
    /// Sent as `session.sendAndWait`.
    server_wait: bool,
    /// Its params are in the probe buffer (to send again as `session.send` on -32601).
    probing: bool,
    /// `Completing`: the completion event's id.
    completion: Option<IdBuf>,
    aborted: bool,
}

#[derive(Clone, Copy)]
struct Slot {
    generation: u32,
    live: Option<Live>,
}

/// Up to `N` turns in flight at once, on any sessions of one client, with a `B`-byte buffer
/// for the one send that probes for `session.sendAndWait` (see [`ServerWait`]).
///
/// Feed it every event ([`on_event`](Self::on_event)) and call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout); it hands
/// out [`TurnUpdate`]s. Events are still the caller's: the tracker only reads them.
pub struct Turns<const N: usize = 4, const B: usize = 2048> {
    slots: [Slot; N],
    /// Ends a turn whose session is quiet this long, in milliseconds.
    activity_timeout_ms: Option<u64>,
    server_wait: ServerWait,
    probe: [u8; B],
    probe_len: usize,
    /// Hashes of the latest event ids, with their sessions.
    recent: [(u64, Option<SessionHandle>); RECENT_EVENTS],
    recent_len: usize,
    recent_next: usize,
    /// One past the highest slot that ever held a turn (slots are taken first free first):
    /// the loops that run for every event look at these only.
    used: usize,
}

impl<const N: usize, const B: usize> Default for Turns<N, B> {
    fn default() -> Self {
        Self::new()
    }
}

fn hash(bytes: &[u8]) -> u64 {
    // FNV-1a: a handful of ids, compared again by hash only (a collision could at worst end
    // a server-side wait early).
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl<const N: usize, const B: usize> Turns<N, B> {
    /// No turns; `sendAndWait` support unknown.
    pub const fn new() -> Self {
        Turns {
            slots: [Slot {
                generation: 0,
                live: None,
            }; N],
            activity_timeout_ms: None,
            server_wait: ServerWait::Unknown,
            probe: [0; B],
            probe_len: 0,
            recent: [(0, None); RECENT_EVENTS],
            recent_len: 0,
            recent_next: 0,
            used: 0,
        }
    }

    /// A tracker that never uses `session.sendAndWait` (for CLIs known not to have it, such
    /// as 1.0.102: saves the probe).
    pub const fn without_server_wait() -> Self {
        let mut t = Self::new();
        t.server_wait = ServerWait::Unavailable;
        t
    }

    /// Ends a turn ([`TurnEnd::Inactive`]) when no event of its session arrives for `ms`
    /// milliseconds; every event of the session (and the send's response) starts the count
    /// again. It stands beside each
    /// turn's own deadline (see [`send`](Self::send)), and suits long tool runs better: a
    /// session that keeps reporting progress is never cut short.
    #[must_use]
    pub const fn activity_timeout_ms(mut self, ms: u64) -> Self {
        self.activity_timeout_ms = Some(ms);
        self
    }

    /// What is known of the CLI's `session.sendAndWait`.
    pub fn server_wait(&self) -> ServerWait {
        self.server_wait
    }

    /// Turns in flight.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.live.is_some()).count()
    }

    /// True if no turn is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Starts a turn: sends `message` (the params of `session.send`: a
    /// [`SessionSend`](crate::proto::params::SessionSend), or any object) on `session`, as
    /// `session.sendAndWait` when the CLI has it, and follows it until it ends or `deadline`
    /// passes. Refused with [`Error::TooManyPending`] when `N` turns are in flight, or with
    /// what the client refuses the request for (nothing is sent then).
    pub fn send<T: Serialize + ?Sized, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        now: Instant,
        session: SessionHandle,
        message: &T,
        deadline: Option<Instant>,
    ) -> Result<TurnId, Error> {
        let index = self
            .slots
            .iter()
            .position(|s| s.live.is_none())
            .ok_or(Error::TooManyPending)?;
        // While it is not known whether the CLI has `session.sendAndWait`, one send at a time
        // tries it, with its params kept to send again as `session.send` if it has not.
        let probing = self.server_wait == ServerWait::Unknown
            && !self.probing()
            && match serde_json_core::to_slice(message, &mut self.probe) {
                Ok(n) => {
                    self.probe_len = n;
                    true
                }
                Err(_) => false,
            };
        let server_wait = probing || self.server_wait == ServerWait::Available;
        let method = match server_wait {
            true => "session.sendAndWait",
            false => "session.send",
        };
        let request = client.session(session).request(now, method, message)?;
        let slot = self.slots.get_mut(index).ok_or(Error::TooManyPending)?;
        self.used = self.used.max(index + 1);
        slot.live = Some(Live {
            session,
            request,
            message: None,
            guessed: false,
            phase: Phase::Sending,
            deadline,
            active_at: now,
            server_wait,
            probing,
            completion: None,
            aborted: false,
        });
        Ok(TurnId {
            index: index as u16,
            generation: slot.generation,
        })
    }

    /// The request that carries `turn`'s message (`session.send`, or `session.sendAndWait`
    /// until the turn is over), to cancel it with [`Client::cancel`]; `None` once the turn
    /// ended.
    pub fn request(&self, turn: TurnId) -> Option<RequestId> {
        self.slots
            .get(turn.index())
            .filter(|s| s.generation == turn.generation)
            .and_then(|s| s.live)
            .map(|l| l.request)
    }

    fn probing(&self) -> bool {
        self.slots.iter().any(|s| s.live.is_some_and(|l| l.probing))
    }

    /// The earliest turn deadline: call [`handle_timeout`](Self::handle_timeout) then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| s.live)
            .flat_map(|l| [l.deadline, self.quiet_until(&l)])
            .flatten()
            .min()
    }

    /// When a turn ends for want of activity, if there is an activity timeout.
    fn quiet_until(&self, live: &Live) -> Option<Instant> {
        self.activity_timeout_ms
            .map(|ms| live.active_at.add_millis(ms))
    }

    /// Ends the turns whose deadline is at or before `now` ([`TurnEnd::TimedOut`]), and those
    /// whose session has been quiet for the activity timeout ([`TurnEnd::Inactive`]).
    pub fn handle_timeout(&mut self, now: Instant, mut on: impl FnMut(TurnUpdate<'static>)) {
        for i in 0..self.used {
            let Some(live) = self.live(i) else { continue };
            if live.deadline.is_some_and(|d| d <= now) {
                self.end(i, TurnEnd::TimedOut, &mut on);
            } else if self.quiet_until(live).is_some_and(|q| q <= now) {
                self.end(i, TurnEnd::Inactive, &mut on);
            }
        }
    }

    /// The turn in slot `i`, borrowed (a `Live` is about 150 bytes: the loops over the slots
    /// that run for every event do not copy it).
    fn live(&self, i: usize) -> Option<&Live> {
        self.slots.get(i).and_then(|s| s.live.as_ref())
    }

    fn live_mut(&mut self, i: usize) -> Option<&mut Live> {
        self.slots.get_mut(i).and_then(|s| s.live.as_mut())
    }

    fn id(&self, i: usize) -> TurnId {
        TurnId {
            index: i as u16,
            generation: self.slots.get(i).map_or(0, |s| s.generation),
        }
    }

    fn end<'a>(&mut self, i: usize, end: TurnEnd<'a>, on: &mut impl FnMut(TurnUpdate<'a>)) {
        let turn = self.id(i);
        if let Some(slot) = self.slots.get_mut(i)
            && slot.live.take().is_some()
        {
            slot.generation = slot.generation.wrapping_add(1);
            on(TurnUpdate::Ended { turn, end });
        }
    }

    /// Follows one event of `client` (every event goes through here, before or after the
    /// caller looks at it); the updates it causes go to `on`, in order. A send that finds the
    /// CLI without `session.sendAndWait` is sent again as `session.send` through `client`.
    pub fn on_event<'a, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        now: Instant,
        event: &Event<'a>,
        mut on: impl FnMut(TurnUpdate<'a>),
    ) {
        match *event {
            Event::Response { id, outcome } => self.on_response(client, now, id, outcome, &mut on),
            Event::Session { session, event } => {
                for slot in self.slots.iter_mut().take(self.used) {
                    if let Some(live) = slot.live.as_mut().filter(|l| l.session == session) {
                        live.active_at = now;
                    }
                }
                self.on_session_event(session, event, &mut on)
            }
            Event::SessionClosed { session, .. } | Event::SessionOpenFailed { session, .. } => {
                for i in 0..self.used {
                    if self.live(i).is_some_and(|l| l.session == session) {
                        self.end(i, TurnEnd::SessionClosed, &mut on);
                    }
                }
            }
            Event::Closed => {
                for i in 0..self.used {
                    self.end(i, TurnEnd::SessionClosed, &mut on);
                }
                self.server_wait = match self.server_wait {
                    ServerWait::Available => ServerWait::Available,
                    _ => ServerWait::Unknown,
                };
            }
            _ => {}
        }
    }

    fn on_response<'a, const S: usize, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        now: Instant,
        id: RequestId,
        outcome: Result<RawJson<'a>, Failure<'a>>,
        on: &mut impl FnMut(TurnUpdate<'a>),
    ) {
        let Some(i) = (0..self.used).find(|&i| self.live(i).is_some_and(|l| l.request == id))
        else {
            return;
        };
        if let Some(l) = self.live_mut(i) {
            l.active_at = now;
        }
        let Some(&live) = self.live(i) else { return };
        match outcome {
            Err(Failure::Rpc(e)) if live.probing && e.code == code::METHOD_NOT_FOUND => {
                // No `session.sendAndWait` here: the message was not taken; send it again.
                self.server_wait = ServerWait::Unavailable;
                let resent =
                    match RawJson::from_bytes(self.probe.get(..self.probe_len).unwrap_or(&[])) {
                        Ok(params) => {
                            client
                                .session(live.session)
                                .request(now, "session.send", &params)
                        }
                        Err(e) => Err(Error::InvalidJson(e)),
                    };
                match resent {
                    Ok(request) => {
                        if let Some(l) = self.live_mut(i) {
                            l.request = request;
                            l.server_wait = false;
                            l.probing = false;
                        }
                    }
                    Err(_) => self.end(i, TurnEnd::SendFailed(Failure::Rpc(e)), on),
                }
            }
            Err(failure) => self.end(i, TurnEnd::SendFailed(failure), on),
            Ok(result) => {
                if live.probing {
                    self.server_wait = ServerWait::Available;
                }
                let message = result.get_str("messageId").and_then(IdBuf::of);
                if let Some(l) = self.live_mut(i) {
                    l.probing = false;
                    match (message, l.message) {
                        // The guess was wrong: the message taken up was someone else's.
                        (Some(m), Some(guess))
                            if l.guessed && !guess.is(result.get_str("messageId")) =>
                        {
                            l.message = Some(m);
                            l.phase = Phase::Queued;
                        }
                        (Some(m), _) => {
                            l.message = Some(m);
                            if l.phase == Phase::Sending {
                                l.phase = Phase::Queued;
                            }
                        }
                        (None, _) => {}
                    }
                    l.guessed = false;
                }
                if live.server_wait {
                    // The CLI answers `session.sendAndWait` once the turn is over.
                    let aborted = result.get("aborted").and_then(|a| a.as_bool()) == Some(true);
                    let completion = result.get_str("completionEventId");
                    let seen = completion.is_none_or(|c| self.seen(live.session, c.raw_bytes()));
                    if seen {
                        let end = if aborted {
                            TurnEnd::Aborted
                        } else {
                            TurnEnd::Completed
                        };
                        self.end(i, end, on);
                    } else if let Some(l) = self.live_mut(i) {
                        l.phase = Phase::Completing;
                        l.completion = completion.and_then(IdBuf::of);
                        l.aborted = aborted;
                    }
                }
            }
        }
    }

    fn seen(&self, session: SessionHandle, id: &[u8]) -> bool {
        let h = hash(id);
        self.recent
            .iter()
            .take(self.recent_len)
            .any(|&(e, s)| e == h && s == Some(session))
    }

    fn remember(&mut self, session: SessionHandle, id: Option<JsonStr<'_>>) {
        let Some(id) = id else { return };
        if let Some(r) = self.recent.get_mut(self.recent_next) {
            *r = (hash(id.raw_bytes()), Some(session));
        }
        self.recent_next = (self.recent_next + 1) % RECENT_EVENTS;
        self.recent_len = (self.recent_len + 1).min(RECENT_EVENTS);
    }

    fn on_session_event<'a>(
        &mut self,
        session: SessionHandle,
        event: SessionEvent<'a>,
        on: &mut impl FnMut(TurnUpdate<'a>),
    ) {
        // The event's `id` and `agentId` (both after its data) in one pass.
        let event = event.with_ids();
        let (id, agent_id) = (event.id(), event.agent_id());
        self.remember(session, id);
        // A server-side wait that was answered before its completion event.
        for i in 0..self.used {
            let Some(l) = self.live(i) else { continue };
            if l.session == session
                && l.phase == Phase::Completing
                && l.completion.is_some_and(|c| c.is(id))
            {
                let end = if l.aborted {
                    TurnEnd::Aborted
                } else {
                    TurnEnd::Completed
                };
                self.end(i, end, on);
            }
        }
        // Sub-agents' events never end or answer a top-level turn.
        if agent_id.is_some_and(|a| !a.raw_bytes().is_empty()) {
            return;
        }
        let data = event.data();
        if event.is("user.message") {
            self.on_message_taken(session, data.get_str("messageId"), on);
            return;
        }
        // Read only for the events that use it: a delta's data is not scanned again.
        let origin = || data.get_str("originatingMessageId");
        if event.is("assistant.message") {
            let origin = origin();
            // The running turns of the session this event is about: the one its message
            // names, or every running one when the CLI does not say.
            let mine = |l: &Live| {
                l.session == session
                    && l.phase == Phase::Running
                    && (origin.is_none() || l.message.is_some_and(|m| m.is(origin)))
            };
            for i in 0..self.used {
                if self.live(i).is_some_and(&mine) {
                    on(TurnUpdate::Message {
                        turn: self.id(i),
                        event,
                    });
                }
            }
        } else if event.is("tool.execution_start") || event.is("tool.execution_complete") {
            for i in 0..self.used {
                if self
                    .live(i)
                    .is_some_and(|l| l.session == session && l.phase == Phase::Running)
                {
                    on(TurnUpdate::Tool {
                        turn: self.id(i),
                        event,
                    });
                }
            }
        } else if event.is("session.error") {
            let origin = origin();
            // The turn it names; without a name, the running ones, or else the oldest waiting
            // (1.0.102 fails a turn it cannot run before taking its message up).
            let named = |l: &Live| {
                l.session == session && origin.is_some() && l.message.is_some_and(|m| m.is(origin))
            };
            let running = |l: &Live| l.session == session && l.phase == Phase::Running;
            let failed: Option<usize> = (0..self.used).find(|&i| self.live(i).is_some_and(&named));
            let oldest_waiting = || {
                (0..self.used)
                    .filter(|&i| {
                        self.live(i).is_some_and(|l| {
                            l.session == session
                                && matches!(l.phase, Phase::Sending | Phase::Queued)
                        })
                    })
                    .min_by_key(|&i| self.live(i).map(|l| l.request))
            };
            match (failed, origin) {
                (Some(i), _) => self.end(i, TurnEnd::Failed(event), on),
                (None, Some(_)) => {}
                (None, None) => {
                    let any_running = (0..self.used).any(|i| self.live(i).is_some_and(&running));
                    if any_running {
                        for i in 0..self.used {
                            if self.live(i).is_some_and(&running) {
                                self.end(i, TurnEnd::Failed(event), on);
                            }
                        }
                    } else if let Some(i) = oldest_waiting() {
                        self.end(i, TurnEnd::Failed(event), on);
                    }
                }
            }
        } else if event.is("abort") {
            for i in 0..self.used {
                if let Some(l) = self.live_mut(i)
                    && l.session == session
                    && l.phase == Phase::Running
                {
                    l.aborted = true;
                }
            }
        } else if event.is("session.autopilot_stopped") {
            for i in 0..self.used {
                let running = self
                    .live(i)
                    .is_some_and(|l| l.session == session && l.phase == Phase::Running);
                if running {
                    self.end(i, TurnEnd::AutopilotStopped(event), on);
                }
            }
        } else if event.is("session.idle") {
            let aborted = data.get("aborted").and_then(|a| a.as_bool()) == Some(true);
            for i in 0..self.used {
                let Some(l) = self.live(i) else { continue };
                // A server-side wait ends with its response.
                if l.session == session && l.phase == Phase::Running && !l.server_wait {
                    let end = if aborted || l.aborted {
                        TurnEnd::Aborted
                    } else {
                        TurnEnd::Completed
                    };
                    self.end(i, end, on);
                }
            }
        }
    }

    /// The session took up the message `id` (`user.message`).
    fn on_message_taken<'a>(
        &mut self,
        session: SessionHandle,
        id: Option<JsonStr<'a>>,
        on: &mut impl FnMut(TurnUpdate<'a>),
    ) {
        let known = (0..self.used).find(|&i| {
            self.live(i)
                .is_some_and(|l| l.session == session && l.message.is_some_and(|m| m.is(id)))
        });
        // Else the oldest send of the session still waiting for its response: the CLI takes
        // messages in the order they were sent.
        let taken = known.or_else(|| {
            (0..self.used)
                .filter(|&i| {
                    self.live(i)
                        .is_some_and(|l| l.session == session && l.phase == Phase::Sending)
                })
                .min_by_key(|&i| self.live(i).map(|l| l.request))
        });
        let Some(taken) = taken else { return };
        // The turns running before it on this session are over: the CLI moved on.
        for i in 0..self.used {
            let before = i != taken
                && self.live(i).is_some_and(|l| {
                    l.session == session && l.phase == Phase::Running && !l.server_wait
                });
            if before {
                let end = match self.live(i).is_some_and(|l| l.aborted) {
                    true => TurnEnd::Aborted,
                    false => TurnEnd::Completed,
                };
                self.end(i, end, on);
            }
        }
        if let Some(l) = self.live_mut(taken) {
            if l.message.is_none() {
                l.message = id.and_then(IdBuf::of);
                l.guessed = true;
            }
            l.phase = Phase::Running;
        }
    }
}
