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

    /**
     * Each value plus independent Gaussian noise (one (epsilon, delta)-DP release per value).
     *
     * @param list<float> $values
     * @return list<float>
     * @throws InvalidArgumentException if any value or parameter is invalid.
     */
    public function gaussianBatch(array $values, float $l2Sensitivity, float $epsilon, float $delta): array
    {
        $n = count($values);
        $buf = $n > 0 ? $this->doubles($values) : null;
        $this->check($this->ffi->ilsp_gaussian_batch($buf, $n, $l2Sensitivity, $epsilon, $delta, $buf));
        $out = [];
        for ($i = 0; $i < $n; $i++) {
            $out[] = $buf[$i];
        }
        return $out;
    }

    /**
     * Randomized response: $value (in [0, $categories)) with probability
     * e^eps/(e^eps + categories - 1), else another category uniformly.
     * epsilon-DP per report; $categories = 2 is binary (values 0 and 1).
     *
     * @throws InvalidArgumentException for categories < 2, value >= categories
     *         or a bad epsilon.
     */
    public function randomizedResponse(int $value, int $categories, float $epsilon): int
    {
        if ($value < 0 || $categories < 0) {
            throw new InvalidArgumentException('value and categories must be >= 0', Status::InvalidArgument->value);
        }
        $out = $this->ffi->new('uint64_t');
        $this->check($this->ffi->ilsp_randomized_response($value, $categories, $epsilon, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * A private $q-quantile of $values (exponential mechanism over the edges of
     * $bins equal bins of [$lo, $hi]); epsilon-DP when each person contributes
     * one value. Use it to choose clamping bounds privately.
     *
     * @param list<float> $values
     * @throws InvalidArgumentException for a NaN value or a bad parameter.
     */
    public function quantile(array $values, float $q, float $lo, float $hi, int $bins, float $epsilon): float
    {
        if ($bins < 0 || $bins > 0xFFFFFFFF) {
            throw new InvalidArgumentException("bins must be in [1, 1048576], got $bins", Status::InvalidArgument->value);
        }
        $n = count($values);
        $buf = $n > 0 ? $this->doubles($values) : null;
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_quantile($buf, $n, $q, $lo, $hi, $bins, $epsilon, \FFI::addr($out)));
        return $out->cdata;
    }

    /**
     * $values scaled so their L1 norm is at most $bound.
     *
     * @param list<float> $values
     * @return array{0: list<float>, 1: float} the clipped values and the factor applied.
     * @throws InvalidArgumentException for a bad bound or a non-finite value.
     */
    public function clipL1(array $values, float $bound): array
    {
        return $this->clip('ilsp_clip_l1', $values, $bound);
    }

    /**
     * $values scaled so their L2 norm is at most $bound.
     *
     * @param list<float> $values
     * @return array{0: list<float>, 1: float} the clipped values and the factor applied.
     * @throws InvalidArgumentException for a bad bound or a non-finite value.
     */
    public function clipL2(array $values, float $bound): array
    {
        return $this->clip('ilsp_clip_l2', $values, $bound);
    }

    /** @param list<float> $values */
    private function clip(string $fn, array $values, float $bound): array
    {
        $n = count($values);
        $buf = $n > 0 ? $this->doubles($values) : null;
        $factor = $this->ffi->new('double');
        $status = $fn === 'ilsp_clip_l1'
            ? $this->ffi->ilsp_clip_l1($buf, $n, $bound, \FFI::addr($factor))
            : $this->ffi->ilsp_clip_l2($buf, $n, $bound, \FFI::addr($factor));
        $this->check($status);
        $out = [];
        for ($i = 0; $i < $n; $i++) {
            $out[] = $buf[$i];
        }
        return [$out, $factor->cdata];
    }

    /** @param list<float> $values */
    private function doubles(array $values): \FFI\CData
    {
        $n = count($values);
        $buf = $this->ffi->new("double[$n]");
        $i = 0;
        foreach ($values as $v) {
            $buf[$i++] = (float) $v;
        }
        return $buf;
    }
}
