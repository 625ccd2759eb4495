//! Typed views of session events (docs/protocol.md, Session events), decoded on demand.
//!
//! [`SessionEvent::typed`](crate::SessionEvent::typed) picks the view for the event's type;
//! every other type stays available raw through the [`SessionEvent`]
//! accessors. Text fields are [`JsonStr`]s: compare them, print them (`Display` decodes), iterate
//! their characters or unescape them into your own buffer, all without a heap.

use crate::json::{JsonStr, RawJson};
use crate::proto::SessionEvent;
use crate::proto::view::view;

view! {
    /// `session.start`: the session exists. Sent while `session.create` is in flight.
    SessionStart {
        session_id: JsonStr<'a> = "sessionId",
        version: u64 = "version",
        /// E.g. `copilot-agent`.
        producer: JsonStr<'a> = "producer",
        copilot_version: JsonStr<'a> = "copilotVersion",
        start_time: JsonStr<'a> = "startTime",
        selected_model: JsonStr<'a> = "selectedModel",
        /// `{cwd, gitRoot?, branch?, repository?, ...}`
        context: RawJson<'a> = "context",
        reasoning_effort: JsonStr<'a> = "reasoningEffort",
        already_in_use: bool = "alreadyInUse",
        remote_steerable: bool = "remoteSteerable",
    }

    /// `session.resume`: a persisted session was reopened (unless `disableResume`).
    SessionResume {
        resume_time: JsonStr<'a> = "resumeTime",
        event_count: u64 = "eventCount",
        selected_model: JsonStr<'a> = "selectedModel",
        context: RawJson<'a> = "context",
        session_was_active: bool = "sessionWasActive",
        continue_pending_work: bool = "continuePendingWork",
    }

    /// `session.idle` (and `assistant.idle`): the agent loop finished; ready for the next
    /// message.
    SessionIdle {
        /// True if the turn was aborted.
        aborted: bool = "aborted",
        mode: JsonStr<'a> = "mode",
    }

    /// `session.error`: the turn failed (`model_call` errors are transient).
    SessionError {
        /// E.g. `model_call`, `query`, `notification`.
        error_type: JsonStr<'a> = "errorType",
        message: JsonStr<'a> = "message",
        stack: JsonStr<'a> = "stack",
        status_code: u64 = "statusCode",
        error_code: JsonStr<'a> = "errorCode",
        url: JsonStr<'a> = "url",
    }

    /// `session.shutdown`: sent when the session is destroyed, before the destroy response.
    SessionShutdown {
        /// `routine` or `error`.
        shutdown_type: JsonStr<'a> = "shutdownType",
        /// Milliseconds since the epoch.
        session_start_time: u64 = "sessionStartTime",
        total_api_duration_ms: u64 = "totalApiDurationMs",
        total_premium_requests: u64 = "totalPremiumRequests",
        current_tokens: u64 = "currentTokens",
        code_changes: RawJson<'a> = "codeChanges",
        model_metrics: RawJson<'a> = "modelMetrics",
        error_reason: JsonStr<'a> = "errorReason",
    }

    /// `session.title_changed`
    TitleChanged {
        title: JsonStr<'a> = "title",
    }

    /// `user.message`: the prompt as the agent received it.
    UserMessage {
        content: JsonStr<'a> = "content",
        transformed_content: JsonStr<'a> = "transformedContent",
        message_id: JsonStr<'a> = "messageId",
        attachments: RawJson<'a> = "attachments",
        source: JsonStr<'a> = "source",
        agent_mode: JsonStr<'a> = "agentMode",
        /// `idle`, `steering` or `queued`.
        delivery: JsonStr<'a> = "delivery",
        interaction_id: JsonStr<'a> = "interactionId",
        turn_id: JsonStr<'a> = "turnId",
    }

    /// `assistant.turn_start`: one per model call.
    TurnStart {
        turn_id: JsonStr<'a> = "turnId",
        interaction_id: JsonStr<'a> = "interactionId",
        model: JsonStr<'a> = "model",
    }

    /// `assistant.turn_end`
    TurnEnd {
        turn_id: JsonStr<'a> = "turnId",
        model: JsonStr<'a> = "model",
    }

    /// `assistant.message_start` (streaming)
    MessageStart {
        message_id: JsonStr<'a> = "messageId",
        phase: JsonStr<'a> = "phase",
    }

    /// `assistant.message_delta`: a piece of the reply (with `streaming: true`).
    MessageDelta {
        message_id: JsonStr<'a> = "messageId",
        /// The text to append.
        delta_content: JsonStr<'a> = "deltaContent",
        parent_tool_call_id: JsonStr<'a> = "parentToolCallId",
    }

    /// `assistant.message`: a whole reply, maybe with tool requests.
    AssistantMessage {
        message_id: JsonStr<'a> = "messageId",
        content: JsonStr<'a> = "content",
        /// `[{toolCallId, name, arguments?, type?}]`; see [`tool_requests`](Self::tool_requests).
        tool_requests_raw: RawJson<'a> = "toolRequests",
        reasoning_text: JsonStr<'a> = "reasoningText",
        model: JsonStr<'a> = "model",
        output_tokens: u64 = "outputTokens",
        parent_tool_call_id: JsonStr<'a> = "parentToolCallId",
        interaction_id: JsonStr<'a> = "interactionId",
        turn_id: JsonStr<'a> = "turnId",
    }

    /// One of [`AssistantMessage::tool_requests`].
    ToolRequest {
        tool_call_id: JsonStr<'a> = "toolCallId",
        name: JsonStr<'a> = "name",
        arguments: RawJson<'a> = "arguments",
        kind: JsonStr<'a> = "type",
    }

    /// `assistant.reasoning`
    Reasoning {
        reasoning_id: JsonStr<'a> = "reasoningId",
        content: JsonStr<'a> = "content",
    }

    /// `assistant.reasoning_delta`
    ReasoningDelta {
        reasoning_id: JsonStr<'a> = "reasoningId",
        delta_content: JsonStr<'a> = "deltaContent",
    }

    /// `assistant.usage`: tokens and cost of one model call.
    Usage {
        model: JsonStr<'a> = "model",
        input_tokens: u64 = "inputTokens",
        output_tokens: u64 = "outputTokens",
        cache_read_tokens: u64 = "cacheReadTokens",
        cache_write_tokens: u64 = "cacheWriteTokens",
        cost: f64 = "cost",
        duration: f64 = "duration",
        api_call_id: JsonStr<'a> = "apiCallId",
        initiator: JsonStr<'a> = "initiator",
    }

    /// `tool.execution_start`
    ToolStart {
        tool_call_id: JsonStr<'a> = "toolCallId",
        tool_name: JsonStr<'a> = "toolName",
        arguments: RawJson<'a> = "arguments",
        mcp_server_name: JsonStr<'a> = "mcpServerName",
        mcp_tool_name: JsonStr<'a> = "mcpToolName",
        parent_tool_call_id: JsonStr<'a> = "parentToolCallId",
        turn_id: JsonStr<'a> = "turnId",
    }

    /// `tool.execution_progress`
    ToolProgress {
        tool_call_id: JsonStr<'a> = "toolCallId",
        progress_message: JsonStr<'a> = "progressMessage",
    }

    /// `tool.execution_complete`
    ToolComplete {
        tool_call_id: JsonStr<'a> = "toolCallId",
        success: bool = "success",
        /// `{content, detailedContent?, contents?, ...}`
        result: RawJson<'a> = "result",
        /// `{message, code?}`
        error: RawJson<'a> = "error",
        parent_tool_call_id: JsonStr<'a> = "parentToolCallId",
        tool_telemetry: RawJson<'a> = "toolTelemetry",
    }

    /// `external_tool.requested`: run one of your tools, then answer with
    /// [`Client::answer_tool_call`](crate::Client::answer_tool_call).
    ToolCallRequested {
        request_id: JsonStr<'a> = "requestId",
        session_id: JsonStr<'a> = "sessionId",
        tool_call_id: JsonStr<'a> = "toolCallId",
        tool_name: JsonStr<'a> = "toolName",
        arguments: RawJson<'a> = "arguments",
        working_directory: JsonStr<'a> = "workingDirectory",
        traceparent: JsonStr<'a> = "traceparent",
        tracestate: JsonStr<'a> = "tracestate",
    }

    /// `permission.requested`: decide, then answer with
    /// [`Client::answer_permission`](crate::Client::answer_permission) (unless
    /// `resolvedByHook`).
    PermissionRequested {
        request_id: JsonStr<'a> = "requestId",
        /// `{kind, ...}`: see [`kind`](Self::kind).
        permission_request: RawJson<'a> = "permissionRequest",
        resolved_by_hook: bool = "resolvedByHook",
        prompt_request: RawJson<'a> = "promptRequest",
    }

    /// `elicitation.requested`: answer with
    /// [`Client::answer_elicitation`](crate::Client::answer_elicitation).
    ElicitationRequested {
        request_id: JsonStr<'a> = "requestId",
        message: JsonStr<'a> = "message",
        requested_schema: RawJson<'a> = "requestedSchema",
        /// `form` or `url`.
        mode: JsonStr<'a> = "mode",
        elicitation_source: JsonStr<'a> = "elicitationSource",
        url: JsonStr<'a> = "url",
        tool_call_id: JsonStr<'a> = "toolCallId",
    }

    /// `command.execute`: run a registered slash command, then answer with
    /// [`Client::answer_command`](crate::Client::answer_command).
    CommandRequested {
        request_id: JsonStr<'a> = "requestId",
        command: JsonStr<'a> = "command",
        command_name: JsonStr<'a> = "commandName",
        args: RawJson<'a> = "args",
    }

    /// `abort`: the turn was aborted.
    Abort {
        reason: JsonStr<'a> = "reason",
    }

    /// `capabilities.changed`: merge into the session's capabilities.
    CapabilitiesChanged {
        ui: RawJson<'a> = "ui",
    }

    /// The params of a `host.event` notification.
    HostEvent {
        /// `{type: "session", sessionId}`, ...
        scope: RawJson<'a> = "scope",
        /// E.g. `task_transition`.
        kind: JsonStr<'a> = "kind",
        payload: RawJson<'a> = "payload",
    }
}

impl<'a> AssistantMessage<'a> {
    /// The tool calls the model asked for (none if absent).
    pub fn tool_requests(&self) -> impl Iterator<Item = ToolRequest<'a>> + use<'a> {
        self.tool_requests_raw()
            .into_iter()
            .flat_map(|r| r.elements())
            .map(ToolRequest::new)
    }
}

impl<'a> PermissionRequested<'a> {
    /// `permissionRequest.kind`: `shell`, `write`, `read`, `mcp`, `url`, `memory`,
    /// `custom-tool`, ...
    pub fn kind(&self) -> Option<JsonStr<'a>> {
        self.permission_request()?.get_str("kind")
    }
}

impl<'a> HostEvent<'a> {
    /// `scope.sessionId`, for session-scoped host events.
    pub fn session_id(&self) -> Option<JsonStr<'a>> {
        self.scope()?.get_str("sessionId")
    }
}

/// A session event decoded by type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TypedEvent<'a> {
    /// `session.start`
    SessionStart(SessionStart<'a>),
    /// `session.resume`
    SessionResume(SessionResume<'a>),
    /// `session.idle`
    SessionIdle(SessionIdle<'a>),
    /// `session.error`
    SessionError(SessionError<'a>),
    /// `session.shutdown`
    SessionShutdown(SessionShutdown<'a>),
    /// `session.title_changed`
    TitleChanged(TitleChanged<'a>),
    /// `user.message`
    UserMessage(UserMessage<'a>),
    /// `assistant.turn_start`
    TurnStart(TurnStart<'a>),
    /// `assistant.turn_end`
    TurnEnd(TurnEnd<'a>),
    /// `assistant.message_start`
    MessageStart(MessageStart<'a>),
    /// `assistant.message_delta`
    MessageDelta(MessageDelta<'a>),
    /// `assistant.message`
    AssistantMessage(AssistantMessage<'a>),
    /// `assistant.reasoning`
    Reasoning(Reasoning<'a>),
    /// `assistant.reasoning_delta`
    ReasoningDelta(ReasoningDelta<'a>),
    /// `assistant.usage`
    Usage(Usage<'a>),
    /// `assistant.idle`
    AssistantIdle(SessionIdle<'a>),
    /// `tool.execution_start`
    ToolStart(ToolStart<'a>),
    /// `tool.execution_progress`
    ToolProgress(ToolProgress<'a>),
    /// `tool.execution_complete`
    ToolComplete(ToolComplete<'a>),
    /// `external_tool.requested`
    ToolCallRequested(ToolCallRequested<'a>),
    /// `permission.requested`
    PermissionRequested(PermissionRequested<'a>),
    /// `elicitation.requested`
    ElicitationRequested(ElicitationRequested<'a>),
    /// `command.execute`
    CommandRequested(CommandRequested<'a>),
    /// `abort`
    Abort(Abort<'a>),
    /// `capabilities.changed`
    CapabilitiesChanged(CapabilitiesChanged<'a>),
    /// `pending_messages.modified` (no data)
    PendingMessagesModified,
    /// Any other type: use the raw accessors of [`SessionEvent`].
    Other,
}

impl<'a> SessionEvent<'a> {
    /// The typed view of this event, chosen by its `type`.
    pub fn typed(&self) -> TypedEvent<'a> {
        let kind = self.event_type();
        if kind.is_escaped() {
            return TypedEvent::Other;
        }
        let data = self.data();
        match kind.raw_bytes() {
            b"session.start" => TypedEvent::SessionStart(SessionStart::new(data)),
            b"session.resume" => TypedEvent::SessionResume(SessionResume::new(data)),
            b"session.idle" => TypedEvent::SessionIdle(SessionIdle::new(data)),
            b"session.error" => TypedEvent::SessionError(SessionError::new(data)),
            b"session.shutdown" => TypedEvent::SessionShutdown(SessionShutdown::new(data)),
            b"session.title_changed" => TypedEvent::TitleChanged(TitleChanged::new(data)),
            b"user.message" => TypedEvent::UserMessage(UserMessage::new(data)),
            b"assistant.turn_start" => TypedEvent::TurnStart(TurnStart::new(data)),
            b"assistant.turn_end" => TypedEvent::TurnEnd(TurnEnd::new(data)),
            b"assistant.message_start" => TypedEvent::MessageStart(MessageStart::new(data)),
            b"assistant.message_delta" => TypedEvent::MessageDelta(MessageDelta::new(data)),
            b"assistant.message" => TypedEvent::AssistantMessage(AssistantMessage::new(data)),
            b"assistant.reasoning" => TypedEvent::Reasoning(Reasoning::new(data)),
            b"assistant.reasoning_delta" => TypedEvent::ReasoningDelta(ReasoningDelta::new(data)),
            b"assistant.usage" => TypedEvent::Usage(Usage::new(data)),
            b"assistant.idle" => TypedEvent::AssistantIdle(SessionIdle::new(data)),
            b"tool.execution_start" => TypedEvent::ToolStart(ToolStart::new(data)),
            b"tool.execution_progress" => TypedEvent::ToolProgress(ToolProgress::new(data)),
            b"tool.execution_complete" => TypedEvent::ToolComplete(ToolComplete::new(data)),
            b"external_tool.requested" => {
                TypedEvent::ToolCallRequested(ToolCallRequested::new(data))
            }
            b"permission.requested" => {
                TypedEvent::PermissionRequested(PermissionRequested::new(data))
            }
            b"elicitation.requested" => {
                TypedEvent::ElicitationRequested(ElicitationRequested::new(data))
            }
            b"command.execute" => TypedEvent::CommandRequested(CommandRequested::new(data)),
            b"abort" => TypedEvent::Abort(Abort::new(data)),
            b"capabilities.changed" => {
                TypedEvent::CapabilitiesChanged(CapabilitiesChanged::new(data))
            }
            b"pending_messages.modified" => TypedEvent::PendingMessagesModified,
            _ => TypedEvent::Other,
        }
    }
}
