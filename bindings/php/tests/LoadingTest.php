<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;
use IlsPrivacy\Status;

/**
 * Where the binding finds libilsprivacy.so and ilsprivacy_ffi.h: arguments,
 * ILSPRIVACY_LIB / ILSPRIVACY_HEADER, an install prefix (ILSPRIVACY_PREFIX,
 * laid out as scripts/install.sh does), the checkout; a named file that does
 * not exist is an error, never a fallback.
 */
final class LoadingTest extends TestCase
{
    private const PACKAGE = __DIR__ . '/..';

    /** Runs PHP code with the binding's autoloader, in a fresh process. */
    private static function php(string $code, array $env): array
    {
        $prelude = 'require ' . var_export(realpath(self::PACKAGE) . '/autoload.php', true) . ';';
        return self::runCommand([PHP_BINARY, '-r', $prelude . $code], $env);
    }

    /** A prefix as scripts/install.sh lays it out, with copies of the files in use. */
    private static function prefix(string $name = 'prefix'): string
    {
        [$lib, $header] = Library::locate();
        $prefix = self::scratchDir($name);
        mkdir("$prefix/lib");
        mkdir("$prefix/include/ilsprivacy", 0755, true);
        copy($lib, "$prefix/lib/libilsprivacy.so");
        copy($header, "$prefix/include/ilsprivacy/ilsprivacy_ffi.h");
        return $prefix;
    }

    public function testAnInstallPrefixIsFound(): void
    {
        $prefix = self::prefix();
        try {
            [$code, $out, $err] = self::php(
                'echo IlsPrivacy\Library::load()->loadedFrom(), "|", IlsPrivacy\Library::load()->clamp(3.0, 0.0, 1.0);',
                ['ILSPRIVACY_PREFIX' => $prefix, 'ILSPRIVACY_LIB' => null, 'ILSPRIVACY_HEADER' => null]
            );
            $this->assertSame(0, $code, $err);
            $this->assertSame("$prefix/lib/libilsprivacy.so with $prefix/include/ilsprivacy/ilsprivacy_ffi.h|1", $out);
            // ILSPRIVACY_LIB wins over the prefix for the library; the header still comes from the prefix.
            [$lib] = Library::locate();
            [$code, $out, $err] = self::php('echo IlsPrivacy\Library::load()->loadedFrom();',
                ['ILSPRIVACY_PREFIX' => $prefix, 'ILSPRIVACY_LIB' => $lib, 'ILSPRIVACY_HEADER' => null]);
            $this->assertSame([0, "$lib with $prefix/include/ilsprivacy/ilsprivacy_ffi.h"], [$code, $out], $err);
        } finally {
            self::removeTree($prefix);
        }
    }

    public function testNamedFilesMustExist(): void
    {
        $missing = sys_get_temp_dir() . '/ilsp-no-such-file-' . bin2hex(random_bytes(4)) . '.so';
        foreach (['ILSPRIVACY_LIB', 'ILSPRIVACY_HEADER'] as $variable) {
            [$code, , $err] = self::php('IlsPrivacy\Library::load();', [$variable => $missing]);
            $this->assertNotSame(0, $code);
            $this->assertStringContainsString("$variable names $missing, which is not a file", $err);
        }
        $this->assertThrows(\RuntimeException::class, null, "the library argument names $missing, which is not a file",
            fn () => Library::locate($missing));
        // Outside a checkout, with an empty prefix: the message lists what was tried.
        $empty = self::scratchDir('empty-prefix');
        $copy = self::scratchDir('package');
        try {
            mkdir("$copy/src");
            foreach (glob(self::PACKAGE . '/src/*.php') as $file) {
                copy($file, "$copy/src/" . basename($file));
            }
            copy(self::PACKAGE . '/autoload.php', "$copy/autoload.php");
            [$code, , $err] = self::runCommand(
                [PHP_BINARY, '-r', 'require ' . var_export("$copy/autoload.php", true) . '; IlsPrivacy\Library::load();'],
                ['ILSPRIVACY_PREFIX' => $empty, 'ILSPRIVACY_LIB' => null, 'ILSPRIVACY_HEADER' => null]
            );
            $this->assertNotSame(0, $code);
            $this->assertStringContainsString('cannot find libilsprivacy.so and ilsprivacy_ffi.h', $err);
            $this->assertStringContainsString("Tried: $empty/lib/libilsprivacy.so with $empty/include/ilsprivacy/ilsprivacy_ffi.h; "
                . '/usr/local/lib/libilsprivacy.so with /usr/local/include/ilsprivacy/ilsprivacy_ffi.h', $err);
        } finally {
            self::removeTree($empty);
            self::removeTree($copy);
        }
    }

    public function testTheFirstLoadDecides(): void
    {
        $ils = Library::load();
        [$lib, $header] = Library::locate();
        $this->assertSame($ils, Library::load($lib, $header), 'the same files: the same instance');
        $other = self::prefix('other');
        try {
            $this->assertThrows(\LogicException::class, null, 'the library is already loaded from',
                fn () => Library::load("$other/lib/libilsprivacy.so"));
        } finally {
            self::removeTree($other);
        }
    }

    public function testScopedHeaderForPreloading(): void
    {
        [$lib, $header] = Library::locate();
        $text = Library::scopedHeader();
        $this->assertSame(
            "#define FFI_SCOPE \"ILSPRIVACY\"\n#define FFI_LIB \"" . realpath($lib) . "\"\n" . file_get_contents($header),
            $text
        );
        [$code, $out, $err] = self::runCommand([PHP_BINARY, realpath(self::PACKAGE) . '/bin/ilsprivacy-ffi-header', '--lib', $lib]);
        $this->assertSame([0, $text], [$code, $out], $err);
        [$code, , $err] = self::runCommand([PHP_BINARY, realpath(self::PACKAGE) . '/bin/ilsprivacy-ffi-header', '--nope']);
        $this->assertSame(2, $code);
        $this->assertStringContainsString('usage: ilsprivacy-ffi-header', $err);
        // A path C cannot hold in a string literal is refused, not written broken.
        $dir = self::scratchDir('quote"dir');
        try {
            copy($lib, "$dir/libilsprivacy.so");
            $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument, 'contains a quote',
                fn () => Library::scopedHeader("$dir/libilsprivacy.so", $header));
        } finally {
            self::removeTree($dir);
        }
    }
}
