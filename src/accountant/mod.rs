//! Privacy accounting: what each release costs and how costs compose.
//!
//! - [`PrivacyEvent`]: the mechanism that ran and its parameters, as every
//!   mechanism of the crate reports it. Each event converts to pure ε
//!   ([`PrivacyEvent::pure_epsilon`]), zCDP ρ ([`PrivacyEvent::zcdp_rho`]),
//!   (ε, δ) at a chosen δ ([`PrivacyEvent::epsilon_at_delta`]), an RDP curve
//!   ([`PrivacyEvent::rdp_curve`]) and a privacy-loss distribution
//!   ([`PrivacyEvent::pld`]).
//! - Cost types and their composition: [`PureDp`], [`ApproxDp`] (basic
//!   composition), [`Zcdp`], [`RdpCurve`], [`Pld`]; the advanced
//!   ([`advanced_composition_epsilon`]) and optimal homogeneous
//!   ([`optimal_homogeneous_epsilon`]) composition theorems.
//! - [`Accountant`]: a sequence of releases and its (ε, δ) under each
//!   [`Method`], with planning helpers [`max_releases`],
//!   [`gaussian_sigma`], [`laplace_scale`], [`epsilon_after`],
//!   [`delta_after`].
//!
//! ```
//! use ilsprivacy::accountant::{
//!     Method, PrivacyEvent, Zcdp, epsilon_after, gaussian_sigma, max_releases,
//! };
//!
//! // 12 monthly Laplace releases of scale 10 (Δ = 1): ε for the year.
//! let event = PrivacyEvent::Laplace { l1_sensitivity: 1.0, scale: 10.0 };
//! let eps = epsilon_after(event, 12, 1e-6, Method::Best)?;
//! assert!(eps > 1.19 && eps <= 1.2 + 1e-9);
//! // How many of them fit in ε = 1, and which σ lets 52 Gaussians fit.
//! assert_eq!(max_releases(event, 1.0, 1e-6, Method::Best)?, 10);
//! let sigma = gaussian_sigma(1.0, 52, 1.0, 1e-6, Method::Best)?;
//! assert!(sigma > 30.0 && sigma < 31.0);
//! // Cost types compose directly too.
//! let rho = Zcdp::new(0.01)?.repeat(50)?;
//! assert!((rho.rho() - 0.5).abs() < 1e-12);
//! # Ok::<(), ilsprivacy::Error>(())
//! ```
//!
//! # Rounding
//!
//! Every conversion rounds toward more privacy loss: rational results are
//! rounded up exactly (IEEE result corrected by its exact error, obtained
//! with TwoSum or a fused multiply-add), irrational ones are pushed up by a
//! relative margin of 10⁻⁹ (more than 10⁶ times the error of the libm
//! functions used) plus size-dependent terms where error grows with the
//! problem (long sums, FFTs, ln C(k, l) for large k), PLDs are discretised
//! pessimistically, and searches return the end of their bracket that was
//! checked to be safe.
//!
//! # Validity
//!
//! Each method bounds the loss of a sequence whose mechanisms and parameters
//! are fixed in advance (outputs may feed later queries). Taking the best of
//! several methods is valid for such a sequence; enforcing a budget under
//! fully adaptive parameter choice needs a privacy filter (basic
//! composition of ε and δ, or additive zCDP ρ, are filters; Rogers, Roth,
//! Ullman, Vadhan 2016; Whitehouse et al. 2023), which the budget module
//! applies.

mod accounting;
mod atoms;
mod composition;
mod conversion;
mod event;
mod gaussian;
mod lattice;
mod pld;
mod rdp;
mod sampled;
mod search;
mod special;
mod zcdp;

pub use accounting::{
    Accountant, Method, delta_after, epsilon_after, gaussian_sigma, laplace_scale, max_releases,
    sampled_gaussian_sigma, sampled_laplace_scale,
};
pub use composition::{
    ApproxDp, PureDp, advanced_composition_delta, advanced_composition_epsilon,
    optimal_homogeneous_delta, optimal_homogeneous_epsilon,
};
pub(crate) use conversion::DiscreteGaussianProfile;
pub use event::PrivacyEvent;
pub(crate) use event::tree_levels;
pub(crate) use gaussian::gaussian_delta;
pub use pld::Pld;
pub use rdp::{RDP_ORDERS, RdpCurve};
pub use zcdp::Zcdp;
pub(crate) use zcdp::{cks_epsilon, cks_max_rho};
