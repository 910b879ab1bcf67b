#!/usr/bin/env bash
# Runs the library's unit tests under Miri (undefined-behaviour checker):
# every `unsafe` block of the C boundary (src/ffi/) as the unit tests drive
# it, plus the pure-Rust modules whose tests finish in reasonable time under
# the interpreter.
#
#   scripts/miri.sh [extra test filters]
#
# Needs the nightly toolchain with the `miri` and `rust-src` components
# (rustup +nightly component add miri rust-src). Isolation is off because the
# budget and key tests use real files, clocks and the OS's randomness.
#
# Skipped here (they run natively in `cargo test`, and their code has no
# `unsafe`):
#   - statistical tests and exact-sampler tests of src/sample and
#     src/mechanism (millions of draws: hours under the interpreter);
#   - PLD/zCDP accounting and the Gaussian calibration (large FFTs, long
#     searches), and the 30-digit decimal parsing sweeps of budget::decimal;
#   - ledger-file repair sweeps (budget::ledger::file: one ledger per byte;
#     budget::ledger::crash_tests: thousands of ledgers under injected faults);
#   - ffi::cpu (SHA-NI/SSE intrinsics Miri does not implement) and the FFI
#     mechanism tests (exact sampling through the C entry points);
#   - aggregate (large randomized property tests);
#   - tests marked #[cfg_attr(miri, ignore = "...")] (fork(), which Miri
#     cannot call).
set -euo pipefail
cd "$(dirname "$0")/.."
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-disable-isolation}"
skips=(
  sample:: mechanism:: accountant::pld accountant::zcdp accountant::composition
  budget::decimal budget::zcdp budget::ledger::file budget::ledger::crash_tests budget::release
  ffi::cpu ffi::mechanism aggregate::
)
args=()
for s in "${skips[@]}"; do args+=(--skip "$s"); done
exec cargo +nightly miri test --lib -- "${args[@]}" "$@"
