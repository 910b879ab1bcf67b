//! The vocabulary shared by mechanisms, accountants and the budget ledger.

use serde::{Deserialize, Serialize};

/// One private release, described by the mechanism that produced it and the
/// parameters that determine its privacy loss.
///
/// Every mechanism reports the event it performs (`event()`), with the
/// sensitivity it was actually calibrated to (including any rounding to a
/// grid, see [`crate::mechanism`]), so an accountant never has to trust a
/// caller's claim. Neighbouring relation: add/remove one privacy unit, with
/// the sensitivities bounding how far one unit moves the query.
///
/// The variants are a stable vocabulary (they are written to ledgers): a
/// variant or field is never removed or given a new meaning; new mechanisms
/// get new variants.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mechanism", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PrivacyEvent {
    /// Laplace noise of scale `b` on a real-valued query of L1 sensitivity Δ₁:
    /// ε-DP with ε = Δ₁ / b (Dwork, McSherry, Nissim, Smith 2006).
    Laplace {
        /// Δ₁, the L1 sensitivity the noise was calibrated to.
        l1_sensitivity: f64,
        /// b, the noise scale.
        scale: f64,
    },
    /// Discrete Laplace (two-sided geometric) noise, P(x) ∝ exp(−|x|/t), on an
    /// integer query of L1 sensitivity Δ₁: ε-DP with ε = Δ₁ / t (Ghosh,
    /// Roughgarden, Sundararajan 2009; Canonne, Kamath, Steinke 2020).
    DiscreteLaplace {
        /// Δ₁, the L1 sensitivity (an integer number of units).
        l1_sensitivity: f64,
        /// t, the scale in units of the integer grid.
        scale: f64,
    },
    /// Gaussian noise of standard deviation σ on a query of L2 sensitivity Δ₂:
    /// ρ-zCDP with ρ = Δ₂² / (2σ²) (Bun, Steinke 2016), and (ε, δ)-DP exactly
    /// when δ ≥ Φ(Δ₂/(2σ) − εσ/Δ₂) − e^ε Φ(−Δ₂/(2σ) − εσ/Δ₂) (Balle, Wang 2018).
    Gaussian {
        /// Δ₂, the L2 sensitivity the noise was calibrated to.
        l2_sensitivity: f64,
        /// σ, the standard deviation.
        sigma: f64,
    },
    /// Discrete Gaussian noise, P(x) ∝ exp(−x²/(2σ²)) on the integers, on an
    /// integer query of L2 sensitivity Δ₂: ρ-zCDP with ρ = Δ₂² / (2σ²)
    /// (Canonne, Kamath, Steinke 2020).
    DiscreteGaussian {
        /// Δ₂, the L2 sensitivity (in integer units).
        l2_sensitivity: f64,
        /// σ, the scale parameter in integer units.
        sigma: f64,
    },
    /// k-ary randomized response: the true category with probability
    /// e^ε / (e^ε + k − 1), each other one with 1 / (e^ε + k − 1): ε-DP
    /// (Warner 1965; Kairouz, Oh, Viswanath 2014 for k-ary).
    RandomizedResponse {
        /// ε of one response.
        epsilon: f64,
        /// k, the number of categories (2 for binary).
        categories: u64,
    },
    /// The exponential mechanism (or report-noisy-max with Gumbel/exponential
    /// noise) over a utility of sensitivity Δu, run at ε: ε-DP (McSherry,
    /// Talwar 2007), also ε²/8-zCDP (Cesar, Rogers 2021).
    Exponential {
        /// ε of the selection.
        epsilon: f64,
    },
    /// A release whose only known guarantee is ε-DP.
    PureDp {
        /// ε.
        epsilon: f64,
    },
    /// A release whose only known guarantee is (ε, δ)-DP.
    ApproximateDp {
        /// ε.
        epsilon: f64,
        /// δ.
        delta: f64,
    },
    /// A release whose only known guarantee is ρ-zCDP.
    Zcdp {
        /// ρ.
        rho: f64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_with_a_mechanism_tag() {
        let e = PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 10.0,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"mechanism":"laplace","l1_sensitivity":1.0,"scale":10.0}"#
        );
        assert_eq!(serde_json::from_str::<PrivacyEvent>(&json).unwrap(), e);
    }
}
