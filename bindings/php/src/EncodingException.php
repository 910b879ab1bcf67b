<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** Text is not valid UTF-8 (the message gives the offset, never the text). getCode() is Status::Encoding->value. */
final class EncodingException extends \InvalidArgumentException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::Encoding;
}
