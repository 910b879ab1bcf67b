//! Differentially private mechanisms.
//!
//! | mechanism | input | guarantee | event |
//! |---|---|---|---|
//! | [`Laplace`] | `f64` | ε-DP (L1 sensitivity Δ) | [`Laplace`](crate::accountant::PrivacyEvent::Laplace) (Δ + γ, b) |
//! | [`Gaussian`] | `f64` | (ε, δ)-DP / ρ-zCDP (L2 sensitivity Δ) | [`DiscreteGaussian`](crate::accountant::PrivacyEvent::DiscreteGaussian) in grid units |
//! | [`DiscreteLaplace`] | `i64` | ε-DP | [`DiscreteLaplace`](crate::accountant::PrivacyEvent::DiscreteLaplace) |
//! | [`DiscreteGaussian`] | `i64` | (ε, δ)-DP / ρ-zCDP | [`DiscreteGaussian`](crate::accountant::PrivacyEvent::DiscreteGaussian) |
//! | [`RandomizedResponse`] | category `< k` | ε-DP per report | [`RandomizedResponse`](crate::accountant::PrivacyEvent::RandomizedResponse) |
//! | [`Quantile`] | `&[f64]` | ε-DP (add/remove one value) | [`Exponential`](crate::accountant::PrivacyEvent::Exponential) |
//! | [`ContinualCounter`] | one `i64` per period, T periods | ε-DP or ρ-zCDP for the whole series of running totals | [`ContinualCountLaplace`](crate::accountant::PrivacyEvent::ContinualCountLaplace) / [`ContinualCountGaussian`](crate::accountant::PrivacyEvent::ContinualCountGaussian) |
//!
//! # Input domains, and what a refusal reveals
//!
//! | mechanism | values released | refused (before any noise, at no cost) |
//! |---|---|---|
//! | [`Laplace`], [`Gaussian`] | finite, `|v| ≤ max_abs_value()` (the double below 2¹²⁶·γ, γ ≈ scale·2⁻⁴⁰) | NaN, ±∞, larger magnitudes |
//! | [`DiscreteLaplace`], [`DiscreteGaussian`] | every `i64` (the noisy sum is clamped to the `i64` range: post-processing) | none |
//! | [`RandomizedResponse`] | a category `< k` | a category `≥ k` |
//! | [`Quantile`] | every non-NaN `f64` (outside `[lo, hi]` counts as `lo` or `hi`) | a slice containing NaN |
//!
//! A refusal is a result too: when a mechanism is called directly, its
//! refusal tells the caller exactly that the value (or some value of the
//! slice) was outside the domain — nothing more, and no noise was drawn.
//! Call the mechanisms with values already in their domain, or use the
//! budget's helpers ([`crate::budget::Budget::laplace`] and
//! [`crate::budget::Budget::gaussian`]), which never refuse a value: they
//! map it into the domain by a rule fixed in advance (NaN to 0, the rest
//! clamped to ±`max_abs_value()`), so their errors depend only on the
//! parameters and the budget. The aggregator clamps each value to its
//! configured bounds and the CSV reader quarantines unreadable rows; a
//! release of a table never fails because of a value.
//!
//! Float mechanisms never add floating-point noise to a float: the input is
//! rounded to a power-of-two grid tied to the noise scale, exact integer
//! noise is added in integer arithmetic, and the result is scaled back
//! ([`grid`] explains the grid and its cost). All noise comes from
//! [`crate::sample`] (exact samplers) and [`crate::rng`].
//!
//! Every mechanism reports the [`PrivacyEvent`](crate::accountant::PrivacyEvent)
//! of one release through `event()`, with the sensitivity it was actually
//! calibrated to.
//!
//! ```
//! use ilsprivacy::mechanism::{DiscreteGaussian, DiscreteLaplace, Gaussian, Laplace};
//!
//! // A count of loans, one patron changes it by at most 1, ε = 0.5.
//! let laplace = Laplace::new(1.0, 0.5)?;
//! let noisy = laplace.release(120.0)?;
//! assert!(noisy.is_finite());
//! let event = laplace.event(); // what to record in an accountant or budget
//! assert!(event.pure_epsilon()?.unwrap() >= 0.5);
//!
//! // Integer outputs for integer counts.
//! let noisy_count: i64 = DiscreteLaplace::new(1, 0.5)?.release(120)?;
//! let _ = noisy_count;
//!
//! // (ε, δ) Gaussian, analytic calibration.
//! let g = Gaussian::from_epsilon_delta(1.0, 1.0, 1e-6)?;
//! assert!(g.sigma() < 4.3); // the classic formula would give 5.30
//! let _ = DiscreteGaussian::from_rho(1, 0.5)?.release(7)?;
//! # Ok::<(), ilsprivacy::Error>(())
//! ```

mod calibrate;
mod continual;
mod discrete;
mod gaussian;
pub mod grid;
mod laplace;
mod noise;
mod quantile;
mod response;

pub use calibrate::{analytic_gaussian_delta, discrete_gaussian_delta};
pub use continual::{ContinualCounter, MAX_PERIODS};
pub use discrete::{DiscreteGaussian, DiscreteLaplace};
pub use gaussian::Gaussian;
pub use laplace::Laplace;
pub use quantile::Quantile;
pub use response::RandomizedResponse;
