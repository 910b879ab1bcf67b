"""Buffers in batch calls: read (and written) in place, never copied or
converted silently; a wrong element type, byte order or layout is a TypeError.

The numpy tests run when numpy is importable; with ILSP_REQUIRE_NUMPY=1 or CI
set (scripts/test-all.sh sets the first) a missing numpy fails them instead of
skipping them. The other tests use only the standard library (array.array,
bytearray, memoryview, ctypes arrays): numpy stays optional.
"""

import ctypes
import math
import os
import subprocess
import sys
import unittest
from array import array
from pathlib import Path

import ilsprivacy
from ilsprivacy import InvalidArgumentError, PackedColumn, _buffers, aggregate, mechanisms

try:
    import numpy as np
except ImportError:  # pragma: no cover - depends on the environment
    np = None

NUMPY_REQUIRED = os.environ.get("ILSP_REQUIRE_NUMPY") == "1" or os.environ.get("CI", "").lower() in ("1", "true", "yes")
if np is None and not NUMPY_REQUIRED:
    print("test_buffers: numpy is not importable, its tests are skipped (pip install numpy)", file=sys.stderr)

KEY = b"library-pipeline-key-0123456789!"
GRID = 2.0**-40  # the output grid of scale-1 noise is finer than this; outputs are multiples of it


def events(n: int) -> tuple[list[str], list[str], list[int], list[int]]:
    units = [f"{(i * 7919) % 97:064x}" for i in range(n)]
    parts = [("EAST", "WEST", "NORT")[i % 3] for i in range(n)]
    return units, parts, [i % 4 for i in range(n)], [(i * 37) % 50 - 10 for i in range(n)]


class Capture:
    """Stands in for a C function: records its arguments, then calls it."""

    def __init__(self, fn):
        self.fn, self.args = fn, None

    def __call__(self, *args):
        self.args = args
        return self.fn(*args)


def address(pointer) -> int:
    return ctypes.cast(pointer, ctypes.c_void_p).value or 0


class StandardLibraryBuffersTest(unittest.TestCase):
    """array.array, bytearray, memoryview and ctypes arrays: no numpy needed."""

    def test_noise_batches_read_and_write_buffers(self) -> None:
        values = array("d", [10.0, 20.0, 30.0])
        noisy = ilsprivacy.laplace_batch(values, 1.0, 1.0)
        self.assertEqual((type(noisy), noisy.typecode, len(noisy)), (array, "d", 3))
        self.assertEqual(list(values), [10.0, 20.0, 30.0], "the input is not modified")
        self.assertTrue(all(abs(y - x) < 60 for x, y in zip(values, noisy)))
        out = array("d", [0.0] * 3)
        self.assertIs(ilsprivacy.gaussian_batch(values, 1.0, 1.0, 1e-6, out=out), out)
        self.assertTrue(all(abs(y - x) < 60 and y != 0.0 for x, y in zip(values, out)))
        # In place (out is values), and from a list into a buffer.
        self.assertIs(ilsprivacy.laplace_batch(values, 1.0, 1.0, out=values), values)
        self.assertNotEqual(list(values), [10.0, 20.0, 30.0])
        self.assertIs(ilsprivacy.laplace_batch([1.0, 2.0], 1.0, 1.0, out=memoryview(bytearray(16)).cast("d")).obj.__class__,
                      bytearray)
        self.assertEqual(ilsprivacy.laplace_batch(array("d"), 1.0, 1.0), array("d"))
        self.assertIsInstance(ilsprivacy.laplace_batch([1.0, 2.0], 1.0, 1.0), list)  # lists stay lists

    def test_noise_batch_errors_write_nothing(self) -> None:
        out = array("d", [7.0, 7.0])
        with self.assertRaises(InvalidArgumentError) as ctx:
            ilsprivacy.laplace_batch(array("d", [1.0, math.nan]), 1.0, 1.0, out=out)
        self.assertIn("values must be finite", str(ctx.exception))
        self.assertEqual(list(out), [7.0, 7.0])
        with self.assertRaises(InvalidArgumentError) as ctx:
            ilsprivacy.laplace_batch(array("d", [1.0, 2.0, 3.0]), 1.0, 1.0, out=out)
        self.assertEqual(str(ctx.exception), "out must have 3 entries, got 2")

    def test_wrong_buffers_are_type_errors(self) -> None:
        cases = [
            (array("f", [1.0]), "values must be a buffer of float64 (numpy dtype float64); got float32"),
            (array("q", [1]), "got int64"),
            (memoryview(array("d", [1.0, 2.0, 3.0, 4.0]))[::2], "must be C-contiguous"),
            ((ctypes.c_double.__ctype_be__ * 2)(1.0, 2.0), "foreign byte order"),
            (b"\x00" * 8, "got uint8"),  # bytes are a buffer of bytes, not of doubles
        ]
        for values, message in cases:
            with self.subTest(message=message), self.assertRaises(TypeError) as ctx:
                ilsprivacy.laplace_batch(values, 1.0, 1.0)
            self.assertIn(message, str(ctx.exception))
        read_only = memoryview(bytes(16)).cast("d")
        self.assertEqual(len(ilsprivacy.laplace_batch(read_only, 1.0, 1.0)), 2, "read-only input is fine")
        with self.assertRaises(TypeError) as ctx:
            ilsprivacy.laplace_batch([1.0, 2.0], 1.0, 1.0, out=read_only)
        self.assertIn("out must be writable", str(ctx.exception))

    def test_the_c_function_gets_the_callers_memory(self) -> None:
        values = array("d", [1.0, 2.0])
        out = array("d", [0.0, 0.0])
        spy = Capture(mechanisms._laplace_batch)
        original, mechanisms._laplace_batch = mechanisms._laplace_batch, spy
        try:
            ilsprivacy.laplace_batch(values, 1.0, 1.0, out=out)
        finally:
            mechanisms._laplace_batch = original
        self.assertEqual(address(spy.args[0]), values.buffer_info()[0])
        self.assertEqual(address(spy.args[4]), out.buffer_info()[0])

    def test_quantile_reads_a_buffer(self) -> None:
        values = array("d", range(1000))
        q = ilsprivacy.quantile(values, 0.9, 0.0, 1000.0, 100, 5.0)
        self.assertLess(abs(q - 900.0), 50.0)
        with self.assertRaises(TypeError):
            ilsprivacy.quantile(array("i", [1]), 0.5, 0.0, 1.0, 4, 1.0)

    def test_a_held_buffer_cannot_be_resized(self) -> None:
        data = bytearray(b"EASTWEST")
        with _buffers.borrow(data, "data", "b") as held:
            self.assertNotEqual(held.address, 0)
            with self.assertRaises(BufferError):
                data.extend(b"NORTH")  # would move the memory under a running call
        data.extend(b"NORTH")

    def test_packed_columns(self) -> None:
        col = PackedColumn(bytearray(b"EASTWESTNORTH"), array("Q", [0, 4, 8, 13]))
        self.assertEqual((len(col), col[0], col[-1], col.to_list()), (3, b"EAST", b"NORTH", ["EAST", "WEST", "NORTH"]))
        self.assertIsNone(col.width)
        fixed = PackedColumn.fixed_width(b"aaaabbbb", 4)
        self.assertEqual((fixed.width, fixed.to_list()), (4, ["aaaa", "bbbb"]))
        with self.assertRaises(ValueError) as ctx:
            PackedColumn(b"EAST", array("Q", [0, 4, 9]))
        self.assertEqual(str(ctx.exception), "column offsets end at 9, beyond the data's 4 bytes")
        with self.assertRaises(ValueError):
            PackedColumn(b"", array("Q"))
        with self.assertRaises(TypeError) as ctx:
            PackedColumn(b"EAST", array("i", [0, 4]))  # offsets must be size_t
        self.assertIn("uint64", str(ctx.exception))
        with self.assertRaises(ValueError):
            PackedColumn.fixed_width(b"abc", 2)
        # Offsets checked again at the call: a bytearray shrunk after the column was made.
        data = bytearray(b"EASTWEST")
        col = PackedColumn(data, array("Q", [0, 4, 8]))
        del data[4:]
        with self.assertRaises(ValueError):
            ilsprivacy.Aggregator(1).add_batch(col, ["A", "B"])

    def test_aggregator_columns_equal_the_list_path(self) -> None:
        units, parts, counts, values = events(500)
        by_list = ilsprivacy.Aggregator(2, value_bounds=(0, 20), public_partitions=["EAST", "WEST"])
        by_list.add_batch(units, parts, counts=counts, values=values)
        by_columns = by_list.new_shard()
        by_columns.add_batch(
            PackedColumn.fixed_width("".join(units).encode(), 64),
            PackedColumn.from_strings(parts),
            counts=array("Q", counts),
            values=array("q", values),
        )
        self.assertEqual(by_list.to_bytes(), by_columns.to_bytes())
        # The C function reads the caller's buffers.
        unit_data = bytearray("".join(units).encode())
        count_buf = array("Q", counts)
        spy = Capture(aggregate._add_batch)
        original, aggregate._add_batch = aggregate._add_batch, spy
        try:
            by_columns.new_shard().add_batch(PackedColumn.fixed_width(unit_data, 64), parts, counts=count_buf)
        finally:
            aggregate._add_batch = original
        self.assertEqual(spy.args[2], ctypes.addressof(ctypes.c_char.from_buffer(unit_data)))
        self.assertEqual(address(spy.args[6]), count_buf.buffer_info()[0])

    def test_aggregator_column_errors(self) -> None:
        agg = ilsprivacy.Aggregator(1)
        cases = [
            (lambda: agg.add_batch(["a"], ["E"], counts=array("q", [1])), TypeError, "counts must be a buffer of uint64"),
            (lambda: agg.add_batch(["a"], ["E"], values=array("Q", [1])), TypeError, "values must be a buffer of int64"),
            (lambda: agg.add_batch(["a"], ["E"], counts=array("Q", [1, 2])), InvalidArgumentError, "counts must have 1 entries, got 2"),
            (lambda: agg.add_batch(["a", "b"], PackedColumn.from_strings(["E"])), InvalidArgumentError, "partitions must have 2 entries, got 1"),
            (lambda: agg.add_batch(["a"], ["E"], counts=[-1]), InvalidArgumentError, "count must be >= 0, got -1 (event 0 of the batch)"),
            (lambda: agg.add_batch(b"units", ["E"]), TypeError, "not a single bytes"),
            (lambda: agg.add_batch(array("d", [1.0]), ["E"]), TypeError, "units must be a sequence of keys, a PackedColumn"),
            (lambda: agg.add_batch(PackedColumn.from_strings(["a", ""]), ["E", "W"]), InvalidArgumentError, "unit must not be empty (event 1 of the batch)"),
        ]
        for call, error, message in cases:
            with self.subTest(message=message), self.assertRaises(error) as ctx:
                call()
            self.assertIn(message, str(ctx.exception))
        self.assertEqual(agg.stats().events, 0, "a refused batch adds nothing")

    def test_token_columns(self) -> None:
        t = ilsprivacy.Tokenizer(KEY)
        ids = ["21234000123456", "", "P-7", "é"]
        col = t.tokenize_column(PackedColumn.from_strings(ids))
        self.assertEqual((col.width, len(col)), (64, 4))
        self.assertEqual(col.to_list(), t.tokenize_many(ids))
        self.assertEqual(col.to_list(), [t.tokenize(i) for i in ids])
        self.assertEqual(t.tokenize_column([]).to_list(), [])
        v1 = t.tokenize_column(ids[2:], kind="v1")
        self.assertEqual(v1.to_list(), [t.tokenize_versioned(i) for i in ids[2:]])
        self.assertEqual(t.lookup(col, "P-7"), 2)
        self.assertEqual(t.bridge(PackedColumn.from_strings(["P-7"]), from_key=None, to_key=None),
                         t.bridge(["P-7"], from_key=None, to_key=None))
        with self.assertRaises(ilsprivacy.EncodingError):
            t.tokenize_column(PackedColumn(b"ok\xff", array("Q", [0, 3])))
        with self.assertRaises(TypeError):
            t.tokenize_many([b"bytes are not str"])  # a list of IDs holds str, as before
        # The tokens feed the aggregator without a Python string per event.
        agg = ilsprivacy.Aggregator(1, public_partitions=["EAST"])
        agg.add_batch(col, PackedColumn.fixed_width(b"EAST" * 4, 4))
        self.assertEqual(agg.stats().units, 4)

    def test_numpy_stays_optional(self) -> None:
        """The package never imports numpy itself: with numpy made unimportable,
        every buffer path works with the standard library."""
        code = (
            "import sys; sys.modules['numpy'] = None\n"
            "from array import array\n"
            "import ilsprivacy\n"
            "from ilsprivacy import PackedColumn\n"
            "assert len(ilsprivacy.laplace_batch(array('d', [1.0]), 1.0, 1.0)) == 1\n"
            "a = ilsprivacy.Aggregator(1)\n"
            "a.add_batch(PackedColumn.fixed_width(b'abcd', 2), PackedColumn.from_strings(['E', 'W']), counts=array('Q', [1, 2]))\n"
            "t = ilsprivacy.Tokenizer(b'k' * 32).tokenize_column(['1'])\n"
            "assert a.stats().events == 2 and t.width == 64\n"
            "print('ok')\n"
        )
        env = dict(os.environ, PYTHONPATH=str(Path(ilsprivacy.__file__).resolve().parents[1]))
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual((result.returncode, result.stdout.strip()), (0, "ok"), result.stderr)


@unittest.skipIf(np is None and not NUMPY_REQUIRED, "numpy is not importable (pip install numpy)")
class NumpyTest(unittest.TestCase):
    def setUp(self) -> None:
        if np is None:
            self.fail("numpy is required here (ILSP_REQUIRE_NUMPY=1 or CI) but cannot be imported")

    def test_noise_batches(self) -> None:
        x = np.arange(12, dtype=np.float64).reshape(3, 4)
        y = ilsprivacy.laplace_batch(x, 1.0, 1.0)
        self.assertEqual((type(y), y.dtype, y.shape), (np.ndarray, np.float64, (3, 4)))
        self.assertTrue(np.all(np.abs(y - x) < 60))
        self.assertTrue(np.array_equal(x, np.arange(12, dtype=np.float64).reshape(3, 4)), "input unchanged")
        self.assertIs(ilsprivacy.gaussian_batch(x, 1.0, 1.0, 1e-6, out=x), x)
        self.assertFalse(np.array_equal(x, np.arange(12, dtype=np.float64).reshape(3, 4)))
        read_only = np.frombuffer(np.arange(3, dtype=np.float64).tobytes(), dtype=np.float64)
        self.assertFalse(read_only.flags.writeable)
        self.assertEqual(ilsprivacy.laplace_batch(read_only, 1.0, 1.0).shape, (3,))
        z = np.zeros(3)
        spy = Capture(mechanisms._laplace_batch)
        original, mechanisms._laplace_batch = mechanisms._laplace_batch, spy
        try:
            ilsprivacy.laplace_batch(read_only, 1.0, 1.0, out=z)
        finally:
            mechanisms._laplace_batch = original
        self.assertEqual(address(spy.args[0]), read_only.ctypes.data, "read in place")
        self.assertEqual(address(spy.args[4]), z.ctypes.data, "written in place")
        q = ilsprivacy.quantile(np.arange(1000, dtype=np.float64), 0.9, 0.0, 1000.0, 100, 5.0)
        self.assertLess(abs(q - 900.0), 50.0)

    def test_wrong_arrays_are_type_errors(self) -> None:
        x = np.arange(8, dtype=np.float64)
        cases = [
            (x.astype(np.float32), "got float32 (numpy dtype float32); numpy: values.astype(numpy.float64)"),
            (x.astype(np.int64), "got int64"),
            (x.astype(">f8"), "foreign byte order"),
            (x[::2], "must be C-contiguous"),
            (np.asfortranarray(x.reshape(2, 4)), "must be C-contiguous"),
            (x.astype("S8"), "got fixed-width bytes of width 8"),
        ]
        for values, message in cases:
            with self.subTest(message=message), self.assertRaises(TypeError) as ctx:
                ilsprivacy.laplace_batch(values, 1.0, 1.0)
            self.assertIn(message, str(ctx.exception))
        with self.assertRaises(TypeError) as ctx:
            ilsprivacy.laplace_batch(x, 1.0, 1.0, out=np.zeros(8, dtype=np.float32))
        self.assertIn("out must be a buffer of float64", str(ctx.exception))

    def test_aggregator_columns(self) -> None:
        units, parts, counts, values = events(600)
        by_list = ilsprivacy.Aggregator(2, value_bounds=(0, 20), public_partitions=["EAST", "WEST"])
        by_list.add_batch(units, parts, counts=counts, values=values)
        unit_col = np.array(units, dtype="S64")
        part_col = np.array(parts, dtype="S4")
        count_col = np.array(counts, dtype=np.uint64)
        value_col = np.array(values, dtype=np.int64)
        by_numpy = by_list.new_shard()
        spy = Capture(aggregate._add_batch)
        original, aggregate._add_batch = aggregate._add_batch, spy
        try:
            by_numpy.add_batch(unit_col, part_col, counts=count_col, values=value_col)
        finally:
            aggregate._add_batch = original
        self.assertEqual(by_list.to_bytes(), by_numpy.to_bytes())
        self.assertEqual(spy.args[2], unit_col.ctypes.data, "units read in place")
        self.assertEqual(spy.args[4], part_col.ctypes.data, "partitions read in place")
        self.assertEqual(address(spy.args[6]), count_col.ctypes.data, "counts read in place")
        self.assertEqual(address(spy.args[7]), value_col.ctypes.data, "values read in place")
        # An object array (what pandas often gives) is a sequence: converted, and equal.
        by_objects = by_list.new_shard()
        by_objects.add_batch(np.array(units, dtype=object), np.array(parts, dtype=object), counts=count_col)
        by_counts = by_list.new_shard()
        by_counts.add_batch(units, parts, counts=counts)
        self.assertEqual(by_objects.to_bytes(), by_counts.to_bytes())

    def test_aggregator_column_errors(self) -> None:
        agg = ilsprivacy.Aggregator(1)
        e = np.array([b"EAST", b"WEST"])
        cases = [
            (lambda: agg.add_batch(np.array([b"aa", b"b"]), e), ValueError, "units entry 1 is shorter than the column's width 2"),
            (lambda: agg.add_batch(np.array(["aa", "bb"]), e), TypeError, "numpy str array holds UTF-32"),
            (lambda: agg.add_batch(np.array([b"aa", b"bb"]), e, counts=np.array([1, 2])), TypeError,
             "counts must be a buffer of uint64 (numpy dtype uint64); got int64 (numpy dtype int64); numpy: counts.astype(numpy.uint64)"),
            (lambda: agg.add_batch(np.array([b"aa", b"bb"]), e, values=np.array([1, 2], dtype=np.int32)), TypeError,
             "values must be a buffer of int64"),
            (lambda: agg.add_batch(np.array([b"aaaa", b"bbbb", b"cccc"])[::2], e), TypeError, "must be C-contiguous"),
            (lambda: agg.add_batch(np.array([b"aa", b"bb"]), e, counts=np.array([1, 2, 3], dtype=np.uint64)),
             InvalidArgumentError, "counts must have 2 entries, got 3"),
        ]
        for call, error, message in cases:
            with self.subTest(message=message), self.assertRaises(error) as ctx:
                call()
            self.assertIn(message, str(ctx.exception))
        self.assertEqual(agg.stats().events, 0)

    def test_tokens_to_numpy_and_into_the_aggregator(self) -> None:
        t = ilsprivacy.Tokenizer(KEY)
        ids = np.array([b"21234000123456", b"21234000123457"])
        col = t.tokenize_column(ids)
        tokens = col.to_numpy()
        self.assertEqual((tokens.dtype, tokens.shape), (np.dtype("S64"), (2,)))
        self.assertEqual([x.decode() for x in tokens], [t.tokenize(i.decode()) for i in ids])
        agg = ilsprivacy.Aggregator(1, public_partitions=["EAST"])
        agg.add_batch(tokens, np.array([b"EAST", b"EAST"]))
        self.assertEqual(agg.stats().units, 2)


if __name__ == "__main__":
    unittest.main()
