//! Harness bodies for the cargo-fuzz targets in `fuzz_targets/`, one
//! function per target taking the raw fuzzer input.
//!
//! The same functions replay the committed inputs under `fuzz/regressions/`
//! and `fuzz/seeds/` from the main crate's `cargo test`
//! (`tests/fuzz_regressions.rs` includes this module tree), so every crash
//! once found stays a test.
//!
//! A harness fails (panics) on a property violation, not only on a crash:
//! each module states what it checks.

#![allow(clippy::too_many_lines)]

pub mod aggregate;
pub mod cbuf;
pub mod csv;
pub mod export;
pub mod ffi_budget;
pub mod ffi_governance;
pub mod ffi_text;
pub mod ffi_token;
pub mod key;
pub mod ledger;
pub mod masking;
pub mod policy;
pub mod support;
pub mod token;

/// A harness: runs one raw fuzzer input, panicking on a violated property.
pub type Harness = fn(&[u8]);

/// Every target: its name (the `fuzz_targets/<name>.rs` file, the
/// `fuzz/seeds/<name>/` and `fuzz/regressions/<name>/` directories) and its
/// harness.
pub const TARGETS: &[(&str, Harness)] = &[
    ("ledger_bytes", ledger::bytes),
    ("ledger_lines", ledger::lines),
    ("token_formats", token::run),
    ("key_material", key::run),
    ("export_record", export::run),
    ("masking", masking::run),
    ("ffi_token", ffi_token::run),
    ("ffi_text", ffi_text::run),
    ("ffi_budget", ffi_budget::run),
    ("ffi_governance", ffi_governance::run),
    ("aggregate_csv", aggregate::csv),
    ("aggregate_state", aggregate::state),
    ("csv_records", csv::records),
    ("policy", policy::run),
];
