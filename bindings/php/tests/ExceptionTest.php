<?php
declare(strict_types=1);

namespace IlsPrivacy\Tests;

use IlsPrivacy\AccountSuspendedException;
use IlsPrivacy\BudgetExhaustedException;
use IlsPrivacy\BufferTooSmallException;
use IlsPrivacy\ClosedHandleException;
use IlsPrivacy\EncodingException;
use IlsPrivacy\EntropyException;
use IlsPrivacy\Exception;
use IlsPrivacy\InternalException;
use IlsPrivacy\InvalidArgumentException;
use IlsPrivacy\KeyException;
use IlsPrivacy\LedgerIntegrityException;
use IlsPrivacy\LedgerIoException;
use IlsPrivacy\Library;
use IlsPrivacy\NullPointerException;
use IlsPrivacy\Status;
use IlsPrivacy\TemplateMismatchException;
use IlsPrivacy\UnknownStatusException;

/** Every C status becomes one class, which extends the SPL exception that fits it and implements IlsPrivacy\Exception. */
final class ExceptionTest extends TestCase
{
    private const CLASSES = [
        [Status::NullPointer, NullPointerException::class, \LogicException::class],
        [Status::InvalidArgument, InvalidArgumentException::class, \InvalidArgumentException::class],
        [Status::BudgetExhausted, BudgetExhaustedException::class, \OverflowException::class],
        [Status::BufferTooSmall, BufferTooSmallException::class, \LengthException::class],
        [Status::Encoding, EncodingException::class, \InvalidArgumentException::class],
        [Status::Key, KeyException::class, \RuntimeException::class],
        [Status::Io, LedgerIoException::class, \RuntimeException::class],
        [Status::LedgerIntegrity, LedgerIntegrityException::class, \UnexpectedValueException::class],
        [Status::Entropy, EntropyException::class, \RuntimeException::class],
        [Status::Internal, InternalException::class, \LogicException::class],
        [Status::TemplateMismatch, TemplateMismatchException::class, \DomainException::class],
        [Status::AccountSuspended, AccountSuspendedException::class, \RuntimeException::class],
    ];

    public function testEveryStatusHasItsClass(): void
    {
        $this->assertSame(count(Status::cases()) - 1, count(self::CLASSES), 'one class per status but Ok');
        foreach (self::CLASSES as [$status, $class, $spl]) {
            $e = Status::exception($status->value, 'the message');
            $this->assertInstanceOf($class, $e);
            $this->assertInstanceOf($spl, $e);
            $this->assertInstanceOf(Exception::class, $e);
            $this->assertSame($status->value, $e->getCode());
            $this->assertSame($status, $e->getStatus());
            $this->assertSame('the message', $e->getMessage());
            // Raised by the binding itself, the code defaults to the class's status.
            $own = new $class('raised by PHP');
            $this->assertSame([$status->value, $status], [$own->getCode(), $own->getStatus()]);
        }
        $unknown = Status::exception(99, 'newer library');
        $this->assertInstanceOf(UnknownStatusException::class, $unknown);
        $this->assertInstanceOf(\RuntimeException::class, $unknown);
        $this->assertSame([99, null, 'unknown status 99: newer library'],
            [$unknown->getCode(), $unknown->getStatus(), $unknown->getMessage()]);
        $closed = new ClosedHandleException('the key is closed');
        $this->assertInstanceOf(\LogicException::class, $closed);
        $this->assertSame([0, null], [$closed->getCode(), $closed->getStatus()]);
    }

    public function testOneCatchForEverything(): void
    {
        $ils = Library::load();
        $caught = [];
        foreach ([fn () => $ils->clamp(1.0, 5.0, 2.0), fn () => (new \IlsPrivacy\Budget())->spend('nobody', 0.1)] as $fn) {
            try {
                $fn();
            } catch (Exception $e) {
                $caught[] = $e->getStatus();
            }
        }
        $this->assertSame([Status::InvalidArgument, Status::BudgetExhausted], $caught);
        // SPL catches work too: a budget refusal is an \OverflowException (a \RuntimeException).
        $this->assertThrows(\RuntimeException::class, Status::BudgetExhausted, 'no such account',
            fn () => (new \IlsPrivacy\Budget())->spend('nobody', 0.1));
        $this->assertThrows(\InvalidArgumentException::class, Status::InvalidArgument, 'lo must be <= hi',
            fn () => $ils->clamp(1.0, 5.0, 2.0));
    }
}
