"""Columns for the batch calls, passed to the C library without copying.

The batch calls (:meth:`Aggregator.add_batch`, :func:`laplace_batch`,
:func:`gaussian_batch`, :func:`quantile`, :meth:`Tokenizer.tokenize_many`,
:meth:`Tokenizer.tokenize_column`, :meth:`Tokenizer.lookup`) take Python
sequences (converted element by element, as always) and also buffers, which
the library reads in place:

- numbers: any C-contiguous buffer of the exact element type the C function
  takes: ``float64`` values, ``uint64`` counts, ``int64`` values (a numpy
  array, ``array.array('d' / 'Q' / 'q')``, a ``memoryview``);
- keys and IDs: a :class:`PackedColumn` (Apache Arrow's binary layout: one
  data buffer and ``n + 1`` offsets), or a numpy fixed-width bytes array
  (dtype ``S<width>``), every entry exactly ``width`` bytes long.

A buffer of another element type (``int64`` counts, ``float32`` values, a
numpy ``str`` array), in a foreign byte order or not C-contiguous raises
:class:`TypeError` naming what it holds and what to pass; it is never copied
or converted silently. numpy is optional: nothing here imports it.

>>> from array import array
>>> from ilsprivacy import PackedColumn
>>> col = PackedColumn.from_strings(["EAST", "WEST", "NORTH"])
>>> len(col), col[2]
(3, b'NORTH')
>>> PackedColumn(bytearray(b"EASTWEST"), array("Q", [0, 4, 8])).to_list()
['EAST', 'WEST']

Do not modify a buffer while a call is using it (from another thread): the
library reads it as it is.
"""

from __future__ import annotations

import ctypes
import itertools
import sys
from array import array
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence, Union

from . import errors
from ._buffers import Borrowed, borrow, element, is_buffer, view

if TYPE_CHECKING:  # pragma: no cover
    from ._buffers import Buffer
else:
    Buffer = Any

# array.array typecode of size_t (8 bytes on 64-bit platforms).
SIZE_T_CODE = next(c for c in "QLI" if array(c).itemsize == ctypes.sizeof(ctypes.c_size_t))


def _size_t_view(view: memoryview) -> Any:
    """``view``'s bytes as size_t values (a memoryview; indexable, ``tolist()``)."""
    return view.cast("B").cast(SIZE_T_CODE)  # type: ignore[call-overload]  # the code is chosen at run time


def _offsets_for_width(n: int, width: int) -> Any:
    """``n + 1`` size_t offsets 0, width, 2 * width, ... (numpy when the caller uses it)."""
    np = sys.modules.get("numpy")
    if np is not None:
        return np.arange(0, (n + 1) * width, width, dtype=np.uintp)
    return array(SIZE_T_CODE, range(0, (n + 1) * width, width))


def _check_fixed_width(view: memoryview, param: str) -> None:
    """Refuses entries shorter than the width: numpy pads them with NUL bytes,
    and ``b"A"`` and ``b"A\\0"`` are different keys."""
    width, n = view.itemsize, view.nbytes // view.itemsize
    if n == 0:
        return
    last_bytes = view.cast("B")[width - 1 :: width].tobytes()
    padded = last_bytes.find(b"\0")
    if padded >= 0:
        raise ValueError(
            f"{param} entry {padded} is shorter than the column's width {width} (numpy pads it with NUL "
            "bytes, which would make it another key): every entry of a fixed-width column must be exactly "
            f"{width} bytes; use PackedColumn.from_strings({param}) for keys of different lengths"
        )


class PackedColumn:
    """``n`` byte strings in one buffer, in Apache Arrow's layout for binary
    columns: ``data`` holds them back to back and ``offsets`` holds ``n + 1``
    non-decreasing ``size_t`` positions, entry ``i`` being
    ``data[offsets[i]:offsets[i + 1]]``.

    Batch calls read both buffers in place. ``data`` may be any bytes-like
    buffer (``bytes``, ``bytearray``, a numpy ``uint8`` or ``S`` array);
    ``offsets`` a buffer of unsigned integers of ``size_t``'s size (numpy
    ``uint64`` / ``uintp``, ``array.array('Q')``), for example the offsets of
    an Arrow ``large_binary`` or ``large_string`` array viewed as ``uint64``.

    Raises:
        TypeError: ``offsets`` holds another element type, or a buffer is not
            C-contiguous.
        ValueError: ``offsets`` is empty or its last entry lies beyond ``data``.
    """

    __slots__ = ("data", "offsets", "width")

    data: Buffer
    offsets: Buffer
    #: The width of every entry when the column is fixed-width, else None.
    width: Optional[int]

    def __init__(self, data: Buffer, offsets: Buffer) -> None:
        self.data = data
        self.offsets = offsets
        self.width = None
        with ExitStack() as stack:
            self._hold(stack, "column")

    @classmethod
    def fixed_width(cls, data: Buffer, width: int) -> "PackedColumn":
        """The column of ``len(data) // width`` entries of exactly ``width`` bytes."""
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be an int >= 1, got {width!r}")
        with view(data) as whole:
            nbytes = whole.nbytes
        if nbytes % width:
            raise ValueError(f"data has {nbytes} bytes, not a multiple of the width {width}")
        column = cls(data, _offsets_for_width(nbytes // width, width))
        column.width = width
        return column

    @classmethod
    def from_strings(cls, items: Iterable[Union[str, bytes]]) -> "PackedColumn":
        """Packs ``items`` (``str``, encoded as UTF-8, or ``bytes``) once, so that
        several calls can use the column without packing it again."""
        data, offsets = _pack(list(items), "items", text_only=False)
        return cls(data, offsets)

    def _hold(self, stack: ExitStack, param: str) -> tuple[Borrowed, Borrowed, int]:
        """Holds both buffers for one call and checks that the offsets stay inside the data."""
        data = stack.enter_context(borrow(self.data, f"{param} data", "b"))
        offsets = stack.enter_context(borrow(self.offsets, f"{param} offsets", "u", ctypes.sizeof(ctypes.c_size_t)))
        if offsets.count == 0:
            raise ValueError(f"{param} offsets must hold n + 1 entries (at least 1)")
        last = _size_t_view(offsets.view)[-1]
        if last > data.nbytes:
            raise ValueError(f"{param} offsets end at {last}, beyond the data's {data.nbytes} bytes")
        return data, offsets, offsets.count - 1

    def __len__(self) -> int:
        with view(self.offsets) as off:
            return off.nbytes // off.itemsize - 1

    def __getitem__(self, i: int) -> bytes:
        n = len(self)
        if not -n <= i < n:
            raise IndexError("PackedColumn index out of range")
        i %= n
        with view(self.offsets) as off, view(self.data) as data:
            positions = _size_t_view(off)
            return data.cast("B")[positions[i] : positions[i + 1]].tobytes()

    def to_list(self) -> list[str]:
        """The entries decoded as UTF-8."""
        with view(self.offsets) as off, view(self.data) as data:
            positions = _size_t_view(off).tolist()
            raw = data.cast("B").tobytes()
        return [raw[a:b].decode("utf-8") for a, b in zip(positions, positions[1:])]

    def to_numpy(self) -> Any:
        """The entries as a numpy fixed-width bytes array (dtype ``S<width>``)
        sharing this column's data; fixed-width columns only. Needs numpy."""
        if self.width is None:
            raise ValueError("to_numpy() needs a fixed-width column")
        import numpy

        return numpy.frombuffer(view(self.data), dtype=f"S{self.width}")

    def __repr__(self) -> str:
        width = "" if self.width is None else f", width={self.width}"
        return f"<PackedColumn {len(self)} entries{width}>"


def _pack(items: Sequence[Any], param: str, *, text_only: bool) -> tuple[bytes, array]:
    """One buffer and ``len(items) + 1`` offsets for a sequence of ``str`` (UTF-8)
    or, unless ``text_only``, ``bytes``."""
    if all(type(i) is str for i in items):
        joined = "".join(items)
        if joined.isascii():
            data = joined.encode("ascii")
            lengths: Iterable[int] = map(len, items)
        else:
            encoded = [i.encode("utf-8", errors="surrogatepass") for i in items]
            data = b"".join(encoded)
            lengths = map(len, encoded)
    else:
        encoded = []
        for item in items:
            if isinstance(item, str):
                encoded.append(item.encode("utf-8", errors="surrogatepass"))
            elif not text_only and isinstance(item, (bytes, bytearray, memoryview)):
                encoded.append(bytes(item))
            else:
                want = "str" if text_only else "str or bytes"
                raise TypeError(f"{param} must contain {want}, got {type(item).__name__}")
        data = b"".join(encoded)
        lengths = map(len, encoded)
    offsets = array(SIZE_T_CODE, itertools.accumulate(lengths, initial=0))
    return data, offsets


class KeyArgs:
    """A key column ready for a C call: ``n`` entries; ``data``, the bytes (an
    address, or a ``bytes`` object; never NULL, so ``b""`` when empty) and
    their length ``nbytes``; ``offsets``, ``n + 1`` ``size_t`` values (never NULL)."""

    __slots__ = ("n", "data", "nbytes", "offsets")

    def __init__(self, n: int, data: Any, nbytes: int, offsets: Any) -> None:
        self.n, self.data, self.nbytes, self.offsets = n, data, nbytes, offsets

    @property
    def text(self) -> Any:
        """``data`` as a ``char *`` argument (``c_char_p``)."""
        return self.data if isinstance(self.data, bytes) else ctypes.c_char_p(self.data)


def keys(column: Any, param: str, stack: ExitStack, *, text_only: bool = False) -> KeyArgs:
    """A key column for one call, held by ``stack``: a :class:`PackedColumn`,
    a fixed-width bytes buffer (numpy ``S`` array) or a sequence of keys
    (``str``, or also ``bytes`` unless ``text_only``)."""
    if isinstance(column, PackedColumn):
        held_data, held_offsets, n = column._hold(stack, param)
        return KeyArgs(n, held_data.address or b"", held_data.nbytes, held_offsets.pointer(ctypes.c_size_t))
    if isinstance(column, (str, bytes, bytearray)):
        raise TypeError(f"{param} must be a sequence of keys or a column, not a single {type(column).__name__}")
    if is_buffer(column):
        with view(column) as whole:
            kind, width = element(whole)
            fmt = whole.format
        if kind != "s":
            raise TypeError(
                f"{param} must be a sequence of keys, a PackedColumn or a fixed-width bytes buffer "
                f"(numpy dtype S<width>); got a buffer of format {fmt!r}"
                + (" (a numpy str array holds UTF-32: numpy.char.encode(a, 'utf-8') gives bytes)" if "w" in fmt else "")
            )
        fixed = stack.enter_context(borrow(column, param, "s"))
        _check_fixed_width(fixed.view, param)
        positions = _offsets_for_width(fixed.count, width)
        held = stack.enter_context(borrow(positions, f"{param} offsets", "u", ctypes.sizeof(ctypes.c_size_t)))
        return KeyArgs(fixed.count, fixed.address or b"", fixed.nbytes, held.pointer(ctypes.c_size_t))
    items = list(column)
    packed, offsets = _pack(items, param, text_only=text_only)
    return KeyArgs(len(items), packed, len(packed), (ctypes.c_size_t * len(offsets)).from_buffer(offsets))


_CTYPES: dict[str, Any] = {"u": ctypes.c_uint64, "i": ctypes.c_int64, "f": ctypes.c_double}


def numbers(values: Any, param: str, kind: str, n: int, stack: ExitStack) -> Any:
    """A column of ``n`` numbers of ``kind`` (``u`` uint64, ``i`` int64, ``f``
    float64) for one call: a buffer read in place, or a sequence converted
    once; None stays None."""
    if values is None:
        return None
    ctype = _CTYPES[kind]
    if is_buffer(values):
        held = stack.enter_context(borrow(values, param, kind, 8))
        if held.count != n:
            raise errors.InvalidArgumentError(f"{param} must have {n} entries, got {held.count}")
        return held.pointer(ctype)
    seq = values if isinstance(values, (list, tuple)) else list(values)
    if len(seq) != n:
        raise errors.InvalidArgumentError(f"{param} must have {n} entries, got {len(seq)}")
    if kind == "u" and seq and min(seq) < 0:
        first = next(i for i, x in enumerate(seq) if x < 0)
        raise errors.InvalidArgumentError(f"{param[:-1]} must be >= 0, got {seq[first]} (event {first} of the batch)")
    return (ctype * n)(*seq)


__all__ = ["PackedColumn"]
