<?php
/**
 * Export masking helpers (used by IlsPrivacy\Library) and export schemas.
 *
 *     $ils = IlsPrivacy\Library::load();
 *     $ils->maskEmail('Jane.Doe@Example.org');                  // 'J***@***.org'
 *     $ils->coarsenDate('2027-01-01', DateGranularity::ISO_WEEK); // '2026-W53'
 *
 * Error messages name the kind of value and what is wrong, never the value.
 */

declare(strict_types=1);

namespace IlsPrivacy;

/** Date granularities of Library::coarsenDate(). */
final class DateGranularity
{
    public const DAY = 0;
    public const ISO_WEEK = 1;
    public const MONTH = 2;
}

/** Statuses of a suppressed table's entries. */
final class Cell
{
    public const PUBLISHED = 0;
    public const PRIMARY = 1;
    public const COMPLEMENTARY = 2;
}

trait Masking
{
    /**
     * J***@example.org ($keepDomain) or J***@***.org; the first character is
     * kept only when the local part has at least four.
     *
     * @throws InvalidArgumentException if $email is not local@domain.
     */
    public function maskEmail(string $email, bool $keepDomain = false): string
    {
        $ffi = $this->ffi;
        return $this->textCall(fn ($out, $cap, $len) => $ffi->ilsp_mask_email($email, $keepDomain ? 1 : 0, $out, $cap, $len), strlen($email) + 16);
    }

    /** An ISO date (a time after T or a space is dropped) as a day, ISO week or month. */
    public function coarsenDate(string $date, int $granularity = DateGranularity::DAY): string
    {
        $ffi = $this->ffi;
        return $this->textCall(fn ($out, $cap, $len) => $ffi->ilsp_mask_date($date, $granularity, $out, $cap, $len), 16);
    }

    /** "30-39" for bands of $width, "90+" from $top up. */
    public function ageBand(int $age, int $width = 10, int $top = 90): string
    {
        foreach (['age' => $age, 'width' => $width, 'top' => $top] as $name => $v) {
            if ($v < 0 || $v > 0xFFFFFFFF) {
                throw new InvalidArgumentException("$name must be between 0 and 4294967295", self::ERR_INVALID_ARGUMENT);
            }
        }
        $ffi = $this->ffi;
        return $this->textCall(fn ($out, $cap, $len) => $ffi->ilsp_mask_age_band($age, $width, $top, $out, $cap, $len), 16);
    }

    /** The first $keep characters, spaces and hyphens removed, upper case. */
    public function truncatePostcode(string $postcode, int $keep): string
    {
        $ffi = $this->ffi;
        return $this->textCall(fn ($out, $cap, $len) => $ffi->ilsp_mask_postcode($postcode, $keep, $out, $cap, $len), strlen($postcode) + 1);
    }

    /**
     * Small-cell suppression of a rectangular table of counts with its margins.
     * Returns ['values' => grid, 'status' => grid], each (rows+1) x (cols+1):
     * last column row totals, last row column totals, corner grand total;
     * hidden values are null, statuses are Cell::* constants.
     *
     * @param list<list<int>> $counts
     * @return array{values: list<list<?int>>, status: list<list<int>>}
     */
    public function suppressSmallCells(array $counts, int $k = 5): array
    {
        $rows = count($counts);
        $cols = $rows > 0 ? count($counts[0]) : 0;
        $cells = max(1, $rows * $cols);
        $flat = $this->ffi->new("uint64_t[$cells]");
        foreach ($counts as $r => $row) {
            if (count($row) !== $cols) {
                throw new InvalidArgumentException('counts must be a rectangular table', self::ERR_INVALID_ARGUMENT);
            }
            foreach (array_values($row) as $c => $v) {
                $flat[$r * $cols + $c] = $v;
            }
        }
        $n = ($rows + 1) * ($cols + 1);
        $values = $this->ffi->new("uint64_t[$n]");
        $status = $this->ffi->new("uint8_t[$n]");
        $len = $this->ffi->new('size_t');
        $this->check($this->ffi->ilsp_suppress_small_cells($flat, $rows, $cols, $k, $values, $status, $n, \FFI::addr($len)));
        $grid = ['values' => [], 'status' => []];
        for ($r = 0; $r <= $rows; $r++) {
            for ($c = 0; $c <= $cols; $c++) {
                $i = $r * ($cols + 1) + $c;
                $grid['status'][$r][$c] = $status[$i];
                $grid['values'][$r][$c] = $status[$i] === Cell::PUBLISHED ? $values[$i] : null;
            }
        }
        return $grid;
    }
}

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
