"""Builds the ilsprivacy wheel with the native library inside.

setuptools builds the pure-Python package as usual; one added step runs
``cargo build --release --lib`` in the repository that contains this
directory (the same command the test suite and ``scripts/install.sh`` run, so
an up-to-date build is reused, not repeated) and copies the shared library
into the package, where ``ilsprivacy._native`` looks first. The wheel is
tagged ``py3-none-<platform>``: it works with any CPython 3.9+ (ctypes needs
no CPython ABI) on the platform it was built for.

Build it from a checkout, with Rust installed::

    pip wheel --no-deps -w dist ./bindings/python

``pip install ./bindings/python`` does the same and installs the result.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools with the wheel package
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LIB_NAME = "libilsprivacy.so"


def cargo_version() -> str:
    """The ``version`` of Cargo.toml's ``[package]`` section."""
    manifest = ROOT / "Cargo.toml"
    if not manifest.is_file():
        raise SystemExit(
            f"{manifest} not found: build the wheel from an ilsprivacy checkout "
            "(pip wheel ./bindings/python), not from a copy of bindings/python"
        )
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[)", manifest.read_text(), re.M | re.S)
    version = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not version:
        raise SystemExit(f"no [package] version in {manifest}")
    return version.group(1)


def build_native_library() -> Path:
    """Runs cargo and returns the path of the shared library it built."""
    cargo = os.environ.get("CARGO", "cargo")
    cmd = [cargo, "build", "--release", "--lib", "--message-format=json-render-diagnostics"]
    try:
        result = subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise SystemExit("cargo not found: building the wheel needs Rust (https://rustup.rs)")
    found = None
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "ilsprivacy":
            found = next((f for f in message["filenames"] if f.endswith(".so")), found)
    if found is None:
        raise SystemExit(f"`{' '.join(cmd)}` did not report {LIB_NAME}")
    return Path(found)


class BuildPyWithNativeLibrary(build_py):
    """build_py, then the shared library copied into the built package."""

    def run(self) -> None:
        super().run()
        library = build_native_library()
        target = Path(self.build_lib) / "ilsprivacy" / LIB_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target)
        target.chmod(0o755)


class BinaryDistribution(Distribution):
    """Holds a native library, so the package installs into platlib."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """A platform wheel (it holds a shared library) for any Python 3."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    version=cargo_version(),
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildPyWithNativeLibrary, "bdist_wheel": PlatformWheel},
)
