//! Exact samplers: integer and rational arithmetic only, on bits from
//! [`crate::rng`].
//!
//! No sampler evaluates `ln` or `exp` in floating point. Probabilities such
//! as `e^(−x)` are compared with random bits through rigorous integer bounds
//! ([`exp`] and fixed-point tables rounded outward), refined only when the
//! bits fall between the bounds, so every output follows its stated law
//! exactly.
//!
//! The Laplace-type and Gaussian samplers do the same work whatever value
//! they return: fixed-size rounds of exact rejection whose number does not
//! depend on the value, and table reads at uniformly random indices, except
//! on events of probability below `2^−65` per draw (an exact tie-break, the
//! far tail); the method and its proof are in the `block` module's
//! documentation (`src/sample/block.rs`).
//!
//! - [`bernoulli_rational`]: Bernoulli(`p`) for rational `p`.
//! - [`bernoulli_exp_neg`]: Bernoulli(`e^(−x)`) for rational `x ≥ 0`.
//! - [`DiscreteLaplaceSampler`]: `P(x) ∝ e^(−|x|/t)` on the integers.
//! - [`RoundedLaplaceSampler`]: the law of `round(W)`, `W` continuous Laplace.
//! - [`DiscreteGaussianSampler`]: `P(x) ∝ e^(−x²/(2σ²))` on the integers.
//!
//! Parameters are [`Rational`]s; every `f64` converts to one exactly.
//!
//! ```
//! use ilsprivacy::rng::{InsecureSeededRng, with_secure_rng};
//! use ilsprivacy::sample::{DiscreteLaplaceSampler, Rational, bernoulli_rational};
//!
//! let scale = Rational::from_u128(5, 2)?; // t = 2.5
//! let sampler = DiscreteLaplaceSampler::new(&scale)?;
//! let x: i128 = with_secure_rng(|rng| sampler.sample(rng))?;
//! let _ = x;
//! // Reproducible draws, for tests only:
//! let mut rng = InsecureSeededRng::from_seed_insecure(7);
//! let half = Rational::from_u128(1, 2)?;
//! let heads = (0..1000).filter(|_| bernoulli_rational(&mut rng, &half).unwrap()).count();
//! assert!((400..600).contains(&heads));
//! # Ok::<(), ilsprivacy::Error>(())
//! ```

mod alias;
mod bernoulli;
mod block;
pub mod exp;
mod fixexp;
mod gaussian;
mod laplace;
mod lazy;
mod rational;
#[cfg(test)]
pub(crate) mod stats;
pub(crate) mod words;

pub(crate) use bernoulli::uniform_prefix_below_real;
pub use bernoulli::{bernoulli_exp_neg, bernoulli_rational, uniform_below_big, uniform_below_real};
pub use gaussian::DiscreteGaussianSampler;
pub use laplace::{DiscreteLaplaceSampler, RoundedLaplaceSampler};
pub use rational::Rational;
pub(crate) use rational::decompose as decompose_f64;
