//! Typed parameters of client requests, serialized with serde-json-core.
//!
//! All strings are borrowed; options left `None` (or empty) are not sent. Where the crate does
//! not type an option, [`Extra`] splices any JSON members into the parameters.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::json::RawJson;

/// Writes `key: value` unless the value is absent.
fn opt<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &str,
    value: &Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(key, v),
        None => Ok(()),
    }
}

/// Writes `key: [...]` unless the slice is empty.
fn list<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &str,
    value: &[T],
) -> Result<(), M::Error> {
    if value.is_empty() {
        Ok(())
    } else {
        map.serialize_entry(key, value)
    }
}

/// Extra members spliced into the parameters (a JSON object; `None`: nothing), for options
/// this crate does not type. A member the typed fields also set is sent twice; the server
/// keeps the last, i.e. this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extra<'a>(pub Option<RawJson<'a>>);

impl Extra<'_> {
    /// Writes the members into a map being serialized.
    fn entries<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        for (key, value) in self.0.iter().flat_map(|o| o.members()) {
            map.serialize_entry(&key, &value)?;
        }
        Ok(())
    }
}

impl Serialize for SessionOptions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        opt(&mut m, "model", &self.model)?;
        opt(&mut m, "clientName", &self.client_name)?;
        opt(&mut m, "streaming", &self.streaming)?;
        opt(&mut m, "workingDirectory", &self.working_directory)?;
        opt(&mut m, "systemMessage", &self.system_message)?;
        list(&mut m, "tools", self.tools)?;
        opt(&mut m, "availableTools", &self.available_tools)?;
        opt(&mut m, "excludedTools", &self.excluded_tools)?;
        opt(&mut m, "reasoningEffort", &self.reasoning_effort)?;
        opt(&mut m, "requestPermission", &self.request_permission)?;
        opt(&mut m, "requestUserInput", &self.request_user_input)?;
        opt(&mut m, "requestElicitation", &self.request_elicitation)?;
        opt(&mut m, "requestExitPlanMode", &self.request_exit_plan_mode)?;
        opt(
            &mut m,
            "requestAutoModeSwitch",
            &self.request_auto_mode_switch,
        )?;
        opt(&mut m, "hooks", &self.hooks)?;
        opt(&mut m, "disableResume", &self.disable_resume)?;
        opt(&mut m, "mcpServers", &self.mcp_servers)?;
        opt(&mut m, "provider", &self.provider)?;
        self.extra.entries(&mut m)?;
        m.end()
    }
}

impl Serialize for SendMessage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("prompt", self.prompt)?;
        list(&mut m, "attachments", self.attachments)?;
        opt(&mut m, "mode", &self.mode)?;
        opt(&mut m, "displayPrompt", &self.display_prompt)?;
        opt(&mut m, "agentMode", &self.agent_mode)?;
        self.extra.entries(&mut m)?;
        m.end()
    }
}

impl Serialize for SwitchModel<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("modelId", self.model_id)?;
        opt(&mut m, "reasoningEffort", &self.reasoning_effort)?;
        self.extra.entries(&mut m)?;
        m.end()
    }
}

/// Options of `session.create` and `session.resume` (protocol.md §4.5, §4.6). The client sets
/// `sessionId` itself.
///
/// Start from [`Config::session_options`](crate::Config::session_options) so the `request*`
/// flags match the requests you declared you handle.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionOptions<'a> {
    /// The model, e.g. `claude-sonnet-4.5`.
    pub model: Option<&'a str>,
    /// Your application's name.
    pub client_name: Option<&'a str>,
    /// Stream `assistant.message_delta` events.
    pub streaming: Option<bool>,
    /// The session's working directory.
    pub working_directory: Option<&'a str>,
    /// The system message.
    pub system_message: Option<SystemMessage<'a>>,
    /// Your tools; calls arrive as `external_tool.requested`.
    pub tools: &'a [Tool<'a>],
    /// Only these tools are available.
    pub available_tools: Option<&'a [&'a str]>,
    /// These tools are not available.
    pub excluded_tools: Option<&'a [&'a str]>,
    /// E.g. `low`, `medium`, `high`.
    pub reasoning_effort: Option<&'a str>,
    /// You answer `permission.requested`.
    pub request_permission: Option<bool>,
    /// You answer `userInput.request`.
    pub request_user_input: Option<bool>,
    /// You answer `elicitation.requested`.
    pub request_elicitation: Option<bool>,
    /// You answer `exitPlanMode.request`.
    pub request_exit_plan_mode: Option<bool>,
    /// You answer `autoModeSwitch.request`.
    pub request_auto_mode_switch: Option<bool>,
    /// You answer `hooks.invoke`.
    pub hooks: Option<bool>,
    /// Resume only: do not emit the `session.resume` event.
    pub disable_resume: Option<bool>,
    /// MCP servers, keyed by name (raw JSON object).
    pub mcp_servers: Option<RawJson<'a>>,
    /// A bring-your-own-key provider (raw JSON object).
    pub provider: Option<RawJson<'a>>,
    /// Anything else, spliced in.
    pub extra: Extra<'a>,
}

/// A tool you implement (protocol.md §4.5).
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool<'a> {
    /// The name the model calls it by.
    pub name: &'a str,
    /// What it does.
    pub description: &'a str,
    /// Its JSON Schema, as raw JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<RawJson<'a>>,
    /// Run without asking for permission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_permission: Option<bool>,
    /// Replace the built-in tool of the same name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides_built_in_tool: Option<bool>,
}

/// How a system message combines with the default one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemMessageMode {
    /// Appended to the default.
    Append,
    /// Replaces the default.
    Replace,
    /// Edits sections of the default.
    Customize,
}

/// What to do with one section of the default system message (mode `customize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionAction {
    /// Replace it with `content`.
    Replace,
    /// Drop it.
    Remove,
    /// Append `content`.
    Append,
    /// Prepend `content`.
    Prepend,
    /// Keep it.
    Preserve,
    /// Let the client rewrite it (`systemMessage.transform`).
    Transform,
}

/// One section override: `id` is `preamble`, `identity`, `tone`, `tool_efficiency`,
/// `environment_context`, `code_change_rules`, `guidelines`, `safety`, `tool_instructions`,
/// `custom_instructions`, `runtime_instructions` or `last_instructions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section<'a> {
    /// The section id.
    pub id: &'a str,
    /// What to do.
    pub action: SectionAction,
    /// The text, for actions that take one.
    pub content: Option<&'a str>,
}

/// Section overrides, sent as `{<id>: {action, content?}}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sections<'a>(pub &'a [Section<'a>]);

impl Serialize for Sections<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            action: SectionAction,
            #[serde(skip_serializing_if = "Option::is_none")]
            content: Option<&'a str>,
        }
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for s in self.0 {
            map.serialize_entry(
                s.id,
                &Body {
                    action: s.action,
                    content: s.content,
                },
            )?;
        }
        map.end()
    }
}

/// The system message.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SystemMessage<'a> {
    /// How it combines with the default (append if absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<SystemMessageMode>,
    /// The text (append and replace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<&'a str>,
    /// Section overrides (customize).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sections: Option<Sections<'a>>,
}

/// How a message is delivered while a turn is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SendMode {
    /// After the current turn (the default).
    Enqueue,
    /// Steer the running turn.
    Immediate,
}

/// `session.send` (protocol.md §4.7).
#[derive(Debug, Clone, Copy, Default)]
pub struct SendMessage<'a> {
    /// The prompt.
    pub prompt: &'a str,
    /// Files, directories, selections, blobs.
    pub attachments: &'a [Attachment<'a>],
    /// Enqueue (default) or steer the running turn.
    pub mode: Option<SendMode>,
    /// What the UI shows instead of the prompt.
    pub display_prompt: Option<&'a str>,
    /// `interactive`, `plan`, `autopilot` or `shell`.
    pub agent_mode: Option<&'a str>,
    /// Anything else, spliced in.
    pub extra: Extra<'a>,
}

impl<'a> SendMessage<'a> {
    /// A plain prompt.
    pub fn prompt(prompt: &'a str) -> Self {
        SendMessage {
            prompt,
            ..SendMessage::default()
        }
    }
}

/// A line range of a file attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineRange {
    /// First line.
    pub start: u32,
    /// Last line.
    pub end: u32,
}

/// A position in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Line.
    pub line: u32,
    /// Character in the line.
    pub character: u32,
}

/// A selected range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// Start.
    pub start: Position,
    /// End.
    pub end: Position,
}

/// An attachment of `session.send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Attachment<'a> {
    /// A file.
    #[serde(rename_all = "camelCase")]
    File {
        /// Absolute path.
        path: &'a str,
        /// The name shown.
        display_name: &'a str,
        /// Only these lines.
        #[serde(skip_serializing_if = "Option::is_none")]
        line_range: Option<LineRange>,
    },
    /// A directory.
    #[serde(rename_all = "camelCase")]
    Directory {
        /// Absolute path.
        path: &'a str,
        /// The name shown.
        display_name: &'a str,
    },
    /// A selection in a file.
    #[serde(rename_all = "camelCase")]
    Selection {
        /// The file.
        file_path: &'a str,
        /// The name shown.
        display_name: &'a str,
        /// The selected text.
        text: &'a str,
        /// Where it is.
        selection: Selection,
    },
    /// Inline data.
    #[serde(rename_all = "camelCase")]
    Blob {
        /// E.g. `image/png`.
        mime_type: &'a str,
        /// Base64.
        data: &'a str,
        /// The name shown.
        #[serde(skip_serializing_if = "Option::is_none")]
        display_name: Option<&'a str>,
    },
}

/// Why a turn is aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbortReason {
    /// The user asked.
    UserInitiated,
    /// A remote command.
    RemoteCommand,
    /// The user aborted.
    UserAbort,
    /// Autopilot ran out of credit.
    AutopilotCreditLimit,
}

/// Severity of a `session.log` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Information.
    Info,
    /// A warning.
    Warning,
    /// An error.
    Error,
}

/// `session.log`
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LogMessage<'a> {
    /// The message.
    pub message: &'a str,
    /// Its level (info if absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LogLevel>,
    /// Not persisted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<bool>,
}

/// `session.model.switchTo`
#[derive(Debug, Clone, Copy, Default)]
pub struct SwitchModel<'a> {
    /// The model.
    pub model_id: &'a str,
    /// E.g. `high`.
    pub reasoning_effort: Option<&'a str>,
    /// Anything else, spliced in.
    pub extra: Extra<'a>,
}

/// A filter of `session.list`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionFilter<'a> {
    /// Working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<&'a str>,
    /// Git root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_root: Option<&'a str>,
    /// `owner/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<&'a str>,
    /// Branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<&'a str>,
}

/// Path conventions of a session filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PathConventions {
    /// `/`-separated.
    Posix,
    /// `\`-separated.
    Windows,
}

/// `sessionFs.setProvider`: from now on the CLI keeps each session's state through
/// `sessionFs.*` requests to you (declare [`Handles::SESSION_FS`](crate::Handles::SESSION_FS)).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionFsProvider<'a> {
    /// Working directory of new sessions.
    pub initial_cwd: &'a str,
    /// Where, inside each session's filesystem, the CLI stores the session's state.
    pub session_state_path: &'a str,
    /// Path conventions.
    pub conventions: PathConventions,
}
