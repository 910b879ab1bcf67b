//! What one [`PrivacyEvent`] costs in each privacy measure.
//!
//! Every conversion returns an upper bound on the event's true loss: rational
//! quantities are rounded up exactly (see `rounding`), irrational ones carry
//! a margin, and searches return their safe end.

use super::atoms::Atoms;
use super::gaussian::{gaussian_delta, gaussian_epsilon};
use super::lattice::LatticeProfile;
use super::rdp::RdpCurve;
use super::sampled::{
    amplified_epsilon, deamplified_epsilon, sampled_gaussian_renyi, sampled_laplace_renyi,
};
use super::search::bisect_fitting_min;
use super::zcdp::{check_delta, check_epsilon, cks_delta, cks_epsilon};
use super::{Pld, PrivacyEvent};
use crate::error::{Error, Result, check_positive, describe_f64};
use crate::mechanism::discrete_gaussian_delta;
use crate::rounding::{REL_MARGIN, div_up, inflate, mul_up};

impl PrivacyEvent {
    /// Checks the event's parameters: sensitivities, scales, ε and ρ finite
    /// and > 0; `categories` ≥ 2; for [`PrivacyEvent::ApproximateDp`], ε ≥ 0
    /// and 0 ≤ δ < 1.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the field, e.g.
    /// `"sigma must be finite and > 0, got 0"`.
    pub fn validate(&self) -> Result<()> {
        use PrivacyEvent as E;
        match *self {
            E::PoissonSampledGaussian {
                l2_sensitivity,
                sigma,
                rate,
            } => {
                check_positive("l2_sensitivity", l2_sensitivity)?;
                check_positive("sigma", sigma)?;
                check_rate(rate)?;
            }
            E::PoissonSampledLaplace {
                l1_sensitivity,
                scale,
                rate,
            } => {
                check_positive("l1_sensitivity", l1_sensitivity)?;
                check_positive("scale", scale)?;
                check_rate(rate)?;
            }
            E::ContinualCountLaplace {
                periods,
                sensitivity,
                ..
            }
            | E::ContinualCountGaussian {
                periods,
                sensitivity,
                ..
            } => {
                if periods == 0 {
                    return Err(Error::invalid("periods", "must be >= 1, got 0"));
                }
                check_positive("sensitivity", sensitivity)?;
                self.tree_equivalent()
                    .expect("a continual count has a tree equivalent")
                    .validate()?;
            }
            E::Laplace {
                l1_sensitivity,
                scale,
            }
            | E::DiscreteLaplace {
                l1_sensitivity,
                scale,
            } => {
                check_positive("l1_sensitivity", l1_sensitivity)?;
                check_positive("scale", scale)?;
            }
            E::Gaussian {
                l2_sensitivity,
                sigma,
            } => {
                check_positive("l2_sensitivity", l2_sensitivity)?;
                check_positive("sigma", sigma)?;
            }
            E::DiscreteGaussian {
                l2_sensitivity,
                sigma,
                dimension,
            } => {
                check_positive("l2_sensitivity", l2_sensitivity)?;
                check_positive("sigma", sigma)?;
                if dimension == Some(0) {
                    return Err(Error::invalid("dimension", "must be >= 1, got 0"));
                }
            }
            E::RandomizedResponse {
                epsilon,
                categories,
            } => {
                check_positive("epsilon", epsilon)?;
                if categories < 2 {
                    return Err(Error::invalid(
                        "categories",
                        format!("must be >= 2, got {categories}"),
                    ));
                }
            }
            E::Exponential { epsilon } | E::PureDp { epsilon } => {
                check_positive("epsilon", epsilon)?;
            }
            E::ApproximateDp { epsilon, delta } => {
                check_epsilon(epsilon)?;
                if !(0.0..1.0).contains(&delta) {
                    return Err(Error::invalid(
                        "delta",
                        format!("must be in [0, 1), got {}", describe_f64(delta)),
                    ));
                }
            }
            E::Zcdp { rho } => {
                check_positive("rho", rho)?;
            }
        }
        Ok(())
    }

    /// The ε of pure ε-DP, if the event has one; `None` for Gaussian,
    /// discrete Gaussian, zCDP and (ε, δ > 0) events.
    ///
    /// Laplace and discrete Laplace: Δ₁/b, rounded up exactly; randomized
    /// response, exponential mechanism, pure DP: their ε as given;
    /// `ApproximateDp` with δ = 0: its ε.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] as for [`PrivacyEvent::validate`].
    pub fn pure_epsilon(&self) -> Result<Option<f64>> {
        self.validate()?;
        if let Some(tree) = self.tree_equivalent() {
            return tree.pure_epsilon();
        }
        use PrivacyEvent as E;
        Ok(match *self {
            E::PoissonSampledLaplace {
                l1_sensitivity,
                scale,
                rate,
            } => Some(amplified_epsilon(div_up(l1_sensitivity, scale), rate)),
            E::Laplace {
                l1_sensitivity,
                scale,
            }
            | E::DiscreteLaplace {
                l1_sensitivity,
                scale,
            } => Some(div_up(l1_sensitivity, scale)),
            E::RandomizedResponse { epsilon, .. }
            | E::Exponential { epsilon }
            | E::PureDp { epsilon } => Some(epsilon),
            E::ApproximateDp {
                epsilon,
                delta: 0.0,
            } => Some(epsilon),
            E::Gaussian { .. }
            | E::DiscreteGaussian { .. }
            | E::ApproximateDp { .. }
            | E::Zcdp { .. }
            | E::PoissonSampledGaussian { .. }
            | E::ContinualCountLaplace { .. }
            | E::ContinualCountGaussian { .. } => None,
        })
    }

    /// The (ε, δ) guarantee the event carries by itself, without choosing a δ:
    /// (ε, 0) for pure-DP events, (ε, δ) for [`PrivacyEvent::ApproximateDp`];
    /// `None` for Gaussian, discrete Gaussian and zCDP events (whose ε
    /// depends on the δ chosen: see [`PrivacyEvent::epsilon_at_delta`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] as for [`PrivacyEvent::validate`].
    pub fn native_approximate_dp(&self) -> Result<Option<(f64, f64)>> {
        if let PrivacyEvent::ApproximateDp { epsilon, delta } = *self {
            self.validate()?;
            return Ok(Some((epsilon, delta)));
        }
        Ok(self.pure_epsilon()?.map(|e| (e, 0.0)))
    }

    /// The ρ of ρ-zCDP, rounded up; `None` for (ε, δ > 0) events.
    ///
    /// Gaussian and discrete Gaussian: Δ₂²/(2σ²) (Bun & Steinke 2016,
    /// Prop. 1.6; Canonne, Kamath & Steinke 2020, Thm. 14); zCDP: ρ;
    /// exponential mechanism: ε²/8 (Cesar & Rogers 2021, bounded range);
    /// other pure ε-DP events: ε²/2 (Bun & Steinke 2016, Prop. 3.3).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] as for [`PrivacyEvent::validate`].
    pub fn zcdp_rho(&self) -> Result<Option<f64>> {
        self.validate()?;
        if let Some(tree) = self.tree_equivalent() {
            return tree.zcdp_rho();
        }
        use PrivacyEvent as E;
        Ok(match *self {
            E::Gaussian {
                l2_sensitivity,
                sigma,
            }
            | E::PoissonSampledGaussian {
                l2_sensitivity,
                sigma,
                ..
            }
            | E::DiscreteGaussian {
                l2_sensitivity,
                sigma,
                ..
            } => {
                let mu = div_up(l2_sensitivity, sigma);
                Some(mul_up(mul_up(mu, mu), 0.5))
            }
            E::Zcdp { rho } => Some(rho),
            E::Exponential { epsilon } => Some(mul_up(mul_up(epsilon, epsilon), 0.125)),
            E::Laplace { .. }
            | E::DiscreteLaplace { .. }
            | E::RandomizedResponse { .. }
            | E::PureDp { .. }
            | E::ApproximateDp { .. }
            | E::PoissonSampledLaplace { .. }
            | E::ContinualCountLaplace { .. }
            | E::ContinualCountGaussian { .. } => {
                self.pure_epsilon()?.map(|e| mul_up(mul_up(e, e), 0.5))
            }
        })
    }

    /// The event's RDP curve over [`super::RDP_ORDERS`].
    ///
    /// Gaussian, discrete Gaussian, zCDP: ρα; Laplace: the tight curve
    /// (Mironov 2017, Prop. 6); discrete Laplace, randomized response, pure
    /// DP: the exact Rényi divergence of their dominating pair (see
    /// `atoms`); exponential mechanism: min(ε-RR curve, αε²/8); (ε, δ)-DP:
    /// the ε-RR curve with δ carried separately.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] as for [`PrivacyEvent::validate`].
    pub fn rdp_curve(&self) -> Result<RdpCurve> {
        self.validate()?;
        if let Some(tree) = self.tree_equivalent() {
            return tree.rdp_curve();
        }
        use PrivacyEvent as E;
        Ok(match *self {
            E::PoissonSampledGaussian { .. } | E::PoissonSampledLaplace { .. } => {
                RdpCurve::from_fn(|a| self.renyi_bound(a))
            }
            E::ContinualCountLaplace { .. } | E::ContinualCountGaussian { .. } => {
                return Err(Error::Internal("continual counts are reduced above".into()));
            }
            E::Gaussian { .. } | E::DiscreteGaussian { .. } | E::Zcdp { .. } => {
                RdpCurve::from_zcdp(self.zcdp_rho()?.expect("these events have a rho"))
            }
            E::Laplace {
                l1_sensitivity,
                scale,
            } => RdpCurve::from_laplace(div_up(l1_sensitivity, scale)),
            E::Exponential { epsilon } => {
                let rr = Atoms::randomized_response(epsilon, 0.0);
                let rho = mul_up(mul_up(epsilon, epsilon), 0.125);
                RdpCurve::from_fn(|a| rr.renyi_upper(a).min(a * rho).min(epsilon))
            }
            E::ApproximateDp { epsilon, delta } => RdpCurve::from_approximate_dp(epsilon, delta),
            E::DiscreteLaplace { .. } | E::RandomizedResponse { .. } | E::PureDp { .. } => {
                let atoms = self.atoms().expect("the remaining events are atomic");
                let cap = self.pure_epsilon()?.unwrap_or(f64::INFINITY);
                RdpCurve::from_fn(|a| atoms.renyi_upper(a).min(cap))
            }
        })
    }

    /// The event's privacy-loss distribution on a grid of `step` (see [`Pld::from_event`]).
    ///
    /// # Errors
    ///
    /// As [`Pld::from_event`].
    pub fn pld(&self, step: f64) -> Result<Pld> {
        Pld::from_event(self, step)
    }

    /// The dominating pair's atoms for events whose loss is discrete.
    pub(crate) fn atoms(&self) -> Option<Atoms> {
        use PrivacyEvent as E;
        Some(match *self {
            E::DiscreteLaplace {
                l1_sensitivity,
                scale,
            } => Atoms::discrete_laplace(l1_sensitivity, scale)
                .unwrap_or_else(|| Atoms::randomized_response(div_up(l1_sensitivity, scale), 0.0)),
            E::RandomizedResponse {
                epsilon,
                categories,
            } => Atoms::k_randomized_response(epsilon, categories),
            E::Exponential { epsilon } | E::PureDp { epsilon } => {
                Atoms::randomized_response(epsilon, 0.0)
            }
            E::ApproximateDp { epsilon, delta } => Atoms::randomized_response(epsilon, delta),
            E::ContinualCountLaplace { .. } | E::ContinualCountGaussian { .. } => {
                return self.tree_equivalent().and_then(|t| t.atoms());
            }
            E::Laplace { .. }
            | E::Gaussian { .. }
            | E::DiscreteGaussian { .. }
            | E::Zcdp { .. }
            | E::PoissonSampledGaussian { .. }
            | E::PoissonSampledLaplace { .. } => return None,
        })
    }

    /// The smallest δ such that one release of this event is (ε, δ)-DP,
    /// rounded up, from the tightest profile known for the mechanism:
    /// Laplace exactly (δ = 1 − e^{(ε−ε₀)/2} for ε < ε₀), Gaussian exactly
    /// (Balle & Wang 2018), atomic dominating pairs exactly, zCDP by the
    /// CKS20 bound on ρ, discrete Gaussian by the smaller of that and a
    /// bound for its dimension: for one integer query (`dimension: Some(1)`)
    /// the rigorous bound of [`crate::mechanism::discrete_gaussian_delta`]
    /// (Balle–Wang's δ plus a term below 2⁻³⁰·δ at large σ, the exact CKS20
    /// Thm. 7 sum at small σ); for a vector the exact lattice sum over every
    /// worst-case way of spreading the shift over coordinates, rounded up
    /// (when ⌊Δ₂²⌋ ≤ 1024 and the sums are small enough; otherwise only the
    /// CKS20 bound, which holds for vectors: CKS20 Thm. 14).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `epsilon` (negative or not finite)
    /// or an invalid event parameter.
    pub fn delta_at_epsilon(&self, epsilon: f64) -> Result<f64> {
        self.validate()?;
        check_epsilon(epsilon)?;
        if let Some(tree) = self.tree_equivalent() {
            return tree.delta_at_epsilon(epsilon);
        }
        if let Some((inner, q)) = self.unsampled() {
            // (ε, δ) ↦ (ln(1 + q(e^ε − 1)), qδ) (Balle, Barthe, Gaboardi 2018).
            let d = inner.delta_at_epsilon(deamplified_epsilon(epsilon, q))?;
            return Ok(mul_up(d, q).min(1.0));
        }
        use PrivacyEvent as E;
        Ok(match *self {
            E::Laplace {
                l1_sensitivity,
                scale,
            } => {
                let e0 = div_up(l1_sensitivity, scale);
                if epsilon >= e0 {
                    0.0
                } else {
                    inflate(-((epsilon - e0) / 2.0).exp_m1()).min(1.0)
                }
            }
            E::Gaussian {
                l2_sensitivity,
                sigma,
            } => gaussian_delta(div_up(l2_sensitivity, sigma), epsilon),
            E::DiscreteGaussian { .. } => DiscreteGaussianProfile::of(self)?.delta(epsilon),
            E::Zcdp { rho } => cks_delta(rho, epsilon),
            E::PoissonSampledGaussian { .. }
            | E::PoissonSampledLaplace { .. }
            | E::ContinualCountLaplace { .. }
            | E::ContinualCountGaussian { .. } => {
                return Err(Error::Internal("reduced above".into()));
            }
            E::DiscreteLaplace { .. }
            | E::RandomizedResponse { .. }
            | E::Exponential { .. }
            | E::PureDp { .. }
            | E::ApproximateDp { .. } => {
                let atoms = self.atoms().expect("the remaining events are atomic");
                atoms_delta(&atoms, epsilon)
            }
        })
    }

    /// The smallest ε ≥ 0 such that one release of this event is (ε, δ)-DP,
    /// rounded up (same profiles as [`PrivacyEvent::delta_at_epsilon`]);
    /// +∞ for an (ε₀, δ₀) event when δ < δ₀.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `delta` (not in (0, 1)) or an
    /// invalid event parameter.
    pub fn epsilon_at_delta(&self, delta: f64) -> Result<f64> {
        self.validate()?;
        check_delta(delta)?;
        if let Some(tree) = self.tree_equivalent() {
            return tree.epsilon_at_delta(delta);
        }
        if let Some((inner, q)) = self.unsampled() {
            // δ ≥ q: (0, q)-DP (the unit is used with probability q).
            let inner_delta = crate::rounding::div_down(delta, q);
            if inner_delta >= 1.0 {
                return Ok(0.0);
            }
            return Ok(amplified_epsilon(inner.epsilon_at_delta(inner_delta)?, q));
        }
        use PrivacyEvent as E;
        match *self {
            E::Laplace {
                l1_sensitivity,
                scale,
            } => {
                // ε = ε₀ + 2 ln(1 − δ).
                let e0 = div_up(l1_sensitivity, scale);
                Ok(inflate(e0 + 2.0 * (-delta).ln_1p()).max(0.0))
            }
            E::Gaussian {
                l2_sensitivity,
                sigma,
            } => gaussian_epsilon(div_up(l2_sensitivity, sigma), delta),
            E::DiscreteGaussian { .. } => {
                let cks = cks_epsilon(self.zcdp_rho()?.expect("these events have a rho"), delta);
                let profile = DiscreteGaussianProfile::of(self)?;
                let fits = |e: f64| profile.own_delta(e) <= delta;
                if cks == 0.0 || !fits(cks) {
                    return Ok(cks);
                }
                if fits(0.0) {
                    return Ok(0.0);
                }
                // The smallest ε the discrete bound admits, at most the CKS20 ε.
                bisect_fitting_min(0.0, cks, 1e-12, |e| Ok(fits(e)))
            }
            E::Zcdp { rho } => Ok(cks_epsilon(rho, delta)),
            E::PoissonSampledGaussian { .. }
            | E::PoissonSampledLaplace { .. }
            | E::ContinualCountLaplace { .. }
            | E::ContinualCountGaussian { .. } => Err(Error::Internal("reduced above".into())),
            E::DiscreteLaplace { .. }
            | E::RandomizedResponse { .. }
            | E::Exponential { .. }
            | E::PureDp { .. }
            | E::ApproximateDp { .. } => {
                let atoms = self.atoms().expect("the remaining events are atomic");
                if atoms.infinity >= delta {
                    return Ok(f64::INFINITY);
                }
                if atoms_delta(&atoms, 0.0) <= delta {
                    return Ok(0.0);
                }
                let top = atoms.losses.iter().copied().fold(0.0, f64::max);
                bisect_fitting_min(0.0, top, 1e-12, |e| Ok(atoms_delta(&atoms, e) <= delta))
            }
        }
    }
}

impl PrivacyEvent {
    /// An upper bound on the event's Rényi divergence at any order α > 1:
    /// the closed forms of [`PrivacyEvent::rdp_curve`], evaluated at `alpha`
    /// (for accounting over every order, see `rdp::epsilon_any_order`). For
    /// an (ε, δ)-DP event this is the ε-part only; its δ is carried apart.
    /// The event must be valid.
    pub(crate) fn renyi_bound(&self, alpha: f64) -> f64 {
        use PrivacyEvent as E;
        let rho = |e: &PrivacyEvent| e.zcdp_rho().ok().flatten().unwrap_or(f64::INFINITY);
        match *self {
            E::PoissonSampledGaussian {
                l2_sensitivity,
                sigma,
                rate,
            } => sampled_gaussian_renyi(div_up(l2_sensitivity, sigma), rate, alpha),
            E::PoissonSampledLaplace {
                l1_sensitivity,
                scale,
                rate,
            } => sampled_laplace_renyi(div_up(l1_sensitivity, scale), rate, alpha),
            E::ContinualCountLaplace { .. } | E::ContinualCountGaussian { .. } => self
                .tree_equivalent()
                .map_or(f64::INFINITY, |t| t.renyi_bound(alpha)),
            E::Gaussian { .. } | E::DiscreteGaussian { .. } | E::Zcdp { .. } => {
                mul_up(rho(self), alpha)
            }
            E::Laplace {
                l1_sensitivity,
                scale,
            } => inflate(super::rdp::laplace_rdp(
                div_up(l1_sensitivity, scale),
                alpha,
            )),
            E::Exponential { epsilon } => Atoms::randomized_response(epsilon, 0.0)
                .renyi_upper(alpha)
                .min(mul_up(rho(self), alpha))
                .min(epsilon),
            E::ApproximateDp { epsilon, .. } => Atoms::randomized_response(epsilon, 0.0)
                .renyi_upper(alpha)
                .min(epsilon),
            E::DiscreteLaplace { .. } | E::RandomizedResponse { .. } | E::PureDp { .. } => {
                let cap = self.pure_epsilon().ok().flatten().unwrap_or(f64::INFINITY);
                // ε-DP implies D_α ≤ min(ε, αε²/2) (Bun & Steinke 2016,
                // Prop. 3.3): used alone for dominating pairs of more than
                // 4096 atoms, which this is evaluated too often to expand.
                let pure = mul_up(mul_up(alpha, cap), cap) * 0.5;
                match self.atoms() {
                    Some(a) if a.losses.len() <= 4096 => a.renyi_upper(alpha).min(cap),
                    _ => pure.min(cap),
                }
            }
        }
    }
}

impl PrivacyEvent {
    /// For a Poisson-sampled event, the unsampled event and the rate.
    pub(crate) fn unsampled(&self) -> Option<(PrivacyEvent, f64)> {
        match *self {
            PrivacyEvent::PoissonSampledGaussian {
                l2_sensitivity,
                sigma,
                rate,
            } => Some((
                PrivacyEvent::Gaussian {
                    l2_sensitivity,
                    sigma,
                },
                rate,
            )),
            PrivacyEvent::PoissonSampledLaplace {
                l1_sensitivity,
                scale,
                rate,
            } => Some((
                PrivacyEvent::Laplace {
                    l1_sensitivity,
                    scale,
                },
                rate,
            )),
            _ => None,
        }
    }

    /// The event whose cost a budget charges for this one: a continual
    /// count's tree equivalent (the same cost), a Poisson-sampled event's
    /// unsampled mechanism (an upper bound: a budget does not credit
    /// amplification; accountants and planners do); `None` for the others.
    pub fn budget_equivalent(&self) -> Option<PrivacyEvent> {
        self.tree_equivalent()
            .or_else(|| self.unsampled().map(|(inner, _)| inner))
    }
}

/// Checks a sampling rate q ∈ (0, 1].
pub(crate) fn check_rate(rate: f64) -> Result<()> {
    if rate > 0.0 && rate <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "rate",
            format!("must be in (0, 1], got {}", describe_f64(rate)),
        ))
    }
}

/// The (ε, δ) profile of a discrete Gaussian event, built once (the vector
/// form sums over the lattice; see `lattice`).
pub(crate) struct DiscreteGaussianProfile {
    rho: f64,
    own: OwnProfile,
}

enum OwnProfile {
    /// One integer query: [`discrete_gaussian_delta`].
    Scalar { l2_sensitivity: f64, sigma: f64 },
    /// A vector: the exact lattice sums.
    Lattice(LatticeProfile),
    /// A vector too large for the lattice sums: only the zCDP bound.
    None,
}

impl DiscreteGaussianProfile {
    /// The profile of a (valid) discrete Gaussian event.
    pub(crate) fn of(event: &PrivacyEvent) -> Result<DiscreteGaussianProfile> {
        event.validate()?;
        let PrivacyEvent::DiscreteGaussian {
            l2_sensitivity,
            sigma,
            dimension,
        } = *event
        else {
            return Err(Error::Internal("not a discrete Gaussian event".into()));
        };
        let rho = event.zcdp_rho()?.unwrap_or(f64::INFINITY);
        let own = if dimension == Some(1) {
            OwnProfile::Scalar {
                l2_sensitivity,
                sigma,
            }
        } else {
            LatticeProfile::new(l2_sensitivity, sigma, dimension)
                .map_or(OwnProfile::None, OwnProfile::Lattice)
        };
        Ok(DiscreteGaussianProfile { rho, own })
    }

    /// The mechanism's own bound at `epsilon` (1 when only zCDP applies).
    pub(crate) fn own_delta(&self, epsilon: f64) -> f64 {
        match &self.own {
            OwnProfile::Scalar {
                l2_sensitivity,
                sigma,
            } => discrete_gaussian_delta(epsilon, *l2_sensitivity, *sigma),
            OwnProfile::Lattice(p) => p.delta(epsilon),
            OwnProfile::None => 1.0,
        }
    }

    /// δ(ε): the smaller of the CKS20 bound on ρ and the mechanism's own.
    pub(crate) fn delta(&self, epsilon: f64) -> f64 {
        cks_delta(self.rho, epsilon).min(self.own_delta(epsilon))
    }
}

/// δ(ε) of an atomic PLD: Σ mᵢ (1 − e^{ε−ℓᵢ})₊ + P(∞), rounded up.
fn atoms_delta(atoms: &Atoms, epsilon: f64) -> f64 {
    let sum: f64 = atoms
        .losses
        .iter()
        .zip(&atoms.masses)
        .filter(|(l, _)| **l > epsilon)
        .map(|(l, m)| m * -(epsilon - l).exp_m1())
        .sum();
    ((sum + atoms.infinity) * (1.0 + REL_MARGIN))
        .next_up()
        .min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lap(b: f64) -> PrivacyEvent {
        PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: b,
        }
    }

    #[test]
    fn validation_names_the_field() {
        let e = PrivacyEvent::Gaussian {
            l2_sensitivity: 1.0,
            sigma: 0.0,
        };
        assert_eq!(
            e.validate().unwrap_err().to_string(),
            "sigma must be finite and > 0, got 0"
        );
        let e = PrivacyEvent::Laplace {
            l1_sensitivity: f64::NAN,
            scale: 1.0,
        };
        assert_eq!(
            e.pure_epsilon().unwrap_err().to_string(),
            "l1_sensitivity must be finite and > 0, got NaN"
        );
        let e = PrivacyEvent::RandomizedResponse {
            epsilon: 1.0,
            categories: 1,
        };
        assert!(
            e.validate()
                .unwrap_err()
                .to_string()
                .starts_with("categories")
        );
        let e = PrivacyEvent::ApproximateDp {
            epsilon: 1.0,
            delta: 1.0,
        };
        assert!(e.validate().unwrap_err().to_string().starts_with("delta"));
        assert!(PrivacyEvent::Zcdp { rho: -1.0 }.zcdp_rho().is_err());
        assert!(lap(1.0).epsilon_at_delta(0.0).is_err());
        assert!(lap(1.0).delta_at_epsilon(f64::NAN).is_err());
    }

    #[test]
    fn pure_and_zcdp_costs() {
        assert_eq!(lap(10.0).pure_epsilon().unwrap(), Some(0.1));
        assert_eq!(
            lap(3.0).pure_epsilon().unwrap(),
            Some((1.0f64 / 3.0).next_up())
        );
        let g = PrivacyEvent::Gaussian {
            l2_sensitivity: 1.0,
            sigma: 10.0,
        };
        assert_eq!(g.pure_epsilon().unwrap(), None);
        assert!(g.zcdp_rho().unwrap().unwrap() >= 0.005);
        assert_eq!(
            PrivacyEvent::Exponential { epsilon: 1.0 }
                .zcdp_rho()
                .unwrap(),
            Some(0.125)
        );
        assert_eq!(lap(1.0).zcdp_rho().unwrap(), Some(0.5));
        let a = PrivacyEvent::ApproximateDp {
            epsilon: 1.0,
            delta: 1e-6,
        };
        assert_eq!(a.zcdp_rho().unwrap(), None);
        assert_eq!(a.native_approximate_dp().unwrap(), Some((1.0, 1e-6)));
        assert_eq!(g.native_approximate_dp().unwrap(), None);
    }

    #[test]
    fn single_release_profiles() {
        // Laplace: δ(ε) = 1 − e^{(ε−ε₀)/2}; ε(δ) inverts it.
        let l = lap(1.0);
        let d = l.delta_at_epsilon(0.5).unwrap();
        assert!(d >= 1.0 - (-0.25f64).exp() && d < (1.0 - (-0.25f64).exp()) * (1.0 + 1e-8));
        let e = l.epsilon_at_delta(d).unwrap();
        assert!((e - 0.5).abs() < 1e-8 && l.delta_at_epsilon(e).unwrap() <= d * (1.0 + 1e-8));
        assert_eq!(l.delta_at_epsilon(2.0).unwrap(), 0.0);
        // Pure DP ε₀: binary RR profile (e^{ε₀} − e^ε)/(1 + e^{ε₀}).
        let p = PrivacyEvent::PureDp { epsilon: 1.0 };
        let want = (1f64.exp() - 0.3f64.exp()) / (1.0 + 1f64.exp());
        let d = p.delta_at_epsilon(0.3).unwrap();
        assert!(d >= want && d <= want * (1.0 + 1e-8));
        let e = p.epsilon_at_delta(want).unwrap();
        assert!((0.3 - 1e-9..=0.3 + 1e-8).contains(&e), "{e}");
        // (ε₀, δ₀): impossible below δ₀.
        let a = PrivacyEvent::ApproximateDp {
            epsilon: 1.0,
            delta: 1e-5,
        };
        assert_eq!(a.epsilon_at_delta(1e-6).unwrap(), f64::INFINITY);
        assert!(a.epsilon_at_delta(1e-4).unwrap() <= 1.0);
    }

    #[test]
    fn rdp_curves_are_valid_bounds() {
        let events = [
            lap(2.0),
            PrivacyEvent::DiscreteLaplace {
                l1_sensitivity: 2.0,
                scale: 5.0,
            },
            PrivacyEvent::RandomizedResponse {
                epsilon: 1.0,
                categories: 4,
            },
            PrivacyEvent::Exponential { epsilon: 1.0 },
            PrivacyEvent::PureDp { epsilon: 0.5 },
        ];
        for e in events {
            let c = e.rdp_curve().unwrap();
            let eps = e.pure_epsilon().unwrap().unwrap();
            for (&a, &r) in super::super::RDP_ORDERS.iter().zip(c.epsilons()) {
                assert!(r > 0.0 && r <= eps * (1.0 + 1e-8), "{e:?} α={a}");
                assert!(
                    r <= a * eps * eps / 2.0 * (1.0 + 1e-8) + 1e-15,
                    "{e:?} α={a}"
                );
            }
        }
    }
}
