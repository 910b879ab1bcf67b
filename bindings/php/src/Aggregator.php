<?php
/**
 * Streaming per-partition counts and sums with per-patron contribution bounds.
 *
 *     $agg = new IlsPrivacy\Aggregator(2, publicPartitions: ['EAST', 'WEST']);
 *     $agg->add($token, 'EAST');                          // one checkout
 *     $agg->addBatch([$t1, $t2], ['EAST', 'WEST'], [3, 1]);
 *     $shard = $agg->newShard();                          // another worker's part
 *     $agg->merge(IlsPrivacy\Aggregator::fromBytes($stateFromWorker));
 *
 * Each privacy unit (a patron token) keeps at most $maxPartitionsPerUnit (L0)
 * partitions, chosen uniformly at random among its partitions. Shards of one
 * job (newShard(), or toBytes()/fromBytes() across processes) merge exactly.
 * The state and its bytes hold exact totals: keep them as confidential as the
 * input; stats() is exact too, for logs only.
 */

declare(strict_types=1);

namespace IlsPrivacy;

final class Aggregator
{
    private const ROW_SUPPRESSED = 1;
    private const ROW_HAS_SUM = 2;

    private Library $lib;
    private NativeHandle $native;

    /**
     * @param int $maxPartitionsPerUnit L0, the most partitions one unit contributes to (1..65536).
     * @param array{0:int,1:int}|null $valueBounds [lo, hi] to also sum values clamped to [lo, hi]; null to count only.
     * @param list<string>|null $publicPartitions the public partition keys (zero-filled in the release),
     *        or null to take partitions from the data.
     * @throws InvalidArgumentException for a bad L0, lo > hi, an empty or repeated public key.
     */
    public function __construct(int $maxPartitionsPerUnit, ?array $valueBounds = null, ?array $publicPartitions = null)
    {
        $this->lib = Library::load();
        if ($maxPartitionsPerUnit < 0 || $maxPartitionsPerUnit > 0xFFFFFFFF) {
            throw new InvalidArgumentException(
                "max_partitions_per_unit must be in [1, 65536], got $maxPartitionsPerUnit",
                Status::InvalidArgument->value
            );
        }
        if ($publicPartitions !== null && count($publicPartitions) === 0) {
            throw new InvalidArgumentException('public_partitions must not be empty', Status::InvalidArgument->value);
        }
        [$lo, $hi] = $valueBounds ?? [0, 0];
        [$data, $offsets, $n] = $this->packed($publicPartitions ?? []);
        $out = $this->lib->ffi->new('ilsp_aggregator*');
        $this->lib->check($this->lib->ffi->ilsp_aggregator_new(
            $maxPartitionsPerUnit,
            $valueBounds === null ? 0 : 1,
            (int) $lo,
            (int) $hi,
            $data,
            $offsets,
            $n,
            \FFI::addr($out)
        ));
        $this->native = self::guard($this->lib, $out);
    }

    private static function guard(Library $lib, \FFI\CData $handle): NativeHandle
    {
        $ffi = $lib->ffi;
        return new NativeHandle($handle, static fn (\FFI\CData $p) => $ffi->ilsp_aggregator_free($p), 'aggregator');
    }

    private static function adopt(\FFI\CData $handle): Aggregator
    {
        $obj = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $obj->lib = Library::load();
        $obj->native = self::guard($obj->lib, $handle);
        return $obj;
    }

    /**
     * An aggregator from a state written by toBytes().
     *
     * @throws InvalidArgumentException if $state is not a valid aggregator state.
     */
    public static function fromBytes(string $state): Aggregator
    {
        $lib = Library::load();
        $out = $lib->ffi->new('ilsp_aggregator*');
        $lib->check($lib->ffi->ilsp_aggregator_deserialize(self::buffer($lib, $state), strlen($state), \FFI::addr($out)));
        return self::adopt($out);
    }

    /** An empty aggregator with this one's configuration and selection key (another shard of the job). */
    public function newShard(): Aggregator
    {
        $out = $this->lib->ffi->new('ilsp_aggregator*');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_aggregator_new_shard($h, \FFI::addr($out))));
        return self::adopt($out);
    }

    /**
     * Adds one event: $unit contributed $count and $value to $partition.
     *
     * @throws InvalidArgumentException if $unit or $partition is empty, or $count < 0.
     */
    public function add(string $unit, string $partition, int $count = 1, int $value = 0): void
    {
        if ($count < 0) {
            throw new InvalidArgumentException("count must be >= 0, got $count", Status::InvalidArgument->value);
        }
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_aggregator_add($h,
            self::buffer($this->lib, $unit),
            strlen($unit),
            self::buffer($this->lib, $partition),
            strlen($partition),
            $count,
            $value
        )));
    }

    /**
     * Adds many events at once, all or nothing.
     *
     * @param list<string> $units
     * @param list<string> $partitions
     * @param list<int>|null $counts null for all 1
     * @param list<int>|null $values null for all 0
     * @throws InvalidArgumentException for a bad event (the message gives its index) or mismatched lengths.
     */
    public function addBatch(array $units, array $partitions, ?array $counts = null, ?array $values = null): void
    {
        $n = count($units);
        foreach (['partitions' => $partitions, 'counts' => $counts, 'values' => $values] as $name => $column) {
            if ($column !== null && count($column) !== $n) {
                throw new InvalidArgumentException(
                    "$name must have $n entries, got " . count($column),
                    Status::InvalidArgument->value
                );
            }
        }
        if ($n === 0) {
            return;
        }
        $ffi = $this->lib->ffi;
        [$ud, $uo] = $this->packed($units);
        [$pd, $po] = $this->packed($partitions);
        $c = null;
        if ($counts !== null) {
            $c = $ffi->new("uint64_t[$n]");
            foreach (array_values($counts) as $i => $x) {
                if ($x < 0) {
                    throw new InvalidArgumentException(
                        "count must be >= 0, got $x (event $i of the batch)",
                        Status::InvalidArgument->value
                    );
                }
                $c[$i] = $x;
            }
        }
        $v = null;
        if ($values !== null) {
            $v = $ffi->new("int64_t[$n]");
            foreach (array_values($values) as $i => $x) {
                $v[$i] = $x;
            }
        }
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($ffi->ilsp_aggregator_add_batch($h, $n, $ud, $uo, $pd, $po, $c, $v)));
    }

    /**
     * Merges $other (another shard of the same job) into this aggregator.
     *
     * @throws InvalidArgumentException if $other was configured differently.
     */
    public function merge(Aggregator $other): void
    {
        NativeHandle::useAll([$this->native, $other->native], fn (\FFI\CData $a, \FFI\CData $b) => $this->lib->check(
            $this->lib->ffi->ilsp_aggregator_merge($a, $b)
        ));
    }

    /** The state in its versioned binary form (confidential: exact totals). */
    public function toBytes(): string
    {
        $ffi = $this->lib->ffi;
        return $this->native->use(function (\FFI\CData $h) use ($ffi): string {
            $len = $ffi->new('size_t');
            $status = $ffi->ilsp_aggregator_serialize($h, null, 0, \FFI::addr($len));
            if ($status !== Status::BufferTooSmall->value) {
                $this->lib->check($status);
            }
            $needed = $len->cdata;
            $buf = $ffi->new('uint8_t[' . max(1, $needed) . ']');
            $this->lib->check($ffi->ilsp_aggregator_serialize($h, $buf, $needed, \FFI::addr($len)));
            return \FFI::string($buf, $len->cdata);
        });
    }

    /**
     * Exact counts of what was taken in (for logs, never for publication).
     *
     * @return array{events:int,events_outside_public_partitions:int,units:int,partitions:int}
     */
    public function stats(): array
    {
        $ffi = $this->lib->ffi;
        $x = $ffi->new('uint64_t[4]');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($ffi->ilsp_aggregator_stats($h,
            \FFI::addr($x[0]),
            \FFI::addr($x[1]),
            \FFI::addr($x[2]),
            \FFI::addr($x[3])
        )));
        return [
            'events' => $x[0],
            'events_outside_public_partitions' => $x[1],
            'units' => $x[2],
            'partitions' => $x[3],
        ];
    }

    /**
     * Releases the table with differential privacy, charging $account of $budget
     * once for all of it before any noise is drawn.
     *
     * @param int $maxContributions L∞: the most one unit adds to one partition's count.
     * @param float $countParam epsilon (TableNoise::Laplace) or rho (TableNoise::Gaussian) of the counts.
     * @param float $sumParam the same for the sums; 0 for counts only.
     * @param array{0:float,1:float}|null $selection [epsilon, delta] of private partition
     *        selection: required when the partitions come from the data.
     * @param int $suppressBelow withhold cells whose noisy count is below this (0: none).
     * @param array{0:float,1:float}|null $privateMaxContributions [quantile, epsilon] to choose L∞
     *        from the data instead: the quantile (e.g. 0.9) of the units' largest cell counts, by the
     *        exponential mechanism at that epsilon (pure epsilon-DP), rounded up and kept in
     *        [1, $maxContributions] ($maxContributions is the upper end of the search). Its epsilon
     *        is part of the one charge (epsilon²/2 of rho with TableNoise::Gaussian); the chosen L∞ is
     *        the result's max_contributions_per_partition.
     * @return array{rows:list<array{partition:string,count:?int,sum:?int}>,epsilon:float,delta:float,
     *         rho:float,count_scale:float,sum_scale:float,max_partitions_per_unit:int,
     *         max_contributions_per_partition:int,selection_threshold:?int}
     * @throws BudgetExhaustedException if the charge does not fit (nothing is released).
     * @throws InvalidArgumentException for bad parameters (e.g. a quantile outside [0, 1]) or a
     *         plan that does not fit.
     */
    public function release(
        Budget $budget,
        string $account,
        int $maxContributions,
        float $countParam,
        float $sumParam = 0.0,
        ?array $selection = null,
        int $suppressBelow = 0,
        TableNoise $noise = TableNoise::Laplace,
        ?array $privateMaxContributions = null
    ): array {
        if ($maxContributions < 0 || $maxContributions > 0xFFFFFFFF) {
            throw new InvalidArgumentException(
                "max_contributions_per_partition must be >= 1, got $maxContributions",
                Status::InvalidArgument->value
            );
        }
        $ffi = $this->lib->ffi;
        [$selEps, $selDelta] = $selection ?? [0.0, 0.0];
        $out = $ffi->new('ilsp_table*');
        $args = [
            $account,
            $maxContributions,
            $noise->value,
            $countParam,
            $sumParam,
            (float) $selEps,
            (float) $selDelta,
            $suppressBelow,
        ];
        $handles = [$this->native, $budget->native()];
        if ($privateMaxContributions === null) {
            $args[] = \FFI::addr($out);
            NativeHandle::useAll($handles, fn (\FFI\CData $a, \FFI\CData $b) => $this->lib->check(
                $ffi->ilsp_aggregator_release($a, $b, ...$args)
            ));
        } else {
            [$quantile, $boundEpsilon] = $privateMaxContributions;
            array_push($args, (float) $quantile, (float) $boundEpsilon, \FFI::addr($out));
            NativeHandle::useAll($handles, fn (\FFI\CData $a, \FFI\CData $b) => $this->lib->check(
                $ffi->ilsp_aggregator_release_private_bound($a, $b, ...$args)
            ));
        }
        try {
            $rows = [];
            $cap = 64;
            $buf = $ffi->new("uint8_t[$cap]");
            $len = $ffi->new('size_t');
            $count = $ffi->new('int64_t');
            $sum = $ffi->new('int64_t');
            $flags = $ffi->new('uint32_t');
            $n = $ffi->ilsp_table_rows($out);
            for ($i = 0; $i < $n; $i++) {
                $args = fn () => [$out, $i, $buf, $cap, \FFI::addr($len), \FFI::addr($count), \FFI::addr($sum), \FFI::addr($flags)];
                $status = $ffi->ilsp_table_row(...$args());
                if ($status === Status::BufferTooSmall->value) {
                    $cap = $len->cdata;
                    $buf = $ffi->new("uint8_t[$cap]");
                    $status = $ffi->ilsp_table_row(...$args());
                }
                $this->lib->check($status);
                $withheld = ($flags->cdata & self::ROW_SUPPRESSED) !== 0;
                $rows[] = [
                    'partition' => \FFI::string($buf, $len->cdata),
                    'count' => $withheld ? null : $count->cdata,
                    'sum' => ($flags->cdata & self::ROW_HAS_SUM) !== 0 ? $sum->cdata : null,
                ];
            }
            $cost = $ffi->new('double[3]');
            $this->lib->check($ffi->ilsp_table_cost($out, \FFI::addr($cost[0]), \FFI::addr($cost[1]), \FFI::addr($cost[2])));
            $scale = $ffi->new('double[2]');
            $bounds = $ffi->new('uint32_t[2]');
            $threshold = $ffi->new('int64_t');
            $this->lib->check($ffi->ilsp_table_noise(
                $out,
                \FFI::addr($scale[0]),
                \FFI::addr($scale[1]),
                \FFI::addr($bounds[0]),
                \FFI::addr($bounds[1]),
                \FFI::addr($threshold)
            ));
            return [
                'rows' => $rows,
                'epsilon' => $cost[0],
                'delta' => $cost[1],
                'rho' => $cost[2],
                'count_scale' => $scale[0],
                'sum_scale' => $scale[1],
                'max_partitions_per_unit' => $bounds[0],
                'max_contributions_per_partition' => $bounds[1],
                'selection_threshold' => $threshold->cdata < 0 ? null : $threshold->cdata,
            ];
        } finally {
            $ffi->ilsp_table_free($out);
        }
    }

    /** Frees the native state now (also done by the destructor); idempotent. Later calls throw ClosedHandleException. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** A uint8_t buffer holding $bytes (NULL for the empty string). */
    private static function buffer(Library $lib, string $bytes): ?\FFI\CData
    {
        $n = strlen($bytes);
        if ($n === 0) {
            return null;
        }
        $buf = $lib->ffi->new("uint8_t[$n]");
        \FFI::memcpy($buf, $bytes, $n);
        return $buf;
    }

    /**
     * A packed column: the keys concatenated and their n + 1 offsets.
     *
     * @param list<string> $keys
     * @return array{0:?\FFI\CData,1:?\FFI\CData,2:int}
     */
    private function packed(array $keys): array
    {
        $n = count($keys);
        if ($n === 0) {
            return [null, null, 0];
        }
        $offsets = $this->lib->ffi->new('size_t[' . ($n + 1) . ']');
        $offsets[0] = 0;
        $total = 0;
        foreach (array_values($keys) as $i => $k) {
            $total += strlen((string) $k);
            $offsets[$i + 1] = $total;
        }
        $data = $this->lib->ffi->new('uint8_t[' . max(1, $total) . ']');
        \FFI::memcpy($data, implode('', array_map('strval', $keys)), $total);
        return [$data, $offsets, $n];
    }
}
