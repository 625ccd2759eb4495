//! Typed parameters of client requests, serialized with serde-json-core.
//!
//! One struct per client -> server method of the CLI's schema, named after the method
//! (`session.model.switchTo` -> [`SessionModelSwitchTo`]), generated from the schema (see
//! `src/proto/generated/params/`): build it with `new(required fields)` and chainable setters
//! for the optional ones, then send it with [`Client::call`](crate::Client::call) or
//! [`ClientSession::call`](crate::ClientSession::call). All strings are borrowed; options
//! left `None` are not sent. Those of the methods the client's shorthands send are always
//! here; the others come with the `methods` feature (they are most of the generated code), the
//! internal ones with `internal`.
//!
//! Written by hand here, because the schema does not describe them: [`SessionOptions`]
//! (`session.create`/`resume`, with [`Tool`], [`SystemMessage`] and [`Sections`]) and
//! [`SessionFilter`] (`session.list`). Where the crate does not type an option of these,
//! [`Extra`] splices any JSON members into the parameters.

pub use super::generated::params::*;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::json::RawJson;
use crate::proto::setters::setters;

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

/// Options of `session.create` and `session.resume` (docs/protocol.md, Sessions). The client sets
/// `sessionId` itself.
///
/// Start from [`Config::session_options`](crate::Config::session_options) so the `request*`
/// flags match the requests you declared you handle.
///
/// `Debug` does not print the raw JSON options (`mcp_servers`, `provider`, `extra`): they may
/// hold keys and tokens.
#[derive(Clone, Copy, Default)]
#[non_exhaustive]
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

/// A tool you implement (docs/protocol.md, Sessions).
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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

/// A filter of `session.list`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
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

impl core::fmt::Debug for SessionOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let secret = |v: bool| {
            if v {
                Some(crate::proto::REDACTED)
            } else {
                None
            }
        };
        f.debug_struct("SessionOptions")
            .field("model", &self.model)
            .field("client_name", &self.client_name)
            .field("streaming", &self.streaming)
            .field("working_directory", &self.working_directory)
            .field("system_message", &self.system_message)
            .field("tools", &self.tools)
            .field("available_tools", &self.available_tools)
            .field("excluded_tools", &self.excluded_tools)
            .field("reasoning_effort", &self.reasoning_effort)
            .field("request_permission", &self.request_permission)
            .field("request_user_input", &self.request_user_input)
            .field("request_elicitation", &self.request_elicitation)
            .field("request_exit_plan_mode", &self.request_exit_plan_mode)
            .field("request_auto_mode_switch", &self.request_auto_mode_switch)
            .field("hooks", &self.hooks)
            .field("disable_resume", &self.disable_resume)
            .field("mcp_servers", &secret(self.mcp_servers.is_some()))
            .field("provider", &secret(self.provider.is_some()))
            .field("extra", &secret(self.extra.0.is_some()))
            .finish()
    }
}

setters! {
    SessionOptions {
        model: &'a str,
        client_name: &'a str,
        streaming: bool,
        working_directory: &'a str,
        system_message: SystemMessage<'a>,
        tools = &'a [Tool<'a>],
        available_tools: &'a [&'a str],
        excluded_tools: &'a [&'a str],
        reasoning_effort: &'a str,
        request_permission: bool,
        request_user_input: bool,
        request_elicitation: bool,
        request_exit_plan_mode: bool,
        request_auto_mode_switch: bool,
        hooks: bool,
        disable_resume: bool,
        mcp_servers: RawJson<'a>,
        provider: RawJson<'a>,
        extra = Extra<'a>,
    }
}

impl<'a> Tool<'a> {
    /// A tool called `name` that does what `description` says.
    pub fn new(name: &'a str, description: &'a str) -> Self {
        Tool {
            name,
            description,
            ..Tool::default()
        }
    }
}

setters! {
    Tool {
        parameters: RawJson<'a>,
        skip_permission: bool,
        overrides_built_in_tool: bool,
    }
}

impl<'a> SystemMessage<'a> {
    /// `content` appended to the default system message.
    pub fn append(content: &'a str) -> Self {
        SystemMessage {
            mode: Some(SystemMessageMode::Append),
            content: Some(content),
            sections: None,
        }
    }

    /// `content` instead of the default system message.
    pub fn replace(content: &'a str) -> Self {
        SystemMessage {
            mode: Some(SystemMessageMode::Replace),
            content: Some(content),
            sections: None,
        }
    }

    /// The default system message with some sections changed.
    pub fn customize(sections: &'a [Section<'a>]) -> Self {
        SystemMessage {
            mode: Some(SystemMessageMode::Customize),
            content: None,
            sections: Some(Sections(sections)),
        }
    }
}

setters! {
    SessionFilter {
        cwd: &'a str,
        git_root: &'a str,
        repository: &'a str,
        branch: &'a str,
    }
}
