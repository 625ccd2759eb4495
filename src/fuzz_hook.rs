//! Not API (feature `fuzzing`, hidden): the internals the fuzz kit (`fuzz/kit`) checks against
//! its reference implementations. Nothing here is stable; it is the only door into the
//! crate's private parts, and a thin one: re-exports and one-line wrappers.
#![allow(missing_docs)]

use crate::RequestId;
use crate::json::{JsonError, JsonStr, RawJson};
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

/// Validates `data`, recording its members, and calls `f` with the verdict and, if the top
/// level is an object whose members were all recorded, the value that reads them from the
/// record (as the client's messages do).
pub fn recorded<R>(
    data: &[u8],
    max_depth: usize,
    f: impl FnOnce(Result<(), JsonError>, Option<RawJson<'_>>) -> R,
) -> R {
    let mut index = crate::json::index::MemberIndex::default();
    let result = crate::json::validate::validate_recording(data, max_depth, &mut index);
    let top = (result.is_ok() && index.root_whole()).then(|| index.top(data.trim_ascii()));
    f(result, top)
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
