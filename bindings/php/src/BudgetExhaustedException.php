<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** The spend would exceed the account's limit; nothing was released or recorded. getCode() is Status::BudgetExhausted->value. */
final class BudgetExhaustedException extends \OverflowException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::BudgetExhausted;
}
