<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Accountant;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;

final class AccountantTest extends TestCase
{
    public function testPlanningMatchesReferences(): void
    {
        $ils = Library::load();
        $basic = $ils->planEpsilon(Accountant::NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6, Accountant::ACCOUNTING_BASIC);
        $this->assertTrue($basic >= 10.0 && $basic < 10.0 + 1e-12, "basic $basic");
        // dp_accounting 0.6.0 PLD: 4.6926674386475.
        $pld = $ils->planEpsilon(Accountant::NOISE_LAPLACE, 1.0, 10.0, 100, 1e-6, Accountant::ACCOUNTING_PLD);
        $this->assertTrue(abs($pld / 4.6926674386475 - 1) < 0.01, "pld $pld");
        // Connect-the-dots: an upper bound of the exact 4.6926674147, within 3e-8.
        $this->assertTrue($pld > 4.6926674147 && $pld <= 4.69268, "pld $pld");
        $delta = $ils->planDelta(Accountant::NOISE_GAUSSIAN, 1.0, 10.0, 1000, 10.0, Accountant::ACCOUNTING_ZCDP);
        $this->assertTrue(abs($delta / 0.03377954540079501 - 1) < 0.01, "delta $delta");
        $this->assertSame(8, $ils->planMaxReleases(Accountant::NOISE_LAPLACE, 1.0, 8.0, 1.0, 1e-6,
            Accountant::ACCOUNTING_BASIC));
        $sigma = $ils->planNoiseScale(Accountant::NOISE_GAUSSIAN, 1.0, 1000, 19.4236564771063, 1e-6);
        $this->assertTrue(abs($sigma - 10.0) < 1e-3, "sigma $sigma");
    }

    public function testPlanningErrors(): void
    {
        $ils = Library::load();
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'scale must be finite and > 0, got NaN',
            fn () => $ils->planEpsilon(Accountant::NOISE_GAUSSIAN, 1.0, NAN, 10, 1e-6));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'releases must be >= 1, got 0',
            fn () => $ils->planNoiseScale(Accountant::NOISE_LAPLACE, 1.0, 0, 1.0, 1e-6));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'delta must be in (0, 1), got 0',
            fn () => $ils->planMaxReleases(Accountant::NOISE_LAPLACE, 1.0, 1.0, 1.0, 0.0));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'method must be 0..=6, got 9',
            fn () => $ils->planDelta(Accountant::NOISE_LAPLACE, 1.0, 1.0, 1, 1.0, 9));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'releases must be >= 0, got -1',
            fn () => $ils->planEpsilon(Accountant::NOISE_LAPLACE, 1.0, 1.0, -1, 1e-6));
    }

    /**
     * 10^17 and PHP_INT_MAX releases answer at once (10^17 used to hang):
     * 10 ms natively, generously more under valgrind.
     */
    public function testHugeReleaseCounts(): void
    {
        $ils = Library::load();
        $preload = getenv('LD_PRELOAD');
        $limit = is_string($preload) && str_contains($preload, 'vgpreload') ? 5.0 : 0.010;
        foreach ([100000000000000000, PHP_INT_MAX] as $k) {
            foreach ([Accountant::ACCOUNTING_BEST, Accountant::ACCOUNTING_OPTIMAL_HOMOGENEOUS,
                      Accountant::ACCOUNTING_RDP] as $method) {
                $best = INF;
                $eps = NAN;
                for ($i = 0; $i < 3; $i++) {
                    $start = hrtime(true);
                    $eps = $ils->planEpsilon(Accountant::NOISE_LAPLACE, 1.0, 10.0, $k, 1e-6, $method);
                    $best = min($best, (hrtime(true) - $start) / 1e9);
                }
                $this->assertTrue($eps > 0.0048 * $k && $eps < 0.1 * $k, "k $k method $method: $eps");
                $this->assertTrue($best <= $limit, "k $k method $method: $best s");
            }
            $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
                'method pld composition does not apply',
                fn () => $ils->planEpsilon(Accountant::NOISE_LAPLACE, 1.0, 10.0, $k, 1e-6,
                    Accountant::ACCOUNTING_PLD));
            $acc = new Accountant();
            $acc->addPureDp(0.1, $k);
            $start = hrtime(true);
            $eps = $acc->epsilon(1e-6);
            $took = (hrtime(true) - $start) / 1e9;
            $this->assertTrue(is_finite($eps) && $eps < 0.1 * $k, "accountant $k: $eps");
            $this->assertTrue($took <= 3 * $limit, "accountant $k: $took s");
            $acc->close();
        }
    }

    public function testAccountantHandle(): void
    {
        $acc = new Accountant();
        $this->assertSame(0.0, $acc->epsilon(1e-6));
        $acc->addNoise(Accountant::NOISE_GAUSSIAN, 1.0, 10.0, 500);
        $acc->addPureDp(0.1, 10);
        $acc->addApproximateDp(0.5, 1e-8, 2);
        $rdp = $acc->epsilon(1e-6, Accountant::ACCOUNTING_RDP);
        $this->assertTrue(is_finite($rdp) && $rdp > 0, "rdp $rdp");
        $this->assertTrue($acc->epsilon(1e-6) <= $rdp, 'best <= rdp');
        $this->assertTrue($acc->delta($rdp, Accountant::ACCOUNTING_RDP) <= 1e-6 * (1 + 1e-6), 'delta');
        $acc->addZcdp(0.01, 3);
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'method pld composition does not apply', fn () => $acc->epsilon(1e-6, Accountant::ACCOUNTING_PLD));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'rho must be finite and > 0', fn () => $acc->addZcdp(-1.0));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'noise must be 0..=3, got 8', fn () => $acc->addNoise(8, 1.0, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'delta must be in [0, 1), got 1', fn () => $acc->addApproximateDp(1.0, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Library::ERR_INVALID_ARGUMENT,
            'epsilon must be finite and >= 0, got -1', fn () => $acc->delta(-1.0));
        $acc->close();
        $acc->close();
        $this->assertThrows(\LogicException::class, 0, 'closed', fn () => $acc->epsilon(1e-6));
    }
}
