<?php
/**
 * Status codes of the C ABI (fixed numbers: new ones may be appended, none
 * is renumbered) and the exception each one becomes.
 */

declare(strict_types=1);

namespace IlsPrivacy;

enum Status: int
{
    /** Success. */
    case Ok = 0;
    /** A required pointer was NULL. */
    case NullPointer = 1;
    /** NaN/inf, epsilon <= 0, delta outside (0, 1), lo > hi, a bad option ... */
    case InvalidArgument = 2;
    /** The spend would exceed the limit; nothing was released or recorded. */
    case BudgetExhausted = 3;
    /** An output buffer was too small; the needed length was reported. */
    case BufferTooSmall = 4;
    /** Text is not valid UTF-8. */
    case Encoding = 5;
    /** Key too short, unknown key id, bad key material. */
    case Key = 6;
    /** A ledger or key file could not be opened, locked, read or written. */
    case Io = 7;
    /** A ledger's format, version or hash chain is broken. */
    case LedgerIntegrity = 8;
    /** The operating system could not provide randomness. */
    case Entropy = 9;
    /** A bug (a caught panic). */
    case Internal = 10;
    /** The spend matches none of the account's query templates; nothing was released or recorded. */
    case TemplateMismatch = 11;
    /** The account is suspended; nothing was released or recorded. */
    case AccountSuspended = 12;

    /**
     * The exception for the non-zero C status $code with the library's
     * $message (an UnknownStatusException for a code this binding does not know).
     */
    public static function exception(int $code, string $message): Exception
    {
        $class = match (self::tryFrom($code)) {
            self::NullPointer => NullPointerException::class,
            self::InvalidArgument => InvalidArgumentException::class,
            self::BudgetExhausted => BudgetExhaustedException::class,
            self::BufferTooSmall => BufferTooSmallException::class,
            self::Encoding => EncodingException::class,
            self::Key => KeyException::class,
            self::Io => LedgerIoException::class,
            self::LedgerIntegrity => LedgerIntegrityException::class,
            self::Entropy => EntropyException::class,
            self::Internal => InternalException::class,
            self::TemplateMismatch => TemplateMismatchException::class,
            self::AccountSuspended => AccountSuspendedException::class,
            self::Ok, null => null,
        };
        if ($class === null) {
            return new UnknownStatusException("unknown status $code: $message", $code);
        }
        return new $class($message, $code);
    }
}
