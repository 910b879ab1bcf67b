<?php
/**
 * Exceptions of the ilsprivacy PHP binding: one class per C status code.
 * getCode() is the status; the message is the library's.
 */

declare(strict_types=1);

namespace IlsPrivacy;

/** Base class of every error raised by the library. */
class Exception extends \RuntimeException
{
    /** The exception for a non-zero C status code. */
    public static function fromStatus(int $status, string $message): Exception
    {
        $class = match ($status) {
            Library::ERR_NULL => NullPointerException::class,
            Library::ERR_INVALID_ARGUMENT => InvalidArgumentException::class,
            Library::ERR_BUDGET_EXHAUSTED => BudgetExhaustedException::class,
            Library::ERR_BUFFER_TOO_SMALL => BufferTooSmallException::class,
            Library::ERR_ENCODING => EncodingException::class,
            Library::ERR_KEY => KeyException::class,
            Library::ERR_IO => LedgerIoException::class,
            Library::ERR_LEDGER_INTEGRITY => LedgerIntegrityException::class,
            Library::ERR_ENTROPY => EntropyException::class,
            Library::ERR_INTERNAL => InternalException::class,
            default => null,
        };
        if ($class === null) {
            return new Exception("unknown status $status: $message", $status);
        }
        return new $class($message, $status);
    }
}

/** A required pointer was NULL (a binding bug if raised from PHP). */
class NullPointerException extends Exception {}
/** NaN/inf, epsilon <= 0, delta outside (0, 1), lo > hi, a bad option ... */
class InvalidArgumentException extends Exception {}
/** The spend would exceed the account's limit; nothing was released or recorded. */
class BudgetExhaustedException extends Exception {}
/** An output buffer was too small. */
class BufferTooSmallException extends Exception {}
/** Text is not valid UTF-8. */
class EncodingException extends Exception {}
/** Key too short, unknown key id, or bad key material. */
class KeyException extends Exception {}
/** A ledger file could not be opened, locked, read or written. */
class LedgerIoException extends Exception {}
/** A ledger's format, version or hash chain is broken. */
class LedgerIntegrityException extends Exception {}
/** The operating system could not provide randomness. */
class EntropyException extends Exception {}
/** A bug in the library (for example a caught panic). */
class InternalException extends Exception {}
