//! The one error type of the crate and its mapping to C status codes.
//!
//! Every fallible function in the crate returns [`Result<T>`]. Each [`Error`]
//! variant corresponds to exactly one [`Status`] code, and the numbers of the
//! codes are fixed forever: new codes may be appended, none is renumbered.
//!
//! Messages name the parameter or field at fault and, for numeric *parameters*
//! (ε, δ, sensitivities, bounds), the offending value. They never contain
//! patron identifiers, the values being protected, noise, or key bytes.
//!
//! ```
//! use ilsprivacy::mechanism::Laplace;
//! use ilsprivacy::{Error, Status};
//!
//! let e = Laplace::new(1.0, f64::NAN).unwrap_err();
//! assert_eq!(e.status(), Status::InvalidArgument);
//! assert_eq!(e.status().code(), 2); // ILSP_ERR_INVALID_ARGUMENT
//! assert!(e.to_string().contains("epsilon"));
//! assert!(matches!(e, Error::InvalidArgument { param: "epsilon", .. }));
//! ```

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A C status code. The discriminants are the numbers returned through the C ABI.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL.
    Null = 1,
    /// NaN/∞, ε ≤ 0, δ ∉ (0,1), lo > hi, a bad option ...
    InvalidArgument = 2,
    /// The spend would exceed the limit; nothing was released or recorded.
    BudgetExhausted = 3,
    /// The output buffer is too small; the needed length is reported.
    BufferTooSmall = 4,
    /// Text is not valid UTF-8.
    Encoding = 5,
    /// Key too short, unknown key id, bad key material.
    Key = 6,
    /// A ledger file could not be opened, locked, read or written.
    Io = 7,
    /// A ledger's format, version or hash chain is broken.
    LedgerIntegrity = 8,
    /// The operating system could not provide randomness.
    Entropy = 9,
    /// A bug in this library (for example a caught panic).
    Internal = 10,
    /// The spend matches none of the account's query templates, and the
    /// account accepts only templated spends; nothing was released or recorded.
    TemplateMismatch = 11,
    /// The account is suspended and refuses every spend; nothing was
    /// released or recorded.
    AccountSuspended = 12,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 13] = [
        Status::Ok,
        Status::Null,
        Status::InvalidArgument,
        Status::BudgetExhausted,
        Status::BufferTooSmall,
        Status::Encoding,
        Status::Key,
        Status::Io,
        Status::LedgerIntegrity,
        Status::Entropy,
        Status::Internal,
        Status::TemplateMismatch,
        Status::AccountSuspended,
    ];

    /// The number returned through the C ABI.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The C constant's name, e.g. `"ILSP_ERR_NULL"`.
    pub const fn name(self) -> &'static str {
        match self {
            Status::Ok => "ILSP_OK",
            Status::Null => "ILSP_ERR_NULL",
            Status::InvalidArgument => "ILSP_ERR_INVALID_ARGUMENT",
            Status::BudgetExhausted => "ILSP_ERR_BUDGET_EXHAUSTED",
            Status::BufferTooSmall => "ILSP_ERR_BUFFER_TOO_SMALL",
            Status::Encoding => "ILSP_ERR_ENCODING",
            Status::Key => "ILSP_ERR_KEY",
            Status::Io => "ILSP_ERR_IO",
            Status::LedgerIntegrity => "ILSP_ERR_LEDGER_INTEGRITY",
            Status::Entropy => "ILSP_ERR_ENTROPY",
            Status::Internal => "ILSP_ERR_INTERNAL",
            Status::TemplateMismatch => "ILSP_ERR_TEMPLATE_MISMATCH",
            Status::AccountSuspended => "ILSP_ERR_ACCOUNT_SUSPENDED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every way an operation of this crate can fail.
///
/// The `Display` form is the message returned by `ilsp_last_error()` in C and
/// carried by the Python and PHP exceptions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required pointer argument was NULL (C ABI only).
    #[error("{param} must not be NULL")]
    Null {
        /// The parameter's name as declared in the header.
        param: &'static str,
    },

    /// A parameter is outside its domain.
    #[error("{param} {reason}")]
    InvalidArgument {
        /// The parameter's name.
        param: &'static str,
        /// What is wrong, e.g. `"must be finite and > 0, got NaN"`.
        reason: String,
    },

    /// The spend would exceed the account's limit; nothing was released or recorded.
    #[error("privacy budget exhausted on account {account:?}: {detail}")]
    BudgetExhausted {
        /// The account's name.
        account: String,
        /// Requested and remaining budget.
        detail: String,
    },

    /// The account accepts only spends that match one of its query
    /// templates, and this one matches none; nothing was released or recorded.
    #[error("spend refused on account {account:?} by its query templates: {detail}")]
    TemplateMismatch {
        /// The account's name.
        account: String,
        /// Which template rule each template failed (parameters only).
        detail: String,
    },

    /// The account is suspended; nothing was released or recorded.
    #[error(
        "account {account:?} is suspended ({reason}); every spend is refused until it is resumed"
    )]
    AccountSuspended {
        /// The account's name.
        account: String,
        /// The reason recorded with the suspension.
        reason: String,
    },

    /// An output buffer is too small.
    #[error("{param} is too small: {needed} bytes needed, {capacity} given")]
    BufferTooSmall {
        /// The buffer parameter's name.
        param: &'static str,
        /// The length needed (also written to the length out-pointer in C).
        needed: usize,
        /// The capacity the caller gave.
        capacity: usize,
    },

    /// Text that must be UTF-8 is not.
    #[error("{param} is not valid UTF-8 (first invalid byte at offset {offset})")]
    Encoding {
        /// The parameter or field name.
        param: &'static str,
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },

    /// Key material is missing, too short, malformed, or a key id is unknown.
    #[error("key error: {0}")]
    Key(String),

    /// A file could not be opened, locked, read or written.
    #[error("I/O error on {path}: {detail}")]
    Io {
        /// The file involved.
        path: String,
        /// The operating system's description.
        detail: String,
    },

    /// A ledger's format, version or hash chain is broken.
    #[error("ledger integrity error: {0}")]
    LedgerIntegrity(String),

    /// The operating system could not provide randomness.
    #[error("the operating system could not provide randomness: {0}")]
    Entropy(String),

    /// A bug in this library, such as a caught panic or a broken internal invariant.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The C status code of this error.
    pub fn status(&self) -> Status {
        match self {
            Error::Null { .. } => Status::Null,
            Error::InvalidArgument { .. } => Status::InvalidArgument,
            Error::BudgetExhausted { .. } => Status::BudgetExhausted,
            Error::BufferTooSmall { .. } => Status::BufferTooSmall,
            Error::Encoding { .. } => Status::Encoding,
            Error::Key(_) => Status::Key,
            Error::Io { .. } => Status::Io,
            Error::LedgerIntegrity(_) => Status::LedgerIntegrity,
            Error::Entropy(_) => Status::Entropy,
            Error::Internal(_) => Status::Internal,
            Error::TemplateMismatch { .. } => Status::TemplateMismatch,
            Error::AccountSuspended { .. } => Status::AccountSuspended,
        }
    }

    /// An [`Error::InvalidArgument`] for `param` with the given reason.
    pub fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            param,
            reason: reason.into(),
        }
    }
}

/// Describes a float for an error message: `NaN`, `inf`, `-inf` or its shortest decimal form.
pub fn describe_f64(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format!("{x}")
    }
}

/// Checks that a float parameter is finite.
pub fn check_finite(param: &'static str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::invalid(
            param,
            format!("must be finite, got {}", describe_f64(x)),
        ))
    }
}

/// Checks that a float parameter is finite and strictly positive.
///
/// # Errors
///
/// [`Error::InvalidArgument`] naming `param` and the value.
pub fn check_positive(param: &'static str, x: f64) -> Result<f64> {
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(Error::invalid(
            param,
            format!("must be finite and > 0, got {}", describe_f64(x)),
        ))
    }
}

/// Checks that a value that is protected data (not a parameter) is finite.
/// The message never contains the value itself.
pub fn check_finite_data(param: &'static str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::invalid(param, "must be finite (got NaN or ±inf)"))
    }
}

/// An empty `Vec` with room for `n` values, or [`Error::InvalidArgument`]
/// naming `param` when that memory cannot be had: for working memory sized
/// by a caller's count where no fixed cap is natural. (A plain
/// `Vec::with_capacity` would abort the process on failure.)
pub(crate) fn try_with_capacity<T>(n: usize, param: &'static str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        Error::invalid(
            param,
            format!("is too large: {n} entries need more working memory than can be allocated"),
        )
    })?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_allocations_are_typed_errors() {
        let e = try_with_capacity::<u64>(usize::MAX / 4, "n").unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert!(e.to_string().starts_with("n is too large"), "{e}");
        assert!(try_with_capacity::<u64>(1 << 50, "n").is_err());
        assert_eq!(try_with_capacity::<u64>(3, "n").unwrap().capacity(), 3);
    }

    #[test]
    fn status_codes_are_fixed() {
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(s.code(), i as i32, "{s} renumbered");
        }
    }

    #[test]
    fn every_error_maps_to_its_status() {
        let cases = [
            (Error::Null { param: "out" }, Status::Null),
            (Error::invalid("epsilon", "bad"), Status::InvalidArgument),
            (
                Error::BudgetExhausted {
                    account: "a".into(),
                    detail: "d".into(),
                },
                Status::BudgetExhausted,
            ),
            (
                Error::BufferTooSmall {
                    param: "out",
                    needed: 65,
                    capacity: 10,
                },
                Status::BufferTooSmall,
            ),
            (
                Error::Encoding {
                    param: "id",
                    offset: 0,
                },
                Status::Encoding,
            ),
            (Error::Key("short".into()), Status::Key),
            (
                Error::Io {
                    path: "p".into(),
                    detail: "d".into(),
                },
                Status::Io,
            ),
            (Error::LedgerIntegrity("x".into()), Status::LedgerIntegrity),
            (Error::Entropy("x".into()), Status::Entropy),
            (Error::Internal("x".into()), Status::Internal),
            (
                Error::TemplateMismatch {
                    account: "a".into(),
                    detail: "d".into(),
                },
                Status::TemplateMismatch,
            ),
            (
                Error::AccountSuspended {
                    account: "a".into(),
                    reason: "r".into(),
                },
                Status::AccountSuspended,
            ),
        ];
        for (e, s) in cases {
            assert_eq!(e.status(), s);
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn messages_name_the_parameter_and_value() {
        let e = check_positive("epsilon", f64::NAN).unwrap_err();
        assert_eq!(e.to_string(), "epsilon must be finite and > 0, got NaN");
        let e = check_positive("epsilon", -0.5).unwrap_err();
        assert_eq!(e.to_string(), "epsilon must be finite and > 0, got -0.5");
        let e = check_finite("lo", f64::NEG_INFINITY).unwrap_err();
        assert_eq!(e.to_string(), "lo must be finite, got -inf");
        assert!(check_finite("x", 1.5).is_ok());
    }

    #[test]
    fn data_messages_never_contain_the_value() {
        let e = check_finite_data("value", f64::INFINITY).unwrap_err();
        assert_eq!(e.to_string(), "value must be finite (got NaN or ±inf)");
    }
}
