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
from .enums import Composition, Period, Status

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

_set_template = declare(
    "ilsp_budget_set_template",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p],
)
_remove_template = declare(
    "ilsp_budget_remove_template",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p],
)
_set_templates_only = declare(
    "ilsp_budget_set_templates_only",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_int32, ctypes.c_char_p],
)
_suspend = declare("ilsp_budget_suspend", status_t, [_handle, ctypes.c_char_p, ctypes.c_char_p])
_resume = declare("ilsp_budget_resume", status_t, [_handle, ctypes.c_char_p, ctypes.c_char_p])
_governance_status = declare(
    "ilsp_budget_governance_status",
    status_t,
    [_handle, ctypes.c_char_p, _c_i32_p, _c_i32_p, _c_i32_p, _c_u64_p],
)
_spend_correlated = declare(
    "ilsp_budget_spend_correlated",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_double, ctypes.c_double, ctypes.c_char_p, _c_u64_p],
)
_check_spends = declare(
    "ilsp_budget_check_spends",
    status_t,
    [_handle, ctypes.c_void_p, _c_double_p, _c_double_p, ctypes.c_size_t, _c_i32_p, _c_i32_p],
)
_set_burn_plan = declare(
    "ilsp_budget_set_burn_plan",
    status_t,
    [_handle, ctypes.c_char_p, ctypes.c_double, ctypes.c_uint64, ctypes.c_double],
)
_metrics = declare("ilsp_budget_metrics", status_t, [_handle, _text_out, ctypes.c_size_t, _c_size_p])

#: The longest template description the library reads, in bytes.
MAX_TEMPLATE_JSON_BYTES = 4096

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

    def spend(
        self,
        account: Text,
        epsilon: float,
        delta: float = 0.0,
        *,
        correlation_id: Optional[str] = None,
    ) -> int:
        """Records a spend of (epsilon, delta) on a basic account; returns its sequence number.

        Release the value you are paying for only after this returns.
        ``correlation_id`` (1-64 characters of ``A-Z a-z 0-9 . _ : -``) is
        recorded in the spend's ledger entry and events so your own audit log
        can be joined with the ledger: a request or job ID, never a patron
        identifier or other personal data.

        Raises:
            BudgetExhaustedError: it does not fit (or the account has no limit);
                nothing was recorded.
            TemplateMismatchError: the account accepts only templated spends
                and this one matches none; nothing was recorded.
            AccountSuspendedError: the account is suspended; nothing was recorded.
        """
        seq = ctypes.c_uint64()
        if correlation_id is None:
            self._call(_spend, _text(account, "account"), float(epsilon), float(delta), ctypes.byref(seq))
        else:
            self._call(
                _spend_correlated,
                _text(account, "account"),
                float(epsilon),
                float(delta),
                _text(correlation_id, "correlation_id"),
                ctypes.byref(seq),
            )
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

    # Governance -------------------------------------------------------------

    def set_template(
        self,
        account: Text,
        name: str,
        *,
        mechanism: Optional[str] = None,
        max_sensitivity: Optional[float] = None,
        epsilon: Optional[tuple[float, float]] = None,
        delta: Optional[tuple[float, float]] = None,
        rho: Optional[tuple[float, float]] = None,
        reason: Optional[str] = None,
    ) -> None:
        """Adds (or replaces) a pre-approved query template on ``account``.

        ``mechanism`` (``"laplace"``, ``"gaussian"``, ...) must be carried by
        the spend (:meth:`laplace` and :meth:`gaussian` do, :meth:`spend` does
        not); ``max_sensitivity`` bounds the sensitivity the mechanism charges
        (which includes its grid rounding: allow e.g. 1.001 for 1); the
        ranges are inclusive ``(min, max)`` pairs, at least one required.
        Templates restrict spends once :meth:`set_templates_only` is on.
        """
        spec: dict[str, Any] = {"name": name}
        if mechanism is not None:
            spec["mechanism"] = mechanism
        if max_sensitivity is not None:
            spec["max_sensitivity"] = float(max_sensitivity)
        for key, pair in (("epsilon", epsilon), ("delta", delta), ("rho", rho)):
            if pair is not None:
                lo, hi = pair
                spec[key] = [float(lo), float(hi)]
        try:
            text = json.dumps(spec, allow_nan=False)
        except ValueError as e:
            raise errors.InvalidArgumentError(f"template bounds must be finite ({e})") from None
        self._call(_set_template, _text(account, "account"), _text(text, "template"), _text(reason, "reason"))

    def remove_template(self, account: Text, name: str, reason: Optional[str] = None) -> None:
        """Removes ``account``'s template named ``name``."""
        self._call(_remove_template, _text(account, "account"), _text(name, "name"), _text(reason, "reason"))

    def set_templates_only(self, account: Text, enabled: bool, reason: Optional[str] = None) -> None:
        """When ``enabled``, a spend on ``account`` that matches none of its
        templates raises :class:`TemplateMismatchError` (nothing recorded)."""
        self._call(_set_templates_only, _text(account, "account"), int(bool(enabled)), _text(reason, "reason"))

    def suspend(self, account: Text, reason: str) -> None:
        """Suspends ``account``: every spend raises :class:`AccountSuspendedError`
        (nothing recorded or released) until :meth:`resume`. Recorded with ``reason``."""
        self._call(_suspend, _text(account, "account"), _text(reason, "reason"))

    def resume(self, account: Text, reason: str) -> None:
        """Resumes a suspended ``account``, recorded with ``reason``."""
        self._call(_resume, _text(account, "account"), _text(reason, "reason"))

    def governance_status(self, account: Text) -> dict[str, Any]:
        """``suspended``, ``templates_only``, ``burn_alerted`` (the spend over the
        burn-rate plan's window exceeds factor x plan now) and ``burn_alerts``."""
        suspended, only, alerted = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int32()
        alerts = ctypes.c_uint64()
        self._call(
            _governance_status,
            _text(account, "account"),
            ctypes.byref(suspended),
            ctypes.byref(only),
            ctypes.byref(alerted),
            ctypes.byref(alerts),
        )
        return {
            "suspended": bool(suspended.value),
            "templates_only": bool(only.value),
            "burn_alerted": bool(alerted.value),
            "burn_alerts": alerts.value,
        }

    def check_spends(self, spends: "list[tuple[Text, float, float]]") -> tuple[bool, list[Status]]:
        """A dry run: would these (account, epsilon, delta) spends fit now, made
        in this order? Records nothing. Returns (all fit, one :class:`Status`
        per spend: what :meth:`spend` would raise, or ``Status.OK``)."""
        n = len(spends)
        names = (ctypes.c_char_p * max(n, 1))(*[_text(a, "account") for a, _, _ in spends])
        eps = (ctypes.c_double * max(n, 1))(*[float(e) for _, e, _ in spends])
        dls = (ctypes.c_double * max(n, 1))(*[float(d) for _, _, d in spends])
        out = (ctypes.c_int32 * max(n, 1))()
        all_fit = ctypes.c_int32()
        self._call(
            _check_spends,
            ctypes.cast(names, ctypes.c_void_p),
            eps,
            dls,
            n,
            out,
            ctypes.byref(all_fit),
        )
        return bool(all_fit.value), [Status(out[i]) for i in range(n)]

    def set_burn_plan(self, account: Text, planned: float, window_seconds: int, factor: float) -> None:
        """Plans ``planned`` (epsilon for basic, rho for zCDP) per window of
        ``window_seconds``; a spend taking the window's spend past ``factor`` x
        ``planned`` records a burn-rate alert. ``planned`` 0 removes the plan."""
        self._call(_set_burn_plan, _text(account, "account"), float(planned), int(window_seconds), float(factor))

    def metrics(self) -> str:
        """The budget's figures in the Prometheus text exposition format."""
        return self._run(lambda b: _read_text(_metrics, b)).decode("utf-8")

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
