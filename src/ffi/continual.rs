//! C entry points for continual release of running counts
//! (`crate::mechanism::ContinualCounter`): a counter takes one integer per
//! period and releases the noisy running total; the whole series is one
//! release, charged once (`ilsp_budget_start_counter`).

use std::ffi::c_char;

use super::budget::{budget_arg, ilsp_budget};
use super::{
    check_out, free_handle, give_handle, guard, handle_mut, ilsp_status, str_arg, write_out,
};
use crate::error::Result;
use crate::mechanism::ContinualCounter;

/// A continual counter over a fixed number of periods. Opaque; made by
/// `ilsp_counter_new_laplace` or `ilsp_counter_new_gaussian`, freed by
/// `ilsp_counter_free`.
pub struct ilsp_counter {
    inner: ContinualCounter,
}

fn new_counter(
    out: *mut *mut ilsp_counter,
    make: impl FnOnce() -> Result<ContinualCounter>,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        give_handle(out, ilsp_counter { inner: make()? });
        Ok(())
    })
}

/// Creates an ε-DP counter over `periods` periods (1 ≤ periods ≤ 2^40) for
/// a stream to which one privacy unit adds at most `sensitivity` (> 0) in
/// total over all periods: the binary-tree mechanism with discrete Laplace
/// noise of scale L·sensitivity/ε per tree node (L = ⌊log₂ periods⌋ + 1).
/// The whole series of running totals is ε-DP.
///
/// The counter does no accounting itself: charge it once with
/// `ilsp_budget_start_counter` before its first period, or account for ε
/// yourself.
///
/// Errors: `ILSP_ERR_NULL` (`out`), `ILSP_ERR_INVALID_ARGUMENT` (periods,
/// sensitivity or epsilon).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_counter_new_laplace(
    periods: u64,
    sensitivity: i64,
    epsilon: f64,
    out: *mut *mut ilsp_counter,
) -> ilsp_status {
    new_counter(out, || {
        ContinualCounter::laplace(periods, sensitivity, epsilon)
    })
}

/// Creates a ρ-zCDP counter over `periods` periods: as
/// `ilsp_counter_new_laplace`, with discrete Gaussian noise of scale
/// sensitivity·√(L/(2ρ)) per node. The whole series is ρ-zCDP.
///
/// Errors: `ILSP_ERR_NULL` (`out`), `ILSP_ERR_INVALID_ARGUMENT` (periods,
/// sensitivity or rho).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_counter_new_gaussian(
    periods: u64,
    sensitivity: i64,
    rho: f64,
    out: *mut *mut ilsp_counter,
) -> ilsp_status {
    new_counter(out, || {
        ContinualCounter::gaussian(periods, sensitivity, rho)
    })
}

/// Releases a counter; NULL is a no-op.
///
/// Thread safety: no other call may use `counter` concurrently or afterwards.
#[unsafe(no_mangle)]
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "a C entry point: the handle contract is documented for C callers"
)]
pub extern "C" fn ilsp_counter_free(counter: *mut ilsp_counter) {
    // SAFETY: NULL or a handle from `ilsp_counter_new_*`, freed once and
    // unused afterwards per the contract.
    unsafe { free_handle(counter) }
}

fn with_counter(
    counter: *mut ilsp_counter,
    f: impl FnOnce(&mut ContinualCounter) -> Result<()>,
) -> ilsp_status {
    guard(|| {
        // SAFETY: handles come from `ilsp_counter_new_*` and, per the
        // documented contract, are not used concurrently.
        let c = unsafe { handle_mut(counter, "counter") }?;
        f(&mut c.inner)
    })
}

/// Takes the next period's `value` and writes the noisy running total
/// through this period to `*total_out` (clamped to the int64 range).
///
/// Errors: `ILSP_ERR_NULL` (`counter`, `total_out`),
/// `ILSP_ERR_INVALID_ARGUMENT` (all periods already released),
/// `ILSP_ERR_ENTROPY`.
///
/// Thread safety: not concurrently with any other call on the same counter.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_counter_push(
    counter: *mut ilsp_counter,
    value: i64,
    total_out: *mut i64,
) -> ilsp_status {
    with_counter(counter, |c| {
        check_out(total_out, "total_out")?;
        write_out(total_out, c.push(value)?);
        Ok(())
    })
}

/// Writes to `*bound_out` a bound B such that, with probability at least
/// 1 − `beta` (0 < beta < 1), every running total the counter releases is
/// within B of the true one (a parameter of the counter, not of the data).
///
/// Errors: `ILSP_ERR_NULL` (`counter`, `bound_out`),
/// `ILSP_ERR_INVALID_ARGUMENT` (beta).
///
/// Thread safety: not concurrently with any other call on the same counter.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_counter_error_bound(
    counter: *mut ilsp_counter,
    beta: f64,
    bound_out: *mut f64,
) -> ilsp_status {
    with_counter(counter, |c| {
        check_out(bound_out, "bound_out")?;
        write_out(bound_out, c.error_bound(beta)?);
        Ok(())
    })
}

/// Charges `account` (NUL-terminated UTF-8) once for every period of
/// `counter` — its ε on a basic account, its ρ on a zCDP account (a
/// Laplace counter's ρ = ε²/2) — and records the counter's event in the
/// ledger. Call it before the counter's first period; afterwards it is
/// refused.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (a counter that has released periods, a bad name, or a Gaussian counter
/// on a basic account), `ILSP_ERR_BUDGET_EXHAUSTED` (nothing recorded),
/// `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY` (then release nothing).
///
/// Thread safety: safe concurrently on one budget; not concurrently with any
/// other call on the same counter.
#[unsafe(no_mangle)]
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "a C entry point: the pointer contract is documented for C callers"
)]
pub extern "C" fn ilsp_budget_start_counter(
    budget: *mut ilsp_budget,
    account: *const c_char,
    counter: *mut ilsp_counter,
) -> ilsp_status {
    // SAFETY: pointer arguments as documented for this function.
    guard(|| unsafe { start_counter(budget, account, counter) })
}

/// The body of `ilsp_budget_start_counter`.
///
/// # Safety
///
/// `budget` and `counter` are NULL or live handles (the counter not used
/// concurrently), `account` NULL or a NUL-terminated string.
unsafe fn start_counter(
    budget: *mut ilsp_budget,
    account: *const c_char,
    counter: *mut ilsp_counter,
) -> Result<()> {
    // SAFETY: forwarded contracts.
    let (b, account, c) = unsafe {
        (
            budget_arg(budget)?,
            str_arg(account, "account")?,
            handle_mut(counter, "counter")?,
        )
    };
    b.charge_counter(account, &c.inner)?;
    Ok(())
}
