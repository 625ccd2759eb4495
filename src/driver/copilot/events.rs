//! [`Reply`] (what `send_and_wait` returns) and [`OwnedEvent`] (an event copied out of the
//! receive buffer, for another thread or task).

use core::fmt::Write;
use std::string::{String, ToString};

use crate::json::RawJson;
use crate::proto::SessionEvent;

/// A session event, copied: what a stream of events hands to another thread or task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedEvent {
    /// The event object as the CLI sent it, then its type unescaped: one allocation per event.
    text: String,
    /// Where the event object ends in `text`.
    json_len: usize,
}

impl OwnedEvent {
    /// A copy of `event`.
    pub fn of(event: &SessionEvent<'_>) -> Self {
        let json = event.raw().text();
        let event_type = event.event_type();
        let mut text = String::with_capacity(json.len() + event_type.raw_bytes().len());
        text.push_str(json);
        // The unescaped type is never longer than its escaped form.
        let _ = write!(text, "{event_type}");
        OwnedEvent {
            text,
            json_len: json.len(),
        }
    }

    /// The event's `type`, e.g. `assistant.message`.
    pub fn event_type(&self) -> &str {
        self.text.get(self.json_len..).unwrap_or_default()
    }

    /// True if the event's type is `t`.
    pub fn is(&self, t: &str) -> bool {
        self.event_type() == t
    }

    /// The whole event object, as the CLI sent it.
    pub fn json(&self) -> &str {
        self.text.get(..self.json_len).unwrap_or_default()
    }

    /// The event, to read with the crate's views (`typed()`, `data()`, ...).
    pub fn view(&self) -> Option<SessionEvent<'_>> {
        SessionEvent::from_event(RawJson::parse(self.json()).ok()?)
    }

    /// A string member of the event's `data`, unescaped (e.g. `content`, `deltaContent`).
    pub fn data_str(&self, key: &str) -> Option<String> {
        Some(self.view()?.data().get_str(key)?.to_string())
    }
}

/// The answer of a turn: the text of its last assistant message, and that whole event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Reply {
    /// The text (`content` of the turn's last `assistant.message`; empty if it had none).
    pub text: String,
    /// The turn's last `assistant.message`, if it had one.
    pub event: Option<OwnedEvent>,
}

impl Reply {
    /// The text read as JSON into `T` (a fenced code block around it is taken off).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::driver::CopilotError> {
        let text = self.text.trim();
        let text = match text.strip_prefix("```") {
            Some(fenced) => {
                let body = fenced.split_once('\n').map_or("", |(_, b)| b);
                body.trim_end().strip_suffix("```").unwrap_or(body)
            }
            None => text,
        };
        serde_json::from_str(text).map_err(|e| crate::driver::CopilotError::UnexpectedReply {
            text: self.text.clone(),
            error: e.to_string(),
        })
    }
}
