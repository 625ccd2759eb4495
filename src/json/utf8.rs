//! The UTF-8 check of string content, without a branch per character.
//!
//! Text with non-ASCII characters mixes one-, two-, three- and four-byte characters at random,
//! so a check that branches on each character's length (as `core::str::from_utf8` does)
//! mispredicts about once per character. This one is a shift-based DFA: each byte looks up a
//! row of the next states of all states, and the current state picks one by a shift, with no
//! branch at all; blocks of 32 ASCII bytes between characters are skipped whole.
//! SIMD UTF-8 checkers (simdutf8) need SSSE3's `pshufb`, which x86_64 does not guarantee:
//! using it would take a run-time check and a call into code compiled for it, which this crate
//! cannot make without `unsafe`.

// The states, as the shifts that pick them from a row: multiples of 6, so that a row of nine
// 6-bit fields fits in a `u64`.

/// A byte sequence that is not UTF-8 was seen (no row leaves it).
const ERROR: u32 = 0;
/// Between characters.
const ACCEPT: u32 = 6;
/// One, two or three continuation bytes (0x80..=0xbf) to go.
const ONE: u32 = 12;
const TWO: u32 = 18;
const THREE: u32 = 24;
/// After a lead byte that narrows the next byte (Unicode table 3-7): 0xe0 (0xa0..=0xbf, no
/// overlong forms), 0xed (0x80..=0x9f, no surrogates), 0xf0 (0x90..=0xbf, no overlong forms),
/// 0xf4 (0x80..=0x8f, nothing above U+10FFFF).
const AFTER_E0: u32 = 30;
const AFTER_ED: u32 = 36;
const AFTER_F0: u32 = 42;
const AFTER_F4: u32 = 48;

/// The row of byte `c`: the state after `c` from each state `s`, in bits `s..s + 6`. Every
/// state not named goes to [`ERROR`] (0), which stays there.
const fn row(c: u8) -> u64 {
    let from_accept = match c {
        0x00..=0x7f => ACCEPT,
        0xc2..=0xdf => ONE,
        0xe0 => AFTER_E0,
        0xed => AFTER_ED,
        0xe1..=0xef => TWO,
        0xf0 => AFTER_F0,
        0xf4 => AFTER_F4,
        0xf1..=0xf3 => THREE,
        _ => ERROR,
    };
    let mut row = to(ACCEPT, from_accept);
    if let 0x80..=0xbf = c {
        row |= to(ONE, ACCEPT) | to(TWO, ONE) | to(THREE, TWO);
    }
    if let 0xa0..=0xbf = c {
        row |= to(AFTER_E0, ONE);
    }
    if let 0x80..=0x9f = c {
        row |= to(AFTER_ED, ONE);
    }
    if let 0x90..=0xbf = c {
        row |= to(AFTER_F0, TWO);
    }
    if let 0x80..=0x8f = c {
        row |= to(AFTER_F4, TWO);
    }
    row
}

/// `state` in the field of `from`.
const fn to(from: u32, state: u32) -> u64 {
    (state as u64) << from
}

const fn rows() -> [u64; 256] {
    let mut rows = [0; 256];
    let mut c = 0;
    while c < 256 {
        rows[c] = row(c as u8);
        c += 1;
    }
    rows
}

static ROWS: [u64; 256] = rows();

/// True if `text` is UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
#[inline]
pub(crate) fn is_utf8(text: &[u8]) -> bool {
    let step = |state: u64, c: u8| {
        // A `u8` indexes 256 rows: no bounds check is left.
        ROWS.get(usize::from(c)).copied().unwrap_or(0) >> (state & 63)
    };
    let mut state = u64::from(ACCEPT);
    let mut rest = text;
    while let Some((block, tail)) = rest.split_first_chunk::<32>() {
        // 32 ASCII bytes between characters leave the state as it is: a long text that is
        // mostly ASCII is skipped a block at a time. (Mixed text has non-ASCII in most
        // blocks, so this branch rarely changes its mind there; at 8 bytes it did.)
        let highs = block
            .chunks_exact(8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])))
            .fold(0, |acc, w| acc | w)
            & ASCII_HIGHS;
        if state != u64::from(ACCEPT) || highs != 0 {
            state = block.iter().fold(state, |state, &c| step(state, c));
        }
        rest = tail;
    }
    state = rest.iter().fold(state, |state, &c| step(state, c));
    state & 63 == u64::from(ACCEPT)
}

/// The high bit of each byte of a word: set only in non-ASCII bytes.
const ASCII_HIGHS: u64 = 0x8080_8080_8080_8080;

/// Where the UTF-8 of `text` goes wrong: the length of its longest valid prefix, or `None`
/// if it is all UTF-8.
#[cold]
pub(crate) fn utf8_error(text: &[u8]) -> Option<usize> {
    core::str::from_utf8(text).err().map(|e| e.valid_up_to())
}

/// Calls `f` with every byte sequence of one and two bytes, followed by up to two of the
/// values where the rules of UTF-8 change (four bytes only after a four-byte lead). Under Miri
/// (slow), the first two bytes too only take those values, and the fourth fewer.
#[cfg(test)]
pub(crate) fn each_sequence(mut f: impl FnMut(&[u8])) {
    let edges = [
        0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1,
        0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
    ];
    let every: [u8; 256] = core::array::from_fn(|i| i as u8);
    let (bytes, fourths): (&[u8], &[u8]) = if cfg!(miri) {
        (&edges, &[0x41, 0x80, 0xbf, 0xc0])
    } else {
        (&every, &edges)
    };
    for &a in bytes {
        f(&[a]);
        for &b in bytes {
            f(&[a, b]);
            for &c in &edges {
                f(&[a, b, c]);
                if a >= 0xf0 {
                    for &d in fourths {
                        f(&[a, b, c, d]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_core() {
        let check = |t: &[u8]| {
            assert_eq!(is_utf8(t), core::str::from_utf8(t).is_ok(), "{t:02x?}");
            assert_eq!(utf8_error(t).is_none(), is_utf8(t), "{t:02x?}");
        };
        check(&[]);
        each_sequence(check);
        check("h\u{e9}llo \u{65e5}\u{672c} \u{1F680}!".as_bytes());
        // Characters cut by, or right after, a block of 32 ASCII bytes.
        for cut in 0..40 {
            let mut t = *b"\xe6\x97\xa5 ascii.. ascii.. ascii.. ascii.. \xe6\x97\xa5 end";
            check(&t);
            if let Some(c) = t.get_mut(cut) {
                *c = 0xe6;
            }
            check(&t);
            check(&t[cut..]);
        }
    }
}
