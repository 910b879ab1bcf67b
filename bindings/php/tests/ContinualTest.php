<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Accountant;
use IlsPrivacy\Aggregator;
use IlsPrivacy\AccountingMethod;
use IlsPrivacy\Budget;
use IlsPrivacy\BudgetExhaustedException;
use IlsPrivacy\ClosedHandleException;
use IlsPrivacy\Composition;
use IlsPrivacy\Counter;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;
use IlsPrivacy\Noise;
use IlsPrivacy\Status;
use IlsPrivacy\TableNoise;

/** Continual release and amplification by sampling through the real library. */
final class ContinualTest extends TestCase
{
    public function testOneChargeForAllPeriods(): void
    {
        $budget = new Budget();
        $budget->setLimit('circ', 1.0, 0.0);
        $monthly = Counter::laplace(12, 2, 0.5);
        $this->assertGreaterThan(0.0, $monthly->errorBound(0.05));
        $monthly->start($budget, 'circ');
        $this->assertSame([0.5, 0.0], $budget->spent('circ'));
        for ($m = 0; $m < 12; $m++) {
            $monthly->push(100);
        }
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'periods',
            fn () => $monthly->push(1));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'counter',
            fn () => $monthly->start($budget, 'circ'));
        $this->assertSame([0.5, 0.0], $budget->spent('circ'));
        $again = Counter::laplace(12, 2, 0.6);
        $this->assertThrows(BudgetExhaustedException::class, Status::BudgetExhausted, '',
            fn () => $again->start($budget, 'circ'));
        $this->assertSame([0.5, 0.0], $budget->spent('circ'));
        $monthly->close();
        $this->assertThrows(ClosedHandleException::class, null, 'closed', fn () => $monthly->push(1));
    }

    public function testZcdpCounterAndBadInput(): void
    {
        $budget = new Budget();
        $budget->setComposition('z', Composition::Zcdp);
        $budget->setLimitRho('z', 0.5);
        $c = Counter::gaussian(120, 1, 0.05);
        $c->start($budget, 'z');
        $this->assertEqualsWithDelta(0.05, $budget->spentRho('z'), 1e-12);
        $c->push(3);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'periods',
            fn () => Counter::laplace(0, 1, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'periods',
            fn () => Counter::laplace(-5, 1, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'rho',
            fn () => Counter::gaussian(10, 1, NAN));
    }

    public function testSampledGaussianMatchesDpAccounting(): void
    {
        // dp_accounting 0.6.0 RDP: 2.101366525420273 (benches/peers/accounting_reference.py sampled).
        $acc = new Accountant();
        $acc->addSampledNoise(Noise::Gaussian, 1.0, 1.0, 0.01, 1000);
        $eps = $acc->epsilon(1e-5, AccountingMethod::Rdp);
        $this->assertTrue($eps >= 2.101366525420273 && $eps <= 2.101366525420273 * 1.01, "eps $eps");
        $sigma = Library::load()->planSampledNoiseScale(Noise::Gaussian, 1.0, 0.01, 1000, 2.0, 1e-5);
        $this->assertTrue($sigma > 0.9 && $sigma < 1.1, "sigma $sigma");
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'rate',
            fn () => $acc->addSampledNoise(Noise::Gaussian, 1.0, 1.0, 2.0));
    }

    public function testGaussianTableWithSelectionIsOneEpsilonDeltaCharge(): void
    {
        $job = new Aggregator(1);
        for ($i = 0; $i < 200; $i++) {
            $job->add("patron-$i", $i % 2 === 0 ? 'EAST' : 'WEST');
        }
        $job->add('lonely', 'RARE');
        $budget = new Budget();
        $budget->setLimit('reports', 3.0, 1e-5);
        $t = $job->release($budget, 'reports', 1, 0.1, 0.0, [1.0, 1e-6], 0, TableNoise::Gaussian);
        $this->assertSame(1e-6, $t['delta']);
        $this->assertTrue($t['epsilon'] > 1.0 && $t['epsilon'] < 3.0, "epsilon {$t['epsilon']}");
        $this->assertSame([$t['epsilon'], 1e-6], $budget->spent('reports'));
        $this->assertNotContains('RARE', array_column($t['rows'], 'partition'));
    }
}
