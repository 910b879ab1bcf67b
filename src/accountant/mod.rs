//! Privacy accounting: what each release costs and how costs compose.
//!
//! - [`PrivacyEvent`]: the mechanism that ran and its parameters, as every
//!   mechanism of [`crate::mechanism`] reports it. Accountants derive pure ε,
//!   (ε, δ), zCDP ρ, RDP curves or privacy-loss distributions from events, so
//!   the tightest available analysis can be applied after the fact.

mod event;

pub use event::PrivacyEvent;
