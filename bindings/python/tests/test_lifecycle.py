"""Data-lifecycle policies and epoch rings through the binding."""

import os
import tempfile
import unittest
from pathlib import Path

import ilsprivacy
from ilsprivacy.lifecycle import EpochRing, Policy

POLICIES = Path(__file__).resolve().parents[3] / "examples" / "policies"


class PolicyTest(unittest.TestCase):
    def setUp(self) -> None:
        self.public = Policy((POLICIES / "public-library.toml").read_text())
        self.school = Policy((POLICIES / "school-library.toml").read_text())

    def tearDown(self) -> None:
        self.public.close()
        self.school.close()

    def test_retention_across_a_leap_day_boundary(self) -> None:
        loan = {"checkout_date": "2024-02-01", "returned_on": "2024-02-29", "patron_id": "21234000123456"}
        before = self.public.retention("circulation_history", "2025-02-27", loan)
        on = self.public.retention("circulation_history", "2025-02-28", loan)
        self.assertEqual(before["actions"]["checkout_date"], "keep")
        self.assertEqual(on["actions"]["checkout_date"], "coarsen:date:month")
        self.assertEqual(on["actions"]["patron_id"], "pseudonymize")
        self.assertEqual(on["audit"]["policy"], "public-library")
        self.assertEqual(on["audit"]["fields"], {"coarsen:date:month": 1, "keep": 1, "pseudonymize": 1})
        self.assertNotIn("21234000123456", str(on))
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "the anchor of retention.rule"):
            self.public.retention("circulation_history", "2025-02-28", {"patron_id": "x"})
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "is not a record class"):
            self.public.retention("loans", "2025-02-28", loan)

    def test_role_masking_and_opt_out(self) -> None:
        student = {"student_id": "S-1", "name": "Ada", "grade_level": 7, "disciplinary_notes": "detention",
                   "directory_opt_out": "yes"}
        teacher = self.school.mask("teacher", student)
        self.assertEqual(teacher["record"], {"student_id": "S-1", "name": "Ada", "grade_level": "7"})
        self.assertEqual(teacher["fields"]["disciplinary_notes"], "suppressed")
        counselor = self.school.mask("counselor", student)
        self.assertEqual(counselor["fields"]["disciplinary_notes"], "shown")
        with ilsprivacy.Tokenizer(b"k" * 32) as t:
            vendor = self.school.mask("vendor-analytics", student, t)
            self.assertTrue(vendor["record"]["student_id"].startswith("v1.k1."))
        self.assertTrue(vendor["directory_opt_out"])
        self.assertNotIn("name", vendor["record"])
        with self.assertRaises(ilsprivacy.KeyMaterialError):
            self.school.mask("vendor-analytics", student)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, 'unknown role "principal"'):
            self.school.mask("principal", student)

    def test_bad_policies_name_key_and_line(self) -> None:
        text = '[policy]\nname = "p"\nversion = "1"\n\n[[retention.rule]]\nclass = "loans"\nfields = ["a"]\nanchor = "d"\nafter = "1 day"\naction = "purge"\n'
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, r"retention.rule\[0\].class \(line 5\): unknown record class"):
            Policy(text)

    def test_closed_policy_raises(self) -> None:
        p = Policy('[policy]\nname = "p"\nversion = "1"\n')
        p.close()
        with self.assertRaises(ilsprivacy.ClosedHandleError):
            p.retention("holds", "2026-01-01", {})


class EpochRingTest(unittest.TestCase):
    def test_retirement_shreds_the_key(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ring")
            root = bytes(range(32))
            with EpochRing.create(path) as ring:
                ring.add("2024", root)
                ring.add("2025", root)
                ring.add("2026")
                token = ring.tokenize("2024", "21234000123456")
                self.assertTrue(ring.verify(token, "21234000123456"))
                before = Path(path).read_bytes()
                line = next(l for l in before.split(b"\n") if l.startswith(b"epoch 2024 "))
                hex_key = line.split(b" ")[2]
                key = bytes.fromhex(hex_key.decode())
                retired_at = ring.retire("2024")
                self.assertGreater(retired_at, 1_700_000_000)
                after = Path(path).read_bytes()
                for i in range(len(key) - 7):
                    self.assertNotIn(key[i : i + 8], after)
                for i in range(len(hex_key) - 15):
                    self.assertNotIn(hex_key[i : i + 16], after)
                self.assertIn(f"retired 2024 {retired_at}".encode(), after)
                with self.assertRaisesRegex(ilsprivacy.KeyMaterialError, "was retired at"):
                    ring.tokenize("2024", "21234000123456")
                with self.assertRaises(ilsprivacy.KeyMaterialError):
                    ring.verify(token, "21234000123456")
                with self.assertRaises(ilsprivacy.InvalidArgumentError):
                    ring.add("2024", root)
            with EpochRing.open(path) as again:
                with self.assertRaises(ilsprivacy.KeyMaterialError):
                    again.tokenize("2024", "x")
                self.assertTrue(again.tokenize("2025", "x").startswith("v1.2025."))
            with self.assertRaises(ilsprivacy.LedgerIOError):
                EpochRing.create(path)
            ring.close()
            with self.assertRaises(ilsprivacy.ClosedHandleError):
                ring.tokenize("2025", "x")


if __name__ == "__main__":
    unittest.main()
