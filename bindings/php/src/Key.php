<?php
/**
 * Secret key material held by the library (at least 32 bytes), wiped when the
 * object is destroyed. Loading from a file or an environment variable keeps
 * the key out of PHP memory altogether.
 *
 *     $key = IlsPrivacy\Key::fromEnv('PATRON_TOKEN_KEY', IlsPrivacy\Key::HEX);
 *     $tenant = $key->derive('branch-7', 'patron_id');
 */

declare(strict_types=1);

namespace IlsPrivacy;

final class Key
{
    /** Key material stored as the bytes themselves. */
    public const RAW = 0;
    /** Key material stored as hexadecimal text. */
    public const HEX = 1;
    /** The shortest accepted key, in bytes. */
    public const MIN_LEN = 32;

    /** @var \FFI\CData The ilsp_key* handle. */
    private \FFI\CData $handle;

    private function __construct(private readonly Library $lib, \FFI\CData $handle)
    {
        $this->handle = $handle;
    }

    /**
     * Copies $bytes (at least 32) into a key. The library copies them; wipe
     * your own copy if it matters.
     *
     * @throws KeyException if $bytes is shorter than 32 bytes.
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
     * Reads a key file stored as RAW bytes or HEX text.
     *
     * @throws LedgerIoException if the file cannot be read.
     * @throws KeyException if it is too short, not hex, or over 64 KiB.
     */
    public static function fromFile(string $path, int $encoding = self::RAW): Key
    {
        $lib = Library::load();
        $out = $lib->ffi->new('ilsp_key*');
        $lib->check($lib->ffi->ilsp_key_from_file($path, $encoding, \FFI::addr($out)));
        return new Key($lib, $out);
    }

    /**
     * Reads a key from the environment variable $name (RAW: the value's bytes;
     * or HEX). The process environment is read, as getenv() sees it after putenv().
     *
     * @throws KeyException if the variable is unset, too short or not hex.
     */
    public static function fromEnv(string $name, int $encoding = self::RAW): Key
    {
        $lib = Library::load();
        $out = $lib->ffi->new('ilsp_key*');
        $lib->check($lib->ffi->ilsp_key_from_env($name, $encoding, \FFI::addr($out)));
        return new Key($lib, $out);
    }

    /** A new random key of $length bytes from the library's CSPRNG. */
    public static function generate(int $length = 32): Key
    {
        $lib = Library::load();
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
        $out = $this->lib->ffi->new('ilsp_key*');
        $this->lib->check($this->lib->ffi->ilsp_key_derive($this->handle, $tenant, $purpose, \FFI::addr($out)));
        return new Key($this->lib, $out);
    }

    /** @internal The ilsp_key* handle, for Tokenizer. */
    public function handle(): \FFI\CData
    {
        return $this->handle;
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
        $this->lib->ffi->ilsp_key_free($this->handle);
    }

    /** Never shows key material. */
    public function __debugInfo(): array
    {
        return ['key' => '<secret>'];
    }
}
