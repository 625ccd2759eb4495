//! The simulated CLI's turn player: runs each session's program (a create, a turn, a
//! destroy) one step at a time, as far as its transmit buffer allows.

use crate::json::write::Writer;

use super::emit::{self, Envelope};
use super::methods::valid_object;
use super::script::{Program, Step, ToolOutcome, Wait};
use super::{Core, ModelReply};
use crate::wire::code;

impl<'b, const S: usize> Core<'b, S> {
    pub(super) fn start(&mut self, slot: u16, program: Program) {
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.program = program;
        }
        self.wake(slot);
    }

    /// After a broadcast request event (`id`, or `None` if it did not fit): the program waits
    /// for its answer.
    pub(super) fn await_answer(
        &mut self,
        slot: u16,
        id: Option<u64>,
        wait: fn(u64) -> Wait,
    ) -> Played {
        let Some(id) = id else {
            return Played::Full;
        };
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.program.wait = wait(id);
            s.program.request = id;
        }
        Played::Wait
    }

    pub(super) fn wake(&mut self, slot: u16) {
        if !self.runnable.iter().any(|&s| s == slot) {
            let _ = self.runnable.push_back(slot);
        }
    }

    /// Queues one `session.event` for `slot`; returns the event's number (its id), or `None`
    /// if the transmit buffer is full.
    pub(super) fn event(
        &mut self,
        slot: u16,
        kind: &str,
        data: impl FnOnce(&mut Writer<'_>, u64),
    ) -> Option<u64> {
        let sid = self.session_name(slot);
        let id = self.counter + 1;
        let parent = self.state.get(usize::from(slot)).and_then(|s| s.last_event);
        let env = Envelope {
            session_id: sid.as_str(),
            id,
            parent,
        };
        emit::event(&mut self.out, &env, kind, |w| data(w, id)).ok()?;
        self.counter = id;
        self.stats.events += 1;
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.last_event = Some(id);
        }
        Some(id)
    }

    /// `assistant.streaming_delta`: the reply's size so far.
    pub(super) fn streaming_delta(&mut self, slot: u16, total: usize) -> Option<u64> {
        self.event(slot, "assistant.streaming_delta", |w, _| {
            w.raw(r#"{"totalResponseSizeBytes":"#);
            w.u64(total as u64);
            w.byte(b'}');
        })
    }

    /// Runs runnable programs until each waits, ends, or the transmit buffer is full.
    pub(super) fn run_programs(&mut self) -> bool {
        let mut progressed = false;
        while let Some(slot) = self.runnable.pop_front() {
            loop {
                let step = self
                    .state
                    .get(usize::from(slot))
                    .and_then(|s| s.program.current());
                let Some(step) = step else {
                    break;
                };
                let played = self.play(slot, step);
                if !matches!(played, Played::Full) {
                    progressed = true;
                }
                match played {
                    Played::Next => self.advance(slot),
                    Played::Stay => {}
                    Played::Wait => {
                        self.advance(slot);
                        break;
                    }
                    Played::Full => {
                        let _ = self.runnable.push_front(slot);
                        return progressed;
                    }
                    Played::Released => break,
                }
            }
        }
        progressed
    }

    pub(super) fn advance(&mut self, slot: u16) {
        if let Some(s) = self.state.get_mut(usize::from(slot)) {
            s.program.advance();
        }
    }

    /// Plays one step.
    pub(super) fn play(&mut self, slot: u16, step: Step) -> Played {
        let sid = self.session_name(slot);
        let Some(s) = self.state.get(usize::from(slot)) else {
            return Played::Released;
        };
        let reply = s.program.reply.and_then(|r| self.config.reply(r));
        // What the model says, for a reply that repeats the prompt.
        let mut echo = heapless::String::<512>::new();
        if let Some(ModelReply::Echo { before, after }) = reply {
            for part in [before, s.said.as_str(), after] {
                for c in part.chars() {
                    if echo.push(c).is_err() {
                        break;
                    }
                }
            }
        }
        let (at, between, turn) = (s.program.at, s.program.between, u64::from(s.turns));
        let (outcome, fs_failed, request) = (s.tool, s.program.fs_failed, s.program.request);
        let ran = !matches!(outcome, ToolOutcome::Rejected | ToolOutcome::Unanswerable);
        let reply_to = s.program.reply_to.clone();
        let (sent, waits, last_event) = (s.message, s.waits.clone(), s.last_event);
        let prompt = s.prompt.clone();
        let noted = s.note.clone();
        let fs_op = s.program.fs_sent;
        let (tool, args) = match reply {
            Some(ModelReply::ToolCall {
                tool, arguments, ..
            }) => (tool, valid_object(arguments)),
            _ => ("", "{}"),
        };
        let text = |then: bool| match reply {
            Some(ModelReply::Text(t)) => t,
            Some(ModelReply::Echo { .. }) => echo.as_str(),
            Some(ModelReply::ToolCall { then: t, .. }) if then => t,
            _ => "",
        };
        let call_id = |w: &mut Writer<'_>| {
            w.raw("\"call_");
            w.u64(turn);
            w.byte(b'"');
        };
        let message_id = |w: &mut Writer<'_>| emit::uuid(w, turn << 8 | 0xAB);
        let done = |written: Option<u64>| match written {
            Some(_) => Played::Next,
            None => Played::Full,
        };
        match step {
            Step::LifecycleCreated | Step::LifecycleUpdated => {
                let kind = match step {
                    Step::LifecycleCreated => "session.created",
                    _ => "session.updated",
                };
                let now = self.counter;
                let r = emit::notification(&mut self.out, "session.lifecycle", |w| {
                    w.raw(r#"{"type":""#);
                    w.raw(kind);
                    w.raw(r#"","sessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#","metadata":{"startTime":"#);
                    emit::timestamp(w, 0);
                    w.raw(r#","modifiedTime":"#);
                    emit::timestamp(w, now);
                    w.raw("}}");
                });
                done(r.ok().map(|_| 0))
            }
            Step::FsRequest => {
                // What the CLI asks while building a session, in its order.
                const OPS: [(&str, &str); 6] = [
                    ("sessionFs.readFile", r#"{"path":"/session-state/settings.json""#),
                    ("sessionFs.mkdir", r#"{"path":"/session-state/checkpoints","recursive":true,"mode":448"#),
                    ("sessionFs.writeFile", r##"{"path":"/session-state/checkpoints/index.md","content":"# Checkpoint History\n""##),
                    ("sessionFs.rename", r#"{"src":"/session-state/workspace.yaml.tmp","dest":"/session-state/workspace.yaml""#),
                    ("sessionFs.readdirWithTypes", r#"{"path":"/session-state/files""#),
                    ("sessionFs.stat", r#"{"path":"/session-state/temp""#),
                ];
                let (method, params) = OPS[usize::from(fs_op) % OPS.len()];
                let n = self.next_request;
                let r = emit::request(&mut self.out, n, method, |w| {
                    w.raw(params);
                    w.raw(r#","sessionId":"#);
                    w.string(sid.as_str());
                    w.byte(b'}');
                });
                if r.is_err() {
                    return Played::Full;
                }
                self.next_request += 1;
                self.stats.server_requests += 1;
                let _ = self.fs_waiting.push((n, slot));
                if let Some(s) = self.state.get_mut(usize::from(slot)) {
                    s.program.wait = Wait::Fs(n);
                    s.program.fs_sent = s.program.fs_sent.wrapping_add(1);
                }
                Played::Wait
            }
            Step::CheckFs if fs_failed => {
                // The CLI cannot build the session without its filesystem.
                let r = emit::error(&mut self.out, &reply_to, code::INTERNAL_ERROR, |w| {
                    w.raw("Request session.create failed with message: session construction failed: No session found for sessionId: ");
                    w.escaped(sid.as_str());
                });
                if r.is_err() {
                    return Played::Full;
                }
                self.release(slot);
                Played::Released
            }
            Step::CheckFs => Played::Next,
            Step::Start => done(self.event(slot, "session.start", |w, _| {
                w.raw(r#"{"sessionId":"#);
                w.string(sid.as_str());
                w.raw(r#","version":1,"producer":"copilot-agent","copilotVersion":"1.0.102","startTime":"#);
                emit::timestamp(w, 0);
                w.raw(r#","context":{"cwd":"/"},"remoteSteerable":false,"alreadyInUse":false}"#);
            })),
            Step::OpenResponse => {
                let r = emit::result(&mut self.out, &reply_to, |w| {
                    w.raw(r#"{"sessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#","nativeSessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#","startTime":"#);
                    emit::timestamp(w, 0);
                    w.raw(r#","isRemote":false,"mode":"interactive","workspacePath":"/home/dev/demo/copilot-home/session-state/"#);
                    w.escaped(sid.as_str());
                    w.raw(r#"","capabilities":{"ui":{"elicitation":false,"mcpApps":false,"canvases":false},"extensions":false},"modelState":{}}"#);
                });
                done(r.ok().map(|_| 0))
            }
            Step::SettingsResolved => {
                done(self.event(slot, "session.managed_settings_resolved", |w, _| {
                    w.raw(r#"{"source":"none","managedKeys":[]}"#)
                }))
            }
            Step::ResumeEvent => done(self.event(slot, "session.resume", |w, id| {
                w.raw(r#"{"resumeTime":"#);
                emit::timestamp(w, id);
                w.raw(r#","contextTier":null,"sessionLimits":null,"context":{"cwd":"/"},"remoteSteerable":false,"eventCount":"#);
                w.u64(turn * 8 + 2);
                w.raw(r#","alreadyInUse":false,"sessionWasActive":false}"#);
            })),
            Step::PendingModified => {
                done(self.event(slot, "pending_messages.modified", |w, _| w.raw("{}")))
            }
            Step::Title => done(self.event(slot, "session.title_changed", |w, _| {
                w.raw(r#"{"title":""#);
                w.bytes(&prompt);
                w.raw("\"}");
            })),
            Step::User => done(self.event(slot, "user.message", |w, _| {
                w.raw(r#"{"content":""#);
                w.bytes(&prompt);
                w.raw(r#"","delivery":"idle","turnId":""#);
                w.u64(turn);
                w.raw(r#"","messageId":"#);
                emit::uuid(w, sent);
                w.byte(b'}');
            })),
            Step::WaitResponse { aborted } => {
                let Some(waits) = waits.as_ref() else {
                    return Played::Next;
                };
                let r = emit::result(&mut self.out, waits, |w| {
                    w.raw(r#"{"messageId":"#);
                    emit::uuid(w, sent);
                    w.raw(if aborted {
                        r#","aborted":true"#
                    } else {
                        r#","aborted":false"#
                    });
                    if let Some(last) = last_event {
                        w.raw(r#","completionEventId":"#);
                        emit::uuid(w, last);
                    }
                    w.byte(b'}');
                });
                if r.is_err() {
                    return Played::Full;
                }
                if let Some(s) = self.state.get_mut(usize::from(slot)) {
                    s.waits = None;
                }
                Played::Next
            }
            Step::TurnStart | Step::TurnEnd => {
                let kind = match step {
                    Step::TurnStart => "assistant.turn_start",
                    _ => "assistant.turn_end",
                };
                done(self.event(slot, kind, |w, _| {
                    w.raw(r#"{"turnId":""#);
                    w.u64(turn);
                    w.raw("\"}");
                }))
            }
            // As 1.0.102: no `user.message` before it, no `originatingMessageId` in it.
            Step::NoModel => done(self.event(slot, "session.error", |w, _| {
                w.raw(r#"{"errorType":"query","message":"Execution failed: InvalidArg, No GitHub OAuth token or Copilot HMAC key provided"}"#)
            })),
            Step::MessageStart => done(self.event(slot, "assistant.message_start", |w, _| {
                w.raw(r#"{"messageId":"#);
                message_id(w);
                w.byte(b'}');
            })),
            Step::StreamStart { then } => {
                let end = next_boundary(text(then), 0, self.config.delta_len.max(1));
                done(self.streaming_delta(slot, end))
            }
            Step::Deltas { then } => {
                // delta, streaming_delta, delta, ..., delta.
                let whole = text(then);
                let end = next_boundary(whole, at, self.config.delta_len.max(1));
                if end <= at {
                    return Played::Next;
                }
                if between {
                    if self.streaming_delta(slot, end).is_none() {
                        return Played::Full;
                    }
                    if let Some(s) = self.state.get_mut(usize::from(slot)) {
                        s.program.between = false;
                    }
                    return Played::Stay;
                }
                let piece = whole.get(at..end).unwrap_or("");
                let r = self.event(slot, "assistant.message_delta", |w, _| {
                    w.raw(r#"{"messageId":"#);
                    message_id(w);
                    w.raw(r#","deltaContent":"#);
                    w.string(piece);
                    w.byte(b'}');
                });
                if r.is_none() {
                    return Played::Full;
                }
                if let Some(s) = self.state.get_mut(usize::from(slot)) {
                    s.program.at = end;
                    s.program.between = true;
                }
                Played::Stay
            }
            Step::Message { then } => done(self.event(slot, "assistant.message", |w, _| {
                w.raw(r#"{"messageId":"#);
                message_id(w);
                w.raw(r#","originatingMessageId":"#);
                emit::uuid(w, sent);
                w.raw(r#","content":"#);
                w.string(text(then));
                w.raw(r#","toolRequests":[]}"#);
            })),
            Step::ToolMessage => done(self.event(slot, "assistant.message", |w, _| {
                w.raw(r#"{"messageId":"#);
                message_id(w);
                w.raw(r#","originatingMessageId":"#);
                emit::uuid(w, sent);
                w.raw(r#","content":"","toolRequests":[{"toolCallId":"#);
                call_id(w);
                w.raw(r#","name":"#);
                w.string(tool);
                w.raw(r#","arguments":"#);
                w.raw(args);
                w.raw(r#","type":"function"}]}"#);
            })),
            Step::ToolStart => done(self.event(slot, "tool.execution_start", |w, _| {
                w.raw(r#"{"toolCallId":"#);
                call_id(w);
                w.raw(r#","toolName":"#);
                w.string(tool);
                w.raw(r#","arguments":"#);
                w.raw(args);
                w.byte(b'}');
            })),
            Step::Permission => {
                let r = self.event(slot, "permission.requested", |w, id| {
                    w.raw(r#"{"requestId":"#);
                    emit::uuid(w, id);
                    w.raw(r#","permissionRequest":{"kind":"custom-tool","toolCallId":"#);
                    call_id(w);
                    w.raw(r#","toolName":"#);
                    w.string(tool);
                    w.raw(r#","toolDescription":"","args":"#);
                    w.raw(args);
                    w.raw("}}");
                });
                self.await_answer(slot, r, Wait::Permission)
            }
            Step::PermissionCompleted => {
                if self.out.free() < 1024 {
                    return Played::Full;
                }
                let r = self.event(slot, "permission.completed", |w, _| {
                    w.raw(r#"{"requestId":"#);
                    emit::uuid(w, request);
                    w.raw(r#","toolCallId":"#);
                    call_id(w);
                    if ran {
                        w.raw(r#","result":{"kind":"approved"}}"#);
                    } else {
                        w.raw(r#","result":{"kind":"denied-interactively-by-user""#);
                        if !noted.is_empty() {
                            w.raw(r#","feedback":""#);
                            w.bytes(&noted);
                            w.byte(b'"');
                        }
                        w.raw("}}");
                    }
                });
                self.ok(&reply_to, r#"{"success":true}"#);
                done(r)
            }
            // Not permitted: the tool does not run.
            Step::ExternalTool | Step::ToolCompleted if !ran => Played::Next,
            Step::ExternalTool => {
                let r = self.event(slot, "external_tool.requested", |w, id| {
                    w.raw(r#"{"requestId":"#);
                    emit::uuid(w, id);
                    w.raw(r#","sessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#","toolCallId":"#);
                    call_id(w);
                    w.raw(r#","toolName":"#);
                    w.string(tool);
                    w.raw(r#","arguments":"#);
                    w.raw(args);
                    w.byte(b'}');
                });
                self.await_answer(slot, r, Wait::Tool)
            }
            Step::ToolCompleted => {
                if self.out.free() < 1024 {
                    return Played::Full;
                }
                let r = self.event(slot, "external_tool.completed", |w, _| {
                    w.raw(r#"{"requestId":"#);
                    emit::uuid(w, request);
                    w.byte(b'}');
                });
                self.ok(&reply_to, r#"{"success":true}"#);
                done(r)
            }
            Step::ToolComplete => done(self.event(slot, "tool.execution_complete", |w, _| {
                w.raw(r#"{"toolCallId":"#);
                call_id(w);
                let failure = |w: &mut Writer<'_>, code: &str, message: &dyn Fn(&mut Writer<'_>)| {
                    w.raw(r#","success":false,"error":{"message":""#);
                    message(w);
                    w.raw(r#"","code":""#);
                    w.raw(code);
                    w.raw("\"}}");
                };
                match outcome {
                    ToolOutcome::Done | ToolOutcome::Pending => {
                        w.raw(r#","success":true,"result":{"content":""#);
                        w.bytes(&noted);
                        w.raw("\"}}");
                    }
                    ToolOutcome::Failed => failure(w, "failure", &|w| w.bytes(&noted)),
                    ToolOutcome::Error => failure(w, "failure", &|w| w.raw("Tool execution failed")),
                    ToolOutcome::Rejected => failure(w, "denied", &|w| {
                        w.raw("The user rejected this tool call.");
                        if !noted.is_empty() {
                            w.raw(" User feedback: ");
                            w.bytes(&noted);
                        }
                    }),
                    ToolOutcome::Unanswerable => failure(w, "denied", &|w| {
                        w.raw("Permission denied and could not request permission from user. Copilot needed the user's approval and no one could answer.")
                    }),
                }
            })),
            Step::Stall => {
                if let Some(s) = self.state.get_mut(usize::from(slot)) {
                    s.program.wait = Wait::Abort;
                }
                Played::Wait
            }
            Step::Abort => done(self.event(slot, "abort", |w, _| {
                w.raw(r#"{"reason":"user_initiated"}"#)
            })),
            Step::AssistantIdle { aborted } => done(self.event(slot, "assistant.idle", |w, _| {
                w.raw(if aborted { r#"{"aborted":true}"# } else { "{}" })
            })),
            Step::AbortResponse => {
                let r = emit::result(&mut self.out, &reply_to, |w| w.raw(r#"{"success":true}"#));
                done(r.ok().map(|_| 0))
            }
            Step::SessionIdle { aborted } => {
                let r = self.event(slot, "session.idle", |w, _| {
                    w.raw(if aborted {
                        r#"{"aborted":true,"mode":"interactive"}"#
                    } else {
                        r#"{"mode":"interactive"}"#
                    })
                });
                if r.is_some() {
                    self.stats.turns += 1;
                    if let Some(s) = self.state.get_mut(usize::from(slot)) {
                        s.turns += 1;
                    }
                }
                done(r)
            }
            Step::Shutdown => done(self.event(slot, "session.shutdown", |w, _| {
                w.raw(r#"{"shutdownType":"routine","totalPremiumRequests":0,"totalApiDurationMs":0,"sessionStartTime":1795475425418,"codeChanges":{"linesAdded":0,"linesRemoved":0,"filesModified":[]},"modelMetrics":{}}"#)
            })),
            Step::HostEvent => {
                let r = emit::notification(&mut self.out, "host.event", |w| {
                    w.raw(r#"{"scope":{"type":"session","sessionId":"#);
                    w.string(sid.as_str());
                    w.raw(r#"},"kind":"task_transition","payload":{"kind":"disposed"}}"#);
                });
                done(r.ok().map(|_| 0))
            }
            Step::DestroyResponse => {
                let r = emit::result(&mut self.out, &reply_to, |w| w.raw(r#"{"success":true}"#));
                if r.is_err() {
                    return Played::Full;
                }
                // Sessions that had a turn persist and can be resumed.
                match self.state.get_mut(usize::from(slot)) {
                    Some(s) if s.turns > 0 => {
                        s.persisted = true;
                        s.program = Program::IDLE;
                    }
                    _ => self.release(slot),
                }
                Played::Released
            }
        }
    }
}

/// The result of playing one step.
pub(super) enum Played {
    /// Done; go on to the next step.
    Next,
    /// Wrote a frame; the same step has more.
    Stay,
    /// Done; now wait for the client.
    Wait,
    /// The transmit buffer is full: try again later.
    Full,
    /// The session is gone.
    Released,
}

/// The end of the next delta: `at + len` moved back to a character boundary.
fn next_boundary(text: &str, at: usize, len: usize) -> usize {
    if at >= text.len() {
        return at;
    }
    let mut end = (at + len).min(text.len());
    while end > at && !text.is_char_boundary(end) {
        end -= 1;
    }
    if end == at {
        // A character longer than `len`: take it whole.
        end = at + 1;
        while end < text.len() && !text.is_char_boundary(end) {
            end += 1;
        }
    }
    end
}
