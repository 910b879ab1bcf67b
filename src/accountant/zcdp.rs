//! Zero-concentrated differential privacy (Bun & Steinke 2016) and its
//! conversion to (ε, δ)-DP (Canonne, Kamath & Steinke 2020).

use crate::error::{Error, Result, check_positive, describe_f64};
use crate::rounding::{REL_MARGIN, add_up, count_up, deflate, inflate, mul_up};

/// A ρ-zCDP guarantee: D_α(M(x) ‖ M(x')) ≤ ρα for every α > 1 and every pair
/// of neighbouring inputs (Bun & Steinke, "Concentrated Differential
/// Privacy: Simplifications, Extensions, and Lower Bounds", TCC 2016).
///
/// Composition adds ρ (Lemma 2.3 there); pure ε-DP implies (ε²/2)-zCDP
/// (Prop. 3.3); the Gaussian mechanism is (Δ²/(2σ²))-zCDP (Prop. 1.6).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Zcdp {
    rho: f64,
}

impl Zcdp {
    /// A ρ-zCDP cost; ρ must be finite and > 0.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `rho`.
    pub fn new(rho: f64) -> Result<Self> {
        Ok(Zcdp {
            rho: check_positive("rho", rho)?,
        })
    }

    /// ρ.
    pub fn rho(self) -> f64 {
        self.rho
    }

    /// The zCDP cost of a pure ε-DP release: ρ = ε²/2 (Bun & Steinke 2016,
    /// Prop. 3.3), rounded up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon` unless ε is finite and > 0.
    pub fn from_pure_epsilon(epsilon: f64) -> Result<Self> {
        check_positive("epsilon", epsilon)?;
        Zcdp::new(mul_up(mul_up(epsilon, epsilon), 0.5))
    }

    /// The composition of two zCDP releases: ρ₁ + ρ₂, rounded up.
    pub fn compose(self, other: Zcdp) -> Zcdp {
        Zcdp {
            rho: add_up(self.rho, other.rho),
        }
    }

    /// `count` releases of this cost: count·ρ, rounded up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `count` if it is 0.
    pub fn repeat(self, count: u64) -> Result<Zcdp> {
        if count == 0 {
            return Err(Error::invalid("count", "must be >= 1, got 0"));
        }
        Ok(Zcdp {
            rho: mul_up(self.rho, count_up(count)),
        })
    }

    /// The δ of (ε, δ)-DP implied at `epsilon` ≥ 0, by the Canonne–Kamath–
    /// Steinke bound (CKS20, "The Discrete Gaussian for Differential
    /// Privacy", Prop. 12 / Cor. 13):
    ///
    /// δ = inf_{α>1} exp((α−1)(αρ−ε)) / (α−1) · (1 − 1/α)^α,
    ///
    /// and also δ ≤ δ(0) = TV ≤ √(1 − e^{−ρ}) (KL ≤ ρ with Bretagnolle–
    /// Huber). The exponent is convex in α; the minimiser is found by
    /// bisection on its derivative (2α−1)ρ − ε + ln(1 − 1/α) (as OpenDP does).
    /// Any α gives a valid bound, so the search needs no care; the final
    /// evaluation is rounded up by a margin covering its float error.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon` if it is negative or not finite.
    pub fn delta(self, epsilon: f64) -> Result<f64> {
        check_epsilon(epsilon)?;
        Ok(cks_delta(self.rho, epsilon))
    }

    /// The smallest ε with (ε, δ)-DP by the same bound: ε = inf_{α>1} αρ +
    /// ln(1 − 1/α) − (ln δ + ln α)/(α − 1), and ε = 0 when
    /// δ ≥ √(1 − e^{−ρ}). Rounded up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `delta` unless 0 < δ < 1.
    pub fn epsilon(self, delta: f64) -> Result<f64> {
        check_delta(delta)?;
        Ok(cks_epsilon(self.rho, delta))
    }
}

pub(crate) fn check_epsilon(epsilon: f64) -> Result<f64> {
    if epsilon.is_finite() && epsilon >= 0.0 {
        Ok(epsilon)
    } else {
        Err(Error::invalid(
            "epsilon",
            format!("must be finite and >= 0, got {}", describe_f64(epsilon)),
        ))
    }
}

pub(crate) fn check_delta(delta: f64) -> Result<f64> {
    if delta > 0.0 && delta < 1.0 {
        Ok(delta)
    } else {
        Err(Error::invalid(
            "delta",
            format!("must be in (0, 1), got {}", describe_f64(delta)),
        ))
    }
}

/// The ε of (ε, δ)-DP implied by a Rényi divergence bound `r` at order
/// `alpha` > 1 (Canonne, Kamath & Steinke 2020, Prop. 12; Asoodeh et al.
/// 2020): `r + ln(1 − 1/α) − (ln δ + ln α)/(α − 1)` for `ln_delta` = ln δ,
/// rounded up by a bound on its float error (+∞ if it is not a number).
/// Every order gives a valid bound; RDP and zCDP conversions minimise it.
pub(crate) fn order_epsilon(r: f64, ln_delta: f64, alpha: f64) -> f64 {
    let l1 = (-1.0 / alpha).ln_1p();
    let t = (ln_delta + alpha.ln()) / (alpha - 1.0);
    let err = 8.0 * f64::EPSILON * (r.abs() + l1.abs() + t.abs());
    let e = r + l1 - t + err;
    if e.is_nan() { f64::INFINITY } else { e }
}

/// ln δ(ε) implied by a Rényi divergence bound `r` at order `alpha` > 1 (the
/// same bound solved for δ): `(α − 1)(r − ε + ln(1 − 1/α)) − ln α`, rounded
/// up by a bound on its float error.
pub(crate) fn order_ln_delta(r: f64, epsilon: f64, alpha: f64) -> f64 {
    let a1 = alpha - 1.0;
    let l1 = (-1.0 / alpha).ln_1p();
    let la = alpha.ln();
    let err = 8.0 * f64::EPSILON * (a1 * (r.abs() + epsilon + l1.abs() + 1.0) + la.abs());
    a1 * (r - epsilon + l1) - la + err
}

/// Whether `delta` alone covers a release whose KL divergence is at most
/// `kl`: δ ≥ √(1 − e^{−KL}) ≥ total variation (Bretagnolle–Huber), so ε = 0
/// suffices. Decided with a relative margin on e^{−KL}.
pub(crate) fn tv_covers(kl: f64, delta: f64) -> bool {
    delta * delta + (-kl).exp_m1() * (1.0 + REL_MARGIN) >= 0.0
}

/// Minimises `f` over orders α > 1: a grid on ln(α − 1) from −30 to 20 in
/// steps of 0.25, refined by golden-section search around its best point.
/// Returns the best order evaluated and its value. Every order gives a valid
/// bound, so the search affects tightness only. (α − 1 down to e⁻³⁰ ≈ 10⁻¹³
/// serves compositions of up to about 10²⁰ releases.) Both loops have fixed
/// trip counts.
pub(crate) fn minimise_over_orders(f: impl Fn(f64) -> f64) -> (f64, f64) {
    let at = |x: f64| f(1.0 + x.exp());
    let (mut best_x, mut best) = (0.0, f64::INFINITY);
    for i in 0..=200u32 {
        let x = -30.0 + 0.25 * f64::from(i);
        let v = at(x);
        if v < best {
            best = v;
            best_x = x;
        }
    }
    let (mut a, mut b) = (best_x - 0.25, best_x + 0.25);
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (at(c), at(d));
    for _ in 0..80 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = at(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = at(d);
        }
    }
    for (x, v) in [(c, fc), (d, fd)] {
        if v < best {
            best = v;
            best_x = x;
        }
    }
    (1.0 + best_x.exp(), best)
}

/// The CKS20 δ(ε) for ρ-zCDP, rounded up.
pub(crate) fn cks_delta(rho: f64, epsilon: f64) -> f64 {
    // Bretagnolle–Huber: TV ≤ √(1 − e^{−KL}) and KL ≤ ρ.
    let tv_bound = inflate((-(-rho).exp_m1()).sqrt()).min(1.0);
    // Bracket the root of the derivative (2α−1)ρ − ε + ln(1 − 1/α), which
    // increases from −∞ at α → 1⁺; at α = (ε+1)/(2ρ) + 2 it is positive.
    let derivative = |a: f64| (2.0 * a - 1.0) * rho - epsilon + (-1.0 / a).ln_1p();
    let mut lo = 1.0;
    let mut hi = (epsilon + 1.0) / (2.0 * rho) + 2.0;
    for _ in 0..200 {
        let mid = lo + 0.5 * (hi - lo);
        if mid <= lo || mid >= hi {
            break;
        }
        if derivative(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let bound = inflate(order_ln_delta(mul_up(hi, rho), epsilon, hi).exp());
    bound.min(tv_bound).min(1.0)
}

/// The CKS20 ε(δ) for ρ-zCDP, rounded up.
pub(crate) fn cks_epsilon(rho: f64, delta: f64) -> f64 {
    if tv_covers(rho, delta) {
        return 0.0;
    }
    let ln_delta = delta.ln();
    let (_, best) = minimise_over_orders(|a| order_epsilon(mul_up(a, rho), ln_delta, a));
    inflate(best.max(0.0)).max(0.0)
}

/// The largest ρ, rounded down, such that ρ-zCDP implies (`epsilon`,
/// `delta`)-DP by the same bound (the inverse of [`cks_epsilon`]): at the
/// order α that maximises it, ρ ≈ (ε − ε_α(0))/α, reduced until the bound
/// evaluated at α (with its error margins) is at most ε; or the largest ρ
/// whose total-variation bound alone covers δ, if larger. Zero when no
/// ρ > 0 qualifies. `epsilon` ≥ 0, 0 < `delta` < 1.
pub(crate) fn cks_max_rho(epsilon: f64, delta: f64) -> f64 {
    debug_assert!(epsilon >= 0.0 && delta > 0.0 && delta < 1.0);
    let ln_delta = delta.ln();
    // Checked as `cks_epsilon` reports it (margin included), so that the ε
    // reported for the returned ρ does not exceed `epsilon`.
    let fits = |rho: f64, alpha: f64| {
        inflate(order_epsilon(mul_up(alpha, rho), ln_delta, alpha)) <= epsilon
    };
    let target = deflate(epsilon);
    let (alpha, neg) = minimise_over_orders(|a| (order_epsilon(0.0, ln_delta, a) - target) / a);
    let from_orders = largest_fitting(-neg, |rho| fits(rho, alpha));
    // TV: δ ≥ √(1 − e^{−ρ}) for ρ ≤ −ln(1 − δ²), with the margin of `tv_covers`.
    let tv = -(-(delta * delta) / (1.0 + REL_MARGIN)).ln_1p();
    let from_tv = largest_fitting(tv, |rho| tv_covers(rho, delta));
    from_orders.max(from_tv)
}

/// The first of `candidate` and a few slightly smaller values that `fits`
/// (the candidate's own float error is far below the first steps), or 0.
fn largest_fitting(candidate: f64, fits: impl Fn(f64) -> bool) -> f64 {
    if candidate.is_nan() || candidate <= 0.0 || candidate.is_infinite() {
        return 0.0;
    }
    [
        1.0,
        1.0 - 1e-15,
        1.0 - 1e-13,
        1.0 - 1e-11,
        1.0 - 1e-9,
        1.0 - 1e-7,
        1.0 - 1e-5,
        1.0 - 1e-3,
        0.5,
        0.1,
    ]
    .into_iter()
    .map(|shrink| candidate * shrink)
    .find(|&rho| fits(rho))
    .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CKS ε by brute force: the minimum of the formula over a dense grid
    /// of orders, evaluated independently of the search above.
    fn brute_force_epsilon(rho: f64, delta: f64) -> f64 {
        let mut best = f64::INFINITY;
        for i in 1..400_000 {
            let alpha = 1.0 + i as f64 * 1e-3 * (1.0 + i as f64 / 1000.0);
            let e =
                alpha * rho + (1.0 - 1.0 / alpha).ln() - (delta.ln() + alpha.ln()) / (alpha - 1.0);
            best = best.min(e);
        }
        best.max(0.0)
    }

    #[test]
    fn cks_epsilon_matches_a_direct_numeric_minimisation() {
        for &(rho, delta) in &[
            (0.5, 1e-6),
            (0.05, 1e-5),
            (2.0, 1e-9),
            (0.001, 1e-3),
            (10.0, 1e-6),
        ] {
            let ours = Zcdp::new(rho).unwrap().epsilon(delta).unwrap();
            let brute = brute_force_epsilon(rho, delta);
            assert!(ours >= brute * (1.0 - 1e-6), "rho={rho}: {ours} < {brute}");
            assert!(
                ours <= brute * (1.0 + 1e-6) + 1e-12,
                "rho={rho}: {ours} vs {brute}"
            );
            // Tighter than Bun–Steinke's ρ + 2√(ρ ln(1/δ)).
            assert!(ours <= rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt());
        }
    }

    #[test]
    fn cks_delta_and_epsilon_are_consistent() {
        let z = Zcdp::new(0.5).unwrap();
        let e = z.epsilon(1e-6).unwrap();
        let d = z.delta(e).unwrap();
        assert!(d <= 1e-6 * (1.0 + 1e-6), "{d}");
        assert!(d >= 1e-6 * (1.0 - 1e-6), "{d}");
        // Large ε: tiny δ without underflow trouble.
        assert!(z.delta(50.0).unwrap() < 1e-100);
        // ε = 0: bounded by total variation.
        assert!(z.delta(0.0).unwrap() <= 1.0);
    }

    #[test]
    fn max_rho_inverts_the_epsilon_conversion() {
        for &(eps, delta) in &[
            (1.0, 1e-5),
            (0.5, 1e-6),
            (8.0, 1e-9),
            (0.01, 0.1),
            (100.0, 1e-12),
            (1e-4, 1e-3),
        ] {
            let rho = cks_max_rho(eps, delta);
            assert!(rho > 0.0, "{eps} {delta}");
            // Admissible by the forward conversion's own search (up to its
            // search tolerance), and by the bound at every order of a scan.
            let back = cks_epsilon(rho, delta);
            assert!(back <= eps * (1.0 + 1e-12), "{eps}: {back}");
            // Tight: 0.1% more ρ exceeds ε at every order of a dense scan.
            let more = rho * 1.001;
            let min = (1..200_000)
                .map(|k| {
                    let a = 1.0 + 10f64.powf(-8.0 + k as f64 * 1e-4);
                    a * more + (1.0 - 1.0 / a).ln() - (delta.ln() + a.ln()) / (a - 1.0)
                })
                .fold(f64::INFINITY, f64::min);
            assert!(
                min > eps || tv_covers(more, delta),
                "{eps} {delta}: not tight ({min})"
            );
        }
        // ε = 0: at least what the total-variation bound admits (−ln(1 − δ²)).
        let r = cks_max_rho(0.0, 1e-3);
        assert!(r >= 0.999_999e-6, "{r}");
        assert!(cks_epsilon(r, 1e-3) <= 1e-9, "{r}");
    }

    #[test]
    fn per_order_bounds_agree_with_each_other() {
        // ε_α(δ) and ln δ_α(ε) are the same bound solved two ways.
        for &(r, alpha, delta) in &[(0.5, 3.0, 1e-6), (2.0, 1.5, 1e-9), (0.01, 40.0, 1e-4)] {
            let eps = order_epsilon(r, f64::ln(delta), alpha);
            let back = order_ln_delta(r, eps, alpha).exp();
            assert!(
                back <= delta * (1.0 + 1e-12) && back >= delta * (1.0 - 1e-9),
                "{back}"
            );
        }
        assert_eq!(order_epsilon(f64::NAN, -1.0, 2.0), f64::INFINITY);
    }

    #[test]
    fn composition_and_conversions() {
        let z = Zcdp::from_pure_epsilon(0.1).unwrap();
        assert!(z.rho() >= 0.005 && z.rho() < 0.005 * (1.0 + 1e-15));
        let two = z.compose(z);
        assert!(two.rho() >= 0.01);
        assert_eq!(z.repeat(2).unwrap().rho(), two.rho());
        assert!(z.repeat(0).is_err());
    }

    #[test]
    fn bad_input_is_rejected() {
        assert_eq!(
            Zcdp::new(f64::NAN).unwrap_err().to_string(),
            "rho must be finite and > 0, got NaN"
        );
        assert!(Zcdp::new(0.0).is_err());
        let z = Zcdp::new(1.0).unwrap();
        assert_eq!(
            z.epsilon(1.0).unwrap_err().to_string(),
            "delta must be in (0, 1), got 1"
        );
        assert!(z.epsilon(0.0).is_err());
        assert!(z.delta(-1.0).is_err());
        assert!(z.delta(f64::INFINITY).is_err());
    }
}
