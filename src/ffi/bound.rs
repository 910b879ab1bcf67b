//! C entry points for clamping and clipping (`crate::bound`).

use super::{check_out, guard, ilsp_status, slice_out, write_out};

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

/// Scales `values[0..n]` in place so that their L1 norm is at most `bound`,
/// and writes the factor applied (1 if none) to `*factor`. The bound holds
/// for the exact norm of the resulting doubles.
///
/// Errors: `ILSP_ERR_NULL` (`factor`, or `values` with `n > 0`);
/// `ILSP_ERR_INVALID_ARGUMENT` if `bound` is not finite and `> 0` or a value
/// is NaN/±inf (nothing is changed then).
///
/// Thread safety: safe to call from any thread; `values` must not be
/// accessed by another thread during the call.
#[unsafe(no_mangle)]
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry point: the header states the pointer contract"
)]
pub extern "C" fn ilsp_clip_l1(
    values: *mut f64,
    n: usize,
    bound: f64,
    factor: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(factor, "factor")?;
        // SAFETY: NULL is rejected when n > 0; `values` points to `n`
        // writable doubles per the header, not aliased during the call.
        let v = unsafe { slice_out(values, n, "values") }?;
        write_out(factor, crate::bound::clip_l1(v, bound)?);
        Ok(())
    })
}

/// Scales `values[0..n]` in place so that their L2 norm is at most `bound`,
/// and writes the factor applied (1 if none) to `*factor`. The bound holds
/// for the exact norm of the resulting doubles.
///
/// Errors: as `ilsp_clip_l1`.
///
/// Thread safety: as `ilsp_clip_l1`.
#[unsafe(no_mangle)]
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry point: the header states the pointer contract"
)]
pub extern "C" fn ilsp_clip_l2(
    values: *mut f64,
    n: usize,
    bound: f64,
    factor: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(factor, "factor")?;
        // SAFETY: as in `ilsp_clip_l1`.
        let v = unsafe { slice_out(values, n, "values") }?;
        write_out(factor, crate::bound::clip_l2(v, bound)?);
        Ok(())
    })
}
