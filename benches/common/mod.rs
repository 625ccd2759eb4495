//! Shared by the benchmarks: a counting allocator and deterministic, realistic frames.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counts every allocation of the process.
pub struct Counting;

pub static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

// One copy of each helper, shared with the tests and the fuzz kit.
#[path = "../../tests/support/rng.rs"]
mod rng;
#[path = "../../tests/support/wire.rs"]
pub mod wire;

pub use rng::Rng;
pub use wire::frame_into;

pub fn allocations() -> u64 {
    ALLOCATIONS.load(Relaxed)
}

pub fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

pub fn timestamp(ms: u64) -> String {
    let s = ms / 1000;
    format!(
        "2026-11-23T{:02}:{:02}:{:02}.{:03}Z",
        (23 + s / 3600) % 24,
        s / 60 % 60,
        s % 60,
        ms % 1000
    )
}

const WORDS: [&str; 16] = [
    "the",
    "client",
    "streams",
    "deltas",
    "café",
    "naïve",
    "señor",
    "über",
    "日本語",
    "🚀",
    "\\\"quoted\\\"",
    "line\\n",
    "JSON",
    "without",
    "a",
    "heap",
];

/// 80-120 bytes of escaped delta text with `\"`, `\n` and non-ASCII.
pub fn delta_text(rng: &mut Rng) -> String {
    let target = 80 + rng.below(41) as usize;
    let mut s = String::new();
    while s.len() < target {
        let w = WORDS[rng.below(WORDS.len() as u64) as usize];
        if s.len() + w.len() + 1 > 120 {
            break;
        }
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(w);
    }
    while s.len() < 80 {
        s.push('.');
    }
    s
}

/// A session event's envelope.
pub struct Envelope<'a> {
    pub session: &'a str,
    pub id: &'a str,
    pub parent: Option<&'a str>,
    pub ms: u64,
}

/// A `session.event` as CLI 1.0.102 writes it.
pub fn event_frame(env: &Envelope<'_>, kind: &str, data: &str, ephemeral: bool, out: &mut Vec<u8>) {
    let parent = env
        .parent
        .map_or("null".to_string(), |p| format!("\"{p}\""));
    let eph = if ephemeral {
        r#","ephemeral":true"#
    } else {
        ""
    };
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":"session.event","params":{{"sessionId":"{}","event":{{"type":"{kind}","data":{data}{eph},"id":"{}","timestamp":"{}","parentId":{parent}}}}}}}"#,
        env.session,
        env.id,
        timestamp(env.ms)
    );
    frame_into(&body, out);
}

/// `count` `assistant.message_delta` frames for the sessions, round-robin, then one
/// `session.idle` per session. Returns the bytes and the number of delta bytes.
pub fn delta_stream(sessions: &[String], count: usize, seed: u64) -> (Vec<u8>, usize) {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count * 500);
    let message_ids: Vec<String> = sessions.iter().map(|_| uuid(&mut rng)).collect();
    let mut parents: Vec<String> = sessions.iter().map(|_| uuid(&mut rng)).collect();
    let mut text_bytes = 0;
    for i in 0..count {
        let s = i % sessions.len();
        let text = delta_text(&mut rng);
        text_bytes += text.len();
        let data = format!(
            r#"{{"messageId":"{}","deltaContent":"{text}"}}"#,
            message_ids[s]
        );
        let id = uuid(&mut rng);
        let env = Envelope {
            session: &sessions[s],
            id: &id,
            parent: Some(&parents[s]),
            ms: i as u64,
        };
        event_frame(&env, "assistant.message_delta", &data, true, &mut out);
        parents[s] = id;
    }
    for (s, session) in sessions.iter().enumerate() {
        let id = uuid(&mut rng);
        let env = Envelope {
            session,
            id: &id,
            parent: Some(&parents[s]),
            ms: count as u64,
        };
        event_frame(
            &env,
            "session.idle",
            r#"{"mode":"interactive"}"#,
            true,
            &mut out,
        );
    }
    (out, text_bytes)
}

/// A `session.create` result frame.
pub fn create_result(id: u32, session: &str, out: &mut Vec<u8>) {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"sessionId":"{session}","workspacePath":"/home/dev/demo/copilot-home/session-state/{session}","capabilities":{{"ui":{{"elicitation":false}}}}}}}}"#
    );
    frame_into(&body, out);
}

/// Prints the machine in one line.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

/// One measured run: its rate (for picking the median) and its report line.
pub struct Run {
    pub rate: f64,
    pub line: String,
}

/// Runs the workload `BENCH_RUNS` times (5 unless set), each on fresh state, and prints the
/// median run's line, then the spread of the rates.
pub fn median_of_runs(name: &str, unit: &str, mut run: impl FnMut() -> Run) {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let mut all: Vec<Run> = (0..runs).map(|_| run()).collect();
    all.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let (min, max) = (all[0].rate, all[runs - 1].rate);
    let median = &all[runs / 2];
    println!("{}", median.line);
    println!(
        "{name} runs={runs} median_{unit}={:.0} min_{unit}={min:.0} max_{unit}={max:.0} machine=\"{}\"",
        median.rate,
        machine()
    );
}
