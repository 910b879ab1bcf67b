"""Tests of the noise mechanisms through the real library, including every error path."""

import math
import re
import unittest

import ilsprivacy
from ilsprivacy import errors


def on_grid(x: float, exponent: int) -> bool:
    scaled = math.ldexp(x, -exponent)
    return scaled == math.floor(scaled)


class LaplaceTest(unittest.TestCase):
    def test_outputs_are_noisy_and_on_the_grid(self) -> None:
        outs = [ilsprivacy.laplace(10.0, 1.0, 1.0) for _ in range(200)]
        self.assertTrue(all(on_grid(y, -40) for y in outs))
        self.assertGreater(len(set(outs)), 150)
        mean_abs = sum(abs(y - 10.0) for y in outs) / len(outs)
        self.assertLess(abs(mean_abs - 1.0), 0.5)  # E|Lap(1)| = 1; sd of mean ~0.07

    def test_errors_name_the_parameter(self) -> None:
        cases = [
            ((math.nan, 1.0, 1.0), "value must be finite (got NaN or ±inf)"),
            ((math.inf, 1.0, 1.0), "value must be finite (got NaN or ±inf)"),
            ((1.0, 1.0, 0.0), "epsilon must be finite and > 0, got 0"),
            ((1.0, 1.0, -1.0), "epsilon must be finite and > 0, got -1"),
            ((1.0, 1.0, math.inf), "epsilon must be finite and > 0, got inf"),
            ((1.0, 0.0, 1.0), "sensitivity must be finite and > 0, got 0"),
            ((1.0, math.nan, 1.0), "sensitivity must be finite and > 0, got NaN"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                with self.assertRaises(ilsprivacy.InvalidArgumentError) as ctx:
                    ilsprivacy.laplace(*args)
                self.assertEqual(ctx.exception.status, errors.ILSP_ERR_INVALID_ARGUMENT)
                self.assertEqual(ctx.exception.message, message)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "too large for this mechanism"):
            ilsprivacy.laplace(1e300, 1.0, 1.0)

    def test_batch(self) -> None:
        out = ilsprivacy.laplace_batch([1.0, 2.0, 3.0], 1.0, 1.0)
        self.assertEqual(len(out), 3)
        self.assertEqual(ilsprivacy.laplace_batch([], 1.0, 1.0), [])
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "values must be finite"):
            ilsprivacy.laplace_batch([1.0, math.nan], 1.0, 1.0)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "epsilon"):
            ilsprivacy.laplace_batch([1.0], 1.0, -1.0)


class GaussianTest(unittest.TestCase):
    def test_release(self) -> None:
        outs = [ilsprivacy.gaussian(0.0, 1.0, 1.0, 1e-5) for _ in range(300)]
        var = sum(y * y for y in outs) / len(outs)
        self.assertLess(abs(var / 3.73**2 - 1.0), 0.5)

    def test_batch(self) -> None:
        out = ilsprivacy.gaussian_batch([0.0] * 500, 1.0, 1.0, 1e-5)
        var = sum(y * y for y in out) / len(out)
        self.assertLess(abs(var / 3.73**2 - 1.0), 0.4)
        self.assertEqual(ilsprivacy.gaussian_batch([], 1.0, 1.0, 1e-5), [])
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "values must be finite"):
            ilsprivacy.gaussian_batch([math.inf], 1.0, 1.0, 1e-5)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, re.escape("delta must be in (0, 1), got 1")):
            ilsprivacy.gaussian_batch([1.0], 1.0, 1.0, 1.0)

    def test_errors(self) -> None:
        cases = [
            ((1.0, 1.0, 1.0, 0.0), "delta must be in (0, 1), got 0"),
            ((1.0, 1.0, 1.0, 1.0), "delta must be in (0, 1), got 1"),
            ((1.0, 1.0, 1.0, math.nan), "delta must be in (0, 1), got NaN"),
            ((1.0, 1.0, 0.0, 1e-5), "epsilon must be finite and > 0, got 0"),
            ((1.0, -1.0, 1.0, 1e-5), "l2_sensitivity must be finite and > 0, got -1"),
            ((math.nan, 1.0, 1.0, 1e-5), "value must be finite (got NaN or ±inf)"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, re.escape(message)):
                    ilsprivacy.gaussian(*args)


class IntegerMechanismsTest(unittest.TestCase):
    def test_release_and_clamp(self) -> None:
        self.assertIsInstance(ilsprivacy.laplace_i64(100, 1, 1.0), int)
        self.assertIsInstance(ilsprivacy.gaussian_i64(100, 1, 1.0, 1e-6), int)
        self.assertLessEqual(ilsprivacy.laplace_i64(2**63 - 1, 1, 0.001), 2**63 - 1)

    def test_errors(self) -> None:
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "sensitivity must be > 0, got 0"):
            ilsprivacy.laplace_i64(1, 0, 1.0)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "epsilon must be finite and > 0, got NaN"):
            ilsprivacy.laplace_i64(1, 1, math.nan)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, re.escape("delta must be in (0, 1), got 2")):
            ilsprivacy.gaussian_i64(1, 1, 1.0, 2.0)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "l2_sensitivity must be > 0, got -1"):
            ilsprivacy.gaussian_i64(1, -1, 1.0, 1e-6)
        with self.assertRaises(OverflowError):
            ilsprivacy.laplace_i64(2**63, 1, 1.0)
        with self.assertRaises(TypeError):
            ilsprivacy.laplace_i64(1.5, 1, 1.0)  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()


class ResponseQuantileClipTest(unittest.TestCase):
    def test_randomized_response(self) -> None:
        answers = [ilsprivacy.randomized_response(1, 2, 2.0) for _ in range(2000)]
        self.assertTrue(set(answers) <= {0, 1})
        keep = sum(answers) / len(answers)  # e^2/(1+e^2) = 0.881; sd ~ 0.007
        self.assertLess(abs(keep - 0.8808), 0.04)
        self.assertLess(ilsprivacy.randomized_response(3, 5, 0.5), 5)
        for args, message in [
            ((2, 2, 1.0), "value must be < categories (2)"),
            ((0, 1, 1.0), "categories must be >= 2, got 1"),
            ((0, 2, 0.0), "epsilon must be finite and > 0, got 0"),
            ((0, 2, math.nan), "epsilon must be finite and > 0, got NaN"),
        ]:
            with self.subTest(args=args):
                with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, re.escape(message)):
                    ilsprivacy.randomized_response(*args)
        with self.assertRaises(OverflowError):
            ilsprivacy.randomized_response(-1, 2, 1.0)

    def test_quantile(self) -> None:
        values = [float(i) for i in range(1000)]
        q = ilsprivacy.quantile(values, 0.9, 0.0, 1000.0, 100, 5.0)
        self.assertLess(abs(q - 900.0), 50.0)
        self.assertTrue(0.0 <= ilsprivacy.quantile([], 0.5, 0.0, 1.0, 4, 1.0) <= 1.0)
        for args, message in [
            (([1.0, math.nan], 0.5, 0.0, 1.0, 4, 1.0), "values must not contain NaN"),
            (([1.0], 1.5, 0.0, 1.0, 4, 1.0), "quantile must be in [0, 1], got 1.5"),
            (([1.0], 0.5, 2.0, 1.0, 4, 1.0), "lo must be <= hi, got lo = 2 > hi = 1"),
            (([1.0], 0.5, 0.0, math.inf, 4, 1.0), "hi must be finite, got inf"),
            (([1.0], 0.5, 0.0, 1.0, 0, 1.0), "bins must be in [1, 1048576], got 0"),
            (([1.0], 0.5, 0.0, 1.0, 4, -2.0), "epsilon must be finite and > 0, got -2"),
        ]:
            with self.subTest(args=args):
                with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, re.escape(message)):
                    ilsprivacy.quantile(*args)

    def test_clipping(self) -> None:
        clipped, factor = ilsprivacy.clip_l2([3.0, -4.0], 1.0)
        self.assertLessEqual(sum(x * x for x in clipped), 1.0)
        self.assertAlmostEqual(factor, 0.2, places=9)
        clipped, factor = ilsprivacy.clip_l1([0.1, 0.2], 1.0)
        self.assertEqual((clipped, factor), ([0.1, 0.2], 1.0))
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "bound must be finite and > 0, got 0"):
            ilsprivacy.clip_l1([1.0], 0.0)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "values must be finite"):
            ilsprivacy.clip_l2([1.0, math.inf], 1.0)
