//! C entry points for export masking, small-cell suppression and export
//! schemas (`crate::token::mask`, `crate::token::suppress`,
//! `crate::token::record`).
//!
//! Text inputs are NUL-terminated UTF-8 (records: explicit length); text
//! outputs follow the library's buffer convention (capacity in, length out,
//! NUL written, `ILSP_ERR_BUFFER_TOO_SMALL` reports the capacity needed).
//! Error messages name the kind of value and what is wrong with it, never the
//! value.

// The entry points are `extern "C"` functions called from C, whose pointer
// contracts are stated in the header; marking them `unsafe fn` would not add
// a check on the C side.
#![expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry points; pointer contracts are documented in the header"
)]

use std::ffi::c_char;

use super::token::{ilsp_tokenizer, read_tokenizer};
use super::{
    check_out, free_handle, give_handle, guard, handle_ref, ilsp_status, slice_arg, slice_out,
    str_arg, text_arg, write_out, write_text,
};
use crate::error::Error;
use crate::token::mask::{DateGranularity, age_band, coarsen_date, mask_email, truncate_postcode};
use crate::token::record::ExportSchema;
use crate::token::suppress::{suppress_small_cells, table_cells};

/// Date granularity: `YYYY-MM-DD`.
pub const ILSP_DATE_DAY: u32 = 0;
/// Date granularity: ISO 8601 week `YYYY-Www`.
pub const ILSP_DATE_ISO_WEEK: u32 = 1;
/// Date granularity: `YYYY-MM`.
pub const ILSP_DATE_MONTH: u32 = 2;

/// Suppressed-table entry status: published with its value.
pub const ILSP_CELL_PUBLISHED: u8 = 0;
/// Suppressed-table entry status: hidden, value from 1 to k − 1.
pub const ILSP_CELL_PRIMARY: u8 = 1;
/// Suppressed-table entry status: hidden to protect a primary suppression.
pub const ILSP_CELL_COMPLEMENTARY: u8 = 2;

/// An export schema: allowed fields and what happens to each. Opaque, immutable.
pub struct ilsp_export_schema {
    schema: ExportSchema,
}

/// Writes the partially redacted form of `email`: the local part's first
/// character (when it has at least four) and `***`, then `@` and the domain
/// (lowercased) if `keep_domain` is 1, or `***.` and its last label if 0.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (not `local@domain`; `keep_domain` not 0 or 1), `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_mask_email(
    email: *const c_char,
    keep_domain: u32,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: NUL-terminated string per the header.
        let email = unsafe { str_arg(email, "email") }?;
        let keep = match keep_domain {
            0 => false,
            1 => true,
            other => {
                return Err(Error::invalid(
                    "keep_domain",
                    format!("must be 0 or 1, got {other}"),
                ));
            }
        };
        let masked = mask_email(email, keep)?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(&masked, out, out_cap, out_len, "out") }
    })
}

/// Writes `date` (`YYYY-MM-DD`, optionally followed by `T` or a space and a
/// time, which is dropped) coarsened to `ILSP_DATE_DAY` (`YYYY-MM-DD`),
/// `ILSP_DATE_ISO_WEEK` (`YYYY-Www`, ISO week-numbering year) or
/// `ILSP_DATE_MONTH` (`YYYY-MM`).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (not such a date, or not a calendar day; bad `granularity`),
/// `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_mask_date(
    date: *const c_char,
    granularity: u32,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: NUL-terminated string per the header.
        let date = unsafe { str_arg(date, "date") }?;
        let coarse = coarsen_date(date, DateGranularity::from_code(granularity)?)?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(&coarse, out, out_cap, out_len, "out") }
    })
}

/// Writes the age band of `age`: `"30-39"` for `width` 10 (`"34"` for width
/// 1), or `"<top>+"` when `age >= top`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT` (`width` 0; `top` not
/// a positive multiple of `width` up to 150; `age` above 150),
/// `ILSP_ERR_BUFFER_TOO_SMALL` (16 bytes always suffice).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_mask_age_band(
    age: u32,
    width: u32,
    top: u32,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        let band = age_band(age, width, top)?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(&band, out, out_cap, out_len, "out") }
    })
}

/// Writes the first `keep` characters of `postcode` after removing spaces and
/// hyphens and upper-casing (`"SW1A 1AA"`, 4 → `"SW1A"`; `"12345-6789"`, 3 →
/// `"123"`).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (`keep` 0; characters other than ASCII letters, digits, spaces, hyphens;
/// not longer than `keep`), `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_mask_postcode(
    postcode: *const c_char,
    keep: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: NUL-terminated string per the header.
        let postcode = unsafe { str_arg(postcode, "postcode") }?;
        let truncated = truncate_postcode(postcode, keep)?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(&truncated, out, out_cap, out_len, "out") }
    })
}

/// Small-cell suppression of a `rows × cols` table of `counts` (row-major)
/// with threshold `k`, with its margins.
///
/// Writes the `(rows + 1) × (cols + 1)` grid (column `cols`: row totals; row
/// `rows`: column totals; last entry: grand total) row-major: the published
/// value into `values` (0 where hidden) and an `ILSP_CELL_*` status into
/// `status`. Entries from 1 to `k − 1` are hidden (`ILSP_CELL_PRIMARY`), then
/// further entries (`ILSP_CELL_COMPLEMENTARY`) until no hidden entry can be
/// computed exactly from the published ones. Interval bounds, linked tables
/// and successive releases are not protected (see the README).
///
/// `out_cap` is the number of entries `values` and `status` each hold;
/// `*out_len` receives `(rows + 1) * (cols + 1)`, also with
/// `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_INVALID_ARGUMENT` (`rows` or `cols` 0,
/// more than 250,000 cells, `k` 0, totals overflowing 64 bits),
/// `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_suppress_small_cells(
    counts: *const u64,
    rows: usize,
    cols: usize,
    k: u64,
    values: *mut u64,
    status: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        check_out(out_len, "out_len")?;
        // The shape is checked against the cap before `counts` is looked at,
        // and the output size before any work is done.
        let cells = table_cells(rows, cols)?;
        let needed = (rows + 1) * (cols + 1);
        if out_cap < needed {
            write_out(out_len, needed);
            return Err(Error::BufferTooSmall {
                param: "values",
                needed,
                capacity: out_cap,
            });
        }
        // SAFETY: `rows * cols` readable counts per the header.
        let counts = unsafe { slice_arg(counts, cells, "counts") }?;
        let table = suppress_small_cells(counts, rows, cols, k)?;
        // SAFETY: `out_cap >= needed` writable entries at each output per the header.
        let values = unsafe { slice_out(values, needed, "values") }?;
        // SAFETY: as above.
        let status = unsafe { slice_out(status, needed, "status") }?;
        values.copy_from_slice(&table.published_values());
        for (s, cell) in status.iter_mut().zip(table.statuses()) {
            *s = cell.code();
        }
        write_out(out_len, needed);
        Ok(())
    })
}

/// Parses an export schema from JSON (NUL-terminated; see the README for the
/// format) into a new handle `*out`, freed with `ilsp_export_schema_free`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (the message gives the parser's reason and position; the schema is
/// configuration, not patron data).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_export_schema_new(
    schema_json: *const c_char,
    out: *mut *mut ilsp_export_schema,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: NUL-terminated string per the header.
        let text = unsafe { str_arg(schema_json, "schema_json") }?;
        give_handle(
            out,
            ilsp_export_schema {
                schema: ExportSchema::from_json(text)?,
            },
        );
        Ok(())
    })
}

/// Frees an export schema. NULL is a no-op. Cannot fail.
///
/// Thread safety: must not run concurrently with any other use of this schema.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_export_schema_free(schema: *mut ilsp_export_schema) {
    // SAFETY: a handle from this library (or NULL), freed once per the header.
    unsafe { free_handle(schema) }
}

/// Applies `schema` to one record, a JSON object of `record_len` bytes, with
/// `t` for the tokenized fields. Writes JSON into `out`: the clean record, or
/// `{"issues":[{"field":…,"reason":…},…],"quarantined":true}`; sets
/// `*quarantined` to 1 or 0. A record that is not a JSON object is
/// quarantined (field `""`, reason `not_an_object`), not an error. Reasons
/// name fields, never values.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING` (record not UTF-8),
/// `ILSP_ERR_BUFFER_TOO_SMALL` (`*quarantined` is then also set, so the call
/// can be repeated with a larger buffer).
///
/// Thread safety: safe to call from any thread, also on the same schema and tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_export_record(
    schema: *const ilsp_export_schema,
    t: *const ilsp_tokenizer,
    record: *const c_char,
    record_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
    quarantined: *mut i32,
) -> ilsp_status {
    guard(|| {
        check_out(quarantined, "quarantined")?;
        // SAFETY: live handles per the header.
        let schema = unsafe { handle_ref(schema, "schema") }?;
        // SAFETY: as above.
        let t = unsafe { handle_ref(t, "t") }?;
        // SAFETY: `record_len` readable bytes at `record` per the header.
        let record = unsafe { text_arg(record, record_len, "record") }?;
        let outcome = schema.schema.apply_json(&*read_tokenizer(t)?, record);
        let json = outcome.to_json();
        // `*quarantined` is written with the text, or with the size the text
        // needs, never on another failure.
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        let written = unsafe { write_text(json.as_str(), out, out_cap, out_len, "out") };
        if matches!(written, Ok(()) | Err(Error::BufferTooSmall { .. })) {
            write_out(quarantined, i32::from(outcome.is_quarantined()));
        }
        written
    })
}

/// Maps a status back to its enum, for tests.
#[cfg(test)]
fn cell_status(code: u8) -> crate::error::Result<crate::token::suppress::CellStatus> {
    use crate::token::suppress::CellStatus;
    match code {
        ILSP_CELL_PUBLISHED => Ok(CellStatus::Published),
        ILSP_CELL_PRIMARY => Ok(CellStatus::Primary),
        ILSP_CELL_COMPLEMENTARY => Ok(CellStatus::Complementary),
        _ => Err(Error::invalid("status", "unknown")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{ILSP_ERR_BUFFER_TOO_SMALL, ILSP_ERR_INVALID_ARGUMENT, ILSP_OK};

    #[test]
    fn suppression_outputs_match_the_rust_table() {
        let counts = [20u64, 30, 15, 2];
        let mut values = [99u64; 9];
        let mut status = [9u8; 9];
        let mut len = 0;
        let rc = ilsp_suppress_small_cells(
            counts.as_ptr(),
            2,
            2,
            5,
            values.as_mut_ptr(),
            status.as_mut_ptr(),
            8,
            &mut len,
        );
        assert_eq!((rc, len), (ILSP_ERR_BUFFER_TOO_SMALL, 9));
        assert_eq!(values, [99; 9], "nothing written on failure");
        let rc = ilsp_suppress_small_cells(
            counts.as_ptr(),
            2,
            2,
            5,
            values.as_mut_ptr(),
            status.as_mut_ptr(),
            9,
            &mut len,
        );
        assert_eq!((rc, len), (ILSP_OK, 9));
        let table = suppress_small_cells(&counts, 2, 2, 5).unwrap();
        assert_eq!(values.to_vec(), table.published_values());
        for (code, s) in status.iter().zip(table.statuses()) {
            assert_eq!(cell_status(*code).unwrap(), *s);
        }
        let rc = ilsp_suppress_small_cells(
            counts.as_ptr(),
            2,
            2,
            0,
            values.as_mut_ptr(),
            status.as_mut_ptr(),
            9,
            &mut len,
        );
        assert_eq!(rc, ILSP_ERR_INVALID_ARGUMENT);
    }

    /// A shape over the cap is refused before `counts` is looked at (here
    /// it points to 4 values while the shape claims 2^40 or 2^128).
    #[test]
    fn huge_shapes_are_refused_before_reading() {
        let counts = [1u64; 4];
        let mut len = 7;
        for (rows, cols) in [(1usize << 20, 1usize << 20), (usize::MAX, 2), (1, 250_001)] {
            let rc = ilsp_suppress_small_cells(
                counts.as_ptr(),
                rows,
                cols,
                5,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                0,
                &mut len,
            );
            assert_eq!(rc, ILSP_ERR_INVALID_ARGUMENT);
            assert_eq!(len, 7, "no size reported for a refused shape");
        }
    }

    /// Found by the `ffi_text` fuzz target: `*quarantined` was written
    /// before the output pointers were checked, so a call failing with
    /// `ILSP_ERR_NULL` still wrote it.
    #[test]
    fn export_record_writes_quarantined_only_with_its_text_or_size() {
        use crate::ffi::ILSP_ERR_NULL;
        use crate::ffi::token::{ilsp_tokenizer_free, ilsp_tokenizer_new};
        let key = [7u8; 32];
        let mut t = std::ptr::null_mut();
        assert_eq!(ilsp_tokenizer_new(key.as_ptr(), key.len(), &mut t), ILSP_OK);
        let json = c"{\"fields\": {\"branch\": {\"rule\": \"keep\"}}}";
        let mut schema = std::ptr::null_mut();
        assert_eq!(ilsp_export_schema_new(json.as_ptr(), &mut schema), ILSP_OK);
        let record = b"{\"name\": \"x\"}";
        let mut out = [0x55u8; 8];
        let (mut len, mut quarantined) = (0usize, -1);
        let call = |out: *mut u8, cap: usize, len: *mut usize, q: &mut i32| {
            ilsp_export_record(
                schema,
                t,
                record.as_ptr().cast(),
                record.len(),
                out.cast(),
                cap,
                len,
                q,
            )
        };
        assert_eq!(
            call(out.as_mut_ptr(), 8, std::ptr::null_mut(), &mut quarantined),
            ILSP_ERR_NULL
        );
        assert_eq!(quarantined, -1, "written on a NULL out_len");
        assert_eq!(
            call(std::ptr::null_mut(), 200, &mut len, &mut quarantined),
            ILSP_ERR_NULL
        );
        assert_eq!(quarantined, -1, "written on a NULL buffer");
        assert_eq!(
            call(out.as_mut_ptr(), 8, &mut len, &mut quarantined),
            ILSP_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(quarantined, 1, "the unknown field quarantines the record");
        let mut big = vec![0u8; len];
        quarantined = -1;
        assert_eq!(
            call(big.as_mut_ptr(), big.len(), &mut len, &mut quarantined),
            ILSP_OK
        );
        assert_eq!(quarantined, 1);
        assert_eq!(out, [0x55; 8], "nothing written into a too-small buffer");
        ilsp_export_schema_free(schema);
        ilsp_tokenizer_free(t);
    }
}
