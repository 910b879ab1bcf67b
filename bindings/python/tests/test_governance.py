"""Budget governance through the real library: template and suspension
refusals record and release nothing (the ledger file stays byte-identical),
dry runs, correlation IDs, burn-rate plans and the metrics text."""

import json
import os
import shutil
import tempfile
import unittest

from ilsprivacy import AccountSuspendedError, Budget, Status, TemplateMismatchError, errors


class GovernanceTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="ilsp-governance-")
        self.path = os.path.join(self.dir, "privacy.ledger")
        self.budget = Budget(self.path)
        self.budget.set_limit("t/loans", epsilon=1.0, reason="2026 plan")

    def tearDown(self) -> None:
        self.budget.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def ledger(self) -> bytes:
        with open(self.path, "rb") as f:
            return f.read()

    def test_a_template_mismatch_records_and_releases_nothing(self) -> None:
        b = self.budget
        b.set_template(
            "t/loans", "monthly-loans", mechanism="laplace", max_sensitivity=1.001,
            epsilon=(0.05, 0.25), reason="approved",
        )
        b.set_templates_only("t/loans", True, reason="templated spends only")
        before = self.ledger()
        released = []
        for call, rule in [
            (lambda: b.laplace("t/loans", 120.0, 1.0, 0.5), "epsilon 0.5 is above its maximum 0.25"),
            (lambda: b.laplace("t/loans", 120.0, 2.0, 0.2), "sensitivity"),
            (lambda: b.gaussian("t/loans", 120.0, 1.0, 0.2, 1e-9), "mechanism"),
            (lambda: b.spend("t/loans", 0.1), "mechanism must be laplace"),
        ]:
            with self.assertRaises(TemplateMismatchError) as ctx:
                released.append(call())
            self.assertEqual(ctx.exception.status, Status.TEMPLATE_MISMATCH)
            self.assertIn(rule, str(ctx.exception))
            self.assertIn("monthly-loans", str(ctx.exception))
        self.assertEqual(released, [])
        self.assertEqual(self.ledger(), before, "nothing recorded")
        b.laplace("t/loans", 120.0, 1.0, 0.2)
        self.assertTrue(b.governance_status("t/loans")["templates_only"])
        b.remove_template("t/loans", "monthly-loans", reason="retired")
        with self.assertRaises(TemplateMismatchError):
            b.laplace("t/loans", 120.0, 1.0, 0.2)
        with self.assertRaises(errors.InvalidArgumentError):
            b.set_template("t/loans", "bad name", epsilon=(0.0, 1.0))
        with self.assertRaises(errors.InvalidArgumentError):
            b.set_template("t/loans", "nan", epsilon=(0.0, float("nan")))

    def test_a_suspended_account_records_and_releases_nothing(self) -> None:
        b = self.budget
        b.spend("t/loans", 0.1)
        b.suspend("t/loans", "incident 42")
        before = self.ledger()
        for call in (
            lambda: b.spend("t/loans", 0.1),
            lambda: b.spend("t/loans", 0.1, correlation_id="req-1"),
            lambda: b.laplace("t/loans", 120.0, 1.0, 0.1),
        ):
            with self.assertRaises(AccountSuspendedError) as ctx:
                call()
            self.assertEqual(ctx.exception.status, Status.ACCOUNT_SUSPENDED)
            self.assertIn("incident 42", str(ctx.exception))
        self.assertEqual(self.ledger(), before, "nothing recorded")
        with Budget(self.path) as other:
            self.assertTrue(other.governance_status("t/loans")["suspended"])
            self.assertTrue(any(e["kind"] == "suspended" for e in other.recent_events()))
        b.resume("t/loans", "review closed")
        self.assertFalse(b.governance_status("t/loans")["suspended"])
        b.spend("t/loans", 0.1)
        with self.assertRaises(errors.InvalidArgumentError):
            b.resume("t/loans", "not suspended")

    def test_a_dry_run_is_exact_at_the_limit_and_writes_nothing(self) -> None:
        b = self.budget
        b.set_limit("t/holds", epsilon=0.3)
        before = self.ledger()
        self.assertEqual(
            b.check_spends([("t/holds", 0.1, 0.0), ("t/holds", 0.2, 0.0)]), (True, [Status.OK, Status.OK])
        )
        fits, statuses = b.check_spends(
            [("t/holds", 0.1, 0.0), ("t/holds", 0.2, 0.0), ("t/holds", 1e-12, 0.0), ("nobody", 0.1, 0.0)]
        )
        self.assertFalse(fits)
        self.assertEqual(statuses[2:], [Status.BUDGET_EXHAUSTED, Status.BUDGET_EXHAUSTED])
        self.assertEqual(b.check_spends([]), (True, []))
        self.assertEqual(self.ledger(), before, "byte-identical")

    def test_correlation_ids_reach_the_ledger_and_events(self) -> None:
        b = self.budget
        seq = b.spend("t/loans", 0.1, correlation_id="ils:job-7")
        entry = [json.loads(line) for line in self.ledger().splitlines()][seq]
        self.assertEqual(entry["correlation_id"], "ils:job-7")
        self.assertTrue(any(e.get("correlation_id") == "ils:job-7" for e in b.recent_events()))
        for bad in ("", "patron 123", "a" * 65, "x@y"):
            with self.assertRaises(errors.InvalidArgumentError):
                b.spend("t/loans", 0.1, correlation_id=bad)

    def test_burn_plans_and_metrics(self) -> None:
        b = self.budget
        b.set_burn_plan("t/loans", 1.0 / 365, 86400, 3.0)
        b.spend("t/loans", 0.001)
        self.assertFalse(b.governance_status("t/loans")["burn_alerted"])
        b.spend("t/loans", 0.01)
        status = b.governance_status("t/loans")
        self.assertTrue(status["burn_alerted"])
        self.assertEqual(status["burn_alerts"], 1)
        with self.assertRaises(errors.InvalidArgumentError):
            b.set_burn_plan("t/loans", 0.01, 10, 3.0)
        text = b.metrics()
        self.assertIn("ilsprivacy_ledger_integrity_ok 1\n", text)
        self.assertIn('ilsprivacy_budget_alerts_total{account="t/loans",kind="burn_rate"} 1\n', text)
        self.assertIn('ilsprivacy_budget_spends_total{account="t/loans"} 2\n', text)
        b.set_burn_plan("t/loans", 0, 86400, 3.0)
        self.assertFalse(b.governance_status("t/loans")["burn_alerted"])


if __name__ == "__main__":
    unittest.main()
