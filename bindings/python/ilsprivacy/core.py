"""Library version and input clamping."""

from __future__ import annotations

import ctypes

from ._native import call, declare, status_t

_version = declare("ilsp_version", ctypes.c_char_p, [])
_clamp = declare(
    "ilsp_clamp",
    status_t,
    [ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.POINTER(ctypes.c_double)],
)


def version() -> str:
    """The loaded library's version, ``"MAJOR.MINOR.PATCH"``."""
    return _version().decode("ascii")


def clamp(value: float, lo: float, hi: float) -> float:
    """``value`` clamped to ``[lo, hi]``.

    ``lo`` and ``hi`` must be finite with ``lo <= hi``; ``value`` must not be NaN
    (infinities clamp to the nearest bound).

    >>> clamp(12.5, 0.0, 10.0)
    10.0

    Raises:
        InvalidArgumentError: for a bad bound or a NaN value.
    """
    out = ctypes.c_double()
    call(_clamp, float(value), float(lo), float(hi), ctypes.byref(out))
    return out.value
