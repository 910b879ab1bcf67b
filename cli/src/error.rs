//! The program's errors and exit statuses.

use std::fmt;

/// Why a command failed. Messages name files, keys, lines and parameters,
/// never a row's content.
#[derive(Debug)]
pub enum CliError {
    /// A bad option or combination of options.
    Usage(String),
    /// A configuration file that does not parse or validate.
    Config(crate::config::ConfigError),
    /// The input was rejected before anything was spent (unreadable CSV,
    /// missing column, too many quarantined rows …).
    Input(String),
    /// The budget refused the report: nothing was released or charged.
    Budget(String),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// An error of the library (ledger, key, parameters).
    Library(ilsprivacy::Error),
}

impl CliError {
    /// The exit status: 2 usage or configuration, 3 budget refused, 4
    /// input rejected, 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::Budget(_) => 3,
            CliError::Input(_) => 4,
            CliError::Io { .. } => 1,
            CliError::Library(e) => match e.status() {
                ilsprivacy::Status::BudgetExhausted
                | ilsprivacy::Status::TemplateMismatch
                | ilsprivacy::Status::AccountSuspended => 3,
                ilsprivacy::Status::InvalidArgument => 2,
                _ => 1,
            },
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, e: &std::io::Error) -> CliError {
        CliError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Input(m) | CliError::Budget(m) => f.write_str(m),
            CliError::Config(e) => write!(f, "{e}"),
            CliError::Io { path, detail } => write!(f, "{path}: {detail}"),
            CliError::Library(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<ilsprivacy::Error> for CliError {
    fn from(e: ilsprivacy::Error) -> Self {
        CliError::Library(e)
    }
}

impl From<crate::config::ConfigError> for CliError {
    fn from(e: crate::config::ConfigError) -> Self {
        CliError::Config(e)
    }
}
