"""Privacy accounting and planning: the total (epsilon, delta) of a sequence of
releases under several composition methods, how many releases fit a target,
and which noise scale a target needs.

Every result is an upper bound on the privacy loss (the library rounds toward
more loss). Methods are :class:`~ilsprivacy.AccountingMethod` members (or the
``ACCOUNTING_*`` aliases), noise kinds :class:`~ilsprivacy.Noise` members (or
the ``NOISE_*`` aliases).

>>> from ilsprivacy import accountant as acct
>>> round(acct.plan_epsilon(acct.NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6, acct.ACCOUNTING_BASIC), 6)
10.0
>>> with acct.Accountant() as a:
...     a.add_noise(acct.NOISE_GAUSSIAN, 1.0, 10.0, 1000)
...     round(a.epsilon(1e-6, acct.ACCOUNTING_ZCDP), 3)
19.424
"""

from __future__ import annotations

import ctypes
from typing import Union

from ._native import Handle, call, declare, status_t
from .enums import AccountingMethod, Noise

ACCOUNTING_BASIC = AccountingMethod.BASIC
ACCOUNTING_ADVANCED = AccountingMethod.ADVANCED
ACCOUNTING_OPTIMAL_HOMOGENEOUS = AccountingMethod.OPTIMAL_HOMOGENEOUS
ACCOUNTING_ZCDP = AccountingMethod.ZCDP
ACCOUNTING_RDP = AccountingMethod.RDP
ACCOUNTING_PLD = AccountingMethod.PLD
ACCOUNTING_BEST = AccountingMethod.BEST

NOISE_LAPLACE = Noise.LAPLACE
NOISE_GAUSSIAN = Noise.GAUSSIAN
NOISE_DISCRETE_LAPLACE = Noise.DISCRETE_LAPLACE
NOISE_DISCRETE_GAUSSIAN = Noise.DISCRETE_GAUSSIAN

_d = ctypes.c_double
_u64 = ctypes.c_uint64
_i32 = ctypes.c_int32
_pd = ctypes.POINTER(ctypes.c_double)

#: An opaque ``ilsp_accountant *``.
_handle_p = ctypes.c_void_p

_plan_epsilon = declare("ilsp_plan_epsilon", status_t, [_i32, _d, _d, _u64, _d, _i32, _pd])
_plan_delta = declare("ilsp_plan_delta", status_t, [_i32, _d, _d, _u64, _d, _i32, _pd])
_plan_max_releases = declare(
    "ilsp_plan_max_releases", status_t, [_i32, _d, _d, _d, _d, _i32, ctypes.POINTER(_u64)]
)
_plan_noise_scale = declare("ilsp_plan_noise_scale", status_t, [_i32, _d, _u64, _d, _d, _i32, _pd])
_plan_sampled_scale = declare(
    "ilsp_plan_sampled_noise_scale", status_t, [_i32, _d, _d, _u64, _d, _d, _i32, _pd]
)
_new = declare("ilsp_accountant_new", status_t, [ctypes.POINTER(_handle_p)])
_free = declare("ilsp_accountant_free", None, [_handle_p])
_add_noise = declare("ilsp_accountant_add_noise", status_t, [_handle_p, _i32, _d, _d, _u64])
_add_sampled = declare(
    "ilsp_accountant_add_sampled_noise", status_t, [_handle_p, _i32, _d, _d, _d, _u64]
)
_add_pure = declare("ilsp_accountant_add_pure_dp", status_t, [_handle_p, _d, _u64])
_add_approx = declare("ilsp_accountant_add_approximate_dp", status_t, [_handle_p, _d, _d, _u64])
_add_zcdp = declare("ilsp_accountant_add_zcdp", status_t, [_handle_p, _d, _u64])
_epsilon = declare("ilsp_accountant_epsilon", status_t, [_handle_p, _d, _i32, _pd])
_delta = declare("ilsp_accountant_delta", status_t, [_handle_p, _d, _i32, _pd])


def _count(releases: int) -> int:
    if not isinstance(releases, int) or isinstance(releases, bool):
        raise TypeError(f"releases must be int, got {type(releases).__name__}")
    if releases < 0 or releases >= 2**64:
        raise ValueError(f"releases must be in [0, 2**64), got {releases}")
    return releases


def plan_epsilon(noise: Union[Noise, int], sensitivity: float, scale: float, releases: int,
                 delta: float, method: Union[AccountingMethod, int] = AccountingMethod.BEST) -> float:
    """Epsilon after ``releases`` releases of one noise mechanism at ``delta``
    (``inf`` if no epsilon achieves ``delta``).

    Raises:
        InvalidArgumentError: for a bad parameter or a method that does not apply.
    """
    out = ctypes.c_double()
    call(_plan_epsilon, noise, float(sensitivity), float(scale), _count(releases),
         float(delta), method, ctypes.byref(out))
    return out.value


def plan_delta(noise: Union[Noise, int], sensitivity: float, scale: float, releases: int,
               epsilon: float, method: Union[AccountingMethod, int] = AccountingMethod.BEST) -> float:
    """Delta after ``releases`` releases of one noise mechanism at ``epsilon``.

    Raises:
        InvalidArgumentError: for a bad parameter or a method that does not apply.
    """
    out = ctypes.c_double()
    call(_plan_delta, noise, float(sensitivity), float(scale), _count(releases),
         float(epsilon), method, ctypes.byref(out))
    return out.value


def plan_max_releases(noise: Union[Noise, int], sensitivity: float, scale: float, epsilon: float,
                      delta: float, method: Union[AccountingMethod, int] = AccountingMethod.BEST) -> int:
    """The largest number of releases (at most 10**9) that fit in (epsilon, delta).

    Raises:
        InvalidArgumentError: for a bad parameter or a method that does not apply.
    """
    out = ctypes.c_uint64()
    call(_plan_max_releases, noise, float(sensitivity), float(scale), float(epsilon),
         float(delta), method, ctypes.byref(out))
    return out.value


def plan_noise_scale(noise: Union[Noise, int], sensitivity: float, releases: int, epsilon: float,
                     delta: float, method: Union[AccountingMethod, int] = AccountingMethod.BEST) -> float:
    """The smallest Laplace scale or Gaussian sigma such that ``releases``
    releases fit in (epsilon, delta). ``noise`` is NOISE_LAPLACE or NOISE_GAUSSIAN.

    Raises:
        InvalidArgumentError: for a bad parameter or a method that does not apply.
    """
    out = ctypes.c_double()
    call(_plan_noise_scale, noise, float(sensitivity), _count(releases), float(epsilon),
         float(delta), method, ctypes.byref(out))
    return out.value


def plan_sampled_noise_scale(noise: Union[Noise, int], sensitivity: float, rate: float,
                             releases: int, epsilon: float, delta: float,
                             method: Union[AccountingMethod, int] = AccountingMethod.BEST) -> float:
    """The smallest Laplace scale or Gaussian sigma such that ``releases``
    releases, each on a Poisson sample of rate ``rate`` (every privacy unit
    kept independently with that probability), fit in (epsilon, delta).
    ``noise`` is NOISE_LAPLACE or NOISE_GAUSSIAN; RDP and basic composition
    credit the sampling.

    Raises:
        InvalidArgumentError: for a bad parameter or a method that does not
        apply (PLD declines sampled releases).
    """
    out = ctypes.c_double()
    call(_plan_sampled_scale, noise, float(sensitivity), float(rate), _count(releases),
         float(epsilon), float(delta), method, ctypes.byref(out))
    return out.value


class Accountant(Handle):
    """A sequence of releases whose total (epsilon, delta) can be queried.

    Use it as a context manager or call :meth:`close`; it is also freed when
    garbage-collected. Calls from several threads are serialised (the C
    accountant allows one call at a time); a call after :meth:`close` raises
    :class:`~ilsprivacy.errors.ClosedHandleError`.
    """

    _free = staticmethod(_free)
    _kind = "accountant"
    _exclusive = True

    def __init__(self) -> None:
        handle = _handle_p()
        call(_new, ctypes.byref(handle))
        super().__init__(handle)

    def add_noise(self, noise: Union[Noise, int], sensitivity: float, scale: float, releases: int = 1) -> None:
        """Adds ``releases`` releases of Laplace/Gaussian/discrete noise."""
        self._call(_add_noise, noise, float(sensitivity), float(scale), _count(releases))

    def add_sampled_noise(self, noise: Union[Noise, int], sensitivity: float, scale: float,
                          rate: float, releases: int = 1) -> None:
        """Adds ``releases`` Laplace or Gaussian releases, each run on a
        Poisson sample of rate ``rate`` (amplification by sampling)."""
        self._call(_add_sampled, noise, float(sensitivity), float(scale), float(rate),
                   _count(releases))

    def add_pure_dp(self, epsilon: float, releases: int = 1) -> None:
        """Adds ``releases`` releases that are each epsilon-DP."""
        self._call(_add_pure, float(epsilon), _count(releases))

    def add_approximate_dp(self, epsilon: float, delta: float, releases: int = 1) -> None:
        """Adds ``releases`` releases that are each (epsilon, delta)-DP."""
        self._call(_add_approx, float(epsilon), float(delta), _count(releases))

    def add_zcdp(self, rho: float, releases: int = 1) -> None:
        """Adds ``releases`` releases that are each rho-zCDP."""
        self._call(_add_zcdp, float(rho), _count(releases))

    def epsilon(self, delta: float, method: Union[AccountingMethod, int] = AccountingMethod.BEST) -> float:
        """The epsilon of everything added so far at ``delta``."""
        out = ctypes.c_double()
        self._call(_epsilon, float(delta), method, ctypes.byref(out))
        return out.value

    def delta(self, epsilon: float, method: Union[AccountingMethod, int] = AccountingMethod.BEST) -> float:
        """The delta of everything added so far at ``epsilon``."""
        out = ctypes.c_double()
        self._call(_delta, float(epsilon), method, ctypes.byref(out))
        return out.value
