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
    /// Discrete Gaussian noise, P(x) ∝ exp(−x²/(2σ²)) on the integers, added
    /// independently to each coordinate of an integer-valued query (one
    /// integer, or a vector such as a table of counts) whose values on
    /// neighbouring inputs differ by an integer vector of L2 norm at most Δ₂:
    /// ρ-zCDP with ρ = Δ₂² / (2σ²) (Canonne, Kamath, Steinke 2020, Thm. 14,
    /// which covers vectors).
    ///
    /// Its (ε, δ) profile and privacy-loss distribution depend on how the
    /// shift can be spread over coordinates (for a vector the worst case is
    /// not the one-dimensional one), so the event says how many coordinates
    /// may change; see [`PrivacyEvent::discrete_gaussian`] and
    /// [`PrivacyEvent::discrete_gaussian_vector`].
    DiscreteGaussian {
        /// Δ₂, the L2 sensitivity (in integer units).
        l2_sensitivity: f64,
        /// σ, the scale parameter in integer units.
        sigma: f64,
        /// d: at most this many coordinates differ between neighbouring
        /// inputs (the vector's dimension, or any smaller bound such as a
        /// table's L0). `Some(1)`: one integer-valued query. `None`: any
        /// number of coordinates — the bound valid for every vector, and the
        /// reading of ledger entries written before this field existed
        /// (which omit it; it is omitted from JSON when `None`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dimension: Option<u64>,
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
    /// The Gaussian mechanism (σ, L2 sensitivity Δ₂, continuous noise) run on
    /// a Poisson sample of the input: each privacy unit is kept
    /// independently with probability `rate` (q). Neighbouring relation:
    /// add/remove one unit. Rényi DP at integer orders n: the exact
    /// binomial expansion E[((1−q) + q·P/Q)ⁿ] = Σᵢ C(n,i) qⁱ(1−q)ⁿ⁻ⁱ
    /// e^{i(i−1)Δ₂²/(2σ²)} of the removal direction, which dominates the
    /// addition direction (Mironov, Talwar, Zhang 2019, Thm. 5); other
    /// orders by the convexity of (α−1)·D_α in α. (ε, δ) of one release:
    /// (ln(1 + q(e^ε − 1)), q·δ(ε)) from the unsampled profile (Balle,
    /// Barthe, Gaboardi 2018, Thm. 8). zCDP: the unsampled ρ (sampling is
    /// not credited there). Use [`crate::bound::poisson_sample`] to sample.
    PoissonSampledGaussian {
        /// Δ₂, the L2 sensitivity the noise was calibrated to.
        l2_sensitivity: f64,
        /// σ, the standard deviation.
        sigma: f64,
        /// q ∈ (0, 1], the probability with which each unit is kept.
        rate: f64,
    },
    /// The Laplace mechanism (scale b, L1 sensitivity Δ₁, ε₀ = Δ₁/b) run on
    /// a Poisson sample of rate q (add/remove one unit): pure
    /// ln(1 + q(e^{ε₀} − 1))-DP (Li, Qardaji, Su 2012; Balle et al. 2018);
    /// Rényi DP at integer orders by the general Poisson-subsampling bound
    /// of Zhu and Wang 2019 (Thm. 6) applied to the Laplace curve, other
    /// orders by convexity; (ε, δ) of one release as for
    /// [`PrivacyEvent::PoissonSampledGaussian`].
    PoissonSampledLaplace {
        /// Δ₁, the L1 sensitivity the noise was calibrated to.
        l1_sensitivity: f64,
        /// b, the noise scale.
        scale: f64,
        /// q ∈ (0, 1], the probability with which each unit is kept.
        rate: f64,
    },
    /// Continual release of a running count over `periods` periods by the
    /// binary-tree mechanism (Dwork, Naor, Pitassi, Rothblum 2010; Chan,
    /// Shi, Song 2011) with discrete Laplace noise of scale t on every tree
    /// node: the whole series of prefix sums is ε-DP with ε = L·Δ/t, where
    /// L = ⌊log₂ periods⌋ + 1 is the number of tree levels and Δ bounds
    /// what one unit adds to the whole stream (Σ over periods of its
    /// contribution). Each period lies in one node per level, so the node
    /// vector has L1 sensitivity L·Δ. Accounted as a
    /// [`PrivacyEvent::DiscreteLaplace`] of L1 sensitivity L·Δ.
    ContinualCountLaplace {
        /// The number of periods the counter accepts (its horizon T).
        periods: u64,
        /// Δ, the most one unit changes the stream, summed over periods.
        sensitivity: f64,
        /// t, the discrete Laplace scale of each node.
        scale: f64,
    },
    /// As [`PrivacyEvent::ContinualCountLaplace`] with discrete Gaussian
    /// noise of scale σ on every node: ρ-zCDP with ρ = L·Δ²/(2σ²), since the
    /// change of each tree level has L1 (hence L2) norm at most Δ, so the
    /// node vector has L2 sensitivity √L·Δ (CKS20 Thm. 14 for vectors).
    /// Accounted as a [`PrivacyEvent::DiscreteGaussian`] vector of L2
    /// sensitivity √L·Δ (any number of coordinates).
    ContinualCountGaussian {
        /// The number of periods the counter accepts (its horizon T).
        periods: u64,
        /// Δ, the most one unit changes the stream, summed over periods.
        sensitivity: f64,
        /// σ, the discrete Gaussian scale of each node.
        sigma: f64,
    },
}

/// The number of levels of the binary tree over `periods` periods:
/// ⌊log₂ periods⌋ + 1 (0 for 0 periods).
pub(crate) const fn tree_levels(periods: u64) -> u32 {
    64 - periods.leading_zeros()
}

impl PrivacyEvent {
    /// For a continual-count event, the single event the accountant treats
    /// it as (the noisy tree nodes released together); `None` otherwise.
    pub fn tree_equivalent(&self) -> Option<PrivacyEvent> {
        use crate::rounding::{mul_up, sqrt_up};
        match *self {
            PrivacyEvent::ContinualCountLaplace {
                periods,
                sensitivity,
                scale,
            } => Some(PrivacyEvent::DiscreteLaplace {
                l1_sensitivity: mul_up(f64::from(tree_levels(periods)), sensitivity),
                scale,
            }),
            PrivacyEvent::ContinualCountGaussian {
                periods,
                sensitivity,
                sigma,
            } => Some(PrivacyEvent::DiscreteGaussian {
                l2_sensitivity: mul_up(sqrt_up(f64::from(tree_levels(periods))), sensitivity),
                sigma,
                dimension: None,
            }),
            _ => None,
        }
    }

    /// A [`PrivacyEvent::DiscreteGaussian`] on one integer-valued query
    /// (`dimension: Some(1)`).
    pub const fn discrete_gaussian(l2_sensitivity: f64, sigma: f64) -> PrivacyEvent {
        PrivacyEvent::DiscreteGaussian {
            l2_sensitivity,
            sigma,
            dimension: Some(1),
        }
    }

    /// A [`PrivacyEvent::DiscreteGaussian`] on an integer vector of which at
    /// most `dimension` coordinates change between neighbouring inputs
    /// (`None`: any number).
    pub const fn discrete_gaussian_vector(
        l2_sensitivity: f64,
        sigma: f64,
        dimension: Option<u64>,
    ) -> PrivacyEvent {
        PrivacyEvent::DiscreteGaussian {
            l2_sensitivity,
            sigma,
            dimension,
        }
    }
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

    /// Ledger entries written before the `dimension` field existed still
    /// parse (as "any number of coordinates"), scalar and vector events
    /// round-trip, and `None` is written exactly as the old format.
    #[test]
    fn discrete_gaussian_events_read_old_and_new_json() {
        let old =
            r#"{"mechanism":"discrete_gaussian","l2_sensitivity":1.4142135623730951,"sigma":3.0}"#;
        let e: PrivacyEvent = serde_json::from_str(old).unwrap();
        assert_eq!(
            e,
            PrivacyEvent::discrete_gaussian_vector(std::f64::consts::SQRT_2, 3.0, None)
        );
        assert_eq!(serde_json::to_string(&e).unwrap(), old);
        for e in [
            PrivacyEvent::discrete_gaussian(2.0, 5.0),
            PrivacyEvent::discrete_gaussian_vector(2.0, 5.0, Some(4)),
        ] {
            let json = serde_json::to_string(&e).unwrap();
            assert!(json.contains(r#""dimension":"#), "{json}");
            assert_eq!(serde_json::from_str::<PrivacyEvent>(&json).unwrap(), e);
        }
    }
}
