<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\Accountant;
use IlsPrivacy\Aggregator;
use IlsPrivacy\Budget;
use IlsPrivacy\ClosedHandleException;
use IlsPrivacy\ExportSchema;
use IlsPrivacy\Key;
use IlsPrivacy\KeyException;
use IlsPrivacy\Library;
use IlsPrivacy\Status;
use IlsPrivacy\Tokenizer;

/**
 * Every handle type: a call after close() throws ClosedHandleException (a
 * LogicException), closing twice is harmless, and a close reached from
 * inside a call frees the object only after the call returns. Hostile key
 * sizes and key files are typed errors, not aborts or hangs.
 */
final class HandleTest extends TestCase
{
    private const KEY = 'library-pipeline-key-0123456789!';

    public function testEveryHandleTypeThrowsAfterClose(): void
    {
        $budget = new Budget();
        $budget->setLimit('a', 1.0);
        $cases = [
            'key' => [Key::fromBytes(self::KEY), fn ($k) => $k->derive('t', 'p')],
            'tokenizer' => [new Tokenizer(self::KEY), fn ($t) => $t->tokenize('x')],
            'schema' => [new ExportSchema('{"fields": {}}'), fn ($s) => $s->apply(new Tokenizer(self::KEY), [])],
            'budget' => [$budget, fn ($b) => $b->spent('a')],
            'accountant' => [new Accountant(), fn ($a) => $a->epsilon(1e-6)],
            'aggregator' => [new Aggregator(1), fn ($a) => $a->stats()],
        ];
        foreach ($cases as $kind => [$handle, $call]) {
            $call($handle); // works while open (the schema's call may quarantine, not throw)
            $handle->close();
            $handle->close();
            $this->assertTrue($handle->isClosed(), "$kind is closed");
            $e = $this->assertThrows(ClosedHandleException::class, null, "the $kind is closed", fn () => $call($handle));
            $this->assertTrue($e instanceof \LogicException, 'a LogicException');
        }
        // A closed handle passed to another object's call throws as well.
        $this->assertThrows(ClosedHandleException::class, null, 'the budget is closed',
            fn () => (new Aggregator(1))->release($budget, 'a', 1, 1.0));
        $key = Key::generate();
        $key->close();
        $this->assertThrows(ClosedHandleException::class, null, 'the key is closed', fn () => new Tokenizer($key));
        $t = new Tokenizer(self::KEY);
        $this->assertThrows(ClosedHandleException::class, null, 'the key is closed', fn () => $t->addKey('k2', $key));
        $this->assertSame(['k1'], $t->keyIds());
    }

    /** A close reached from inside a call (a destructor, a signal handler) never frees under it. */
    public function testCloseInsideACallIsDeferred(): void
    {
        $t = new Tokenizer(self::KEY);
        $ffi = Library::load()->ffi;
        $out = $ffi->new('char[65]');
        $len = $ffi->new('size_t');
        $status = $t->native()->use(function (\FFI\CData $h) use ($t, $ffi, $out, $len): int {
            $t->close();
            // The pointer is still live: the free waits for this call.
            return $ffi->ilsp_tokenize($h, 'x', 1, $out, 65, \FFI::addr($len));
        });
        $this->assertSame(Status::Ok->value, $status);
        $this->assertSame(hash_hmac('sha256', 'x', self::KEY), \FFI::string($out, 64));
        $this->assertTrue($t->isClosed(), 'closed afterwards');
        $this->assertThrows(ClosedHandleException::class, null, 'the tokenizer is closed', fn () => $t->tokenize('x'));
    }

    /** ilsp_key_generate(2^62) once aborted the process; now it is a KeyException. */
    public function testHugeKeyLengthsAreTypedErrors(): void
    {
        foreach ([Key::MAX_LEN + 1, 1 << 62, PHP_INT_MAX, -1] as $len) {
            $this->assertThrows(KeyException::class, Status::Key, 'key must be at', fn () => Key::generate($len));
        }
        $this->assertThrows(KeyException::class, Status::Key, 'key must be at most 65536 bytes',
            fn () => Key::fromBytes(str_repeat('k', Key::MAX_LEN + 1)));
        Key::generate(Key::MAX_LEN)->close();
    }

    /** /dev/zero, a FIFO with no writer and a directory are refused at once. */
    public function testKeyFilesMustBeRegular(): void
    {
        $this->assertThrows(KeyException::class, Status::Key, 'is not a regular file (it is a character device)',
            fn () => Key::fromFile('/dev/zero'));
        $dir = sys_get_temp_dir() . '/ilsp-php-key-' . getmypid() . '-' . bin2hex(random_bytes(4));
        mkdir($dir);
        $fifo = "$dir/key.fifo";
        $this->assertTrue(posix_mkfifo($fifo, 0600), 'mkfifo');
        $start = microtime(true);
        $this->assertThrows(KeyException::class, Status::Key, 'is not a regular file (it is a FIFO)',
            fn () => Key::fromFile($fifo));
        $this->assertTrue(microtime(true) - $start < 2.0, 'the FIFO did not block');
        $this->assertThrows(KeyException::class, Status::Key, 'is not a regular file (it is a directory)',
            fn () => Key::fromFile($dir));
        unlink($fifo);
        rmdir($dir);
    }
}
