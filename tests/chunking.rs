//! Chunking never matters: the recorded fixtures fed one byte at a time, in random chunks and
//! all at once give the same events and the same output.

mod support;

use copilot_sansio::{CallerAnswers, Config};
use support::*;

fn check(name: &str) {
    let lines = load(name);
    let config = Config::default().caller_answers(CallerAnswers::SESSION_FS);
    let whole = replay::<8, 16>(&lines, config, &mut || usize::MAX);
    let bytewise = replay::<8, 16>(&lines, config, &mut || 1);
    assert_eq!(bytewise.events, whole.events, "{name}: one byte at a time");
    assert_eq!(bytewise.output, whole.output);
    for seed in 1..=8u64 {
        let mut rng = Rng::new(seed * 0x9E37_79B9);
        let random = replay::<8, 16>(&lines, config, &mut || 1 + rng.below(700) as usize);
        assert_eq!(random.events, whole.events, "{name}: seed {seed}");
        assert_eq!(random.output, whole.output, "{name}: seed {seed}");
    }
}

#[test]
fn sessionfs_provider() {
    check("sessionfs-provider.jsonl");
}

#[test]
fn no_auth_create_send_destroy() {
    check("no-auth-create-send-destroy.jsonl");
}

#[test]
fn full_turn() {
    check("full-turn-mock-model.jsonl");
}

#[test]
fn error_responses() {
    check("error-responses.jsonl");
}
