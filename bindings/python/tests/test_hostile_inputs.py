"""Hostile sizes and key files: typed errors, never an abort or a hang.

ilsp_key_generate(2**62) once aborted the interpreter (an allocation failure
is not a panic the library can catch); /dev/zero as a key file was read until
memory ran out, and a FIFO key path blocked forever.
"""

import os
import tempfile
import time
import unittest

from ilsprivacy import Key, KeyMaterialError, Tokenizer
from ilsprivacy.token import MAX_KEY_LEN


class HugeSizesTest(unittest.TestCase):
    def test_huge_key_lengths_are_key_errors(self) -> None:
        for length in (MAX_KEY_LEN + 1, 2**40, 2**62, 2**64 - 1, 2**70, -1):
            with self.subTest(length=length):
                with self.assertRaisesRegex(KeyMaterialError, "key must be at"):
                    Key.generate(length)
        with self.assertRaisesRegex(KeyMaterialError, "key must be at most 65536 bytes, got 65537"):
            Key.from_bytes(b"k" * (MAX_KEY_LEN + 1))
        with self.assertRaisesRegex(KeyMaterialError, "at most 65536"):
            Tokenizer(b"k" * (MAX_KEY_LEN + 1))
        Key.generate(MAX_KEY_LEN).close()


class KeyFilesTest(unittest.TestCase):
    def refused(self, path: str, kind: str) -> None:
        start = time.monotonic()
        with self.assertRaisesRegex(KeyMaterialError, rf"is not a regular file \(it is {kind}\)"):
            Key.from_file(path)
        self.assertLess(time.monotonic() - start, 2.0, "the call did not return promptly")

    def test_devices_fifos_and_directories_are_refused_at_once(self) -> None:
        self.refused("/dev/zero", "a character device")
        with tempfile.TemporaryDirectory() as d:
            link = os.path.join(d, "zero.key")
            os.symlink("/dev/zero", link)
            self.refused(link, "a character device")
            fifo = os.path.join(d, "key.fifo")
            os.mkfifo(fifo)
            self.refused(fifo, "a FIFO")
            self.refused(d, "a directory")

    def test_a_file_over_the_cap_is_refused(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            sparse = os.path.join(d, "sparse.key")
            with open(sparse, "wb") as f:
                f.truncate(1 << 40)  # 1 TiB, sparse
            with self.assertRaisesRegex(KeyMaterialError, "is larger than 65536 bytes"):
                Key.from_file(sparse)


if __name__ == "__main__":
    unittest.main()
