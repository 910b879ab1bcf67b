//! Where the per-user ledger lives.

use std::path::{Path, PathBuf};

use crate::error::CliError;

/// The ledger's file name inside the state directory.
pub const LEDGER_FILE: &str = "budget.ledger";

/// The default ledger: `$XDG_STATE_HOME/ilsprivacy/budget.ledger` when
/// `XDG_STATE_HOME` is an absolute path, else
/// `$HOME/.local/state/ilsprivacy/budget.ledger`.
///
/// # Errors
///
/// [`CliError::Usage`] when neither variable gives an absolute path.
pub fn default_ledger() -> Result<PathBuf, CliError> {
    let absolute = |v: Option<std::ffi::OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(state) = absolute(std::env::var_os("XDG_STATE_HOME")) {
        return Ok(state.join("ilsprivacy").join(LEDGER_FILE));
    }
    if let Some(home) = absolute(std::env::var_os("HOME")) {
        return Ok(home
            .join(".local")
            .join("state")
            .join("ilsprivacy")
            .join(LEDGER_FILE));
    }
    Err(CliError::Usage(
        "no per-user state directory (neither XDG_STATE_HOME nor HOME is an absolute path): pass --ledger PATH".into(),
    ))
}

/// The ledger to use: `given`, or the default.
///
/// # Errors
///
/// As [`default_ledger`].
pub fn ledger_path(given: Option<&Path>) -> Result<(PathBuf, bool), CliError> {
    match given {
        Some(p) => Ok((p.to_path_buf(), false)),
        None => Ok((default_ledger()?, true)),
    }
}
