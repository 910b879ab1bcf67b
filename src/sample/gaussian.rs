//! Exact discrete Gaussian sampler.
//!
//! Law: `P(X = x) = e^(−x²/(2σ²)) / Σ_y e^(−y²/(2σ²))` on the integers.
//!
//! Method (Canonne, Kamath, Steinke 2020, Alg. 3): with `t = ⌊σ⌋ + 1`, draw
//! `Y` from the discrete Laplace law of scale `t` and accept it with
//! probability `exp(−(|Y| − σ²/t)² / (2σ²))`. The number of rounds is
//! geometric with a success rate that depends on `σ` only (≈ 0.76 for large
//! `σ`), and the rounds are independent of the accepted value.

use num_bigint::BigUint;

use super::bernoulli::bernoulli_exp_neg;
use super::laplace::DiscreteLaplaceSampler;
use super::rational::Rational;
use crate::error::{Error, Result};
use crate::rng::NoiseRng;

/// Exact sampler of the discrete Gaussian law of a rational `σ`, `0 < σ < 2^63`.
#[derive(Clone, Debug)]
pub struct DiscreteGaussianSampler {
    sigma: Rational,
    proposal: DiscreteLaplaceSampler,
    /// `t = ⌊σ⌋ + 1`.
    t: BigUint,
}

impl DiscreteGaussianSampler {
    /// A sampler of scale `σ` (in integer units).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `0 < σ < 2^63`.
    pub fn new(sigma: &Rational) -> Result<DiscreteGaussianSampler> {
        if sigma.is_zero() {
            return Err(Error::invalid("sigma", "must be > 0, got 0"));
        }
        if sigma >= &Rational::from_integer(1u128 << 63) {
            return Err(Error::invalid(
                "sigma",
                format!("must be < 2^63, got {:e}", sigma.to_f64_lossy()),
            ));
        }
        let t = sigma.floor() + 1u32;
        let proposal = DiscreteLaplaceSampler::new(&Rational::new(t.clone(), 1u32.into())?)?;
        Ok(DiscreteGaussianSampler {
            sigma: sigma.clone(),
            proposal,
            t,
        })
    }

    /// The scale `σ`.
    pub fn sigma(&self) -> &Rational {
        &self.sigma
    }

    /// One exact draw.
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        let (p, q) = (self.sigma.numer(), self.sigma.denom());
        // x = (|Y| − σ²/t)² / (2σ²) = (|Y|·q²·t − p²)² / (2·p²·q²·t²).
        let p2 = p * p;
        let q2t = q * q * &self.t;
        let den = (&p2 * &q2t * &self.t) << 1u32;
        loop {
            let y = self.proposal.sample(rng);
            let a = BigUint::from(y.unsigned_abs()) * &q2t;
            let diff = if a >= p2 { a - &p2 } else { &p2 - a };
            let x = Rational::new(&diff * &diff, den.clone()).expect("den > 0");
            if bernoulli_exp_neg(rng, &x) {
                return y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::InsecureSeededRng;
    use crate::sample::stats::{assert_follows, discrete_gaussian_cdf};

    /// Chi-square against the exact law (false-failure rate ≈ 1e-6 each).
    #[test]
    fn discrete_gaussian_follows_its_law() {
        for (i, sigma) in [0.5, 1.0, 3.3, 10.0, 1e6].into_iter().enumerate() {
            let g = DiscreteGaussianSampler::new(&Rational::from_f64("s", sigma).unwrap()).unwrap();
            let mut rng = InsecureSeededRng::from_seed_insecure(300 + i as u64);
            let s: Vec<i128> = (0..20_000).map(|_| g.sample(&mut rng)).collect();
            assert_follows(&s, discrete_gaussian_cdf(sigma), &format!("sigma={sigma}"));
        }
    }

    #[test]
    fn sigma_out_of_range_is_rejected() {
        assert!(DiscreteGaussianSampler::new(&Rational::from_integer(0)).is_err());
        let e = DiscreteGaussianSampler::new(&Rational::from_integer(1 << 63)).unwrap_err();
        assert!(e.to_string().starts_with("sigma must be < 2^63"), "{e}");
    }
}
