"""Tests of the streaming aggregator through the real library."""

import multiprocessing
import os
import pickle
import random
import subprocess
import sys
import threading
import unittest
from pathlib import Path

import ilsprivacy
from ilsprivacy import errors

BRANCHES = ["EAST", "WEST", "NORTH"]


def _events(n, seed):
    rng = random.Random(seed)
    return [
        (f"token-{rng.randrange(40)}", rng.choice(BRANCHES + ["SOUTH"]), rng.randrange(4), rng.randrange(-5, 30))
        for _ in range(n)
    ]


def _aggregate_shard(args):
    """Worker: fill a shard (received pickled) and send its state back."""
    shard, events = args
    units, partitions, counts, values = zip(*events) if events else ((), (), (), ())
    shard.add_batch(list(units), list(partitions), list(counts), list(values))
    return shard.to_bytes()


class AggregatorTest(unittest.TestCase):
    def make(self):
        return ilsprivacy.Aggregator(2, value_bounds=(0, 20), public_partitions=BRANCHES)

    def test_add_and_batch_agree(self):
        events = _events(500, 1)
        one = self.make()
        for unit, partition, count, value in events:
            one.add(unit, partition, count, value)
        batch = one.new_shard()
        units, partitions, counts, values = map(list, zip(*events))
        batch.add_batch(units, partitions, counts, values)
        self.assertEqual(one.to_bytes(), batch.to_bytes())
        stats = one.stats()
        self.assertEqual(stats.events, 500)
        self.assertGreater(stats.events_outside_public_partitions, 0)
        self.assertEqual(stats.partitions, 3)

    def test_bytes_and_str_keys_are_the_same_unit(self):
        a = ilsprivacy.Aggregator(1)
        a.add("patrón", "EAST")
        a.add("patrón".encode("utf-8"), b"EAST", count=2)
        self.assertEqual(a.stats().units, 1)

    def test_sharded_with_multiprocessing_equals_whole(self):
        events = _events(3000, 2)
        whole = self.make()
        for e in events:
            whole.add(*e)
        chunks = [events[i::4] for i in range(4)]
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            states = pool.map(_aggregate_shard, [(whole.new_shard(), c) for c in chunks])
        merged = whole.new_shard()
        for state in states:
            merged.merge(ilsprivacy.Aggregator.from_bytes(state))
        self.assertEqual(merged.to_bytes(), whole.to_bytes())
        self.assertEqual(merged.stats(), whole.stats())

    def test_pickle_round_trip(self):
        a = self.make()
        a.add("t", "EAST", 3, 7)
        b = pickle.loads(pickle.dumps(a))
        self.assertEqual(a.to_bytes(), b.to_bytes())

    def test_threads_can_share_one_aggregator(self):
        a = ilsprivacy.Aggregator(3)
        events = _events(2000, 3)

        def work(part):
            for e in part:
                a.add(*e)

        threads = [threading.Thread(target=work, args=(events[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        whole = a.new_shard()
        for e in events:
            whole.add(*e)
        self.assertEqual(a.to_bytes(), whole.to_bytes())

    def test_errors(self):
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, r"max_partitions_per_unit must be in \[1, 65536\], got 0"):
            ilsprivacy.Aggregator(0)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "lo must be <= hi, got lo = 5 > hi = 1"):
            ilsprivacy.Aggregator(1, value_bounds=(5, 1))
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "public_partitions key 1 repeats key 0"):
            ilsprivacy.Aggregator(1, public_partitions=["A", "A"])
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "public_partitions must not be empty"):
            ilsprivacy.Aggregator(1, public_partitions=[])
        a = ilsprivacy.Aggregator(1)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "unit must not be empty"):
            a.add("", "EAST")
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, r"partition must not be empty \(event 1 of the batch\)"):
            a.add_batch(["x", "y"], ["EAST", ""])
        self.assertEqual(a.stats().events, 0, "a failed batch adds nothing")
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "partitions must have 2 entries, got 1"):
            a.add_batch(["x", "y"], ["EAST"])
        with self.assertRaises(TypeError):
            a.add(12, "EAST")
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "selection key"):
            a.merge(ilsprivacy.Aggregator(1))
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "bad magic"):
            ilsprivacy.Aggregator.from_bytes(b"not a state")
        with self.assertRaises(ilsprivacy.InvalidArgumentError) as ctx:
            a.merge(a)
        self.assertEqual(ctx.exception.status, errors.ILSP_ERR_INVALID_ARGUMENT)

    def test_release_charges_once_and_refuses_overspend(self):
        agg = self.make()
        for i in range(400):
            agg.add(f"t{i}", BRANCHES[i % 3], 1, 10)
        budget = ilsprivacy.Budget()
        budget.set_limit("reports", epsilon=1.0)
        table = agg.release(budget, "reports", max_contributions_per_partition=2, epsilon=0.5, sum_epsilon=0.25)
        self.assertEqual([r.partition for r in table.rows], BRANCHES)
        self.assertTrue(all(r.count >= 0 and r.sum is not None for r in table.rows))
        self.assertAlmostEqual(sum(r.count for r in table.rows), 400, delta=150)
        self.assertEqual((table.epsilon, table.delta), (0.75, 0.0))
        self.assertEqual(table.max_partitions_per_unit, 2)
        self.assertGreaterEqual(table.count_scale, 8.0)  # L0 * Linf / epsilon = 4 / 0.5
        self.assertIsNone(table.selection_threshold)
        self.assertEqual(budget.spent("reports"), (0.75, 0.0))
        with self.assertRaises(ilsprivacy.BudgetExhaustedError):
            agg.release(budget, "reports", max_contributions_per_partition=2, epsilon=0.5)
        self.assertEqual(budget.spent("reports"), (0.75, 0.0), "a refused release records nothing")

    def test_partition_selection_and_suppression(self):
        agg = ilsprivacy.Aggregator(1)
        for i in range(500):
            agg.add(f"t{i}", "book")
        agg.add("lonely", "microfilm")
        budget = ilsprivacy.Budget()
        budget.set_limit("reports", epsilon=5.0, delta=1e-5)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "needs partition selection"):
            agg.release(budget, "reports", max_contributions_per_partition=1, epsilon=0.5)
        table = agg.release(
            budget, "reports", max_contributions_per_partition=1, epsilon=0.5, selection=(0.5, 1e-6), suppress_below=1000
        )
        self.assertEqual([r.partition for r in table.rows], ["book"])
        self.assertEqual(table.rows[0].count, None, "500 < 1000: withheld")
        self.assertGreater(table.selection_threshold, 1)
        self.assertEqual((table.epsilon, table.delta), (1.0, 1e-6))

    def test_gaussian_needs_a_zcdp_account(self):
        agg = self.make()
        agg.add("t", "EAST")
        budget = ilsprivacy.Budget()
        budget.set_composition("z", ilsprivacy.COMPOSITION_ZCDP)
        budget.set_limit_rho("z", 1.0)
        table = agg.release(budget, "z", max_contributions_per_partition=3, rho=0.5)
        self.assertEqual(table.rho, 0.5)
        self.assertEqual(len(table.rows), 3)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "exactly one of epsilon"):
            agg.release(budget, "z", max_contributions_per_partition=3, epsilon=0.1, rho=0.1)

    def test_sharded_example_runs(self):
        root = Path(__file__).resolve().parents[3]
        env = dict(os.environ, PYTHONPATH=str(root / "bindings" / "python"))
        env.pop("ILSPRIVACY_TOKEN_KEY", None)
        out = subprocess.run(
            [sys.executable, str(root / "examples" / "python" / "sharded_circulation.py"), "4000"],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        ).stdout
        self.assertIn("PUBLIC DEMO KEY", out)
        self.assertIn("released at epsilon = 0.5", out)
        self.assertIn("CENTRAL", out)

    def test_close(self):
        a = ilsprivacy.Aggregator(1)
        with a:
            a.add("t", "P")
        with self.assertRaisesRegex(ValueError, "closed"):
            a.add("t", "P")
        a.close()  # twice is fine
        self.assertIn("closed", repr(a))


if __name__ == "__main__":
    unittest.main()
