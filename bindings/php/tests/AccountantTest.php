<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Accountant;
use IlsPrivacy\AccountingMethod;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;
use IlsPrivacy\Noise;
use IlsPrivacy\Status;

final class AccountantTest extends TestCase
{
    public function testPlanningMatchesReferences(): void
    {
        $ils = Library::load();
        $basic = $ils->planEpsilon(Noise::Laplace, 1.0, 10.0, 100, 1e-6, AccountingMethod::Basic);
        $this->assertTrue($basic >= 10.0 && $basic < 10.0 + 1e-12, "basic $basic");
        // dp_accounting 0.6.0 PLD: 4.6926674386475.
        $pld = $ils->planEpsilon(Noise::Laplace, 1.0, 10.0, 100, 1e-6, AccountingMethod::Pld);
        $this->assertTrue(abs($pld / 4.6926674386475 - 1) < 0.01, "pld $pld");
        // Connect-the-dots: an upper bound of the exact 4.6926674147, within 3e-8.
        $this->assertTrue($pld > 4.6926674147 && $pld <= 4.69268, "pld $pld");
        $delta = $ils->planDelta(Noise::Gaussian, 1.0, 10.0, 1000, 10.0, AccountingMethod::Zcdp);
        $this->assertTrue(abs($delta / 0.03377954540079501 - 1) < 0.01, "delta $delta");
        $this->assertSame(8, $ils->planMaxReleases(Noise::Laplace, 1.0, 8.0, 1.0, 1e-6,
            AccountingMethod::Basic));
        $sigma = $ils->planNoiseScale(Noise::Gaussian, 1.0, 1000, 19.4236564771063, 1e-6);
        $this->assertTrue(abs($sigma - 10.0) < 1e-3, "sigma $sigma");
    }

    public function testPlanningErrors(): void
    {
        $ils = Library::load();
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'scale must be finite and > 0, got NaN',
            fn () => $ils->planEpsilon(Noise::Gaussian, 1.0, NAN, 10, 1e-6));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'releases must be >= 1, got 0',
            fn () => $ils->planNoiseScale(Noise::Laplace, 1.0, 0, 1.0, 1e-6));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'delta must be in (0, 1), got 0',
            fn () => $ils->planMaxReleases(Noise::Laplace, 1.0, 1.0, 1.0, 0.0));
        // Methods and noise kinds are enums in PHP; the C side still refuses
        // a number outside its constants.
        $this->assertThrows(\TypeError::class, null, 'must be of type IlsPrivacy\AccountingMethod, int given',
            fn () => $ils->planDelta(Noise::Laplace, 1.0, 1.0, 1, 1.0, 9));
        $out = $ils->ffi->new('double');
        $this->assertSame(Status::InvalidArgument->value,
            $ils->ffi->ilsp_plan_delta(Noise::Laplace->value, 1.0, 1.0, 1, 1.0, 9, \FFI::addr($out)));
        $this->assertSame('method must be 0..=6, got 9', $ils->lastError());
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'releases must be >= 0, got -1',
            fn () => $ils->planEpsilon(Noise::Laplace, 1.0, 1.0, -1, 1e-6));
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
            foreach ([AccountingMethod::Best, AccountingMethod::OptimalHomogeneous,
                      AccountingMethod::Rdp] as $method) {
                $best = INF;
                $eps = NAN;
                for ($i = 0; $i < 3; $i++) {
                    $start = hrtime(true);
                    $eps = $ils->planEpsilon(Noise::Laplace, 1.0, 10.0, $k, 1e-6, $method);
                    $best = min($best, (hrtime(true) - $start) / 1e9);
                }
                $this->assertTrue($eps > 0.0048 * $k && $eps < 0.1 * $k, "k $k method {$method->name}: $eps");
                $this->assertTrue($best <= $limit, "k $k method {$method->name}: $best s");
            }
            $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
                'method pld composition does not apply',
                fn () => $ils->planEpsilon(Noise::Laplace, 1.0, 10.0, $k, 1e-6,
                    AccountingMethod::Pld));
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
        $acc->addNoise(Noise::Gaussian, 1.0, 10.0, 500);
        $acc->addPureDp(0.1, 10);
        $acc->addApproximateDp(0.5, 1e-8, 2);
        $rdp = $acc->epsilon(1e-6, AccountingMethod::Rdp);
        $this->assertTrue(is_finite($rdp) && $rdp > 0, "rdp $rdp");
        $this->assertTrue($acc->epsilon(1e-6) <= $rdp, 'best <= rdp');
        $this->assertTrue($acc->delta($rdp, AccountingMethod::Rdp) <= 1e-6 * (1 + 1e-6), 'delta');
        $acc->addZcdp(0.01, 3);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'method pld composition does not apply', fn () => $acc->epsilon(1e-6, AccountingMethod::Pld));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'rho must be finite and > 0', fn () => $acc->addZcdp(-1.0));
        $this->assertThrows(\TypeError::class, null, 'must be of type IlsPrivacy\Noise, int given',
            fn () => $acc->addNoise(8, 1.0, 1.0));
        $ils = Library::load();
        $out = $ils->ffi->new('double');
        $this->assertSame(Status::InvalidArgument->value,
            $ils->ffi->ilsp_plan_epsilon(8, 1.0, 1.0, 1, 1e-6, AccountingMethod::Best->value, \FFI::addr($out)));
        $this->assertSame('noise must be 0..=3, got 8', $ils->lastError());
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'delta must be in [0, 1), got 1', fn () => $acc->addApproximateDp(1.0, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'epsilon must be finite and >= 0, got -1', fn () => $acc->delta(-1.0));
        $acc->close();
        $acc->close();
        $this->assertThrows(\LogicException::class, null, 'closed', fn () => $acc->epsilon(1e-6));
    }
}
