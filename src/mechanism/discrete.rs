//! Discrete Laplace and discrete Gaussian mechanisms on `i64`.
//!
//! # Guarantees
//!
//! For an integer-valued query whose values on neighbouring datasets differ
//! by at most `Δ` (an integer):
//!
//! - [`DiscreteLaplace`] adds `N` with `P(N = x) ∝ e^(−|x|/t)`, `t ≥ Δ/ε`:
//!   **ε-DP** (Ghosh, Roughgarden, Sundararajan 2009; Canonne, Kamath,
//!   Steinke 2020). Event: [`PrivacyEvent::DiscreteLaplace`].
//! - [`DiscreteGaussian`] adds `N` with `P(N = x) ∝ e^(−x²/(2σ²))`:
//!   **ρ-zCDP**, `ρ = Δ²/(2σ²)` (CKS20 Prop. 5), and (ε, δ)-DP when built with
//!   [`DiscreteGaussian::from_epsilon_delta`], proved with the rigorous bound
//!   [`discrete_gaussian_delta`](super::discrete_gaussian_delta) (exact
//!   summation of CKS20 Thm. 7 for `σ < 256`). Event:
//!   [`PrivacyEvent::DiscreteGaussian`].
//!
//! # Overflow
//!
//! Errors come only from parameters and inputs, never from the noise: the sum
//! `value + N` is computed exactly in 128 bits and then clamped to
//! `[i64::MIN, i64::MAX]`. Clamping a released value is post-processing, so it
//! cannot weaken the guarantee; callers whose values come near the `i64`
//! limits should expect clamped outputs there.

use super::calibrate::{Law, sigma_for};
use super::gaussian::check_delta;
use super::noise::IntegerNoise;
use crate::accountant::PrivacyEvent;
use crate::budget::at_most_charged;
use crate::error::{Error, Result, check_positive, describe_f64};
use crate::rng::NoiseRng;
use crate::rounding::{count_up, div_up, mul_up, sqrt_down};
use crate::sample::{DiscreteGaussianSampler, DiscreteLaplaceSampler, Rational};

/// Checks `sensitivity > 0` and returns it as the nearest `f64` at or above it.
fn sensitivity_up(param: &'static str, sensitivity: i64) -> Result<f64> {
    if sensitivity <= 0 {
        return Err(Error::invalid(
            param,
            format!("must be > 0, got {sensitivity}"),
        ));
    }
    Ok(count_up(sensitivity.unsigned_abs()))
}

/// The discrete Laplace mechanism on `i64` (see the module documentation).
#[derive(Clone, Debug)]
pub struct DiscreteLaplace {
    sensitivity: f64,
    scale: f64,
    noise: IntegerNoise<DiscreteLaplaceSampler>,
}

impl DiscreteLaplace {
    /// A discrete Laplace mechanism for integer L1 sensitivity `sensitivity` at
    /// privacy `epsilon`: scale `t = Δ/ε` rounded up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `sensitivity ≤ 0`, `epsilon` is not
    /// finite and `> 0`, or `Δ/ε > 2^64`.
    pub fn new(sensitivity: i64, epsilon: f64) -> Result<DiscreteLaplace> {
        let delta = sensitivity_up("sensitivity", sensitivity)?;
        check_positive("epsilon", epsilon)?;
        // ε as the budget charges it, at most (see `Laplace`).
        let scale = div_up(delta, at_most_charged(epsilon));
        if !scale.is_finite() || scale > 2f64.powi(64) {
            return Err(Error::invalid(
                "epsilon",
                format!(
                    "is too small for this sensitivity: the scale sensitivity/epsilon must be <= 2^64, got epsilon = {}",
                    describe_f64(epsilon)
                ),
            ));
        }
        Ok(DiscreteLaplace {
            sensitivity: delta,
            scale,
            noise: IntegerNoise::new(DiscreteLaplaceSampler::new(&Rational::from_f64(
                "scale", scale,
            )?)?),
        })
    }

    /// The scale `t` (integer units).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The privacy event: [`PrivacyEvent::DiscreteLaplace`], `Δ/t ≤ ε`.
    pub fn event(&self) -> PrivacyEvent {
        PrivacyEvent::DiscreteLaplace {
            l1_sensitivity: self.sensitivity,
            scale: self.scale,
        }
    }

    /// `value` plus discrete Laplace noise, clamped to the `i64` range.
    ///
    /// # Errors
    ///
    /// [`Error::Entropy`] only.
    pub fn release(&self, value: i64) -> Result<i64> {
        self.noise.release(value)
    }

    /// `value` plus discrete Laplace noise drawn from `rng`. Cannot fail.
    ///
    /// # Errors
    ///
    /// None today; the `Result` keeps the signature uniform.
    pub fn release_with<R: NoiseRng>(&self, value: i64, rng: &mut R) -> Result<i64> {
        Ok(self.noise.release_with(value, rng))
    }

    /// Releases every value into `out` (same length).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the lengths differ; [`Error::Entropy`].
    pub fn release_batch(&self, values: &[i64], out: &mut [i64]) -> Result<()> {
        self.noise.release_batch(values, out)
    }
}

/// The discrete Gaussian mechanism on `i64` (see the module documentation).
#[derive(Clone, Debug)]
pub struct DiscreteGaussian {
    sensitivity: f64,
    sigma: f64,
    noise: IntegerNoise<DiscreteGaussianSampler>,
}

impl DiscreteGaussian {
    /// (ε, δ)-DP for integer L2 sensitivity `l2_sensitivity`: the smallest σ
    /// (rounded up) whose rigorous discrete-Gaussian δ bound is `≤ delta`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for `l2_sensitivity ≤ 0`, a non-finite or
    /// non-positive `epsilon`, `delta ∉ (0, 1)`, or σ ≥ 2^63.
    pub fn from_epsilon_delta(
        l2_sensitivity: i64,
        epsilon: f64,
        delta: f64,
    ) -> Result<DiscreteGaussian> {
        let sens = sensitivity_up("l2_sensitivity", l2_sensitivity)?;
        check_positive("epsilon", epsilon)?;
        check_delta(delta)?;
        // Calibrated to ε and δ as the budget charges them, at most (see `Laplace`).
        let (epsilon, delta) = (at_most_charged(epsilon), at_most_charged(delta));
        let sigma = sigma_for(epsilon, delta, sens, Law::Discrete)?;
        DiscreteGaussian::build(sens, sigma)
    }

    /// A discrete Gaussian of scale `sigma` (integer units), `0 < σ < 2^63`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for bad parameters.
    pub fn from_sigma(l2_sensitivity: i64, sigma: f64) -> Result<DiscreteGaussian> {
        let sens = sensitivity_up("l2_sensitivity", l2_sensitivity)?;
        check_positive("sigma", sigma)?;
        DiscreteGaussian::build(sens, sigma)
    }

    /// ρ-zCDP: `σ = Δ/√(2ρ)`, rounded up.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for bad parameters or σ ≥ 2^63.
    pub fn from_rho(l2_sensitivity: i64, rho: f64) -> Result<DiscreteGaussian> {
        let sens = sensitivity_up("l2_sensitivity", l2_sensitivity)?;
        check_positive("rho", rho)?;
        DiscreteGaussian::build(sens, div_up(sens, sqrt_down(2.0 * rho)))
    }

    fn build(sensitivity: f64, sigma: f64) -> Result<DiscreteGaussian> {
        if !sigma.is_finite() || sigma >= 2f64.powi(63) {
            return Err(Error::invalid(
                "sigma",
                format!("must be < 2^63, got {}", describe_f64(sigma)),
            ));
        }
        Ok(DiscreteGaussian {
            sensitivity,
            sigma,
            noise: IntegerNoise::new(DiscreteGaussianSampler::new(&Rational::from_f64(
                "sigma", sigma,
            )?)?),
        })
    }

    /// σ (integer units).
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// ρ of one release, `Δ²/(2σ²)` rounded up.
    pub fn rho(&self) -> f64 {
        let r = div_up(self.sensitivity, self.sigma);
        mul_up(mul_up(r, r), 0.5)
    }

    /// The privacy event: [`PrivacyEvent::DiscreteGaussian`].
    pub fn event(&self) -> PrivacyEvent {
        PrivacyEvent::DiscreteGaussian {
            l2_sensitivity: self.sensitivity,
            sigma: self.sigma,
            dimension: Some(1),
        }
    }

    /// `value` plus discrete Gaussian noise, clamped to the `i64` range.
    ///
    /// # Errors
    ///
    /// [`Error::Entropy`] only.
    pub fn release(&self, value: i64) -> Result<i64> {
        self.noise.release(value)
    }

    /// `value` plus discrete Gaussian noise drawn from `rng`. Cannot fail.
    ///
    /// # Errors
    ///
    /// None today; the `Result` keeps the signature uniform.
    pub fn release_with<R: NoiseRng>(&self, value: i64, rng: &mut R) -> Result<i64> {
        Ok(self.noise.release_with(value, rng))
    }

    /// Releases every value into `out` (same length).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the lengths differ; [`Error::Entropy`].
    pub fn release_batch(&self, values: &[i64], out: &mut [i64]) -> Result<()> {
        self.noise.release_batch(values, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mechanism::discrete_gaussian_delta;
    use crate::rng::InsecureSeededRng;

    #[test]
    fn discrete_laplace_parameters_and_event() {
        let m = DiscreteLaplace::new(1, 0.5).unwrap();
        assert_eq!(m.scale(), 2.0);
        assert_eq!(
            m.event(),
            PrivacyEvent::DiscreteLaplace {
                l1_sensitivity: 1.0,
                scale: 2.0
            }
        );
        let e = DiscreteLaplace::new(0, 1.0).unwrap_err();
        assert_eq!(e.to_string(), "sensitivity must be > 0, got 0");
        assert!(DiscreteLaplace::new(1, f64::NAN).is_err());
        assert!(DiscreteLaplace::new(i64::MAX, 1e-3).is_err());
        let m = DiscreteLaplace::new(i64::MAX, 1.0).unwrap();
        assert!(m.scale() >= 9.223372036854776e18);
    }

    #[test]
    fn outputs_saturate_instead_of_failing() {
        let m = DiscreteLaplace::new(1 << 40, 1e-6).unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(3);
        let mut saw_max = false;
        for _ in 0..200 {
            let y = m.release_with(i64::MAX - 5, &mut rng).unwrap();
            saw_max |= y == i64::MAX;
        }
        assert!(saw_max);
        let mut out = [0i64; 3];
        m.release_batch(&[1, 2, 3], &mut out).unwrap();
        assert!(m.release_batch(&[1, 2], &mut out).is_err());
    }

    #[test]
    fn discrete_gaussian_calibration() {
        let g = DiscreteGaussian::from_epsilon_delta(1, 1.0, 1e-5).unwrap();
        assert!(discrete_gaussian_delta(1.0, 1.0, g.sigma()) <= 1e-5);
        assert!((g.sigma() - 3.73).abs() < 0.05, "{}", g.sigma());
        let g = DiscreteGaussian::from_rho(2, 0.5).unwrap();
        assert!(g.sigma() >= 2.0 && g.rho() <= 0.5);
        let g = DiscreteGaussian::from_sigma(1, 10.0).unwrap();
        assert!(g.rho() >= 0.005 && g.rho() <= 0.005f64.next_up().next_up());
        assert!(DiscreteGaussian::from_sigma(1, 1e19).is_err());
        let e = DiscreteGaussian::from_epsilon_delta(-3, 1.0, 1e-5).unwrap_err();
        assert_eq!(e.to_string(), "l2_sensitivity must be > 0, got -3");
        let mut rng = InsecureSeededRng::from_seed_insecure(4);
        let y = g.release_with(100, &mut rng).unwrap();
        assert!((y - 100).abs() < 200);
    }
}
