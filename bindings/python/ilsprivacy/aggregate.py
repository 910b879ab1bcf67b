"""Streaming per-partition counts and sums with per-patron contribution bounds.

An :class:`Aggregator` takes events ``(unit, partition, count, value)`` one by
one or in batches and keeps, per privacy unit (a patron token), at most
``max_partitions_per_unit`` (L0) cells, chosen uniformly at random among the
unit's partitions. Shards of one job (:meth:`Aggregator.new_shard`, or a
pickled aggregator sent to a worker process) aggregate separately and
:meth:`Aggregator.merge` before the one noisy release; merged shards equal
the unsharded run exactly.

>>> agg = Aggregator(2, public_partitions=["EAST", "WEST"])
>>> agg.add("token-1", "EAST")
>>> agg.add_batch(["token-2", "token-1"], ["WEST", "WEST"], counts=[3, 1])
>>> shard = agg.new_shard()
>>> shard.add("token-3", "EAST")
>>> agg.merge(shard)
>>> agg.stats().units
3
>>> Aggregator.from_bytes(agg.to_bytes()).stats() == agg.stats()
True
>>> from ilsprivacy import Budget
>>> budget = Budget()                                  # in memory; Budget(path) keeps a ledger
>>> budget.set_limit("reports", epsilon=1.0)
>>> table = agg.release(budget, "reports", max_contributions_per_partition=5, epsilon=0.5)
>>> [row.partition for row in table.rows], table.epsilon
(['EAST', 'WEST'], 0.5)

Columns may also be numpy arrays or other buffers, read without copying
(see :mod:`ilsprivacy.columns`): fixed-width bytes arrays or
:class:`~ilsprivacy.PackedColumn` for units and partitions, ``uint64`` counts
and ``int64`` values:

>>> from array import array
>>> agg.add_batch(PackedColumn.from_strings(["token-4"]), PackedColumn.from_strings(["EAST"]),
...               counts=array("Q", [2]))
>>> agg.stats().events
5

The state (and its bytes) holds exact per-unit totals: keep it as
confidential as the input. :meth:`Aggregator.stats` is exact too, for logs,
never for publication.
"""

from __future__ import annotations

import ctypes
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Sequence, Union

from . import columns, errors
from ._native import Handle, call, check, declare, status_t, using
from .columns import PackedColumn
from .enums import RowFlag, TableNoise

if TYPE_CHECKING:  # pragma: no cover
    from ._buffers import Buffer
    from .budget import Budget
else:
    Buffer = Any

Key = Union[str, bytes, bytearray, memoryview]
#: A column of keys: a sequence of ``str``/``bytes``, a :class:`PackedColumn`,
#: or a fixed-width bytes buffer (numpy dtype ``S<width>``).
KeyColumn = Union[Sequence[Key], PackedColumn, Buffer]
#: A column of integers: a sequence of ``int``, or a buffer of the C type
#: (``uint64`` counts, ``int64`` values).
IntColumn = Union[Sequence[int], Buffer]

_handle_p = ctypes.c_void_p
_size_p = ctypes.POINTER(ctypes.c_size_t)
_u8_p = ctypes.POINTER(ctypes.c_uint8)

_new = declare(
    "ilsp_aggregator_new",
    status_t,
    [
        ctypes.c_uint32,
        ctypes.c_int32,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_void_p,
        _size_p,
        ctypes.c_size_t,
        ctypes.POINTER(_handle_p),
    ],
)
_new_shard = declare("ilsp_aggregator_new_shard", status_t, [_handle_p, ctypes.POINTER(_handle_p)])
_free = declare("ilsp_aggregator_free", None, [_handle_p])
_add = declare(
    "ilsp_aggregator_add",
    status_t,
    [_handle_p, _u8_p, ctypes.c_size_t, _u8_p, ctypes.c_size_t, ctypes.c_uint64, ctypes.c_int64],
)
_add_batch = declare(
    "ilsp_aggregator_add_batch",
    status_t,
    [
        _handle_p,
        ctypes.c_size_t,
        ctypes.c_void_p,
        _size_p,
        ctypes.c_void_p,
        _size_p,
        ctypes.POINTER(ctypes.c_uint64),
        ctypes.POINTER(ctypes.c_int64),
    ],
)
_merge = declare("ilsp_aggregator_merge", status_t, [_handle_p, _handle_p])
_serialize = declare(
    "ilsp_aggregator_serialize", status_t, [_handle_p, _u8_p, ctypes.c_size_t, _size_p]
)
_deserialize = declare(
    "ilsp_aggregator_deserialize",
    status_t,
    [_u8_p, ctypes.c_size_t, ctypes.POINTER(_handle_p)],
)
_u64_p = ctypes.POINTER(ctypes.c_uint64)
_stats = declare("ilsp_aggregator_stats", status_t, [_handle_p, _u64_p, _u64_p, _u64_p, _u64_p])

#: ``noise`` of :meth:`Aggregator.release`: discrete Laplace (parameters are epsilon).
TABLE_NOISE_LAPLACE = TableNoise.LAPLACE
#: ``noise`` of :meth:`Aggregator.release`: discrete Gaussian (parameters are rho;
#: needs a budget account with zCDP composition).
TABLE_NOISE_GAUSSIAN = TableNoise.GAUSSIAN

# The arguments both release functions share, up to `suppress_below`.
_RELEASE_ARGS = [
    _handle_p,
    ctypes.c_void_p,
    ctypes.c_char_p,
    ctypes.c_uint32,
    ctypes.c_int32,
    ctypes.c_double,
    ctypes.c_double,
    ctypes.c_double,
    ctypes.c_double,
    ctypes.c_int64,
]
_release = declare(
    "ilsp_aggregator_release",
    status_t,
    [*_RELEASE_ARGS, ctypes.POINTER(_handle_p)],
)
_release_private_bound = declare(
    "ilsp_aggregator_release_private_bound",
    status_t,
    [*_RELEASE_ARGS, ctypes.c_double, ctypes.c_double, ctypes.POINTER(_handle_p)],
)
_table_rows = declare("ilsp_table_rows", ctypes.c_size_t, [_handle_p])
_table_row = declare(
    "ilsp_table_row",
    status_t,
    [
        _handle_p,
        ctypes.c_size_t,
        _u8_p,
        ctypes.c_size_t,
        _size_p,
        ctypes.POINTER(ctypes.c_int64),
        ctypes.POINTER(ctypes.c_int64),
        ctypes.POINTER(ctypes.c_uint32),
    ],
)
_c_double_p = ctypes.POINTER(ctypes.c_double)
_table_cost = declare("ilsp_table_cost", status_t, [_handle_p, _c_double_p, _c_double_p, _c_double_p])
_table_noise = declare(
    "ilsp_table_noise",
    status_t,
    [
        _handle_p,
        _c_double_p,
        _c_double_p,
        ctypes.POINTER(ctypes.c_uint32),
        ctypes.POINTER(ctypes.c_uint32),
        ctypes.POINTER(ctypes.c_int64),
    ],
)
_table_free = declare("ilsp_table_free", None, [_handle_p])

def _key_bytes(key: Key, param: str) -> bytes:
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise TypeError(f"{param} must be str or bytes, got {type(key).__name__}")


def _u8(buf: Union[bytes, bytearray, ctypes.Array]) -> "ctypes._Pointer[ctypes.c_uint8]":
    """A uint8_t* to the start of ``buf`` (kept alive by the caller)."""
    if isinstance(buf, bytes):
        return ctypes.cast(ctypes.c_char_p(buf), _u8_p)
    return ctypes.cast(buf, _u8_p)


class TableRow(NamedTuple):
    """One released row: the partition (``str`` when it is UTF-8, else ``bytes``),
    the noisy count and sum (``None`` when withheld by suppression, and the sum
    when sums were not released)."""

    partition: Union[str, bytes]
    count: Optional[int]
    sum: Optional[int]


class ReleasedTable(NamedTuple):
    """A released, differentially private table and what it cost (all public)."""

    rows: list[TableRow]
    #: epsilon and delta of the (epsilon, delta) charge (0 for a zCDP charge).
    epsilon: float
    delta: float
    #: rho of the charge (epsilon**2 / 2 for a pure one).
    rho: float
    #: noise scale of the counts (discrete Laplace t or Gaussian sigma) and sums (0 without).
    count_scale: float
    sum_scale: float
    max_partitions_per_unit: int
    max_contributions_per_partition: int
    #: the noisy-patron-count threshold of partition selection (None for a public list).
    selection_threshold: Optional[int]


def _read_table(handle: ctypes.c_void_p) -> ReleasedTable:
    rows = []
    cap = 64
    buf = (ctypes.c_uint8 * cap)()
    length = ctypes.c_size_t()
    count, total, flags = ctypes.c_int64(), ctypes.c_int64(), ctypes.c_uint32()
    for i in range(_table_rows(handle)):
        status = _table_row(handle, i, buf, cap, ctypes.byref(length), ctypes.byref(count), ctypes.byref(total), ctypes.byref(flags))
        if status == errors.ILSP_ERR_BUFFER_TOO_SMALL:
            cap = length.value
            buf = (ctypes.c_uint8 * cap)()
            status = _table_row(handle, i, buf, cap, ctypes.byref(length), ctypes.byref(count), ctypes.byref(total), ctypes.byref(flags))
        check(status)
        key = bytes(buf[: length.value])
        try:
            partition: Union[str, bytes] = key.decode("utf-8")
        except UnicodeDecodeError:
            partition = key
        withheld = bool(flags.value & RowFlag.SUPPRESSED)
        rows.append(
            TableRow(
                partition,
                None if withheld else count.value,
                total.value if flags.value & RowFlag.HAS_SUM else None,
            )
        )
    eps, delta, rho = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    call(_table_cost, handle, ctypes.byref(eps), ctypes.byref(delta), ctypes.byref(rho))
    cs, ss = ctypes.c_double(), ctypes.c_double()
    l0, linf, threshold = ctypes.c_uint32(), ctypes.c_uint32(), ctypes.c_int64()
    call(_table_noise, handle, ctypes.byref(cs), ctypes.byref(ss), ctypes.byref(l0), ctypes.byref(linf), ctypes.byref(threshold))
    return ReleasedTable(
        rows,
        eps.value,
        delta.value,
        rho.value,
        cs.value,
        ss.value,
        l0.value,
        linf.value,
        None if threshold.value < 0 else threshold.value,
    )


class AggregatorStats(NamedTuple):
    """What an aggregator has taken in (exact; for logs, never for publication)."""

    events: int
    events_outside_public_partitions: int
    units: int
    partitions: int


class Aggregator(Handle):
    """A streaming grouped aggregator with per-unit contribution bounding.

    Args:
        max_partitions_per_unit: L0, the most partitions one privacy unit
            contributes to (1 to 65536).
        value_bounds: ``(lo, hi)`` integers to also sum each event's value
            clamped to ``[lo, hi]``; ``None`` to count only.
        public_partitions: the public list of partition keys (released
            zero-filled, in this order; events of other partitions are
            dropped), or ``None`` to take partitions from the data.

    A fresh selection key is drawn; other shards of the same job must come
    from :meth:`new_shard` or from this aggregator's bytes (or a pickle).
    Calls on one aggregator are serialized by a lock, so sharing it between
    threads is safe (one aggregator per thread, merged at the end, is faster).

    Raises:
        InvalidArgumentError: for a bad L0, ``lo > hi``, or an empty or repeated
            public key.
    """

    _free = staticmethod(_free)
    _kind = "aggregator"
    # The C aggregator allows one call at a time: calls are serialised.
    _exclusive = True

    def __init__(
        self,
        max_partitions_per_unit: int,
        *,
        value_bounds: Optional[tuple[int, int]] = None,
        public_partitions: Optional[Sequence[Key]] = None,
    ) -> None:
        handle = _handle_p()
        lo, hi = value_bounds if value_bounds is not None else (0, 0)
        with ExitStack() as stack:
            public = columns.keys(public_partitions or (), "public_partitions", stack)
            if public_partitions is not None and public.n == 0:
                raise errors.InvalidArgumentError("public_partitions must not be empty")
            call(
                _new,
                int(max_partitions_per_unit),
                0 if value_bounds is None else 1,
                int(lo),
                int(hi),
                public.data if public.n else None,
                public.offsets if public.n else None,
                public.n,
                ctypes.byref(handle),
            )
        super().__init__(handle)

    @classmethod
    def _adopt(cls, handle: ctypes.c_void_p) -> "Aggregator":
        obj = cls.__new__(cls)
        Handle.__init__(obj, handle)
        return obj

    @classmethod
    def from_bytes(cls, state: bytes) -> "Aggregator":
        """An aggregator from a state written by :meth:`to_bytes`.

        Raises:
            InvalidArgumentError: if ``state`` is not a valid aggregator state.
        """
        state = bytes(state)
        handle = _handle_p()
        call(_deserialize, _u8(state), len(state), ctypes.byref(handle))
        return cls._adopt(handle)

    def new_shard(self) -> "Aggregator":
        """An empty aggregator with this one's configuration and selection key."""
        handle = _handle_p()
        self._call(_new_shard, ctypes.byref(handle))
        return self._adopt(handle)

    def add(self, unit: Key, partition: Key, count: int = 1, value: int = 0) -> None:
        """Adds one event: ``unit`` contributed ``count`` and ``value`` to ``partition``.

        Raises:
            InvalidArgumentError: if ``unit`` or ``partition`` is empty.
        """
        u = _key_bytes(unit, "unit")
        p = _key_bytes(partition, "partition")
        self._call(_add, _u8(u), len(u), _u8(p), len(p), int(count), int(value))

    def add_batch(
        self,
        units: KeyColumn,
        partitions: KeyColumn,
        counts: Optional[IntColumn] = None,
        values: Optional[IntColumn] = None,
    ) -> None:
        """Adds many events at once, all or nothing.

        Each column is a sequence, or a buffer the library reads in place
        (no per-event copy; see :mod:`ilsprivacy.columns`): ``units`` and
        ``partitions`` a :class:`PackedColumn` or a fixed-width bytes array
        (numpy dtype ``S<width>``, every entry exactly ``width`` bytes);
        ``counts`` ``uint64`` and ``values`` ``int64`` (numpy arrays,
        ``array.array('Q')`` / ``array.array('q')``). ``counts=None`` counts
        each event once, ``values=None`` adds 0.

        Raises:
            InvalidArgumentError: if an event is bad (the message gives its index)
                or the columns differ in length.
            TypeError: a buffer of another element type, in a foreign byte
                order or not C-contiguous (never converted silently).
            ValueError: a fixed-width column with an entry shorter than its width.
        """
        with ExitStack() as stack:
            pu = columns.keys(units, "units", stack)
            n = pu.n
            pp = columns.keys(partitions, "partitions", stack)
            if pp.n != n:
                raise errors.InvalidArgumentError(f"partitions must have {n} entries, got {pp.n}")
            c = columns.numbers(counts, "counts", "u", n, stack)
            v = columns.numbers(values, "values", "i", n, stack)
            self._call(
                _add_batch,
                n,
                pu.data,
                pu.offsets,
                pp.data,
                pp.offsets,
                c,
                v,
            )

    def merge(self, other: "Aggregator") -> None:
        """Merges ``other`` (another shard of the same job) into this aggregator.

        Raises:
            InvalidArgumentError: if ``other`` was configured differently.
        """
        if other is self:
            raise errors.InvalidArgumentError("other must not be the aggregator itself")
        with using(self, other) as (a, b):  # one lock order: no deadlock
            call(_merge, a, b)

    def to_bytes(self) -> bytes:
        """The state in its versioned binary form (confidential: exact totals)."""

        def serialize(a: ctypes.c_void_p) -> bytes:
            needed = ctypes.c_size_t()
            status = _serialize(a, None, 0, ctypes.byref(needed))
            if status != errors.ILSP_ERR_BUFFER_TOO_SMALL:
                check(status)
            buf = (ctypes.c_uint8 * needed.value)()
            call(_serialize, a, buf, needed.value, ctypes.byref(needed))
            return bytes(buf[: needed.value])

        return self._run(serialize)

    def stats(self) -> AggregatorStats:
        """Exact counts of what was taken in (for logs, not for publication)."""
        out = [ctypes.c_uint64() for _ in range(4)]
        self._call(_stats, *(ctypes.byref(x) for x in out))
        return AggregatorStats(*(x.value for x in out))

    def release(
        self,
        budget: "Budget",
        account: str,
        *,
        max_contributions_per_partition: int,
        epsilon: Optional[float] = None,
        sum_epsilon: Optional[float] = None,
        rho: Optional[float] = None,
        sum_rho: Optional[float] = None,
        selection: Optional[tuple[float, float]] = None,
        suppress_below: int = 0,
        private_max_contributions: Optional[tuple[float, float]] = None,
    ) -> ReleasedTable:
        """Releases the table with differential privacy, charging ``account`` of
        ``budget`` once for all of it before any noise is drawn.

        Give ``epsilon`` (discrete Laplace; ``sum_epsilon`` for sums) or ``rho``
        (discrete Gaussian, zCDP accounts; ``sum_rho``). ``selection`` is the
        ``(epsilon, delta)`` of private partition selection, required when the
        partitions come from the data (with ``rho``: Gaussian thresholding,
        charged as one (epsilon, delta) to a basic account). Cells whose noisy count is below
        ``suppress_below`` are withheld.

        ``private_max_contributions=(quantile, bound_epsilon)`` chooses L∞ from
        the data instead of fixing it: the ``quantile`` (e.g. 0.9) of the units'
        largest cell counts, by the exponential mechanism at ``bound_epsilon``
        (pure epsilon-DP), rounded up and kept in
        ``[1, max_contributions_per_partition]`` (the given L∞ is the upper end of
        the search). ``bound_epsilon`` is part of the one charge (with ``rho``,
        as ``bound_epsilon**2 / 2``); the chosen L∞ is the table's
        ``max_contributions_per_partition``.

        Raises:
            BudgetExhaustedError: the charge does not fit; nothing is released.
            InvalidArgumentError: bad parameters (e.g. a quantile outside [0, 1]), or
                a plan that does not fit the aggregator (e.g. data partitions without
                ``selection``).
        """
        if (epsilon is None) == (rho is None):
            raise errors.InvalidArgumentError("give exactly one of epsilon (Laplace) or rho (Gaussian)")
        if epsilon is not None:
            noise, count_param, sum_param = TableNoise.LAPLACE, epsilon, sum_epsilon
            if sum_rho is not None:
                raise errors.InvalidArgumentError("sum_rho needs rho (Gaussian noise), not epsilon")
        else:
            noise, count_param, sum_param = TableNoise.GAUSSIAN, rho, sum_rho
            if sum_epsilon is not None:
                raise errors.InvalidArgumentError("sum_epsilon needs epsilon (Laplace noise), not rho")
        if sum_param is not None and not sum_param > 0:
            raise errors.InvalidArgumentError(f"the sums' parameter must be > 0, got {sum_param}")
        sel_eps, sel_delta = selection if selection is not None else (0.0, 0.0)
        args = [
            account.encode("utf-8"),
            int(max_contributions_per_partition),
            noise,
            float(count_param),
            float(sum_param or 0.0),
            float(sel_eps),
            float(sel_delta),
            int(suppress_below),
        ]
        fn = _release
        if private_max_contributions is not None:
            quantile, bound_epsilon = private_max_contributions
            fn = _release_private_bound
            args += [float(quantile), float(bound_epsilon)]
        table = _handle_p()
        with using(self, budget) as (a, b):
            call(fn, a, b, *args, ctypes.byref(table))
        try:
            return _read_table(table)
        finally:
            _table_free(table)

    def __reduce__(self):  # pickling sends the state, e.g. to worker processes
        return (Aggregator.from_bytes, (self.to_bytes(),))

    def __repr__(self) -> str:
        if self.closed:
            return "<Aggregator (closed)>"
        return f"<Aggregator {self.stats().units} units>"
