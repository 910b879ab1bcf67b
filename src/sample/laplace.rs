//! Exact geometric, discrete Laplace and rounded Laplace samplers.
//!
//! With `t` the scale and `r = e^(−1/t)`:
//!
//! - [`DiscreteLaplaceSampler`]: `P(X = x) = (1 − r)/(1 + r) · r^|x|` on the
//!   integers (the two-sided geometric law; Ghosh, Roughgarden, Sundararajan
//!   2009; Canonne, Kamath, Steinke 2020).
//! - [`RoundedLaplaceSampler`]: the law of `round(W)` for a continuous
//!   Laplace `W` of scale `t`: `P(0) = 1 − e^(−1/(2t))`,
//!   `P(±k) = ½ e^(−1/(2t)) (1 − r) r^(k−1)` for `k ≥ 1`. Adding it to an
//!   integer is the continuous Laplace mechanism followed by rounding, so its
//!   privacy is exactly that of the continuous Laplace mechanism.
//!
//! Both are "zero with probability `1 − s`, else a random sign times
//! `1 + G`" with `G` geometric (`P(G = g) = (1 − r) r^g`) and
//! `s = 2r/(1 + r)` (discrete) or `s = e^(−1/(2t))` (rounded).
//!
//! Magnitudes are returned as `i128`, saturating at `±(2^127 − 1)`: reaching
//! it needs a draw beyond 2^127 / t scales, probability below e^(−2^63).

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use super::bernoulli::{bernoulli_exp_neg, fair_bit, uniform_below_big};
use super::exp::{Bounds, exp_neg_bounds};
use super::rational::Rational;
use crate::error::{Error, Result};
use crate::rng::NoiseRng;

/// Largest accepted scale, 2^64 (noise beyond the `i64` range is the norm
/// long before that).
pub(crate) const MAX_SCALE_LOG2: u32 = 64;

/// Checks `0 < scale ≤ 2^64`.
pub(crate) fn check_scale(param: &'static str, scale: &Rational) -> Result<()> {
    if scale.is_zero() {
        return Err(Error::invalid(param, "must be > 0, got 0"));
    }
    if scale > &Rational::from_integer(1u128 << MAX_SCALE_LOG2) {
        return Err(Error::invalid(
            param,
            format!(
                "must be <= 2^{MAX_SCALE_LOG2}, got {:e}",
                scale.to_f64_lossy()
            ),
        ));
    }
    Ok(())
}

/// Geometric law `P(G = g) = (1 − e^(−1/t)) e^(−g/t)`, `g ≥ 0`, for a
/// rational scale `t = n/d`.
///
/// Method (Canonne, Kamath, Steinke 2020, Alg. 2): `X = U + n·V` with `U`
/// uniform on `[0, n)` accepted with probability `e^(−U/n)` and `V` geometric
/// of ratio `e^(−1)`; then `G = ⌊X / d⌋`.
#[derive(Clone, Debug)]
struct Geometric {
    n: BigUint,
    d: BigUint,
    /// The rational 1, for the Bernoulli(e^(−1)) trials.
    one: Rational,
}

impl Geometric {
    fn new(scale: &Rational) -> Geometric {
        Geometric {
            n: scale.numer().clone(),
            d: scale.denom().clone(),
            one: Rational::from_integer(1),
        }
    }

    fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> u128 {
        let u = loop {
            let u = uniform_below_big(rng, &self.n);
            let x = Rational::new(u.clone(), self.n.clone()).expect("n > 0");
            if bernoulli_exp_neg(rng, &x) {
                break u;
            }
        };
        let mut v = BigUint::ZERO;
        while bernoulli_exp_neg(rng, &self.one) {
            v += 1u32;
        }
        let x = u + &self.n * v;
        (x / &self.d).to_u128().unwrap_or(u128::MAX)
    }
}

/// Zero with probability `1 − s`, else `±(1 + G)`.
#[derive(Clone, Debug)]
struct TwoSided {
    geometric: Geometric,
    /// `s` as an oracle of bounds at any precision.
    nonzero: NonzeroProbability,
}

#[derive(Clone, Debug)]
enum NonzeroProbability {
    /// `s = 2r / (1 + r)` with `r = e^(−a)`.
    DiscreteLaplace { a: Rational },
    /// `s = e^(−a/2)`.
    RoundedLaplace { half_a: Rational },
}

impl NonzeroProbability {
    fn bounds(&self, prec: u32) -> Bounds {
        match self {
            NonzeroProbability::DiscreteLaplace { a } => {
                exp_neg_bounds(a, prec).two_v_over_one_plus_v()
            }
            NonzeroProbability::RoundedLaplace { half_a } => exp_neg_bounds(half_a, prec),
        }
    }
}

impl TwoSided {
    fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        let first = rng.next_u64();
        if !super::bernoulli::uniform_below_real(rng, first, |p| self.nonzero.bounds(p)) {
            return 0;
        }
        let magnitude = self.geometric.sample(rng).saturating_add(1);
        let magnitude = i128::try_from(magnitude).unwrap_or(i128::MAX);
        if fair_bit(rng) { -magnitude } else { magnitude }
    }
}

/// Exact sampler of the discrete Laplace law `P(x) ∝ e^(−|x|/t)` on the
/// integers, for a rational scale `0 < t ≤ 2^64`.
#[derive(Clone, Debug)]
pub struct DiscreteLaplaceSampler {
    scale: Rational,
    inner: TwoSided,
}

impl DiscreteLaplaceSampler {
    /// A sampler of scale `t` (in integer units).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `0 < t ≤ 2^64`.
    pub fn new(scale: &Rational) -> Result<DiscreteLaplaceSampler> {
        check_scale("scale", scale)?;
        let a = Rational::new(scale.denom().clone(), scale.numer().clone())?;
        Ok(DiscreteLaplaceSampler {
            scale: scale.clone(),
            inner: TwoSided {
                geometric: Geometric::new(scale),
                nonzero: NonzeroProbability::DiscreteLaplace { a },
            },
        })
    }

    /// The scale `t`.
    pub fn scale(&self) -> &Rational {
        &self.scale
    }

    /// One exact draw.
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        self.inner.sample(rng)
    }
}

/// Exact sampler of `round(W)` for a continuous Laplace `W` of scale
/// `0 < t ≤ 2^64` (see the module documentation for its law).
#[derive(Clone, Debug)]
pub struct RoundedLaplaceSampler {
    scale: Rational,
    inner: TwoSided,
}

impl RoundedLaplaceSampler {
    /// A sampler of scale `t` (in integer units).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `0 < t ≤ 2^64`.
    pub fn new(scale: &Rational) -> Result<RoundedLaplaceSampler> {
        check_scale("scale", scale)?;
        let half_a = Rational::new(scale.denom().clone(), scale.numer() << 1u32)?;
        Ok(RoundedLaplaceSampler {
            scale: scale.clone(),
            inner: TwoSided {
                geometric: Geometric::new(scale),
                nonzero: NonzeroProbability::RoundedLaplace { half_a },
            },
        })
    }

    /// The scale `t`.
    pub fn scale(&self) -> &Rational {
        &self.scale
    }

    /// One exact draw.
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        self.inner.sample(rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::InsecureSeededRng;
    use crate::sample::stats::{assert_follows, discrete_laplace_cdf, rounded_laplace_cdf};

    fn draws(n: usize, seed: u64, f: impl Fn(&mut InsecureSeededRng) -> i128) -> Vec<i128> {
        let mut rng = InsecureSeededRng::from_seed_insecure(seed);
        (0..n).map(|_| f(&mut rng)).collect()
    }

    /// Chi-square against the exact law at scales 0.5, 1, 10 and 1e6 grid
    /// units (false-failure rate ≈ 1e-6 each).
    #[test]
    fn discrete_and_rounded_laplace_follow_their_laws() {
        for (i, t) in [0.5, 1.0, 10.0, 1e6, 2.5e-3].into_iter().enumerate() {
            let scale = Rational::from_f64("t", t).unwrap();
            let d = DiscreteLaplaceSampler::new(&scale).unwrap();
            let s = draws(20_000, 100 + i as u64, |r| d.sample(r));
            if t < 0.01 {
                // P(X != 0) < 1e-170: every draw is 0.
                assert!(s.iter().all(|&x| x == 0));
            }
            assert_follows(&s, discrete_laplace_cdf(t), &format!("discrete t={t}"));
            let rl = RoundedLaplaceSampler::new(&scale).unwrap();
            let s = draws(20_000, 200 + i as u64, |r| rl.sample(r));
            assert_follows(&s, rounded_laplace_cdf(t), &format!("rounded t={t}"));
        }
    }

    #[test]
    fn scales_out_of_range_are_rejected() {
        assert!(DiscreteLaplaceSampler::new(&Rational::from_integer(0)).is_err());
        let huge = Rational::from_integer((1u128 << 64) + 1);
        let e = RoundedLaplaceSampler::new(&huge).unwrap_err();
        assert!(e.to_string().starts_with("scale must be <= 2^64"), "{e}");
        assert!(DiscreteLaplaceSampler::new(&Rational::from_integer(1u128 << 64)).is_ok());
    }
}
