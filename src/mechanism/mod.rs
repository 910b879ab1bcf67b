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
mod discrete;
mod gaussian;
pub mod grid;
mod laplace;
mod noise;
mod quantile;
mod response;

pub use calibrate::{analytic_gaussian_delta, discrete_gaussian_delta};
pub use discrete::{DiscreteGaussian, DiscreteLaplace};
pub use gaussian::Gaussian;
pub use laplace::Laplace;
pub use quantile::Quantile;
pub use response::RandomizedResponse;
