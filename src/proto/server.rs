//! Requests the server sends to the client (docs/protocol.md, Server requests): typed views of
//! their params, and typed answers to pass to [`Client::respond`](crate::Client::respond).
//!
//! [`ServerRequest::call`](crate::ServerRequest::call) decodes a request into [`ServerCall`]:
//! one variant per server -> client method of the CLI's schema (generated, see
//! `src/proto/generated/server/`: `sessionFs.*`, `tasks.cancel`, `gitHubToken.getToken`,
//! `workflow.*`, `installations.confirm`, `canvas.*`, `providerToken.getToken`, ...), each a
//! view that implements [`Callback`] with its answer type.
//!
//! Hand-written here, because the schema does not describe them: `userInput.request`,
//! `exitPlanMode.request`, `autoModeSwitch.request` and `systemMessage.transform`, and their
//! answers.

pub use super::generated::server::*;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::json::{JsonStr, RawJson};
use crate::proto::method::Callback;
use crate::proto::view::view;

view! {
    /// `userInput.request` (not described by the CLI's schema): answer with
    /// [`UserInputAnswer`].
    UserInputRequest {
        session_id: JsonStr<'a> = "sessionId",
        question: JsonStr<'a> = "question",
        /// An array of strings; see [`choices`](Self::choices).
        choices_raw: RawJson<'a> = "choices",
        allow_freeform: bool = "allowFreeform",
    }

    /// `exitPlanMode.request` (not described by the CLI's schema): answer with
    /// [`ExitPlanModeAnswer`].
    ExitPlanModeRequest {
        session_id: JsonStr<'a> = "sessionId",
        summary: JsonStr<'a> = "summary",
        plan_content: JsonStr<'a> = "planContent",
        /// An array of strings.
        actions: RawJson<'a> = "actions",
        recommended_action: JsonStr<'a> = "recommendedAction",
    }

    /// `autoModeSwitch.request` (not described by the CLI's schema): answer with
    /// [`AutoModeSwitchAnswer`].
    AutoModeSwitchRequest {
        session_id: JsonStr<'a> = "sessionId",
        error_code: JsonStr<'a> = "errorCode",
        /// Written as a float by the CLI (`1.0`); read as an integer.
        retry_after_seconds: u64 = "retryAfterSeconds",
    }

    /// `systemMessage.transform` (not described by the CLI's schema): answer with
    /// [`TransformedSections`].
    SystemMessageTransformRequest {
        session_id: JsonStr<'a> = "sessionId",
        /// `{<sectionId>: {content}}`; see [`sections`](Self::sections).
        sections_raw: RawJson<'a> = "sections",
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

impl<'a> Callback<'a> for UserInputRequest<'a> {
    const NAME: &'static str = "userInput.request";
    const NOTIFICATION: bool = false;
    type Answer<'b> = UserInputAnswer<'b>;
}

impl<'a> Callback<'a> for ExitPlanModeRequest<'a> {
    const NAME: &'static str = "exitPlanMode.request";
    const NOTIFICATION: bool = false;
    type Answer<'b> = ExitPlanModeAnswer<'b>;
}

impl<'a> Callback<'a> for AutoModeSwitchRequest<'a> {
    const NAME: &'static str = "autoModeSwitch.request";
    const NOTIFICATION: bool = false;
    type Answer<'b> = AutoModeSwitchAnswer;
}

impl<'a> Callback<'a> for SystemMessageTransformRequest<'a> {
    const NAME: &'static str = "systemMessage.transform";
    const NOTIFICATION: bool = false;
    type Answer<'b> = TransformedSections<'b>;
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
#[non_exhaustive]
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
