//! [`RawJson`]: one validated JSON value, borrowed.

use core::fmt;

use super::scan::{self, Cursor};
use super::str::JsonStr;
use super::validate::{self, JsonError, MAX_DEPTH};

/// The type of a JSON value, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Kind {
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
/// asked for ([`as_str`](Self::as_str)): looking up `params.event.data` reads only what comes
/// before each key.
#[derive(Clone, Copy)]
pub struct RawJson<'a> {
    /// The value's text; if `open`, the value followed by the rest of its parent.
    text: &'a str,
    open: bool,
}

impl<'a> RawJson<'a> {
    /// Validates `text` as one JSON value (whitespace around it is dropped).
    pub fn parse(text: &'a str) -> Result<Self, JsonError> {
        validate::validate(text.as_bytes(), MAX_DEPTH)?;
        Ok(Self::trusted(text.trim_matches([' ', '\t', '\n', '\r'])))
    }

    /// Validates `bytes` (UTF-8) as one JSON value.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, JsonError> {
        validate::validate(bytes, MAX_DEPTH)?;
        match core::str::from_utf8(bytes) {
            Ok(text) => Ok(Self::trusted(text.trim_matches([' ', '\t', '\n', '\r']))),
            Err(e) => Err(JsonError {
                kind: validate::JsonErrorKind::InvalidUtf8,
                offset: e.valid_up_to(),
            }),
        }
    }

    /// Wraps text already known to be one valid JSON value without surrounding whitespace.
    pub(crate) const fn trusted(text: &'a str) -> Self {
        RawJson { text, open: false }
    }

    /// Wraps validated text that starts with an object or array, followed by anything.
    fn open(text: &'a str) -> Self {
        RawJson { text, open: true }
    }

    /// The empty object `{}`.
    pub const EMPTY_OBJECT: RawJson<'static> = RawJson::trusted("{}");

    /// `null`.
    pub const NULL: RawJson<'static> = RawJson::trusted("null");

    /// The JSON text.
    pub fn as_str(&self) -> &'a str {
        if !self.open {
            return self.text;
        }
        let end = scan::skip_value(self.text.as_bytes(), 0).unwrap_or(self.text.len());
        self.text.get(..end).unwrap_or(self.text)
    }

    /// The JSON text as bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.as_str().as_bytes()
    }

    /// The value's type.
    pub fn kind(&self) -> Kind {
        match self.text.as_bytes().first() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Number,
        }
    }

    /// The member `key` of an object (`None` if absent or not an object). Keys with escapes
    /// are compared decoded.
    pub fn get(&self, key: &str) -> Option<RawJson<'a>> {
        self.members()
            .find(|(k, _)| k.eq_str(key))
            .map(|(_, value)| value)
    }

    /// The string member `key`, if present and a string.
    pub fn get_str(&self, key: &str) -> Option<JsonStr<'a>> {
        self.get(key).and_then(|v| v.as_string())
    }

    /// The members of an object, in order (empty if not an object).
    pub fn members(&self) -> Members<'a> {
        Members {
            text: self.text,
            cursor: Cursor::new(self.text.as_bytes(), 0, b'{'),
        }
    }

    /// The elements of an array, in order (empty if not an array).
    pub fn elements(&self) -> Elements<'a> {
        Elements {
            text: self.text,
            cursor: Cursor::new(self.text.as_bytes(), 0, b'['),
        }
    }

    /// The string, still escaped, if this is a string.
    pub fn as_string(&self) -> Option<JsonStr<'a>> {
        let (end, escaped) = scan::skip_string(self.text.as_bytes(), 0)?;
        let inner = self.text.get(1..end.checked_sub(1)?)?;
        Some(JsonStr::from_raw(inner, escaped))
    }

    /// The number, if this is an integer that fits in `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        self.text.parse().ok()
    }

    /// The number, if this is an integer that fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.text.parse().ok()
    }

    /// The number as `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self.kind() {
            Kind::Number => self.text.parse().ok(),
            _ => None,
        }
    }

    /// The boolean, if this is `true` or `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.text {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// True if this is `null`.
    pub fn is_null(&self) -> bool {
        self.text == "null"
    }
}

impl PartialEq for RawJson<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RawJson<'_> {}

impl fmt::Display for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for RawJson<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
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
pub struct Members<'a> {
    text: &'a str,
    cursor: Cursor<'a>,
}

impl<'a> Iterator for Members<'a> {
    type Item = (JsonStr<'a>, RawJson<'a>);

    /// Objects and arrays come open-ended: they are skipped only if the iteration goes on.
    fn next(&mut self) -> Option<Self::Item> {
        let m = self.cursor.next_key()?;
        let key = JsonStr::from_raw(self.text.get(m.key.0..m.key.1)?, m.key_escaped);
        let b = self.text.as_bytes();
        let value = match b.get(m.value)? {
            b'{' | b'[' => RawJson::open(self.text.get(m.value..)?),
            _ => {
                let end = scan::skip_value(b, m.value)?;
                self.cursor.value_ends_at(end);
                RawJson::trusted(self.text.get(m.value..end)?)
            }
        };
        Some((key, value))
    }
}

/// Iterator over the elements of an array.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    text: &'a str,
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
        assert_eq!(v.kind(), Kind::Object);
        assert_eq!(v.get("a").and_then(|a| a.as_u64()), Some(1));
        assert_eq!(v.get("e").and_then(|a| a.as_i64()), Some(-7));
        assert_eq!(v.get("e").and_then(|a| a.as_u64()), None);
        assert_eq!(v.get("f").and_then(|a| a.as_f64()), Some(1.5));
        assert_eq!(v.get_str("g").and_then(|s| s.as_str()), Some("plain"));
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
        assert_eq!(
            v.get("b c").unwrap().as_str(),
            r#"{"d":[true,null,"x\"y"]}"#
        );
        assert_eq!(d.as_str(), r#"[true,null,"x\"y"]"#);
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
