//! The envelopes of the CLI's notifications: a `session.event` ([`SessionEvent`]) and a
//! `session.lifecycle` ([`Lifecycle`]). Only the envelope is read here; the typed views of the
//! events' data are in [`events`](crate::proto::events).

use crate::json::index::MemberIndex;
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
    /// Reads the `params` of a `session.event` notification (one pass over its members): it
    /// needs a string `sessionId` and an `event` object with a string `type`.
    pub fn from_params(params: RawJson<'a>) -> Option<Self> {
        let mut found = [None; 2];
        params.get_each(&["sessionId", "event"], &mut found);
        let [session_id, event] = found;
        let mut event = Self::from_event(event?)?;
        event.session_id = Some(session_id?.as_string()?);
        Some(event)
    }

    /// [`from_params`](Self::from_params) for the message `index` was recorded from, without
    /// a scan (and with the `id` and `agentId` read, as by [`with_ids`](Self::with_ids)), in
    /// one pass over the recorded members; `None` if the index does not hold all the members
    /// of the message, of its `params` and of their `event`.
    pub(crate) fn from_index(index: &MemberIndex, message: &'a [u8]) -> Option<Option<Self>> {
        if !index.root_whole() {
            return None;
        }
        // The first of each member counts, as with `RawJson::get`. The members of `params`
        // follow it in the walk, and those of its `event` follow that.
        let mut params: Option<bool> = None;
        let mut event: Option<(RawJson<'a>, bool)> = None;
        let (mut in_params, mut in_event) = (false, false);
        let mut found: [Option<RawJson<'a>>; 5] = [None; 5];
        for m in index.walk(message) {
            let place = match m.level() {
                1 => {
                    in_params = params.is_none() && m.key_is("params");
                    if in_params {
                        params = Some(m.whole());
                    }
                    continue;
                }
                2 if in_params => {
                    in_event = event.is_none() && m.key_is("event");
                    if in_event {
                        event = Some((m.value()?, m.whole()));
                        continue;
                    }
                    match m.key_is("sessionId") {
                        true => 0,
                        false => continue,
                    }
                }
                3 if in_event => match ["type", "data", "id", "agentId"]
                    .iter()
                    .position(|k| m.key_is(k))
                {
                    Some(k) => k + 1,
                    None => continue,
                },
                _ => continue,
            };
            if let Some(slot) = found.get_mut(place)
                && slot.is_none()
            {
                *slot = m.value();
            }
        }
        let event = match (params, event) {
            // No `params`, or no `event` in them: not an event.
            (None, _) | (Some(true), None) => return Some(None),
            (Some(true), Some((event, true))) => event,
            // Not all recorded (or not objects): the caller scans.
            _ => return None,
        };
        let [session_id, kind, data, id, agent_id] = found;
        let string = |v: Option<RawJson<'a>>| v?.as_string();
        Some((|| {
            Some(SessionEvent {
                session_id: Some(string(session_id)?),
                event_type: string(kind)?,
                data,
                ids: Some(Ids {
                    id: string(id),
                    agent_id: string(agent_id),
                }),
                raw: event,
            })
        })())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::MAX_DEPTH;
    use crate::json::index::MemberIndex;
    use crate::json::validate::validate_recording;

    /// The event of a `session.event` body read through the index (`None` if it cannot
    /// answer) and by scanning `params`, with the ids read.
    fn both(body: &str) -> (Option<Option<SessionEvent<'_>>>, Option<SessionEvent<'_>>) {
        let mut index = MemberIndex::default();
        validate_recording(body.as_bytes(), MAX_DEPTH, &mut index).unwrap();
        let params = RawJson::parse(body)
            .unwrap()
            .get("params")
            .unwrap_or(RawJson::EMPTY_OBJECT);
        (
            SessionEvent::from_index(&index, body.as_bytes()),
            SessionEvent::from_params(params).map(SessionEvent::with_ids),
        )
    }

    /// Asserts that the index answers for `body`, as the scan does.
    fn same(body: &str) -> Option<SessionEvent<'_>> {
        let (indexed, scanned) = both(body);
        let indexed = indexed.unwrap_or_else(|| panic!("the index did not answer: {body}"));
        assert_eq!(indexed, scanned, "{body}");
        if let (Some(a), Some(b)) = (indexed, scanned) {
            assert_eq!(a.event_type(), b.event_type(), "{body}");
            assert_eq!(a.data(), b.data(), "{body}");
            assert_eq!(a.id(), b.id(), "{body}");
            assert_eq!(a.agent_id(), b.agent_id(), "{body}");
        }
        indexed
    }

    #[test]
    fn the_index_reads_an_event_as_the_scan_does() {
        let event = same(
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s1","event":{"type":"assistant.message_delta","data":{"messageId":"m","deltaContent":"a\"b"},"ephemeral":true,"id":"e1","timestamp":"t","parentId":null,"agentId":"a\u0031"}}}"#,
        )
        .unwrap();
        assert!(event.session_id().unwrap() == "s1");
        assert!(event.is("assistant.message_delta"));
        assert!(event.id().unwrap() == "e1");
        assert!(event.agent_id().unwrap() == "a1");
        assert_eq!(
            event.data().text(),
            r#"{"messageId":"m","deltaContent":"a\"b"}"#
        );
    }

    #[test]
    fn the_index_agrees_on_odd_envelopes() {
        for body in [
            // Whitespace, members in another order, escaped keys, duplicated keys (the first
            // counts), params before the method.
            r#" { "params" : { "event" : { "data" : [1] , "type" : "x" } , "sessionId" : "s" } , "method" : "session.event" , "jsonrpc" : "2.0" } "#,
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"session\u0049d":"s","ev\u0065nt":{"t\u0079pe":"x","id":"1","id":"2"}}}"#,
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","sessionId":"t","event":{"type":"x"},"event":{"type":"y"}}}"#,
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"params":{},"event":{"type":"x","data":{"type":"inner","id":"no"}},"sessionId":"s"}}"#,
            // Not events: no params, no event, no type, a type that is not a string, no
            // session id, an event that is not an object.
            r#"{"jsonrpc":"2.0","method":"session.event"}"#,
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s"}}"#,
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"data":{}}}}"#,
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"type":7}}}"#,
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"event":{"type":"x"}}}"#,
        ] {
            same(body);
        }
    }

    #[test]
    fn past_its_capacity_the_index_leaves_the_event_to_the_scan() {
        // An event with 20 members: not all recorded, so no answer from the index.
        let mut body = std::string::String::from(
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":{"type":"x""#,
        );
        for k in 0..20 {
            body.push_str(&std::format!(",\"k{k}\":{k}"));
        }
        body.push_str(r#","id":"late"}}}"#);
        let (indexed, scanned) = both(&body);
        assert!(indexed.is_none());
        assert!(scanned.unwrap().id().unwrap() == "late");
        // An event whose params or event are not objects is not indexed either.
        for body in [
            r#"{"jsonrpc":"2.0","method":"session.event","params":[1]}"#,
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"s","event":"x"}}"#,
        ] {
            let (indexed, scanned) = both(body);
            assert!(indexed.is_none() && scanned.is_none(), "{body}");
        }
    }
}
