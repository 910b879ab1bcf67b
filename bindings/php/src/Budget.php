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
     * $correlationId (1-64 characters of A-Z a-z 0-9 . _ : -) is recorded in
     * the spend's ledger entry and events so your own audit log can be joined
     * with the ledger: a request or job ID, never a patron identifier or other
     * personal data.
     *
     * @throws BudgetExhaustedException if it does not fit (nothing recorded).
     * @throws TemplateMismatchException if the account accepts only templated
     *         spends and this one matches none (nothing recorded).
     * @throws AccountSuspendedException if the account is suspended (nothing recorded).
     */
    public function spend(string $account, float $epsilon, float $delta = 0.0, ?string $correlationId = null): int
    {
        $seq = $this->lib->ffi->new('uint64_t');
        if ($correlationId === null) {
            $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_spend($h, self::noNul($account, 'account'), $epsilon, $delta, \FFI::addr($seq))));
        } else {
            $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_spend_correlated(
                $h,
                self::noNul($account, 'account'),
                $epsilon,
                $delta,
                self::noNul($correlationId, 'correlation_id'),
                \FFI::addr($seq)
            )));
        }
        return $seq->cdata;
    }

    /** The longest template description the library reads, in bytes. */
    public const MAX_TEMPLATE_JSON_BYTES = 4096;

    /**
     * Adds (or replaces) a pre-approved query template on $account. $mechanism
     * ('laplace', 'gaussian', ...) must be carried by the spend (laplace() and
     * gaussian() do, spend() does not); $maxSensitivity bounds the sensitivity
     * the mechanism charges (its grid rounding included: allow e.g. 1.001 for
     * 1); the ranges are inclusive [min, max] pairs, at least one required.
     * Templates restrict spends once setTemplatesOnly() is on.
     *
     * @param array{0: float, 1: float}|null $epsilon
     * @param array{0: float, 1: float}|null $delta
     * @param array{0: float, 1: float}|null $rho
     */
    public function setTemplate(
        string $account,
        string $name,
        ?string $mechanism = null,
        ?float $maxSensitivity = null,
        ?array $epsilon = null,
        ?array $delta = null,
        ?array $rho = null,
        ?string $reason = null,
    ): void {
        $spec = ['name' => $name];
        if ($mechanism !== null) {
            $spec['mechanism'] = $mechanism;
        }
        if ($maxSensitivity !== null) {
            $spec['max_sensitivity'] = $maxSensitivity;
        }
        foreach (['epsilon' => $epsilon, 'delta' => $delta, 'rho' => $rho] as $key => $range) {
            if ($range !== null) {
                if (count($range) !== 2) {
                    throw new InvalidArgumentException("$key must be a [min, max] pair", Status::InvalidArgument->value);
                }
                $spec[$key] = [(float) $range[0], (float) $range[1]];
            }
        }
        try {
            $json = json_encode($spec, JSON_THROW_ON_ERROR | JSON_PRESERVE_ZERO_FRACTION);
        } catch (\JsonException $e) {
            throw new InvalidArgumentException('template bounds must be finite numbers', Status::InvalidArgument->value);
        }
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_template(
            $h,
            self::noNul($account, 'account'),
            self::noNul($json, 'template'),
            $reason === null ? null : self::noNul($reason, 'reason')
        )));
    }

    /** Removes $account's template named $name. */
    public function removeTemplate(string $account, string $name, ?string $reason = null): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_remove_template(
            $h,
            self::noNul($account, 'account'),
            self::noNul($name, 'name'),
            $reason === null ? null : self::noNul($reason, 'reason')
        )));
    }

    /** When $enabled, a spend that matches none of $account's templates throws TemplateMismatchException (nothing recorded). */
    public function setTemplatesOnly(string $account, bool $enabled, ?string $reason = null): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_templates_only(
            $h,
            self::noNul($account, 'account'),
            $enabled ? 1 : 0,
            $reason === null ? null : self::noNul($reason, 'reason')
        )));
    }

    /** Suspends $account: every spend throws AccountSuspendedException (nothing recorded or released) until resume(). */
    public function suspend(string $account, string $reason): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_suspend($h, self::noNul($account, 'account'), self::noNul($reason, 'reason'))));
    }

    /** Resumes a suspended $account. */
    public function resume(string $account, string $reason): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_resume($h, self::noNul($account, 'account'), self::noNul($reason, 'reason'))));
    }

    /** @return array{suspended: bool, templates_only: bool, burn_alerted: bool, burn_alerts: int} */
    public function governanceStatus(string $account): array
    {
        $suspended = $this->lib->ffi->new('int32_t');
        $only = $this->lib->ffi->new('int32_t');
        $alerted = $this->lib->ffi->new('int32_t');
        $alerts = $this->lib->ffi->new('uint64_t');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_governance_status(
            $h,
            self::noNul($account, 'account'),
            \FFI::addr($suspended),
            \FFI::addr($only),
            \FFI::addr($alerted),
            \FFI::addr($alerts)
        )));
        return [
            'suspended' => $suspended->cdata === 1,
            'templates_only' => $only->cdata === 1,
            'burn_alerted' => $alerted->cdata === 1,
            'burn_alerts' => $alerts->cdata,
        ];
    }

    /**
     * A dry run: would these [account, epsilon, delta] spends fit now, made in
     * this order? Records nothing.
     *
     * @param list<array{0: string, 1: float, 2: float}> $spends
     * @return array{0: bool, 1: list<Status>} (all fit, one Status per spend)
     */
    public function checkSpends(array $spends): array
    {
        $ffi = $this->lib->ffi;
        $n = count($spends);
        $size = max($n, 1);
        $names = $ffi->new("const char *[$size]");
        $eps = $ffi->new("double[$size]");
        $deltas = $ffi->new("double[$size]");
        $out = $ffi->new("int32_t[$size]");
        $keep = [];
        foreach (array_values($spends) as $i => [$account, $epsilon, $delta]) {
            $account = self::noNul($account, 'account');
            $buf = $ffi->new('char[' . (strlen($account) + 1) . ']');
            \FFI::memcpy($buf, $account, strlen($account));
            $keep[] = $buf;
            $names[$i] = $ffi->cast('const char *', $buf);
            $eps[$i] = (float) $epsilon;
            $deltas[$i] = (float) $delta;
        }
        $all = $ffi->new('int32_t');
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($ffi->ilsp_budget_check_spends($h, $names, $eps, $deltas, $n, $out, \FFI::addr($all))));
        $statuses = [];
        for ($i = 0; $i < $n; $i++) {
            $statuses[] = Status::from($out[$i]);
        }
        return [$all->cdata === 1, $statuses];
    }

    /**
     * Plans $planned (epsilon for basic accounts, rho for zCDP) per window of
     * $windowSeconds; a spend taking the window's spend past $factor x
     * $planned records a burn-rate alert. $planned 0 removes the plan.
     */
    public function setBurnPlan(string $account, float $planned, int $windowSeconds, float $factor): void
    {
        $this->native->use(fn (\FFI\CData $h) => $this->lib->check($this->lib->ffi->ilsp_budget_set_burn_plan($h, self::noNul($account, 'account'), $planned, $windowSeconds, $factor)));
    }

    /** The budget's figures in the Prometheus text exposition format. */
    public function metrics(): string
    {
        return $this->native->use(fn (\FFI\CData $h) => self::readText(
            $this->lib,
            fn ($buf, $cap, $len) => $this->lib->ffi->ilsp_budget_metrics($h, $buf, $cap, $len)
        ));
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
