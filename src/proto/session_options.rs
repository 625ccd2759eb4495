//! [`SessionOptions`]: the parameters of `session.create` and `session.resume`, with every
//! option the official SDKs send, spelled as they put it on the wire, and the typed forms of
//! its nested configurations. Written by hand (the CLI's schema does not describe these
//! methods) and re-exported from [`params`](crate::proto::params).

use serde::Serialize;

use crate::json::RawJson;
use crate::proto::definitions::{Command, CustomAgent, McpServers, StrMap, ToolDeclaration};
use crate::proto::params::{Extra, ModelCapabilitiesOverride, SystemMessage};
use crate::proto::setters::wire_struct;

/// How `availableTools` and `excludedTools` combine (`toolFilterPrecedence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ToolFilterPrecedence {
    /// `availableTools`, if set, is the only filter (the CLI's default).
    Available,
    /// A tool must match `availableTools` (if set) and not `excludedTools` (what the official
    /// SDKs always send).
    Excluded,
}

/// How environment values reach MCP servers (`envValueMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum EnvValueMode {
    /// Values are literal strings (what the official SDKs always send).
    Direct,
    /// Values are resolved host-side at launch.
    Indirect,
}

/// A bring-your-own-key provider's API (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ProviderType {
    /// OpenAI-compatible (the default).
    #[serde(rename = "openai")]
    OpenAi,
    /// Azure OpenAI.
    Azure,
    /// Anthropic.
    Anthropic,
}

/// The API format of an OpenAI or Azure provider (`wireApi`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum WireApi {
    /// Chat completions (the default).
    Completions,
    /// The Responses API.
    Responses,
}

wire_struct! {
    /// Azure options of a provider (`azure`).
    #[derive(Clone, Copy, Default)]
    ProviderAzure {
        /// The API version (unset: the versionless v1 route).
        api_version: opt &'a str = "apiVersion",
    }
}

wire_struct! {
    /// A bring-your-own-key provider for the whole session (`provider`). `Debug` does not
    /// print `api_key`, `api_key_command`, `bearer_token` or `headers`.
    #[derive(Clone, Copy, Default)]
    Provider {
        /// Its API.
        kind: opt ProviderType = "type",
        /// Its API format.
        wire_api: opt WireApi = "wireApi",
        /// `http` (default) or `websockets` (OpenAI Responses).
        transport: opt &'a str = "transport",
        /// Well-known provider name, e.g. `openai`, `anthropic`, `azure_openai`, `ollama`.
        model_provider: opt &'a str = "modelProvider",
        /// The endpoint URL.
        base_url: req &'a str = "baseUrl",
        /// API key.
        api_key: secret &'a str = "apiKey",
        /// A command that prints the API key.
        api_key_command: secret &'a str = "apiKeyCommand",
        /// Bearer token (wins over `api_key`).
        bearer_token: secret &'a str = "bearerToken",
        /// You answer `providerToken.getToken` for this provider.
        has_bearer_token_provider: opt bool = "hasBearerTokenProvider",
        /// Azure options.
        azure: opt ProviderAzure<'a> = "azure",
        /// HTTP headers of every request.
        headers: secret StrMap<'a> = "headers",
        /// Well-known model name for configuration lookup.
        model_id: opt &'a str = "modelId",
        /// The model name sent to the provider.
        wire_model: opt &'a str = "wireModel",
        /// Overrides the model's maximum prompt tokens.
        max_prompt_tokens: opt u64 = "maxPromptTokens",
        /// Overrides the model's maximum output tokens.
        max_output_tokens: opt u64 = "maxOutputTokens",
    }
}

impl<'a> Provider<'a> {
    /// A provider at `base_url`.
    pub fn new(base_url: &'a str) -> Self {
        Provider {
            base_url,
            ..Provider::default()
        }
    }
}

wire_struct! {
    /// A named provider (`providers`), beside the Copilot API, that [`ProviderModel`]s refer
    /// to. `Debug` does not print `api_key`, `bearer_token` or `headers`.
    #[derive(Clone, Copy, Default)]
    NamedProvider {
        /// Its name (no `/`).
        name: req &'a str = "name",
        /// Its API.
        kind: opt ProviderType = "type",
        /// Its API format.
        wire_api: opt WireApi = "wireApi",
        /// Well-known provider name, e.g. `openai`, `ollama`.
        model_provider: opt &'a str = "modelProvider",
        /// The endpoint URL.
        base_url: req &'a str = "baseUrl",
        /// API key.
        api_key: secret &'a str = "apiKey",
        /// Bearer token (wins over `api_key`).
        bearer_token: secret &'a str = "bearerToken",
        /// You answer `providerToken.getToken` for this provider.
        has_bearer_token_provider: opt bool = "hasBearerTokenProvider",
        /// Azure options.
        azure: opt ProviderAzure<'a> = "azure",
        /// HTTP headers of every request.
        headers: secret StrMap<'a> = "headers",
    }
}

impl<'a> NamedProvider<'a> {
    /// The provider `name` at `base_url`.
    pub fn new(name: &'a str, base_url: &'a str) -> Self {
        NamedProvider {
            name,
            base_url,
            ..NamedProvider::default()
        }
    }
}

wire_struct! {
    /// A model of a [`NamedProvider`] (`models`), selectable as `provider/id`.
    #[derive(Clone, Copy, Default)]
    ProviderModel {
        /// Its id within the provider.
        id: req &'a str = "id",
        /// The provider's name.
        provider: req &'a str = "provider",
        /// The model name sent to the provider (default `id`).
        wire_model: opt &'a str = "wireModel",
        /// Well-known model for configuration lookup (default `id`).
        model_id: opt &'a str = "modelId",
        /// Display name.
        name: opt &'a str = "name",
        /// Maximum prompt tokens.
        max_prompt_tokens: opt u64 = "maxPromptTokens",
        /// Maximum context window tokens.
        max_context_window_tokens: opt u64 = "maxContextWindowTokens",
        /// Maximum output tokens.
        max_output_tokens: opt u64 = "maxOutputTokens",
        /// Capability overrides.
        capabilities: opt ModelCapabilitiesOverride<'a> = "capabilities",
    }
}

impl<'a> ProviderModel<'a> {
    /// The model `id` of `provider`.
    pub fn new(id: &'a str, provider: &'a str) -> Self {
        ProviderModel {
            id,
            provider,
            ..ProviderModel::default()
        }
    }
}

wire_struct! {
    /// The default agent's configuration (`defaultAgent`).
    #[derive(Clone, Copy, Default)]
    DefaultAgent {
        /// Tools hidden from the default agent (custom agents may still use them).
        excluded_tools: opt &'a [&'a str] = "excludedTools",
    }
}

wire_struct! {
    /// Infinite sessions: background compaction and a persistent workspace
    /// (`infiniteSessions`).
    #[derive(Clone, Copy, Default)]
    InfiniteSessions {
        /// On by default.
        enabled: opt bool = "enabled",
        /// Context use (0.0-1.0) at which background compaction starts (default 0.80).
        background_compaction_threshold: opt f64 = "backgroundCompactionThreshold",
        /// Context use (0.0-1.0) at which the session waits for compaction (default 0.95).
        buffer_exhaustion_threshold: opt f64 = "bufferExhaustionThreshold",
    }
}

wire_struct! {
    /// Limits of the session's current accounting window (`sessionLimits`).
    #[derive(Clone, Copy, Default)]
    SessionLimits {
        /// Maximum AI credits.
        max_ai_credits: opt f64 = "maxAiCredits",
    }
}

wire_struct! {
    /// The built-in GitHub MCP server's configuration (`githubMcpToolConfig`).
    #[derive(Clone, Copy, Default)]
    GitHubMcpToolConfig {
        /// Enable all its tools.
        enable_all_tools: opt bool = "enableAllTools",
        /// More toolsets.
        additional_toolsets: opt &'a [&'a str] = "additionalToolsets",
        /// More tools.
        additional_tools: opt &'a [&'a str] = "additionalTools",
        /// Insiders mode.
        enable_insiders_mode: opt bool = "enableInsidersMode",
        /// No form deferral (with MCP Apps and form-backed tools).
        disable_form_deferral: opt bool = "disableFormDeferral",
    }
}

wire_struct! {
    /// Tool search (`toolSearch`).
    #[derive(Clone, Copy, Default)]
    ToolSearch {
        /// On or off.
        enabled: opt bool = "enabled",
        /// Tool count above which MCP and external tools are deferred (default 30).
        defer_threshold: opt u64 = "deferThreshold",
    }
}

wire_struct! {
    /// Large tool outputs written to a file (`largeOutput`).
    #[derive(Clone, Copy, Default)]
    LargeOutput {
        /// On by default.
        enabled: opt bool = "enabled",
        /// Size above which output goes to a file (default 51200).
        max_size_bytes: opt u64 = "maxSizeBytes",
        /// Where the files go (the SDKs' `outputDirectory`, sent as `outputDir`).
        output_directory: opt &'a str = "outputDir",
    }
}

wire_struct! {
    /// The memory feature (`memory`).
    #[derive(Clone, Copy, Default)]
    Memory {
        /// On or off.
        enabled: req bool = "enabled",
        /// `system-prompt` or `user-prompt`.
        mode: opt &'a str = "mode",
    }
}

impl Memory<'_> {
    /// Memory on or off.
    pub fn new(enabled: bool) -> Self {
        Memory {
            enabled,
            ..Memory::default()
        }
    }
}

wire_struct! {
    /// Options of the built-in Copilot API provider (`capi`).
    #[derive(Clone, Copy, Default)]
    Capi {
        /// Auto routing tier, e.g. `efficiency`, `balance`, `intelligence`, `fast`.
        auto_tier: opt &'a str = "autoTier",
        /// Use the WebSocket transport for the Responses API (default true).
        enable_web_socket_responses: opt bool = "enableWebSocketResponses",
    }
}

wire_struct! {
    /// Image generation (`imageGeneration`).
    #[derive(Clone, Copy, Default)]
    ImageGeneration {
        /// On or off.
        enabled: opt bool = "enabled",
        /// Watermark the images.
        watermark: opt bool = "watermark",
    }
}

wire_struct! {
    /// Autopilot (`autopilot`).
    #[derive(Clone, Copy, Default)]
    Autopilot {
        /// Let the agent continue on its own.
        continuation_enabled: opt bool = "continuationEnabled",
        /// Maximum continuations.
        max_continues: opt u64 = "maxContinues",
    }
}

wire_struct! {
    /// A stable extension identity (`extensionInfo`).
    #[derive(Clone, Copy, Default)]
    ExtensionInfo {
        /// Namespace, e.g. `github-app`.
        source: req &'a str = "source",
        /// Name within the namespace.
        name: req &'a str = "name",
    }
}

impl<'a> ExtensionInfo<'a> {
    /// `source:name`.
    pub fn new(source: &'a str, name: &'a str) -> Self {
        ExtensionInfo {
            source,
            name,
            ..ExtensionInfo::default()
        }
    }
}

wire_struct! {
    /// A stable canvas provider identity (`canvasProvider`).
    #[derive(Clone, Copy, Default)]
    CanvasProvider {
        /// The id, used verbatim.
        id: req &'a str = "id",
        /// Display name.
        name: opt &'a str = "name",
    }
}

impl<'a> CanvasProvider<'a> {
    /// The provider `id`.
    pub fn new(id: &'a str) -> Self {
        CanvasProvider {
            id,
            ..CanvasProvider::default()
        }
    }
}

wire_struct! {
    /// A GitHub repository of a cloud session.
    #[derive(Clone, Copy, Default)]
    CloudRepository {
        /// Owner.
        owner: req &'a str = "owner",
        /// Name.
        name: req &'a str = "name",
        /// Branch.
        branch: opt &'a str = "branch",
    }
}

impl<'a> CloudRepository<'a> {
    /// `owner/name`.
    pub fn new(owner: &'a str, name: &'a str) -> Self {
        CloudRepository {
            owner,
            name,
            ..CloudRepository::default()
        }
    }
}

wire_struct! {
    /// A remote session in the cloud (`cloud`, create only).
    #[derive(Clone, Copy, Default)]
    Cloud {
        /// The repository it works on.
        repository: opt CloudRepository<'a> = "repository",
    }
}

wire_struct! {
    /// Options of `session.create` and `session.resume` (docs/protocol.md, Sessions). The
    /// client sets `sessionId` itself; unset options are not sent. Every option of the
    /// official SDKs is here, spelled as they send it (`configDir` for their
    /// `configDirectory`, `disableResume` for `suppressResumeEvent`, `isExperimentalMode` for
    /// `enableExperimentalMode`, `requestMcpApps` for `enableMcpApps`); [`extra`](Self::extra)
    /// splices in anything else.
    ///
    /// Start from [`Config::session_options`](crate::Config::session_options) so the
    /// `request*` flags match the requests you declared you handle. The official SDKs also
    /// always send `toolFilterPrecedence: "excluded"`, `envValueMode: "direct"` and
    /// `includeSubAgentStreamingEvents: true`; set them to do the same.
    ///
    /// `Debug` does not print `git_hub_token`, the secrets of providers and MCP servers, or the
    /// raw JSON options (`managed_settings`, `exp_assignments`, `extra`, ...).
    #[derive(Clone, Copy, Default)]
    SessionOptions {
        /// The model, e.g. `claude-sonnet-4.5`.
        model: opt &'a str = "model",
        /// Only these models may be selected.
        allowed_models: opt &'a [&'a str] = "allowedModels",
        /// The session's name (create).
        name: opt &'a str = "name",
        /// Your application's name.
        client_name: opt &'a str = "clientName",
        /// E.g. `low`, `medium`, `high`, `xhigh`, `max`.
        reasoning_effort: opt &'a str = "reasoningEffort",
        /// Reasoning summaries, e.g. `none`, `concise`, `detailed`.
        reasoning_summary: opt &'a str = "reasoningSummary",
        /// Experimental features (the SDKs' `enableExperimentalMode`).
        is_experimental_mode: opt bool = "isExperimentalMode",
        /// `default` or `long_context`.
        context_tier: opt &'a str = "contextTier",
        /// Your tools; calls arrive as `external_tool.requested`.
        tools: opt &'a [ToolDeclaration<'a>] = "tools",
        /// Tool search.
        tool_search: opt ToolSearch<'a> = "toolSearch",
        /// Image generation.
        image_generation: opt ImageGeneration<'a> = "imageGeneration",
        /// Canvas declarations (a JSON array, passed through).
        canvases: opt RawJson<'a> = "canvases",
        /// You render canvases.
        request_canvas_renderer: opt bool = "requestCanvasRenderer",
        /// You host extensions.
        request_extensions: opt bool = "requestExtensions",
        /// The SDK folder injected into extension processes.
        extension_sdk_path: opt &'a str = "extensionSdkPath",
        /// Your stable extension identity.
        extension_info: opt ExtensionInfo<'a> = "extensionInfo",
        /// Your stable canvas provider identity.
        canvas_provider: opt CanvasProvider<'a> = "canvasProvider",
        /// Your slash commands; runs arrive as `command.execute`.
        commands: opt &'a [Command<'a>] = "commands",
        /// The system message.
        system_message: opt SystemMessage<'a> = "systemMessage",
        /// Only these tools are available.
        available_tools: opt &'a [&'a str] = "availableTools",
        /// These tools are not available.
        excluded_tools: opt &'a [&'a str] = "excludedTools",
        /// How the two lists combine.
        tool_filter_precedence: opt ToolFilterPrecedence = "toolFilterPrecedence",
        /// Built-in agents hidden from the session.
        excluded_builtin_agents: opt &'a [&'a str] = "excludedBuiltinAgents",
        /// A bring-your-own-key provider for the whole session.
        provider: opt Provider<'a> = "provider",
        /// Options of the Copilot API provider.
        capi: opt Capi<'a> = "capi",
        /// Named providers beside the Copilot API.
        providers: opt &'a [NamedProvider<'a>] = "providers",
        /// Models of the named providers.
        models: opt &'a [ProviderModel<'a>] = "models",
        /// Session telemetry.
        enable_session_telemetry: opt bool = "enableSessionTelemetry",
        /// Native model citations.
        enable_citations: opt bool = "enableCitations",
        /// Capture file changes for rewind and session diff.
        enable_file_change_tracking: opt bool = "enableFileChangeTracking",
        /// Limits of the current accounting window.
        session_limits: opt SessionLimits<'a> = "sessionLimits",
        /// Autopilot.
        autopilot: opt Autopilot<'a> = "autopilot",
        /// Model capability overrides, merged over the defaults.
        model_capabilities: opt ModelCapabilitiesOverride<'a> = "modelCapabilities",
        /// Large tool outputs.
        large_output: opt LargeOutput<'a> = "largeOutput",
        /// You answer `permission.requested`.
        request_permission: opt bool = "requestPermission",
        /// You answer `userInput.request`.
        request_user_input: opt bool = "requestUserInput",
        /// `legacy` or `elicitation`.
        ask_user_variant: opt &'a str = "askUserVariant",
        /// You answer `elicitation.requested`.
        request_elicitation: opt bool = "requestElicitation",
        /// MCP Apps (the SDKs' `enableMcpApps`).
        request_mcp_apps: opt bool = "requestMcpApps",
        /// The built-in GitHub MCP server's configuration.
        github_mcp_tool_config: opt GitHubMcpToolConfig<'a> = "githubMcpToolConfig",
        /// You answer `exitPlanMode.request`.
        request_exit_plan_mode: opt bool = "requestExitPlanMode",
        /// You answer `autoModeSwitch.request`.
        request_auto_mode_switch: opt bool = "requestAutoModeSwitch",
        /// You answer `hooks.invoke`.
        hooks: opt bool = "hooks",
        /// The session's working directory.
        working_directory: opt &'a str = "workingDirectory",
        /// `session` or `user` (create).
        trust_working_directory: opt &'a str = "trustWorkingDirectory",
        /// More directories the agent may use.
        additional_directories: opt &'a [&'a str] = "additionalDirectories",
        /// Stream `assistant.message_delta` events.
        streaming: opt bool = "streaming",
        /// Stream sub-agents' deltas too.
        include_sub_agent_streaming_events: opt bool = "includeSubAgentStreamingEvents",
        /// Forward GitHub telemetry events to this connection.
        enable_git_hub_telemetry_forwarding: opt bool = "enableGitHubTelemetryForwarding",
        /// MCP servers.
        mcp_servers: opt McpServers<'a> = "mcpServers",
        /// Diagnostics configuration (a JSON object, passed through).
        diagnostics: opt RawJson<'a> = "diagnostics",
        /// `persistent` or `in-memory`.
        mcp_oauth_token_storage: opt &'a str = "mcpOAuthTokenStorage",
        /// OAuth client id metadata URL for MCP servers.
        auth_client_id_metadata_url: opt &'a str = "authClientIdMetadataUrl",
        /// How environment values reach MCP servers.
        env_value_mode: opt EnvValueMode = "envValueMode",
        /// Custom agents.
        custom_agents: opt &'a [CustomAgent<'a>] = "customAgents",
        /// Custom agents run locally only.
        custom_agents_local_only: opt bool = "customAgentsLocalOnly",
        /// The default agent's configuration.
        default_agent: opt DefaultAgent<'a> = "defaultAgent",
        /// The custom agent active at start.
        agent: opt &'a str = "agent",
        /// The configuration directory (the SDKs' `configDirectory`).
        config_dir: opt &'a str = "configDir",
        /// Discover configuration at run time.
        enable_config_discovery: opt bool = "enableConfigDiscovery",
        /// Reload custom instructions (create).
        refresh_custom_instructions: opt bool = "refreshCustomInstructions",
        /// No embedding-based retrieval.
        skip_embedding_retrieval: opt bool = "skipEmbeddingRetrieval",
        /// `persistent` or `in-memory`.
        embedding_cache_storage: opt &'a str = "embeddingCacheStorage",
        /// Organization instructions for the system prompt.
        organization_custom_instructions: opt &'a str = "organizationCustomInstructions",
        /// Discover instruction files after file views.
        enable_on_demand_instruction_discovery: opt bool = "enableOnDemandInstructionDiscovery",
        /// Load hooks from `.github/hooks/`.
        enable_file_hooks: opt bool = "enableFileHooks",
        /// Git operations on the host.
        enable_host_git_operations: opt bool = "enableHostGitOperations",
        /// The cross-session store.
        enable_session_store: opt bool = "enableSessionStore",
        /// Skills.
        enable_skills: opt bool = "enableSkills",
        /// Directories to load skills from.
        skill_directories: opt &'a [&'a str] = "skillDirectories",
        /// You provide skills (`skills.*` requests).
        has_skill_provider: opt bool = "hasSkillProvider",
        /// Directories to load agents from.
        agent_directories: opt &'a [&'a str] = "agentDirectories",
        /// Directories to load hooks from.
        hook_directories: opt &'a [&'a str] = "hookDirectories",
        /// Plugin directories.
        plugin_directories: opt &'a [&'a str] = "pluginDirectories",
        /// More directories to search for instruction files.
        instruction_directories: opt &'a [&'a str] = "instructionDirectories",
        /// Skills to disable, by name.
        disabled_skills: opt &'a [&'a str] = "disabledSkills",
        /// MCP servers to disable, by name.
        disabled_mcp_servers: opt &'a [&'a str] = "disabledMcpServers",
        /// Sandbox configuration (a JSON object, passed through).
        sandbox_config: opt RawJson<'a> = "sandboxConfig",
        /// Infinite sessions.
        infinite_sessions: opt InfiniteSessions<'a> = "infiniteSessions",
        /// The memory feature.
        memory: opt Memory<'a> = "memory",
        /// Resume only: do not emit the `session.resume` event (the SDKs'
        /// `suppressResumeEvent`).
        disable_resume: opt bool = "disableResume",
        /// Resume only: continue the tool calls and permission prompts left pending.
        continue_pending_work: opt bool = "continuePendingWork",
        /// Resume only: recover from the transcript.
        allow_transcript_recovery: opt bool = "allowTranscriptRecovery",
        /// A GitHub token for this session's identity.
        git_hub_token: secret &'a str = "gitHubToken",
        /// You answer `gitHubToken.getToken` under this registration id.
        git_hub_token_provider_registration_id: opt &'a str = "gitHubTokenProviderRegistrationId",
        /// `off`, `export` or `on`.
        remote_session: opt &'a str = "remoteSession",
        /// Create only: a remote session in the cloud.
        cloud: opt Cloud<'a> = "cloud",
        /// Resume only: canvases open before (a JSON array, passed through).
        open_canvases: opt RawJson<'a> = "openCanvases",
        /// Feature flags (a JSON object of booleans, passed through).
        feature_flags: opt RawJson<'a> = "featureFlags",
        /// Experiment assignments (a JSON object, passed through).
        exp_assignments: secret RawJson<'a> = "expAssignments",
        /// Fetch enterprise managed settings with `git_hub_token`.
        enable_managed_settings: opt bool = "enableManagedSettings",
        /// Enforce the managed model defaults.
        enforce_managed_model_defaults: opt bool = "enforceManagedModelDefaults",
        /// A person is at the keyboard.
        interactive_user: opt bool = "interactiveUser",
        /// Managed settings injected by the host (a JSON object, passed through).
        managed_settings: secret RawJson<'a> = "managedSettings",
        /// Anything else, spliced in.
        extra: extra Extra<'a> = "",
    }
}
