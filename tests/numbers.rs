//! The one number reader: integer fields read a number whose value is an integer however it
//! is written, through `RawJson::as_u64`/`as_i64` and so through every view.

use copilot_sansio::json::RawJson;
use proptest::prelude::*;

fn read(text: &str) -> (Option<u64>, Option<i64>) {
    let raw = RawJson::parse(text).unwrap();
    (raw.as_u64(), raw.as_i64())
}

#[test]
fn the_forms_the_cli_writes() {
    for (text, want) in [
        ("1", Some(1)),
        ("1.0", Some(1)),
        ("1e3", Some(1000)),
        ("1.5e1", Some(15)),
        ("-0.0", Some(0)),
        ("100e-2", Some(1)),
        ("30.000", Some(30)),
        ("1.5", None),
        ("1e-1", None),
        ("1e20", None),
        ("-1", None),
    ] {
        assert_eq!(read(text).0, want, "{text}");
    }
    assert_eq!(read("-1.0").1, Some(-1));
    assert_eq!(read("-9.223372036854775808e18").1, Some(i64::MIN));
    assert_eq!(read("9007199254740993.0").0, Some(9_007_199_254_740_993));
    assert_eq!(read("\"1\""), (None, None));
    assert_eq!(read("true"), (None, None));
}

#[test]
fn every_view_reads_integers_the_same_way() {
    use copilot_sansio::SessionEvent;
    use copilot_sansio::proto::events::TypedEvent;
    // A generated event view: token counts as the CLI may write them.
    let raw = RawJson::parse(
        r#"{"type":"assistant.usage","data":{"model":"m","inputTokens":12.0,"outputTokens":3e1,"cacheReadTokens":1.5}}"#,
    )
    .unwrap();
    let TypedEvent::AssistantUsage(usage) = SessionEvent::from_event(raw).unwrap().typed() else {
        panic!("not a usage event")
    };
    assert_eq!(usage.input_tokens(), Some(12));
    assert_eq!(usage.output_tokens(), Some(30));
    // A fraction is not an integer: absent, not truncated.
    assert_eq!(usage.cache_read_tokens(), None);
    // A generated result view and a hand-written server request view.
    let pong = RawJson::parse(r#"{"message":"pong","protocolVersion":3.0}"#).unwrap();
    let pong = copilot_sansio::proto::results::PingResult::new(pong);
    assert_eq!(pong.protocol_version(), Some(3));
    let ask = RawJson::parse(r#"{"sessionId":"s","retryAfterSeconds":1.0}"#).unwrap();
    let ask = copilot_sansio::proto::server::AutoModeSwitchRequest::new(ask);
    assert_eq!(ask.retry_after_seconds(), Some(1));
}

/// `mantissa` with a decimal point `frac` digits from its right, then `e<exp>`.
fn write(mantissa: i64, frac: usize, exp: i32) -> String {
    let mut digits = mantissa.unsigned_abs().to_string();
    while digits.len() <= frac {
        digits.insert(0, '0');
    }
    let sign = if mantissa < 0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{digits}e{exp}")
    } else {
        let (int, fraction) = digits.split_at(digits.len() - frac);
        format!("{sign}{int}.{fraction}e{exp}")
    }
}

/// The value of `mantissa * 10^(exp - frac)` if it is an integer, by i128 arithmetic.
fn exact(mantissa: i64, frac: usize, exp: i32) -> Option<i128> {
    let m = i128::from(mantissa);
    let shift = exp - frac as i32;
    if m == 0 {
        return Some(0);
    }
    if shift >= 0 {
        10i128
            .checked_pow(shift as u32)
            .and_then(|p| m.checked_mul(p))
    } else {
        let p = 10i128.checked_pow(shift.unsigned_abs())?;
        (m % p == 0).then_some(m / p)
    }
}

proptest! {
    #[test]
    fn integers_read_as_their_exact_value(
        mantissa in any::<i64>(),
        frac in 0usize..8,
        exp in -40i32..40,
    ) {
        let text = write(mantissa, frac, exp);
        let value = exact(mantissa, frac, exp);
        let (u, i) = read(&text);
        prop_assert_eq!(u, value.and_then(|v| u64::try_from(v).ok()), "{}", text);
        prop_assert_eq!(i, value.and_then(|v| i64::try_from(v).ok()), "{}", text);
    }

    #[test]
    fn integers_agree_with_f64_below_two_to_the_53(x in -9.0e15f64..9.0e15f64) {
        for text in [format!("{x}"), format!("{x:e}"), format!("{x:.3}")] {
            let parsed: f64 = text.parse().unwrap();
            let want = (parsed.fract() == 0.0).then_some(parsed as i64);
            prop_assert_eq!(read(&text).1, want, "{}", text);
        }
    }
}
