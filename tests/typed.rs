//! The typed protocol: the exact bytes of every typed request, typed views of real recorded
//! and hand-written events, server requests and results, the client's default answers, and
//! the tool-call and permission round trips.

mod support;

use copilot_sansio::json::RawJson;
use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::proto::params::{
    AbortReason, Attachment, AttachmentBlob, AttachmentDirectory, AttachmentFile,
    AttachmentFileLineRange, AttachmentSelection, AttachmentSelectionDetails,
    AttachmentSelectionDetailsEnd, AttachmentSelectionDetailsStart, EnvValueMode,
    ExternalToolResult, ExternalToolTextResultForLlm, Extra, McpServer, McpServers,
    PermissionDecision, PermissionDecisionApproveForLocation,
    PermissionDecisionApproveForLocationApproval,
    PermissionDecisionApproveForLocationApprovalCommands, PermissionDecisionReject, Provider,
    ProviderType, Section, SectionAction, SendMode, SessionFilter, SessionFsSetProvider,
    SessionFsSetProviderConventions, SessionLog, SessionLogLevel, SessionModelSwitchTo,
    SessionOptions, SessionSend, SystemMessage, ToolDeclaration, UiElicitationResponse,
    UiElicitationResponseAction,
};
use copilot_sansio::proto::results::{
    AuthStatus, ConnectResult, Messages, ModelList, OpenResult, PingResult, SendResult,
    SessionListResult, SessionMetadata, StatusResult, Success,
};
use copilot_sansio::proto::server::{
    AutoModeSwitch, AutoModeSwitchAnswer, ExitPlanModeAnswer, ProviderTokenAcquireResult,
    ServerCall, SessionFsError, SessionFsErrorCode, SessionFsExistsResult, SessionFsReadFileResult,
    SessionFsReaddirResult, SessionFsReaddirWithTypesEntry, SessionFsReaddirWithTypesEntryType,
    SessionFsReaddirWithTypesResult, SessionFsStatResult, TransformedSections, UserInputAnswer,
};
use copilot_sansio::{
    CallerAnswers, Client, Config, Connect, Event, Failure, Inbox, SessionEvent, SessionHandle,
    SessionId,
};
use support::*;

const SID: &str = "9d54a69c-624b-4a7a-a3f8-d57c18a45562";

/// The body of the only frame queued.
fn body<const S: usize, const P: usize>(c: &mut Conn<S, P>) -> String {
    let out = c.output_text();
    let (_, body) = out.split_once("\r\n\r\n").expect("one frame");
    let header = &out[..out.len() - body.len()];
    assert_eq!(header, format!("Content-Length: {}\r\n\r\n", body.len()));
    body.to_string()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).expect("valid JSON")
}

/// A client with one active session.
fn with_session() -> (Conn<4, 32>, SessionHandle) {
    let mut c = Conn::<4, 32>::new(64 * 1024, 8192, Config::default());
    let h = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    c.output();
    c.feed(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":1,"result":{{"sessionId":"{SID}"}}}}"#
    )));
    (c, h)
}

#[test]
fn connection_level_requests_are_byte_exact() {
    let mut c = Conn::<4, 32>::new(4096, 4096, Config::default());
    let fixture = load("no-auth-create-send-destroy.jsonl");
    let recorded = |method: &str| {
        fixture
            .iter()
            .find(|l| l.out && l.method().as_deref() == Some(method))
            .map(|l| l.body.clone())
            .expect("recorded")
    };
    let _ = c.client.ping(NOW, Some("probe")).unwrap();
    assert_eq!(body(&mut c), recorded("ping"));
    c.client.connect(NOW, &Connect::default()).unwrap();
    assert_eq!(body(&mut c), recorded("connect"));
    let _ = c.client.get_status(NOW).unwrap();
    assert_eq!(body(&mut c), recorded("status.get"));
    let _ = c.client.get_auth_status(NOW).unwrap();
    assert_eq!(body(&mut c), recorded("auth.getStatus"));
    let _ = c.client.list_models(NOW).unwrap();
    assert_eq!(body(&mut c), recorded("models.list"));
    // Ids go on counting: 6 and 7 here, 10 in the recording.
    let _ = c.client.shutdown_runtime(NOW).unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":6,"method":"runtime.shutdown","params":{}}"#
    );
    let _ = c.client.ping(NOW, None).unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":7,"method":"ping","params":{}}"#
    );
    c.client
        .connect(
            NOW,
            &Connect::default()
                .token("t0k")
                .enable_git_hub_telemetry_forwarding(true),
        )
        .unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":8,"method":"connect","params":{"enableGitHubTelemetryForwarding":true,"token":"t0k"}}"#
    );
    let fs = load("sessionfs-provider.jsonl");
    let set_provider = fs
        .iter()
        .find(|l| l.method().as_deref() == Some("sessionFs.setProvider"))
        .unwrap();
    let _ = c
        .client
        .set_session_fs_provider(
            NOW,
            &SessionFsSetProvider::new(
                "/home/dev/demo/work",
                "/session-state",
                SessionFsSetProviderConventions::Posix,
            ),
        )
        .unwrap();
    assert_eq!(
        body(&mut c),
        set_provider.body.replace("\"id\":2,", "\"id\":9,")
    );
    let _ = c.client.set_llm_inference_provider(NOW).unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":10,"method":"llmInference.setProvider","params":{}}"#
    );
    let _ = c.client.list_sessions(NOW, None).unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":11,"method":"session.list","params":{}}"#
    );
    let _ = c
        .client
        .list_sessions(
            NOW,
            Some(&SessionFilter::default().cwd("/w").branch("main")),
        )
        .unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":12,"method":"session.list","params":{"filter":{"cwd":"/w","branch":"main"}}}"#
    );
    let _ = c.client.delete_session(NOW, "old-1").unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":13,"method":"session.delete","params":{"sessionId":"old-1"}}"#
    );
    let _ = c.client.get_last_session_id(NOW).unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":14,"method":"session.getLastId","params":{}}"#
    );
    let _ = c.client.get_session_metadata(NOW, "old-1").unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":15,"method":"session.getMetadata","params":{"sessionId":"old-1"}}"#
    );
}

#[test]
fn session_options_are_typed_and_extensible() {
    let config = Config::default()
        .caller_answers(CallerAnswers::PERMISSIONS | CallerAnswers::EXIT_PLAN_MODE);
    let mut c = Conn::<4, 8>::new(4096, 8192, config);
    let schema = RawJson::parse(
        r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#,
    )
    .unwrap();
    let tools = [ToolDeclaration::new("get_weather", "Get \"weather\"")
        .parameters(schema)
        .skip_permission(true)];
    let sections = [
        Section {
            id: "tone",
            action: SectionAction::Replace,
            content: Some("Be terse."),
        },
        Section {
            id: "safety",
            action: SectionAction::Transform,
            content: None,
        },
    ];
    let extra =
        RawJson::parse(r#"{"envValueMode":"direct","includeSubAgentStreamingEvents":true}"#)
            .unwrap();
    let servers = [McpServer::local("fs", "mcp-fs").working_directory("/")];
    let options = config
        .session_options()
        .model("claude-sonnet-4.5")
        .client_name("probe.py")
        .streaming(true)
        .working_directory("/home/dev/demo/work")
        .system_message(SystemMessage::customize(&sections))
        .tools(&tools)
        .available_tools(&["get_weather", "view"])
        .excluded_tools(&["shell"])
        .reasoning_effort("high")
        .mcp_servers(McpServers(&servers))
        .provider(Provider::new("http://127.0.0.1:1").kind(ProviderType::OpenAi))
        .env_value_mode(EnvValueMode::Direct)
        .include_sub_agent_streaming_events(true);
    let _ = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &options)
        .unwrap();
    assert_eq!(
        body(&mut c),
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"session.create","params":{{"sessionId":"{SID}","model":"claude-sonnet-4.5","clientName":"probe.py","reasoningEffort":"high","tools":[{{"name":"get_weather","description":"Get \"weather\"","parameters":{{"type":"object","properties":{{"city":{{"type":"string"}}}},"required":["city"]}},"skipPermission":true}}],"systemMessage":{{"mode":"customize","sections":{{"tone":{{"action":"replace","content":"Be terse."}},"safety":{{"action":"transform"}}}}}},"availableTools":["get_weather","view"],"excludedTools":["shell"],"provider":{{"type":"openai","baseUrl":"http://127.0.0.1:1"}},"requestPermission":true,"requestUserInput":false,"requestElicitation":false,"requestExitPlanMode":true,"requestAutoModeSwitch":false,"hooks":false,"workingDirectory":"/home/dev/demo/work","streaming":true,"includeSubAgentStreamingEvents":true,"mcpServers":{{"fs":{{"type":"local","command":"mcp-fs","cwd":"/"}}}},"envValueMode":"direct"}}}}"#
        )
    );
    // The recorded probe's create, typed: the same JSON (member order aside).
    let recorded = load("no-auth-create-send-destroy.jsonl")
        .into_iter()
        .find(|l| l.method().as_deref() == Some("session.create"))
        .unwrap();
    let probe = Config::default()
        .session_options()
        .client_name("probe.py")
        .working_directory("/home/dev/demo/work")
        .request_permission(true)
        .extra(Extra(Some(extra)));
    let mut c = Conn::<4, 8>::new(4096, 8192, Config::default());
    for _ in 0..5 {
        let _ = c.client.ping(NOW, None).unwrap();
    }
    c.output();
    let _ = c
        .client
        .create_session(NOW, SessionId::new(SID).unwrap(), &probe)
        .unwrap();
    assert_eq!(json(&body(&mut c)), json(&recorded.body));
    // Resume with disableResume.
    let _ = c
        .client
        .resume_session(
            NOW,
            SessionId::new("s2").unwrap(),
            &SessionOptions::default().disable_resume(true),
        )
        .unwrap();
    assert_eq!(
        body(&mut c),
        r#"{"jsonrpc":"2.0","id":7,"method":"session.resume","params":{"sessionId":"s2","disableResume":true}}"#
    );
}

#[test]
fn session_requests_are_byte_exact() {
    let (mut c, h) = with_session();
    let recorded = load("no-auth-create-send-destroy.jsonl");
    let find = |m: &str| {
        recorded
            .iter()
            .find(|l| l.out && l.method().as_deref() == Some(m))
            .unwrap()
            .body
            .clone()
    };
    let _ = c
        .client
        .session(h)
        .send(NOW, &SessionSend::new("What is 2+2?"))
        .unwrap();
    assert_eq!(
        body(&mut c),
        find("session.send").replace("\"id\":7", "\"id\":2")
    );
    let _ = c.client.session(h).get_messages(NOW).unwrap();
    assert_eq!(
        body(&mut c),
        find("session.getMessages").replace("\"id\":8", "\"id\":3")
    );
    let attachments = [
        Attachment::File(
            AttachmentFile::new("/w/a.txt")
                .display_name("a.txt")
                .line_range(AttachmentFileLineRange::new(1, 9)),
        ),
        Attachment::Directory(AttachmentDirectory::new("/w/src").display_name("src")),
        Attachment::Selection(AttachmentSelection::new(
            "/w/b.rs",
            "b.rs",
            "fn x()",
            AttachmentSelectionDetails::new(
                AttachmentSelectionDetailsStart::new(2, 0),
                AttachmentSelectionDetailsEnd::new(2, 6),
            ),
        )),
        Attachment::Blob(AttachmentBlob::new("image/png").data("iVBORw0=")),
    ];
    let _ = c
        .client
        .session(h)
        .send(
            NOW,
            &SessionSend::new("Look\n\"here\"")
                .attachments(&attachments)
                .mode(SendMode::Immediate)
                .wait(false),
        )
        .unwrap();
    assert_eq!(
        body(&mut c),
        format!(
            r#"{{"jsonrpc":"2.0","id":4,"method":"session.send","params":{{"sessionId":"{SID}","prompt":"Look\n\"here\"","attachments":[{{"type":"file","path":"/w/a.txt","displayName":"a.txt","lineRange":{{"start":1,"end":9}}}},{{"type":"directory","path":"/w/src","displayName":"src"}},{{"type":"selection","filePath":"/w/b.rs","displayName":"b.rs","text":"fn x()","selection":{{"start":{{"line":2,"character":0}},"end":{{"line":2,"character":6}}}}}},{{"type":"blob","data":"iVBORw0=","mimeType":"image/png"}}],"mode":"immediate","wait":false}}}}"#
        )
    );
    let _ = c
        .client
        .session(h)
        .abort(NOW, Some(AbortReason::UserInitiated))
        .unwrap();
    assert_eq!(
        body(&mut c),
        format!(
            r#"{{"jsonrpc":"2.0","id":5,"method":"session.abort","params":{{"sessionId":"{SID}","reason":"user_initiated"}}}}"#
        )
    );
    let _ = c.client.session(h).abort(NOW, None).unwrap();
    assert_eq!(
        body(&mut c),
        format!(
            r#"{{"jsonrpc":"2.0","id":6,"method":"session.abort","params":{{"sessionId":"{SID}"}}}}"#
        )
    );
    let _ = c
        .client
        .session(h)
        .switch_model(
            NOW,
            &SessionModelSwitchTo::new("gpt-5").reasoning_effort("low"),
        )
        .unwrap();
    assert_eq!(
        body(&mut c),
        format!(
            r#"{{"jsonrpc":"2.0","id":7,"method":"session.model.switchTo","params":{{"sessionId":"{SID}","modelId":"gpt-5","reasoningEffort":"low"}}}}"#
        )
    );
    let _ = c
        .client
        .session(h)
        .log(
            NOW,
            &SessionLog::new("hi")
                .level(SessionLogLevel::Warning)
                .ephemeral(true),
        )
        .unwrap();
    assert_eq!(
        body(&mut c),
        format!(
            r#"{{"jsonrpc":"2.0","id":8,"method":"session.log","params":{{"sessionId":"{SID}","message":"hi","level":"warning","ephemeral":true}}}}"#
        )
    );
    c.client.session(h).destroy(NOW).unwrap();
    assert_eq!(body(&mut c), find("session.destroy"));
    // Stale handles are refused by every session method.
    c.feed(&frame(r#"{"jsonrpc":"2.0","id":9,"result":{}}"#));
    assert_eq!(
        c.client.session(h).send(NOW, &SessionSend::new("x")),
        Err(copilot_sansio::Error::UnknownSession)
    );
}

#[test]
fn broadcast_answers_are_byte_exact() {
    let (mut c, h) = with_session();
    let structured = ExternalToolResult::ExternalToolTextResultForLlm(
        ExternalToolTextResultForLlm::new("18°C, clear")
            .result_type("success")
            .session_log("weather ok"),
    );
    let once = || PermissionDecision::ApproveOnce(Default::default());
    let commands: &'static [&'static str] = &["ls"];
    type Call = Box<dyn Fn(&mut Client<'static, 4, 32>) -> copilot_sansio::RequestId>;
    let cases: [(Call, String); 9] = [
        (Box::new(move |c| c.session(h).answer_tool_call(NOW, js("r-17"), Ok(ExternalToolResult::Text("42"))).unwrap()),
            r#""method":"session.tools.handlePendingToolCall","params":{"sessionId":"SID","requestId":"r-17","result":"42"}}"#.into()),
        (Box::new(move |c| c.session(h).answer_tool_call(NOW, js("r-17"), Ok(structured)).unwrap()),
            r#""method":"session.tools.handlePendingToolCall","params":{"sessionId":"SID","requestId":"r-17","result":{"textResultForLlm":"18°C, clear","resultType":"success","sessionLog":"weather ok"}}}"#.into()),
        (Box::new(move |c| c.session(h).answer_tool_call(NOW, js("r-17"), Err("no network")).unwrap()),
            r#""method":"session.tools.handlePendingToolCall","params":{"sessionId":"SID","requestId":"r-17","error":"no network"}}"#.into()),
        (Box::new(move |c| c.session(h).answer_permission(NOW, js("p-1"), once()).unwrap()),
            r#""method":"session.permissions.handlePendingPermissionRequest","params":{"sessionId":"SID","requestId":"p-1","result":{"kind":"approve-once"}}}"#.into()),
        (Box::new(move |c| c.session(h).answer_permission(NOW, js("p-1"), PermissionDecision::Reject(PermissionDecisionReject::new().feedback("not that"))).unwrap()),
            r#""method":"session.permissions.handlePendingPermissionRequest","params":{"sessionId":"SID","requestId":"p-1","result":{"kind":"reject","feedback":"not that"}}}"#.into()),
        (Box::new(move |c| c.session(h).answer_permission(NOW, js("p-1"), PermissionDecision::ApproveForLocation(PermissionDecisionApproveForLocation::new(PermissionDecisionApproveForLocationApproval::Commands(PermissionDecisionApproveForLocationApprovalCommands::new(commands)), "/w"))).unwrap()),
            r#""method":"session.permissions.handlePendingPermissionRequest","params":{"sessionId":"SID","requestId":"p-1","result":{"kind":"approve-for-location","approval":{"kind":"commands","commandIdentifiers":["ls"]},"locationKey":"/w"}}}"#.into()),
        (Box::new(move |c| c.session(h).answer_permission(NOW, js("p-1"), PermissionDecision::Raw(RawJson::parse(r#"{"kind":"denied-interactively-by-user"}"#).unwrap())).unwrap()),
            r#""method":"session.permissions.handlePendingPermissionRequest","params":{"sessionId":"SID","requestId":"p-1","result":{"kind":"denied-interactively-by-user"}}}"#.into()),
        (Box::new(move |c| c.session(h).answer_elicitation(NOW, js("e-1"), UiElicitationResponse::new(UiElicitationResponseAction::Accept).content(RawJson::parse(r#"{"name":"x"}"#).unwrap())).unwrap()),
            r#""method":"session.ui.handlePendingElicitation","params":{"sessionId":"SID","requestId":"e-1","result":{"action":"accept","content":{"name":"x"}}}}"#.into()),
        (Box::new(move |c| c.session(h).answer_command(NOW, js("c-1"), Some("Unknown command: x")).unwrap()),
            r#""method":"session.commands.handlePendingCommand","params":{"sessionId":"SID","requestId":"c-1","error":"Unknown command: x"}}"#.into()),
    ];
    for (i, (send, expected)) in cases.iter().enumerate() {
        let id = send(&mut c.client);
        assert_eq!(id.value(), i as u32 + 2);
        assert_eq!(
            body(&mut c),
            format!(
                r#"{{"jsonrpc":"2.0","id":{},{}"#,
                i + 2,
                expected.replace("SID", SID)
            )
        );
    }
}

fn fixture_event(file: &str, kind: &str) -> String {
    load(file)
        .into_iter()
        .find(|l| {
            !l.out
                && l.body.contains(&format!("\"type\":\"{kind}\""))
                && l.method().as_deref() == Some("session.event")
        })
        .unwrap_or_else(|| panic!("{kind} in {file}"))
        .body
}

/// Decodes the `session.event` in `body` (any session).
fn with_event<R>(body: &str, f: impl FnOnce(SessionEvent<'_>) -> R) -> R {
    let msg = RawJson::parse(body).unwrap();
    let ev = SessionEvent::from_event(msg.get("params").unwrap().get("event").unwrap()).unwrap();
    f(ev)
}

#[test]
fn recorded_events_decode() {
    let no_auth = "no-auth-create-send-destroy.jsonl";
    let turn = "full-turn-mock-model.jsonl";
    with_event(&fixture_event(no_auth, "session.start"), |e| {
        let TypedEvent::SessionStart(s) = e.typed() else {
            panic!()
        };
        assert_eq!(s.session_id().unwrap(), SID);
        assert_eq!(s.version(), Some(1));
        assert_eq!(s.producer().unwrap(), "copilot-agent");
        assert_eq!(s.copilot_version().unwrap(), "1.0.102");
        assert_eq!(
            s.context().unwrap().raw().get_str("cwd").unwrap(),
            "/home/dev/demo/work"
        );
        assert_eq!(s.already_in_use(), Some(false));
        assert_eq!(s.selected_model(), None);
        assert_eq!(e.parent_id(), None);
        assert_eq!(e.id().unwrap(), "8954709d-2cd8-4e81-9f38-9f59704a496d");
        assert!(!e.ephemeral());
    });
    with_event(&fixture_event(no_auth, "session.error"), |e| {
        let TypedEvent::SessionError(s) = e.typed() else {
            panic!()
        };
        assert_eq!(s.error_type().unwrap(), "query");
        assert!(
            s.message()
                .unwrap()
                .to_string()
                .contains("No GitHub OAuth token")
        );
    });
    with_event(&fixture_event(no_auth, "session.idle"), |e| {
        let TypedEvent::SessionIdle(s) = e.typed() else {
            panic!()
        };
        assert_eq!(s.aborted(), None);
        assert_eq!(s.mode().unwrap().as_str(), "interactive");
        assert!(e.ephemeral());
    });
    with_event(&fixture_event(no_auth, "assistant.idle"), |e| {
        assert!(matches!(e.typed(), TypedEvent::AssistantIdle(_)))
    });
    with_event(&fixture_event(no_auth, "pending_messages.modified"), |e| {
        assert!(matches!(e.typed(), TypedEvent::PendingMessagesModified(_)))
    });
    with_event(&fixture_event(no_auth, "session.title_changed"), |e| {
        let TypedEvent::SessionTitleChanged(t) = e.typed() else {
            panic!()
        };
        assert_eq!(t.title().unwrap(), "What is 2+2?");
    });
    with_event(&fixture_event(no_auth, "session.shutdown"), |e| {
        let TypedEvent::SessionShutdown(s) = e.typed() else {
            panic!()
        };
        assert_eq!(s.shutdown_type().unwrap().as_str(), "routine");
        assert_eq!(s.session_start_time(), Some(1795475425418));
        assert_eq!(s.total_api_duration_ms(), Some(0));
        assert_eq!(s.code_changes().unwrap().lines_added(), Some(0));
    });
    with_event(&fixture_event(no_auth, "session.skills_loaded"), |e| {
        let TypedEvent::SessionSkillsLoaded(s) = e.typed() else {
            panic!()
        };
        let names: Vec<String> = s
            .skills()
            .into_iter()
            .flatten()
            .filter_map(|k| k.name().map(|n| n.to_string()))
            .collect();
        assert_eq!(names, ["customize-cloud-agent", "github-pr-media"]);
    });
    with_event(
        r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"type":"session.brand_new","data":{}}}}"#,
        |e| assert_eq!(e.typed(), TypedEvent::Unknown),
    );
    with_event(&fixture_event(turn, "user.message"), |e| {
        let TypedEvent::UserMessage(m) = e.typed() else {
            panic!()
        };
        assert_eq!(m.content().unwrap(), "What is 2+2?");
        assert_eq!(m.delivery().unwrap().as_str(), "idle");
        assert_eq!(m.turn_id().unwrap(), "0");
        let mut buf = [0u8; 128];
        let t = m
            .transformed_content()
            .unwrap()
            .unescape_into(&mut buf)
            .unwrap();
        assert!(
            t.starts_with("<current_datetime>") && t.ends_with("\n\nWhat is 2+2?"),
            "{t}"
        );
    });
    with_event(&fixture_event(turn, "assistant.turn_start"), |e| {
        let TypedEvent::AssistantTurnStart(t) = e.typed() else {
            panic!()
        };
        assert_eq!(t.turn_id().unwrap(), "0");
        assert_eq!(
            t.interaction_id().unwrap(),
            "a550e597-f4da-4892-b2c2-f59ba6483c0e"
        );
    });
    with_event(&fixture_event(turn, "assistant.turn_end"), |e| {
        assert!(matches!(e.typed(), TypedEvent::AssistantTurnEnd(t) if t.turn_id().unwrap() == "0"))
    });
    with_event(&fixture_event(turn, "assistant.usage"), |e| {
        let TypedEvent::AssistantUsage(u) = e.typed() else {
            panic!()
        };
        assert_eq!(u.model().unwrap(), "claude-sonnet-4");
        assert_eq!((u.input_tokens(), u.output_tokens()), (Some(10), Some(5)));
        assert_eq!(u.cost(), Some(1.0));
        assert_eq!(u.api_call_id().unwrap(), "chatcmpl-mock");
    });
    with_event(&fixture_event(turn, "assistant.message"), |e| {
        let TypedEvent::AssistantMessage(m) = e.typed() else {
            panic!()
        };
        assert_eq!(m.content().unwrap(), "2 + 2 = 4");
        assert_eq!(m.model().unwrap(), "claude-sonnet-4");
        assert_eq!(m.tool_requests().into_iter().flatten().count(), 0);
        assert_eq!(
            m.message_id().unwrap(),
            "17b229ae-0c64-49ac-967d-e45054466be0"
        );
    });
}

#[test]
fn hand_written_events_decode_with_escapes_missing_and_unknown_fields() {
    let cases = [
        (
            r#"{"type":"assistant.message_delta","data":{"messageId":"m1","deltaContent":"caf\u00e9 \"q\"\n\ud83d\ude00","brandNew":{"x":[1]}},"ephemeral":true,"agentId":"sub-1"}"#,
            "delta",
        ),
        (
            r#"{"type":"assistant.message_delta","data":{}}"#,
            "empty delta",
        ),
        (
            r#"{"type":"assistant.message_start","data":{"messageId":"m1","phase":"final"}}"#,
            "start",
        ),
        (
            r#"{"type":"assistant.message","data":{"messageId":"m2","content":"","toolRequests":[{"toolCallId":"tc1","name":"get_weather","arguments":{"city":"Paris"},"type":"function"},{"toolCallId":"tc2","name":"view"}],"outputTokens":12}}"#,
            "message",
        ),
        (
            r#"{"type":"assistant.reasoning_delta","data":{"reasoningId":"r1","deltaContent":"hmm"}}"#,
            "reasoning delta",
        ),
        (
            r#"{"type":"assistant.reasoning","data":{"reasoningId":"r1","content":"think"}}"#,
            "reasoning",
        ),
        (
            r#"{"type":"tool.execution_start","data":{"toolCallId":"tc1","toolName":"get_weather","arguments":{"city":"Paris"},"mcpServerName":"m"}}"#,
            "tool start",
        ),
        (
            r#"{"type":"tool.execution_progress","data":{"toolCallId":"tc1","progressMessage":"50%"}}"#,
            "progress",
        ),
        (
            r#"{"type":"tool.execution_complete","data":{"toolCallId":"tc1","success":false,"error":{"message":"boom","code":"E1"}}}"#,
            "complete",
        ),
        (
            r#"{"type":"external_tool.requested","data":{"requestId":"r-17","sessionId":"s","toolCallId":"tc1","toolName":"get_weather","arguments":{"city":"Paris"}}}"#,
            "tool call",
        ),
        (
            r#"{"type":"permission.requested","data":{"requestId":"p-1","permissionRequest":{"kind":"shell","fullCommandText":"ls -la","intention":"list"}}}"#,
            "permission",
        ),
        (
            r#"{"type":"elicitation.requested","data":{"requestId":"e-1","message":"Name?","mode":"form","requestedSchema":{"type":"object"}}}"#,
            "elicitation",
        ),
        (
            r#"{"type":"command.execute","data":{"requestId":"c-1","command":"/deploy prod","commandName":"deploy","args":"prod"}}"#,
            "command",
        ),
        (
            r#"{"type":"abort","data":{"reason":"user_initiated"}}"#,
            "abort",
        ),
        (
            r#"{"type":"session.idle","data":{"aborted":true}}"#,
            "idle aborted",
        ),
        (
            r#"{"type":"capabilities.changed","data":{"ui":{"elicitation":true}}}"#,
            "capabilities",
        ),
        (
            r#"{"type":"session.resume","data":{"resumeTime":"2026-11-23T23:00:00Z","eventCount":12,"sessionWasActive":false}}"#,
            "resume",
        ),
        (r#"{"type":"future.kind","data":{"a":1}}"#, "other"),
    ];
    for (raw, what) in cases {
        let e = SessionEvent::from_event(RawJson::parse(raw).unwrap()).unwrap();
        match (what, e.typed()) {
            ("delta", TypedEvent::AssistantMessageDelta(d)) => {
                let mut buf = [0u8; 64];
                assert_eq!(
                    d.delta_content().unwrap().unescape_into(&mut buf).unwrap(),
                    "café \"q\"\n\u{1F600}"
                );
                assert_eq!(
                    d.delta_content().unwrap().to_string(),
                    "café \"q\"\n\u{1F600}"
                );
                assert_eq!(d.delta_content().unwrap().chars().count(), 10);
                assert_eq!(d.message_id().unwrap(), "m1");
                assert_eq!(d.parent_tool_call_id(), None);
                assert!(e.ephemeral());
                assert_eq!(e.agent_id().unwrap(), "sub-1");
            }
            ("empty delta", TypedEvent::AssistantMessageDelta(d)) => {
                assert_eq!((d.delta_content(), d.message_id()), (None, None))
            }
            ("start", TypedEvent::AssistantMessageStart(s)) => {
                assert_eq!(s.phase().unwrap(), "final")
            }
            ("message", TypedEvent::AssistantMessage(m)) => {
                assert!(m.content().unwrap().is_empty());
                let calls: Vec<_> = m.tool_requests().into_iter().flatten().collect();
                assert_eq!(calls.len(), 2);
                assert_eq!(calls[0].name().unwrap(), "get_weather");
                assert_eq!(
                    calls[0].arguments().unwrap().get_str("city").unwrap(),
                    "Paris"
                );
                assert_eq!(calls[0].kind().unwrap().as_str(), "function");
                assert_eq!(calls[1].arguments(), None);
                assert_eq!(m.output_tokens(), Some(12));
            }
            ("reasoning delta", TypedEvent::AssistantReasoningDelta(r)) => {
                assert_eq!(r.delta_content().unwrap(), "hmm")
            }
            ("reasoning", TypedEvent::AssistantReasoning(r)) => {
                assert_eq!(r.content().unwrap(), "think")
            }
            ("tool start", TypedEvent::ToolExecutionStart(t)) => assert_eq!(
                (
                    t.tool_name().unwrap().to_string(),
                    t.mcp_server_name().unwrap().to_string()
                ),
                ("get_weather".into(), "m".into())
            ),
            ("progress", TypedEvent::ToolExecutionProgress(t)) => {
                assert_eq!(t.progress_message().unwrap(), "50%")
            }
            ("complete", TypedEvent::ToolExecutionComplete(t)) => {
                assert_eq!(t.success(), Some(false));
                assert_eq!(t.error().unwrap().message().unwrap(), "boom");
                assert_eq!(t.result(), None);
            }
            ("tool call", TypedEvent::ExternalToolRequested(t)) => {
                assert_eq!(t.request_id().unwrap(), "r-17");
                assert_eq!(t.tool_name().unwrap(), "get_weather");
                assert_eq!(t.arguments().unwrap().text(), r#"{"city":"Paris"}"#);
                assert_eq!(t.working_directory(), None);
            }
            ("permission", TypedEvent::PermissionRequested(p)) => {
                assert_eq!(
                    p.permission_request().unwrap().get_str("kind").unwrap(),
                    "shell"
                );
                assert_eq!(
                    p.permission_request()
                        .unwrap()
                        .get_str("fullCommandText")
                        .unwrap(),
                    "ls -la"
                );
                assert_eq!(p.resolved_by_hook(), None);
            }
            ("elicitation", TypedEvent::ElicitationRequested(el)) => assert_eq!(
                (
                    el.message().unwrap().to_string(),
                    el.mode().unwrap().as_str()
                ),
                ("Name?".into(), "form")
            ),
            ("command", TypedEvent::CommandExecute(cmd)) => {
                assert_eq!(cmd.command_name().unwrap(), "deploy")
            }
            ("abort", TypedEvent::Abort(a)) => {
                assert_eq!(a.reason().unwrap().as_str(), "user_initiated")
            }
            ("idle aborted", TypedEvent::SessionIdle(i)) => assert_eq!(i.aborted(), Some(true)),
            ("capabilities", TypedEvent::CapabilitiesChanged(cap)) => {
                assert_eq!(cap.ui().unwrap().elicitation(), Some(true))
            }
            ("resume", TypedEvent::SessionResume(r)) => assert_eq!(
                (r.event_count(), r.session_was_active()),
                (Some(12), Some(false))
            ),
            ("other", TypedEvent::Unknown) => {
                assert_eq!(e.data().get("a").unwrap().as_u64(), Some(1))
            }
            (what, other) => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn notifications_decode() {
    let fs = load("sessionfs-provider.jsonl");
    let host = fs
        .iter()
        .find(|l| l.method().as_deref() == Some("host.event"))
        .unwrap();
    let params = host.json().get("params").unwrap();
    let h = copilot_sansio::proto::events::HostEvent::new(params);
    assert_eq!(h.kind().unwrap(), "task_transition");
    assert_eq!(
        h.session_id().unwrap(),
        "2007e228-5864-47df-ad0d-43953a6303f6"
    );
    assert_eq!(h.payload().unwrap().get_str("kind").unwrap(), "disposed");
    // Lifecycle, through the client.
    let mut c = Conn::<4, 8>::new(4096, 4096, Config::default());
    let lc = fs
        .iter()
        .find(|l| l.method().as_deref() == Some("session.lifecycle"))
        .unwrap();
    let mut inbox_events = Vec::new();
    c.inbox.push(&lc.frame);
    while let Some(e) = c.client.poll_event(&mut c.inbox, NOW) {
        if let Event::Lifecycle { session, lifecycle } = e {
            assert_eq!(session, None);
            inbox_events.push((
                lifecycle.event_type().unwrap().to_string(),
                lifecycle.session_id().unwrap().to_string(),
                lifecycle.metadata().unwrap().get_str("startTime").is_some(),
            ));
        }
    }
    assert_eq!(
        inbox_events,
        [(
            "session.created".into(),
            "2007e228-5864-47df-ad0d-43953a6303f6".into(),
            true
        )]
    );
}

#[test]
fn recorded_results_decode() {
    let turn = load("full-turn-mock-model.jsonl");
    let result = |id: u64| -> String {
        let line = turn
            .iter()
            .find(|l| {
                !l.out
                    && l.json().get("id").and_then(|i| i.as_u64()) == Some(id)
                    && l.method().is_none()
            })
            .unwrap();
        line.json().get("result").unwrap().to_string()
    };
    let r = result(1);
    let p = PingResult::new(RawJson::parse(&r).unwrap());
    assert_eq!(p.message().unwrap(), "pong: probe");
    assert_eq!(p.protocol_version(), Some(3));
    let r = result(2);
    let c = ConnectResult::new(RawJson::parse(&r).unwrap());
    assert_eq!(
        (
            c.ok(),
            c.protocol_version(),
            c.version().unwrap().to_string()
        ),
        (Some(true), Some(3), "1.0.102".into())
    );
    assert_eq!(c.task_kinds().unwrap().count(), 2);
    let r = result(3);
    assert_eq!(
        StatusResult::new(RawJson::parse(&r).unwrap())
            .version()
            .unwrap(),
        "1.0.102"
    );
    let r = result(4);
    let a = AuthStatus::new(RawJson::parse(&r).unwrap());
    assert_eq!(
        (a.is_authenticated(), a.auth_type().unwrap().to_string()),
        (Some(true), "token".into())
    );
    assert_eq!(a.login(), None);
    let r = result(5);
    let m = ModelList::new(RawJson::parse(&r).unwrap());
    let models: Vec<_> = m.models().into_iter().flatten().collect();
    assert_eq!(models.len(), 2);
    assert_eq!(models[1].id().unwrap(), "claude-sonnet-4.5");
    let vision =
        |m: &copilot_sansio::proto::results::Model<'_>| m.capabilities()?.supports()?.vision();
    let window = |m: &copilot_sansio::proto::results::Model<'_>| {
        m.capabilities()?.limits()?.max_context_window_tokens()
    };
    assert_eq!(vision(&models[1]), Some(true));
    assert_eq!(window(&models[1]), Some(128000));
    assert_eq!(vision(&models[0]), None);
    let r = result(6);
    let o = OpenResult::new(RawJson::parse(&r).unwrap());
    assert_eq!(
        o.session_id().unwrap(),
        "16cb951b-729e-4842-b1cb-7a59b813d899"
    );
    assert!(
        o.workspace_path()
            .unwrap()
            .to_string()
            .ends_with("16cb951b-729e-4842-b1cb-7a59b813d899")
    );
    assert_eq!(o.elicitation(), Some(false));
    let r = result(7);
    assert!(
        SendResult::new(RawJson::parse(&r).unwrap())
            .message_id()
            .is_some()
    );
    let r = result(8);
    let history = Messages::new(RawJson::parse(&r).unwrap());
    let types: Vec<String> = history
        .events()
        .map(|e| e.event_type().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "session.start",
            "user.message",
            "system.message",
            "assistant.turn_start",
            "assistant.message",
            "assistant.turn_end"
        ]
    );
    let last_message = history
        .events()
        .filter_map(|e| match e.typed() {
            TypedEvent::AssistantMessage(m) => m.content(),
            _ => None,
        })
        .last();
    assert_eq!(last_message.unwrap(), "2 + 2 = 4");
    assert!(history.events().all(|e| e.session_id().is_none()));
    // Hand-written results.
    let list = RawJson::parse(r#"{"sessions":[{"sessionId":"a","startTime":"t0","modifiedTime":"t1","isRemote":false,"context":{"cwd":"/w"}},{"sessionId":"b","summary":"fix \"bug\""}]}"#).unwrap();
    let sessions: Vec<_> = SessionListResult::new(list).sessions().collect();
    assert_eq!(sessions[0].context().unwrap().get_str("cwd").unwrap(), "/w");
    assert_eq!(sessions[1].summary().unwrap().to_string(), "fix \"bug\"");
    assert!(
        SessionMetadata::new(RawJson::parse(r#"{}"#).unwrap())
            .info()
            .is_none()
    );
    assert_eq!(
        SessionMetadata::new(RawJson::parse(r#"{"session":{"sessionId":"a"}}"#).unwrap())
            .info()
            .unwrap()
            .session_id()
            .unwrap(),
        "a"
    );
    let s = Success::new(RawJson::parse(r#"{"success":false,"error":"already handled"}"#).unwrap());
    assert_eq!(
        (s.success(), s.error().unwrap().to_string()),
        (Some(false), "already handled".into())
    );
}

/// Server requests, typed, and the exact answers (compared with the recorded ones).
#[test]
fn session_fs_requests_decode_and_answers_match_the_recording() {
    let fs = load("sessionfs-provider.jsonl");
    let config = Config::default().caller_answers(CallerAnswers::SESSION_FS);
    let mut rx = vec![0u8; 16 * 1024];
    let mut tx = vec![0u8; 16 * 1024];
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 2, 4> = Client::new(&mut tx, config).unwrap();
    let sids = [
        "2007e228-5864-47df-ad0d-43953a6303f6",
        "fce84f00-46f2-45d2-8f20-1f2e0801fb85",
    ];
    for sid in sids {
        let _ = client
            .create_session(NOW, SessionId::new(sid).unwrap(), &())
            .unwrap();
    }
    let n = client.transmit_bytes().len();
    client.transmitted(n);
    let mut seen = std::collections::BTreeSet::new();
    for (i, line) in fs.iter().enumerate() {
        if line.out
            || line.method().is_none_or(|m| !m.starts_with("sessionFs."))
            || !sids.contains(&line.session_id().unwrap_or_default().as_str())
        {
            continue;
        }
        let recorded_answer = fs[i + 1..]
            .iter()
            .find(|l| l.out && l.json().get("id") == line.json().get("id"))
            .unwrap();
        inbox.push(&line.frame);
        let Some(Event::Request(req)) = client.poll_event(&mut inbox, NOW) else {
            panic!("{}", line.body)
        };
        let call = req.call();
        let op = call.method().unwrap();
        seen.insert(op);
        let sid = req.params.get_str("sessionId").unwrap();
        assert!(sids.contains(&sid.as_plain().unwrap()));
        let result = recorded_answer.json().get("result").unwrap();
        match call {
            ServerCall::SessionFsReadFile(f) => {
                // Mostly `/session-state/...`, but some are host paths.
                assert_eq!(
                    Some(f.path().unwrap()),
                    line.json().get("params").unwrap().get_str("path")
                );
                let content = result.get_str("content").unwrap().to_string();
                let message = result
                    .get("error")
                    .and_then(|e| e.get_str("message"))
                    .map(|m| m.to_string());
                let mut answer = SessionFsReadFileResult::new(&content);
                if result.get("error").is_some() {
                    let mut error = SessionFsError::new(SessionFsErrorCode::Enoent);
                    error.message = message.as_deref();
                    answer = answer.error(error);
                }
                client.respond(req.reply, &answer).unwrap();
            }
            ServerCall::SessionFsWriteFile(f) => {
                assert!(f.content().is_some());
                client.respond(req.reply, &()).unwrap();
            }
            ServerCall::SessionFsAppendFile(f) => {
                assert!(f.content().is_some());
                client.respond(req.reply, &()).unwrap();
            }
            ServerCall::SessionFsMkdir(f) => {
                assert_eq!(f.recursive(), Some(true));
                assert_eq!(
                    f.mode(),
                    line.json()
                        .get("params")
                        .unwrap()
                        .get("mode")
                        .and_then(|m| m.as_u64())
                );
                client.respond(req.reply, &()).unwrap();
            }
            ServerCall::SessionFsRename(f) => {
                assert!(f.src().is_some() && f.dest().is_some());
                client.respond(req.reply, &()).unwrap();
            }
            ServerCall::SessionFsStat(_) => {
                let mtime = result.get_str("mtime").unwrap().to_string();
                let birthtime = result.get_str("birthtime").unwrap().to_string();
                let answer = SessionFsStatResult::new(false, true, 4096, &mtime, &birthtime);
                client.respond(req.reply, &answer).unwrap();
            }
            ServerCall::SessionFsReaddirWithTypes(_) => client
                .respond(req.reply, &SessionFsReaddirWithTypesResult::new(&[]))
                .unwrap(),
            ServerCall::SessionFsExists(_) => client
                .respond(req.reply, &SessionFsExistsResult::new(false))
                .unwrap(),
            other => panic!("{other:?}"),
        }
        let out = String::from_utf8(client.transmit_bytes().to_vec()).unwrap();
        client.transmitted(out.len());
        assert_eq!(
            out.as_bytes(),
            recorded_answer.frame.as_slice(),
            "answer to {}",
            line.body
        );
    }
    assert_eq!(seen.len(), 8, "{seen:?}");
}

#[test]
fn other_server_requests_decode_and_are_answered() {
    let mut c = Conn::<4, 8>::new(
        16 * 1024,
        8192,
        Config::default().caller_answers(CallerAnswers::ALL),
    );
    let h = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    c.output();
    let requests = [
        r#"{"jsonrpc":"2.0","id":4,"method":"userInput.request","params":{"sessionId":"s","question":"Which branch?","choices":["main","dev"],"allowFreeform":true}}"#,
        r#"{"jsonrpc":"2.0","id":5,"method":"exitPlanMode.request","params":{"sessionId":"s","summary":"Plan","actions":["a","b"],"recommendedAction":"a"}}"#,
        r#"{"jsonrpc":"2.0","id":6,"method":"autoModeSwitch.request","params":{"sessionId":"s","errorCode":"rate_limited","retryAfterSeconds":30.0}}"#,
        r#"{"jsonrpc":"2.0","id":7,"method":"systemMessage.transform","params":{"sessionId":"s","sections":{"tone":{"content":"Be nice."},"safety":{"content":"S"}}}}"#,
        r#"{"jsonrpc":"2.0","id":8,"method":"hooks.invoke","params":{"sessionId":"s","hookType":"preToolUse","input":{"sessionId":"s","timestamp":1795475425418,"cwd":"/w","toolName":"shell","toolArgs":{"command":"ls"}}}}"#,
        r#"{"jsonrpc":"2.0","id":9,"method":"providerToken.getToken","params":{"sessionId":"s","providerName":"azure"}}"#,
        r#"{"jsonrpc":"2.0","id":10,"method":"sessionFs.readdir","params":{"sessionId":"s","path":"/x"}}"#,
        r#"{"jsonrpc":"2.0","id":11,"method":"sessionFs.sqliteQuery","params":{"sessionId":"s","sql":"select 1"}}"#,
        r#"{"jsonrpc":"2.0","id":12,"method":"llmInference.httpRequestStart","params":{"requestId":"q"}}"#,
    ];
    let mut expected = Vec::new();
    for body_text in requests {
        c.inbox.push(&frame(body_text));
        let Some(Event::Request(req)) = c.client.poll_event(&mut c.inbox, NOW) else {
            panic!("{body_text}")
        };
        assert_eq!(
            req.session,
            if req.id.as_u64() == Some(12) {
                None
            } else {
                Some(h)
            }
        );
        let answer = match req.call() {
            ServerCall::UserInputRequest(u) => {
                assert_eq!(u.question().unwrap(), "Which branch?");
                assert_eq!(
                    u.choices().map(|c| c.to_string()).collect::<Vec<_>>(),
                    ["main", "dev"]
                );
                assert_eq!(u.allow_freeform(), Some(true));
                c.client
                    .respond(
                        req.reply,
                        &UserInputAnswer {
                            answer: "main",
                            was_freeform: false,
                        },
                    )
                    .unwrap();
                r#"{"answer":"main","wasFreeform":false}"#
            }
            ServerCall::ExitPlanModeRequest(e) => {
                assert_eq!(e.recommended_action().unwrap(), "a");
                assert_eq!(e.actions().unwrap().elements().count(), 2);
                c.client
                    .respond(
                        req.reply,
                        &ExitPlanModeAnswer {
                            approved: true,
                            selected_action: Some("b"),
                            feedback: None,
                        },
                    )
                    .unwrap();
                r#"{"approved":true,"selectedAction":"b"}"#
            }
            ServerCall::AutoModeSwitchRequest(a) => {
                assert_eq!(
                    (a.error_code().unwrap().to_string(), a.retry_after_seconds()),
                    ("rate_limited".into(), Some(30))
                );
                c.client
                    .respond(
                        req.reply,
                        &AutoModeSwitchAnswer {
                            response: AutoModeSwitch::YesAlways,
                        },
                    )
                    .unwrap();
                r#"{"response":"yes_always"}"#
            }
            ServerCall::SystemMessageTransform(t) => {
                let sections: Vec<(String, String)> = t
                    .sections()
                    .map(|(id, c)| (id.to_string(), c.unwrap().to_string()))
                    .collect();
                assert_eq!(
                    sections,
                    [
                        ("tone".to_string(), "Be nice.".to_string()),
                        ("safety".into(), "S".into())
                    ]
                );
                c.client
                    .respond(
                        req.reply,
                        &TransformedSections(&[("tone", "Be terse."), ("safety", "S")]),
                    )
                    .unwrap();
                r#"{"sections":{"tone":{"content":"Be terse."},"safety":{"content":"S"}}}"#
            }
            ServerCall::HooksInvoke(hook) => {
                use copilot_sansio::proto::server::{HookInvokeResponse, HookType};
                assert_eq!(hook.hook_type(), Some(HookType::PreToolUse));
                assert_eq!(hook.input().unwrap().get_str("toolName").unwrap(), "shell");
                let output = RawJson::parse(r#"{"permissionDecision":"allow"}"#).unwrap();
                c.client
                    .respond(req.reply, &HookInvokeResponse::new().output(output))
                    .unwrap();
                r#"{"output":{"permissionDecision":"allow"}}"#
            }
            ServerCall::ProviderTokenGetToken(p) => {
                assert_eq!(p.provider_name().unwrap(), "azure");
                c.client
                    .respond(req.reply, &ProviderTokenAcquireResult::new("tok"))
                    .unwrap();
                r#"{"token":"tok"}"#
            }
            ServerCall::SessionFsReaddir(f) => {
                assert_eq!(f.path().unwrap(), "/x");
                c.client
                    .respond(req.reply, &SessionFsReaddirResult::new(&["a", "b"]))
                    .unwrap();
                r#"{"entries":["a","b"]}"#
            }
            ServerCall::SessionFsSqliteQuery(_) => {
                assert_eq!(req.params.get_str("sql").unwrap(), "select 1");
                c.client
                    .respond_raw(req.reply, r#"{"rows":[[1]]}"#)
                    .unwrap();
                r#"{"rows":[[1]]}"#
            }
            ServerCall::LlmInferenceHttpRequestStart(_) => {
                c.client.respond_error(req.reply, -32603, "no").unwrap();
                r#"ERR"#
            }
            other => panic!("{other:?}"),
        };
        let out = c.output_text();
        if answer == "ERR" {
            assert!(out.ends_with(r#""id":12,"error":{"code":-32603,"message":"no"}}"#));
        } else {
            assert!(
                out.ends_with(&format!(r#""id":{},"result":{answer}}}"#, req_id(&out))),
                "{out}"
            );
        }
        expected.push(answer);
    }
    assert_eq!(expected.len(), requests.len());
    // Writes and errors of write-type operations.
    let e = SessionFsError::new(SessionFsErrorCode::UnknownValue).message("disk full");
    let mut buf = [0u8; 256];
    let n = serde_json_core_len(&e, &mut buf);
    assert_eq!(&buf[..n], br#"{"code":"UNKNOWN","message":"disk full"}"#);
    let entries = [
        SessionFsReaddirWithTypesEntry::new("a", SessionFsReaddirWithTypesEntryType::File),
        SessionFsReaddirWithTypesEntry::new("d", SessionFsReaddirWithTypesEntryType::Directory),
    ];
    let n = serde_json_core_len(&SessionFsReaddirWithTypesResult::new(&entries), &mut buf);
    assert_eq!(
        &buf[..n],
        br#"{"entries":[{"name":"a","type":"file"},{"name":"d","type":"directory"}]}"#
    );
}

fn req_id(out: &str) -> String {
    let at = out.find("\"id\":").unwrap() + 5;
    out[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect()
}

/// Serializes through the client's own path: respond to a fake request and read the result.
fn serde_json_core_len<T: serde::Serialize>(value: &T, buf: &mut [u8]) -> usize {
    let mut c = Conn::<1, 1>::new(
        1024,
        1024,
        Config::default().caller_answers(CallerAnswers::ALL),
    );
    c.inbox.push(&frame(
        r#"{"jsonrpc":"2.0","id":1,"method":"x.y","params":{}}"#,
    ));
    let Some(Event::Request(req)) = c.client.poll_event(&mut c.inbox, NOW) else {
        panic!()
    };
    c.client.respond(req.reply, value).unwrap();
    let out = c.output_text();
    let result = out.split_once(r#""result":"#).unwrap().1;
    let result = &result[..result.len() - 1];
    buf[..result.len()].copy_from_slice(result.as_bytes());
    result.len()
}

#[test]
fn requests_without_a_handler_get_the_documented_defaults() {
    let mut c = Conn::<4, 8>::new(16 * 1024, 8192, Config::default());
    let _ = c
        .client
        .create_session(NOW, SessionId::new("s").unwrap(), &())
        .unwrap();
    c.output();
    let cases = [
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"exitPlanMode.request","params":{"sessionId":"s","summary":"p","actions":[],"recommendedAction":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{"approved":true}}"#,
            "Default",
        ),
        (
            r#"{"jsonrpc":"2.0","id":2,"method":"autoModeSwitch.request","params":{"sessionId":"s"}}"#,
            r#"{"jsonrpc":"2.0","id":2,"result":{"response":"no"}}"#,
            "Default",
        ),
        (
            r#"{"jsonrpc":"2.0","id":3,"method":"systemMessage.transform","params":{"sessionId":"s","sections":{"tone":{"content":"Be \"nice\"."}}}}"#,
            r#"{"jsonrpc":"2.0","id":3,"result":{"sections":{"tone":{"content":"Be \"nice\"."}}}}"#,
            "Default",
        ),
        (
            r#"{"jsonrpc":"2.0","id":4,"method":"systemMessage.transform","params":{"sessionId":"s"}}"#,
            r#"{"jsonrpc":"2.0","id":4,"error":{"code":-32602,"message":"missing sections"}}"#,
            "InvalidRequest(BadParams)",
        ),
        (
            r#"{"jsonrpc":"2.0","id":5,"method":"hooks.invoke","params":{"sessionId":"s","hookType":"sessionStart","input":{}}}"#,
            r#"{"jsonrpc":"2.0","id":5,"result":{"output":{}}}"#,
            "Default",
        ),
        (
            r#"{"jsonrpc":"2.0","id":6,"method":"userInput.request","params":{"sessionId":"s","question":"?"}}"#,
            r#"{"jsonrpc":"2.0","id":6,"error":{"code":-32603,"message":"User input requested but no handler registered"}}"#,
            "NotHandled",
        ),
        (
            r#"{"jsonrpc":"2.0","id":7,"method":"sessionFs.readFile","params":{"sessionId":"s","path":"/a"}}"#,
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"No sessionFs handler registered for session: s"}}"#,
            "NotHandled",
        ),
        (
            r#"{"jsonrpc":"2.0","id":8,"method":"canvas.open","params":{"sessionId":"s"}}"#,
            r#"{"jsonrpc":"2.0","id":8,"error":{"code":-32601,"message":"Method not found: canvas.open"}}"#,
            "NotHandled",
        ),
    ];
    for (request, answer, reason) in cases {
        let events = c.feed(&frame(request));
        assert!(
            matches!(&events[..], [Ev::Auto(a)] if a.contains(&format!("reason: {reason}"))),
            "{events:?}"
        );
        assert_eq!(c.output_text(), String::from_utf8(frame(answer)).unwrap());
    }
    // A default that can never fit the transmit buffer becomes an error answer.
    let mut small = Conn::<1, 1>::new(16 * 1024, 512, Config::default());
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"systemMessage.transform","params":{{"sessionId":"s","sections":{{"tone":{{"content":"{}"}}}}}}}}"#,
        "x".repeat(700)
    );
    let events = small.feed(&frame(&big));
    assert!(
        matches!(&events[..], [Ev::Auto(a)] if a.contains("TooLarge")),
        "{events:?}"
    );
    assert!(small.output_text().ends_with(r#"{"jsonrpc":"2.0","id":9,"error":{"code":-32603,"message":"sections too large for the client's transmit buffer"}}"#));
}

#[test]
fn tool_call_round_trip() {
    let (mut c, h) = with_session();
    let event = format!(
        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{SID}","event":{{"id":"e7","timestamp":"2026-08-20T10:00:03.120Z","parentId":"e6","type":"external_tool.requested","data":{{"requestId":"r-17","sessionId":"{SID}","toolCallId":"toolcall_0","toolName":"get_weather","arguments":{{"city":"Paris"}}}}}}}}}}"#
    );
    c.inbox.push(&frame(&event));
    let Some(Event::Session { session, event }) = c.client.poll_event(&mut c.inbox, NOW) else {
        panic!()
    };
    assert_eq!(session, h);
    let TypedEvent::ExternalToolRequested(call) = event.typed() else {
        panic!()
    };
    assert_eq!(call.tool_name().unwrap(), "get_weather");
    let city = call.arguments().unwrap().get_str("city").unwrap();
    let reply = format!("18°C in {city}, clear");
    // Answer straight from the event: it borrows the inbox, the client is free.
    let id = c
        .client
        .session(session)
        .answer_tool_call(
            NOW,
            call.request_id().unwrap(),
            Ok(ExternalToolResult::ExternalToolTextResultForLlm(
                ExternalToolTextResultForLlm::new(&reply).result_type("success"),
            )),
        )
        .unwrap();
    assert_eq!(
        body(&mut c),
        format!(
            r#"{{"jsonrpc":"2.0","id":{},"method":"session.tools.handlePendingToolCall","params":{{"sessionId":"{SID}","requestId":"r-17","result":{{"textResultForLlm":"18°C in Paris, clear","resultType":"success"}}}}}}"#,
            id.value()
        )
    );
    let events = c.feed(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":{},"result":{{"success":true}}}}"#,
        id.value()
    )));
    assert_eq!(events, [Ev::Response(id, r#"Ok({"success":true})"#.into())]);
}

#[test]
fn permission_round_trips() {
    let (mut c, h) = with_session();
    for (request_id, decision, expected) in [
        (
            "p-1",
            PermissionDecision::ApproveOnce(Default::default()),
            r#"{"kind":"approve-once"}"#,
        ),
        (
            "p-2",
            PermissionDecision::Reject(PermissionDecisionReject::new()),
            r#"{"kind":"reject"}"#,
        ),
    ] {
        let event = format!(
            r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{SID}","event":{{"type":"permission.requested","data":{{"requestId":"{request_id}","permissionRequest":{{"kind":"custom-tool","toolName":"get_weather","toolDescription":"w","args":{{}}}}}}}}}}}}"#
        );
        c.inbox.push(&frame(&event));
        let Some(Event::Session { session, event }) = c.client.poll_event(&mut c.inbox, NOW) else {
            panic!()
        };
        let TypedEvent::PermissionRequested(p) = event.typed() else {
            panic!()
        };
        let kind = p.permission_request().unwrap().get_str("kind").unwrap();
        assert_eq!(kind, "custom-tool");
        assert_eq!(session, h);
        let id = c
            .client
            .session(session)
            .answer_permission(NOW, p.request_id().unwrap(), decision)
            .unwrap();
        assert_eq!(
            body(&mut c),
            format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":"session.permissions.handlePendingPermissionRequest","params":{{"sessionId":"{SID}","requestId":"{request_id}","result":{expected}}}}}"#,
                id.value()
            )
        );
    }
}

#[test]
fn session_options_follow_the_handlers_declared() {
    let none = Config::default().session_options();
    assert_eq!(
        (
            none.request_permission,
            none.request_user_input,
            none.request_elicitation,
            none.request_exit_plan_mode,
            none.request_auto_mode_switch,
            none.hooks
        ),
        (
            Some(false),
            Some(false),
            Some(false),
            Some(false),
            Some(false),
            Some(false)
        )
    );
    let all = Config::default()
        .caller_answers(CallerAnswers::ALL)
        .session_options();
    assert_eq!(
        (
            all.request_permission,
            all.request_user_input,
            all.request_elicitation,
            all.request_exit_plan_mode,
            all.request_auto_mode_switch,
            all.hooks
        ),
        (
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            Some(true),
            Some(true)
        )
    );
}

/// A request id as an event gives it.
fn js(s: &str) -> copilot_sansio::json::JsonStr<'_> {
    copilot_sansio::json::JsonStr::from_plain(s).unwrap()
}

#[test]
fn a_typed_call_reads_its_own_response() {
    let (mut c, h) = with_session();
    let ping = c.client.ping(NOW, Some("hi")).unwrap();
    let switch = c
        .client
        .session(h)
        .switch_model(NOW, &SessionModelSwitchTo::new("gpt-5"))
        .unwrap();
    c.output();
    let ping_id = ping.id().value();
    let switch_id = switch.id().value();
    c.inbox.push(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":{ping_id},"result":{{"message":"pong: hi","timestamp":1,"protocolVersion":3}}}}"#
    )));
    c.inbox.push(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":{switch_id},"result":[]}}"#
    )));
    let first = c.client.poll_event(&mut c.inbox, NOW).unwrap();
    assert!(
        switch.response(&first).is_none(),
        "another request's response"
    );
    let pong = ping.response(&first).unwrap().unwrap();
    assert_eq!(pong.message().unwrap(), "pong: hi");
    assert_eq!(pong.protocol_version(), Some(3));
    assert_eq!(ping, ping.id());
    assert_eq!(ping.to_string(), format!("ping #{ping_id}"));
    let second = c.client.poll_event(&mut c.inbox, NOW).unwrap();
    // A result of the wrong shape is reported, not misread.
    assert!(matches!(
        switch.response(&second),
        Some(Err(Failure::InvalidResult))
    ));
    assert!(ping.response(&second).is_none());
}
