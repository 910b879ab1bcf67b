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

import contextlib
import ctypes
import ctypes.util
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, TypeVar

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
