//! [`Glance`]: what the client needs from a frame it cannot read whole (too large to hold, or
//! not valid JSON, or nested too deep), found by following its bytes once as they stream by,
//! keeping none of them but a few small values.
//!
//! It reads the top level of an object: the members `id` and `method`, whether `result` or
//! `error` is there, and for a `session.event` the `params.sessionId` and
//! `params.event.type`, wherever they are in the frame. The first occurrence of a key counts, as
//! with [`RawJson::get`](crate::json::RawJson::get); keys written with escapes are not
//! recognised. Nothing is validated on the way: the values are checked when asked for, and the
//! scan never fails, loops or panics, whatever the bytes.
//!
//! Written here, not taken from a crate: it must run incrementally over bytes it does not keep,
//! in fixed memory, and tolerate any input; the streaming JSON parsers that exist either
//! allocate, recurse or stop at the first error.

use crate::json::{JsonStr, RawJson, validate};

/// The longest `id` kept, in bytes of JSON text (the client's limit for ids it echoes).
const ID_LEN: usize = 40;
/// The longest `method` kept, in bytes (longer ones are cut at a character or escape).
const METHOD_LEN: usize = 48;
/// The longest `params.sessionId` kept, in bytes.
const SESSION_LEN: usize = 72;
/// The longest `params.event.type` kept, in bytes.
const TYPE_LEN: usize = 48;
/// The longest key recognised.
const KEY_LEN: usize = 10;

/// A member whose value the glance keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    None,
    Id,
    Method,
    SessionId,
    Type,
}

/// The key of the member being read at one depth, as far as the glance cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Other,
    Params,
    Event,
}

/// One kept value: its first bytes, and where it starts in the body.
#[derive(Debug, Clone, Copy)]
struct Kept<const N: usize> {
    bytes: [u8; N],
    len: u8,
    /// Offset of its first byte in the body.
    start: u64,
    /// Its key was seen (later occurrences are not kept).
    seen: bool,
    /// It ended (a closing quote, or the end of a scalar).
    ended: bool,
    /// Longer than `N` bytes.
    overflow: bool,
}

/// What the glance does to any kept value.
trait Keep {
    fn push(&mut self, c: u8, at: u64);
    fn end(&mut self);
    fn started(&self) -> bool;
}

impl<const N: usize> Keep for Kept<N> {
    fn push(&mut self, c: u8, at: u64) {
        if self.len == 0 {
            self.start = at;
        }
        match self.bytes.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = c;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    fn end(&mut self) {
        self.ended = true;
    }

    fn started(&self) -> bool {
        self.len > 0
    }
}

impl<const N: usize> Kept<N> {
    const EMPTY: Self = Kept {
        bytes: [0; N],
        len: 0,
        start: 0,
        seen: false,
        ended: false,
        overflow: false,
    };

    fn text(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The same bytes in `body`, the whole body this glance was fed.
    fn text_in<'b>(&self, body: &'b [u8]) -> &'b [u8] {
        let start = usize::try_from(self.start).unwrap_or(usize::MAX);
        body.get(start..start.saturating_add(usize::from(self.len)))
            .unwrap_or(&[])
    }

    fn whole(&self) -> bool {
        self.ended && !self.overflow
    }

    fn found<'b>(&self, text: &'b [u8]) -> Found<'b> {
        Found {
            text,
            seen: self.seen,
            whole: self.whole(),
            #[cfg(any(test, feature = "fuzzing"))]
            overflow: self.overflow,
        }
    }
}

/// A kept value as text, from the glance's copy or from the body itself.
#[derive(Debug, Clone, Copy)]
struct Found<'b> {
    text: &'b [u8],
    seen: bool,
    whole: bool,
    /// For the fuzz kit's oracle.
    #[cfg(any(test, feature = "fuzzing"))]
    overflow: bool,
}

/// The scan of one frame body, fed in pieces (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct Glance {
    /// Bytes fed so far.
    offset: u64,
    /// Nesting depth of the byte about to be read (0: outside the top-level value).
    depth: u32,
    /// For depths 1 to 3, whether the container is an object.
    objects: [bool; 3],
    /// For depths 1 to 3, the key of the member being read.
    keys: [Key; 3],
    /// A non-whitespace byte was read.
    started: bool,
    top_is_object: bool,
    in_string: bool,
    /// Inside a string, after a backslash.
    escape: bool,
    /// The string being read is a key.
    in_key: bool,
    /// In an object, a key comes next.
    want_key: bool,
    key: Kept<KEY_LEN>,
    /// A key's closing quote was read, and not yet its colon (an empty key is a key too).
    key_read: bool,
    /// The value being kept.
    target: Target,
    response: bool,
    /// A top-level `params` member was seen (later ones are not followed).
    params_seen: bool,
    /// A `params.event` member was seen.
    event_seen: bool,
    id: Kept<ID_LEN>,
    method: Kept<METHOD_LEN>,
    session_id: Kept<SESSION_LEN>,
    event_type: Kept<TYPE_LEN>,
}

impl Default for Glance {
    fn default() -> Self {
        Glance::NEW
    }
}

impl Glance {
    /// Before the first byte.
    pub const NEW: Glance = Glance {
        offset: 0,
        depth: 0,
        objects: [false; 3],
        keys: [Key::Other; 3],
        started: false,
        top_is_object: false,
        in_string: false,
        escape: false,
        in_key: false,
        want_key: false,
        key: Kept::EMPTY,
        key_read: false,
        target: Target::None,
        response: false,
        params_seen: false,
        event_seen: false,
        id: Kept::EMPTY,
        method: Kept::EMPTY,
        session_id: Kept::EMPTY,
        event_type: Kept::EMPTY,
    };

    /// The glance of a whole body.
    pub fn of(body: &[u8]) -> Glance {
        let mut g = Glance::NEW;
        g.feed(body);
        g
    }

    /// Follows `bytes`, the next part of the body.
    pub fn feed(&mut self, bytes: &[u8]) {
        for &c in bytes {
            if self.in_string {
                self.string_byte(c);
            } else {
                self.structure_byte(c);
            }
            self.offset = self.offset.saturating_add(1);
        }
    }

    /// The value being kept, if any.
    fn kept(&mut self) -> Option<&mut dyn Keep> {
        match self.target {
            Target::None => None,
            Target::Id => Some(&mut self.id),
            Target::Method => Some(&mut self.method),
            Target::SessionId => Some(&mut self.session_id),
            Target::Type => Some(&mut self.event_type),
        }
    }

    fn keep(&mut self, c: u8) {
        let at = self.offset;
        if let Some(k) = self.kept() {
            k.push(c, at);
        }
    }

    /// The value being kept ended here.
    fn end_value(&mut self) {
        if let Some(k) = self.kept() {
            k.end();
        }
        self.target = Target::None;
    }

    fn in_object(&self) -> bool {
        let d = self.depth as usize;
        d > 0 && self.objects.get(d - 1).copied().unwrap_or(false)
    }

    /// The key at depth `d` (1-based), if tracked.
    fn key_at(&self, d: u32) -> Key {
        let d = d as usize;
        if d == 0 {
            return Key::Other;
        }
        self.keys.get(d - 1).copied().unwrap_or(Key::Other)
    }

    /// The key just read ends at `:`: the member's role, and what to keep of its value.
    fn end_key(&mut self) {
        let d = self.depth;
        let (parent, grandparent) = (
            self.key_at(d.saturating_sub(1)),
            self.key_at(d.saturating_sub(2)),
        );
        let (role, target) = match (d, self.key.text()) {
            (1, b"id") => (Key::Other, Target::Id),
            (1, b"method") => (Key::Other, Target::Method),
            // The first `params` counts (as `RawJson::get` has it), whatever its value.
            (1, b"params") if !self.params_seen => {
                self.params_seen = true;
                (Key::Params, Target::None)
            }
            (1, b"result" | b"error") => {
                self.response = true;
                (Key::Other, Target::None)
            }
            (2, b"sessionId") if parent == Key::Params => (Key::Other, Target::SessionId),
            (2, b"event") if parent == Key::Params && !self.event_seen => {
                self.event_seen = true;
                (Key::Event, Target::None)
            }
            (3, b"type") if parent == Key::Event && grandparent == Key::Params => {
                (Key::Other, Target::Type)
            }
            _ => (Key::Other, Target::None),
        };
        if let Some(k) = (d as usize)
            .checked_sub(1)
            .and_then(|i| self.keys.get_mut(i))
        {
            *k = role;
        }
        // The first occurrence counts.
        let seen = match target {
            Target::None => None,
            Target::Id => Some(&mut self.id.seen),
            Target::Method => Some(&mut self.method.seen),
            Target::SessionId => Some(&mut self.session_id.seen),
            Target::Type => Some(&mut self.event_type.seen),
        };
        self.target = match seen {
            Some(seen) if !*seen => {
                *seen = true;
                target
            }
            _ => Target::None,
        };
    }

    fn string_byte(&mut self, c: u8) {
        let closing = c == b'"' && !self.escape;
        self.escape = !self.escape && c == b'\\';
        if self.in_key {
            if closing {
                self.in_key = false;
                self.in_string = false;
                self.key_read = true;
            } else {
                self.key.push(c, 0);
            }
            return;
        }
        self.keep(c);
        if closing {
            self.in_string = false;
            self.end_value();
        }
    }

    fn structure_byte(&mut self, c: u8) {
        let first = !self.started && !matches!(c, b' ' | b'\t' | b'\n' | b'\r');
        if first {
            self.started = true;
            self.top_is_object = c == b'{';
        }
        match c {
            b'"' => {
                // No scalar holds a quote either: a scalar being kept ended before it.
                if self.kept().is_some_and(|k| k.started()) {
                    self.end_value();
                }
                self.in_string = true;
                self.escape = false;
                if self.want_key && self.in_object() {
                    self.in_key = true;
                    self.want_key = false;
                    self.key = Kept::EMPTY;
                    self.key_read = false;
                } else {
                    self.keep(c);
                }
            }
            b'{' | b'[' => {
                // A container where a kept value was expected: not a value the glance keeps.
                self.target = Target::None;
                self.depth = self.depth.saturating_add(1);
                let d = self.depth as usize;
                if let Some(o) = self.objects.get_mut(d - 1) {
                    *o = c == b'{';
                }
                if let Some(k) = self.keys.get_mut(d - 1) {
                    *k = Key::Other;
                }
                self.want_key = c == b'{';
            }
            b'}' | b']' => {
                self.end_value();
                self.depth = self.depth.saturating_sub(1);
                self.want_key = false;
            }
            b':' => {
                if self.kept().is_some_and(|k| k.started()) {
                    // No scalar holds a colon: the one being kept ended before it (else its
                    // copy would join the bytes on both sides, unlike the body).
                    self.end_value();
                } else if self.in_object() && self.target == Target::None && self.key_read {
                    self.end_key();
                    self.key = Kept::EMPTY;
                    self.key_read = false;
                }
            }
            b',' => {
                self.end_value();
                self.want_key = self.in_object();
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                // Whitespace ends a scalar being kept, not the wait for one to start.
                if self.kept().is_some_and(|k| k.started()) {
                    self.end_value();
                }
            }
            _ => self.keep(c),
        }
    }

    /// What was found, from the glance's own copies (for a body that streamed by).
    pub fn peek(&self) -> Peek<'_> {
        Peek {
            #[cfg(any(test, feature = "fuzzing"))]
            object: self.top_is_object,
            response: self.response,
            id: self.id.found(self.id.text()),
            method: self.method.found(self.method.text()),
            session_id: self.session_id.found(self.session_id.text()),
            event_type: self.event_type.found(self.event_type.text()),
        }
    }

    /// What was found, borrowed from `body`, the whole body this glance was fed.
    pub fn peek_in<'b>(&self, body: &'b [u8]) -> Peek<'b> {
        Peek {
            #[cfg(any(test, feature = "fuzzing"))]
            object: self.top_is_object,
            response: self.response,
            id: self.id.found(self.id.text_in(body)),
            method: self.method.found(self.method.text_in(body)),
            session_id: self.session_id.found(self.session_id.text_in(body)),
            event_type: self.event_type.found(self.event_type.text_in(body)),
        }
    }
}

/// What a [`Glance`] found in a frame.
#[derive(Debug, Clone, Copy)]
pub struct Peek<'b> {
    /// For the fuzz kit's oracle.
    #[cfg(any(test, feature = "fuzzing"))]
    object: bool,
    response: bool,
    id: Found<'b>,
    method: Found<'b>,
    session_id: Found<'b>,
    event_type: Found<'b>,
}

impl<'b> Peek<'b> {
    /// The body's top level is an object (for the fuzz kit's oracle).
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn is_object(&self) -> bool {
        self.object
    }

    /// True if the top level has an `id` member, whatever its value.
    pub fn has_id(&self) -> bool {
        self.id.seen
    }

    /// True if the top level has a `method` member, whatever its value.
    pub fn has_method(&self) -> bool {
        self.method.seen
    }

    /// The top-level `id`, if it is a number, a string or null, whole and valid.
    pub fn id(&self) -> Option<RawJson<'b>> {
        if !self.id.whole {
            return None;
        }
        let id = RawJson::from_bytes(self.id.text).ok()?;
        crate::wire::message::valid_id(&id).then_some(id)
    }

    /// True if the top-level `id` is longer than the client keeps (for the fuzz kit's
    /// oracle).
    #[cfg(any(test, feature = "fuzzing"))]
    pub fn id_too_long(&self) -> bool {
        self.id.seen && self.id.overflow
    }

    /// The top-level `method`, if it is a string (cut if long).
    pub fn method(&self) -> Option<JsonStr<'b>> {
        string(self.method)
    }

    /// True if the top level has `result` or `error`.
    pub fn is_response(&self) -> bool {
        self.response
    }

    /// `params.sessionId`, if whole.
    pub fn session_id(&self) -> Option<JsonStr<'b>> {
        string(self.session_id).filter(|_| self.session_id.whole)
    }

    /// `params.event.type`, if whole.
    pub fn event_type(&self) -> Option<JsonStr<'b>> {
        string(self.event_type).filter(|_| self.event_type.whole)
    }
}

/// A kept string value (its opening quote, and its closing one if whole) as text: the part up
/// to the cut, at a whole character or escape, if it is valid string content.
fn string(found: Found<'_>) -> Option<JsonStr<'_>> {
    let inner = found.text.strip_prefix(b"\"")?;
    let inner = match (found.whole, inner.strip_suffix(b"\"")) {
        (true, Some(inner)) => inner,
        (true, None) => return None,
        (false, _) => cut_whole(inner),
    };
    // The bytes were never validated: check them as the content of a JSON string (they are
    // never longer than the longest kept value).
    let mut quoted = [b'"'; 2 + SESSION_LEN];
    let dst = quoted.get_mut(..inner.len() + 2)?;
    dst.get_mut(1..inner.len() + 1)?.copy_from_slice(inner);
    validate(dst, 1).ok()?;
    Some(JsonStr::from_raw(inner, inner.contains(&b'\\')))
}

/// The longest start of escaped string content that ends between whole characters and whole
/// escapes.
fn cut_whole(raw: &[u8]) -> &[u8] {
    let mut cut = 0;
    while let Some(&c) = raw.get(cut) {
        let width = match c {
            b'\\' if raw.get(cut + 1) == Some(&b'u') => 6,
            b'\\' => 2,
            0xf0.. => 4,
            0xe0.. => 3,
            0xc0.. => 2,
            _ => 1,
        };
        if cut + width > raw.len() {
            break;
        }
        cut += width;
    }
    raw.get(..cut).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    fn fed_in_pieces(body: &[u8], piece: usize) -> Glance {
        let mut g = Glance::NEW;
        for chunk in body.chunks(piece.max(1)) {
            g.feed(chunk);
        }
        g
    }

    #[test]
    fn finds_the_members_wherever_they_are() {
        let big = "x".repeat(5000);
        let body = format!(
            r#" {{ "jsonrpc":"2.0","params":{{"event":{{"data":{{"type":"no","content":"{big}"}},"type":"assistant.message"}},"sessionId":"s-1","type":"not this"}},"method":"session.event","id" : 42 }}"#
        );
        for piece in [1, 3, 7, 64, 100_000] {
            let g = fed_in_pieces(body.as_bytes(), piece);
            let in_body = g.peek_in(body.as_bytes());
            assert_eq!(in_body.id().map(|i| i.text()), Some("42"));
            assert!(
                in_body
                    .event_type()
                    .is_some_and(|t| t == "assistant.message")
            );
            let g = g.peek();
            assert!(g.is_object());
            assert_eq!(g.id().map(|i| i.text()), Some("42"), "piece {piece}");
            assert!(g.method().is_some_and(|m| m == "session.event"));
            assert!(g.session_id().is_some_and(|s| s == "s-1"));
            assert!(g.event_type().is_some_and(|t| t == "assistant.message"));
            assert!(!g.is_response());
        }
    }

    #[test]
    fn the_first_params_and_event_count() {
        let body = br#"{"method":"session.event","params":"x","params":{"sessionId":"s","event":{"type":"t"}}}"#;
        let g = Glance::of(body);
        assert!(g.peek().session_id().is_none() && g.peek().event_type().is_none());
        let body = br#"{"params":{"event":1,"event":{"type":"t"},"sessionId":"s"}}"#;
        let g = Glance::of(body);
        assert!(g.peek().event_type().is_none());
        assert!(g.peek().session_id().is_some_and(|s| s == "s"));
    }

    #[test]
    fn an_empty_key_ends_the_member_before() {
        // The fuzzer's: `""` is a key like any other, so its object is not `params`.
        let body =
            br#"{"jsonrpc":"2.0","method":"sessionFs.stat","params":false,"":{"sessionId":"a"}}"#;
        for piece in [1, 7, 64] {
            let g = fed_in_pieces(body, piece);
            assert!(g.peek().session_id().is_none(), "piece {piece}");
            assert!(g.peek().method().is_some_and(|m| m == "sessionFs.stat"));
        }
        let body = br#"{"params":{"":1,"sessionId":"s"}}"#;
        assert!(
            Glance::of(body)
                .peek()
                .session_id()
                .is_some_and(|s| s == "s")
        );
    }

    #[test]
    fn responses_ids_and_their_limits() {
        let body = format!(
            r#"{{"result":{{"events":["{}"]}},"id":"abc\"d","jsonrpc":"2.0"}}"#,
            "y".repeat(300)
        );
        let g = Glance::of(body.as_bytes());
        let g = g.peek();
        assert!(g.is_response());
        assert_eq!(g.id().map(|i| i.text()), Some(r#""abc\"d""#));
        assert!(g.method().is_none());
        let long = format!(r#"{{"id":"{}","method":"m"}}"#, "9".repeat(60));
        let g = Glance::of(long.as_bytes());
        assert!(g.peek().id().is_none() && g.peek().id_too_long());
        let object_id = Glance::of(br#"{"id":{"a":1},"method":"m"}"#);
        let object_id = object_id.peek();
        assert!(object_id.id().is_none() && !object_id.id_too_long() && object_id.has_id());
        // The first occurrence counts.
        let twice = Glance::of(br#"{"id":1,"id":2,"method":"a","method":"b"}"#);
        let twice = twice.peek();
        assert_eq!(twice.id().map(|i| i.text()), Some("1"));
        assert!(twice.method().is_some_and(|m| m == "a"));
    }

    #[test]
    fn a_kept_number_ends_where_a_string_starts() {
        // Garbage (the fuzzer's): the id's copy is `5`, as in the body, not `5` and `0` joined
        // across the string between them.
        let body = br#"{"id",:5"rod"0,-8 ss"#;
        for piece in [1, 7, 64] {
            let g = fed_in_pieces(body, piece);
            let (copy, in_body) = (g.peek(), g.peek_in(body));
            assert_eq!(copy.id().map(|i| i.text()), Some("5"), "piece {piece}");
            assert_eq!(in_body.id().map(|i| i.text()), Some("5"), "piece {piece}");
        }
    }

    #[test]
    fn long_methods_are_cut_between_escapes() {
        let method = format!("{}\\\\\\\\ab", "m".repeat(44));
        let body = format!(r#"{{"method":"{method}","id":1}}"#);
        let g = Glance::of(body.as_bytes());
        let m = g.peek().method().unwrap();
        assert!(m.raw().len() <= METHOD_LEN);
        assert!(
            !m.raw().ends_with('\\') || m.raw().ends_with("\\\\"),
            "{}",
            m.raw()
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        for body in [
            &b""[..],
            b"}}}]]]",
            b"{\"id\":",
            b"{\"id\":\"\\",
            b"[{\"id\":1}]",
            b"\"id\":1",
            b"{:::,,,\"\":\"\"}",
            &[0xff; 300],
        ] {
            let g = fed_in_pieces(body, 2);
            for p in [g.peek(), g.peek_in(body)] {
                let _ = (p.id(), p.method(), p.session_id(), p.event_type());
            }
        }
        let deep = [b'{'; 100_000];
        let g = Glance::of(&deep);
        assert!(g.peek().id().is_none());
    }
}
