//! Data-lifecycle policies that library staff configure: retention windows
//! with an action at expiry, role-aware masking with FERPA directory
//! opt-outs, and generalization hierarchies for k-anonymous exports.
//!
//! One policy file (TOML, or the same structure as JSON) holds up to three
//! sections; [`Policy::parse`](crate::policy::Policy::parse) reads it and checks it whole, and every
//! mistake is a [`PolicyError`](crate::policy::PolicyError) naming the key (and, in TOML, the line):
//!
//! ```toml
//! [policy]
//! name = "public-library"
//! version = "2026-1"
//!
//! [[retention.rule]]            # see `retention`
//! class = "circulation_history"
//! fields = ["patron_id"]
//! anchor = "returned_on"
//! after = "30 days"
//! action = "pseudonymize"
//!
//! [access]                      # see `access`
//! directory_information = ["name", "grade_level"]
//! opt_out_field = "directory_opt_out"
//! [access.roles.circulation-staff]
//! show = ["patron_id", "name", "due_date"]
//! mask = { email = "email" }
//!
//! [anonymity]                   # see `anonymity`
//! k = 5
//! [anonymity.hierarchy.checkout_date]
//! kind = "date"
//! ```
//!
//! Modules: [`date`](crate::policy::date) (civil dates in UTC and window arithmetic),
//! [`transform`](crate::policy::transform) (the value transforms policies name), [`retention`](crate::policy::retention) (the
//! retention engine), [`access`](crate::policy::access) (role masking), [`anonymity`](crate::policy::anonymity)
//! (k-anonymity by generalization and suppression).
//!
//! None of the engines deletes or rewrites data by itself: they return what
//! to do per field, and audit summaries with counts, never values.
//!
//! ```
//! use ilsprivacy::policy::{Policy, PolicyError};
//!
//! let e = Policy::parse("[policy]\nname = \"p\"\nversion = \"1\"\n\n[[retention.rule]]\nclass = \"loans\"\nfields = [\"patron_id\"]\nanchor = \"returned_on\"\nafter = \"30 days\"\naction = \"purge\"\n").unwrap_err();
//! assert!(matches!(e, PolicyError::UnknownClass { .. }));
//! assert_eq!(e.to_string(), "retention.rule[0].class (line 5): unknown record class \"loans\"; expected one of circulation_history, holds, fines, patron_contact, student_records");
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::error::Error;

pub mod access;
pub mod anonymity;
pub mod date;
pub mod retention;
pub mod transform;

/// The largest policy text accepted, in bytes (checked before parsing).
pub const MAX_POLICY_LEN: usize = 1 << 20;

/// The most retention rules, roles, hierarchy columns or directory fields a
/// policy holds, and the most fields one rule or role names. (With these
/// caps, and [`MAX_EXTENDS_DEPTH`], checking the largest policy takes
/// milliseconds.)
pub const MAX_POLICY_ENTRIES: usize = 256;

/// The longest `extends` chain of a role.
pub const MAX_EXTENDS_DEPTH: usize = 16;

/// The longest field, role or policy name, in bytes.
pub const MAX_NAME_LEN: usize = 256;

/// The longest field name repeated in a message, in bytes (cut at a
/// character boundary).
const SHOWN_NAME_LEN: usize = 64;

/// A field or column name as shown in messages: at most 64 bytes.
pub(crate) fn shown_name(name: &str) -> &str {
    let mut end = name.len().min(SHOWN_NAME_LEN);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Where in a policy a mistake is: the key path and, for TOML, the line of
/// the table that holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The key path, e.g. `retention.rule[2].after` or `access.roles.teacher.extends`.
    pub key: String,
    /// The 1-based line of the enclosing table header (TOML only).
    pub line: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

/// Why a policy was refused. Every variant names where the mistake is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not valid TOML or JSON, or has a key of the wrong type
    /// or an unknown key.
    #[error("policy is not valid {format} at line {line}, column {column}: {message}")]
    Syntax {
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The text is longer than [`MAX_POLICY_LEN`].
    #[error("policy is larger than {MAX_POLICY_LEN} bytes ({0} given)")]
    TooLarge(usize),
    /// A retention rule names a record class that does not exist.
    #[error(
        "{at}: unknown record class {class:?}; expected one of circulation_history, holds, fines, patron_contact, student_records"
    )]
    UnknownClass {
        /// Where.
        at: Location,
        /// The class as written (cut to 64 bytes).
        class: String,
    },
    /// Two retention rules govern the same field of the same class from the
    /// same day, or a later window would take a weaker action.
    #[error("{at}: overlaps {other}: {reason}")]
    Overlap {
        /// The later rule.
        at: Location,
        /// The earlier rule it overlaps.
        other: Location,
        /// What overlaps.
        reason: String,
    },
    /// A retention window is negative.
    #[error("{at}: window must not be negative, got {window:?}")]
    NegativeWindow {
        /// Where.
        at: Location,
        /// The window as written.
        window: String,
    },
    /// A role is referred to that the policy does not define.
    #[error("{at}: unknown role {role:?}{known}")]
    UnknownRole {
        /// Where (for a caller's request: `role`).
        at: Location,
        /// The role as written (cut to 64 bytes).
        role: String,
        /// `"; defined roles: a, b"` or empty.
        known: String,
    },
    /// Any other value out of its domain.
    #[error("{at}: {reason}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong.
        reason: String,
    },
    /// The policy has no section for what was asked (e.g. `[access]`).
    #[error("policy has no [{0}] section")]
    MissingSection(&'static str),
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Error {
        Error::invalid("policy", e.to_string())
    }
}

/// The policy's name and version, repeated in every audit summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyMeta {
    /// The policy's name.
    pub name: String,
    /// The policy's version.
    pub version: String,
}

/// A checked policy file.
#[derive(Clone, Debug)]
pub struct Policy {
    meta: PolicyMeta,
    retention: Option<retention::RetentionPolicy>,
    access: Option<access::AccessPolicy>,
    anonymity: Option<anonymity::AnonymityPolicy>,
}

// ----- the file as written --------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    policy: RawMeta,
    retention: Option<RawRetention>,
    access: Option<access::RawAccess>,
    anonymity: Option<anonymity::RawAnonymity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    #[serde(default)]
    rule: Vec<retention::RawRule>,
}

/// Finds table headers in TOML text to give line numbers to semantic errors.
pub(crate) struct Lines<'a> {
    text: Option<&'a str>,
}

impl Lines<'_> {
    /// The 1-based line of the `index`-th line whose trimmed text starts
    /// with `header` (TOML only; `None` for JSON or when not found).
    pub(crate) fn of(&self, header: &str, index: usize) -> Option<usize> {
        let text = self.text?;
        text.lines()
            .enumerate()
            .filter(|(_, l)| {
                let l = l.trim_start();
                l.strip_prefix(header).is_some_and(|rest| {
                    rest.trim_start().is_empty() || rest.trim_start().starts_with('#')
                })
            })
            .nth(index)
            .map(|(i, _)| i + 1)
    }

    /// A [`Location`] for `key` inside the table `header` (its `index`-th occurrence).
    pub(crate) fn at(&self, key: String, header: &str, index: usize) -> Location {
        Location {
            key,
            line: self.of(header, index),
        }
    }
}

/// Checks a name (field, role, policy): 1 to [`MAX_NAME_LEN`] bytes.
pub(crate) fn check_name(name: &str, at: impl FnOnce() -> Location) -> Result<(), PolicyError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(PolicyError::Invalid {
            at: at(),
            reason: format!("must be 1 to {MAX_NAME_LEN} bytes, got {}", name.len()),
        });
    }
    Ok(())
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Policy {
    /// Parses and checks a policy: JSON when the first non-blank character
    /// is `{`, TOML otherwise.
    ///
    /// # Errors
    ///
    /// A [`PolicyError`] naming the key (and the line, in TOML) of the first
    /// mistake found.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        if text.len() > MAX_POLICY_LEN {
            return Err(PolicyError::TooLarge(text.len()));
        }
        let is_json = text.trim_start().starts_with('{');
        let raw: RawPolicy = if is_json {
            serde_json::from_str(text).map_err(|e| PolicyError::Syntax {
                format: "JSON",
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?
        } else {
            toml::from_str(text).map_err(|e| {
                let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
                PolicyError::Syntax {
                    format: "TOML",
                    line,
                    column,
                    message: e.message().trim().to_owned(),
                }
            })?
        };
        let lines = Lines {
            text: (!is_json).then_some(text),
        };
        let meta_at = |key: &str| lines.at(format!("policy.{key}"), "[policy]", 0);
        check_name(&raw.policy.name, || meta_at("name"))?;
        check_name(&raw.policy.version, || meta_at("version"))?;
        let retention = raw
            .retention
            .map(|r| retention::RetentionPolicy::from_raw(r.rule, &lines))
            .transpose()?;
        let access = raw
            .access
            .map(|a| access::AccessPolicy::from_raw(a, &lines))
            .transpose()?;
        let anonymity = raw
            .anonymity
            .map(|a| anonymity::AnonymityPolicy::from_raw(a, &lines))
            .transpose()?;
        Ok(Policy {
            meta: PolicyMeta {
                name: raw.policy.name,
                version: raw.policy.version,
            },
            retention,
            access,
            anonymity,
        })
    }

    /// The policy's name and version.
    pub fn meta(&self) -> &PolicyMeta {
        &self.meta
    }

    /// The `[retention]` rules.
    ///
    /// # Errors
    ///
    /// [`PolicyError::MissingSection`] if the policy has none.
    pub fn retention(&self) -> Result<&retention::RetentionPolicy, PolicyError> {
        self.retention
            .as_ref()
            .ok_or(PolicyError::MissingSection("retention"))
    }

    /// The `[access]` roles.
    ///
    /// # Errors
    ///
    /// [`PolicyError::MissingSection`] if the policy has none.
    pub fn access(&self) -> Result<&access::AccessPolicy, PolicyError> {
        self.access
            .as_ref()
            .ok_or(PolicyError::MissingSection("access"))
    }

    /// The `[anonymity]` settings, if any.
    pub fn anonymity(&self) -> Option<&anonymity::AnonymityPolicy> {
        self.anonymity.as_ref()
    }
}

/// Counts by name, for audit summaries.
pub type Counts = BTreeMap<String, u64>;
