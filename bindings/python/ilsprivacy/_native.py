"""Loading of the ilsprivacy shared library and the status-code checks.

The library is found, in order, at:

1. the path in the ``ILSPRIVACY_LIB`` environment variable;
2. the repository's build output (``target/release`` then ``target/debug``),
   when this package is used from a source checkout;
3. the system's library search path (``ctypes.util.find_library``).

Every C function is declared once, with its ``restype`` and ``argtypes``,
through :func:`declare`; a C status other than ``ILSP_OK`` becomes the typed
exception of :mod:`ilsprivacy.errors`, carrying the library's message.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, TypeVar

from . import errors

_LIB_NAME = "libilsprivacy.so"


def _candidates() -> list[Path]:
    env = os.environ.get("ILSPRIVACY_LIB")
    if env:
        return [Path(env)]
    root = Path(__file__).resolve().parents[3]
    found = [root / "target" / profile / _LIB_NAME for profile in ("release", "debug")]
    system = ctypes.util.find_library("ilsprivacy")
    if system:
        found.append(Path(system))
    return found


def _load() -> ctypes.CDLL:
    tried = []
    for path in _candidates():
        if path.is_file() or not path.is_absolute():
            try:
                return ctypes.CDLL(str(path))
            except OSError as exc:  # pragma: no cover - reported below
                tried.append(f"{path}: {exc}")
        else:
            tried.append(f"{path}: not found")
    raise ImportError(
        "cannot load the ilsprivacy shared library; build it with "
        "`cargo build --release` or set ILSPRIVACY_LIB. Tried: " + "; ".join(tried)
    )


lib = _load()

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
