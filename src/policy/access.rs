//! Role-aware masking: which fields each requesting role may see, masked or
//! as they are, with FERPA directory-information opt-outs per record.
//!
//! ```toml
//! [access]
//! directory_information = ["name", "grade_level", "email"]
//! opt_out_field = "directory_opt_out"
//!
//! [access.roles.teacher]
//! legitimate_interest = true         # a FERPA school official
//! scopes = ["ils.students.read"]     # OAuth scopes that select this role
//! show = ["name", "grade_level"]
//! mask = { birth_date = "date:year" }
//!
//! [access.roles.counselor]
//! extends = "teacher"                # the teacher's fields, then these
//! show = ["disciplinary_notes"]
//! ```
//!
//! **Deny by default**: a field a role neither shows nor masks is suppressed
//! (left out of the output). `mask` values are [`Transform`]s; a value a
//! transform cannot read is suppressed too (and reported by field name).
//! `extends` copies another role's fields (and its `legitimate_interest`,
//! unless the role sets its own) first; the role's own entries override them.
//!
//! **Directory information** (FERPA, 34 CFR § 99.37): fields listed in
//! `directory_information` are suppressed for every role without
//! `legitimate_interest` when the record's `opt_out_field` says the student
//! opted out. The flag is read as `true`/`yes`/`y`/`1` (opted out) or
//! `false`/`no`/`n`/`0`/empty (not), case-insensitively; a record without
//! the field, or with any other value, is treated as **opted out** (fail
//! closed).
//!
//! ```
//! use ilsprivacy::policy::Policy;
//! use ilsprivacy::policy::access::Disposition;
//!
//! let policy = Policy::parse(r#"
//! [policy]
//! name = "demo"
//! version = "1"
//! [access]
//! directory_information = ["name"]
//! opt_out_field = "opt_out"
//! [access.roles.vendor-analytics]
//! show = ["name", "grade_level"]
//! "#)?;
//! let access = policy.access()?;
//! let out = access.apply("vendor-analytics", &[("name", "Ada"), ("grade_level", "7"), ("opt_out", "yes")], None)?;
//! assert_eq!(out.disposition_of("name"), Some(Disposition::Suppressed)); // opted out
//! assert_eq!(out.disposition_of("grade_level"), Some(Disposition::Shown));
//! assert_eq!(out.disposition_of("opt_out"), Some(Disposition::Suppressed)); // deny by default
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::policy::transform::Transform;
use crate::policy::{
    Lines, Location, MAX_EXTENDS_DEPTH, MAX_POLICY_ENTRIES, PolicyError, check_name, shown_name,
};
use crate::token::tokenizer::Tokenizer;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccess {
    #[serde(default)]
    directory_information: Vec<String>,
    opt_out_field: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, RawRole>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    extends: Option<String>,
    legitimate_interest: Option<bool>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    show: Vec<String>,
    #[serde(default)]
    mask: BTreeMap<String, String>,
}

/// What a role may do with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRule {
    /// Shown as it is.
    Show,
    /// Shown after a transform.
    Mask(Transform),
}

/// What happened to a field in the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Shown as it is.
    Shown,
    /// Shown after a transform.
    Masked,
    /// Left out.
    Suppressed,
}

impl Disposition {
    /// `shown`, `masked` or `suppressed`.
    pub fn name(self) -> &'static str {
        match self {
            Disposition::Shown => "shown",
            Disposition::Masked => "masked",
            Disposition::Suppressed => "suppressed",
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One role after `extends` is resolved.
#[derive(Clone, Debug)]
pub struct Role {
    /// FERPA school official with a legitimate educational interest:
    /// directory opt-outs do not hide fields from this role.
    pub legitimate_interest: bool,
    /// The OAuth scopes that select this role.
    pub scopes: Vec<String>,
    /// The fields the role may see; every other field is suppressed.
    pub fields: BTreeMap<String, FieldRule>,
}

/// One field of a masked record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldOutcome {
    /// The field's name.
    pub field: String,
    /// Shown, masked or suppressed.
    pub disposition: Disposition,
    /// The output value (`None` when suppressed).
    pub value: Option<String>,
}

/// A record after role masking.
#[derive(Clone, Debug)]
pub struct MaskedRecord {
    /// One entry per input field, in order.
    pub fields: Vec<FieldOutcome>,
    /// Whether the record was treated as opted out of directory information.
    pub directory_opt_out: bool,
    /// Fields suppressed because their value could not be masked.
    pub unreadable: Vec<String>,
}

impl MaskedRecord {
    /// The disposition of `field` (its first occurrence).
    pub fn disposition_of(&self, field: &str) -> Option<Disposition> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.disposition)
    }

    /// The output value of `field`, if shown or masked.
    pub fn value_of(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .and_then(|f| f.value.as_deref())
    }

    /// JSON: `{"record": {field: value (shown and masked only)}, "fields":
    /// {field: "shown"|"masked"|"suppressed"}, "directory_opt_out": bool,
    /// "unreadable": [field, ...]}`.
    pub fn to_json(&self) -> String {
        let mut record = serde_json::Map::new();
        let mut fields = serde_json::Map::new();
        for f in &self.fields {
            if let Some(v) = &f.value {
                record.insert(f.field.clone(), v.clone().into());
            }
            fields.insert(f.field.clone(), f.disposition.name().into());
        }
        serde_json::json!({
            "record": record,
            "fields": fields,
            "directory_opt_out": self.directory_opt_out,
            "unreadable": self.unreadable,
        })
        .to_string()
    }
}

/// The checked `[access]` section.
#[derive(Clone, Debug)]
pub struct AccessPolicy {
    directory: BTreeSet<String>,
    opt_out_field: Option<String>,
    roles: BTreeMap<String, Role>,
}

/// Reads a directory opt-out flag: `Some(true)` opted out, `Some(false)`
/// not, `None` unrecognised.
fn read_flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" | "" => Some(false),
        _ => None,
    }
}

impl AccessPolicy {
    pub(crate) fn from_raw(
        raw: RawAccess,
        lines: &Lines<'_>,
    ) -> std::result::Result<Self, PolicyError> {
        let section = |key: String| lines.at(key, "[access]", 0);
        if raw.roles.len() > MAX_POLICY_ENTRIES
            || raw.directory_information.len() > MAX_POLICY_ENTRIES
        {
            return Err(PolicyError::Invalid {
                at: section("access".into()),
                reason: format!("at most {MAX_POLICY_ENTRIES} roles and directory fields"),
            });
        }
        for (i, f) in raw.directory_information.iter().enumerate() {
            check_name(f, || section(format!("access.directory_information[{i}]")))?;
        }
        if let Some(f) = &raw.opt_out_field {
            check_name(f, || section("access.opt_out_field".into()))?;
        }
        let role_at = |name: &str, key: &str| {
            lines.at(
                format!("access.roles.{}{key}", shown_name(name)),
                &format!("[access.roles.{name}]"),
                0,
            )
        };
        let known = || {
            let names: Vec<&str> = raw.roles.keys().map(String::as_str).collect();
            if names.is_empty() {
                String::new()
            } else {
                format!("; defined roles: {}", names.join(", "))
            }
        };
        // Each role's own entries, checked.
        let mut own: BTreeMap<&str, BTreeMap<String, FieldRule>> = BTreeMap::new();
        let mut scope_owner: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, role) in &raw.roles {
            check_name(name, || role_at(name, ""))?;
            if role.show.len() + role.mask.len() > MAX_POLICY_ENTRIES
                || role.scopes.len() > MAX_POLICY_ENTRIES
            {
                return Err(PolicyError::Invalid {
                    at: role_at(name, ""),
                    reason: format!(
                        "at most {MAX_POLICY_ENTRIES} fields and {MAX_POLICY_ENTRIES} scopes per role"
                    ),
                });
            }
            let mut fields = BTreeMap::new();
            for (i, f) in role.show.iter().enumerate() {
                check_name(f, || role_at(name, &format!(".show[{i}]")))?;
                fields.insert(f.clone(), FieldRule::Show);
            }
            for (f, t) in &role.mask {
                check_name(f, || role_at(name, &format!(".mask.{}", shown_name(f))))?;
                let t = Transform::parse(t).map_err(|reason| PolicyError::Invalid {
                    at: role_at(name, &format!(".mask.{}", shown_name(f))),
                    reason,
                })?;
                if fields.insert(f.clone(), FieldRule::Mask(t)).is_some() {
                    return Err(PolicyError::Invalid {
                        at: role_at(name, &format!(".mask.{}", shown_name(f))),
                        reason: format!("field {:?} is also listed in show", shown_name(f)),
                    });
                }
            }
            for (i, s) in role.scopes.iter().enumerate() {
                check_name(s, || role_at(name, &format!(".scopes[{i}]")))?;
                if let Some(other) = scope_owner.insert(s, name) {
                    return Err(PolicyError::Invalid {
                        at: role_at(name, &format!(".scopes[{i}]")),
                        reason: format!(
                            "scope {:?} already selects role {other:?}; a scope selects one role",
                            shown_name(s)
                        ),
                    });
                }
            }
            if let Some(parent) = &role.extends
                && !raw.roles.contains_key(parent)
            {
                return Err(PolicyError::UnknownRole {
                    at: role_at(name, ".extends"),
                    role: shown_name(parent).to_owned(),
                    known: known(),
                });
            }
            own.insert(name, fields);
        }
        // Resolve `extends` chains (ancestors first), refusing cycles.
        let mut roles = BTreeMap::new();
        for (name, role) in &raw.roles {
            let mut chain = vec![name.as_str()];
            let mut next = role.extends.as_deref();
            while let Some(parent) = next {
                if chain.len() > MAX_EXTENDS_DEPTH {
                    return Err(PolicyError::Invalid {
                        at: role_at(name, ".extends"),
                        reason: format!("extends chains at most {MAX_EXTENDS_DEPTH} roles deep"),
                    });
                }
                if chain.contains(&parent) {
                    return Err(PolicyError::Invalid {
                        at: role_at(name, ".extends"),
                        reason: format!(
                            "extends forms a cycle: {} -> {parent}",
                            chain.join(" -> ")
                        ),
                    });
                }
                chain.push(parent);
                next = raw.roles[parent].extends.as_deref();
            }
            let mut fields = BTreeMap::new();
            for r in chain.iter().rev() {
                fields.extend(own[r].iter().map(|(k, v)| (k.clone(), *v)));
            }
            // The role's own setting, else the nearest ancestor's, else false.
            let legitimate_interest = chain
                .iter()
                .find_map(|r| raw.roles[*r].legitimate_interest)
                .unwrap_or(false);
            roles.insert(
                name.clone(),
                Role {
                    legitimate_interest,
                    scopes: role.scopes.clone(),
                    fields,
                },
            );
        }
        Ok(AccessPolicy {
            directory: raw.directory_information.into_iter().collect(),
            opt_out_field: raw.opt_out_field,
            roles,
        })
    }

    /// The roles by name.
    pub fn roles(&self) -> &BTreeMap<String, Role> {
        &self.roles
    }

    /// The role `name`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::UnknownRole`] (key `role`) if the policy does not define it.
    pub fn role(&self, name: &str) -> std::result::Result<&Role, PolicyError> {
        self.roles
            .get(name)
            .ok_or_else(|| PolicyError::UnknownRole {
                at: Location {
                    key: "role".into(),
                    line: None,
                },
                role: shown_name(name).to_owned(),
                known: format!(
                    "; defined roles: {}",
                    self.roles
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// The role an OAuth scope selects.
    ///
    /// # Errors
    ///
    /// [`PolicyError::UnknownRole`] (key `scope`) if no role lists it.
    pub fn role_for_scope(&self, scope: &str) -> std::result::Result<&str, PolicyError> {
        self.roles
            .iter()
            .find(|(_, r)| r.scopes.iter().any(|s| s == scope))
            .map(|(n, _)| n.as_str())
            .ok_or_else(|| PolicyError::UnknownRole {
                at: Location {
                    key: "scope".into(),
                    line: None,
                },
                role: shown_name(scope).to_owned(),
                known: "; no role lists this scope".into(),
            })
    }

    /// Is `field` directory information?
    pub fn is_directory(&self, field: &str) -> bool {
        self.directory.contains(field)
    }

    /// The field holding the directory opt-out flag, if any.
    pub fn opt_out_field(&self) -> Option<&str> {
        self.opt_out_field.as_deref()
    }

    /// What `role` does with `field` in a record that is (or is not) opted
    /// out of directory information, before looking at the value (a value a
    /// mask cannot read is suppressed as well).
    ///
    /// # Errors
    ///
    /// [`PolicyError::UnknownRole`].
    pub fn disposition(
        &self,
        role: &str,
        field: &str,
        opted_out: bool,
    ) -> std::result::Result<Disposition, PolicyError> {
        let role = self.role(role)?;
        Ok(self
            .decide(role, field, opted_out)
            .map_or(Disposition::Suppressed, |r| match r {
                FieldRule::Show => Disposition::Shown,
                FieldRule::Mask(_) => Disposition::Masked,
            }))
    }

    fn decide(&self, role: &Role, field: &str, opted_out: bool) -> Option<FieldRule> {
        let rule = role.fields.get(field)?;
        if opted_out && !role.legitimate_interest && self.directory.contains(field) {
            return None;
        }
        Some(*rule)
    }

    /// Whether `record` is treated as opted out of directory information.
    pub fn opted_out(&self, record: &[(&str, &str)]) -> bool {
        match &self.opt_out_field {
            None => false,
            Some(f) => record
                .iter()
                .find(|(n, _)| n == f)
                .and_then(|(_, v)| read_flag(v))
                .unwrap_or(true),
        }
    }

    /// Masks `record` (name, value pairs) for `role`. `tokenizer` serves
    /// `tokenize` masks.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`policy`) for an unknown role;
    /// [`Error::Key`] when a shown field is to be tokenized and `tokenizer`
    /// is `None`.
    pub fn apply(
        &self,
        role: &str,
        record: &[(&str, &str)],
        tokenizer: Option<&Tokenizer>,
    ) -> Result<MaskedRecord> {
        let r = self.role(role)?;
        let opted_out = self.opted_out(record);
        let mut fields = Vec::with_capacity(record.len());
        let mut unreadable = Vec::new();
        for (name, value) in record {
            let (disposition, value) = match self.decide(r, name, opted_out) {
                None => (Disposition::Suppressed, None),
                Some(FieldRule::Show) => (Disposition::Shown, Some((*value).to_owned())),
                Some(FieldRule::Mask(t)) => match t.apply(name, value, tokenizer) {
                    Ok(v) => (Disposition::Masked, Some(v)),
                    Err(e @ Error::Key(_)) => return Err(e),
                    Err(_) => {
                        unreadable.push(shown_name(name).to_owned());
                        (Disposition::Suppressed, None)
                    }
                },
            };
            fields.push(FieldOutcome {
                field: (*name).to_owned(),
                disposition,
                value,
            });
        }
        Ok(MaskedRecord {
            fields,
            directory_opt_out: opted_out,
            unreadable,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        for v in ["yes", "TRUE", " y ", "1"] {
            assert_eq!(read_flag(v), Some(true), "{v}");
        }
        for v in ["no", "False", "", "0", "N"] {
            assert_eq!(read_flag(v), Some(false), "{v}");
        }
        assert_eq!(read_flag("maybe"), None);
    }
}
