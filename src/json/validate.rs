//! The non-recursive JSON validator.
//!
//! One pass over the bytes, an explicit bit stack instead of recursion (so depth costs no stack),
//! and a hard depth limit. Lone UTF-16 surrogate escapes such as `"\ud83d"`, which the CLI emits,
//! are accepted: they are decoded to U+FFFD only when a string is unescaped.
//!
//! While it validates, it records the members of a top-level object and of the objects in it,
//! down to a few levels ([`MemberIndex`]), so classifying a JSON-RPC message and reading a
//! session event's envelope need no second pass.

pub(crate) use super::index::MemberIndex;
use super::scan::{Classify, Native, Stop, Stops};
use super::utf8::{is_utf8, utf8_error};

/// The deepest nesting the validator accepts, whatever the configuration says.
pub const MAX_DEPTH: usize = 128;

/// Why a byte sequence is not a JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// Byte offset where it was found.
    pub offset: usize,
}

/// The kinds of [`JsonError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// Nothing but whitespace.
    Empty,
    /// The bytes are not UTF-8.
    InvalidUtf8,
    /// A byte that cannot start or continue a value here.
    UnexpectedByte,
    /// The text ends inside a value.
    UnexpectedEnd,
    /// Nesting deeper than the limit.
    TooDeep,
    /// A backslash escape that JSON does not define, or a bad `\u` escape.
    InvalidEscape,
    /// A raw control character (below U+0020) inside a string.
    ControlCharacter,
    /// A malformed number.
    InvalidNumber,
    /// More bytes after the value.
    TrailingData,
}

impl JsonErrorKind {
    /// What is wrong, in a few words.
    pub const fn describe(self) -> &'static str {
        match self {
            JsonErrorKind::Empty => "empty input",
            JsonErrorKind::InvalidUtf8 => "invalid UTF-8",
            JsonErrorKind::UnexpectedByte => "unexpected byte",
            JsonErrorKind::UnexpectedEnd => "unexpected end of input",
            JsonErrorKind::TooDeep => "nesting too deep",
            JsonErrorKind::InvalidEscape => "invalid escape",
            JsonErrorKind::ControlCharacter => "control character in string",
            JsonErrorKind::InvalidNumber => "invalid number",
            JsonErrorKind::TrailingData => "trailing data after the value",
        }
    }
}

impl core::fmt::Display for JsonError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} at byte {}", self.kind.describe(), self.offset)
    }
}

impl core::error::Error for JsonError {}

fn err(kind: JsonErrorKind, offset: usize) -> JsonError {
    JsonError { kind, offset }
}

#[inline(always)]
fn byte(b: &[u8], i: usize) -> Result<u8, JsonError> {
    b.get(i)
        .copied()
        .ok_or(err(JsonErrorKind::UnexpectedEnd, i))
}

/// Skips whitespace from `i`. Compact JSON has none: one compare says so.
#[inline(always)]
fn ws(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(&c) if c > b' ' => i,
        _ => more_ws(b, i),
    }
}

fn more_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Validates `b` as exactly one JSON value (surrounded by optional whitespace), nested at most
/// `max_depth` deep (capped at [`MAX_DEPTH`]).
pub fn validate(b: &[u8], max_depth: usize) -> Result<(), JsonError> {
    validate_recording(b, max_depth, &mut MemberIndex::default())
}

/// [`validate`], recording the members of the first levels of objects into `index` (what it
/// held before is forgotten). Non-ASCII bytes can only appear inside strings, where their
/// UTF-8 is checked: valid JSON here is valid UTF-8.
pub(crate) fn validate_recording(
    b: &[u8],
    max_depth: usize,
    index: &mut MemberIndex,
) -> Result<(), JsonError> {
    index.reset();
    validate_with::<Native>(b, max_depth, index)
}

/// [`validate_recording`] with the classifier `C` (the tests run both).
fn validate_with<C: Classify>(
    b: &[u8],
    max_depth: usize,
    index: &mut MemberIndex,
) -> Result<(), JsonError> {
    values::<C>(b, max_depth, index).map_err(|e| match e.kind {
        // A byte out of place that is not even UTF-8 is reported as such.
        JsonErrorKind::UnexpectedByte | JsonErrorKind::TrailingData
            if b.get(e.offset).is_some_and(|&c| c >= 0x80) && utf8_char(b, e.offset).is_none() =>
        {
            err(JsonErrorKind::InvalidUtf8, e.offset)
        }
        _ => e,
    })
}

fn values<C: Classify>(
    b: &[u8],
    max_depth: usize,
    index: &mut MemberIndex,
) -> Result<(), JsonError> {
    let max_depth = max_depth.min(MAX_DEPTH);
    // The open containers as a stack of bits, the innermost in bit 0: set for an object. An
    // opening shifts in a bit, a closing shifts it out; `MAX_DEPTH` bits fit.
    let mut objects: u128 = 0;
    let mut depth = 0usize;
    // The levels whose objects are indexed: every container from the top down to this depth
    // is an object the index records the members of.
    let mut indexed = 0usize;
    // Whether the last string value had escapes (for the index).
    let mut escaped = false;
    let mut stops = Stops::<C>::new(Stop::Special);
    let mut i = ws(b, 0);
    if i >= b.len() {
        return Err(err(JsonErrorKind::Empty, i));
    }
    'value: loop {
        // A value starts at `i`. Strings first: most values are.
        let c = byte(b, i)?;
        if c == b'"' {
            (i, escaped) = string(b, i, &mut stops)?;
        } else {
            match c {
                b'{' => {
                    if depth >= max_depth {
                        return Err(err(JsonErrorKind::TooDeep, i));
                    }
                    objects = objects << 1 | 1;
                    depth += 1;
                    if depth == indexed + 1 && index.open_object(depth, i) {
                        indexed = depth;
                    }
                    i = ws(b, i + 1);
                    match byte(b, i)? {
                        b'"' => {
                            i = member_key(b, i, depth <= indexed, depth, index, &mut stops)?;
                            continue 'value;
                        }
                        b'}' => {}
                        _ => return Err(err(JsonErrorKind::UnexpectedByte, i)),
                    }
                    i += 1;
                    objects >>= 1;
                    depth -= 1;
                    indexed = indexed.min(depth);
                }
                b'[' => {
                    if depth >= max_depth {
                        return Err(err(JsonErrorKind::TooDeep, i));
                    }
                    objects <<= 1;
                    depth += 1;
                    i = ws(b, i + 1);
                    if byte(b, i)? != b']' {
                        continue 'value;
                    }
                    i += 1;
                    objects >>= 1;
                    depth -= 1;
                }
                b't' => i = literal(b, i, b"true")?,
                b'f' => i = literal(b, i, b"false")?,
                b'n' => i = literal(b, i, b"null")?,
                b'-' | b'0'..=b'9' => i = number(b, i)?,
                _ => return Err(err(JsonErrorKind::UnexpectedByte, i)),
            }
        }
        // A value just ended at `i`.
        loop {
            if depth <= indexed {
                if depth == 0 {
                    i = ws(b, i);
                    return if i == b.len() {
                        Ok(())
                    } else {
                        Err(err(JsonErrorKind::TrailingData, i))
                    };
                }
                index.close_member(depth, i, escaped);
            }
            // Compact JSON has the comma, and after it the next key's quote, right here.
            let c = match b.get(i) {
                Some(&c) if c > b' ' => c,
                _ => {
                    i = more_ws(b, i);
                    byte(b, i)?
                }
            };
            let in_object = objects & 1 != 0;
            if c == b',' {
                i += 1;
                if in_object {
                    if b.get(i) != Some(&b'"') {
                        i = more_ws(b, i);
                        if byte(b, i)? != b'"' {
                            return Err(err(JsonErrorKind::UnexpectedByte, i));
                        }
                    }
                    i = member_key(b, i, depth <= indexed, depth, index, &mut stops)?;
                } else {
                    i = ws(b, i);
                }
                continue 'value;
            }
            if c != if in_object { b'}' } else { b']' } {
                return Err(err(JsonErrorKind::UnexpectedByte, i));
            }
            i += 1;
            objects >>= 1;
            depth -= 1;
            indexed = indexed.min(depth);
        }
    }
}

/// Parses `"key" :` whose quote is at `i` and returns the index of the member's value; if
/// `record`, records the member (at `level`) in `index`.
#[inline(always)]
fn member_key<C: Classify>(
    b: &[u8],
    i: usize,
    record: bool,
    level: usize,
    index: &mut MemberIndex,
    stops: &mut Stops<C>,
) -> Result<usize, JsonError> {
    let (end, escaped) = string(b, i, stops)?;
    // Compact JSON has the colon right after the quote.
    let colon = match b.get(end) {
        Some(b':') => end,
        _ => {
            let colon = more_ws(b, end);
            if byte(b, colon)? != b':' {
                return Err(err(JsonErrorKind::UnexpectedByte, colon));
            }
            colon
        }
    };
    let value = ws(b, colon + 1);
    if record {
        index.open_member(level, (i + 1, end - 1), escaped, value);
    }
    Ok(value)
}

/// Validates the string starting at the quote at `i`; returns the index after its closing quote
/// and whether it has escapes.
/// Plain bytes are skipped a window at a time. Inlined where it is used on x86_64 (speed), one
/// copy elsewhere (code size on microcontrollers).
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
fn string<C: Classify>(
    b: &[u8],
    mut i: usize,
    stops: &mut Stops<C>,
) -> Result<(usize, bool), JsonError> {
    i += 1;
    let mut escaped = false;
    loop {
        i = stops.next(b, i);
        match byte(b, i)? {
            b'"' => return Ok((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                i = escape(b, i)?;
            }
            0..=0x1f => return Err(err(JsonErrorKind::ControlCharacter, i)),
            0x80.. => return non_ascii_string::<C>(b, i, escaped),
            _ => i += 1,
        }
    }
}

/// The rest of a string from its first non-ASCII byte at `first`, with escapes so far if
/// `escaped` (see [`string`]).
///
/// Text with non-ASCII characters has many of them: rather than stopping at each one, the scan
/// stops only at quotes, backslashes and control bytes, and the UTF-8 from `first` on is
/// checked in one go, without a branch per character (before any other error, which is
/// further on).
#[cfg_attr(not(target_arch = "x86_64"), inline(never))]
fn non_ascii_string<C: Classify>(
    b: &[u8],
    first: usize,
    mut escaped: bool,
) -> Result<(usize, bool), JsonError> {
    let utf8 = |end: usize| {
        let text = b.get(first..end).unwrap_or(&[]);
        match is_utf8(text) {
            true => Ok(()),
            false => Err(err(
                JsonErrorKind::InvalidUtf8,
                first + utf8_error(text).unwrap_or(0),
            )),
        }
    };
    let mut stops = Stops::<C>::new(Stop::QuoteBackslashOrControl);
    let mut i = first + 1;
    loop {
        i = stops.next(b, i);
        match b.get(i) {
            Some(b'"') => {
                utf8(i)?;
                return Ok((i + 1, escaped));
            }
            Some(b'\\') => {
                escaped = true;
                match escape(b, i) {
                    Ok(next) => i = next,
                    Err(e) => {
                        utf8(i)?;
                        return Err(e);
                    }
                }
            }
            Some(0..=0x1f) => {
                utf8(i)?;
                return Err(err(JsonErrorKind::ControlCharacter, i));
            }
            // A false alarm, or one byte at a time near the end.
            Some(_) => i += 1,
            None => {
                utf8(b.len())?;
                return Err(err(JsonErrorKind::UnexpectedEnd, i));
            }
        }
    }
}

/// Checks the escape whose backslash is at `i`; returns the index after it.
#[inline(always)]
fn escape(b: &[u8], i: usize) -> Result<usize, JsonError> {
    match byte(b, i + 1)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(i + 2),
        b'u' => {
            for k in 2..6 {
                if !byte(b, i + k)?.is_ascii_hexdigit() {
                    return Err(err(JsonErrorKind::InvalidEscape, i));
                }
            }
            Ok(i + 6)
        }
        _ => Err(err(JsonErrorKind::InvalidEscape, i)),
    }
}

/// The length of the UTF-8 character starting with the non-ASCII byte at `i`, if it is one
/// (Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
#[inline(always)]
fn utf8_char(b: &[u8], i: usize) -> Option<usize> {
    // A continuation byte is 0x80..=0xbf: as `i8`, below -64.
    let cont = |k: usize| b.get(i + k).is_some_and(|&c| (c as i8) < -64);
    let lead = *b.get(i)?;
    let second = *b.get(i + 1)?;
    let ok = match lead {
        0xc2..=0xdf => return cont(1).then_some(2),
        0xe0 => second >= 0xa0,
        0xed => second < 0xa0,
        0xe1..=0xef => true,
        0xf0 => second >= 0x90,
        0xf4 => second < 0x90,
        0xf1..=0xf3 => true,
        _ => return None,
    };
    if !(ok && cont(1) && cont(2)) {
        return None;
    }
    if lead < 0xf0 {
        Some(3)
    } else {
        cont(3).then_some(4)
    }
}

fn literal(b: &[u8], i: usize, word: &[u8]) -> Result<usize, JsonError> {
    match b.get(i..i + word.len()) {
        Some(s) if s == word => Ok(i + word.len()),
        Some(_) => Err(err(JsonErrorKind::UnexpectedByte, i)),
        None => Err(err(JsonErrorKind::UnexpectedEnd, i)),
    }
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = b.get(i) {
        i += 1;
    }
    i
}

fn number(b: &[u8], start: usize) -> Result<usize, JsonError> {
    let invalid = |at| err(JsonErrorKind::InvalidNumber, at);
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(b, i + 1),
        _ => return Err(invalid(i)),
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return Err(invalid(end));
        }
        i = end;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let end = digits(b, i);
        if end == i {
            return Err(invalid(end));
        }
        i = end;
    }
    Ok(i)
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) {
        assert_eq!(validate(s.as_bytes(), MAX_DEPTH), Ok(()), "{s}");
    }
    fn bad(s: &[u8], kind: JsonErrorKind) {
        assert_eq!(
            validate(s, MAX_DEPTH).map_err(|e| e.kind),
            Err(kind),
            "{s:?}"
        );
    }

    #[test]
    fn accepts_valid_json() {
        for s in [
            "{}",
            "[]",
            " {\"a\" : [1, -2.5e+3, true, false, null, \"x\\n\\u00e9\"] } ",
            "0",
            "-0.0e0",
            "\"\\ud83d\"",
            "\"\\ud83d\\ude00\"",
            "\"\\udc00 lone low\"",
            "[[[[]]],{\"a\":{\"b\":{}}}]",
            "\"h\u{e9}llo \u{1F600}\"",
        ] {
            ok(s);
        }
    }

    #[test]
    fn rejects_invalid_json() {
        use JsonErrorKind::*;
        bad(b"", Empty);
        bad(b"  ", Empty);
        bad(b"{", UnexpectedEnd);
        bad(b"{\"a\":1,}", UnexpectedByte);
        bad(b"[1,]", UnexpectedByte);
        bad(b"[1 2]", UnexpectedByte);
        bad(b"{\"a\" 1}", UnexpectedByte);
        bad(b"{1:2}", UnexpectedByte);
        bad(b"01", TrailingData);
        bad(b"-", InvalidNumber);
        bad(b"1.", InvalidNumber);
        bad(b"1e", InvalidNumber);
        bad(b"tru", UnexpectedEnd);
        bad(b"trux", UnexpectedByte);
        bad(b"\"\\x\"", InvalidEscape);
        bad(b"\"\\u12g4\"", InvalidEscape);
        bad(b"\"a\nb\"", ControlCharacter);
        bad(b"\"abc", UnexpectedEnd);
        bad(b"\"\xff\"", InvalidUtf8);
        bad(b"\"\xc0\x80\"", InvalidUtf8); // overlong NUL
        bad(b"\"\xed\xa0\x80\"", InvalidUtf8); // a surrogate encoded as UTF-8
        bad(b"\"ok \xe2\x82\"", InvalidUtf8); // cut short by the closing quote
        bad(b"\"\xf4\x90\x80\x80\"", InvalidUtf8); // above U+10FFFF
        bad(b"[\xc3\xa9]", UnexpectedByte); // non-ASCII outside a string
        bad(b"[\xc3]", InvalidUtf8); // not even UTF-8
        bad(b"{} \xff", InvalidUtf8);
        bad(b"{} {}", TrailingData);
        bad(b"[}", UnexpectedByte);
        bad(b"{]", UnexpectedByte);
    }

    #[test]
    fn utf8_inside_strings_agrees_with_core() {
        super::super::utf8::each_sequence(|bytes| {
            // Quotes, backslashes and control bytes mean something else inside a string.
            if bytes.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\') {
                return;
            }
            let mut s = [b'"'; 6];
            s[1..=bytes.len()].copy_from_slice(bytes);
            let text = &s[..bytes.len() + 2];
            assert_eq!(
                validate(text, 1).is_ok(),
                core::str::from_utf8(bytes).is_ok(),
                "{bytes:02x?}"
            );
        });
    }

    #[test]
    fn depth_limit_without_recursion() {
        let deep = [b'['; 100_000];
        assert_eq!(
            validate(&deep, MAX_DEPTH),
            Err(JsonError {
                kind: JsonErrorKind::TooDeep,
                offset: MAX_DEPTH
            })
        );
        let mut nested = [0u8; 20];
        nested[..10].fill(b'[');
        nested[10..].fill(b']');
        assert_eq!(validate(&nested, 10), Ok(()));
        assert_eq!(
            validate(&nested, 9).map_err(|e| e.kind),
            Err(JsonErrorKind::TooDeep)
        );
    }
}
