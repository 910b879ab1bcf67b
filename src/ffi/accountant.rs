//! C entry points for privacy accounting and planning (`crate::accountant`).
//!
//! Noise kinds are `ILSP_NOISE_*` and composition methods
//! `ILSP_ACCOUNTING_*` integer constants. Every result is an upper bound on
//! the privacy loss (see the Rust documentation of `crate::accountant`).

use super::{
    check_out, free_handle, give_handle, guard, handle_mut, handle_ref, ilsp_status, write_out,
};
use crate::accountant::{self, Accountant, Method, PrivacyEvent};
use crate::error::{Error, Result};

/// Basic composition: the sum of the ε and of the δ of the releases.
pub const ILSP_ACCOUNTING_BASIC: i32 = 0;
/// Advanced composition (Dwork–Rothblum–Vadhan); pure/(ε, δ) releases only.
pub const ILSP_ACCOUNTING_ADVANCED: i32 = 1;
/// Optimal composition of k identical (ε₀, δ₀) releases (Kairouz–Oh–Viswanath).
pub const ILSP_ACCOUNTING_OPTIMAL_HOMOGENEOUS: i32 = 2;
/// zCDP (exact for Gaussian-only sequences, CKS20 conversion otherwise).
pub const ILSP_ACCOUNTING_ZCDP: i32 = 3;
/// Rényi DP with the CKS20 conversion.
pub const ILSP_ACCOUNTING_RDP: i32 = 4;
/// Privacy-loss distributions (pessimistic grid, FFT composition).
pub const ILSP_ACCOUNTING_PLD: i32 = 5;
/// The best (smallest) result of the methods that apply.
pub const ILSP_ACCOUNTING_BEST: i32 = 6;

/// Laplace noise: `sensitivity` is the L1 sensitivity, `scale` the scale b.
pub const ILSP_NOISE_LAPLACE: i32 = 0;
/// Gaussian noise: `sensitivity` is the L2 sensitivity, `scale` the standard deviation σ.
pub const ILSP_NOISE_GAUSSIAN: i32 = 1;
/// Discrete Laplace noise on integers: L1 sensitivity and scale t.
pub const ILSP_NOISE_DISCRETE_LAPLACE: i32 = 2;
/// Discrete Gaussian noise on one integer query: L2 sensitivity and σ (a
/// vector of integers, such as a table, has a larger δ; the Rust API's
/// `PrivacyEvent::discrete_gaussian_vector` accounts for it).
pub const ILSP_NOISE_DISCRETE_GAUSSIAN: i32 = 3;

/// An accountant: a sequence of releases whose total (ε, δ) can be queried.
/// Created by `ilsp_accountant_new`, released by `ilsp_accountant_free`.
pub struct ilsp_accountant {
    inner: Accountant,
}

fn noise_event(noise: i32, sensitivity: f64, scale: f64) -> Result<PrivacyEvent> {
    let event = match noise {
        ILSP_NOISE_LAPLACE => PrivacyEvent::Laplace {
            l1_sensitivity: sensitivity,
            scale,
        },
        ILSP_NOISE_GAUSSIAN => PrivacyEvent::Gaussian {
            l2_sensitivity: sensitivity,
            sigma: scale,
        },
        ILSP_NOISE_DISCRETE_LAPLACE => PrivacyEvent::DiscreteLaplace {
            l1_sensitivity: sensitivity,
            scale,
        },
        ILSP_NOISE_DISCRETE_GAUSSIAN => PrivacyEvent::discrete_gaussian(sensitivity, scale),
        other => {
            return Err(Error::invalid(
                "noise",
                format!("must be 0..=3, got {other}"),
            ));
        }
    };
    // Name the C parameters rather than the event's field names.
    event.validate().map_err(|e| match e {
        Error::InvalidArgument { param, reason } => Error::InvalidArgument {
            param: match param {
                "l1_sensitivity" | "l2_sensitivity" => "sensitivity",
                "sigma" => "scale",
                p => p,
            },
            reason,
        },
        e => e,
    })?;
    Ok(event)
}

/// Writes the ε after `releases` releases of one noise mechanism to
/// `*epsilon_out`: the smallest ε such that the releases together are
/// (ε, `delta`)-DP under `method` (`ILSP_ACCOUNTING_*`), rounded up. +∞
/// when no ε achieves `delta`.
///
/// `noise` is an `ILSP_NOISE_*` constant; `sensitivity` and `scale` are > 0
/// and finite; `releases` ≥ 1; 0 < `delta` < 1.
///
/// Every `releases` up to 2^64 − 1 is answered, in constant time by all
/// methods but PLD (10^17 releases: well under 10 ms); `ILSP_ACCOUNTING_BEST`
/// skips the methods that do not apply.
///
/// Errors: `ILSP_ERR_NULL` (`epsilon_out`), `ILSP_ERR_INVALID_ARGUMENT` (a
/// bad parameter, or a method that does not apply, with a message starting
/// "method": advanced and optimal composition need pure-DP noise; PLD
/// declines compositions too wide for its grid — huge release counts — and
/// discrete Gaussians too large to expand).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_plan_epsilon(
    noise: i32,
    sensitivity: f64,
    scale: f64,
    releases: u64,
    delta: f64,
    method: i32,
    epsilon_out: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(epsilon_out, "epsilon_out")?;
        let method = Method::from_code(method)?;
        let event = noise_event(noise, sensitivity, scale)?;
        write_out(
            epsilon_out,
            accountant::epsilon_after(event, releases, delta, method)?,
        );
        Ok(())
    })
}

/// Writes the δ after `releases` releases of one noise mechanism to
/// `*delta_out`: the smallest δ such that the releases together are
/// (`epsilon`, δ)-DP under `method`, rounded up (at most 1).
///
/// Parameters as for `ilsp_plan_epsilon`, with `epsilon` ≥ 0 and finite.
///
/// Errors: `ILSP_ERR_NULL` (`delta_out`), `ILSP_ERR_INVALID_ARGUMENT`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_plan_delta(
    noise: i32,
    sensitivity: f64,
    scale: f64,
    releases: u64,
    epsilon: f64,
    method: i32,
    delta_out: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(delta_out, "delta_out")?;
        let method = Method::from_code(method)?;
        let event = noise_event(noise, sensitivity, scale)?;
        write_out(
            delta_out,
            accountant::delta_after(event, releases, epsilon, method)?,
        );
        Ok(())
    })
}

/// Writes to `*releases_out` the largest number of releases of one noise
/// mechanism that together are (`epsilon`, `delta`)-DP under `method` (0 if
/// not even one; at most 10⁹). The count written is checked to fit.
///
/// `epsilon` > 0 and finite, 0 < `delta` < 1; other parameters as for
/// `ilsp_plan_epsilon`.
///
/// Errors: `ILSP_ERR_NULL` (`releases_out`), `ILSP_ERR_INVALID_ARGUMENT`.
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_plan_max_releases(
    noise: i32,
    sensitivity: f64,
    scale: f64,
    epsilon: f64,
    delta: f64,
    method: i32,
    releases_out: *mut u64,
) -> ilsp_status {
    guard(|| {
        check_out(releases_out, "releases_out")?;
        let method = Method::from_code(method)?;
        let event = noise_event(noise, sensitivity, scale)?;
        write_out(
            releases_out,
            accountant::max_releases(event, epsilon, delta, method)?,
        );
        Ok(())
    })
}

/// Writes to `*scale_out` the smallest noise scale (Laplace b or Gaussian σ,
/// to 10⁻⁶ relative, rounded up) such that `releases` releases with that
/// noise and `sensitivity` are together (`epsilon`, `delta`)-DP under
/// `method`. The scale written is checked to fit.
///
/// `noise` is `ILSP_NOISE_LAPLACE` or `ILSP_NOISE_GAUSSIAN`.
///
/// Errors: `ILSP_ERR_NULL` (`scale_out`), `ILSP_ERR_INVALID_ARGUMENT` (a bad
/// parameter, a discrete noise kind, or advanced/optimal composition for
/// Gaussian noise).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_plan_noise_scale(
    noise: i32,
    sensitivity: f64,
    releases: u64,
    epsilon: f64,
    delta: f64,
    method: i32,
    scale_out: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(scale_out, "scale_out")?;
        let method = Method::from_code(method)?;
        let scale = match noise {
            ILSP_NOISE_LAPLACE => {
                accountant::laplace_scale(sensitivity, releases, epsilon, delta, method)
            }
            ILSP_NOISE_GAUSSIAN => {
                accountant::gaussian_sigma(sensitivity, releases, epsilon, delta, method)
            }
            other => Err(Error::invalid(
                "noise",
                format!("must be ILSP_NOISE_LAPLACE (0) or ILSP_NOISE_GAUSSIAN (1), got {other}"),
            )),
        }
        .map_err(|e| match e {
            Error::InvalidArgument {
                param: "l1_sensitivity" | "l2_sensitivity",
                reason,
            } => Error::InvalidArgument {
                param: "sensitivity",
                reason,
            },
            e => e,
        })?;
        write_out(scale_out, scale);
        Ok(())
    })
}

/// Writes to `*scale_out` the smallest noise scale (Laplace b or Gaussian σ,
/// to 10⁻⁶ relative, on the safe side) such that `releases` releases of
/// that noise with `sensitivity`, each run on a Poisson sample in which
/// every privacy unit is kept independently with probability `rate`
/// (0 < rate ≤ 1), are together (`epsilon`, `delta`)-DP under `method`
/// (with rate = 1 as `ilsp_plan_noise_scale`).
///
/// `noise` is `ILSP_NOISE_LAPLACE` or `ILSP_NOISE_GAUSSIAN`. Methods that
/// credit sampling: RDP and basic composition (and for Laplace noise also
/// advanced, optimal homogeneous and zCDP, through the amplified pure ε);
/// PLD declines sampled releases.
///
/// Errors: `ILSP_ERR_NULL` (`scale_out`), `ILSP_ERR_INVALID_ARGUMENT` (a
/// bad parameter, a discrete noise kind, or a method that does not apply).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_plan_sampled_noise_scale(
    noise: i32,
    sensitivity: f64,
    rate: f64,
    releases: u64,
    epsilon: f64,
    delta: f64,
    method: i32,
    scale_out: *mut f64,
) -> ilsp_status {
    guard(|| {
        check_out(scale_out, "scale_out")?;
        let method = Method::from_code(method)?;
        let scale = match noise {
            ILSP_NOISE_LAPLACE => accountant::sampled_laplace_scale(
                sensitivity,
                rate,
                releases,
                epsilon,
                delta,
                method,
            ),
            ILSP_NOISE_GAUSSIAN => accountant::sampled_gaussian_sigma(
                sensitivity,
                rate,
                releases,
                epsilon,
                delta,
                method,
            ),
            other => Err(Error::invalid(
                "noise",
                format!("must be ILSP_NOISE_LAPLACE (0) or ILSP_NOISE_GAUSSIAN (1), got {other}"),
            )),
        }
        .map_err(|e| match e {
            Error::InvalidArgument {
                param: "l1_sensitivity" | "l2_sensitivity",
                reason,
            } => Error::InvalidArgument {
                param: "sensitivity",
                reason,
            },
            e => e,
        })?;
        write_out(scale_out, scale);
        Ok(())
    })
}

/// Creates an empty accountant and writes it to `*out`.
///
/// Errors: `ILSP_ERR_NULL` (`out`).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_accountant_new(out: *mut *mut ilsp_accountant) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        give_handle(
            out,
            ilsp_accountant {
                inner: Accountant::new(),
            },
        );
        Ok(())
    })
}

/// Releases an accountant; NULL is a no-op.
///
/// Thread safety: no other call may use `accountant` concurrently or afterwards.
#[unsafe(no_mangle)]
#[expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "a C entry point: the handle contract is documented for C callers"
)]
pub extern "C" fn ilsp_accountant_free(accountant: *mut ilsp_accountant) {
    // SAFETY: NULL or a handle from `ilsp_accountant_new`, freed once and
    // unused afterwards per the contract.
    unsafe { free_handle(accountant) }
}

fn with_mut(
    accountant: *mut ilsp_accountant,
    f: impl FnOnce(&mut Accountant) -> Result<()>,
) -> ilsp_status {
    guard(|| {
        // SAFETY: handles come from `ilsp_accountant_new` and, per the
        // documented contract, are not used concurrently with a mutating call.
        let acc = unsafe { handle_mut(accountant, "accountant") }?;
        f(&mut acc.inner)
    })
}

fn with_ref(
    accountant: *const ilsp_accountant,
    f: impl FnOnce(&Accountant) -> Result<()>,
) -> ilsp_status {
    guard(|| {
        // SAFETY: handles come from `ilsp_accountant_new`; read-only calls may
        // share the handle, none runs concurrently with a mutation.
        let acc = unsafe { handle_ref(accountant, "accountant") }?;
        f(&acc.inner)
    })
}

/// Adds `releases` releases of noise of kind `noise` (`ILSP_NOISE_*`) with
/// `sensitivity` and `scale` (both > 0 and finite); `releases` ≥ 1. Nothing
/// is added on error.
///
/// Errors: `ILSP_ERR_NULL` (`accountant`), `ILSP_ERR_INVALID_ARGUMENT`.
///
/// Thread safety: not concurrently with any other call on the same accountant.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_accountant_add_noise(
    accountant: *mut ilsp_accountant,
    noise: i32,
    sensitivity: f64,
    scale: f64,
    releases: u64,
) -> ilsp_status {
    with_mut(accountant, |acc| {
        let event = noise_event(noise, sensitivity, scale)?;
        add(acc, event, releases)
    })
}

/// Adds `releases` releases of Laplace or Gaussian noise (`noise` is
/// `ILSP_NOISE_LAPLACE` or `ILSP_NOISE_GAUSSIAN`, `sensitivity` and `scale`
/// as for `ilsp_accountant_add_noise`), each run on a Poisson sample in
/// which every privacy unit is kept independently with probability `rate`
/// (0 < rate ≤ 1). The RDP method credits the amplification (Mironov,
/// Talwar, Zhang 2019 for Gaussian noise; Zhu, Wang 2019 for Laplace);
/// basic composition uses the amplified (ε, δ) of each release; the PLD
/// method declines such releases. Nothing is added on error.
///
/// Errors: `ILSP_ERR_NULL` (`accountant`), `ILSP_ERR_INVALID_ARGUMENT`.
///
/// Thread safety: not concurrently with any other call on the same accountant.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_accountant_add_sampled_noise(
    accountant: *mut ilsp_accountant,
    noise: i32,
    sensitivity: f64,
    scale: f64,
    rate: f64,
    releases: u64,
) -> ilsp_status {
    with_mut(accountant, |acc| {
        let event = match noise_event(noise, sensitivity, scale)? {
            PrivacyEvent::Laplace {
                l1_sensitivity,
                scale,
            } => PrivacyEvent::PoissonSampledLaplace {
                l1_sensitivity,
                scale,
                rate,
            },
            PrivacyEvent::Gaussian {
                l2_sensitivity,
                sigma,
            } => PrivacyEvent::PoissonSampledGaussian {
                l2_sensitivity,
                sigma,
                rate,
            },
            _ => {
                return Err(Error::invalid(
                    "noise",
                    format!(
                        "must be ILSP_NOISE_LAPLACE (0) or ILSP_NOISE_GAUSSIAN (1), got {noise}"
                    ),
                ));
            }
        };
        event.validate()?;
        add(acc, event, releases)
    })
}

fn add(acc: &mut Accountant, event: PrivacyEvent, releases: u64) -> Result<()> {
    if releases == 0 {
        return Err(Error::invalid("releases", "must be >= 1, got 0"));
    }
    acc.compose(event, releases)?;
    Ok(())
}

/// Adds `releases` releases that are each `epsilon`-DP (`epsilon` > 0 and finite).
///
/// Errors: `ILSP_ERR_NULL` (`accountant`), `ILSP_ERR_INVALID_ARGUMENT`.
///
/// Thread safety: not concurrently with any other call on the same accountant.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_accountant_add_pure_dp(
    accountant: *mut ilsp_accountant,
    epsilon: f64,
    releases: u64,
) -> ilsp_status {
    with_mut(accountant, |acc| {
        add(acc, PrivacyEvent::PureDp { epsilon }, releases)
    })
}

/// Adds `releases` releases that are each (`epsilon`, `delta`)-DP
/// (`epsilon` ≥ 0 and finite, 0 ≤ `delta` < 1).
///
/// Errors: `ILSP_ERR_NULL` (`accountant`), `ILSP_ERR_INVALID_ARGUMENT`.
///
/// Thread safety: not concurrently with any other call on the same accountant.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_accountant_add_approximate_dp(
    accountant: *mut ilsp_accountant,
    epsilon: f64,
    delta: f64,
    releases: u64,
) -> ilsp_status {
    with_mut(accountant, |acc| {
        add(
            acc,
            PrivacyEvent::ApproximateDp { epsilon, delta },
            releases,
        )
    })
}

/// Adds `releases` releases that are each `rho`-zCDP (`rho` > 0 and finite).
///
/// Errors: `ILSP_ERR_NULL` (`accountant`), `ILSP_ERR_INVALID_ARGUMENT`.
///
/// Thread safety: not concurrently with any other call on the same accountant.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_accountant_add_zcdp(
    accountant: *mut ilsp_accountant,
    rho: f64,
    releases: u64,
) -> ilsp_status {
    with_mut(accountant, |acc| {
        add(acc, PrivacyEvent::Zcdp { rho }, releases)
    })
}

/// Writes to `*epsilon_out` the ε such that everything added so far is
/// (ε, `delta`)-DP under `method` (`ILSP_ACCOUNTING_*`), rounded up; 0 for
/// an empty accountant, +∞ when no ε achieves `delta`.
///
/// Errors: `ILSP_ERR_NULL` (`accountant`, `epsilon_out`),
/// `ILSP_ERR_INVALID_ARGUMENT` (`delta` not in (0, 1), an unknown method,
/// or a method that does not apply to the releases added).
///
/// Thread safety: may run concurrently with other read-only calls
/// (`ilsp_accountant_epsilon`, `ilsp_accountant_delta`) on the same accountant.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_accountant_epsilon(
    accountant: *const ilsp_accountant,
    delta: f64,
    method: i32,
    epsilon_out: *mut f64,
) -> ilsp_status {
    with_ref(accountant, |acc| {
        check_out(epsilon_out, "epsilon_out")?;
        let method = Method::from_code(method)?;
        write_out(epsilon_out, acc.epsilon(delta, method)?);
        Ok(())
    })
}

/// Writes to `*delta_out` the δ such that everything added so far is
/// (`epsilon`, δ)-DP under `method`, rounded up (at most 1).
///
/// Errors: `ILSP_ERR_NULL` (`accountant`, `delta_out`),
/// `ILSP_ERR_INVALID_ARGUMENT` (`epsilon` negative or not finite, an unknown
/// method, or a method that does not apply).
///
/// Thread safety: as `ilsp_accountant_epsilon`.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_accountant_delta(
    accountant: *const ilsp_accountant,
    epsilon: f64,
    method: i32,
    delta_out: *mut f64,
) -> ilsp_status {
    with_ref(accountant, |acc| {
        check_out(delta_out, "delta_out")?;
        let method = Method::from_code(method)?;
        write_out(delta_out, acc.delta(epsilon, method)?);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{ILSP_ERR_INVALID_ARGUMENT, ILSP_ERR_NULL, ILSP_OK};

    #[test]
    fn method_constants_match_the_rust_enum() {
        for (c, m) in [
            (ILSP_ACCOUNTING_BASIC, Method::Basic),
            (ILSP_ACCOUNTING_ADVANCED, Method::Advanced),
            (
                ILSP_ACCOUNTING_OPTIMAL_HOMOGENEOUS,
                Method::OptimalHomogeneous,
            ),
            (ILSP_ACCOUNTING_ZCDP, Method::Zcdp),
            (ILSP_ACCOUNTING_RDP, Method::Rdp),
            (ILSP_ACCOUNTING_PLD, Method::Pld),
            (ILSP_ACCOUNTING_BEST, Method::Best),
        ] {
            assert_eq!(Method::from_code(c).unwrap(), m);
        }
        assert!(Method::from_code(7).is_err());
    }

    #[test]
    fn plan_and_accountant_entry_points() {
        let mut eps = -1.0;
        assert_eq!(
            ilsp_plan_epsilon(
                ILSP_NOISE_LAPLACE,
                1.0,
                10.0,
                100,
                1e-6,
                ILSP_ACCOUNTING_BASIC,
                &mut eps
            ),
            ILSP_OK
        );
        assert!((10.0..=10.000000000000002).contains(&eps));
        assert_eq!(
            ilsp_plan_epsilon(
                ILSP_NOISE_LAPLACE,
                1.0,
                0.0,
                100,
                1e-6,
                ILSP_ACCOUNTING_BASIC,
                &mut eps
            ),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_plan_epsilon(9, 1.0, 1.0, 1, 1e-6, 0, std::ptr::null_mut()),
            ILSP_ERR_NULL
        );
        let mut acc = std::ptr::null_mut();
        assert_eq!(ilsp_accountant_new(&mut acc), ILSP_OK);
        assert_eq!(
            ilsp_accountant_add_noise(acc, ILSP_NOISE_GAUSSIAN, 1.0, 10.0, 1000),
            ILSP_OK
        );
        assert_eq!(
            ilsp_accountant_add_zcdp(acc, 0.0, 1),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_accountant_epsilon(acc, 1e-6, ILSP_ACCOUNTING_ZCDP, &mut eps),
            ILSP_OK
        );
        assert!((eps / 19.4236564771063 - 1.0).abs() < 1e-3);
        ilsp_accountant_free(acc);
        ilsp_accountant_free(std::ptr::null_mut());
    }
}
