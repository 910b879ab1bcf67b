//! C entry points for the mechanisms (`crate::mechanism`).
//!
//! Calibration (grid, scale, per-scale sampler data) is done once per
//! parameter set and kept in a small per-thread cache keyed by the exact bits
//! of the parameters, so repeated calls with the same (sensitivity, ε[, δ])
//! only check the input and draw noise.

use std::cell::RefCell;
use std::rc::Rc;

use super::{check_out, guard, ilsp_status, slice_arg, slice_out, write_out};
use crate::error::{Error, Result};
use crate::mechanism::{
    DiscreteGaussian, DiscreteLaplace, Gaussian, Laplace, Quantile, RandomizedResponse,
};

/// Most-recently-used cache of calibrated mechanisms (one per thread and kind).
struct Cache<K, V> {
    entries: Vec<(K, Rc<V>)>,
}

const CACHE_CAPACITY: usize = 8;

impl<K: PartialEq + Copy, V> Cache<K, V> {
    const fn new() -> Self {
        Cache {
            entries: Vec::new(),
        }
    }

    #[inline]
    fn get_or_make(&mut self, key: K, make: impl FnOnce() -> Result<V>) -> Result<Rc<V>> {
        if let Some((k, v)) = self.entries.first()
            && *k == key
        {
            return Ok(Rc::clone(v));
        }
        if let Some(i) = self.entries.iter().position(|(k, _)| *k == key) {
            self.entries[..=i].rotate_right(1);
            return Ok(Rc::clone(&self.entries[0].1));
        }
        let value = Rc::new(make()?);
        self.entries.insert(0, (key, Rc::clone(&value)));
        self.entries.truncate(CACHE_CAPACITY);
        Ok(value)
    }
}

thread_local! {
    static LAPLACE: RefCell<Cache<[u64; 2], Laplace>> = const { RefCell::new(Cache::new()) };
    static GAUSSIAN: RefCell<Cache<[u64; 3], Gaussian>> = const { RefCell::new(Cache::new()) };
    static LAPLACE_I64: RefCell<Cache<(i64, u64), DiscreteLaplace>> =
        const { RefCell::new(Cache::new()) };
    static GAUSSIAN_I64: RefCell<Cache<(i64, u64, u64), DiscreteGaussian>> =
        const { RefCell::new(Cache::new()) };
    static RESPONSE: RefCell<Cache<(u64, u64), RandomizedResponse>> =
        const { RefCell::new(Cache::new()) };
}

/// The thread's calibrated float Laplace mechanism for these parameters.
pub(crate) fn cached_laplace(sensitivity: f64, epsilon: f64) -> Result<Rc<Laplace>> {
    LAPLACE.with(|c| {
        c.borrow_mut()
            .get_or_make([sensitivity.to_bits(), epsilon.to_bits()], || {
                Laplace::new(sensitivity, epsilon)
            })
    })
}

/// The thread's calibrated float Gaussian mechanism for these parameters.
pub(crate) fn cached_gaussian(l2: f64, epsilon: f64, delta: f64) -> Result<Rc<Gaussian>> {
    GAUSSIAN.with(|c| {
        c.borrow_mut()
            .get_or_make([l2.to_bits(), epsilon.to_bits(), delta.to_bits()], || {
                Gaussian::from_epsilon_delta(l2, epsilon, delta)
            })
    })
}

/// Adds Laplace noise to `value` and writes the result to `*out`: ε-DP for a
/// query of L1 sensitivity `sensitivity`.
///
/// Float-safe: the value is rounded to a power-of-two grid `γ ≈ (Δ/ε)·2^-40`,
/// exact integer noise is added, and the output is a multiple of `γ` (the
/// rounding is charged: the mechanism is calibrated to `Δ + γ`). Outputs
/// beyond the double range saturate at `±DBL_MAX`.
///
/// Errors: `ILSP_ERR_NULL` (`out`); `ILSP_ERR_INVALID_ARGUMENT` if `value`
/// is NaN/±inf or `|value| ≥ 2^126·γ` (the message never contains the value),
/// or `sensitivity`/`epsilon` is not finite and `> 0`; `ILSP_ERR_ENTROPY`.
/// `*out` is written only on success.
///
/// The first call with a given (sensitivity, epsilon) on a thread calibrates
/// the mechanism; later calls reuse it (a per-thread cache of 8 entries).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_laplace(
    value: f64,
    sensitivity: f64,
    epsilon: f64,
    out: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        let m = cached_laplace(sensitivity, epsilon)?;
        write_out(out, m.release(value)?);
        Ok(())
    })
}

/// Adds Gaussian noise to `value` and writes the result to `*out`:
/// (ε, δ)-DP for a query of L2 sensitivity `l2_sensitivity`.
///
/// σ is the analytic (Balle–Wang) calibration, proved for the discrete
/// Gaussian actually sampled on the grid `γ ≈ σ·2^-40` with the charged
/// sensitivity `Δ + γ`, rounded up. Float-safe as `ilsp_laplace`.
///
/// Errors: `ILSP_ERR_NULL` (`out`); `ILSP_ERR_INVALID_ARGUMENT` for a
/// NaN/±inf or too large `value`, a non-finite or non-positive
/// `l2_sensitivity` or `epsilon`, or `delta` outside (0, 1);
/// `ILSP_ERR_ENTROPY`. `*out` is written only on success.
///
/// Thread safety: safe to call from any thread (per-thread calibration cache).
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_gaussian(
    value: f64,
    l2_sensitivity: f64,
    epsilon: f64,
    delta: f64,
    out: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        let m = cached_gaussian(l2_sensitivity, epsilon, delta)?;
        write_out(out, m.release(value)?);
        Ok(())
    })
}

/// Adds discrete Laplace noise (P(x) ∝ exp(-|x|·ε/Δ)) to an integer `value`
/// and writes the result to `*out`: ε-DP for integer sensitivity
/// `sensitivity`.
///
/// The sum is exact and then clamped to `[INT64_MIN, INT64_MAX]`
/// (post-processing): the noise never causes an error.
///
/// Errors: `ILSP_ERR_NULL` (`out`); `ILSP_ERR_INVALID_ARGUMENT` if
/// `sensitivity <= 0`, `epsilon` is not finite and `> 0`, or
/// `sensitivity/epsilon > 2^64`; `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_laplace_i64(
    value: i64,
    sensitivity: i64,
    epsilon: f64,
    out: *mut i64,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        let m = LAPLACE_I64.with(|c| {
            c.borrow_mut()
                .get_or_make((sensitivity, epsilon.to_bits()), || {
                    DiscreteLaplace::new(sensitivity, epsilon)
                })
        })?;
        write_out(out, m.release(value)?);
        Ok(())
    })
}

/// Adds discrete Gaussian noise to an integer `value` and writes the result
/// to `*out`: (ε, δ)-DP for integer L2 sensitivity `l2_sensitivity`, with σ
/// the smallest value whose rigorous discrete-Gaussian δ bound is `<= delta`.
///
/// The sum is exact and then clamped to `[INT64_MIN, INT64_MAX]`.
///
/// Errors: `ILSP_ERR_NULL` (`out`); `ILSP_ERR_INVALID_ARGUMENT` if
/// `l2_sensitivity <= 0`, `epsilon` is not finite and `> 0`, or `delta` is
/// outside (0, 1); `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_gaussian_i64(
    value: i64,
    l2_sensitivity: i64,
    epsilon: f64,
    delta: f64,
    out: *mut i64,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        let m = GAUSSIAN_I64.with(|c| {
            c.borrow_mut()
                .get_or_make((l2_sensitivity, epsilon.to_bits(), delta.to_bits()), || {
                    DiscreteGaussian::from_epsilon_delta(l2_sensitivity, epsilon, delta)
                })
        })?;
        write_out(out, m.release(value)?);
        Ok(())
    })
}

/// Whether two arrays of `n` doubles overlap.
fn overlaps(a: *const f64, b: *const f64, n: usize) -> bool {
    let bytes = n.saturating_mul(size_of::<f64>());
    let (a, b) = (a as usize, b as usize);
    a < b.saturating_add(bytes) && b < a.saturating_add(bytes)
}

/// The array contract of the float batch entry points: nothing to do when
/// `n == 0`; otherwise `values` and `out` must be non-NULL and either the
/// same array (released in place by `in_place`) or disjoint (released by
/// `separate`).
///
/// # Safety
///
/// When `n > 0`, `values` must point to `n` readable doubles and `out` to
/// `n` writable doubles, neither used through any other reference during
/// the call (the header's contract).
unsafe fn release_doubles(
    values: *const f64,
    n: usize,
    out: *mut f64,
    in_place: impl FnOnce(&mut [f64]) -> Result<()>,
    separate: impl FnOnce(&[f64], &mut [f64]) -> Result<()>,
) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    if values.is_null() {
        return Err(Error::Null { param: "values" });
    }
    check_out(out, "out")?;
    if std::ptr::eq(values, out) {
        // SAFETY: `out` is non-NULL and, per the caller's contract, points to
        // `n` writable doubles; `values` is the same array and is not used
        // through any other reference while this one lives.
        let inout = unsafe { slice_out(out, n, "out") }?;
        return in_place(inout);
    }
    if overlaps(values, out, n) {
        return Err(Error::invalid(
            "out",
            "must be equal to values or not overlap it",
        ));
    }
    // SAFETY: both are non-NULL, point to `n` doubles per the caller's
    // contract, and do not overlap (checked above), so the shared and the
    // mutable slice never alias.
    let (input, output) = unsafe { (slice_arg(values, n, "values")?, slice_out(out, n, "out")?) };
    separate(input, output)
}

/// Adds independent Laplace noise to each of `values[0..n]` and writes the
/// results to `out[0..n]`, as `n` calls of `ilsp_laplace` would (each output
/// is one ε-DP release; the privacy cost is per value), amortising the
/// per-call work.
///
/// `out` may be the same pointer as `values` (in place); otherwise the two
/// arrays must not overlap (`ILSP_ERR_INVALID_ARGUMENT`). With `n == 0`
/// both pointers may be NULL.
///
/// Errors: `ILSP_ERR_NULL` (`values` or `out` with `n > 0`);
/// `ILSP_ERR_INVALID_ARGUMENT` for bad parameters or any bad value (every
/// value is checked before any noise is drawn; nothing is written then);
/// `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe to call from any thread; the arrays must not be
/// modified by another thread during the call.
#[unsafe(no_mangle)]
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry point: the header states the pointer contract, checked as far as C allows"
)]
pub extern "C" fn ilsp_laplace_batch(
    values: *const f64,
    n: usize,
    sensitivity: f64,
    epsilon: f64,
    out: *mut f64,
) -> ilsp_status {
    guard(|| {
        let m = cached_laplace(sensitivity, epsilon)?;
        // SAFETY: `values` and `out` hold `n` doubles each per the header.
        unsafe {
            release_doubles(
                values,
                n,
                out,
                |inout| m.release_in_place(inout),
                |input, output| m.release_batch(input, output),
            )
        }
    })
}

/// Randomized response: writes `value` to `*out` with probability
/// `e^ε/(e^ε + categories − 1)`, otherwise one of the other categories chosen
/// uniformly. ε-DP for one respondent's category (binary: `categories = 2`,
/// values 0 and 1). Sampling is exact.
///
/// Errors: `ILSP_ERR_NULL` (`out`); `ILSP_ERR_INVALID_ARGUMENT` if
/// `categories < 2`, `value >= categories` (the message omits the value), or
/// `epsilon` is not finite and `> 0`; `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_randomized_response(
    value: u64,
    categories: u64,
    epsilon: f64,
    out: *mut u64,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        let m = RESPONSE.with(|c| {
            c.borrow_mut()
                .get_or_make((categories, epsilon.to_bits()), || {
                    RandomizedResponse::new(epsilon, categories)
                })
        })?;
        write_out(out, m.release(value)?);
        Ok(())
    })
}

/// A private `quantile` (in [0, 1]) of `values[0..n]`: the exponential
/// mechanism over the `bins + 1` edges of `bins` equal bins of `[lo, hi]`,
/// sampled exactly; ε-DP when each privacy unit contributes at most one
/// value (add/remove one value). Values outside `[lo, hi]` count as the
/// nearest bound. Writes the chosen edge to `*out`. Use it to pick clamping
/// bounds privately.
///
/// Running time grows with `bins` and `n` (sorting) and, through the
/// acceptance rate, with how concentrated the data are (documented timing).
///
/// Errors: `ILSP_ERR_NULL` (`out`, or `values` with `n > 0`);
/// `ILSP_ERR_INVALID_ARGUMENT` for a NaN value, `epsilon` not finite and
/// `> 0`, `quantile` outside [0, 1], non-finite bounds or `lo >= hi`, or
/// `bins` outside [1, 2^20]; `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe to call from any thread; `values` must not be
/// modified during the call.
#[unsafe(no_mangle)]
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry point: the header states the pointer contract, checked as far as C allows"
)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ilsp_quantile(
    values: *const f64,
    n: usize,
    quantile: f64,
    lo: f64,
    hi: f64,
    bins: u32,
    epsilon: f64,
    out: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        let m = Quantile::new(epsilon, quantile, lo, hi, bins)?;
        // SAFETY: NULL is rejected when n > 0; otherwise `values` points to
        // `n` doubles per the header and is only read.
        let data = unsafe { slice_arg(values, n, "values") }?;
        write_out(out, m.release(data)?);
        Ok(())
    })
}

/// Adds independent Gaussian noise to each of `values[0..n]` and writes the
/// results to `out[0..n]`, as `n` calls of `ilsp_gaussian` would (each output
/// is one (ε, δ)-DP release; the cost is per value), amortising the per-call
/// work.
///
/// `out` may be the same pointer as `values` (in place); otherwise the two
/// arrays must not overlap (`ILSP_ERR_INVALID_ARGUMENT`). With `n == 0` both
/// pointers may be NULL.
///
/// Errors: `ILSP_ERR_NULL` (`values` or `out` with `n > 0`);
/// `ILSP_ERR_INVALID_ARGUMENT` for bad parameters or any bad value (all are
/// checked before any noise is drawn; nothing is written then);
/// `ILSP_ERR_ENTROPY`.
///
/// Thread safety: safe to call from any thread; the arrays must not be
/// modified by another thread during the call.
#[unsafe(no_mangle)]
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry point: the header states the pointer contract, checked as far as C allows"
)]
pub extern "C" fn ilsp_gaussian_batch(
    values: *const f64,
    n: usize,
    l2_sensitivity: f64,
    epsilon: f64,
    delta: f64,
    out: *mut f64,
) -> ilsp_status {
    guard(|| {
        let m = cached_gaussian(l2_sensitivity, epsilon, delta)?;
        // SAFETY: `values` and `out` hold `n` doubles each per the header.
        unsafe {
            release_doubles(
                values,
                n,
                out,
                |inout| m.release_in_place(inout),
                |input, output| m.release_batch(input, output),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{ILSP_ERR_INVALID_ARGUMENT, ILSP_ERR_NULL, ILSP_OK};

    #[test]
    fn entry_points_release_and_reject() {
        let mut out = 0.0;
        assert_eq!(ilsp_laplace(1.0, 1.0, 1.0, &mut out), ILSP_OK);
        assert_eq!(
            ilsp_laplace(f64::NAN, 1.0, 1.0, &mut out),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_laplace(1.0, 1.0, 0.0, &mut out),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_laplace(1.0, 1.0, 1.0, std::ptr::null_mut()),
            ILSP_ERR_NULL
        );
        assert_eq!(ilsp_gaussian(1.0, 1.0, 1.0, 1e-6, &mut out), ILSP_OK);
        assert_eq!(
            ilsp_gaussian(1.0, 1.0, 1.0, 0.0, &mut out),
            ILSP_ERR_INVALID_ARGUMENT
        );
        let mut o = 0i64;
        assert_eq!(ilsp_laplace_i64(5, 1, 1.0, &mut o), ILSP_OK);
        assert_eq!(
            ilsp_laplace_i64(5, 0, 1.0, &mut o),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(ilsp_gaussian_i64(5, 1, 1.0, 1e-6, &mut o), ILSP_OK);
        assert_eq!(
            ilsp_gaussian_i64(5, 1, 1.0, 1.5, &mut o),
            ILSP_ERR_INVALID_ARGUMENT
        );
    }

    #[test]
    fn batch_in_place_disjoint_and_overlapping() {
        let mut buf = [1.0, 2.0, 3.0, 4.0];
        let p = buf.as_mut_ptr();
        assert_eq!(ilsp_laplace_batch(p, 4, 1.0, 1.0, p), ILSP_OK);
        assert!(buf.iter().all(|v| v.is_finite()));
        let values = [1.0, 2.0];
        let mut out = [0.0; 2];
        assert_eq!(
            ilsp_laplace_batch(values.as_ptr(), 2, 1.0, 1.0, out.as_mut_ptr()),
            ILSP_OK
        );
        // SAFETY: p + 1 stays inside `buf`.
        let shifted = unsafe { p.add(1) };
        assert_eq!(
            ilsp_laplace_batch(p, 3, 1.0, 1.0, shifted),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_laplace_batch(std::ptr::null(), 0, 1.0, 1.0, std::ptr::null_mut()),
            ILSP_OK
        );
        assert_eq!(
            ilsp_laplace_batch(std::ptr::null(), 2, 1.0, 1.0, out.as_mut_ptr()),
            ILSP_ERR_NULL
        );
        let bad = [1.0, f64::NAN];
        out = [7.0, 7.0];
        assert_eq!(
            ilsp_laplace_batch(bad.as_ptr(), 2, 1.0, 1.0, out.as_mut_ptr()),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(out, [7.0, 7.0]);
    }

    #[test]
    fn gaussian_batch_entry_point() {
        let mut buf = [1.0, 2.0, 3.0];
        let p = buf.as_mut_ptr();
        assert_eq!(ilsp_gaussian_batch(p, 3, 1.0, 1.0, 1e-6, p), ILSP_OK);
        let mut out = [0.0; 3];
        assert_eq!(
            ilsp_gaussian_batch(buf.as_ptr(), 3, 1.0, 1.0, 1e-6, out.as_mut_ptr()),
            ILSP_OK
        );
        assert_eq!(
            ilsp_gaussian_batch(buf.as_ptr(), 3, 1.0, 1.0, 0.0, out.as_mut_ptr()),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_gaussian_batch(std::ptr::null(), 0, 1.0, 1.0, 1e-6, std::ptr::null_mut()),
            ILSP_OK
        );
    }

    #[test]
    fn response_and_quantile_entry_points() {
        let mut o = 9u64;
        assert_eq!(ilsp_randomized_response(1, 2, 1.0, &mut o), ILSP_OK);
        assert!(o < 2);
        assert_eq!(
            ilsp_randomized_response(2, 2, 1.0, &mut o),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_randomized_response(0, 1, 1.0, &mut o),
            ILSP_ERR_INVALID_ARGUMENT
        );
        let values = [1.0, 2.0, 3.0];
        let mut q = 0.0;
        assert_eq!(
            ilsp_quantile(values.as_ptr(), 3, 0.5, 0.0, 4.0, 4, 1.0, &mut q),
            ILSP_OK
        );
        assert!((0.0..=4.0).contains(&q));
        assert_eq!(
            ilsp_quantile(std::ptr::null(), 3, 0.5, 0.0, 4.0, 4, 1.0, &mut q),
            ILSP_ERR_NULL
        );
        assert_eq!(
            ilsp_quantile(values.as_ptr(), 3, 0.5, 4.0, 0.0, 4, 1.0, &mut q),
            ILSP_ERR_INVALID_ARGUMENT
        );
    }

    #[test]
    fn the_cache_reuses_calibrations() {
        let a = cached_laplace(2.0, 0.25).unwrap();
        let b = cached_laplace(2.0, 0.25).unwrap();
        assert!(Rc::ptr_eq(&a, &b));
        for i in 0..CACHE_CAPACITY {
            cached_laplace(1.0 + i as f64, 1.0).unwrap();
        }
        let c = cached_laplace(2.0, 0.25).unwrap();
        assert!(!Rc::ptr_eq(&a, &c), "evicted after 8 newer entries");
    }
}
