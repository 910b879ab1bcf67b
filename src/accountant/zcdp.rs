//! Zero-concentrated differential privacy (Bun & Steinke 2016) and its
//! conversion to (ε, δ)-DP (Canonne, Kamath & Steinke 2020).

use crate::error::{Error, Result, check_positive, describe_f64};
use crate::rounding::{REL_MARGIN, add_up, count_up, inflate, mul_up};

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

/// ln δ_α(ε) of the CKS bound at order α and a bound on its absolute float error.
fn cks_ln_delta(rho: f64, epsilon: f64, alpha: f64) -> (f64, f64) {
    let a1 = alpha - 1.0;
    let t1 = a1 * (alpha * rho - epsilon);
    let t2 = alpha * (-1.0 / alpha).ln_1p();
    let t3 = a1.ln();
    let err = 8.0 * f64::EPSILON * (t1.abs() + a1 * (alpha * rho + epsilon) + t2.abs() + t3.abs());
    (t1 + t2 - t3, err)
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
    let (ln_delta, err) = cks_ln_delta(rho, epsilon, hi);
    let bound = inflate((ln_delta + err).exp());
    bound.min(tv_bound).min(1.0)
}

/// ε_α(δ) of the CKS bound at order α, rounded up by a margin covering its float error.
fn cks_epsilon_at(rho: f64, delta: f64, alpha: f64) -> f64 {
    let a1 = alpha - 1.0;
    let t1 = alpha * rho;
    let t2 = (-1.0 / alpha).ln_1p();
    let t3 = (delta.ln() + alpha.ln()) / a1;
    let err = 8.0 * f64::EPSILON * (t1.abs() + t2.abs() + t3.abs());
    let e = t1 + t2 - t3 + err;
    if e.is_nan() { f64::INFINITY } else { e }
}

/// The CKS20 ε(δ) for ρ-zCDP, rounded up.
pub(crate) fn cks_epsilon(rho: f64, delta: f64) -> f64 {
    if delta * delta + (-rho).exp_m1() * (1.0 + REL_MARGIN) >= 0.0 {
        // δ ≥ √(1 − e^{−ρ}) ≥ TV: ε = 0 suffices.
        return 0.0;
    }
    // ε_α is minimised over α > 1 by golden-section search on ln(α − 1),
    // started from the best point of a coarse logarithmic grid; every α gives
    // a valid bound, so the search only affects tightness.
    let f = |x: f64| cks_epsilon_at(rho, delta, 1.0 + x.exp());
    let (mut best_x, mut best) = (0.0, f64::INFINITY);
    let mut x = -20.0;
    while x <= 20.0 {
        let v = f(x);
        if v < best {
            best = v;
            best_x = x;
        }
        x += 0.25;
    }
    let (mut a, mut b) = (best_x - 0.25, best_x + 0.25);
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..80 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    let best = best.min(fc).min(fd);
    inflate(best.max(0.0)).max(0.0)
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
