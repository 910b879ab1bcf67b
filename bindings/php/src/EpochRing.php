<?php
declare(strict_types=1);

namespace IlsPrivacy;

/**
 * A file of epoch keys, one per retention period. Retiring an epoch wipes
 * its key, rewrites the file atomically without it, zeroes the previous
 * file, and makes every later token call on it throw KeyException
 * (crypto-shredding). Make one with create() or open().
 */
final class EpochRing
{
    private readonly Library $lib;
    private NativeHandle $native;

    private function __construct(string $path, bool $create)
    {
        $this->lib = Library::load();
        $ffi = $this->lib->ffi;
        $out = $ffi->new('ilsp_epoch_ring*');
        $this->lib->check($create
            ? $ffi->ilsp_epoch_ring_create($path, \FFI::addr($out))
            : $ffi->ilsp_epoch_ring_open($path, \FFI::addr($out)));
        $this->native = new NativeHandle($out, static fn (\FFI\CData $p) => $ffi->ilsp_epoch_ring_free($p), 'epoch ring');
    }

    /** A new, empty ring file (mode 0600; it must not exist). */
    public static function create(string $path): self
    {
        return new self($path, true);
    }

    /** The ring file at $path. */
    public static function open(string $path): self
    {
        return new self($path, false);
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** Frees the handle now (its keys are wiped; the file stays); idempotent. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    /**
     * Adds $epoch with its key derived from $rootKey (HKDF-SHA256, at least
     * 32 bytes), or a random key when $rootKey is null (then retirement is
     * final: no one can derive it again).
     */
    public function add(string $epoch, ?string $rootKey = null): void
    {
        $ffi = $this->lib->ffi;
        if ($rootKey === null) {
            $this->native->use(fn (\FFI\CData $r) => $this->lib->check($ffi->ilsp_epoch_ring_add($r, $epoch, null, 0)));
            return;
        }
        $buf = Key::byteBuffer($this->lib, $rootKey);
        try {
            $this->native->use(fn (\FFI\CData $r) => $this->lib->check(
                $ffi->ilsp_epoch_ring_add($r, $epoch, $buf, strlen($rootKey))
            ));
        } finally {
            Key::wipe($buf, strlen($rootKey));
        }
    }

    /** Destroys $epoch's key; returns the retirement time (Unix seconds). */
    public function retire(string $epoch): int
    {
        $at = $this->lib->ffi->new('uint64_t');
        $this->native->use(fn (\FFI\CData $r) => $this->lib->check(
            $this->lib->ffi->ilsp_epoch_ring_retire($r, $epoch, \FFI::addr($at))
        ));
        return $at->cdata;
    }

    /** The versioned token v1.<epoch>.<body> of $id. */
    public function tokenize(string $epoch, string $id): string
    {
        $ffi = $this->lib->ffi;
        return $this->native->use(fn (\FFI\CData $r) => $this->lib->textCall(
            fn ($out, $cap, $len) => $ffi->ilsp_epoch_ring_tokenize($r, $epoch, $id, strlen($id), $out, $cap, $len),
            128
        ));
    }

    /** Whether $token is $id's token under the epoch it names (constant-time). */
    public function verify(string $token, string $id): bool
    {
        $m = $this->lib->ffi->new('int32_t');
        $this->native->use(fn (\FFI\CData $r) => $this->lib->check(
            $this->lib->ffi->ilsp_epoch_ring_verify($r, $token, strlen($token), $id, strlen($id), \FFI::addr($m))
        ));
        return $m->cdata === 1;
    }
}
