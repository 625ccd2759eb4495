//! [`RawJson`]: one validated JSON value, borrowed.

use core::fmt;

use super::index::{MemberIndex, NONE, RecordedMembers};
use super::redact;
use super::scan::{self, Cursor};
use super::str::JsonStr;
use super::validate::{self, JsonError, MAX_DEPTH};

/// The type of a JSON value, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum JsonType {
    /// `{...}`
    Object,
    /// `[...]`
    Array,
    /// `"..."`
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// One JSON value, validated, borrowed from the frame (or from the caller's text).
///
/// Members and elements are found by scanning on demand; nothing is decoded until asked. The
/// text is always valid UTF-8 and valid JSON. With serde-json-core, a `RawJson` serializes as
/// itself, so it can be embedded verbatim in typed parameters.
///
/// An object or array found by [`get`](Self::get) is not scanned to its end until its text is
/// asked for ([`text`](Self::text)): looking up `params.event.data` reads only what comes
/// before each key.
///
/// An object of a message the client received knows where its members are, if its
/// validation recorded them all (the envelope, `params`, a session event and its data): its
/// lookups read them from that record instead of scanning the text.
///
/// `Debug` prints the text with the values of members that hold secrets (a `token`, an
/// `apiKey`, ...), at any depth, replaced by `<redacted>`; `Display` prints it as it is.
#[derive(Clone, Copy)]
pub struct RawJson<'a> {
    /// The value's bytes (validated JSON, so UTF-8); if [`Form::Open`], the value followed by
    /// the rest of its parent.
    text: &'a [u8],
    /// The record of the object's members, if they are all in one: in `index`, those of the
    /// object held by member number `holder` (see [`MemberIndex::members_of`]).
    index: Option<&'a MemberIndex>,
    holder: u8,
    form: Form,
}

/// What is already known about a value's text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Exactly the value.
    Exact,
    /// An object or array followed by more text.
    Open,
    /// Exactly a string, known to have no escapes.
    Plain,
    /// Exactly a string, known to have escapes.
    Escaped,
}

const WS: [char; 4] = [' ', '\t', '\n', '\r'];

impl<'a> RawJson<'a> {
    /// Validates `text` as one JSON value (whitespace around it is dropped).
    pub fn parse(text: &'a str) -> Result<Self, JsonError> {
        validate::validate(text.as_bytes(), MAX_DEPTH)?;
        Ok(Self::trusted(text.trim_matches(WS).as_bytes()))
    }

    /// Validates `bytes` (UTF-8) as one JSON value.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, JsonError> {
        validate::validate(bytes, MAX_DEPTH)?;
        Ok(Self::trusted(bytes.trim_ascii()))
    }

    /// Wraps bytes already known to be one valid JSON value without surrounding whitespace.
    pub(crate) const fn trusted(text: &'a [u8]) -> Self {
        Self::with_form(text, Form::Exact)
    }

    const fn with_form(text: &'a [u8], form: Form) -> Self {
        RawJson {
            text,
            index: None,
            holder: NONE,
            form,
        }
    }

    /// Wraps validated bytes that start with an object or array, followed by anything.
    fn open(text: &'a [u8]) -> Self {
        Self::with_form(text, Form::Open)
    }

    /// Wraps a validated string, quotes included, whose escapes were seen while skipping it.
    pub(super) fn string(text: &'a [u8], escaped: bool) -> Self {
        Self::with_form(text, if escaped { Form::Escaped } else { Form::Plain })
    }

    /// Wraps exactly a validated object whose members are all recorded in `index`: those of
    /// the object member number `holder` holds.
    pub(super) fn recorded(text: &'a [u8], index: &'a MemberIndex, holder: u8) -> Self {
        RawJson {
            index: Some(index),
            holder,
            ..Self::trusted(text)
        }
    }

    /// The empty object `{}`.
    pub const EMPTY_OBJECT: RawJson<'static> = RawJson::trusted(b"{}");

    /// `null`.
    pub const NULL: RawJson<'static> = RawJson::trusted(b"null");

    /// The JSON text.
    pub fn text(&self) -> &'a str {
        // Validated, so UTF-8 (were it not, the text would read as empty).
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The JSON text as bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        if self.form != Form::Open {
            return self.text;
        }
        let end = scan::skip_value(self.text, 0).unwrap_or(self.text.len());
        self.text.get(..end).unwrap_or(self.text)
    }

    /// True if this is an object (known from its first byte, without scanning it).
    pub fn is_object(&self) -> bool {
        self.text.first() == Some(&b'{')
    }

    /// The value's type.
    pub fn json_type(&self) -> JsonType {
        match self.text.first() {
            Some(b'{') => JsonType::Object,
            Some(b'[') => JsonType::Array,
            Some(b'"') => JsonType::String,
            Some(b't' | b'f') => JsonType::Bool,
            Some(b'n') => JsonType::Null,
            _ => JsonType::Number,
        }
    }

    /// The member `key` of an object (`None` if absent or not an object). Keys with escapes
    /// are compared decoded.
    pub fn get(&self, key: &str) -> Option<RawJson<'a>> {
        let mut found = [None];
        self.get_each(&[key], &mut found);
        let [value] = found;
        value
    }

    /// The members named in `keys`, into `found` (same order; the first occurrence of a key
    /// counts, as with [`get`](Self::get)), in one pass that stops once all are found. One copy
    /// of this loop serves routing and every typed view.
    #[inline]
    pub(crate) fn get_each(&self, keys: &[&str], found: &mut [Option<RawJson<'a>>]) {
        let mut missing = keys.len().min(found.len());
        if missing == 0 {
            return;
        }
        if let Some(index) = self.index {
            return index
                .members_of(self.holder, self.text)
                .find_each(keys, found, missing);
        }
        for (key, value) in self.members() {
            let place = keys
                .iter()
                .zip(found.iter_mut())
                .find(|(k, place)| place.is_none() && key == **k);
            if let Some((_, place)) = place {
                *place = Some(value);
                missing -= 1;
                if missing == 0 {
                    return;
                }
            }
        }
    }

    /// The string member `key`, if present and a string.
    pub fn get_str(&self, key: &str) -> Option<JsonStr<'a>> {
        self.get(key).and_then(|v| v.as_string())
    }

    /// True if its members are read from the record of a validation.
    #[cfg(test)]
    pub(crate) fn is_recorded(&self) -> bool {
        self.index.is_some()
    }

    /// The members of an object, in order (empty if not an object).
    #[inline]
    pub fn members(&self) -> Members<'a> {
        Members(match self.index {
            Some(index) => Walk::Recorded(index.members_of(self.holder, self.text)),
            None => Walk::Scan(Scan::new(self.text)),
        })
    }

    /// The elements of an array, in order (empty if not an array).
    pub fn elements(&self) -> Elements<'a> {
        Elements {
            text: self.text,
            cursor: Cursor::new(self.text, 0, b'['),
        }
    }

    /// The string, still escaped, if this is a string.
    pub fn as_string(&self) -> Option<JsonStr<'a>> {
        let (end, escaped) = match self.form {
            Form::Plain => (self.text.len(), false),
            Form::Escaped => (self.text.len(), true),
            _ => scan::skip_string(self.text, 0)?,
        };
        let inner = self.text.get(1..end.checked_sub(1)?)?;
        Some(JsonStr::from_raw(inner, escaped))
    }

    /// The number, if its value is an integer that fits in `u64`, however it is written:
    /// `1`, `1.0`, `1e3`, `1.5e1`, `100e-2` and `-0.0` all read as integers (the CLI writes
    /// some integers as floats). A fraction, a value out of range or a value that is not a
    /// number reads as `None`. Every typed view reads its integer fields this way.
    pub fn as_u64(&self) -> Option<u64> {
        super::number::to_u64(self.number()?.as_bytes())
    }

    /// The number, if its value is an integer that fits in `i64`, however it is written (see
    /// [`as_u64`](Self::as_u64)).
    pub fn as_i64(&self) -> Option<i64> {
        super::number::to_i64(self.number()?.as_bytes())
    }

    /// The number as `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        self.number()?.parse().ok()
    }

    fn number(&self) -> Option<&'a str> {
        match self.json_type() {
            JsonType::Number => core::str::from_utf8(self.text).ok(),
            _ => None,
        }
    }

    /// The boolean, if this is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.text {
            b"true" => Some(true),
            b"false" => Some(false),
            _ => None,
        }
    }

    /// True if this is `null`.
    pub fn is_null(&self) -> bool {
        self.text == b"null"
    }
}

impl PartialEq for RawJson<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for RawJson<'_> {}

impl fmt::Display for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// The JSON text, with the values of members that hold secrets (`token`, `*Token`, `*apiKey*`,
/// `*secret*`, `*password*`, `*cookie*`, `authorization`, `hmac`, `*headers`), at any depth,
/// replaced by `<redacted>`. [`Display`](fmt::Display) and [`text`](Self::text) give the text
/// as it is.
impl fmt::Debug for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redact::redact(self.text(), &[], &mut |piece| f.write_str(piece)).map(|_| ())
    }
}

/// The JSON text, or `{ <redacted> }` if it holds a secret (as under `Debug`).
#[cfg(feature = "defmt")]
impl defmt::Format for RawJson<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        if redact::has_secret(self.text(), &[]) {
            defmt::write!(f, "{{ <redacted> }}")
        } else {
            defmt::write!(f, "{=str}", self.text())
        }
    }
}

impl serde::Serialize for RawJson<'_> {
    /// Emits the JSON text verbatim. This relies on serde-json-core writing `serialize_bytes`
    /// unchanged, which is what this crate serializes with; other serializers would write a
    /// byte array instead.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.as_bytes())
    }
}

/// Iterator over the members of an object: `(key, value)`.
#[derive(Debug, Clone)]
pub struct Members<'a>(Walk<'a>);

/// How the members are found.
#[derive(Debug, Clone)]
enum Walk<'a> {
    /// By scanning the text.
    Scan(Scan<'a>),
    /// In the record of the object's members.
    Recorded(RecordedMembers<'a>),
}

/// A scan of an object's members.
#[derive(Debug, Clone)]
struct Scan<'a> {
    text: &'a [u8],
    /// Where to go on from: just inside the `{`, after a value, or at an object or array
    /// value not skipped yet.
    at: usize,
    state: Step,
}

/// Where a [`Scan`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Start,
    AfterValue,
    /// At an object or array handed out open-ended: skipped only if the iteration goes on.
    AtContainer,
    Done,
}

impl<'a> Scan<'a> {
    fn new(text: &'a [u8]) -> Self {
        let state = match text.first() {
            Some(b'{') => Step::Start,
            _ => Step::Done,
        };
        Scan { text, at: 1, state }
    }

    fn step(&mut self) -> Option<(JsonStr<'a>, RawJson<'a>)> {
        let b = self.text;
        let mut i = match self.state {
            Step::Done => return None,
            Step::AtContainer => scan::skip_value(b, self.at)?,
            Step::Start | Step::AfterValue => self.at,
        };
        i = scan::ws(b, i);
        match (self.state, b.get(i)) {
            (Step::Start, Some(b'"')) => {}
            (Step::AfterValue | Step::AtContainer, Some(b',')) => i = scan::ws(b, i + 1),
            _ => return None,
        }
        let (key_end, key_escaped) = scan::skip_string(b, i)?;
        let key = JsonStr::from_raw(b.get(i + 1..key_end - 1)?, key_escaped);
        let colon = scan::ws(b, key_end);
        if b.get(colon) != Some(&b':') {
            return None;
        }
        let v = scan::ws(b, colon + 1);
        let (value, end) = match b.get(v)? {
            b'{' | b'[' => (RawJson::open(b.get(v..)?), None),
            b'"' => {
                let (end, escaped) = scan::skip_string(b, v)?;
                (RawJson::string(b.get(v..end)?, escaped), Some(end))
            }
            _ => {
                let end = scan::skip_value(b, v)?;
                (RawJson::trusted(b.get(v..end)?), Some(end))
            }
        };
        (self.at, self.state) = match end {
            Some(end) => (end, Step::AfterValue),
            None => (v, Step::AtContainer),
        };
        Some((key, value))
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = (JsonStr<'a>, RawJson<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            Walk::Recorded(recorded) => recorded.next(),
            Walk::Scan(scan) => {
                let member = scan.step();
                if member.is_none() {
                    scan.state = Step::Done;
                }
                member
            }
        }
    }
}

/// Iterator over the elements of an array.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    text: &'a [u8],
    cursor: Cursor<'a>,
}

impl<'a> Iterator for Elements<'a> {
    type Item = RawJson<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (start, end) = self.cursor.next_element()?;
        self.text.get(start..end).map(RawJson::trusted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigates_objects_and_arrays() {
        let v = RawJson::parse(
            r#" {"a":1,"b\u0020c":{"d":[true,null,"x\"y"]},"e":-7,"f":1.5,"g":"plain"} "#,
        )
        .unwrap();
        assert_eq!(v.json_type(), JsonType::Object);
        assert_eq!(v.get("a").and_then(|a| a.as_u64()), Some(1));
        assert_eq!(v.get("e").and_then(|a| a.as_i64()), Some(-7));
        assert_eq!(v.get("e").and_then(|a| a.as_u64()), None);
        assert_eq!(v.get("f").and_then(|a| a.as_f64()), Some(1.5));
        assert_eq!(v.get_str("g").and_then(|s| s.as_plain()), Some("plain"));
        let d = v.get("b c").and_then(|bc| bc.get("d")).unwrap();
        let items: heapless::Vec<RawJson, 4> = d.elements().collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].as_bool(), Some(true));
        assert!(items[1].is_null());
        assert!(items[2].as_string().unwrap().eq_str("x\"y"));
        assert!(v.get("missing").is_none());
        assert_eq!(v.members().count(), 5);
        assert!(d.get("a").is_none());
        assert_eq!(v.elements().count(), 0);
        // A container found by `get` knows its exact text when asked.
        assert_eq!(v.get("b c").unwrap().text(), r#"{"d":[true,null,"x\"y"]}"#);
        assert_eq!(d.text(), r#"[true,null,"x\"y"]"#);
        assert_eq!(d, RawJson::parse(r#"[true,null,"x\"y"]"#).unwrap());
    }

    #[test]
    fn serializes_verbatim_with_serde_json_core() {
        #[derive(serde::Serialize)]
        struct P<'a> {
            name: &'a str,
            schema: RawJson<'a>,
        }
        let schema = RawJson::parse(r#"{"type":"object","required":["x"]}"#).unwrap();
        let mut buf = [0u8; 128];
        let n = serde_json_core::to_slice(&P { name: "t", schema }, &mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            br#"{"name":"t","schema":{"type":"object","required":["x"]}}"#
        );
    }
}
