"""Reference values for the accountant's tests, computed with Google's
dp_accounting 0.6.0 (an independent implementation).

    python3 -m venv /tmp/dpacc && /tmp/dpacc/bin/pip install dp-accounting==0.6.0
    /tmp/dpacc/bin/python benches/peers/accounting_reference.py
    /tmp/dpacc/bin/python benches/peers/accounting_reference.py sampled   # sampled events only

The printed values are recorded, with this command, in the comments of
tests/accountant_reference.rs. Nothing here is imported by the library.
"""

import math

import dp_accounting
from dp_accounting import dp_event
from dp_accounting.pld import accountant as pld_accountant
from dp_accounting.pld import common
from dp_accounting.rdp import rdp_privacy_accountant as rdp_module
from dp_accounting.rdp.rdp_privacy_accountant import RdpAccountant
from dp_accounting.pld.pld_privacy_accountant import PLDAccountant


def pld_epsilon(event, count, delta, relation=None):
    acc = PLDAccountant() if relation is None else PLDAccountant(relation)
    acc.compose(event, count)
    return acc.get_epsilon(delta)


def pld_delta(event, count, epsilon):
    acc = PLDAccountant()
    acc.compose(event, count)
    return acc.get_delta(epsilon)


def rdp_epsilon(event, count, delta):
    acc = RdpAccountant()
    acc.compose(event, count)
    return acc.get_epsilon(delta)


def main():
    from importlib.metadata import version
    print(f"dp_accounting {version('dp-accounting')}")
    g = dp_event.GaussianDpEvent(noise_multiplier=10.0)
    print(f"gaussian sigma/sens=10 k=1000 delta=1e-6 PLD eps = {pld_epsilon(g, 1000, 1e-6)!r}")
    print(f"gaussian sigma/sens=10 k=1000 delta=1e-6 RDP eps = {rdp_epsilon(g, 1000, 1e-6)!r}")
    print(f"gaussian sigma/sens=10 k=1000 eps=10 PLD delta = {pld_delta(g, 1000, 10.0)!r}")
    print(f"gaussian sigma/sens=1 k=1 delta=1e-5 exact eps = "
          f"{dp_accounting.get_epsilon_gaussian(1.0, 1e-5)!r}")

    lap = dp_event.LaplaceDpEvent(noise_multiplier=10.0)  # epsilon = 0.1
    print(f"laplace eps=0.1 k=100 delta=1e-6 PLD eps = {pld_epsilon(lap, 100, 1e-6)!r}")
    print(f"laplace eps=0.1 k=100 delta=1e-6 RDP eps = {rdp_epsilon(lap, 100, 1e-6)!r}")
    lap3 = dp_event.LaplaceDpEvent(noise_multiplier=3.0)  # epsilon = 1/3
    print(f"laplace b=3 k=37 delta=1e-9 PLD eps = {pld_epsilon(lap3, 37, 1e-9)!r}")
    kov = pld_accountant.advanced_composition(
        common.DifferentialPrivacyParameters(0.1, 0.0), 100, 1e-6)
    print(f"laplace eps=0.1 k=100 delta=1e-6 KOV (staircase) eps = {kov!r}")
    drv = math.sqrt(2 * 100 * math.log(1 / 1e-6)) * 0.1 + 100 * 0.1 * math.expm1(0.1)
    print(f"laplace eps=0.1 k=100 delta=1e-6 DRV advanced eps = {drv!r}")
    kov2 = pld_accountant.advanced_composition(
        common.DifferentialPrivacyParameters(0.5, 1e-7), 30, 1e-5)
    print(f"pure eps=0.5 delta0=1e-7 k=30 total delta=1e-5 KOV (staircase) eps = {kov2!r}")

    for eps in (0.1, 1.0, 5.0):
        vals = [rdp_module._laplace_rdp(eps, a) for a in (1.5, 2.0, 10.0, 63.0, 1024.0)]
        print(f"laplace RDP eps={eps} at orders 1.5,2,10,63,1024 = {vals!r}")

    dlap = dp_event.DiscreteLaplaceDpEvent(noise_parameter=0.2, sensitivity=2)
    print(f"discrete laplace t=5 (param 0.2) sens=2 k=50 delta=1e-6 PLD eps = "
          f"{pld_epsilon(dlap, 50, 1e-6)!r}")
    # p = 0.5 of answering uniformly at random over 4 buckets: epsilon = ln 5.
    rr = dp_event.RandomizedResponseDpEvent(noise_parameter=0.5, num_buckets=4)
    replace_one = dp_accounting.NeighboringRelation.REPLACE_ONE
    # dp_accounting 0.6.0's PLDAccountant ignores `count` for randomized
    # response (it composes the event once), so compose it 20 times by hand.
    acc = PLDAccountant(replace_one)
    for _ in range(20):
        acc.compose(rr)
    print(f"randomized response eps=ln5 4 buckets x20 delta=1e-6 PLD eps = "
          f"{acc.get_epsilon(1e-6)!r} (count ignored by dp_accounting: "
          f"{pld_epsilon(rr, 20, 1e-6, replace_one)!r})")

    sampled()


# Poisson-sampled Gaussian and Laplace (add/remove one unit): (q, sigma or b
# per unit of sensitivity, k releases, delta). dp_accounting's RDP accountant
# handles Poisson-sampled Gaussians only; its PLD accountant both.
SAMPLED_GAUSSIAN = [
    (0.01, 1.0, 1000, 1e-5),
    (0.001, 0.8, 10000, 1e-6),
    (0.1, 2.0, 100, 1e-5),
    (0.05, 1.5, 500, 1e-6),
    (0.02, 4.0, 5000, 1e-5),
]
SAMPLED_LAPLACE = [
    (0.01, 1.0, 1000, 1e-5),
    (0.1, 5.0, 100, 1e-6),
]


def sampled():
    for q, sigma, k, delta in SAMPLED_GAUSSIAN:
        e = dp_event.PoissonSampledDpEvent(q, dp_event.GaussianDpEvent(sigma))
        print(f"poisson gaussian q={q} sigma={sigma} k={k} delta={delta} "
              f"RDP eps = {float(rdp_epsilon(e, k, delta))!r} PLD eps = {float(pld_epsilon(e, k, delta))!r}")
    for q, b, k, delta in SAMPLED_LAPLACE:
        e = dp_event.PoissonSampledDpEvent(q, dp_event.LaplaceDpEvent(b))
        print(f"poisson laplace q={q} b={b} k={k} delta={delta} "
              f"PLD eps = {float(pld_epsilon(e, k, delta))!r}")


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["sampled"]:
        sampled()
    else:
        main()
