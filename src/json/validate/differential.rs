//! The validator against the byte-at-a-time [`reference`](super::reference), with both
//! classifiers (the vector one and the word one, whichever this target uses): the same verdict,
//! the same error kind and offset, the same recorded members.

extern crate std;

use std::format;
use std::string::String;
use std::vec::Vec;

use proptest::prelude::*;

use super::super::scan::{Native, Swar};
use super::{MAX_DEPTH, MemberIndex, reference, validate_with};

/// Checks `b` at `max_depth` with both classifiers against the reference.
fn same(b: &[u8], max_depth: usize) {
    let mut expected_top = MemberIndex::default();
    let expected = reference::validate_recording(b, max_depth, &mut expected_top);
    let mut native_top = MemberIndex::default();
    let native = validate_with::<Native>(b, max_depth, &mut native_top);
    let mut swar_top = MemberIndex::default();
    let swar = validate_with::<Swar>(b, max_depth, &mut swar_top);
    let shown = String::from_utf8_lossy(b);
    assert_eq!(
        native, expected,
        "native, depth {max_depth}: {shown:?} {b:02x?}"
    );
    assert_eq!(
        swar, expected,
        "swar, depth {max_depth}: {shown:?} {b:02x?}"
    );
    if expected.is_ok() {
        assert_eq!(native_top, expected_top, "native members: {shown:?}");
        assert_eq!(swar_top, expected_top, "swar members: {shown:?}");
    }
}

fn check(b: &[u8]) {
    same(b, MAX_DEPTH);
}

/// Every byte value, or under Miri (slow) the values where the classes change.
fn bytes() -> Vec<u8> {
    if cfg!(miri) {
        std::vec![
            0x00, 0x1f, 0x20, b'"', b'\\', b'a', 0x7f, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4,
            0xff
        ]
    } else {
        (0..=255).collect()
    }
}

/// A `session.event` frame body as the CLI writes it, with escapes and non-ASCII text.
fn frame() -> Vec<u8> {
    let text = r#"caf\u00e9 na\u00efve \"quoted\" line\n 日本語 🚀 über señor \ud83d lone"#;
    format!(
        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"0b5e6a1c-0f7e-4d2a-9c1b-3e8f2a7d6c5b","event":{{"type":"assistant.message_delta","data":{{"messageId":"7f3c2b1a-9d8e-4f6a-b5c4-d3e2f1a0b9c8","deltaContent":"{text}"}},"ephemeral":true,"id":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","timestamp":"2026-11-23T23:00:01.234Z","parentId":null}}}}}}"#
    )
    .into_bytes()
}

#[test]
fn every_byte_at_every_offset_of_a_string() {
    // Byte `x` at offset `at` of a string of `len` bytes, as a key and as a value, with the
    // string starting at different offsets from the start of the text and ending at different
    // distances from its end: every lane of a step, the step boundaries and the short tail.
    let (leads, lens): (&[usize], &[usize]) = if cfg!(miri) {
        (&[0, 5], &[7, 9, 17, 33])
    } else {
        (&[0, 5, 13], &[1, 7, 8, 9, 15, 16, 17, 31, 33, 47])
    };
    for &lead in leads {
        for &len in lens {
            for at in 0..len {
                for x in bytes() {
                    for tail in ["", "  ", r#","z":[1,{"y":null}]"#] {
                        let mut s: Vec<u8> = Vec::new();
                        s.extend_from_slice(&b"                "[..lead]);
                        s.extend_from_slice(b"{\"");
                        let key = s.len();
                        s.extend(core::iter::repeat_n(b'k', len));
                        s.extend_from_slice(b"\":\"");
                        let value = s.len();
                        s.extend(core::iter::repeat_n(b'v', len));
                        s.push(b'"');
                        s.extend_from_slice(tail.as_bytes());
                        s.push(b'}');
                        for place in [key, value] {
                            let mut t = s.clone();
                            t[place + at] = x;
                            check(&t);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn every_byte_pair_in_a_string() {
    // Two-byte sequences at a step boundary and inside a step: UTF-8 leads followed by every
    // byte, escapes followed by every byte.
    let firsts: Vec<u8> = if cfg!(miri) {
        bytes()
    } else {
        (0x80..=0xffu8).chain([b'\\', b'"', 0x1f, b'a']).collect()
    };
    for at in [0, 6, 7, 8, 14, 15, 16, 20] {
        for &x in &firsts {
            for y in bytes() {
                let mut s = *b"[\"abcdefghijklmnopqrstuvwxyz0123456789\",1]";
                s[2 + at] = x;
                s[3 + at] = y;
                check(&s);
            }
        }
    }
}

#[test]
fn two_errors_in_a_string_far_apart() {
    // A string whose UTF-8 goes wrong, or is cut short, before another error a window or more
    // further on: the first one is reported. With a valid character first, the second error
    // alone.
    let firsts: [&[u8]; 5] = [
        b"\xff",
        b"\xc3",
        b"\xe6\x97",
        b"\xc3\xa9",
        b"\xf0\x9f\x9a\x80",
    ];
    let seconds: [&[u8]; 6] = [b"\x01", b"\\q", b"\\u12", b"\\", b"\xed\xa0\x80", b""];
    let gaps: &[usize] = if cfg!(miri) {
        &[0, 40]
    } else {
        &[0, 1, 7, 8, 31, 32, 33, 40, 70]
    };
    for first in firsts {
        for second in seconds {
            for &gap in gaps {
                for lead in [&b"\""[..], b"\"ab", b"{\"k\":\"\\n"] {
                    let mut s = lead.to_vec();
                    s.extend_from_slice(first);
                    s.extend(core::iter::repeat_n(b'a', gap));
                    s.extend_from_slice(second);
                    check(&s);
                    s.extend_from_slice(b"\"}");
                    check(&s);
                }
            }
        }
    }
}

#[test]
fn a_frame_cut_anywhere_and_broken_anywhere() {
    let frame = frame();
    check(&frame);
    let step = if cfg!(miri) { 7 } else { 1 };
    for cut in (0..=frame.len()).step_by(step) {
        check(&frame[..cut]);
    }
    // Under Miri (slow), every 29th byte broken.
    let every = if cfg!(miri) { 29 } else { 1 };
    for at in (0..frame.len()).step_by(every) {
        for x in [
            0x00, 0x0a, b' ', b'"', b'\\', b',', b':', b'}', b']', b'{', 0x80, 0xc3, 0xff,
        ] {
            let mut t = frame.clone();
            t[at] = x;
            check(&t);
        }
    }
}

#[test]
fn deep_and_mixed_nesting() {
    // Objects and arrays alternating in every pattern of a few bits, up to past the limit.
    let patterns = if cfg!(miri) { 0..3u32 } else { 0..16u32 };
    for pattern in patterns {
        // Under Miri (slow), the depths around the limit only.
        let depths: &[usize] = if cfg!(miri) {
            &[1, 127, 128, 129]
        } else {
            &[1, 2, 63, 64, 65, 127, 128, 129, 200]
        };
        for &depth in depths {
            let mut s = String::new();
            for d in 0..depth {
                if pattern >> (d % 4) & 1 == 1 {
                    s.push_str("{\"k\":");
                } else {
                    s.push('[');
                }
            }
            s.push_str("\"x\"");
            for d in (0..depth).rev() {
                s.push(if pattern >> (d % 4) & 1 == 1 {
                    '}'
                } else {
                    ']'
                });
            }
            for limit in [0, 1, depth.saturating_sub(1), depth, MAX_DEPTH, 1000] {
                same(s.as_bytes(), limit);
            }
            // Closed with the wrong bracket at each level.
            let bytes = s.as_bytes();
            let every = if cfg!(miri) { 16 } else { 1 };
            for at in ((bytes.len() - depth)..bytes.len()).step_by(every) {
                let mut t = bytes.to_vec();
                t[at] = if t[at] == b'}' { b']' } else { b'}' };
                check(&t);
            }
        }
    }
}

/// A JSON string's wire form: plain text, every escape (lone surrogates included), non-ASCII.
fn json_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z0-9 .:_-]{0,20}",
        Just(String::from(r#"\""#)),
        Just(String::from(r"\\")),
        Just(String::from(r"\/")),
        Just(String::from(r"\b\f\n\r\t")),
        (0u32..=0xffff).prop_map(|u| format!("\\u{u:04x}")),
        (0xd800u32..=0xdfff).prop_map(|u| format!("\\u{u:04X}")),
        any::<char>()
            .prop_filter("no quote, backslash or control", |c| {
                *c >= ' ' && *c != '"' && *c != '\\'
            })
            .prop_map(String::from),
        "[é日🚀ñ]{1,4}",
    ];
    proptest::collection::vec(piece, 0..8).prop_map(|p| format!("\"{}\"", p.concat()))
}

fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\n\t "), 1 => Just("\r\n")]
}

/// JSON text with random spacing.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        json_string(),
        Just(String::from("true")),
        Just(String::from("false")),
        Just(String::from("null")),
        "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec((inner.clone(), space()), 0..6).prop_map(|items| {
                let items: Vec<String> = items
                    .into_iter()
                    .map(|(v, s)| format!("{s}{v}{s}"))
                    .collect();
                format!("[{}]", items.join(","))
            }),
            proptest::collection::vec((json_string(), inner, space()), 0..10).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v, s)| format!("{s}{k}{s}:{s}{v}{s}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// A change to a text: a byte replaced, inserted or removed, or the text cut.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Cut(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, x)| Edit::Replace(at, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, x)| Edit::Insert(at, x)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Cut),
    ]
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = b.len();
        match *e {
            Edit::Replace(at, x) if n > 0 => b[at % n] = x,
            Edit::Insert(at, x) => b.insert(at % (n + 1), x),
            Edit::Remove(at) if n > 0 => {
                b.remove(at % n);
            }
            Edit::Cut(at) => b.truncate(at % (n + 1)),
            _ => {}
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    // Proptest under Miri is too slow to be useful; the loops above run there instead.
    #[test]
    #[cfg_attr(miri, ignore)]
    fn generated_json_agrees(v in json_value(), lead in space(), trail in space()) {
        let text = format!("{lead}{v}{trail}");
        check(text.as_bytes());
        // Nested inside a frame-like envelope too, so top-level members get recorded.
        let framed = format!(r#"{{"jsonrpc":"2.0","params":{v},"id":1}}"#);
        check(framed.as_bytes());
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn edited_json_agrees(v in json_value(), edits in proptest::collection::vec(edit(), 1..4)) {
        let b = apply(v.into_bytes(), &edits);
        check(&b);
        for depth in [0, 1, 2, 5] {
            same(&b, depth);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)]
    fn arbitrary_bytes_agree(b in proptest::collection::vec(any::<u8>(), 0..80)) {
        check(&b);
    }
}
