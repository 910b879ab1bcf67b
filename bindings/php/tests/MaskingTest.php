<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Cell;
use IlsPrivacy\DateGranularity;
use IlsPrivacy\ExportSchema;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;
use IlsPrivacy\Status;
use IlsPrivacy\Tokenizer;

final class MaskingTest extends TestCase
{
    public function testHelpers(): void
    {
        $ils = Library::load();
        $this->assertSame('J***@example.org', $ils->maskEmail('Jane.Doe@Example.org', true));
        $this->assertSame('J***@***.org', $ils->maskEmail('Jane.Doe@Example.org'));
        $e = $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            "email is not an address: no '@'", fn () => $ils->maskEmail('jane-secret'));
        $this->assertTrue(!str_contains($e->getMessage(), 'secret'), 'no value in the message');
        $this->assertSame('2026-W53', $ils->coarsenDate('2027-01-01', DateGranularity::IsoWeek));
        $this->assertSame('2026-03', $ils->coarsenDate('2026-03-14T10:00:00Z', DateGranularity::Month));
        $this->assertSame('2026-03-14', $ils->coarsenDate('2026-03-14 10:00'));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'date is not a calendar date', fn () => $ils->coarsenDate('2026-02-30'));
        $this->assertSame('30-39', $ils->ageBand(34));
        $this->assertSame('90+', $ils->ageBand(93));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'age must be at most 150', fn () => $ils->ageBand(151));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'age must be between', fn () => $ils->ageBand(-1));
        $this->assertSame('SW1A', $ils->truncatePostcode('SW1A 1AA', 4));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'would not mask it', fn () => $ils->truncatePostcode('123', 3));
    }

    public function testSuppression(): void
    {
        $grid = Library::load()->suppressSmallCells([[20, 30, 25], [15, 2, 40], [33, 27, 50]], 5);
        $this->assertSame(Cell::Primary, $grid['status'][1][1]);
        $this->assertSame(null, $grid['values'][1][1]);
        $this->assertSame(242, $grid['values'][3][3]);
        $complementary = 0;
        foreach ($grid['status'] as $row) {
            $hidden = count(array_filter($row, fn ($s) => $s !== Cell::Published));
            $this->assertTrue($hidden !== 1, 'no row with a single hidden entry');
            $complementary += count(array_filter($row, fn ($s) => $s === Cell::Complementary));
        }
        $this->assertSame(3, $complementary);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'k must be at least 1', fn () => Library::load()->suppressSmallCells([[1]], 0));
    }

    public function testExportSchema(): void
    {
        $schema = new ExportSchema([
            'unknown_fields' => 'reject',
            'fields' => [
                'patron_id' => ['rule' => 'tokenize', 'normalize' => ['trim', 'strip_separators'], 'required' => true],
                'email' => ['rule' => 'email'],
                'checkout' => ['rule' => 'date', 'granularity' => 'iso_week'],
                'branch' => ['rule' => 'keep', 'type' => 'string'],
                'name' => ['rule' => 'pii'],
            ],
        ]);
        $t = new Tokenizer('library-pipeline-key-0123456789!');
        $ok = $schema->apply($t, ['patron_id' => ' 21234-000123456 ', 'email' => 'jane.doe@example.org',
            'checkout' => '2026-03-14', 'branch' => 'Central', 'name' => 'Jane Doe']);
        $this->assertSame(false, $ok['quarantined']);
        $this->assertSame(['branch' => 'Central', 'checkout' => '2026-W11', 'email' => 'j***@***.org',
            'patron_id' => 'v1.k1.qyhwmumgr5qp4dovv5mrp7doie'], $ok['record']);
        $bad = $schema->apply($t, ['email' => 'jane-secret', 'ssn' => '078-05-1120']);
        $this->assertSame(true, $bad['quarantined']);
        $reasons = array_column($bad['issues'], 'reason', 'field');
        $this->assertSame(['email' => 'malformed', 'ssn' => 'unknown_field', 'patron_id' => 'missing'], $reasons);
        $this->assertTrue(!str_contains(json_encode($bad), 'secret'), 'no value in the issues');
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'unknown variant', fn () => new ExportSchema(['fields' => ['a' => ['rule' => 'nope']]]));
    }
}
