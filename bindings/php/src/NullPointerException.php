<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** A required pointer was NULL (a binding bug if raised from PHP). getCode() is Status::NullPointer->value. */
final class NullPointerException extends \LogicException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::NullPointer;
}
