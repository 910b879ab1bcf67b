"""The enumerations: accepted wherever an int was, returned where the library
returns such a value, and the old module constants still work."""

import unittest

import ilsprivacy
from ilsprivacy import (
    AccountingMethod,
    Cell,
    Composition,
    DateGranularity,
    KeyEncoding,
    Noise,
    Normalization,
    Period,
    Status,
    TableNoise,
    TokenBody,
    TokenKind,
    accountant,
    errors,
    masking,
)

KEY = b"library-pipeline-key-0123456789!"


class ReturnedValuesTest(unittest.TestCase):
    def test_error_status_is_a_status_member(self) -> None:
        with self.assertRaises(ilsprivacy.InvalidArgumentError) as ctx:
            ilsprivacy.clamp(1.0, 5.0, 2.0)
        self.assertIs(ctx.exception.status, Status.INVALID_ARGUMENT)
        self.assertEqual(ctx.exception.status, 2)  # still an int
        for code in range(1, 11):
            self.assertIs(errors.from_status(code, "m").status, Status(code))
        unknown = errors.from_status(99, "m")
        self.assertEqual((unknown.status, type(unknown.status)), (99, int))
        self.assertEqual(str(unknown), "unknown status 99: m")

    def test_suppression_statuses_are_cell_members(self) -> None:
        table = masking.suppress_small_cells([[20, 30, 25], [15, 2, 40], [33, 27, 50]], 5)
        self.assertIs(table.status[1][1], Cell.PRIMARY)
        self.assertTrue(all(type(s) is Cell for row in table.status for s in row))
        self.assertEqual(table.count(Cell.COMPLEMENTARY), table.count(2))


class AcceptedEverywhereTest(unittest.TestCase):
    def test_budget(self) -> None:
        with ilsprivacy.Budget() as b:
            b.set_composition("z", Composition.ZCDP)
            b.set_limit_rho("z", 0.5)
            b.spend_rho("z", 0.25)
            b.set_limit("y", 1.0)
            b.set_period("y", Period.CALENDAR_YEAR)
            b.set_composition("old", ilsprivacy.COMPOSITION_BASIC)  # the module constants remain
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                b.set_period("y", 9)  # plain ints still reach the C check

    def test_tokens_and_masking(self) -> None:
        t = ilsprivacy.Tokenizer(KEY)
        self.assertEqual(
            t.tokenize_versioned(" 21234-00012-3456 ", normalize=Normalization.BARCODE),
            t.tokenize_versioned(
                " 21234-00012-3456 ", normalize=Normalization.TRIM | Normalization.CASE_FOLD | Normalization.STRIP_SEPARATORS
            ),
        )
        self.assertEqual(t.tokenize_with("42", kind=TokenKind.V1), t.tokenize_with("42", kind="v1"))
        self.assertEqual(t.token_len(TokenKind.COMPAT), 64)
        t.set_format(TokenBody.HEX, 160)
        self.assertEqual(t.token_len(TokenKind.V1), len("v1.k1.") + 40)
        self.assertEqual(t.tokenize_many(["a"], kind=TokenKind.COMPAT), [t.tokenize("a")])
        self.assertEqual(masking.coarsen_date("2027-01-01", DateGranularity.ISO_WEEK), "2026-W53")
        with ilsprivacy.Key.generate() as k:
            self.assertEqual(repr(k), "Key(<secret>)")
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "key.hex")
            with open(path, "w") as f:
                f.write(KEY.hex())
            self.assertEqual(ilsprivacy.Tokenizer(ilsprivacy.Key.from_file(path, KeyEncoding.HEX)).tokenize("x"),
                             ilsprivacy.Tokenizer(KEY).tokenize("x"))

    def test_accounting_and_release(self) -> None:
        basic = accountant.plan_epsilon(Noise.LAPLACE, 1.0, 10.0, 100, 1e-6, AccountingMethod.BASIC)
        self.assertEqual(basic, accountant.plan_epsilon(0, 1.0, 10.0, 100, 1e-6, 0))
        self.assertIs(accountant.ACCOUNTING_PLD, AccountingMethod.PLD)
        agg = ilsprivacy.Aggregator(1, public_partitions=["EAST"])
        agg.add("t1", "EAST")
        with ilsprivacy.Budget() as b:
            b.set_limit("r", 1.0)
            table = agg.release(b, "r", max_contributions_per_partition=1, epsilon=0.5)
        self.assertEqual(table.epsilon, 0.5)
        self.assertIs(ilsprivacy.aggregate.TABLE_NOISE_GAUSSIAN, TableNoise.GAUSSIAN)


if __name__ == "__main__":
    unittest.main()
