#!/usr/bin/env bash
# Instructions per event of a benchmark's measured loop, counted by callgrind (repeatable,
# whatever else the machine is doing), with the functions that cost the most.
#
#   scripts/profile-bench.sh w1_stream [EVENTS]     # the W1 loop (20,000 events by default)
#   scripts/profile-bench.sh w3_sessions            # the W3 loop (its 100,000 events)
#   scripts/profile-bench.sh vs_serde               # W1 and CHECK through both contenders of vs_serde
#
# Needs valgrind. The count includes the benchmark's own copy of each 64 KiB read into the
# inbox (about 1 instruction per byte under callgrind, which counts `rep movsb` byte by byte).
set -euo pipefail
cd "$(dirname "$0")/.."

bench=${1:?usage: scripts/profile-bench.sh w1_stream|w3_sessions|vs_serde [EVENTS]}

# vs_serde: the instructions per W1 event (and per CHECK body) of both contenders of
# `benches/vs_serde.rs`, and their ratio (the same work, counted without the noise of a shared machine).
if [ "$bench" = vs_serde ]; then
  cargo bench --bench vs_serde --no-run
  bin=$(ls -t target/release/deps/vs_serde-* | grep -v '\.d$' | head -n 1)
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  events=200001 # 200,000 deltas and the idle
  count() { # WORKLOAD FUNCTION
    BENCH_RUNS=1 VS_SERDE_ONLY=$1 valgrind --tool=callgrind --toggle-collect="*vs_serde::$2*" \
      --callgrind-out-file=/dev/null "$bin" >/dev/null 2>"$log"
    echo $(( $(grep -o 'Collected : [0-9]*' "$log" | grep -o '[0-9]*$') / events ))
  }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
  ours=$(count W1 sansio_consume)
  theirs=$(count W1 serde_consume)
  echo "W1 instructions per event: copilot_sansio=$ours serde_json_borrowed=$theirs" \
    "ratio=$(ratio "$ours" "$theirs")"
  # The check alone that each body is JSON (the CHECK line of the bench).
  ours=$(count CHECK sansio_check)
  theirs=$(count CHECK serde_check)
  echo "CHECK instructions per body: copilot_sansio=$ours serde_json_ignored_any=$theirs" \
    "ratio=$(ratio "$ours" "$theirs")"
  exit 0
fi

case "$bench" in
  w1_stream) events=${2:-20000}; loop='*w1_stream::consume*' ;;
  w3_sessions) events=100000; loop='*w3_sessions::consume*' ;;
  *) echo "unknown bench $bench (w1_stream, w3_sessions)" >&2; exit 2 ;;
esac

cargo bench --bench "$bench" --no-run
bin=$(ls -t target/release/deps/"$bench"-* | grep -v '\.d$' | head -n 1)
out=$(mktemp)
trap 'rm -f "$out" "$out.log"' EXIT
BENCH_RUNS=1 W1_EVENTS=$events valgrind --tool=callgrind --toggle-collect="$loop" \
  --callgrind-out-file="$out" "$bin" >/dev/null 2>"$out.log"
total=$(grep -o 'Collected : [0-9]*' "$out.log" | grep -o '[0-9]*$')
echo "$bench: $((total / events)) instructions per event ($total for $events events)"
echo "inclusive, per event:"
callgrind_annotate --inclusive=yes "$out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' \
  | grep -E '[^ ]+:<?(copilot_sansio|__mem)' | grep -v '=>' | awk -v n="$events" '
    { c = $1; gsub(",", "", c); name = $0; sub(/^ *[0-9,]+ \([ 0-9.]+%\) +[^:]*:/, "", name); gsub(/copilot_sansio::/, "", name); sub(/ \[.*$/, "", name)
      if (!(name in seen)) { seen[name] = 1; printf "%8d  %s\n", c / n, name } }' | head -n 16
