"""close() racing calls in other threads, for every handle type.

Before the handles were guarded, closing a Budget while another thread was
inside a call corrupted the heap ("malloc(): unaligned tcache chunk
detected", the interpreter aborted), and Tokenizer.tokenize_many racing
close() returned tokens computed from wiped key state, without an error.
Now close() waits for calls in progress, later calls raise
ClosedHandleError, and every call that did run returned the right answer.

Each test repeats the race many times; under valgrind (ILSP_UNDER_VALGRIND=1,
or valgrind's preload library seen in LD_PRELOAD) fewer times, and
ILSP_RACE_ITERATIONS overrides both.
"""

import hashlib
import hmac
import os
import random
import tempfile
import threading
import time
import unittest
from typing import Any, Callable

import ilsprivacy
from ilsprivacy import (
    Aggregator,
    Budget,
    ClosedHandleError,
    ExportSchema,
    Key,
    Tokenizer,
    accountant,
)

KEY = b"library-pipeline-key-0123456789!"


def _under_valgrind() -> bool:
    return os.environ.get("ILSP_UNDER_VALGRIND") == "1" or "vgpreload" in os.environ.get("LD_PRELOAD", "")


ITERATIONS = int(os.environ.get("ILSP_RACE_ITERATIONS", "0")) or (4 if _under_valgrind() else 60)
WORKERS = 3
#: Batch sizes (smaller under valgrind, which runs the code ~50 times slower).
SCALE = 10 if _under_valgrind() else 1


def compat(ident: str, key: bytes = KEY) -> str:
    return hmac.new(key, ident.encode(), hashlib.sha256).hexdigest()


class Race:
    """Runs ``call(handle)`` in WORKERS threads until the handle is closed
    under them, ITERATIONS times, and collects anything but the expected
    ClosedHandleError."""

    def __init__(self, test: unittest.TestCase) -> None:
        self.test = test

    def run(
        self,
        make: Callable[[], Any],
        call: Callable[[Any], None],
        close: Callable[[Any], None] = lambda h: h.close(),
    ) -> int:
        """Returns how many calls completed (all of them checked by ``call``)."""
        completed = 0
        for i in range(ITERATIONS):
            handle = make()
            start = threading.Barrier(WORKERS + 1)
            failures: list[BaseException] = []
            done = [0] * WORKERS

            def worker(slot: int) -> None:
                start.wait()
                while True:
                    try:
                        call(handle)
                    except ClosedHandleError:
                        return
                    except BaseException as e:  # noqa: BLE001 - reported below
                        failures.append(e)
                        return
                    done[slot] += 1

            threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
            for t in threads:
                t.start()
            start.wait()
            # Close at a random moment, usually while calls are running.
            time.sleep(random.random() * 0.004 * (i % 3))
            close(handle)
            for t in threads:
                t.join(timeout=120)
                self.test.assertFalse(t.is_alive(), "a call did not return after close()")
            if failures:
                raise failures[0]
            completed += sum(done)
            # After close: a clear exception, and closing again is harmless.
            with self.test.assertRaises(ClosedHandleError):
                call(handle)
            close(handle)
        return completed


class CloseRaceTest(unittest.TestCase):
    def setUp(self) -> None:
        self.race = Race(self)

    def test_tokenize_many_never_returns_tokens_of_a_wiped_key(self) -> None:
        ids = [f"2123400{n:07d}" for n in range(2000 // SCALE)]
        expected = [compat(i) for i in ids]

        def call(t: Tokenizer) -> None:
            got = t.tokenize_many(ids)
            if got != expected:
                raise AssertionError("tokenize_many returned wrong tokens")

        self.race.run(lambda: Tokenizer(KEY), call)

    def test_every_tokenizer_call(self) -> None:
        ident = "21234000123456"
        expected = compat(ident)

        def call(t: Tokenizer) -> None:
            if t.tokenize(ident) != expected:
                raise AssertionError("tokenize returned a wrong token")
            v1 = t.tokenize_versioned(ident)
            if not t.verify(v1, ident) or t.lookup(["x", v1], ident) != 1:
                raise AssertionError("verify/lookup disagree")
            if t.key_ids != ["k1"] or t.active_key_id != "k1":
                raise AssertionError("ring changed")
            if t.bridge([ident], from_key=None, to_key=None, to_kind="compat") != [(expected, expected)]:
                raise AssertionError("bridge returned wrong tokens")
            t.tokenize_address("12 Main Street")
            t.set_format("base32", 128)
            if t.token_len("compat") != 64:
                raise AssertionError("token_len")

        self.race.run(lambda: Tokenizer(KEY), call)

    def test_keys_closed_under_derivation_and_tokenizer_construction(self) -> None:
        expected = Tokenizer(Key.from_bytes(KEY)).tokenize("x")

        def call(k: Key) -> None:
            k.derive("branch-7", "patron_id").close()
            with Tokenizer(k, key_id="k1") as t:
                if t.tokenize("x") != expected:
                    raise AssertionError("a tokenizer was built from a wiped key")
            with Tokenizer(KEY) as t:
                t.add_key("k2", k)

        self.race.run(lambda: Key.from_bytes(KEY), call)

    def test_export_schemas_and_their_tokenizer(self) -> None:
        schema_json = {"fields": {"patron_id": {"rule": "tokenize", "kind": "compat"}, "branch": {"rule": "keep"}}}
        record = {"patron_id": "21234000123456", "branch": "Main"}
        expected = compat("21234000123456")
        tokenizer = Tokenizer(KEY)

        def call(s: ExportSchema) -> None:
            out = s.apply(tokenizer, record)
            if out.quarantined or out.record["patron_id"] != expected:
                raise AssertionError("wrong export")

        def call_with(s: ExportSchema, t: Tokenizer) -> None:
            out = s.apply(t, record)
            if out.record["patron_id"] != expected:
                raise AssertionError("wrong export")

        self.race.run(lambda: ExportSchema(schema_json), call)
        # The tokenizer closed under a schema's call.
        schema = ExportSchema(schema_json)
        self.race.run(lambda: Tokenizer(KEY), lambda t: call_with(schema, t))
        tokenizer.close()
        schema.close()

    def test_budgets_in_memory_and_on_disk(self) -> None:
        def make_memory() -> Budget:
            b = Budget()
            b.set_limit("a", epsilon=1e6)
            return b

        def call(b: Budget) -> None:
            b.spend("a", epsilon=0.001)
            b.laplace("a", 10.0, 1.0, 0.001)
            b.spent("a")
            b.remaining("a")
            b.recent_events()

        self.race.run(make_memory, call)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "race.ledger")

            def make_file() -> Budget:
                b = Budget(path)
                b.set_limit("a", epsilon=1e6)
                return b

            self.race.run(make_file, lambda b: (b.spend("a", epsilon=0.001), b.spent("a")))
            # The ledger is intact after all those closes mid-call.
            entries, _ = Budget.verify_ledger(path)
            self.assertGreater(entries, 0)

    def test_accountants(self) -> None:
        def call(a: accountant.Accountant) -> None:
            a.add_pure_dp(0.01)
            a.add_noise(accountant.NOISE_GAUSSIAN, 1.0, 10.0, 3)
            a.epsilon(1e-6, accountant.ACCOUNTING_ZCDP)

        self.race.run(accountant.Accountant, call)

    def test_aggregators_and_the_budget_they_release_against(self) -> None:
        units = [f"u{n}" for n in range(500 // SCALE)]
        parts = ["EAST" if n % 2 else "WEST" for n in range(500 // SCALE)]

        def make() -> Aggregator:
            return Aggregator(1, public_partitions=["EAST", "WEST"])

        def call(a: Aggregator) -> None:
            a.add_batch(units, parts)
            a.add("u1", "EAST")
            a.stats()
            Aggregator.from_bytes(a.to_bytes()).close()
            a.new_shard().close()

        self.race.run(make, call)

        agg = make()
        agg.add_batch(units, parts)

        def make_budget() -> Budget:
            b = Budget()
            b.set_limit("a", epsilon=1e6)
            return b

        def release(b: Budget) -> None:
            table = agg.release(b, "a", max_contributions_per_partition=1, epsilon=1.0)
            if [r.partition for r in table.rows] != ["EAST", "WEST"]:
                raise AssertionError("wrong table")

        self.race.run(make_budget, release)
        agg.close()


class GuardTest(unittest.TestCase):
    def test_close_waits_for_a_call_in_progress(self) -> None:
        n = 200_000 // SCALE
        ids = [f"id-{i}" for i in range(n)]
        t = Tokenizer(KEY)
        result: list[Any] = []
        worker = threading.Thread(target=lambda: result.append(t.tokenize_many(ids)))
        worker.start()
        while not t._users and worker.is_alive():  # the call holds the handle
            time.sleep(0)
        t.close()  # returns only after the batch is done
        worker.join()
        self.assertEqual(len(result), 1)
        self.assertEqual(result[0][0], compat("id-0"))
        self.assertEqual(result[0][-1], compat(f"id-{n - 1}"))
        with self.assertRaisesRegex(ClosedHandleError, "the tokenizer is closed"):
            t.tokenize("x")

    def test_exclusive_handles_serialise_concurrent_calls(self) -> None:
        with accountant.Accountant() as a:
            threads = [
                threading.Thread(target=lambda: [a.add_pure_dp(0.01) for _ in range(100)]) for _ in range(4)
            ]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            self.assertAlmostEqual(a.epsilon(1e-6, accountant.ACCOUNTING_BASIC), 4.0, places=9)

    def test_every_handle_type_raises_after_close(self) -> None:
        budget = Budget()
        handles: list[tuple[Any, Callable[[Any], Any]]] = [
            (Key.from_bytes(KEY), lambda k: k.derive("t", "p")),
            (Tokenizer(KEY), lambda t: t.tokenize("x")),
            (ExportSchema({"fields": {}}), lambda s: s.apply(Tokenizer(KEY), {})),
            (budget, lambda b: b.spent("a")),
            (accountant.Accountant(), lambda a: a.epsilon(1e-6)),
            (Aggregator(1), lambda a: a.stats()),
        ]
        for handle, call in handles:
            with self.subTest(kind=type(handle).__name__):
                handle.close()
                handle.close()
                self.assertTrue(handle.closed)
                with self.assertRaisesRegex(ClosedHandleError, "is closed"):
                    call(handle)
                self.assertIsInstance(ClosedHandleError("x"), ValueError)
        # A closed budget or key passed to another object's call raises too.
        with self.assertRaises(ClosedHandleError):
            Aggregator(1).release(budget, "a", max_contributions_per_partition=1, epsilon=1.0)
        key = Key.generate()
        key.close()
        with self.assertRaises(ClosedHandleError):
            Tokenizer(key)
        self.assertEqual(repr(key), "Key(<closed>)")
        self.assertIn("ClosedHandleError", ilsprivacy.__all__)


if __name__ == "__main__":
    unittest.main()
