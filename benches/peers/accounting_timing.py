"""Times Google's dp_accounting 0.6.0 on the workloads of benches/accountant.rs.

    python3 -m venv /tmp/dpacc && /tmp/dpacc/bin/pip install dp-accounting==0.6.0
    /tmp/dpacc/bin/python benches/peers/accounting_timing.py

Prints the median of repeated runs (seconds and milliseconds) per workload.
"""

import statistics
import time

from dp_accounting import dp_event
from dp_accounting.pld import privacy_loss_distribution as pld_lib
from dp_accounting.pld.pld_privacy_accountant import PLDAccountant
from dp_accounting.rdp.rdp_privacy_accountant import RdpAccountant


def median_ms(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def pld_gaussians():
    acc = PLDAccountant()
    acc.compose(dp_event.GaussianDpEvent(10.0), 1000)
    return acc.get_epsilon(1e-6)


def pld_gaussians_fft():
    single = pld_lib.from_gaussian_mechanism(10.0, value_discretization_interval=1e-4)
    return single.self_compose(1000).get_epsilon_for_delta(1e-6)


def pld_laplace():
    acc = PLDAccountant()
    acc.compose(dp_event.LaplaceDpEvent(10.0), 100)
    return acc.get_epsilon(1e-6)


def pld_laplace_b3_1e9():
    acc = PLDAccountant()
    acc.compose(dp_event.LaplaceDpEvent(3.0), 37)
    return acc.get_epsilon(1e-9)


def rdp_gaussians():
    acc = RdpAccountant()
    acc.compose(dp_event.GaussianDpEvent(10.0), 1000)
    return acc.get_epsilon(1e-6)


def rdp_laplace():
    acc = RdpAccountant()
    acc.compose(dp_event.LaplaceDpEvent(10.0), 100)
    return acc.get_epsilon(1e-6)


def main():
    for name, fn, repeats in [
        ("pld_1000_gaussians_epsilon", pld_gaussians, 15),
        ("pld_1000_gaussians_fft_self_compose", pld_gaussians_fft, 7),
        ("pld_100_laplace_epsilon", pld_laplace, 15),
        ("pld_37_laplace_b3_epsilon_1e-9", pld_laplace_b3_1e9, 15),
        ("rdp_1000_gaussians_epsilon", rdp_gaussians, 15),
        ("rdp_100_laplace_epsilon", rdp_laplace, 15),
    ]:
        print(f"dp_accounting {name}: median {median_ms(fn, repeats):.3f} ms, value {float(fn())!r}")


if __name__ == "__main__":
    main()
