"""The privacy budget: named accounts with exact limits, spends recorded
before anything is released, and an optional tamper-evident ledger file
shared safely by threads and processes.

>>> from ilsprivacy import Budget
>>> with Budget() as budget:                       # in memory; Budget("x.ledger") persists
...     budget.set_limit("branch-7/loans", epsilon=0.3)
...     _ = budget.spend("branch-7/loans", epsilon=0.1)
...     _ = budget.spend("branch-7/loans", epsilon=0.2)   # exactly 0.3: admitted
...     budget.spent("branch-7/loans")
(0.3, 0.0)

A ``Budget`` may be shared between threads: every call is serialized inside
the library. Any failure raises the typed exception of :mod:`ilsprivacy.errors`
(for example :class:`~ilsprivacy.BudgetExhaustedError` when a spend does not
fit; nothing is then recorded or released).
"""

from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Optional, Union

from . import errors
from ._native import Handle, call, check, declare, status_t
from .enums import Composition, Period

# The module's constants (aliases of the enum members, kept for callers of
# earlier versions).
#: Basic composition: epsilon and delta add up (the default).
COMPOSITION_BASIC = Composition.BASIC
#: zCDP composition: rho adds up; an (epsilon, delta) limit is enforced
#: through the largest rho that implies it (CKS20 bound).
COMPOSITION_ZCDP = Composition.ZCDP
#: The limit bounds every spend ever made (the default).
PERIOD_LIFETIME = Period.LIFETIME
#: The limit bounds the spends of the current UTC calendar year.
PERIOD_CALENDAR_YEAR = Period.CALENDAR_YEAR
#: The limit bounds the spends of the current UTC calendar month.
PERIOD_CALENDAR_MONTH = Period.CALENDAR_MONTH

_c_double_p = ctypes.POINTER(ctypes.c_double)
_c_size_p = ctypes.POINTER(ctypes.c_size_t)
_c_u64_p = ctypes.POINTER(ctypes.c_uint64)
_c_i32_p = ctypes.POINTER(ctypes.c_int32)
_handle = ctypes.c_void_p
_text_out = ctypes.POINTER(ctypes.c_char)

_open = declare("ilsp_budget_open", status_t, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)])
_open_with_timeout = declare(
    "ilsp_budget_open_with_timeout",
    status_t,
    [ctypes.c_char_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p)],
)
_free = declare("ilsp_budget_free", None, [_handle])
_set_limit = declare(
    "ilsp_budget_set_limit", status_t, [_handle, ctypes.c_char_p, ctypes.c_double, ctypes.c_double]
)
_set_limit_with_reason = declare(
    "ilsp_budget_set_limit_with_reason",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_double, ctypes.c_double, ctypes.c_char_p],
)
_set_limit_rho = declare(
    "ilsp_budget_set_limit_rho",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_double, ctypes.c_char_p],
)
_set_composition = declare(
    "ilsp_budget_set_composition", status_t, [_handle, ctypes.c_char_p, ctypes.c_int32]
)
_set_period = declare("ilsp_budget_set_period", status_t, [_handle, ctypes.c_char_p, ctypes.c_int32])
_set_alert_threshold = declare(
    "ilsp_budget_set_alert_threshold", status_t, [_handle, ctypes.c_char_p, ctypes.c_double]
)
_alert_status = declare(
    "ilsp_budget_alert_status", status_t, [_handle, ctypes.c_char_p, _c_i32_p, _c_double_p]
)
_spent = declare("ilsp_budget_spent", status_t, [_handle, ctypes.c_char_p, _c_double_p, _c_double_p])
_spent_rho = declare("ilsp_budget_spent_rho", status_t, [_handle, ctypes.c_char_p, _c_double_p])
_remaining = declare(
    "ilsp_budget_remaining",
    status_t,
    [_handle, ctypes.c_char_p, _c_double_p, _c_double_p, _c_double_p],
)
_spend = declare(
    "ilsp_budget_spend",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_double, ctypes.c_double, _c_u64_p],
)
_spend_rho = declare(
    "ilsp_budget_spend_rho", status_t, [_handle, ctypes.c_char_p, ctypes.c_double, _c_u64_p]
)
_laplace = declare(
    "ilsp_budget_laplace",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_double, ctypes.c_double, ctypes.c_double, _c_double_p],
)
_gaussian = declare(
    "ilsp_budget_gaussian",
    status_t,
    [
        _handle,
        ctypes.c_char_p,
        ctypes.c_double,
        ctypes.c_double,
        ctypes.c_double,
        ctypes.c_double,
        _c_double_p,
    ],
)
_ledger_verify = declare(
    "ilsp_budget_ledger_verify",
    status_t,
    [ctypes.c_char_p, _c_u64_p, _text_out, ctypes.c_size_t, _c_size_p],
)
_ledger_check = declare(
    "ilsp_budget_ledger_check",
    status_t,
    [ctypes.c_char_p, _c_u64_p, _c_u64_p, _c_u64_p, _text_out, ctypes.c_size_t, _c_size_p],
)
_ledger_export = declare(
    "ilsp_budget_ledger_export", status_t, [_handle, _text_out, ctypes.c_size_t, _c_size_p]
)
_recent_events = declare(
    "ilsp_budget_recent_events", status_t, [_handle, _text_out, ctypes.c_size_t, _c_size_p]
)

Text = Union[str, bytes]


def _text(value: Optional[Text], param: str) -> Optional[bytes]:
    """UTF-8 bytes for a C string argument (``bytes`` pass through unchanged)."""
    if value is None:
        return None
    if isinstance(value, str):
        raw = value.encode("utf-8", errors="surrogatepass")
    elif isinstance(value, bytes):
        raw = value
    else:
        raise TypeError(f"{param} must be str or bytes, got {type(value).__name__}")
    if b"\0" in raw:
        raise errors.InvalidArgumentError(f"{param} must not contain NUL characters")
    return raw


def _path(path: Union[str, bytes, "os.PathLike[str]"]) -> bytes:
    raw = os.fsencode(path)
    if b"\0" in raw:
        raise errors.InvalidArgumentError("ledger_path must not contain NUL characters")
    return raw


def _read_text(fn: Any, *args: Any) -> bytes:
    """Calls a text-returning C function with a buffer large enough for its result."""
    length = ctypes.c_size_t(0)
    cap = 0
    while True:
        buf = ctypes.create_string_buffer(cap) if cap else None
        status = fn(*args, buf, cap, ctypes.byref(length))
        if status == errors.ILSP_ERR_BUFFER_TOO_SMALL:
            cap = length.value  # the capacity needed, NUL included
            continue
        check(status)
        return ctypes.string_at(buf, length.value) if buf is not None else b""


class Budget(Handle):
    """A privacy budget; ``ledger_path=None`` keeps it in memory only.

    With a path, the ledger file is created if absent (its directory must
    exist) or read and checked entry by entry; several ``Budget`` objects and
    processes on one machine may share it. ``lock_timeout_ms`` bounds the wait
    for another process's lock (default 10 s).

    Raises:
        LedgerIOError: the file cannot be created, opened, locked, read or written.
        LedgerIntegrityError: an entry fails the hash, sequence or content checks.
    """

    _free = staticmethod(_free)
    _kind = "budget"

    def __init__(
        self,
        ledger_path: Union[None, str, bytes, "os.PathLike[str]"] = None,
        *,
        lock_timeout_ms: Optional[int] = None,
    ) -> None:
        out = ctypes.c_void_p()
        path = None if ledger_path is None else _path(ledger_path)
        if lock_timeout_ms is None:
            call(_open, path, ctypes.byref(out))
        else:
            call(_open_with_timeout, path, int(lock_timeout_ms), ctypes.byref(out))
        super().__init__(out)

    # Lifetime: close(), the context manager and collection come from Handle;
    # close() waits for calls in progress in other threads and closes the
    # ledger file.

    # Configuration --------------------------------------------------------

    def set_limit(
        self, account: Text, epsilon: float, delta: float = 0.0, reason: Optional[str] = None
    ) -> None:
        """Sets ``account``'s (epsilon, delta) limit, creating the account.

        On an existing account this appends an adjustment with ``reason`` to the
        ledger (history is never rewritten). epsilon >= 0 and delta in [0, 1) are
        read as the decimals they print as. Never put patron data in ``reason``.
        """
        if reason is None:
            self._call(_set_limit, _text(account, "account"), float(epsilon), float(delta))
        else:
            self._call(
                _set_limit_with_reason,
                _text(account, "account"),
                float(epsilon),
                float(delta),
                _text(reason, "reason"),
            )

    def set_limit_rho(self, account: Text, rho: float, reason: Optional[str] = None) -> None:
        """Sets a zCDP account's rho limit."""
        self._call(_set_limit_rho, _text(account, "account"), float(rho), _text(reason, "reason"))

    def set_composition(self, account: Text, rule: Union[Composition, int]) -> None:
        """:attr:`Composition.BASIC` or :attr:`Composition.ZCDP`; only before the first spend."""
        self._call(_set_composition, _text(account, "account"), int(rule))

    def set_period(self, account: Text, period: Union[Period, int]) -> None:
        """A :class:`Period`: ``LIFETIME``, ``CALENDAR_YEAR`` or ``CALENDAR_MONTH`` (UTC).

        A period policy bounds the loss per period, not in total.
        """
        self._call(_set_period, _text(account, "account"), int(period))

    def set_alert_threshold(self, account: Text, threshold: float) -> None:
        """Fraction of the limit, in (0, 1], at which a spend records an alert (default 0.8)."""
        self._call(_set_alert_threshold, _text(account, "account"), float(threshold))

    # Spending ---------------------------------------------------------------

    def spend(self, account: Text, epsilon: float, delta: float = 0.0) -> int:
        """Records a spend of (epsilon, delta) on a basic account; returns its sequence number.

        Release the value you are paying for only after this returns.

        Raises:
            BudgetExhaustedError: it does not fit (or the account has no limit);
                nothing was recorded.
        """
        seq = ctypes.c_uint64()
        self._call(_spend, _text(account, "account"), float(epsilon), float(delta), ctypes.byref(seq))
        return seq.value

    def spend_rho(self, account: Text, rho: float) -> int:
        """Records a spend of rho on a zCDP account; returns its sequence number."""
        seq = ctypes.c_uint64()
        self._call(_spend_rho, _text(account, "account"), float(rho), ctypes.byref(seq))
        return seq.value

    def laplace(self, account: Text, value: float, sensitivity: float, epsilon: float) -> float:
        """Spends epsilon on ``account``, then returns ``value`` plus Laplace noise.

        The parameters are checked first (bad parameters cost nothing), the value
        is mapped into the mechanism's domain (NaN becomes 0, infinities and huge
        magnitudes are clamped: a value is never refused, so no error depends on
        the data), the spend is recorded (durably with a ledger), and only then
        is noise drawn.

        Raises:
            BudgetExhaustedError: the spend does not fit; nothing was released.
            InvalidArgumentError: a bad parameter; nothing was spent.
        """
        out = ctypes.c_double()
        self._call(
            _laplace,
            _text(account, "account"),
            float(value),
            float(sensitivity),
            float(epsilon),
            ctypes.byref(out),
        )
        return out.value

    def gaussian(
        self, account: Text, value: float, l2_sensitivity: float, epsilon: float, delta: float
    ) -> float:
        """Spends (epsilon, delta) — or the mechanism's rho on a zCDP account — then
        returns ``value`` plus Gaussian noise (analytic calibration)."""
        out = ctypes.c_double()
        self._call(
            _gaussian,
            _text(account, "account"),
            float(value),
            float(l2_sensitivity),
            float(epsilon),
            float(delta),
            ctypes.byref(out),
        )
        return out.value

    # Reading ----------------------------------------------------------------

    def spent(self, account: Text) -> tuple[float, float]:
        """(epsilon, delta) spent (for zCDP accounts: epsilon at the limit's delta)."""
        eps, delta = ctypes.c_double(), ctypes.c_double()
        self._call(_spent, _text(account, "account"), ctypes.byref(eps), ctypes.byref(delta))
        return eps.value, delta.value

    def spent_rho(self, account: Text) -> float:
        """rho spent by a zCDP account."""
        rho = ctypes.c_double()
        self._call(_spent_rho, _text(account, "account"), ctypes.byref(rho))
        return rho.value

    def remaining(self, account: Text) -> tuple[float, float, float]:
        """(epsilon, delta, rho) left, rounded down."""
        eps, delta, rho = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        self._call(
            _remaining,
            _text(account, "account"),
            ctypes.byref(eps),
            ctypes.byref(delta),
            ctypes.byref(rho),
        )
        return eps.value, delta.value, rho.value

    def alert_status(self, account: Text) -> tuple[bool, float]:
        """(whether the account is at or past its alert threshold, fraction of its limit used)."""
        alerted, used = ctypes.c_int32(), ctypes.c_double()
        self._call(_alert_status, _text(account, "account"), ctypes.byref(alerted), ctypes.byref(used))
        return bool(alerted.value), used.value

    def export_ledger(self) -> str:
        """The ledger's JSON lines, re-read and checked from the first entry."""
        return self._run(lambda b: _read_text(_ledger_export, b)).decode("utf-8")

    def recent_events(self) -> list[dict[str, Any]]:
        """The handle's most recent events (at most 256), oldest first."""
        text = self._run(lambda b: _read_text(_recent_events, b)).decode("utf-8")
        return [json.loads(line) for line in text.splitlines()]

    @staticmethod
    def verify_ledger(ledger_path: Union[str, bytes, "os.PathLike[str]"]) -> tuple[int, str]:
        """Checks a ledger file without changing it: (number of entries, head hash in hex)."""
        entries = ctypes.c_uint64()
        head = _read_text(_ledger_verify, _path(ledger_path), ctypes.byref(entries))
        return entries.value, head.decode("ascii")

    @staticmethod
    def check_ledger(ledger_path: Union[str, bytes, "os.PathLike[str]"]) -> dict[str, Any]:
        """Checks a ledger file without changing it, like ``verify_ledger``,
        and also reports its accounts and an unfinished write (a crash cut
        it; the next open repairs and charges it): a dict with ``entries``,
        ``head``, ``accounts`` and ``torn_tail_bytes`` (0 if none)."""
        entries, accounts, torn = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
        head = _read_text(
            _ledger_check,
            _path(ledger_path),
            ctypes.byref(entries),
            ctypes.byref(accounts),
            ctypes.byref(torn),
        )
        return {
            "entries": entries.value,
            "head": head.decode("ascii"),
            "accounts": accounts.value,
            "torn_tail_bytes": torn.value,
        }
