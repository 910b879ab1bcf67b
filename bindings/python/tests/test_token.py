"""Tokenization through the Python binding: byte-identical to CPython's hmac
on 10,000 IDs, keys, versioned tokens, rotation, verification, errors."""

import ctypes
import hashlib
import hmac
import importlib.util
import os
import tempfile
import threading
import unittest
from pathlib import Path

import ilsprivacy
from ilsprivacy import Key, Tokenizer, _native, errors, token

KEY = b"library-pipeline-key-0123456789!"
ROOT = Path(__file__).resolve().parents[3]


def load_vectors():
    spec = importlib.util.spec_from_file_location("token_vectors", ROOT / "tests" / "vectors" / "token_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference(key: bytes, ident: str) -> str:
    return hmac.new(key, ident.encode(), hashlib.sha256).hexdigest()


class PythonHmacVectorsTest(unittest.TestCase):
    """10,000 IDs (ASCII, Unicode, empty, 1 MiB) agree with CPython's hmac."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.vectors = load_vectors()
        cls.ids = cls.vectors.vectors()
        cls.key = cls.vectors.KEY

    def test_the_vectors_cover_the_required_classes(self) -> None:
        self.assertEqual(len(self.ids), 10_000)
        self.assertIn("", self.ids)
        self.assertTrue(any(len(i) == 1 << 20 for i in self.ids))
        self.assertTrue(any(not i.isascii() for i in self.ids))
        self.assertTrue(any(max(map(ord, i), default=0) > 0xFFFF for i in self.ids), "astral characters")

    def test_single_calls(self) -> None:
        with Tokenizer(self.key) as t:
            for ident in self.ids:
                self.assertEqual(t.tokenize(ident), reference(self.key, ident))

    def test_one_batch(self) -> None:
        with Tokenizer(self.key) as t:
            got = t.tokenize_many(self.ids)
        self.assertEqual(got, [reference(self.key, i) for i in self.ids])

    def test_ascii_only_batch_path(self) -> None:
        ids = [i for i in self.ids if i.isascii()]
        with Tokenizer(self.key) as t:
            self.assertEqual(t.tokenize_many(ids), [reference(self.key, i) for i in ids])


class KeyTest(unittest.TestCase):
    def test_short_keys_are_refused_without_echo(self) -> None:
        with self.assertRaises(ilsprivacy.KeyMaterialError) as ctx:
            Tokenizer(b"hunter2-secret")
        self.assertEqual(ctx.exception.status, errors.ILSP_ERR_KEY)
        self.assertEqual(ctx.exception.message, "key error: key must be at least 32 bytes, got 14")
        with self.assertRaises(ilsprivacy.KeyMaterialError):
            Key.from_bytes(b"x" * 31)
        with self.assertRaises(ilsprivacy.KeyMaterialError):
            Key.generate(8)

    def test_file_and_env_keys(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "k.hex"
            path.write_text(KEY.hex() + "\n")
            with Key.from_file(path, "hex") as k, Tokenizer(k, key_id="file") as t:
                self.assertEqual(t.tokenize("42"), reference(KEY, "42"))
            (Path(d) / "k.raw").write_bytes(KEY)
            with Key.from_file(Path(d) / "k.raw") as k, Tokenizer(k) as t:
                self.assertEqual(t.tokenize("42"), reference(KEY, "42"))
            with self.assertRaises(ilsprivacy.LedgerIOError):
                Key.from_file(Path(d) / "missing")
            (Path(d) / "bad.hex").write_text("zz" * 40)
            with self.assertRaises(ilsprivacy.KeyMaterialError) as ctx:
                Key.from_file(Path(d) / "bad.hex", "hex")
            self.assertIn("invalid character at offset 0", ctx.exception.message)
        os.environ["ILSP_PY_TEST_KEY"] = KEY.decode()
        try:
            with Key.from_env("ILSP_PY_TEST_KEY") as k, Tokenizer(k) as t:
                # Same tokens as a pipeline keyed with os.environ[...].encode().
                self.assertEqual(t.tokenize("P-1"), reference(os.environ["ILSP_PY_TEST_KEY"].encode(), "P-1"))
        finally:
            del os.environ["ILSP_PY_TEST_KEY"]
        with self.assertRaisesRegex(ilsprivacy.KeyMaterialError, "ILSP_PY_TEST_KEY is not set"):
            Key.from_env("ILSP_PY_TEST_KEY")

    def test_derived_tenant_keys_match_the_documented_hkdf(self) -> None:
        import struct

        def hkdf(ikm: bytes, info: bytes) -> bytes:
            prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
            return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()

        info = b"ilsprivacy/v1/tenant-key\0" + struct.pack(">H", 8) + b"branch-7" + struct.pack(">H", 9) + b"patron_id"
        with Key.from_bytes(KEY) as master, master.derive("branch-7", "patron_id") as tenant:
            with Tokenizer(tenant) as t:
                self.assertEqual(t.tokenize("21234000123456"), reference(hkdf(KEY, info), "21234000123456"))
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                master.derive("", "patron_id")

    def test_repr_hides_the_key(self) -> None:
        with Key.from_bytes(KEY) as k:
            self.assertEqual(repr(k), "Key(<secret>)")
        self.assertEqual(repr(k), "Key(<closed>)")
        with Tokenizer(KEY) as t:
            self.assertNotIn("library", repr(t))


class VersionedTokenTest(unittest.TestCase):
    def test_known_answer_and_formats(self) -> None:
        with Tokenizer(KEY) as t:
            self.assertEqual(t.tokenize_versioned("21234000123456"), "v1.k1.qyhwmumgr5qp4dovv5mrp7doie")
            self.assertEqual(t.token_len(), 32)
            t.set_format("hex", 160)
            self.assertEqual(t.tokenize_versioned("21234000123456"), "v1.k1.860f6651868f60fe0dd5af5917fc6e41539e184a")
            with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "bits must be a multiple of 8"):
                t.set_format("hex", 64)

    def test_normalisation_and_empty_ids(self) -> None:
        with Tokenizer(KEY) as t:
            a = t.tokenize_versioned(" 21234-00012-3456 ", normalize=token.NORM_BARCODE)
            self.assertEqual(a, t.tokenize_versioned("21234000123456"))
            self.assertEqual(t.tokenize(""), reference(KEY, ""))
            with self.assertRaises(ilsprivacy.InvalidArgumentError) as ctx:
                t.tokenize_versioned("")
            self.assertEqual(ctx.exception.message, "id must not be empty for a versioned token")
            with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "ids entry 1 must not be empty"):
                t.tokenize_many(["a", "", "b"], kind="v1")
            self.assertEqual(t.tokenize_many([], kind="v1"), [])

    def test_invalid_utf8_is_an_encoding_error_without_the_id(self) -> None:
        with Tokenizer(KEY) as t:
            with self.assertRaises(ilsprivacy.EncodingError) as ctx:
                t.tokenize("secret-\ud800")
            self.assertEqual(ctx.exception.message, "id is not valid UTF-8 (first invalid byte at offset 7)")
            with self.assertRaisesRegex(ilsprivacy.EncodingError, "offset 5"):
                t.tokenize_many(["ok", "bad\udfff"])

    def test_buffer_too_small_reports_the_needed_length(self) -> None:
        with Tokenizer(KEY) as t:
            out = ctypes.create_string_buffer(10)
            needed = ctypes.c_size_t()
            status = t._run(lambda h: token._tokenize(h, b"42", 2, out, 10, ctypes.byref(needed)))
            self.assertEqual(status, errors.ILSP_ERR_BUFFER_TOO_SMALL)
            self.assertEqual(needed.value, 65)
            self.assertEqual(_native.last_error(), "out is too small: 65 bytes needed, 10 given")
            with self.assertRaises(ilsprivacy.BufferTooSmallError):
                _native.check(status)


class RotationTest(unittest.TestCase):
    def test_window_bridge_activate_retire(self) -> None:
        ident = "21234000123456"
        with Tokenizer(KEY, key_id="2026a") as t, Key.generate() as new_key:
            old_compat = t.tokenize(ident)
            old_v1 = t.tokenize_versioned(ident)
            t.add_key("2027a", new_key)
            self.assertEqual(t.key_ids, ["2026a", "2027a"])
            self.assertEqual(t.active_key_id, "2026a")
            window = t.tokenize_all(ident)
            self.assertEqual(window["2026a"], old_v1)
            rows = t.bridge([ident, "P-7"], from_key="2026a", to_key="2027a")
            self.assertEqual(rows[0], (old_compat, window["2027a"]))
            t.activate("2027a")
            self.assertEqual(t.tokenize_versioned(ident), window["2027a"])
            self.assertTrue(t.verify(old_v1, ident))
            self.assertTrue(t.verify(old_compat, ident))
            self.assertFalse(t.verify(old_v1, "P-7"))
            self.assertEqual(t.lookup(["junk", old_v1, window["2027a"]], ident), 1)
            self.assertIsNone(t.lookup(["junk", old_v1], "P-7"))
            with self.assertRaisesRegex(ilsprivacy.InvalidArgumentError, "is the active key"):
                t.retire("2027a")
            t.retire("2026a")
            with self.assertRaisesRegex(ilsprivacy.KeyMaterialError, r"unknown key id: token names a key \(5 bytes\)"):
                t.verify(old_v1, ident)
            self.assertFalse(t.verify(old_compat, ident))
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                t.verify("not-a-token", ident)

    def test_address_tokens(self) -> None:
        with Tokenizer(KEY) as t:
            self.assertEqual(t.tokenize_address("12, Main Street  Apt. 4"), t.tokenize_address("12 MAIN ST APT 4"))
            with self.assertRaises(ilsprivacy.InvalidArgumentError):
                t.tokenize_address(" ,, ")


class ConcurrencyTest(unittest.TestCase):
    def test_threads_share_one_tokenizer(self) -> None:
        ids = [f"P-{i:06d}" for i in range(2000)]
        expected = [reference(KEY, i) for i in ids]
        results = {}
        with Tokenizer(KEY) as t:

            def work(n: int) -> None:
                results[n] = t.tokenize_many(ids) if n % 2 else [t.tokenize(i) for i in ids]

            threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
        for n in range(4):
            self.assertEqual(results[n], expected)


if __name__ == "__main__":
    unittest.main()
