"""Tests of the privacy budget through the real library: exact limits, zCDP,
alerts, the ledger file (sharing, export, verification, tampering, locking)
and every documented error."""

import fcntl
import math
import os
import shutil
import tempfile
import threading
import unittest

import ilsprivacy
from ilsprivacy import Budget, errors


class TempDirTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="ilsp-budget-")
        self.path = os.path.join(self.dir, "privacy.ledger")

    def tearDown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class ConstantsTest(unittest.TestCase):
    def test_constants_match_the_header(self) -> None:
        import re
        from pathlib import Path

        header = (Path(__file__).resolve().parents[3] / "include" / "ilsprivacy_ffi.h").read_text()
        found = re.findall(r"^#define ILSP_((?:COMPOSITION|PERIOD)_\w+) (\d+)$", header, re.M)
        self.assertEqual(len(found), 5)
        for name, value in found:
            self.assertEqual(getattr(ilsprivacy, name), int(value), name)


class ExactLimitTest(unittest.TestCase):
    def test_limit_of_point_three_admits_point_one_then_point_two(self) -> None:
        with Budget() as b:
            b.set_limit("branch-7/loans", 0.3)
            self.assertEqual(b.spend("branch-7/loans", 0.1), 2)
            self.assertEqual(b.spend("branch-7/loans", 0.2), 3)
            with self.assertRaises(ilsprivacy.BudgetExhaustedError) as ctx:
                b.spend("branch-7/loans", 1e-12)
            self.assertEqual(ctx.exception.status, errors.ILSP_ERR_BUDGET_EXHAUSTED)
            self.assertIn("spent epsilon 0.3 of 0.3", ctx.exception.message)
            self.assertEqual(b.spent("branch-7/loans"), (0.3, 0.0))
            self.assertEqual(b.remaining("branch-7/loans"), (0.0, 0.0, 0.0))
            self.assertEqual(b.alert_status("branch-7/loans"), (True, 1.0))

    def test_ten_spends_of_a_tenth_fill_one_exactly(self) -> None:
        with Budget() as b:
            b.set_limit("a", 1.0, 1e-6)
            for _ in range(10):
                b.spend("a", 0.1, 1e-7)
            self.assertEqual(b.spent("a"), (1.0, 1e-6))
            with self.assertRaises(ilsprivacy.BudgetExhaustedError):
                b.spend("a", 1e-9)

    def test_threads_never_overspend(self) -> None:
        with Budget() as b:
            b.set_limit("shared", 1.0)
            admitted = []
            lock = threading.Lock()

            def worker() -> None:
                while True:
                    try:
                        seq = b.spend("shared", 0.01)
                    except ilsprivacy.BudgetExhaustedError:
                        return
                    with lock:
                        admitted.append(seq)

            threads = [threading.Thread(target=worker) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(len(admitted), 100)
            self.assertEqual(len(set(admitted)), 100)
            self.assertEqual(b.spent("shared"), (1.0, 0.0))


class ReleaseTest(unittest.TestCase):
    def test_spend_then_release(self) -> None:
        with Budget() as b:
            b.set_limit("visits", 0.3, 1e-6)
            self.assertTrue(math.isfinite(b.laplace("visits", 1234.0, 1.0, 0.1)))
            self.assertTrue(math.isfinite(b.gaussian("visits", 1234.0, 1.0, 0.2, 1e-6)))
            with self.assertRaises(ilsprivacy.BudgetExhaustedError):
                b.laplace("visits", 1234.0, 1.0, 1e-12)
            self.assertEqual(b.spent("visits"), (0.3, 1e-6))

    def test_bad_parameters_cost_nothing(self) -> None:
        with Budget() as b:
            b.set_limit("visits", 1.0, 1e-6)
            with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "epsilon must be finite"):
                b.laplace("visits", 1.0, 1.0, math.nan)
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                b.gaussian("visits", 1.0, 1.0, 0.5, 0.0)
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                b.laplace("visits", 1.0, -1.0, 0.5)
            self.assertEqual(b.spent("visits"), (0.0, 0.0))
            # A value outside the domain is mapped into it, not refused (a
            # refusal would depend on the data): NaN is released as 0 + noise.
            self.assertTrue(math.isfinite(b.laplace("visits", math.nan, 1.0, 0.5)))
            self.assertTrue(math.isfinite(b.laplace("visits", math.inf, 1.0, 0.5)))
            self.assertEqual(b.spent("visits"), (1.0, 0.0))

    def test_gaussian_on_a_zcdp_account_charges_rho(self) -> None:
        with Budget() as b:
            b.set_composition("g", ilsprivacy.COMPOSITION_ZCDP)
            b.set_limit("g", 1.0, 1e-6)
            b.gaussian("g", 10.0, 1.0, 0.5, 1e-6)
            self.assertGreater(b.spent_rho("g"), 0.0)


class ZcdpTest(unittest.TestCase):
    def test_epsilon_delta_limit_is_enforced_through_rho(self) -> None:
        with Budget() as b:
            b.set_composition("g", ilsprivacy.COMPOSITION_ZCDP)
            b.set_limit("g", 1.0, 1e-6, reason="plan")
            count = 0
            while True:
                try:
                    b.spend_rho("g", 0.00125)  # a Gaussian with sigma = 20 x sensitivity
                except ilsprivacy.BudgetExhaustedError:
                    break
                count += 1
            self.assertEqual(count, 19)  # rho* = 0.0243559... by the CKS20 bound
            eps, delta = b.spent("g")
            self.assertTrue(0.95 < eps <= 1.0, eps)
            self.assertEqual(delta, 1e-6)
            self.assertAlmostEqual(b.spent_rho("g"), 19 * 0.00125, places=15)
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                b.spend("g", 0.1, 1e-9)  # (epsilon, delta) has no rho
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                b.set_composition("g", ilsprivacy.COMPOSITION_BASIC)

    def test_rho_limits(self) -> None:
        with Budget() as b:
            with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "zCDP"):
                b.set_limit_rho("r", 0.5)
            b.set_composition("r", ilsprivacy.COMPOSITION_ZCDP)
            b.set_limit_rho("r", 0.5, reason="rho plan")
            b.spend_rho("r", 0.5)
            self.assertEqual(b.spent_rho("r"), 0.5)
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                b.spent("r")  # a rho limit has no delta to report epsilon at


class AlertAndPeriodTest(unittest.TestCase):
    def test_threshold_crossing_and_adjustment(self) -> None:
        with Budget() as b:
            b.set_limit("a", 1.0)
            b.set_alert_threshold("a", 0.5)
            b.spend("a", 0.4)
            self.assertEqual(b.alert_status("a")[0], False)
            b.spend("a", 0.2)
            alerted, used = b.alert_status("a")
            self.assertTrue(alerted)
            self.assertAlmostEqual(used, 0.6)
            b.set_limit("a", 2.0, reason="raised by the board")
            self.assertEqual(b.alert_status("a")[0], False)
            kinds = [e["kind"] for e in b.recent_events()]
            self.assertEqual(kinds.count("alert"), 1)
            self.assertEqual(kinds.count("limit_set"), 2)

    def test_period_policy(self) -> None:
        with Budget() as b:
            b.set_limit("y", 1.0)
            b.set_period("y", ilsprivacy.PERIOD_CALENDAR_YEAR)
            b.spend("y", 1.0)
            with self.assertRaises(ilsprivacy.BudgetExhaustedError) as ctx:
                b.spend("y", 0.1)
            self.assertIn("this calendar year", ctx.exception.message)
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                b.set_period("y", 9)


class LedgerTest(TempDirTest):
    def test_persists_shares_exports_and_verifies(self) -> None:
        with Budget(self.path) as a, Budget(self.path, lock_timeout_ms=2000) as b:
            a.set_limit("t/d", 1.0, reason="initial")
            a.spend("t/d", 0.5)
            b.spend("t/d", 0.5)
            with self.assertRaises(ilsprivacy.BudgetExhaustedError):
                a.spend("t/d", 0.01)
            text = a.export_ledger()
            with open(self.path, encoding="utf-8") as f:
                self.assertEqual(text, f.read())
            kinds = [line.split('"kind":"')[1].split('"')[0] for line in text.splitlines()]
            self.assertEqual(kinds, ["ledger", "limit", "spend", "spend", "alert"])
        entries, head = Budget.verify_ledger(self.path)
        self.assertEqual(entries, 5)
        self.assertRegex(head, r"^[0-9a-f]{64}$")
        self.assertEqual(
            Budget.check_ledger(self.path),
            {"entries": 5, "head": head, "accounts": 1, "torn_tail_bytes": 0},
        )
        with Budget(self.path) as again:
            self.assertEqual(again.spent("t/d"), (1.0, 0.0))
        # An unfinished write (a crash cut it): verify accepts the ledger,
        # check reports it, and the next open repairs it.
        cut = b'{"v":1,"kind":"spend","account":"t/d","epsi'
        with open(self.path, "ab") as f:
            f.write(cut)
        self.assertEqual(Budget.verify_ledger(self.path), (entries, head))
        self.assertEqual(Budget.check_ledger(self.path)["torn_tail_bytes"], len(cut))
        Budget(self.path).close()
        checked = Budget.check_ledger(self.path)
        self.assertEqual((checked["entries"], checked["torn_tail_bytes"]), (6, 0))

    def test_forked_children_share_the_limit(self) -> None:
        # A handle opened before fork(): each child must take its own lock
        # (the library reopens the file in a child), or they would overspend.
        b = Budget(self.path)
        b.set_limit("forked", 1.0)
        b.spend("forked", 0.25)
        children = []
        for _ in range(4):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                code = 0
                try:
                    while True:
                        b.spend("forked", 0.01)
                except ilsprivacy.BudgetExhaustedError:
                    pass
                except BaseException:
                    code = 1
                finally:
                    # The child's copy of the handle is its own to free.
                    b.close()
                os._exit(code)
            children.append(pid)
        for pid in children:
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(b.spent("forked"), (1.0, 0.0))
        with open(self.path, encoding="utf-8") as f:
            spends = sum('"kind":"spend"' in line for line in f)
        self.assertEqual(spends, 1 + 75)
        b.close()

    def test_tampering_is_detected_on_open(self) -> None:
        with Budget(self.path) as b:
            b.set_limit("t/d", 1.0)
            b.spend("t/d", 0.25)
        with open(self.path, "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0x01
            f.seek(0)
            f.write(bytes(data))
        with self.assertRaises(ilsprivacy.LedgerIntegrityError) as ctx:
            Budget(self.path)
        self.assertEqual(ctx.exception.status, errors.ILSP_ERR_LEDGER_INTEGRITY)
        with self.assertRaises(ilsprivacy.LedgerIntegrityError):
            Budget.verify_ledger(self.path)

    def test_a_locked_file_times_out_with_an_io_error(self) -> None:
        Budget(self.path).close()
        with open(self.path, "rb") as holder:
            fcntl.flock(holder, fcntl.LOCK_EX)
            with self.assertRaises(ilsprivacy.LedgerIOError) as ctx:
                Budget(self.path, lock_timeout_ms=50)
            self.assertIn("locked", ctx.exception.message)
            self.assertIsInstance(ctx.exception, OSError)
            fcntl.flock(holder, fcntl.LOCK_UN)
        Budget(self.path, lock_timeout_ms=50).close()

    def test_unwritable_paths(self) -> None:
        with self.assertRaises(ilsprivacy.LedgerIOError):
            Budget(os.path.join(self.dir, "no", "such", "dir", "ledger"))
        with self.assertRaises(ilsprivacy.LedgerIOError):
            Budget(self.dir)  # a directory
        with self.assertRaises(ilsprivacy.LedgerIOError):
            Budget.verify_ledger(os.path.join(self.dir, "absent"))
        with self.assertRaises(ilsprivacy.InvalidArgumentError):
            Budget().export_ledger()


class BadInputTest(unittest.TestCase):
    def setUp(self) -> None:
        self.b = Budget()
        self.b.set_limit("a", 1.0)

    def tearDown(self) -> None:
        self.b.close()

    def test_bad_limits(self) -> None:
        for eps, delta in [(math.nan, 0.0), (-0.1, 0.0), (math.inf, 0.0), (1.0, 1.0), (1.0, -1e-9)]:
            with self.subTest(eps=eps, delta=delta), self.assertRaises(ilsprivacy.InvalidArgumentError):
                self.b.set_limit("a", eps, delta)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "epsilon must be finite and >= 0, got NaN"):
            self.b.set_limit("a", math.nan)

    def test_bad_names(self) -> None:
        with self.assertRaises(ilsprivacy.EncodingError):
            self.b.set_limit(b"bad\xff", 1.0)
        with self.assertRaises(ilsprivacy.EncodingError):
            self.b.set_limit("lone \udcff surrogate", 1.0)
        for name in ["", " padded", "line\nbreak", "x" * 257]:
            with self.subTest(name=name), self.assertRaises(ilsprivacy.InvalidArgumentError):
                self.b.set_limit(name, 1.0)
        with self.assertRaises(ilsprivacy.InvalidArgumentError):
            self.b.set_limit("nul\0inside", 1.0)
        with self.assertRaises(TypeError):
            self.b.set_limit(42, 1.0)  # type: ignore[arg-type]

    def test_unknown_accounts(self) -> None:
        with self.assertRaises(ilsprivacy.BudgetExhaustedError):
            self.b.spend("nobody", 0.1)
        with self.assertRaises(ilsprivacy.InvalidArgumentError):
            self.b.spent("nobody")

    def test_bad_spends_and_options(self) -> None:
        for eps in [math.nan, 0.0, -1.0, math.inf]:
            with self.subTest(eps=eps), self.assertRaises(ilsprivacy.InvalidArgumentError):
                self.b.spend("a", eps)
        with self.assertRaises(ilsprivacy.InvalidArgumentError):
            self.b.set_composition("a", 5)
        with self.assertRaises(ilsprivacy.InvalidArgumentError):
            self.b.set_alert_threshold("a", 1.5)
        with self.assertRaises(ilsprivacy.InvalidArgumentError):
            self.b.set_limit("a", 1.0, reason="bell\a")

    def test_closed_budget(self) -> None:
        b = Budget()
        b.close()
        b.close()
        with self.assertRaises(ValueError):
            b.spend("a", 0.1)


if __name__ == "__main__":
    unittest.main()
