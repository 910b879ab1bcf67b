"""Loading of the ilsprivacy shared library and the status-code checks.

The library is loaded from the first of these that exists:

1. the copy bundled in this package (``ilsprivacy/libilsprivacy.so``), which
   every wheel has: ``pip install <wheel>`` needs nothing else;
2. the path in the ``ILSPRIVACY_LIB`` environment variable (for a package
   without a bundled library: a source checkout, or ``PYTHONPATH``);
3. the build output of the source checkout this package is part of
   (``target/release`` then ``target/debug`` of the repository), if it is one;
4. the system's library search path (``ctypes.util.find_library``), e.g. after
   ``scripts/install.sh --prefix /usr/local``.

A candidate that exists but cannot be loaded, or an ``ILSPRIVACY_LIB`` that
names no file, is an error, never skipped in favour of a different library. :data:`library_path` names the library loaded.

Every C function is declared once, with its ``restype`` and ``argtypes``,
through :func:`declare`; a C status other than ``ILSP_OK`` becomes the typed
exception of :mod:`ilsprivacy.errors`, carrying the library's message.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, TypeVar

from . import errors

_LIB_NAME = "libilsprivacy.so"
_PACKAGE_DIR = Path(__file__).resolve().parent


def _checkout_root(package_dir: Path) -> Optional[Path]:
    """The repository root if ``package_dir`` is ``bindings/python/ilsprivacy``
    of an ilsprivacy checkout, else None (e.g. an installed package)."""
    root = package_dir.parents[2] if len(package_dir.parents) > 2 else None
    if root is None or package_dir != root / "bindings" / "python" / "ilsprivacy":
        return None
    return root if (root / "Cargo.toml").is_file() else None


def _candidates(package_dir: Path, environ: Mapping[str, str]) -> list[Path]:
    """Where to look, in order (see the module documentation)."""
    found = [package_dir / _LIB_NAME]
    env = environ.get("ILSPRIVACY_LIB")
    if env:
        found.append(Path(env))
    root = _checkout_root(package_dir)
    if root is not None:
        found += [root / "target" / profile / _LIB_NAME for profile in ("release", "debug")]
    system = ctypes.util.find_library("ilsprivacy")
    if system:
        found.append(Path(system))
    return found


def _load() -> tuple[ctypes.CDLL, str]:
    candidates = _candidates(_PACKAGE_DIR, os.environ)
    env = os.environ.get("ILSPRIVACY_LIB")
    for path in candidates:
        if env and path == Path(env) and not path.is_file():
            raise ImportError(f"ILSPRIVACY_LIB names {env}, which is not a file")
        # find_library gives a bare name (libilsprivacy.so.0.1) for dlopen to resolve.
        if path.is_file() or (not path.is_absolute() and len(path.parts) == 1):
            try:
                return ctypes.CDLL(str(path)), str(path)
            except OSError as exc:
                raise ImportError(f"cannot load the ilsprivacy shared library {path}: {exc}") from exc
    raise ImportError(
        "cannot find the ilsprivacy shared library: install a wheel (which bundles it), "
        "set ILSPRIVACY_LIB, or build it with `cargo build --release` in the checkout. "
        "Tried: " + ", ".join(str(p) for p in candidates)
    )


#: The path (or, from the system search path, the name) of the loaded library.
library_path: str
lib, library_path = _load()

#: The C type of every status return.
status_t = ctypes.c_int32

_last_error = lib.ilsp_last_error
_last_error.restype = ctypes.c_char_p
_last_error.argtypes = []


def last_error() -> str:
    """This thread's message for the last failed call ("" after a success)."""
    raw = _last_error()
    return raw.decode("utf-8", errors="replace") if raw else ""


def declare(name: str, restype: Any, argtypes: Sequence[Any]) -> Any:
    """Returns the C function ``name`` with its return and argument types set."""
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


def check(status: int) -> None:
    """Raises the exception for ``status`` (with the library's message) unless it is ILSP_OK."""
    if status != errors.ILSP_OK:
        raise errors.from_status(status, last_error())


def call(fn: Any, *args: Any) -> None:
    """Calls a status-returning C function and raises on failure."""
    check(fn(*args))


def encode_text(text: str, param: str) -> bytes:
    """UTF-8 bytes of ``text``; raises ``TypeError`` naming ``param`` if it is not a ``str``."""
    if not isinstance(text, str):
        raise TypeError(f"{param} must be str, got {type(text).__name__}")
    return text.encode("utf-8", errors="surrogatepass")


def optional_path(path: Optional[os.PathLike[str] | str]) -> Optional[bytes]:
    """A filesystem path as bytes for the C side, or None."""
    return None if path is None else os.fsencode(path)


_H = TypeVar("_H", bound="Handle")


class Handle:
    """An object the library owns, behind an opaque pointer: freed by
    :meth:`close` (idempotent), at the end of a ``with`` block, or when
    collected. Subclasses set ``_free`` (their ``ilsp_..._free`` function) and
    ``_kind`` (what the closed-handle error calls them)."""

    _free: Callable[[ctypes.c_void_p], None]
    _kind = "object"

    def __init__(self, handle: ctypes.c_void_p) -> None:
        self._handle = handle

    def _ptr(self) -> ctypes.c_void_p:
        if not self._handle:
            raise ValueError(f"the {self._kind} is closed")
        return self._handle

    def close(self) -> None:
        """Frees the native object, wiping any key material it holds (idempotent)."""
        if getattr(self, "_handle", None):
            self._free(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
