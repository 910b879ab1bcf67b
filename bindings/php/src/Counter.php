<?php
/**
 * Continual release of a running count (the binary-tree mechanism): one
 * integer per period in, the noisy running total out; the whole series is
 * one release, charged once to a budget before the first period.
 *
 *     $budget = new IlsPrivacy\Budget();
 *     $budget->setLimit('circulation', 1.0, 0.0);
 *     $weekly = IlsPrivacy\Counter::laplace(52, 4, 0.5);
 *     $weekly->start($budget, 'circulation');   // one charge for 52 weeks
 *     $total = $weekly->push(120);
 */

declare(strict_types=1);

namespace IlsPrivacy;

/** A continual counter over a fixed number of periods. */
final class Counter
{
    private Library $lib;
    private NativeHandle $native;

    private function __construct(\Closure $make)
    {
        $this->lib = Library::load();
        $ffi = $this->lib->ffi;
        $out = $ffi->new('ilsp_counter*');
        $this->lib->check($make($ffi, \FFI::addr($out)));
        $this->native = new NativeHandle($out, static fn (\FFI\CData $p) => $ffi->ilsp_counter_free($p), 'counter');
    }

    /**
     * An epsilon-DP counter over $periods periods; $sensitivity bounds what
     * one privacy unit adds to the whole stream (summed over periods).
     *
     * @throws InvalidArgumentException for bad parameters.
     */
    public static function laplace(int $periods, int $sensitivity, float $epsilon): self
    {
        return new self(static fn (\FFI $ffi, \FFI\CData $out) => $ffi->ilsp_counter_new_laplace(
            self::periods($periods), $sensitivity, $epsilon, $out));
    }

    /**
     * A rho-zCDP counter (discrete Gaussian noise on each tree node).
     *
     * @throws InvalidArgumentException for bad parameters.
     */
    public static function gaussian(int $periods, int $sensitivity, float $rho): self
    {
        return new self(static fn (\FFI $ffi, \FFI\CData $out) => $ffi->ilsp_counter_new_gaussian(
            self::periods($periods), $sensitivity, $rho, $out));
    }

    private static function periods(int $periods): int
    {
        if ($periods < 0) {
            throw new InvalidArgumentException("periods must be >= 1, got $periods", Status::InvalidArgument->value);
        }
        return $periods;
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** Frees the native counter (idempotent). Later calls throw ClosedHandleException. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    /**
     * Charges $account of $budget once for every period (before the first push()).
     *
     * @throws BudgetExhaustedException if the charge does not fit (nothing recorded).
     * @throws InvalidArgumentException if the counter has already released periods.
     */
    public function start(Budget $budget, string $account): void
    {
        if (str_contains($account, "\0")) {
            throw new InvalidArgumentException('account must not contain NUL characters', Status::InvalidArgument->value);
        }
        NativeHandle::useAll([$budget->native(), $this->native], fn (\FFI\CData $b, \FFI\CData $c) => $this->lib->check(
            $this->lib->ffi->ilsp_budget_start_counter($b, $account, $c)
        ));
    }

    /**
     * Takes the next period's value; returns the noisy running total.
     *
     * @throws InvalidArgumentException once every period has been released.
     */
    public function push(int $value): int
    {
        $out = $this->lib->ffi->new('int64_t');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_counter_push($h, $value,
            \FFI::addr($out))));
        return $out->cdata;
    }

    /** A bound every released total is within, with probability at least 1 - $beta. */
    public function errorBound(float $beta): float
    {
        $out = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_counter_error_bound($h, $beta,
            \FFI::addr($out))));
        return $out->cdata;
    }
}
