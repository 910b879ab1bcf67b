<?php
declare(strict_types=1);

namespace IlsPrivacy;

/**
 * Allowed fields of an export and what happens to each (see the README for
 * the JSON format): records are masked, or quarantined with reasons that
 * name fields, never values.
 */
final class ExportSchema
{
    private readonly Library $lib;
    private NativeHandle $native;

    /** @param array<string, mixed>|string $schema The schema as an array or JSON text. */
    public function __construct(array|string $schema)
    {
        $this->lib = Library::load();
        $json = is_string($schema) ? $schema : json_encode($schema, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE);
        $out = $this->lib->ffi->new('ilsp_export_schema*');
        $this->lib->check($this->lib->ffi->ilsp_export_schema_new($json, \FFI::addr($out)));
        $ffi = $this->lib->ffi;
        $this->native = new NativeHandle($out, static fn (\FFI\CData $p) => $ffi->ilsp_export_schema_free($p), 'schema');
    }

    public function __destruct()
    {
        if (isset($this->native)) {
            $this->native->close();
        }
    }

    /** Frees the schema now (also done by the destructor); idempotent. Later calls throw ClosedHandleException. */
    public function close(): void
    {
        $this->native->close();
    }

    public function isClosed(): bool
    {
        return $this->native->isClosed();
    }

    /**
     * Masks one record (array or JSON text). Returns
     * ['quarantined' => false, 'record' => [...]] or
     * ['quarantined' => true, 'issues' => [['field' => …, 'reason' => …], …]].
     *
     * @param array<string, mixed>|string $record
     * @return array{quarantined: bool, record?: array<string, mixed>, issues?: list<array<string, mixed>>}
     */
    public function apply(Tokenizer $tokenizer, array|string $record): array
    {
        $json = is_string($record) ? $record : json_encode((object) $record, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE);
        $ffi = $this->lib->ffi;
        $q = $ffi->new('int32_t');
        $text = NativeHandle::useAll([$this->native, $tokenizer->native()], fn (\FFI\CData $s, \FFI\CData $t) => $this->lib->textCall(
            fn ($out, $cap, $len) => $ffi->ilsp_export_record($s, $t, $json, strlen($json), $out, $cap, $len, \FFI::addr($q)),
            2 * strlen($json) + 256
        ));
        $result = json_decode($text, true, 512, JSON_THROW_ON_ERROR);
        if ($q->cdata === 1) {
            return ['quarantined' => true, 'issues' => $result['issues']];
        }
        return ['quarantined' => false, 'record' => $result];
    }
}
