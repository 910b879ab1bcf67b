"""Runs the Python binding's tests for the memcheck pass of scripts/test-all.sh,
minus the tests listed in SKIP, each with the reason it adds nothing under
memcheck that another memcheck run does not already cover. Fails if a listed
test no longer exists (so the list cannot silently go stale), and prints
every skipped test with its reason.

    python3 scripts/valgrind/python_tests.py bindings/python/tests
"""

import os
import sys
import unittest

SKIP = {
    # 10,000 IDs (one of 1 MiB) hashed by CPython's hmac as the reference and
    # by the library one by one and in one batch: about two minutes of
    # interpreter work under memcheck. The library runs the same vectors,
    # single and batch, under memcheck in examples/c/tokenize.c
    # (ILSP_TOKEN_VECTORS); the binding's single and batch paths stay covered
    # here by the other token tests (VersionedTokenTest, RotationTest,
    # ConcurrencyTest with 2,000 IDs in four threads).
    "test_token.PythonHmacVectorsTest": "same vectors under memcheck in examples/c/tokenize.c",
    # Releases racing close(): each release builds its exact samplers' tables
    # with big integers, which memcheck runs two orders of magnitude slower
    # (about two minutes for this one test). The race itself runs natively
    # (60 rounds); under memcheck the close guard is exercised by the other
    # race tests, and an aggregator release by examples/c/aggregate.c.
    "test_close_races.CloseRaceTest.test_aggregators_and_the_budget_they_release_against": (
        "natively 60 rounds; release under memcheck in examples/c/aggregate.c"
    ),
}


def flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from flatten(item)
        else:
            yield item


def main() -> int:
    start = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "tests")
    sys.path.insert(0, os.path.dirname(start))  # the package next to its tests, as with -m unittest
    everything = list(flatten(unittest.defaultTestLoader.discover(start)))
    kept, used = [], set()
    for test in everything:
        match = next((p for p in SKIP if test.id() == p or test.id().startswith(p + ".")), None)
        if match:
            used.add(match)
        else:
            kept.append(test)
    stale = set(SKIP) - used
    if stale:
        print(f"python_tests.py: SKIP names tests that do not exist: {sorted(stale)}", file=sys.stderr)
        return 1
    for pattern in sorted(used):
        print(f"skipped under memcheck: {pattern} ({SKIP[pattern]})")
    result = unittest.TextTestRunner(verbosity=1).run(unittest.TestSuite(kept))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
