<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** The operating system could not provide randomness. getCode() is Status::Entropy->value. */
final class EntropyException extends \RuntimeException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::Entropy;
}
