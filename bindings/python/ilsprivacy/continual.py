"""Continual release of a running count (the binary-tree mechanism): a
counter takes one integer per period and returns the noisy running total
after each; the whole series is one release, charged once to a budget
before the first period.

>>> import ilsprivacy
>>> from ilsprivacy.continual import Counter
>>> budget = ilsprivacy.Budget()
>>> budget.set_limit("circulation", 1.0, 0.0)
>>> with Counter.laplace(periods=52, sensitivity=4, epsilon=0.5) as weekly:
...     weekly.start(budget, "circulation")          # one charge for 52 weeks
...     totals = [weekly.push(loans) for loans in (120, 98, 143)]
>>> budget.spent("circulation")
(0.5, 0.0)
"""

from __future__ import annotations

import ctypes

from ._native import Handle, call, declare, encode_text, status_t, using

_handle_p = ctypes.c_void_p

_new_laplace = declare(
    "ilsp_counter_new_laplace", status_t,
    [ctypes.c_uint64, ctypes.c_int64, ctypes.c_double, ctypes.POINTER(_handle_p)],
)
_new_gaussian = declare(
    "ilsp_counter_new_gaussian", status_t,
    [ctypes.c_uint64, ctypes.c_int64, ctypes.c_double, ctypes.POINTER(_handle_p)],
)
_free = declare("ilsp_counter_free", None, [_handle_p])
_push = declare("ilsp_counter_push", status_t, [_handle_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_int64)])
_error_bound = declare(
    "ilsp_counter_error_bound", status_t, [_handle_p, ctypes.c_double, ctypes.POINTER(ctypes.c_double)]
)
_start = declare("ilsp_budget_start_counter", status_t, [_handle_p, ctypes.c_char_p, _handle_p])


def _int(value: int, name: str, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return value


class Counter(Handle):
    """A continual counter over a fixed number of periods (see the module
    documentation). Make one with :meth:`laplace` (epsilon-DP series) or
    :meth:`gaussian` (rho-zCDP series). Calls are serialised; a call after
    :meth:`close` raises :class:`~ilsprivacy.errors.ClosedHandleError`.
    """

    _free = staticmethod(_free)
    _kind = "counter"
    _exclusive = True

    def __init__(self, handle: ctypes.c_void_p) -> None:
        super().__init__(handle)

    @classmethod
    def laplace(cls, periods: int, sensitivity: int, epsilon: float) -> "Counter":
        """An epsilon-DP counter: ``sensitivity`` bounds what one privacy unit
        adds to the whole stream (summed over periods)."""
        handle = _handle_p()
        call(_new_laplace, _int(periods, "periods", 0, 2**64 - 1),
             _int(sensitivity, "sensitivity", -(2**63), 2**63 - 1), float(epsilon),
             ctypes.byref(handle))
        return cls(handle)

    @classmethod
    def gaussian(cls, periods: int, sensitivity: int, rho: float) -> "Counter":
        """A rho-zCDP counter (discrete Gaussian noise on each tree node)."""
        handle = _handle_p()
        call(_new_gaussian, _int(periods, "periods", 0, 2**64 - 1),
             _int(sensitivity, "sensitivity", -(2**63), 2**63 - 1), float(rho),
             ctypes.byref(handle))
        return cls(handle)

    def start(self, budget, account: str) -> None:
        """Charges ``account`` of ``budget`` once for every period (before the
        first :meth:`push`).

        Raises:
            BudgetExhaustedError: the charge does not fit (nothing recorded).
            InvalidArgumentError: the counter has already released periods.
        """
        name = encode_text(account, "account")
        with using(budget, self) as (b, c):
            call(_start, b, name, c)

    def push(self, value: int) -> int:
        """Takes the next period's value; returns the noisy running total.

        Raises:
            InvalidArgumentError: every period has been released.
        """
        out = ctypes.c_int64()
        self._call(_push, _int(value, "value", -(2**63), 2**63 - 1), ctypes.byref(out))
        return out.value

    def error_bound(self, beta: float) -> float:
        """A bound that every released total is within, with probability at
        least 1 - beta (a parameter of the counter, not of the data)."""
        out = ctypes.c_double()
        self._call(_error_bound, float(beta), ctypes.byref(out))
        return out.value
