<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Aggregator;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;
use IlsPrivacy\Status;

final class AggregatorTest extends TestCase
{
    /** @return list<array{0:string,1:string,2:int,3:int}> */
    private function events(int $n, int $seed): array
    {
        mt_srand($seed);
        $branches = ['EAST', 'WEST', 'NORTH', 'SOUTH'];
        $out = [];
        for ($i = 0; $i < $n; $i++) {
            $out[] = ['token-' . mt_rand(0, 30), $branches[mt_rand(0, 3)], mt_rand(0, 3), mt_rand(-5, 30)];
        }
        return $out;
    }

    public function testAddAndBatchAgree(): void
    {
        $one = new Aggregator(2, [0, 20], ['EAST', 'WEST', 'NORTH']);
        $events = $this->events(300, 1);
        foreach ($events as [$u, $p, $c, $v]) {
            $one->add($u, $p, $c, $v);
        }
        $batch = $one->newShard();
        $batch->addBatch(
            array_column($events, 0),
            array_column($events, 1),
            array_column($events, 2),
            array_column($events, 3)
        );
        $this->assertSame($one->toBytes(), $batch->toBytes(), 'add and addBatch give the same state');
        $stats = $one->stats();
        $this->assertSame(300, $stats['events']);
        $this->assertTrue($stats['events_outside_public_partitions'] > 0, 'SOUTH is dropped');
        $this->assertSame(3, $stats['partitions']);
    }

    public function testShardsMergeToTheWhole(): void
    {
        $events = $this->events(600, 2);
        $whole = new Aggregator(3);
        foreach ($events as [$u, $p, $c, $v]) {
            $whole->add($u, $p, $c, $v);
        }
        $merged = $whole->newShard();
        foreach (array_chunk($events, 150) as $chunk) {
            $shard = $whole->newShard();
            foreach ($chunk as [$u, $p, $c, $v]) {
                $shard->add($u, $p, $c, $v);
            }
            // As if sent from another process.
            $merged->merge(Aggregator::fromBytes($shard->toBytes()));
        }
        $this->assertSame($whole->toBytes(), $merged->toBytes(), 'merged shards equal the whole');
    }

    public function testReleaseChargesOnceAndRefusesOverspend(): void
    {
        $agg = new Aggregator(2, [0, 20], ['EAST', 'WEST', 'NORTH']);
        for ($i = 0; $i < 300; $i++) {
            $agg->add("t$i", ['EAST', 'WEST', 'NORTH'][$i % 3], 1, 10);
        }
        $budget = new \IlsPrivacy\Budget();
        $budget->setLimit('reports', 1.0, 0.0);
        $t = $agg->release($budget, 'reports', 2, 0.5, 0.25);
        $this->assertSame(['EAST', 'WEST', 'NORTH'], array_column($t['rows'], 'partition'));
        foreach ($t['rows'] as $row) {
            $this->assertTrue($row['count'] >= 0 && $row['sum'] !== null, 'released row');
        }
        $this->assertSame(0.75, $t['epsilon']);
        $this->assertSame(null, $t['selection_threshold']);
        $this->assertSame(2, $t['max_partitions_per_unit']);
        $this->assertThrows(\IlsPrivacy\BudgetExhaustedException::class, Status::BudgetExhausted,
            'budget exhausted', fn () => $agg->release($budget, 'reports', 2, 0.5));
        $this->assertSame([0.75, 0.0], $budget->spent('reports'), 'a refused release records nothing');
    }

    public function testPrivateMaxContributions(): void
    {
        // 400 patrons borrowing 1 to 20 times: 360 (0.9 * 400) counts lie below
        // 19, so at epsilon = 1 the chosen L∞ is 18, 19 or 20 except with
        // probability about 2e-7.
        $agg = new Aggregator(1, null, ['EAST']);
        $n = 400;
        $agg->addBatch(
            array_map(fn ($i) => "t$i", range(0, $n - 1)),
            array_fill(0, $n, 'EAST'),
            array_map(fn ($i) => 1 + $i % 20, range(0, $n - 1))
        );
        $budget = new \IlsPrivacy\Budget();
        $budget->setLimit('reports', 2.0, 0.0);
        $t = $agg->release($budget, 'reports', 100, 0.5, privateMaxContributions: [0.9, 1.0]);
        $linf = $t['max_contributions_per_partition'];
        $this->assertTrue(in_array($linf, [18, 19, 20], true), "chosen L∞ $linf");
        $this->assertSame(1.5, $t['epsilon'], "the bound's epsilon is in the one charge");
        $this->assertTrue(abs($t['count_scale'] - 2 * $linf) < 1e-3, 'counts calibrated at the chosen L∞');
        foreach ([
            [[1.5, 1.0], 'bound_quantile must be in [0, 1], got 1.5'],
            [[NAN, 1.0], 'bound_quantile must be in [0, 1], got NaN'],
            [[0.5, NAN], 'bound_epsilon must be finite and > 0, got NaN'],
        ] as [$bound, $message]) {
            $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, $message,
                fn () => $agg->release($budget, 'reports', 100, 0.1, privateMaxContributions: $bound));
        }
        $this->assertSame([1.5, 0.0], $budget->spent('reports'), 'refused releases record nothing');
    }

    public function testPartitionSelection(): void
    {
        $agg = new Aggregator(1);
        for ($i = 0; $i < 400; $i++) {
            $agg->add("t$i", 'book');
        }
        $agg->add('lonely', 'microfilm');
        $budget = new \IlsPrivacy\Budget();
        $budget->setLimit('reports', 5.0, 1e-5);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'needs partition selection', fn () => $agg->release($budget, 'reports', 1, 0.5));
        $t = $agg->release($budget, 'reports', 1, 0.5, 0.0, [0.5, 1e-6]);
        $this->assertSame(['book'], array_column($t['rows'], 'partition'));
        $this->assertTrue($t['selection_threshold'] > 1, 'threshold');
    }

    public function testTheExampleRuns(): void
    {
        $example = dirname(__DIR__, 3) . '/examples/php/circulation.php';
        exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($example) . ' 2>&1', $out, $code);
        $this->assertSame(0, $code, 'exit code: ' . implode("\n", $out));
        $text = implode("\n", $out);
        $this->assertTrue(str_contains($text, 'released at epsilon = 0.5'), $text);
    }

    public function testErrors(): void
    {
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'max_partitions_per_unit must be in [1, 65536], got 0', fn () => new Aggregator(0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'lo must be <= hi, got lo = 5 > hi = 1', fn () => new Aggregator(1, [5, 1]));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'public_partitions key 1 repeats key 0', fn () => new Aggregator(1, null, ['A', 'A']));
        $a = new Aggregator(1);
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'unit must not be empty', fn () => $a->add('', 'EAST'));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'partition must not be empty (event 1 of the batch)', fn () => $a->addBatch(['x', 'y'], ['EAST', '']));
        $this->assertSame(0, $a->stats()['events'], 'a failed batch adds nothing');
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'count must be >= 0, got -1', fn () => $a->add('x', 'EAST', -1));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'selection key', fn () => $a->merge(new Aggregator(1)));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'bad magic', fn () => Aggregator::fromBytes('not a state'));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'must not be the same handle', fn () => $a->merge($a));
        $a->close();
        $this->assertThrows(\LogicException::class, null, 'closed', fn () => $a->add('x', 'EAST'));
    }
}
