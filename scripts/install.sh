#!/usr/bin/env bash
# Builds the library in release mode and installs it for C and C++ programs:
#
#   PREFIX/lib/libilsprivacy.so.X.Y.Z              the shared library (SONAME set)
#   PREFIX/lib/libilsprivacy.so.<soname version>   -> libilsprivacy.so.X.Y.Z
#   PREFIX/lib/libilsprivacy.so                    -> the SONAME link (for -lilsprivacy)
#   PREFIX/lib/libilsprivacy.a                     the static library
#   PREFIX/include/ilsprivacy/ilsprivacy.h         the header (and ilsprivacy_ffi.h)
#   PREFIX/lib/pkgconfig/ilsprivacy.pc             for pkg-config (and CMake)
#   PREFIX/share/doc/ilsprivacy/                   licences, changelog
#
# Usage: scripts/install.sh --prefix DIR [--libdir DIR] [--destdir DIR]
#   --libdir   where libraries go, relative to the prefix (default: lib)
#   --destdir  staging root for packagers: files go to DESTDIR/PREFIX/...,
#              while the .pc file names PREFIX
#
# The version comes from Cargo.toml; the SONAME is set by build.rs from that
# version and read back here from the built library, so neither is written
# twice. Linux (ELF) only.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
prefix="" libdir="lib" destdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --libdir) libdir=${2:?--libdir needs a directory}; shift 2 ;;
    --libdir=*) libdir=${1#*=}; shift ;;
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown argument: $1" >&2; usage ;;
  esac
done
[ -n "$prefix" ] || { echo "install.sh: --prefix is required" >&2; usage; }
case "$prefix" in /*) ;; *) prefix=$(cd "$prefix" 2>/dev/null && pwd || echo "$PWD/$prefix") ;; esac
case "$libdir" in /*) echo "install.sh: --libdir is relative to the prefix" >&2; exit 2 ;; esac
# pkg-config output is split on blanks by every build system that reads it,
# so a prefix with blanks or quoting characters would give broken flags.
case "$prefix$libdir" in
  *[[:space:]\\\"\'\$\`]*)
    echo "install.sh: the prefix and libdir must not contain blanks, quotes, \\, \$ or \` (pkg-config cannot quote them)" >&2
    exit 2 ;;
esac

cd "$(dirname "$0")/.."
for tool in cargo readelf; do
  command -v "$tool" >/dev/null || { echo "install.sh: missing tool: $tool" >&2; exit 1; }
done

# The same invocation as the test suite's build, so an up-to-date build is reused.
cargo build --release --lib --quiet
target=$(cargo metadata --no-deps --format-version 1 | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
pkgid=$(cargo pkgid)
version=${pkgid##*[#@]}                    # e.g. 0.1.0 or 1.0.0-rc.1
core=${version%%[-+]*}                     # 1.0.0
so=$target/release/libilsprivacy.so
a=$target/release/libilsprivacy.a
test -f "$so" && test -f "$a" || { echo "install.sh: no build output in $target/release" >&2; exit 1; }

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
real=libilsprivacy.so.$core
case "$soname" in
  libilsprivacy.so.*) ;;
  *) echo "install.sh: $so has no SONAME (build.rs sets it)" >&2; exit 1 ;;
esac
case "$real." in
  "$soname".*) ;;
  *) echo "install.sh: SONAME $soname does not match version $version" >&2; exit 1 ;;
esac

# What a static link needs besides the archive: the system libraries Rust's
# standard library uses, as rustc reports them for this target.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo '' > "$probe/probe.rs"
static_libs=$(rustc --crate-type staticlib --crate-name probe --edition 2024 \
  --print native-static-libs -o "$probe/libprobe.a" "$probe/probe.rs" 2>&1 |
  sed -n 's/.*native-static-libs: //p')
[ -n "$static_libs" ] || { echo "install.sh: rustc did not report native-static-libs" >&2; exit 1; }

root=$destdir$prefix
install -d "$root/$libdir/pkgconfig" "$root/include/ilsprivacy" "$root/share/doc/ilsprivacy"
install -m 0755 "$so" "$root/$libdir/$real"
ln -sfn "$real" "$root/$libdir/$soname"
ln -sfn "$soname" "$root/$libdir/libilsprivacy.so"
install -m 0644 "$a" "$root/$libdir/libilsprivacy.a"
install -m 0644 include/ilsprivacy.h include/ilsprivacy_ffi.h "$root/include/ilsprivacy/"
install -m 0644 LICENSE-MIT LICENSE-APACHE CHANGELOG.md "$root/share/doc/ilsprivacy/"

description=$(sed -n 's/^description = "\(.*\)"$/\1/p' Cargo.toml)
cat > "$root/$libdir/pkgconfig/ilsprivacy.pc" <<EOF
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/$libdir
includedir=\${prefix}/include

Name: ilsprivacy
Description: $description
Version: $version
Libs: -L\${libdir} -lilsprivacy
Libs.private: $static_libs
Cflags: -I\${includedir}/ilsprivacy
EOF

echo "installed ilsprivacy $version (SONAME $soname) under $root"
