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
    private Library $lib;
    private ?\FFI\CData $handle;

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
        $this->handle = null;
        if ($maxPartitionsPerUnit < 0 || $maxPartitionsPerUnit > 0xFFFFFFFF) {
            throw new InvalidArgumentException(
                "max_partitions_per_unit must be in [1, 65536], got $maxPartitionsPerUnit",
                Library::ERR_INVALID_ARGUMENT
            );
        }
        if ($publicPartitions !== null && count($publicPartitions) === 0) {
            throw new InvalidArgumentException('public_partitions must not be empty', Library::ERR_INVALID_ARGUMENT);
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
        $this->handle = $out;
    }

    private static function adopt(\FFI\CData $handle): Aggregator
    {
        $obj = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $obj->lib = Library::load();
        $obj->handle = $handle;
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
        $this->lib->check($this->lib->ffi->ilsp_aggregator_new_shard($this->h(), \FFI::addr($out)));
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
            throw new InvalidArgumentException("count must be >= 0, got $count", Library::ERR_INVALID_ARGUMENT);
        }
        $this->lib->check($this->lib->ffi->ilsp_aggregator_add(
            $this->h(),
            self::buffer($this->lib, $unit),
            strlen($unit),
            self::buffer($this->lib, $partition),
            strlen($partition),
            $count,
            $value
        ));
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
                    Library::ERR_INVALID_ARGUMENT
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
                        Library::ERR_INVALID_ARGUMENT
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
        $this->lib->check($ffi->ilsp_aggregator_add_batch($this->h(), $n, $ud, $uo, $pd, $po, $c, $v));
    }

    /**
     * Merges $other (another shard of the same job) into this aggregator.
     *
     * @throws InvalidArgumentException if $other was configured differently.
     */
    public function merge(Aggregator $other): void
    {
        $this->lib->check($this->lib->ffi->ilsp_aggregator_merge($this->h(), $other->h()));
    }

    /** The state in its versioned binary form (confidential: exact totals). */
    public function toBytes(): string
    {
        $ffi = $this->lib->ffi;
        $len = $ffi->new('size_t');
        $status = $ffi->ilsp_aggregator_serialize($this->h(), null, 0, \FFI::addr($len));
        if ($status !== Library::ERR_BUFFER_TOO_SMALL) {
            $this->lib->check($status);
        }
        $needed = $len->cdata;
        $buf = $ffi->new('uint8_t[' . max(1, $needed) . ']');
        $this->lib->check($ffi->ilsp_aggregator_serialize($this->h(), $buf, $needed, \FFI::addr($len)));
        return \FFI::string($buf, $len->cdata);
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
        $this->lib->check($ffi->ilsp_aggregator_stats(
            $this->h(),
            \FFI::addr($x[0]),
            \FFI::addr($x[1]),
            \FFI::addr($x[2]),
            \FFI::addr($x[3])
        ));
        return [
            'events' => $x[0],
            'events_outside_public_partitions' => $x[1],
            'units' => $x[2],
            'partitions' => $x[3],
        ];
    }

    /** Frees the native state now (also done by the destructor). */
    public function close(): void
    {
        if ($this->handle !== null) {
            $this->lib->ffi->ilsp_aggregator_free($this->handle);
            $this->handle = null;
        }
    }

    public function __destruct()
    {
        $this->close();
    }

    /** @internal the native handle (for other classes of this binding). */
    public function h(): \FFI\CData
    {
        if ($this->handle === null) {
            throw new \LogicException('the aggregator is closed');
        }
        return $this->handle;
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
