<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Key too short or too long, unknown key id, or bad key material or key file. getCode() is Status::Key->value. */
final class KeyException extends \RuntimeException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::Key;
}
