//! The release steps every additive-noise mechanism shares, written once:
//! one value with the secure generator or a caller's, and a batch (checked
//! in full before any noise is drawn, then noised from a buffered word
//! stream).
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
use crate::sample::words::{Buffered, Direct, WordSampler, WordSource};

/// Values per chunk of a batch (their grid integers are computed together).
const CHUNK: usize = 256;

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

    /// The largest magnitude a release accepts (see [`Grid::max_abs_value`]).
    pub(super) fn max_abs_value(&self) -> f64 {
        self.grid.max_abs_value()
    }

    /// Checks `value` as a release would, without drawing noise.
    pub(super) fn check_value(&self, value: f64) -> Result<()> {
        self.grid.check("value", value)
    }

    /// `value` plus noise, with the secure generator.
    pub(super) fn release(&self, value: f64) -> Result<f64> {
        self.grid.check("value", value)?;
        with_secure_rng(|rng| self.noisy(value, &mut Direct(rng)))
    }

    /// `value` plus noise drawn from `rng`.
    pub(super) fn release_with<R: NoiseRng>(&self, value: f64, rng: &mut R) -> Result<f64> {
        self.grid.check("value", value)?;
        Ok(self.noisy(value, &mut Direct(rng)))
    }

    /// Every value plus independent noise into `out`; all values are checked
    /// first and `out` is untouched on error.
    pub(super) fn release_batch(&self, values: &[f64], out: &mut [f64]) -> Result<()> {
        check_same_length(values.len(), out.len())?;
        self.grid.check_all("values", values)?;
        with_secure_rng(|rng| {
            let mut words = Buffered::new(rng);
            let mut ints = [0i64; CHUNK];
            for (vals, outs) in values.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
                self.fill_chunk(vals, &mut ints[..vals.len()], &mut words, |i, y| {
                    outs[i] = y
                });
            }
        })
    }

    /// Noise for one chunk of checked values: `put(i, release of vals[i])`.
    /// The grid integers are computed first in one pass (`ints` is scratch
    /// space of the same length); which of the two loops runs depends on the
    /// values only.
    #[inline(always)]
    fn fill_chunk<W: WordSource + ?Sized>(
        &self,
        vals: &[f64],
        ints: &mut [i64],
        words: &mut W,
        mut put: impl FnMut(usize, f64),
    ) {
        let grid = self.grid;
        if grid.to_small_ints(vals, ints) {
            self.sampler.fill_words(words, vals.len(), |i, noise| {
                put(i, grid.finish_small(ints[i], noise))
            });
        } else {
            self.sampler.fill_words(words, vals.len(), |i, noise| {
                put(i, grid.add_noise(vals[i], noise))
            });
        }
    }

    /// Like [`GridNoise::release_batch`], replacing each value by its release.
    pub(super) fn release_in_place(&self, values: &mut [f64]) -> Result<()> {
        self.grid.check_all("values", values)?;
        with_secure_rng(|rng| {
            let mut words = Buffered::new(rng);
            let mut ints = [0i64; CHUNK];
            let mut out = [0f64; CHUNK];
            for vals in values.chunks_mut(CHUNK) {
                let len = vals.len();
                self.fill_chunk(vals, &mut ints[..len], &mut words, |i, y| out[i] = y);
                vals.copy_from_slice(&out[..len]);
            }
        })
    }

    /// A checked `value` plus noise.
    #[inline(always)]
    fn noisy<W: WordSource + ?Sized>(&self, value: f64, rng: &mut W) -> f64 {
        let noise = self.sampler.sample_words(rng);
        self.grid.add_noise(value, noise)
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
            self.sampler
                .fill_words(&mut Buffered::new(rng), values.len(), |i, noise| {
                    out[i] = add_clamped(values[i], noise)
                });
        })
    }

    #[inline]
    fn noisy<W: WordSource + ?Sized>(&self, value: i64, rng: &mut W) -> i64 {
        add_clamped(value, self.sampler.sample_words(rng))
    }
}

/// `value + noise`, computed exactly and clamped to the `i64` range.
#[inline(always)]
fn add_clamped(value: i64, noise: i128) -> i64 {
    let sum = i128::from(value).saturating_add(noise);
    sum.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}
