<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Library;

/**
 * preload.php as PHP-FPM would use it, in the two configurations the README
 * gives: FFI::load() inside the preload script (a master running as an
 * ordinary user), and ffi.preload with the header of bin/ilsprivacy-ffi-header
 * (a root master, which needs opcache.preload_user). Each runs in the CLI
 * (opcache.enable_cli=1) and, when php-cgi is installed, in php-cgi, a
 * non-CLI SAPI where ffi.enable=preload really restricts FFI to preloaded
 * code as under PHP-FPM: the binding works while the script itself may not
 * use FFI. The package is staged, with an install prefix, in a directory
 * any user can read (the first configuration runs as `nobody` when the
 * tests run as root, as preloading as root is refused).
 */
final class PreloadTest extends TestCase
{
    private static ?string $stage = null;

    public static function tearDownAfterClass(): void
    {
        if (self::$stage !== null) {
            self::removeTree(self::$stage);
            self::$stage = null;
        }
    }

    private static function stage(): string
    {
        if (self::$stage !== null) {
            return self::$stage;
        }
        $package = dirname(__DIR__);
        $dir = self::scratchDir('preload');
        foreach (['src', 'bin', 'prefix', 'prefix/lib', 'prefix/include', 'prefix/include/ilsprivacy'] as $sub) {
            mkdir("$dir/$sub", 0755);
            chmod("$dir/$sub", 0755);
        }
        foreach (glob("$package/src/*.php") as $file) {
            copy($file, "$dir/src/" . basename($file));
        }
        foreach (['autoload.php', 'preload.php', 'bin/ilsprivacy-ffi-header', 'tests/preload/check.php'] as $file) {
            copy("$package/$file", "$dir/" . (str_starts_with($file, 'tests/') ? basename($file) : $file));
        }
        [$lib, $header] = Library::locate();
        copy($lib, "$dir/prefix/lib/libilsprivacy.so");
        copy($header, "$dir/prefix/include/ilsprivacy/ilsprivacy_ffi.h");
        foreach (new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($dir, \FilesystemIterator::SKIP_DOTS)) as $file) {
            chmod((string) $file, 0644);
        }
        return self::$stage = $dir;
    }

    private static function requireOpcache(): void
    {
        if (!extension_loaded('Zend OPcache')) {
            self::markTestSkipped('php-opcache is not installed: preloading cannot be tried');
        }
    }

    /** [php-cgi path or null] */
    private static function cgi(): ?string
    {
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            if (is_executable("$dir/php-cgi")) {
                return "$dir/php-cgi";
            }
        }
        return null;
    }

    /**
     * Runs check.php under $sapi ('cli' or 'cgi') with $ini settings and
     * returns its JSON report.
     *
     * @param array<string, string> $ini
     * @return array<string, mixed>
     */
    private function check(string $sapi, array $ini, bool $unprivileged): array
    {
        $stage = self::stage();
        $binary = $sapi === 'cli' ? PHP_BINARY : self::cgi();
        $command = [$binary];
        if ($sapi === 'cgi') {
            $command[] = '-q';
        }
        foreach ($ini + ['ffi.enable' => 'preload', 'opcache.enable' => '1', 'opcache.enable_cli' => '1'] as $name => $value) {
            array_push($command, '-d', "$name=$value");
        }
        $command[] = "$stage/check.php";
        if ($unprivileged && function_exists('posix_geteuid') && posix_geteuid() === 0) {
            $command = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...$command];
        }
        $env = ['ILSPRIVACY_PREFIX' => "$stage/prefix", 'ILSPRIVACY_LIB' => null, 'ILSPRIVACY_HEADER' => null];
        [$code, $out, $err] = self::runCommand($command, $env, $stage);
        $this->assertSame(0, $code, "exit code; stderr: $err; stdout: $out");
        $report = json_decode(trim($out), true);
        $this->assertIsArray($report, "not a report: $out $err");
        return $report;
    }

    /** @param array<string, mixed> $report */
    private function assertWorks(array $report, string $directFfi): void
    {
        $this->assertSame([
            'preloaded' => true,
            'source' => 'the preloaded FFI scope ILSPRIVACY',
            'clamp' => 10.0,
            'token' => true,
            'direct_ffi' => $directFfi,
        ], $report);
    }

    /** The header for ffi.preload, written by the package's script. */
    private function scopedHeader(): string
    {
        $stage = self::stage();
        $path = "$stage/ilsprivacy-scope.h";
        if (!is_file($path)) {
            [$code, $out, $err] = self::runCommand([PHP_BINARY, "$stage/bin/ilsprivacy-ffi-header"],
                ['ILSPRIVACY_PREFIX' => "$stage/prefix", 'ILSPRIVACY_LIB' => null, 'ILSPRIVACY_HEADER' => null]);
            $this->assertSame(0, $code, $err);
            $this->assertStringContainsString("#define FFI_LIB \"$stage/prefix/lib/libilsprivacy.so\"", $out);
            file_put_contents($path, $out);
            chmod($path, 0644);
        }
        return $path;
    }

    public function testCliPreloadWithFfiLoad(): void
    {
        self::requireOpcache();
        $this->assertWorks($this->check('cli', ['opcache.preload' => self::stage() . '/preload.php'], true), 'allowed');
    }

    public function testCliPreloadWithFfiPreloadAndAPreloadUser(): void
    {
        self::requireOpcache();
        $user = function_exists('posix_getpwuid') ? posix_getpwuid(posix_geteuid())['name'] : 'root';
        $this->assertWorks($this->check('cli', [
            'ffi.preload' => $this->scopedHeader(),
            'opcache.preload' => self::stage() . '/preload.php',
            'opcache.preload_user' => $user,
        ], false), 'allowed');
    }

    public function testFfiLoadUnderAPreloadUserIsExplained(): void
    {
        self::requireOpcache();
        if (!function_exists('posix_geteuid') || posix_geteuid() !== 0) {
            $this->markTestSkipped('only a root master uses opcache.preload_user');
        }
        $stage = self::stage();
        [$code, $out, $err] = self::runCommand([PHP_BINARY, '-d', 'opcache.enable_cli=1', '-d', "opcache.preload=$stage/preload.php",
            '-d', 'opcache.preload_user=root', "$stage/check.php"],
            ['ILSPRIVACY_PREFIX' => "$stage/prefix", 'ILSPRIVACY_LIB' => null, 'ILSPRIVACY_HEADER' => null]);
        $this->assertNotSame(0, $code);
        $this->assertStringContainsString('write the header with bin/ilsprivacy-ffi-header and set ffi.preload to it', $out . $err);
    }

    public function testCgiRestrictsFfiToThePreloadedBinding(): void
    {
        self::requireOpcache();
        if (self::cgi() === null) {
            $this->markTestSkipped('php-cgi is not installed (Debian: php-cgi): the non-CLI restriction cannot be tried');
        }
        $preload = self::stage() . '/preload.php';
        $this->assertWorks($this->check('cgi', ['opcache.preload' => $preload], true), 'refused');
        $user = function_exists('posix_getpwuid') ? posix_getpwuid(posix_geteuid())['name'] : 'root';
        $this->assertWorks($this->check('cgi', [
            'ffi.preload' => $this->scopedHeader(),
            'opcache.preload' => $preload,
            'opcache.preload_user' => $user,
        ], false), 'refused');
        // Without preloading, ffi.enable=preload keeps the binding out, with a message that says why.
        $report = $this->check('cgi', [], false);
        $this->assertFalse($report['preloaded']);
        $this->assertStringContainsString('preload the binding', $report['error']);
        $this->assertSame('refused', $report['direct_ffi']);
    }
}
