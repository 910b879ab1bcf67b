<?php
/**
 * Privacy accounting and planning: the total (epsilon, delta) of a sequence of
 * releases under several composition methods, how many releases fit a target,
 * and the noise scale a target needs. Every result is an upper bound on the
 * privacy loss.
 *
 *     $ils = IlsPrivacy\Library::load();
 *     $eps = $ils->planEpsilon(IlsPrivacy\Accountant::NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6);
 *     $acc = new IlsPrivacy\Accountant();
 *     $acc->addNoise(IlsPrivacy\Accountant::NOISE_GAUSSIAN, 1.0, 10.0, 1000);
 *     $eps = $acc->epsilon(1e-6, IlsPrivacy\Accountant::ACCOUNTING_PLD);
 */

declare(strict_types=1);

namespace IlsPrivacy;

/** Stateless planning helpers, used by Library. */
trait Planning
{
    /**
     * Epsilon after $releases releases of one noise mechanism at $delta (INF if none achieves it).
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planEpsilon(int $noise, float $sensitivity, float $scale, int $releases,
                                float $delta, int $method = Accountant::ACCOUNTING_BEST): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_plan_epsilon($noise, $sensitivity, $scale,
            Accountant::count($releases), $delta, $method, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * Delta after $releases releases of one noise mechanism at $epsilon.
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planDelta(int $noise, float $sensitivity, float $scale, int $releases,
                              float $epsilon, int $method = Accountant::ACCOUNTING_BEST): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_plan_delta($noise, $sensitivity, $scale,
            Accountant::count($releases), $epsilon, $method, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * The largest number of releases (at most 10^9) that fit in ($epsilon, $delta).
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planMaxReleases(int $noise, float $sensitivity, float $scale, float $epsilon,
                                    float $delta, int $method = Accountant::ACCOUNTING_BEST): int
    {
        $out = $this->ffi->new('uint64_t');
        $this->check($this->ffi->ilsp_plan_max_releases($noise, $sensitivity, $scale, $epsilon,
            $delta, $method, \FFI::addr($out)));
        return (int) $out->cdata;
    }

    /**
     * The smallest Laplace scale or Gaussian sigma such that $releases releases fit in
     * ($epsilon, $delta); $noise is NOISE_LAPLACE or NOISE_GAUSSIAN.
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planNoiseScale(int $noise, float $sensitivity, int $releases, float $epsilon,
                                   float $delta, int $method = Accountant::ACCOUNTING_BEST): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_plan_noise_scale($noise, $sensitivity,
            Accountant::count($releases), $epsilon, $delta, $method, \FFI::addr($out)));
        return $out->cdata;
    }
}

/** A sequence of releases whose total (epsilon, delta) can be queried. */
final class Accountant
{
    public const ACCOUNTING_BASIC = 0;
    public const ACCOUNTING_ADVANCED = 1;
    public const ACCOUNTING_OPTIMAL_HOMOGENEOUS = 2;
    public const ACCOUNTING_ZCDP = 3;
    public const ACCOUNTING_RDP = 4;
    public const ACCOUNTING_PLD = 5;
    public const ACCOUNTING_BEST = 6;

    public const NOISE_LAPLACE = 0;
    public const NOISE_GAUSSIAN = 1;
    public const NOISE_DISCRETE_LAPLACE = 2;
    public const NOISE_DISCRETE_GAUSSIAN = 3;

    private Library $lib;
    private NativeHandle $native;

    public function __construct()
    {
        $this->lib = Library::load();
        $ffi = $this->lib->ffi;
        $out = $ffi->new('ilsp_accountant*');
        $this->lib->check($ffi->ilsp_accountant_new(\FFI::addr($out)));
        $this->native = new NativeHandle($out, static fn (\FFI\CData $p) => $ffi->ilsp_accountant_free($p), 'accountant');
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** Frees the native accountant (idempotent). Later calls throw ClosedHandleException. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    /** @internal A release count checked for the C side (uint64_t). */
    public static function count(int $releases): int
    {
        if ($releases < 0) {
            throw new InvalidArgumentException("releases must be >= 0, got $releases", Library::ERR_INVALID_ARGUMENT);
        }
        return $releases;
    }

    /** Adds $releases releases of Laplace/Gaussian/discrete noise (NOISE_*). */
    public function addNoise(int $noise, float $sensitivity, float $scale, int $releases = 1): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_add_noise($h, $noise,
            $sensitivity, $scale, self::count($releases))));
    }

    /** Adds $releases releases that are each epsilon-DP. */
    public function addPureDp(float $epsilon, int $releases = 1): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_add_pure_dp($h, $epsilon,
            self::count($releases))));
    }

    /** Adds $releases releases that are each (epsilon, delta)-DP. */
    public function addApproximateDp(float $epsilon, float $delta, int $releases = 1): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_add_approximate_dp($h,
            $epsilon, $delta, self::count($releases))));
    }

    /** Adds $releases releases that are each rho-zCDP. */
    public function addZcdp(float $rho, int $releases = 1): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_add_zcdp($h, $rho,
            self::count($releases))));
    }

    /** The epsilon of everything added so far at $delta (ACCOUNTING_* method). */
    public function epsilon(float $delta, int $method = self::ACCOUNTING_BEST): float
    {
        $out = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_epsilon($h, $delta, $method,
            \FFI::addr($out))));
        return $out->cdata;
    }

    /** The delta of everything added so far at $epsilon. */
    public function delta(float $epsilon, int $method = self::ACCOUNTING_BEST): float
    {
        $out = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_delta($h, $epsilon, $method,
            \FFI::addr($out))));
        return $out->cdata;
    }
}
