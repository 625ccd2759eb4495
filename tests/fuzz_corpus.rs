//! The fuzz targets' seed corpus (`fuzz/seeds/<target>/`), made from the recorded CLI traffic
//! and from the hostile inputs of the test suite, so that it stays in step with the code.
//!
//! This test fails if the committed files differ from what it would write. To rewrite them
//! (after changing the recordings, the input encoding or the list below):
//!
//! ```text
//! REGENERATE_FUZZ_CORPUS=1 cargo test --all-features --test fuzz_corpus
//! ```

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use copilot_sansio::json::RawJson;
use copilot_sansio_fuzzkit::{Action, ClientInput, Sid, conversation};
use support::{Line, frame, load, load_path};

const FIXTURES: [&str; 4] = [
    "error-responses",
    "full-turn-mock-model",
    "no-auth-create-send-destroy",
    "sessionfs-provider",
];

/// Seeds are kept small: libFuzzer mutates them better, and the runs use these `-max_len`.
const FRAME_BUDGET: usize = 8 * 1024;
const JSON_BUDGET: usize = 4 * 1024;
const CLIENT_BUDGET: usize = 12 * 1024;

type Corpus = BTreeMap<String, Vec<u8>>;

/// `frame_decoder` input: 4 bytes of settings (receive buffer size, frame limit / 8, chunking
/// seed), then the wire.
fn framed_input(rx_len: u16, max_frame_8: u8, seed: u8, wire: &[u8]) -> Vec<u8> {
    let rx = rx_len.saturating_sub(1);
    let mut v = vec![rx as u8, (rx >> 8) as u8, max_frame_8, seed];
    v.extend_from_slice(wire);
    v
}

/// The server's frames of a recording, up to `budget` bytes.
fn server_wire(lines: &[Line], budget: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    for l in lines.iter().filter(|l| !l.out) {
        if wire.len() + l.frame.len() > budget {
            break;
        }
        wire.extend_from_slice(&l.frame);
    }
    wire
}

fn frame_decoder_seeds(fixtures: &[(&str, Vec<Line>)]) -> Corpus {
    let mut c = Corpus::new();
    for (name, lines) in fixtures {
        let wire = server_wire(lines, FRAME_BUDGET);
        c.insert(format!("{name}-rx2048"), framed_input(2048, 0, 0x3F, &wire));
        c.insert(
            format!("{name}-rx300-bytewise"),
            framed_input(300, 0, 0, &wire),
        );
        c.insert(
            format!("{name}-rx700-limit256"),
            framed_input(700, 32, 0x12, &wire),
        );
    }
    let ok = br#"{"jsonrpc":"2.0","method":"m","params":{}}"#;
    let with_header = |header: &str| {
        let mut w = header.as_bytes().to_vec();
        w.extend_from_slice(ok);
        w.extend(frame(std::str::from_utf8(ok).unwrap()));
        w
    };
    let hostile: [(&str, Vec<u8>); 16] = [
        ("no-content-length", with_header("Content-Type: x\r\n\r\n")),
        ("negative", with_header("Content-Length: -5\r\n\r\n")),
        ("non-decimal", with_header("Content-Length: 0x2a\r\n\r\n")),
        (
            "u64-max",
            with_header("Content-Length: 18446744073709551615\r\n\r\n"),
        ),
        (
            "u64-overflow",
            with_header("Content-Length: 18446744073709551616\r\n\r\n"),
        ),
        ("spaces", with_header("Content-Length:    42   \r\n\r\n")),
        (
            "space-in-number",
            with_header("Content-Length: 4 2\r\n\r\n"),
        ),
        (
            "space-before-colon",
            with_header("Content-Length : 42\r\n\r\n"),
        ),
        (
            "twice-same",
            with_header("Content-Length: 42\r\nContent-Length: 42\r\n\r\n"),
        ),
        (
            "twice-different",
            with_header("Content-Length: 42\r\ncontent-length: 43\r\n\r\n"),
        ),
        ("no-crlf", with_header("Content-Length: 42")),
        ("lf-lf", with_header("Content-Length: 42\n\n")),
        (
            "short-body",
            b"Content-Length: 100\r\n\r\n{\"jsonrpc\":\"2.0\"".to_vec(),
        ),
        (
            "long-header",
            with_header(&format!(
                "X-Pad: {}\r\nContent-Length: 42\r\n\r\n",
                "p".repeat(1100)
            )),
        ),
        (
            "invalid-utf8",
            with_header("Content-Length: \u{ff}\r\n\r\n"),
        ),
        ("oversized-then-ok", {
            let mut w = frame(&format!("\"{}\"", "x".repeat(3000)));
            w.extend(frame(std::str::from_utf8(ok).unwrap()));
            w
        }),
    ];
    for (name, wire) in hostile {
        c.insert(
            format!("hostile-{name}"),
            framed_input(2048, 0, 0x05, &wire),
        );
        c.insert(
            format!("hostile-{name}-rx64"),
            framed_input(64, 0, 0x01, &wire),
        );
    }
    c
}

fn json_seeds(fixtures: &[(&str, Vec<Line>)], recorded: &[(String, Vec<Line>)]) -> Corpus {
    let mut c = Corpus::new();
    // Each kind of message once per fixture, and once over all the recordings.
    let mut seen_recorded = std::collections::BTreeSet::new();
    let sources = fixtures
        .iter()
        .map(|(n, l)| (n.to_string(), l, false))
        .chain(recorded.iter().map(|(n, l)| (n.clone(), l, true)));
    for (name, lines, shared) in sources {
        let mut own = std::collections::BTreeSet::new();
        let seen = if shared { &mut seen_recorded } else { &mut own };
        for (i, l) in lines.iter().enumerate() {
            if l.body.len() > JSON_BUDGET {
                continue;
            }
            let Ok(v) = RawJson::parse(&l.body) else {
                c.insert(
                    format!("{name}-{i:03}-malformed"),
                    l.body.clone().into_bytes(),
                );
                continue;
            };
            let kind = match (v.get_str("method"), l.out) {
                (Some(m), _) if m == "session.event" => format!(
                    "event-{}",
                    v.get("params")
                        .and_then(|p| p.get("event"))
                        .and_then(|e| e.get_str("type"))
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                ),
                (Some(m), out) => format!("{}-{m}", if out { "out" } else { "in" }),
                (None, true) => "answer".to_string(),
                (None, false) if v.get("error").is_some() => "error".to_string(),
                (None, false) => "result".to_string(),
            };
            if seen.insert(kind.clone()) {
                c.insert(format!("{name}-{i:03}-{kind}"), l.body.clone().into_bytes());
            }
        }
    }
    let hostile: [(&str, String); 14] = [
        ("deep-arrays", format!("{}1{}", "[".repeat(200), "]".repeat(200))),
        ("deep-objects", format!("{}1{}", "{\"a\":".repeat(130), "}".repeat(130))),
        ("unclosed-deep", "[{\"a\":".repeat(300)),
        (
            "surrogates",
            r#"{"jsonrpc":"2.0","method":"session.event","params":{"sessionId":"a","event":{"type":"assistant.message_delta","data":{"deltaContent":"\ud83d|\ud83d\ude00|\udc00|\ude00\ud83d|\uD83D\uDE00x"}}}}"#.to_string(),
        ),
        ("escapes", r#"["\"\\\/\b\f\n\r\t\u0000\u001f\u00e9\u2028", "\u0061b"]"#.to_string()),
        ("escaped-keys", r#"{"\u006a\u0073onrpc":"2.0","\u0069d":1,"\u0072esult":{}}"#.to_string()),
        ("numbers", "[0,-0,1e400,-1e-400,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809,1.5E+3,0.000001]".to_string()),
        ("ids-of-every-type", r#"[{"jsonrpc":"2.0","id":null,"result":1},{"jsonrpc":"2.0","id":true,"method":"m"},{"jsonrpc":"2.0","id":{},"method":"m"},{"jsonrpc":"2.0","id":[1],"method":"m"},{"jsonrpc":"2.0","id":1.0,"result":1}]"#.to_string()),
        ("request-null-id", r#"{"jsonrpc":"2.0","id":null,"method":"sessionFs.stat","params":{"sessionId":"a"}}"#.to_string()),
        ("request-bool-id", r#"{"jsonrpc":"2.0","id":false,"method":"sessionFs.stat","params":{"sessionId":"a"}}"#.to_string()),
        ("duplicate-keys", r#"{"jsonrpc":"2.0","id":1,"id":2,"result":{"sessionId":"a","sessionId":"b"}}"#.to_string()),
        ("many-members", r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"jsonrpc":"2.0","method":"x"}"#.to_string()),
        ("whitespace", " \t\r\n{ \"jsonrpc\" : \"2.0\" , \"method\" : \"m\" , \"params\" : [ ] } \n".to_string()),
        ("invalid-utf8", String::from_utf8_lossy(b"[\"\xed\xa0\x80\"]").into_owned()),
    ];
    for (name, text) in hostile {
        c.insert(format!("hostile-{name}"), text.into_bytes());
    }
    c.insert(
        "hostile-raw-invalid-utf8".into(),
        b"[\"\xed\xa0\x80\xc0\xaf\"]".to_vec(),
    );
    c
}

/// A recorded conversation as client actions: the recorded client's calls, the CLI's frames,
/// delivered `split` bytes at a time (0: whole), and answers to its requests.
fn client_seed(lines: &[Line], split: u16) -> ClientInput {
    let mut input = ClientInput {
        caps: 2,  // 8 sessions, 16 pending
        rx: 8191, // 8255 bytes
        tx: 4095, // 4607 bytes
        max_frame: 0,
        timeout: 0,
        handles: 1, // sessionFs
        actions: Vec::new(),
    };
    let a = &mut input.actions;
    let mut opened: Vec<String> = Vec::new();
    let mut server_requests: Vec<String> = Vec::new();
    let mut server_bytes = 0;
    for l in lines {
        let Ok(v) = RawJson::parse(&l.body) else {
            // A malformed frame: sent as it is, or skipped if it was the client's.
            if !l.out {
                a.push(Action::Frame(l.body.clone().into_bytes()));
            }
            continue;
        };
        if !l.out {
            if server_bytes + l.frame.len() > CLIENT_BUDGET {
                break;
            }
            server_bytes += l.frame.len();
            if v.get("id").is_some() && v.get("method").is_some() {
                server_requests.push(v.get("id").unwrap().to_string());
            }
            a.push(Action::Frame(l.body.clone().into_bytes()));
            if split == 0 {
                a.push(Action::Deliver { bytes: u16::MAX });
                a.push(Action::Poll { max: 0 });
            } else {
                for _ in 0..l.frame.len().div_ceil(usize::from(split)) {
                    a.push(Action::Deliver { bytes: split });
                    a.push(Action::Poll { max: 0 });
                }
            }
            continue;
        }
        let method = v.get_str("method").map(|m| m.to_string());
        let sid = v
            .get("params")
            .and_then(|p| p.get_str("sessionId"))
            .map(|s| s.to_string());
        let session_index = |sid: &str| opened.iter().position(|s| s == sid).map(|i| i as u8);
        match (method.as_deref(), sid) {
            (None, _) => {
                // An answer to a server request (or a malformed message of the recorder's).
                let Some(id) = v.get("id").map(|id| id.to_string()) else {
                    continue;
                };
                let Some(i) = server_requests.iter().position(|r| *r == id) else {
                    continue;
                };
                if i > usize::from(u8::MAX) {
                    break;
                }
                let how = if v.get("error").is_some() { 2 } else { 1 };
                a.push(Action::Respond {
                    request: i as u8,
                    how,
                });
            }
            (Some("connect"), _) => a.push(Action::Connect),
            (Some(m @ ("session.create" | "session.resume")), Some(sid)) => {
                opened.push(sid.clone());
                a.push(Action::Open {
                    resume: m == "session.resume",
                    id: Sid::Text(sid),
                    options: 1,
                });
            }
            (Some("session.destroy"), Some(sid)) => {
                let Some(i) = session_index(&sid) else { break };
                a.push(Action::Destroy { session: i });
            }
            (Some(_), Some(sid)) if session_index(&sid).is_some() => {
                a.push(Action::SessionRequest {
                    session: session_index(&sid).unwrap(),
                    params: 1,
                });
            }
            (Some(_), _) => a.push(Action::Request { params: 0 }),
        }
        a.push(Action::DrainAll);
    }
    input
}

/// Scripted scenarios around the hard cases: early traffic, timeouts and orphans, floods of
/// server requests, a full transmit buffer, the end of input in the middle of everything.
fn scenarios() -> Vec<(&'static str, ClientInput)> {
    use Action::*;
    let base = |caps, timeout, actions: Vec<Action>| ClientInput {
        caps,
        rx: 4096,
        tx: 0,
        max_frame: 0,
        timeout,
        handles: 0xFFFF,
        actions,
    };
    let pool = |i| Sid::Pool(i);
    vec![
        (
            "early-traffic",
            base(
                0,
                0,
                vec![
                    Connect,
                    DrainAll,
                    Response { to: 0, kind: 0 },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    Open {
                        resume: false,
                        id: pool(0),
                        options: 1,
                    },
                    DrainAll,
                    Lifecycle { session: 0 },
                    SessionEvent {
                        session: 0,
                        kind: 0,
                    },
                    ServerRequest {
                        method: 0,
                        session: 0,
                        id: 0,
                    },
                    SessionEvent {
                        session: 0x80,
                        kind: 1,
                    },
                    Deliver { bytes: 50 },
                    Poll { max: 0 },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    Respond { request: 0, how: 0 },
                    DrainAll,
                    Response { to: 1, kind: 0 },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    Destroy { session: 0 },
                    DrainAll,
                    SessionEvent {
                        session: 0,
                        kind: 2,
                    },
                    Response { to: 2, kind: 5 },
                    SessionEvent {
                        session: 0,
                        kind: 3,
                    },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                ],
            ),
        ),
        (
            "timeout-orphan",
            base(
                0,
                100,
                vec![
                    Open {
                        resume: false,
                        id: pool(5),
                        options: 0,
                    },
                    Open {
                        resume: true,
                        id: pool(4),
                        options: 1,
                    },
                    DrainAll,
                    ServerRequest {
                        method: 1,
                        session: 5,
                        id: 2,
                    },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    Advance { ms: 150 },
                    Poll { max: 0 },
                    Response { to: 0, kind: 0 },
                    Response { to: 1, kind: 6 },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    DrainAll,
                    Response { to: 2, kind: 0 },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                ],
            ),
        ),
        (
            "flood",
            base(
                1,
                0,
                vec![
                    Open {
                        resume: false,
                        id: pool(1),
                        options: 0,
                    },
                    DrainAll,
                    ServerRequest {
                        method: 0,
                        session: 1,
                        id: 0,
                    },
                    ServerRequest {
                        method: 1,
                        session: 1,
                        id: 1,
                    },
                    ServerRequest {
                        method: 2,
                        session: 1,
                        id: 2,
                    },
                    ServerRequest {
                        method: 3,
                        session: 1,
                        id: 3,
                    },
                    ServerRequest {
                        method: 5,
                        session: 0x40,
                        id: 0,
                    },
                    ServerRequest {
                        method: 6,
                        session: 0x40,
                        id: 6,
                    },
                    ServerRequest {
                        method: 0,
                        session: 1,
                        id: 7,
                    },
                    ServerRequest {
                        method: 0,
                        session: 9,
                        id: 5,
                    },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    Response { to: 0, kind: 7 },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                ],
            ),
        ),
        (
            "tx-full",
            base(
                2,
                0,
                vec![
                    Request { params: 1 },
                    Request { params: 1 },
                    Request { params: 1 },
                    Request { params: 1 },
                    Open {
                        resume: false,
                        id: pool(7),
                        options: 1,
                    },
                    Open {
                        resume: false,
                        id: pool(6),
                        options: 1,
                    },
                    ServerRequest {
                        method: 0,
                        session: 7,
                        id: 0,
                    },
                    ServerRequest {
                        method: 4,
                        session: 6,
                        id: 0,
                    },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    Drain { bytes: 100 },
                    Poll { max: 0 },
                    Respond { request: 0, how: 4 },
                    Drain { bytes: 300 },
                    Poll { max: 0 },
                    Eof,
                    Poll { max: 0 },
                ],
            ),
        ),
        (
            "eof-mid-frame",
            base(
                0,
                0,
                vec![
                    Connect,
                    Open {
                        resume: false,
                        id: pool(2),
                        options: 1,
                    },
                    DrainAll,
                    Response { to: 1, kind: 0 },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    ServerRequest {
                        method: 0,
                        session: 2,
                        id: 1,
                    },
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    Destroy { session: 0 },
                    Response { to: 0, kind: 6 },
                    Deliver { bytes: 30 },
                    Eof,
                    Poll { max: 0 },
                ],
            ),
        ),
        (
            "big-frames",
            ClientInput {
                max_frame: 256,
                ..base(
                    0,
                    0,
                    vec![
                        Open {
                            resume: false,
                            id: pool(0),
                            options: 0,
                        },
                        Request { params: 0 },
                        DrainAll,
                        BigFrame {
                            kind: 0,
                            to: 0,
                            len: 400,
                        },
                        BigFrame {
                            kind: 1,
                            to: 1,
                            len: 400,
                        },
                        BigFrame {
                            kind: 1,
                            to: 0,
                            len: 400,
                        },
                        BigFrame {
                            kind: 2,
                            to: 0,
                            len: 400,
                        },
                        Deliver { bytes: 9999 },
                        Poll { max: 0 },
                        DrainAll,
                        Poll { max: 0 },
                    ],
                )
            },
        ),
        (
            "garbage",
            base(
                0,
                0,
                vec![
                    Frame(b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",\"params\":3}".to_vec()),
                    Frame(b"[1,2".to_vec()),
                    Frame(b"\"\xff\"".to_vec()),
                    Garbage(b"Content-Length: 5\r\n\r\n{}{}}".to_vec()),
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                    Garbage(b"Content-Length: x\r\n\r\n".to_vec()),
                    Deliver { bytes: 9999 },
                    Poll { max: 0 },
                ],
            ),
        ),
    ]
}

fn client_seeds(fixtures: &[(&str, Vec<Line>)]) -> Corpus {
    let mut c = Corpus::new();
    for (name, lines) in fixtures {
        c.insert(format!("{name}-whole"), client_seed(lines, 0).to_bytes());
        c.insert(format!("{name}-split37"), client_seed(lines, 37).to_bytes());
    }
    for (name, input) in scenarios() {
        c.insert(format!("scenario-{name}"), input.to_bytes());
    }
    c
}

/// The recordings of `tests/recorded/` other than the [`FIXTURES`], named `recorded-<file>`.
fn recordings() -> Vec<(String, Vec<Line>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .filter(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy();
            !FIXTURES.contains(&stem.as_ref())
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy();
            (format!("recorded-{stem}"), load_path(&p.to_string_lossy()))
        })
        .collect()
}

fn corpus() -> BTreeMap<&'static str, Corpus> {
    let fixtures: Vec<(&str, Vec<Line>)> = FIXTURES
        .iter()
        .map(|name| (*name, load(&format!("{name}.jsonl"))))
        .collect();
    // Every fixture body is valid JSON: the seeds start from real traffic.
    for (_, lines) in &fixtures {
        for l in lines {
            RawJson::parse(&l.body).expect("fixture body");
        }
    }
    let recorded = recordings();
    let mut frames = frame_decoder_seeds(&fixtures);
    let mut clients = client_seeds(&fixtures);
    for (name, lines) in &recorded {
        frames.insert(
            format!("{name}-rx2048"),
            framed_input(2048, 0, 0x3F, &server_wire(lines, FRAME_BUDGET)),
        );
        // Every server request reaches the caller, as in the recordings.
        let input = ClientInput {
            handles: 0xFFFF,
            ..client_seed(lines, 37)
        };
        clients.insert(format!("{name}-split37"), input.to_bytes());
    }
    // Conversations with the simulated CLI: clean lines, and lines with a fault now and then.
    let mut rng = copilot_sansio_fuzzkit::Rng::new(0x5EED_FA17);
    let lines: Corpus = (0..12)
        .map(|i| {
            let (name, rate) = if i < 4 {
                ("clean", u64::MAX)
            } else {
                ("faulty", 6)
            };
            (format!("{name}-{i:02}"), conversation(&mut rng, rate))
        })
        .collect();
    BTreeMap::from([
        ("frame_decoder", frames),
        ("json_scan", json_seeds(&fixtures, &recorded)),
        ("client", clients),
        ("sim_faults", lines),
    ])
}

fn dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target)
}

fn committed(target: &str) -> Corpus {
    let mut c = Corpus::new();
    if let Ok(entries) = std::fs::read_dir(dir(target)) {
        for e in entries {
            let e = e.unwrap();
            c.insert(
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            );
        }
    }
    c
}

#[test]
fn seed_corpus_matches_the_fixtures() {
    let regenerate = std::env::var_os("REGENERATE_FUZZ_CORPUS").is_some_and(|v| v == "1");
    for (target, seeds) in corpus() {
        for (name, bytes) in &seeds {
            assert!(
                name.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c)),
                "{name}"
            );
            if target != "client" {
                continue;
            }
            assert_eq!(
                ClientInput::from_bytes(bytes).to_bytes(),
                *bytes,
                "{name} does not round-trip"
            );
        }
        if regenerate {
            let d = dir(target);
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).unwrap();
            for (name, bytes) in &seeds {
                std::fs::write(d.join(name), bytes).unwrap();
            }
            continue;
        }
        let on_disk = committed(target);
        let names = |c: &Corpus| c.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            names(&on_disk),
            names(&seeds),
            "fuzz/seeds/{target} is out of date: run REGENERATE_FUZZ_CORPUS=1 cargo test --all-features --test fuzz_corpus"
        );
        for (name, bytes) in &seeds {
            assert!(
                on_disk[name] == *bytes,
                "fuzz/seeds/{target}/{name} is out of date: run REGENERATE_FUZZ_CORPUS=1 cargo test --all-features --test fuzz_corpus"
            );
        }
    }
}
