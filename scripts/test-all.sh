#!/usr/bin/env bash
# The whole test suite, the README's one test command. It first installs what
# a fresh machine lacks (scripts/bootstrap.sh), then runs, as named and timed
# steps: Rust (fmt, MSRV, clippy, every test binary, doc tests, the committed
# fuzz regressions), the committed C headers, the exported symbol list, the
# install under a temporary prefix (SONAME, pkg-config, CMake), the C
# examples (shared library under valgrind, static library natively), the
# Python tests and the PHP package (composer validate and dump-autoload,
# PHPUnit through the Composer autoloader; natively, then under valgrind), the
# budget soak test (mixed-language spenders under SIGKILL and write failures),
# the Python wheel in a fresh virtual environment, the README's quickstart
# snippets (PHP as a Composer project with a path repository), the
# `ilsprivacy` program's tests (it runs on generated exports), the HTML report
# in headless Chromium (screenshot kept in target/ci-artifacts/report.png),
# and rustdoc
# without warnings. A summary table of step times ends the output.
# Fails if any part fails or cannot run (a missing tool is a failure, not a skip).
#
# Builds: the library once in the release profile (what ships, and what the
# C, Python and PHP tests load), and the Rust test binaries once in the
# release-test profile (release without LTO, see Cargo.toml).
#
# Adding a step: `step "what it checks"` followed by its commands; the step
# ends where the next one starts. Use "$build" for temporary files (removed
# at exit) and do not set an EXIT trap (the summary uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Wall-clock time per step, and the CPU time (user + system) of the
# processes the step ran, which depends much less on what else the machine is
# doing: compare CPU times across runs, wall times within one run.
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }
secs() { printf '%d.%d' $(($1 / 1000000)) $(($1 % 1000000 / 100000)); }
build=$(mktemp -d)
cpu_now() { # sets $cpu: user + system time (µs) of all finished child processes
  times >"$build/.times" # in this shell: a subshell would report its own children
  cpu=$(awk 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { gsub(",", ".", $i); split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
    printf "%d\n", t * 1000000 }' "$build/.times")
}
suite_start=$(now_us)
step_name="" step_start=0 step_cpu=0 cpu=0
step_names=() step_times=() step_cpus=()
end_step() {
  [ -n "$step_name" ] || return 0
  local took=$(($(now_us) - step_start))
  cpu_now
  step_names+=("$step_name")
  step_times+=("$took")
  step_cpus+=("$((cpu - step_cpu))")
  printf '    (%s s, CPU %s s)\n' "$(secs "$took")" "$(secs $((cpu - step_cpu)))"
  step_name=""
}
step() {
  end_step
  step_name="$*"
  step_start=$(now_us)
  cpu_now
  step_cpu=$cpu
  printf '\n==> %s\n' "$*"
}
finish() {
  local status=$?
  local failed=$step_name
  [ "$status" -eq 0 ] && end_step
  printf '\n==> step times: wall clock, CPU (user + system)\n'
  local i
  for i in "${!step_names[@]}"; do
    printf '%8s s %8s s  %s\n' "$(secs "${step_times[$i]}")" "$(secs "${step_cpus[$i]}")" "${step_names[$i]}"
  done
  cpu_now
  if [ "$status" -ne 0 ] && [ -n "$failed" ]; then
    printf '%8s s %8s s  %s  <-- FAILED (exit status %d)\n' "$(secs $(($(now_us) - step_start)))" \
      "$(secs $((cpu - step_cpu)))" "$failed" "$status"
  fi
  printf '%8s s %8s s  total\n' "$(secs $(($(now_us) - suite_start)))" "$(secs "$cpu")"
  rm -rf "$build"
  [ "$status" -eq 0 ] && printf '\nall tests passed\n'
  exit "$status"
}
trap finish EXIT

step "bootstrap: tools the suite needs (scripts/bootstrap.sh)"
scripts/bootstrap.sh
need() {
  command -v "$1" >/dev/null || { echo "missing tool: $1 ($2)" >&2; exit 1; }
}
need cargo "the Rust toolchain"
need cc "a C compiler"
need valgrind "apt-get install -y valgrind"
need python3 "CPython 3.9+"
need php "apt-get install -y php-cli"
need composer "apt-get install -y composer"
need phpunit "apt-get install -y phpunit"
need php-cgi "apt-get install -y php-cgi"
need cbindgen "cargo install cbindgen --version 0.29.4 --locked"
need pkg-config "apt-get install -y pkgconf"
need cmake "apt-get install -y cmake"
need readelf "apt-get install -y binutils"
need unzip "apt-get install -y unzip"
command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
  || { echo "missing tool: chromium (apt-get install -y chromium)" >&2; exit 1; }
php -r 'exit(extension_loaded("FFI") ? 0 : 1);' || { echo "PHP lacks the FFI extension" >&2; exit 1; }
python3 -c 'import cffi' 2>/dev/null || { echo "missing Python module cffi (pip install cffi)" >&2; exit 1; }
# The Python buffer tests run with numpy here and fail, not skip, without it.
export ILSP_REQUIRE_NUMPY=1
# Composer is used offline: the PHP package has no dependencies, only the autoloader.
export COMPOSER_DISABLE_NETWORK=1 COMPOSER_ALLOW_SUPERUSER=1 COMPOSER_NO_INTERACTION=1

step "cargo fmt --check"
cargo fmt --all -- --check

# What is checked: Cargo.toml's rust-version is the figure the README states,
# and the toolchain running this suite is at least that version. Building with
# that exact older toolchain is not done here (it cannot be installed offline).
step "MSRV: Cargo.toml rust-version = README's figure <= rustc in use"
msrv=$(cargo metadata --no-deps --format-version 1 |
  python3 -c 'import json, sys; print(next(p["rust_version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "ilsprivacy"))')
readme_msrv=$(sed -n 's/^Minimum supported Rust version (MSRV): \*\*\([0-9.]*\)\*\*.*/\1/p' README.md)
rustc_version=$(rustc --version | awk '{print $2}')
echo "Cargo.toml rust-version $msrv, README $readme_msrv, rustc $rustc_version"
[ -n "$readme_msrv" ] || { echo "README states no MSRV line" >&2; exit 1; }
[ "$msrv" = "$readme_msrv" ] || { echo "README says MSRV $readme_msrv, Cargo.toml says $msrv" >&2; exit 1; }
[ "$(printf '%s\n%s\n' "$msrv" "${rustc_version%%-*}" | sort -V | head -1)" = "$msrv" ] ||
  { echo "rustc $rustc_version is older than the MSRV $msrv" >&2; exit 1; }

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo build --release (rlib, cdylib, staticlib: what ships)"
cargo build --release --quiet
lib_dir=$root/target/release
so=$lib_dir/libilsprivacy.so
test -f "$so" && test -f "$lib_dir/libilsprivacy.a"

step "the shared library's SONAME (readelf -d)"
readelf -d "$so" | grep SONAME
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
version=$(cargo pkgid | sed 's/.*[#@]//')
case "libilsprivacy.so.${version%%[-+]*}." in
  "$soname".*) echo "SONAME $soname fits version $version" ;;
  *) echo "SONAME '$soname' does not fit version $version" >&2; exit 1 ;;
esac

# Every cargo test call selects the whole workspace, so dependency features
# are unified the same way each time and the binaries built here are the ones
# run below (selecting one package would rebuild the library with another
# feature set).
step "cargo test: build the test binaries, examples and the lib test (profile release-test)"
cargo test --profile release-test --workspace --no-run --quiet
test_targets_of() {
  cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == sys.argv[1]:
        for t in p["targets"]:
            if "test" in t["kind"]:
                print(t["name"])' "$1"
}
mapfile -t test_targets < <(test_targets_of ilsprivacy)
mapfile -t cli_test_targets < <(test_targets_of ilsprivacy-cli)
[ ${#test_targets[@]} -gt 0 ] || { echo "no integration tests found" >&2; exit 1; }
[ ${#cli_test_targets[@]} -gt 0 ] || { echo "no tests of the ilsprivacy program found" >&2; exit 1; }

step "cargo test --lib --bins (unit tests of the library and the program)"
cargo test --profile release-test --workspace --quiet --lib --bins
for t in "${test_targets[@]}"; do
  step "cargo test --test $t"
  cargo test --profile release-test --workspace --quiet --test "$t"
done
step "cargo test --doc (doc tests: rustdoc, README, docs/)"
cargo test --profile release-test --workspace --quiet --doc

step "the ilsprivacy program's tests (it runs on generated exports)"
for t in "${cli_test_targets[@]}"; do
  cargo test --profile release-test --workspace --quiet --test "$t"
done

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

step "install under a temporary prefix (scripts/install.sh)"
prefix=$build/prefix
scripts/install.sh --prefix "$prefix"
ls -l "$prefix/lib" "$prefix/include/ilsprivacy"
real=libilsprivacy.so.${version%%[-+]*}
test -f "$prefix/lib/$real" && test ! -L "$prefix/lib/$real"
[ "$(readlink "$prefix/lib/$soname")" = "$real" ] || { echo "$soname is not a link to $real" >&2; exit 1; }
[ "$(readlink "$prefix/lib/libilsprivacy.so")" = "$soname" ] || { echo "libilsprivacy.so is not a link to $soname" >&2; exit 1; }
readelf -d "$prefix/lib/$real" | grep SONAME
cmp "$prefix/include/ilsprivacy/ilsprivacy.h" include/ilsprivacy.h
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
echo "pkg-config --cflags --libs ilsprivacy: $(pkg-config --cflags --libs ilsprivacy)"
echo "pkg-config --static --libs ilsprivacy: $(pkg-config --static --libs ilsprivacy)"
[ "$(pkg-config --modversion ilsprivacy)" = "$version" ] || { echo "ilsprivacy.pc has the wrong version" >&2; exit 1; }
# A staged install (packagers' DESTDIR) names the final prefix in the .pc; a
# prefix pkg-config could not quote is refused.
scripts/install.sh --prefix /opt/ilsprivacy --destdir "$build/stage" >/dev/null
grep -x 'prefix=/opt/ilsprivacy' "$build/stage/opt/ilsprivacy/lib/pkgconfig/ilsprivacy.pc"
[ "$(readlink "$build/stage/opt/ilsprivacy/lib/libilsprivacy.so")" = "$soname" ]
if scripts/install.sh --prefix "$build/with blank" 2>/dev/null; then echo "install.sh accepted a prefix with a blank" >&2; exit 1; fi
if scripts/install.sh 2>/dev/null; then echo "install.sh ran without --prefix" >&2; exit 1; fi

step "tokenization vectors from CPython's hmac (checked by the C and PHP tests)"
python3 tests/vectors/token_vectors.py "$build/token_vectors.txt"
export ILSP_TOKEN_VECTORS=$build/token_vectors.txt
# Every C example builds against the installed prefix through pkg-config:
# shared (run under memcheck), then static (Libs.private; -l: picks the
# archive over the shared library next to it).
cflags=(-Wall -Wextra -Werror -std=c99 -pedantic)
read -r -a pc_shared <<<"$(pkg-config --cflags --libs ilsprivacy)"
read -r -a pc_static <<<"$(pkg-config --cflags ilsprivacy) $(pkg-config --static --libs ilsprivacy | sed 's/-lilsprivacy\b/-l:libilsprivacy.a/')"
vg_c=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect)
for src in examples/c/*.c; do
  name=$(basename "$src" .c)
  step "C example $name: shared library (pkg-config) under valgrind"
  cc "${cflags[@]}" "$src" "${pc_shared[@]}" -lm -Wl,-rpath,"$prefix/lib" -o "$build/$name"
  readelf -d "$build/$name" | grep "NEEDED.*\[$soname\]" >/dev/null || { echo "$name does not need $soname" >&2; exit 1; }
  (cd "$build" && "${vg_c[@]}" "./$name")
  step "C example $name: static library (pkg-config --static)"
  cc "${cflags[@]}" "$src" "${pc_static[@]}" -lm -o "$build/$name-static"
  if readelf -d "$build/$name-static" | grep 'NEEDED.*libilsprivacy' >/dev/null; then
    echo "$name-static still needs the shared library" >&2
    exit 1
  fi
  (cd "$build" && "./$name-static")
done

step "the installed header compiles as C++ (pkg-config)"
printf '#include <ilsprivacy.h>\nint main() { return ilsp_version() ? 0 : 1; }\n' >"$build/cxx.cpp"
c++ -Wall -Wextra -Werror "$build/cxx.cpp" $(pkg-config --cflags --libs ilsprivacy) -Wl,-rpath,"$prefix/lib" -o "$build/cxx"
"$build/cxx"

# The README's snippets marked `<!-- test: NAME -->` are run as written.
readme_block() { # NAME: the fenced block after the marker
  awk -v marker="<!-- test: $1 -->" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }' "$root/README.md"
}
for name in quickstart.c quickstart-build.sh CMakeLists.txt cmake-build.sh quickstart.py composer.json quickstart.php php-quickstart.sh; do
  [ -n "$(readme_block "$name")" ] || { echo "README has no block marked $name" >&2; exit 1; }
done

step "README quickstart in C: pkg-config shared and static, then CMake"
qs=$build/quickstart-c
mkdir -p "$qs"
for name in quickstart.c quickstart-build.sh CMakeLists.txt cmake-build.sh; do
  readme_block "$name" >"$qs/$name"
done
(cd "$qs" && bash -euxo pipefail quickstart-build.sh)
# CMake finds the .pc through CMAKE_PREFIX_PATH alone: the snippet's
# "$HOME/.local" is the temporary prefix, and PKG_CONFIG_PATH is unset.
mkdir -p "$build/home" && ln -s "$prefix" "$build/home/.local"
(cd "$qs" && env -u PKG_CONFIG_PATH HOME="$build/home" bash -euxo pipefail cmake-build.sh >"$build/cmake.log" 2>&1) ||
  { cat "$build/cmake.log"; exit 1; }
tail -1 "$build/cmake.log"

step "Python tests"
# The tests must load the library just built, not a stray copy in the package.
(cd bindings/python && ILSPRIVACY_LIB=$so python3 -c 'import os, ilsprivacy._native as n; assert n.library_path == os.environ["ILSPRIVACY_LIB"], n.library_path')
(cd bindings/python && ILSPRIVACY_LIB=$so python3 -m unittest discover -s tests)

step "PHP package: composer validate --strict, composer dump-autoload (offline)"
(cd bindings/php && composer validate --strict && composer dump-autoload --dev)
for pkg in bindings/php bindings/python; do # the packages carry the licence texts
  cmp LICENSE-MIT "$pkg/LICENSE-MIT" && cmp LICENSE-APACHE "$pkg/LICENSE-APACHE"
done

step "PHP tests: PHPUnit through the Composer autoloader"
(cd bindings/php && ILSPRIVACY_LIB=$so phpunit --fail-on-skipped)

step "Perl tests (prove)"
ILSPRIVACY_LIB=$so prove -r bindings/perl/t

step "Python wheel: build, bundled library, fresh venv, use outside the repository"
python3 -m pip wheel --quiet --no-deps -w "$build/dist" bindings/python
wheel=$(ls "$build"/dist/ilsprivacy-*.whl)
unzip -l "$wheel"
unzip -l "$wheel" | grep ' ilsprivacy/libilsprivacy\.so$' >/dev/null || { echo "the wheel lacks ilsprivacy/libilsprivacy.so" >&2; exit 1; }
unzip -l "$wheel" | grep ' ilsprivacy/py\.typed$' >/dev/null || { echo "the wheel lacks ilsprivacy/py.typed" >&2; exit 1; }
python3 -m venv "$build/venv"
"$build/venv/bin/python" -m pip install --quiet --no-index "$wheel"
mkdir -p "$build/elsewhere"
readme_block quickstart.py >"$build/elsewhere/quickstart.py"
(cd "$build/elsewhere" && env -u ILSPRIVACY_LIB -u PYTHONPATH "$build/venv/bin/python" - <<'EOF'
import os, sys
import ilsprivacy, ilsprivacy._native as native
package_dir = os.path.dirname(ilsprivacy.__file__)
print("loaded", native.library_path)
assert native.library_path == os.path.join(package_dir, "libilsprivacy.so"), native.library_path
assert sys.prefix in package_dir and "bindings" not in package_dir, package_dir
assert ilsprivacy.clamp(250.0, 0.0, 20.0) == 20.0
with ilsprivacy.Tokenizer(b"k" * 32) as t:
    assert len(t.tokenize("21234000123456")) == 64
print("ilsprivacy", ilsprivacy.__version__, "from the wheel works outside the repository")
EOF
)
(cd "$build/elsewhere" && env -u ILSPRIVACY_LIB -u PYTHONPATH "$build/venv/bin/python" quickstart.py)

# As the README has it: an application next to the checkout (../ilsprivacy)
# installs the package from a path repository (copied, so not inside the
# checkout) and finds the library under the install prefix.
step "README quickstart in PHP (Composer path repository, library from the install prefix)"
mkdir -p "$build/php/app"
ln -s "$root" "$build/php/ilsprivacy"
for name in composer.json quickstart.php php-quickstart.sh; do
  readme_block "$name" >"$build/php/app/$name"
done
(cd "$build/php/app" && env -u ILSPRIVACY_LIB -u ILSPRIVACY_HEADER ILSPRIVACY_PREFIX="$prefix" \
  bash -euxo pipefail php-quickstart.sh) | tee "$build/php/out.txt"
test ! -L "$build/php/app/vendor/ilsprivacy/ilsprivacy" || { echo "the package was symlinked, not copied" >&2; exit 1; }
grep -Fx "loaded $prefix/lib/libilsprivacy.so with $prefix/include/ilsprivacy/ilsprivacy_ffi.h" "$build/php/out.txt" >/dev/null ||
  { echo "the quickstart did not load the library from the install prefix" >&2; exit 1; }

# C, Python and PHP processes spend on one ledger at once for a minute, some
# killed with SIGKILL, some cut by a file-size limit (EFBIG); the ledger must
# always verify and reopen, released values never outnumber recorded spends,
# and no cut spend goes uncharged (tests/soak/budget_soak.py says how).
step "budget soak: mixed-language spenders under SIGKILL and write failures"
python3 tests/soak/budget_soak.py --lib "$so" --seconds 60

# The same binding tests once more under memcheck: any error whose top frame
# is in libilsprivacy.so, any invalid access, and any block the library
# allocated and lost fails the run. Interpreter noise only is suppressed
# (scripts/valgrind/python.supp and php.supp say what and why; PHP runs with
# its allocator and PCRE's JIT off). The Python pass leaves out the tests
# scripts/valgrind/python_tests.py lists, with the memcheck run that already
# covers each.
py=$(python3 -c 'import sys; print(sys.executable)') # the interpreter, not a launcher script
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --num-callers=40)
# ILSP_UNDER_VALGRIND: the close-race tests repeat their races fewer times.
step "Python tests under valgrind"
(cd bindings/python && PYTHONMALLOC=malloc ILSPRIVACY_LIB=$so ILSP_UNDER_VALGRIND=1 \
  "${vg[@]}" --suppressions="$root/scripts/valgrind/python.supp" "$py" "$root/scripts/valgrind/python_tests.py" tests)

step "PHP tests under valgrind (PHPUnit)"
vg_php=(env USE_ZEND_ALLOC=0 ZEND_DONT_UNLOAD_MODULES=1 ILSPRIVACY_LIB="$so"
  "${vg[@]}" --suppressions="$root/scripts/valgrind/php.supp" php -d pcre.jit=0)
# The suppressions hide interpreter objects only: a handle leaked on purpose still fails.
cat >"$build/php-leak.php" <<'LEAK'
<?php
require getenv('ILSP_PHP_AUTOLOAD');
$lib = IlsPrivacy\Library::load();
$out = $lib->ffi->new('ilsp_tokenizer*');
$lib->check($lib->ffi->ilsp_tokenizer_new(IlsPrivacy\Key::byteBuffer($lib, str_repeat('k', 32)), 32, FFI::addr($out)));
LEAK
if ILSP_PHP_AUTOLOAD="$root/bindings/php/autoload.php" "${vg_php[@]}" "$build/php-leak.php" >"$build/php-leak.log" 2>&1; then
  cat "$build/php-leak.log"; echo "memcheck with php.supp missed a leaked tokenizer" >&2; exit 1
fi
grep -q 'definitely lost' "$build/php-leak.log" || { cat "$build/php-leak.log"; exit 1; }
(cd bindings/php && "${vg_php[@]}" "$(command -v phpunit)" --fail-on-skipped)

step "the HTML report in headless Chromium (renders, no console message, screenshot)"
# The program built for its tests above (release without LTO): building it
# again in the release profile would only relink the library with LTO.
scripts/check-html-report.sh "$root/target/release-test/ilsprivacy"

step "ilsprivacy ledger metrics: promtool check metrics accepts the Prometheus text"
metrics_dir=$build/metrics
rm -rf "$metrics_dir" && mkdir -p "$metrics_dir"
cli=$root/target/release-test/ilsprivacy # built for the program's tests
"$cli" report --sample-events 5000 --ledger "$metrics_dir/l" --create-ledger >/dev/null
"$cli" ledger set-limit --ledger "$metrics_dir/l" --account 'branch "7"/holds' --epsilon 1 --reason plan >/dev/null
"$cli" ledger suspend --ledger "$metrics_dir/l" --account 'branch "7"/holds' --reason review >/dev/null
"$cli" ledger burn-plan --ledger "$metrics_dir/l" --account demo/built-in-sample >/dev/null
"$cli" ledger metrics --ledger "$metrics_dir/l" >"$metrics_dir/ilsprivacy.prom"
promtool check metrics <"$metrics_dir/ilsprivacy.prom"
grep -q '^ilsprivacy_budget_suspended{account="branch \\"7\\"/holds"} 1$' "$metrics_dir/ilsprivacy.prom"

step "rustdoc without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
