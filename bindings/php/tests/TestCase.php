<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Exception;
use IlsPrivacy\Status;

/** The binding's PHPUnit tests share this base: assertThrows() checks class, status and message at once. */
abstract class TestCase extends \PHPUnit\Framework\TestCase
{
    /**
     * Runs $fn and checks that it throws $class, with status $status (null:
     * no C status, getCode() 0) when it is one of the binding's exceptions,
     * and a message containing $needle. Returns what was thrown.
     *
     * @param class-string<\Throwable> $class
     */
    protected function assertThrows(string $class, ?Status $status, string $needle, callable $fn): \Throwable
    {
        try {
            $fn();
        } catch (\Throwable $e) {
            $this->assertInstanceOf($class, $e, 'thrown: ' . get_class($e) . ': ' . $e->getMessage());
            $this->assertSame($status?->value ?? 0, $e->getCode(), 'status code');
            if ($e instanceof Exception) {
                $this->assertSame($status, $e->getStatus(), 'getStatus()');
            }
            $this->assertStringContainsString($needle, $e->getMessage());
            return $e;
        }
        $this->fail("expected $class, nothing was thrown");
    }

    /**
     * Runs $command (no shell) with the environment changed by $env (a null
     * value removes a variable) and returns [exit code, stdout, stderr].
     *
     * @param list<string> $command
     * @param array<string, ?string> $env
     * @return array{0: int, 1: string, 2: string}
     */
    protected static function runCommand(array $command, array $env = [], ?string $cwd = null): array
    {
        $environment = getenv();
        foreach ($env as $name => $value) {
            if ($value === null) {
                unset($environment[$name]);
            } else {
                $environment[$name] = $value;
            }
        }
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, $cwd, $environment);
        if ($process === false) {
            throw new \RuntimeException('cannot start ' . $command[0]);
        }
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($process), (string) $stdout, (string) $stderr];
    }

    /** A fresh directory under the system's temporary directory, readable by everyone. */
    protected static function scratchDir(string $what): string
    {
        $dir = sys_get_temp_dir() . "/ilsp-php-$what-" . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($dir, 0755);
        chmod($dir, 0755);
        return $dir;
    }

    /** Removes a directory made by scratchDir() and everything in it. */
    protected static function removeTree(string $dir): void
    {
        if (!is_dir($dir) || is_link($dir)) {
            @unlink($dir);
            return;
        }
        foreach (scandir($dir) as $entry) {
            if ($entry !== '.' && $entry !== '..') {
                self::removeTree("$dir/$entry");
            }
        }
        rmdir($dir);
    }
}
