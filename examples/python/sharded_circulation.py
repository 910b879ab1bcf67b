"""Checkouts per branch with differential privacy, aggregated in parallel shards.

Each worker process receives an empty shard of the job (pickled: it carries
the job's configuration and selection key), tokenizes its part of the patron
IDs with HMAC-SHA256 (Python's ``hmac`` gives the same tokens as the
library's tokenizer), bounds every patron's contribution and sends back its
state. The parent merges the states — exactly the state one process would
have built — and releases the table once, charging the budget once.

Run from the repository root after ``cargo build --release``::

    PYTHONPATH=bindings/python python3 examples/python/sharded_circulation.py [EVENTS]

The same pattern works inside Spark, Beam or Dask partitions: ship
``job.new_shard()`` to each partition, return ``shard.to_bytes()``, merge with
``Aggregator.from_bytes`` and release on the driver.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import os
import random
import sys

import ilsprivacy

BRANCHES = ["CENTRAL", "ASHFORD", "BAYSIDE", "CEDAR", "DOVER", "ELMWOOD", "FAIRVIEW", "GLENDALE"]
KEY_VAR = "ILSPRIVACY_TOKEN_KEY"
DEMO_KEY = b"ilsprivacy PUBLIC DEMO KEY - not secret, never use in production"


def token_key() -> tuple[bytes, bool]:
    """The tokenization key from ILSPRIVACY_TOKEN_KEY (hex), or the public demo key."""
    value = os.environ.get(KEY_VAR)
    return (bytes.fromhex(value), False) if value else (DEMO_KEY, True)


def checkouts(n: int, seed: int) -> list[tuple[str, str, int]]:
    """A synthetic export: (patron barcode, branch, items), heavy-tailed patrons."""
    rng = random.Random(seed)
    patrons = max(n // 25, 100)
    weights = [rng.paretovariate(1.3) for _ in range(patrons)]
    home = [rng.choice(BRANCHES) for _ in range(patrons)]
    rows = []
    for p in rng.choices(range(patrons), weights, k=n):
        branch = home[p] if rng.random() < 0.8 else rng.choice(BRANCHES)
        rows.append((f"21234{p:09d}", branch, 1 if rng.random() < 0.85 else rng.randint(2, 5)))
    return rows


def aggregate_shard(args: tuple[ilsprivacy.Aggregator, list[tuple[str, str, int]], bytes]) -> bytes:
    """Worker: tokenize, bound and aggregate one shard; return its state."""
    shard, rows, key = args
    tokens = [hmac.new(key, patron.encode(), hashlib.sha256).hexdigest() for patron, _, _ in rows]
    shard.add_batch(tokens, [b for _, b, _ in rows], counts=[i for _, _, i in rows])
    return shard.to_bytes()


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    key, demo = token_key()
    if demo:
        print(f"tokenizing with the PUBLIC DEMO KEY: set {KEY_VAR} to a secret key (hex) for real data")
    rows = checkouts(events, seed=2025)

    # The job: each patron counts in at most 2 branches (a uniformly random
    # choice among theirs); the branch list is public.
    job = ilsprivacy.Aggregator(2, public_partitions=BRANCHES)
    workers = 4
    parts = [(job.new_shard(), rows[i::workers], key) for i in range(workers)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        states = pool.map(aggregate_shard, parts)
    for state in states:
        job.merge(ilsprivacy.Aggregator.from_bytes(state))

    budget = ilsprivacy.Budget()  # in memory; ilsprivacy.Budget("path.ledger") persists spends
    budget.set_limit("circulation", epsilon=1.0)
    table = job.release(budget, "circulation", max_contributions_per_partition=40, epsilon=0.5)

    # Exact figures go to the operator (standard error, labelled), never
    # into the published output.
    print(f"[operator diagnostic, exact, not for publication] {events:,} checkouts in {workers} shards",
          file=sys.stderr)
    print(f"released at epsilon = {table.epsilon}")
    print(f"each patron counts in at most {table.max_partitions_per_unit} branches, at most "
          f"{table.max_contributions_per_partition} items each; noise scale {table.count_scale:.0f}")
    for row in table.rows:
        print(f"  {row.partition:<10} {row.count:>9,}")
    spent, _ = budget.spent("circulation")
    print(f"budget: epsilon {spent} of 1.0 spent")


if __name__ == "__main__":
    main()
