"""Where the package finds the shared library: the bundled copy first, then
ILSPRIVACY_LIB, then the checkout's build output, then the system path; and
that a named library that is missing or broken is an error, not a fallback."""

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from ilsprivacy import _native

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class CandidateOrderTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.base = Path(self.tmp.name)

    def checkout(self) -> Path:
        root = self.base / "repo"
        package = root / "bindings" / "python" / "ilsprivacy"
        package.mkdir(parents=True)
        (root / "Cargo.toml").write_text('[package]\nname = "ilsprivacy"\n')
        return package

    def test_bundled_library_comes_first_even_with_the_variable_set(self) -> None:
        package = self.base / "site-packages" / "ilsprivacy"
        package.mkdir(parents=True)
        found = _native._candidates(package, {"ILSPRIVACY_LIB": "/opt/other/libilsprivacy.so"})
        self.assertEqual(found[0], package / "libilsprivacy.so")
        self.assertEqual(found[1], Path("/opt/other/libilsprivacy.so"))

    def test_checkout_build_output_follows_the_variable(self) -> None:
        package = self.checkout()
        root = package.parents[2]
        found = _native._candidates(package, {"ILSPRIVACY_LIB": "/x/libilsprivacy.so"})
        self.assertEqual(
            found[:4],
            [
                package / "libilsprivacy.so",
                Path("/x/libilsprivacy.so"),
                root / "target" / "release" / "libilsprivacy.so",
                root / "target" / "debug" / "libilsprivacy.so",
            ],
        )

    def test_an_installed_package_never_looks_for_a_checkout(self) -> None:
        # The old loader looked in <venv>/lib/target/release after `pip install`.
        package = self.base / "venv" / "lib" / "python3.11" / "site-packages" / "ilsprivacy"
        package.mkdir(parents=True)
        found = _native._candidates(package, {})
        self.assertFalse(any("target" in p.parts for p in found), found)

    def test_a_tree_without_cargo_toml_is_not_a_checkout(self) -> None:
        package = self.checkout()
        (package.parents[2] / "Cargo.toml").unlink()
        self.assertIsNone(_native._checkout_root(package))


class LoadTest(unittest.TestCase):
    def run_import(self, env: dict) -> subprocess.CompletedProcess:
        full = {k: v for k, v in os.environ.items() if k != "ILSPRIVACY_LIB"}
        full.update(env)
        return subprocess.run(
            [sys.executable, "-c", "import ilsprivacy._native as n; print(n.library_path)"],
            cwd=PACKAGE_ROOT,
            env=full,
            capture_output=True,
            text=True,
        )

    def test_the_loaded_library_is_reported(self) -> None:
        self.assertTrue(Path(_native.library_path).name.startswith("libilsprivacy.so"))

    def test_a_variable_naming_no_file_is_an_error(self) -> None:
        result = self.run_import({"ILSPRIVACY_LIB": "/nonexistent/libilsprivacy.so"})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ILSPRIVACY_LIB names /nonexistent/libilsprivacy.so", result.stderr)

    def test_a_file_that_is_not_a_library_is_an_error_not_a_fallback(self) -> None:
        with tempfile.NamedTemporaryFile(suffix=".so") as bogus:
            bogus.write(b"not an ELF file")
            bogus.flush()
            result = self.run_import({"ILSPRIVACY_LIB": bogus.name})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"cannot load the ilsprivacy shared library {bogus.name}", result.stderr)


if __name__ == "__main__":
    unittest.main()
