<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;
use IlsPrivacy\Status;

final class MechanismsTest extends TestCase
{
    private function onGrid(float $x): bool
    {
        $scaled = $x * 2 ** 40;
        return $scaled === floor($scaled);
    }

    public function testLaplaceIsNoisyAndOnTheGrid(): void
    {
        $ils = Library::load();
        $seen = [];
        for ($i = 0; $i < 100; $i++) {
            $y = $ils->laplace(10.0, 1.0, 1.0);
            $this->assertTrue($this->onGrid($y), 'output on the 2^-40 grid');
            $this->assertTrue(abs($y - 10.0) < 60.0, 'noise of scale 1');
            $seen[(string) $y] = true;
        }
        $this->assertTrue(count($seen) > 90, 'outputs vary');
    }

    public function testGaussianAndIntegerForms(): void
    {
        $ils = Library::load();
        $this->assertTrue(is_finite($ils->gaussian(5.0, 1.0, 1.0, 1e-6)), 'gaussian');
        $this->assertTrue(abs($ils->laplaceI64(1000, 1, 1.0) - 1000) < 100, 'laplace_i64');
        $this->assertTrue(abs($ils->gaussianI64(1000, 1, 1.0, 1e-6) - 1000) < 200, 'gaussian_i64');
        $this->assertTrue($ils->laplaceI64(PHP_INT_MAX, 1, 0.001) <= PHP_INT_MAX, 'clamped');
    }

    public function testBatch(): void
    {
        $ils = Library::load();
        $out = $ils->laplaceBatch([1.0, 2.0, 3.0], 1.0, 1.0);
        $this->assertSame(3, count($out));
        $this->assertSame([], $ils->laplaceBatch([], 1.0, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'values must be finite', fn () => $ils->laplaceBatch([1.0, NAN], 1.0, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'epsilon must be finite and > 0, got 0', fn () => $ils->laplaceBatch([], 1.0, 0.0));
    }

    public function testGaussianBatch(): void
    {
        $ils = Library::load();
        $out = $ils->gaussianBatch([1.0, 2.0, 3.0], 1.0, 1.0, 1e-6);
        $this->assertSame(3, count($out));
        $this->assertSame([], $ils->gaussianBatch([], 1.0, 1.0, 1e-6));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'values must be finite', fn () => $ils->gaussianBatch([NAN], 1.0, 1.0, 1e-6));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'delta must be in (0, 1), got 0', fn () => $ils->gaussianBatch([1.0], 1.0, 1.0, 0.0));
    }

    public function testErrorPaths(): void
    {
        $ils = Library::load();
        $cases = [
            ['value must be finite (got NaN or ±inf)', fn () => $ils->laplace(NAN, 1.0, 1.0)],
            ['value must be finite (got NaN or ±inf)', fn () => $ils->laplace(INF, 1.0, 1.0)],
            ['epsilon must be finite and > 0, got 0', fn () => $ils->laplace(1.0, 1.0, 0.0)],
            ['epsilon must be finite and > 0, got NaN', fn () => $ils->laplace(1.0, 1.0, NAN)],
            ['sensitivity must be finite and > 0, got -1', fn () => $ils->laplace(1.0, -1.0, 1.0)],
            ['delta must be in (0, 1), got 0', fn () => $ils->gaussian(1.0, 1.0, 1.0, 0.0)],
            ['delta must be in (0, 1), got 1', fn () => $ils->gaussian(1.0, 1.0, 1.0, 1.0)],
            ['l2_sensitivity must be finite and > 0, got 0', fn () => $ils->gaussian(1.0, 0.0, 1.0, 1e-6)],
            ['sensitivity must be > 0, got 0', fn () => $ils->laplaceI64(1, 0, 1.0)],
            ['epsilon must be finite and > 0, got -1', fn () => $ils->laplaceI64(1, 1, -1.0)],
            ['l2_sensitivity must be > 0, got -2', fn () => $ils->gaussianI64(1, -2, 1.0, 1e-6)],
            ['delta must be in (0, 1), got 2', fn () => $ils->gaussianI64(1, 1, 1.0, 2.0)],
            ['too large for this mechanism', fn () => $ils->laplace(1e300, 1.0, 1.0)],
        ];
        foreach ($cases as [$message, $fn]) {
            $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, $message, $fn);
        }
    }

    public function testRandomizedResponse(): void
    {
        $ils = Library::load();
        $ones = 0;
        for ($i = 0; $i < 1000; $i++) {
            $a = $ils->randomizedResponse(1, 2, 2.0);
            $this->assertTrue($a === 0 || $a === 1, 'binary answer');
            $ones += $a;
        }
        $this->assertTrue(abs($ones / 1000 - 0.8808) < 0.05, 'keep rate e^2/(1+e^2)');
        $this->assertTrue($ils->randomizedResponse(4, 5, 0.5) < 5, 'k-ary');
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'value must be < categories (2)', fn () => $ils->randomizedResponse(2, 2, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'categories must be >= 2, got 1', fn () => $ils->randomizedResponse(0, 1, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'epsilon must be finite and > 0, got NaN', fn () => $ils->randomizedResponse(0, 2, NAN));
    }

    public function testQuantile(): void
    {
        $ils = Library::load();
        $values = range(0.0, 999.0);
        $q = $ils->quantile($values, 0.9, 0.0, 1000.0, 100, 5.0);
        $this->assertTrue(abs($q - 900.0) < 50.0, "p90 near 900, got $q");
        $this->assertTrue($ils->quantile([], 0.5, 0.0, 1.0, 4, 1.0) <= 1.0, 'empty input');
        $cases = [
            ['values must not contain NaN', fn () => $ils->quantile([1.0, NAN], 0.5, 0.0, 1.0, 4, 1.0)],
            ['quantile must be in [0, 1], got 1.5', fn () => $ils->quantile([1.0], 1.5, 0.0, 1.0, 4, 1.0)],
            ['lo must be <= hi, got lo = 2 > hi = 1', fn () => $ils->quantile([1.0], 0.5, 2.0, 1.0, 4, 1.0)],
            ['bins must be in [1, 1048576], got 0', fn () => $ils->quantile([1.0], 0.5, 0.0, 1.0, 0, 1.0)],
            ['epsilon must be finite and > 0, got 0', fn () => $ils->quantile([1.0], 0.5, 0.0, 1.0, 4, 0.0)],
        ];
        foreach ($cases as [$message, $fn]) {
            $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, $message, $fn);
        }
    }

    public function testClipping(): void
    {
        $ils = Library::load();
        [$v, $factor] = $ils->clipL2([3.0, -4.0], 1.0);
        $this->assertTrue($v[0] ** 2 + $v[1] ** 2 <= 1.0, 'L2 norm within bound');
        $this->assertTrue(abs($factor - 0.2) < 1e-9, 'factor');
        [$v, $factor] = $ils->clipL1([0.1, 0.2], 1.0);
        $this->assertSame([0.1, 0.2], $v);
        $this->assertSame(1.0, $factor);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'bound must be finite and > 0, got 0', fn () => $ils->clipL1([1.0], 0.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'values must be finite', fn () => $ils->clipL2([1.0, INF], 1.0));
    }
}
