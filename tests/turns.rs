//! The turn tracker (`handler::Turns`): when each send is done and what its answer was, over
//! real recordings of CLI 1.0.102, over scripted frames for what the recordings do not show
//! (concurrent turns, sub-agents, errors for other messages, responses overtaken by events),
//! and against the simulated CLI with and without the server-side `session.sendAndWait`.

mod support;

use std::collections::HashMap;

use copilot_sansio::handler::{ServerWait, TurnEnd, TurnUpdate, Turns};
use copilot_sansio::json::RawJson;
use copilot_sansio::sim::{ModelReply, Sim, SimConfig};
use copilot_sansio::{
    Client, Config, Connect, Inbox, Instant, SessionHandle, SessionId, SessionState,
};
use support::*;

/// An update, owned: `turn: what`.
fn describe(u: &TurnUpdate<'_>) -> String {
    match u {
        TurnUpdate::Message { turn, event } => format!(
            "{}: message {:?}",
            turn.index(),
            event
                .data()
                .get_str("content")
                .map(|c| c.to_string())
                .unwrap_or_default()
        ),
        TurnUpdate::Tool { turn, event } => {
            format!("{}: {}", turn.index(), event.event_type())
        }
        TurnUpdate::Ended { turn, end } => format!(
            "{}: ended {}",
            turn.index(),
            match end {
                TurnEnd::Failed(e) | TurnEnd::AutopilotStopped(e) =>
                    format!("by {}", e.event_type()),
                other => format!("{other:?}"),
            }
        ),
        other => format!("{other:?}"),
    }
}

/// Replays a recording, sending its `session.send`s through a tracker (which must write
/// exactly the recorded bytes), and returns the tracker's updates.
fn replay(name: &str) -> Vec<String> {
    replay_marked(name, |_| false)
}

/// [`replay`], with `sent <method>` in the updates where the recorded client sent a request
/// whose method `mark` picks.
fn replay_marked(name: &str, mark: fn(&str) -> bool) -> Vec<String> {
    let lines = load(&format!("{name}.jsonl"));
    let mut c = Conn::<8, 16>::new(1 << 20, 64 * 1024, Config::default());
    let mut turns: Turns<4> = Turns::without_server_wait();
    let mut sessions: HashMap<String, SessionHandle> = HashMap::new();
    let mut log = Vec::new();
    for line in &lines {
        if !line.out {
            c.inbox.push(&line.frame);
            while let Some(e) = c.client.poll_event(&mut c.inbox, NOW) {
                turns.on_event(&mut c.client, NOW, &e, |u| log.push(describe(&u)));
            }
            continue;
        }
        let body = line.json();
        let method = body.get_str("method").expect("a request").to_string();
        if mark(&method) {
            log.push(format!("sent {method}"));
        }
        let params = body.get("params").expect("params");
        let sid = params.get_str("sessionId").map(|s| s.to_string());
        // The params without the `sessionId` the client writes itself.
        let rest = |sid: &str| {
            let text = params.text();
            let tail = text
                .strip_prefix(&format!("{{\"sessionId\":\"{sid}\""))
                .expect("sessionId first");
            match tail.strip_prefix(',') {
                Some(members) => format!("{{{members}"),
                None => "{}".to_string(),
            }
        };
        match (method.as_str(), sid) {
            ("connect", _) => c.client.connect(NOW, &Connect::default()).unwrap(),
            ("session.create", Some(sid)) => {
                let options = rest(&sid);
                let h = c
                    .client
                    .create_session(
                        NOW,
                        SessionId::new(&sid).unwrap(),
                        &RawJson::parse(&options).unwrap(),
                    )
                    .unwrap();
                sessions.insert(sid, h);
            }
            ("session.send", Some(sid)) => {
                let message = rest(&sid);
                let message = RawJson::parse(&message).unwrap();
                let _ = turns
                    .send(&mut c.client, NOW, sessions[&sid], &message, None)
                    .unwrap();
            }
            ("session.destroy", Some(sid)) => {
                c.client.session(sessions[&sid]).destroy(NOW).unwrap()
            }
            (_, Some(sid)) => {
                let p = rest(&sid);
                let _ = c
                    .client
                    .session(sessions[&sid])
                    .request(NOW, &method, &RawJson::parse(&p).unwrap())
                    .unwrap();
            }
            (_, None) => {
                let _ = c.client.request_raw(NOW, &method, params.text()).unwrap();
            }
        }
        assert_eq!(
            c.output_text(),
            String::from_utf8_lossy(&line.frame),
            "{name}: the tracker's bytes differ from the recorded client's"
        );
    }
    assert!(turns.is_empty(), "{name}: turns left: {log:?}");
    log
}

/// The `content` of every top-level `assistant.message` of a recording, in order.
fn recorded_messages(name: &str) -> Vec<String> {
    load(&format!("{name}.jsonl"))
        .iter()
        .filter(|l| !l.out && l.method().as_deref() == Some("session.event"))
        .filter_map(|l| {
            let event = l.json().get("params")?.get("event")?;
            (event.get_str("type")? == "assistant.message")
                .then(|| event.get("data")?.get_str("content").map(|c| c.to_string()))?
        })
        .collect()
}

#[test]
fn a_recorded_turn_completes_with_its_answer() {
    let answer = recorded_messages("full-turn-mock-model");
    assert_eq!(answer.len(), 1);
    assert_eq!(
        replay("full-turn-mock-model"),
        [
            format!("0: message {:?}", answer[0]),
            "0: ended Completed".to_string()
        ]
    );
}

#[test]
fn recorded_tool_calls_are_the_turns_activity() {
    let messages = recorded_messages("tool-call");
    let log = replay("tool-call");
    // Three turns, one after the other (each reuses slot 0): a tool call (two in the last),
    // then the final answer.
    let mut expected = Vec::new();
    let mut m = messages.iter();
    for calls in [1, 1, 2] {
        expected.push(format!("0: message {:?}", m.next().unwrap()));
        for _ in 0..calls {
            expected.push("0: tool.execution_start".to_string());
        }
        for _ in 0..calls {
            expected.push("0: tool.execution_complete".to_string());
        }
        expected.push(format!("0: message {:?}", m.next().unwrap()));
        expected.push("0: ended Completed".to_string());
    }
    assert_eq!(log, expected);
}

#[test]
fn a_recorded_abort_ends_the_turn_as_aborted() {
    let messages = recorded_messages("abort");
    assert_eq!(
        replay("abort"),
        [
            "0: ended Aborted".to_string(),
            format!("0: message {:?}", messages[0]),
            "0: ended Completed".to_string(),
        ]
    );
}

#[test]
fn a_recorded_turn_without_a_model_fails_with_its_session_error() {
    assert_eq!(
        replay("no-auth-create-send-destroy"),
        ["0: ended by session.error"]
    );
}

#[test]
fn a_recorded_turn_goes_on_after_its_permission_is_answered_and_ends_once() {
    const ANSWER: &str = "session.permissions.handlePendingPermissionRequest";
    let messages = recorded_messages("permissions");
    let log = replay_marked("permissions", |m| m == ANSWER);
    // Three turns (each reuses slot 0), each asking a permission for its tool call (approved,
    // rejected with feedback, approved): the turn waits for the answer, then goes on to the
    // tool's end and the final answer, and ends once. The recorded client answered the
    // second permission again after its turn ended: nothing ends twice.
    let mut expected = Vec::new();
    let mut m = messages.iter();
    for turn in 0..3 {
        expected.push(format!("0: message {:?}", m.next().unwrap()));
        expected.push("0: tool.execution_start".to_string());
        expected.push(format!("sent {ANSWER}"));
        expected.push("0: tool.execution_complete".to_string());
        expected.push(format!("0: message {:?}", m.next().unwrap()));
        expected.push("0: ended Completed".to_string());
        if turn == 1 {
            expected.push(format!("sent {ANSWER}"));
        }
    }
    assert_eq!(log, expected);
}

// ----- scripted: what the recordings do not show ---------------------------------------------

const SID: &str = "9d54a69c-624b-4a7a-a3f8-d57c18a45562";

fn event(kind: &str, data: &str, extra: &str) -> Vec<u8> {
    frame(&format!(
        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{SID}","event":{{"type":"{kind}","data":{data},"id":"{kind}-{}","timestamp":"2026-11-23T23:10:25.444Z","parentId":null{extra}}}}}}}"#,
        data.len()
    ))
}

fn user(m: &str) -> Vec<u8> {
    event(
        "user.message",
        &format!(r#"{{"content":"hi","messageId":"{m}"}}"#),
        "",
    )
}

fn answer(m: &str, text: &str) -> Vec<u8> {
    event(
        "assistant.message",
        &format!(r#"{{"messageId":"a-{text}","originatingMessageId":"{m}","content":"{text}"}}"#),
        "",
    )
}

fn idle() -> Vec<u8> {
    event("session.idle", "{}", "")
}

fn sent(id: u32, m: &str) -> Vec<u8> {
    frame(&format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"messageId":"{m}"}}}}"#
    ))
}

/// A client with `SID` open (requests 1 and 2) and a tracker.
struct Scripted {
    c: Conn<4, 8>,
    turns: Turns<4>,
    h: SessionHandle,
    log: Vec<String>,
}

impl Scripted {
    fn new(turns: Turns<4>) -> Scripted {
        let mut c = Conn::<4, 8>::new(64 * 1024, 16 * 1024, Config::default());
        c.client.connect(NOW, &Connect::default()).unwrap();
        let h = c
            .client
            .create_session(NOW, SessionId::new(SID).unwrap(), &())
            .unwrap();
        c.output();
        c.feed(
            &[
                frame(r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":3}}"#),
                frame(&format!(
                    r#"{{"jsonrpc":"2.0","id":2,"result":{{"sessionId":"{SID}"}}}}"#
                )),
            ]
            .concat(),
        );
        assert_eq!(c.client.session_state(h), Some(SessionState::Active));
        Scripted {
            c,
            turns,
            h,
            log: Vec::new(),
        }
    }

    fn send(&mut self, prompt: &str) -> copilot_sansio::handler::TurnId {
        let text = format!(r#"{{"prompt":"{prompt}"}}"#);
        let message = RawJson::parse(&text).unwrap();
        let t = self
            .turns
            .send(&mut self.c.client, NOW, self.h, &message, None)
            .unwrap();
        self.c.output();
        t
    }

    /// Feeds frames; returns the updates they caused.
    fn feed(&mut self, frames: &[Vec<u8>]) -> Vec<String> {
        let mut log = Vec::new();
        for f in frames {
            self.c.inbox.push(f);
            while let Some(e) = self.c.client.poll_event(&mut self.c.inbox, NOW) {
                self.turns
                    .on_event(&mut self.c.client, NOW, &e, |u| log.push(describe(&u)));
            }
        }
        self.log.extend(log.clone());
        log
    }
}

#[test]
fn concurrent_turns_on_one_session_end_in_order() {
    let mut s = Scripted::new(Turns::without_server_wait());
    let _ = s.send("first");
    let _ = s.send("second");
    let log = s.feed(&[
        sent(3, "m-1"),
        sent(4, "m-2"),
        user("m-1"),
        answer("m-1", "one"),
        // The CLI takes up the next message: the first turn is over.
        user("m-2"),
        answer("m-2", "two"),
        idle(),
    ]);
    assert_eq!(
        log,
        [
            "0: message \"one\"",
            "0: ended Completed",
            "1: message \"two\"",
            "1: ended Completed"
        ]
    );
}

#[test]
fn events_before_the_send_response_belong_to_the_turn() {
    let mut s = Scripted::new(Turns::without_server_wait());
    let _ = s.send("hi");
    let log = s.feed(&[user("m-1"), answer("m-1", "early"), sent(3, "m-1"), idle()]);
    assert_eq!(log, ["0: message \"early\"", "0: ended Completed"]);
}

#[test]
fn an_error_for_another_message_does_not_fail_the_turn() {
    let mut s = Scripted::new(Turns::without_server_wait());
    let _ = s.send("hi");
    let other = event(
        "session.error",
        r#"{"errorType":"query","message":"boom","originatingMessageId":"m-other"}"#,
        "",
    );
    let mine = event(
        "session.error",
        r#"{"errorType":"query","message":"boom","originatingMessageId":"m-1"}"#,
        "",
    );
    assert_eq!(
        s.feed(&[sent(3, "m-1"), user("m-1"), other]),
        Vec::<String>::new()
    );
    assert_eq!(s.feed(&[mine]), ["0: ended by session.error"]);
}

#[test]
fn sub_agents_neither_answer_nor_end_the_turn() {
    let mut s = Scripted::new(Turns::without_server_wait());
    let _ = s.send("hi");
    let agent = r#","agentId":"explore-1""#;
    let log = s.feed(&[
        sent(3, "m-1"),
        user("m-1"),
        event(
            "assistant.message",
            r#"{"messageId":"x","originatingMessageId":"m-1","content":"sub"}"#,
            agent,
        ),
        event("session.idle", "{}", agent),
        answer("m-1", "main"),
        // Idle with background tasks still running: the turn is done.
        event(
            "session.idle",
            r#"{"backgroundTasks":{"agents":[{"agentId":"explore-1"}],"shells":[]}}"#,
            "",
        ),
    ]);
    assert_eq!(log, ["0: message \"main\"", "0: ended Completed"]);
}

#[test]
fn autopilot_stopping_ends_the_turn() {
    let mut s = Scripted::new(Turns::without_server_wait());
    let _ = s.send("hi");
    let log = s.feed(&[
        sent(3, "m-1"),
        user("m-1"),
        event(
            "session.autopilot_stopped",
            r#"{"reason":"limit","requestId":"r"}"#,
            "",
        ),
    ]);
    assert_eq!(log, ["0: ended by session.autopilot_stopped"]);
}

#[test]
fn a_turn_times_out_on_its_own_deadline() {
    let mut s = Scripted::new(Turns::without_server_wait());
    let message = RawJson::parse(r#"{"prompt":"hi"}"#).unwrap();
    let at = Instant::from_millis(500);
    let _ = s
        .turns
        .send(&mut s.c.client, NOW, s.h, &message, Some(at))
        .unwrap();
    assert_eq!(s.turns.poll_timeout(), Some(at));
    let mut log = Vec::new();
    s.turns
        .handle_timeout(Instant::from_millis(499), |u| log.push(describe(&u)));
    assert!(log.is_empty());
    s.turns.handle_timeout(at, |u| log.push(describe(&u)));
    assert_eq!(log, ["0: ended TimedOut"]);
    assert!(s.turns.is_empty());
    // Its late events change nothing.
    assert!(s.feed(&[sent(3, "m-1"), user("m-1"), idle()]).is_empty());
}

#[test]
fn a_quiet_session_ends_its_turn_with_the_activity_timeout() {
    let mut s = Scripted::new(Turns::without_server_wait().activity_timeout_ms(100));
    let _ = s.send("hi");
    assert_eq!(s.turns.poll_timeout(), Some(Instant::from_millis(100)));
    let mut log = Vec::new();
    // Each event of the session starts the count again: a long turn that keeps talking lives.
    for (at, frame) in [
        (60, sent(3, "m-1")),
        (150, user("m-1")),
        (240, answer("m-1", "...")),
    ] {
        let now = Instant::from_millis(at);
        s.turns.handle_timeout(now, |u| log.push(describe(&u)));
        s.c.inbox.push(&frame);
        while let Some(e) = s.c.client.poll_event(&mut s.c.inbox, now) {
            s.turns
                .on_event(&mut s.c.client, now, &e, |u| log.push(describe(&u)));
        }
    }
    assert_eq!(log, [r#"0: message "...""#]);
    assert_eq!(s.turns.poll_timeout(), Some(Instant::from_millis(340)));
    s.turns
        .handle_timeout(Instant::from_millis(339), |u| log.push(describe(&u)));
    assert_eq!(log.len(), 1);
    s.turns
        .handle_timeout(Instant::from_millis(340), |u| log.push(describe(&u)));
    assert_eq!(log[1], "0: ended Inactive");
    assert!(s.turns.is_empty());
}

#[test]
fn the_end_of_the_session_ends_its_turns() {
    let mut s = Scripted::new(Turns::without_server_wait());
    let _ = s.send("hi");
    s.c.inbox.close();
    let mut log = Vec::new();
    while let Some(e) = s.c.client.poll_event(&mut s.c.inbox, NOW) {
        s.turns
            .on_event(&mut s.c.client, NOW, &e, |u| log.push(describe(&u)));
    }
    // The send fails first (the connection ended before its response).
    assert_eq!(log, ["0: ended SendFailed(ConnectionClosed)"]);
}

#[test]
fn a_server_side_wait_answered_before_its_completion_event_waits_for_it() {
    let mut s = Scripted::new(Turns::new());
    let _ = s.send("hi");
    assert!(
        s.c.client.transmit_bytes().is_empty(),
        "the send was written out by the helper"
    );
    let log = s.feed(&[
        user("m-1"),
        answer("m-1", "done"),
        frame(
            r#"{"jsonrpc":"2.0","id":3,"result":{"messageId":"m-1","aborted":false,"completionEventId":"session.idle-2"}}"#,
        ),
    ]);
    assert_eq!(log, ["0: message \"done\""]);
    assert_eq!(s.turns.server_wait(), ServerWait::Available);
    assert_eq!(s.feed(&[idle()]), ["0: ended Completed"]);
}

// ----- against the simulated CLI ---------------------------------------------------------------

/// A client, the simulated CLI and a tracker, pumped until quiet; returns the updates.
fn converse(sim_config: SimConfig<'_>, prompts: &[&str]) -> (Vec<String>, ServerWait, String) {
    let (mut rx, mut tx, mut srx, mut stx) = (
        vec![0u8; 32 * 1024],
        vec![0u8; 16 * 1024],
        vec![0u8; 32 * 1024],
        vec![0u8; 32 * 1024],
    );
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 4, 8> = Client::new(&mut tx, Config::default()).unwrap();
    let mut sim: Sim<'_, 4> = Sim::new(&mut srx, &mut stx, sim_config);
    let mut turns: Turns<4> = Turns::new();
    let mut log = Vec::new();
    let mut methods = String::new();
    client.connect(NOW, &Connect::default()).unwrap();
    let h = client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    let mut prompts = prompts.iter();
    let mut busy = false;
    for _ in 0..200 {
        if !busy && client.session_state(h) == Some(SessionState::Active) {
            let Some(p) = prompts.next() else { break };
            let text = format!(r#"{{"prompt":"{p}"}}"#);
            let message = RawJson::parse(&text).unwrap();
            let _ = turns.send(&mut client, NOW, h, &message, None).unwrap();
            busy = true;
        }
        let out = client.transmit_bytes();
        for (f, _) in parse_output(out).0.iter().zip(0..) {
            if let Out::Request { method, .. } = f
                && method.starts_with("session.send")
            {
                methods.push_str(method);
                methods.push(' ');
            }
        }
        let n = sim.push(client.transmit_bytes());
        client.transmitted(n);
        sim.poll();
        let n = inbox.push(sim.transmit_bytes());
        sim.transmitted(n);
        while let Some(e) = client.poll_event(&mut inbox, NOW) {
            turns.on_event(&mut client, NOW, &e, |u| {
                if let TurnUpdate::Ended { .. } = u {
                    busy = false;
                }
                log.push(describe(&u));
            });
        }
    }
    (log, turns.server_wait(), methods.trim_end().to_string())
}

static REPLIES: [ModelReply<'static>; 2] = [ModelReply::Text("One."), ModelReply::Text("Two.")];

#[test]
fn without_server_side_wait_the_tracker_falls_back_once_per_connection() {
    let (log, wait, methods) = converse(SimConfig::default().replies(&REPLIES), &["a", "b"]);
    assert_eq!(
        log,
        [
            "0: message \"One.\"",
            "0: ended Completed",
            "0: message \"Two.\"",
            "0: ended Completed"
        ]
    );
    assert_eq!(wait, ServerWait::Unavailable);
    // Tried once, answered -32601, sent again as `session.send`; the next goes straight.
    assert_eq!(methods, "session.sendAndWait session.send session.send");
}

#[test]
fn with_server_side_wait_the_tracker_uses_it() {
    let (log, wait, methods) = converse(
        SimConfig::default().replies(&REPLIES).send_and_wait(true),
        &["a", "b"],
    );
    assert_eq!(
        log,
        [
            "0: message \"One.\"",
            "0: ended Completed",
            "0: message \"Two.\"",
            "0: ended Completed"
        ]
    );
    assert_eq!(wait, ServerWait::Available);
    assert_eq!(methods, "session.sendAndWait session.sendAndWait");
}

/// With the server-side `session.sendAndWait`, against the simulated CLI: a turn whose tool
/// needs permission waits for the answer, goes on to the tool's result and the final answer,
/// and ends once, with the response that comes after it all; nothing more ends later.
#[test]
fn with_server_side_wait_a_turn_goes_on_after_its_permission_and_ends_once() {
    use copilot_sansio::json::JsonStr;
    use copilot_sansio::proto::params::{ExternalToolResult, PermissionDecision, ToolDeclaration};
    use copilot_sansio::{CallerAnswers, Event};

    let replies = [ModelReply::ToolCall {
        tool: "get_weather",
        arguments: r#"{"city":"Paris"}"#,
        then: "Sunny in Paris.",
    }];
    let (mut rx, mut tx, mut srx, mut stx) = (
        vec![0u8; 32 * 1024],
        vec![0u8; 16 * 1024],
        vec![0u8; 32 * 1024],
        vec![0u8; 32 * 1024],
    );
    let mut inbox = Inbox::new(&mut rx);
    let config = Config::default().caller_answers(CallerAnswers::PERMISSIONS);
    let mut client: Client<'_, 4, 8> = Client::new(&mut tx, config).unwrap();
    let sim_config = SimConfig::default().replies(&replies).send_and_wait(true);
    let mut sim: Sim<'_, 4> = Sim::new(&mut srx, &mut stx, sim_config);
    let mut turns: Turns<4> = Turns::new();
    client.connect(NOW, &Connect::default()).unwrap();
    // A tool without `skipPermission`, and `requestPermission: true`: the CLI asks.
    let tools = [ToolDeclaration::new("get_weather", "The weather")];
    let options = config.session_options().tools(&tools);
    let h = client
        .create_session(NOW, SessionId::new(SID).unwrap(), &options)
        .unwrap();
    let mut log = Vec::new();
    let mut sent = false;
    // Well past the turn's end: nothing more may come of it.
    for _ in 0..200 {
        if !sent && client.session_state(h) == Some(SessionState::Active) {
            let message = RawJson::parse(r#"{"prompt":"Weather in Paris?"}"#).unwrap();
            let _ = turns.send(&mut client, NOW, h, &message, None).unwrap();
            sent = true;
        }
        let n = sim.push(client.transmit_bytes());
        client.transmitted(n);
        sim.poll();
        let n = inbox.push(sim.transmit_bytes());
        sim.transmitted(n);
        while let Some(e) = client.poll_event(&mut inbox, NOW) {
            turns.on_event(&mut client, NOW, &e, |u| log.push(describe(&u)));
            let Event::Session { event, .. } = e else {
                continue;
            };
            let id = || event.data().get_str("requestId").unwrap().to_string();
            if event.is("permission.requested") {
                let id = id();
                let decision = PermissionDecision::ApproveOnce(Default::default());
                let _ = client
                    .session(h)
                    .answer_permission(NOW, JsonStr::from_plain(&id).unwrap(), decision)
                    .unwrap();
                log.push("answered the permission".to_string());
            } else if event.is("external_tool.requested") {
                let id = id();
                let result = ExternalToolResult::Text("18°C, clear sky");
                let _ = client
                    .session(h)
                    .answer_tool_call(NOW, JsonStr::from_plain(&id).unwrap(), Ok(result))
                    .unwrap();
                log.push("answered the tool call".to_string());
            }
        }
    }
    assert_eq!(
        log,
        [
            "0: message \"\"",
            "0: tool.execution_start",
            "answered the permission",
            "answered the tool call",
            "0: tool.execution_complete",
            "0: message \"Sunny in Paris.\"",
            "0: ended Completed",
        ]
    );
    assert_eq!(turns.server_wait(), ServerWait::Available);
    assert!(turns.is_empty());
    assert_eq!(client.pending_requests(), 0, "every response was taken");
}
