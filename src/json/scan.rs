//! The span scanner: walks JSON that has already been validated, skipping values without
//! checking them, to find members and elements. Every access is bounds-checked, so even bytes that
//! were never validated can only make it return `None`, never panic or loop.
//!
//! It also holds the byte classifiers that the scanner, the validator and the unescaper share:
//! a window of string content classified in one step into flags of the bytes a scan must stop
//! at (quotes, backslashes, control characters, non-ASCII bytes), without `unsafe`.

/// The bytes a scan of string content stops at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// `"` and `\\`: the end of a validated string, or an escape.
    QuoteOrBackslash,
    /// `"`, `\\`, control characters (below U+0020) and non-ASCII bytes (whose UTF-8 needs a
    /// check): what a validator must look at.
    Special,
    /// `\\` only: the next escape in a string's content.
    Backslash,
    /// `"`, `\\` and control characters: what a validator looks at in a string whose UTF-8
    /// it checks apart.
    QuoteBackslashOrControl,
}

/// Classifies a window of bytes in one step into flags of the bytes a scan stops at.
///
/// Two implementations: [`Sse2`] (32 bytes, SSE2 byte compares and `pmovmskb`, on x86_64) and
/// [`Swar`] (8 bytes in a `u64`, for every other target, thumbv7em among them). [`Native`] is
/// the one this target uses; the tests run both where both exist.
pub(crate) trait Classify {
    /// Bytes per window.
    const WINDOW: usize;
    /// True if every flagged byte is a true match (no false alarms).
    #[cfg(test)]
    const EXACT: bool;
    /// Which bytes of a window are flagged.
    type Flags: Flags;
    /// The flags of the `WINDOW` bytes at `at`, if there are that many. The lowest flagged
    /// byte is always a true match; with [`Swar`], a higher one may be a false alarm (a caller
    /// looks at the byte).
    fn flags(b: &[u8], at: usize, stop: Stop) -> Option<Self::Flags>;
}

/// Which bytes of a window are flagged (see [`Classify`]).
pub(crate) trait Flags: Copy + Default {
    /// The offset of the first flagged byte.
    fn first(self) -> Option<usize>;
    /// The flags without the first `n` bytes (the others move down).
    fn after(self, n: usize) -> Self;
}

/// Eight bits per byte (byte `k` in bits `8k..8k + 8`, nonzero if flagged), for [`Swar`].
impl Flags for u64 {
    #[inline(always)]
    fn first(self) -> Option<usize> {
        (self != 0).then(|| self.trailing_zeros() as usize / 8)
    }

    #[inline(always)]
    fn after(self, n: usize) -> Self {
        if n < 8 { self >> (n * 8) } else { 0 }
    }
}

/// One bit per byte (bit `k` for byte `k`), for [`Sse2`].
#[derive(Debug, Clone, Copy, Default)]
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) struct Bits(u32);

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl Flags for Bits {
    #[inline(always)]
    fn first(self) -> Option<usize> {
        (self.0 != 0).then(|| self.0.trailing_zeros() as usize)
    }

    #[inline(always)]
    fn after(self, n: usize) -> Self {
        if n < 32 { Bits(self.0 >> n) } else { Bits(0) }
    }
}

/// 32 bytes per window with SSE2, which every x86_64 processor has.
///
/// The byte compares and `pmovmskb` (one bit per byte) come from `safe_arch`, which wraps
/// `core::arch` behind a safe API gated by `#[cfg(target_feature)]`: on stable Rust, calling
/// the intrinsics directly takes `unsafe`, which this crate forbids, and the portable bit-mask
/// patterns we tried did not compile to `pmovmskb`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) struct Sse2;

/// 8 bytes per window in a `u64` (SIMD within a register).
pub(crate) struct Swar;

/// The classifier of this target.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) type Native = Sse2;
/// The classifier of this target.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) type Native = Swar;

/// The mask of the 16 bytes of `chunk` a scan stops at, bit `k` for byte `k`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn sse2_mask(chunk: &[u8; 16], stop: Stop) -> u32 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, cmp_lt_mask_i8_m128i, load_unaligned_m128i,
        min_u8_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
    };
    let x = load_unaligned_m128i(chunk);
    let is = |c: u8| cmp_eq_mask_i8_m128i(x, set_splat_i8_m128i(c as i8));
    let hits = match stop {
        Stop::Backslash => is(b'\\'),
        Stop::QuoteOrBackslash => bitor_m128i(is(b'\\'), is(b'"')),
        // Unsigned, `x` is at most 0x1f if the smaller of it and 0x1f is `x`.
        Stop::QuoteBackslashOrControl => bitor_m128i(
            bitor_m128i(is(b'\\'), is(b'"')),
            cmp_eq_mask_i8_m128i(min_u8_m128i(x, set_splat_i8_m128i(0x1f)), x),
        ),
        // As signed bytes, control characters (0..0x20) and non-ASCII ones (-128..0) are
        // exactly those below 0x20.
        Stop::Special => bitor_m128i(
            bitor_m128i(is(b'\\'), is(b'"')),
            cmp_lt_mask_i8_m128i(x, set_splat_i8_m128i(0x20)),
        ),
    };
    // `pmovmskb` sets the low 16 bits only.
    move_mask_i8_m128i(hits) as u32
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
impl Classify for Sse2 {
    const WINDOW: usize = 32;
    #[cfg(test)]
    const EXACT: bool = true;
    type Flags = Bits;

    #[inline(always)]
    fn flags(b: &[u8], at: usize, stop: Stop) -> Option<Bits> {
        let window: &[u8; 32] = b.get(at..at.checked_add(32)?)?.try_into().ok()?;
        let low = sse2_mask(window.first_chunk()?, stop);
        let high = sse2_mask(window.last_chunk()?, stop);
        Some(Bits(low | high << 16))
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

impl Classify for Swar {
    const WINDOW: usize = 8;
    #[cfg(test)]
    const EXACT: bool = false;
    type Flags = u64;

    /// Flags the high bit of each byte. Borrows of the subtractions only carry towards higher
    /// bytes, so the lowest flagged byte is always a true match (higher ones may be false
    /// alarms).
    #[inline(always)]
    fn flags(b: &[u8], at: usize, stop: Stop) -> Option<u64> {
        let chunk: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(word_flags(u64::from_le_bytes(chunk), stop))
    }
}

/// The [`Swar`] flags of the little-endian word `w`.
#[inline(always)]
pub(crate) fn word_flags(w: u64, stop: Stop) -> u64 {
    let backslash = (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
    let quote = (w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
    match stop {
        Stop::Backslash => backslash & !w & HIGHS,
        Stop::QuoteOrBackslash => (quote | backslash) & !w & HIGHS,
        Stop::QuoteBackslashOrControl => {
            let control = w.wrapping_sub(ONES * 0x20);
            (quote | backslash | control) & !w & HIGHS
        }
        Stop::Special => {
            let control = w.wrapping_sub(ONES * 0x20);
            ((quote | backslash | control) & !w | w) & HIGHS
        }
    }
}

/// The bytes a scan stops at, found a window at a time: a scan that goes on from a stop in the
/// same window (the next string of an object is often a few bytes on) shifts the window's
/// flags instead of classifying bytes again.
pub(crate) struct Stops<C: Classify> {
    stop: Stop,
    /// The window classified last: `flags` of the `C::WINDOW` bytes from `at`. Before the
    /// first, `at` is [`NOWHERE`], which no index of a slice is within a window of.
    at: usize,
    flags: C::Flags,
}

/// An `at` that no index is within a window of: slices hold at most `isize::MAX` bytes, so
/// `i.wrapping_sub(NOWHERE)` is at least `2^63` (or `2^31`) for every index `i`.
const NOWHERE: usize = 1 << (usize::BITS - 1);

impl<C: Classify> Stops<C> {
    /// Nothing classified yet.
    #[inline(always)]
    pub(crate) fn new(stop: Stop) -> Self {
        Stops {
            stop,
            at: NOWHERE,
            flags: C::Flags::default(),
        }
    }

    /// The index of the first byte at or after `i` that the scan stops at, or `b.len()` if
    /// there is none. With [`Swar`] it may also stop at a false alarm; with an input shorter
    /// than a window, at `i` itself: a caller looks at the byte and goes on one byte at a time
    /// if it is an ordinary one. Calls go forward (`i` at least the previous answer).
    #[inline(always)]
    pub(crate) fn next(&mut self, b: &[u8], mut i: usize) -> usize {
        let skip = i.wrapping_sub(self.at);
        if skip < C::WINDOW {
            match self.flags.after(skip).first() {
                Some(k) => return i + k,
                None => i = self.at + C::WINDOW,
            }
        }
        while let Some(flags) = C::flags(b, i, self.stop) {
            (self.at, self.flags) = (i, flags);
            match flags.first() {
                Some(k) => return i + k,
                None => i += C::WINDOW,
            }
        }
        // Fewer than a window's bytes are left: classify the last window of the input.
        let Some(last) = b.len().checked_sub(C::WINDOW) else {
            return i;
        };
        let Some(flags) = C::flags(b, last, self.stop) else {
            return i;
        };
        (self.at, self.flags) = (last, flags);
        match flags.after(i.saturating_sub(last)).first() {
            Some(k) => i + k,
            None => b.len().max(i),
        }
    }
}

/// [`Stops::next`] for one scan from `i`. Most strings are short (keys, names): a word looks at
/// their first eight bytes before a vector window does.
#[inline(always)]
pub(crate) fn skip_to<C: Classify>(b: &[u8], mut i: usize, stop: Stop) -> usize {
    if C::WINDOW > Swar::WINDOW
        && let Some(flags) = Swar::flags(b, i, stop)
    {
        match flags.first() {
            Some(k) => return i + k,
            None => i += Swar::WINDOW,
        }
    }
    Stops::<C>::new(stop).next(b, i)
}

/// Skips JSON whitespace. Compact JSON has none: one compare says so.
#[inline]
pub(crate) fn ws(b: &[u8], i: usize) -> usize {
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
        // A word at a time; the last few bytes one at a time (most strings are short, and a
        // scan of validated text needs nothing more).
        while let Some(flags) = Swar::flags(b, i, Stop::QuoteOrBackslash) {
            match flags.first() {
                Some(k) => {
                    i += k;
                    break;
                }
                None => i += Swar::WINDOW,
            }
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

    /// Whether a scan must stop at `c`, by the definition.
    fn stops_at(c: u8, stop: Stop) -> bool {
        match stop {
            Stop::Backslash => c == b'\\',
            Stop::QuoteOrBackslash => c == b'"' || c == b'\\',
            Stop::QuoteBackslashOrControl => c == b'"' || c == b'\\' || c < 0x20,
            Stop::Special => c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c),
        }
    }

    const STOPS: [Stop; 4] = [
        Stop::Backslash,
        Stop::QuoteOrBackslash,
        Stop::QuoteBackslashOrControl,
        Stop::Special,
    ];

    /// Every byte value at every position of a step, after a run of plain bytes and before
    /// other special bytes: the first one flagged is the first true stop.
    fn classifier_finds_the_first_stop<C: Classify>() {
        let plain = b'a';
        for stop in STOPS {
            let every: [usize; 32] = core::array::from_fn(|n| n);
            let positions: &[usize] = if cfg!(miri) {
                &[0, 7, 8, 15, 16, 31]
            } else {
                &every
            };
            for &pos in positions.iter().filter(|&&p| p < C::WINDOW) {
                // Under Miri (slow), the values where the classes change.
                let edges = [0x1f, 0x20, b'"', b'\\', 0x80];
                let every: [u8; 256] = core::array::from_fn(|c| c as u8);
                let bytes: &[u8] = if cfg!(miri) { &edges } else { &every };
                for &c in bytes {
                    for after in [plain, b'"', b'\\', 0x00, 0x7f, 0x80, 0xff] {
                        let mut b = [plain; 32];
                        b[pos] = c;
                        if let Some(next) = b.get_mut(pos + 1) {
                            *next = after;
                        }
                        let first = C::flags(&b, 0, stop).unwrap().first();
                        let expected = b[..C::WINDOW].iter().position(|&x| stops_at(x, stop));
                        assert_eq!(first, expected, "{stop:?} {c:#x} at {pos}, then {after:#x}");
                    }
                }
            }
        }
        assert!(C::flags(&[0u8; 32], 32 - C::WINDOW + 1, Stop::Special).is_none());
    }

    #[test]
    fn native_finds_the_first_stop() {
        classifier_finds_the_first_stop::<Native>();
    }

    #[test]
    fn swar_finds_the_first_stop() {
        classifier_finds_the_first_stop::<Swar>();
    }

    /// `skip_to` lands on the first stop at or after `i`, or on a byte before it (a false
    /// alarm, or one byte at a time in an input shorter than a step); never past it.
    fn skip_to_lands_on_or_before_the_first_stop<C: Classify>() {
        let mut b = [b'x'; 40];
        // Under Miri (slow), a few lengths around a window and a few offsets.
        let every: [usize; 41] = core::array::from_fn(|n| n);
        let (lens, ats, cs): (&[usize], &[usize], &[u8]) = if cfg!(miri) {
            (&[7, 31, 33, 40], &[0, 8, 31], &[b'"', 0xc3])
        } else {
            (
                &every,
                &[0, 1, 5, 7, 8, 15, 16, 17, 31, 39],
                &[b'"', b'\\', 0x01, 0xc3, b'y'],
            )
        };
        for &len in lens {
            for &at in ats {
                for &c in cs {
                    b.fill(b'x');
                    if let Some(x) = b.get_mut(at) {
                        *x = c;
                    }
                    let b = &b[..len];
                    for stop in STOPS {
                        // One cursor asked at every offset in turn: its windows are reused.
                        let mut stops = Stops::<C>::new(stop);
                        for i in 0..=len {
                            let first = b[i..]
                                .iter()
                                .position(|&x| stops_at(x, stop))
                                .map_or(len, |k| i + k);
                            let got = stops.next(b, i);
                            assert!(
                                got >= i && got <= first,
                                "cursor {stop:?} len {len} at {at} from {i}: {got} vs {first}"
                            );
                            if len >= C::WINDOW && C::EXACT {
                                assert_eq!(got, first);
                            }
                        }
                        for i in 0..=len {
                            let first = b[i..]
                                .iter()
                                .position(|&x| stops_at(x, stop))
                                .map_or(len, |k| i + k);
                            let got = skip_to::<C>(b, i, stop);
                            assert!(
                                got >= i && got <= first,
                                "{stop:?} len {len} at {at} from {i}: {got} vs {first}"
                            );
                            // Only a short input makes it give up before a stop.
                            if len >= C::WINDOW && C::EXACT {
                                assert_eq!(got, first);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn native_skips_to_the_first_stop() {
        skip_to_lands_on_or_before_the_first_stop::<Native>();
    }

    #[test]
    fn swar_skips_to_the_first_stop() {
        skip_to_lands_on_or_before_the_first_stop::<Swar>();
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
