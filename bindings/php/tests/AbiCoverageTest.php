<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Library;

/** The binding covers the whole C ABI and agrees with the header's constants. */
final class AbiCoverageTest extends TestCase
{
    private function header(): string
    {
        return file_get_contents(dirname(__DIR__, 3) . '/include/ilsprivacy_ffi.h');
    }

    public function testStatusConstantsMatchTheHeader(): void
    {
        preg_match_all('/^#define ILSP_(OK|ERR_\w+) (\d+)$/m', $this->header(), $m, PREG_SET_ORDER);
        $this->assertSame(11, count($m), 'status constants in the header');
        foreach ($m as [, $name, $value]) {
            $this->assertSame((int) $value, constant(Library::class . '::' . $name), $name);
        }
    }

    public function testEveryFunctionIsWrapped(): void
    {
        preg_match_all('/\b(ilsp_\w+)\(/', $this->header(), $m);
        $sources = '';
        foreach (glob(dirname(__DIR__) . '/src/*.php') as $file) {
            $sources .= file_get_contents($file);
        }
        foreach (array_unique($m[1]) as $fn) {
            $this->assertTrue(str_contains($sources, "->$fn("), "$fn is called by the PHP binding");
        }
    }
}
