<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** NaN/inf, epsilon <= 0, delta outside (0, 1), lo > hi, a bad option ... getCode() is Status::InvalidArgument->value. */
final class InvalidArgumentException extends \InvalidArgumentException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::InvalidArgument;
}
