//! C entry points for clamping and clipping (`crate::bound`).

use super::{check_out, guard, ilsp_status, write_out};

/// Clamps `value` to `[lo, hi]` and writes it to `*out`.
///
/// `lo` and `hi` must be finite with `lo <= hi`; `value` must not be NaN
/// (±∞ clamp to the nearest bound). Errors: `ILSP_ERR_NULL` (`out`),
/// `ILSP_ERR_INVALID_ARGUMENT`. `*out` is written only on success.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_clamp(value: f64, lo: f64, hi: f64, out: *mut f64) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        write_out(out, crate::bound::clamp(value, lo, hi)?);
        Ok(())
    })
}
