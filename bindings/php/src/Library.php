<?php
/**
 * PHP binding of the ilsprivacy C library (through PHP's FFI extension).
 *
 * Usage (Composer's autoloader, or autoload.php of this package without Composer):
 *
 *     require __DIR__ . '/vendor/autoload.php';
 *     $ils = IlsPrivacy\Library::load();
 *     echo $ils->clamp(12.5, 0.0, 10.0);   // 10
 *
 * The declarations come from ilsprivacy_ffi.h (a preprocessor-free copy of
 * the C header) and the code from libilsprivacy.so, found as locate()
 * describes; definitions preloaded into the FFI scope ILSPRIVACY (see
 * preload.php) are used first. FFI must be enabled: the CLI allows it by
 * default (ffi.enable=preload); under PHP-FPM or Apache preload the binding
 * (README) or set ffi.enable=1.
 *
 * Every C status other than Status::Ok becomes the matching exception class
 * of this package (each implements IlsPrivacy\Exception), whose getCode() is
 * the status and whose message is the library's (it names the parameter at
 * fault, never a patron ID or a value).
 */

declare(strict_types=1);

namespace IlsPrivacy;

final class Library
{
    use Mechanisms;
    use Buffers;
    use Masking;
    use Planning;

    /** The FFI scope preload.php (or ffi.preload) defines and load() uses first. */
    public const SCOPE = 'ILSPRIVACY';
    /** The shared library's file name. */
    public const LIBRARY_FILE = 'libilsprivacy.so';
    /** The FFI header's file name (scripts/install.sh puts it in PREFIX/include/ilsprivacy/). */
    public const HEADER_FILE = 'ilsprivacy_ffi.h';

    private static ?Library $instance = null;

    /** @var \FFI The loaded C library. */
    public readonly \FFI $ffi;

    /**
     * @param array{0: string, 1: string}|null $paths the [library, header] loaded, or null for the preloaded scope.
     */
    private function __construct(\FFI $ffi, private readonly ?array $paths)
    {
        $this->ffi = $ffi;
    }

    /**
     * The library, loaded once per process.
     *
     * Without arguments: the preloaded FFI scope ILSPRIVACY if there is one,
     * else the files locate() finds. With $library and/or $header: those
     * files (the first call decides; a later call naming other files throws).
     *
     * @throws \RuntimeException if the header or shared library cannot be found or loaded.
     * @throws \LogicException if the library is already loaded from other files.
     */
    public static function load(?string $library = null, ?string $header = null): Library
    {
        if (self::$instance !== null) {
            $loaded = self::$instance->paths;
            if (($library !== null && ($loaded === null || realpath($library) !== realpath($loaded[0])))
                || ($header !== null && ($loaded === null || realpath($header) !== realpath($loaded[1])))) {
                throw new \LogicException('the library is already loaded from ' . self::$instance->loadedFrom());
            }
            return self::$instance;
        }
        if ($library === null && $header === null) {
            try {
                return self::$instance = new Library(\FFI::scope(self::SCOPE), null);
            } catch (\FFI\Exception) {
                // Not preloaded (or FFI restricted): load the files below.
            }
        }
        [$lib, $hdr] = self::locate($library, $header);
        try {
            $ffi = \FFI::cdef(self::readHeader($hdr), $lib);
        } catch (\FFI\Exception $e) {
            throw new \RuntimeException(
                "cannot load $lib with the declarations of $hdr: {$e->getMessage()}"
                . ' (under PHP-FPM or Apache with ffi.enable=preload, preload the binding: see the README)',
                0,
                $e
            );
        }
        return self::$instance = new Library($ffi, [$lib, $hdr]);
    }

    /**
     * The shared library and FFI header to load, as [library, header]: the
     * first of
     *
     * 1. the paths given (a named file that does not exist is an error);
     * 2. the ILSPRIVACY_LIB and ILSPRIVACY_HEADER environment variables (each
     *    may be set alone; a named file that does not exist is an error);
     * 3. ILSPRIVACY_PREFIX, an install prefix of scripts/install.sh:
     *    PREFIX/lib/libilsprivacy.so and PREFIX/include/ilsprivacy/ilsprivacy_ffi.h;
     * 4. the source checkout this package is part of (also through a Composer
     *    path repository, which symlinks it): target/release, then target/debug,
     *    with include/ilsprivacy_ffi.h;
     * 5. the prefixes /usr/local and /usr, laid out as in 3.
     *
     * @return array{0: string, 1: string}
     * @throws \RuntimeException if nothing is found.
     */
    public static function locate(?string $library = null, ?string $header = null): array
    {
        $library = self::named($library, 'the library argument') ?? self::named(self::env('ILSPRIVACY_LIB'), 'ILSPRIVACY_LIB');
        $header = self::named($header, 'the header argument') ?? self::named(self::env('ILSPRIVACY_HEADER'), 'ILSPRIVACY_HEADER');
        $places = [];
        $prefix = self::env('ILSPRIVACY_PREFIX');
        if ($prefix !== null) {
            $places[] = self::prefixed($prefix);
        }
        $root = dirname(__DIR__, 3);
        if (is_file("$root/Cargo.toml") && is_file("$root/include/" . self::HEADER_FILE)) {
            foreach (['release', 'debug'] as $profile) {
                $places[] = ["$root/target/$profile/" . self::LIBRARY_FILE, "$root/include/" . self::HEADER_FILE];
            }
        }
        $places[] = self::prefixed('/usr/local');
        $places[] = self::prefixed('/usr');
        $tried = [];
        foreach ($places as [$lib, $hdr]) {
            $lib = $library ?? $lib;
            $hdr = $header ?? $hdr;
            if (is_file($lib) && is_file($hdr)) {
                return [$lib, $hdr];
            }
            $tried[] = "$lib with $hdr";
        }
        throw new \RuntimeException(
            'cannot find libilsprivacy.so and ilsprivacy_ffi.h: install them with scripts/install.sh --prefix PREFIX '
            . 'and set ILSPRIVACY_PREFIX, set ILSPRIVACY_LIB and ILSPRIVACY_HEADER, pass the paths to '
            . 'IlsPrivacy\Library::load(), or build a checkout with `cargo build --release`. Tried: '
            . implode('; ', array_unique($tried))
        );
    }

    /**
     * The FFI header with FFI_SCOPE "ILSPRIVACY" and FFI_LIB (the absolute
     * library path) added, for FFI::load() and the ffi.preload setting.
     * The files are found as locate() finds them.
     *
     * @throws InvalidArgumentException if the library path cannot be written as a C string.
     */
    public static function scopedHeader(?string $library = null, ?string $header = null): string
    {
        [$lib, $hdr] = self::locate($library, $header);
        $lib = realpath($lib) ?: $lib;
        if (preg_match('/["\\\\\x00-\x1f\x7f]/', $lib) === 1) {
            throw new InvalidArgumentException(
                'the library path contains a quote, backslash or control character',
                Status::InvalidArgument->value
            );
        }
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n#define FFI_LIB \"$lib\"\n" . self::readHeader($hdr);
    }

    /** Where the loaded definitions came from (the preloaded scope, or the library and header files). */
    public function loadedFrom(): string
    {
        return $this->paths === null
            ? 'the preloaded FFI scope ' . self::SCOPE
            : "{$this->paths[0]} with {$this->paths[1]}";
    }

    /** Throws the exception for $status unless it is Status::Ok. */
    public function check(int $status): void
    {
        if ($status !== Status::Ok->value) {
            throw Status::exception($status, $this->lastError());
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

    private static function env(string $name): ?string
    {
        $value = getenv($name);
        return $value === false || $value === '' ? null : $value;
    }

    /** $path unchanged, after checking that the file it names exists (null stays null). */
    private static function named(?string $path, string $what): ?string
    {
        if ($path !== null && !is_file($path)) {
            throw new \RuntimeException("$what names $path, which is not a file");
        }
        return $path;
    }

    /** @return array{0: string, 1: string} */
    private static function prefixed(string $prefix): array
    {
        $prefix = rtrim($prefix, '/');
        return ["$prefix/lib/" . self::LIBRARY_FILE, "$prefix/include/ilsprivacy/" . self::HEADER_FILE];
    }

    private static function readHeader(string $header): string
    {
        $decls = @file_get_contents($header);
        if ($decls === false) {
            throw new \RuntimeException("cannot read the FFI header $header");
        }
        return $decls;
    }
}
