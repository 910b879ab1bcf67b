<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** A ledger's format, version or hash chain is broken. getCode() is Status::LedgerIntegrity->value. */
final class LedgerIntegrityException extends \UnexpectedValueException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::LedgerIntegrity;
}
