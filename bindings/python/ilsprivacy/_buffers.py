"""Buffers (numpy arrays, ``array.array``, ``bytearray``, ``memoryview`` ...)
passed to the C library without copying their elements.

:func:`borrow` checks what a buffer holds, from its buffer-protocol format,
and holds it (PEP 3118 export) for the length of one call: a ``bytearray``
cannot be resized and a numpy array cannot be reallocated meanwhile, so the
pointer given to C stays valid. A buffer of the wrong element type, byte
order or layout raises :class:`TypeError`; nothing is ever converted or copied
silently. numpy is never imported here: it is used only when the caller's
objects are numpy arrays (``sys.modules`` already holds it).
"""

from __future__ import annotations

import ctypes
import sys
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from typing import Protocol

    if sys.version_info >= (3, 12):
        from collections.abc import Buffer as _Exporter
    else:
        from typing_extensions import Buffer as _Exporter

    class _NumpyArray(Protocol):
        """numpy arrays (their stubs declare ``__buffer__`` only from Python 3.12)."""

        @property
        def __array_interface__(self) -> Dict[str, Any]: ...

    #: What the batch calls accept as a buffer, for type checkers.
    Buffer = Union[_Exporter, _NumpyArray]
else:
    Buffer = Any

# PEP 3118 format characters by kind.
_SIGNED = "bhilqn"
_UNSIGNED = "BHILQN"
_FLOAT = "efd"
_NATIVE_ORDER = "<" if sys.byteorder == "little" else ">"
_KIND_NAMES = {"i": "signed integers", "u": "unsigned integers", "f": "floats", "s": "fixed-width bytes"}
_NUMPY_DTYPES = {("i", 8): "int64", ("u", 8): "uint64", ("f", 8): "float64"}


class _PyBuffer(ctypes.Structure):
    """CPython's ``Py_buffer`` (part of the stable ABI since 3.11, unchanged since 3.3)."""

    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.POINTER(ctypes.c_ssize_t)),
        ("strides", ctypes.POINTER(ctypes.c_ssize_t)),
        ("suboffsets", ctypes.POINTER(ctypes.c_ssize_t)),
        ("internal", ctypes.c_void_p),
    ]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = [ctypes.POINTER(_PyBuffer)]
_release_buffer.restype = None
_PYBUF_SIMPLE = 0
_PYBUF_WRITABLE = 0x0001


def view(obj: Any) -> memoryview:
    """``memoryview(obj)`` (raises TypeError for an object that is not a buffer)."""
    return memoryview(obj)


def is_buffer(obj: object) -> bool:
    """Whether ``obj`` exports the buffer protocol with elements that are not
    Python objects (a numpy ``object`` array is a sequence here, not a buffer)."""
    try:
        view = memoryview(obj)  # type: ignore[arg-type]
    except TypeError:
        return False
    with view:
        return view.format not in ("O", "=O", "@O")


def describe(kind: str, itemsize: int) -> str:
    """``"float64 (numpy dtype float64)"`` for messages."""
    name = {"i": "int", "u": "uint", "f": "float"}.get(kind)
    if name is None:
        return _KIND_NAMES[kind]
    dtype = _NUMPY_DTYPES.get((kind, itemsize), f"{name}{8 * itemsize}")
    return f"{name}{8 * itemsize} (numpy dtype {dtype})"


def element(view: memoryview) -> tuple[str, int]:
    """(kind, itemsize) of a buffer's elements: ``i``/``u``/``f`` for integers
    and floats in native byte order, ``s`` for fixed-width bytes (numpy ``S``
    dtypes), ``?`` for anything else (including a foreign byte order)."""
    fmt, order = view.format, "@"
    if fmt[:1] in ("@", "=", "<", ">", "!"):
        order, fmt = fmt[0], fmt[1:]
    if fmt == "c" or (fmt.endswith("s") and (fmt[:-1] == "" or fmt[:-1].isdigit())):
        return "s", view.itemsize
    if order == "!" or (order in "<>" and order != _NATIVE_ORDER):
        return "?", view.itemsize
    if len(fmt) == 1 and fmt in _SIGNED:
        return "i", view.itemsize
    if len(fmt) == 1 and fmt in _UNSIGNED:
        return "u", view.itemsize
    if len(fmt) == 1 and fmt in _FLOAT:
        return "f", view.itemsize
    return "?", view.itemsize


class Borrowed:
    """A C-contiguous buffer held for one call: ``address`` (0 when empty),
    ``count`` elements of ``itemsize`` bytes. Use as a context manager (or
    call :meth:`release`)."""

    __slots__ = ("view", "count", "itemsize", "nbytes", "address", "_raw", "_held")

    def __init__(self, view: memoryview, writable: bool) -> None:
        self.view = view
        self.itemsize = view.itemsize
        self.nbytes = view.nbytes
        self.count = view.nbytes // view.itemsize if view.itemsize else 0
        self._raw = _PyBuffer()
        self._held = False
        # The memoryview is C-contiguous (checked by borrow()), so a simple
        # request for its bytes succeeds and pins the exporter until release.
        _get_buffer(view, ctypes.byref(self._raw), _PYBUF_WRITABLE if writable else _PYBUF_SIMPLE)
        self._held = True
        self.address = int(self._raw.buf or 0) if self.nbytes else 0

    def pointer(self, ctype: Any) -> Any:
        """The address as a ``POINTER(ctype)`` (NULL when the buffer is empty)."""
        return ctypes.cast(ctypes.c_void_p(self.address or None), ctypes.POINTER(ctype))

    def release(self) -> None:
        if self._held:
            self._held = False
            _release_buffer(ctypes.byref(self._raw))
        self.view.release()

    def __enter__(self) -> "Borrowed":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def borrow(
    obj: object,
    param: str,
    kind: str,
    itemsize: Optional[int] = None,
    *,
    writable: bool = False,
) -> Borrowed:
    """Holds ``obj``'s buffer for one call after checking that it is C-contiguous
    and holds elements of ``kind`` (``f``, ``i``, ``u``: numbers of ``itemsize``
    bytes in native byte order; ``s``: fixed-width bytes of any width; ``b``:
    any bytes, read as bytes).

    Raises:
        TypeError: ``obj`` is not a buffer, not C-contiguous, read-only when
            ``writable``, or holds other elements (the message says what it
            holds and what to pass).
    """
    try:
        view = memoryview(obj)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{param} must be a sequence or a buffer (numpy array, array.array, bytearray, memoryview); "
            f"got {type(obj).__name__}"
        ) from None
    try:
        if not view.c_contiguous:
            raise TypeError(
                f"{param} must be C-contiguous (numpy: numpy.ascontiguousarray({param})); "
                "a strided view is never copied silently"
            )
        if writable and view.readonly:
            raise TypeError(f"{param} must be writable; got a read-only buffer")
        if kind != "b":
            got_kind, got_size = element(view)
            want_size = got_size if itemsize is None else itemsize
            if got_kind != kind or got_size != want_size or (kind == "s" and got_size == 0):
                want = describe(kind, want_size)
                if got_kind in ("i", "u", "f"):
                    got = describe(got_kind, got_size)
                elif got_kind == "s":
                    got = f"fixed-width bytes of width {got_size}"
                else:
                    got = f"format {view.format!r} ({got_size}-byte items"
                    got += ", foreign byte order)" if view.format[:1] in "<>!" else ")"
                hint = ""
                if kind in "iuf":
                    hint = f"; numpy: {param}.astype(numpy.{_NUMPY_DTYPES.get((kind, want_size), 'float64')})"
                raise TypeError(f"{param} must be a buffer of {want}; got {got}{hint}")
        return Borrowed(view, writable)
    except BaseException:
        view.release()
        raise
