//! The validator as it was before chunked scanning: one byte at a time, kept as the reference
//! the differential tests compare the fast one with (errors, offsets and recorded members).

use super::{JsonError, JsonErrorKind, MAX_DEPTH, MemberIndex};

fn err(kind: JsonErrorKind, offset: usize) -> JsonError {
    JsonError { kind, offset }
}

fn byte(b: &[u8], i: usize) -> Result<u8, JsonError> {
    b.get(i)
        .copied()
        .ok_or(err(JsonErrorKind::UnexpectedEnd, i))
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// Validates `b`, recording the members of the first levels of objects into `index`. Non-ASCII bytes can
/// only appear inside strings, where their UTF-8 is checked: valid JSON here is valid UTF-8.
pub(super) fn validate_recording(
    b: &[u8],
    max_depth: usize,
    index: &mut MemberIndex,
) -> Result<(), JsonError> {
    values(b, max_depth, index).map_err(|e| match e.kind {
        // A byte out of place that is not even UTF-8 is reported as such.
        JsonErrorKind::UnexpectedByte | JsonErrorKind::TrailingData
            if b.get(e.offset).is_some_and(|&c| c >= 0x80) && utf8_char(b, e.offset).is_none() =>
        {
            err(JsonErrorKind::InvalidUtf8, e.offset)
        }
        _ => e,
    })
}

fn values(b: &[u8], max_depth: usize, index: &mut MemberIndex) -> Result<(), JsonError> {
    let max_depth = max_depth.min(MAX_DEPTH);
    // Bit `d` is set when the container at depth `d + 1` is an object.
    let mut objects: u128 = 0;
    // Bit `d` is set when the container at depth `d + 1` is an object the index records.
    let mut indexed: u128 = 0;
    // Whether the last string value holds a backslash.
    let mut escaped = false;
    let mut depth = 0usize;
    let mut i = ws(b, 0);
    if i >= b.len() {
        return Err(err(JsonErrorKind::Empty, i));
    }
    'value: loop {
        match byte(b, i)? {
            c @ (b'{' | b'[') => {
                if depth >= max_depth {
                    return Err(err(JsonErrorKind::TooDeep, i));
                }
                let is_object = c == b'{';
                let bit = 1u128 << depth;
                if is_object {
                    objects |= bit;
                } else {
                    objects &= !bit;
                }
                // Indexed if every container around it is, and it is an object.
                let around = depth == 0 || indexed & (1u128 << (depth - 1)) != 0;
                if is_object && around && index.open_object(depth + 1, i) {
                    indexed |= bit;
                } else {
                    indexed &= !bit;
                }
                depth += 1;
                i = ws(b, i + 1);
                let close = if is_object { b'}' } else { b']' };
                if byte(b, i)? == close {
                    i += 1;
                    depth -= 1;
                } else if is_object {
                    i = member_key(b, i, depth, indexed, index)?;
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            b'"' => {
                let end = string(b, i)?;
                escaped = b.get(i..end).is_some_and(|s| s.contains(&b'\\'));
                i = end;
            }
            b't' => i = literal(b, i, b"true")?,
            b'f' => i = literal(b, i, b"false")?,
            b'n' => i = literal(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number(b, i)?,
            _ => return Err(err(JsonErrorKind::UnexpectedByte, i)),
        }
        // A value just ended at `i`.
        loop {
            if depth > 0 && indexed & (1u128 << (depth - 1)) != 0 {
                index.close_member(depth, i, escaped);
            }
            if depth == 0 {
                i = ws(b, i);
                return if i == b.len() {
                    Ok(())
                } else {
                    Err(err(JsonErrorKind::TrailingData, i))
                };
            }
            i = ws(b, i);
            let in_object = objects & (1u128 << (depth - 1)) != 0;
            match byte(b, i)? {
                b',' => {
                    i = ws(b, i + 1);
                    if in_object {
                        i = member_key(b, i, depth, indexed, index)?;
                    }
                    continue 'value;
                }
                b'}' if in_object => {
                    i += 1;
                    depth -= 1;
                }
                b']' if !in_object => {
                    i += 1;
                    depth -= 1;
                }
                _ => return Err(err(JsonErrorKind::UnexpectedByte, i)),
            }
        }
    }
}

/// Parses `"key" :` at `i` and returns the index of the member's value.
#[inline(always)]
fn member_key(
    b: &[u8],
    i: usize,
    depth: usize,
    indexed: u128,
    index: &mut MemberIndex,
) -> Result<usize, JsonError> {
    if byte(b, i)? != b'"' {
        return Err(err(JsonErrorKind::UnexpectedByte, i));
    }
    let end = string(b, i)?;
    let colon = ws(b, end);
    if byte(b, colon)? != b':' {
        return Err(err(JsonErrorKind::UnexpectedByte, colon));
    }
    let value = ws(b, colon + 1);
    if indexed & (1u128 << (depth - 1)) != 0 {
        let escaped = b.get(i..end).is_some_and(|s| s.contains(&b'\\'));
        index.open_member(depth, (i + 1, end - 1), escaped, value);
    }
    Ok(value)
}

/// Validates the string starting at the quote at `i`; returns the index after its closing quote.
#[inline(always)]
fn string(b: &[u8], mut i: usize) -> Result<usize, JsonError> {
    i += 1;
    loop {
        match byte(b, i)? {
            b'"' => return Ok(i + 1),
            b'\\' => match byte(b, i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    for k in 2..6 {
                        if !byte(b, i + k)?.is_ascii_hexdigit() {
                            return Err(err(JsonErrorKind::InvalidEscape, i));
                        }
                    }
                    i += 6;
                }
                _ => return Err(err(JsonErrorKind::InvalidEscape, i)),
            },
            0..=0x1f => return Err(err(JsonErrorKind::ControlCharacter, i)),
            0x80.. => match utf8_char(b, i) {
                Some(len) => i += len,
                None => return Err(err(JsonErrorKind::InvalidUtf8, i)),
            },
            _ => i += 1,
        }
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
