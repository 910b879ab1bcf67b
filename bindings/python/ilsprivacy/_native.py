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

import contextlib
import ctypes
import ctypes.util
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, TypeVar

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
_T = TypeVar("_T")


class Handle:
    """An object the library owns, behind an opaque pointer: freed by
    :meth:`close` (idempotent), at the end of a ``with`` block, or when
    collected. Subclasses set ``_free`` (their ``ilsp_..._free`` function),
    ``_kind`` (what the closed-handle error calls them) and ``_exclusive``
    (True when the C object allows one call at a time).

    This is the binding's one guard for every handle type. Each call takes
    the handle for its duration (:meth:`_call`, :meth:`_run`, :func:`using`):
    :meth:`close` waits until no call holds it, and from the moment it
    starts, new calls raise :class:`~ilsprivacy.errors.ClosedHandleError`.
    So a ``close()`` racing calls in other threads never frees the object
    under a running call, and a call never runs on freed memory. Exclusive
    handles also serialise their calls (re-entrantly on one thread).
    """

    _free: Callable[[Any], None]
    _kind = "object"
    _exclusive = False

    def __init__(self, handle: Any) -> None:
        self._guard = threading.Lock()
        self._idle = threading.Condition(self._guard)
        self._users = 0
        self._owner: Optional[int] = None
        self._closing = False
        self._handle = handle

    def _acquire(self) -> Any:
        """Takes the handle for one call and returns its pointer; raises if it is closed."""
        with self._guard:
            while True:
                if self._closing or not self._handle:
                    raise errors.ClosedHandleError(f"the {self._kind} is closed")
                if not self._exclusive or self._users == 0 or self._owner == threading.get_ident():
                    break
                self._idle.wait()
            self._users += 1
            if self._exclusive:
                self._owner = threading.get_ident()
            return self._handle

    def _release(self) -> None:
        with self._guard:
            self._users -= 1
            if self._users == 0:
                self._owner = None
                self._idle.notify_all()

    def _call(self, fn: Callable[..., int], *args: Any) -> None:
        """Calls the status-returning ``fn(handle, *args)`` under the guard; raises on failure."""
        handle = self._acquire()
        try:
            status = fn(handle, *args)
        finally:
            self._release()
        check(status)

    def _run(self, body: Callable[[Any], _T]) -> _T:
        """Runs ``body(handle)`` under the guard (for calls with more steps)."""
        handle = self._acquire()
        try:
            return body(handle)
        finally:
            self._release()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has started."""
        return self._closing or not getattr(self, "_handle", None)

    def close(self) -> None:
        """Frees the native object, wiping any key material it holds, once
        every call in progress has returned (idempotent)."""
        guard = getattr(self, "_guard", None)
        if guard is None:  # __init__ failed before the handle existed
            return
        with guard:
            if self._users and self._owner == threading.get_ident():
                raise RuntimeError(f"the {self._kind} cannot be closed from inside one of its own calls")
            self._closing = True
            while self._users:
                self._idle.wait()
            handle, self._handle = self._handle, None
        if handle:
            self._free(handle)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown may have torn down modules
            pass


@contextlib.contextmanager
def using(*handles: Handle) -> Iterator[tuple[Any, ...]]:
    """Takes several handles for one call (in a fixed order, so two threads
    taking the same exclusive handles cannot deadlock) and yields their
    pointers in the order given."""
    order = sorted(set(handles), key=id)
    taken: list[Handle] = []
    pointers: dict[int, Any] = {}
    try:
        for h in order:
            pointers[id(h)] = h._acquire()
            taken.append(h)
        yield tuple(pointers[id(h)] for h in handles)
    finally:
        for h in reversed(taken):
            h._release()
