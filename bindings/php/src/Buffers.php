<?php
/**
 * The C ABI's buffer conventions on the PHP side (used by IlsPrivacy\Library):
 * text outputs (capacity in, length out, one retry with the needed capacity)
 * and packed string lists (one buffer plus offsets).
 */

declare(strict_types=1);

namespace IlsPrivacy;

trait Buffers
{
    /**
     * Calls $call($out, $cap, $lenPtr) with a $capacity-byte buffer, retrying
     * once with the capacity the library reports on Status::BufferTooSmall, and
     * returns the text written.
     *
     * @param callable(\FFI\CData, int, \FFI\CData): int $call
     */
    public function textCall(callable $call, int $capacity = 128): string
    {
        $capacity = max(1, $capacity);
        $len = $this->ffi->new('size_t');
        $out = $this->ffi->new("char[$capacity]");
        $status = $call($out, $capacity, \FFI::addr($len));
        if ($status === Status::BufferTooSmall->value) {
            $capacity = $len->cdata;
            $out = $this->ffi->new("char[$capacity]");
            $status = $call($out, $capacity, \FFI::addr($len));
        }
        $this->check($status);
        return \FFI::string($out, $len->cdata);
    }

    /**
     * Packs strings into one buffer and count + 1 offsets, as the batch
     * functions take them.
     *
     * @param list<string> $items
     * @return array{0: string, 1: \FFI\CData, 2: int}
     */
    public function pack(array $items): array
    {
        $n = count($items);
        $offsets = $this->ffi->new('size_t[' . ($n + 1) . ']');
        $pos = 0;
        $i = 0;
        foreach ($items as $item) {
            if (!is_string($item)) {
                throw new InvalidArgumentException('every entry must be a string', Status::InvalidArgument->value);
            }
            $offsets[$i++] = $pos;
            $pos += strlen($item);
        }
        $offsets[$n] = $pos;
        return [implode('', $items), $offsets, $n];
    }
}
