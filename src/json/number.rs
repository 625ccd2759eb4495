//! The one number reader: integers as the CLI writes them.
//!
//! JavaScript does not tell `1` from `1.0`, so the CLI writes some integers as floats
//! (`"retryAfterSeconds": 1.0`). A number whose value is an integer reads as that integer
//! however it is written: `1`, `1.0`, `1e3`, `1.5e1`, `-0.0`, `100e-2`. The reader works on
//! the decimal digits (no float conversion, which loses integers above 2^53), without
//! allocating; a fraction, a value out of range, or text that is not a number reads as
//! `None`.

/// The value of the decimal number `text` if it is an integer whose magnitude fits in `u64`:
/// `(negative, magnitude)`. `-0` is `(true, 0)`.
///
/// One pass over the digits: zeros are held back (`zeros`) until a non-zero digit follows, so
/// trailing zeros of the mantissa only move the decimal point; a mantissa that needs more than
/// 64 bits is either a fraction or out of range, whatever the exponent.
pub(crate) fn integer(text: &[u8]) -> Option<(bool, u64)> {
    let (negative, rest) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let mut value: u64 = 0;
    let mut zeros: i64 = 0;
    let mut overflow = false;
    // Digits after the point; whether the current part has a digit yet.
    let (mut frac_digits, mut in_frac, mut seen) = (0i64, false, false);
    let mut i = 0;
    while let Some(&c) = rest.get(i) {
        match c {
            b'0'..=b'9' => {
                seen = true;
                frac_digits += i64::from(in_frac);
                if c == b'0' {
                    zeros += 1;
                } else {
                    let mut v = Some(value);
                    for _ in 0..=zeros.min(20) {
                        v = v.and_then(|v| v.checked_mul(10));
                    }
                    match v.and_then(|v| v.checked_add(u64::from(c - b'0'))) {
                        Some(v) if zeros <= 20 => value = v,
                        _ => overflow = true,
                    }
                    zeros = 0;
                }
            }
            b'.' if !in_frac && seen => {
                in_frac = true;
                seen = false;
            }
            b'e' | b'E' if seen => break,
            _ => return None,
        }
        i += 1;
    }
    if !seen {
        return None;
    }
    let mut exponent: i64 = 0;
    if let Some(exp) = rest.get(i + 1..) {
        let (sign, digits) = match exp.split_first() {
            Some((b'-', d)) => (-1, d),
            Some((b'+', d)) => (1, d),
            _ => (1, exp),
        };
        if digits.is_empty() {
            return None;
        }
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            // Saturates: an exponent past i64 leaves a value far out of range (or zero).
            exponent = exponent
                .saturating_mul(10)
                .saturating_add(i64::from(d - b'0'));
        }
        exponent *= sign;
    }
    if value == 0 && !overflow {
        return Some((negative, 0));
    }
    let scale = exponent.saturating_sub(frac_digits).saturating_add(zeros);
    if overflow || !(0..=20).contains(&scale) {
        return None;
    }
    for _ in 0..scale {
        value = value.checked_mul(10)?;
    }
    Some((negative, value))
}

/// The number as `u64` only if it is written as plain decimal digits (`1`, not `1.0`, `1e0`
/// or `-0`): for JSON-RPC ids, which are echoed verbatim, so a response to request 1 carries
/// exactly `1`.
pub(crate) fn plain_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    text.iter().try_fold(0u64, |acc, d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// The number as `u64` if its value is a non-negative integer that fits.
pub(crate) fn to_u64(text: &[u8]) -> Option<u64> {
    match integer(text)? {
        (true, 0) => Some(0),
        (true, _) => None,
        (false, v) => Some(v),
    }
}

/// The number as `i64` if its value is an integer that fits.
pub(crate) fn to_i64(text: &[u8]) -> Option<i64> {
    match integer(text)? {
        (true, v) => 0i64.checked_sub_unsigned(v),
        (false, v) => i64::try_from(v).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_however_written() {
        for (text, want) in [
            ("1", Some(1)),
            ("1.0", Some(1)),
            ("1e3", Some(1000)),
            ("1E+3", Some(1000)),
            ("1.5e1", Some(15)),
            ("-0.0", Some(0)),
            ("-0", Some(0)),
            ("0e-999999999999999999999", Some(0)),
            ("100e-2", Some(1)),
            ("0.0001e4", Some(1)),
            ("18446744073709551615", Some(u64::MAX)),
            ("1.8446744073709551615e19", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("1.5", None),
            ("15e-1", None),
            ("1e20", None),
            ("1e999999999999999999999", None),
            ("-1", None),
            ("", None),
            ("-", None),
            ("1.", None),
            (".5", None),
            ("1e", None),
            ("x", None),
            ("1x", None),
            ("1.0.0", None),
        ] {
            assert_eq!(to_u64(text.as_bytes()), want, "{text}");
        }
        for (text, want) in [
            ("-1", Some(-1)),
            ("-1.0", Some(-1)),
            ("-1e3", Some(-1000)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("-9.223372036854775808e18", Some(i64::MIN)),
            ("9223372036854775807", Some(i64::MAX)),
            ("9223372036854775808", None),
            ("-9223372036854775809", None),
            ("-1.5", None),
            ("-0.0", Some(0)),
        ] {
            assert_eq!(to_i64(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn integers_above_two_to_the_53_keep_every_digit() {
        assert_eq!(to_u64(b"9007199254740993"), Some(9_007_199_254_740_993));
        assert_eq!(to_u64(b"9007199254740993.000"), Some(9_007_199_254_740_993));
        assert_eq!(to_u64(b"9.007199254740993e15"), Some(9_007_199_254_740_993));
    }
}
