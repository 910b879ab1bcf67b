<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\AccountSuspendedException;
use IlsPrivacy\Budget;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Status;
use IlsPrivacy\TemplateMismatchException;

/** Templates, suspension, dry runs, correlation IDs, burn-rate plans and metrics. */
final class GovernanceTest extends TestCase
{
    private string $dir;
    private string $path;
    private Budget $budget;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/ilsp-php-governance-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($this->dir);
        $this->path = "$this->dir/privacy.ledger";
        $this->budget = new Budget($this->path);
        $this->budget->setLimit('t/loans', 1.0, 0.0, '2026 plan');
    }

    protected function tearDown(): void
    {
        $this->budget->close();
        foreach (glob("$this->dir/*") as $file) {
            unlink($file);
        }
        rmdir($this->dir);
    }

    public function testATemplateMismatchRecordsAndReleasesNothing(): void
    {
        $b = $this->budget;
        $b->setTemplate('t/loans', 'monthly-loans', mechanism: 'laplace', maxSensitivity: 1.001, epsilon: [0.05, 0.25], reason: 'approved');
        $b->setTemplatesOnly('t/loans', true, 'templated spends only');
        $before = file_get_contents($this->path);
        $released = [];
        foreach ([
            [fn () => $b->laplace('t/loans', 120.0, 1.0, 0.5), 'epsilon 0.5 is above its maximum 0.25'],
            [fn () => $b->spend('t/loans', 0.1), 'mechanism must be laplace'],
        ] as [$call, $rule]) {
            try {
                $released[] = $call();
                $this->fail('a spend outside the templates was admitted');
            } catch (TemplateMismatchException $e) {
                $this->assertSame(Status::TemplateMismatch->value, $e->getCode());
                $this->assertStringContainsString($rule, $e->getMessage());
            }
        }
        $this->assertSame([], $released);
        $this->assertSame($before, file_get_contents($this->path), 'nothing recorded');
        $b->laplace('t/loans', 120.0, 1.0, 0.2);
        $this->assertTrue($b->governanceStatus('t/loans')['templates_only']);
        $b->removeTemplate('t/loans', 'monthly-loans', 'retired');
        $this->expectException(InvalidArgumentException::class);
        $b->setTemplate('t/loans', 'bad name', epsilon: [0.0, 1.0]);
    }

    public function testASuspendedAccountRecordsAndReleasesNothing(): void
    {
        $b = $this->budget;
        $b->suspend('t/loans', 'incident 42');
        $before = file_get_contents($this->path);
        foreach ([fn () => $b->spend('t/loans', 0.1), fn () => $b->spend('t/loans', 0.1, 0.0, 'req-1'), fn () => $b->laplace('t/loans', 1.0, 1.0, 0.1)] as $call) {
            try {
                $call();
                $this->fail('a suspended account spent');
            } catch (AccountSuspendedException $e) {
                $this->assertSame(Status::AccountSuspended->value, $e->getCode());
                $this->assertStringContainsString('incident 42', $e->getMessage());
            }
        }
        $this->assertSame($before, file_get_contents($this->path), 'nothing recorded');
        $this->assertTrue($b->governanceStatus('t/loans')['suspended']);
        $b->resume('t/loans', 'closed');
        $this->assertFalse($b->governanceStatus('t/loans')['suspended']);
        $this->assertGreaterThan(0, $b->spend('t/loans', 0.1, 0.0, 'ils:job-7'));
    }

    public function testADryRunIsExactAtTheLimitAndWritesNothing(): void
    {
        $b = $this->budget;
        $b->setLimit('t/holds', 0.3);
        $before = file_get_contents($this->path);
        $this->assertSame([true, [Status::Ok, Status::Ok]], $b->checkSpends([['t/holds', 0.1, 0.0], ['t/holds', 0.2, 0.0]]));
        [$fits, $statuses] = $b->checkSpends([['t/holds', 0.1, 0.0], ['t/holds', 0.2, 0.0], ['t/holds', 1e-12, 0.0]]);
        $this->assertFalse($fits);
        $this->assertSame(Status::BudgetExhausted, $statuses[2]);
        $this->assertSame([true, []], $b->checkSpends([]));
        $this->assertSame($before, file_get_contents($this->path), 'byte-identical');
    }

    public function testCorrelationIdsBurnPlansAndMetrics(): void
    {
        $b = $this->budget;
        $seq = $b->spend('t/loans', 0.001, 0.0, 'ils:job-7');
        $lines = explode("\n", trim(file_get_contents($this->path)));
        $this->assertSame('ils:job-7', json_decode($lines[$seq], true)['correlation_id']);
        try {
            $b->spend('t/loans', 0.1, 0.0, 'patron 12345');
            $this->fail('a bad correlation ID was accepted');
        } catch (InvalidArgumentException $e) {
            $this->assertStringNotContainsString('12345', $e->getMessage());
        }
        $b->setBurnPlan('t/loans', 1.0 / 365, 86400, 3.0);
        $b->spend('t/loans', 0.01);
        $this->assertSame(1, $b->governanceStatus('t/loans')['burn_alerts']);
        $text = $b->metrics();
        $this->assertStringContainsString("ilsprivacy_ledger_integrity_ok 1\n", $text);
        $this->assertStringContainsString("ilsprivacy_budget_alerts_total{account=\"t/loans\",kind=\"burn_rate\"} 1\n", $text);
        $this->assertStringContainsString("ilsprivacy_budget_refusals_total{account=\"t/loans\"} 0\n", $text);
    }
}
