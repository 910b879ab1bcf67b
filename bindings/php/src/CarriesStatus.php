<?php
declare(strict_types=1);

namespace IlsPrivacy;

/**
 * @internal The exceptions raised for a C status: the code defaults to the
 * class's STATUS, and getStatus() is the status whose number is getCode().
 */
trait CarriesStatus
{
    public function __construct(string $message = '', ?int $code = null, ?\Throwable $previous = null)
    {
        parent::__construct($message, $code ?? self::STATUS->value, $previous);
    }

    public function getStatus(): ?Status
    {
        return Status::tryFrom($this->getCode());
    }
}
