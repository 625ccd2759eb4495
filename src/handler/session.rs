//! [`SessionHandler`]: everything a session's owner declares, as one trait.

use crate::client::{ReplyHandle, SessionHandle};
use crate::handler::{
    Answer, CommandCall, ElicitationCall, PermissionCall, Request, SessionFs, ToolCall,
};
use crate::json::RawJson;
use crate::proto::SessionEvent;
use crate::proto::params::{ExternalToolResult, PermissionDecision, UiElicitationResponse};
use crate::proto::server::{
    AutoModeSwitchAnswer, AutoModeSwitchRequest, ExitPlanModeAnswer, ExitPlanModeRequest,
    HookInvokeResponse, HooksInvoke, ServerCall, SystemMessageTransformRequest,
    TransformedSections, UserInputAnswer, UserInputRequest,
};

/// What a session does when the CLI calls on it: the sans-IO form of the official SDKs'
/// session config (`onEvent`, tools, `onPermissionRequest`, `onUserInputRequest`, hooks, a
/// sessionFs provider, ...).
///
/// Give one to [`Dispatch::create_session`](crate::handler::Dispatch::create_session) (or
/// `resume_session`); [`Dispatch::dispatch`](crate::handler::Dispatch::dispatch) then calls
/// it for its session's events and calls, from the moment the create request is queued, and
/// sends its answers.
///
/// Every method has a default: [`on_event`](Self::on_event) does nothing, the others answer
/// [`Answer::Unhandled`] (the client's default answer; see [`Answer`]). Implement what the
/// session needs. The client passes server requests on only for the families it was told
/// the caller answers ([`Config::caller_answers`](crate::Config::caller_answers)), and the CLI
/// asks for permissions, user input, elicitation, exit plan mode, auto mode switches and hooks
/// only if the session options said so
/// ([`Config::session_options`](crate::Config::session_options) sets those flags to match).
///
/// Each call is answered at once (`Answer::Now`/`Error`/`Unhandled`) or later
/// (`Answer::Later`, keeping [`Request::reply`] or [`Broadcast::defer`](crate::handler::Broadcast::defer)): a slow
/// answer does not hold up any other session.
///
/// The answers borrow from the handler (`&'a mut self`) and from the call: format a tool's
/// text into a buffer the handler owns and return a slice of it.
///
/// ```
/// use copilot_sansio::handler::{Answer, SessionHandler, ToolCall, PermissionCall};
/// use copilot_sansio::proto::params::{ExternalToolResult, PermissionDecision};
///
/// struct Clock;
///
/// impl SessionHandler for Clock {
///     fn on_tool_call<'a>(&'a mut self, call: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
///         match call.data.tool_name() {
///             Some(name) if name.eq_str("local_time") => {
///                 Answer::Now(ExternalToolResult::Text("12:00 UTC"))
///             }
///             _ => Answer::Error("no such tool"),
///         }
///     }
///
///     fn on_permission<'a>(&'a mut self, _: PermissionCall<'a>) -> Answer<'a, PermissionDecision<'a>> {
///         Answer::Now(PermissionDecision::ApproveOnce(Default::default()))
///     }
/// }
/// ```
pub trait SessionHandler {
    /// Every event of the session, in order, before the call methods below see it; events
    /// the CLI sends while the create (or resume) request is in flight included.
    fn on_event(&mut self, session: SessionHandle, event: SessionEvent<'_>) {
        let _ = (session, event);
    }

    /// A tool call (`external_tool.requested`), answered with
    /// `session.tools.handlePendingToolCall`: [`Answer::Error`] reports the tool's failure to
    /// the model. Unhandled calls are left for another client (the one with the tool).
    fn on_tool_call<'a>(&'a mut self, call: ToolCall<'a>) -> Answer<'a, ExternalToolResult<'a>> {
        let _ = call;
        Answer::Unhandled
    }

    /// A permission request (`permission.requested`), answered with
    /// `session.permissions.handlePendingPermissionRequest`.
    fn on_permission<'a>(
        &'a mut self,
        request: PermissionCall<'a>,
    ) -> Answer<'a, PermissionDecision<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// An elicitation (`elicitation.requested`: a form or a URL for the user), answered with
    /// `session.ui.handlePendingElicitation`.
    fn on_elicitation<'a>(
        &'a mut self,
        request: ElicitationCall<'a>,
    ) -> Answer<'a, UiElicitationResponse<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// A slash command the session registered (`command.execute`), answered with
    /// `session.commands.handlePendingCommand` (`Now(())`: done; `Error`: failed).
    fn on_command<'a>(&'a mut self, command: CommandCall<'a>) -> Answer<'a, ()> {
        let _ = command;
        Answer::Unhandled
    }

    /// `userInput.request`: the agent asks the user a question. Unhandled: an error, as the
    /// official SDKs answer without a handler.
    fn on_user_input<'a>(
        &'a mut self,
        request: Request<'a, UserInputRequest<'a>>,
    ) -> Answer<'a, UserInputAnswer<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `exitPlanMode.request`. Unhandled: approved.
    fn on_exit_plan_mode<'a>(
        &'a mut self,
        request: Request<'a, ExitPlanModeRequest<'a>>,
    ) -> Answer<'a, ExitPlanModeAnswer<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `autoModeSwitch.request`. Unhandled: no.
    fn on_auto_mode_switch<'a>(
        &'a mut self,
        request: Request<'a, AutoModeSwitchRequest<'a>>,
    ) -> Answer<'a, AutoModeSwitchAnswer> {
        let _ = request;
        Answer::Unhandled
    }

    /// `hooks.invoke`: a hook the session registered fires. Unhandled: no output.
    fn on_hook<'a>(
        &'a mut self,
        request: Request<'a, HooksInvoke<'a>>,
    ) -> Answer<'a, HookInvokeResponse<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// `systemMessage.transform`: rewrite sections of the system message. Unhandled: the
    /// sections unchanged.
    fn on_system_message_transform<'a>(
        &'a mut self,
        request: Request<'a, SystemMessageTransformRequest<'a>>,
    ) -> Answer<'a, TransformedSections<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// The session's filesystem (`sessionFs.*` requests), if it has one.
    fn session_fs(&mut self) -> Option<&mut dyn SessionFs> {
        None
    }

    /// Any other server request for the session (`tasks.cancel`, `providerToken.getToken`,
    /// `canvas.*`, methods newer than this crate, ...), answered with a result given as JSON
    /// (a typed answer: serialize it with [`RawJson`]'s writer, or answer `Later` and use
    /// [`Client::respond`](crate::Client::respond)).
    fn on_request<'a>(
        &'a mut self,
        request: Request<'a, ServerCall<'a>>,
    ) -> Answer<'a, RawJson<'a>> {
        let _ = request;
        Answer::Unhandled
    }

    /// The CLI cancelled a request it had sent to this session (`$/cancelRequest`): the
    /// client has answered it -32800, and `reply` is stale. Stop working on it.
    fn on_cancelled(&mut self, reply: ReplyHandle) {
        let _ = reply;
    }
}

/// `impl SessionHandler for $ty` by forwarding every method to `**self` (written once for
/// the pointer types below).
macro_rules! forward {
    ($(#[$attr:meta])* $ty:ty) => {
        $(#[$attr])*
        impl<T: SessionHandler + ?Sized> SessionHandler for $ty {
            fn on_event(&mut self, session: SessionHandle, event: SessionEvent<'_>) {
                (**self).on_event(session, event)
            }
            fn on_tool_call<'a>(
                &'a mut self,
                call: ToolCall<'a>,
            ) -> Answer<'a, ExternalToolResult<'a>> {
                (**self).on_tool_call(call)
            }
            fn on_permission<'a>(
                &'a mut self,
                request: PermissionCall<'a>,
            ) -> Answer<'a, PermissionDecision<'a>> {
                (**self).on_permission(request)
            }
            fn on_elicitation<'a>(
                &'a mut self,
                request: ElicitationCall<'a>,
            ) -> Answer<'a, UiElicitationResponse<'a>> {
                (**self).on_elicitation(request)
            }
            fn on_command<'a>(&'a mut self, command: CommandCall<'a>) -> Answer<'a, ()> {
                (**self).on_command(command)
            }
            fn on_user_input<'a>(
                &'a mut self,
                request: Request<'a, UserInputRequest<'a>>,
            ) -> Answer<'a, UserInputAnswer<'a>> {
                (**self).on_user_input(request)
            }
            fn on_exit_plan_mode<'a>(
                &'a mut self,
                request: Request<'a, ExitPlanModeRequest<'a>>,
            ) -> Answer<'a, ExitPlanModeAnswer<'a>> {
                (**self).on_exit_plan_mode(request)
            }
            fn on_auto_mode_switch<'a>(
                &'a mut self,
                request: Request<'a, AutoModeSwitchRequest<'a>>,
            ) -> Answer<'a, AutoModeSwitchAnswer> {
                (**self).on_auto_mode_switch(request)
            }
            fn on_hook<'a>(
                &'a mut self,
                request: Request<'a, HooksInvoke<'a>>,
            ) -> Answer<'a, HookInvokeResponse<'a>> {
                (**self).on_hook(request)
            }
            fn on_system_message_transform<'a>(
                &'a mut self,
                request: Request<'a, SystemMessageTransformRequest<'a>>,
            ) -> Answer<'a, TransformedSections<'a>> {
                (**self).on_system_message_transform(request)
            }
            fn session_fs(&mut self) -> Option<&mut dyn SessionFs> {
                (**self).session_fs()
            }
            fn on_request<'a>(
                &'a mut self,
                request: Request<'a, ServerCall<'a>>,
            ) -> Answer<'a, RawJson<'a>> {
                (**self).on_request(request)
            }
            fn on_cancelled(&mut self, reply: ReplyHandle) {
                (**self).on_cancelled(reply)
            }
        }
    };
}

forward!(
    /// A borrowed handler: `&mut dyn SessionHandler` serves sessions with different handlers
    /// without a heap.
    &mut T
);
forward!(
    /// A boxed handler: `Box<dyn SessionHandler>` serves sessions with different handlers.
    #[cfg(feature = "std")]
    std::boxed::Box<T>
);
