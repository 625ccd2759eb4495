//! [`Handlers`]: a session's handler from closures (tools, a permission policy, an event
//! callback, a session filesystem); [`CopilotHandler`]: any handler a `Copilot` session runs.

use std::boxed::Box;
use std::fmt;
use std::string::String;
use std::vec::Vec;

use crate::client::{ReplyHandle, SessionHandle};
use crate::driver::copilot::{Permissions, Tool};
use crate::handler::{
    Answer, CommandCall, ElicitationCall, PermissionCall, Request, SessionFs, SessionHandler,
    ToolCall,
};
use crate::json::{JsonStr, RawJson};
use crate::proto::SessionEvent;
use crate::proto::params::{ExternalToolResult, PermissionDecision, UiElicitationResponse};
use crate::proto::server::{
    AutoModeSwitchAnswer, AutoModeSwitchRequest, ExitPlanModeAnswer, ExitPlanModeRequest,
    HookInvokeResponse, HooksInvoke, ServerCall, SystemMessageTransformRequest,
    TransformedSections, UserInputAnswer, UserInputRequest,
};

/// A session handler a [`Copilot`](crate::blocking::Copilot) runs for a session, on its own
/// thread or task: a [`SessionHandler`] that can be sent there, and that may declare tools.
///
/// [`Handlers`] is one; a handler of yours is one too with `impl CopilotHandler for Mine {}`.
pub trait CopilotHandler: SessionHandler + Send + 'static {
    /// The tools it runs, declared in `session.create` beside those of the options.
    fn tools(&self) -> &[Tool] {
        &[]
    }
}

/// A callback for every event.
type OnEvent = dyn FnMut(SessionEvent<'_>) + Send;
/// A callback for each piece of streamed reply text.
type OnDelta = dyn FnMut(JsonStr<'_>) + Send;

/// A session's handler, built from closures: its tools, its permission policy, a callback for
/// every event (and one for the reply's text as it streams), its session filesystem.
///
/// Tool calls of tools it does not know are left to other clients; permission requests follow
/// its [`Permissions`] (deny all unless told otherwise).
///
/// ```
/// use copilot_sansio::driver::{Handlers, Tool};
///
/// let handlers = Handlers::new()
///     .tool(Tool::new("ping", "Answers pong", r#"{"type":"object"}"#, |_| Ok::<_, String>("pong")))
///     .approve_all()
///     .on_delta(|text| print!("{text}"));
/// ```
#[derive(Default)]
pub struct Handlers {
    tools: Vec<Tool>,
    permissions: Permissions,
    on_event: Option<Box<OnEvent>>,
    on_delta: Option<Box<OnDelta>>,
    fs: Option<Box<dyn SessionFs + Send>>,
    /// The last tool output or failure, which the answer borrows.
    answer: String,
}

impl fmt::Debug for Handlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handlers")
            .field("tools", &self.tools)
            .field("permissions", &self.permissions)
            .field("on_event", &self.on_event.is_some())
            .field("on_delta", &self.on_delta.is_some())
            .field("fs", &self.fs.is_some())
            .finish()
    }
}

impl Handlers {
    /// No tools, no callbacks, permissions denied.
    pub fn new() -> Self {
        Handlers::default()
    }

    /// Adds a tool.
    #[must_use]
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.push(tool);
        self
    }

    /// Answers permission requests with `policy`.
    #[must_use]
    pub fn permissions(mut self, policy: Permissions) -> Self {
        self.permissions = policy;
        self
    }

    /// Approves every permission request.
    #[must_use]
    pub fn approve_all(self) -> Self {
        self.permissions(Permissions::ApproveAll)
    }

    /// Denies every permission request (the default).
    #[must_use]
    pub fn deny_all(self) -> Self {
        self.permissions(Permissions::DenyAll)
    }

    /// Calls `on_event` with every event of the session, in order, borrowed from the receive
    /// buffer (nothing is copied): on the `Copilot`'s own thread or task, so keep it short.
    #[must_use]
    pub fn on_event(mut self, on_event: impl FnMut(SessionEvent<'_>) + Send + 'static) -> Self {
        self.on_event = Some(Box::new(on_event));
        self
    }

    /// Calls `on_delta` with each piece of the reply as it streams (the `deltaContent` of
    /// `assistant.message_delta`; sessions created with `streaming: true`). Its `Display`
    /// writes the text unescaped.
    #[must_use]
    pub fn on_delta(mut self, on_delta: impl FnMut(JsonStr<'_>) + Send + 'static) -> Self {
        self.on_delta = Some(Box::new(on_delta));
        self
    }

    /// Serves the session's filesystem (`sessionFs.*`) from `fs`, e.g. a
    /// [`DirectoryFs`](crate::driver::DirectoryFs).
    #[must_use]
    pub fn session_fs(mut self, fs: impl SessionFs + Send + 'static) -> Self {
        self.fs = Some(Box::new(fs));
        self
    }
}

impl SessionHandler for Handlers {
    fn on_event(&mut self, _: SessionHandle, event: SessionEvent<'_>) {
        if let Some(on_event) = self.on_event.as_mut() {
            on_event(event);
        }
        if let Some(on_delta) = self.on_delta.as_mut()
            && event.is("assistant.message_delta")
            && event.agent_id().is_none_or(|a| a.is_empty())
            && let Some(delta) = event.data().get_str("deltaContent")
        {
            on_delta(delta);
        }
    }

    fn on_tool_call<'a>(&'a mut self, call: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
        let Some(name) = call.data.tool_name() else {
            return Answer::Unhandled;
        };
        let Some(tool) = self.tools.iter_mut().find(|t| name.eq_str(t.name())) else {
            return Answer::Unhandled;
        };
        let args = call.data.arguments().or(RawJson::parse("{}").ok());
        let Some(args) = args else {
            return Answer::Unhandled;
        };
        self.answer.clear();
        match tool.call(args) {
            Ok(output) => {
                self.answer.push_str(output.as_str());
                Answer::Now(ExternalToolResult::Text(&self.answer))
            }
            Err(failure) => {
                self.answer.push_str(&failure);
                Answer::Error(&self.answer)
            }
        }
    }

    fn on_permission<'a>(
        &'a mut self,
        request: PermissionCall<'a>,
    ) -> Answer<'a, PermissionDecision<'a>> {
        Answer::Now(self.permissions.answer(request.data))
    }

    fn session_fs(&mut self) -> Option<&mut dyn SessionFs> {
        match self.fs.as_mut() {
            Some(fs) => Some(fs.as_mut()),
            None => None,
        }
    }
}

impl CopilotHandler for Handlers {
    fn tools(&self) -> &[Tool] {
        &self.tools
    }
}

/// What the `Copilot` runs for a session: the caller's handler, with the permission requests
/// it leaves unhandled denied (else the CLI would wait for an answer forever).
pub(crate) struct Hosted(pub(crate) Box<dyn CopilotHandler>);

impl SessionHandler for Hosted {
    fn on_event(&mut self, session: SessionHandle, event: SessionEvent<'_>) {
        self.0.on_event(session, event)
    }
    fn on_tool_call<'a>(&'a mut self, call: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
        self.0.on_tool_call(call)
    }
    fn on_permission<'a>(
        &'a mut self,
        request: PermissionCall<'a>,
    ) -> Answer<'a, PermissionDecision<'a>> {
        match self.0.on_permission(request) {
            Answer::Unhandled => Answer::Error("the session has no permission policy"),
            answer => answer,
        }
    }
    fn on_elicitation<'a>(
        &'a mut self,
        request: ElicitationCall<'a>,
    ) -> Answer<'a, UiElicitationResponse<'a>> {
        self.0.on_elicitation(request)
    }
    fn on_command<'a>(&'a mut self, command: CommandCall<'a>) -> Answer<'a, ()> {
        self.0.on_command(command)
    }
    fn on_user_input<'a>(
        &'a mut self,
        request: Request<'a, UserInputRequest<'a>>,
    ) -> Answer<'a, UserInputAnswer<'a>> {
        self.0.on_user_input(request)
    }
    fn on_exit_plan_mode<'a>(
        &'a mut self,
        request: Request<'a, ExitPlanModeRequest<'a>>,
    ) -> Answer<'a, ExitPlanModeAnswer<'a>> {
        self.0.on_exit_plan_mode(request)
    }
    fn on_auto_mode_switch<'a>(
        &'a mut self,
        request: Request<'a, AutoModeSwitchRequest<'a>>,
    ) -> Answer<'a, AutoModeSwitchAnswer> {
        self.0.on_auto_mode_switch(request)
    }
    fn on_hook<'a>(
        &'a mut self,
        request: Request<'a, HooksInvoke<'a>>,
    ) -> Answer<'a, HookInvokeResponse<'a>> {
        self.0.on_hook(request)
    }
    fn on_system_message_transform<'a>(
        &'a mut self,
        request: Request<'a, SystemMessageTransformRequest<'a>>,
    ) -> Answer<'a, TransformedSections<'a>> {
        self.0.on_system_message_transform(request)
    }
    fn session_fs(&mut self) -> Option<&mut dyn SessionFs> {
        self.0.session_fs()
    }
    fn on_request<'a>(
        &'a mut self,
        request: Request<'a, ServerCall<'a>>,
    ) -> Answer<'a, RawJson<'a>> {
        self.0.on_request(request)
    }
    fn on_cancelled(&mut self, reply: ReplyHandle) {
        self.0.on_cancelled(reply)
    }
}
