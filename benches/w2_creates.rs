//! W2: 5,000 `session.create` round trips with the simulated CLI, each with `session.start`
//! and one `sessionFs.readFile` request arriving before the response (the race the official
//! SDKs lost). Counts the early frames delivered to their session.
//!
//! Also prints `client_only_creates_per_s`: the same creates over the time spent outside the
//! simulated CLI (its share is timed around each `Sim::poll`).
//!
//! `cargo bench --bench w2_creates`

mod common;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant as Clock;

use common::*;
use copilot_sansio::proto::params::{SessionFsSetProvider, SessionFsSetProviderConventions};
use copilot_sansio::proto::server::SessionFsReadFileResult;
use copilot_sansio::sim::{Sim, SimConfig};
use copilot_sansio::{
    CallerAnswers, Client, Config, Event, Inbox, Instant, SessionId, SessionState,
};

#[global_allocator]
static ALLOC: Counting = Counting;

const CREATES: usize = 5_000;

/// Time spent inside the simulated CLI, to tell the client's share of the round trips.
static SIM_NANOS: AtomicU64 = AtomicU64::new(0);
const SLOTS: usize = 8192;

type BenchClient = Client<'static, SLOTS, 64>;
type BenchSim = Sim<'static, SLOTS>;

/// Moves bytes both ways and hands every event to `on`, until `on` says stop.
fn pump(
    client: &mut BenchClient,
    inbox: &mut Inbox<'static>,
    sim: &mut BenchSim,
    mut on: impl FnMut(&mut BenchClient, Event<'_>) -> bool,
) {
    loop {
        let n = sim.push(client.transmit_bytes());
        client.transmitted(n);
        let t = Clock::now();
        sim.poll();
        SIM_NANOS.fetch_add(t.elapsed().as_nanos() as u64, Relaxed);
        let n = inbox.push(sim.transmit_bytes());
        sim.transmitted(n);
        while let Some(event) = client.poll_event(inbox, Instant::from_millis(0)) {
            if on(client, event) {
                return;
            }
        }
    }
}

/// The measured work: one create after the other, each answered and opened.
#[inline(never)]
fn creates(
    client: &mut BenchClient,
    inbox: &mut Inbox<'static>,
    sim: &mut BenchSim,
    ids: &[SessionId],
) -> (usize, usize) {
    let (mut early, mut opened) = (0, 0);
    for id in ids {
        let h = client
            .create_session(Instant::from_millis(0), id.clone(), &())
            .unwrap();
        pump(client, inbox, sim, |client, event| {
            let pending = client.session_state(h)
                == Some(SessionState::Pending(copilot_sansio::OpenMethod::Create));
            match event {
                Event::Request(req) => {
                    early += usize::from(pending && req.session == Some(h));
                    client
                        .respond(req.reply, &SessionFsReadFileResult::new("{}"))
                        .unwrap();
                    false
                }
                Event::Session { session, event } => {
                    early += usize::from(pending && session == h && event.is("session.start"));
                    false
                }
                Event::SessionOpened { session, .. } => {
                    opened += usize::from(session == h);
                    true
                }
                Event::SessionOpenFailed { .. } | Event::Error(_) => panic!("{event:?}"),
                _ => false,
            }
        });
    }
    (early, opened)
}

fn main() {
    median_of_runs("W2", "creates_per_s", run);
}

/// One run on a fresh client and simulated CLI.
fn run() -> Run {
    let inbox_buf: &'static mut [u8] = Box::leak(vec![0u8; 256 * 1024].into_boxed_slice());
    let tx: &'static mut [u8] = Box::leak(vec![0u8; 64 * 1024].into_boxed_slice());
    let (srx, stx): (&'static mut [u8], &'static mut [u8]) = (
        Box::leak(vec![0u8; 256 * 1024].into_boxed_slice()),
        Box::leak(vec![0u8; 256 * 1024].into_boxed_slice()),
    );
    let config = Config::default().caller_answers(CallerAnswers::SESSION_FS);
    let mut client: Box<BenchClient> = Box::new(Client::new(tx, config).unwrap());
    let mut inbox = Inbox::new(inbox_buf);
    let sim_config = SimConfig::default()
        .early_session_start(true)
        .fs_requests_on_create(1);
    let mut sim: Box<BenchSim> = Box::new(Sim::new(srx, stx, sim_config));
    // A session filesystem provider: the CLI then asks for files before each create response.
    let provider = SessionFsSetProvider::new(
        "/w",
        "/session-state",
        SessionFsSetProviderConventions::Posix,
    );
    let id = client
        .set_session_fs_provider(Instant::from_millis(0), &provider)
        .unwrap();
    pump(
        &mut client,
        &mut inbox,
        &mut sim,
        |_, e| matches!(e, Event::Response { id: i, .. } if i == id),
    );
    let mut rng = Rng::new(3);
    let ids: Vec<SessionId> = (0..CREATES)
        .map(|_| {
            let mut random = [0u8; 16];
            random[..8].copy_from_slice(&rng.next().to_le_bytes());
            random[8..].copy_from_slice(&rng.next().to_le_bytes());
            SessionId::new_v4(random)
        })
        .collect();

    SIM_NANOS.store(0, Relaxed);
    let allocs_before = allocations();
    let started = Clock::now();
    let (early, opened) = creates(&mut client, &mut inbox, &mut sim, &ids);
    let secs = started.elapsed().as_secs_f64();
    let allocs = allocations() - allocs_before;
    let lost = 2 * CREATES - early;
    let sim_secs = SIM_NANOS.swap(0, Relaxed) as f64 / 1e9;
    let rate = opened as f64 / secs;
    Run {
        rate,
        line: format!(
            "W2 creates={opened} early_events={early} lost={lost} secs={secs:.3} creates_per_s={rate:.0} allocs={allocs} sessions_open={} client_only_creates_per_s={:.0}",
            client.sessions().count(),
            opened as f64 / (secs - sim_secs)
        ),
    }
}
