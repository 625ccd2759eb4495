//! Requests the server sends to the client (docs/protocol.md, Server requests): typed views of their params,
//! and typed answers to pass to [`Client::respond`](crate::Client::respond).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::json::{JsonStr, RawJson};
use crate::proto::MethodFamily;
use crate::proto::view::view;

view! {
    /// `userInput.request`: answer with [`UserInputAnswer`].
    UserInputRequest {
        session_id: JsonStr<'a> = "sessionId",
        question: JsonStr<'a> = "question",
        /// An array of strings; see [`choices`](Self::choices).
        choices_raw: RawJson<'a> = "choices",
        allow_freeform: bool = "allowFreeform",
    }

    /// `exitPlanMode.request`: answer with [`ExitPlanModeAnswer`].
    ExitPlanModeRequest {
        session_id: JsonStr<'a> = "sessionId",
        summary: JsonStr<'a> = "summary",
        plan_content: JsonStr<'a> = "planContent",
        /// An array of strings.
        actions: RawJson<'a> = "actions",
        recommended_action: JsonStr<'a> = "recommendedAction",
    }

    /// `autoModeSwitch.request`: answer with [`AutoModeSwitchAnswer`].
    AutoModeSwitchRequest {
        session_id: JsonStr<'a> = "sessionId",
        error_code: JsonStr<'a> = "errorCode",
        retry_after_seconds: u64 = "retryAfterSeconds",
    }

    /// `systemMessage.transform`: answer with [`TransformedSections`].
    SystemMessageTransformRequest {
        session_id: JsonStr<'a> = "sessionId",
        /// `{<sectionId>: {content}}`; see [`sections`](Self::sections).
        sections_raw: RawJson<'a> = "sections",
    }

    /// `hooks.invoke`: answer with [`HookAnswer`].
    HookInvocation {
        session_id: JsonStr<'a> = "sessionId",
        /// See [`hook`](Self::hook).
        hook_type: JsonStr<'a> = "hookType",
        /// `{sessionId, timestamp, cwd, ...}` plus the hook's own fields.
        input: RawJson<'a> = "input",
    }

    /// `sessionFs.*`: the fields used by the operation in [`FsOp`].
    FsRequest {
        session_id: JsonStr<'a> = "sessionId",
        path: JsonStr<'a> = "path",
        /// `writeFile`, `appendFile`.
        content: JsonStr<'a> = "content",
        /// POSIX mode of new files and directories.
        mode: u64 = "mode",
        /// `mkdir`, `rm`.
        recursive: bool = "recursive",
        /// `rm`.
        force: bool = "force",
        /// `rename`.
        src: JsonStr<'a> = "src",
        /// `rename`.
        dest: JsonStr<'a> = "dest",
    }

    /// `providerToken.getToken`: answer with [`TokenAnswer`].
    ProviderTokenRequest {
        session_id: JsonStr<'a> = "sessionId",
        provider_name: JsonStr<'a> = "providerName",
    }
}

impl<'a> UserInputRequest<'a> {
    /// The offered choices.
    pub fn choices(&self) -> impl Iterator<Item = JsonStr<'a>> + use<'a> {
        self.choices_raw()
            .into_iter()
            .flat_map(|c| c.elements())
            .filter_map(|c| c.as_string())
    }
}

impl<'a> SystemMessageTransformRequest<'a> {
    /// The sections to transform: `(section id, current content)`.
    pub fn sections(&self) -> impl Iterator<Item = (JsonStr<'a>, Option<JsonStr<'a>>)> + use<'a> {
        self.sections_raw()
            .into_iter()
            .flat_map(|s| s.members())
            .map(|(id, body)| (id, body.get_str("content")))
    }
}

/// The hooks of `hooks.invoke` (docs/protocol.md, Server requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HookType {
    /// `preToolUse`
    PreToolUse,
    /// `preMcpToolCall`
    PreMcpToolCall,
    /// `postToolUse`
    PostToolUse,
    /// `postToolUseFailure`
    PostToolUseFailure,
    /// `userPromptSubmitted`
    UserPromptSubmitted,
    /// `userPromptTransformed`
    UserPromptTransformed,
    /// `sessionStart`
    SessionStart,
    /// `sessionEnd`
    SessionEnd,
    /// `errorOccurred`
    ErrorOccurred,
    /// `agentStop`
    AgentStop,
    /// Another hook.
    Other,
}

impl HookInvocation<'_> {
    /// The hook.
    pub fn hook(&self) -> HookType {
        match self.hook_type().and_then(|t| t.as_plain()) {
            Some("preToolUse") => HookType::PreToolUse,
            Some("preMcpToolCall") => HookType::PreMcpToolCall,
            Some("postToolUse") => HookType::PostToolUse,
            Some("postToolUseFailure") => HookType::PostToolUseFailure,
            Some("userPromptSubmitted") => HookType::UserPromptSubmitted,
            Some("userPromptTransformed") => HookType::UserPromptTransformed,
            Some("sessionStart") => HookType::SessionStart,
            Some("sessionEnd") => HookType::SessionEnd,
            Some("errorOccurred") => HookType::ErrorOccurred,
            Some("agentStop") => HookType::AgentStop,
            _ => HookType::Other,
        }
    }
}

/// The `sessionFs.*` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FsOp {
    /// `readFile`: answer [`ReadFileAnswer`].
    ReadFile,
    /// `writeFile`: answer `()` (null) or an [`FsError`].
    WriteFile,
    /// `appendFile`: answer `()` or an [`FsError`].
    AppendFile,
    /// `exists`: answer [`ExistsAnswer`].
    Exists,
    /// `stat`: answer [`StatAnswer`].
    Stat,
    /// `mkdir`: answer `()` or an [`FsError`].
    Mkdir,
    /// `readdir`: answer [`ReaddirAnswer`].
    Readdir,
    /// `readdirWithTypes`: answer [`ReaddirWithTypesAnswer`].
    ReaddirWithTypes,
    /// `rm`: answer `()` or an [`FsError`].
    Rm,
    /// `rename`: answer `()` or an [`FsError`].
    Rename,
    /// `sqliteQuery`, `sqliteTransaction`, `sqliteExists`: raw params, raw answer.
    Sqlite,
    /// Another operation.
    Other,
}

impl FsOp {
    /// The operation of a `sessionFs.<op>` method.
    pub fn of(method: &str) -> Self {
        match method.strip_prefix("sessionFs.") {
            Some("readFile") => FsOp::ReadFile,
            Some("writeFile") => FsOp::WriteFile,
            Some("appendFile") => FsOp::AppendFile,
            Some("exists") => FsOp::Exists,
            Some("stat") => FsOp::Stat,
            Some("mkdir") => FsOp::Mkdir,
            Some("readdir") => FsOp::Readdir,
            Some("readdirWithTypes") => FsOp::ReaddirWithTypes,
            Some("rm") => FsOp::Rm,
            Some("rename") => FsOp::Rename,
            Some("sqliteQuery" | "sqliteTransaction" | "sqliteExists") => FsOp::Sqlite,
            _ => FsOp::Other,
        }
    }
}

/// A server request decoded by method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ServerCall<'a> {
    /// `userInput.request`
    UserInput(UserInputRequest<'a>),
    /// `exitPlanMode.request`
    ExitPlanMode(ExitPlanModeRequest<'a>),
    /// `autoModeSwitch.request`
    AutoModeSwitch(AutoModeSwitchRequest<'a>),
    /// `systemMessage.transform`
    SystemMessageTransform(SystemMessageTransformRequest<'a>),
    /// `hooks.invoke`
    Hooks(HookInvocation<'a>),
    /// `sessionFs.*`
    SessionFs(FsOp, FsRequest<'a>),
    /// `providerToken.getToken`
    ProviderToken(ProviderTokenRequest<'a>),
    /// Anything else: use the request's raw `method` and `params`.
    Other,
}

impl<'a> ServerCall<'a> {
    /// The typed view of a request of `family` named `method` with `params`.
    pub fn new(family: MethodFamily, method: JsonStr<'a>, params: RawJson<'a>) -> Self {
        let p = params;
        match family {
            MethodFamily::UserInput => ServerCall::UserInput(UserInputRequest::new(p)),
            MethodFamily::ExitPlanMode => ServerCall::ExitPlanMode(ExitPlanModeRequest::new(p)),
            MethodFamily::AutoModeSwitch => {
                ServerCall::AutoModeSwitch(AutoModeSwitchRequest::new(p))
            }
            MethodFamily::SystemMessageTransform => {
                ServerCall::SystemMessageTransform(SystemMessageTransformRequest::new(p))
            }
            MethodFamily::Hooks => ServerCall::Hooks(HookInvocation::new(p)),
            MethodFamily::SessionFs => {
                let op = method.as_plain().map_or(FsOp::Other, FsOp::of);
                ServerCall::SessionFs(op, FsRequest::new(p))
            }
            MethodFamily::ProviderToken => ServerCall::ProviderToken(ProviderTokenRequest::new(p)),
            _ => ServerCall::Other,
        }
    }
}

/// Answer to `userInput.request`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInputAnswer<'a> {
    /// The answer.
    pub answer: &'a str,
    /// True if typed rather than chosen.
    pub was_freeform: bool,
}

/// Answer to `exitPlanMode.request`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitPlanModeAnswer<'a> {
    /// Leave plan mode.
    pub approved: bool,
    /// One of the offered actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_action: Option<&'a str>,
    /// Feedback for the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<&'a str>,
}

/// Answer to `autoModeSwitch.request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoModeSwitch {
    /// Switch, this time.
    Yes,
    /// Switch, and always from now on.
    YesAlways,
    /// Do not switch.
    No,
}

/// Answer to `autoModeSwitch.request`: `{"response": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AutoModeSwitchAnswer {
    /// The decision.
    pub response: AutoModeSwitch,
}

/// Answer to `systemMessage.transform`: `{"sections": {<id>: {"content": ...}}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransformedSections<'a>(pub &'a [(&'a str, &'a str)]);

impl Serialize for TransformedSections<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Content<'a> {
            content: &'a str,
        }
        struct Map<'a>(&'a [(&'a str, &'a str)]);
        impl Serialize for Map<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (id, content) in self.0 {
                    map.serialize_entry(id, &Content { content })?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("sections", &Map(self.0))?;
        map.end()
    }
}

/// Answer to `hooks.invoke`: `{"output": {...}}`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HookAnswer<'a> {
    /// The hook's output object (e.g. `{"permissionDecision":"allow"}` for `preToolUse`).
    pub output: RawJson<'a>,
}

/// Classification of a session filesystem error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FsErrorCode {
    /// The path does not exist.
    #[serde(rename = "ENOENT")]
    NotFound,
    /// Any other failure.
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

/// A session filesystem error: the whole answer of write-type operations, or the `error`
/// member of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FsError<'a> {
    /// What kind.
    pub code: FsErrorCode,
    /// Detail, for logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
}

/// Answer to `sessionFs.readFile`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ReadFileAnswer<'a> {
    /// UTF-8 content (empty on error).
    pub content: &'a str,
    /// The failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FsError<'a>>,
}

/// Answer to `sessionFs.exists`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ExistsAnswer {
    /// Whether the path exists.
    pub exists: bool,
}

/// Answer to `sessionFs.stat`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatAnswer<'a> {
    /// A file.
    pub is_file: bool,
    /// A directory.
    pub is_directory: bool,
    /// Size in bytes.
    pub size: u64,
    /// ISO 8601 modification time.
    pub mtime: &'a str,
    /// ISO 8601 creation time.
    pub birthtime: &'a str,
    /// The failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FsError<'a>>,
}

/// Answer to `sessionFs.readdir`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ReaddirAnswer<'a> {
    /// Entry names.
    pub entries: &'a [&'a str],
    /// The failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FsError<'a>>,
}

/// The type of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    /// A file.
    File,
    /// A directory.
    Directory,
}

/// One entry of [`ReaddirWithTypesAnswer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DirEntry<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: EntryType,
}

/// Answer to `sessionFs.readdirWithTypes`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ReaddirWithTypesAnswer<'a> {
    /// The entries.
    pub entries: &'a [DirEntry<'a>],
    /// The failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FsError<'a>>,
}

/// Answer to `providerToken.getToken`. `Debug` does not print the token.
#[derive(Clone, Copy, Serialize)]
pub struct TokenAnswer<'a> {
    /// The bearer token, without `Bearer `.
    pub token: &'a str,
}

impl core::fmt::Debug for TokenAnswer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("token", &crate::proto::REDACTED)
            .finish()
    }
}
