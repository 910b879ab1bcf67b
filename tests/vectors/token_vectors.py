#!/usr/bin/env python3
"""Tokenization test vectors from CPython's own ``hmac`` module.

Writes (to the path given, or stdout) a key and 10,000 IDs with their
expected compatibility tokens, ``hmac.new(key, id.encode(), hashlib.sha256)
.hexdigest()``. The IDs are random but reproducible (fixed seed): ASCII,
Unicode from every UTF-8 length class (including astral characters and NUL),
the empty string, lengths around the 55/64-byte SHA-256 block boundaries, and
one 1 MiB string.

Format, one item per line::

    key <key as hex>
    <ID as UTF-8 hex, or "-" for the empty ID> <expected 64-char token>

The C example ``examples/c/tokenize.c`` and the PHP tests read this file when
``ILSP_TOKEN_VECTORS`` names it; the Python tests import :func:`vectors`.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import sys

KEY = bytes(range(0x20, 0x20 + 40))  # 40 bytes: longer than the 32-byte minimum
COUNT = 10_000

_ALPHABETS = {
    "ascii": [chr(c) for c in range(0x20, 0x7F)],
    "digits": list("0123456789"),
    "latin": list("éèüßøÆÅçñ"),
    "bmp": list("ΩЖ中文字한국語ـعربي"),
    "astral": ["😀", "𝄞", "🏛", "𠀋"],
    "controls": ["\0", "\n", "\t", "\x7f"],
}


def _random_id(rng: random.Random, i: int) -> str:
    kind = i % 8
    if kind == 0:  # barcode-like, 10-14 ASCII digits
        return "".join(rng.choice(_ALPHABETS["digits"]) for _ in range(rng.randint(10, 14)))
    if kind == 1:  # around the one-block limit (55 bytes) and a full block
        return "".join(rng.choice(_ALPHABETS["ascii"]) for _ in range(rng.randint(50, 70)))
    if kind == 2:
        return "".join(rng.choice(_ALPHABETS["ascii"]) for _ in range(rng.randint(0, 200)))
    pool = [c for name in ("ascii", "latin", "bmp", "astral", "controls") for c in _ALPHABETS[name]]
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 40 if kind < 6 else 300)))


def vectors(count: int = COUNT, seed: int = 20260301) -> list[str]:
    """The IDs: ``count`` strings including the empty one and a 1 MiB one."""
    rng = random.Random(seed)
    ids = [_random_id(rng, i) for i in range(count - 2)]
    ids.append("")
    ids.append("".join(rng.choice(_ALPHABETS["ascii"]) for _ in range(1 << 20)))
    return ids


def expected(key: bytes, ident: str) -> str:
    """The reference token: CPython's hmac."""
    return hmac.new(key, ident.encode("utf-8"), hashlib.sha256).hexdigest()


def main() -> None:
    out = open(sys.argv[1], "w", encoding="ascii") if len(sys.argv) > 1 else sys.stdout
    with out:
        out.write(f"key {KEY.hex()}\n")
        for ident in vectors():
            raw = ident.encode("utf-8")
            out.write(f"{raw.hex() if raw else '-'} {expected(KEY, ident)}\n")


if __name__ == "__main__":
    main()
