//! Typed views of session events, decoded on demand.
//!
//! [`SessionEvent::typed`](crate::proto::SessionEvent::typed) picks the view of the event's
//! `data` by its type: [`TypedEvent`] has one variant per event type of the CLI's schema
//! (generated, see `src/proto/generated/events/`), and `Unknown` for types newer than this
//! crate, which stay available raw through the [`SessionEvent`](crate::proto::SessionEvent)
//! accessors. Text fields are [`JsonStr`]s: compare them, print them (`Display` decodes),
//! iterate their characters or unescape them into your own buffer, all without a heap.
//!
//! Hand-written here, because the schema does not describe it: [`HostEvent`], the params of
//! the `host.event` notification.

pub use super::generated::events::*;

use crate::json::{JsonStr, RawJson};
use crate::proto::view::view;

view! {
    /// The params of a `host.event` notification (not described by the CLI's schema).
    HostEvent {
        /// `{type: "session", sessionId}`, ...
        scope: RawJson<'a> = "scope",
        /// E.g. `task_transition`.
        kind: JsonStr<'a> = "kind",
        payload: RawJson<'a> = "payload",
    }
}

impl<'a> HostEvent<'a> {
    /// `scope.sessionId`, for session-scoped host events.
    pub fn session_id(&self) -> Option<JsonStr<'a>> {
        self.scope()?.get_str("sessionId")
    }
}
