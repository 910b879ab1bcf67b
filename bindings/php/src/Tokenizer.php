<?php
/**
 * Patron-ID tokenization: a key ring with one active key.
 *
 *     $t = new IlsPrivacy\Tokenizer($keyBytes);          // key id "k1"
 *     $t->tokenize('21234000123456');                   // === hash_hmac('sha256', '21234000123456', $keyBytes)
 *     $t->tokenizeVersioned('21234000123456');          // 'v1.k1.…'
 *
 * Every method may be called from any thread on the same object (the
 * library locks the ring). Error messages never contain IDs or key bytes.
 */

declare(strict_types=1);

namespace IlsPrivacy;

final class Tokenizer
{
    /** Length of a compatibility token. */
    public const COMPAT_TOKEN_LEN = 64;

    private readonly Library $lib;
    private NativeHandle $native;

    /**
     * A tokenizer whose only key is $key (a binary string of at least 32 bytes,
     * or a Key), named $keyId ("k1" by default), active.
     *
     * @throws KeyException if the key is shorter than 32 bytes.
     * @throws InvalidArgumentException for a malformed key id.
     */
    public function __construct(string|Key $key, ?string $keyId = null)
    {
        $this->lib = Library::load();
        $ffi = $this->lib->ffi;
        $out = $ffi->new('ilsp_tokenizer*');
        if ($key instanceof Key) {
            $key->native()->use(fn (\FFI\CData $k) => $this->lib->check(
                $ffi->ilsp_tokenizer_new_with_key($keyId ?? 'k1', $k, \FFI::addr($out))
            ));
        } elseif ($keyId === null) {
            $buf = Key::byteBuffer($this->lib, $key);
            try {
                $this->lib->check($ffi->ilsp_tokenizer_new($buf, strlen($key), \FFI::addr($out)));
            } finally {
                Key::wipe($buf, strlen($key));
            }
        } else {
            $k = Key::fromBytes($key);
            $k->native()->use(fn (\FFI\CData $kp) => $this->lib->check(
                $ffi->ilsp_tokenizer_new_with_key($keyId, $kp, \FFI::addr($out))
            ));
            $k->close();
        }
        $this->native = new NativeHandle($out, static fn (\FFI\CData $p) => $ffi->ilsp_tokenizer_free($p), 'tokenizer');
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** Wipes every key and frees the tokenizer now (also done by the destructor); idempotent. Later calls throw ClosedHandleException. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    /** Shows key ids only. */
    public function __debugInfo(): array
    {
        if ($this->native->isClosed()) {
            return ['closed' => true];
        }
        return ['keys' => $this->keyIds(), 'active' => $this->activeKeyId()];
    }

    /** @internal The guarded ilsp_tokenizer* handle, for ExportSchema. */
    public function native(): NativeHandle
    {
        return $this->native;
    }

    /**
     * The compatibility token of $id (UTF-8; '' allowed) under the active key,
     * identical to hash_hmac('sha256', $id, $key) and Python's hmac hexdigest().
     *
     * @throws EncodingException if $id is not UTF-8 (the message gives the offset, not the ID).
     */
    public function tokenize(string $id): string
    {
        $ffi = $this->lib->ffi;
        $out = $ffi->new('char[65]');
        $len = $ffi->new('size_t');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($ffi->ilsp_tokenize($h, $id, strlen($id), $out, 65, \FFI::addr($len))));
        return \FFI::string($out, 64);
    }

    /**
     * The versioned token v1.<key id>.<body> of $id under $keyId (null: the
     * active key) after the normalisation steps $normalize.
     *
     * @param Normalization|list<Normalization> $normalize
     * @throws InvalidArgumentException if $id is empty (after normalisation).
     * @throws KeyException if $keyId is not in the ring.
     */
    public function tokenizeVersioned(string $id, ?string $keyId = null, Normalization|array $normalize = Normalization::None): string
    {
        return $this->tokenizeWith($id, TokenKind::V1, $keyId, $normalize);
    }

    /**
     * The token of $id of $kind under $keyId after $normalize.
     *
     * @param Normalization|list<Normalization> $normalize
     */
    public function tokenizeWith(string $id, TokenKind $kind, ?string $keyId = null, Normalization|array $normalize = Normalization::None): string
    {
        $ffi = $this->lib->ffi;
        $flags = Normalization::flags($normalize);
        return $this->native->use(fn (\FFI\CData $h) => $this->lib->textCall(
            fn ($out, $cap, $len) => $ffi->ilsp_tokenize_with($h, $keyId, $kind->value, $flags, $id, strlen($id), $out, $cap, $len),
            128
        ));
    }

    /** The length of every token of $kind under $keyId (null: active). */
    public function tokenLen(TokenKind $kind = TokenKind::V1, ?string $keyId = null): int
    {
        return $this->native->use(fn (\FFI\CData $h) => $this->width($h, $kind, $keyId));
    }

    /** ilsp_tokenizer_token_len on a pointer the caller holds. */
    private function width(\FFI\CData $h, TokenKind $kind, ?string $keyId): int
    {
        $n = $this->lib->ffi->new('size_t');
        $this->lib->check($this->lib->ffi->ilsp_tokenizer_token_len($h, $keyId, $kind->value, \FFI::addr($n)));
        return $n->cdata;
    }

    /**
     * The tokens of $ids in one library call (four IDs hashed at a time).
     *
     * @param list<string> $ids
     * @param Normalization|list<Normalization> $normalize
     * @return list<string>
     */
    public function tokenizeMany(array $ids, TokenKind $kind = TokenKind::Compat, ?string $keyId = null, Normalization|array $normalize = Normalization::None): array
    {
        $ffi = $this->lib->ffi;
        $normalize = Normalization::flags($normalize);
        [$data, $offsets, $n] = $this->lib->pack($ids);
        // Width and tokens under one hold of the handle.
        return $this->native->use(function (\FFI\CData $h) use ($ffi, $kind, $keyId, $normalize, $data, $offsets, $n): array {
            $width = $this->width($h, $kind, $keyId);
            $cap = $n * $width + 1;
            $out = $ffi->new("char[$cap]");
            $len = $ffi->new('size_t');
            $this->lib->check($ffi->ilsp_tokenize_batch(
                $h, $keyId, $kind->value, $normalize, $data, strlen($data), $offsets, $n, $out, $cap, \FFI::addr($len)
            ));
            return $n === 0 ? [] : str_split(\FFI::string($out, $len->cdata), $width);
        });
    }

    /**
     * The token of $id under every live key (the rotation transition window).
     *
     * @param Normalization|list<Normalization> $normalize
     * @return array<string, string> key id => token
     */
    public function tokenizeAll(string $id, TokenKind $kind = TokenKind::V1, Normalization|array $normalize = Normalization::None): array
    {
        $all = [];
        foreach ($this->keyIds() as $keyId) {
            $all[$keyId] = $this->tokenizeWith($id, $kind, $keyId, $normalize);
        }
        return $all;
    }

    /**
     * [old token, new token] for each of $ids: the mapping that re-keys stored
     * data during a rotation (null key ids: the active key).
     *
     * @param list<string> $ids
     * @param Normalization|list<Normalization> $fromNormalize
     * @param Normalization|list<Normalization> $toNormalize
     * @return list<array{0: string, 1: string}>
     */
    public function bridge(
        array $ids,
        ?string $fromKey,
        ?string $toKey,
        TokenKind $fromKind = TokenKind::Compat,
        TokenKind $toKind = TokenKind::V1,
        Normalization|array $fromNormalize = Normalization::None,
        Normalization|array $toNormalize = Normalization::None
    ): array {
        $ffi = $this->lib->ffi;
        $fromFlags = Normalization::flags($fromNormalize);
        $toFlags = Normalization::flags($toNormalize);
        [$data, $offsets, $n] = $this->lib->pack($ids);
        $text = $this->native->use(fn (\FFI\CData $h) => $this->lib->textCall(
            fn ($out, $c, $len) => $ffi->ilsp_tokenize_bridge(
                $h, $fromKey, $fromKind->value, $fromFlags, $toKey, $toKind->value, $toFlags,
                $data, strlen($data), $offsets, $n, $out, $c, $len
            ),
            $n * ($this->width($h, $fromKind, $fromKey) + $this->width($h, $toKind, $toKey) + 2) + 1
        ));
        $rows = [];
        foreach (explode("\n", rtrim($text, "\n")) as $line) {
            if ($line !== '') {
                $rows[] = explode(',', $line, 2);
            }
        }
        return $rows;
    }

    /**
     * Whether $token is $id's token under a live key (constant-time comparison).
     *
     * @throws InvalidArgumentException if $token is neither a v1 nor a compatibility token.
     * @param Normalization|list<Normalization> $normalize
     * @throws KeyException if $token names a key not in the ring (e.g. retired).
     */
    public function verify(string $token, string $id, Normalization|array $normalize = Normalization::None): bool
    {
        $m = $this->lib->ffi->new('int32_t');
        $flags = Normalization::flags($normalize);
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check(
            $this->lib->ffi->ilsp_token_verify($h, $token, $flags, $id, strlen($id), \FFI::addr($m))
        ));
        return $m->cdata === 1;
    }

    /**
     * The index of the first of $tokens that is $id's token under a live key,
     * or null. Every entry is compared in constant time.
     *
     * @param list<string> $tokens
     * @param Normalization|list<Normalization> $normalize
     */
    public function lookup(array $tokens, string $id, Normalization|array $normalize = Normalization::None): ?int
    {
        $flags = Normalization::flags($normalize);
        [$data, $offsets, $n] = $this->lib->pack($tokens);
        $index = $this->lib->ffi->new('size_t');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_token_lookup(
            $h, $data, strlen($data), $offsets, $n, $flags, $id, strlen($id), \FFI::addr($index)
        )));
        return $index->cdata === $n ? null : $index->cdata;
    }

    /** The versioned token of a postal address's canonical form. */
    public function tokenizeAddress(string $address): string
    {
        $ffi = $this->lib->ffi;
        return $this->native->use(fn (\FFI\CData $h) => $this->lib->textCall(
            fn ($out, $cap, $len) => $ffi->ilsp_tokenize_address($h, $address, $out, $cap, $len),
            128
        ));
    }

    /** Versioned bodies: TokenBody::Base32 or TokenBody::Hex, 128 to 256 bits (multiple of 8). */
    public function setFormat(TokenBody $encoding = TokenBody::Base32, int $bits = 128): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_tokenizer_set_format($h, $encoding->value, $bits)));
    }

    /** Adds a key (binary string or Key) to the ring, live but not active. */
    public function addKey(string $keyId, string|Key $key): void
    {
        $k = $key instanceof Key ? $key : Key::fromBytes($key);
        NativeHandle::useAll([$this->native, $k->native()], fn (\FFI\CData $h, \FFI\CData $kp) => $this->lib->check(
            $this->lib->ffi->ilsp_tokenizer_add_key($h, $keyId, $kp)
        ));
    }

    /** Makes $keyId the active key. */
    public function activate(string $keyId): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_tokenizer_activate($h, $keyId)));
    }

    /** Removes $keyId from the ring and wipes it (not the active key). */
    public function retire(string $keyId): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_tokenizer_retire($h, $keyId)));
    }

    /** @return list<string> The live keys' ids, in the order they were added. */
    public function keyIds(): array
    {
        $ffi = $this->lib->ffi;
        return $this->native->use(function (\FFI\CData $h) use ($ffi): array {
            $n = $ffi->new('size_t');
            $this->lib->check($ffi->ilsp_tokenizer_key_count($h, \FFI::addr($n)));
            $ids = [];
            for ($i = 0; $i < $n->cdata; $i++) {
                $ids[] = $this->lib->textCall(fn ($out, $cap, $len) => $ffi->ilsp_tokenizer_key_id($h, $i, $out, $cap, $len), 40);
            }
            return $ids;
        });
    }

    /** The active key's id. */
    public function activeKeyId(): string
    {
        $ffi = $this->lib->ffi;
        return $this->native->use(fn (\FFI\CData $h) => $this->lib->textCall(
            fn ($out, $cap, $len) => $ffi->ilsp_tokenizer_active_key_id($h, $out, $cap, $len),
            40
        ));
    }
}
