//! The drivers end to end against the simulated CLI: the blocking one over in-memory pipes
//! (the simulator on its own thread), the async one over an in-memory async stream.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use copilot_sansio::driver::{AsyncDriver, BlockingDriver, Clock, Polled, TokioDriver};
use copilot_sansio::proto::events::TypedEvent;
use copilot_sansio::proto::params::{
    ExternalToolResult, PermissionDecision, SessionFsSetProvider, SessionFsSetProviderConventions,
    SessionSend, ToolDeclaration,
};
use copilot_sansio::proto::server::SessionFsReadFileResult;
use copilot_sansio::sim::{self, ModelReply, Sim, SimConfig, pipe};
use copilot_sansio::{
    CallerAnswers, Client, Config, Connect, Event, Failure, Inbox, Instant, SessionId,
};

static REPLIES: [ModelReply<'static>; 2] = [
    ModelReply::ToolCall {
        tool: "get_weather",
        arguments: r#"{"city":"Paris"}"#,
        then: "It is 18°C and \"clear\" in Paris.",
    },
    ModelReply::Text("Second turn."),
];

fn provider() -> SessionFsSetProvider<'static> {
    SessionFsSetProvider::new(
        "/w",
        "/session-state",
        SessionFsSetProviderConventions::Posix,
    )
}

fn config() -> Config {
    Config::default().caller_answers(CallerAnswers::SESSION_FS | CallerAnswers::PERMISSIONS)
}

/// What a whole conversation produced, for both drivers.
#[derive(Default, Debug, PartialEq)]
struct Transcript {
    text: String,
    deltas: usize,
    fs_requests: usize,
    permission_requests: usize,
    tool_calls: usize,
    idles: usize,
    closed: bool,
}

/// Reacts to one event like an application would; returns true when the conversation is over
/// (the caller then shuts down).
fn react<const S: usize, const P: usize>(
    client: &mut Client<'_, S, P>,
    now: Instant,
    event: Event<'_>,
    t: &mut Transcript,
) -> bool {
    match event {
        Event::Connected { .. } => {
            let tools = [ToolDeclaration::new("get_weather", "Weather by city")];
            let options = config().session_options().streaming(true).tools(&tools);
            let _ = client
                .create_session(now, SessionId::new_v4([9; 16]), &options)
                .unwrap();
        }
        Event::Request(req) => match req.call() {
            call if call.method().is_some_and(|m| m.starts_with("sessionFs.")) => {
                t.fs_requests += 1;
                client
                    .respond(req.reply, &SessionFsReadFileResult::new("{}"))
                    .unwrap();
            }
            other => panic!("{other:?}"),
        },
        Event::SessionOpened { session, .. } => {
            let _ = client
                .session(session)
                .send(now, &SessionSend::new("Weather?"))
                .unwrap();
        }
        Event::Session { session, event } => match event.typed() {
            TypedEvent::AssistantMessageDelta(d) => {
                t.deltas += 1;
                t.text.push_str(&d.delta_content().unwrap().to_string());
            }
            TypedEvent::PermissionRequested(p) => {
                t.permission_requests += 1;
                let id = p.request_id().unwrap();
                let _ = client
                    .session(session)
                    .answer_permission(now, id, PermissionDecision::ApproveOnce(Default::default()))
                    .unwrap();
            }
            TypedEvent::ExternalToolRequested(call) => {
                t.tool_calls += 1;
                assert_eq!(call.arguments().unwrap().get_str("city").unwrap(), "Paris");
                let id = call.request_id().unwrap();
                let _ = client
                    .session(session)
                    .answer_tool_call(now, id, Ok(ExternalToolResult::Text("18°C")))
                    .unwrap();
            }
            TypedEvent::SessionIdle(_) => {
                t.idles += 1;
                if t.idles == 1 {
                    t.text.push('|');
                    let _ = client
                        .session(session)
                        .send(now, &SessionSend::new("Again"))
                        .unwrap();
                } else {
                    client.session(session).destroy(now).unwrap();
                }
            }
            _ => {}
        },
        Event::SessionClosed { result, .. } => {
            assert_eq!(result, Ok(()));
            return true;
        }
        Event::Response { outcome, .. } => assert!(outcome.is_ok(), "{outcome:?}"),
        Event::Closed => t.closed = true,
        Event::Error(e) => panic!("{e:?}"),
        _ => {}
    }
    false
}

fn sim_config() -> SimConfig<'static> {
    SimConfig::default().replies(&REPLIES).delta_len(7)
}

fn expected() -> Transcript {
    Transcript {
        text: "It is 18°C and \"clear\" in Paris.|Second turn.".into(),
        deltas: 7,
        fs_requests: 2,
        permission_requests: 1,
        tool_calls: 1,
        idles: 2,
        closed: true,
    }
}

#[test]
fn blocking_driver_runs_a_conversation_against_the_simulator() {
    let (reader, writer) = sim::spawn::<8>(sim_config());
    let mut driver = BlockingDriver::new(reader, writer);
    let (mut rx, mut tx) = (vec![0u8; 32 * 1024], vec![0u8; 8 * 1024]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 4, 16> = Client::new(&mut tx, config()).unwrap();
    client.connect(driver.now(), &Connect::default()).unwrap();
    // Set the provider so the simulator asks for files before answering the create.
    let _ = client
        .set_session_fs_provider(driver.now(), &provider())
        .unwrap();
    let mut t = Transcript::default();
    loop {
        let now = driver.now();
        let Polled::Event(event) = driver.next_event(&mut client, &mut inbox, None).unwrap() else {
            break;
        };
        if react(&mut client, now, event, &mut t) {
            // Done: close our side; the simulator thread ends, its pipe closes, the client
            // delivers `Closed`.
            driver.flush(&mut client).unwrap();
            driver.close_write();
        }
    }
    assert_eq!(t, expected());
    assert!(client.is_closed());
    assert_eq!(client.session_slots_in_use(), 0);
}

#[test]
fn blocking_driver_honours_deadlines() {
    // A peer that never answers.
    let (reader, _keep_open) = pipe();
    let (_peer_reader, writer) = pipe();
    let mut driver = BlockingDriver::new(reader, writer);
    let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 4096]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 2, 2> =
        Client::new(&mut tx, Config::default().request_timeout_ms(Some(30))).unwrap();
    let started = std::time::Instant::now();
    let id = client.ping(driver.now(), None).unwrap();
    // The caller's deadline comes first: a distinct outcome, nothing lost, the connection
    // still usable.
    let early = Some(driver.now().add_millis(5));
    let event = driver.next_event(&mut client, &mut inbox, early).unwrap();
    assert!(matches!(event, Polled::DeadlinePassed), "{event:?}");
    assert_eq!(client.pending_requests(), 1);
    let event = driver.next_event(&mut client, &mut inbox, None).unwrap();
    assert!(
        matches!(event, Polled::Event(Event::Response { id: i, outcome: Err(Failure::TimedOut) }) if i == id)
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(30));
}

/// An in-memory async stream to a simulator in the same task.
struct SimHalf<'a, 's>(&'a RefCell<Option<Sim<'s, 8>>>);

impl embedded_io_async::ErrorType for SimHalf<'_, '_> {
    type Error = std::convert::Infallible;
}

impl embedded_io_async::Read for SimHalf<'_, '_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        std::future::poll_fn(|_| {
            let mut sim = self.0.borrow_mut();
            let Some(sim) = sim.as_mut() else {
                return Poll::Ready(Ok(0));
            };
            sim.poll();
            let out = sim.transmit_bytes();
            if out.is_empty() {
                return Poll::Pending;
            }
            let n = out.len().min(buf.len());
            buf[..n].copy_from_slice(&out[..n]);
            sim.transmitted(n);
            Poll::Ready(Ok(n))
        })
        .await
    }
}

impl embedded_io_async::Write for SimHalf<'_, '_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let mut sim = self.0.borrow_mut();
        Ok(match sim.as_mut() {
            Some(sim) => {
                let n = sim.push(buf);
                sim.poll();
                n.max(usize::from(!buf.is_empty() && n == 0))
            }
            None => buf.len(),
        })
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

struct FakeClock(Cell<u64>);

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.0.get())
    }
    async fn sleep_until(&mut self, at: Instant) {
        self.0.set(self.0.get().max(at.as_millis()));
    }
}

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("the future never completed");
}

#[test]
fn async_driver_runs_a_conversation_against_the_simulator() {
    let (mut srx, mut stx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let sim = RefCell::new(Some(Sim::<8>::new(&mut srx, &mut stx, sim_config())));
    let mut driver = AsyncDriver::new(SimHalf(&sim), SimHalf(&sim), FakeClock(Cell::new(0)));
    let (mut rx, mut tx) = (vec![0u8; 32 * 1024], vec![0u8; 8 * 1024]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 4, 16> = Client::new(&mut tx, config()).unwrap();
    let mut t = Transcript::default();
    block_on(async {
        client.connect(driver.now(), &Connect::default()).unwrap();
        let _ = client
            .set_session_fs_provider(driver.now(), &provider())
            .unwrap();
        while let Polled::Event(event) = driver
            .next_event(&mut client, &mut inbox, None)
            .await
            .unwrap()
        {
            let now = driver.now();
            if react(&mut client, now, event, &mut t) {
                driver.flush(&mut client).await.unwrap();
                // The peer goes away: end of input.
                *sim.borrow_mut() = None;
            }
        }
    });
    assert_eq!(t, expected());
    assert_eq!(client.session_slots_in_use(), 0);
}

#[test]
fn async_driver_honours_deadlines_with_its_clock() {
    struct Silent;
    impl embedded_io_async::ErrorType for Silent {
        type Error = std::convert::Infallible;
    }
    impl embedded_io_async::Read for Silent {
        async fn read(&mut self, _: &mut [u8]) -> Result<usize, Self::Error> {
            std::future::pending().await
        }
    }
    impl embedded_io_async::Write for Silent {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
            Ok(buf.len())
        }
        async fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }
    let mut driver = AsyncDriver::new(Silent, Silent, FakeClock(Cell::new(100)));
    let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 4096]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 2, 2> = Client::new(&mut tx, Config::default()).unwrap();
    let id = client.ping(driver.now(), None).unwrap();
    client.set_deadline(id, Some(Instant::from_millis(5100)));
    // The caller's deadline comes first: a distinct outcome, nothing lost.
    let early = Some(Instant::from_millis(300));
    let event = block_on(driver.next_event(&mut client, &mut inbox, early)).unwrap();
    assert!(matches!(event, Polled::DeadlinePassed), "{event:?}");
    assert_eq!(driver.now(), Instant::from_millis(300));
    assert_eq!(client.pending_requests(), 1);
    // Then the request's own deadline.
    let event = block_on(driver.next_event(&mut client, &mut inbox, None)).unwrap();
    assert!(
        matches!(event, Polled::Event(Event::Response { id: i, outcome: Err(Failure::TimedOut) }) if i == id)
    );
    assert_eq!(driver.now(), Instant::from_millis(5100));
}

/// The simulated CLI on a tokio task, over one end of a duplex stream.
async fn sim_over_duplex(mut stream: tokio::io::DuplexStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut rx, mut tx) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut sim: Sim<'_, 8> = Sim::new(&mut rx, &mut tx, sim_config());
    loop {
        sim.poll();
        if !sim.transmit_bytes().is_empty() {
            if stream.write_all(sim.transmit_bytes()).await.is_err() {
                return;
            }
            let n = sim.transmit_bytes().len();
            sim.transmitted(n);
            continue;
        }
        match stream.read(sim.receive_buffer()).await {
            Ok(0) | Err(_) => return,
            Ok(n) => sim.received(n),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn tokio_driver_runs_a_conversation_against_the_simulator() {
    let (ours, theirs) = tokio::io::duplex(16 * 1024);
    let cli = tokio::spawn(sim_over_duplex(theirs));
    let (reader, writer) = tokio::io::split(ours);
    let mut driver = TokioDriver::tokio(reader, writer);
    let (mut rx, mut tx) = (vec![0u8; 32 * 1024], vec![0u8; 8 * 1024]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 4, 16> = Client::new(&mut tx, config()).unwrap();
    client.connect(driver.now(), &Connect::default()).unwrap();
    let _ = client
        .set_session_fs_provider(driver.now(), &provider())
        .unwrap();
    let mut t = Transcript::default();
    while let Polled::Event(event) = driver
        .next_event(&mut client, &mut inbox, None)
        .await
        .unwrap()
    {
        let now = driver.now();
        if react(&mut client, now, event, &mut t) {
            driver.flush(&mut client).await.unwrap();
            // Our side ends: the simulated CLI's task ends and drops its end.
            driver.close_write();
            cli.abort();
        }
    }
    assert_eq!(t, expected());
    assert_eq!(client.session_slots_in_use(), 0);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn tokio_driver_honours_deadlines_on_tokios_clock() {
    // A peer that never answers (its end is kept open).
    let (ours, _theirs) = tokio::io::duplex(1024);
    let (reader, writer) = tokio::io::split(ours);
    let mut driver = TokioDriver::tokio(reader, writer);
    let (mut rx, mut tx) = (vec![0u8; 4096], vec![0u8; 4096]);
    let mut inbox = Inbox::new(&mut rx);
    let mut client: Client<'_, 2, 2> =
        Client::new(&mut tx, Config::default().request_timeout_ms(Some(5_000))).unwrap();
    let id = client.ping(driver.now(), None).unwrap();
    let started = tokio::time::Instant::now();
    let early = Some(driver.now().add_millis(300));
    let event = driver
        .next_event(&mut client, &mut inbox, early)
        .await
        .unwrap();
    assert!(matches!(event, Polled::DeadlinePassed), "{event:?}");
    assert_eq!(started.elapsed(), std::time::Duration::from_millis(300));
    assert_eq!(client.pending_requests(), 1);
    let event = driver
        .next_event(&mut client, &mut inbox, None)
        .await
        .unwrap();
    assert!(
        matches!(event, Polled::Event(Event::Response { id: i, outcome: Err(Failure::TimedOut) }) if i == id)
    );
    assert_eq!(started.elapsed(), std::time::Duration::from_millis(5_000));
}
