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

mod calibrate;
mod discrete;
mod gaussian;
pub mod grid;
mod laplace;
mod quantile;
mod response;

pub use calibrate::{analytic_gaussian_delta, discrete_gaussian_delta};
pub use discrete::{DiscreteGaussian, DiscreteLaplace};
pub use gaussian::Gaussian;
pub use laplace::Laplace;
pub use quantile::Quantile;
pub use response::RandomizedResponse;
