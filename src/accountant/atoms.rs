//! Privacy-loss distributions with finitely many atoms, for the mechanisms
//! whose worst-case pair of output distributions is discrete.
//!
//! For a dominating pair (P, Q) the privacy loss is L = ln(P(o)/Q(o)) with
//! o ~ P; δ(ε) = E[(1 − e^{ε−L})₊] + P(L = ∞), and the Rényi divergence is
//! D_α = ln E[e^{(α−1)L}] / (α − 1) over the finite part.
//!
//! - ε-DP (pure DP, the exponential mechanism): binary randomized response
//!   with e^ε dominates every ε-DP pair (Kairouz, Oh, Viswanath 2015), losses
//!   ±ε with masses e^ε/(1+e^ε) and 1/(1+e^ε).
//! - (ε, δ)-DP: the same with an atom at +∞ of mass δ (ibid., Thm. 2.1).
//! - k-ary randomized response: losses ε, 0, −ε with masses e^ε/Z, (k−2)/Z,
//!   1/Z, Z = e^ε + k − 1 (replace-one neighbours, as is natural for local
//!   randomizers).
//! - Discrete Laplace with integer sensitivity Δ and scale t (pmf
//!   tanh(1/(2t))·e^{−|x|/t}): loss (|x−Δ| − |x|)/t, i.e. ε = Δ/t for x ≤ 0
//!   (mass 1/(1+e^{−1/t})), (Δ−2x)/t for 0 < x < Δ, and −ε for x ≥ Δ
//!   (mass e^{−Δ/t}/(1+e^{−1/t})).

use super::special::ln_add_exp;
use crate::rounding::{div_down, div_up};

/// Losses (finite), their probabilities under P, and P(L = ∞).
#[derive(Clone, Debug)]
pub(crate) struct Atoms {
    pub(crate) losses: Vec<f64>,
    pub(crate) masses: Vec<f64>,
    pub(crate) infinity: f64,
}

/// The largest discrete-Laplace sensitivity expanded atom by atom; beyond it
/// the event is accounted as pure ε-DP (a valid, slightly looser bound).
pub(crate) const MAX_DISCRETE_ATOMS: f64 = 1_000_000.0;

impl Atoms {
    /// Binary randomized response with ε, plus an atom at ∞ of mass δ.
    pub(crate) fn randomized_response(epsilon: f64, delta: f64) -> Atoms {
        // e^ε/(1+e^ε) = 1/(1+e^{−ε}).
        let p = 1.0 / (1.0 + (-epsilon).exp());
        let q = 1.0 / (1.0 + epsilon.exp());
        Atoms {
            losses: vec![-epsilon, epsilon],
            masses: vec![(1.0 - delta) * q, (1.0 - delta) * p],
            infinity: delta,
        }
    }

    /// k-ary randomized response with ε (k ≥ 2).
    pub(crate) fn k_randomized_response(epsilon: f64, categories: u64) -> Atoms {
        if categories == 2 {
            return Atoms::randomized_response(epsilon, 0.0);
        }
        let k = categories as f64;
        // Z = e^ε + k − 1, computed relative to e^ε to avoid overflow.
        let ln_z = ln_add_exp(epsilon, (k - 1.0).ln());
        Atoms {
            losses: vec![-epsilon, 0.0, epsilon],
            masses: vec![
                (-ln_z).exp(),
                ((k - 2.0).ln() - ln_z).exp(),
                (epsilon - ln_z).exp(),
            ],
            infinity: 0.0,
        }
    }

    /// Discrete Laplace with integer sensitivity and scale t, if small enough
    /// to expand; `None` otherwise (account it as pure ε = Δ/t).
    pub(crate) fn discrete_laplace(sensitivity: f64, scale: f64) -> Option<Atoms> {
        if sensitivity.fract() != 0.0 || sensitivity > MAX_DISCRETE_ATOMS {
            return None;
        }
        let d = sensitivity as u64;
        let r = (-1.0 / scale).exp();
        let tanh = (1.0 / (2.0 * scale)).tanh();
        let mut losses = Vec::with_capacity(d as usize + 1);
        let mut masses = Vec::with_capacity(d as usize + 1);
        // x ≥ Δ: loss −ε, rounded up.
        losses.push(-div_down(sensitivity, scale));
        masses.push((-sensitivity / scale).exp() / (1.0 + r));
        // 0 < x < Δ, from the lowest loss (x = Δ−1) up.
        for x in (1..d).rev() {
            let x = x as f64;
            losses.push(div_up(sensitivity - 2.0 * x, scale));
            masses.push(tanh * (-x / scale).exp());
        }
        // x ≤ 0: loss ε.
        losses.push(div_up(sensitivity, scale));
        masses.push(1.0 / (1.0 + r));
        Some(Atoms {
            losses,
            masses,
            infinity: 0.0,
        })
    }

    /// D_α of the finite part, normalised to a probability distribution:
    /// ln(Σ mᵢ e^{(α−1)ℓᵢ} / Σ mᵢ) / (α − 1).
    pub(crate) fn renyi(&self, alpha: f64) -> f64 {
        let a1 = alpha - 1.0;
        let total: f64 = self.masses.iter().sum();
        let ln_sum = super::special::ln_sum_exp(
            self.losses
                .iter()
                .zip(&self.masses)
                .filter(|(_, m)| **m > 0.0)
                .map(|(l, m)| m.ln() + a1 * l),
        );
        (ln_sum - total.ln()) / a1
    }
}

impl Atoms {
    /// An upper bound of [`Atoms::renyi`] at any order α > 1, accurate also
    /// as α → 1 (where the logarithm of the moment and that of the total
    /// mass nearly cancel): for (α − 1)·max|ℓ| < 1/2 it is
    /// ln(1 + Σ wᵢ (e^{(α−1)ℓᵢ} − 1))/(α − 1) with normalised weights wᵢ, the
    /// sum pushed up by a bound on its rounding error. An absolute term of
    /// (n + 8)·4 ulps of max|ℓ| covers rounding in the masses and losses
    /// (the divergence moves by at most max|ℓ| times their relative error),
    /// and the result is inflated by the crate's relative margin.
    pub(crate) fn renyi_upper(&self, alpha: f64) -> f64 {
        let t = alpha - 1.0;
        let n = self.masses.len() as f64;
        let max_abs = self.losses.iter().fold(0.0f64, |m, l| m.max(l.abs()));
        let d = if t * max_abs < 0.5 {
            let total: f64 = self.masses.iter().sum();
            let (mut sum, mut magnitude) = (0.0, 0.0);
            for (&l, &m) in self.losses.iter().zip(&self.masses) {
                if m > 0.0 {
                    let e = (t * l).exp_m1();
                    let w = m / total;
                    sum += w * e;
                    magnitude += w * e.abs();
                }
            }
            (sum + (n + 8.0) * f64::EPSILON * magnitude).ln_1p() / t
        } else {
            self.renyi(alpha)
        };
        crate::rounding::inflate(d + (n + 8.0) * 4.0 * f64::EPSILON * max_abs).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(a: &Atoms) -> f64 {
        a.masses.iter().sum::<f64>() + a.infinity
    }

    #[test]
    fn atoms_are_probability_distributions() {
        for a in [
            Atoms::randomized_response(0.7, 0.0),
            Atoms::randomized_response(3.0, 1e-6),
            Atoms::k_randomized_response(5f64.ln(), 4),
            Atoms::discrete_laplace(2.0, 5.0).unwrap(),
            Atoms::discrete_laplace(1.0, 0.3).unwrap(),
        ] {
            assert!((total(&a) - 1.0).abs() < 1e-14, "{a:?}");
            assert!(a.losses.windows(2).all(|w| w[0] <= w[1]), "{a:?}");
        }
        assert!(Atoms::discrete_laplace(1.5, 1.0).is_none());
    }

    #[test]
    fn renyi_of_randomized_response_has_the_right_limits() {
        let rr = Atoms::randomized_response(1.0, 0.0);
        // D_α → ε as α → ∞, and D_α ≤ αε²/2.
        assert!((rr.renyi(1e4) - 1.0).abs() < 1e-3);
        for alpha in [1.1, 2.0, 10.0] {
            assert!(rr.renyi(alpha) <= alpha * 0.5 + 1e-12);
        }
        // Discrete Laplace with Δ = 1 is binary-RR-like at the extremes: D_α ≤ ε.
        let dl = Atoms::discrete_laplace(1.0, 2.0).unwrap();
        assert!(dl.renyi(1024.0) <= 0.5);
    }
}
