<?php
declare(strict_types=1);

namespace IlsPrivacy;

/** The account accepts only spends that match one of its query templates, and this one matches none (the message names the rule each template broke); nothing was released or recorded. getCode() is Status::TemplateMismatch->value. */
final class TemplateMismatchException extends \DomainException implements Exception
{
    use CarriesStatus;

    /** The C status of this exception. */
    public const STATUS = Status::TemplateMismatch;
}
