//! Answers to server requests: the caller's ([`Client::respond`] and its siblings) and the
//! client's own (documented defaults, automatic errors, answers owed when a session closes).
//! Every server request gets exactly one, queued whole in the outbox.

use serde::Serialize;

use crate::client::Client;
use crate::client::error::Error;
use crate::client::event::{AutoReason, ServerRequest};
use crate::client::send::frame_error;
use crate::client::server_requests::ReplyHandle;
use crate::json::write::Writer;
use crate::json::{JsonStr, JsonType, RawJson};
use crate::proto::MethodFamily;
use crate::wire::{FrameError, MessageError, Outbox, code};

/// A frame cannot be handled until the transmit buffer is written out: the client must answer
/// it (or follow it up) and there is no room yet. The frame stays in the inbox.
pub(super) struct Blocked;

impl<'b, const S: usize, const P: usize> Client<'b, S, P> {
    fn answer(
        &mut self,
        reply: ReplyHandle,
        body: impl FnOnce(&mut Writer<'_>) -> Result<(), FrameError>,
    ) -> Result<(), Error> {
        self.check_open()?;
        let entry = self.server.resolve(reply).ok_or(Error::UnknownReply)?;
        let id = entry.id.clone();
        write_answer(&mut self.out, &id, body).map_err(frame_error)?;
        self.server.free_handle(reply);
        Ok(())
    }

    /// Answers a server request with a result (any serde value).
    pub fn respond<T: Serialize + ?Sized>(
        &mut self,
        reply: ReplyHandle,
        result: &T,
    ) -> Result<(), Error> {
        self.answer(reply, |w| {
            w.raw(",\"result\":");
            w.serialize(result)?;
            Ok(())
        })
    }

    /// Answers a server request with a result given as JSON text.
    pub fn respond_raw(&mut self, reply: ReplyHandle, result: &str) -> Result<(), Error> {
        let result = RawJson::parse(result)?;
        self.answer(reply, |w| {
            w.raw(",\"result\":");
            w.raw(result.as_bytes());
            Ok(())
        })
    }

    /// Answers a server request with a JSON-RPC error.
    pub fn respond_error(
        &mut self,
        reply: ReplyHandle,
        code: i64,
        message: &str,
    ) -> Result<(), Error> {
        self.answer(reply, |w| {
            error_body(w, code, |w| w.escaped(message));
            Ok(())
        })
    }

    /// Answers a server request the way the client answers it by itself when the caller does
    /// not handle its method (see [`CallerAnswers`](crate::CallerAnswers)): the documented
    /// default result where there is one (`exitPlanMode.request` approved,
    /// `autoModeSwitch.request` "no", `systemMessage.transform` unchanged, `hooks.invoke` no
    /// output), else the error the official SDKs give (-32601, or -32603 for
    /// `userInput.request` and `sessionFs.*`). `request` is the event's request, as it came.
    pub fn respond_default(&mut self, request: &ServerRequest<'_>) -> Result<(), Error> {
        self.check_open()?;
        let entry = self
            .server
            .resolve(request.reply)
            .ok_or(Error::UnknownReply)?;
        if entry.id.as_slice() != request.id.as_bytes() {
            // Another request's handle: answering it with this id would answer neither.
            return Err(Error::UnknownReply);
        }
        let session_id = request.params.get_str("sessionId");
        let (id, method, family, params) =
            (request.id, request.method, request.family, request.params);
        match self.default_answer(id, method, family, params, session_id) {
            Ok(_) => {
                self.server.free_handle(request.reply);
                Ok(())
            }
            Err(Blocked) => Err(Error::TransmitFull {
                needed: None,
                free: self.out.free(),
            }),
        }
    }

    /// Writes the error answers owed for requests whose session closed, as room allows.
    pub(super) fn flush_owed(&mut self) {
        while let Some((index, id, cancelled)) = self.server.first_owed() {
            let id = id.clone();
            let written = write_answer(&mut self.out, &id, |w| {
                match cancelled {
                    true => error_body(w, code::REQUEST_CANCELLED, |w| w.raw("Request cancelled")),
                    false => error_body(w, code::INTERNAL_ERROR, |w| {
                        w.raw("session closed before the request was answered")
                    }),
                }
                Ok(())
            });
            if written.is_err() {
                return;
            }
            self.server.free(index);
        }
    }

    /// Answers a request the caller does not answer as the official SDKs do: the
    /// documented default result where there is one, else an error.
    pub(super) fn default_answer(
        &mut self,
        id: RawJson<'_>,
        method: JsonStr<'_>,
        family: MethodFamily,
        params: RawJson<'_>,
        session_id: Option<JsonStr<'_>>,
    ) -> Result<AutoReason, Blocked> {
        let result = |this: &mut Self, text: &str| {
            this.auto_result(id, |w| w.raw(text))
                .map(|_| AutoReason::Default)
        };
        match family {
            MethodFamily::ExitPlanMode => result(self, r#"{"approved":true}"#),
            MethodFamily::AutoModeSwitch => result(self, r#"{"response":"no"}"#),
            MethodFamily::Hooks => result(self, r#"{"output":{}}"#),
            MethodFamily::SystemMessageTransform => {
                let Some(sections) = params
                    .get("sections")
                    .filter(|s| s.json_type() == JsonType::Object)
                else {
                    self.auto_error(id, code::INVALID_PARAMS, |w| w.raw("missing sections"))?;
                    return Ok(AutoReason::InvalidRequest(MessageError::BadParams));
                };
                // Unchanged: the sections go back as they came.
                let echoed = self.auto_result(id, |w| {
                    w.raw("{\"sections\":");
                    w.raw(sections.as_bytes());
                    w.byte(b'}');
                });
                match echoed {
                    Ok(()) => Ok(AutoReason::Default),
                    // Too big for the whole transmit buffer: it can never be sent.
                    Err(Blocked) if !self.wants_transmit() => {
                        self.auto_error(id, code::INTERNAL_ERROR, |w| {
                            w.raw("sections too large for the client's transmit buffer")
                        })?;
                        Ok(AutoReason::TooLarge {
                            len: sections.as_bytes().len() as u64,
                        })
                    }
                    Err(Blocked) => Err(Blocked),
                }
            }
            MethodFamily::UserInput => {
                self.auto_error(id, code::INTERNAL_ERROR, |w| {
                    w.raw("User input requested but no handler registered")
                })?;
                Ok(AutoReason::NotHandled)
            }
            MethodFamily::SessionFs => {
                self.auto_error(id, code::INTERNAL_ERROR, |w| {
                    w.raw("No sessionFs handler registered for session: ");
                    if let Some(sid) = session_id {
                        write_bounded(w, sid);
                    }
                })?;
                Ok(AutoReason::NotHandled)
            }
            _ => {
                self.auto_error(id, code::METHOD_NOT_FOUND, |w| {
                    w.raw("Method not found: ");
                    write_bounded(w, method);
                })?;
                Ok(AutoReason::NotHandled)
            }
        }
    }

    /// Answers a server request by itself with a result.
    pub(super) fn auto_result(
        &mut self,
        id: RawJson<'_>,
        result: impl FnOnce(&mut Writer<'_>),
    ) -> Result<(), Blocked> {
        write_answer(&mut self.out, id.as_bytes(), |w| {
            w.raw(",\"result\":");
            result(w);
            Ok(())
        })
        .map_err(|_| Blocked)
    }

    /// Answers a server request by itself, straight from the frame.
    pub(super) fn auto_error(
        &mut self,
        id: RawJson<'_>,
        code: i64,
        message: impl FnOnce(&mut Writer<'_>),
    ) -> Result<(), Blocked> {
        write_answer(&mut self.out, id.as_bytes(), |w| {
            error_body(w, code, message);
            Ok(())
        })
        .map_err(|_| Blocked)
    }
}

/// Writes `{"jsonrpc":"2.0","id":<id>` + `rest` + `}` as one frame.
pub(super) fn write_answer(
    out: &mut Outbox<'_>,
    id: &[u8],
    rest: impl FnOnce(&mut Writer<'_>) -> Result<(), FrameError>,
) -> Result<(), FrameError> {
    out.frame(|w| {
        w.raw("{\"jsonrpc\":\"2.0\",\"id\":");
        w.bytes(id);
        rest(w)?;
        w.byte(b'}');
        Ok(())
    })
}

/// `,"error":{"code":<code>,"message":"<message>"}`; `message` writes escaped text.
pub(super) fn error_body(w: &mut Writer<'_>, code: i64, message: impl FnOnce(&mut Writer<'_>)) {
    w.raw(",\"error\":{\"code\":");
    w.i64(code);
    w.raw(",\"message\":\"");
    message(w);
    w.raw("\"}");
}

/// Writes wire text (still escaped, as received) into a message, cut short if long so that
/// answers stay small. The cut falls between whole characters and whole escapes, so the
/// message stays valid JSON text.
pub(super) fn write_bounded(w: &mut Writer<'_>, s: JsonStr<'_>) {
    const MAX: usize = 80;
    let raw = s.raw_bytes();
    if raw.len() <= MAX {
        w.bytes(raw);
        return;
    }
    // Walk from the start, a character or an escape at a time: a backward search for the
    // last backslash cannot tell the start of an escape from the end of an escaped `\\`.
    let mut cut = 0;
    while let Some(&c) = raw.get(cut) {
        let width = match c {
            b'\\' if raw.get(cut + 1) == Some(&b'u') => 6,
            b'\\' => 2,
            0xf0.. => 4,
            0xe0.. => 3,
            0xc0.. => 2,
            _ => 1,
        };
        if cut + width > MAX {
            break;
        }
        cut += width;
    }
    w.bytes(raw.get(..cut).unwrap_or(&[]));
    w.raw("...");
}
