<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** A ledger or key file could not be opened, locked, read or written. getCode() is Status::Io->value. */
final class LedgerIoException extends \RuntimeException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::Io;
}
