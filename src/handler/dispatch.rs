//! [`Dispatch`]: the sans-IO step that hands each event to its session's handler and sends
//! the handler's answers.

use serde::Serialize;

use crate::client::{Client, Error, Event, Instant, RequestId, ServerRequest, SessionHandle};
use crate::handler::{Answer, Broadcast, Request, SessionFs, SessionHandler};
use crate::json::JsonStr;
use crate::proto::SessionId;
use crate::proto::events::TypedEvent;
use crate::proto::params::{
    PermissionDecision, PermissionDecisionDeniedNoApprovalRuleAndCouldNotRequestFromUser,
    UiElicitationResponse, UiElicitationResponseAction,
};
use crate::proto::server::ServerCall;
use crate::wire::code;

/// How many answers to broadcast calls (tool calls, permissions, ...) the dispatch follows
/// at once, to keep their responses from the caller. Past that, the oldest one's response
/// reaches the caller as an ordinary [`Event::Response`].
const FOLLOWED_ANSWERS: usize = 16;

/// What is sent when an answer does not fit in the whole transmit buffer.
const TOO_LARGE: &str = "the answer is larger than the client's transmit buffer";

/// One handler per session, in a table as large as the client's session table (`S`), and
/// the step that feeds them: [`dispatch`](Self::dispatch) each event the client polls, and
/// every call the CLI makes on a session with a handler is answered exactly once.
///
/// A session gets its handler when its create (or resume) request is queued
/// ([`create_session`](Self::create_session)): every event the CLI sends for it from then
/// on, those before the create response included, reaches the handler, in order. The handler
/// goes when the session closes, its open fails, or the connection ends.
///
/// `H` is one handler type for all sessions: an enum of yours, `&mut dyn SessionHandler`, or
/// (with `std`) `Box<dyn SessionHandler>`.
pub struct Dispatch<H, const S: usize = 8> {
    slots: [Slot<H>; S],
    /// Requests the dispatch sent to answer broadcast calls, whose responses it takes.
    answers: heapless::Deque<RequestId, FOLLOWED_ANSWERS>,
}

struct Slot<H> {
    session: Option<SessionHandle>,
    handler: Option<H>,
    /// While a live resume that brought a new handler is in flight: the handler before it,
    /// back if the resume fails.
    previous: Option<H>,
}

impl<H> Slot<H> {
    const EMPTY: Slot<H> = Slot {
        session: None,
        handler: None,
        previous: None,
    };
}

impl<H: SessionHandler, const S: usize> Default for Dispatch<H, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H: SessionHandler, const S: usize> Dispatch<H, S> {
    /// No sessions yet.
    pub const fn new() -> Self {
        Dispatch {
            slots: [const { Slot::EMPTY }; S],
            answers: heapless::Deque::new(),
        }
    }

    /// Creates a session ([`Client::create_session`]) with `handler` as its handler, from
    /// this moment on. On error nothing is sent and the handler is dropped.
    pub fn create_session<T: Serialize + ?Sized, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        now: Instant,
        id: SessionId,
        options: &T,
        handler: H,
    ) -> Result<SessionHandle, Error> {
        let session = client.create_session(now, id, options)?;
        self.install(session, handler);
        Ok(session)
    }

    /// Resumes a session ([`Client::resume_session`]) with `handler` as its handler.
    ///
    /// For a session open on this client (a live resume), `handler` takes the session's
    /// events and calls from the moment the resume request is queued; if the resume fails
    /// ([`Event::LiveResumeFailed`]) the handler before it is back, having missed nothing but
    /// what the new one saw. On error nothing is sent and the old handler stays.
    pub fn resume_session<T: Serialize + ?Sized, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        now: Instant,
        id: SessionId,
        options: &T,
        handler: H,
    ) -> Result<SessionHandle, Error> {
        let session = client.resume_session(now, id, options)?;
        match self.slot_mut(session) {
            Some(slot) if slot.handler.is_some() => slot.previous = slot.handler.replace(handler),
            _ => self.install(session, handler),
        }
        Ok(session)
    }

    /// The handler of a session, if it has one.
    pub fn handler(&mut self, session: SessionHandle) -> Option<&mut H> {
        self.slot_mut(session)?.handler.as_mut()
    }

    fn install(&mut self, session: SessionHandle, handler: H) {
        if let Some(slot) = self.slots.get_mut(session.index()) {
            *slot = Slot {
                session: Some(session),
                handler: Some(handler),
                previous: None,
            };
        }
    }

    fn slot_mut(&mut self, session: SessionHandle) -> Option<&mut Slot<H>> {
        self.slots
            .get_mut(session.index())
            .filter(|s| s.session == Some(session))
    }

    /// Hands one event to its session's handler, and sends what the handler answers.
    ///
    /// Returns the event when it is still the caller's: everything but the calls and server
    /// requests a handler took (answered, or kept to answer later), and the responses to the
    /// answers the dispatch sent (their failures are returned). Session events are returned
    /// after the handler's [`on_event`](SessionHandler::on_event) saw them, so that a turn
    /// tracker or the caller can look at them too.
    ///
    /// An event that calls on a handler needs room to answer: with bytes still waiting in the
    /// transmit buffer it is refused with [`Error::TransmitFull`] (and a broadcast call with
    /// all `P` request slots in use, with [`Error::TooManyPending`]) *before* the handler sees
    /// it: write the transmit bytes out (or let responses arrive) and dispatch the same event
    /// again. An answer larger than the whole transmit buffer is replaced by an error.
    pub fn dispatch<'e, const P: usize>(
        &mut self,
        client: &mut Client<'_, S, P>,
        now: Instant,
        event: Event<'e>,
    ) -> Result<Option<Event<'e>>, Error> {
        match event {
            Event::Session { session, event: e } => {
                let Some(handler) = self.slot_mut(session).and_then(|s| s.handler.as_mut()) else {
                    return Ok(Some(event));
                };
                let typed = e.typed();
                let call = match typed {
                    TypedEvent::ExternalToolRequested(d) => d.request_id(),
                    TypedEvent::PermissionRequested(d) => d.request_id(),
                    TypedEvent::ElicitationRequested(d) => d.request_id(),
                    TypedEvent::CommandExecute(d) => d.request_id(),
                    _ => None,
                };
                let Some(request_id) = call else {
                    handler.on_event(session, e);
                    return Ok(Some(event));
                };
                room(client)?;
                if client.pending_requests() >= P {
                    return Err(Error::TooManyPending);
                }
                handler.on_event(session, e);
                let sent = broadcast(client, now, handler, session, request_id, typed)?;
                if let Some(id) = sent {
                    if self.answers.is_full() {
                        self.answers.pop_front();
                    }
                    let _ = self.answers.push_back(id);
                }
                Ok(None)
            }
            Event::Request(request) => {
                let Some(session) = request.session else {
                    return Ok(Some(event));
                };
                let Some(handler) = self.slot_mut(session).and_then(|s| s.handler.as_mut()) else {
                    return Ok(Some(event));
                };
                room(client)?;
                answer_request(client, handler, session, &request)?;
                Ok(None)
            }
            Event::ServerRequestCancelled {
                reply,
                session: Some(session),
            } => match self.slot_mut(session).and_then(|s| s.handler.as_mut()) {
                Some(handler) => {
                    handler.on_cancelled(reply);
                    Ok(None)
                }
                None => Ok(Some(event)),
            },
            Event::Response { id, outcome } => match self.answers.iter().position(|a| *a == id) {
                Some(i) => {
                    remove_at(&mut self.answers, i);
                    Ok(outcome.is_err().then_some(event))
                }
                None => Ok(Some(event)),
            },
            Event::SessionOpened { session, .. } => {
                if let Some(slot) = self.slot_mut(session) {
                    slot.previous = None;
                }
                Ok(Some(event))
            }
            Event::LiveResumeFailed { session, .. } => {
                if let Some(slot) = self.slot_mut(session)
                    && let Some(previous) = slot.previous.take()
                {
                    slot.handler = Some(previous);
                }
                Ok(Some(event))
            }
            Event::SessionOpenFailed { session, .. } | Event::SessionClosed { session, .. } => {
                if let Some(slot) = self.slot_mut(session) {
                    *slot = Slot::EMPTY;
                }
                Ok(Some(event))
            }
            Event::Closed => {
                self.slots = [const { Slot::EMPTY }; S];
                self.answers.clear();
                Ok(Some(event))
            }
            _ => Ok(Some(event)),
        }
    }
}

/// Removes the `i`th element of a deque, keeping the order of the others.
fn remove_at<T, const N: usize>(deque: &mut heapless::Deque<T, N>, i: usize) {
    for _ in 0..i {
        if let Some(front) = deque.pop_front() {
            let _ = deque.push_back(front);
        }
    }
    deque.pop_front();
    for _ in i..deque.len() {
        if let Some(front) = deque.pop_front() {
            let _ = deque.push_back(front);
        }
    }
}

/// Refuses to go on while bytes wait in the transmit buffer: an answer must fit in it.
fn room<const S: usize, const P: usize>(client: &Client<'_, S, P>) -> Result<(), Error> {
    match client.wants_transmit() {
        true => Err(Error::TransmitFull {
            needed: None,
            free: client.transmit_free(),
        }),
        false => Ok(()),
    }
}

/// Calls the handler for a broadcast call and sends its answer; the request sent, if any.
fn broadcast<H: SessionHandler, const S: usize, const P: usize>(
    client: &mut Client<'_, S, P>,
    now: Instant,
    handler: &mut H,
    session: SessionHandle,
    request_id: JsonStr<'_>,
    typed: TypedEvent<'_>,
) -> Result<Option<RequestId>, Error> {
    match typed {
        TypedEvent::ExternalToolRequested(data) => send(
            handler.on_tool_call(broadcast_call(session, request_id, data)),
            |result| {
                client
                    .session(session)
                    .answer_tool_call(now, request_id, result)
            },
        ),
        TypedEvent::PermissionRequested(data) => send(
            handler.on_permission(broadcast_call(session, request_id, data)),
            |result| {
                let decision = result.unwrap_or(
                    PermissionDecision::DeniedNoApprovalRuleAndCouldNotRequestFromUser(
                        PermissionDecisionDeniedNoApprovalRuleAndCouldNotRequestFromUser::new(),
                    ),
                );
                client
                    .session(session)
                    .answer_permission(now, request_id, decision)
            },
        ),
        TypedEvent::ElicitationRequested(data) => send(
            handler.on_elicitation(broadcast_call(session, request_id, data)),
            |result| {
                let cancel = UiElicitationResponse::new(UiElicitationResponseAction::Cancel);
                client.session(session).answer_elicitation(
                    now,
                    request_id,
                    result.unwrap_or(cancel),
                )
            },
        ),
        TypedEvent::CommandExecute(data) => send(
            handler.on_command(broadcast_call(session, request_id, data)),
            |result| {
                client
                    .session(session)
                    .answer_command(now, request_id, result.err())
            },
        ),
        _ => Ok(None),
    }
}

/// Sends a handler's answer to a broadcast call with `answer` (`Err`: the call failed); an
/// answer too large for the transmit buffer is sent again as a failure.
fn send<T>(
    answer: Answer<'_, T>,
    mut answer_with: impl FnMut(Result<T, &str>) -> Result<RequestId, Error>,
) -> Result<Option<RequestId>, Error> {
    let result = match answer {
        Answer::Now(value) => Ok(value),
        Answer::Error(message) => Err(message),
        Answer::Later | Answer::Unhandled => return Ok(None),
    };
    match answer_with(result) {
        Err(Error::TransmitFull { .. }) => answer_with(Err(TOO_LARGE)).map(Some),
        sent => sent.map(Some),
    }
}

/// Calls the handler for a server request and answers it.
fn answer_request<H: SessionHandler, const S: usize, const P: usize>(
    client: &mut Client<'_, S, P>,
    handler: &mut H,
    session: SessionHandle,
    request: &ServerRequest<'_>,
) -> Result<(), Error> {
    let call = request.call();
    match call {
        ServerCall::UserInputRequest(p) => respond(
            client,
            request,
            handler.on_user_input(typed(session, request, p)),
        ),
        ServerCall::ExitPlanModeRequest(p) => respond(
            client,
            request,
            handler.on_exit_plan_mode(typed(session, request, p)),
        ),
        ServerCall::AutoModeSwitchRequest(p) => respond(
            client,
            request,
            handler.on_auto_mode_switch(typed(session, request, p)),
        ),
        ServerCall::SystemMessageTransform(p) => respond(
            client,
            request,
            handler.on_system_message_transform(typed(session, request, p)),
        ),
        ServerCall::HooksInvoke(p) => {
            respond(client, request, handler.on_hook(typed(session, request, p)))
        }
        ServerCall::SessionFsReadFile(_)
        | ServerCall::SessionFsReadFileBytes(_)
        | ServerCall::SessionFsWriteFile(_)
        | ServerCall::SessionFsWriteFileBytes(_)
        | ServerCall::SessionFsAppendFile(_)
        | ServerCall::SessionFsExists(_)
        | ServerCall::SessionFsStat(_)
        | ServerCall::SessionFsMkdir(_)
        | ServerCall::SessionFsReaddir(_)
        | ServerCall::SessionFsReaddirWithTypes(_)
        | ServerCall::SessionFsRm(_)
        | ServerCall::SessionFsRename(_)
        | ServerCall::SessionFsSqliteQuery(_)
        | ServerCall::SessionFsSqliteTransaction(_)
        | ServerCall::SessionFsSqliteExists(_) => match handler.session_fs() {
            Some(fs) => answer_fs(client, request, session, fs, call),
            None => client.respond_default(request),
        },
        other => respond(
            client,
            request,
            handler.on_request(typed(session, request, other)),
        ),
    }
}

/// Calls the session's filesystem for a `sessionFs.*` request and answers it.
fn answer_fs<const S: usize, const P: usize>(
    client: &mut Client<'_, S, P>,
    request: &ServerRequest<'_>,
    session: SessionHandle,
    fs: &mut dyn SessionFs,
    call: ServerCall<'_>,
) -> Result<(), Error> {
    match call {
        ServerCall::SessionFsReadFile(p) => {
            respond(client, request, fs.read_file(typed(session, request, p)))
        }
        ServerCall::SessionFsReadFileBytes(p) => respond(
            client,
            request,
            fs.read_file_bytes(typed(session, request, p)),
        ),
        ServerCall::SessionFsWriteFile(p) => {
            respond(client, request, fs.write_file(typed(session, request, p)))
        }
        ServerCall::SessionFsWriteFileBytes(p) => respond(
            client,
            request,
            fs.write_file_bytes(typed(session, request, p)),
        ),
        ServerCall::SessionFsAppendFile(p) => {
            respond(client, request, fs.append_file(typed(session, request, p)))
        }
        ServerCall::SessionFsExists(p) => {
            respond(client, request, fs.exists(typed(session, request, p)))
        }
        ServerCall::SessionFsStat(p) => {
            respond(client, request, fs.stat(typed(session, request, p)))
        }
        ServerCall::SessionFsMkdir(p) => {
            respond(client, request, fs.mkdir(typed(session, request, p)))
        }
        ServerCall::SessionFsReaddir(p) => {
            respond(client, request, fs.readdir(typed(session, request, p)))
        }
        ServerCall::SessionFsReaddirWithTypes(p) => respond(
            client,
            request,
            fs.readdir_with_types(typed(session, request, p)),
        ),
        ServerCall::SessionFsRm(p) => respond(client, request, fs.rm(typed(session, request, p))),
        ServerCall::SessionFsRename(p) => {
            respond(client, request, fs.rename(typed(session, request, p)))
        }
        ServerCall::SessionFsSqliteQuery(p) => {
            respond(client, request, fs.sqlite_query(typed(session, request, p)))
        }
        ServerCall::SessionFsSqliteTransaction(p) => respond(
            client,
            request,
            fs.sqlite_transaction(typed(session, request, p)),
        ),
        ServerCall::SessionFsSqliteExists(p) => respond(
            client,
            request,
            fs.sqlite_exists(typed(session, request, p)),
        ),
        _ => client.respond_default(request),
    }
}

/// Sends a handler's answer to a server request.
fn respond<T: Serialize, const S: usize, const P: usize>(
    client: &mut Client<'_, S, P>,
    request: &ServerRequest<'_>,
    answer: Answer<'_, T>,
) -> Result<(), Error> {
    let reply = request.reply;
    let sent = match answer {
        Answer::Now(value) => client.respond(reply, &value),
        Answer::Error(message) => client.respond_error(reply, code::INTERNAL_ERROR, message),
        Answer::Later => return Ok(()),
        Answer::Unhandled => return client.respond_default(request),
    };
    match sent {
        Err(Error::TransmitFull { .. }) => {
            client.respond_error(reply, code::INTERNAL_ERROR, TOO_LARGE)
        }
        sent => sent,
    }
}

/// A broadcast call for a handler.
fn broadcast_call<'a, V>(
    session: SessionHandle,
    request_id: JsonStr<'a>,
    data: V,
) -> Broadcast<'a, V> {
    Broadcast {
        session,
        request_id,
        data,
    }
}

/// A server request for a handler, with its typed params.
fn typed<'a, V>(session: SessionHandle, request: &ServerRequest<'a>, params: V) -> Request<'a, V> {
    Request {
        session,
        reply: request.reply,
        method: request.method,
        params,
    }
}
