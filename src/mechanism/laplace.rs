//! The Laplace mechanism on `f64`, without floating-point holes.
//!
//! # Guarantee
//!
//! For a real-valued query `f` whose values on neighbouring datasets (add or
//! remove one privacy unit, or whatever relation `Δ` bounds) differ by at
//! most `Δ` (L1 sensitivity), [`Laplace::release`] is **ε-differentially
//! private**, exactly, including the floating-point representation of its
//! output (Dwork, McSherry, Nissim, Smith 2006; Mironov 2012 for the float
//! attack this closes).
//!
//! # How
//!
//! 1. Grid: `γ = 2^k`, the smallest power of two `≥ (Δ/ε) · 2^−40`
//!    ([`super::grid`]).
//! 2. The charged sensitivity is `Δ' = Δ + γ` (rounded up), because rounding
//!    the input to the grid moves it by at most `γ/2`; the scale is
//!    `b = Δ'/ε` (rounded up), so `Δ'/b ≤ ε` exactly. Here ε is the double
//!    given or, when smaller, the decimal it prints as — the amount a
//!    [`crate::budget`] charges for it — rounded down to a double
//!    (at most one ulp below the double given).
//! 3. The input is rounded to the nearest grid integer `V`; the output is
//!    `(V + N) · γ`, where `N` is exactly distributed as `round(W)` for a
//!    continuous Laplace `W` of scale `b/γ` grid units
//!    ([`crate::sample::RoundedLaplaceSampler`]). `V + round(W) = round(V + W)`,
//!    so the release is post-processing of the continuous Laplace mechanism
//!    with sensitivity `Δ'` and scale `b`: ε-DP, and any accountant may treat
//!    it as [`PrivacyEvent::Laplace`] with these parameters (pure ε, RDP and
//!    privacy-loss-distribution analyses all apply).
//! 4. The sum is exact (128-bit integers, saturating only beyond `2^127`
//!    grid units, a deterministic post-processing step); the double nearest
//!    `(V + N)·γ` is returned, saturated at `±f64::MAX`.
//!
//! # Error versus the ideal Laplace mechanism
//!
//! The output differs from `f(D) + Lap(Δ/ε)` by the input rounding (`≤ γ/2`),
//! the output rounding (`≤ γ/2`) and the scale inflation `Δ'/Δ − 1 ≤ γ/Δ`;
//! with `γ < (Δ/ε)·2^−39` the expected absolute error is within a factor
//! `1 + 2^−38 · (1 + 1/ε)` of the ideal one.
//!
//! # Errors
//!
//! Parameter errors at construction; at release, only a non-finite value or
//! one with `|value| ≥ 2^126 · γ` (checked before any noise is drawn; the
//! message never contains the value), or [`Error::Entropy`]. Such a refusal
//! reveals that the value was outside that domain ([`Laplace::max_abs_value`];
//! see [the module overview](super)); the budget's helpers map values into
//! the domain instead of refusing them.

use super::grid::{Grid, grid_exponent, ldexp};
use super::noise::GridNoise;
use crate::accountant::PrivacyEvent;
use crate::budget::at_most_charged;
use crate::error::{Error, Result, check_positive};
use crate::rng::NoiseRng;
use crate::rounding::{add_up, div_up};
use crate::sample::{Rational, RoundedLaplaceSampler};

/// A configured float Laplace mechanism (see the module documentation).
///
/// Construction does the calibration once; releases are cheap and the value
/// can be shared across threads.
#[derive(Clone, Debug)]
pub struct Laplace {
    epsilon: f64,
    charged_sensitivity: f64,
    scale: f64,
    noise: GridNoise<RoundedLaplaceSampler>,
}

impl Laplace {
    /// A Laplace mechanism for L1 sensitivity `sensitivity` at privacy `epsilon`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if either is not finite and `> 0`, or if
    /// `sensitivity / epsilon` overflows.
    pub fn new(sensitivity: f64, epsilon: f64) -> Result<Laplace> {
        check_positive("sensitivity", sensitivity)?;
        check_positive("epsilon", epsilon)?;
        let ideal = sensitivity / epsilon;
        if !ideal.is_finite() {
            return Err(scale_overflow(epsilon));
        }
        let grid_exp = grid_exponent(ideal.max(f64::from_bits(1)));
        let charged = add_up(sensitivity, ldexp(1.0, grid_exp));
        let scale = div_up(charged, at_most_charged(epsilon));
        if !scale.is_finite() {
            return Err(scale_overflow(epsilon));
        }
        let grid_scale = Rational::from_f64("scale", scale)?.mul_pow2(-i64::from(grid_exp));
        Ok(Laplace {
            epsilon,
            charged_sensitivity: charged,
            scale,
            noise: GridNoise::new(
                Grid::new(grid_exp),
                RoundedLaplaceSampler::new(&grid_scale)?,
            ),
        })
    }

    /// The privacy event of one release: [`PrivacyEvent::Laplace`] with the
    /// charged sensitivity `Δ + γ` and the scale `b`, `(Δ + γ)/b ≤ ε`.
    pub fn event(&self) -> PrivacyEvent {
        PrivacyEvent::Laplace {
            l1_sensitivity: self.charged_sensitivity,
            scale: self.scale,
        }
    }

    /// The ε of one release (as requested; the exact loss `(Δ + γ)/b` is at most this).
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The noise scale `b` (≥ `Δ/ε`).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The grid spacing `γ`.
    pub fn grid(&self) -> f64 {
        self.noise.grid().spacing()
    }

    /// The input domain's bound: [`Laplace::release`] takes finite values
    /// with `|value| ≤` this (the double below `2^126·γ`) and refuses every
    /// other value — NaN, ±∞, larger magnitudes — before drawing noise, so a
    /// refusal reveals that the value was outside the domain.
    /// [`crate::budget::Budget::laplace`] never refuses a value: it maps it
    /// into this domain first (NaN to 0, the rest clamped to ±this bound).
    pub fn max_abs_value(&self) -> f64 {
        self.noise.max_abs_value()
    }

    /// Checks `value` exactly as a release would (finite, within the grid's
    /// range) without drawing noise: callers that must validate before a
    /// side effect, such as a budget spend, use this first.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `value` (never its value).
    pub fn check_value(&self, value: f64) -> Result<()> {
        self.noise.check_value(value)
    }

    /// `value` plus Laplace noise, with the process's secure generator.
    ///
    /// # Errors
    ///
    /// See the module documentation.
    pub fn release(&self, value: f64) -> Result<f64> {
        self.noise.release(value)
    }

    /// `value` plus Laplace noise drawn from `rng`.
    ///
    /// # Errors
    ///
    /// See the module documentation.
    pub fn release_with<R: NoiseRng>(&self, value: f64, rng: &mut R) -> Result<f64> {
        self.noise.release_with(value, rng)
    }

    /// Releases every value of `values` into `out` (same length), each with
    /// independent noise (each is one release: the privacy cost is per value).
    ///
    /// All values are checked before any noise is drawn; on error `out` is
    /// left untouched.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the lengths differ or a value is invalid.
    pub fn release_batch(&self, values: &[f64], out: &mut [f64]) -> Result<()> {
        self.noise.release_batch(values, out)
    }

    /// Like [`Laplace::release_batch`], replacing each value by its release.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if a value is invalid (nothing is changed).
    pub fn release_in_place(&self, values: &mut [f64]) -> Result<()> {
        self.noise.release_in_place(values)
    }
}

/// The error for `sensitivity / epsilon` overflowing.
pub(crate) fn scale_overflow(epsilon: f64) -> Error {
    Error::invalid(
        "epsilon",
        format!("is too small for this sensitivity (the noise scale overflows), got {epsilon:e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use crate::rng::InsecureSeededRng;

    #[test]
    fn calibration_charges_the_grid() {
        let m = Laplace::new(1.0, 1.0).unwrap();
        assert_eq!(m.grid(), 2f64.powi(-40));
        assert_eq!(m.scale(), 1.0 + 2f64.powi(-40));
        match m.event() {
            PrivacyEvent::Laplace {
                l1_sensitivity,
                scale,
            } => {
                assert_eq!(l1_sensitivity, 1.0 + 2f64.powi(-40));
                assert!(l1_sensitivity / scale <= 1.0);
            }
            other => panic!("unexpected event {other:?}"),
        }
        let m = Laplace::new(3.0, 0.1).unwrap();
        assert!(m.grid() >= 30.0 * 2f64.powi(-40) && m.grid() < 30.0 * 2f64.powi(-39));
        assert!((3.0 + m.grid()) / m.scale() <= 0.1);
    }

    #[test]
    fn bad_parameters_and_values_are_rejected() {
        for (d, e, msg) in [
            (f64::NAN, 1.0, "sensitivity must be finite and > 0, got NaN"),
            (0.0, 1.0, "sensitivity must be finite and > 0, got 0"),
            (1.0, -1.0, "epsilon must be finite and > 0, got -1"),
            (
                1.0,
                f64::INFINITY,
                "epsilon must be finite and > 0, got inf",
            ),
        ] {
            let err = Laplace::new(d, e).unwrap_err();
            assert_eq!(err.status(), Status::InvalidArgument);
            assert_eq!(err.to_string(), msg);
        }
        assert!(Laplace::new(1e300, 1e-300).is_err());
        let m = Laplace::new(1.0, 1.0).unwrap();
        assert!(m.release(f64::NAN).is_err());
        assert!(m.release(f64::INFINITY).is_err());
        assert!(m.release(1e40).is_err());
        let mut out = [0.0; 2];
        assert!(m.release_batch(&[1.0], &mut out).is_err());
        assert!(m.release_batch(&[1.0, f64::NAN], &mut out).is_err());
        assert_eq!(out, [0.0, 0.0], "out untouched on error");
    }

    /// The noise on the grid follows the exact law of round(Laplace(b/γ))
    /// (chi-square, false-failure rate ≈ 1e-6), for ε from 0.01 to 10.
    #[test]
    fn noise_on_the_grid_follows_the_rounded_laplace_law() {
        use crate::sample::stats::{assert_follows, rounded_laplace_cdf};
        for (i, eps) in [0.01, 1.0, 10.0].into_iter().enumerate() {
            let m = Laplace::new(1.0, eps).unwrap();
            let t = m.scale() / m.grid();
            let mut rng = InsecureSeededRng::from_seed_insecure(900 + i as u64);
            let v = 3.25;
            let noise: Vec<i128> = (0..20_000)
                .map(|_| {
                    let y = m.release_with(v, &mut rng).unwrap();
                    ((y - v) / m.grid()) as i128
                })
                .collect();
            assert_follows(&noise, rounded_laplace_cdf(t), &format!("eps={eps}"));
        }
    }

    /// Outputs are multiples of γ: the float attack has nothing to read.
    #[test]
    fn outputs_lie_on_the_grid_and_spread_like_laplace() {
        let m = Laplace::new(1.0, 0.5).unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(5);
        let n = 4000;
        let mut sum_abs = 0.0;
        for _ in 0..n {
            let y = m.release_with(10.0, &mut rng).unwrap();
            assert_eq!((y / m.grid()).fract(), 0.0);
            sum_abs += (y - 10.0).abs();
        }
        // E|Lap(b)| = b = 2; the mean of 4000 draws is within 5 sd (sd = b/√n).
        let mean = sum_abs / n as f64;
        assert!((mean - 2.0).abs() < 5.0 * 2.0 / (n as f64).sqrt(), "{mean}");
        let mut batch = [1.0, 2.0, 3.0];
        m.release_in_place(&mut batch).unwrap();
        let mut out = [0.0; 3];
        m.release_batch(&[1.0, 2.0, 3.0], &mut out).unwrap();
        assert!(out.iter().chain(&batch).all(|v| v.is_finite()));
    }
}
