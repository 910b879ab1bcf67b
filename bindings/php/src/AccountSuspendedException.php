<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** The account is suspended (the message gives the recorded reason); nothing was released or recorded. getCode() is Status::AccountSuspended->value. */
final class AccountSuspendedException extends \RuntimeException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::AccountSuspended;
}
