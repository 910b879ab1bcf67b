//! The release steps every additive-noise mechanism shares, written once:
//! one value with the secure generator or a caller's, and a batch (checked
//! in full before any noise is drawn, then noised with one borrow of the
//! thread's generator).
//!
//! [`GridNoise`] serves the float mechanisms ([`super::Laplace`],
//! [`super::Gaussian`]): the value is moved to the grid, the sampler's exact
//! integer noise is added in 128 bits and the sum is scaled back
//! ([`super::grid`]). [`IntegerNoise`] serves the `i64` mechanisms
//! ([`super::DiscreteLaplace`], [`super::DiscreteGaussian`]): the noise is
//! added exactly in 128 bits and the sum clamped to the `i64` range. Each
//! mechanism keeps its own calibration and privacy event; only the drawing
//! and adding live here.

use super::grid::Grid;
use crate::error::{Error, Result};
use crate::rng::{NoiseRng, with_secure_rng};
use crate::sample::words::{Direct, WordSampler, WordSource};

/// Checks that a batch's output has as many slots as it has values.
pub(super) fn check_same_length(values: usize, out: usize) -> Result<()> {
    if values == out {
        return Ok(());
    }
    Err(Error::invalid(
        "out",
        format!("must have the same length as values, got {out} and {values}"),
    ))
}

/// Exact integer noise added on a float mechanism's grid.
#[derive(Clone, Debug)]
pub(super) struct GridNoise<S> {
    grid: Grid,
    sampler: S,
}

impl<S: WordSampler> GridNoise<S> {
    /// Noise from `sampler` (in grid units) on `grid`.
    pub(super) fn new(grid: Grid, sampler: S) -> Self {
        GridNoise { grid, sampler }
    }

    /// The grid.
    pub(super) fn grid(&self) -> Grid {
        self.grid
    }

    /// Checks `value` as a release would, without drawing noise.
    pub(super) fn check_value(&self, value: f64) -> Result<()> {
        self.grid.check("value", value)
    }

    /// `value` plus noise, with the secure generator.
    pub(super) fn release(&self, value: f64) -> Result<f64> {
        let v = self.grid.to_grid("value", value)?;
        with_secure_rng(|rng| self.noisy(v, &mut Direct(rng)))
    }

    /// `value` plus noise drawn from `rng`.
    pub(super) fn release_with<R: NoiseRng>(&self, value: f64, rng: &mut R) -> Result<f64> {
        let v = self.grid.to_grid("value", value)?;
        Ok(self.noisy(v, &mut Direct(rng)))
    }

    /// Every value plus independent noise into `out`; all values are checked
    /// first and `out` is untouched on error.
    pub(super) fn release_batch(&self, values: &[f64], out: &mut [f64]) -> Result<()> {
        check_same_length(values.len(), out.len())?;
        self.grid.check_all("values", values)?;
        with_secure_rng(|rng| {
            let mut words = Direct(rng);
            for (o, &v) in out.iter_mut().zip(values) {
                *o = self.noisy(self.grid.to_int(v), &mut words);
            }
        })
    }

    /// Like [`GridNoise::release_batch`], replacing each value by its release.
    pub(super) fn release_in_place(&self, values: &mut [f64]) -> Result<()> {
        self.grid.check_all("values", values)?;
        with_secure_rng(|rng| {
            let mut words = Direct(rng);
            for v in values.iter_mut() {
                *v = self.noisy(self.grid.to_int(*v), &mut words);
            }
        })
    }

    #[inline(always)]
    fn noisy<W: WordSource + ?Sized>(&self, grid_value: i128, rng: &mut W) -> f64 {
        let noise = self.sampler.sample_words(rng);
        self.grid.add_to_f64(grid_value, noise)
    }
}

/// Exact integer noise added to an `i64`, the sum clamped to the `i64` range.
#[derive(Clone, Debug)]
pub(super) struct IntegerNoise<S> {
    sampler: S,
}

impl<S: WordSampler> IntegerNoise<S> {
    /// Noise from `sampler`.
    pub(super) fn new(sampler: S) -> Self {
        IntegerNoise { sampler }
    }

    /// `value` plus noise, with the secure generator.
    pub(super) fn release(&self, value: i64) -> Result<i64> {
        with_secure_rng(|rng| self.noisy(value, &mut Direct(rng)))
    }

    /// `value` plus noise drawn from `rng`.
    pub(super) fn release_with<R: NoiseRng>(&self, value: i64, rng: &mut R) -> i64 {
        self.noisy(value, &mut Direct(rng))
    }

    /// Every value plus independent noise into `out`.
    pub(super) fn release_batch(&self, values: &[i64], out: &mut [i64]) -> Result<()> {
        check_same_length(values.len(), out.len())?;
        with_secure_rng(|rng| {
            let mut words = Direct(rng);
            for (o, &v) in out.iter_mut().zip(values) {
                *o = self.noisy(v, &mut words);
            }
        })
    }

    #[inline]
    fn noisy<W: WordSource + ?Sized>(&self, value: i64, rng: &mut W) -> i64 {
        let sum = i128::from(value).saturating_add(self.sampler.sample_words(rng));
        sum.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}
