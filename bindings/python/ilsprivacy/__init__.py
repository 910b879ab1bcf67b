"""ilsprivacy: differential privacy, privacy budgets and patron-ID tokenization
for library software, through the library's C ABI (ctypes).

A wheel bundles ``libilsprivacy.so``; without one (a source checkout), the
library is taken from ``ILSPRIVACY_LIB``, the checkout's ``target/release`` or
the system's library path (see :mod:`ilsprivacy._native`).

>>> import ilsprivacy
>>> ilsprivacy.clamp(12.5, 0.0, 10.0)
10.0
"""

from .aggregate import (
    TABLE_NOISE_GAUSSIAN,
    TABLE_NOISE_LAPLACE,
    Aggregator,
    AggregatorStats,
    ReleasedTable,
    TableRow,
)
from .budget import (
    COMPOSITION_BASIC,
    COMPOSITION_ZCDP,
    PERIOD_CALENDAR_MONTH,
    PERIOD_CALENDAR_YEAR,
    PERIOD_LIFETIME,
    Budget,
)
from . import accountant
from . import continual
from .columns import PackedColumn
from .core import clamp, version
from .enums import (
    AccountingMethod,
    Cell,
    Composition,
    DateGranularity,
    KeyEncoding,
    Noise,
    Normalization,
    Period,
    RowFlag,
    Status,
    TableNoise,
    TokenBody,
    TokenKind,
)
from .bound import clip_l1, clip_l2
from .lifecycle import EpochRing, Policy
from .mechanisms import (
    gaussian,
    gaussian_batch,
    gaussian_i64,
    laplace,
    laplace_batch,
    laplace_i64,
    quantile,
    randomized_response,
)
from .masking import (
    ExportSchema,
    RecordOutcome,
    SuppressedTable,
    age_band,
    coarsen_date,
    mask_email,
    suppress_small_cells,
    truncate_postcode,
)
from .token import Key, Tokenizer
from .errors import (
    AccountSuspendedError,
    BudgetExhaustedError,
    BufferTooSmallError,
    ClosedHandleError,
    EncodingError,
    EntropyError,
    IlsPrivacyError,
    InternalError,
    InvalidArgumentError,
    KeyMaterialError,
    LedgerIntegrityError,
    LedgerIOError,
    NullPointerError,
    TemplateMismatchError,
)

__version__ = version()

__all__ = [
    "AccountingMethod",
    "Cell",
    "Composition",
    "DateGranularity",
    "KeyEncoding",
    "Noise",
    "Normalization",
    "PackedColumn",
    "Period",
    "RowFlag",
    "Status",
    "TableNoise",
    "TokenBody",
    "TokenKind",
    "Aggregator",
    "AggregatorStats",
    "ReleasedTable",
    "TABLE_NOISE_GAUSSIAN",
    "TABLE_NOISE_LAPLACE",
    "TableRow",
    "Budget",
    "COMPOSITION_BASIC",
    "COMPOSITION_ZCDP",
    "PERIOD_CALENDAR_MONTH",
    "PERIOD_CALENDAR_YEAR",
    "PERIOD_LIFETIME",
    "AccountSuspendedError",
    "BudgetExhaustedError",
    "BufferTooSmallError",
    "ClosedHandleError",
    "EncodingError",
    "EntropyError",
    "EpochRing",
    "ExportSchema",
    "IlsPrivacyError",
    "InternalError",
    "InvalidArgumentError",
    "Key",
    "KeyMaterialError",
    "LedgerIOError",
    "LedgerIntegrityError",
    "NullPointerError",
    "Policy",
    "RecordOutcome",
    "TemplateMismatchError",
    "SuppressedTable",
    "Tokenizer",
    "age_band",
    "accountant",
    "continual",
    "clamp",
    "clip_l1",
    "clip_l2",
    "gaussian",
    "gaussian_batch",
    "gaussian_i64",
    "laplace",
    "laplace_batch",
    "laplace_i64",
    "coarsen_date",
    "mask_email",
    "suppress_small_cells",
    "truncate_postcode",
    "quantile",
    "randomized_response",
    "version",
]
