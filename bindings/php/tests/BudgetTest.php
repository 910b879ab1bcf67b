<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Budget;
use IlsPrivacy\BudgetExhaustedException;
use IlsPrivacy\Composition;
use IlsPrivacy\EncodingException;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\LedgerIntegrityException;
use IlsPrivacy\LedgerIoException;
use IlsPrivacy\Library;
use IlsPrivacy\Period;
use IlsPrivacy\Status;

final class BudgetTest extends TestCase
{
    private static function tempDir(): string
    {
        $dir = sys_get_temp_dir() . '/ilsp-php-budget-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($dir);
        return $dir;
    }

    private static function removeDir(string $dir): void
    {
        foreach (glob("$dir/*") as $file) {
            unlink($file);
        }
        rmdir($dir);
    }

    public function testConstantsMatchTheHeader(): void
    {
        $header = file_get_contents(dirname(__DIR__, 3) . '/include/ilsprivacy_ffi.h');
        preg_match_all('/^#define ILSP_((?:COMPOSITION|PERIOD)_\w+) (\d+)$/m', $header, $m, PREG_SET_ORDER);
        $this->assertSame(5, count($m), 'budget constants in the header');
        $enums = [
            'COMPOSITION_BASIC' => Composition::Basic, 'COMPOSITION_ZCDP' => Composition::Zcdp,
            'PERIOD_LIFETIME' => Period::Lifetime, 'PERIOD_CALENDAR_YEAR' => Period::CalendarYear,
            'PERIOD_CALENDAR_MONTH' => Period::CalendarMonth,
        ];
        foreach ($m as [, $name, $value]) {
            $this->assertSame((int) $value, $enums[$name]->value, $name);
        }
    }

    public function testExactLimits(): void
    {
        $b = new Budget();
        $b->setLimit('branch-7/loans', 0.3);
        $this->assertSame(2, $b->spend('branch-7/loans', 0.1));
        $this->assertSame(3, $b->spend('branch-7/loans', 0.2));
        $this->assertThrows(BudgetExhaustedException::class, Status::BudgetExhausted,
            'spent epsilon 0.3 of 0.3', fn () => $b->spend('branch-7/loans', 1e-12));
        $this->assertSame([0.3, 0.0], $b->spent('branch-7/loans'));
        $this->assertSame([0.0, 0.0, 0.0], $b->remaining('branch-7/loans'));
        $this->assertSame([true, 1.0], $b->alertStatus('branch-7/loans'));
        $kinds = array_column($b->recentEvents(), 'kind');
        $this->assertSame(['limit_set', 'spend', 'spend', 'alert', 'refused'], $kinds);
        $b->close();
        $b->close();
        $this->assertThrows(\LogicException::class, null, 'closed', fn () => $b->spend('a', 0.1));
    }

    public function testSpendThenRelease(): void
    {
        $b = new Budget();
        $b->setLimit('visits', 0.3, 1e-6);
        $this->assertTrue(is_finite($b->laplace('visits', 1234.0, 1.0, 0.1)), 'laplace');
        $this->assertTrue(is_finite($b->gaussian('visits', 1234.0, 1.0, 0.2, 1e-6)), 'gaussian');
        $this->assertThrows(BudgetExhaustedException::class, Status::BudgetExhausted,
            'visits', fn () => $b->laplace('visits', 1234.0, 1.0, 1e-12));
        $this->assertSame([0.3, 1e-6], $b->spent('visits'));
        $b->setLimit('other', 1.0, 1e-6);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'epsilon must be finite', fn () => $b->laplace('other', 1.0, 1.0, NAN));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'delta', fn () => $b->gaussian('other', 1.0, 1.0, 0.5, 0.0));
        $this->assertSame([0.0, 0.0], $b->spent('other'));
        // A value outside the domain is mapped into it, not refused: NaN is
        // released as 0 plus noise (a refusal would depend on the data).
        $this->assertTrue(is_finite($b->laplace('other', NAN, 1.0, 0.5)), 'NaN value');
        $this->assertSame([0.5, 0.0], $b->spent('other'));
    }

    public function testZcdpAccount(): void
    {
        $b = new Budget();
        $b->setComposition('g', Composition::Zcdp);
        $b->setLimit('g', 1.0, 1e-6, 'plan');
        $n = 0;
        try {
            while (true) {
                $b->spendRho('g', 0.00125);
                $n++;
            }
        } catch (BudgetExhaustedException $e) {
        }
        $this->assertSame(19, $n, 'releases of rho 1/800 within rho* = 0.02435...');
        [$eps, $delta] = $b->spent('g');
        $this->assertTrue($eps > 0.95 && $eps <= 1.0, "epsilon $eps");
        $this->assertSame(1e-6, $delta);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'no zCDP', fn () => $b->spend('g', 0.1, 1e-9));
        $b->setComposition('r', Composition::Zcdp);
        $b->setLimitRho('r', 0.5, 'rho plan');
        $b->spendRho('r', 0.5);
        $this->assertSame(0.5, $b->spentRho('r'));
    }

    public function testAlertsAndPeriods(): void
    {
        $b = new Budget();
        $b->setLimit('a', 1.0);
        $b->setAlertThreshold('a', 0.5);
        $b->setPeriod('a', Period::CalendarMonth);
        $b->spend('a', 0.4);
        $this->assertSame(false, $b->alertStatus('a')[0]);
        $b->spend('a', 0.2);
        $this->assertSame(true, $b->alertStatus('a')[0]);
        $b->setLimit('a', 2.0, 0.0, 'raised');
        $this->assertSame(false, $b->alertStatus('a')[0]);
        $this->assertThrows(\TypeError::class, null, 'must be of type IlsPrivacy\Period, int given',
            fn () => $b->setPeriod('a', 7));
        $this->assertSame(Status::InvalidArgument->value, $b->native()->use(
            fn (\FFI\CData $h) => Library::load()->ffi->ilsp_budget_set_period($h, 'a', 7)
        ));
        $this->assertStringContainsString('period', Library::load()->lastError());
    }

    public function testLedgerSharedExportedVerifiedAndTamperEvident(): void
    {
        $dir = self::tempDir();
        $path = "$dir/privacy.ledger";
        $a = new Budget($path);
        $b = new Budget($path, 2000);
        $a->setLimit('t/d', 1.0, 0.0, 'initial');
        $a->spend('t/d', 0.5);
        $b->spend('t/d', 0.5);
        $this->assertThrows(BudgetExhaustedException::class, Status::BudgetExhausted,
            't/d', fn () => $a->spend('t/d', 0.01));
        $text = $a->exportLedger();
        $this->assertSame(file_get_contents($path), $text);
        $this->assertTrue(str_contains($text, '"reason":"initial"'), 'the reason is recorded');
        $a->close();
        $b->close();
        [$entries, $head] = Budget::verifyLedger($path);
        $this->assertSame(5, $entries);
        $this->assertTrue(preg_match('/^[0-9a-f]{64}$/', $head) === 1, 'head is hex');
        $this->assertSame(
            ['entries' => 5, 'head' => $head, 'accounts' => 1, 'torn_tail_bytes' => 0],
            Budget::checkLedger($path)
        );
        // An unfinished write (a crash cut it): verify accepts the ledger,
        // check reports it, and the next open repairs it.
        $sound = file_get_contents($path);
        $cut = '{"v":1,"kind":"spend","account":"t/d","epsi';
        file_put_contents($path, $cut, FILE_APPEND);
        $this->assertSame([5, $head], Budget::verifyLedger($path));
        $this->assertSame(strlen($cut), Budget::checkLedger($path)['torn_tail_bytes']);
        (new Budget($path))->close();
        $checked = Budget::checkLedger($path);
        $this->assertSame([6, 0], [$checked['entries'], $checked['torn_tail_bytes']]);
        file_put_contents($path, $sound);

        $bytes = file_get_contents($path);
        $i = intdiv(strlen($bytes), 2);
        $bytes[$i] = chr(ord($bytes[$i]) ^ 1);
        file_put_contents($path, $bytes);
        $this->assertThrows(LedgerIntegrityException::class, Status::LedgerIntegrity,
            'ledger integrity', fn () => new Budget($path));
        self::removeDir($dir);
    }

    public function testLockedAndUnwritableFiles(): void
    {
        $dir = self::tempDir();
        $path = "$dir/privacy.ledger";
        (new Budget($path))->close();
        $holder = fopen($path, 'r');
        $this->assertTrue(flock($holder, LOCK_EX), 'lock taken');
        $this->assertThrows(LedgerIoException::class, Status::Io,
            'locked', fn () => new Budget($path, 50));
        flock($holder, LOCK_UN);
        fclose($holder);
        (new Budget($path, 50))->close();
        $this->assertThrows(LedgerIoException::class, Status::Io,
            'cannot open', fn () => new Budget("$dir/missing/ledger"));
        $this->assertThrows(LedgerIoException::class, Status::Io,
            '', fn () => Budget::verifyLedger("$dir/absent"));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'no ledger', fn () => (new Budget())->exportLedger());
        self::removeDir($dir);
    }

    public function testBadInput(): void
    {
        $b = new Budget();
        $b->setLimit('a', 1.0);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'epsilon must be finite and >= 0, got NaN', fn () => $b->setLimit('a', NAN));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'epsilon', fn () => $b->setLimit('a', -1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'delta must be in [0, 1), got 1', fn () => $b->setLimit('a', 1.0, 1.0));
        $this->assertThrows(EncodingException::class, Status::Encoding,
            'account is not valid UTF-8', fn () => $b->setLimit("bad\xff", 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'account must be 1 to 256 bytes', fn () => $b->setLimit('', 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'NUL', fn () => $b->setLimit("nul\0inside", 1.0));
        $this->assertThrows(BudgetExhaustedException::class, Status::BudgetExhausted,
            'no such account', fn () => $b->spend('nobody', 0.1));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'does not exist', fn () => $b->spent('nobody'));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'epsilon must be finite and > 0, got inf', fn () => $b->spend('a', INF));
        $this->assertThrows(\TypeError::class, null, 'must be of type IlsPrivacy\Composition, int given',
            fn () => $b->setComposition('a', 3));
        $this->assertSame(Status::InvalidArgument->value, $b->native()->use(
            fn (\FFI\CData $h) => Library::load()->ffi->ilsp_budget_set_composition($h, 'a', 3)
        ));
        $this->assertStringContainsString('rule', Library::load()->lastError());
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'threshold', fn () => $b->setAlertThreshold('a', 0.0));

        // The raw C entry points report NULL pointers instead of crashing.
        $ffi = Library::load()->ffi;
        $this->assertSame(Status::NullPointer->value, $ffi->ilsp_budget_set_limit(null, 'a', 1.0, 0.0));
        $this->assertSame('budget must not be NULL', Library::load()->lastError());
    }
}
