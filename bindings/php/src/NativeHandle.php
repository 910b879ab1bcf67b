<?php
/**
 * The binding's one guard for every handle type (Key, Tokenizer,
 * ExportSchema, Budget, Accountant, Aggregator): it owns the C pointer,
 * counts the calls in progress, and frees the object exactly once.
 *
 * Every call runs through use() (or useAll() for calls taking several
 * handles). close() marks the handle closed at once, so later calls throw
 * ClosedHandleException; if a call is still running (a close reached from
 * inside it, e.g. by a destructor or a signal handler), the object is freed
 * when that call returns, never under it. Closing twice is harmless.
 */

declare(strict_types=1);

namespace IlsPrivacy;

/** @internal */
final class NativeHandle
{
    private ?\FFI\CData $ptr;
    private int $users = 0;
    private bool $closing = false;
    /** @var \Closure(\FFI\CData): void */
    private \Closure $free;

    /**
     * @param \FFI\CData $ptr the handle (an `ilsp_<thing>*`), owned from now on.
     * @param \Closure(\FFI\CData): void $free calls `ilsp_<thing>_free`.
     * @param string $kind what the closed-handle message calls it.
     */
    public function __construct(\FFI\CData $ptr, \Closure $free, private readonly string $kind)
    {
        $this->ptr = $ptr;
        $this->free = $free;
    }

    /**
     * Runs $body with the pointer while holding the handle.
     *
     * @template T
     * @param callable(\FFI\CData): T $body
     * @return T
     * @throws ClosedHandleException after close().
     */
    public function use(callable $body): mixed
    {
        if ($this->closing || $this->ptr === null) {
            throw new ClosedHandleException("the {$this->kind} is closed");
        }
        $this->users++;
        try {
            return $body($this->ptr);
        } finally {
            $this->users--;
            if ($this->users === 0 && $this->closing) {
                $this->release();
            }
        }
    }

    /**
     * Runs $body with the pointers of several handles, all held.
     *
     * @param list<NativeHandle> $handles
     * @param callable(\FFI\CData ...): mixed $body
     */
    public static function useAll(array $handles, callable $body, array $pointers = []): mixed
    {
        if ($handles === []) {
            return $body(...$pointers);
        }
        $first = array_shift($handles);
        return $first->use(fn (\FFI\CData $p) => self::useAll($handles, $body, [...$pointers, $p]));
    }

    /** Closes the handle: now if no call holds it, else when the last one returns. */
    public function close(): void
    {
        if ($this->closing) {
            return;
        }
        $this->closing = true;
        if ($this->users === 0) {
            $this->release();
        }
    }

    public function isClosed(): bool
    {
        return $this->closing || $this->ptr === null;
    }

    private function release(): void
    {
        $ptr = $this->ptr;
        $this->ptr = null;
        if ($ptr !== null) {
            ($this->free)($ptr);
        }
    }
}
