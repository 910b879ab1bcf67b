//! Pure and approximate DP costs and their composition theorems: basic,
//! advanced (Dwork–Rothblum–Vadhan) and the optimal homogeneous bound
//! (Kairouz–Oh–Viswanath).

use super::atoms::Atoms;
use super::search::bisect_fitting_min;
use super::special::ln_binomial;
use super::zcdp::{Zcdp, check_delta, check_epsilon};
use crate::error::{Error, Result, check_positive, describe_f64};
use crate::rounding::{REL_MARGIN, add_up, count_up, deflate, inflate, mul_up};

/// A pure ε-DP cost: P[M(x) ∈ S] ≤ e^ε P[M(x') ∈ S] for neighbouring x, x'
/// (Dwork, McSherry, Nissim, Smith 2006).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PureDp {
    epsilon: f64,
}

impl PureDp {
    /// An ε-DP cost; ε must be finite and > 0.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon`.
    pub fn new(epsilon: f64) -> Result<PureDp> {
        Ok(PureDp {
            epsilon: check_positive("epsilon", epsilon)?,
        })
    }

    /// ε.
    pub fn epsilon(self) -> f64 {
        self.epsilon
    }

    /// Basic composition: ε₁ + ε₂, rounded up.
    pub fn compose(self, other: PureDp) -> PureDp {
        PureDp {
            epsilon: add_up(self.epsilon, other.epsilon),
        }
    }

    /// `count` releases by basic composition: count·ε, rounded up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `count` if it is 0.
    pub fn repeat(self, count: u64) -> Result<PureDp> {
        check_count(count)?;
        Ok(PureDp {
            epsilon: mul_up(self.epsilon, count_up(count)),
        })
    }

    /// The zCDP cost ρ = ε²/2 (Bun & Steinke 2016, Prop. 3.3), rounded up.
    pub fn to_zcdp(self) -> Zcdp {
        Zcdp::from_pure_epsilon(self.epsilon).expect("epsilon was validated")
    }
}

/// An approximate (ε, δ)-DP cost: P[M(x) ∈ S] ≤ e^ε P[M(x') ∈ S] + δ
/// (Dwork, Kenthapadi, McSherry, Mironov, Naor 2006).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApproxDp {
    epsilon: f64,
    delta: f64,
}

impl ApproxDp {
    /// An (ε, δ)-DP cost with ε finite and ≥ 0 and 0 ≤ δ < 1.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon` or `delta`.
    pub fn new(epsilon: f64, delta: f64) -> Result<ApproxDp> {
        check_epsilon(epsilon)?;
        if !(0.0..1.0).contains(&delta) {
            return Err(Error::invalid(
                "delta",
                format!("must be in [0, 1), got {}", describe_f64(delta)),
            ));
        }
        Ok(ApproxDp { epsilon, delta })
    }

    /// ε.
    pub fn epsilon(self) -> f64 {
        self.epsilon
    }

    /// δ.
    pub fn delta(self) -> f64 {
        self.delta
    }

    /// Basic composition: (ε₁ + ε₂, δ₁ + δ₂), both rounded up (δ capped at 1).
    pub fn compose(self, other: ApproxDp) -> ApproxDp {
        ApproxDp {
            epsilon: add_up(self.epsilon, other.epsilon),
            delta: add_up(self.delta, other.delta).min(1.0),
        }
    }

    /// `count` releases by basic composition: (count·ε, count·δ), rounded up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `count` if it is 0.
    pub fn repeat(self, count: u64) -> Result<ApproxDp> {
        check_count(count)?;
        let c = count_up(count);
        Ok(ApproxDp {
            epsilon: mul_up(self.epsilon, c),
            delta: mul_up(self.delta, c).min(1.0),
        })
    }
}

pub(crate) fn check_count(count: u64) -> Result<()> {
    if count == 0 {
        Err(Error::invalid("count", "must be >= 1, got 0"))
    } else {
        Ok(())
    }
}

/// Advanced composition (Dwork, Rothblum, Vadhan, "Boosting and
/// Differential Privacy", FOCS 2010, Thm. III.3), in its heterogeneous form:
/// releases i = 1…k that are (εᵢ, δᵢ)-DP compose, for any δ' > 0, to
/// (ε', Σδᵢ + δ')-DP with
///
/// ε' = √(2 ln(1/δ') · Σ εᵢ²) + Σ εᵢ (e^{εᵢ} − 1).
///
/// (The DRV proof bounds the sum of privacy losses with Azuma's inequality;
/// each loss lies in [−εᵢ, εᵢ] and has mean ≤ εᵢ(e^{εᵢ} − 1), so the
/// heterogeneous form follows verbatim.)
///
/// `releases` lists (εᵢ, δᵢ, countᵢ); `delta` is the total δ, of which
/// δ' = δ − Σ countᵢ·δᵢ remains for the concentration term. Returns ε',
/// rounded up, or +∞ if δ' ≤ 0.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `delta`, `epsilon` or `count`.
pub fn advanced_composition_epsilon(releases: &[(f64, f64, u64)], delta: f64) -> Result<f64> {
    check_delta(delta)?;
    let (sum_sq, drift, fixed_delta) = drv_terms(releases)?;
    if fixed_delta >= delta {
        return Ok(f64::INFINITY);
    }
    let slack = deflate(delta - fixed_delta);
    if slack <= 0.0 {
        return Ok(f64::INFINITY);
    }
    Ok(inflate((2.0 * (1.0 / slack).ln() * sum_sq).sqrt() + drift))
}

/// The δ of advanced composition at total `epsilon`: Σδᵢ + δ' with
/// δ' = exp(−(ε − Σεᵢ(e^{εᵢ}−1))² / (2Σεᵢ²)) when ε exceeds the drift term,
/// and 1 otherwise. Rounded up.
///
/// # Errors
///
/// As [`advanced_composition_epsilon`].
pub fn advanced_composition_delta(releases: &[(f64, f64, u64)], epsilon: f64) -> Result<f64> {
    check_epsilon(epsilon)?;
    let (sum_sq, drift, fixed_delta) = drv_terms(releases)?;
    if sum_sq == 0.0 {
        return Ok(fixed_delta);
    }
    let gap = epsilon - drift * (1.0 + REL_MARGIN);
    if gap <= 0.0 {
        return Ok(1.0);
    }
    let slack = inflate((-(gap * gap) / (2.0 * sum_sq)).exp());
    Ok(add_up(slack, fixed_delta).min(1.0))
}

/// (Σ count·ε², Σ count·ε(e^ε − 1), Σ count·δ), the first two rounded up.
fn drv_terms(releases: &[(f64, f64, u64)]) -> Result<(f64, f64, f64)> {
    let (mut sum_sq, mut drift, mut fixed) = (0.0, 0.0, 0.0);
    for &(e, d, c) in releases {
        check_epsilon(e)?;
        ApproxDp::new(e, d)?;
        check_count(c)?;
        let c = count_up(c);
        sum_sq = add_up(sum_sq, mul_up(mul_up(e, e), c));
        drift = add_up(drift, mul_up(inflate(e * e.exp_m1()), c));
        fixed = add_up(fixed, mul_up(d, c));
    }
    Ok((sum_sq, drift, fixed.min(1.0)))
}

/// The optimal δ of k-fold composition of an (ε₀, δ₀)-DP mechanism at
/// total ε (Kairouz, Oh, Viswanath, "The Composition Theorem for
/// Differential Privacy", ICML 2015, Thm. 3.3):
///
/// δ = 1 − (1 − δ₀)^k (1 − δ_RR),  δ_RR = Σ_{l : (k−2l)ε₀ > ε} C(k, l) p^{k−l} q^l (1 − e^{ε − (k−2l)ε₀}),
///
/// with p = e^{ε₀}/(1 + e^{ε₀}), q = 1 − p: the exact hockey-stick
/// divergence of k-fold (ε₀, δ₀) randomized response, which dominates every
/// k-fold (ε₀, δ₀)-DP composition. KOV state it at the points ε = (k−2i)ε₀;
/// the sum is exact for every ε. Rounded up: a relative margin covers the
/// error of ln C(k, l) for large k, and terms skipped far below the mode are
/// bounded and added. If more than 2·10⁶ terms would be needed (k beyond
/// about 10⁹ at ε₀ = 0.1), the sum is not evaluated and δ_RR is bounded
/// instead by the Rényi conversion (Canonne, Kamath, Steinke 2020, Prop. 12)
/// of the k-fold randomized response's exact Rényi divergence k·D_α,
/// minimised over every order α > 1: still an upper bound, computed in
/// constant time for every k up to 2⁶⁴ − 1.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `epsilon0`, `delta0`, `count` or `epsilon`.
pub fn optimal_homogeneous_delta(
    epsilon0: f64,
    delta0: f64,
    count: u64,
    epsilon: f64,
) -> Result<f64> {
    check_positive("epsilon0", epsilon0)?;
    check_delta0(delta0)?;
    check_count(count)?;
    check_epsilon(epsilon)?;
    Ok(kov_delta(epsilon0, delta0, count, epsilon))
}

/// The smallest total ε with δ ≤ `delta` under [`optimal_homogeneous_delta`]
/// (bisection returning the safe end; never above k·ε₀ when feasible), or
/// +∞ if `delta` < 1 − (1 − δ₀)^k.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `epsilon0`, `delta0`, `count` or `delta`.
pub fn optimal_homogeneous_epsilon(
    epsilon0: f64,
    delta0: f64,
    count: u64,
    delta: f64,
) -> Result<f64> {
    check_positive("epsilon0", epsilon0)?;
    check_delta0(delta0)?;
    check_count(count)?;
    check_delta(delta)?;
    let total = mul_up(epsilon0, count_up(count));
    if kov_delta(epsilon0, delta0, count, total) > delta {
        return Ok(f64::INFINITY);
    }
    if kov_delta(epsilon0, delta0, count, 0.0) <= delta {
        return Ok(0.0);
    }
    if !kov_exact_feasible(epsilon0, count) {
        // Too many terms to sum: the Rényi bound of k-fold randomized
        // response, inverted directly (δ_RR ≤ δ − (1 − (1 − δ₀)^k)), or k·ε₀.
        let left = deflate(delta - kov_base(delta0, count));
        if left <= 0.0 {
            return Ok(f64::INFINITY);
        }
        let eps = super::rdp::epsilon_any_order(kov_rr_renyi(epsilon0, count), left);
        return Ok(eps.min(total));
    }
    bisect_fitting_min(0.0, total, 1e-10, |e| {
        Ok(kov_delta(epsilon0, delta0, count, e) <= delta)
    })
}

fn check_delta0(delta0: f64) -> Result<()> {
    if (0.0..1.0).contains(&delta0) {
        Ok(())
    } else {
        Err(Error::invalid(
            "delta0",
            format!("must be in [0, 1), got {}", describe_f64(delta0)),
        ))
    }
}

/// The most binomial terms summed by one KOV evaluation.
const MAX_KOV_TERMS: u32 = 2_000_000;

/// Counts above this are not summed term by term (l and k − l stop being
/// exact doubles near 2⁵³); they use the bound of [`kov_rr_bound`].
const MAX_EXACT_KOV_COUNT: u64 = 1 << 50;

fn kov_delta(epsilon0: f64, delta0: f64, count: u64, epsilon: f64) -> f64 {
    let rr = kov_rr_exact(epsilon0, count, epsilon)
        .unwrap_or_else(|| kov_rr_bound(epsilon0, count, epsilon));
    add_up(rr, kov_base(delta0, count)).min(1.0)
}

/// 1 − (1 − δ₀)^k, rounded up: the δ₀ part of KOV's bound.
fn kov_base(delta0: f64, count: u64) -> f64 {
    if delta0 > 0.0 {
        inflate(-(count_up(count) * (-delta0).ln_1p()).exp_m1()).min(1.0)
    } else {
        0.0
    }
}

/// Whether [`kov_rr_exact`] sums its terms at every ε (it needs the most at ε = 0).
fn kov_exact_feasible(epsilon0: f64, count: u64) -> bool {
    if count > MAX_EXACT_KOV_COUNT {
        return false;
    }
    let k = count as f64;
    let mode = (k * (-epsilon0).exp() / (1.0 + (-epsilon0).exp())).floor();
    let spread = (k * (-epsilon0).exp()).sqrt() * 40.0;
    (k / 2.0 - mode).max(0.0) + spread <= f64::from(MAX_KOV_TERMS)
}

/// δ_RR of k-fold ε₀ randomized response at ε, summed term by term and
/// rounded up; `None` when that would take more than [`MAX_KOV_TERMS`] terms
/// or k is beyond [`MAX_EXACT_KOV_COUNT`] (every loop here is bounded by a
/// term count, never by float resolution).
fn kov_rr_exact(epsilon0: f64, count: u64, epsilon: f64) -> Option<f64> {
    if count > MAX_EXACT_KOV_COUNT {
        return None;
    }
    let k = count as f64;
    let ln_p = -(-epsilon0).exp().ln_1p();
    let ln_q = ln_p - epsilon0;
    // Terms l = 0 … l_max have (k − 2l)ε₀ > ε.
    let l_limit = (k - epsilon / epsilon0) / 2.0;
    if l_limit <= 0.0 {
        return Some(0.0);
    }
    let mode = (k * (-epsilon0).exp() / (1.0 + (-epsilon0).exp())).floor();
    // Terms from l_max down to the mode, then about 40 standard deviations
    // of the binomial below it: refuse up front if that is too many.
    let spread = (k * (-epsilon0).exp()).sqrt() * 40.0;
    if (l_limit - mode).max(0.0) + spread > f64::from(MAX_KOV_TERMS) {
        return None;
    }
    // The largest l with (k − 2l)ε₀ > ε as evaluated: the candidate from
    // l_limit is off by at most a step or two of float error (l < 2⁵⁰).
    let mut l_max = l_limit.ceil() - 1.0;
    let mut steps = 0;
    while l_max >= 0.0 && (k - 2.0 * l_max) * epsilon0 <= epsilon {
        l_max -= 1.0;
        steps += 1;
        if steps > 4 {
            return None;
        }
    }
    if l_max < 0.0 {
        return Some(0.0);
    }
    let term = |l: f64| {
        let ln_b = ln_binomial(k, l) + (k - l) * ln_p + l * ln_q;
        (ln_b, -(epsilon - (k - 2.0 * l) * epsilon0).exp_m1())
    };
    let mut sum = 0.0;
    let mut l = l_max;
    let mut tail_bound = 0.0;
    // Sum from the largest l (the bulk, near ε) down; below the mode of the
    // binomial the terms decrease as l decreases, so once they are
    // negligible the rest is at most (l + 1)·(current term).
    let mut terms = 0u32;
    while l >= 0.0 {
        terms += 1;
        if terms > MAX_KOV_TERMS {
            return None;
        }
        let (ln_b, w) = term(l);
        let b = ln_b.exp();
        sum += b * w;
        if l < mode && (b < 1e-20 * sum || b < f64::MIN_POSITIVE) {
            tail_bound = l * b.max(f64::MIN_POSITIVE);
            break;
        }
        l -= 1.0;
    }
    // ln C(k, l) from ln Γ carries an absolute error ~ u·ln Γ(k+1).
    let margin =
        REL_MARGIN + 16.0 * f64::EPSILON * (libm::lgamma(k + 1.0) + k * (ln_p.abs() + ln_q.abs()));
    Some(((sum + tail_bound) * (1.0 + margin)).next_up())
}

/// The Rényi divergence of ε₀ randomized response at order α, times k: an
/// upper bound of the k-fold composition's divergence (see
/// [`Atoms::renyi_upper`](super::atoms::Atoms)).
fn kov_rr_renyi(epsilon0: f64, count: u64) -> impl Fn(f64) -> f64 {
    let rr = Atoms::randomized_response(epsilon0, 0.0);
    let k = count_up(count);
    move |alpha: f64| mul_up(rr.renyi_upper(alpha).min(epsilon0), k)
}

/// δ_RR of k-fold ε₀ randomized response at ε when the exact sum is too
/// long: the Rényi conversion of Canonne, Kamath & Steinke (2020, Prop. 12)
/// applied to the exact Rényi divergence of k-fold randomized response
/// (k·D_α), minimised over every order α > 1. An upper bound of the exact
/// δ_RR (which any valid bound for the k-fold randomized response is), in
/// constant time for any k up to 2⁶⁴ − 1; asymptotically it gives
/// ε ≈ k·KL + √(2k·Var(L)·ln(1/δ)), the shape of the exact answer.
fn kov_rr_bound(epsilon0: f64, count: u64, epsilon: f64) -> f64 {
    super::rdp::delta_any_order(kov_rr_renyi(epsilon0, count), epsilon).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_composition_is_exact_where_possible() {
        let e = PureDp::new(0.1).unwrap().repeat(100).unwrap();
        // 100 × 0.1: the rounded-up product is the double just at or above 10.
        assert!(e.epsilon() >= 10.0 && e.epsilon() <= 10.000000000000002);
        let a = ApproxDp::new(0.5, 1e-6)
            .unwrap()
            .compose(ApproxDp::new(0.25, 1e-7).unwrap());
        assert_eq!(a.epsilon(), 0.75);
        assert!(a.delta() >= 1.1e-6);
        assert!(PureDp::new(0.0).is_err());
        assert!(ApproxDp::new(1.0, 1.0).is_err());
        assert!(PureDp::new(1.0).unwrap().repeat(0).is_err());
    }

    /// 100 Laplace releases at ε = 0.1, δ = 1e-6: the DRV bound
    /// √(2·100·ln 10⁶)·0.1 + 100·0.1·(e^{0.1} − 1) = 6.308230950513408
    /// (benches/peers/accounting_reference.py).
    #[test]
    fn advanced_composition_reference() {
        let e = advanced_composition_epsilon(&[(0.1, 0.0, 100)], 1e-6).unwrap();
        assert!(e >= 6.308230950513408, "{e}");
        assert!(e <= 6.308230950513408 * (1.0 + 1e-8), "{e}");
        let d = advanced_composition_delta(&[(0.1, 0.0, 100)], e).unwrap();
        assert!(
            (1e-6 * (1.0 - 1e-6)..=1e-6 * (1.0 + 1e-6)).contains(&d),
            "{d}"
        );
        // The fixed δ is subtracted first; none left means no bound.
        let e = advanced_composition_epsilon(&[(0.1, 1e-7, 10)], 1e-6).unwrap();
        assert_eq!(e, f64::INFINITY);
        assert!(advanced_composition_delta(&[(0.1, 0.0, 100)], 0.5).unwrap() == 1.0);
    }

    /// dp_accounting 0.6.0 `pld.accountant.advanced_composition` (KOV at the
    /// staircase points ε = (k − 2i)ε₀): 4.8 for (0.1, 0)×100 at δ = 1e-6 and
    /// 14.0 for (0.5, 1e-7)×30 at δ = 1e-5. Our exact inversion is at most the
    /// staircase value and above the previous step.
    #[test]
    fn kov_matches_dp_accounting_staircase() {
        let e = optimal_homogeneous_epsilon(0.1, 0.0, 100, 1e-6).unwrap();
        assert!(e <= 4.8 && e > 4.6, "{e}");
        assert!(kov_delta(0.1, 0.0, 100, 4.8) <= 1e-6);
        assert!(kov_delta(0.1, 0.0, 100, 4.6) > 1e-6);
        let e = optimal_homogeneous_epsilon(0.5, 1e-7, 30, 1e-5).unwrap();
        assert!(e <= 14.0 && e > 13.0, "{e}");
        // Below 1 − (1 − δ₀)^k nothing is possible.
        assert_eq!(
            optimal_homogeneous_epsilon(0.5, 1e-3, 30, 1e-5).unwrap(),
            f64::INFINITY
        );
    }

    /// Known closed forms: one release gives δ(ε) = (e^{ε₀} − e^ε)/(1 + e^{ε₀})
    /// for ε < ε₀; two releases of ε₀ give δ(0) = TV of 2-fold RR = p² − q².
    #[test]
    fn kov_known_values() {
        let e0: f64 = 1.0;
        let d = optimal_homogeneous_delta(e0, 0.0, 1, 0.5).unwrap();
        let exact = (e0.exp() - 0.5f64.exp()) / (1.0 + e0.exp());
        assert!(d >= exact && d <= exact * (1.0 + 1e-8), "{d} vs {exact}");
        let p = e0.exp() / (1.0 + e0.exp());
        let q = 1.0 - p;
        let d = optimal_homogeneous_delta(e0, 0.0, 2, 0.0).unwrap();
        assert!(
            d >= p * p - q * q && d <= (p * p - q * q) * (1.0 + 1e-8),
            "{d}"
        );
        assert_eq!(optimal_homogeneous_delta(e0, 0.0, 5, 5.0).unwrap(), 0.0);
        assert!(optimal_homogeneous_delta(e0, 0.0, 0, 5.0).is_err());
        assert!(optimal_homogeneous_delta(-1.0, 0.0, 1, 5.0).is_err());
    }

    /// 10¹⁵, 10¹⁷ and 2⁶⁴ − 1 releases: answered (the sum used to loop on
    /// a float decrement above 2⁵³), well below basic composition k·ε₀ and
    /// above the mean loss k·KL.
    #[test]
    fn kov_answers_huge_k_with_the_renyi_bound() {
        for k in [1_000_000_000_000_000u64, 100_000_000_000_000_000, u64::MAX] {
            let kf = k as f64;
            let e = optimal_homogeneous_epsilon(0.1, 0.0, k, 1e-6).unwrap();
            // KL of ε₀ randomized response: ε₀·tanh(ε₀/2).
            let kl = 0.1 * (0.05f64).tanh();
            assert!(e < 0.1 * kf * 0.1 && e > kf * kl, "{k}: {e}");
            let d = optimal_homogeneous_delta(0.1, 0.0, k, e).unwrap();
            assert!(d <= 1e-6 * (1.0 + 1e-6), "{k}: {d}");
            // With δ₀: infeasible below 1 − (1 − δ₀)^k, answered above.
            assert_eq!(
                optimal_homogeneous_epsilon(0.1, 1e-30, k, 1e-20).unwrap(),
                f64::INFINITY
            );
        }
    }

    /// The bound used when the sum is too long is never below the exact
    /// sum where both can be computed, and is within a few percent of it.
    #[test]
    fn kov_rr_bound_is_above_the_exact_sum() {
        for (e0, k, eps) in [
            (0.1, 10_000u64, 3.0),
            (0.1, 10_000, 5.0),
            (0.5, 1000, 150.0),
            (0.01, 1_000_000, 4.0),
        ] {
            let exact = kov_rr_exact(e0, k, eps).unwrap().min(1.0);
            let bound = kov_rr_bound(e0, k, eps);
            assert!(bound >= exact, "{e0} {k} {eps}: {bound} < {exact}");
            assert!(bound <= exact * 50.0, "{e0} {k} {eps}: {bound} vs {exact}");
        }
        // Counts it cannot sum are refused up front, not looped over.
        assert!(kov_rr_exact(0.1, 1u64 << 60, 1.0).is_none());
        assert!(!kov_exact_feasible(0.1, 100_000_000_000));
    }

    #[test]
    fn kov_is_fast_and_sane_for_large_k() {
        let e = optimal_homogeneous_epsilon(0.001, 0.0, 1_000_000, 1e-9).unwrap();
        // Between the CLT-ish estimate and DRV.
        let drv = advanced_composition_epsilon(&[(0.001, 0.0, 1_000_000)], 1e-9).unwrap();
        assert!(e < drv && e > 5.0, "{e} vs {drv}");
    }
}
