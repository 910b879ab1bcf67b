<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** A bug in the library (for example a caught panic). getCode() is Status::Internal->value. */
final class InternalException extends \LogicException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::Internal;
}
