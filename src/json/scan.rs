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

/// The offset of the first byte of `w` that is a `"` or a `\` or, when `validating`, a control
/// character or a non-ASCII byte (whose UTF-8 needs a check), if any. Borrows of the subtraction
/// only carry towards higher bytes, so the lowest flagged byte is always a true match (higher
/// ones may be false alarms).
#[inline(always)]
fn first_special(w: u64, validating: bool) -> Option<usize> {
    let quote = (w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
    let backslash = (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    let mask = if validating {
        let control = w.wrapping_sub(ONES * 0x20);
        ((quote | backslash | control) & !w | w) & HIGHS
    } else {
        (quote | backslash) & !w & HIGHS
    };
    (mask != 0).then(|| mask.trailing_zeros() as usize / 8)
}

/// The offset of the first backslash in the little-endian word `w`, if any (see
/// [`first_special`]).
#[inline(always)]
pub(crate) fn first_backslash(w: u64) -> Option<usize> {
    let x = w ^ (ONES * u64::from(b'\\'));
    let mask = x.wrapping_sub(ONES) & !x & HIGHS;
    (mask != 0).then(|| mask.trailing_zeros() as usize / 8)
}

/// Skips string bytes that need no look from `i`, eight at a time (see [`first_special`]);
/// returns the index of the first byte that does (or of the last few bytes).
#[inline(always)]
pub(crate) fn skip_plain(b: &[u8], mut i: usize, validating: bool) -> usize {
    while let Some(w) = read_word(b, i) {
        match first_special(w, validating) {
            Some(at) => return i + at,
            None => i += 8,
        }
    }
    i
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
        i = skip_plain(b, i, false);
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

/// Cursor over the elements of an array.
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
    fn swar_finds_the_first_special_byte() {
        for pos in 0..8 {
            for c in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let mut arr = [b'a'; 8];
                arr[pos] = c;
                let w = u64::from_le_bytes(arr);
                assert_eq!(first_special(w, true), Some(pos), "{c} at {pos}");
                let quote_or_backslash = c == b'"' || c == b'\\';
                assert_eq!(first_special(w, false), quote_or_backslash.then_some(pos));
                assert_eq!(first_backslash(w), (c == b'\\').then_some(pos));
                // A special byte followed by others: the first one is reported.
                arr[7] = b'"';
                assert_eq!(first_special(u64::from_le_bytes(arr), true), Some(pos));
            }
        }
        let accented = u64::from_le_bytes(*b"ab \x7f\xc3\xa9yz");
        assert_eq!(first_special(accented, false), None);
        // When validating, non-ASCII needs a look (its UTF-8 is checked).
        assert_eq!(first_special(accented, true), Some(4));
        assert_eq!(skip_plain(b"0123456789abcdef\"x", 0, true), 16);
        assert_eq!(skip_plain(b"short\"", 0, true), 0);
    }

    #[test]
    fn skips_values() {
        let b = br#"{"a":"x\"}","b":[1,{"c":"]"}],"d":-1.5e3} tail"#;
        assert_eq!(skip_value(b, 0), Some(b.len() - 5));
        let a = br#"[1,{"c":"]"}, "x\"" ,[]]"#;
        let mut c = Cursor::new(a, 0, b'[');
        let items: heapless::Vec<&[u8], 4> = core::iter::from_fn(|| c.next_element())
            .map(|(s, e)| &a[s..e])
            .collect();
        assert_eq!(
            &items[..],
            &[&b"1"[..], br#"{"c":"]"}"#, br#""x\"""#, b"[]"]
        );
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
            let mut c = Cursor::new(b, 0, b'[');
            while c.next_element().is_some() {}
        }
    }
}
