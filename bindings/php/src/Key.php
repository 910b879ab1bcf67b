<?php
/**
 * Secret key material held by the library (at least 32 bytes), wiped when the
 * object is destroyed. Loading from a file or an environment variable keeps
 * the key out of PHP memory altogether.
 *
 *     $key = IlsPrivacy\Key::fromEnv('PATRON_TOKEN_KEY', IlsPrivacy\KeyEncoding::Hex);
 *     $tenant = $key->derive('branch-7', 'patron_id');
 */

declare(strict_types=1);

namespace IlsPrivacy;

final class Key
{
    /** The shortest accepted key, in bytes. */
    public const MIN_LEN = 32;
    /** The longest accepted key, and the largest key file, in bytes. */
    public const MAX_LEN = 65536;

    private NativeHandle $native;

    private function __construct(private readonly Library $lib, \FFI\CData $handle)
    {
        $ffi = $lib->ffi;
        $this->native = new NativeHandle($handle, static fn (\FFI\CData $p) => $ffi->ilsp_key_free($p), 'key');
    }

    /**
     * Copies $bytes (32 to 65536) into a key. The library copies them; wipe
     * your own copy if it matters.
     *
     * @throws KeyException if $bytes is shorter than 32 or longer than 65536 bytes.
     */
    public static function fromBytes(string $bytes): Key
    {
        $lib = Library::load();
        $out = $lib->ffi->new('ilsp_key*');
        $buf = self::byteBuffer($lib, $bytes);
        try {
            $lib->check($lib->ffi->ilsp_key_from_bytes($buf, strlen($bytes), \FFI::addr($out)));
        } finally {
            self::wipe($buf, strlen($bytes));
        }
        return new Key($lib, $out);
    }

    /**
     * Reads a key file stored as raw bytes (KeyEncoding::Raw) or hex text (KeyEncoding::Hex). Only a regular file is
     * read (at most 64 KiB + 1 bytes, without blocking on a FIFO).
     *
     * @throws LedgerIoException if the file cannot be opened or read.
     * @throws KeyException if it is not a regular file (a FIFO, a device such as
     *         /dev/zero, a directory), too short, not hex, or over 64 KiB.
     */
    public static function fromFile(string $path, KeyEncoding $encoding = KeyEncoding::Raw): Key
    {
        $lib = Library::load();
        $out = $lib->ffi->new('ilsp_key*');
        $lib->check($lib->ffi->ilsp_key_from_file($path, $encoding->value, \FFI::addr($out)));
        return new Key($lib, $out);
    }

    /**
     * Reads a key from the environment variable $name (KeyEncoding::Raw: the
     * value's bytes; or KeyEncoding::Hex). The process environment is read, as getenv() sees it after putenv().
     *
     * @throws KeyException if the variable is unset, too short or not hex.
     */
    public static function fromEnv(string $name, KeyEncoding $encoding = KeyEncoding::Raw): Key
    {
        $lib = Library::load();
        $out = $lib->ffi->new('ilsp_key*');
        $lib->check($lib->ffi->ilsp_key_from_env($name, $encoding->value, \FFI::addr($out)));
        return new Key($lib, $out);
    }

    /**
     * A new random key of $length bytes (32 to 65536) from the library's CSPRNG.
     *
     * @throws KeyException if $length is out of range (checked before anything is allocated).
     */
    public static function generate(int $length = 32): Key
    {
        $lib = Library::load();
        if ($length < 0) {
            throw new KeyException("key error: key must be at least 32 bytes, got $length", Status::Key->value);
        }
        $out = $lib->ffi->new('ilsp_key*');
        $lib->check($lib->ffi->ilsp_key_generate($length, \FFI::addr($out)));
        return new Key($lib, $out);
    }

    /**
     * The 32-byte key of $tenant and $purpose, derived from this master key
     * with HKDF-SHA256, so one leaked tenant key exposes one tenant.
     *
     * @throws InvalidArgumentException for an empty or over-long label.
     */
    public function derive(string $tenant, string $purpose): Key
    {
        $ffi = $this->lib->ffi;
        $out = $ffi->new('ilsp_key*');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($ffi->ilsp_key_derive($h, $tenant, $purpose, \FFI::addr($out))));
        return new Key($this->lib, $out);
    }

    /** @internal The guarded ilsp_key* handle, for Tokenizer. */
    public function native(): NativeHandle
    {
        return $this->native;
    }

    /** Wipes and frees the key now (also done by the destructor); idempotent. Later calls throw ClosedHandleException. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    /** @internal Copies $bytes into a C uint8_t array (PHP FFI passes strings only as char*). */
    public static function byteBuffer(Library $lib, string $bytes): \FFI\CData
    {
        $n = max(1, strlen($bytes));
        $buf = $lib->ffi->new("uint8_t[$n]");
        if ($bytes !== '') {
            \FFI::memcpy($buf, $bytes, strlen($bytes));
        }
        return $buf;
    }

    /** @internal Zeroes a buffer made by byteBuffer(). */
    public static function wipe(\FFI\CData $buf, int $n): void
    {
        if ($n > 0) {
            \FFI::memset($buf, 0, $n);
        }
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** Never shows key material. */
    public function __debugInfo(): array
    {
        return ['key' => '<secret>'];
    }
}
