#!/usr/bin/env bash
# The whole test suite: Rust (fmt, clippy, unit, integration, doc tests, the
# committed fuzz regressions), the committed C headers, the exported symbol
# list, the C examples (shared library under valgrind, static library
# natively), the Python and PHP tests (natively, then under valgrind), the
# budget soak test, and rustdoc without warnings.
# Fails if any part fails or cannot run (a missing tool is a failure, not a skip).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }
need() {
  command -v "$1" >/dev/null || { echo "missing tool: $1 ($2)" >&2; exit 1; }
}
need cargo "the Rust toolchain"
need cc "a C compiler"
need valgrind "apt-get install -y valgrind"
need python3 "CPython 3.9+"
need php "apt-get install -y php-cli"
need cbindgen "cargo install cbindgen --version 0.29.4 --locked"
php -r 'exit(extension_loaded("FFI") ? 0 : 1);' || { echo "PHP lacks the FFI extension" >&2; exit 1; }
python3 -c 'import cffi' 2>/dev/null || { echo "missing Python module cffi (pip install cffi)" >&2; exit 1; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings

step "cargo build --release (rlib, cdylib, staticlib)"
cargo build --release --quiet
lib_dir=$root/target/release
so=$lib_dir/libilsprivacy.so
test -f "$so" && test -f "$lib_dir/libilsprivacy.a"

step "cargo test --release (unit, integration and doc tests)"
cargo test --release --quiet

step "headers match cbindgen output"
scripts/gen-headers.sh --check

step "the shared library exports only ilsp_ symbols"
stray=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^ilsp_' || true)
if [ -n "$stray" ]; then echo "stray exports:" >&2; echo "$stray" >&2; exit 1; fi
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sort)
echo "$(echo "$exported" | wc -l) functions exported"

step "C examples: every exported function is called by one"
for fn in $exported; do
  grep -qw "$fn" examples/c/*.c || { echo "$fn is not exercised by any examples/c program" >&2; exit 1; }
done

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

step "tokenization vectors from CPython's hmac (checked by the C and PHP tests)"
python3 tests/vectors/token_vectors.py "$build/token_vectors.txt"
export ILSP_TOKEN_VECTORS=$build/token_vectors.txt
cflags=(-Wall -Wextra -Werror -std=c99 -pedantic -I"$root/include")
for src in examples/c/*.c; do
  name=$(basename "$src" .c)
  step "C example $name: shared library under valgrind"
  cc "${cflags[@]}" "$src" -L"$lib_dir" -lilsprivacy -lm -Wl,-rpath,"$lib_dir" -o "$build/$name"
  (cd "$build" && valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect "./$name")
  step "C example $name: static library"
  cc "${cflags[@]}" "$src" "$lib_dir/libilsprivacy.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o "$build/$name-static"
  (cd "$build" && "./$name-static")
done

step "the header compiles as C++"
printf '#include "ilsprivacy.h"\nint main() { return ilsp_version() ? 0 : 1; }\n' > "$build/cxx.cpp"
c++ -Wall -Wextra -Werror -I"$root/include" -fsyntax-only "$build/cxx.cpp"

step "Python tests"
(cd bindings/python && ILSPRIVACY_LIB=$so python3 -m unittest discover -s tests)

step "PHP tests"
ILSPRIVACY_LIB=$so php bindings/php/tests/run.php

# C, Python and PHP processes spend on one ledger at once for a minute, some
# killed with SIGKILL, some cut by a file-size limit (EFBIG); the ledger must
# always verify and reopen, released values never outnumber recorded spends,
# and no cut spend goes uncharged (tests/soak/budget_soak.py says how).
step "budget soak: mixed-language spenders under SIGKILL and write failures"
python3 tests/soak/budget_soak.py --lib "$so" --seconds 60

# The same tests once more under memcheck: any error whose top frame is in
# libilsprivacy.so, any invalid access, and any block the library allocated
# and lost fails the run. Interpreter noise only is suppressed
# (scripts/valgrind/python.supp says what and why); PHP needs no
# suppressions with its allocator and PCRE's JIT off.
step "Python tests under valgrind"
py=$(python3 -c 'import sys; print(sys.executable)') # the interpreter, not a launcher script
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --num-callers=40)
(cd bindings/python && PYTHONMALLOC=malloc ILSPRIVACY_LIB=$so \
  "${vg[@]}" --suppressions="$root/scripts/valgrind/python.supp" "$py" -m unittest discover -s tests)

step "PHP tests under valgrind"
USE_ZEND_ALLOC=0 ZEND_DONT_UNLOAD_MODULES=1 ILSPRIVACY_LIB=$so \
  "${vg[@]}" php -d pcre.jit=0 bindings/php/tests/run.php

step "rustdoc without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet

printf '\nall tests passed\n'
