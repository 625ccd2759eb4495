//! [`JsonStr`]: the text of a JSON string as it appears on the wire, still escaped.

use core::fmt;

use super::scan::{Flags, Stop, Swar, skip_to, word_flags};

/// A JSON string borrowed from a frame, still escaped as it was sent.
///
/// Nothing is copied or decoded until asked: [`as_plain`](Self::as_plain) is free when the string has no
/// escapes, [`unescape_into`](Self::unescape_into) decodes into a caller buffer,
/// [`chars`](Self::chars) decodes lazily and `Display` writes the decoded text to any
/// formatter (so a streaming UI can print deltas without a heap). Lone UTF-16 surrogate escapes
/// (`"\ud83d"`, which the CLI can emit) decode to U+FFFD; escaped surrogate pairs decode to
/// their character.
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    /// The bytes between the quotes: validated JSON string content, so UTF-8.
    raw: &'a [u8],
    escaped: bool,
}

/// The caller's buffer is too small for the unescaped text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall {
    /// Bytes the unescaped text needs.
    pub needed: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "buffer too small: {} bytes needed", self.needed)
    }
}

impl core::error::Error for BufferTooSmall {}

/// Text the validator has checked: UTF-8 by construction. (Were it not, the text would read as
/// empty; nothing panics.)
fn text(bytes: &[u8]) -> &str {
    core::str::from_utf8(bytes).unwrap_or("")
}

impl<'a> JsonStr<'a> {
    /// Wraps the escaped bytes between the quotes of a validated JSON string.
    pub(crate) fn from_raw(raw: &'a [u8], escaped: bool) -> Self {
        JsonStr { raw, escaped }
    }

    /// A `JsonStr` for text that needs no escaping (no `"`, `\\` or control characters).
    /// Returns `None` otherwise.
    pub fn from_plain(text: &'a str) -> Option<Self> {
        let clean = text.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\');
        clean.then_some(JsonStr {
            raw: text.as_bytes(),
            escaped: false,
        })
    }

    /// The text exactly as sent, escapes included, without the quotes.
    pub fn raw(&self) -> &'a str {
        text(self.raw)
    }

    /// The bytes exactly as sent, escapes included, without the quotes.
    pub fn raw_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// True if the text contains backslash escapes.
    pub fn is_escaped(&self) -> bool {
        self.escaped
    }

    /// The text, borrowed, if it has no escapes (the common case: ids, types, method names).
    /// Text with escapes needs decoding: [`unescape_into`](Self::unescape_into), `Display`,
    /// [`chars`](Self::chars) or [`eq_str`](Self::eq_str).
    pub fn as_plain(&self) -> Option<&'a str> {
        (!self.escaped).then(|| self.raw())
    }

    /// True if the decoded text is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Length in bytes of the decoded (UTF-8) text.
    pub fn unescaped_len(&self) -> usize {
        let mut len = 0;
        let mut rest = self.raw;
        while let Some(at) = backslash(rest) {
            let after = rest.get(at + 1..).unwrap_or(&[]);
            let (c, used) = escape(after);
            len += at + c.len_utf8();
            rest = after.get(used..).unwrap_or(&[]);
        }
        len + rest.len()
    }

    /// Compares the decoded text with `s`.
    #[inline]
    pub fn eq_str(&self, s: &str) -> bool {
        if self.escaped {
            self.chars().eq(s.chars())
        } else {
            same_bytes(self.raw, s.as_bytes())
        }
    }

    /// Decoded characters, one at a time.
    pub fn chars(&self) -> Chars<'a> {
        Chars { rest: self.raw() }
    }

    /// Decodes into `buf` and returns the decoded text.
    pub fn unescape_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let needed = || BufferTooSmall {
            needed: self.unescaped_len(),
        };
        let out = self.unescape_bytes_into(buf)?;
        // Decoded from validated text and whole characters, so this is UTF-8.
        core::str::from_utf8(out).map_err(|_| needed())
    }

    /// Decodes into `buf` and returns the decoded bytes: always UTF-8, for writers that take
    /// bytes (a terminal, a UART, a socket). Saves the UTF-8 check that
    /// [`unescape_into`](Self::unescape_into) needs to hand out a `&str`.
    pub fn unescape_bytes_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], BufferTooSmall> {
        let too_small = || BufferTooSmall {
            needed: self.unescaped_len(),
        };
        let raw = self.raw;
        let (mut i, mut at) = (0, 0);
        loop {
            // Eight bytes at a time while both sides have room: copied, then looked at (bytes
            // copied past a backslash are overwritten next).
            let src = raw.get(i..).unwrap_or(&[]);
            let dst = buf.get_mut(at..).unwrap_or(&mut []);
            let mut plain = 0;
            let mut found = false;
            for (s, d) in src.chunks_exact(8).zip(dst.chunks_exact_mut(8)) {
                d.copy_from_slice(s);
                let word = u64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
                match word_flags(word, Stop::Backslash).first() {
                    Some(k) => {
                        plain += k;
                        found = true;
                        break;
                    }
                    None => plain += 8,
                }
            }
            if !found {
                // Near either end: the plain run up to the next backslash in one copy.
                let rest = src.get(plain..).unwrap_or(&[]);
                let run = rest.iter().position(|&c| c == b'\\').unwrap_or(rest.len());
                let to = at + plain;
                buf.get_mut(to..to + run)
                    .ok_or_else(too_small)?
                    .copy_from_slice(rest.get(..run).unwrap_or(&[]));
                plain += run;
            }
            i += plain;
            at += plain;
            // One escape at a time.
            match raw.get(i) {
                None => break,
                Some(b'\\') => {
                    let after = raw.get(i + 1..).unwrap_or(&[]);
                    // The one-byte escapes without the general decoder.
                    let short = match after.first() {
                        Some(&c @ (b'"' | b'\\' | b'/')) => Some(c),
                        Some(b'n') => Some(b'\n'),
                        Some(b't') => Some(b'\t'),
                        Some(b'r') => Some(b'\r'),
                        Some(b'b') => Some(0x08),
                        Some(b'f') => Some(0x0c),
                        _ => None,
                    };
                    if let Some(c) = short {
                        *buf.get_mut(at).ok_or_else(too_small)? = c;
                        at += 1;
                        i += 2;
                        continue;
                    }
                    let (c, used) = escape(after);
                    let dst = buf.get_mut(at..at + c.len_utf8()).ok_or_else(too_small)?;
                    c.encode_utf8(dst);
                    at += c.len_utf8();
                    i += 1 + used;
                }
                Some(&c) => {
                    *buf.get_mut(at).ok_or_else(too_small)? = c;
                    at += 1;
                    i += 1;
                }
            }
        }
        Ok(buf.get(..at).unwrap_or(&[]))
    }
}

/// The index of the first backslash, a step at a time.
fn backslash(s: &[u8]) -> Option<usize> {
    let from = skip_to::<Swar>(s, 0, Stop::Backslash);
    let tail = s.get(from..)?;
    tail.iter().position(|&c| c == b'\\').map(|k| from + k)
}

/// Decodes the escape whose backslash came just before `after`: the character, and how many
/// bytes of `after` it used (always ASCII bytes). Lone UTF-16 surrogates decode to U+FFFD.
fn escape(after: &[u8]) -> (char, usize) {
    match after.first() {
        Some(b'"') => ('"', 1),
        Some(b'\\') => ('\\', 1),
        Some(b'/') => ('/', 1),
        Some(b'b') => ('\u{8}', 1),
        Some(b'f') => ('\u{c}', 1),
        Some(b'n') => ('\n', 1),
        Some(b'r') => ('\r', 1),
        Some(b't') => ('\t', 1),
        Some(b'u') => match hex4(after.get(1..).unwrap_or(&[])) {
            Some(hi @ 0xD800..=0xDBFF) => {
                // A high surrogate: combine with a following `\\uDC00-\\uDFFF`.
                let lo = after
                    .get(5..)
                    .and_then(|tail| tail.strip_prefix(b"\\u"))
                    .and_then(hex4)
                    .filter(|lo| (0xDC00..=0xDFFF).contains(lo));
                match lo {
                    Some(lo) => {
                        let code =
                            0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                        (char::from_u32(code).unwrap_or('\u{FFFD}'), 11)
                    }
                    None => ('\u{FFFD}', 5),
                }
            }
            Some(unit) => (char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'), 5),
            None => ('\u{FFFD}', 1),
        },
        // Not an escape (only in text that was never validated): the backslash and the whole
        // character after it read as U+FFFD.
        Some(&lead) => {
            let width = match lead {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => 1,
            };
            ('\u{FFFD}', width.min(after.len()))
        }
        None => ('\u{FFFD}', 1),
    }
}

fn hex4(s: &[u8]) -> Option<u16> {
    let digits = s.get(..4)?;
    let mut n = 0u16;
    for &d in digits {
        let v = (d as char).to_digit(16)?;
        n = n << 4 | v as u16;
    }
    Some(n)
}

impl PartialEq for JsonStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        if !self.escaped && !other.escaped {
            self.raw == other.raw
        } else {
            self.chars().eq(other.chars())
        }
    }
}

impl Eq for JsonStr<'_> {}

/// `a == b`, inline for the short texts keys and names are: two overlapping word loads per
/// side instead of the call to `memcmp` a slice comparison makes.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn word<const N: usize>(s: &[u8], at: usize) -> Option<[u8; N]> {
        s.get(at..at.checked_add(N)?)?.try_into().ok()
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        4..=7 => word::<4>(a, 0) == word(b, 0) && word::<4>(a, n - 4) == word(b, n - 4),
        8..=16 => word::<8>(a, 0) == word(b, 0) && word::<8>(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

impl PartialEq<str> for JsonStr<'_> {
    #[inline]
    fn eq(&self, other: &str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<&str> for JsonStr<'_> {
    #[inline]
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

impl fmt::Display for JsonStr<'_> {
    /// Writes the decoded text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.raw();
        if !self.escaped {
            return f.write_str(rest);
        }
        while let Some(at) = rest.find('\\') {
            f.write_str(rest.get(..at).unwrap_or(""))?;
            let after = rest.get(at + 1..).unwrap_or("");
            let (c, used) = escape(after.as_bytes());
            fmt::Write::write_char(f, c)?;
            rest = after.get(used..).unwrap_or("");
        }
        f.write_str(rest)
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.raw())
    }
}

impl serde::Serialize for JsonStr<'_> {
    /// Emits the string as received, escapes included (serde-json-core writes it verbatim), so
    /// text read from one frame can go into the next without decoding.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_json_core::str::EscapedStr(self.raw()).serialize(serializer)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for JsonStr<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "\"{=str}\"", self.raw())
    }
}

/// Iterator over the decoded characters of a [`JsonStr`].
#[derive(Debug, Clone)]
pub struct Chars<'a> {
    rest: &'a str,
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let mut it = self.rest.chars();
        let c = it.next()?;
        if c != '\\' {
            self.rest = it.as_str();
            return Some(c);
        }
        let after = it.as_str();
        let (decoded, used) = escape(after.as_bytes());
        self.rest = after.get(used..).unwrap_or("");
        Some(decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(raw: &str) -> JsonStr<'_> {
        JsonStr::from_raw(raw.as_bytes(), raw.contains('\\'))
    }

    #[test]
    fn decodes_escapes() {
        let s = js(r#"a\"b\\c\/d\n\t\u00e9\ud83d\ude00!"#);
        let mut buf = [0u8; 64];
        assert_eq!(
            s.unescape_into(&mut buf).unwrap(),
            "a\"b\\c/d\n\té\u{1F600}!"
        );
        assert_eq!(s.unescaped_len(), "a\"b\\c/d\n\té\u{1F600}!".len());
        assert!(s.eq_str("a\"b\\c/d\n\té\u{1F600}!"));
        assert_eq!(s.as_plain(), None);
        extern crate std;
        assert_eq!(std::format!("{s}"), "a\"b\\c/d\n\té\u{1F600}!");
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let mut buf = [0u8; 32];
        assert_eq!(js(r"x\ud83d").unescape_into(&mut buf).unwrap(), "x\u{FFFD}");
        assert_eq!(js(r"\udc00y").unescape_into(&mut buf).unwrap(), "\u{FFFD}y");
        assert_eq!(
            js(r"\ud83d\u0041").unescape_into(&mut buf).unwrap(),
            "\u{FFFD}A"
        );
        assert_eq!(
            js(r"\ud83d\ud83d").unescape_into(&mut buf).unwrap(),
            "\u{FFFD}\u{FFFD}"
        );
    }

    #[test]
    fn buffer_too_small_reports_size() {
        let mut buf = [0u8; 3];
        assert_eq!(
            js(r"h\u00e9llo").unescape_into(&mut buf),
            Err(BufferTooSmall { needed: 6 })
        );
        assert_eq!(
            js("hello").unescape_into(&mut buf),
            Err(BufferTooSmall { needed: 5 })
        );
    }

    #[test]
    fn a_backslash_before_a_multibyte_character_takes_all_of_it() {
        // Found by the json_scan fuzz target, on text that was never validated: the broken
        // escape `\Џ` took one byte of the two, so the byte decoder went on in the middle of a
        // character while `chars()` stopped; both now read the whole character as U+FFFD.
        extern crate std;
        let s = JsonStr::from_raw("a\\Џb\\🚀".as_bytes(), true);
        let shown = std::format!("{s}");
        assert_eq!(shown, "a\u{FFFD}b\u{FFFD}");
        assert_eq!(s.unescaped_len(), shown.len());
        let mut buf = [0u8; 16];
        assert_eq!(s.unescape_into(&mut buf), Ok(shown.as_str()));
    }

    #[test]
    fn a_trailing_backslash_does_not_hang_display() {
        // Found by the json_scan fuzz target, on text that was never validated: `Display`
        // looped forever on a final lone backslash (`chars()` stopped there without moving).
        // A lone backslash now decodes to U+FFFD, like any broken escape.
        let s = JsonStr::from_raw(b"ab\\", true);
        extern crate std;
        assert_eq!(std::format!("{s}"), "ab\u{FFFD}");
        assert_eq!(s.chars().collect::<std::string::String>(), "ab\u{FFFD}");
    }

    extern crate std;

    proptest::proptest! {
        /// The word-at-a-time decoder agrees with the character decoder, whatever the text
        /// (escapes at every offset, broken ones, non-ASCII) and the room in the buffer.
        #[test]
        #[cfg_attr(miri, ignore)]
        fn unescaping_agrees_with_chars(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-z ]{0,17}",
                    proptest::strategy::Just(std::string::String::from(r#"\""#)),
                    proptest::strategy::Just(std::string::String::from(r"\n\t\\\/\b\f\r")),
                    "\\\\u[0-9a-fA-F]{4}",
                    "\\\\u[dD][89abAB][0-9a-f]{2}",
                    "[é日🚀]{1,3}",
                    "\\\\[a-z0-9é]?",
                ],
                0..12,
            )
        ) {
            use std::string::String;
            let raw: String = pieces.concat();
            let s = JsonStr::from_raw(raw.as_bytes(), raw.contains('\\'));
            let expected: String = s.chars().collect();
            proptest::prop_assert_eq!(s.unescaped_len(), expected.len());
            for room in 0..expected.len() + 9 {
                let mut buf = std::vec![0u8; room];
                let got = s.unescape_bytes_into(&mut buf);
                if room >= expected.len() {
                    proptest::prop_assert_eq!(got, Ok(expected.as_bytes()));
                } else {
                    proptest::prop_assert_eq!(got, Err(BufferTooSmall { needed: expected.len() }));
                }
            }
        }
    }

    #[test]
    fn plain_strings_are_free() {
        let s = js("session.start");
        assert_eq!(s.as_plain(), Some("session.start"));
        assert!(s == "session.start");
        assert!(js(r"session\u002estart") == s);
        assert!(JsonStr::from_plain("a\"b").is_none());
    }
}
