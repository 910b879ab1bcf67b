<?php
declare(strict_types=1);

namespace IlsPrivacy;

/**
 * A checked data-lifecycle policy (TOML, or JSON text): retention rules,
 * role masking with FERPA directory opt-outs, k-anonymity hierarchies (see
 * docs/lifecycle.md and examples/policies/). A bad policy throws
 * InvalidArgumentException naming the key and, in TOML, the line.
 */
final class Policy
{
    private readonly Library $lib;
    private NativeHandle $native;

    public function __construct(string $text)
    {
        $this->lib = Library::load();
        $out = $this->lib->ffi->new('ilsp_policy*');
        $this->lib->check($this->lib->ffi->ilsp_policy_new($text, strlen($text), \FFI::addr($out)));
        $ffi = $this->lib->ffi;
        $this->native = new NativeHandle($out, static fn (\FFI\CData $p) => $ffi->ilsp_policy_free($p), 'policy');
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** Frees the policy now (also done by the destructor); idempotent. Later calls throw ClosedHandleException. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    /**
     * The action due on each field of $record (scalars) of $recordClass on
     * $asOf (YYYY-MM-DD, a civil date in UTC), with an audit entry (counts,
     * no values). Nothing is deleted: the caller carries the actions out.
     *
     * @param array<string, scalar|null>|string $record
     * @return array{class: string, as_of: string, actions: array<string, string>, audit: array<string, mixed>}
     */
    public function retention(string $recordClass, string $asOf, array|string $record): array
    {
        $json = self::json($record);
        $ffi = $this->lib->ffi;
        $text = $this->native->use(fn (\FFI\CData $p) => $this->lib->textCall(
            fn ($out, $cap, $len) => $ffi->ilsp_retention_evaluate($p, $recordClass, $asOf, $json, strlen($json), $out, $cap, $len),
            strlen($json) + 512
        ));
        return json_decode($text, true, 512, JSON_THROW_ON_ERROR);
    }

    /**
     * $record masked for $role: deny by default, directory opt-outs per
     * record. $tokenizer serves the policy's tokenize masks (KeyException
     * without one).
     *
     * @param array<string, scalar|null>|string $record
     * @return array{record: array<string, string>, fields: array<string, string>, directory_opt_out: bool, unreadable: list<string>}
     */
    public function mask(string $role, array|string $record, ?Tokenizer $tokenizer = null): array
    {
        $json = self::json($record);
        $ffi = $this->lib->ffi;
        $call = fn (\FFI\CData $p, ?\FFI\CData $t) => $this->lib->textCall(
            fn ($out, $cap, $len) => $ffi->ilsp_access_mask($p, $role, $t, $json, strlen($json), $out, $cap, $len),
            2 * strlen($json) + 512
        );
        $text = $tokenizer === null
            ? $this->native->use(fn (\FFI\CData $p) => $call($p, null))
            : NativeHandle::useAll([$this->native, $tokenizer->native()], fn (\FFI\CData $p, \FFI\CData $t) => $call($p, $t));
        $result = json_decode($text, true, 512, JSON_THROW_ON_ERROR);
        $result['record'] = (array) $result['record'];
        $result['fields'] = (array) $result['fields'];
        return $result;
    }

    /** @param array<string, scalar|null>|string $record */
    private static function json(array|string $record): string
    {
        return is_string($record) ? $record : json_encode((object) $record, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE);
    }
}
