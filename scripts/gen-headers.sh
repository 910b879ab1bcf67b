#!/usr/bin/env bash
# Regenerates include/ilsprivacy.h and include/ilsprivacy_ffi.h with the pinned
# cbindgen. With --check, regenerates into a temporary folder and fails if the
# committed headers differ.
set -euo pipefail
cd "$(dirname "$0")/.."
want="0.29.4"
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version | awk '{print $2}')" != "$want" ]; then
  echo "cbindgen $want is required: cargo install cbindgen --version $want --locked" >&2
  exit 1
fi
out=include
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
cbindgen --quiet --config cbindgen.toml --crate ilsprivacy --output "$out/ilsprivacy.h"
cbindgen --quiet --config cbindgen-ffi.toml --crate ilsprivacy --output "$out/ilsprivacy_ffi.h"
# Every macro and function the header exports carries the ilsp_/ILSP prefix.
if grep -E '^#define ' "$out/ilsprivacy.h" | grep -vE '^#define (ILSP_|ILSPRIVACY_H)'; then
  echo "header exports a macro without the ILSP_ prefix (see above)" >&2
  exit 1
fi
if grep -E '^[a-z_ ]+\*?[a-z_]+\(' "$out/ilsprivacy_ffi.h" | grep -vE '\bilsp_[a-z0-9_]+\('; then
  echo "header declares a function without the ilsp_ prefix (see above)" >&2
  exit 1
fi
if [ "${1:-}" = "--check" ]; then
  for h in ilsprivacy.h ilsprivacy_ffi.h; do
    if ! diff -u "include/$h" "$out/$h"; then
      echo "include/$h is stale: run scripts/gen-headers.sh and commit the result" >&2
      exit 1
    fi
  done
  echo "headers are up to date"
fi
