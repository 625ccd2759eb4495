//! The blocking `Copilot` through the simulated CLI: a whole chat with a tool and a permission
//! policy, a denied permission, structured replies, several sessions at once, and errors that
//! say what to do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use copilot_sansio::blocking::{CliCommand, Copilot, CopilotError, Handlers, Settings, Tool};
use copilot_sansio::proto::params::SessionOptions;
use copilot_sansio::sim::{self, ModelReply, SimConfig};

const ZONE_SCHEMA: &str = r#"{"type":"object","properties":{"zone":{"type":"string"}}}"#;

static TIME: [ModelReply<'static>; 1] = [ModelReply::ToolCall {
    tool: "local_time",
    arguments: r#"{"zone":"UTC"}"#,
    then: "It is noon in UTC.",
}];

/// A `local_time` tool that writes down the arguments of each call.
fn local_time(calls: &Arc<Mutex<Vec<String>>>) -> Tool {
    let calls = Arc::clone(calls);
    Tool::new(
        "local_time",
        "The time in a zone",
        ZONE_SCHEMA,
        move |args| {
            calls.lock().unwrap().push(args.text().to_string());
            Ok::<_, String>("12:00")
        },
    )
}

fn streaming() -> SessionOptions<'static> {
    SessionOptions::default().streaming(true)
}

#[test]
fn a_whole_chat_with_a_tool_and_a_permission_policy() {
    let (reader, writer) = sim::spawn::<4>(SimConfig::default().replies(&TIME).delta_len(5));
    let copilot = Copilot::attach(reader, writer).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let (streamed, types) = (
        Arc::new(Mutex::new(String::new())),
        Arc::new(Mutex::new(Vec::new())),
    );
    let (s, t) = (Arc::clone(&streamed), Arc::clone(&types));
    let handlers = Handlers::new()
        .tool(local_time(&calls))
        .approve_all()
        .on_delta(move |d| s.lock().unwrap().push_str(&d.to_string()))
        .on_event(move |e| t.lock().unwrap().push(e.event_type().to_string()));
    let session = copilot.create_session(&streaming(), handlers).unwrap();
    let reply = session.send_and_wait("What time is it?").unwrap();
    assert_eq!(reply.text, "It is noon in UTC.");
    let event = reply.event.expect("the whole event");
    assert!(event.is("assistant.message"));
    assert_eq!(
        event.data_str("content").as_deref(),
        Some("It is noon in UTC.")
    );
    assert_eq!(*calls.lock().unwrap(), [r#"{"zone":"UTC"}"#]);
    assert_eq!(*streamed.lock().unwrap(), "It is noon in UTC.");
    let types = types.lock().unwrap().clone();
    assert!(
        types.iter().any(|t| t == "permission.requested"),
        "{types:?}"
    );
    assert!(types.iter().any(|t| t == "session.idle"), "{types:?}");
    copilot.shutdown().unwrap();
}

#[test]
fn a_denied_permission_keeps_the_tool_from_running() {
    let (reader, writer) = sim::spawn::<4>(SimConfig::default().replies(&TIME));
    let copilot = Copilot::attach(reader, writer).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&results);
    let handlers = Handlers::new()
        .tool(local_time(&calls))
        .deny_all()
        .on_event(move |e| {
            if e.is("tool.execution_complete") {
                r.lock().unwrap().push(e.data().text().to_string());
            }
        });
    let session = copilot
        .create_session(&SessionOptions::default(), handlers)
        .unwrap();
    let reply = session.send_and_wait("What time is it?").unwrap();
    assert_eq!(reply.text, "It is noon in UTC.");
    assert!(calls.lock().unwrap().is_empty(), "the tool did not run");
    let results = results.lock().unwrap();
    assert!(
        results.len() == 1 && results[0].contains(r#""success":false"#),
        "{results:?}"
    );
}

#[test]
fn a_structured_reply_reads_into_a_type() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Answer {
        answer: u32,
    }
    static JSON: [ModelReply<'static>; 1] = [ModelReply::Text("```json\n{\"answer\": 42}\n```")];
    let (reader, writer) = sim::spawn::<4>(SimConfig::default().replies(&JSON));
    let copilot = Copilot::attach(reader, writer).unwrap();
    let session = copilot
        .create_session(&SessionOptions::default(), Handlers::new())
        .unwrap();
    let answer: Answer = session.send_and_wait_typed("The answer, as JSON").unwrap();
    assert_eq!(answer, Answer { answer: 42 });
    let wrong = session
        .send_and_wait_typed::<Vec<String>>("Again")
        .unwrap_err();
    assert!(
        matches!(wrong, CopilotError::UnexpectedReply { .. }),
        "{wrong}"
    );
}

#[test]
fn three_sessions_at_once_on_one_connection() {
    static ECHO: [ModelReply<'static>; 1] = [ModelReply::Echo {
        before: "You said ",
        after: ".",
    }];
    let (reader, writer) = sim::spawn::<8>(SimConfig::default().replies(&ECHO));
    let copilot = Copilot::attach(reader, writer).unwrap();
    let sessions: Vec<_> = (0..3)
        .map(|_| {
            copilot
                .create_session(&SessionOptions::default(), Handlers::new())
                .unwrap()
        })
        .collect();
    let replies: Vec<String> = std::thread::scope(|scope| {
        let threads: Vec<_> = sessions
            .iter()
            .enumerate()
            .map(|(i, s)| scope.spawn(move || s.send_and_wait(&format!("hello {i}")).unwrap().text))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(
        replies,
        [
            "You said hello 0.",
            "You said hello 1.",
            "You said hello 2."
        ]
    );
    for session in sessions {
        session.destroy().unwrap();
    }
    copilot.shutdown().unwrap();
}

#[test]
fn a_cli_that_is_not_there_says_what_to_install() {
    let error = Copilot::spawn(&CliCommand::new("/nonexistent/copilot")).unwrap_err();
    assert!(
        matches!(error, CopilotError::CliNotFound { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("@github/copilot") && text.contains("COPILOT_CLI_PATH"),
        "{text}"
    );
}

#[test]
fn a_cli_that_exits_shows_its_last_stderr_lines() {
    // `sh` refuses the CLI's flags and says so on stderr.
    let error = Copilot::spawn(&CliCommand::new("sh")).unwrap_err();
    let CopilotError::CliExited { stderr, status } = &error else {
        panic!("{error:?}");
    };
    assert!(status.is_some_and(|s| !s.success()), "{error}");
    assert!(!stderr.is_empty());
    let text = error.to_string();
    assert!(
        text.contains("exited") && text.contains(&stderr[0]),
        "{text}"
    );
}

#[test]
fn a_cli_without_credentials_gives_its_message() {
    // No replies: every turn fails as the real CLI's does without a token.
    let (reader, writer) = sim::spawn::<4>(SimConfig::default());
    let copilot = Copilot::attach(reader, writer).unwrap();
    let session = copilot
        .create_session(&SessionOptions::default(), Handlers::new())
        .unwrap();
    let error = session.send_and_wait("Hi").unwrap_err();
    assert!(
        matches!(error, CopilotError::AuthMissing { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("No GitHub OAuth token") && text.contains("COPILOT_SDK_AUTH_TOKEN"),
        "{text}"
    );
}

#[test]
fn a_turn_that_takes_too_long_says_how_long_it_waited() {
    static STALL: [ModelReply<'static>; 2] = [ModelReply::Stall, ModelReply::Text("Back.")];
    let (reader, writer) = sim::spawn::<4>(SimConfig::default().replies(&STALL));
    let settings = Settings::default().turn_timeout(Some(Duration::from_millis(50)));
    let copilot = Copilot::attach_with(reader, writer, settings).unwrap();
    let session = copilot
        .create_session(&SessionOptions::default(), Handlers::new())
        .unwrap();
    let error = session.send_and_wait("Hi").unwrap_err();
    let CopilotError::TimedOut { waited, .. } = &error else {
        panic!("expected TimedOut, got {error:?}");
    };
    // It waited at least the timeout (a loaded machine may wake it a little later)
    // and says how long, in milliseconds.
    assert!(*waited >= Duration::from_millis(50), "{waited:?}");
    let text = error.to_string();
    assert!(
        text.contains(&format!("got no answer within {} ms", waited.as_millis())),
        "{text}"
    );
    session.abort();
}

#[test]
fn a_turn_whose_session_goes_quiet_ends_after_the_activity_timeout() {
    static STALL: [ModelReply<'static>; 2] = [ModelReply::Stall, ModelReply::Text("Back.")];
    let (reader, writer) = sim::spawn::<4>(SimConfig::default().replies(&STALL));
    let settings = Settings::default().activity_timeout(Some(Duration::from_millis(50)));
    let copilot = Copilot::attach_with(reader, writer, settings).unwrap();
    let session = copilot
        .create_session(&SessionOptions::default(), Handlers::new())
        .unwrap();
    let error = session.send_and_wait("Hi").unwrap_err();
    let CopilotError::TimedOut { waited, .. } = &error else {
        panic!("expected TimedOut, got {error:?}");
    };
    assert!(*waited >= Duration::from_millis(50), "{waited:?}");
    assert!(error.to_string().contains("went quiet"), "{error}");
    session.abort();
}

#[test]
fn a_tool_with_a_broken_schema_is_named() {
    let (reader, writer) = sim::spawn::<4>(SimConfig::default());
    let copilot = Copilot::attach(reader, writer).unwrap();
    let broken = Tool::new("broken", "Never runs", "{not json", |_| {
        Ok::<_, String>("x")
    });
    let error = copilot
        .create_session(&SessionOptions::default(), Handlers::new().tool(broken))
        .unwrap_err();
    assert!(error.to_string().contains("\"broken\""), "{error}");
}

/// A writer that keeps a copy of what the client writes.
struct Tap<W> {
    inner: W,
    written: Arc<Mutex<Vec<u8>>>,
}

impl<W: std::io::Write> std::io::Write for Tap<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What the client wrote through a `Copilot` attached with `settings` that created a session
/// and shut down.
fn wire_of_a_shutdown(settings: Settings) -> String {
    let (reader, writer) = sim::spawn::<4>(SimConfig::default());
    let written = Arc::new(Mutex::new(Vec::new()));
    let tap = Tap {
        inner: writer,
        written: Arc::clone(&written),
    };
    let copilot = Copilot::attach_with(reader, tap, settings).unwrap();
    copilot
        .create_session(&SessionOptions::default(), Handlers::new())
        .unwrap();
    copilot.shutdown().unwrap();
    String::from_utf8(written.lock().unwrap().clone()).unwrap()
}

#[test]
fn an_attached_copilot_leaves_the_cli_running_unless_told_to_stop_it() {
    // Attached to streams, the CLI may have other clients: only this connection's sessions go.
    let left = wire_of_a_shutdown(Settings::default());
    assert!(left.contains(r#""method":"session.destroy""#), "{left}");
    assert!(!left.contains("runtime.shutdown"), "{left}");
    let stopped = wire_of_a_shutdown(
        Settings::default().shutdown_mode(copilot_sansio::ShutdownMode::StopCli),
    );
    assert!(
        stopped.contains(r#""method":"session.destroy""#),
        "{stopped}"
    );
    assert!(
        stopped.contains(r#""method":"runtime.shutdown""#),
        "{stopped}"
    );
}

#[test]
fn the_connection_token_never_shows_in_debug_output() {
    let settings = Settings::default().connection_token("s3cret-token");
    assert!(!format!("{settings:?}").contains("s3cret"), "{settings:?}");
    assert!(
        format!("{settings:?}").contains("<redacted>"),
        "{settings:?}"
    );
    let (reader, writer) = sim::spawn::<4>(SimConfig::default());
    let copilot = Copilot::attach_with(reader, writer, settings).unwrap();
    assert!(!format!("{copilot:?}").contains("s3cret"), "{copilot:?}");
    copilot.shutdown().unwrap();
}
