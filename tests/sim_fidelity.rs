//! The simulated CLI against the real one: each scenario recorded from CLI 1.0.102 is played
//! again with the simulator, and the session's event types (those the simulator models, runs
//! of deltas counted once) must come in the same order. And what no recording shows: how it
//! answers a `session.sendAndWait` the client cancels.

mod support;

use copilot_sansio::json::JsonStr;

use copilot_sansio::handler::{TurnUpdate, Turns};
use copilot_sansio::json::RawJson;
use copilot_sansio::proto::params::{
    AbortReason, ExternalToolResult, ExternalToolTextResultForLlm, PermissionDecision,
    PermissionDecisionReject, SessionOptions, SessionSend, ToolDeclaration,
};
use copilot_sansio::sim::{ModelReply, Sim, SimConfig};
use copilot_sansio::{
    CallerAnswers, Client, Config, Connect, Error, Event, Inbox, InputError, RequestId,
    SessionEvent, SessionHandle, SessionId, SessionState,
};
use support::*;

/// Event types the simulator sends.
const MODELED: [&str; 22] = [
    "session.start",
    "session.resume",
    "pending_messages.modified",
    "session.title_changed",
    "user.message",
    "assistant.turn_start",
    "assistant.streaming_delta",
    "assistant.message_start",
    "assistant.message_delta",
    "assistant.message",
    "assistant.turn_end",
    "tool.execution_start",
    "permission.requested",
    "permission.completed",
    "external_tool.requested",
    "external_tool.completed",
    "tool.execution_complete",
    "abort",
    "assistant.idle",
    "session.idle",
    "session.shutdown",
    "session.error",
];

/// Keeps modeled types, counts runs of deltas once.
fn normalize(types: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in types.filter(|t| MODELED.contains(&t.as_str())) {
        let t = match t.as_str() {
            "assistant.streaming_delta" | "assistant.message_delta" => "deltas".to_string(),
            _ => t,
        };
        if t == "deltas" && out.last().is_some_and(|l| l == "deltas") {
            continue;
        }
        out.push(t);
    }
    out
}

/// The recording's event types up to its `idles`-th `session.idle`.
fn recorded(name: &str, idles: usize) -> Vec<String> {
    let path = format!("{}/tests/recorded/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    let types = load_path(&path)
        .into_iter()
        .filter(|l| !l.out && l.method().as_deref() == Some("session.event"))
        .map(|l| {
            l.json()
                .get("params")
                .unwrap()
                .get("event")
                .unwrap()
                .get_str("type")
                .unwrap()
                .to_string()
        })
        .take_while(|t| {
            let go = n < idles;
            n += usize::from(t == "session.idle");
            go
        });
    normalize(types)
}

/// Plays a scenario with the simulator: `react` sees each session event of the client.
fn simulated(
    replies: &'static [ModelReply<'static>],
    options: &SessionOptions<'_>,
    config: Config,
    idles: usize,
    mut react: impl FnMut(&mut Client<'_, 4, 16>, SessionHandle, &SessionEvent<'_>),
) -> Vec<String> {
    let (mut rx, mut tx, mut srx, mut stx) = (
        vec![0u8; 64 * 1024],
        vec![0u8; 16 * 1024],
        vec![0u8; 64 * 1024],
        vec![0u8; 64 * 1024],
    );
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 4, 16> = Client::new(&mut tx, config).unwrap();
    let mut sim: Sim<'_, 4> = Sim::new(
        &mut srx,
        &mut stx,
        SimConfig::default().replies(replies).delta_len(5),
    );
    let h = client
        .create_session(NOW, SessionId::new("s-1").unwrap(), options)
        .unwrap();
    let mut types = Vec::new();
    let mut n = 0;
    for _ in 0..10_000 {
        let k = sim.push(client.transmit_bytes());
        client.transmitted(k);
        sim.poll();
        let k = inbox.push(sim.transmit_bytes());
        sim.transmitted(k);
        while let Some(event) = client.poll_event(&mut inbox, NOW) {
            match event {
                Event::SessionOpened { .. } => {
                    let _ = client
                        .session(h)
                        .send(NOW, &SessionSend::new("Weather in Paris?"))
                        .unwrap();
                }
                Event::Session { session, event } => {
                    types.push(event.event_type().to_string());
                    n += usize::from(event.is("session.idle"));
                    react(&mut client, session, &event);
                }
                Event::Error(e) => panic!("{e:?}"),
                _ => {}
            }
        }
        if n >= idles {
            break;
        }
    }
    assert!(n >= idles, "the turn did not end: {types:?}");
    normalize(types.into_iter())
}

static TEXT: [ModelReply<'static>; 1] = [ModelReply::Text(
    "Hello! Streaming works: “quoted”, tab\there.",
)];
static WEATHER: [ModelReply<'static>; 1] = [ModelReply::ToolCall {
    tool: "get_weather",
    arguments: r#"{"city":"Paris"}"#,
    then: "It is 18°C and clear in Paris.",
}];
static STALL: [ModelReply<'static>; 1] = [ModelReply::Stall];

fn tools(skip_permission: bool) -> [ToolDeclaration<'static>; 1] {
    let tool = ToolDeclaration::new("get_weather", "Get the current weather for a city");
    [if skip_permission {
        tool.skip_permission(true)
    } else {
        tool
    }]
}

fn answer_tool(client: &mut Client<'_, 4, 16>, h: SessionHandle, e: &SessionEvent<'_>) {
    if e.is("external_tool.requested") {
        let id = e.data().get_str("requestId").unwrap().to_string();
        let result = ExternalToolResult::ExternalToolTextResultForLlm(
            ExternalToolTextResultForLlm::new("18°C, clear sky").result_type("success"),
        );
        let _ = client
            .session(h)
            .answer_tool_call(NOW, JsonStr::from_plain(&id).unwrap(), Ok(result))
            .unwrap();
    }
}

#[test]
fn a_streamed_turn() {
    let options = SessionOptions::default().streaming(true);
    let sim = simulated(&TEXT, &options, Config::default(), 1, |_, _, _| {});
    assert_eq!(sim, recorded("streaming-turn.jsonl", 1));
}

#[test]
fn a_tool_call() {
    let tools = tools(true);
    let options = SessionOptions::default()
        .tools(&tools)
        .request_permission(true);
    let sim = simulated(&WEATHER, &options, Config::default(), 1, answer_tool);
    assert_eq!(sim, recorded("tool-call.jsonl", 1));
}

#[test]
fn a_permitted_tool_call() {
    let tools = tools(false);
    let config = Config::default().caller_answers(CallerAnswers::PERMISSIONS);
    let options = config.session_options().tools(&tools);
    let sim = simulated(&WEATHER, &options, config, 1, |client, h, e| {
        if e.is("permission.requested") {
            let id = e.data().get_str("requestId").unwrap().to_string();
            let _ = client
                .session(h)
                .answer_permission(
                    NOW,
                    JsonStr::from_plain(&id).unwrap(),
                    PermissionDecision::ApproveOnce(Default::default()),
                )
                .unwrap();
        }
        answer_tool(client, h, e);
    });
    assert_eq!(sim, recorded("permissions.jsonl", 1));
}

#[test]
fn a_tool_call_nobody_can_permit() {
    let tools = tools(false);
    let options = SessionOptions::default()
        .tools(&tools)
        .request_permission(false);
    let sim = simulated(&WEATHER, &options, Config::default(), 1, answer_tool);
    assert_eq!(sim, recorded("permissions-no-handler.jsonl", 1));
}

#[test]
fn an_aborted_turn() {
    let sim = simulated(
        &STALL,
        &SessionOptions::default(),
        Config::default(),
        1,
        |client, h, e| {
            if e.is("assistant.turn_start") {
                let _ = client
                    .session(h)
                    .abort(NOW, Some(AbortReason::UserInitiated))
                    .unwrap();
            }
        },
    );
    assert_eq!(sim, recorded("abort.jsonl", 1));
}

#[test]
fn a_rejected_permission_reaches_the_model_as_a_failed_tool_call() {
    let tools = tools(false);
    let config = Config::default().caller_answers(CallerAnswers::PERMISSIONS);
    let options = config.session_options().tools(&tools);
    let mut complete = None;
    simulated(&WEATHER, &options, config, 1, |client, h, e| {
        if e.is("permission.requested") {
            let id = e.data().get_str("requestId").unwrap().to_string();
            let decision =
                PermissionDecision::Reject(PermissionDecisionReject::new().feedback("Not now"));
            let _ = client
                .session(h)
                .answer_permission(NOW, JsonStr::from_plain(&id).unwrap(), decision)
                .unwrap();
        }
        if e.is("tool.execution_complete") {
            complete = Some(e.data().to_string());
        }
        assert!(!e.is("external_tool.requested"));
    });
    // As the CLI reports it (permissions.jsonl).
    let complete = RawJson::parse(&complete.unwrap()).unwrap().to_string();
    assert!(complete.contains(r#""success":false"#));
    assert!(complete.contains(r#""message":"The user rejected this tool call. User feedback: Not now","code":"denied""#), "{complete}");
}

// ----- what no recording shows -----------------------------------------------------------------

/// A client, a tracker and the simulated CLI, wired together.
struct Wired<'b> {
    client: Client<'b, 4, 16>,
    inbox: Inbox<'b>,
    sim: Sim<'b, 4>,
    turns: Turns,
    /// Every byte the simulated CLI wrote.
    wire: Vec<u8>,
    /// What the client and the tracker made of it.
    log: Vec<String>,
}

impl Wired<'_> {
    /// One round: the client's bytes to the simulator, the simulator's to the client, and
    /// every event through the tracker.
    fn pump(&mut self) {
        let n = self.sim.push(self.client.transmit_bytes());
        self.client.transmitted(n);
        self.sim.poll();
        let n = self.inbox.push(self.sim.transmit_bytes());
        self.wire.extend_from_slice(&self.sim.transmit_bytes()[..n]);
        self.sim.transmitted(n);
        while let Some(e) = self.client.poll_event(&mut self.inbox, NOW) {
            let log = &mut self.log;
            self.turns.on_event(&mut self.client, NOW, &e, |u| {
                if let TurnUpdate::Ended { end, .. } = u {
                    log.push(format!("turn ended {end:?}"));
                }
            });
            match e {
                Event::Response { id, outcome } => log.push(format!(
                    "response {id} {:?}",
                    outcome.map(|r| r.text().to_string())
                )),
                Event::Session { event, .. } => log.push(event.event_type().to_string()),
                Event::Error(InputError::UnknownResponse { id }) => {
                    log.push(format!("unknown response {}", id.text()))
                }
                Event::Error(e) => panic!("{e:?}"),
                _ => {}
            }
        }
    }

    /// Pumps until the log holds `what`.
    fn pump_until(&mut self, what: &str) {
        for _ in 0..100 {
            if self.log.iter().any(|l| l == what) {
                return;
            }
            self.pump();
        }
        panic!("no {what}: {:?}", self.log);
    }

    /// The simulated CLI's answers to the client's request `id`, as JSON.
    fn answers_to(&self, id: RequestId) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.wire.clone()).unwrap();
        text.split("Content-Length: ")
            .filter(|f| !f.is_empty())
            .map(|f| serde_json::from_str(f.split_once("\r\n\r\n").unwrap().1).unwrap())
            .filter(|v: &serde_json::Value| {
                v.get("method").is_none() && v["id"] == u64::from(id.value())
            })
            .collect()
    }
}

/// A `session.sendAndWait` whose turn stalls, cancelled by the client: the client resolves it
/// once (`Failure::Cancelled`, and its turn ends once); the simulated CLI answers it once,
/// -32800 at once, and not again when the turn, which went on, is aborted; the client reports
/// that late answer as unknown, not as a second resolution.
#[test]
fn a_cancelled_send_and_wait_is_resolved_once() {
    let (mut rx, mut tx, mut srx, mut stx) = (
        vec![0u8; 64 * 1024],
        vec![0u8; 16 * 1024],
        vec![0u8; 64 * 1024],
        vec![0u8; 64 * 1024],
    );
    let sim_config = SimConfig::default().replies(&STALL).send_and_wait(true);
    let mut w = Wired {
        client: Client::new(&mut tx, Config::default()).unwrap(),
        inbox: Inbox::new(&mut rx),
        sim: Sim::new(&mut srx, &mut stx, sim_config),
        turns: Turns::new(),
        wire: Vec::new(),
        log: Vec::new(),
    };
    w.client.connect(NOW, &Connect::default()).unwrap();
    let h = w
        .client
        .create_session(NOW, SessionId::new("s-1").unwrap(), &())
        .unwrap();
    while w.client.session_state(h) != Some(SessionState::Active) {
        w.pump();
    }
    let turn = w
        .turns
        .send(&mut w.client, NOW, h, &SessionSend::new("Hi"), None)
        .unwrap();
    let request = w.turns.request(turn).unwrap();
    w.pump_until("assistant.turn_start");
    for _ in 0..10 {
        w.pump();
    }
    // The model stalls: the request waits for the turn's end.
    assert!(w.answers_to(request).is_empty(), "{:?}", w.log);
    assert_eq!(w.turns.len(), 1);
    w.log.clear();

    w.client.cancel(request).unwrap();
    assert_eq!(w.client.cancel(request), Err(Error::UnknownRequest), "once");
    w.pump_until(&format!("unknown response {}", request.value()));
    for _ in 0..10 {
        w.pump();
    }
    assert_eq!(
        w.log,
        [
            "turn ended SendFailed(Cancelled)".to_string(),
            format!("response {request} Err(Cancelled)"),
            format!("unknown response {}", request.value()),
        ],
        "resolved once; the turn goes on on the CLI"
    );
    let cancelled = serde_json::json!({
        "jsonrpc": "2.0",
        "id": request.value(),
        "error": {"code": -32800, "message": "Request cancelled"},
    });
    assert_eq!(w.answers_to(request), std::slice::from_ref(&cancelled));
    assert!(w.turns.is_empty());
    w.log.clear();

    // Only an abort ends the turn on the CLI; the request is not answered again.
    let abort = w.client.session(h).abort(NOW, None).unwrap().id();
    w.pump_until("session.idle");
    assert_eq!(
        w.log,
        [
            "abort".to_string(),
            "pending_messages.modified".to_string(),
            "assistant.turn_end".to_string(),
            "pending_messages.modified".to_string(),
            "assistant.idle".to_string(),
            format!("response {abort} Ok(\"{{\\\"success\\\":true}}\")"),
            "session.idle".to_string(),
        ]
    );
    assert_eq!(w.answers_to(request), [cancelled]);
    assert_eq!(w.client.pending_requests(), 0);
}
