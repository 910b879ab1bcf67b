"""The C ABI's constants as Python enumerations.

Each group of ``ILSP_*`` constants of the header is an :class:`~enum.IntEnum`
(flags: an :class:`~enum.IntFlag`) with the same numbers. Members are ``int``,
so they go wherever the binding took one of the module-level constants (which
remain, as aliases of the members); values the library returns (a status, a
cell's suppression status) come back as members.

>>> from ilsprivacy import Normalization, Status
>>> Status.INVALID_ARGUMENT == 2
True
>>> int(Normalization.TRIM | Normalization.CASE_FOLD)
3
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class Status(IntEnum):
    """Status codes of every C function (fixed numbers: new ones may be appended,
    none is renumbered); :attr:`IlsPrivacyError.status` is one of them."""

    #: Success.
    OK = 0
    #: A required pointer was NULL.
    NULL = 1
    #: NaN/inf, epsilon <= 0, delta outside (0, 1), lo > hi, a bad option ...
    INVALID_ARGUMENT = 2
    #: The spend would exceed the limit; nothing was released or recorded.
    BUDGET_EXHAUSTED = 3
    #: An output buffer was too small; the needed length was reported.
    BUFFER_TOO_SMALL = 4
    #: Text is not valid UTF-8.
    ENCODING = 5
    #: Key too short, unknown key id, bad key material.
    KEY = 6
    #: A ledger or key file could not be opened, locked, read or written.
    IO = 7
    #: A ledger's format, version or hash chain is broken.
    LEDGER_INTEGRITY = 8
    #: The operating system could not provide randomness.
    ENTROPY = 9
    #: A bug (a caught panic).
    INTERNAL = 10
    #: The spend matches none of the account's query templates; nothing was
    #: released or recorded.
    TEMPLATE_MISMATCH = 11
    #: The account is suspended; nothing was released or recorded.
    ACCOUNT_SUSPENDED = 12


class Composition(IntEnum):
    """How a budget account adds up its spends (:meth:`Budget.set_composition`)."""

    #: epsilon and delta add up (the default).
    BASIC = 0
    #: rho adds up; an (epsilon, delta) limit is enforced through the largest
    #: rho that implies it (CKS20 bound).
    ZCDP = 1


class Period(IntEnum):
    """The span a budget account's limit bounds (:meth:`Budget.set_period`, UTC)."""

    #: Every spend ever made (the default).
    LIFETIME = 0
    #: The spends of the current calendar year.
    CALENDAR_YEAR = 1
    #: The spends of the current calendar month.
    CALENDAR_MONTH = 2


class DateGranularity(IntEnum):
    """Granularities of :func:`ilsprivacy.coarsen_date`."""

    #: ``YYYY-MM-DD``.
    DAY = 0
    #: ISO 8601 week ``YYYY-Www``.
    ISO_WEEK = 1
    #: ``YYYY-MM``.
    MONTH = 2


class Cell(IntEnum):
    """Statuses of a suppressed table's entries (:func:`ilsprivacy.suppress_small_cells`)."""

    #: A published entry.
    PUBLISHED = 0
    #: Hidden: a count from 1 to k - 1.
    PRIMARY = 1
    #: Hidden so that primary suppressions cannot be recomputed from the totals.
    COMPLEMENTARY = 2


class TokenKind(IntEnum):
    """Kinds of token (:class:`Tokenizer`)."""

    #: 64 lowercase hex characters of HMAC-SHA256(key, id).
    COMPAT = 0
    #: ``v1.<key id>.<body>``.
    V1 = 1


class TokenBody(IntEnum):
    """Encodings of a versioned token's body (:meth:`Tokenizer.set_format`)."""

    #: Lowercase hex.
    HEX = 0
    #: Unpadded lowercase base32 (the default).
    BASE32 = 1


class KeyEncoding(IntEnum):
    """How key material is stored (:meth:`Key.from_file`, :meth:`Key.from_env`)."""

    #: The bytes themselves.
    RAW = 0
    #: Hexadecimal text.
    HEX = 1


class Normalization(IntFlag):
    """Normalisation steps applied to an ID before it is tokenized (combine with ``|``)."""

    #: IDs are hashed byte for byte.
    NONE = 0
    #: Remove leading and trailing whitespace.
    TRIM = 1
    #: Unicode lowercase.
    CASE_FOLD = 2
    #: Remove whitespace and barcode separators (``- . _ / :`` and Unicode dashes).
    STRIP_SEPARATORS = 4
    #: Library barcodes: trim, case fold and strip separators.
    BARCODE = 7


class AccountingMethod(IntEnum):
    """Composition methods of :mod:`ilsprivacy.accountant`."""

    #: The sum of the epsilons and of the deltas of the releases.
    BASIC = 0
    #: Dwork-Rothblum-Vadhan; pure and (epsilon, delta) releases only.
    ADVANCED = 1
    #: Optimal composition of k identical (epsilon0, delta0) releases (Kairouz-Oh-Viswanath).
    OPTIMAL_HOMOGENEOUS = 2
    #: zCDP (exact for Gaussian-only sequences, CKS20 conversion otherwise).
    ZCDP = 3
    #: Renyi DP with the CKS20 conversion.
    RDP = 4
    #: Privacy-loss distributions (pessimistic grid, FFT composition).
    PLD = 5
    #: The best (smallest) result of the methods that apply (the default).
    BEST = 6


class Noise(IntEnum):
    """Noise kinds of :mod:`ilsprivacy.accountant`."""

    #: Laplace: L1 sensitivity, scale b.
    LAPLACE = 0
    #: Gaussian: L2 sensitivity, standard deviation sigma.
    GAUSSIAN = 1
    #: Discrete Laplace on integers: L1 sensitivity, scale t.
    DISCRETE_LAPLACE = 2
    #: Discrete Gaussian on integers: L2 sensitivity, sigma.
    DISCRETE_GAUSSIAN = 3


class TableNoise(IntEnum):
    """Noise of :meth:`Aggregator.release` (chosen by its ``epsilon`` or ``rho`` argument)."""

    #: Discrete Laplace; the parameters are epsilon.
    LAPLACE = 0
    #: Discrete Gaussian; the parameters are rho (zCDP accounts).
    GAUSSIAN = 1


class RowFlag(IntFlag):
    """Flags of a released table row (read by :meth:`Aggregator.release`)."""

    #: The cell was withheld by small-cell suppression.
    SUPPRESSED = 1
    #: The row has a released sum.
    HAS_SUM = 2


__all__ = [
    "AccountingMethod",
    "Cell",
    "Composition",
    "DateGranularity",
    "KeyEncoding",
    "Noise",
    "Normalization",
    "Period",
    "RowFlag",
    "Status",
    "TableNoise",
    "TokenBody",
    "TokenKind",
]
