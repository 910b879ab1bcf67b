"""Export masking: e-mail redaction, date coarsening, age bands, postcode
truncation, small-cell suppression, and export schemas that mask records or
quarantine them.

    >>> from ilsprivacy import masking
    >>> masking.mask_email("Jane.Doe@Example.org")
    'J***@***.org'
    >>> masking.coarsen_date("2027-01-01", "iso_week")
    '2026-W53'
    >>> masking.age_band(34)
    '30-39'

Error messages name the kind of value and what is wrong, never the value.
"""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Union

from ._native import Handle, call, declare, encode_text, status_t, using
from .enums import Cell, DateGranularity
from .token import Tokenizer, text_call

# Aliases of the enum members (kept for callers of earlier versions).
#: ``YYYY-MM-DD``.
DATE_DAY = DateGranularity.DAY
#: ISO 8601 week ``YYYY-Www``.
DATE_ISO_WEEK = DateGranularity.ISO_WEEK
#: ``YYYY-MM``.
DATE_MONTH = DateGranularity.MONTH
#: A published table entry.
CELL_PUBLISHED = Cell.PUBLISHED
#: Hidden: a count from 1 to k - 1.
CELL_PRIMARY = Cell.PRIMARY
#: Hidden so that primary suppressions cannot be recomputed from the totals.
CELL_COMPLEMENTARY = Cell.COMPLEMENTARY

_p = ctypes.POINTER
_size_p = _p(ctypes.c_size_t)
_out_p = _p(ctypes.c_char)

_email = declare("ilsp_mask_email", status_t, [ctypes.c_char_p, ctypes.c_uint32, _out_p, ctypes.c_size_t, _size_p])
_date = declare("ilsp_mask_date", status_t, [ctypes.c_char_p, ctypes.c_uint32, _out_p, ctypes.c_size_t, _size_p])
_age = declare(
    "ilsp_mask_age_band",
    status_t,
    [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, _out_p, ctypes.c_size_t, _size_p],
)
_postcode = declare("ilsp_mask_postcode", status_t, [ctypes.c_char_p, ctypes.c_size_t, _out_p, ctypes.c_size_t, _size_p])
_suppress = declare(
    "ilsp_suppress_small_cells",
    status_t,
    [
        _p(ctypes.c_uint64),
        ctypes.c_size_t,
        ctypes.c_size_t,
        ctypes.c_uint64,
        _p(ctypes.c_uint64),
        _p(ctypes.c_uint8),
        ctypes.c_size_t,
        _size_p,
    ],
)
_schema_new = declare("ilsp_export_schema_new", status_t, [ctypes.c_char_p, _p(ctypes.c_void_p)])
_schema_free = declare("ilsp_export_schema_free", None, [ctypes.c_void_p])
_record = declare(
    "ilsp_export_record",
    status_t,
    [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_size_t,
        _out_p,
        ctypes.c_size_t,
        _size_p,
        _p(ctypes.c_int32),
    ],
)

_GRANULARITIES = {"day": DATE_DAY, "iso_week": DATE_ISO_WEEK, "month": DATE_MONTH}


def _u32(value: int, param: str) -> int:
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{param} must be between 0 and 4294967295")
    return value


def mask_email(email: str, keep_domain: bool = False) -> str:
    """``J***@example.org`` (``keep_domain``) or ``J***@***.org``; the first
    character is kept only when the local part has at least four.

    Raises:
        InvalidArgumentError: if ``email`` is not ``local@domain``.
    """
    return text_call(_email, encode_text(email, "email"), 1 if keep_domain else 0, capacity=len(email) + 16)


def coarsen_date(date: str, granularity: Union[DateGranularity, int, str] = DateGranularity.DAY) -> str:
    """An ISO date (a time after ``T`` or a space is dropped) as a day, an ISO
    week (``2026-W11``) or a month (``2026-03``): a :class:`DateGranularity`
    or its name in lower case (``"day"``, ``"iso_week"``, ``"month"``)."""
    if isinstance(granularity, str):
        if granularity not in _GRANULARITIES:
            raise ValueError(f"granularity must be one of {sorted(_GRANULARITIES)}, got {granularity!r}")
        granularity = _GRANULARITIES[granularity]
    return text_call(_date, encode_text(date, "date"), granularity, capacity=16)


def age_band(age: int, width: int = 10, top: int = 90) -> str:
    """``"30-39"`` for bands of ``width``, ``"90+"`` from ``top`` up."""
    return text_call(_age, _u32(age, "age"), _u32(width, "width"), _u32(top, "top"), capacity=16)


def truncate_postcode(postcode: str, keep: int) -> str:
    """The first ``keep`` characters, spaces and hyphens removed, upper case."""
    if keep < 0:
        raise ValueError("keep must be at least 0")
    return text_call(_postcode, encode_text(postcode, "postcode"), keep, capacity=len(postcode) + 1)


@dataclass
class SuppressedTable:
    """A count table after small-cell suppression, with its margins.

    ``values`` and ``status`` are ``(rows + 1) x (cols + 1)`` grids: the last
    column holds row totals, the last row column totals, the corner the grand
    total. A hidden entry's value is ``None``; statuses are :class:`Cell` members.
    """

    values: list[list[Optional[int]]]
    status: list[list[Cell]]

    def count(self, status: Union[Cell, int]) -> int:
        """How many entries have ``status`` (a :class:`Cell`)."""
        return sum(1 for row in self.status for s in row if s == status)


def suppress_small_cells(counts: Sequence[Sequence[int]], k: int = 5) -> SuppressedTable:
    """Hides counts from 1 to ``k - 1`` and enough other entries that none of
    them can be recomputed exactly from the published ones (see the README
    for what this does not protect: interval bounds, linked tables, repeated
    releases)."""
    rows = len(counts)
    cols = len(counts[0]) if rows else 0
    if any(len(r) != cols for r in counts):
        raise ValueError("counts must be a rectangular table")
    flat = (ctypes.c_uint64 * (rows * cols))(*(v for r in counts for v in r))
    n = (rows + 1) * (cols + 1)
    values = (ctypes.c_uint64 * n)()
    status = (ctypes.c_uint8 * n)()
    out_len = ctypes.c_size_t()
    call(_suppress, flat, rows, cols, k, values, status, n, ctypes.byref(out_len))
    w = cols + 1
    cells = tuple(Cell)
    grid_status = [[cells[s] for s in status[r * w : (r + 1) * w]] for r in range(rows + 1)]
    grid_values = [
        [values[r * w + c] if grid_status[r][c] == CELL_PUBLISHED else None for c in range(w)] for r in range(rows + 1)
    ]
    return SuppressedTable(grid_values, grid_status)


@dataclass
class RecordOutcome:
    """The result of applying an export schema to one record: the clean
    ``record`` to export, or ``issues`` (each a dict with ``field`` and
    ``reason``, never the value) if the record is quarantined."""

    quarantined: bool
    record: Optional[dict[str, Any]] = None
    issues: list[dict[str, Any]] = field(default_factory=list)


class ExportSchema(Handle):
    """Allowed fields of an export and what happens to each (see the README
    for the JSON format). ``schema`` is a dict or its JSON text."""

    _free = staticmethod(_schema_free)
    _kind = "schema"

    def __init__(self, schema: Union[dict, str]) -> None:
        text = schema if isinstance(schema, str) else json.dumps(schema)
        handle = ctypes.c_void_p()
        call(_schema_new, encode_text(text, "schema"), ctypes.byref(handle))
        super().__init__(handle)

    def apply(self, tokenizer: Tokenizer, record: Union[dict, str]) -> RecordOutcome:
        """Masks one record, or quarantines it with reasons naming its fields."""
        text = record if isinstance(record, str) else json.dumps(record)
        raw = encode_text(text, "record")
        quarantined = ctypes.c_int32()
        with using(self, tokenizer) as (schema, t):
            out = text_call(
                _record, schema, t, raw, len(raw), capacity=2 * len(raw) + 256, trailing=(ctypes.byref(quarantined),)
            )
        result = json.loads(out)
        if quarantined.value:
            return RecordOutcome(True, None, result["issues"])
        return RecordOutcome(False, result)


__all__ = [
    "Cell",
    "DateGranularity",
    "CELL_COMPLEMENTARY",
    "CELL_PRIMARY",
    "CELL_PUBLISHED",
    "DATE_DAY",
    "DATE_ISO_WEEK",
    "DATE_MONTH",
    "ExportSchema",
    "RecordOutcome",
    "SuppressedTable",
    "age_band",
    "coarsen_date",
    "mask_email",
    "suppress_small_cells",
    "truncate_postcode",
]
