"""Data-lifecycle policies and crypto-shredding: retention actions per field,
role masking with FERPA directory opt-outs, and key epochs whose retirement
destroys their key.

    >>> from ilsprivacy.lifecycle import Policy
    >>> policy = Policy('''
    ... [policy]
    ... name = "demo"
    ... version = "1"
    ... [[retention.rule]]
    ... class = "holds"
    ... fields = ["patron_id"]
    ... anchor = "closed_on"
    ... after = "30 days"
    ... action = "purge"
    ... ''')
    >>> policy.retention("holds", "2026-01-31", {"patron_id": "P-1", "closed_on": "2026-01-01"})["actions"]
    {'closed_on': 'keep', 'patron_id': 'purge'}

Policies are TOML (or JSON); see ``docs/lifecycle.md`` and
``examples/policies/``. Dates are civil dates in UTC. Messages name keys,
lines and fields, never values.
"""

from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Mapping, Optional, Union

from ._native import Handle, call, declare, encode_text, status_t, using
from .token import Tokenizer, text_call

_p = ctypes.POINTER
_size_p = _p(ctypes.c_size_t)
_out_p = _p(ctypes.c_char)

_policy_new = declare("ilsp_policy_new", status_t, [ctypes.c_char_p, ctypes.c_size_t, _p(ctypes.c_void_p)])
_policy_free = declare("ilsp_policy_free", None, [ctypes.c_void_p])
_evaluate = declare(
    "ilsp_retention_evaluate",
    status_t,
    [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, _out_p, ctypes.c_size_t, _size_p],
)
_mask = declare(
    "ilsp_access_mask",
    status_t,
    [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, _out_p, ctypes.c_size_t, _size_p],
)
_ring_create = declare("ilsp_epoch_ring_create", status_t, [ctypes.c_char_p, _p(ctypes.c_void_p)])
_ring_open = declare("ilsp_epoch_ring_open", status_t, [ctypes.c_char_p, _p(ctypes.c_void_p)])
_ring_free = declare("ilsp_epoch_ring_free", None, [ctypes.c_void_p])
_ring_add = declare("ilsp_epoch_ring_add", status_t, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t])
_ring_retire = declare("ilsp_epoch_ring_retire", status_t, [ctypes.c_void_p, ctypes.c_char_p, _p(ctypes.c_uint64)])
_ring_tokenize = declare(
    "ilsp_epoch_ring_tokenize",
    status_t,
    [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, _out_p, ctypes.c_size_t, _size_p],
)
_ring_verify = declare(
    "ilsp_epoch_ring_verify",
    status_t,
    [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, _p(ctypes.c_int32)],
)

Record = Union[Mapping[str, Any], str]


def _record_bytes(record: Record) -> bytes:
    return encode_text(record if isinstance(record, str) else json.dumps(dict(record)), "record")


class Policy(Handle):
    """A checked data-lifecycle policy (TOML or JSON text).

    Raises:
        InvalidArgumentError: naming the key and, in TOML, the line of the
            first mistake (unknown class, overlapping rules, negative window,
            unknown role, syntax).
    """

    _free = staticmethod(_policy_free)
    _kind = "policy"

    def __init__(self, text: str) -> None:
        raw = encode_text(text, "text")
        handle = ctypes.c_void_p()
        call(_policy_new, raw, len(raw), ctypes.byref(handle))
        super().__init__(handle)

    def retention(self, record_class: str, as_of: str, record: Record) -> dict:
        """The action due on each field of ``record`` (a dict of scalars) of
        ``record_class`` on ``as_of`` (``YYYY-MM-DD``, UTC), with an audit
        entry: ``{"class", "as_of", "actions": {field: action}, "audit": {...}}``.
        Nothing is deleted; the caller carries the actions out."""
        raw = _record_bytes(record)
        cls = encode_text(record_class, "class_name")
        day = encode_text(as_of, "as_of")
        out = self._run(lambda p: text_call(_evaluate, p, cls, day, raw, len(raw), capacity=len(raw) + 512))
        return json.loads(out)

    def mask(self, role: str, record: Record, tokenizer: Optional[Tokenizer] = None) -> dict:
        """``record`` masked for ``role``: ``{"record": {...shown and masked
        fields}, "fields": {field: "shown"|"masked"|"suppressed"},
        "directory_opt_out": bool, "unreadable": [...]}``. ``tokenizer`` serves
        the policy's ``tokenize`` masks (``KeyMaterialError`` without one)."""
        raw = _record_bytes(record)
        r = encode_text(role, "role")
        capacity = 2 * len(raw) + 512
        if tokenizer is None:
            out = self._run(lambda p: text_call(_mask, p, r, None, raw, len(raw), capacity=capacity))
        else:
            with using(self, tokenizer) as (p, t):
                out = text_call(_mask, p, r, t, raw, len(raw), capacity=capacity)
        return json.loads(out)


class EpochRing(Handle):
    """A file of epoch keys (one per retention period). Retiring an epoch
    wipes its key, rewrites the file atomically without it and zeroes the
    previous file; every later token call on it raises ``KeyMaterialError``.
    Use :meth:`create` or :meth:`open`."""

    _free = staticmethod(_ring_free)
    _kind = "epoch ring"

    @classmethod
    def create(cls, path: Union[str, os.PathLike]) -> "EpochRing":
        """A new, empty ring file (mode 0600; it must not exist)."""
        handle = ctypes.c_void_p()
        call(_ring_create, os.fsencode(path), ctypes.byref(handle))
        return cls(handle)

    @classmethod
    def open(cls, path: Union[str, os.PathLike]) -> "EpochRing":
        """The ring file at ``path``."""
        handle = ctypes.c_void_p()
        call(_ring_open, os.fsencode(path), ctypes.byref(handle))
        return cls(handle)

    def add(self, epoch: str, root_key: Optional[bytes] = None) -> None:
        """Adds ``epoch`` with its key derived from ``root_key`` (HKDF-SHA256,
        at least 32 bytes), or a random key when ``root_key`` is ``None``
        (then retirement is final: no one can derive it again)."""
        e = encode_text(epoch, "epoch")
        if root_key is None:
            self._call(_ring_add, e, None, 0)
        else:
            key = bytes(root_key)
            self._call(_ring_add, e, key, len(key))

    def retire(self, epoch: str) -> int:
        """Destroys ``epoch``'s key; returns the retirement time (Unix seconds)."""
        at = ctypes.c_uint64()
        self._call(_ring_retire, encode_text(epoch, "epoch"), ctypes.byref(at))
        return at.value

    def tokenize(self, epoch: str, id: str) -> str:
        """The versioned token ``v1.<epoch>.<body>`` of ``id``."""
        e = encode_text(epoch, "epoch")
        raw = encode_text(id, "id")
        return self._run(lambda r: text_call(_ring_tokenize, r, e, raw, len(raw), capacity=128))

    def verify(self, token: str, id: str) -> bool:
        """Whether ``token`` is the token of ``id`` under the epoch it names."""
        t = encode_text(token, "token")
        raw = encode_text(id, "id")
        matches = ctypes.c_int32()
        self._call(_ring_verify, t, len(t), raw, len(raw), ctypes.byref(matches))
        return bool(matches.value)


__all__ = ["EpochRing", "Policy"]
