//! Not API (feature `fuzzing`, hidden): the internals the fuzz kit (`fuzz/kit`) checks against
//! its reference implementations. Nothing here is stable; it is the only door into the
//! crate's private parts, and a thin one: re-exports and one-line wrappers.
#![allow(missing_docs)]

use crate::RequestId;
use crate::json::{JsonError, JsonStr, RawJson};
use crate::proto::SessionEvent;
use crate::wire::Inbox;

pub use crate::wire::{
    BadMessage, Commit, Glance, HeaderScan, HeaderStatus, Intent, Item, Message, Peek, classify,
    valid_id,
};

/// A header scan before the first byte.
pub fn header_scan() -> HeaderScan {
    HeaderScan::NEW
}

/// Feeds everything received from the frame's first byte to a header scan.
pub fn header_advance(scan: &mut HeaderScan, data: &[u8]) -> HeaderStatus {
    scan.advance(data)
}

/// Makes the inbox's next item ready (reads a header, skips a frame too large to hold).
pub fn advance(inbox: &mut Inbox<'_>) {
    inbox.advance()
}

/// The inbox's next item, as the client takes it (after [`advance`]).
pub fn next_item<'i>(inbox: &'i Inbox<'_>) -> Item<'i> {
    inbox.next_item()
}

/// Consumes an item.
pub fn commit(commit: Commit<'_>) {
    commit.commit()
}

/// Spans of a top-level object's members: `(key_start, key_end, value_start, value_end)`.
pub type Spans = heapless::Vec<(u32, u32, u32, u32), 16>;

/// Validates `data` and returns the top-level member spans recorded on the way (`None`: more
/// members than are recorded, or not an object).
pub fn top_members(data: &[u8], max_depth: usize) -> (Result<(), JsonError>, Option<Spans>) {
    let mut index = crate::json::index::MemberIndex::default();
    let result = crate::json::validate::validate_recording(data, max_depth, &mut index);
    let spans = index.root_whole().then(|| {
        let offset = |s: &[u8]| s.as_ptr() as usize - data.as_ptr() as usize;
        index
            .walk(data)
            .filter(|m| m.level() == 1)
            .filter_map(|m| Some((m.key().raw_bytes(), m.value()?.as_bytes())))
            .map(|(key, value)| {
                let (k, v) = (offset(key), offset(value));
                (
                    k as u32,
                    (k + key.len()) as u32,
                    v as u32,
                    (v + value.len()) as u32,
                )
            })
            .collect()
    });
    (result, spans)
}

/// A `session.event` body read both ways: through the member index its validation recorded
/// (`None` if the index cannot answer) and by scanning its `params` (with the ids read).
/// `None` if the body is not a valid `session.event` notification.
#[allow(clippy::type_complexity)]
pub fn session_event_both(
    data: &[u8],
) -> Option<(Option<Option<SessionEvent<'_>>>, Option<SessionEvent<'_>>)> {
    let mut index = crate::json::index::MemberIndex::default();
    let Ok(Message::Notification { method, params }) =
        crate::wire::classify_indexed(data, crate::json::MAX_DEPTH, &mut index)
    else {
        return None;
    };
    if method != "session.event" {
        return None;
    }
    let indexed = SessionEvent::from_index(&index, data);
    let scanned = SessionEvent::from_params(params.unwrap_or(RawJson::EMPTY_OBJECT));
    Some((indexed, scanned.map(SessionEvent::with_ids)))
}

/// Wraps bytes as JSON without validating them (the scanner must survive anything).
pub fn unvalidated_json(text: &[u8]) -> RawJson<'_> {
    RawJson::trusted(text)
}

/// Wraps bytes as string content without validating them.
pub fn unvalidated_str(text: &[u8], escaped: bool) -> JsonStr<'_> {
    JsonStr::from_raw(text, escaped)
}

/// The id of the request the client sent with JSON-RPC id `n`.
pub fn request_id(n: u32) -> RequestId {
    RequestId(n)
}
