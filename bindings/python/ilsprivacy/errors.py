"""Status codes of the C ABI and the Python exceptions they become.

The numbers are fixed forever: new codes may be appended, none is renumbered.
Every exception carries ``status`` (the C code, a :class:`~ilsprivacy.Status`
member; a plain ``int`` only for a code this binding does not know) and the
library's message, which names the parameter at fault but never a patron
identifier, a protected value or key bytes.
"""

from __future__ import annotations

from typing import Union

from .enums import Status

ILSP_OK = Status.OK
ILSP_ERR_NULL = Status.NULL
ILSP_ERR_INVALID_ARGUMENT = Status.INVALID_ARGUMENT
ILSP_ERR_BUDGET_EXHAUSTED = Status.BUDGET_EXHAUSTED
ILSP_ERR_BUFFER_TOO_SMALL = Status.BUFFER_TOO_SMALL
ILSP_ERR_ENCODING = Status.ENCODING
ILSP_ERR_KEY = Status.KEY
ILSP_ERR_IO = Status.IO
ILSP_ERR_LEDGER_INTEGRITY = Status.LEDGER_INTEGRITY
ILSP_ERR_ENTROPY = Status.ENTROPY
ILSP_ERR_INTERNAL = Status.INTERNAL
ILSP_ERR_TEMPLATE_MISMATCH = Status.TEMPLATE_MISMATCH
ILSP_ERR_ACCOUNT_SUSPENDED = Status.ACCOUNT_SUSPENDED


class IlsPrivacyError(Exception):
    """Base class of every error raised by the library."""

    status: Union[Status, int] = -1

    def __init__(self, message: str, status: Union[Status, int, None] = None) -> None:
        super().__init__(message)
        if status is not None:
            try:
                self.status = Status(status)
            except ValueError:
                self.status = status

    @property
    def message(self) -> str:
        """The library's description of the failure."""
        return str(self.args[0]) if self.args else ""


class NullPointerError(IlsPrivacyError):
    """A required pointer was NULL (a binding bug if raised from Python)."""

    status = ILSP_ERR_NULL


class InvalidArgumentError(IlsPrivacyError, ValueError):
    """NaN/inf, epsilon <= 0, delta outside (0, 1), lo > hi, a bad option ..."""

    status = ILSP_ERR_INVALID_ARGUMENT


class BudgetExhaustedError(IlsPrivacyError):
    """The spend would exceed the account's limit; nothing was released or recorded."""

    status = ILSP_ERR_BUDGET_EXHAUSTED


class BufferTooSmallError(IlsPrivacyError):
    """An output buffer was too small (the binding normally retries with the needed size)."""

    status = ILSP_ERR_BUFFER_TOO_SMALL


class EncodingError(IlsPrivacyError, ValueError):
    """Text is not valid UTF-8."""

    status = ILSP_ERR_ENCODING


class KeyMaterialError(IlsPrivacyError):
    """Key too short, unknown key id, or bad key material."""

    status = ILSP_ERR_KEY


class LedgerIOError(IlsPrivacyError, OSError):
    """A ledger file could not be opened, locked, read or written."""

    status = ILSP_ERR_IO


class LedgerIntegrityError(IlsPrivacyError):
    """A ledger's format, version or hash chain is broken."""

    status = ILSP_ERR_LEDGER_INTEGRITY


class EntropyError(IlsPrivacyError):
    """The operating system could not provide randomness."""

    status = ILSP_ERR_ENTROPY


class InternalError(IlsPrivacyError):
    """A bug in the library (for example a caught panic)."""

    status = ILSP_ERR_INTERNAL


class TemplateMismatchError(IlsPrivacyError):
    """The spend matches none of the account's query templates (the message
    names the rule each template broke); nothing was recorded or released."""

    status = ILSP_ERR_TEMPLATE_MISMATCH


class AccountSuspendedError(IlsPrivacyError):
    """The account is suspended (the message gives the recorded reason);
    nothing was recorded or released."""

    status = ILSP_ERR_ACCOUNT_SUSPENDED


class ClosedHandleError(ValueError):
    """A method was called on an object after :meth:`close` (or while it was
    closing). Not a C status: the binding raises it before calling the library."""


_BY_STATUS: dict[int, type[IlsPrivacyError]] = {
    cls.status: cls
    for cls in (
        NullPointerError,
        InvalidArgumentError,
        BudgetExhaustedError,
        BufferTooSmallError,
        EncodingError,
        KeyMaterialError,
        LedgerIOError,
        LedgerIntegrityError,
        EntropyError,
        InternalError,
        TemplateMismatchError,
        AccountSuspendedError,
    )
}


def from_status(status: int, message: str) -> IlsPrivacyError:
    """The exception for a non-zero C status code."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return IlsPrivacyError(f"unknown status {int(status)}: {message}", status)
    return cls(message)
