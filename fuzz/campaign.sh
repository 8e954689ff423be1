#!/usr/bin/env bash
# A long fuzzing campaign: each target until it has run RUNS inputs or SECONDS have passed,
# whichever comes first (the issue's bar: 10 million executions or one hour per target).
#
#   fuzz/campaign.sh [TARGET…]            every target in fuzz/fuzz_targets/ when none is named
#   RUNS=10000000 SECONDS_PER_TARGET=3600 JOBS=1 NICE=0 fuzz/campaign.sh card sim
#
# Run from the repository root. Corpora grow in fuzz/corpus/<target>/ (seeded from
# fuzz/seeds/<target>/, which is never written), crashes land in fuzz/artifacts/<target>/.
# JOBS targets run at once (one core each); NICE=19 lets other work on the machine go first
# (then compare the CPU seconds printed with the wall seconds). One line per target at the
# end: runs, wall and CPU seconds, coverage (cov = edges, ft = features), corpus size, and
# whether it crashed. A crash is a bug: keep its input as a regression test or trace.
set -uo pipefail

cd "$(dirname "$0")/.."
RUNS="${RUNS:-10000000}"
SECONDS_PER_TARGET="${SECONDS_PER_TARGET:-3600}"
JOBS="${JOBS:-1}"
NICE="${NICE:-0}"
if rustup run nightly rustc --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
fi
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  for f in fuzz/fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi
nice -n "$NICE" "${fuzz[@]}" build --fuzz-dir fuzz -O || exit 1
logs="fuzz/campaign-logs"
mkdir -p "$logs"

one() {
  local t=$1
  mkdir -p "fuzz/corpus/$t"
  if [ -d "fuzz/seeds/$t" ]; then cp -n fuzz/seeds/"$t"/* "fuzz/corpus/$t/" 2>/dev/null; fi
  local start cpu0 cpu1 rc
  start=$(date +%s)
  # CPU seconds of this target's process tree, from bash's own accounting of its children.
  TIMEFORMAT='%U %S'
  { time nice -n "$NICE" "${fuzz[@]}" run --fuzz-dir fuzz -O "$t" "fuzz/corpus/$t" -- \
      -runs="$RUNS" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -print_final_stats=1 \
      >"$logs/$t.log" 2>&1; echo "rc=$?" >>"$logs/$t.log"; } 2>"$logs/$t.cpu"
  rc=$(grep -o 'rc=[0-9]*' "$logs/$t.log" | tail -n 1 | cut -d= -f2)
  read -r cpu0 cpu1 <"$logs/$t.cpu"
  local runs cov ft corpus
  runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$logs/$t.log" | grep -oE '[0-9]+$')
  cov=$(grep -oE 'cov: [0-9]+' "$logs/$t.log" | tail -n 1 | grep -oE '[0-9]+')
  ft=$(grep -oE 'ft: [0-9]+' "$logs/$t.log" | tail -n 1 | grep -oE '[0-9]+')
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  printf '%-14s runs %-10s wall %5ss cpu %7ss cov %-6s ft %-6s corpus %-6s %s\n' "$t" "${runs:-?}" \
    "$(( $(date +%s) - start ))" "$(awk -v u="$cpu0" -v s="$cpu1" 'BEGIN { printf "%.0f", u + s }')" "${cov:-?}" "${ft:-?}" "$corpus" \
    "$([ "$rc" = 0 ] && echo 'no crash' || echo "CRASH (rc $rc): see $logs/$t.log, fuzz/artifacts/$t/")"
}

running=0
for t in "${targets[@]}"; do
  one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
