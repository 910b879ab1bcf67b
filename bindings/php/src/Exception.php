<?php
/**
 * What every exception of the ilsprivacy binding implements: catch
 * IlsPrivacy\Exception for any of them. Each class also extends the SPL
 * exception that fits it (InvalidArgumentException extends
 * \InvalidArgumentException, BudgetExhaustedException \OverflowException,
 * LedgerIoException \RuntimeException, ClosedHandleException \LogicException, ...).
 */

declare(strict_types=1);

namespace IlsPrivacy;

interface Exception extends \Throwable
{
    /**
     * The C status this exception stands for (getCode() is its number), or
     * null when the binding raised it without a C status (ClosedHandleException)
     * or the status is unknown to this binding.
     */
    public function getStatus(): ?Status;
}
