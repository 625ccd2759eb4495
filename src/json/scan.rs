//! The span scanner: walks JSON that has already been validated, skipping values without
//! checking them, to find members and elements. Every access is bounds-checked, so even bytes that
//! were never validated can only make it return `None`, never panic or loop.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Reads 8 bytes at `i` as a little-endian word.
#[inline(always)]
pub(crate) fn read_word(b: &[u8], i: usize) -> Option<u64> {
    let chunk = b.get(i..i.checked_add(8)?)?;
    let arr: [u8; 8] = chunk.try_into().ok()?;
    Some(u64::from_le_bytes(arr))
}

/// True if any byte of `w` equals `c` (may also report bytes after a true match; callers
/// re-check byte by byte).
#[inline(always)]
fn has_byte(w: u64, c: u8) -> bool {
    let x = w ^ (ONES * u64::from(c));
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

/// True if `w` holds a `"`, a `\` or a control character: a byte a string scan must look at.
#[inline(always)]
pub(crate) fn has_string_special(w: u64) -> bool {
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS != 0;
    control || has_byte(w, b'"') || has_byte(w, b'\\')
}

#[inline(always)]
fn has_quote_or_backslash(w: u64) -> bool {
    has_byte(w, b'"') || has_byte(w, b'\\')
}

/// Skips JSON whitespace.
#[inline]
pub(crate) fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Skips the string whose opening quote is at `i`. Returns the index after the closing quote
/// and whether the string contains escapes.
#[inline]
pub(crate) fn skip_string(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    let mut escaped = false;
    loop {
        while let Some(w) = read_word(b, i) {
            if has_quote_or_backslash(w) {
                break;
            }
            i += 8;
        }
        match b.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            _ => i += 1,
        }
    }
}

/// Skips the value starting at `i` (no leading whitespace). Returns the index after it.
pub(crate) fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i).map(|(end, _)| end),
        b'{' | b'[' => skip_container(b, i),
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

fn skip_container(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match b.get(i)? {
            b'"' => i = skip_string(b, i)?.0,
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                i += 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
}

/// One member of an object: key span (inside the quotes), whether the key has escapes, and the
/// value span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    pub key: (usize, usize),
    pub key_escaped: bool,
    pub value: (usize, usize),
}

/// Reads the member starting at `i` (at the key's quote). Returns it and the index after the
/// value.
pub(crate) fn member_at(b: &[u8], i: usize) -> Option<Member> {
    let (key_end, key_escaped) = skip_string(b, i)?;
    let colon = ws(b, key_end);
    if b.get(colon) != Some(&b':') {
        return None;
    }
    let start = ws(b, colon + 1);
    let end = skip_value(b, start)?;
    Some(Member {
        key: (i + 1, key_end - 1),
        key_escaped,
        value: (start, end),
    })
}

/// Cursor over the members of an object or the elements of an array.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    first: bool,
    done: bool,
}

impl<'a> Cursor<'a> {
    /// A cursor over the container whose opening bracket is at `i`.
    pub(crate) fn new(b: &'a [u8], i: usize, open: u8) -> Self {
        let ok = b.get(i) == Some(&open);
        Cursor {
            b,
            i: i + 1,
            first: true,
            done: !ok,
        }
    }

    /// Moves to the next item and returns its start, or `None` at the end of the container.
    fn advance(&mut self, close: u8) -> Option<usize> {
        if self.done {
            return None;
        }
        let mut i = ws(self.b, self.i);
        if !self.first {
            match self.b.get(i) {
                Some(b',') => i = ws(self.b, i + 1),
                _ => {
                    self.done = true;
                    return None;
                }
            }
        } else if self.b.get(i) == Some(&close) {
            self.done = true;
            return None;
        }
        self.first = false;
        Some(i)
    }

    /// The next member of an object.
    pub(crate) fn next_member(&mut self) -> Option<Member> {
        let i = self.advance(b'}')?;
        match member_at(self.b, i) {
            Some(m) => {
                self.i = m.value.1;
                Some(m)
            }
            None => {
                self.done = true;
                None
            }
        }
    }

    /// The next element of an array.
    pub(crate) fn next_element(&mut self) -> Option<(usize, usize)> {
        let i = self.advance(b']')?;
        match skip_value(self.b, i) {
            Some(end) => {
                self.i = end;
                Some((i, end))
            }
            None => {
                self.done = true;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_finds_specials() {
        for pos in 0..8 {
            for c in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let mut arr = [b'a'; 8];
                arr[pos] = c;
                assert!(has_string_special(u64::from_le_bytes(arr)), "{c} at {pos}");
            }
        }
        let plain = u64::from_le_bytes(*b"ab \x7f\xc3\xa9yz");
        assert!(!has_string_special(plain));
    }

    #[test]
    fn skips_values() {
        let b = br#"{"a":"x\"}","b":[1,{"c":"]"}],"d":-1.5e3} tail"#;
        assert_eq!(skip_value(b, 0), Some(b.len() - 5));
        let mut c = Cursor::new(b, 0, b'{');
        let keys: heapless::Vec<&[u8], 4> = core::iter::from_fn(|| c.next_member())
            .map(|m| &b[m.key.0..m.key.1])
            .collect();
        assert_eq!(&keys[..], &[&b"a"[..], b"b", b"d"]);
    }

    #[test]
    fn never_panics_on_garbage() {
        for b in [
            &b"{"[..],
            b"{\"a",
            b"{\"a\":",
            b"[1,",
            b"\"\\",
            b"}}}",
            b"{\"a\" 1}",
            b"",
        ] {
            let _ = skip_value(b, 0);
            let mut c = Cursor::new(b, 0, b'{');
            while c.next_member().is_some() {}
            let mut c = Cursor::new(b, 0, b'[');
            while c.next_element().is_some() {}
        }
    }
}
