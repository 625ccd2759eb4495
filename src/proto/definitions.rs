//! What a session declares in `session.create`/`session.resume`: tools, slash commands, custom
//! agents and MCP servers, spelled as the official SDKs put them on the wire. Written by hand
//! (the CLI's schema does not describe these methods) and re-exported from
//! [`params`](crate::proto::params).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::json::RawJson;
use crate::proto::setters::wire_struct;

/// Whether a tool may be deferred behind tool search (`defer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ToolDefer {
    /// It may be loaded lazily through tool search (the default).
    Auto,
    /// It is always loaded.
    Never,
}

wire_struct! {
    /// The declaration of a tool you implement, as `session.create`/`session.resume` send it
    /// (docs/protocol.md, Sessions): calls arrive as `external_tool.requested`. The `Copilot`'s
    /// `Tool` (a tool from a closure, features `std`/`tokio`) declares itself with one.
    #[derive(Clone, Copy, Default)]
    ToolDeclaration {
        /// The name the model calls it by.
        name: req &'a str = "name",
        /// What it does.
        description: req &'a str = "description",
        /// Its JSON Schema, as raw JSON.
        parameters: opt RawJson<'a> = "parameters",
        /// Replace the built-in tool of the same name.
        overrides_built_in_tool: opt bool = "overridesBuiltInTool",
        /// Run without asking for permission.
        skip_permission: opt bool = "skipPermission",
        /// Whether it may be deferred behind tool search.
        defer: opt ToolDefer = "defer",
        /// Opaque host-defined metadata (a JSON object), passed through.
        metadata: opt RawJson<'a> = "metadata",
        /// A successful call ends the agent's turn.
        is_terminal: opt bool = "isTerminal",
        /// The namespace the tool is listed under (a JSON value, passed through).
        namespace: opt RawJson<'a> = "namespace",
    }
}

impl<'a> ToolDeclaration<'a> {
    /// A tool called `name` that does what `description` says.
    pub fn new(name: &'a str, description: &'a str) -> Self {
        ToolDeclaration {
            name,
            description,
            ..ToolDeclaration::default()
        }
    }
}

wire_struct! {
    /// A slash command the session registers (`commands`); its runs arrive as
    /// `command.execute` events, answered with `session.commands.handlePendingCommand`.
    #[derive(Clone, Copy, Default)]
    Command {
        /// The name, without the leading `/`.
        name: req &'a str = "name",
        /// Shown in command completion (the SDKs send `""` when there is none).
        description: req &'a str = "description",
    }
}

impl<'a> Command<'a> {
    /// The command `/name`, described by `description`.
    pub fn new(name: &'a str, description: &'a str) -> Self {
        Command {
            name,
            description,
            ..Command::default()
        }
    }
}

/// Name/value pairs sent as a JSON object (`{"name": "value", ...}`), e.g. environment
/// variables or HTTP headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StrMap<'a>(pub &'a [(&'a str, &'a str)]);

impl Serialize for StrMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// How an MCP server is reached (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum McpServerType {
    /// A local process (the default).
    Local,
    /// A local process on stdio.
    Stdio,
    /// Remote, over HTTP.
    Http,
    /// Remote, over server-sent events.
    Sse,
}

wire_struct! {
    /// An MCP server, sent in `mcpServers` as `{<name>: {...}}` (the name is the key, not a
    /// member). Local servers have `command` (and `args`, `env`, `working_directory`), remote
    /// ones `url` (and `headers`). `Debug` does not print `env` or `headers`.
    #[derive(Clone, Copy, Default)]
    McpServer {
        /// The server's name: its key in `mcpServers`.
        name: req &'a str = "name",
        /// How it is reached.
        kind: opt McpServerType = "type",
        /// The command to run (local).
        command: opt &'a str = "command",
        /// Its arguments (local).
        args: opt &'a [&'a str] = "args",
        /// Its environment (local).
        env: secret StrMap<'a> = "env",
        /// Its working directory (local; the SDKs' `workingDirectory`, sent as `cwd`).
        working_directory: opt &'a str = "cwd",
        /// Its URL (remote).
        url: opt &'a str = "url",
        /// HTTP headers (remote).
        headers: secret StrMap<'a> = "headers",
        /// The tools to include (`["*"]` or unset: all; empty: none).
        tools: opt &'a [&'a str] = "tools",
        /// Timeout of its tool calls, in milliseconds.
        timeout: opt u64 = "timeout",
    }
}

impl<'a> McpServer<'a> {
    /// A local server `name` that runs `command`.
    pub fn local(name: &'a str, command: &'a str) -> Self {
        McpServer {
            name,
            kind: Some(McpServerType::Local),
            command: Some(command),
            ..McpServer::default()
        }
    }

    /// A remote server `name` at `url`, over HTTP.
    pub fn http(name: &'a str, url: &'a str) -> Self {
        McpServer {
            name,
            kind: Some(McpServerType::Http),
            url: Some(url),
            ..McpServer::default()
        }
    }
}

/// MCP servers, sent as an object keyed by [`McpServer::name`].
#[derive(Debug, Clone, Copy, Default)]
pub struct McpServers<'a>(pub &'a [McpServer<'a>]);

impl Serialize for McpServers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// One server without its name.
        struct Body<'b, 'a>(&'b McpServer<'a>);
        impl Serialize for Body<'_, '_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let s = self.0;
                let mut map = serializer.serialize_map(None)?;
                use crate::proto::view::entry as e;
                e(&mut map, "type", &s.kind)?;
                e(&mut map, "command", &s.command)?;
                e(&mut map, "args", &s.args)?;
                e(&mut map, "env", &s.env)?;
                e(&mut map, "cwd", &s.working_directory)?;
                e(&mut map, "url", &s.url)?;
                e(&mut map, "headers", &s.headers)?;
                e(&mut map, "tools", &s.tools)?;
                e(&mut map, "timeout", &s.timeout)?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for s in self.0 {
            map.serialize_entry(s.name, &Body(s))?;
        }
        map.end()
    }
}

/// Whether a custom agent's model is a preference or a requirement (`modelPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CustomAgentModelPolicy {
    /// Fall back to the session's model if unavailable.
    Preferred,
    /// Use this model or fail.
    Required,
}

wire_struct! {
    /// A custom agent (`customAgents`). `Debug` does not print the environment or headers of
    /// its MCP servers.
    #[derive(Clone, Copy, Default)]
    CustomAgent {
        /// Its unique name.
        name: req &'a str = "name",
        /// The name shown in a UI.
        display_name: opt &'a str = "displayName",
        /// What it does.
        description: opt &'a str = "description",
        /// The tools it may use (unset: all).
        tools: opt &'a [&'a str] = "tools",
        /// Its prompt.
        prompt: req &'a str = "prompt",
        /// Its own MCP servers.
        mcp_servers: opt McpServers<'a> = "mcpServers",
        /// Whether the model may pick it (default true).
        infer: opt bool = "infer",
        /// Skills preloaded into its context, by name.
        skills: opt &'a [&'a str] = "skills",
        /// Its model, e.g. `claude-haiku-4.5`.
        model: opt &'a str = "model",
        /// Whether [`model`](Self::model) is a preference or a requirement.
        model_policy: opt CustomAgentModelPolicy = "modelPolicy",
        /// Its reasoning effort: `low`, `medium`, `high`, `xhigh`, `max`.
        reasoning_effort: opt &'a str = "reasoningEffort",
        /// Its hooks, by event (a JSON object, passed through).
        hooks: opt RawJson<'a> = "hooks",
    }
}

impl<'a> CustomAgent<'a> {
    /// The agent `name`, with its `prompt`.
    pub fn new(name: &'a str, prompt: &'a str) -> Self {
        CustomAgent {
            name,
            prompt,
            ..CustomAgent::default()
        }
    }
}

/// How a tool call ended, for
/// [`ExternalToolTextResultForLlm::result_type`](crate::proto::params::ExternalToolTextResultForLlm::result_type)
/// (the schema leaves `resultType` an open string): `.result_type(ToolResultKind::Denied.as_str())`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolResultKind {
    /// It worked.
    Success,
    /// It failed.
    Failure,
    /// The user rejected the call.
    Rejected,
    /// A policy denied the call.
    Denied,
    /// It timed out.
    Timeout,
}

impl ToolResultKind {
    /// The name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ToolResultKind::Success => "success",
            ToolResultKind::Failure => "failure",
            ToolResultKind::Rejected => "rejected",
            ToolResultKind::Denied => "denied",
            ToolResultKind::Timeout => "timeout",
        }
    }
}

impl Serialize for ToolResultKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
