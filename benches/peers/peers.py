"""Peer comparison for the noise benchmarks: numpy's (float, not private-safe)
vectorised Laplace/normal, OpenDP's exact make_laplace/make_gaussian, and this
library's batch mechanisms through the C ABI, timed in the same process.

Setup (pinned versions):

    python3 -m venv /tmp/peers-venv
    /tmp/peers-venv/bin/pip install -r benches/peers/requirements.txt
    cargo build --release
    /tmp/peers-venv/bin/python benches/peers/peers.py

Prints the median time per sample (ns) of each, over repeated runs, and the
ratios. Single-core: numpy and OpenDP run one thread here.
"""

from __future__ import annotations

import ctypes
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
LIB = os.environ.get("ILSPRIVACY_LIB", str(ROOT / "target" / "release" / "libilsprivacy.so"))
N = int(os.environ.get("PEERS_N", "1000000"))  # elements per vectorised call
N_OPENDP = 2_000  # OpenDP is ~1e4 times slower per element
REPEATS = 15


def median_ns_per_sample(fn, n: int, repeats: int = REPEATS) -> float:
    fn()  # warm-up (and one-time calibration)
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - start) / n)
    return statistics.median(times)


def main() -> None:
    results: dict[str, float] = {}
    rng = np.random.default_rng(1)
    buf = np.zeros(N)
    results["numpy laplace (unsafe floats)"] = median_ns_per_sample(
        lambda: rng.laplace(0.0, 1.0, size=N), N
    )
    results["numpy normal (unsafe floats)"] = median_ns_per_sample(
        lambda: rng.normal(0.0, 1.0, size=N), N
    )

    lib = ctypes.CDLL(LIB)
    dptr = ctypes.POINTER(ctypes.c_double)
    lib.ilsp_laplace_batch.argtypes = [dptr, ctypes.c_size_t, ctypes.c_double, ctypes.c_double, dptr]
    lib.ilsp_laplace_batch.restype = ctypes.c_int32
    lib.ilsp_laplace.argtypes = [ctypes.c_double, ctypes.c_double, ctypes.c_double, dptr]
    lib.ilsp_laplace.restype = ctypes.c_int32
    values = np.arange(N, dtype=np.float64) * 0.37
    out = np.zeros(N)
    vp = values.ctypes.data_as(dptr)
    op = out.ctypes.data_as(dptr)

    def ilsp_batch() -> None:
        assert lib.ilsp_laplace_batch(vp, N, 1.0, 1.0, op) == 0

    results["ilsprivacy ilsp_laplace_batch (exact)"] = median_ns_per_sample(ilsp_batch, N)

    lib.ilsp_gaussian_batch.argtypes = [
        dptr, ctypes.c_size_t, ctypes.c_double, ctypes.c_double, ctypes.c_double, dptr
    ]
    lib.ilsp_gaussian_batch.restype = ctypes.c_int32

    def ilsp_gauss_batch() -> None:
        assert lib.ilsp_gaussian_batch(vp, N, 1.0, 1.0, 1e-6, op) == 0

    results["ilsprivacy ilsp_gaussian_batch (exact)"] = median_ns_per_sample(ilsp_gauss_batch, N)

    try:
        import opendp.prelude as dp

        dp.enable_features("contrib")
        lap = dp.m.make_laplace(
            dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float), scale=1.0
        )
        gau = dp.m.make_gaussian(
            dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float), scale=1.0
        )
        data = [float(i) * 0.37 for i in range(N_OPENDP)]
        results["opendp make_laplace (exact)"] = median_ns_per_sample(lambda: lap(data), N_OPENDP, 5)
        results["opendp make_gaussian (exact)"] = median_ns_per_sample(lambda: gau(data), N_OPENDP, 5)
    except ImportError as exc:  # pragma: no cover - reported
        print(f"opendp not available: {exc}", file=sys.stderr)

    for name, ns in results.items():
        print(f"{name:45s} {ns:12.1f} ns/sample")
    ours = results["ilsprivacy ilsp_laplace_batch (exact)"]
    print(f"ratio ilsprivacy / numpy laplace: {ours / results['numpy laplace (unsafe floats)']:.2f}")
    gauss = results["ilsprivacy ilsp_gaussian_batch (exact)"]
    print(f"ratio ilsprivacy / numpy normal: {gauss / results['numpy normal (unsafe floats)']:.2f}")
    if "opendp make_laplace (exact)" in results:
        print(f"ratio opendp / ilsprivacy laplace: {results['opendp make_laplace (exact)'] / ours:.0f}")
        print(f"ratio opendp / ilsprivacy gaussian: {results['opendp make_gaussian (exact)'] / gauss:.0f}")


if __name__ == "__main__":
    main()
