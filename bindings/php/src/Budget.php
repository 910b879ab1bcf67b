<?php
/**
 * The privacy budget: named accounts with exact limits, spends recorded
 * before anything is released, and an optional tamper-evident ledger file
 * shared safely by processes (PHP-FPM workers, cron jobs) on one machine.
 *
 *     $budget = new IlsPrivacy\Budget('/var/lib/ils/privacy.ledger'); // null: in memory
 *     $budget->setLimit('branch-7/loans', 0.3);
 *     $budget->spend('branch-7/loans', 0.1);
 *     $budget->spend('branch-7/loans', 0.2);   // exactly 0.3: admitted
 *     $budget->close();
 *
 * A spend that does not fit throws BudgetExhaustedException and records
 * nothing; every other failure throws the matching IlsPrivacy\Exception.
 */

declare(strict_types=1);

namespace IlsPrivacy;

final class Budget
{
    private Library $lib;
    private NativeHandle $native;

    /**
     * Opens a budget: in memory when $ledgerPath is null, else the ledger file
     * (created if absent; its directory must exist), read and checked entry by
     * entry. $lockTimeoutMs bounds the wait for another process's lock
     * (default 10 s).
     *
     * @throws LedgerIoException if the file cannot be created, opened, locked, read or written.
     * @throws LedgerIntegrityException if an entry fails the hash, sequence or content checks.
     */
    public function __construct(?string $ledgerPath = null, ?int $lockTimeoutMs = null)
    {
        $this->lib = Library::load();
        $handle = $this->lib->ffi->new('ilsp_budget*');
        if ($ledgerPath !== null) {
            self::noNul($ledgerPath, 'ledger_path');
        }
        if ($lockTimeoutMs === null) {
            $status = $this->lib->ffi->ilsp_budget_open($ledgerPath, \FFI::addr($handle));
        } else {
            if ($lockTimeoutMs < 0 || $lockTimeoutMs > 0xFFFFFFFF) {
                throw new InvalidArgumentException('lock_timeout_ms must be in [0, 2^32)', Status::InvalidArgument->value);
            }
            $status = $this->lib->ffi->ilsp_budget_open_with_timeout($ledgerPath, $lockTimeoutMs, \FFI::addr($handle));
        }
        $this->lib->check($status);
        $ffi = $this->lib->ffi;
        $this->native = new NativeHandle($handle, static fn (\FFI\CData $p) => $ffi->ilsp_budget_free($p), 'budget');
    }

    /** Frees the handle (closing the ledger file); idempotent. Later calls throw ClosedHandleException. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** @internal The guarded handle (for other classes of this binding, e.g. Aggregator::release). */
    public function native(): NativeHandle
    {
        return $this->native;
    }

    /** C strings end at NUL: refuse names that would be silently cut. */
    private static function noNul(string $text, string $param): string
    {
        if (str_contains($text, "\0")) {
            throw new InvalidArgumentException("$param must not contain NUL characters", Status::InvalidArgument->value);
        }
        return $text;
    }

    /**
     * Sets $account's (epsilon, delta) limit, creating the account. On an
     * existing account an adjustment with $reason is appended to the ledger
     * (history is never rewritten). Never put patron data in $reason.
     */
    public function setLimit(string $account, float $epsilon, float $delta = 0.0, ?string $reason = null): void
    {
        $account = self::noNul($account, 'account');
        if ($reason === null) {
            $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_limit($h, $account, $epsilon, $delta)));
        } else {
            $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_limit_with_reason($h, $account, $epsilon, $delta, self::noNul($reason, 'reason'))));
        }
    }

    /** Sets a zCDP account's rho limit. */
    public function setLimitRho(string $account, float $rho, ?string $reason = null): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_limit_rho($h, self::noNul($account, 'account'), $rho,
            $reason === null ? null : self::noNul($reason, 'reason'))));
    }

    /** Composition::Basic (the default) or Composition::Zcdp; only before the account's first spend. */
    public function setComposition(string $account, Composition $rule): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_composition($h, self::noNul($account, 'account'), $rule->value)));
    }

    /** Period::Lifetime (the default), Period::CalendarYear or Period::CalendarMonth (UTC); a period bounds the loss per period, not in total. */
    public function setPeriod(string $account, Period $period): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_period($h, self::noNul($account, 'account'), $period->value)));
    }

    /** Fraction of the limit, in (0, 1], at which a spend records an alert (default 0.8). */
    public function setAlertThreshold(string $account, float $threshold): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_alert_threshold($h, self::noNul($account, 'account'), $threshold)));
    }

    /**
     * Records a spend of (epsilon, delta) on a basic account and returns its
     * sequence number. Release the value it pays for only after this returns.
     *
     * @throws BudgetExhaustedException if it does not fit (nothing recorded).
     */
    public function spend(string $account, float $epsilon, float $delta = 0.0): int
    {
        $seq = $this->lib->ffi->new('uint64_t');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_spend($h, self::noNul($account, 'account'), $epsilon, $delta, \FFI::addr($seq))));
        return $seq->cdata;
    }

    /** Records a spend of rho on a zCDP account and returns its sequence number. */
    public function spendRho(string $account, float $rho): int
    {
        $seq = $this->lib->ffi->new('uint64_t');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_spend_rho($h, self::noNul($account, 'account'), $rho, \FFI::addr($seq))));
        return $seq->cdata;
    }

    /**
     * Spends epsilon on $account, then returns $value plus Laplace noise. The
     * parameters are checked first (bad parameters cost nothing), the value is
     * mapped into the mechanism's domain (NaN becomes 0, infinities and huge
     * magnitudes are clamped: a value is never refused, so no error depends on
     * the data), the spend is recorded (durably with a ledger), and only then
     * is noise drawn.
     *
     * @throws BudgetExhaustedException if the spend does not fit (nothing released).
     * @throws InvalidArgumentException for a bad parameter (nothing spent).
     */
    public function laplace(string $account, float $value, float $sensitivity, float $epsilon): float
    {
        $out = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_laplace($h, self::noNul($account, 'account'), $value, $sensitivity, $epsilon, \FFI::addr($out))));
        return $out->cdata;
    }

    /**
     * Spends (epsilon, delta) — or the mechanism's rho on a zCDP account — then
     * returns $value plus Gaussian noise (analytic calibration).
     */
    public function gaussian(string $account, float $value, float $l2Sensitivity, float $epsilon, float $delta): float
    {
        $out = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_gaussian($h, self::noNul($account, 'account'), $value, $l2Sensitivity, $epsilon, $delta, \FFI::addr($out))));
        return $out->cdata;
    }

    /** @return array{0: float, 1: float} (epsilon, delta) spent; for zCDP accounts epsilon at the limit's delta. */
    public function spent(string $account): array
    {
        $eps = $this->lib->ffi->new('double');
        $delta = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_spent($h, self::noNul($account, 'account'), \FFI::addr($eps), \FFI::addr($delta))));
        return [$eps->cdata, $delta->cdata];
    }

    /** The rho a zCDP account has spent. */
    public function spentRho(string $account): float
    {
        $rho = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_spent_rho($h, self::noNul($account, 'account'), \FFI::addr($rho))));
        return $rho->cdata;
    }

    /** @return array{0: float, 1: float, 2: float} (epsilon, delta, rho) left, rounded down. */
    public function remaining(string $account): array
    {
        $eps = $this->lib->ffi->new('double');
        $delta = $this->lib->ffi->new('double');
        $rho = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_remaining($h, self::noNul($account, 'account'), \FFI::addr($eps), \FFI::addr($delta), \FFI::addr($rho))));
        return [$eps->cdata, $delta->cdata, $rho->cdata];
    }

    /** @return array{0: bool, 1: float} (at or past the alert threshold, fraction of the limit used). */
    public function alertStatus(string $account): array
    {
        $alerted = $this->lib->ffi->new('int32_t');
        $used = $this->lib->ffi->new('double');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_alert_status($h, self::noNul($account, 'account'), \FFI::addr($alerted), \FFI::addr($used))));
        return [$alerted->cdata === 1, $used->cdata];
    }

    /** The ledger's JSON lines, re-read and checked from the first entry. */
    public function exportLedger(): string
    {
        return $this->native->use(fn (\FFI\CData $h) => self::readText(
            $this->lib,
            fn ($buf, $cap, $len) => $this->lib->ffi->ilsp_budget_ledger_export($h, $buf, $cap, $len)
        ));
    }

    /** @return list<array<string, mixed>> The handle's recent events (at most 256), oldest first. */
    public function recentEvents(): array
    {
        $text = $this->native->use(fn (\FFI\CData $h) => self::readText(
            $this->lib,
            fn ($buf, $cap, $len) => $this->lib->ffi->ilsp_budget_recent_events($h, $buf, $cap, $len)
        ));
        $events = [];
        foreach (explode("\n", rtrim($text, "\n")) as $line) {
            if ($line !== '') {
                $events[] = json_decode($line, true, 16, JSON_THROW_ON_ERROR);
            }
        }
        return $events;
    }

    /**
     * Checks a ledger file without changing it.
     *
     * @return array{0: int, 1: string} (number of entries, head hash in hex).
     */
    public static function verifyLedger(string $ledgerPath): array
    {
        $lib = Library::load();
        $path = self::noNul($ledgerPath, 'ledger_path');
        $entries = $lib->ffi->new('uint64_t');
        $head = self::readText($lib, fn ($buf, $cap, $len) => $lib->ffi->ilsp_budget_ledger_verify($path, \FFI::addr($entries), $buf, $cap, $len));
        return [$entries->cdata, $head];
    }

    /**
     * Checks a ledger file without changing it, like verifyLedger(), and also
     * reports its accounts and an unfinished write (a crash cut it; the next
     * open repairs and charges it).
     *
     * @return array{entries: int, head: string, accounts: int, torn_tail_bytes: int}
     */
    public static function checkLedger(string $ledgerPath): array
    {
        $lib = Library::load();
        $path = self::noNul($ledgerPath, 'ledger_path');
        $entries = $lib->ffi->new('uint64_t');
        $accounts = $lib->ffi->new('uint64_t');
        $torn = $lib->ffi->new('uint64_t');
        $head = self::readText($lib, fn ($buf, $cap, $len) => $lib->ffi->ilsp_budget_ledger_check(
            $path,
            \FFI::addr($entries),
            \FFI::addr($accounts),
            \FFI::addr($torn),
            $buf,
            $cap,
            $len
        ));
        return [
            'entries' => $entries->cdata,
            'head' => $head,
            'accounts' => $accounts->cdata,
            'torn_tail_bytes' => $torn->cdata,
        ];
    }

    /** Calls a text-returning C function with a buffer large enough for its result. */
    private static function readText(Library $lib, callable $call): string
    {
        $len = $lib->ffi->new('size_t');
        $cap = 0;
        $buf = null;
        while (true) {
            $status = $call($buf, $cap, \FFI::addr($len));
            if ($status === Status::BufferTooSmall->value) {
                $cap = $len->cdata; // the capacity needed, NUL included
                $buf = $lib->ffi->new("char[$cap]");
                continue;
            }
            $lib->check($status);
            return $buf === null ? '' : \FFI::string($buf, $len->cdata);
        }
    }
}
