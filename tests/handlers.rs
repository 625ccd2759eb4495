//! Session handlers and the dispatch step: every call the CLI makes on a session reaches its
//! handler, and is answered exactly once, with the bytes the handler chose; a deferred call is
//! answered later; no answer is lost to a full transmit buffer; a live resume swaps handlers
//! and a failed one brings the old handler back.

mod support;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use copilot_sansio::handler::{
    Answer, CommandCall, Dispatch, ElicitationCall, PendingCall, PermissionCall, Request,
    SessionFs, SessionHandler, ToolCall,
};
use copilot_sansio::json::{JsonStr, RawJson};
use copilot_sansio::proto::SessionEvent;
use copilot_sansio::proto::params::{
    ExternalToolResult, PermissionDecision, PermissionDecisionReject, UiElicitationResponse,
    UiElicitationResponseAction,
};
use copilot_sansio::proto::server::{
    AutoModeSwitch, AutoModeSwitchAnswer, AutoModeSwitchRequest, ExitPlanModeAnswer,
    ExitPlanModeRequest, HookInvokeResponse, HooksInvoke, ServerCall, SessionFsReadFile,
    SessionFsReadFileResult, SystemMessageTransformRequest, TransformedSections, UserInputAnswer,
    UserInputRequest,
};
use copilot_sansio::{
    CallerAnswers, Config, Connect, Error, Event, ReplyHandle, SessionHandle, SessionId,
};
use support::*;

const SID: &str = "9d54a69c-624b-4a7a-a3f8-d57c18a45562";

/// How a test handler answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Now,
    Error,
    Later,
    Unhandled,
}

/// A handler that writes down what it sees and answers as told.
struct Recorder {
    name: &'static str,
    mode: Mode,
    seen: Vec<String>,
    kept: Vec<PendingCall>,
    kept_replies: Vec<ReplyHandle>,
    text: String,
    fs: Option<Files>,
}

impl Recorder {
    fn new(name: &'static str, mode: Mode) -> Self {
        Recorder {
            name,
            mode,
            seen: Vec::new(),
            kept: Vec::new(),
            kept_replies: Vec::new(),
            text: String::new(),
            fs: None,
        }
    }

    fn answer<'a, T>(&'a self, now: T) -> Answer<'a, T> {
        match self.mode {
            Mode::Now => Answer::Now(now),
            Mode::Error => Answer::Error("it broke"),
            Mode::Later => Answer::Later,
            Mode::Unhandled => Answer::Unhandled,
        }
    }
}

impl SessionHandler for Recorder {
    fn on_event(&mut self, _: SessionHandle, event: SessionEvent<'_>) {
        self.seen
            .push(format!("{}: {}", self.name, event.event_type()));
    }

    fn on_tool_call<'a>(&'a mut self, call: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
        let name = call
            .data
            .tool_name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        let args = call.data.arguments().map(|a| a.text().to_string());
        self.seen
            .push(format!("tool {name} {}", args.unwrap_or_default()));
        if self.mode == Mode::Later {
            self.kept.push(call.defer().expect("a short id"));
        }
        self.text = format!("{name} ran");
        let text = self.text.as_str();
        match self.mode {
            Mode::Now => Answer::Now(ExternalToolResult::Text(text)),
            Mode::Error => Answer::Error("it broke"),
            Mode::Later => Answer::Later,
            Mode::Unhandled => Answer::Unhandled,
        }
    }

    fn on_permission<'a>(
        &'a mut self,
        request: PermissionCall<'a>,
    ) -> Answer<'a, PermissionDecision<'a>> {
        self.seen.push(format!("permission {}", request.request_id));
        if self.mode == Mode::Later {
            self.kept.push(request.defer().expect("a short id"));
        }
        self.answer(PermissionDecision::Reject(
            PermissionDecisionReject::new().feedback("not today"),
        ))
    }

    fn on_elicitation<'a>(
        &'a mut self,
        request: ElicitationCall<'a>,
    ) -> Answer<'a, UiElicitationResponse<'a>> {
        self.seen
            .push(format!("elicitation {}", request.request_id));
        self.answer(UiElicitationResponse::new(
            UiElicitationResponseAction::Decline,
        ))
    }

    fn on_command<'a>(&'a mut self, command: CommandCall<'a>) -> Answer<'a, ()> {
        self.seen.push(format!("command {}", command.request_id));
        self.answer(())
    }

    fn on_user_input<'a>(
        &'a mut self,
        request: Request<'a, UserInputRequest<'a>>,
    ) -> Answer<'a, UserInputAnswer<'a>> {
        let question = request
            .params
            .question()
            .map(|q| q.to_string())
            .unwrap_or_default();
        self.seen.push(format!("user input {question}"));
        if self.mode == Mode::Later {
            self.kept_replies.push(request.reply);
        }
        self.answer(UserInputAnswer {
            answer: "blue",
            was_freeform: true,
        })
    }

    fn on_auto_mode_switch<'a>(
        &'a mut self,
        request: Request<'a, AutoModeSwitchRequest<'a>>,
    ) -> Answer<'a, AutoModeSwitchAnswer> {
        let after = request.params.retry_after_seconds();
        self.seen.push(format!("auto mode switch {after:?}"));
        self.answer(AutoModeSwitchAnswer {
            response: AutoModeSwitch::YesAlways,
        })
    }

    fn session_fs(&mut self) -> Option<&mut dyn SessionFs> {
        self.fs.as_mut().map(|fs| fs as &mut dyn SessionFs)
    }

    fn on_request<'a>(
        &'a mut self,
        request: Request<'a, ServerCall<'a>>,
    ) -> Answer<'a, RawJson<'a>> {
        self.seen.push(format!("request {}", request.method));
        self.answer(RawJson::parse(r#"{"stopped":true}"#).expect("json"))
    }

    fn on_cancelled(&mut self, _: ReplyHandle) {
        self.seen.push("cancelled".to_string());
    }
}

/// A one-file filesystem.
struct Files {
    content: String,
}

impl SessionFs for Files {
    fn read_file<'a>(
        &'a mut self,
        request: Request<'a, SessionFsReadFile<'a>>,
    ) -> Answer<'a, SessionFsReadFileResult<'a>> {
        match request.params.path() {
            Some(p) if p.eq_str("/plan.md") => {
                Answer::Now(SessionFsReadFileResult::new(&self.content))
            }
            _ => Answer::Error("no such file"),
        }
    }
}

struct Harness<H = Recorder> {
    c: Conn<4, 8>,
    d: Dispatch<H, 4>,
    h: SessionHandle,
    /// Written out to make room, as a driver does.
    out: Vec<u8>,
}

fn ok(id: u64, result: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#)
}

fn event(kind: &str, data: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{SID}","event":{{"type":"{kind}","data":{data},"id":"e-{kind}","timestamp":"2026-11-23T23:10:25.444Z","parentId":null}}}}}}"#
    )
}

fn request(id: &str, method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#)
}

impl<H: SessionHandler> Harness<H> {
    /// A connected client whose session `SID` has `handler` (requests 1: connect, 2: create);
    /// `before` is sent by the CLI before the create response.
    fn new(handler: H, before: &[String]) -> Self {
        let config = Config::default().caller_answers(CallerAnswers::ALL);
        let mut c = Conn::<4, 8>::new(16 * 1024, 4096, config);
        let mut d = Dispatch::new();
        c.client.connect(NOW, &Connect::default()).unwrap();
        let id = SessionId::new(SID).unwrap();
        let h = d
            .create_session(&mut c.client, NOW, id, &(), handler)
            .unwrap();
        c.output();
        let mut h = Harness {
            c,
            d,
            h,
            out: Vec::new(),
        };
        let mut frames = vec![ok(1, r#"{"protocolVersion":3}"#)];
        frames.extend(before.iter().cloned());
        frames.push(ok(2, &format!(r#"{{"sessionId":"{SID}"}}"#)));
        for f in frames {
            h.feed(&f);
        }
        h.c.output();
        h
    }

    /// Feeds one frame; returns the events the dispatch gave back.
    fn feed(&mut self, body: &str) -> Vec<Ev> {
        self.c.inbox.push(&frame(body));
        let mut back = Vec::new();
        while let Some(e) = self.c.client.poll_event(&mut self.c.inbox, NOW) {
            let dispatched = match self.d.dispatch(&mut self.c.client, NOW, e) {
                Err(Error::TransmitFull { .. }) => {
                    // What a driver does: write the bytes out, then the same event again.
                    self.out.extend_from_slice(self.c.client.transmit_bytes());
                    self.c
                        .client
                        .transmitted(self.c.client.transmit_bytes().len());
                    self.d.dispatch(&mut self.c.client, NOW, e)
                }
                other => other,
            };
            if let Some(e) = dispatched.unwrap() {
                back.push(Ev::of(&e));
            }
        }
        back
    }

    /// The frames written since last asked, as JSON text.
    fn written(&mut self) -> Vec<String> {
        let mut bytes = std::mem::take(&mut self.out);
        bytes.extend(self.c.output());
        bodies(&bytes)
    }
}

impl Harness<Recorder> {
    fn seen(&mut self) -> Vec<String> {
        std::mem::take(&mut self.d.handler(self.h).expect("handler").seen)
    }
}

/// The JSON bodies of framed output.
fn bodies(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    text.split("Content-Length: ")
        .filter(|s| !s.is_empty())
        .map(|s| s.split_once("\r\n\r\n").unwrap().1.to_string())
        .collect()
}

fn pending(method: &str, id: u64, rest: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{{"sessionId":"{SID}","requestId":"r-1"{rest}}}}}"#
    )
}

const TOOL_CALL: &str =
    r#"{"requestId":"r-1","toolCallId":"t-1","toolName":"local_time","arguments":{"zone":"UTC"}}"#;

#[test]
fn events_sent_before_the_create_response_reach_the_handler() {
    let early = [event("session.start", "{}"), event("session.info", "{}")];
    let mut h = Harness::new(Recorder::new("one", Mode::Now), &early);
    assert_eq!(h.seen(), ["one: session.start", "one: session.info"]);
    // Session events are still the caller's after the handler saw them.
    let back = h.feed(&event("assistant.turn_start", "{}"));
    assert!(
        matches!(&back[..], [Ev::Session(s, t, _)] if *s == h.h && t == "assistant.turn_start"),
        "{back:?}"
    );
    assert_eq!(h.seen(), ["one: assistant.turn_start"]);
}

#[test]
fn a_tool_call_is_answered_once_with_the_handlers_result() {
    let mut h = Harness::new(Recorder::new("one", Mode::Now), &[]);
    let back = h.feed(&event("external_tool.requested", TOOL_CALL));
    assert!(back.is_empty(), "the call was the handler's: {back:?}");
    assert_eq!(
        h.seen(),
        [
            "one: external_tool.requested",
            r#"tool local_time {"zone":"UTC"}"#
        ]
    );
    assert_eq!(
        h.written(),
        [pending(
            "session.tools.handlePendingToolCall",
            3,
            r#","result":"local_time ran""#
        )]
    );
    // Its response is the dispatch's, not the caller's.
    assert!(h.feed(&ok(3, r#"{"success":true}"#)).is_empty());
    assert_eq!(h.c.client.pending_requests(), 0);
}

#[test]
fn failures_are_answered_in_each_calls_own_way() {
    let mut h = Harness::new(Recorder::new("one", Mode::Error), &[]);
    h.feed(&event("external_tool.requested", TOOL_CALL));
    h.feed(&event(
        "permission.requested",
        r#"{"requestId":"r-1","permissionRequest":{"kind":"shell"}}"#,
    ));
    h.feed(&event(
        "elicitation.requested",
        r#"{"requestId":"r-1","message":"Pick"}"#,
    ));
    h.feed(&event(
        "command.execute",
        r#"{"requestId":"r-1","command":"/deploy","commandName":"deploy","args":""}"#,
    ));
    assert_eq!(
        h.written(),
        [
            pending(
                "session.tools.handlePendingToolCall",
                3,
                r#","error":"it broke""#
            ),
            pending(
                "session.permissions.handlePendingPermissionRequest",
                4,
                r#","result":{"kind":"denied-no-approval-rule-and-could-not-request-from-user"}"#
            ),
            pending(
                "session.ui.handlePendingElicitation",
                5,
                r#","result":{"action":"cancel"}"#
            ),
            pending(
                "session.commands.handlePendingCommand",
                6,
                r#","error":"it broke""#
            ),
        ]
    );
}

#[test]
fn broadcasts_a_handler_does_not_handle_are_left_to_other_clients() {
    let mut h = Harness::new(Recorder::new("one", Mode::Unhandled), &[]);
    let back = h.feed(&event("external_tool.requested", TOOL_CALL));
    assert!(back.is_empty());
    assert_eq!(h.written(), Vec::<String>::new());
}

#[test]
fn each_broadcast_kind_gets_the_handlers_answer() {
    let mut h = Harness::new(Recorder::new("one", Mode::Now), &[]);
    h.feed(&event(
        "permission.requested",
        r#"{"requestId":"r-1","permissionRequest":{"kind":"shell"}}"#,
    ));
    h.feed(&event(
        "elicitation.requested",
        r#"{"requestId":"r-1","message":"Pick"}"#,
    ));
    h.feed(&event(
        "command.execute",
        r#"{"requestId":"r-1","command":"/deploy","commandName":"deploy","args":""}"#,
    ));
    assert_eq!(
        h.written(),
        [
            pending(
                "session.permissions.handlePendingPermissionRequest",
                3,
                r#","result":{"kind":"reject","feedback":"not today"}"#
            ),
            pending(
                "session.ui.handlePendingElicitation",
                4,
                r#","result":{"action":"decline"}"#
            ),
            pending("session.commands.handlePendingCommand", 5, ""),
        ]
    );
    assert_eq!(
        h.seen(),
        [
            "one: permission.requested",
            "permission r-1",
            "one: elicitation.requested",
            "elicitation r-1",
            "one: command.execute",
            "command r-1",
        ]
    );
}

#[test]
fn server_requests_get_the_handlers_answers_or_the_clients_defaults() {
    let mut h = Harness::new(Recorder::new("one", Mode::Now), &[]);
    let sid = format!(r#""sessionId":"{SID}""#);
    h.feed(&request(
        "7",
        "userInput.request",
        &format!(r#"{{{sid},"question":"Colour?"}}"#),
    ));
    h.feed(&request(
        r#""a""#,
        "autoModeSwitch.request",
        &format!(r#"{{{sid},"retryAfterSeconds":1.0}}"#),
    ));
    h.feed(&request(
        "8",
        "tasks.cancel",
        &format!(r#"{{{sid},"taskId":"x"}}"#),
    ));
    // Not overridden by the handler: the client's own defaults.
    h.feed(&request(
        "9",
        "exitPlanMode.request",
        &format!(r#"{{{sid},"summary":"s"}}"#),
    ));
    h.feed(&request(
        "10",
        "hooks.invoke",
        &format!(r#"{{{sid},"hookType":"preToolUse","input":{{}}}}"#),
    ));
    h.feed(&request(
        "11",
        "sessionFs.readFile",
        &format!(r#"{{{sid},"path":"/plan.md"}}"#),
    ));
    assert_eq!(
        h.written(),
        [
            r#"{"jsonrpc":"2.0","id":7,"result":{"answer":"blue","wasFreeform":true}}"#,
            r#"{"jsonrpc":"2.0","id":"a","result":{"response":"yes_always"}}"#,
            r#"{"jsonrpc":"2.0","id":8,"result":{"stopped":true}}"#,
            r#"{"jsonrpc":"2.0","id":9,"result":{"approved":true}}"#,
            r#"{"jsonrpc":"2.0","id":10,"result":{"output":{}}}"#,
            &format!(
                r#"{{"jsonrpc":"2.0","id":11,"error":{{"code":-32603,"message":"No sessionFs handler registered for session: {SID}"}}}}"#
            ),
        ]
    );
    assert_eq!(
        h.seen(),
        [
            "user input Colour?",
            "auto mode switch Some(1)",
            "request tasks.cancel"
        ]
    );
    assert_eq!(h.c.client.pending_server_requests(), 0);
}

#[test]
fn a_sessions_filesystem_answers_its_requests() {
    let mut handler = Recorder::new("one", Mode::Now);
    handler.fs = Some(Files {
        content: "# Plan\n".to_string(),
    });
    let mut h = Harness::new(handler, &[]);
    let sid = format!(r#""sessionId":"{SID}""#);
    h.feed(&request(
        "1",
        "sessionFs.readFile",
        &format!(r#"{{{sid},"path":"/plan.md"}}"#),
    ));
    h.feed(&request(
        "2",
        "sessionFs.readFile",
        &format!(r#"{{{sid},"path":"/other"}}"#),
    ));
    // What the filesystem does not implement gets the client's default.
    h.feed(&request(
        "3",
        "sessionFs.exists",
        &format!(r#"{{{sid},"path":"/plan.md"}}"#),
    ));
    let written = h.written();
    assert_eq!(
        written[0],
        r##"{"jsonrpc":"2.0","id":1,"result":{"content":"# Plan\n"}}"##
    );
    assert_eq!(
        written[1],
        r#"{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"no such file"}}"#
    );
    assert!(
        written[2].starts_with(r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32603,"#),
        "{}",
        written[2]
    );
    assert_eq!(written.len(), 3);
}

#[test]
fn a_deferred_call_is_answered_later_through_the_client() {
    let mut h = Harness::new(Recorder::new("one", Mode::Later), &[]);
    let sid = format!(r#""sessionId":"{SID}""#);
    h.feed(&event("external_tool.requested", TOOL_CALL));
    h.feed(&request(
        "7",
        "userInput.request",
        &format!(r#"{{{sid},"question":"Colour?"}}"#),
    ));
    assert_eq!(h.written(), Vec::<String>::new(), "nothing is sent yet");
    let handler = h.d.handler(h.h).unwrap();
    let call = handler.kept.pop().unwrap();
    let reply = handler.kept_replies.pop().unwrap();
    let result = ExternalToolResult::Text("later");
    let _ =
        h.c.client
            .session(call.session())
            .answer_tool_call(NOW, call.request_id(), Ok(result))
            .unwrap();
    let answer = UserInputAnswer {
        answer: "green",
        was_freeform: false,
    };
    h.c.client.respond(reply, &answer).unwrap();
    assert_eq!(
        h.written(),
        [
            pending(
                "session.tools.handlePendingToolCall",
                3,
                r#","result":"later""#
            ),
            r#"{"jsonrpc":"2.0","id":7,"result":{"answer":"green","wasFreeform":false}}"#
                .to_string(),
        ]
    );
    assert_eq!(
        h.c.client.respond(reply, &answer),
        Err(Error::UnknownReply),
        "once"
    );
}

#[test]
fn a_call_waits_for_room_before_its_handler_sees_it() {
    let mut h = Harness::new(Recorder::new("one", Mode::Now), &[]);
    // Bytes still waiting to be written.
    let _ = h.c.client.ping(NOW, None).unwrap();
    h.c.inbox
        .push(&frame(&event("external_tool.requested", TOOL_CALL)));
    let e = h.c.client.poll_event(&mut h.c.inbox, NOW).unwrap();
    assert!(matches!(
        h.d.dispatch(&mut h.c.client, NOW, e),
        Err(Error::TransmitFull { .. })
    ));
    let hh = h.h;
    assert!(
        h.d.handler(hh).unwrap().seen.is_empty(),
        "the handler has not seen it"
    );
    let before = bodies(h.c.client.transmit_bytes());
    h.c.client.transmitted(h.c.client.transmit_bytes().len());
    assert_eq!(before.len(), 1, "the ping");
    // Written out: the same event again, answered once.
    assert!(h.d.dispatch(&mut h.c.client, NOW, e).unwrap().is_none());
    assert_eq!(h.d.handler(hh).unwrap().seen.len(), 2);
    assert_eq!(
        bodies(h.c.client.transmit_bytes()),
        [pending(
            "session.tools.handlePendingToolCall",
            4,
            r#","result":"local_time ran""#
        )]
    );
}

/// A handler whose answer is larger than the transmit buffer.
struct Huge(String);

impl SessionHandler for Huge {
    fn on_tool_call<'a>(&'a mut self, _: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
        Answer::Now(ExternalToolResult::Text(&self.0))
    }
}

#[test]
fn an_answer_too_large_to_send_is_replaced_by_an_error() {
    let mut c = Conn::<2, 4>::new(16 * 1024, 1024, Config::default());
    let mut d: Dispatch<Huge, 2> = Dispatch::new();
    c.client.connect(NOW, &Connect::default()).unwrap();
    let id = SessionId::new(SID).unwrap();
    let h = d
        .create_session(&mut c.client, NOW, id, &(), Huge("x".repeat(4000)))
        .unwrap();
    c.output();
    let frames = [
        frame(&ok(1, r#"{"protocolVersion":3}"#)),
        frame(&ok(2, &format!(r#"{{"sessionId":"{SID}"}}"#))),
        frame(&event("external_tool.requested", TOOL_CALL)),
    ]
    .concat();
    c.inbox.push(&frames);
    while let Some(e) = c.client.poll_event(&mut c.inbox, NOW) {
        d.dispatch(&mut c.client, NOW, e).unwrap();
    }
    assert_eq!(
        bodies(&c.output()),
        [pending(
            "session.tools.handlePendingToolCall",
            3,
            r#","error":"the answer is larger than the client's transmit buffer""#
        )]
    );
    assert!(d.handler(h).is_some());
}

#[test]
fn a_cancelled_request_reaches_its_handler() {
    let mut h = Harness::new(Recorder::new("one", Mode::Later), &[]);
    let sid = format!(r#""sessionId":"{SID}""#);
    h.feed(&request(
        "7",
        "userInput.request",
        &format!(r#"{{{sid},"question":"Colour?"}}"#),
    ));
    let back = h.feed(r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}"#);
    assert!(back.is_empty(), "{back:?}");
    assert_eq!(h.seen(), ["user input Colour?", "cancelled"]);
    assert_eq!(
        h.written(),
        [r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32800,"message":"Request cancelled"}}"#]
    );
}

#[test]
fn a_live_resume_hands_the_session_to_a_new_handler_and_a_failed_one_gives_it_back() {
    let mut h = Harness::new(Recorder::new("old", Mode::Now), &[]);
    let id = SessionId::new(SID).unwrap();
    let again =
        h.d.resume_session(
            &mut h.c.client,
            NOW,
            id.clone(),
            &(),
            Recorder::new("new", Mode::Now),
        )
        .unwrap();
    assert_eq!(again, h.h);
    // The CLI sends events while the resume is in flight: they are the new handler's.
    h.feed(&event("session.resume", "{}"));
    assert_eq!(h.seen(), ["new: session.resume"]);
    h.feed(r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32603,"message":"no"}}"#);
    h.feed(&event("assistant.turn_start", "{}"));
    assert_eq!(
        h.seen(),
        ["old: assistant.turn_start"],
        "the old handler is back"
    );
    // A resume that succeeds keeps the new one.
    let _ =
        h.d.resume_session(
            &mut h.c.client,
            NOW,
            id,
            &(),
            Recorder::new("newer", Mode::Now),
        )
        .unwrap();
    h.feed(&ok(4, &format!(r#"{{"sessionId":"{SID}"}}"#)));
    h.feed(&event("assistant.turn_start", "{}"));
    assert_eq!(h.seen(), ["newer: assistant.turn_start"]);
}

#[test]
fn a_closed_session_drops_its_handler() {
    let mut h = Harness::new(Recorder::new("one", Mode::Now), &[]);
    h.c.client.session(h.h).destroy(NOW).unwrap();
    h.feed(&ok(3, "{}"));
    assert!(h.d.handler(h.h).is_none());
    let back = h.feed(&event("external_tool.requested", TOOL_CALL));
    assert!(matches!(&back[..], [Ev::UnknownSession(..)]), "{back:?}");
}

#[test]
fn events_of_sessions_without_a_handler_stay_the_callers() {
    let config = Config::default().caller_answers(CallerAnswers::ALL);
    let mut c = Conn::<4, 8>::new(16 * 1024, 4096, config);
    let mut d: Dispatch<Recorder, 4> = Dispatch::new();
    c.client.connect(NOW, &Connect::default()).unwrap();
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    c.output();
    c.inbox.push(&frame(&ok(1, r#"{"protocolVersion":3}"#)));
    c.inbox
        .push(&frame(&ok(2, &format!(r#"{{"sessionId":"{SID}"}}"#))));
    c.inbox
        .push(&frame(&event("external_tool.requested", TOOL_CALL)));
    let mut back = Vec::new();
    while let Some(e) = c.client.poll_event(&mut c.inbox, NOW) {
        if let Some(e) = d.dispatch(&mut c.client, NOW, e).unwrap() {
            back.push(Ev::of(&e));
        }
    }
    assert!(
        matches!(back.last(), Some(Ev::Session(s, t, _)) if *s == h && t == "external_tool.requested"),
        "{back:?}"
    );
    assert!(c.output().is_empty());
}

/// A chat's handler: a clock tool, and every permission granted once.
#[derive(Default)]
struct Clock {
    calls: Vec<String>,
}

impl SessionHandler for Clock {
    fn on_tool_call<'a>(&'a mut self, call: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
        let args = call.data.arguments().map(|a| a.text().to_string());
        self.calls.push(args.unwrap_or_default());
        match call.data.tool_name() {
            Some(name) if name.eq_str("local_time") => {
                Answer::Now(ExternalToolResult::Text("12:00 UTC"))
            }
            _ => Answer::Error("no such tool"),
        }
    }

    fn on_permission<'a>(
        &'a mut self,
        _: PermissionCall<'a>,
    ) -> Answer<'a, PermissionDecision<'a>> {
        Answer::Now(PermissionDecision::ApproveOnce(Default::default()))
    }
}

/// Through the simulated CLI: a whole turn with a tool, answered by a handler.
#[test]
fn a_chat_with_a_tool_through_the_simulated_cli() {
    use copilot_sansio::handler::{TurnEnd, TurnUpdate, Turns};
    use copilot_sansio::proto::params::{SessionSend, ToolDeclaration};
    use copilot_sansio::sim::{ModelReply, Sim, SimConfig};
    use copilot_sansio::{Client, Inbox, Instant};

    let replies = [ModelReply::ToolCall {
        tool: "local_time",
        arguments: r#"{"zone":"UTC"}"#,
        then: "It is noon.",
    }];
    let (mut sim_rx, mut sim_tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut sim: Sim<'_, 4> = Sim::new(
        &mut sim_rx,
        &mut sim_tx,
        SimConfig::default().replies(&replies),
    );
    let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 8 * 1024]);
    let mut inbox = Inbox::new(&mut rx);
    let config = Config::default().caller_answers(CallerAnswers::PERMISSIONS);
    let mut client: Client<'_, 4, 8> = Client::new(&mut tx, config).unwrap();
    let mut dispatch: Dispatch<Clock, 4> = Dispatch::new();
    let mut turns: Turns = Turns::new();

    let now = Instant::from_millis(0);
    client.connect(now, &Connect::default()).unwrap();
    let tools = [ToolDeclaration::new("local_time", "The time")];
    let options = config.session_options().tools(&tools);
    let session = dispatch
        .create_session(
            &mut client,
            now,
            SessionId::new(SID).unwrap(),
            &options,
            Clock::default(),
        )
        .unwrap();
    let mut turn = None;
    let mut answer = None;
    let mut end = None;
    for _ in 0..1000 {
        let n = sim.push(client.transmit_bytes());
        client.transmitted(n);
        sim.poll();
        let n = inbox.push(sim.transmit_bytes());
        sim.transmitted(n);
        while let Some(event) = client.poll_event(&mut inbox, now) {
            turns.on_event(&mut client, now, &event, |u| match u {
                TurnUpdate::Message { turn: t, event } if Some(t) == turn => {
                    answer = event.data().get_str("content").map(|c| c.to_string())
                }
                TurnUpdate::Ended { turn: t, end: e } if Some(t) == turn => {
                    end = Some(matches!(e, TurnEnd::Completed))
                }
                _ => {}
            });
            if let Some(Event::SessionOpened { .. }) =
                dispatch.dispatch(&mut client, now, event).unwrap()
            {
                let message = SessionSend::new("time?");
                turn = Some(
                    turns
                        .send(&mut client, now, session, &message, None)
                        .unwrap(),
                );
            }
        }
        if end.is_some() {
            break;
        }
    }
    assert_eq!(end, Some(true), "the turn completed");
    assert_eq!(answer.as_deref(), Some("It is noon."));
    let calls = &dispatch.handler(session).unwrap().calls;
    assert_eq!(calls, &[r#"{"zone":"UTC"}"#]);
    assert_eq!(
        client.pending_requests(),
        0,
        "every answer's response was taken"
    );
}

/// The weather tool and the permission policy of the recordings `tool-call` and
/// `permissions` (real traffic of CLI 1.0.102), as handler answers.
#[derive(Default)]
struct Weather {
    text: String,
}

impl SessionHandler for Weather {
    fn on_tool_call<'a>(&'a mut self, call: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
        use copilot_sansio::proto::params::ExternalToolTextResultForLlm as Rich;
        let city = call
            .data
            .arguments()
            .and_then(|a| a.get_str("city"))
            .map(|c| c.to_string())
            .unwrap_or_default();
        self.text = match city.as_str() {
            "Paris" => "18°C, clear sky".into(),
            "Tokyo" => "25°C, humid".into(),
            "Oslo" => "Weather service unavailable for Oslo".into(),
            other => format!("city not found: {other}"),
        };
        let text = self.text.as_str();
        match city.as_str() {
            "Paris" => Answer::Now(ExternalToolResult::ExternalToolTextResultForLlm(
                Rich::new(text).result_type("success"),
            )),
            "Tokyo" => Answer::Now(ExternalToolResult::Text(text)),
            "Oslo" => Answer::Now(ExternalToolResult::ExternalToolTextResultForLlm(
                Rich::new(text).result_type("failure").error("HTTP 503"),
            )),
            _ => Answer::Error(text),
        }
    }

    fn on_permission<'a>(
        &'a mut self,
        request: PermissionCall<'a>,
    ) -> Answer<'a, PermissionDecision<'a>> {
        let writes = request
            .data
            .permission_request()
            .and_then(|r| r.get_str("fullCommandText"))
            .is_some_and(|c| c.to_string().contains('>'));
        match writes {
            true => Answer::Now(PermissionDecision::Reject(
                PermissionDecisionReject::new().feedback("Do not write files"),
            )),
            false => Answer::Now(PermissionDecision::ApproveOnce(Default::default())),
        }
    }
}

/// Sends the request of an `out` line of a recording as the recorded client did (`connect`,
/// `session.create` through the dispatch with `handler`'s handler, `session.destroy`, any
/// other request as it is), and checks the client wrote exactly the recorded frame.
fn send_recorded_request<H: SessionHandler>(
    c: &mut Conn<2, 8>,
    d: &mut Dispatch<H, 2>,
    line: &Line,
    session: &mut Option<SessionHandle>,
    handler: impl FnOnce() -> H,
) {
    let body = line.json();
    let method = body.get_str("method").unwrap().to_string();
    let params = body.get("params").unwrap();
    let sid = params.get_str("sessionId").map(|s| s.to_string());
    let rest = match &sid {
        Some(sid) => {
            let tail = params
                .text()
                .strip_prefix(&format!("{{\"sessionId\":\"{sid}\""))
                .unwrap();
            match tail.strip_prefix(',') {
                Some(members) => format!("{{{members}"),
                None => "{}".to_string(),
            }
        }
        None => params.text().to_string(),
    };
    let rest = RawJson::parse(&rest).unwrap();
    match method.as_str() {
        "connect" => c.client.connect(NOW, &Connect::default()).unwrap(),
        "session.create" => {
            let id = SessionId::new(sid.as_deref().unwrap()).unwrap();
            *session = Some(
                d.create_session(&mut c.client, NOW, id, &rest, handler())
                    .unwrap(),
            );
        }
        "session.destroy" => c.client.session(session.unwrap()).destroy(NOW).unwrap(),
        _ if sid.is_some() => {
            let _ = c
                .client
                .session(session.unwrap())
                .request(NOW, &method, &rest)
                .unwrap();
        }
        _ => {
            let _ = c.client.request(NOW, &method, &rest).unwrap();
        }
    }
    assert_eq!(
        bodies(&c.output()),
        std::slice::from_ref(&line.body),
        "the test's own request"
    );
}

/// Replays a recording with `Weather` as the session's handler: every frame the recorded
/// client wrote must come out byte for byte, the handler's answers where it answers, the
/// test's own calls (connect, create, send, destroy, the recorded client's repeated answers)
/// for the rest. Returns how many answers the handler wrote.
fn replay_with_handler(name: &str) -> usize {
    let lines = load(&format!("{name}.jsonl"));
    let config = Config::default().caller_answers(CallerAnswers::PERMISSIONS);
    let mut c = Conn::<2, 8>::new(1 << 20, 64 * 1024, config);
    let mut d: Dispatch<Weather, 2> = Dispatch::new();
    let mut session = None;
    let mut answered: VecDeque<String> = VecDeque::new();
    let mut by_handler = 0;
    for line in &lines {
        if !line.out {
            c.inbox.push(&line.frame);
            while let Some(e) = c.client.poll_event(&mut c.inbox, NOW) {
                d.dispatch(&mut c.client, NOW, e).unwrap();
            }
            answered.extend(bodies(&c.output()));
            continue;
        }
        if let Some(frame) = answered.pop_front() {
            assert_eq!(frame, line.body, "the handler's answer, byte for byte");
            by_handler += 1;
            continue;
        }
        send_recorded_request(&mut c, &mut d, line, &mut session, Weather::default);
    }
    assert!(
        answered.is_empty(),
        "answers the recorded client never gave: {answered:?}"
    );
    by_handler
}

#[test]
fn recorded_tool_calls_are_answered_by_the_handler_as_the_recorded_client_did() {
    // Paris (a rich result), Atlantis (an error), Tokyo (text) and Oslo (a failure result).
    assert_eq!(replay_with_handler("tool-call"), 4);
}

#[test]
fn recorded_permission_requests_are_answered_by_the_handler_as_the_recorded_client_did() {
    // Three permissions (approve, reject with feedback, approve) and the tool call.
    assert_eq!(replay_with_handler("permissions"), 4);
}

/// What a handler replaying a recording's server requests shares with its test (the handler
/// goes with its session).
#[derive(Default)]
struct Book {
    /// Set by the test before it feeds one of the CLI's requests: its id, its method, and
    /// whether the recorded client answered it at once (else the handler keeps it).
    next: Option<(String, String, bool)>,
    /// The requests the handler was given: id and method, in order.
    seen: Vec<(String, String)>,
    /// The requests it kept to answer later: id, method, reply.
    kept: Vec<(String, String, ReplyHandle)>,
}

/// A handler answering the CLI's requests with the answers the recorded client gave, each
/// through the handler's typed answer for its method.
struct Replayer<'r> {
    /// The recorded client's answer to each request, by id (JSON text).
    recorded: &'r HashMap<String, serde_json::Value>,
    book: &'r RefCell<Book>,
    /// The sections of a `systemMessage.transform` answer.
    sections: Vec<(&'r str, &'r str)>,
    /// The output of a `hooks.invoke` answer, as JSON text.
    output: String,
}

/// The keys of a recorded object, which must all be among `known` (the typed answer has
/// nothing for any other).
fn only_keys<'v>(
    value: &'v serde_json::Value,
    known: &[&str],
) -> &'v serde_json::Map<String, serde_json::Value> {
    let object = value.as_object().expect("an object");
    for key in object.keys() {
        assert!(
            known.contains(&key.as_str()),
            "`{key}` of {value} has no field in the typed answer"
        );
    }
    object
}

/// The recorded `result` of an answer.
fn recorded_result(answer: &serde_json::Value) -> &serde_json::Value {
    only_keys(answer, &["jsonrpc", "id", "result"]);
    &answer["result"]
}

/// `{"output": ...}` as a `hooks.invoke` answer (the output's JSON text kept in `text`).
fn hook_answer<'a>(answer: &serde_json::Value, text: &'a mut String) -> HookInvokeResponse<'a> {
    let result = only_keys(recorded_result(answer), &["output"]);
    match result.get("output") {
        Some(output) => {
            *text = output.to_string();
            HookInvokeResponse::new().output(RawJson::parse(text).unwrap())
        }
        None => HookInvokeResponse::new(),
    }
}

/// `{"sections": {id: {"content"}}}` as a `systemMessage.transform` answer (the pairs kept in
/// `pairs`).
fn transform_answer<'r, 'a>(
    answer: &'r serde_json::Value,
    pairs: &'a mut Vec<(&'r str, &'r str)>,
) -> TransformedSections<'a> {
    let result = only_keys(recorded_result(answer), &["sections"]);
    pairs.clear();
    for (id, section) in result["sections"].as_object().expect("sections") {
        let content = only_keys(section, &["content"])["content"].as_str();
        pairs.push((id, content.expect("content")));
    }
    TransformedSections(pairs)
}

fn user_input_answer(answer: &serde_json::Value) -> UserInputAnswer<'_> {
    let result = only_keys(recorded_result(answer), &["answer", "wasFreeform"]);
    UserInputAnswer {
        answer: result["answer"].as_str().expect("answer"),
        was_freeform: result["wasFreeform"].as_bool().expect("wasFreeform"),
    }
}

fn exit_plan_mode_answer(answer: &serde_json::Value) -> ExitPlanModeAnswer<'_> {
    let result = only_keys(
        recorded_result(answer),
        &["approved", "selectedAction", "feedback"],
    );
    ExitPlanModeAnswer {
        approved: result["approved"].as_bool().expect("approved"),
        selected_action: result.get("selectedAction").map(|a| a.as_str().unwrap()),
        feedback: result.get("feedback").map(|f| f.as_str().unwrap()),
    }
}

impl<'r> Replayer<'r> {
    /// The recorded answer to the request the handler is given now, or `None` if the
    /// recorded client did not answer it at once (the handler keeps its reply).
    fn take(&mut self, method: JsonStr<'_>, reply: ReplyHandle) -> Option<&'r serde_json::Value> {
        let mut book = self.book.borrow_mut();
        let (id, expected, now) = book.next.take().expect("a request the test fed");
        assert!(method.eq_str(&expected), "{method} for {expected} {id}");
        book.seen.push((id.clone(), expected.clone()));
        if !now {
            book.kept.push((id, expected, reply));
            return None;
        }
        Some(&self.recorded[&id])
    }
}

impl SessionHandler for Replayer<'_> {
    fn on_user_input<'a>(
        &'a mut self,
        request: Request<'a, UserInputRequest<'a>>,
    ) -> Answer<'a, UserInputAnswer<'a>> {
        match self.take(request.method, request.reply) {
            Some(answer) => Answer::Now(user_input_answer(answer)),
            None => Answer::Later,
        }
    }

    fn on_exit_plan_mode<'a>(
        &'a mut self,
        request: Request<'a, ExitPlanModeRequest<'a>>,
    ) -> Answer<'a, ExitPlanModeAnswer<'a>> {
        match self.take(request.method, request.reply) {
            Some(answer) => Answer::Now(exit_plan_mode_answer(answer)),
            None => Answer::Later,
        }
    }

    fn on_hook<'a>(
        &'a mut self,
        request: Request<'a, HooksInvoke<'a>>,
    ) -> Answer<'a, HookInvokeResponse<'a>> {
        match self.take(request.method, request.reply) {
            Some(answer) => Answer::Now(hook_answer(answer, &mut self.output)),
            None => Answer::Later,
        }
    }

    fn on_system_message_transform<'a>(
        &'a mut self,
        request: Request<'a, SystemMessageTransformRequest<'a>>,
    ) -> Answer<'a, TransformedSections<'a>> {
        match self.take(request.method, request.reply) {
            Some(answer) => Answer::Now(transform_answer(answer, &mut self.sections)),
            None => Answer::Later,
        }
    }

    fn on_request<'a>(
        &'a mut self,
        request: Request<'a, ServerCall<'a>>,
    ) -> Answer<'a, RawJson<'a>> {
        panic!("not in the recordings: {}", request.method)
    }
}

/// Answers a request a [`Replayer`] kept, as the recorded client did, through the client.
fn respond_late(
    client: &mut copilot_sansio::Client<'static, 2, 8>,
    method: &str,
    reply: ReplyHandle,
    answer: &serde_json::Value,
) -> Result<(), Error> {
    match method {
        "hooks.invoke" => client.respond(reply, &hook_answer(answer, &mut String::new())),
        "systemMessage.transform" => {
            client.respond(reply, &transform_answer(answer, &mut Vec::new()))
        }
        "userInput.request" => client.respond(reply, &user_input_answer(answer)),
        "exitPlanMode.request" => client.respond(reply, &exit_plan_mode_answer(answer)),
        other => panic!("not in the recordings: {other}"),
    }
}

/// What a replay of server requests found.
struct ServerRequestReplay {
    /// The CLI's requests: id and method, in order.
    requests: Vec<(String, String)>,
    /// The requests the handler was given, in order.
    seen: Vec<(String, String)>,
    /// How many answers the client wrote to each request id.
    answers: HashMap<String, usize>,
    /// Answers equal (as JSON) to the recorded client's, by id.
    matched: Vec<String>,
    /// Answers the recorded client never gave, parsed.
    unrecorded: Vec<serde_json::Value>,
    /// Replies of requests the handler kept and the recorded client never answered.
    never_answered: Vec<ReplyHandle>,
    /// The client, after the replay.
    client: Conn<2, 8>,
}

/// Replays a recording of the CLI's requests through a [`Replayer`] driven by a `Dispatch`:
/// each answer the client writes must equal (as JSON) the recorded client's answer to the
/// same id, at its place in the recording; the test's own requests must come out byte for
/// byte.
fn replay_server_requests(name: &str) -> ServerRequestReplay {
    let lines = load(&format!("{name}.jsonl"));
    // The CLI's requests (`in` with an id and a method), and the recorded client's answers
    // (`out` without a method) by id, with their line.
    let mut requests: Vec<(usize, String, String)> = Vec::new();
    let mut recorded: HashMap<String, serde_json::Value> = HashMap::new();
    let mut answer_line: HashMap<String, usize> = HashMap::new();
    for (i, line) in lines.iter().enumerate() {
        let body: serde_json::Value = serde_json::from_str(&line.body).unwrap();
        match (line.out, body.get("method"), body.get("id")) {
            (false, Some(method), Some(id)) => {
                requests.push((i, id.to_string(), method.as_str().unwrap().to_string()))
            }
            (true, None, Some(id)) => {
                let id = id.to_string();
                assert!(
                    answer_line.insert(id.clone(), i).is_none(),
                    "answered twice"
                );
                recorded.insert(id, body);
            }
            _ => {}
        }
    }
    let book = RefCell::new(Book::default());
    let config = Config::default().caller_answers(CallerAnswers::ALL);
    let mut c = Conn::<2, 8>::new(1 << 20, 64 * 1024, config);
    let mut d: Dispatch<Replayer<'_>, 2> = Dispatch::new();
    let mut session = None;
    // Answers written and not compared yet: id and body.
    let mut written: VecDeque<(String, serde_json::Value)> = VecDeque::new();
    let mut answers: HashMap<String, usize> = HashMap::new();
    let mut matched = Vec::new();
    let mut take_output = |c: &mut Conn<2, 8>, written: &mut VecDeque<_>| {
        for body in bodies(&c.output()) {
            let body: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(body.get("method").is_none(), "only answers: {body}");
            let id = body["id"].to_string();
            *answers.entry(id.clone()).or_default() += 1;
            written.push_back((id, body));
        }
    };
    for (i, line) in lines.iter().enumerate() {
        if !line.out {
            if let Some((_, id, method)) = requests.iter().find(|r| r.0 == i) {
                let now = answer_line.get(id) == Some(&(i + 1));
                book.borrow_mut().next = Some((id.clone(), method.clone(), now));
            }
            c.inbox.push(&line.frame);
            while let Some(e) = c.client.poll_event(&mut c.inbox, NOW) {
                if let Some(back) = d.dispatch(&mut c.client, NOW, e).unwrap() {
                    let back = Ev::of(&back);
                    assert!(
                        !matches!(
                            back,
                            Ev::Request { .. } | Ev::Error(_) | Ev::UnknownSession(..)
                        ),
                        "{back:?}"
                    );
                }
            }
            assert!(book.borrow().next.is_none(), "the handler was given it");
            take_output(&mut c, &mut written);
            continue;
        }
        let body: serde_json::Value = serde_json::from_str(&line.body).unwrap();
        if body.get("method").is_some() {
            send_recorded_request(&mut c, &mut d, line, &mut session, || Replayer {
                recorded: &recorded,
                book: &book,
                sections: Vec::new(),
                output: String::new(),
            });
            continue;
        }
        // The recorded client's answer: the handler's if it answered at once, else the one
        // it kept, answered now as the recorded client did.
        let id = body["id"].to_string();
        if written.front().is_none_or(|(w, _)| *w != id) {
            let kept = book.borrow().kept.iter().position(|k| k.0 == id);
            let (_, method, reply) = book.borrow_mut().kept.remove(kept.expect("kept"));
            respond_late(&mut c.client, &method, reply, &body).unwrap();
            take_output(&mut c, &mut written);
        }
        let (w, answer) = written.pop_front().expect("an answer");
        assert_eq!(w, id, "answers in the recorded order");
        assert_eq!(answer, body, "the answer to {id}, as JSON");
        matched.push(id);
    }
    let book = book.into_inner();
    ServerRequestReplay {
        requests: requests.into_iter().map(|(_, id, m)| (id, m)).collect(),
        seen: book.seen,
        answers,
        matched,
        unrecorded: written.into_iter().map(|(_, body)| body).collect(),
        never_answered: book.kept.into_iter().map(|k| k.2).collect(),
        client: c,
    }
}

#[test]
fn recorded_server_requests_are_answered_by_the_handler_as_the_recorded_client_did() {
    let r = replay_server_requests("server-requests");
    let methods = |m: &str| r.requests.iter().filter(|r| r.1 == m).count();
    assert_eq!(methods("hooks.invoke"), 12);
    assert_eq!(methods("systemMessage.transform"), 2);
    assert_eq!(methods("userInput.request"), 1);
    assert_eq!(methods("exitPlanMode.request"), 1);
    assert_eq!(r.seen, r.requests, "each request reached the handler once");
    // Each request answered once, by the handler, as recorded.
    assert_eq!(r.answers.len(), r.requests.len());
    assert!(r.answers.values().all(|&n| n == 1), "{:?}", r.answers);
    let ids: Vec<String> = r.requests.iter().map(|r| r.0.clone()).collect();
    assert_eq!(r.matched, ids);
    assert!(r.unrecorded.is_empty(), "{:?}", r.unrecorded);
    assert!(r.never_answered.is_empty());
}

#[test]
fn recorded_late_and_unanswered_hooks_are_answered_once() {
    let mut r = replay_server_requests("hooks-unanswered");
    let hooks = ["1", "2", "3", "4", "5"].map(|id| (id.to_string(), "hooks.invoke".to_string()));
    assert_eq!(r.requests, hooks);
    assert_eq!(r.seen, hooks, "each hook reached the handler once");
    // The `sessionStart` hook (1), kept by the handler, answered 10 s later through the
    // client as recorded, after the hooks that came meanwhile (2, 3) were answered.
    assert_eq!(r.matched, ["2", "3", "1", "4"]);
    // The `sessionEnd` hook (5), which the recorded client never answered: once its session
    // closed, the client answered it itself, once; the handler's kept reply is stale.
    assert_eq!(
        r.unrecorded,
        [
            serde_json::json!({"jsonrpc": "2.0", "id": 5, "error": {"code": -32603, "message": "session closed before the request was answered"}})
        ]
    );
    assert_eq!(r.answers.len(), 5);
    assert!(r.answers.values().all(|&n| n == 1), "{:?}", r.answers);
    let [kept] = r.never_answered[..] else {
        panic!("{:?}", r.never_answered)
    };
    assert_eq!(
        r.client.client.respond(kept, &HookInvokeResponse::new()),
        Err(Error::UnknownReply)
    );
    assert!(r.client.output().is_empty());
    assert_eq!(r.client.client.pending_server_requests(), 0);
}

/// A handler with answers of its own where the client has defaults: the system message's
/// tone rewritten, plans approved or sent back, hooks with output of their own (or none, or
/// a failure).
#[derive(Default)]
struct Planner {
    seen: Vec<String>,
}

impl SessionHandler for Planner {
    fn on_system_message_transform<'a>(
        &'a mut self,
        request: Request<'a, SystemMessageTransformRequest<'a>>,
    ) -> Answer<'a, TransformedSections<'a>> {
        for (id, content) in request.params.sections() {
            let content = content.map(|c| c.to_string()).unwrap_or_default();
            self.seen.push(format!("transform {id}: {content}"));
        }
        Answer::Now(TransformedSections(&[
            ("tone", "Answer in haiku.\nNever \"shout\"."),
            ("safety", "Ask before deleting — always."),
        ]))
    }

    fn on_exit_plan_mode<'a>(
        &'a mut self,
        request: Request<'a, ExitPlanModeRequest<'a>>,
    ) -> Answer<'a, ExitPlanModeAnswer<'a>> {
        let summary = request.params.summary().map(|s| s.to_string());
        let summary = summary.unwrap_or_default();
        self.seen.push(format!("plan {summary:?}"));
        match summary.contains("step two") {
            true => Answer::Now(ExitPlanModeAnswer {
                approved: false,
                selected_action: None,
                feedback: Some("Split step two"),
            }),
            false => Answer::Now(ExitPlanModeAnswer {
                approved: true,
                selected_action: Some("autopilot"),
                feedback: None,
            }),
        }
    }

    fn on_hook<'a>(
        &'a mut self,
        request: Request<'a, HooksInvoke<'a>>,
    ) -> Answer<'a, HookInvokeResponse<'a>> {
        use copilot_sansio::proto::server::HookType;
        let kind = request.params.hook_type();
        self.seen.push(format!("hook {kind:?}"));
        let output = |text| HookInvokeResponse::new().output(RawJson::parse(text).unwrap());
        match kind {
            Some(HookType::PreToolUse) => Answer::Now(output(
                r#"{"permissionDecision":"deny","permissionDecisionReason":"no shell today"}"#,
            )),
            Some(HookType::UserPromptSubmitted) => {
                Answer::Now(output(r#"{"additionalContext":"hook says hi"}"#))
            }
            Some(HookType::SessionEnd) => Answer::Error("the hook failed"),
            // No output at all (the client's default writes `{"output":{}}`).
            _ => Answer::Now(HookInvokeResponse::new()),
        }
    }
}

#[test]
fn transforms_plans_and_hooks_get_the_handlers_own_answers() {
    let mut h = Harness::new(Planner::default(), &[]);
    let sid = format!(r#""sessionId":"{SID}""#);
    // The params as CLI 1.0.102 sends them (`server-requests.jsonl`).
    h.feed(&request(
        "1",
        "systemMessage.transform",
        &format!(
            r##"{{{sid},"sections":{{"tone":{{"content":"# Tone and style\n* Be concise."}}}}}}"##
        ),
    ));
    let plan = |summary: &str| {
        format!(
            r#"{{{sid},"summary":"{summary}","planContent":"","actions":["autopilot","interactive","exit_only"],"recommendedAction":"interactive"}}"#
        )
    };
    h.feed(&request("2", "exitPlanMode.request", &plan("- step one")));
    h.feed(&request(
        "3",
        "exitPlanMode.request",
        &plan("- step one\\n- step two"),
    ));
    let hook = |kind: &str, input: &str| {
        format!(
            r#"{{{sid},"hookType":"{kind}","input":{{{sid},"timestamp":1795478795982,"cwd":"/home/dev/demo/work"{input}}}}}"#
        )
    };
    h.feed(&request(
        "4",
        "hooks.invoke",
        &hook(
            "preToolUse",
            r#","toolName":"bash","toolArgs":{"command":"rm -rf /"}"#,
        ),
    ));
    h.feed(&request(
        "5",
        "hooks.invoke",
        &hook("userPromptSubmitted", r#","prompt":"Hi""#),
    ));
    h.feed(&request(
        "6",
        "hooks.invoke",
        &hook("agentStop", r#","stopReason":"end_turn""#),
    ));
    h.feed(&request(
        "7",
        "hooks.invoke",
        &hook("sessionEnd", r#","reason":"user_exit""#),
    ));
    assert_eq!(
        h.written(),
        [
            r#"{"jsonrpc":"2.0","id":1,"result":{"sections":{"tone":{"content":"Answer in haiku.\nNever \"shout\"."},"safety":{"content":"Ask before deleting — always."}}}}"#,
            r#"{"jsonrpc":"2.0","id":2,"result":{"approved":true,"selectedAction":"autopilot"}}"#,
            r#"{"jsonrpc":"2.0","id":3,"result":{"approved":false,"feedback":"Split step two"}}"#,
            r#"{"jsonrpc":"2.0","id":4,"result":{"output":{"permissionDecision":"deny","permissionDecisionReason":"no shell today"}}}"#,
            r#"{"jsonrpc":"2.0","id":5,"result":{"output":{"additionalContext":"hook says hi"}}}"#,
            r#"{"jsonrpc":"2.0","id":6,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"the hook failed"}}"#,
        ]
    );
    assert_eq!(
        h.d.handler(h.h).unwrap().seen,
        [
            "transform tone: # Tone and style\n* Be concise.",
            "plan \"- step one\"",
            "plan \"- step one\\n- step two\"",
            "hook Some(preToolUse)",
            "hook Some(userPromptSubmitted)",
            "hook Some(agentStop)",
            "hook Some(sessionEnd)",
        ]
    );
    assert_eq!(
        h.c.client.pending_server_requests(),
        0,
        "each answered once"
    );
}
