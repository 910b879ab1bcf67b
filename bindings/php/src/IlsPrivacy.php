<?php
/**
 * PHP binding of the ilsprivacy C library (through PHP's FFI extension).
 *
 * Usage:
 *
 *     require 'bindings/php/src/IlsPrivacy.php';
 *     $ils = IlsPrivacy\Library::load();
 *     echo $ils->clamp(12.5, 0.0, 10.0);   // 10
 *
 * The shared library is found at the ILSPRIVACY_LIB environment variable or in
 * the repository's target/release (then target/debug) folder; the declarations
 * are read from include/ilsprivacy_ffi.h (ILSPRIVACY_HEADER overrides it).
 * FFI must be enabled: the CLI allows it by default (ffi.enable=preload); under
 * PHP-FPM or Apache set ffi.enable=1 or preload the binding.
 *
 * Every C status other than ILSP_OK becomes the matching subclass of
 * IlsPrivacy\Exception, whose getCode() is the status and whose message is the
 * library's (it names the parameter at fault, never a patron ID or a value).
 */

declare(strict_types=1);

namespace IlsPrivacy;

require_once __DIR__ . '/Exceptions.php';
require_once __DIR__ . '/NativeHandle.php';
require_once __DIR__ . '/Aggregator.php';
require_once __DIR__ . '/Mechanisms.php';
require_once __DIR__ . '/Buffers.php';
require_once __DIR__ . '/Masking.php';
require_once __DIR__ . '/Key.php';
require_once __DIR__ . '/Tokenizer.php';
require_once __DIR__ . '/Budget.php';
require_once __DIR__ . '/Accountant.php';

final class Library
{
    use Mechanisms;
    use Buffers;
    use Masking;
    use Planning;

    /** Status codes of the C ABI (fixed numbers; FFI::cdef cannot read #defines). */
    public const OK = 0;
    public const ERR_NULL = 1;
    public const ERR_INVALID_ARGUMENT = 2;
    public const ERR_BUDGET_EXHAUSTED = 3;
    public const ERR_BUFFER_TOO_SMALL = 4;
    public const ERR_ENCODING = 5;
    public const ERR_KEY = 6;
    public const ERR_IO = 7;
    public const ERR_LEDGER_INTEGRITY = 8;
    public const ERR_ENTROPY = 9;
    public const ERR_INTERNAL = 10;

    private static ?Library $instance = null;

    /** @var \FFI The loaded C library. */
    public readonly \FFI $ffi;

    private function __construct(\FFI $ffi)
    {
        $this->ffi = $ffi;
    }

    /**
     * The library, loaded once per process.
     *
     * @throws \RuntimeException if the header or shared library cannot be found.
     */
    public static function load(): Library
    {
        if (self::$instance === null) {
            $root = dirname(__DIR__, 3);
            $header = getenv('ILSPRIVACY_HEADER') ?: $root . '/include/ilsprivacy_ffi.h';
            $lib = getenv('ILSPRIVACY_LIB') ?: null;
            if ($lib === null) {
                foreach (['release', 'debug'] as $profile) {
                    $candidate = "$root/target/$profile/libilsprivacy.so";
                    if (is_file($candidate)) {
                        $lib = $candidate;
                        break;
                    }
                }
            }
            if ($lib === null) {
                throw new \RuntimeException(
                    'cannot find libilsprivacy.so: build it with `cargo build --release` or set ILSPRIVACY_LIB'
                );
            }
            $decls = @file_get_contents($header);
            if ($decls === false) {
                throw new \RuntimeException("cannot read the FFI header $header (set ILSPRIVACY_HEADER)");
            }
            self::$instance = new Library(\FFI::cdef($decls, $lib));
        }
        return self::$instance;
    }

    /** Throws the exception for $status unless it is OK. */
    public function check(int $status): void
    {
        if ($status !== self::OK) {
            throw Exception::fromStatus($status, $this->lastError());
        }
    }

    /** This thread's message for the last failed call ("" after a success). */
    public function lastError(): string
    {
        return (string) $this->ffi->ilsp_last_error();
    }

    /** The loaded library's version, "MAJOR.MINOR.PATCH". */
    public function version(): string
    {
        return (string) $this->ffi->ilsp_version();
    }

    /**
     * $value clamped to [$lo, $hi]; infinities clamp to the nearest bound.
     *
     * @throws InvalidArgumentException for a non-finite bound, $lo > $hi, or a NaN value.
     */
    public function clamp(float $value, float $lo, float $hi): float
    {
        $out = $this->ffi->new('double');
        $this->check($this->ffi->ilsp_clamp($value, $lo, $hi, \FFI::addr($out)));
        return $out->cdata;
    }
}
