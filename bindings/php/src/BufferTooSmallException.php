<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** An output buffer was too small (the binding retries with the size needed). getCode() is Status::BufferTooSmall->value. */
final class BufferTooSmallException extends \LengthException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::BufferTooSmall;
}
