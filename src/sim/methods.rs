//! The simulated CLI's method table: what it answers to each request of the client.

use crate::client::OpenMethod;
use crate::json::write::Writer;
use crate::json::{JsonStr, JsonType, RawJson};
use crate::proto::SessionId;
use crate::wire::code;

use super::emit;
use super::script::{PermissionMode, Program, SimSession, ToolOutcome, Wait, note};
use super::{Core, IdBytes};

impl<'b, const S: usize> Core<'b, S> {
    pub(super) fn next_counter(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    pub(super) fn ok(&mut self, id: &[u8], body: &str) {
        let _ = emit::result(&mut self.out, id, |w| w.raw(body));
    }

    pub(super) fn fail(&mut self, id: &[u8], method: &str, message: impl FnOnce(&mut Writer<'_>)) {
        let _ = emit::error(&mut self.out, id, code::INTERNAL_ERROR, |w| {
            w.raw("Request ");
            w.escaped(method);
            w.raw(" failed with message: ");
            message(w);
        });
    }

    /// The session a request names, or the error answer already sent.
    pub(super) fn session_of(
        &mut self,
        id: &[u8],
        method: &str,
        params: RawJson<'_>,
    ) -> Option<u16> {
        let Some(sid) = params.get_str("sessionId") else {
            self.fail(id, method, |w| {
                w.raw("Missing sessionId in ");
                w.escaped(method);
                w.raw(" request");
            });
            return None;
        };
        match self.sessions.find_json(sid).filter(|&s| self.live(s)) {
            Some(slot) => Some(slot),
            None => {
                self.fail(id, method, |w| {
                    w.raw("Session not found: ");
                    w.raw(sid.raw_bytes());
                });
                None
            }
        }
    }

    /// True if the session in `slot` plays nothing (no turn, no open in progress).
    pub(super) fn idle(&self, slot: u16) -> bool {
        self.state
            .get(usize::from(slot))
            .is_some_and(|s| s.program.is_idle())
    }

    pub(super) fn live(&self, slot: u16) -> bool {
        self.state
            .get(usize::from(slot))
            .is_some_and(|s| !s.persisted)
    }

    pub(super) fn request(&mut self, id: &[u8], method: &str, params: RawJson<'_>) {
        if let Some(&(_, code, message)) = self.config.failing.iter().find(|f| f.0 == method) {
            let _ = emit::error(&mut self.out, id, code, |w| w.escaped(message));
            return;
        }
        match method {
            "ping" => {
                let message = params.get_str("message");
                let counter = self.next_counter();
                let _ = emit::result(&mut self.out, id, |w| {
                    w.raw(r#"{"message":"pong"#);
                    if let Some(m) = message {
                        w.raw(": ");
                        w.raw(m.raw_bytes());
                    }
                    w.raw(r#"","timestamp":"#);
                    emit::timestamp(w, counter);
                    w.raw(r#","protocolVersion":3}"#);
                });
            }
            "connect" => {
                let token = params.get_str("token");
                match self.config.connection_token {
                    Some(expected) if token.is_none_or(|t| !t.eq_str(expected)) => {
                        let _ = emit::error(&mut self.out, id, code::INTERNAL_ERROR, |w| {
                            w.raw("AUTHENTICATION_FAILED: invalid connection token")
                        });
                    }
                    _ => {
                        let version = self.config.version;
                        let _ = emit::result(&mut self.out, id, |w| {
                            w.raw(r#"{"ok":true,"protocolVersion":3,"version":"#);
                            w.string(version);
                            w.raw(r#","taskKinds":["agent","shell"]}"#);
                        });
                    }
                }
            }
            "status.get" => {
                let version = self.config.version;
                let _ = emit::result(&mut self.out, id, |w| {
                    w.raw(r#"{"version":"#);
                    w.string(version);
                    w.raw(r#","protocolVersion":3}"#);
                });
            }
            "auth.getStatus" => {
                let body = if self.config.authenticated {
                    r#"{"isAuthenticated":true,"authType":"token","host":"https://github.com","login":"dev","statusMessage":"Authenticated (simulated)"}"#
                } else {
                    r#"{"isAuthenticated":false,"statusMessage":"Not authenticated"}"#
                };
                self.ok(id, body);
            }
            "models.list" => {
                if self.config.authenticated {
                    self.ok(id, r#"{"models":[{"id":"claude-sonnet-4.5","name":"Claude Sonnet 4.5","capabilities":{"supports":{"vision":true},"limits":{"max_context_window_tokens":128000}}}]}"#);
                } else {
                    self.fail(id, method, |w| {
                        w.raw("Not authenticated. Please authenticate first.")
                    });
                }
            }
            "runtime.shutdown" => {
                self.ok(id, "null");
                self.stop_requested = true;
            }
            "sessionFs.setProvider" => {
                self.fs_provider = true;
                self.ok(id, r#"{"success":true}"#);
            }
            "llmInference.setProvider" => self.ok(id, r#"{"success":true}"#),
            "session.create" => self.open(id, OpenMethod::Create, params),
            "session.resume" => self.open(id, OpenMethod::Resume, params),
            "session.list" => self.list(id),
            "session.getLastId" => match self.last_session {
                Some(slot) => {
                    let sid = self.session_name(slot);
                    let _ = emit::result(&mut self.out, id, |w| {
                        w.raw(r#"{"sessionId":"#);
                        w.string(sid.as_str());
                        w.byte(b'}');
                    });
                }
                None => self.ok(id, "{}"),
            },
            "session.getMetadata" => {
                let slot = params
                    .get_str("sessionId")
                    .and_then(|s| self.sessions.find_json(s));
                match slot {
                    Some(slot) => {
                        let sid = self.session_name(slot);
                        let _ = emit::result(&mut self.out, id, |w| {
                            w.raw(r#"{"session":"#);
                            session_info(w, &sid);
                            w.byte(b'}');
                        });
                    }
                    None => self.ok(id, "{}"),
                }
            }
            "session.delete" => {
                let slot = params
                    .get_str("sessionId")
                    .and_then(|s| self.sessions.find_json(s));
                match slot {
                    Some(slot) if !self.live(slot) => {
                        self.release(slot);
                        self.ok(id, r#"{"success":true}"#);
                    }
                    Some(_) => self.ok(id, r#"{"success":false,"error":"Session is active"}"#),
                    None => self.ok(id, r#"{"success":false,"error":"Session not found"}"#),
                }
            }
            "session.send" => {
                if let Some(slot) = self.session_of(id, method, params) {
                    self.send(id, slot, params, false);
                }
            }
            "session.sendAndWait" if self.config.send_and_wait => {
                if let Some(slot) = self.session_of(id, method, params) {
                    self.send(id, slot, params, true);
                }
            }
            "session.abort" => {
                if let Some(slot) = self.session_of(id, method, params) {
                    self.abort(id, slot);
                }
            }
            "session.destroy" => {
                if let Some(slot) = self.session_of(id, method, params) {
                    self.start(slot, Program::destroy(id));
                }
            }
            "session.getMessages" => {
                if let Some(slot) = self.session_of(id, method, params) {
                    let sid = self.session_name(slot);
                    let _ = emit::result(&mut self.out, id, |w| {
                        w.raw(r#"{"events":[{"type":"session.start","data":{"sessionId":"#);
                        w.string(sid.as_str());
                        w.raw(r#","version":1,"producer":"copilot-agent"},"id":"#);
                        emit::uuid(w, 1);
                        w.raw(r#","timestamp":"#);
                        emit::timestamp(w, 1);
                        w.raw(r#","parentId":null}]}"#);
                    });
                }
            }
            "session.model.switchTo" | "session.log" => {
                if self.session_of(id, method, params).is_some() {
                    self.ok(id, "{}");
                }
            }
            "session.tools.handlePendingToolCall" => self.answer(id, method, params, Wait::Tool),
            "session.permissions.handlePendingPermissionRequest" => {
                self.answer(id, method, params, Wait::Permission)
            }
            "session.ui.handlePendingElicitation" | "session.commands.handlePendingCommand" => {
                if self.session_of(id, method, params).is_some() {
                    self.ok(id, r#"{"success":false}"#);
                }
            }
            _ => {
                let _ = emit::error(&mut self.out, id, code::METHOD_NOT_FOUND, |w| {
                    w.raw("Unhandled method ");
                    w.escaped(method);
                });
            }
        }
    }

    pub(super) fn session_name(&self, slot: u16) -> SessionId {
        self.sessions
            .get(slot)
            .map(|s| s.id().clone())
            .unwrap_or_else(|| SessionId::new_v4([0; 16]))
    }

    pub(super) fn list(&mut self, id: &[u8]) {
        let ids: heapless::Vec<SessionId, 8> = self
            .sessions
            .iter()
            .map(|(_, s)| s.id().clone())
            .take(8)
            .collect();
        let _ = emit::result(&mut self.out, id, |w| {
            w.raw(r#"{"sessions":["#);
            for (i, sid) in ids.iter().enumerate() {
                if i > 0 {
                    w.byte(b',');
                }
                session_info(w, sid);
            }
            w.raw("]}");
        });
    }

    pub(super) fn release(&mut self, slot: u16) {
        self.sessions.release(slot);
        self.fs_waiting.retain(|&(_, s)| s != slot);
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            *s = SimSession::EMPTY;
        }
    }

    pub(super) fn open(&mut self, id: &[u8], kind: OpenMethod, params: RawJson<'_>) {
        let method = match kind {
            OpenMethod::Create => "session.create",
            OpenMethod::Resume => "session.resume",
        };
        let existing = params
            .get_str("sessionId")
            .and_then(|s| self.sessions.find_json(s));
        let slot = match (kind, existing) {
            (OpenMethod::Resume, Some(slot)) if !self.live(slot) => slot,
            // A live resume takes new options for the running session, between turns.
            (OpenMethod::Resume, Some(slot)) if self.idle(slot) => slot,
            (OpenMethod::Resume, Some(_)) => {
                return self.fail(id, method, |w| {
                    w.raw("Session is busy: a turn is running (simulated)")
                });
            }
            (OpenMethod::Resume, None) => {
                return self.fail(id, method, |w| {
                    w.raw("Failed to load session events: Session not found")
                });
            }
            (OpenMethod::Create, Some(_)) => {
                return self.fail(id, method, |w| w.raw("Session already exists"));
            }
            (OpenMethod::Create, None) => {
                if self.failing_creates > 0 {
                    self.failing_creates -= 1;
                    return self.fail(id, method, |w| {
                        w.raw("session construction failed (simulated)")
                    });
                }
                let sid = match params.get_str("sessionId") {
                    Some(s) => {
                        let mut buf = [0u8; 64];
                        match s
                            .unescape_into(&mut buf)
                            .ok()
                            .and_then(|s| SessionId::new(s).ok())
                        {
                            Some(sid) => sid,
                            None => {
                                return self.fail(id, method, |w| w.raw("Invalid sessionId"));
                            }
                        }
                    }
                    // The server picks the id.
                    None => {
                        let n = self.next_counter();
                        let mut random = [0u8; 16];
                        random[..8].copy_from_slice(&n.to_le_bytes());
                        SessionId::new_v4(random)
                    }
                };
                match self.sessions.reserve(sid, OpenMethod::Create) {
                    Ok(slot) => slot,
                    Err(_) => {
                        return self.fail(id, method, |w| w.raw("too many sessions (simulated)"));
                    }
                }
            }
        };
        let tools_need_permission = params.get("tools").is_some_and(|t| {
            t.elements()
                .any(|t| t.get("skipPermission").and_then(|s| s.as_bool()) != Some(true))
        });
        let flag = |name: &str| params.get(name).and_then(|v| v.as_bool()) == Some(true);
        let fs_left = if self.fs_provider {
            self.config.fs_requests_on_create
        } else {
            0
        };
        let program = Program::open(
            kind,
            id,
            self.config.early_session_start,
            fs_left,
            flag("disableResume"),
        );
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.persisted = false;
            s.streaming = flag("streaming");
            s.permission = match (tools_need_permission, flag("requestPermission")) {
                (false, _) => PermissionMode::Skip,
                (true, true) => PermissionMode::Ask,
                (true, false) => PermissionMode::Deny,
            };
        }
        self.last_session = Some(slot);
        self.start(slot, program);
    }

    /// `session.send`, or with `waits` `session.sendAndWait` (answered at the turn's end).
    pub(super) fn send(&mut self, id: &[u8], slot: u16, params: RawJson<'_>, waits: bool) {
        let prompt = params.get_str("prompt");
        // The prompt as text, for the keyed replies and the echo (its first 128 bytes).
        let mut said = heapless::String::<128>::new();
        for c in prompt.iter().flat_map(|p| p.chars()) {
            if said.push(c).is_err() {
                break;
            }
        }
        let reply = self.config.pick(&said, self.turn);
        self.turn += 1;
        let prompt = prompt.map_or("", |p| p.raw());
        let busy = self
            .state
            .get(usize::from(slot))
            .is_some_and(|s| !s.program.is_idle());
        let message_id = self.next_counter();
        self.event(slot, "pending_messages.modified", |w, _| w.raw("{}"));
        if !waits || busy {
            let _ = emit::result(&mut self.out, id, |w| {
                w.raw(r#"{"messageId":"#);
                emit::uuid(w, message_id);
                w.byte(b'}');
            });
        }
        if busy {
            // One turn at a time; a message sent meanwhile is taken after (not simulated).
            return;
        }
        let Some(s) = self.state.get_mut(usize::from(slot)) else {
            return;
        };
        s.prompt = note(prompt);
        s.said = said;
        s.tool = match s.permission {
            PermissionMode::Deny => ToolOutcome::Unanswerable,
            _ => ToolOutcome::Pending,
        };
        s.message = message_id;
        s.waits = waits.then(|| IdBytes::from_slice(id).unwrap_or_default());
        let first = s.turns == 0;
        let played = reply.and_then(|r| self.config.reply(r));
        let mut program = Program::turn(reply, played, s.streaming, s.permission, first);
        if waits {
            program = program.then_answer_wait(false);
        }
        self.start(slot, program);
    }

    pub(super) fn abort(&mut self, id: &[u8], slot: u16) {
        let running = self
            .state
            .get(usize::from(slot))
            .is_some_and(|s| s.program.is_turn());
        if running {
            // The events first; the response comes between `assistant.idle` and
            // `session.idle`.
            let waits = self
                .state
                .get(usize::from(slot))
                .is_some_and(|s| s.waits.is_some());
            let mut program = Program::aborted(id);
            if waits {
                program = program.then_answer_wait(true);
            }
            self.start(slot, program);
        } else {
            self.ok(id, r#"{"success":true}"#);
        }
    }

    /// `handlePending*` from the client: resumes the waiting turn, which sends the response
    /// after the `*.completed` event, as the CLI does. Late or unknown answers get
    /// `{"success":false}`.
    pub(super) fn answer(
        &mut self,
        id: &[u8],
        method: &str,
        params: RawJson<'_>,
        kind: fn(u64) -> Wait,
    ) {
        let Some(slot) = self.session_of(id, method, params) else {
            return;
        };
        let waiting = self.state.get(usize::from(slot)).map(|s| s.program.wait);
        let matches = match (waiting, params.get_str("requestId")) {
            (Some(w @ (Wait::Tool(n) | Wait::Permission(n))), Some(r)) => {
                w == kind(n) && emit_matches_uuid(r, n)
            }
            _ => false,
        };
        if !matches {
            self.ok(id, r#"{"success":false}"#);
            return;
        }
        let result = params.get("result");
        let (tool, text) = match waiting {
            Some(Wait::Permission(_)) => {
                let kind = result.and_then(|r| r.get_str("kind"));
                if kind.is_some_and(|k| k.as_plain().is_some_and(|k| k.starts_with("approve"))) {
                    (ToolOutcome::Pending, None)
                } else {
                    (
                        ToolOutcome::Rejected,
                        result.and_then(|r| r.get_str("feedback")),
                    )
                }
            }
            _ => match (result, params.get_str("error")) {
                (_, Some(_)) => (ToolOutcome::Error, None),
                (Some(r), None) if r.json_type() == JsonType::String => {
                    (ToolOutcome::Done, r.as_string())
                }
                (Some(r), None) => {
                    let failed = r.get_str("resultType").is_some_and(|t| t == "failure");
                    let text = r.get_str("textResultForLlm");
                    match failed {
                        true => (ToolOutcome::Failed, r.get_str("error").or(text)),
                        false => (ToolOutcome::Done, text),
                    }
                }
                (None, None) => (ToolOutcome::Done, None),
            },
        };
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.tool = tool;
            s.note = text.map(|t| note(t.raw())).unwrap_or_default();
            s.program.wait = Wait::None;
            s.program.reply_to = IdBytes::from_slice(id).unwrap_or_default();
        }
        self.wake(slot);
    }

    /// `$/cancelRequest` from the client. No recording shows what the CLI does with one (they
    /// are of 1.0.102, which has no `session.sendAndWait`); this follows `docs/protocol.md`: a
    /// request the peer cancelled is answered with -32800 (Error codes), still exactly once
    /// (`$/cancelRequest`), and only `session.abort` stops a turn (Turns). So a
    /// `session.sendAndWait` still waiting for its turn's end is answered -32800 `Request
    /// cancelled` now and not again at the end, and its turn goes on. Any other id (a request
    /// answered already, one the simulator answers as it plays, an unknown one) is ignored:
    /// its answer comes as usual, once.
    pub(super) fn cancel(&mut self, id: &[u8]) {
        let waiting = self.state.iter().position(|s| {
            s.waits
                .as_ref()
                .is_some_and(|w| !w.is_empty() && w.as_slice() == id)
        });
        let Some(s) = waiting.and_then(|i| self.state.get_mut(i)) else {
            return;
        };
        let written = emit::error(&mut self.out, id, code::REQUEST_CANCELLED, |w| {
            w.raw("Request cancelled")
        });
        if written.is_ok() {
            s.waits = None;
        }
    }

    /// A response from the client to a `sessionFs.*` request.
    pub(super) fn response(&mut self, id: Option<u64>, ok: bool) {
        let Some(id) = id else { return };
        let waiting = self.fs_waiting.iter().position(|&(n, _)| n == id);
        let slot = match waiting {
            Some(k) => Some(self.fs_waiting.swap_remove(k).1),
            None => self.sessions.iter().map(|(slot, _)| slot).find(|&slot| {
                self.state
                    .get(usize::from(slot))
                    .is_some_and(|s| s.program.wait == Wait::Fs(id))
            }),
        };
        let waits = |s: &SimSession| s.program.wait == Wait::Fs(id);
        let slot = slot.filter(|&slot| self.state.get(usize::from(slot)).is_some_and(waits));
        let Some(slot) = slot else { return };
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.program.wait = Wait::None;
            if !ok {
                // The CLI cannot build the session without its filesystem.
                s.program.fs_failed = true;
            }
        }
        self.wake(slot);
    }
}

/// `text` if it is a JSON object, else `{}`.
pub(super) fn valid_object(text: &str) -> &str {
    match RawJson::parse(text) {
        Ok(v) if v.json_type() == JsonType::Object => v.text(),
        _ => "{}",
    }
}

/// True if a request id the client sent back is the UUID the simulator made from `n`.
fn emit_matches_uuid(got: JsonStr<'_>, n: u64) -> bool {
    let mut buf = [0u8; 40];
    let mut w = Writer::new(&mut buf);
    emit::uuid(&mut w, n);
    let len = w.len();
    buf.get(1..len.saturating_sub(1))
        .is_some_and(|expected| got.raw_bytes() == expected)
}

fn session_info(w: &mut Writer<'_>, sid: &SessionId) {
    w.raw(r#"{"sessionId":"#);
    w.string(sid.as_str());
    w.raw(r#","startTime":"#);
    emit::timestamp(w, 0);
    w.raw(r#","modifiedTime":"#);
    emit::timestamp(w, 0);
    w.raw(r#","isRemote":false,"context":{"cwd":"/"}}"#);
}
