//! # ilsprivacy
//!
//! Differential privacy, a persistent privacy budget and patron-ID
//! tokenization for integrated library system (ILS) software, in-process, as
//! a Rust crate and through a stable C ABI (`include/ilsprivacy.h`).
//!
//! Modules:
//!
//! - [`error`]: the one error type and its C status codes.
//! - [`rng`]: the one source of randomness (ChaCha12 seeded from the OS,
//!   reseeded after `fork`).
//! - [`sample`]: exact samplers (Bernoulli, discrete Laplace, discrete
//!   Gaussian) in integer and rational arithmetic.
//! - [`mechanism`]: Laplace, Gaussian and their discrete forms, float-safe.
//! - [`bound`]: clamping and clipping of inputs.
//! - [`accountant`]: privacy events and their accounting.
//! - [`aggregate`]: streaming per-partition counts and sums with per-unit
//!   contribution bounds, mergeable shards and one accounted release.
//! - [`token`]: patron-ID tokenization (keys, key ring, compatibility and
//!   versioned tokens), export masking, small-cell suppression, export schemas.
//! - [`policy`]: data-lifecycle policies: retention windows and actions,
//!   role-aware masking with FERPA directory opt-outs, k-anonymous exports.
//! - [`budget`]: named accounts with exact limits, enforced as a privacy
//!   filter and persisted in a crash-safe, hash-chained ledger.
//!
//! - [`ffi`]: the C ABI (`ilsp_*` functions); its conventions are
//!   documented there and in the generated header.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod accountant;
pub mod aggregate;
pub mod bound;
pub mod budget;
pub mod error;
pub mod ffi;
pub mod mechanism;
/// Its C ABI lives in `ffi::policy`.
///
/// cbindgen:ignore
pub mod policy;
pub mod rng;
mod rounding;
pub mod sample;
/// Its C ABI lives in `ffi::token` and `ffi::mask`; the header generator
/// skips the module itself:
///
/// cbindgen:ignore
pub mod token;

pub use error::{Error, Result, Status};

/// The README's Rust examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The Rust examples of `docs/choosing-epsilon.md`, run as doc tests.
#[doc = include_str!("../docs/choosing-epsilon.md")]
#[cfg(doctest)]
pub struct ChoosingEpsilonDoctests;

/// The Rust examples of `docs/migration.md`, run as doc tests.
#[doc = include_str!("../docs/migration.md")]
#[cfg(doctest)]
pub struct MigrationDoctests;
