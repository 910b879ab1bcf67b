"""Continual release and amplification by sampling through the real library."""

import unittest

import ilsprivacy
from ilsprivacy import accountant as acct
from ilsprivacy.continual import Counter


class CounterTest(unittest.TestCase):
    def test_one_charge_for_all_periods(self) -> None:
        budget = ilsprivacy.Budget()
        budget.set_limit("circ", 1.0, 0.0)
        with Counter.laplace(periods=12, sensitivity=2, epsilon=0.5) as monthly:
            bound = monthly.error_bound(0.05)
            self.assertGreater(bound, 0)
            monthly.start(budget, "circ")
            self.assertEqual(budget.spent("circ"), (0.5, 0.0))
            totals = [monthly.push(100) for _ in range(12)]
            self.assertEqual(len(totals), 12)
            # Twelve periods only; the charge stays one.
            with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "periods"):
                monthly.push(1)
            with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "counter"):
                monthly.start(budget, "circ")
        self.assertEqual(budget.spent("circ"), (0.5, 0.0))
        # A counter that does not fit is refused and charges nothing.
        with Counter.laplace(12, 2, 0.6) as again:
            with self.assertRaises(ilsprivacy.BudgetExhaustedError):
                again.start(budget, "circ")
        self.assertEqual(budget.spent("circ"), (0.5, 0.0))

    def test_zcdp_counter_and_bad_input(self) -> None:
        budget = ilsprivacy.Budget()
        budget.set_composition("z", ilsprivacy.Composition.ZCDP)
        budget.set_limit_rho("z", 0.5)
        c = Counter.gaussian(120, 1, 0.05)
        c.start(budget, "z")
        self.assertAlmostEqual(budget.spent_rho("z"), 0.05)
        c.push(3)
        c.close()
        with self.assertRaises(ilsprivacy.ClosedHandleError):
            c.push(1)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "periods"):
            Counter.laplace(0, 1, 1.0)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "rho"):
            Counter.gaussian(10, 1, float("nan"))
        with self.assertRaises(TypeError):
            Counter.laplace(10, 1.5, 1.0)  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            Counter.laplace(10, 2**63, 1.0)


class SampledAccountingTest(unittest.TestCase):
    def test_sampled_gaussian_matches_dp_accounting(self) -> None:
        # dp_accounting 0.6.0 RDP: 2.101366525420273 (benches/peers/accounting_reference.py sampled).
        with acct.Accountant() as a:
            a.add_sampled_noise(acct.NOISE_GAUSSIAN, 1.0, 1.0, 0.01, 1000)
            eps = a.epsilon(1e-5, acct.ACCOUNTING_RDP)
        self.assertTrue(2.101366525420273 <= eps <= 2.101366525420273 * 1.01, eps)
        sigma = acct.plan_sampled_noise_scale(acct.NOISE_GAUSSIAN, 1.0, 0.01, 1000, 2.0, 1e-5)
        self.assertTrue(0.9 < sigma < 1.1, sigma)
        scale = acct.plan_sampled_noise_scale(acct.NOISE_LAPLACE, 1.0, 0.01, 1000, 2.0, 1e-5)
        unsampled = acct.plan_noise_scale(acct.NOISE_LAPLACE, 1.0, 1000, 2.0, 1e-5)
        self.assertTrue(0 < scale < unsampled / 5, (scale, unsampled))
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "rate"):
            acct.plan_sampled_noise_scale(acct.NOISE_GAUSSIAN, 1.0, 0.0, 1000, 2.0, 1e-5)
        with acct.Accountant() as a:
            with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "noise"):
                a.add_sampled_noise(acct.NOISE_DISCRETE_GAUSSIAN, 1.0, 1.0, 0.5, 1)


if __name__ == "__main__":
    unittest.main()


class GaussianSelectionTest(unittest.TestCase):
    def test_gaussian_table_with_selection_is_one_epsilon_delta_charge(self) -> None:
        job = ilsprivacy.Aggregator(1)  # partitions from the data
        for i in range(200):
            job.add(f"patron-{i}", "EAST" if i % 2 == 0 else "WEST")
        job.add("lonely", "RARE")
        budget = ilsprivacy.Budget()
        budget.set_limit("reports", 3.0, 1e-5)
        table = job.release(budget, "reports", max_contributions_per_partition=1, rho=0.1,
                            selection=(1.0, 1e-6))
        self.assertEqual(table.delta, 1e-6)
        self.assertTrue(1.0 < table.epsilon < 3.0, table.epsilon)
        self.assertEqual(budget.spent("reports"), (table.epsilon, 1e-6))
        # A partition held by one patron passes with probability <= 1e-6 / 2.
        self.assertNotIn("RARE", [r.partition for r in table.rows])
