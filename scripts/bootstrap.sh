#!/usr/bin/env bash
# Installs the tools scripts/test-all.sh needs when they are missing, and fails
# (never skips) when one cannot be installed. scripts/test-all.sh runs it
# first; it is quick when everything is present. Debian/Ubuntu packages come
# from apt-get (through sudo when not root), cbindgen from crates.io, Python
# modules from PyPI (or apt for a Debian-managed python3).
#
# Not installed here: Rust itself (cargo and rustc >= the MSRV in Cargo.toml,
# from https://rustup.rs).
#
# To add a tool: one `apt_if_missing COMMAND PACKAGE` line, or a check and an
# install in the section below.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "bootstrap: $*" >&2; exit 1; }

command -v cargo >/dev/null && command -v rustc >/dev/null ||
  die "cargo and rustc are required (Rust $(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml) or newer, https://rustup.rs)"

apt_packages=()
apt_if_missing() { # COMMAND PACKAGE: install PACKAGE if COMMAND is not on PATH
  command -v "$1" >/dev/null || apt_packages+=("$2")
}
apt_if_missing cc gcc
command -v cc >/dev/null || apt_packages+=(libc6-dev)
apt_if_missing c++ g++
apt_if_missing readelf binutils
apt_if_missing nm binutils
apt_if_missing pkg-config pkgconf
apt_if_missing cmake cmake
apt_if_missing unzip unzip
apt_if_missing valgrind valgrind
apt_if_missing chromium chromium
# promtool checks the Prometheus text of `ilsprivacy ledger metrics`.
apt_if_missing promtool prometheus
apt_if_missing php php-cli
# The PHP package's tests: Composer (autoloader only, no downloads), PHPUnit,
# opcache and php-cgi (preloading, and FFI restricted to preloaded code as
# under PHP-FPM).
apt_if_missing composer composer
apt_if_missing phpunit phpunit
apt_if_missing php-cgi php-cgi
if ! command -v php >/dev/null || ! php -r 'exit(extension_loaded("Zend OPcache") ? 0 : 1);'; then
  apt_packages+=(php-opcache)
fi
# setpriv runs the unprivileged preloading test when the suite runs as root.
if [ "$(id -u)" -eq 0 ]; then apt_if_missing setpriv util-linux; fi
# The Perl binding (bindings/perl) is built on FFI::Platypus.
apt_if_missing perl perl
perl -MFFI::Platypus -e1 2>/dev/null || apt_packages+=(libffi-platypus-perl)
apt_if_missing python3 python3
# A Debian-managed python3 (PEP 668) gets its modules from apt, not pip.
debian_python=false
if [ -e /usr/lib/python3/dist-packages ] && [ "$(command -v python3 || true)" = /usr/bin/python3 ]; then
  debian_python=true
fi
if command -v python3 >/dev/null; then
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_packages+=(python3-venv)
  python3 -m pip --version >/dev/null 2>&1 || apt_packages+=(python3-pip)
  if $debian_python; then
    python3 -c 'import cffi' 2>/dev/null || apt_packages+=(python3-cffi)
    python3 -c 'import numpy' 2>/dev/null || apt_packages+=(python3-numpy)
  fi
elif $debian_python || command -v apt-get >/dev/null; then
  apt_packages+=(python3-venv python3-pip python3-cffi python3-numpy)
fi

if [ ${#apt_packages[@]} -gt 0 ]; then
  # De-duplicate while keeping the order.
  mapfile -t apt_packages < <(printf '%s\n' "${apt_packages[@]}" | awk '!seen[$0]++')
  echo "bootstrap: installing ${apt_packages[*]} (apt-get)"
  command -v apt-get >/dev/null || die "no apt-get: install ${apt_packages[*]} by hand"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "not root and no sudo: install ${apt_packages[*]} by hand"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
fi

# PHP's FFI extension (Debian ships it in php-common, enabled for the CLI).
php -r 'exit(extension_loaded("FFI") ? 0 : 1);' || die "PHP lacks the FFI extension (Debian: php-common; elsewhere build PHP with --with-ffi)"

# Python's cffi (the tests parse the FFI header with it).
if ! python3 -c 'import cffi' 2>/dev/null; then
  echo "bootstrap: installing Python module cffi (pip)"
  python3 -m pip install --quiet cffi
fi

# numpy (the Python buffer tests need it in the suite; the package does not).
if ! python3 -c 'import numpy' 2>/dev/null; then
  echo "bootstrap: installing Python module numpy (pip)"
  python3 -m pip install --quiet numpy
fi

# Rust components used by the suite.
cargo fmt --version >/dev/null 2>&1 || { echo "bootstrap: adding rustfmt"; rustup component add rustfmt; }
cargo clippy --version >/dev/null 2>&1 || { echo "bootstrap: adding clippy"; rustup component add clippy; }

# cbindgen, at the version scripts/gen-headers.sh pins (point releases change
# the generated header).
cbindgen_version=$(sed -n 's/^want="\(.*\)"$/\1/p' scripts/gen-headers.sh)
[ -n "$cbindgen_version" ] || die "cannot read the pinned cbindgen version from scripts/gen-headers.sh"
if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version | awk '{print $2}')" != "$cbindgen_version" ]; then
  echo "bootstrap: installing cbindgen $cbindgen_version (cargo install)"
  cargo install cbindgen --version "$cbindgen_version" --locked --quiet
fi

# Everything the suite calls must now be there.
for tool in cargo rustc cc c++ readelf nm pkg-config cmake unzip valgrind php composer phpunit php-cgi python3 cbindgen; do
  command -v "$tool" >/dev/null || die "$tool is still missing"
done
php -r 'exit(extension_loaded("Zend OPcache") ? 0 : 1);' || die "PHP's opcache extension is still missing"
python3 -c 'import cffi, venv, ensurepip, numpy' || die "Python modules cffi, venv, ensurepip and numpy are still missing"
