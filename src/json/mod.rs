//! JSON without a heap and without recursion.
//!
//! - [`validate`]: a one-pass, non-recursive validator with a depth limit that accepts lone
//!   UTF-16 surrogate escapes (serde-json-core recurses without limit and rejects them).
//! - [`RawJson`]: a validated value, borrowed; members and elements are found on demand.
//! - [`JsonStr`]: a string still in its escaped wire form; compare it, print it, iterate its
//!   characters or unescape it into a caller buffer.
//!
//! Writing goes through serde-json-core (typed parameters) and a small internal writer
//! (envelopes, ids, escaped strings).

pub(crate) mod index;
pub(crate) mod number;
mod raw;
pub(crate) mod redact;
pub(crate) mod scan;
mod str;
mod utf8;
pub(crate) mod validate;
pub(crate) mod write;

pub use raw::{Elements, JsonType, Members, RawJson};
pub use str::{BufferTooSmall, Chars, JsonStr};
pub use validate::{JsonError, JsonErrorKind, MAX_DEPTH, validate};
