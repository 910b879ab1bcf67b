<?php
/**
 * Privacy accounting and planning: the total (epsilon, delta) of a sequence of
 * releases under several composition methods, how many releases fit a target,
 * and the noise scale a target needs. Every result is an upper bound on the
 * privacy loss.
 *
 *     $ils = IlsPrivacy\Library::load();
 *     $eps = $ils->planEpsilon(IlsPrivacy\Noise::Laplace, 1.0, 10.0, 100, 1e-6);
 *     $acc = new IlsPrivacy\Accountant();
 *     $acc->addNoise(IlsPrivacy\Noise::Gaussian, 1.0, 10.0, 1000);
 *     $eps = $acc->epsilon(1e-6, IlsPrivacy\AccountingMethod::Pld);
 */

declare(strict_types=1);

namespace IlsPrivacy;

/** A sequence of releases whose total (epsilon, delta) can be queried. */
final class Accountant
{
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
            throw new InvalidArgumentException("releases must be >= 0, got $releases", Status::InvalidArgument->value);
        }
        return $releases;
    }

    /** Adds $releases releases of Laplace/Gaussian/discrete noise. */
    public function addNoise(Noise $noise, float $sensitivity, float $scale, int $releases = 1): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_add_noise($h, $noise->value,
            $sensitivity, $scale, self::count($releases))));
    }

    /**
     * Adds $releases Laplace or Gaussian releases, each run on a Poisson
     * sample of rate $rate (amplification by sampling, credited by RDP).
     */
    public function addSampledNoise(Noise $noise, float $sensitivity, float $scale, float $rate, int $releases = 1): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_add_sampled_noise($h,
            $noise->value, $sensitivity, $scale, $rate, self::count($releases))));
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

    /** The epsilon of everything added so far at $delta. */
    public function epsilon(float $delta, AccountingMethod $method = AccountingMethod::Best): float
    {
        $out = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_epsilon($h, $delta, $method->value,
            \FFI::addr($out))));
        return $out->cdata;
    }

    /** The delta of everything added so far at $epsilon. */
    public function delta(float $epsilon, AccountingMethod $method = AccountingMethod::Best): float
    {
        $out = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_accountant_delta($h, $epsilon, $method->value,
            \FFI::addr($out))));
        return $out->cdata;
    }
}
