//! The whole protocol as the CLI's schemas describe it (the generated part of the crate):
//! every event type decodes from a frame, every method's params serialize through the client
//! to the JSON the schema asks for, every server request's answer serializes, and no secret
//! is ever printed by `Debug`.
//!
//! `generated/` is written by `copilot-sansio-codegen` from the schemas: one call per method
//! (`methods`), one answer per server request (`answers`), every type with a secret
//! (`secrets`), and one sample frame per event type built from the schema's required fields
//! (`event-samples.jsonl`, used where `tests/recorded/` has no frame of that type).

mod generated;
// The frame helper shared by the tests (the rest of that file is not used here).
#[path = "support/wire.rs"]
#[allow(dead_code)]
mod wire;

use std::collections::BTreeMap;

use copilot_sansio::json::RawJson;
use copilot_sansio::proto::events::{EVENT_TYPES, TypedEvent};
use copilot_sansio::proto::server::{SERVER_METHODS, ServerCall};
use copilot_sansio::proto::{Callback, Method};
use copilot_sansio::{
    CallerAnswers, Client, Config, Event, Inbox, Instant, SessionEvent, SessionId,
};
use wire::frame;

const NOW: Instant = Instant::from_millis(0);
const SID: &str = "s-1";

/// The params of the one request a client queued.
fn sent_params(client: &Client<'_, 2, 2>) -> String {
    let out = std::str::from_utf8(client.transmit_bytes()).unwrap();
    let body = out.split_once("\r\n\r\n").unwrap().1;
    let params = body.split_once(",\"params\":").unwrap().1;
    params[..params.len() - 1].to_string()
}

fn new_client(tx: &mut [u8]) -> Client<'_, 2, 2> {
    Client::new(tx, Config::default()).unwrap()
}

/// A client with one open session (the create's response read), its output taken. Not
/// generic: the checks below are instantiated once per method, so they stay small.
fn with_session(tx: &mut [u8]) -> (Client<'_, 2, 2>, copilot_sansio::SessionHandle) {
    let mut client = new_client(tx);
    let h = client
        .create_session(NOW, SessionId::new(SID).unwrap(), &())
        .unwrap();
    let n = client.transmit_bytes().len();
    client.transmitted(n);
    let mut rx = vec![0u8; 4096];
    let mut inbox = Inbox::new(&mut rx);
    inbox.push(&frame(&format!(
        r#"{{"jsonrpc":"2.0","id":1,"result":{{"sessionId":"{SID}"}}}}"#
    )));
    assert!(matches!(
        client.poll_event(&mut inbox, NOW),
        Some(Event::SessionOpened { .. })
    ));
    (client, h)
}

/// The params of a session-scoped method as sent: `sessionId` first, then `members`.
fn with_session_id(members: &str) -> String {
    match members {
        "{}" => format!(r#"{{"sessionId":"{SID}"}}"#),
        members => format!(r#"{{"sessionId":"{SID}",{}"#, &members[1..]),
    }
}

/// A client that received one server request, and its reply handle.
fn with_request(tx: &mut [u8]) -> (Client<'_, 2, 2>, copilot_sansio::ReplyHandle) {
    let config = Config::default().caller_answers(CallerAnswers::ALL);
    let mut client: Client<'_, 2, 2> = Client::new(tx, config).unwrap();
    let mut rx = vec![0u8; 4096];
    let mut inbox = Inbox::new(&mut rx);
    inbox.push(&frame(
        r#"{"jsonrpc":"2.0","id":7,"method":"x.y","params":{}}"#,
    ));
    let Some(Event::Request(req)) = client.poll_event(&mut inbox, NOW) else {
        panic!("no request")
    };
    (client, req.reply)
}

/// The answer a client sent.
fn answered(client: &Client<'_, 2, 2>) -> String {
    let out = std::str::from_utf8(client.transmit_bytes()).unwrap();
    out.split_once("\r\n\r\n").unwrap().1.to_string()
}

/// Sends a connection-wide method and compares its params with the schema's sample.
pub fn check_connection<M: Method>(params: &M, name: &str, expected: &str) -> usize {
    assert_eq!((M::NAME, M::SESSION), (name, false));
    let mut tx = vec![0u8; 64 * 1024];
    let mut client = new_client(&mut tx);
    let _ = client.call(NOW, params).unwrap();
    assert_eq!(sent_params(&client), expected, "{name}");
    1
}

/// Sends a session-scoped method: `sessionId` comes first, from the session table.
pub fn check_session<M: Method>(params: &M, name: &str, expected: &str) -> usize {
    assert_eq!((M::NAME, M::SESSION), (name, true));
    let mut tx = vec![0u8; 64 * 1024];
    let (mut client, h) = with_session(&mut tx);
    let _ = client.session(h).call(NOW, params).unwrap();
    assert_eq!(sent_params(&client), with_session_id(expected), "{name}");
    1
}

/// Answers a server request with `answer` and compares the result with the schema's sample.
pub fn check_answer<'a, C: Callback<'a>>(
    answer: &C::Answer<'_>,
    name: &str,
    expected: &str,
) -> usize {
    assert_eq!((C::NAME, C::NOTIFICATION), (name, false));
    let mut tx = vec![0u8; 64 * 1024];
    let (mut client, reply) = with_request(&mut tx);
    client.respond(reply, answer).unwrap();
    let expected = format!(r#"{{"jsonrpc":"2.0","id":7,"result":{expected}}}"#);
    assert_eq!(answered(&client), expected, "{name}");
    1
}

#[test]
fn every_method_serializes_its_params() {
    let n = generated::methods();
    let internal = copilot_sansio::proto::params::METHODS
        .iter()
        .filter(|m| m.2)
        .count();
    let all = copilot_sansio::proto::params::METHODS.len();
    assert_eq!(all, 581);
    if cfg!(feature = "internal") {
        assert_eq!(n, all);
    } else if cfg!(feature = "methods") {
        // The public ones, and `connect`, which the schema marks internal.
        assert_eq!(n, all - internal + 1);
    } else {
        // The methods the client's shorthands send (and `connect`).
        assert_eq!(n, 14);
    }
}

#[test]
fn every_server_request_has_an_answer_that_serializes() {
    let n = generated::answers();
    // The public requests (not notifications) and `hooks.invoke`, internal in the schema.
    let internal = if cfg!(feature = "internal") { 6 } else { 0 };
    assert_eq!(n, 29 + internal);
}

/// Event objects by type: from the recordings first, then the generated samples.
fn event_frames() -> BTreeMap<String, (String, &'static str)> {
    let mut found = BTreeMap::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recorded");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for file in files {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            let Ok(line) = RawJson::parse(line) else {
                continue;
            };
            let Some(frame) = line.get_str("frame").map(|f| f.to_string()) else {
                continue;
            };
            let Some((_, body)) = frame.split_once("\r\n\r\n") else {
                continue;
            };
            let Ok(body) = RawJson::parse(body) else {
                continue;
            };
            if body.get_str("method").is_none_or(|m| m != "session.event") {
                continue;
            }
            let Some(event) = body.get("params").and_then(|p| p.get("event")) else {
                continue;
            };
            let Some(t) = event.get_str("type") else {
                continue;
            };
            found
                .entry(t.to_string())
                .or_insert((event.to_string(), "recorded"));
        }
    }
    // Copied from the CLI 1.0.102 fixtures (error-responses.jsonl): the one type they have
    // that `tests/recorded/` does not.
    found.entry("session.error".into()).or_insert((
        r#"{"type":"session.error","data":{"errorType":"query","message":"Execution failed: Error: No GitHub OAuth token available","statusCode":401,"errorCode":"unauthorized"},"id":"5b2a4c9e-0d3f-4a55-9a51-0e5c1f3b9d21","timestamp":"2026-11-23T23:10:26.001Z","parentId":null}"#.into(),
        "fixture",
    ));
    for line in include_str!("generated/event-samples.jsonl").lines() {
        let event = RawJson::parse(line).unwrap();
        let t = event.get_str("type").unwrap().to_string();
        found.entry(t).or_insert((line.to_string(), "sample"));
    }
    found
}

#[test]
fn every_event_type_decodes_from_a_frame() {
    let frames = event_frames();
    assert_eq!(EVENT_TYPES.len(), 163);
    let mut recorded = 0;
    for t in EVENT_TYPES {
        let (text, source) = frames.get(*t).unwrap_or_else(|| panic!("no frame for {t}"));
        recorded += usize::from(*source != "sample");
        let raw = RawJson::parse(text).unwrap();
        let event = SessionEvent::from_event(raw).unwrap();
        let typed = event.typed();
        let internal_only = matches!(typed, TypedEvent::Unknown) && !cfg!(feature = "internal");
        if !internal_only {
            assert_eq!(typed.event_type(), Some(*t), "{t} ({source})");
        }
        // Debug walks the whole view.
        assert!(!format!("{typed:?}").is_empty());
    }
    assert!(recorded >= 45, "{recorded} recorded");
}

#[test]
fn every_server_method_is_recognized() {
    for m in SERVER_METHODS {
        let body = format!(r#"{{"jsonrpc":"2.0","method":"{m}","params":{{"sessionId":"s"}}}}"#);
        let raw = RawJson::parse(&body).unwrap();
        let call = ServerCall::of(raw.get_str("method").unwrap(), raw.get("params").unwrap());
        if !cfg!(feature = "internal") && call == ServerCall::Unknown {
            continue;
        }
        assert_eq!(call.method(), Some(*m));
    }
    let escaped = RawJson::parse(r#""sessionFs.read\u0046ile""#).unwrap();
    assert_eq!(
        ServerCall::of(escaped.as_string().unwrap(), RawJson::EMPTY_OBJECT).method(),
        Some("sessionFs.readFile")
    );
}

#[test]
fn secrets_are_never_printed() {
    const SECRET: &str = "ghp_SECRET_0123456789";
    let map = RawJson::parse(r#"{"Authorization":"Bearer ghp_SECRET_0123456789"}"#).unwrap();
    let printed = generated::secrets(SECRET, map);
    let expected = match (cfg!(feature = "methods"), cfg!(feature = "internal")) {
        (_, true) => 53,
        (true, false) => 37,
        _ => 7,
    };
    assert_eq!(printed.len(), expected);
    for p in &printed {
        assert!(!p.contains("SECRET"), "{p}");
        assert!(p.contains("<redacted>"), "{p}");
    }
    // The answers of the token requests.
    use copilot_sansio::proto::server::{
        GitHubTokenAcquireResult, GitHubTokenAcquireResultToken, ProviderTokenAcquireResult,
    };
    let provider = format!("{:?}", ProviderTokenAcquireResult::new(SECRET));
    assert!(!provider.contains("SECRET"), "{provider}");
    let token = GitHubTokenAcquireResultToken::new(SECRET, 7200);
    let github = format!("{:?}", GitHubTokenAcquireResult::Token(token));
    assert!(!github.contains("SECRET"), "{github}");
    // Environments: of an extension (an answer) and of an MCP server (a parameter). The
    // variables' names do not say they are secrets: the map's name does.
    let env = RawJson::parse(
        r#"{"DATABASE_URL":"postgres://app:ghp_SECRET_0123456789@db/app","LEVEL":"debug"}"#,
    )
    .unwrap();
    let launch = copilot_sansio::proto::server::ExtensionLaunchProfile::new("node", &[], env);
    let shown = format!("{launch:?}");
    assert!(
        !shown.contains("SECRET") && shown.contains("env: <redacted>"),
        "{shown}"
    );
    #[cfg(feature = "methods")]
    {
        use copilot_sansio::proto::params::{McpInstallationSecret, McpServerConfigStdio};
        let stdio = McpServerConfigStdio::new("npx").env(env);
        let shown = format!("{stdio:?}");
        assert!(
            !shown.contains("SECRET") && shown.contains("env: <redacted>"),
            "{shown}"
        );
        assert!(shown.contains(r#"command: "npx""#), "{shown}");
        // A secret's value; its placeholder names it and is printed.
        let secret = McpInstallationSecret::new("${secret:API_KEY}", SECRET);
        let shown = format!("{secret:?}");
        assert!(
            !shown.contains("SECRET_0") && shown.contains("value: <redacted>"),
            "{shown}"
        );
        assert!(shown.contains("${secret:API_KEY}"), "{shown}");
    }
    // Views of what the server sends print secrets redacted too.
    let view = RawJson::parse(
        r#"{"gitHubToken":"ghp_SECRET_0123456789","apiKey":"ghp_SECRET_0123456789","headers":{"authorization":"x ghp_SECRET_0123456789"},"name":"kept"}"#,
    )
    .unwrap();
    let shown = format!(
        "{:?}",
        copilot_sansio::proto::server::SessionFsReadFile::new(view)
    );
    assert!(
        !shown.contains("SECRET") && shown.contains("kept"),
        "{shown}"
    );
    // A view redacts what the schema types as a secret, whatever its name: the proxy
    // password read back.
    #[cfg(feature = "internal")]
    {
        let raw = RawJson::parse(r#"{"value":"ghp_SECRET_0123456789"}"#).unwrap();
        let read = copilot_sansio::proto::results::SandboxProxySecretGetResult::new(raw);
        assert_eq!(format!("{read:?}"), r#"{"value":<redacted>}"#);
    }
    // And the handshake's connection token.
    let connect = copilot_sansio::Connect::default().token(SECRET);
    assert!(!format!("{connect:?}").contains("SECRET"));
}

#[test]
fn secrets_nested_in_json_are_never_printed() {
    // Views, JSON values and arrays print secret members redacted at any depth: a union read
    // as JSON (the `authInfo` of an account) holds a `token`, an `apiKey` or an `hmac`.
    let text = r#"{"name":"kept","authInfo":{"type":"hmac","host":"h","hmac":"SECRET"},"users":[{"authInfo":{"type":"token","token":"SECRET"}},{"apiKey":"SECRET","headers":{"Cookie":"SECRET"}}]}"#;
    let raw = RawJson::parse(text).unwrap();
    let view = copilot_sansio::proto::server::SessionFsReadFile::new(raw);
    let users = raw.get("users").unwrap();
    let array: copilot_sansio::proto::JsonArray<'_, RawJson<'_>> =
        copilot_sansio::proto::FromJson::from_json(users).unwrap();
    for shown in [
        format!("{view:?}"),
        format!("{raw:?}"),
        format!("{array:?}"),
    ] {
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(
            shown.contains(r#""token":<redacted>"#) || shown.contains(r#""hmac":<redacted>"#),
            "{shown}"
        );
    }
    assert_eq!(
        format!("{view:?}"),
        r#"{"name":"kept","authInfo":{"type":"hmac","host":"h","hmac":<redacted>},"users":[{"authInfo":{"type":"token","token":<redacted>}},{"apiKey":<redacted>,"headers":<redacted>}]}"#
    );
    // `Display` is the JSON as it is, for who means to print it.
    assert_eq!(format!("{raw}"), text);
    #[cfg(feature = "methods")]
    {
        let auth = copilot_sansio::proto::results::AccountGetCurrentAuthResult::new(raw);
        assert!(!format!("{auth:?}").contains("SECRET"));
    }
}

#[test]
fn results_are_read_through_the_method() {
    use copilot_sansio::proto::params::{Ping, SessionModelSwitchTo};
    let raw =
        RawJson::parse(r#"{"message":"pong: x","timestamp":"t","protocolVersion":3.0}"#).unwrap();
    let pong = Ping::result(raw).unwrap();
    assert_eq!(pong.message().unwrap(), "pong: x");
    assert_eq!(pong.protocol_version(), Some(3));
    let switched = RawJson::parse(r#"{"modelId":"gpt-5"}"#).unwrap();
    assert!(SessionModelSwitchTo::result(switched).is_some());
}
