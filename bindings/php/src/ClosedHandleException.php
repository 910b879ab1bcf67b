<?php
declare(strict_types=1);

namespace IlsPrivacy;

/**
 * A method was called on an object after close(). Raised by the binding
 * before any C call: getCode() is 0 and getStatus() null.
 */
final class ClosedHandleException extends \LogicException implements Exception
{
    public function getStatus(): ?Status
    {
        return null;
    }
}
