"""Noise mechanisms: float Laplace and Gaussian (float-safe, on a power-of-two
grid), their integer forms, and the batch Laplace.

Each call is one private release; the caller accounts for its cost (epsilon,
or epsilon and delta). Values are never included in error messages.

>>> y = laplace(120.0, sensitivity=1.0, epsilon=1.0)
>>> abs(y - 120.0) < 60.0
True

The batch functions take a list (and return one) or a ``float64`` buffer
(numpy array, ``array.array('d')``), read and written in place without a
per-value copy; they then return an array of the same kind, or fill ``out``:

>>> from array import array
>>> noisy = laplace_batch(array("d", [10.0, 20.0]), sensitivity=1.0, epsilon=1.0)
>>> type(noisy).__name__, len(noisy)
('array', 2)
"""

from __future__ import annotations

import ctypes
import sys
from array import array
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Iterable, List, TypeVar, Union, cast, overload

from . import errors
from ._buffers import borrow, is_buffer
from ._native import call, declare, status_t

if TYPE_CHECKING:  # pragma: no cover
    from ._buffers import Buffer
else:
    Buffer = Any

_Out = TypeVar("_Out")

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


def _new_like(values: Any, n: int) -> Any:
    """An uninitialised float64 result for a buffer input: a numpy array of the
    same shape for a numpy array, else ``array('d')``."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(values, np.ndarray):
        return np.empty(values.shape, dtype=np.float64)
    return array("d", bytes(8 * n))


def _noise_batch(fn: Any, values: Any, out: Any, params: tuple) -> Any:
    """Runs a batch noise function on a list (returns a list) or on buffers,
    read and written in place (returns ``out`` or a new array of the input's kind)."""
    if out is None and not is_buffer(values):
        data = [float(v) for v in values]
        n = len(data)
        buf = (ctypes.c_double * n)(*data)
        call(fn, buf, n, *params, buf)
        return list(buf)
    with ExitStack() as stack:
        if is_buffer(values):
            src = stack.enter_context(borrow(values, "values", "f", 8))
            n, src_ptr = src.count, src.pointer(ctypes.c_double)
        else:
            data = [float(v) for v in values]
            n = len(data)
            src_ptr = (ctypes.c_double * n)(*data)
        result = _new_like(values, n) if out is None else out
        dst = stack.enter_context(borrow(result, "out", "f", 8, writable=True))
        if dst.count != n:
            raise errors.InvalidArgumentError(f"out must have {n} entries, got {dst.count}")
        call(fn, src_ptr, n, *params, dst.pointer(ctypes.c_double))
    return result


# Typing: a buffer in gives an array of its kind (Any); a list gives a list;
# with `out`, `out` comes back.
@overload
def laplace_batch(values: Buffer, sensitivity: float, epsilon: float, *, out: None = None) -> Any: ...
@overload
def laplace_batch(values: Iterable[float], sensitivity: float, epsilon: float, *, out: None = None) -> List[float]: ...
@overload
def laplace_batch(values: Union[Buffer, Iterable[float]], sensitivity: float, epsilon: float, *, out: _Out) -> _Out: ...


def laplace_batch(values: Any, sensitivity: float, epsilon: float, *, out: Any = None) -> Any:
    """Each value plus independent Laplace noise (one epsilon-DP release per value).

    Every value is checked before any noise is drawn. ``values`` is a
    sequence (the result is a list) or a C-contiguous ``float64`` buffer, read
    in place (the result is a new numpy array of the same shape for a numpy
    array, else an ``array('d')``). With ``out``, a writable ``float64`` buffer
    of as many values (it may be ``values`` itself), the results go there and
    ``out`` is returned.

    Raises:
        InvalidArgumentError: a bad parameter or value (nothing is written), or
            ``out`` of another length.
        TypeError: a buffer of another element type (e.g. float32 or int64),
            not C-contiguous, or a read-only ``out``.
    """
    return _noise_batch(_laplace_batch, values, out, (float(sensitivity), float(epsilon)))


@overload
def gaussian_batch(
    values: Buffer, l2_sensitivity: float, epsilon: float, delta: float, *, out: None = None
) -> Any: ...
@overload
def gaussian_batch(
    values: Iterable[float], l2_sensitivity: float, epsilon: float, delta: float, *, out: None = None
) -> List[float]: ...
@overload
def gaussian_batch(
    values: Union[Buffer, Iterable[float]], l2_sensitivity: float, epsilon: float, delta: float, *, out: _Out
) -> _Out: ...


def gaussian_batch(values: Any, l2_sensitivity: float, epsilon: float, delta: float, *, out: Any = None) -> Any:
    """Each value plus independent Gaussian noise (one (epsilon, delta)-DP release
    per value). Every value is checked before any noise is drawn. Lists and
    buffers as in :func:`laplace_batch`."""
    return _noise_batch(_gaussian_batch, values, out, (float(l2_sensitivity), float(epsilon), float(delta)))


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
    values: Union[Iterable[float], Buffer], q: float, lo: float, hi: float, bins: int, epsilon: float
) -> float:
    """A private ``q``-quantile of ``values`` (exponential mechanism over the
    edges of ``bins`` equal bins of ``[lo, hi]``; epsilon-DP when each person
    contributes one value). Use it to choose clamping bounds privately.
    ``values`` is a sequence or a ``float64`` buffer, read in place.

    Raises:
        InvalidArgumentError: NaN value, ``q`` outside [0, 1], ``lo >= hi``,
            ``bins`` outside [1, 2**20], or a bad epsilon.
        TypeError: a buffer of another element type, or not C-contiguous.
    """
    with ExitStack() as stack:
        if is_buffer(values):
            held = stack.enter_context(borrow(values, "values", "f", 8))
            n, buf = held.count, held.pointer(ctypes.c_double)
        else:
            data = [float(v) for v in cast(Iterable[float], values)]
            n = len(data)
            buf = (ctypes.c_double * n)(*data)
        return _quantile_call(buf, n, q, lo, hi, bins, epsilon)


def _quantile_call(buf: Any, n: int, q: float, lo: float, hi: float, bins: int, epsilon: float) -> float:
    out = ctypes.c_double()
    call(
        _quantile,
        buf,
        n,
        float(q),
        float(lo),
        float(hi),
        _uint(bins, "bins", 32),
        float(epsilon),
        ctypes.byref(out),
    )
    return out.value
