//! A model-based property test of the whole client, with a fixed budget: random conversations
//! (caller calls, server frames well-formed or hostile, partial writes of small transmit
//! buffers, timeouts, the end of input) run through the fuzz kit's model checker
//! (`copilot_sansio_fuzzkit::client`), which after every step asserts that:
//!
//! - every session, pending request and server request the model knows is in the client, in
//!   the same state, and nothing else is;
//! - every server request is answered exactly once (by the caller or the client), and every
//!   pending request resolves exactly once;
//! - every byte written is a well-framed JSON-RPC message, requests with increasing ids;
//! - every event is possible in the model's state, and routed to the right session;
//! - at the end of input, everything is settled and nothing leaked.
//!
//! Failing cases print the seed and the input bytes: save them under
//! `fuzz/regressions/client/` to replay them on every run (`tests/fuzz_replay.rs`).

use copilot_sansio_fuzzkit::{Action, ClientInput, Rng, Sid, client, conversation, sim_faults};

/// Cases per run, and actions per case: about two seconds in a debug build.
const CASES: u64 = 1_500;
const MAX_ACTIONS: u64 = 90;

/// One random action, weighted towards a conversation that goes somewhere: the caller opens
/// sessions and sends, the server answers what was written, emits events and asks things, and
/// sometimes misbehaves.
fn action(rng: &mut Rng) -> Action {
    let byte = |rng: &mut Rng| rng.below(256) as u8;
    match rng.below(116) {
        // The server answers in order, mostly with success.
        100..=111 => Action::Reply {
            kind: if rng.below(3) == 0 { byte(rng) } else { 0 },
        },
        112..=115 => Action::Cancel { request: byte(rng) },
        0..=3 => Action::Connect,
        4..=11 => Action::Open {
            resume: rng.below(3) == 0,
            id: if rng.below(8) == 0 {
                Sid::Text(["", "a b", "x\\y", "\u{1F600}"][rng.below(4) as usize].into())
            } else {
                Sid::Pool(byte(rng))
            },
            options: if rng.below(6) == 0 { byte(rng) } else { 1 },
        },
        12..=17 => Action::SessionRequest {
            session: byte(rng),
            params: byte(rng),
        },
        18..=19 => Action::Request { params: byte(rng) },
        20..=23 => Action::Destroy { session: byte(rng) },
        24..=29 => Action::Respond {
            request: byte(rng),
            how: byte(rng),
        },
        30..=33 => Action::Advance {
            ms: [1, 50, 1_000, 30_000, 65_000][rng.below(5) as usize],
        },
        34..=35 => Action::SetDeadline {
            request: byte(rng),
            after: (rng.below(3) != 0).then(|| rng.below(2_000) as u16),
        },
        36 => Action::Eof,
        37..=43 => Action::Drain {
            bytes: rng.below(600) as u16,
        },
        44..=47 => Action::DrainAll,
        48..=55 => Action::Poll {
            max: rng.below(4) as u8,
        },
        56..=63 => Action::Deliver {
            bytes: [1, 7, 64, 300, 4_000][rng.below(5) as usize],
        },
        64..=71 => Action::Response {
            to: byte(rng),
            kind: byte(rng),
        },
        72..=78 => Action::SessionEvent {
            session: byte(rng) | 0x08,
            kind: byte(rng),
        },
        79..=80 => Action::Lifecycle { session: byte(rng) },
        81..=86 => Action::ServerRequest {
            method: byte(rng),
            session: byte(rng) | if rng.below(2) == 0 { 0x08 } else { 0 },
            id: byte(rng),
        },
        87..=88 => Action::Notification {
            method: byte(rng),
            session: byte(rng),
        },
        89 => {
            let junk: &[&[u8]] = &[
                b"Content-Length: 5\r\n\r\n{\"a\":",
                b"\r\n\r\n",
                b"Content-Length: x\r\n\r\n",
                b"{\"jsonrpc\":\"2.0\"}",
            ];
            Action::Garbage(junk[rng.below(junk.len() as u64) as usize].to_vec())
        }
        90..=91 => {
            let bodies: &[&[u8]] = &[
                b"{}",
                b"[]",
                b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}]",
                b"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"x\"}",
                b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":3}",
                b"{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"x\",\"params\":{\"a\":\"\xff\"}}",
                b"{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"hooks.invoke\",\"params\":{\"sessionId\":\"a\\\\\",\"x\":[}",
                b"not json",
            ];
            Action::Frame(bodies[rng.below(bodies.len() as u64) as usize].to_vec())
        }
        92..=95 => Action::BigFrame {
            kind: byte(rng),
            to: byte(rng) | 0x08,
            len: 100 + rng.below(9_000) as u16,
        },
        _ => Action::DeepFrame {
            kind: byte(rng),
            to: byte(rng) | 0x08,
            depth: [10, 63, 64, 65, 130, 255][rng.below(6) as usize],
        },
    }
}

fn case(rng: &mut Rng) -> ClientInput {
    let mut actions = vec![Action::Connect];
    let n = 10 + rng.below(MAX_ACTIONS);
    for _ in 0..n {
        let a = action(rng);
        let open = matches!(a, Action::Open { .. });
        actions.push(a);
        // Most opens make the round trip that settles them.
        if open && rng.below(3) != 0 {
            actions.extend([
                Action::DrainAll,
                Action::Reply { kind: 0 },
                Action::Deliver { bytes: 4_000 },
                Action::Poll { max: 0 },
            ]);
        }
    }
    // Small buffers half of the time: partial writes and full transmit buffers.
    let (rx_max, tx_max) = match rng.below(2) {
        0 => (1_024, 512),
        _ => (8_192, 4_096),
    };
    ClientInput {
        caps: rng.below(3) as u8,
        rx: rng.below(rx_max) as u16,
        tx: rng.below(tx_max) as u16,
        max_frame: if rng.below(3) == 0 {
            256 + rng.below(4_096) as u16
        } else {
            0
        },
        timeout: [0, 0, 100, 5_000][rng.below(4) as usize],
        handles: rng.below(1 << 16) as u16,
        actions,
    }
}

#[test]
fn the_client_keeps_its_promises_in_random_conversations() {
    let mut rng = Rng::new(0x00C0_FFEE_5EED);
    for n in 0..CASES {
        let input = case(&mut rng);
        let result = std::panic::catch_unwind(|| client(&input));
        if result.is_err() {
            let hex: String = input
                .to_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            panic!(
                "case {n} broke a promise (rerun with FUZZ_TRACE=1 for a trace)\n{input:#?}\ninput bytes: {hex}"
            );
        }
    }
}

/// The client talks to the simulated CLI while frames are cut, corrupted, duplicated,
/// reordered, dropped, or made deep or huge (rarely, so conversations get somewhere; and
/// never, so every answer is accounted for).
#[test]
fn the_client_keeps_its_promises_over_a_faulty_line() {
    let mut rng = Rng::new(0xFA17_5EED);
    for n in 0..600 {
        let bytes = conversation(&mut rng, [8, 30, u64::MAX][n % 3]);
        if std::panic::catch_unwind(|| sim_faults(&bytes)).is_err() {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            panic!("line {n} broke a promise; input bytes: {hex}");
        }
    }
}
