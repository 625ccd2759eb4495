//! Traffic recorded from the real CLI 1.0.102 against the loopback stand-in (see
//! `tests/recorded/README.md` and `docs/real-cli-notes.md`), replayed through the client: the
//! client re-issues each recorded request through its API (and writes the recorded bytes), and
//! every frame the CLI sent for a session reaches that session, in order.

mod support;

use copilot_sansio::{CallerAnswers, Config};
use support::*;

fn recorded(name: &str) -> Vec<Line> {
    let path = format!("{}/tests/recorded/{name}", env!("CARGO_MANIFEST_DIR"));
    load_path(&path)
}

fn all() -> Config {
    Config::default().caller_answers(CallerAnswers::ALL)
}

fn replay_and_route(name: &str) -> Replayed {
    let lines = recorded(name);
    let r = replay::<8, 32>(&lines, all(), &mut || usize::MAX);
    check_replay(&lines, &r);
    // Chunking does not matter here either.
    let mut rng = Rng::new(7);
    let chunked = replay::<8, 32>(&lines, all(), &mut || 1 + rng.below(300) as usize);
    assert_eq!(chunked.events, r.events);
    r
}

fn types(r: &Replayed) -> Vec<String> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Ev::Session(_, t, _) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn streaming_turn() {
    let r = replay_and_route("streaming-turn.jsonl");
    let t = types(&r);
    assert!(t.iter().filter(|t| *t == "assistant.message_delta").count() >= 3);
    assert!(t.contains(&"assistant.streaming_delta".to_string()));
    assert_eq!(t.last().map(String::as_str), Some("session.shutdown"));
}

#[test]
fn tool_calls() {
    let r = replay_and_route("tool-call.jsonl");
    let t = types(&r);
    // A success, an error answer, then two parallel calls.
    assert_eq!(
        t.iter().filter(|t| *t == "external_tool.requested").count(),
        4
    );
    assert_eq!(
        t.iter().filter(|t| *t == "external_tool.completed").count(),
        4
    );
    assert!(r.auto_output.is_empty());
}

#[test]
fn permissions() {
    let r = replay_and_route("permissions.jsonl");
    assert_eq!(
        types(&r)
            .iter()
            .filter(|t| *t == "permission.requested")
            .count(),
        3
    );
    replay_and_route("permissions-no-handler.jsonl");
}

#[test]
fn resume_on_a_new_connection() {
    replay_and_route("resume-first-connection.jsonl");
    let r = replay_and_route("resume-new-connection.jsonl");
    assert!(
        r.events
            .iter()
            .any(|e| matches!(e, Ev::Opened(_, copilot_sansio::OpenMethod::Resume, _)))
    );
    assert!(types(&r).contains(&"session.resume".to_string()));
}

#[test]
fn abort() {
    let r = replay_and_route("abort.jsonl");
    let t = types(&r);
    assert!(t.contains(&"abort".to_string()));
}

#[test]
fn server_requests() {
    let r = replay_and_route("server-requests.jsonl");
    let methods: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Ev::Request { method, .. } => Some(method.as_str()),
            _ => None,
        })
        .collect();
    for m in [
        "hooks.invoke",
        "systemMessage.transform",
        "userInput.request",
        "exitPlanMode.request",
    ] {
        assert!(methods.contains(&m), "{m}: {methods:?}");
    }
    assert!(r.auto_output.is_empty());
    // The recorded client never answered the `sessionEnd` hook (id 5); once the session is
    // destroyed, the client answers it itself, once.
    let r = replay_and_route("hooks-unanswered.jsonl");
    assert_eq!(
        String::from_utf8(r.auto_output).unwrap(),
        "Content-Length: 107\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32603,\"message\":\"session closed before the request was answered\"}}"
    );
}

/// What the CLI answered to malformed frames: errors with `"id": null` surface as rejections;
/// the connection goes on.
#[test]
fn malformed_frames_are_rejected_by_the_cli() {
    let lines = recorded("malformed-frames.jsonl");
    let mut c = Conn::<2, 8>::new(16 * 1024, 4096, Config::default());
    // The recorded client's requests (ids 1, 5, 6, 7 reach the CLI as valid requests).
    for _ in 0..7 {
        let _ = c.client.ping(NOW, None).unwrap();
    }
    c.output();
    let incoming: Vec<u8> = lines
        .iter()
        .filter(|l| !l.out)
        .flat_map(|l| l.frame.clone())
        .collect();
    let events = c.feed(&incoming);
    let rejected = events
        .iter()
        .filter(|e| matches!(e, Ev::Error(e) if e.starts_with("RejectedByPeer")))
        .count();
    assert_eq!(rejected, 7, "{}", summary(&events));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Ev::Error(e) if e.contains("-32700")))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Ev::Error(e) if e.contains("-32600")))
    );
    assert!(
        events
            .iter()
            .filter(|e| matches!(e, Ev::Response(..)))
            .count()
            >= 2
    );
}
