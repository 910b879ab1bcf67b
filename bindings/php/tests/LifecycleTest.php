<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\ClosedHandleException;
use IlsPrivacy\EpochRing;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\KeyException;
use IlsPrivacy\LedgerIoException;
use IlsPrivacy\Policy;
use IlsPrivacy\Status;
use IlsPrivacy\Tokenizer;

/** Retention, role masking and crypto-shredding through the binding, on the example policies. */
final class LifecycleTest extends TestCase
{
    private static function example(string $name): Policy
    {
        return new Policy(file_get_contents(dirname(__DIR__, 3) . "/examples/policies/$name"));
    }

    public function testRetentionAcrossALeapDayBoundary(): void
    {
        $p = self::example('public-library.toml');
        $loan = ['checkout_date' => '2024-02-01', 'returned_on' => '2024-02-29', 'patron_id' => '21234000123456'];
        $this->assertSame('keep', $p->retention('circulation_history', '2025-02-27', $loan)['actions']['checkout_date']);
        $on = $p->retention('circulation_history', '2025-02-28', $loan);
        $this->assertSame('coarsen:date:month', $on['actions']['checkout_date']);
        $this->assertSame('pseudonymize', $on['actions']['patron_id']);
        $this->assertSame('2026-1', $on['audit']['version']);
        $this->assertStringNotContainsString('21234000123456', json_encode($on));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'is not a record class',
            fn () => $p->retention('loans', '2025-02-28', $loan));
    }

    public function testRoleMaskingHonoursOptOuts(): void
    {
        $p = self::example('school-library.toml');
        $student = ['student_id' => 'S-1', 'name' => 'Ada', 'grade_level' => 7, 'disciplinary_notes' => 'detention',
            'directory_opt_out' => 'yes'];
        $teacher = $p->mask('teacher', $student);
        $this->assertSame(['grade_level' => '7', 'name' => 'Ada', 'student_id' => 'S-1'], $teacher['record']);
        $this->assertSame('suppressed', $teacher['fields']['disciplinary_notes']);
        $this->assertSame('shown', $p->mask('counselor', $student)['fields']['disciplinary_notes']);
        $vendor = $p->mask('vendor-analytics', $student, new Tokenizer(str_repeat('k', 32)));
        $this->assertTrue($vendor['directory_opt_out']);
        $this->assertArrayNotHasKey('name', $vendor['record']);
        $this->assertStringStartsWith('v1.k1.', $vendor['record']['student_id']);
        $this->assertThrows(KeyException::class, Status::Key, 'no tokenizer was given',
            fn () => $p->mask('vendor-analytics', $student));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'unknown role "principal"',
            fn () => $p->mask('principal', $student));
        $p->close();
        $this->assertThrows(ClosedHandleException::class, null, 'the policy is closed', fn () => $p->mask('teacher', $student));
    }

    public function testBadPoliciesNameKeyAndLine(): void
    {
        $text = "[policy]\nname = \"p\"\nversion = \"1\"\n\n[[retention.rule]]\nclass = \"holds\"\nfields = [\"a\"]\n"
            . "anchor = \"d\"\nafter = \"-3 days\"\naction = \"purge\"\n";
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'retention.rule[0].after (line 5): window must not be negative', fn () => new Policy($text));
    }

    public function testRetiringAnEpochShredsItsKey(): void
    {
        $dir = sys_get_temp_dir() . '/ilsp-php-ring-' . getmypid();
        @mkdir($dir);
        $path = "$dir/ring";
        @unlink($path);
        $root = str_repeat("\x5a", 32);
        $ring = EpochRing::create($path);
        $ring->add('2024', $root);
        $ring->add('2025', $root);
        $ring->add('2026');
        $token = $ring->tokenize('2024', '21234000123456');
        $this->assertStringStartsWith('v1.2024.', $token);
        $this->assertTrue($ring->verify($token, '21234000123456'));
        $this->assertFalse($ring->verify($token, 'someone else'));
        $this->assertSame(1, preg_match('/^epoch 2024 ([0-9a-f]{64})$/m', file_get_contents($path), $m));
        $hex = $m[1];
        $key = hex2bin($hex);
        $at = $ring->retire('2024');
        $this->assertGreaterThan(1700000000, $at);
        $after = file_get_contents($path);
        for ($i = 0; $i + 8 <= 32; $i++) {
            $this->assertStringNotContainsString(substr($key, $i, 8), $after);
        }
        for ($i = 0; $i + 16 <= 64; $i++) {
            $this->assertStringNotContainsString(substr($hex, $i, 16), $after);
        }
        $this->assertStringContainsString("retired 2024 $at\n", $after);
        $this->assertThrows(KeyException::class, Status::Key, 'was retired at', fn () => $ring->tokenize('2024', 'x'));
        $this->assertThrows(KeyException::class, Status::Key, 'was retired at', fn () => $ring->verify($token, '21234000123456'));
        $again = EpochRing::open($path);
        $this->assertThrows(KeyException::class, Status::Key, 'was retired', fn () => $again->tokenize('2024', 'x'));
        $this->assertSame($ring->tokenize('2025', 'x'), $again->tokenize('2025', 'x'));
        $this->assertThrows(LedgerIoException::class, Status::Io, 'ring', fn () => EpochRing::create($path));
        $ring->close();
        $again->close();
        $this->assertThrows(ClosedHandleException::class, null, 'the epoch ring is closed', fn () => $ring->tokenize('2025', 'x'));
        unlink($path);
        rmdir($dir);
    }
}
