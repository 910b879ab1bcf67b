<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;

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
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'values must be finite', fn () => $ils->laplaceBatch([1.0, NAN], 1.0, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'epsilon must be finite and > 0, got 0', fn () => $ils->laplaceBatch([], 1.0, 0.0));
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
            $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT, $message, $fn);
        }
    }
}
