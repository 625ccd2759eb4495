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
//! Written by hand, because the schema does not describe them: [`SessionOptions`]
//! (`session.create`/`resume`, every option of the official SDKs, with [`ToolDeclaration`],
//! [`Command`], [`CustomAgent`], [`McpServer`], [`Provider`] and the other nested
//! configurations, in `session_options.rs` and `definitions.rs`), [`SystemMessage`] and
//! [`Sections`] here, and [`SessionFilter`] (`session.list`). [`ToolResultKind`] names the
//! values of a tool result's open `resultType`. Where the crate does not type an option,
//! [`Extra`] splices any JSON members into the parameters.

pub use super::definitions::*;
pub use super::generated::params::*;
pub use super::session_options::*;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::json::RawJson;
use crate::proto::setters::setters;

/// Extra members spliced into the parameters (a JSON object; `None`: nothing), for options
/// this crate does not type. A member the typed fields also set is sent twice; the server
/// keeps the last, i.e. this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extra<'a>(pub Option<RawJson<'a>>);

impl Extra<'_> {
    /// Writes the members into a map being serialized.
    pub(crate) fn entries<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        for (key, value) in self.0.iter().flat_map(|o| o.members()) {
            map.serialize_entry(&key, &value)?;
        }
        Ok(())
    }
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
