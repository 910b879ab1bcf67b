"""Noise mechanisms: float Laplace and Gaussian (float-safe, on a power-of-two
grid), their integer forms, and the batch Laplace.

Each call is one private release; the caller accounts for its cost (epsilon,
or epsilon and delta). Values are never included in error messages.

>>> y = laplace(120.0, sensitivity=1.0, epsilon=1.0)
>>> abs(y - 120.0) < 60.0
True
"""

from __future__ import annotations

import ctypes
from typing import Iterable, List

from ._native import call, declare, status_t

_double_p = ctypes.POINTER(ctypes.c_double)
_int64_p = ctypes.POINTER(ctypes.c_int64)

_laplace = declare(
    "ilsp_laplace", status_t, [ctypes.c_double, ctypes.c_double, ctypes.c_double, _double_p]
)
_gaussian = declare(
    "ilsp_gaussian",
    status_t,
    [ctypes.c_double, ctypes.c_double, ctypes.c_double, ctypes.c_double, _double_p],
)
_laplace_i64 = declare(
    "ilsp_laplace_i64", status_t, [ctypes.c_int64, ctypes.c_int64, ctypes.c_double, _int64_p]
)
_gaussian_i64 = declare(
    "ilsp_gaussian_i64",
    status_t,
    [ctypes.c_int64, ctypes.c_int64, ctypes.c_double, ctypes.c_double, _int64_p],
)
_laplace_batch = declare(
    "ilsp_laplace_batch",
    status_t,
    [_double_p, ctypes.c_size_t, ctypes.c_double, ctypes.c_double, _double_p],
)
_gaussian_batch = declare(
    "ilsp_gaussian_batch",
    status_t,
    [_double_p, ctypes.c_size_t, ctypes.c_double, ctypes.c_double, ctypes.c_double, _double_p],
)


def _int64(value: int, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{param} must be int, got {type(value).__name__}")
    if not -(2**63) <= value < 2**63:
        raise OverflowError(f"{param} must fit in a signed 64-bit integer")
    return value


def laplace(value: float, sensitivity: float, epsilon: float) -> float:
    """``value`` plus Laplace noise: epsilon-DP for L1 sensitivity ``sensitivity``.

    The output is a multiple of the grid spacing (about ``sensitivity/epsilon *
    2**-40``); the rounding is charged in the sensitivity.

    Raises:
        InvalidArgumentError: NaN/inf or too large ``value``; ``sensitivity`` or
            ``epsilon`` not finite and > 0.
    """
    out = ctypes.c_double()
    call(_laplace, float(value), float(sensitivity), float(epsilon), ctypes.byref(out))
    return out.value


def gaussian(value: float, l2_sensitivity: float, epsilon: float, delta: float) -> float:
    """``value`` plus Gaussian noise: (epsilon, delta)-DP for L2 sensitivity
    ``l2_sensitivity`` (analytic calibration, proved for the discrete Gaussian
    on the grid).

    Raises:
        InvalidArgumentError: bad value, ``epsilon``/``l2_sensitivity`` not
            finite and > 0, or ``delta`` outside (0, 1).
    """
    out = ctypes.c_double()
    call(
        _gaussian,
        float(value),
        float(l2_sensitivity),
        float(epsilon),
        float(delta),
        ctypes.byref(out),
    )
    return out.value


def laplace_i64(value: int, sensitivity: int, epsilon: float) -> int:
    """``value`` plus discrete Laplace noise (epsilon-DP for integer sensitivity),
    clamped to the signed 64-bit range."""
    out = ctypes.c_int64()
    call(
        _laplace_i64,
        _int64(value, "value"),
        _int64(sensitivity, "sensitivity"),
        float(epsilon),
        ctypes.byref(out),
    )
    return out.value


def gaussian_i64(value: int, l2_sensitivity: int, epsilon: float, delta: float) -> int:
    """``value`` plus discrete Gaussian noise ((epsilon, delta)-DP for integer L2
    sensitivity), clamped to the signed 64-bit range."""
    out = ctypes.c_int64()
    call(
        _gaussian_i64,
        _int64(value, "value"),
        _int64(l2_sensitivity, "l2_sensitivity"),
        float(epsilon),
        float(delta),
        ctypes.byref(out),
    )
    return out.value


def laplace_batch(values: Iterable[float], sensitivity: float, epsilon: float) -> List[float]:
    """Each value plus independent Laplace noise (one epsilon-DP release per value).

    Every value is checked before any noise is drawn.
    """
    data = [float(v) for v in values]
    n = len(data)
    buf = (ctypes.c_double * n)(*data)
    out = (ctypes.c_double * n)()
    call(_laplace_batch, buf, n, float(sensitivity), float(epsilon), out)
    return list(out)


def gaussian_batch(
    values: Iterable[float], l2_sensitivity: float, epsilon: float, delta: float
) -> List[float]:
    """Each value plus independent Gaussian noise (one (epsilon, delta)-DP release
    per value). Every value is checked before any noise is drawn."""
    data = [float(v) for v in values]
    n = len(data)
    buf = (ctypes.c_double * n)(*data)
    call(_gaussian_batch, buf, n, float(l2_sensitivity), float(epsilon), float(delta), buf)
    return list(buf)


_randomized_response = declare(
    "ilsp_randomized_response",
    status_t,
    [ctypes.c_uint64, ctypes.c_uint64, ctypes.c_double, ctypes.POINTER(ctypes.c_uint64)],
)
_quantile = declare(
    "ilsp_quantile",
    status_t,
    [
        _double_p,
        ctypes.c_size_t,
        ctypes.c_double,
        ctypes.c_double,
        ctypes.c_double,
        ctypes.c_uint32,
        ctypes.c_double,
        _double_p,
    ],
)


def _uint(value: int, param: str, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{param} must be int, got {type(value).__name__}")
    if not 0 <= value < 2**bits:
        raise OverflowError(f"{param} must fit in an unsigned {bits}-bit integer")
    return value


def randomized_response(value: int, categories: int, epsilon: float) -> int:
    """Randomized response: ``value`` (in ``range(categories)``) with probability
    ``e^eps / (e^eps + categories - 1)``, else another category uniformly.
    epsilon-DP per report; ``categories=2`` is binary (values 0 and 1).

    Raises:
        InvalidArgumentError: ``categories < 2``, ``value >= categories`` or a bad epsilon.
    """
    out = ctypes.c_uint64()
    call(
        _randomized_response,
        _uint(value, "value", 64),
        _uint(categories, "categories", 64),
        float(epsilon),
        ctypes.byref(out),
    )
    return out.value


def quantile(
    values: Iterable[float], q: float, lo: float, hi: float, bins: int, epsilon: float
) -> float:
    """A private ``q``-quantile of ``values`` (exponential mechanism over the
    edges of ``bins`` equal bins of ``[lo, hi]``; epsilon-DP when each person
    contributes one value). Use it to choose clamping bounds privately.

    Raises:
        InvalidArgumentError: NaN value, ``q`` outside [0, 1], ``lo >= hi``,
            ``bins`` outside [1, 2**20], or a bad epsilon.
    """
    data = [float(v) for v in values]
    buf = (ctypes.c_double * len(data))(*data)
    out = ctypes.c_double()
    call(
        _quantile,
        buf,
        len(data),
        float(q),
        float(lo),
        float(hi),
        _uint(bins, "bins", 32),
        float(epsilon),
        ctypes.byref(out),
    )
    return out.value
