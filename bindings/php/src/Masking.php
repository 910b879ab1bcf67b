<?php
/**
 * Export masking helpers (used by IlsPrivacy\Library).
 *
 *     $ils = IlsPrivacy\Library::load();
 *     $ils->maskEmail('Jane.Doe@Example.org');                  // 'J***@***.org'
 *     $ils->coarsenDate('2027-01-01', DateGranularity::IsoWeek); // '2026-W53'
 *
 * Error messages name the kind of value and what is wrong, never the value.
 */

declare(strict_types=1);

namespace IlsPrivacy;

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
    public function coarsenDate(string $date, DateGranularity $granularity = DateGranularity::Day): string
    {
        $ffi = $this->ffi;
        return $this->textCall(fn ($out, $cap, $len) => $ffi->ilsp_mask_date($date, $granularity->value, $out, $cap, $len), 16);
    }

    /** "30-39" for bands of $width, "90+" from $top up. */
    public function ageBand(int $age, int $width = 10, int $top = 90): string
    {
        foreach (['age' => $age, 'width' => $width, 'top' => $top] as $name => $v) {
            if ($v < 0 || $v > 0xFFFFFFFF) {
                throw new InvalidArgumentException("$name must be between 0 and 4294967295", Status::InvalidArgument->value);
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
     * hidden values are null, statuses are Cell cases.
     *
     * @param list<list<int>> $counts
     * @return array{values: list<list<?int>>, status: list<list<Cell>>}
     */
    public function suppressSmallCells(array $counts, int $k = 5): array
    {
        $rows = count($counts);
        $cols = $rows > 0 ? count($counts[0]) : 0;
        $cells = max(1, $rows * $cols);
        $flat = $this->ffi->new("uint64_t[$cells]");
        foreach ($counts as $r => $row) {
            if (count($row) !== $cols) {
                throw new InvalidArgumentException('counts must be a rectangular table', Status::InvalidArgument->value);
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
                $cell = Cell::from($status[$i]);
                $grid['status'][$r][$c] = $cell;
                $grid['values'][$r][$c] = $cell === Cell::Published ? $values[$i] : null;
            }
        }
        return $grid;
    }
}
