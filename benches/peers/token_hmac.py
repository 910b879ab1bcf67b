#!/usr/bin/env python3
"""Peer timings for benches/token.rs: what ILS pipelines run today, and the
Python binding, on the same IDs and key the Rust benchmark uses.

    python3 benches/peers/token_hmac.py IDS_FILE KEY_HEX

IDS_FILE holds one ID per line (ASCII). Prints one JSON object with the
median nanoseconds per ID over REPEATS runs of the whole list:

- ``python_hmac``: ``hmac.new(key, id.encode(), hashlib.sha256).hexdigest()``
  in a list comprehension (the baseline pipelines use);
- ``binding_batch``: ``ilsprivacy.Tokenizer.tokenize_many(ids)`` (one call);
- ``binding_single``: ``Tokenizer.tokenize(id)`` per ID.

The binding timings are present when the package imports (the benchmark sets
``ILSPRIVACY_LIB`` and puts ``bindings/python`` on the path); it checks the
binding's tokens equal hmac's before timing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
import sys
import time
from pathlib import Path

REPEATS = 15


def median_ns_per_id(fn, n: int) -> float:
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / n)
    return statistics.median(samples)


def main() -> None:
    ids = Path(sys.argv[1]).read_text(encoding="ascii").split("\n")
    ids = [i for i in ids if i]
    key = bytes.fromhex(sys.argv[2])
    n = len(ids)
    new, sha256 = hmac.new, hashlib.sha256
    expected = [new(key, i.encode(), sha256).hexdigest() for i in ids]
    result = {
        "ids": n,
        "python": sys.version.split()[0],
        "python_hmac": median_ns_per_id(lambda: [new(key, i.encode(), sha256).hexdigest() for i in ids], n),
    }
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
    try:
        import ilsprivacy
    except ImportError as exc:  # the library is not built
        result["binding_error"] = str(exc)
    else:
        with ilsprivacy.Tokenizer(key) as t:
            if t.tokenize_many(ids) != expected or [t.tokenize(i) for i in ids[:100]] != expected[:100]:
                raise SystemExit("the binding's tokens differ from hmac's")
            result["binding_batch"] = median_ns_per_id(lambda: t.tokenize_many(ids), n)
            result["binding_single"] = median_ns_per_id(lambda: [t.tokenize(i) for i in ids], n)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
