//! Copied from the library as it was before fixed-work sampling (kept as
//! the timing counter-example; not used by the library).
#![allow(dead_code, clippy::all)]

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

use ilsprivacy::rng::NoiseRng;
use ilsprivacy::sample::Rational;
use ilsprivacy::{Error, Result};

use super::geometric::{TwoSidedGeometric, ZeroLaw};
use super::{Direct, WordSampler, WordSource};

/// Largest accepted scale, 2^64 (noise beyond the `i64` range is the norm
/// long before that).
pub const MAX_SCALE_LOG2: u32 = 64;

/// Checks `0 < scale ≤ 2^64`.
pub fn check_scale(param: &'static str, scale: &Rational) -> Result<()> {
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
}

impl WordSampler for RoundedLaplaceSampler {
    #[inline(always)]
    fn sample_words<W: WordSource + ?Sized>(&self, words: &mut W) -> i128 {
        self.inner.sample(words)
    }
}
