"""Masking helpers, small-cell suppression and export schemas through the binding."""

import unittest

import ilsprivacy
from ilsprivacy import masking

KEY = b"library-pipeline-key-0123456789!"


class HelpersTest(unittest.TestCase):
    def test_email(self) -> None:
        self.assertEqual(masking.mask_email("Jane.Doe@Example.org", keep_domain=True), "J***@example.org")
        self.assertEqual(masking.mask_email("jo@x.org"), "***@***.org")
        with self.assertRaises(ilsprivacy.InvalidArgumentError) as ctx:
            masking.mask_email("jane-secret")
        self.assertEqual(ctx.exception.message, "email is not an address: no '@'")

    def test_dates(self) -> None:
        self.assertEqual(masking.coarsen_date("2026-03-14T08:00:00Z"), "2026-03-14")
        self.assertEqual(masking.coarsen_date("2027-01-01", "iso_week"), "2026-W53")
        self.assertEqual(masking.coarsen_date("2026-03-14", masking.DATE_MONTH), "2026-03")
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "^date is not a calendar date$"):
            masking.coarsen_date("2026-02-30")
        with self.assertRaises(ValueError):
            masking.coarsen_date("2026-02-03", "year")

    def test_ages_and_postcodes(self) -> None:
        self.assertEqual(masking.age_band(34), "30-39")
        self.assertEqual(masking.age_band(93), "90+")
        self.assertEqual(masking.age_band(17, width=5, top=85), "15-19")
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "age must be at most 150"):
            masking.age_band(151)
        self.assertEqual(masking.truncate_postcode("SW1A 1AA", 4), "SW1A")
        self.assertEqual(masking.truncate_postcode("12345-6789", 3), "123")
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "would not mask it"):
            masking.truncate_postcode("123", 3)


class SuppressionTest(unittest.TestCase):
    def test_primary_and_complementary(self) -> None:
        table = masking.suppress_small_cells([[20, 30, 25], [15, 2, 40], [33, 27, 50]], k=5)
        self.assertEqual(table.status[1][1], masking.CELL_PRIMARY)
        self.assertIsNone(table.values[1][1])
        self.assertEqual(table.count(masking.CELL_COMPLEMENTARY), 3)
        self.assertEqual(table.values[3][3], 242)
        # No hidden cell is the only hidden entry of its row or column.
        for r, row in enumerate(table.status):
            hidden = [c for c, s in enumerate(row) if s != masking.CELL_PUBLISHED]
            self.assertNotEqual(len(hidden), 1, f"row {r}")
        with self.assertRaises(ilsprivacy.InvalidArgumentError):
            masking.suppress_small_cells([[1, 2]], k=0)
        with self.assertRaises(ValueError):
            masking.suppress_small_cells([[1, 2], [3]])


class ExportSchemaTest(unittest.TestCase):
    SCHEMA = {
        "unknown_fields": "reject",
        "pii_fields": "strip",
        "fields": {
            "patron_id": {"rule": "tokenize", "normalize": ["trim", "strip_separators"], "required": True},
            "email": {"rule": "email"},
            "checkout": {"rule": "date", "granularity": "iso_week"},
            "age": {"rule": "age_band", "width": 10, "top": 90},
            "branch": {"rule": "keep", "type": "string"},
            "name": {"rule": "pii"},
        },
    }

    def test_clean_and_quarantined_records(self) -> None:
        with ilsprivacy.Tokenizer(KEY) as t, masking.ExportSchema(self.SCHEMA) as schema:
            ok = schema.apply(
                t,
                {"patron_id": " 21234-000123456 ", "email": "jane.doe@example.org", "checkout": "2026-03-14",
                 "age": 37, "branch": "Central", "name": "Jane Doe"},
            )
            self.assertFalse(ok.quarantined)
            self.assertEqual(
                ok.record,
                {"patron_id": "v1.k1.qyhwmumgr5qp4dovv5mrp7doie", "email": "j***@***.org", "checkout": "2026-W11",
                 "age": "30-39", "branch": "Central"},
            )
            bad = schema.apply(t, {"patron_id": "P-1", "email": "jane-secret", "ssn": "078-05-1120", "age": -3})
            self.assertTrue(bad.quarantined)
            self.assertIsNone(bad.record)
            reasons = {i["field"]: i["reason"] for i in bad.issues}
            self.assertEqual(reasons, {"email": "malformed", "ssn": "unknown_field", "age": "wrong_type"})
            self.assertNotIn("secret", repr(bad.issues))
            self.assertNotIn("078", repr(bad.issues))
            broken = schema.apply(t, '{"patron_id": "jane@x.org"')
            self.assertEqual(broken.issues[0]["reason"], "not_an_object")
            self.assertNotIn("jane", repr(broken.issues))

    def test_bad_schema(self) -> None:
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "unknown variant"):
            masking.ExportSchema({"fields": {"a": {"rule": "nope"}}})


if __name__ == "__main__":
    unittest.main()
