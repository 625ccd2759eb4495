//! Answers to broadcast session events (docs/protocol.md, Broadcasts), sent as client requests:
//! `external_tool.requested`, `permission.requested`, `elicitation.requested` and
//! `command.execute`. Several clients may share a CLI: the first answer wins and a late one
//! gets `{"success": false}`.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::json::RawJson;

/// Whether a tool call worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolResultType {
    /// It worked.
    Success,
    /// It failed.
    Failure,
}

/// A structured tool result.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResult<'a> {
    /// What the model reads.
    pub text_result_for_llm: &'a str,
    /// Success or failure.
    pub result_type: ToolResultType,
    /// The error, on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// A line for the session log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_log: Option<&'a str>,
    /// Telemetry (raw JSON object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_telemetry: Option<RawJson<'a>>,
}

/// The outcome of a tool call, for
/// [`Client::answer_tool_call`](crate::Client::answer_tool_call).
#[derive(Debug, Clone, Copy)]
pub enum ToolCallResult<'a> {
    /// `"result": "<text>"`: the model reads the text.
    Text(&'a str),
    /// `"result": {textResultForLlm, resultType, ...}`.
    Structured(ToolResult<'a>),
    /// `"error": "<message>"`: the call failed.
    Error(&'a str),
}

impl ToolCallResult<'_> {
    /// Writes this result's member into the params map.
    pub(crate) fn entry<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        match self {
            ToolCallResult::Text(text) => map.serialize_entry("result", text),
            ToolCallResult::Structured(result) => map.serialize_entry("result", result),
            ToolCallResult::Error(message) => map.serialize_entry("error", message),
        }
    }
}

/// A permission decision, for
/// [`Client::answer_permission`](crate::Client::answer_permission).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionDecision<'a> {
    /// `approve-once`
    ApproveOnce,
    /// `approve-for-session`, with the approval object of the request's prompt.
    ApproveForSession {
        /// The approval (raw JSON).
        approval: RawJson<'a>,
    },
    /// `approve-for-location`
    ApproveForLocation {
        /// The approval (raw JSON).
        approval: RawJson<'a>,
        /// The location.
        location_key: &'a str,
    },
    /// `approve-permanently`
    ApprovePermanently,
    /// `reject`, with optional feedback for the agent.
    Reject {
        /// Why.
        feedback: Option<&'a str>,
    },
    /// `user-not-available`
    UserNotAvailable,
    /// Any other decision object, as raw JSON (e.g. a legacy kind).
    Raw(RawJson<'a>),
}

impl Serialize for PermissionDecision<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let PermissionDecision::Raw(raw) = self {
            return raw.serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        match self {
            PermissionDecision::ApproveOnce => map.serialize_entry("kind", "approve-once")?,
            PermissionDecision::ApproveForSession { approval } => {
                map.serialize_entry("kind", "approve-for-session")?;
                map.serialize_entry("approval", approval)?;
            }
            PermissionDecision::ApproveForLocation {
                approval,
                location_key,
            } => {
                map.serialize_entry("kind", "approve-for-location")?;
                map.serialize_entry("approval", approval)?;
                map.serialize_entry("locationKey", location_key)?;
            }
            PermissionDecision::ApprovePermanently => {
                map.serialize_entry("kind", "approve-permanently")?
            }
            PermissionDecision::Reject { feedback } => {
                map.serialize_entry("kind", "reject")?;
                if let Some(feedback) = feedback {
                    map.serialize_entry("feedback", feedback)?;
                }
            }
            PermissionDecision::UserNotAvailable => {
                map.serialize_entry("kind", "user-not-available")?
            }
            PermissionDecision::Raw(_) => {}
        }
        map.end()
    }
}

/// The user's response to an elicitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElicitationAction {
    /// Submitted the form.
    Accept,
    /// Refused.
    Decline,
    /// Dismissed.
    Cancel,
}

/// An elicitation answer, for
/// [`Client::answer_elicitation`](crate::Client::answer_elicitation).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ElicitationAnswer<'a> {
    /// What the user did.
    pub action: ElicitationAction,
    /// The form values (raw JSON object), on accept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<RawJson<'a>>,
}
