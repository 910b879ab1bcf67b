#!/usr/bin/env python3
"""Peer timings for benches/token.rs: what ILS pipelines run today, and the
library through ctypes, on the same IDs and key the Rust benchmark uses.

    python3 benches/peers/token_hmac.py IDS_FILE KEY_HEX

IDS_FILE holds one ID per line (ASCII). Prints one JSON object with medians
over REPEATS runs of the whole list, in nanoseconds per ID, measured as this
thread's CPU time (``time.thread_time_ns``) so that other processes on a
shared machine do not inflate them (the wall-clock figure of the baseline is
reported too):

- ``python_hmac``: ``hmac.new(key, id.encode(), hashlib.sha256).hexdigest()``
  in a list comprehension, the code pipelines run today;
- ``library_batch``: one ``ilsp_tokenize_batch`` call on the packed list
  (buffers prepared outside the timing), i.e. the C ABI seen from Python;
- ``binding_batch``: ``ilsprivacy.Tokenizer.tokenize_many(ids)``, packing and
  splitting included;
- ``binding_single``: ``Tokenizer.tokenize(id)`` for each ID.

The library figures are present when the package imports (the benchmark sets
``ILSPRIVACY_LIB`` and puts ``bindings/python`` on the path); the tokens are
checked against hmac's before timing.
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import json
import statistics
import sys
import time
from pathlib import Path

REPEATS = 21


def median_ns_per_id(fn, n: int, clock=time.thread_time_ns, inner: int = 1) -> float:
    samples = []
    for _ in range(REPEATS):
        start = clock()
        for _ in range(inner):
            fn()
        samples.append((clock() - start) / (n * inner))
    return statistics.median(samples)


def main() -> None:
    ids = [i for i in Path(sys.argv[1]).read_text(encoding="ascii").split("\n") if i]
    key = bytes.fromhex(sys.argv[2])
    n = len(ids)
    new, sha256 = hmac.new, hashlib.sha256

    def baseline() -> list:
        return [new(key, i.encode(), sha256).hexdigest() for i in ids]

    expected = baseline()
    result = {
        "ids": n,
        "python": sys.version.split()[0],
        "python_hmac": median_ns_per_id(baseline, n),
        "python_hmac_wall": median_ns_per_id(baseline, n, clock=time.perf_counter_ns),
    }
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
    try:
        import ilsprivacy
        from ilsprivacy import token
    except ImportError as exc:  # the library is not built
        result["binding_error"] = str(exc)
        print(json.dumps(result))
        return
    with ilsprivacy.Tokenizer(key) as t:
        if t.tokenize_many(ids) != expected or [t.tokenize(i) for i in ids[:100]] != expected[:100]:
            raise SystemExit("the binding's tokens differ from hmac's")
        packed = ilsprivacy.PackedColumn.from_strings(ids)
        data = bytes(packed.data)
        offsets = (ctypes.c_size_t * (n + 1)).from_buffer(packed.offsets)
        cap = 64 * n + 1
        out = ctypes.create_string_buffer(cap)
        written = ctypes.c_size_t()

        def library_batch() -> None:
            t._run(lambda h: token._batch(h, None, 0, 0, data, len(data), offsets, n, out, cap, ctypes.byref(written)))

        library_batch()
        if out.raw[: 64 * n].decode() != "".join(expected):
            raise SystemExit("ilsp_tokenize_batch differs from hmac")
        result["library_batch"] = median_ns_per_id(library_batch, n, inner=20)
        result["binding_batch"] = median_ns_per_id(lambda: t.tokenize_many(ids), n)
        result["binding_single"] = median_ns_per_id(lambda: [t.tokenize(i) for i in ids], n)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
