#!/usr/bin/env bash
# Runs one fuzz target for a bounded time, single job, with the seed corpus and the dictionary.
#
#   fuzz/run.sh TARGET SECONDS        TARGET: frame_decoder | json_scan | client | sim_faults
#
# The library forbids unsafe code, so the runs skip AddressSanitizer for speed; set
# FUZZ_SANITIZER=address to use it.
#
# New inputs go to fuzz/local/corpus/TARGET (not committed); the committed seeds in
# fuzz/seeds/TARGET are only read (cargo fuzz's default corpus folder, fuzz/corpus, is
# ignored by git: the seeds live elsewhere so that no run can write into them). Crashes go to
# fuzz/artifacts/TARGET: minimize one with
# `cargo +nightly fuzz tmin TARGET FILE`, then commit it under fuzz/regressions/TARGET/ with the
# fix (tests/fuzz_replay.rs replays that folder on every `cargo test --all-features`).
set -euo pipefail

target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}
cd "$(dirname "$0")"

case "$target" in
  frame_decoder) max_len=8192 ;;
  json_scan) max_len=4096 ;;
  client) max_len=16384 ;;
  sim_faults) max_len=4096 ;;
  *) echo "unknown target $target (frame_decoder, json_scan, client, sim_faults)" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz
fi

mkdir -p "local/corpus/$target" "artifacts/$target"
log="local/$target.log"
set +e
cargo +nightly fuzz run --sanitizer "${FUZZ_SANITIZER:-none}" "$target" "local/corpus/$target" "seeds/$target" -- \
  -dict=copilot.dict \
  -max_len="$max_len" \
  -max_total_time="$seconds" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  2>&1 | tee "$log" | grep -v '^#[0-9]'
status=${PIPESTATUS[0]}
set -e

execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
echo "target $target: ${execs:-?} execs in ${seconds}s (exit $status)"
exit "$status"
