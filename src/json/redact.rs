//! Secrets out of `Debug`: the member names that hold secrets, and JSON text printed with their
//! values replaced by `<redacted>`, at any depth, in one pass and without recursion.

use super::scan;

/// What `Debug` prints in place of a secret (a token, a key).
pub(crate) const REDACTED: &str = "<redacted>";

/// True for member names that hold secrets (their values are never printed), whatever the
/// value's type: `token` and `*Token`, `*apiKey*`, `*secret*`, `*password*`, `*cookie*`,
/// `authorization`, `hmac`, `*headers`; ASCII case ignored. The code generator applies the
/// same names to the fields of generated types, and more where it knows the type (see
/// `codegen/src/names.rs`).
pub(crate) fn is_secret_key(key: &[u8]) -> bool {
    let lower = |b: &u8| b.to_ascii_lowercase();
    let ends = |suffix: &[u8]| {
        key.len() >= suffix.len()
            && key[key.len() - suffix.len()..]
                .iter()
                .map(lower)
                .eq(suffix.iter().copied())
    };
    let has = |part: &[u8]| {
        key.windows(part.len())
            .any(|w| w.iter().map(lower).eq(part.iter().copied()))
    };
    ends(b"token")
        || ends(b"headers")
        || has(b"apikey")
        || has(b"api_key")
        || has(b"secret")
        || has(b"password")
        || has(b"cookie")
        || key.eq_ignore_ascii_case(b"authorization")
        || key.eq_ignore_ascii_case(b"hmac")
}

/// Passes `text` (valid JSON) to `out` in pieces, the value of every secret member replaced by
/// [`REDACTED`]: members whose names [`is_secret_key`] takes, at any depth, and members of the
/// outer object named in `top`. Everything else, whitespace included, is passed as it is.
/// Returns whether anything was redacted.
pub(crate) fn redact<E>(
    text: &str,
    top: &[&str],
    out: &mut dyn FnMut(&str) -> Result<(), E>,
) -> Result<bool, E> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    // Where the text not yet passed to `out` starts.
    let mut from = 0;
    let mut redacted = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let Some((end, _)) = scan::skip_string(b, i) else {
                    break;
                };
                let colon = scan::ws(b, end);
                if b.get(colon) == Some(&b':') {
                    // A member name (a string followed by `:` is one nowhere else).
                    let key = &b[i + 1..end - 1];
                    let secret = is_secret_key(key)
                        || (depth == 1 && top.iter().any(|t| t.as_bytes() == key));
                    let start = scan::ws(b, colon + 1);
                    if let (true, Some(stop)) = (secret, scan::skip_value(b, start)) {
                        // Split at ASCII bytes (a `:` or whitespace, a delimiter), so on
                        // character boundaries.
                        out(text.get(from..start).unwrap_or(""))?;
                        out(REDACTED)?;
                        redacted = true;
                        from = stop;
                        i = stop;
                        continue;
                    }
                }
                i = end;
            }
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    out(text.get(from..).unwrap_or(""))?;
    Ok(redacted)
}

/// True if printing `text` would redact something (see [`redact`]).
#[cfg(any(feature = "defmt", test))]
pub(crate) fn has_secret(text: &str, top: &[&str]) -> bool {
    redact::<()>(text, top, &mut |_| Ok(())).unwrap_or(true)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::String;

    use super::*;

    fn shown(text: &str, top: &[&str]) -> String {
        let mut s = String::new();
        redact::<()>(text, top, &mut |p| {
            s.push_str(p);
            Ok(())
        })
        .unwrap();
        s
    }

    #[test]
    fn redacts_secret_members_at_any_depth() {
        assert_eq!(
            shown(
                r#"{"a":{"token":"t","b":[{"apiKey" : {"x":"y"}}, 1]},"tokenType":"bearer"}"#,
                &[]
            ),
            r#"{"a":{"token":<redacted>,"b":[{"apiKey" : <redacted>}, 1]},"tokenType":"bearer"}"#
        );
        // Values that only look like names are left alone.
        let text = r#"{"kind": "token", "list": ["apiKey", "hmac"], "n": {"k": "password"}}"#;
        assert_eq!(shown(text, &[]), text);
        assert!(!has_secret(text, &[]));
        assert_eq!(
            shown(r#"{"type":"hmac","hmac":"h","x":"\"token\":1"}"#, &[]),
            r#"{"type":"hmac","hmac":<redacted>,"x":"\"token\":1"}"#
        );
    }

    #[test]
    fn top_names_count_only_in_the_outer_object() {
        let text = r#"{"value":"s","inner":{"value":"kept"}}"#;
        assert_eq!(
            shown(text, &["value"]),
            r#"{"value":<redacted>,"inner":{"value":"kept"}}"#
        );
        assert_eq!(shown(text, &[]), text);
        assert!(has_secret(text, &["value"]));
    }

    #[test]
    fn names_of_secrets() {
        for key in [
            "token",
            "gitHubToken",
            "apiKey",
            "x-api_key",
            "clientSecret",
            "PASSWORD",
            "Set-Cookie",
            "authorization",
            "hmac",
            "requestHeaders",
        ] {
            assert!(is_secret_key(key.as_bytes()), "{key}");
        }
        for key in [
            "tokenType",
            "maxOutputTokens",
            "author",
            "hmacEnabled",
            "header",
        ] {
            assert!(!is_secret_key(key.as_bytes()), "{key}");
        }
    }
}
