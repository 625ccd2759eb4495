//! The envelopes of the CLI's notifications: a `session.event` ([`SessionEvent`]) and a
//! `session.lifecycle` ([`Lifecycle`]). Only the envelope is read here; the typed views of the
//! events' data are in [`events`](crate::proto::events).

use crate::json::{JsonStr, RawJson};

/// A `session.event`: the raw envelope, with accessors that decode on demand. Unknown event
/// types and unknown fields are normal; nothing here depends on knowing the type.
///
/// Two events are equal if their session ids and their whole objects are.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionEvent<'a> {
    session_id: Option<JsonStr<'a>>,
    event_type: JsonStr<'a>,
    data: Option<RawJson<'a>>,
    /// `id` and `agentId`, once read by [`with_ids`](Self::with_ids): both come after `data`,
    /// so reading them skips the data, which routing alone never needs.
    ids: Option<Ids<'a>>,
    raw: RawJson<'a>,
}

/// An event's `id` and `agentId`.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Ids<'a> {
    id: Option<JsonStr<'a>>,
    agent_id: Option<JsonStr<'a>>,
}

impl PartialEq for SessionEvent<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.session_id == other.session_id && self.raw == other.raw
    }
}

impl Eq for SessionEvent<'_> {}

impl<'a> SessionEvent<'a> {
    /// Reads the `params` of a `session.event` notification (one pass over its members, and
    /// one over the event's, up to its `type` and `data`): it needs a string `sessionId` and
    /// an `event` object with a string `type`.
    pub fn from_params(params: RawJson<'a>) -> Option<Self> {
        let mut found = [None; 2];
        params.get_each(&["sessionId", "event"], &mut found);
        let [session_id, event] = found;
        let mut event = Self::from_event(event?)?;
        event.session_id = Some(session_id?.as_string()?);
        Some(event)
    }

    /// Reads an event object (as in `session.getMessages`): it needs a string `type`. One
    /// pass, up to `type` and `data` (the first of each counts, as with [`RawJson::get`]).
    pub fn from_event(raw: RawJson<'a>) -> Option<Self> {
        let mut found = [None; 2];
        raw.get_each(&["type", "data"], &mut found);
        let [kind, data] = found;
        Some(SessionEvent {
            session_id: None,
            event_type: kind?.as_string()?,
            data,
            ids: None,
            raw,
        })
    }

    /// The event with its `id` and `agentId` read, in one pass: for a consumer that reads
    /// both of every event (the turn tracker, a handler), so that the data is skipped once.
    pub(crate) fn with_ids(mut self) -> Self {
        if self.ids.is_none() {
            let mut found = [None; 2];
            self.raw.get_each(&["id", "agentId"], &mut found);
            let [id, agent_id] = found.map(|v| v.and_then(|v| v.as_string()));
            self.ids = Some(Ids { id, agent_id });
        }
        self
    }

    /// `params.sessionId`: the session the server sent it for (`None` for events read from a
    /// history).
    pub fn session_id(&self) -> Option<JsonStr<'a>> {
        self.session_id
    }

    /// The event's `type`, e.g. `assistant.message_delta`.
    pub fn event_type(&self) -> JsonStr<'a> {
        self.event_type
    }

    /// True if the event's type is `t`.
    pub fn is(&self, t: &str) -> bool {
        self.event_type.eq_str(t)
    }

    /// The event's `id`.
    pub fn id(&self) -> Option<JsonStr<'a>> {
        match self.ids {
            Some(ids) => ids.id,
            None => self.raw.get_str("id"),
        }
    }

    /// The event's ISO-8601 `timestamp`.
    pub fn timestamp(&self) -> Option<JsonStr<'a>> {
        self.raw.get_str("timestamp")
    }

    /// The previous event's id (`None` for the first event, whose `parentId` is null).
    pub fn parent_id(&self) -> Option<JsonStr<'a>> {
        self.raw.get_str("parentId")
    }

    /// True for events that are not persisted (deltas, idle, usage...).
    pub fn ephemeral(&self) -> bool {
        self.raw
            .get("ephemeral")
            .and_then(|e| e.as_bool())
            .unwrap_or(false)
    }

    /// The sub-agent instance that produced it (absent for the main agent).
    pub fn agent_id(&self) -> Option<JsonStr<'a>> {
        match self.ids {
            Some(ids) => ids.agent_id,
            None => self.raw.get_str("agentId"),
        }
    }

    /// The event's `data` object (`{}` if absent).
    pub fn data(&self) -> RawJson<'a> {
        self.data.unwrap_or(RawJson::EMPTY_OBJECT)
    }

    /// The whole event object.
    pub fn raw(&self) -> RawJson<'a> {
        self.raw
    }
}

/// A `session.lifecycle` notification's params.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Lifecycle<'a> {
    raw: RawJson<'a>,
}

impl<'a> Lifecycle<'a> {
    /// Reads the `params` of a `session.lifecycle` notification.
    pub fn new(raw: RawJson<'a>) -> Self {
        Lifecycle { raw }
    }

    /// Its `type`: `session.created`, `session.deleted`, `session.updated`,
    /// `session.foreground` or `session.background`.
    pub fn event_type(&self) -> Option<JsonStr<'a>> {
        self.raw.get_str("type")
    }

    /// The session it is about.
    pub fn session_id(&self) -> Option<JsonStr<'a>> {
        self.raw.get_str("sessionId")
    }

    /// `metadata` (`startTime`, `modifiedTime`, `summary`?), if present.
    pub fn metadata(&self) -> Option<RawJson<'a>> {
        self.raw.get("metadata")
    }

    /// The params object.
    pub fn raw(&self) -> RawJson<'a> {
        self.raw
    }
}
