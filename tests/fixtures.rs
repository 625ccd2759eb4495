//! Real traffic recorded from CLI 1.0.102, replayed through the client: what the client writes
//! must equal what the recorded client wrote, byte for byte, and every frame the CLI sent for a
//! session must reach that session, in order.

mod support;

use copilot_sansio::{CallerAnswers, Config};
use support::*;

fn fs_config() -> Config {
    Config::default().caller_answers(CallerAnswers::SESSION_FS)
}

#[test]
fn sessionfs_provider_requests_before_the_create_response_reach_the_session() {
    let lines = load("sessionfs-provider.jsonl");
    let r = replay::<8, 16>(&lines, fs_config(), &mut || usize::MAX);
    check_replay(&lines, &r);
    // The CLI asked for files of each new session before answering its create; all of those
    // requests were handed to the caller for the right session, and answered.
    for handle in r.sessions.values() {
        let before_open: Vec<&Ev> = r
            .events
            .iter()
            .filter(|e| e.session() == Some(*handle))
            .take_while(|e| !matches!(e, Ev::Opened(..)))
            .collect();
        assert!(
            before_open
                .iter()
                .filter(|e| matches!(e, Ev::Request { .. }))
                .count()
                >= 10,
            "{}",
            summary(&r.events)
        );
    }
    assert_eq!(r.sessions.len(), 6);
    let closed = r
        .events
        .iter()
        .filter(|e| matches!(e, Ev::Closed(_, res) if res == "Ok(())"))
        .count();
    assert_eq!(closed, 5);
}

#[test]
fn no_auth_create_send_destroy() {
    let lines = load("no-auth-create-send-destroy.jsonl");
    let r = replay::<8, 16>(&lines, Config::default(), &mut || usize::MAX);
    check_replay(&lines, &r);
    assert!(r.events.contains(&Ev::Connected(3, Some("1.0.102".into()))));
    let h = r.sessions["9d54a69c-624b-4a7a-a3f8-d57c18a45562"];
    let types: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Ev::Session(s, t, _) if *s == h => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        types,
        [
            "session.start",
            "session.managed_settings_resolved",
            "pending_messages.modified",
            "pending_messages.modified",
            "session.title_changed",
            "session.skills_loaded",
            "session.mcp_servers_loaded",
            "session.error",
            "assistant.idle",
            "session.idle",
            "session.shutdown",
        ]
    );
    assert!(matches!(r.events.last(), Some(Ev::Response(..))));
}

#[test]
fn full_turn_with_a_43_kib_history_response() {
    let lines = load("full-turn-mock-model.jsonl");
    let r = replay::<8, 16>(&lines, Config::default(), &mut || usize::MAX);
    check_replay(&lines, &r);
    let message = r
        .events
        .iter()
        .find_map(|e| match e {
            Ev::Session(_, t, raw) if t == "assistant.message" => Some(raw.clone()),
            _ => None,
        })
        .expect("assistant.message");
    assert!(message.contains("\"content\":\"2 + 2 = 4\""));
}

#[test]
fn error_responses_and_a_server_assigned_session() {
    let lines = load("error-responses.jsonl");
    let r = replay::<8, 16>(&lines, Config::default(), &mut || usize::MAX);
    assert_eq!(r.events.len(), lines.iter().filter(|l| !l.out).count());
    let errors: Vec<&Ev> = r
        .events
        .iter()
        .filter(|e| matches!(e, Ev::Response(_, o) if o.starts_with("Err")))
        .collect();
    assert_eq!(errors.len(), 2, "{}", summary(&r.events));
    assert!(format!("{:?}", errors[0]).contains("-32601"));
    // `session.create {}` let the server pick the id: the client never reserved it, so its
    // events surface as unknown-session events, none dropped.
    let unknown = r
        .events
        .iter()
        .filter(|e| matches!(e, Ev::UnknownSession(..)))
        .count();
    assert_eq!(unknown, 2);
    let lifecycles = r
        .events
        .iter()
        .filter(|e| matches!(e, Ev::Lifecycle(None, _)))
        .count();
    assert_eq!(lifecycles, 3);
}
