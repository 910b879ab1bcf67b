//! Privacy amplification by Poisson sampling: each privacy unit enters the
//! input independently with probability q, and the mechanism runs on what
//! was sampled (add/remove one unit).
//!
//! # Rényi DP
//!
//! Write F(α) = (α − 1)·D_α for the sampled mechanism's worst direction.
//! At integer orders n ≥ 2:
//!
//! - **Gaussian** (μ = Δ₂/σ): the removal direction is the mixture
//!   (1 − q)Q + qP against Q, and expanding ((1 − q) + q·P/Q)ⁿ binomially
//!   gives exactly F(n) = ln Σᵢ C(n, i) qⁱ (1 − q)ⁿ⁻ⁱ e^{i(i−1)μ²/2}; the
//!   addition direction is never larger (Mironov, Talwar, Zhang 2019,
//!   "Rényi Differential Privacy of the Sampled Gaussian Mechanism",
//!   Thm. 5). This is the integer-order formula of Google's dp_accounting.
//! - **Laplace** (ε₀ = Δ₁/b, curve ε(·) of Mironov 2017, Prop. 6): the
//!   general upper bound of Zhu and Wang 2019 ("Poisson Subsampled Rényi
//!   Differential Privacy", Thm. 6), valid for both directions:
//!   F(n) ≤ ln[(1 − q)ⁿ⁻¹(nq − q + 1) + C(n, 2) q²(1 − q)ⁿ⁻² e^{ε(2)}
//!   + 3 Σ_{l=3}^{n} C(n, l) qˡ(1 − q)ⁿ⁻ˡ e^{(l−1)ε(l)}].
//!
//! Between integers, F is convex (it is the logarithm of a moment
//! generating function, F(1) = 0), so on [n, n + 1] it lies below the chord
//! of its values at n and n + 1: that chord, divided by α − 1, bounds D_α
//! at the fractional orders. Above [`MAX_EXPANDED_ORDER`] the unsampled
//! curve is used (sampling never increases the divergence: D_α is jointly
//! convex in the sense exp((α − 1)D_α) is, and the mixture's other
//! component contributes 0). Every value is also capped by the unsampled
//! mechanism's curve.
//!
//! Float error: each logarithmic term is a sum of a few quantities (ln Γ,
//! i·ln q, i(i−1)μ²/2, …) each accurate to a few ulps; a margin of
//! 64·2⁻⁵² times the sum of their magnitudes is added to F before it is
//! divided, and the result is then pushed up by the crate's relative margin.
//!
//! # (ε, δ) of one release
//!
//! If a mechanism is (ε, δ)-DP, its Poisson-sampled form is
//! (ln(1 + q(e^ε − 1)), qδ)-DP (Balle, Barthe, Gaboardi 2018, "Privacy
//! Amplification by Subsampling: Tight Analyses via Couplings and
//! Divergences", Thm. 8); with δ ≥ q it is (0, δ)-DP.

use super::rdp::laplace_rdp;
use super::special::{ln_binomial, ln_sum_exp};
use crate::rounding::{deflate, inflate};

/// The largest integer order whose sampled divergence is expanded term by
/// term; above it the unsampled curve is used.
pub(crate) const MAX_EXPANDED_ORDER: f64 = 1024.0;

/// `k·x` with 0·(−∞) read as 0 (a term (1 − q)⁰ with q = 1).
fn times(k: f64, x: f64) -> f64 {
    if k == 0.0 { 0.0 } else { k * x }
}

/// An upper bound on F(n) = (n − 1)·D_n of the sampled mechanism, integer
/// n ≥ 2, from its terms in log space and their magnitudes.
fn upper_ln_moment(terms: &[(f64, f64)]) -> f64 {
    let value = ln_sum_exp(terms.iter().map(|t| t.0));
    let magnitude: f64 = terms
        .iter()
        .filter(|t| t.0.is_finite())
        .map(|t| t.1)
        .fold(0.0, f64::max);
    value + 64.0 * f64::EPSILON * (magnitude + value.abs()) + f64::MIN_POSITIVE
}

/// F(n) for the sampled Gaussian (see the module documentation).
fn gaussian_ln_moment(mu: f64, q: f64, n: u64) -> f64 {
    let (ln_q, ln_1q) = (q.ln(), (-q).ln_1p());
    let nf = n as f64;
    let half_mu2 = mu * mu / 2.0;
    let lg = 3.0 * libm::lgamma(nf + 1.0).abs();
    let terms: Vec<(f64, f64)> = (0..=n)
        .map(|i| {
            let i = i as f64;
            let c = ln_binomial(nf, i);
            let pow = times(i, ln_q) + times(nf - i, ln_1q);
            let shift = i * (i - 1.0) * half_mu2;
            (c + pow + shift, lg + pow.abs() + shift)
        })
        .collect();
    upper_ln_moment(&terms)
}

/// F(n) for the sampled Laplace: Zhu–Wang's bound (see the module documentation).
fn laplace_ln_moment(epsilon: f64, q: f64, n: u64) -> f64 {
    let (ln_q, ln_1q) = (q.ln(), (-q).ln_1p());
    let nf = n as f64;
    let lg = 3.0 * libm::lgamma(nf + 1.0).abs();
    let first = times(nf - 1.0, ln_1q) + ((nf - 1.0) * q).ln_1p();
    let mut terms = vec![(first, first.abs() + lg)];
    let second = ln_binomial(nf, 2.0) + 2.0 * ln_q + times(nf - 2.0, ln_1q);
    let e2 = laplace_rdp(epsilon, 2.0);
    terms.push((second + e2, second.abs() + e2 + lg));
    for l in 3..=n {
        let l = l as f64;
        let t = 3f64.ln() + ln_binomial(nf, l) + times(l, ln_q) + times(nf - l, ln_1q);
        let e = (l - 1.0) * laplace_rdp(epsilon, l);
        terms.push((t + e, t.abs() + e + lg));
    }
    upper_ln_moment(&terms)
}

/// An upper bound on D_α (α > 1) of a Poisson-sampled mechanism, given F at
/// integer orders (`ln_moment`) and the unsampled divergence (`unsampled`).
fn sampled_renyi(
    alpha: f64,
    ln_moment: impl Fn(u64) -> f64,
    unsampled: impl Fn(f64) -> f64,
) -> f64 {
    let cap = unsampled(alpha);
    if alpha.is_nan() || alpha <= 1.0 {
        return f64::INFINITY;
    }
    if alpha > MAX_EXPANDED_ORDER {
        return cap;
    }
    let n = alpha.floor();
    let t = alpha - n;
    let lower = if n < 2.0 { 0.0 } else { ln_moment(n as u64) };
    let f = if t == 0.0 {
        lower
    } else {
        (1.0 - t) * lower + t * ln_moment(n as u64 + 1)
    };
    // Rounding of the chord and the division, pushed up.
    let d = inflate((f * (1.0 + 8.0 * f64::EPSILON)) / deflate(alpha - 1.0));
    d.max(0.0).min(cap)
}

/// D_α of the Poisson-sampled Gaussian with μ = Δ₂/σ and rate q.
pub(crate) fn sampled_gaussian_renyi(mu: f64, q: f64, alpha: f64) -> f64 {
    let rho = mu * mu / 2.0;
    let unsampled = |a: f64| inflate(rho * a);
    if q >= 1.0 {
        return unsampled(alpha);
    }
    sampled_renyi(alpha, |n| gaussian_ln_moment(mu, q, n), unsampled)
}

/// D_α of the Poisson-sampled Laplace with ε₀ = Δ₁/b and rate q.
pub(crate) fn sampled_laplace_renyi(epsilon: f64, q: f64, alpha: f64) -> f64 {
    let unsampled = |a: f64| inflate(laplace_rdp(epsilon, a));
    if q >= 1.0 {
        return unsampled(alpha);
    }
    sampled_renyi(alpha, |n| laplace_ln_moment(epsilon, q, n), unsampled)
}

/// ln(1 + q(e^ε − 1)), rounded up: the ε of the sampled mechanism.
pub(crate) fn amplified_epsilon(epsilon: f64, q: f64) -> f64 {
    if epsilon.is_infinite() {
        return epsilon;
    }
    inflate((q * epsilon.exp_m1()).ln_1p())
        .max(0.0)
        .min(epsilon)
}

/// ln(1 + (e^ε − 1)/q), rounded down: the unsampled ε whose amplification
/// is ε (the sampled mechanism's δ at ε is q times the unsampled δ there).
pub(crate) fn deamplified_epsilon(epsilon: f64, q: f64) -> f64 {
    if epsilon.is_infinite() {
        return epsilon;
    }
    deflate((epsilon.exp_m1() / q).ln_1p()).max(epsilon)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// F(n) of the sampled Gaussian by direct summation in f64 (small n).
    fn direct(mu: f64, q: f64, n: u64) -> f64 {
        let mut s = 0.0;
        for i in 0..=n {
            let c = (ln_binomial(n as f64, i as f64)).exp();
            s += c
                * q.powi(i as i32)
                * (1.0 - q).powi((n - i) as i32)
                * ((i * i - i) as f64 * mu * mu / 2.0).exp();
        }
        s.ln()
    }

    #[test]
    fn gaussian_moment_matches_direct_sum_and_is_above_it() {
        for (mu, q) in [(1.0, 0.01), (0.5, 0.1), (2.0, 0.001)] {
            for n in [2, 3, 7, 20] {
                let ours = gaussian_ln_moment(mu, q, n);
                let d = direct(mu, q, n);
                if !d.is_finite() {
                    continue; // the f64 sum overflows; the log-space one does not
                }
                assert!(ours >= d, "{mu} {q} {n}: {ours} < {d}");
                assert!(ours <= d * (1.0 + 1e-8) + 1e-12, "{ours} vs {d}");
            }
        }
    }

    /// Sampling with q = 1 is no sampling, and the sampled curve is never
    /// above the unsampled one; smaller rates give smaller divergences.
    #[test]
    fn sampled_curves_are_monotone_in_the_rate_and_capped() {
        for alpha in [1.1, 1.5, 2.0, 2.5, 10.0, 63.0, 1024.0, 5000.0] {
            let full = sampled_gaussian_renyi(1.0, 1.0, alpha);
            assert_eq!(full, inflate(0.5 * alpha));
            let mut last = full;
            for q in [0.5, 0.1, 0.01, 0.001] {
                let g = sampled_gaussian_renyi(1.0, q, alpha);
                assert!(g <= last, "alpha {alpha} q {q}: {g} > {last}");
                last = g;
                let l = sampled_laplace_renyi(1.0, q, alpha);
                assert!(l <= inflate(laplace_rdp(1.0, alpha)));
            }
        }
    }

    /// Zhu–Wang's general bound applied to a Gaussian curve is never below
    /// the Gaussian's exact integer-order value (a consistency check of the
    /// formula: the general bound must dominate the exact one).
    #[test]
    fn zhu_wang_bound_dominates_the_exact_gaussian_moment() {
        // The Gaussian curve is αμ²/2; write Zhu–Wang with it directly.
        for (mu, q) in [(1.0f64, 0.01f64), (0.5, 0.2), (2.0, 0.05)] {
            for n in [2u64, 3, 5, 16, 64] {
                let nf = n as f64;
                let rdp = |l: f64| l * mu * mu / 2.0;
                let mut terms = vec![(nf - 1.0) * (-q).ln_1p() + ((nf - 1.0) * q).ln_1p()];
                terms.push(
                    ln_binomial(nf, 2.0) + 2.0 * q.ln() + (nf - 2.0) * (-q).ln_1p() + rdp(2.0),
                );
                for l in 3..=n {
                    let l = l as f64;
                    terms.push(
                        3f64.ln()
                            + ln_binomial(nf, l)
                            + l * q.ln()
                            + times(nf - l, (-q).ln_1p())
                            + (l - 1.0) * rdp(l),
                    );
                }
                let zw = ln_sum_exp(terms.iter().copied());
                // Equal at n = 2; `gaussian_ln_moment` carries a margin of ~10⁻¹².
                let exact = gaussian_ln_moment(mu, q, n);
                assert!(zw >= exact - 1e-11, "{mu} {q} {n}: {zw} < {exact}");
            }
        }
    }

    #[test]
    fn fractional_orders_lie_on_the_chord() {
        let (mu, q) = (1.0, 0.01);
        let a = sampled_gaussian_renyi(mu, q, 2.5);
        let chord = 0.5 * (gaussian_ln_moment(mu, q, 2) + gaussian_ln_moment(mu, q, 3)) / 1.5;
        assert!(a >= chord && a <= chord * (1.0 + 1e-8), "{a} vs {chord}");
        // Below 2 the chord starts from F(1) = 0.
        let b = sampled_gaussian_renyi(mu, q, 1.5);
        assert!(b >= 0.5 * gaussian_ln_moment(mu, q, 2) / 0.5);
    }

    #[test]
    fn amplified_epsilon_round_trips_conservatively() {
        for (e, q) in [(1.0, 0.01), (0.1, 0.5), (5.0, 0.001)] {
            let a = amplified_epsilon(e, q);
            assert!(a >= (q * e.exp_m1()).ln_1p() && a < e);
            assert!(deamplified_epsilon(a, q) <= e * (1.0 + 1e-8));
        }
        assert_eq!(amplified_epsilon(f64::INFINITY, 0.5), f64::INFINITY);
    }
}
