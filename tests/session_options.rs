//! What the official SDKs send that used to have no typed form here (issue 14, group 6):
//! every create/resume option, tool and command definitions, tool result kinds, permission
//! decision contexts, sessionFs capabilities, attachments without a display name, GitHub
//! references, and `models.list` entries read as the Node SDK fills them in.

#![recursion_limit = "512"]

mod support;

use copilot_sansio::json::{JsonStr, RawJson};
use copilot_sansio::proto::events::{AttachmentGitHubReferenceType, PermissionDecisionSource};
use copilot_sansio::proto::params::{
    Attachment, AttachmentDirectory, AttachmentFile, AttachmentGitHubReference, Autopilot,
    CanvasProvider, Capi, Cloud, CloudRepository, Command, CustomAgent, CustomAgentModelPolicy,
    DefaultAgent, EnvValueMode, ExtensionInfo, ExternalToolResult, ExternalToolTextResultForLlm,
    GitHubMcpToolConfig, ImageGeneration, InfiniteSessions, LargeOutput, McpServer, McpServers,
    Memory, ModelCapabilitiesOverride, ModelCapabilitiesOverrideSupports, NamedProvider,
    PermissionDecision, PermissionDecisionApprovePermanently, PermissionDecisionContext,
    PermissionDecisionOutcome, PermissionDecisionSurface, Provider, ProviderAzure, ProviderModel,
    ProviderType, SessionFsSetProvider, SessionFsSetProviderCapabilities,
    SessionFsSetProviderConventions, SessionLimits, SessionOptions,
    SessionPermissionsHandlePendingPermissionRequest, SessionSend, StrMap, SystemMessage,
    ToolDeclaration, ToolDefer, ToolFilterPrecedence, ToolResultKind, ToolSearch, WireApi,
};
use copilot_sansio::proto::results::ModelList;
use copilot_sansio::sim::{ModelReply, Sim, SimConfig};
use copilot_sansio::{Client, Config, Event, Inbox, SessionHandle, SessionId};
use serde_json::{Value, json};
use support::*;

const SECRET: &str = "ghu_s3cr3t-T0KEN";

/// The params of the only frame queued.
fn params<const S: usize, const P: usize>(c: &mut Conn<S, P>) -> Value {
    let out = c.output_text();
    let (_, body) = out.split_once("\r\n\r\n").expect("one frame");
    let v: Value = serde_json::from_str(body).expect("valid JSON");
    v["params"].clone()
}

/// Calls `f` with options that set every option this crate types.
fn with_every_option<R>(f: impl FnOnce(SessionOptions<'_>) -> R) -> R {
    let schema = RawJson::parse(r#"{"type":"object"}"#).unwrap();
    let meta = RawJson::parse(r#"{"x-host":{"pinned":true}}"#).unwrap();
    let tools = [ToolDeclaration::new("clear", "Clear the context")
        .parameters(schema)
        .overrides_built_in_tool(false)
        .skip_permission(true)
        .defer(ToolDefer::Never)
        .metadata(meta)
        .is_terminal(true)];
    let commands = [Command::new("deploy", "Deploy it"), Command::new("x", "")];
    let env = [("API_TOKEN", SECRET)];
    let headers = [("Authorization", SECRET)];
    let servers = [
        McpServer::local("fs", "mcp-fs")
            .args(&["--root", "/"])
            .env(StrMap(&env))
            .working_directory("/srv")
            .tools(&["*"])
            .timeout(5000),
        McpServer::http("gh", "https://example.invalid/mcp").headers(StrMap(&headers)),
    ];
    let agent_servers = [McpServer::local("db", "mcp-db").env(StrMap(&env))];
    let agents = [CustomAgent::new("reviewer", "Review the diff.")
        .display_name("Reviewer")
        .description("Reviews")
        .tools(&["view"])
        .mcp_servers(McpServers(&agent_servers))
        .infer(false)
        .skills(&["rust"])
        .model("claude-haiku-4.5")
        .model_policy(CustomAgentModelPolicy::Preferred)
        .reasoning_effort("low")];
    let provider = Provider::new("https://llm.example.invalid/v1")
        .kind(ProviderType::Azure)
        .wire_api(WireApi::Responses)
        .api_key(SECRET)
        .bearer_token(SECRET)
        .azure(ProviderAzure::default().api_version("2024-10-21"))
        .headers(StrMap(&headers))
        .model_id("gpt-4.1")
        .wire_model("my-deployment")
        .max_prompt_tokens(1000)
        .max_output_tokens(200);
    let providers = [NamedProvider::new("local", "http://127.0.0.1:11434/v1")
        .kind(ProviderType::OpenAi)
        .api_key(SECRET)];
    let caps = ModelCapabilitiesOverride::new()
        .supports(ModelCapabilitiesOverrideSupports::new().vision(true));
    let models = [ProviderModel::new("llama3", "local")
        .name("Llama 3")
        .max_context_window_tokens(8192)
        .capabilities(caps)];
    let managed = RawJson::parse(r#"{"permissions":{"deny":["Shell(rm *)"]}}"#).unwrap();
    let options = SessionOptions::default()
        .model("claude-sonnet-4.5")
        .allowed_models(&["claude-sonnet-4.5"])
        .client_name("app")
        .reasoning_effort("high")
        .reasoning_summary("concise")
        .is_experimental_mode(false)
        .context_tier("default")
        .tools(&tools)
        .tool_search(ToolSearch::default().enabled(true).defer_threshold(40))
        .image_generation(ImageGeneration::default().enabled(false))
        .request_canvas_renderer(false)
        .request_extensions(false)
        .extension_sdk_path("/sdk")
        .extension_info(ExtensionInfo::new("github-app", "canvas"))
        .canvas_provider(CanvasProvider::new("app:builtin:1"))
        .commands(&commands)
        .system_message(SystemMessage::append("Be terse."))
        .available_tools(&["builtin:*"])
        .excluded_tools(&["builtin:shell"])
        .tool_filter_precedence(ToolFilterPrecedence::Excluded)
        .excluded_builtin_agents(&["explore"])
        .provider(provider)
        .capi(Capi::default().enable_web_socket_responses(false))
        .providers(&providers)
        .models(&models)
        .enable_session_telemetry(false)
        .enable_citations(true)
        .enable_file_change_tracking(true)
        .session_limits(SessionLimits::default().max_ai_credits(12.5))
        .autopilot(Autopilot::default().max_continues(3))
        .model_capabilities(caps)
        .large_output(
            LargeOutput::default()
                .max_size_bytes(1024)
                .output_directory("/tmp/out"),
        )
        .request_permission(true)
        .request_user_input(false)
        .request_mcp_apps(true)
        .github_mcp_tool_config(
            GitHubMcpToolConfig::default()
                .enable_all_tools(true)
                .additional_toolsets(&["actions"]),
        )
        .hooks(false)
        .working_directory("/w")
        .additional_directories(&["/data"])
        .streaming(true)
        .include_sub_agent_streaming_events(true)
        .mcp_servers(McpServers(&servers))
        .mcp_oauth_token_storage("in-memory")
        .env_value_mode(EnvValueMode::Direct)
        .custom_agents(&agents)
        .custom_agents_local_only(true)
        .default_agent(DefaultAgent::default().excluded_tools(&["delegate_only"]))
        .agent("reviewer")
        .config_dir("/cfg")
        .enable_config_discovery(false)
        .skip_embedding_retrieval(true)
        .embedding_cache_storage("in-memory")
        .organization_custom_instructions("Use British spelling.")
        .enable_on_demand_instruction_discovery(false)
        .enable_file_hooks(false)
        .enable_host_git_operations(false)
        .enable_session_store(false)
        .enable_skills(true)
        .skill_directories(&["/skills"])
        .plugin_directories(&["/plugins"])
        .instruction_directories(&["/instructions"])
        .disabled_skills(&["pdf"])
        .disabled_mcp_servers(&["github"])
        .infinite_sessions(
            InfiniteSessions::default()
                .enabled(true)
                .background_compaction_threshold(0.75),
        )
        .memory(Memory::new(false))
        .git_hub_token(SECRET)
        .remote_session("off")
        .enable_managed_settings(false)
        .managed_settings(managed);
    f(options)
}

/// The JSON [`with_every_option`] must put on the wire (besides `sessionId`).
fn every_option_json() -> Value {
    json!({
        "model": "claude-sonnet-4.5",
        "allowedModels": ["claude-sonnet-4.5"],
        "clientName": "app",
        "reasoningEffort": "high",
        "reasoningSummary": "concise",
        "isExperimentalMode": false,
        "contextTier": "default",
        "tools": [{"name": "clear", "description": "Clear the context", "parameters": {"type": "object"},
            "overridesBuiltInTool": false, "skipPermission": true, "defer": "never",
            "metadata": {"x-host": {"pinned": true}}, "isTerminal": true}],
        "toolSearch": {"enabled": true, "deferThreshold": 40},
        "imageGeneration": {"enabled": false},
        "requestCanvasRenderer": false,
        "requestExtensions": false,
        "extensionSdkPath": "/sdk",
        "extensionInfo": {"source": "github-app", "name": "canvas"},
        "canvasProvider": {"id": "app:builtin:1"},
        "commands": [{"name": "deploy", "description": "Deploy it"}, {"name": "x", "description": ""}],
        "systemMessage": {"mode": "append", "content": "Be terse."},
        "availableTools": ["builtin:*"],
        "excludedTools": ["builtin:shell"],
        "toolFilterPrecedence": "excluded",
        "excludedBuiltinAgents": ["explore"],
        "provider": {"type": "azure", "wireApi": "responses", "baseUrl": "https://llm.example.invalid/v1",
            "apiKey": SECRET, "bearerToken": SECRET, "azure": {"apiVersion": "2024-10-21"},
            "headers": {"Authorization": SECRET}, "modelId": "gpt-4.1", "wireModel": "my-deployment",
            "maxPromptTokens": 1000, "maxOutputTokens": 200},
        "capi": {"enableWebSocketResponses": false},
        "providers": [{"name": "local", "type": "openai", "baseUrl": "http://127.0.0.1:11434/v1", "apiKey": SECRET}],
        "models": [{"id": "llama3", "provider": "local", "name": "Llama 3", "maxContextWindowTokens": 8192,
            "capabilities": {"supports": {"vision": true}}}],
        "enableSessionTelemetry": false,
        "enableCitations": true,
        "enableFileChangeTracking": true,
        "sessionLimits": {"maxAiCredits": 12.5},
        "autopilot": {"maxContinues": 3},
        "modelCapabilities": {"supports": {"vision": true}},
        "largeOutput": {"maxSizeBytes": 1024, "outputDir": "/tmp/out"},
        "requestPermission": true,
        "requestUserInput": false,
        "requestMcpApps": true,
        "githubMcpToolConfig": {"enableAllTools": true, "additionalToolsets": ["actions"]},
        "hooks": false,
        "workingDirectory": "/w",
        "additionalDirectories": ["/data"],
        "streaming": true,
        "includeSubAgentStreamingEvents": true,
        "mcpServers": {
            "fs": {"type": "local", "command": "mcp-fs", "args": ["--root", "/"], "env": {"API_TOKEN": SECRET},
                "cwd": "/srv", "tools": ["*"], "timeout": 5000},
            "gh": {"type": "http", "url": "https://example.invalid/mcp", "headers": {"Authorization": SECRET}}
        },
        "mcpOAuthTokenStorage": "in-memory",
        "envValueMode": "direct",
        "customAgents": [{"name": "reviewer", "displayName": "Reviewer", "description": "Reviews",
            "tools": ["view"], "prompt": "Review the diff.",
            "mcpServers": {"db": {"type": "local", "command": "mcp-db", "env": {"API_TOKEN": SECRET}}},
            "infer": false, "skills": ["rust"], "model": "claude-haiku-4.5", "modelPolicy": "preferred",
            "reasoningEffort": "low"}],
        "customAgentsLocalOnly": true,
        "defaultAgent": {"excludedTools": ["delegate_only"]},
        "agent": "reviewer",
        "configDir": "/cfg",
        "enableConfigDiscovery": false,
        "skipEmbeddingRetrieval": true,
        "embeddingCacheStorage": "in-memory",
        "organizationCustomInstructions": "Use British spelling.",
        "enableOnDemandInstructionDiscovery": false,
        "enableFileHooks": false,
        "enableHostGitOperations": false,
        "enableSessionStore": false,
        "enableSkills": true,
        "skillDirectories": ["/skills"],
        "pluginDirectories": ["/plugins"],
        "instructionDirectories": ["/instructions"],
        "disabledSkills": ["pdf"],
        "disabledMcpServers": ["github"],
        "infiniteSessions": {"enabled": true, "backgroundCompactionThreshold": 0.75},
        "memory": {"enabled": false},
        "gitHubToken": SECRET,
        "remoteSession": "off",
        "enableManagedSettings": false,
        "managedSettings": {"permissions": {"deny": ["Shell(rm *)"]}}
    })
}

#[test]
fn every_option_goes_on_the_wire_as_the_sdks_spell_it() {
    let mut c = Conn::<4, 8>::new(4096, 16 * 1024, Config::default());
    with_every_option(|options| {
        let _ = c
            .client
            .create_session(NOW, SessionId::new("s-1").unwrap(), &options)
            .unwrap();
    });
    let mut expected = every_option_json();
    expected["sessionId"] = json!("s-1");
    assert_eq!(params(&mut c), expected);

    // Resume sends the same options, and the resume-only ones.
    with_every_option(|options| {
        let options = options
            .disable_resume(true)
            .continue_pending_work(true)
            .allow_transcript_recovery(false);
        let _ = c
            .client
            .resume_session(NOW, SessionId::new("s-2").unwrap(), &options)
            .unwrap();
    });
    let mut expected = every_option_json();
    expected["sessionId"] = json!("s-2");
    expected["disableResume"] = json!(true);
    expected["continuePendingWork"] = json!(true);
    expected["allowTranscriptRecovery"] = json!(false);
    assert_eq!(params(&mut c), expected);
}

#[test]
fn unset_options_are_left_out() {
    let mut c = Conn::<4, 8>::new(4096, 8192, Config::default());
    let _ = c
        .client
        .create_session(
            NOW,
            SessionId::new("s-1").unwrap(),
            &SessionOptions::default(),
        )
        .unwrap();
    assert_eq!(params(&mut c), json!({"sessionId": "s-1"}));
    // Nested structs leave out what is unset too; a tool is only name and description.
    let tools = [ToolDeclaration::new("t", "d")];
    let agents = [CustomAgent::new("a", "p")];
    let options = SessionOptions::default()
        .tools(&tools)
        .custom_agents(&agents)
        .infinite_sessions(InfiniteSessions::default())
        .provider(Provider::new("http://h"))
        .cloud(Cloud::default().repository(CloudRepository::new("o", "r")));
    let _ = c
        .client
        .create_session(NOW, SessionId::new("s-2").unwrap(), &options)
        .unwrap();
    assert_eq!(
        params(&mut c),
        json!({"sessionId": "s-2", "tools": [{"name": "t", "description": "d"}],
            "customAgents": [{"name": "a", "prompt": "p"}], "infiniteSessions": {},
            "provider": {"baseUrl": "http://h"}, "cloud": {"repository": {"owner": "o", "name": "r"}}})
    );
}

#[test]
fn secrets_of_the_options_never_show_in_debug_output() {
    with_every_option(|options| {
        let options = options.exp_assignments(RawJson::parse(r#"{"Features":[]}"#).unwrap());
        for shown in [
            format!("{options:?}"),
            format!("{options:#?}"),
            format!("{:?}", options.provider.unwrap()),
            format!("{:?}", options.providers.unwrap()),
            format!("{:?}", options.mcp_servers.unwrap()),
            format!("{:?}", options.custom_agents.unwrap()),
        ] {
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
        assert!(!format!("{options:?}").contains("Shell(rm"));
    });
}

/// Runs a create through the simulated CLI, then one turn; returns the events' types.
fn through_the_sim(
    options: &SessionOptions<'_>,
    replies: &'static [ModelReply<'static>],
) -> Vec<String> {
    let (mut rx, mut tx, mut srx, mut stx) = (
        vec![0u8; 64 * 1024],
        vec![0u8; 32 * 1024],
        vec![0u8; 64 * 1024],
        vec![0u8; 64 * 1024],
    );
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 4, 16> = Client::new(&mut tx, Config::default()).unwrap();
    let mut sim: Sim<'_, 4> = Sim::new(&mut srx, &mut stx, SimConfig::default().replies(replies));
    let h: SessionHandle = client
        .create_session(NOW, SessionId::new("s-1").unwrap(), options)
        .unwrap();
    let mut types = Vec::new();
    for _ in 0..1000 {
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
                        .send(NOW, &SessionSend::new("Hi"))
                        .unwrap();
                }
                Event::Session { session, event } => {
                    types.push(event.event_type().to_string());
                    if event.is("external_tool.requested") {
                        let id = event.data().get_str("requestId").unwrap().to_string();
                        let result = ExternalToolResult::ExternalToolTextResultForLlm(
                            ExternalToolTextResultForLlm::new("not allowed here")
                                .result_type(ToolResultKind::Rejected.as_str()),
                        );
                        let _ = client
                            .session(session)
                            .answer_tool_call(NOW, JsonStr::from_plain(&id).unwrap(), Ok(result))
                            .unwrap();
                    }
                }
                Event::Error(e) => panic!("{e:?}"),
                _ => {}
            }
        }
        if types.iter().any(|t| t == "session.idle") {
            break;
        }
    }
    types
}

static HELLO: [ModelReply<'static>; 1] = [ModelReply::Text("Hello!")];
static CLEAR: [ModelReply<'static>; 1] = [ModelReply::ToolCall {
    tool: "clear",
    arguments: "{}",
    then: "Done.",
}];

#[test]
fn the_simulated_cli_takes_every_option_and_commands() {
    let types = with_every_option(|options| through_the_sim(&options, &HELLO));
    assert!(types.contains(&"session.start".to_string()), "{types:?}");
    assert!(
        types.contains(&"assistant.message".to_string()),
        "{types:?}"
    );
    assert_eq!(types.last().map(String::as_str), Some("session.idle"));
}

#[test]
fn a_tool_result_can_be_rejected() {
    let tools = [ToolDeclaration::new("clear", "Clear")
        .skip_permission(true)
        .is_terminal(true)];
    let commands = [Command::new("deploy", "Deploy")];
    let options = SessionOptions::default().tools(&tools).commands(&commands);
    let types = through_the_sim(&options, &CLEAR);
    assert!(
        types.contains(&"external_tool.completed".to_string()),
        "{types:?}"
    );
    assert_eq!(types.last().map(String::as_str), Some("session.idle"));
    for (kind, wire) in [
        (ToolResultKind::Success, "success"),
        (ToolResultKind::Failure, "failure"),
        (ToolResultKind::Rejected, "rejected"),
        (ToolResultKind::Denied, "denied"),
        (ToolResultKind::Timeout, "timeout"),
    ] {
        assert_eq!(kind.as_str(), wire);
    }
}

#[test]
fn permission_answers_carry_a_decision_context_and_permanent_approvals() {
    let mut c = Conn::<4, 8>::new(4096, 8192, Config::default());
    let h = c
        .client
        .create_session(NOW, SessionId::new("s-1").unwrap(), &())
        .unwrap();
    c.output();
    c.feed(&frame(
        r#"{"jsonrpc":"2.0","id":1,"result":{"sessionId":"s-1"}}"#,
    ));
    let answer = SessionPermissionsHandlePendingPermissionRequest::new(
        "p-1",
        PermissionDecision::ApprovePermanently(PermissionDecisionApprovePermanently::new(
            "example.com",
        )),
    )
    .decision_context(PermissionDecisionContext::new(
        PermissionDecisionOutcome::PromptedUser,
        PermissionDecisionSource::HumanResponse,
        PermissionDecisionSurface::Sdk,
    ));
    let _ = c.client.session(h).call(NOW, &answer).unwrap();
    assert_eq!(
        params(&mut c),
        json!({"sessionId": "s-1", "requestId": "p-1",
            "result": {"kind": "approve-permanently", "domain": "example.com"},
            "decisionContext": {"outcome": "prompted_user", "source": "human_response", "surface": "sdk"}})
    );
    // Attachments as the SDKs send them: no display name; a GitHub reference.
    let attachments = [
        Attachment::File(AttachmentFile::new("/w/a.txt")),
        Attachment::Directory(AttachmentDirectory::new("/w/src")),
        Attachment::GithubReference(AttachmentGitHubReference::new(
            7,
            "Fix it",
            AttachmentGitHubReferenceType::Issue,
            "open",
            "https://github.com/o/r/issues/7",
        )),
    ];
    let _ = c
        .client
        .session(h)
        .send(NOW, &SessionSend::new("Look").attachments(&attachments))
        .unwrap();
    assert_eq!(
        params(&mut c)["attachments"],
        json!([{"type": "file", "path": "/w/a.txt"}, {"type": "directory", "path": "/w/src"},
            {"type": "github_reference", "number": 7, "title": "Fix it", "referenceType": "issue",
                "state": "open", "url": "https://github.com/o/r/issues/7"}])
    );
}

#[test]
fn the_session_fs_provider_declares_its_sqlite_capability() {
    let mut c = Conn::<4, 8>::new(4096, 8192, Config::default());
    let provider =
        SessionFsSetProvider::new("/w", "/state", SessionFsSetProviderConventions::Posix)
            .capabilities(SessionFsSetProviderCapabilities::new().sqlite(true));
    let _ = c.client.set_session_fs_provider(NOW, &provider).unwrap();
    assert_eq!(
        params(&mut c),
        json!({"initialCwd": "/w", "sessionStatePath": "/state", "conventions": "posix",
            "capabilities": {"sqlite": true}})
    );
}

#[test]
fn model_entries_read_missing_capabilities_as_empty() {
    let raw = RawJson::parse(
        r#"{"models":[
            {"id":"embed","name":"Embeddings"},
            {"id":"m2","name":"M2","capabilities":{}},
            {"id":"m3","name":"M3","capabilities":{"supports":{"vision":true},"limits":{"max_context_window_tokens":128000}}}
        ]}"#,
    )
    .unwrap();
    let list = ModelList::new(raw);
    let infos: Vec<_> = list.infos().collect();
    assert_eq!(infos.len(), 3);
    for info in &infos[..2] {
        let caps = info.capabilities();
        assert_eq!(caps.supports().vision(), None);
        assert_eq!(caps.supports().reasoning_effort(), None);
        assert_eq!(caps.limits().max_context_window_tokens(), None);
        assert!(caps.limits().raw().is_object());
    }
    let caps = infos[2].capabilities();
    assert_eq!(infos[2].id().unwrap(), "m3");
    assert_eq!(caps.supports().vision(), Some(true));
    assert_eq!(caps.limits().max_context_window_tokens(), Some(128_000));
    assert!(infos[0].model().capabilities().is_none());
}
