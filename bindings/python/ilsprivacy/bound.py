"""Norm clipping of vectors (L1 and L2), before a sum or a Gaussian release."""

from __future__ import annotations

import ctypes
from typing import Iterable, List, Tuple

from ._native import call, declare, status_t

_double_p = ctypes.POINTER(ctypes.c_double)
_clip_l1 = declare("ilsp_clip_l1", status_t, [_double_p, ctypes.c_size_t, ctypes.c_double, _double_p])
_clip_l2 = declare("ilsp_clip_l2", status_t, [_double_p, ctypes.c_size_t, ctypes.c_double, _double_p])


def _clip(fn, values: Iterable[float], bound: float) -> Tuple[List[float], float]:
    data = [float(v) for v in values]
    buf = (ctypes.c_double * len(data))(*data)
    factor = ctypes.c_double()
    call(fn, buf, len(data), float(bound), ctypes.byref(factor))
    return list(buf), factor.value


def clip_l1(values: Iterable[float], bound: float) -> Tuple[List[float], float]:
    """``values`` scaled so their L1 norm is at most ``bound``, and the factor used.

    >>> clip_l1([3.0, -1.0], 2.0)[1] < 0.5
    True
    """
    return _clip(_clip_l1, values, bound)


def clip_l2(values: Iterable[float], bound: float) -> Tuple[List[float], float]:
    """``values`` scaled so their L2 norm is at most ``bound``, and the factor used."""
    return _clip(_clip_l2, values, bound)
