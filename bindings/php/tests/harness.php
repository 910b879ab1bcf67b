<?php
/**
 * A minimal test harness (no Composer needed): run.php loads every
 * tests/*Test.php file and calls each public method named test* of each class
 * extending TestCase. Exits non-zero on any failure or if nothing ran.
 */

declare(strict_types=1);

namespace IlsPrivacy\Tests;

final class AssertionFailed extends \Exception {}

abstract class TestCase
{
    protected function assertSame(mixed $expected, mixed $actual, string $what = ''): void
    {
        if ($expected !== $actual) {
            throw new AssertionFailed(sprintf(
                '%sexpected %s, got %s',
                $what === '' ? '' : "$what: ",
                var_export($expected, true),
                var_export($actual, true)
            ));
        }
    }

    protected function assertTrue(bool $cond, string $what): void
    {
        if (!$cond) {
            throw new AssertionFailed("expected true: $what");
        }
    }

    /**
     * Runs $fn and checks it throws $class with status $code and a message containing $needle.
     */
    protected function assertThrows(string $class, int $code, string $needle, callable $fn): \Throwable
    {
        try {
            $fn();
        } catch (\Throwable $e) {
            if (!($e instanceof $class)) {
                throw new AssertionFailed("expected $class, got " . get_class($e) . ': ' . $e->getMessage());
            }
            $this->assertSame($code, $e->getCode(), 'status code');
            if (!str_contains($e->getMessage(), $needle)) {
                throw new AssertionFailed("message \"{$e->getMessage()}\" lacks \"$needle\"");
            }
            return $e;
        }
        throw new AssertionFailed("expected $class, nothing was thrown");
    }
}
