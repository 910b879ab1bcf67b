//! Build script: gives the shared library its SONAME.
//!
//! The SONAME is derived from the package version in `Cargo.toml`, the one
//! place the version is written: `libilsprivacy.so.MAJOR` from 1.0 on,
//! `libilsprivacy.so.0.MINOR` before (where every minor release may break the
//! ABI, see docs/abi-stability.md), `libilsprivacy.so.0.0.PATCH` for 0.0.x.
//! `scripts/install.sh` reads the SONAME back from the built library to name
//! the installed file and its symlinks, so the rule lives only here.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| env::var(name).unwrap_or_default();
    // ELF platforms only; other targets keep the linker's default naming.
    let elf = var("CARGO_CFG_TARGET_FAMILY")
        .split(',')
        .any(|f| f == "unix")
        && var("CARGO_CFG_TARGET_VENDOR") != "apple";
    if !elf {
        return;
    }
    let soname = format!(
        "libilsprivacy.so.{}",
        soname_version(
            &var("CARGO_PKG_VERSION_MAJOR"),
            &var("CARGO_PKG_VERSION_MINOR"),
            &var("CARGO_PKG_VERSION_PATCH"),
        )
    );
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
}

/// The version part of the SONAME: the components that a compatible release
/// keeps (cargo-c's rule, so a later switch to cargo-c keeps the name).
/// Public for `tests/soname.rs`, which includes this file.
pub fn soname_version(major: &str, minor: &str, patch: &str) -> String {
    match (major, minor) {
        ("0", "0") => format!("0.0.{patch}"),
        ("0", _) => format!("0.{minor}"),
        _ => major.to_string(),
    }
}
