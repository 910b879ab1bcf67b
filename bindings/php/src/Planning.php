<?php
declare(strict_types=1);

namespace IlsPrivacy;

/**
 * Planning helpers of IlsPrivacy\Library (stateless): how much a number of
 * releases of one noise mechanism costs, how many fit, and the noise scale a
 * target needs. Every result is an upper bound on the privacy loss.
 *
 *     $eps = IlsPrivacy\Library::load()->planEpsilon(IlsPrivacy\Noise::Laplace, 1.0, 10.0, 100, 1e-6);
 */
trait Planning
{
    /**
     * Epsilon after $releases releases of one noise mechanism at $delta (INF if none achieves it).
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planEpsilon(Noise $noise, float $sensitivity, float $scale, int $releases,
                                float $delta, AccountingMethod $method = AccountingMethod::Best): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_plan_epsilon($noise->value, $sensitivity, $scale,
            Accountant::count($releases), $delta, $method->value, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * Delta after $releases releases of one noise mechanism at $epsilon.
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planDelta(Noise $noise, float $sensitivity, float $scale, int $releases,
                              float $epsilon, AccountingMethod $method = AccountingMethod::Best): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_plan_delta($noise->value, $sensitivity, $scale,
            Accountant::count($releases), $epsilon, $method->value, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * The largest number of releases (at most 10^9) that fit in ($epsilon, $delta).
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planMaxReleases(Noise $noise, float $sensitivity, float $scale, float $epsilon,
                                    float $delta, AccountingMethod $method = AccountingMethod::Best): int
    {
        $out = $this->ffi->new('uint64_t');
        $this->check($this->ffi->ilsp_plan_max_releases($noise->value, $sensitivity, $scale, $epsilon,
            $delta, $method->value, \FFI::addr($out)));
        return (int) $out->cdata;
    }

    /**
     * The smallest Laplace scale or Gaussian sigma such that $releases releases fit in
     * ($epsilon, $delta); $noise is Noise::Laplace or Noise::Gaussian.
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planNoiseScale(Noise $noise, float $sensitivity, int $releases, float $epsilon,
                                   float $delta, AccountingMethod $method = AccountingMethod::Best): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_plan_noise_scale($noise->value, $sensitivity,
            Accountant::count($releases), $epsilon, $delta, $method->value, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * The smallest Laplace scale or Gaussian sigma such that $releases
     * releases, each on a Poisson sample of rate $rate (every privacy unit
     * kept independently with that probability), fit in ($epsilon, $delta).
     * $noise is Noise::Laplace or Noise::Gaussian; RDP and basic composition
     * credit the sampling, PLD declines sampled releases.
     *
     * @throws InvalidArgumentException for a bad parameter or a method that does not apply.
     */
    public function planSampledNoiseScale(Noise $noise, float $sensitivity, float $rate, int $releases,
                                          float $epsilon, float $delta,
                                          AccountingMethod $method = AccountingMethod::Best): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_plan_sampled_noise_scale($noise->value, $sensitivity, $rate,
            Accountant::count($releases), $epsilon, $delta, $method->value, \FFI::addr($out)));
        return $out->cdata;
    }
}
