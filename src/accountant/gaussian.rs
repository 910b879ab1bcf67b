//! The exact privacy profile of the Gaussian mechanism (Balle & Wang 2018).
//!
//! A Gaussian mechanism with L2 sensitivity Δ and standard deviation σ is
//! μ-GDP with μ = Δ/σ (Dong, Roth, Su 2022), and its exact (ε, δ) profile is
//!
//! δ(ε) = Φ(μ/2 − ε/μ) − e^ε · Φ(−μ/2 − ε/μ)
//!
//! (Balle & Wang, "Improving the Gaussian mechanism for differential privacy",
//! ICML 2018, Thm. 8). k Gaussian releases compose to one Gaussian with
//! μ² = Σ μᵢ², so the same formula is exact for any sequence of Gaussians.

use super::search::{bisect_fitting_min, grow_until};
use super::special::{ln_normal_sf, normal_cdf};
use crate::error::Result;
use crate::rounding::{REL_MARGIN, inflate};

/// δ(ε) of a μ-GDP mechanism, rounded up: the one implementation of the
/// analytic Gaussian's exact δ, used by the accountant and (through
/// [`crate::mechanism::analytic_gaussian_delta`]) by the mechanisms'
/// calibration.
///
/// `Φ(μ/2 − ε/μ)` is computed to a relative accuracy far better than
/// [`REL_MARGIN`] and rounded up by it; `e^ε Φ(−μ/2 − ε/μ)` is computed as
/// `exp(ε + ln Φ̄(b))`, whose exponent carries an absolute float error
/// growing with its magnitude, and is rounded down by `REL_MARGIN` plus
/// 10⁻¹⁴ of that magnitude before subtracting. A floor of 10⁻³⁰⁰ covers the
/// terms' loss of relative accuracy when they underflow. The result is an
/// upper bound on the exact δ, at most 1 (1 for a NaN or infinite input).
pub(crate) fn gaussian_delta(mu: f64, epsilon: f64) -> f64 {
    if !mu.is_finite() || epsilon.is_nan() {
        return 1.0;
    }
    let a = mu / 2.0 - epsilon / mu;
    let b = mu / 2.0 + epsilon / mu;
    let first = normal_cdf(a);
    // e^ε Φ(−b) = exp(ε + ln Φ̄(b)), stable when Φ̄(b) underflows.
    let ln_second = epsilon + ln_normal_sf(b);
    let second_err = REL_MARGIN + 1e-14 * (epsilon + ln_second.abs() + 1.0);
    let second = ln_second.exp() * (1.0 - second_err).max(0.0);
    let delta = first * (1.0 + REL_MARGIN) - second;
    (delta.max(0.0) + 1e-300).min(1.0)
}

/// The smallest ε ≥ 0 (to 10⁻¹² relative) with δ(ε) ≤ `delta`, returned at the
/// safe (larger) end of the bisection bracket.
pub(crate) fn gaussian_epsilon(mu: f64, delta: f64) -> Result<f64> {
    if gaussian_delta(mu, 0.0) <= delta {
        return Ok(0.0);
    }
    let fits = |e: f64| Ok(gaussian_delta(mu, e) <= delta);
    // δ(ε) ≤ e^{−(ε−μ²/2)²/(2μ²)} gives a finite bracket for any δ > 0.
    let Some(hi) = grow_until(1.0, f64::MAX / 4.0, fits)? else {
        return Ok(f64::INFINITY);
    };
    bisect_fitting_min(0.0, hi, 1e-12, fits)
}

/// The largest μ (to 10⁻¹² relative, rounded down) whose δ(`epsilon`) ≤ `delta`:
/// a Gaussian with σ ≥ Δ/μ satisfies (ε, δ)-DP.
pub(crate) fn gaussian_mu_for(epsilon: f64, delta: f64) -> Result<f64> {
    // δ(ε) increases with μ; search on 1/μ (which fits when large).
    let fits = |inv_mu: f64| Ok(gaussian_delta(1.0 / inv_mu, epsilon) <= delta);
    let hi = grow_until(1e-3, f64::MAX / 4.0, fits)?.unwrap_or(f64::MAX);
    let inv = bisect_fitting_min(0.0, hi, 1e-12, fits)?;
    Ok(1.0 / inflate(inv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_dp_accounting_single_gaussian() {
        // dp_accounting.get_epsilon_gaussian(1.0, 1e-5) = 4.377178095681137
        // (benches/peers/accounting_reference.py).
        let e = gaussian_epsilon(1.0, 1e-5).unwrap();
        assert!(e >= 4.377178095681137 - 1e-9, "{e}");
        assert!((e / 4.377178095681137 - 1.0).abs() < 1e-6, "{e}");
    }

    #[test]
    fn delta_is_decreasing_and_bounded() {
        let mut last = 1.0;
        for i in 0..200 {
            let d = gaussian_delta(0.7, i as f64 * 0.05);
            assert!(d <= last && (0.0..=1.0).contains(&d));
            last = d;
        }
        // Total variation: δ(0) = Φ(μ/2) − Φ(−μ/2).
        let tv = normal_cdf(0.5) - normal_cdf(-0.5);
        assert!(gaussian_delta(1.0, 0.0) >= tv);
        assert!((gaussian_delta(1.0, 0.0) - tv).abs() < 2e-9);
        // Extreme arguments stay finite and in range.
        assert!(gaussian_delta(1e-3, 700.0) >= 0.0);
        assert!(gaussian_delta(300.0, 1e4) <= 1.0);
    }

    #[test]
    fn mu_for_target_round_trips() {
        let mu = gaussian_mu_for(1.0, 1e-5).unwrap();
        assert!(gaussian_delta(mu, 1.0) <= 1e-5);
        assert!(gaussian_delta(mu * (1.0 + 1e-9), 1.0) > 1e-5 * (1.0 - 1e-6));
    }
}
