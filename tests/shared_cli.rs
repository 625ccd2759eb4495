//! Several clients on one CLI, and a CLI that does not start.
//!
//! A client that joined a CLI it shares ends with [`ShutdownMode::Leave`]: it destroys its
//! own sessions and closes its connection, and the other clients go on. Stopping the CLI
//! ([`ShutdownMode::StopCli`]) ends every connection. A CLI that fails to start says why.

use std::time::Duration;

use copilot_sansio::driver::{BlockingDriver, CliCommand, Polled, StartFailure};
use copilot_sansio::proto::params::SessionSend;
use copilot_sansio::sim::{ModelReply, PipeReader, PipeWriter, SharedSim, SimConfig, spawn_shared};
use copilot_sansio::{
    Client, Config, Connect, Event, Failure, Inbox, SessionHandle, SessionId, SessionState,
    Shutdown, ShutdownMode,
};

static REPLIES: [ModelReply<'static>; 1] = [ModelReply::Text("Still here.")];

/// One client of the shared CLI, with its buffers.
struct Member {
    driver: BlockingDriver<PipeWriter>,
    inbox: Inbox<'static>,
    client: Client<'static, 4, 8>,
    session: Option<SessionHandle>,
}

fn leak(len: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; len].into_boxed_slice())
}

impl Member {
    fn join(cli: &SharedSim, n: u8) -> Member {
        let (reader, writer): (PipeReader, PipeWriter) = cli.connect();
        let mut m = Member {
            driver: BlockingDriver::new(reader, writer),
            inbox: Inbox::new(leak(32 * 1024)),
            client: Client::new(leak(8 * 1024), Config::default()).unwrap(),
            session: None,
        };
        let now = m.driver.now();
        m.client.connect(now, &Connect::default()).unwrap();
        let h = m
            .client
            .create_session(now, SessionId::new_v4([n; 16]), &())
            .unwrap();
        m.until(|e| matches!(e, Event::SessionOpened { session, .. } if *session == h));
        m.session = Some(h);
        m
    }

    /// Takes events until `done` says so; false if the connection closed first.
    fn until(&mut self, mut done: impl FnMut(&Event<'_>) -> bool) -> bool {
        let deadline = self.driver.now().add_millis(5_000);
        loop {
            match self
                .driver
                .next_event(&mut self.client, &mut self.inbox, Some(deadline))
                .unwrap()
            {
                Polled::Event(e) if done(&e) => return true,
                Polled::Event(_) => {}
                Polled::DeadlinePassed => panic!("nothing happened for 5 s"),
                _ => return false,
            }
        }
    }

    fn shutdown(&mut self, mode: ShutdownMode) -> Shutdown<4> {
        let deadline = self.driver.now().add_millis(5_000);
        self.driver
            .shutdown(&mut self.client, &mut self.inbox, mode, deadline, |_, _| {})
            .unwrap()
    }

    /// One turn in its session: true if the answer came.
    fn turn(&mut self) -> bool {
        let h = self.session.unwrap();
        let now = self.driver.now();
        let _turn = self
            .client
            .session(h)
            .send(now, &SessionSend::new("Are you there?"))
            .unwrap();
        let mut answered = false;
        let idle = self.until(|e| match e {
            Event::Session { session, event } if *session == h => {
                answered |= event.is("assistant.message");
                event.is("session.idle")
            }
            _ => false,
        });
        idle && answered
    }
}

fn shared_cli() -> SharedSim {
    spawn_shared::<4>(SimConfig::default().replies(&REPLIES))
}

#[test]
fn a_client_that_leaves_a_shared_cli_leaves_the_others_running() {
    let cli = shared_cli();
    let mut a = Member::join(&cli, 1);
    let mut b = Member::join(&cli, 2);
    let done = a.shutdown(ShutdownMode::Leave);
    assert_eq!(done.destroyed, 1, "{done:?}");
    assert!(!done.runtime_stopped);
    assert!(done.closed && a.client.is_closed());
    // The other client keeps its session and finishes a turn.
    let h = b.session.unwrap();
    assert_eq!(b.client.session_state(h), Some(SessionState::Active));
    assert!(b.turn(), "the other client's turn");
    // A third can still join.
    let mut c = Member::join(&cli, 3);
    assert!(c.turn());
    c.shutdown(ShutdownMode::Leave);
    // Stopping the CLI ends it for everyone.
    let done = b.shutdown(ShutdownMode::StopCli);
    assert!(done.runtime_stopped && done.closed, "{done:?}");
}

#[test]
fn stopping_a_shared_cli_ends_every_connection() {
    let cli = shared_cli();
    let mut a = Member::join(&cli, 1);
    let mut b = Member::join(&cli, 2);
    let done = a.shutdown(ShutdownMode::StopCli);
    assert!(done.runtime_stopped, "{done:?}");
    // The other client's connection ends: its session closes with it.
    let h = b.session.unwrap();
    let mut closed_with = None;
    let open = b.until(|e| {
        if let Event::SessionClosed { session, result } = e
            && *session == h
        {
            closed_with = Some(format!("{result:?}"));
        }
        matches!(e, Event::Closed)
    });
    assert!(open, "Closed is the last event");
    assert_eq!(
        closed_with,
        Some(format!("{:?}", Err::<(), _>(Failure::ConnectionClosed)))
    );
    assert!(b.client.is_closed());
}

/// A stand-in for a CLI that refuses its command line, as the real one does with a flag it
/// does not know.
#[cfg(unix)]
fn failing_cli() -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("copilot-sansio-start-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("copilot");
    std::fs::write(
        &path,
        "#!/bin/sh\necho 'starting' >&2\necho \"error: unexpected argument '$4' found\" >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[cfg(unix)]
#[test]
fn a_cli_that_fails_to_start_says_why() {
    let cli = CliCommand::new(failing_cli()).arg("--no-such-flag");
    let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 4096]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 2, 4> = Client::new(&mut tx, Config::default()).unwrap();
    let started = cli.start(
        &mut client,
        &mut inbox,
        &Connect::default(),
        Duration::from_secs(10),
    );
    let Err(e) = started else {
        panic!("the failing CLI started")
    };
    assert!(matches!(e.reason, StartFailure::Exited), "{e:?}");
    assert_eq!(e.status.and_then(|s| s.code()), Some(3));
    assert_eq!(
        e.stderr,
        [
            "starting",
            "error: unexpected argument '--no-such-flag' found"
        ]
    );
    let shown = e.to_string();
    assert!(
        shown.contains("exited before the handshake")
            && shown.contains("3")
            && shown.contains("unexpected argument '--no-such-flag'"),
        "{shown}"
    );
}

#[test]
fn a_cli_that_cannot_be_spawned_says_why() {
    let cli = CliCommand::new("/nonexistent/copilot");
    let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 4096]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 2, 4> = Client::new(&mut tx, Config::default()).unwrap();
    let Err(e) = cli.start(
        &mut client,
        &mut inbox,
        &Connect::default(),
        Duration::from_secs(1),
    ) else {
        panic!("started a CLI that does not exist")
    };
    assert!(matches!(e.reason, StartFailure::Spawn(_)), "{e:?}");
    assert!(e.to_string().contains("could not start it"), "{e}");
}
