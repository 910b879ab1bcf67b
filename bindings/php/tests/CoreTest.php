<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\Library;
use IlsPrivacy\Status;

final class CoreTest extends TestCase
{
    public function testVersionIsSemver(): void
    {
        $this->assertTrue(preg_match('/^\d+\.\d+\.\d+$/', Library::load()->version()) === 1, 'semver');
    }

    public function testClamp(): void
    {
        $ils = Library::load();
        $this->assertSame(10.0, $ils->clamp(12.5, 0.0, 10.0));
        $this->assertSame(0.0, $ils->clamp(-INF, 0.0, 10.0));
        $this->assertSame(0.25, $ils->clamp(0.25, 0.0, 1.0));
    }

    public function testClampErrors(): void
    {
        $ils = Library::load();
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'value must not be NaN', fn () => $ils->clamp(NAN, 0.0, 1.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'lo must be <= hi, got lo = 5 > hi = 2', fn () => $ils->clamp(1.0, 5.0, 2.0));
        $this->assertThrows(InvalidArgumentException::class, Status::InvalidArgument,
            'hi must be finite, got inf', fn () => $ils->clamp(1.0, 0.0, INF));
        $ils->clamp(0.5, 0.0, 1.0);
        $this->assertSame('', $ils->lastError(), 'a success clears the message');
    }

    public function testNullOutPointerIsReported(): void
    {
        $ils = Library::load();
        $this->assertSame(Status::NullPointer->value, $ils->ffi->ilsp_clamp(1.0, 0.0, 2.0, null));
        $this->assertSame('out must not be NULL', $ils->lastError());
    }
}
