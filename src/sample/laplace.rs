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
//! `s = 2r/(1 + r)` (discrete) or `s = e^(−1/(2t))` (rounded); the fast
//! exact method and its timing are described in [`super::geometric`]
//! (construction precomputes per-scale tables, ≈ 0.1 ms).
//!
//! Magnitudes are returned as `i128`, saturating at `±(2^127 − 1)`: reaching
//! it needs a draw beyond 2^127 / t scales, probability below e^(−2^63).

use super::geometric::{TwoSidedGeometric, ZeroLaw};
use super::rational::Rational;
use super::words::{Direct, WordSampler, WordSource};
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

/// Exact sampler of the discrete Laplace law `P(x) ∝ e^(−|x|/t)` on the
/// integers, for a rational scale `0 < t ≤ 2^64`.
#[derive(Clone, Debug)]
pub struct DiscreteLaplaceSampler {
    scale: Rational,
    inner: TwoSidedGeometric,
}

impl DiscreteLaplaceSampler {
    /// A sampler of scale `t` (in integer units).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `0 < t ≤ 2^64`.
    pub fn new(scale: &Rational) -> Result<DiscreteLaplaceSampler> {
        check_scale("scale", scale)?;
        Ok(DiscreteLaplaceSampler {
            scale: scale.clone(),
            inner: TwoSidedGeometric::new(ZeroLaw::DiscreteLaplace, scale),
        })
    }

    /// The scale `t`.
    pub fn scale(&self) -> &Rational {
        &self.scale
    }

    /// One exact draw.
    #[inline]
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        self.inner.sample(&mut Direct(rng))
    }

    /// Fast bounds rounded to `bits` bits: ties everywhere (tests only).
    #[cfg(test)]
    pub(crate) fn with_coarse_bounds(mut self, bits: u32) -> Self {
        self.inner = self.inner.with_coarse_bounds(bits);
        self
    }
}

impl WordSampler for DiscreteLaplaceSampler {
    #[inline(always)]
    fn sample_words<W: WordSource + ?Sized>(&self, words: &mut W) -> i128 {
        self.inner.sample(words)
    }
}

/// Exact sampler of `round(W)` for a continuous Laplace `W` of scale
/// `0 < t ≤ 2^64` (see the module documentation for its law).
#[derive(Clone, Debug)]
pub struct RoundedLaplaceSampler {
    scale: Rational,
    inner: TwoSidedGeometric,
}

impl RoundedLaplaceSampler {
    /// A sampler of scale `t` (in integer units).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `0 < t ≤ 2^64`.
    pub fn new(scale: &Rational) -> Result<RoundedLaplaceSampler> {
        check_scale("scale", scale)?;
        Ok(RoundedLaplaceSampler {
            scale: scale.clone(),
            inner: TwoSidedGeometric::new(ZeroLaw::RoundedLaplace, scale),
        })
    }

    /// The scale `t`.
    pub fn scale(&self) -> &Rational {
        &self.scale
    }

    /// One exact draw.
    #[inline]
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        self.inner.sample(&mut Direct(rng))
    }

    /// Fast bounds rounded to `bits` bits: ties everywhere (tests only).
    #[cfg(test)]
    pub(crate) fn with_coarse_bounds(mut self, bits: u32) -> Self {
        self.inner = self.inner.with_coarse_bounds(bits);
        self
    }
}

impl WordSampler for RoundedLaplaceSampler {
    #[inline(always)]
    fn sample_words<W: WordSource + ?Sized>(&self, words: &mut W) -> i128 {
        self.inner.sample(words)
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
        for (i, t) in [0.5, 1.0, 10.0, 1e6, 2.5e-3, 100.0, 0.1, 2f64.powi(40) * 1.3]
            .into_iter()
            .enumerate()
        {
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

    /// The same laws with every fast bound rounded to 8 bits, so that the
    /// fine and exact tie-breaking paths run thousands of times; scales from
    /// Δ/ε with ε ∈ {0.01, 0.1, 1, 10} and the float mechanisms' 2^40.
    #[test]
    fn forced_ties_still_follow_the_exact_laws() {
        use crate::sample::geometric::EXACT_TIES;
        use std::sync::atomic::Ordering;
        let before = EXACT_TIES.load(Ordering::Relaxed);
        for (i, t) in [100.0, 10.0, 1.0, 0.1, 0.5, 1e6, 1.5 * 2f64.powi(40)]
            .into_iter()
            .enumerate()
        {
            let scale = Rational::from_f64("t", t).unwrap();
            let d = DiscreteLaplaceSampler::new(&scale)
                .unwrap()
                .with_coarse_bounds(8);
            let s = draws(20_000, 400 + i as u64, |r| d.sample(r));
            assert_follows(&s, discrete_laplace_cdf(t), &format!("tied discrete t={t}"));
            let rl = RoundedLaplaceSampler::new(&scale)
                .unwrap()
                .with_coarse_bounds(8);
            let s = draws(20_000, 500 + i as u64, |r| rl.sample(r));
            assert_follows(&s, rounded_laplace_cdf(t), &format!("tied rounded t={t}"));
        }
        let ties = EXACT_TIES.load(Ordering::Relaxed) - before;
        assert!(ties > 1000, "exact paths ran only {ties} times");
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
