//! The tokio `Copilot` through the simulated CLI: a whole chat with a tool and a permission
//! policy, a stream of owned events, three sessions used from parallel tasks, and a dropped
//! `send_and_wait` that cancels its turn.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use copilot_sansio::proto::params::SessionOptions;
use copilot_sansio::sim::{self, ModelReply, SimConfig};
use copilot_sansio::tokio::{Copilot, CopilotError, Handlers, Permissions, Tool};

const ZONE_SCHEMA: &str = r#"{"type":"object","properties":{"zone":{"type":"string"}}}"#;

static TIME: [ModelReply<'static>; 1] = [ModelReply::ToolCall {
    tool: "local_time",
    arguments: r#"{"zone":"UTC"}"#,
    then: "It is noon in UTC.",
}];

async fn simulated(config: SimConfig<'static>) -> Copilot {
    let (reader, writer) = tokio::io::split(sim::duplex::<8>(config));
    Copilot::attach(reader, writer).await.unwrap()
}

/// A writer that keeps a copy of what the client writes, to read the requests on the wire.
struct Tap<W> {
    inner: W,
    written: Arc<Mutex<Vec<u8>>>,
}

impl<W: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Tap<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The `id` of the first request for `method` in `written` (frames of JSON-RPC).
fn request_id(written: &str, method: &str) -> Option<u64> {
    let at = written.find(&format!(r#""method":"{method}""#))?;
    let body = written[..at].rfind("\r\n\r\n").map_or(0, |b| b + 4);
    let id = written[body..].split(r#""id":"#).nth(1)?;
    id.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[tokio::test]
async fn a_whole_chat_with_a_tool_a_permission_policy_and_a_stream_of_events() {
    let copilot = simulated(SimConfig::default().replies(&TIME).delta_len(5)).await;
    let asked = Arc::new(Mutex::new(Vec::new()));
    let a = Arc::clone(&asked);
    let policy = Permissions::decide(move |request| {
        a.lock()
            .unwrap()
            .push(request.request_id().map(|id| id.to_string()));
        true
    });
    let tool = Tool::new(
        "local_time",
        "The time in a zone",
        ZONE_SCHEMA,
        |args| match args.get_str("zone") {
            Some(zone) => Ok(format!("12:00 in {zone}")),
            None => Err("which zone?"),
        },
    );
    let handlers = Handlers::new().tool(tool).permissions(policy);
    let options = SessionOptions::default().streaming(true);
    let session = copilot.create_session(&options, handlers).await.unwrap();
    let mut events = session.events();
    let reply = session.send_and_wait("What time is it?").await.unwrap();
    assert_eq!(reply.text, "It is noon in UTC.");
    assert_eq!(asked.lock().unwrap().len(), 1, "one permission request");
    session.destroy().await.unwrap();
    // The stream held the whole turn, and ended with the session.
    let (mut streamed, mut types) = (String::new(), Vec::new());
    while let Some(event) = events.recv().await {
        if event.is("assistant.message_delta") {
            streamed.push_str(&event.data_str("deltaContent").unwrap());
        }
        if event.is("tool.execution_complete") {
            assert!(event.json().contains("12:00 in UTC"), "{}", event.json());
        }
        types.push(event.event_type().to_string());
    }
    assert_eq!(streamed, "It is noon in UTC.");
    for t in [
        "user.message",
        "permission.requested",
        "external_tool.requested",
        "session.idle",
    ] {
        assert!(types.iter().any(|seen| seen == t), "{t} in {types:?}");
    }
    copilot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_sessions_in_parallel_tasks() {
    static ECHO: [ModelReply<'static>; 1] = [ModelReply::Echo {
        before: "You said ",
        after: ".",
    }];
    let copilot = simulated(SimConfig::default().replies(&ECHO)).await;
    let mut tasks = Vec::new();
    for i in 0..3 {
        let copilot = copilot.clone();
        tasks.push(tokio::spawn(async move {
            let options = SessionOptions::default();
            let session = copilot.create_session(&options, Handlers::new()).await?;
            let first = session.send_and_wait(&format!("hello {i}")).await?.text;
            let second = session.send_and_wait(&format!("bye {i}")).await?.text;
            session.destroy().await?;
            Ok::<_, CopilotError>((first, second))
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let (first, second) = task.await.unwrap().unwrap();
        assert_eq!(first, format!("You said hello {i}."));
        assert_eq!(second, format!("You said bye {i}."));
    }
    copilot.shutdown().await.unwrap();
}

#[tokio::test]
async fn dropping_a_send_and_wait_cancels_its_turn() {
    static STALL: [ModelReply<'static>; 2] = [ModelReply::Stall, ModelReply::Text("Back.")];
    let (reader, writer) = tokio::io::split(sim::duplex::<8>(
        SimConfig::default().replies(&STALL).send_and_wait(true),
    ));
    let written = Arc::new(Mutex::new(Vec::new()));
    let tap = Tap {
        inner: writer,
        written: written.clone(),
    };
    let copilot = Copilot::attach(reader, tap).await.unwrap();
    let session = copilot
        .create_session(&SessionOptions::default(), Handlers::new())
        .await
        .unwrap();
    let mut events = session.events();
    {
        let turn = session.send_and_wait("Wait forever");
        tokio::pin!(turn);
        // Wait until the CLI took the message up, then drop the turn.
        loop {
            tokio::select! {
                _ = &mut turn => panic!("a stalled turn ended"),
                event = events.recv() => if event.unwrap().is("user.message") { break },
            }
        }
    }
    // The turn was aborted, and the session goes on.
    loop {
        let event = events.recv().await.unwrap();
        if event.is("session.idle") {
            assert!(
                event.json().contains(r#""aborted":true"#),
                "{}",
                event.json()
            );
            break;
        }
    }
    // On the wire: the pending `session.sendAndWait` was cancelled by its id, then the turn
    // aborted.
    let wire = String::from_utf8(written.lock().unwrap().clone()).unwrap();
    let send = request_id(&wire, "session.sendAndWait").expect("a sendAndWait request");
    let cancel = wire
        .find(r#""method":"$/cancelRequest""#)
        .expect("a $/cancelRequest");
    assert!(
        wire[cancel..].starts_with(&format!(
            r#""method":"$/cancelRequest","params":{{"id":{send}}}"#
        )),
        "{}",
        &wire[cancel..]
    );
    let abort = wire
        .find(r#""method":"session.abort""#)
        .expect("a session.abort");
    assert!(cancel < abort, "{wire}");
    assert_eq!(
        session.send_and_wait("Are you back?").await.unwrap().text,
        "Back."
    );
    copilot.shutdown().await.unwrap();
}

#[tokio::test]
async fn after_the_shutdown_a_session_says_the_connection_is_closed() {
    let copilot = simulated(SimConfig::default().replies(&TIME)).await;
    let session = copilot
        .create_session(&SessionOptions::default(), Handlers::new())
        .await
        .unwrap();
    copilot.shutdown().await.unwrap();
    let error = session.send_and_wait("Hi").await.unwrap_err();
    assert!(matches!(error, CopilotError::Closed), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the connection to the Copilot CLI is closed"
    );
}

#[tokio::test]
async fn a_cli_that_is_not_there_says_what_to_install() {
    let cli = copilot_sansio::tokio::CliCommand::new("/nonexistent/copilot");
    let error = Copilot::spawn(&cli).await.unwrap_err();
    assert!(error.to_string().contains("COPILOT_CLI_PATH"), "{error}");
}
