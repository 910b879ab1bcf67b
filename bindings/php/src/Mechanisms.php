<?php
/**
 * Noise mechanisms of the ilsprivacy PHP binding: float Laplace and Gaussian
 * (float-safe, on a power-of-two grid), their integer forms and the batch
 * Laplace. Each call is one private release; the caller accounts for its cost.
 */

declare(strict_types=1);

namespace IlsPrivacy;

trait Mechanisms
{
    /**
     * $value plus Laplace noise: epsilon-DP for L1 sensitivity $sensitivity.
     *
     * @throws InvalidArgumentException for a NaN/inf or too large value, or a
     *         sensitivity or epsilon that is not finite and > 0.
     */
    public function laplace(float $value, float $sensitivity, float $epsilon): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_laplace($value, $sensitivity, $epsilon, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * $value plus Gaussian noise: (epsilon, delta)-DP for L2 sensitivity $l2Sensitivity.
     *
     * @throws InvalidArgumentException for a bad value, epsilon or sensitivity,
     *         or delta outside (0, 1).
     */
    public function gaussian(float $value, float $l2Sensitivity, float $epsilon, float $delta): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_gaussian($value, $l2Sensitivity, $epsilon, $delta, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * $value plus discrete Laplace noise (epsilon-DP for an integer sensitivity),
     * clamped to the 64-bit range.
     *
     * @throws InvalidArgumentException for sensitivity <= 0 or a bad epsilon.
     */
    public function laplaceI64(int $value, int $sensitivity, float $epsilon): int
    {
        $out = $this->ffi->new('int64_t');
        $this->check($this->ffi->ilsp_laplace_i64($value, $sensitivity, $epsilon, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * $value plus discrete Gaussian noise ((epsilon, delta)-DP for an integer
     * L2 sensitivity), clamped to the 64-bit range.
     *
     * @throws InvalidArgumentException for bad parameters.
     */
    public function gaussianI64(int $value, int $l2Sensitivity, float $epsilon, float $delta): int
    {
        $out = $this->ffi->new('int64_t');
        $this->check($this->ffi->ilsp_gaussian_i64($value, $l2Sensitivity, $epsilon, $delta, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * Each value plus independent Laplace noise (one epsilon-DP release per value).
     *
     * @param list<float> $values
     * @return list<float>
     * @throws InvalidArgumentException if any value or parameter is invalid
     *         (checked before any noise is drawn).
     */
    public function laplaceBatch(array $values, float $sensitivity, float $epsilon): array
    {
        $n = count($values);
        if ($n === 0) {
            $this->check($this->ffi->ilsp_laplace_batch(null, 0, $sensitivity, $epsilon, null));
            return [];
        }
        $buf = $this->ffi->new("double[$n]");
        $i = 0;
        foreach ($values as $v) {
            $buf[$i++] = (float) $v;
        }
        $this->check($this->ffi->ilsp_laplace_batch($buf, $n, $sensitivity, $epsilon, $buf));
        $out = [];
        for ($i = 0; $i < $n; $i++) {
            $out[] = $buf[$i];
        }
        return $out;
    }
}
