#!/usr/bin/env bash
# Runs every cargo-fuzz target (or the ones named) for a fixed time and
# reports executions per target and any crash.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]
#
# SECONDS_PER_TARGET defaults to 60. FUZZ_JOBS (default 1) targets run at
# once, each on one core. Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz --locked`). Builds with AddressSanitizer (the
# cargo-fuzz default). Each target starts from its corpus (fuzz/corpus/<t>,
# kept between runs, git-ignored) and the committed seeds (fuzz/seeds/<t>).
# Crash inputs land in fuzz/artifacts/<t>/ and logs in fuzz/artifacts/logs/.
# Exits non-zero if any target crashed. The README's "Fuzzing" section says
# how a crash becomes a regression test.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-60}
shift || true
jobs=${FUZZ_JOBS:-1}
command -v cargo-fuzz >/dev/null || { echo "missing cargo-fuzz (cargo install cargo-fuzz --locked)" >&2; exit 1; }

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

echo "==> building ${#targets[@]} targets (release, AddressSanitizer)"
cargo +nightly fuzz build >/dev/null

logs=artifacts/logs
mkdir -p "$logs"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

run_target() {
  local t=$1 log=$logs/$1-$stamp.log
  mkdir -p "corpus/$t" "artifacts/$t"
  local seeds=()
  [ -d "seeds/$t" ] && seeds=("seeds/$t")
  # -timeout: an input slower than 10 s is reported as a hang;
  # -rss_limit_mb: the library never needs more than this on any input.
  cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1 || true
}

started=$(date +%s)
running=0
for t in "${targets[@]}"; do
  echo "==> fuzzing $t for ${seconds}s"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
printf '\n%-16s %8s %14s %10s %8s %s\n' target seconds executions exec/s corpus crashes
for t in "${targets[@]}"; do
  log=$logs/$t-$stamp.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  time_s=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1 || true)
  [ -n "$time_s" ] || time_s=$seconds
  corpus=$(find "corpus/$t" -type f | wc -l)
  crashes=$(grep -c '^==[0-9]*== ERROR\|^==[0-9]*==ERROR\|panicked at\|SUMMARY: libFuzzer' "$log" || true)
  artifacts=$(grep -o 'Test unit written to [^ ]*' "$log" | sed 's/Test unit written to //' | tr '\n' ' ' || true)
  rate=0
  if [ -n "$execs" ] && [ "$time_s" -gt 0 ] && [ "$crashes" -eq 0 ]; then rate=$((execs / time_s)); else rate=-; fi
  if [ -z "$execs" ] || [ "$crashes" -gt 0 ]; then
    failed=1
    printf '%-16s %8s %14s %10s %8s %s\n' "$t" "$time_s" "${execs:-?}" "$rate" "$corpus" "CRASH ${artifacts:-(see $log)}"
  else
    printf '%-16s %8s %14s %10s %8s %s\n' "$t" "$time_s" "$execs" "$rate" "$corpus" 0
  fi
done
echo "total wall time: $(( $(date +%s) - started ))s; logs in fuzz/$logs/*-$stamp.log"
exit "$failed"
