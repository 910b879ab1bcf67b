"""Patron-ID tokenization: keys, compatibility and versioned tokens, batches,
rotation, verification.

Compatibility tokens are byte-identical to what pipelines compute today::

    >>> import hmac, hashlib
    >>> from ilsprivacy import Tokenizer
    >>> key = b"library-pipeline-key-0123456789!"
    >>> t = Tokenizer(key)
    >>> t.tokenize("21234000123456") == hmac.new(key, b"21234000123456", hashlib.sha256).hexdigest()
    True

Versioned tokens name their key, so they survive a rotation::

    >>> t.tokenize_versioned("21234000123456")
    'v1.k1.qyhwmumgr5qp4dovv5mrp7doie'

Keys never pass through Python when loaded with :meth:`Key.from_file` or
:meth:`Key.from_env`; the library wipes its copies when a :class:`Key` or
:class:`Tokenizer` is closed or garbage-collected. Error messages never
contain IDs or key bytes.
"""

from __future__ import annotations

import ctypes
import os
import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence, Union

from . import columns, errors
from ._native import Handle, call, check, declare, encode_text, lib, status_t, using
from ._buffers import view
from .columns import PackedColumn
from .enums import KeyEncoding, Normalization, TokenBody, TokenKind

if TYPE_CHECKING:  # pragma: no cover
    from ._buffers import Buffer
else:
    Buffer = Any

#: A column of IDs or tokens: a sequence of ``str``, a :class:`PackedColumn`
#: or a fixed-width bytes buffer (numpy dtype ``S<width>``), UTF-8.
TextColumn = Union[Sequence[str], PackedColumn, Buffer]

# Aliases of the enum members (kept for callers of earlier versions).
#: Compatibility tokens: 64 lowercase hex characters of HMAC-SHA256(key, id).
TOKEN_COMPAT = TokenKind.COMPAT
#: Versioned tokens: ``v1.<key id>.<body>``.
TOKEN_V1 = TokenKind.V1
#: Versioned token bodies in lowercase hex.
BODY_HEX = TokenBody.HEX
#: Versioned token bodies in unpadded lowercase base32.
BODY_BASE32 = TokenBody.BASE32
#: Key material stored as the bytes themselves.
KEY_RAW = KeyEncoding.RAW
#: Key material stored as hexadecimal text.
KEY_HEX = KeyEncoding.HEX
#: No normalisation.
NORM_NONE = Normalization.NONE
#: Remove leading and trailing whitespace.
NORM_TRIM = Normalization.TRIM
#: Unicode lowercase.
NORM_CASE_FOLD = Normalization.CASE_FOLD
#: Remove whitespace and barcode separators (``- . _ / :`` and Unicode dashes).
NORM_STRIP_SEPARATORS = Normalization.STRIP_SEPARATORS
#: Trim, case fold and strip separators: library barcodes.
NORM_BARCODE = Normalization.BARCODE
#: The shortest accepted key, in bytes.
MIN_KEY_LEN = 32
#: The longest accepted key, and the largest key file, in bytes.
MAX_KEY_LEN = 65536

_p = ctypes.POINTER
_size_p = _p(ctypes.c_size_t)
_handle_p = _p(ctypes.c_void_p)
_u32 = ctypes.c_uint32
_char_p = ctypes.c_char_p
_out_p = _p(ctypes.c_char)

_key_from_bytes = declare("ilsp_key_from_bytes", status_t, [ctypes.c_char_p, ctypes.c_size_t, _handle_p])
_key_from_file = declare("ilsp_key_from_file", status_t, [_char_p, _u32, _handle_p])
_key_from_env = declare("ilsp_key_from_env", status_t, [_char_p, _u32, _handle_p])
_key_generate = declare("ilsp_key_generate", status_t, [ctypes.c_size_t, _handle_p])
_key_derive = declare("ilsp_key_derive", status_t, [ctypes.c_void_p, _char_p, _char_p, _handle_p])
_key_free = declare("ilsp_key_free", None, [ctypes.c_void_p])

_new = declare("ilsp_tokenizer_new", status_t, [ctypes.c_char_p, ctypes.c_size_t, _handle_p])
_new_with_key = declare("ilsp_tokenizer_new_with_key", status_t, [_char_p, ctypes.c_void_p, _handle_p])
_free = declare("ilsp_tokenizer_free", None, [ctypes.c_void_p])
_set_format = declare("ilsp_tokenizer_set_format", status_t, [ctypes.c_void_p, _u32, _u32])
_add_key = declare("ilsp_tokenizer_add_key", status_t, [ctypes.c_void_p, _char_p, ctypes.c_void_p])
_activate = declare("ilsp_tokenizer_activate", status_t, [ctypes.c_void_p, _char_p])
_retire = declare("ilsp_tokenizer_retire", status_t, [ctypes.c_void_p, _char_p])
_key_count = declare("ilsp_tokenizer_key_count", status_t, [ctypes.c_void_p, _size_p])
_key_id = declare(
    "ilsp_tokenizer_key_id", status_t, [ctypes.c_void_p, ctypes.c_size_t, _out_p, ctypes.c_size_t, _size_p]
)
_active_key_id = declare("ilsp_tokenizer_active_key_id", status_t, [ctypes.c_void_p, _out_p, ctypes.c_size_t, _size_p])
_tokenize = declare(
    "ilsp_tokenize", status_t, [ctypes.c_void_p, _char_p, ctypes.c_size_t, _out_p, ctypes.c_size_t, _size_p]
)
_tokenize_with = declare(
    "ilsp_tokenize_with",
    status_t,
    [ctypes.c_void_p, _char_p, _u32, _u32, _char_p, ctypes.c_size_t, _out_p, ctypes.c_size_t, _size_p],
)
_token_len = declare("ilsp_tokenizer_token_len", status_t, [ctypes.c_void_p, _char_p, _u32, _size_p])
_batch = declare(
    "ilsp_tokenize_batch",
    status_t,
    [
        ctypes.c_void_p,
        _char_p,
        _u32,
        _u32,
        _char_p,
        ctypes.c_size_t,
        _size_p,
        ctypes.c_size_t,
        _out_p,
        ctypes.c_size_t,
        _size_p,
    ],
)
_bridge = declare(
    "ilsp_tokenize_bridge",
    status_t,
    [
        ctypes.c_void_p,
        _char_p,
        _u32,
        _u32,
        _char_p,
        _u32,
        _u32,
        _char_p,
        ctypes.c_size_t,
        _size_p,
        ctypes.c_size_t,
        _out_p,
        ctypes.c_size_t,
        _size_p,
    ],
)
_verify = declare(
    "ilsp_token_verify",
    status_t,
    [ctypes.c_void_p, _char_p, _u32, _char_p, ctypes.c_size_t, _p(ctypes.c_int32)],
)
_lookup = declare(
    "ilsp_token_lookup",
    status_t,
    [ctypes.c_void_p, _char_p, ctypes.c_size_t, _size_p, ctypes.c_size_t, _u32, _char_p, ctypes.c_size_t, _size_p],
)
_address = declare("ilsp_tokenize_address", status_t, [ctypes.c_void_p, _char_p, _out_p, ctypes.c_size_t, _size_p])

_KINDS = {"compat": TOKEN_COMPAT, "v1": TOKEN_V1}
# Per-thread output buffers for Tokenizer.tokenize (the call is made often).
_scratch = threading.local()
_BODIES = {"hex": BODY_HEX, "base32": BODY_BASE32}
_KEY_ENCODINGS = {"raw": KEY_RAW, "hex": KEY_HEX}


def _code(value: Union[int, str], names: dict, param: str) -> int:
    if isinstance(value, str):
        try:
            return names[value]
        except KeyError:
            raise ValueError(f"{param} must be one of {sorted(names)}, got {value!r}") from None
    return int(value)


def text_call(fn: Callable[..., int], *args: object, capacity: int = 128, trailing: tuple = ()) -> str:
    """Calls a C function taking ``*args, out, out_cap, out_len, *trailing``,
    growing the buffer once if the library reports ``ILSP_ERR_BUFFER_TOO_SMALL``."""
    needed = ctypes.c_size_t()
    buf = ctypes.create_string_buffer(capacity)
    status = fn(*args, buf, capacity, ctypes.byref(needed), *trailing)
    if status == errors.ILSP_ERR_BUFFER_TOO_SMALL:
        buf = ctypes.create_string_buffer(needed.value)
        status = fn(*args, buf, needed.value, ctypes.byref(needed), *trailing)
    check(status)
    return buf.raw[: needed.value].decode("utf-8")


def _width(t: ctypes.c_void_p, kid: Optional[bytes], kind: int) -> int:
    """``ilsp_tokenizer_token_len`` on a pointer the caller holds."""
    n = ctypes.c_size_t()
    call(_token_len, t, kid, kind, ctypes.byref(n))
    return n.value


class Key(Handle):
    """Secret key material held by the library (at least 32 bytes), wiped on
    :meth:`close` or garbage collection. ``repr`` never shows key bytes."""

    _free = staticmethod(_key_free)
    _kind = "key"

    @classmethod
    def _make(cls, fn: Callable[..., int], *args: object) -> "Key":
        handle = ctypes.c_void_p()
        call(fn, *args, ctypes.byref(handle))
        return cls(handle)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Key":
        """Copies ``data`` (32 to 65536 bytes) into a key.

        Raises:
            KeyMaterialError: if ``data`` is shorter than 32 or longer than 65536 bytes.
        """
        data = bytes(data)
        return cls._make(_key_from_bytes, data, len(data))

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike[str]], encoding: Union[KeyEncoding, int, str] = "raw") -> "Key":
        """Reads a key file stored as ``"raw"`` bytes or ``"hex"`` text.

        Only a regular file is read (at most 64 KiB + 1 bytes, without
        blocking on a FIFO).

        Raises:
            LedgerIOError: if the file cannot be opened or read (an ``OSError``).
            KeyMaterialError: if it is not a regular file (a FIFO, a device such
                as ``/dev/zero``, a directory), too short, not hex, or over 64 KiB.
        """
        return cls._make(_key_from_file, os.fsencode(path), _code(encoding, _KEY_ENCODINGS, "encoding"))

    @classmethod
    def from_env(cls, name: str, encoding: Union[KeyEncoding, int, str] = "raw") -> "Key":
        """Reads a key from environment variable ``name`` (``"raw"``: the value's
        UTF-8 bytes, as ``os.environ[name].encode()`` gives them; or ``"hex"``).

        Raises:
            KeyMaterialError: if the variable is unset, too short or not hex.
        """
        return cls._make(_key_from_env, encode_text(name, "name"), _code(encoding, _KEY_ENCODINGS, "encoding"))

    @classmethod
    def generate(cls, length: int = 32) -> "Key":
        """A new random key of 32 to 65536 bytes from the library's CSPRNG
        (seeded from the OS).

        Raises:
            KeyMaterialError: if ``length`` is out of range (checked before
                anything is allocated).
        """
        if not isinstance(length, int) or isinstance(length, bool):
            raise TypeError(f"length must be int, got {type(length).__name__}")
        if length < 0:
            raise errors.KeyMaterialError(f"key must be at least {MIN_KEY_LEN} bytes, got {length}")
        # Lengths beyond size_t are refused like any other over-long key.
        return cls._make(_key_generate, min(length, ctypes.c_size_t(-1).value))

    def derive(self, tenant: str, purpose: str) -> "Key":
        """The 32-byte key of ``tenant`` and ``purpose``, derived from this master
        key with HKDF-SHA256 (one leaked tenant key exposes one tenant)."""
        t, p = encode_text(tenant, "tenant"), encode_text(purpose, "purpose")
        return self._run(lambda key: Key._make(_key_derive, key, t, p))

    def __repr__(self) -> str:
        return "Key(<closed>)" if self.closed else "Key(<secret>)"


class Tokenizer(Handle):
    """A key ring (one active key) and a versioned-token format.

    ``Tokenizer(key_bytes)`` makes a ring whose only key is named ``"k1"``;
    ``Tokenizer(key, key_id="2026a")`` names it. ``key`` is ``bytes`` (copied,
    at least 32) or a :class:`Key`. Methods are safe to call from several
    threads (the library locks the ring).
    """

    _free = staticmethod(_free)
    _kind = "tokenizer"

    def __init__(self, key: Union[bytes, bytearray, Key], key_id: Optional[str] = None) -> None:
        handle = ctypes.c_void_p()
        if isinstance(key, Key):
            kid = encode_text(key_id or "k1", "key_id")
            key._call(lambda k: _new_with_key(kid, k, ctypes.byref(handle)))
        elif isinstance(key, (bytes, bytearray)):
            if key_id is None:
                call(_new, bytes(key), len(key), ctypes.byref(handle))
            else:
                kid = encode_text(key_id, "key_id")
                with Key.from_bytes(bytes(key)) as k:
                    k._call(lambda kp: _new_with_key(kid, kp, ctypes.byref(handle)))
        else:
            raise TypeError(f"key must be bytes or Key, got {type(key).__name__}")
        super().__init__(handle)

    def __repr__(self) -> str:
        if self.closed:
            return "Tokenizer(<closed>)"
        return f"Tokenizer(keys={self.key_ids!r}, active={self.active_key_id!r})"

    # ----- tokens ----------------------------------------------------------

    def tokenize(self, id: str) -> str:
        """The compatibility token of ``id`` under the active key:
        ``hmac.new(key, id.encode(), hashlib.sha256).hexdigest()``. The empty
        string has a token, as in Python."""
        raw = id.encode("utf-8", errors="surrogatepass") if type(id) is str else encode_text(id, "id")
        try:
            out, n_ref = _scratch.compat
        except AttributeError:
            out = ctypes.create_string_buffer(65)
            n_ref = ctypes.byref(ctypes.c_size_t())
            _scratch.compat = (out, n_ref)
        handle = self._acquire()
        try:
            status = _tokenize(handle, raw, len(raw), out, 65, n_ref)
        finally:
            self._release()
        if status:
            check(status)
        return out.value.decode("ascii")

    def tokenize_versioned(self, id: str, *, key_id: Optional[str] = None, normalize: Union[Normalization, int] = Normalization.NONE) -> str:
        """The versioned token ``v1.<key id>.<body>`` of ``id``.

        Raises:
            InvalidArgumentError: if ``id`` is empty (after normalisation).
            KeyMaterialError: if ``key_id`` is not in the ring.
        """
        return self.tokenize_with(id, kind=TOKEN_V1, key_id=key_id, normalize=normalize)

    def tokenize_with(
        self,
        id: str,
        *,
        kind: Union[TokenKind, int, str] = TokenKind.COMPAT,
        key_id: Optional[str] = None,
        normalize: Union[Normalization, int] = Normalization.NONE,
    ) -> str:
        """The token of ``id`` of ``kind`` (``"compat"``/``"v1"``) under
        ``key_id`` (default: the active key) after ``normalize`` (``NORM_*`` flags)."""
        raw = encode_text(id, "id")
        kid = None if key_id is None else encode_text(key_id, "key_id")
        code = _code(kind, _KINDS, "kind")
        return self._run(lambda t: text_call(_tokenize_with, t, kid, code, normalize, raw, len(raw), capacity=128))

    def token_len(self, kind: Union[TokenKind, int, str] = TokenKind.V1, key_id: Optional[str] = None) -> int:
        """The length of every token of ``kind`` under ``key_id`` (default: active)."""
        kid = None if key_id is None else encode_text(key_id, "key_id")
        code = _code(kind, _KINDS, "kind")
        return self._run(lambda t: _width(t, kid, code))

    def tokenize_many(
        self,
        ids: TextColumn,
        *,
        kind: Union[TokenKind, int, str] = TokenKind.COMPAT,
        key_id: Optional[str] = None,
        normalize: Union[Normalization, int] = Normalization.NONE,
    ) -> list[str]:
        """The tokens of ``ids`` in one library call (IDs hashed four at a time).

        ``ids`` may also be a :class:`PackedColumn` or a fixed-width bytes
        array (numpy dtype ``S<width>``) of UTF-8 IDs, read in place;
        :meth:`tokenize_column` returns the tokens packed instead of as a list.

        Raises:
            EncodingError: an ID is not UTF-8 or has lone surrogates (the message gives the byte offset).
            InvalidArgumentError: an empty ID for ``"v1"`` (the message gives its index).
        """
        column = self.tokenize_column(ids, kind=kind, key_id=key_id, normalize=normalize)
        text = view(column.data).tobytes().decode("ascii")
        width = column.width or 0
        return [text[i : i + width] for i in range(0, len(text), width)] if width else []

    def tokenize_column(
        self,
        ids: TextColumn,
        *,
        kind: Union[TokenKind, int, str] = TokenKind.COMPAT,
        key_id: Optional[str] = None,
        normalize: Union[Normalization, int] = Normalization.NONE,
    ) -> PackedColumn:
        """The tokens of ``ids`` (as in :meth:`tokenize_many`) as one fixed-width
        :class:`PackedColumn` of ASCII tokens, with no Python object per token:
        pass it to :meth:`Aggregator.add_batch` as the units, or view it with
        ``column.to_numpy()`` (dtype ``S<width>``)."""
        kind_code = _code(kind, _KINDS, "kind")
        kid = None if key_id is None else encode_text(key_id, "key_id")

        def batch(t: ctypes.c_void_p) -> PackedColumn:
            with ExitStack() as stack:
                packed = columns.keys(ids, "ids", stack, text_only=True)
                # Width and tokens under one hold of the handle: a close waits for both.
                width = _width(t, kid, kind_code)
                cap = packed.n * width + 1
                out = bytearray(cap)
                written = ctypes.c_size_t()
                call(
                    _batch, t, kid, kind_code, int(normalize), packed.text, packed.nbytes, packed.offsets, packed.n,
                    (ctypes.c_char * cap).from_buffer(out), cap, ctypes.byref(written),
                )
            del out[written.value :]
            return PackedColumn.fixed_width(out, width)

        return self._run(batch)

    def tokenize_all(self, id: str, *, kind: Union[TokenKind, int, str] = TokenKind.V1, normalize: Union[Normalization, int] = Normalization.NONE) -> dict[str, str]:
        """The token of ``id`` under every live key (the rotation transition window)."""
        return {kid: self.tokenize_with(id, kind=kind, key_id=kid, normalize=normalize) for kid in self.key_ids}

    def bridge(
        self,
        ids: TextColumn,
        *,
        from_key: Optional[str],
        to_key: Optional[str],
        from_kind: Union[TokenKind, int, str] = TokenKind.COMPAT,
        to_kind: Union[TokenKind, int, str] = TokenKind.V1,
        from_normalize: Union[Normalization, int] = Normalization.NONE,
        to_normalize: Union[Normalization, int] = Normalization.NONE,
    ) -> list[tuple[str, str]]:
        """``(old token, new token)`` for each of ``ids``: the mapping that re-keys
        stored data during a rotation (``None`` keys: the active key). ``ids``
        as in :meth:`tokenize_many`."""
        fk = None if from_key is None else encode_text(from_key, "from_key")
        tk = None if to_key is None else encode_text(to_key, "to_key")
        fc, tc = _code(from_kind, _KINDS, "from_kind"), _code(to_kind, _KINDS, "to_kind")

        def bridge(t: ctypes.c_void_p) -> str:
            with ExitStack() as stack:
                packed = columns.keys(ids, "ids", stack, text_only=True)
                cap = packed.n * (_width(t, fk, fc) + _width(t, tk, tc) + 2) + 1
                return text_call(
                    _bridge, t, fk, fc, int(from_normalize), tk, tc, int(to_normalize), packed.text, packed.nbytes,
                    packed.offsets, packed.n, capacity=cap,
                )

        text = self._run(bridge)
        return [tuple(line.split(",")) for line in text.splitlines()]  # type: ignore[misc]

    def verify(self, token: str, id: str, *, normalize: Union[Normalization, int] = Normalization.NONE) -> bool:
        """Whether ``token`` is ``id``'s token under a live key (constant-time comparison).

        Raises:
            InvalidArgumentError: ``token`` is neither a v1 nor a compatibility token.
            KeyMaterialError: ``token`` names a key not in the ring (e.g. retired).
        """
        raw = encode_text(id, "id")
        matches = ctypes.c_int32()
        self._call(_verify, encode_text(token, "token"), normalize, raw, len(raw), ctypes.byref(matches))
        return bool(matches.value)

    def lookup(
        self, tokens: TextColumn, id: str, *, normalize: Union[Normalization, int] = Normalization.NONE
    ) -> Optional[int]:
        """The index of the first of ``tokens`` that is ``id``'s token under a live
        key, or ``None``. Every entry is compared in constant time. ``tokens``
        as ``ids`` in :meth:`tokenize_many` (e.g. a :meth:`tokenize_column` result)."""
        raw = encode_text(id, "id")
        index = ctypes.c_size_t()
        with ExitStack() as stack:
            packed = columns.keys(tokens, "tokens", stack, text_only=True)
            self._call(
                _lookup, packed.text, packed.nbytes, packed.offsets, packed.n, int(normalize), raw, len(raw),
                ctypes.byref(index),
            )
        return None if index.value == packed.n else index.value

    def tokenize_address(self, address: str) -> str:
        """The versioned token of a postal address's canonical form
        (``"12 Main Street"`` and ``"12 MAIN ST"`` share one)."""
        text = encode_text(address, "address")
        return self._run(lambda t: text_call(_address, t, text))

    # ----- key ring and format ---------------------------------------------

    def set_format(self, encoding: Union[TokenBody, int, str] = "base32", bits: int = 128) -> None:
        """Versioned token bodies: ``"base32"`` or ``"hex"`` (or a :class:`TokenBody`), 128 to 256 bits (multiple of 8)."""
        self._call(_set_format, _code(encoding, _BODIES, "encoding"), bits)

    def add_key(self, key_id: str, key: Union[bytes, Key]) -> None:
        """Adds a key to the ring, live but not active."""
        kid = encode_text(key_id, "key_id")
        if isinstance(key, Key):
            with using(self, key) as (t, k):
                call(_add_key, t, kid, k)
        else:
            with Key.from_bytes(bytes(key)) as owned, using(self, owned) as (t, k):
                call(_add_key, t, kid, k)

    def activate(self, key_id: str) -> None:
        """Makes ``key_id`` the active key."""
        self._call(_activate, encode_text(key_id, "key_id"))

    def retire(self, key_id: str) -> None:
        """Removes ``key_id`` from the ring and wipes it (not the active key)."""
        self._call(_retire, encode_text(key_id, "key_id"))

    @property
    def key_ids(self) -> list[str]:
        """The live keys' ids, in the order they were added."""

        def ids(t: ctypes.c_void_p) -> list[str]:
            n = ctypes.c_size_t()
            call(_key_count, t, ctypes.byref(n))
            return [text_call(_key_id, t, i, capacity=40) for i in range(n.value)]

        return self._run(ids)

    @property
    def active_key_id(self) -> str:
        """The active key's id."""
        return self._run(lambda t: text_call(_active_key_id, t, capacity=40))


__all__ = [
    "KeyEncoding",
    "Normalization",
    "TokenBody",
    "TokenKind",
    "BODY_BASE32",
    "BODY_HEX",
    "KEY_HEX",
    "KEY_RAW",
    "Key",
    "MAX_KEY_LEN",
    "MIN_KEY_LEN",
    "NORM_BARCODE",
    "NORM_CASE_FOLD",
    "NORM_NONE",
    "NORM_STRIP_SEPARATORS",
    "NORM_TRIM",
    "TOKEN_COMPAT",
    "TOKEN_V1",
    "Tokenizer",
]

# Keep a reference so the library outlives objects finalised at interpreter exit.
_LIB = lib
