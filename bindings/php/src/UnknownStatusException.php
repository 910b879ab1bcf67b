<?php
declare(strict_types=1);

namespace IlsPrivacy;

/**
 * A C status this binding does not know (a newer library): getCode() is the
 * status, getStatus() null.
 */
final class UnknownStatusException extends \RuntimeException implements Exception
{
    public function getStatus(): ?Status
    {
        return null;
    }
}
