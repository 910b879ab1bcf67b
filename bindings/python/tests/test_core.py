"""Tests of version, clamping and the error mapping, through the real library."""

import math
import re
import unittest

import ilsprivacy
from ilsprivacy import errors


class VersionTest(unittest.TestCase):
    def test_version_is_semver(self) -> None:
        self.assertRegex(ilsprivacy.version(), r"^\d+\.\d+\.\d+$")
        self.assertEqual(ilsprivacy.__version__, ilsprivacy.version())


class ClampTest(unittest.TestCase):
    def test_clamps(self) -> None:
        self.assertEqual(ilsprivacy.clamp(12.5, 0.0, 10.0), 10.0)
        self.assertEqual(ilsprivacy.clamp(-math.inf, 0.0, 10.0), 0.0)
        self.assertEqual(ilsprivacy.clamp(3, 0, 10), 3.0)

    def test_nan_value_is_invalid_argument(self) -> None:
        with self.assertRaises(ilsprivacy.InvalidArgumentError) as ctx:
            ilsprivacy.clamp(math.nan, 0.0, 1.0)
        self.assertEqual(ctx.exception.status, errors.ILSP_ERR_INVALID_ARGUMENT)
        self.assertEqual(ctx.exception.message, "value must not be NaN")
        self.assertIsInstance(ctx.exception, ValueError)

    def test_bad_bounds_name_the_parameter_and_value(self) -> None:
        with self.assertRaisesRegex(
            ilsprivacy.InvalidArgumentError, re.escape("lo must be <= hi, got lo = 5 > hi = 2")
        ):
            ilsprivacy.clamp(1.0, 5.0, 2.0)
        with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "hi must be finite, got inf"):
            ilsprivacy.clamp(1.0, 0.0, math.inf)

    def test_success_clears_the_message(self) -> None:
        with self.assertRaises(ilsprivacy.InvalidArgumentError):
            ilsprivacy.clamp(math.nan, 0.0, 1.0)
        ilsprivacy.clamp(0.5, 0.0, 1.0)
        self.assertEqual(ilsprivacy._native.last_error(), "")


class ErrorMappingTest(unittest.TestCase):
    def test_every_status_maps_to_its_exception(self) -> None:
        for code in range(1, 11):
            exc = errors.from_status(code, "msg")
            self.assertEqual(exc.status, code)
            self.assertIsInstance(exc, ilsprivacy.IlsPrivacyError)
            self.assertEqual(exc.message, "msg")
        unknown = errors.from_status(99, "msg")
        self.assertEqual(unknown.status, 99)


if __name__ == "__main__":
    unittest.main()


def load_tests(loader, tests, ignore):  # noqa: ARG001 - unittest protocol
    """Runs the examples in the package's docstrings as tests too."""
    import doctest
    import pkgutil

    for module in pkgutil.iter_modules(ilsprivacy.__path__, "ilsprivacy."):
        tests.addTests(doctest.DocTestSuite(__import__(module.name, fromlist=["_"])))
    tests.addTests(doctest.DocTestSuite(ilsprivacy))
    return tests
