//! Record validation and masking for exports.
//!
//! An [`ExportSchema`] lists the fields a record may carry and what happens
//! to each: kept (type-checked), tokenized, masked with one of the
//! [`crate::token::mask`] helpers, or declared PII. Fields the schema does not
//! list, and PII fields, are stripped or make the record rejected, as the
//! schema says. [`ExportSchema::apply`] turns one record (a flat JSON object)
//! into either a clean record, ready to leave the trusted system, or a
//! quarantine entry: a list of [`FieldIssue`]s, each naming the field and the
//! reason, **never the value**.
//!
//! # Schema JSON
//!
//! ```json
//! {
//!   "unknown_fields": "reject",
//!   "pii_fields": "strip",
//!   "fields": {
//!     "patron_id":   {"rule": "tokenize", "normalize": ["trim", "case_fold", "strip_separators"], "required": true},
//!     "legacy_id":   {"rule": "tokenize", "kind": "compat"},
//!     "email":       {"rule": "email", "keep_domain": false},
//!     "checkout":    {"rule": "date", "granularity": "iso_week", "required": true},
//!     "age":         {"rule": "age_band", "width": 10, "top": 90},
//!     "postcode":    {"rule": "postcode", "keep": 3},
//!     "address":     {"rule": "address"},
//!     "branch":      {"rule": "keep", "type": "string", "required": true},
//!     "name":        {"rule": "pii"}
//!   }
//! }
//! ```
//!
//! ```
//! use ilsprivacy::token::key::SecretKey;
//! use ilsprivacy::token::record::{ExportSchema, RecordOutcome};
//! use ilsprivacy::token::tokenizer::Tokenizer;
//!
//! let schema = ExportSchema::from_json(r#"{"fields": {
//!     "patron_id": {"rule": "tokenize", "required": true},
//!     "email": {"rule": "email"},
//!     "branch": {"rule": "keep", "type": "string"}}}"#)?;
//! let t = Tokenizer::from_key(&SecretKey::from_bytes(&[1u8; 32])?);
//! let out = schema.apply_json(&t, r#"{"patron_id": "21234000123456", "email": "jane@example.org", "branch": "Main"}"#);
//! let RecordOutcome::Clean(record) = &out else { panic!("quarantined") };
//! assert!(record["patron_id"].as_str().unwrap().starts_with("v1.k1."));
//! assert_eq!(record["email"], "j***@***.org");
//! // An unlisted field quarantines the record; the issue names the field only.
//! let out = schema.apply_json(&t, r#"{"patron_id": "1", "phone": "555-0100"}"#);
//! assert!(out.is_quarantined() && !out.to_json().contains("555-0100"));
//! # Ok::<(), ilsprivacy::Error>(())
//! ```
//!
//! `unknown_fields` defaults to `"reject"` and `pii_fields` to `"strip"`.
//! `type` is one of `string`, `integer`, `number`, `boolean`, `any`
//! (default `any`: any scalar). A `tokenize` field accepts a string or an
//! integer (tokenized as its decimal text, as Python's `str(id)` gives);
//! `kind` is `"v1"` (default) or `"compat"`; tokens use the tokenizer's active
//! key. A field that is absent or `null` is an issue only when `required`;
//! `null` passes through otherwise. Nested objects and arrays are never
//! accepted as field values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::token::format::TokenKind;
use crate::token::mask::{DateGranularity, age_band, coarsen_date, mask_email, truncate_postcode};
use crate::token::normalize::Normalization;
use crate::token::tokenizer::{TokenSpec, Tokenizer};

/// The longest field name repeated in a [`FieldIssue`], in bytes; longer
/// names (of unknown fields) are cut at a character boundary.
pub const MAX_REPORTED_NAME_LEN: usize = 64;

/// The longest record [`ExportSchema::apply_json`] parses, in bytes: a
/// longer one is quarantined (reason `too_large`) before it is parsed, so a
/// hostile record cannot make the parser allocate without bound.
pub const MAX_RECORD_LEN: usize = 1 << 20;

/// The longest schema [`ExportSchema::from_json`] parses, in bytes.
pub const MAX_SCHEMA_LEN: usize = 1 << 20;

/// What happens to fields the schema does not list, or to PII fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Remove the field; the record stays clean.
    Strip,
    /// Quarantine the record.
    Reject,
}

/// The JSON type a `keep` field must have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A JSON string.
    String,
    /// A JSON integer.
    Integer,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// Any scalar (string, number, boolean).
    #[default]
    Any,
}

/// Normalisation steps by name, as written in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormalizeStep {
    /// [`Normalization::trim`].
    Trim,
    /// [`Normalization::case_fold`].
    CaseFold,
    /// [`Normalization::strip_separators`].
    StripSeparators,
}

/// Token kind by name, as written in the schema.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaTokenKind {
    /// Versioned tokens.
    #[default]
    V1,
    /// Compatibility (hex) tokens.
    Compat,
}

/// Date granularity by name, as written in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemaGranularity {
    /// [`DateGranularity::Day`].
    Day,
    /// [`DateGranularity::IsoWeek`].
    IsoWeek,
    /// [`DateGranularity::Month`].
    Month,
}

/// What happens to one field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldRule {
    /// Published as it is, after a type check.
    Keep {
        /// The required JSON type.
        #[serde(default, rename = "type")]
        value_type: ValueType,
    },
    /// Replaced by its token (active key).
    Tokenize {
        /// Steps applied before hashing.
        #[serde(default)]
        normalize: Vec<NormalizeStep>,
        /// Versioned (default) or compatibility tokens.
        #[serde(default)]
        kind: SchemaTokenKind,
    },
    /// Partially redacted ([`mask_email`]).
    Email {
        /// Keep the domain (otherwise only its last label).
        #[serde(default)]
        keep_domain: bool,
    },
    /// Coarsened ([`coarsen_date`]).
    Date {
        /// Day, ISO week or month.
        granularity: SchemaGranularity,
    },
    /// Replaced by its band ([`age_band`]); the value must be an integer.
    AgeBand {
        /// Band width in years.
        width: u32,
        /// Top-coding threshold.
        top: u32,
    },
    /// Truncated ([`truncate_postcode`]).
    Postcode {
        /// Characters kept.
        keep: usize,
    },
    /// Replaced by its address token ([`Tokenizer::tokenize_address`]).
    Address,
    /// Known personal data: stripped or rejected per the schema's `pii_fields`.
    Pii,
}

/// A field's rule and whether it must be present.
///
/// In JSON, the rule's members and `"required"` share one object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    /// What happens to the value.
    #[serde(flatten)]
    pub rule: FieldRule,
    /// Whether an absent or `null` value quarantines the record.
    #[serde(default)]
    pub required: bool,
}

impl<'de> Deserialize<'de> for FieldSpec {
    /// Takes `"required"` out of the object, then reads the rule strictly
    /// (unknown members are errors, so a misspelt option is not ignored).
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut members = Map::<String, Value>::deserialize(deserializer)?;
        let required = match members.remove("required") {
            None => false,
            Some(Value::Bool(b)) => b,
            Some(_) => return Err(D::Error::custom("\"required\" must be true or false")),
        };
        let rule = FieldRule::deserialize(Value::Object(members)).map_err(D::Error::custom)?;
        Ok(FieldSpec { rule, required })
    }
}

/// The fields an export may carry and what happens to each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSchema {
    /// Fields not listed in `fields`.
    #[serde(default = "reject")]
    pub unknown_fields: Disposition,
    /// Fields whose rule is [`FieldRule::Pii`].
    #[serde(default = "strip")]
    pub pii_fields: Disposition,
    /// The listed fields by name.
    pub fields: BTreeMap<String, FieldSpec>,
}

fn reject() -> Disposition {
    Disposition::Reject
}

fn strip() -> Disposition {
    Disposition::Strip
}

/// Why a field quarantined its record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum IssueReason {
    /// A required field is absent or `null`.
    Missing,
    /// The value has the wrong JSON type.
    WrongType {
        /// What the schema expects.
        expected: &'static str,
    },
    /// The value is empty where a token needs a non-empty ID.
    Empty,
    /// The value cannot be masked; the detail says why, never what.
    Malformed {
        /// The masking helper's explanation.
        detail: String,
    },
    /// The field is not in the schema and the schema rejects unknown fields.
    UnknownField,
    /// The field is PII and the schema rejects PII fields.
    PiiField,
    /// The record itself is not a JSON object (the field is `""`).
    NotAnObject {
        /// Where parsing failed (line and column), or the JSON type found.
        detail: String,
    },
    /// The record is longer than [`MAX_RECORD_LEN`] and was not parsed (the
    /// field is `""`).
    TooLarge {
        /// The record's length in bytes.
        bytes: usize,
        /// [`MAX_RECORD_LEN`].
        limit: usize,
    },
}

/// One problem of a quarantined record: the field and the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    /// The field's name (cut to [`MAX_REPORTED_NAME_LEN`] bytes).
    pub field: String,
    /// What is wrong.
    #[serde(flatten)]
    pub reason: IssueReason,
}

/// The result of applying a schema to one record.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordOutcome {
    /// The record to export.
    Clean(Map<String, Value>),
    /// The record must not be exported; every problem found.
    Quarantined(Vec<FieldIssue>),
}

impl RecordOutcome {
    /// The outcome as JSON text: the clean record, or
    /// `{"quarantined":true,"issues":[{"field":…,"reason":…},…]}`.
    pub fn to_json(&self) -> String {
        let value = match self {
            RecordOutcome::Clean(map) => Value::Object(map.clone()),
            RecordOutcome::Quarantined(issues) => serde_json::json!({
                "quarantined": true,
                "issues": issues,
            }),
        };
        value.to_string()
    }

    /// Whether the record was quarantined.
    pub fn is_quarantined(&self) -> bool {
        matches!(self, RecordOutcome::Quarantined(_))
    }
}

impl ExportSchema {
    /// Parses a schema from JSON (see the module documentation).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`schema`) with the parser's message (the
    /// schema is configuration, not patron data), an invalid parameter, or
    /// text longer than [`MAX_SCHEMA_LEN`].
    pub fn from_json(text: &str) -> Result<ExportSchema> {
        if text.len() > MAX_SCHEMA_LEN {
            return Err(Error::invalid(
                "schema",
                format!(
                    "is longer than {MAX_SCHEMA_LEN} bytes ({} given)",
                    text.len()
                ),
            ));
        }
        let schema: ExportSchema = serde_json::from_str(text)
            .map_err(|e| Error::invalid("schema", format!("is not a valid export schema: {e}")))?;
        schema.check()?;
        Ok(schema)
    }

    /// Checks the masking parameters once, so records fail only on their values.
    fn check(&self) -> Result<()> {
        for (name, spec) in &self.fields {
            let bad = |e: Error| Error::invalid("schema", format!("field {name:?}: {e}"));
            match spec.rule {
                FieldRule::AgeBand { width, top } => {
                    age_band(0, width, top).map_err(bad)?;
                }
                FieldRule::Postcode { keep: 0 } => {
                    return Err(bad(Error::invalid("keep", "must be at least 1, got 0")));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Applies the schema to one record given as JSON text. Text that is not a
    /// JSON object is quarantined with field `""` and reason `not_an_object`;
    /// text longer than [`MAX_RECORD_LEN`] with reason `too_large`, unparsed.
    pub fn apply_json(&self, tokenizer: &Tokenizer, record: &str) -> RecordOutcome {
        if record.len() > MAX_RECORD_LEN {
            return RecordOutcome::Quarantined(vec![FieldIssue {
                field: String::new(),
                reason: IssueReason::TooLarge {
                    bytes: record.len(),
                    limit: MAX_RECORD_LEN,
                },
            }]);
        }
        match serde_json::from_str::<Value>(record) {
            Ok(Value::Object(map)) => self.apply(tokenizer, &map),
            Ok(other) => RecordOutcome::Quarantined(vec![FieldIssue {
                field: String::new(),
                reason: IssueReason::NotAnObject {
                    detail: format!("found a JSON {}", json_type(&other)),
                },
            }]),
            Err(e) => RecordOutcome::Quarantined(vec![FieldIssue {
                field: String::new(),
                reason: IssueReason::NotAnObject {
                    // Position only: serde_json's messages can quote input.
                    detail: format!("invalid JSON at line {}, column {}", e.line(), e.column()),
                },
            }]),
        }
    }

    /// Applies the schema to one record.
    pub fn apply(&self, tokenizer: &Tokenizer, record: &Map<String, Value>) -> RecordOutcome {
        let mut clean = Map::new();
        let mut issues = Vec::new();
        for (name, value) in record {
            let issue = |reason| FieldIssue {
                field: reported_name(name),
                reason,
            };
            match self.fields.get(name) {
                None => {
                    if self.unknown_fields == Disposition::Reject {
                        issues.push(issue(IssueReason::UnknownField));
                    }
                }
                Some(FieldSpec {
                    rule: FieldRule::Pii,
                    ..
                }) => {
                    if self.pii_fields == Disposition::Reject {
                        issues.push(issue(IssueReason::PiiField));
                    }
                }
                Some(spec) => {
                    if value.is_null() {
                        if spec.required {
                            issues.push(issue(IssueReason::Missing));
                        } else {
                            clean.insert(name.clone(), Value::Null);
                        }
                        continue;
                    }
                    match transform(&spec.rule, tokenizer, value) {
                        Ok(v) => {
                            clean.insert(name.clone(), v);
                        }
                        Err(reason) => issues.push(issue(reason)),
                    }
                }
            }
        }
        for (name, spec) in &self.fields {
            if spec.required && !record.contains_key(name) {
                issues.push(FieldIssue {
                    field: name.clone(),
                    reason: IssueReason::Missing,
                });
            }
        }
        if issues.is_empty() {
            RecordOutcome::Clean(clean)
        } else {
            RecordOutcome::Quarantined(issues)
        }
    }
}

fn reported_name(name: &str) -> String {
    if name.len() <= MAX_REPORTED_NAME_LEN {
        return name.to_owned();
    }
    let mut end = MAX_REPORTED_NAME_LEN;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The masked value, or why the value cannot be used.
fn transform(
    rule: &FieldRule,
    tokenizer: &Tokenizer,
    value: &Value,
) -> std::result::Result<Value, IssueReason> {
    let text = |expected: &'static str| value.as_str().ok_or(IssueReason::WrongType { expected });
    let malformed = |e: Error| match e {
        Error::InvalidArgument { reason, .. } => IssueReason::Malformed { detail: reason },
        other => IssueReason::Malformed {
            detail: other.status().name().to_owned(),
        },
    };
    match rule {
        FieldRule::Keep { value_type } => {
            let ok = match value_type {
                ValueType::String => value.is_string(),
                ValueType::Integer => value.is_i64() || value.is_u64(),
                ValueType::Number => value.is_number(),
                ValueType::Boolean => value.is_boolean(),
                ValueType::Any => value.is_string() || value.is_number() || value.is_boolean(),
            };
            if ok {
                Ok(value.clone())
            } else {
                Err(IssueReason::WrongType {
                    expected: match value_type {
                        ValueType::String => "string",
                        ValueType::Integer => "integer",
                        ValueType::Number => "number",
                        ValueType::Boolean => "boolean",
                        ValueType::Any => "scalar",
                    },
                })
            }
        }
        FieldRule::Tokenize { normalize, kind } => {
            let id = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                _ => {
                    return Err(IssueReason::WrongType {
                        expected: "string or integer",
                    });
                }
            };
            let mut normalization = Normalization::NONE;
            for step in normalize {
                match step {
                    NormalizeStep::Trim => normalization.trim = true,
                    NormalizeStep::CaseFold => normalization.case_fold = true,
                    NormalizeStep::StripSeparators => normalization.strip_separators = true,
                }
            }
            let kind = match kind {
                SchemaTokenKind::V1 => TokenKind::V1,
                SchemaTokenKind::Compat => TokenKind::Compat,
            };
            let spec = TokenSpec {
                kind,
                key_id: None,
                normalization,
            };
            tokenizer
                .tokenize_with(spec, &id)
                .map(Value::String)
                .map_err(|_| IssueReason::Empty)
        }
        FieldRule::Email { keep_domain } => mask_email(text("string")?, *keep_domain)
            .map(Value::String)
            .map_err(malformed),
        FieldRule::Date { granularity } => {
            let g = match granularity {
                SchemaGranularity::Day => DateGranularity::Day,
                SchemaGranularity::IsoWeek => DateGranularity::IsoWeek,
                SchemaGranularity::Month => DateGranularity::Month,
            };
            coarsen_date(text("string")?, g)
                .map(Value::String)
                .map_err(malformed)
        }
        FieldRule::AgeBand { width, top } => {
            let age = value.as_u64().ok_or(IssueReason::WrongType {
                expected: "non-negative integer",
            })?;
            let age = u32::try_from(age).unwrap_or(u32::MAX);
            age_band(age, *width, *top)
                .map(Value::String)
                .map_err(malformed)
        }
        FieldRule::Postcode { keep } => truncate_postcode(text("string")?, *keep)
            .map(Value::String)
            .map_err(malformed),
        FieldRule::Address => tokenizer
            .tokenize_address(text("string")?)
            .map(Value::String)
            .map_err(malformed),
        FieldRule::Pii => Err(IssueReason::PiiField),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::key::SecretKey;

    const SCHEMA: &str = r#"{
        "unknown_fields": "reject",
        "pii_fields": "strip",
        "fields": {
            "patron_id": {"rule": "tokenize", "normalize": ["trim", "case_fold", "strip_separators"], "required": true},
            "legacy_id": {"rule": "tokenize", "kind": "compat"},
            "email": {"rule": "email"},
            "checkout": {"rule": "date", "granularity": "iso_week", "required": true},
            "age": {"rule": "age_band", "width": 10, "top": 90},
            "postcode": {"rule": "postcode", "keep": 3},
            "address": {"rule": "address"},
            "branch": {"rule": "keep", "type": "string", "required": true},
            "items": {"rule": "keep", "type": "integer"},
            "name": {"rule": "pii"}
        }
    }"#;

    fn tokenizer() -> Tokenizer {
        Tokenizer::from_key(&SecretKey::from_bytes(&[9u8; 32]).unwrap())
    }

    #[test]
    fn clean_record_is_masked() {
        let schema = ExportSchema::from_json(SCHEMA).unwrap();
        let t = tokenizer();
        let record = r#"{"patron_id": " 21234-0001 ", "legacy_id": 42, "email": "jane.doe@example.org",
            "checkout": "2026-03-14T10:00:00", "age": 37, "postcode": "12345-6789",
            "address": "12 Main Street", "branch": "Central", "items": 3, "name": "Jane Doe"}"#;
        let RecordOutcome::Clean(out) = schema.apply_json(&t, record) else {
            panic!("quarantined")
        };
        assert_eq!(out["patron_id"], t.tokenize_versioned("212340001").unwrap());
        assert_eq!(out["legacy_id"], t.tokenize("42"));
        assert_eq!(out["email"], "j***@***.org");
        assert_eq!(out["checkout"], "2026-W11");
        assert_eq!(out["age"], "30-39");
        assert_eq!(out["postcode"], "123");
        assert_eq!(out["address"], t.tokenize_address("12 main st").unwrap());
        assert_eq!(out["branch"], "Central");
        assert_eq!(out["items"], 3);
        assert!(!out.contains_key("name"), "PII is stripped");
        let text = schema.apply_json(&t, record).to_json();
        assert!(
            !text.contains("Jane") && !text.contains("21234") && !text.contains("Main"),
            "{text}"
        );
    }

    #[test]
    fn bad_records_are_quarantined_by_field_never_by_value() {
        let schema = ExportSchema::from_json(SCHEMA).unwrap();
        let t = tokenizer();
        let record = r#"{"patron_id": "  ", "email": "secret-person", "checkout": "14/03/2026",
            "age": "old", "postcode": "12", "branch": 7, "items": 2.5, "ssn": "078-05-1120",
            "address": "--"}"#;
        let outcome = schema.apply_json(&t, record);
        let RecordOutcome::Quarantined(issues) = &outcome else {
            panic!("clean")
        };
        let by_field: BTreeMap<&str, &IssueReason> = issues
            .iter()
            .map(|i| (i.field.as_str(), &i.reason))
            .collect();
        assert_eq!(by_field["patron_id"], &IssueReason::Empty);
        assert!(matches!(by_field["email"], IssueReason::Malformed { .. }));
        assert!(matches!(
            by_field["checkout"],
            IssueReason::Malformed { .. }
        ));
        assert_eq!(
            by_field["age"],
            &IssueReason::WrongType {
                expected: "non-negative integer"
            }
        );
        assert!(matches!(
            by_field["postcode"],
            IssueReason::Malformed { .. }
        ));
        assert_eq!(
            by_field["branch"],
            &IssueReason::WrongType { expected: "string" }
        );
        assert_eq!(
            by_field["items"],
            &IssueReason::WrongType {
                expected: "integer"
            }
        );
        assert_eq!(by_field["ssn"], &IssueReason::UnknownField);
        assert!(matches!(by_field["address"], IssueReason::Malformed { .. }));
        let text = outcome.to_json();
        for secret in ["secret-person", "14/03", "078-05", "old"] {
            assert!(!text.contains(secret), "{secret} leaked into {text}");
        }
        assert!(text.ends_with(r#""quarantined":true}"#), "{text}");
        assert!(
            text.contains(r#""field":"ssn","reason":"unknown_field""#),
            "{text}"
        );
    }

    #[test]
    fn missing_and_null() {
        let schema = ExportSchema::from_json(SCHEMA).unwrap();
        let t = tokenizer();
        let outcome = schema.apply_json(&t, r#"{"patron_id": null, "branch": "x", "email": null}"#);
        let RecordOutcome::Quarantined(issues) = outcome else {
            panic!("clean")
        };
        assert_eq!(
            issues,
            vec![
                FieldIssue {
                    field: "patron_id".into(),
                    reason: IssueReason::Missing
                },
                FieldIssue {
                    field: "checkout".into(),
                    reason: IssueReason::Missing
                },
            ]
        );
    }

    #[test]
    fn strip_and_reject_policies() {
        let t = tokenizer();
        let strip = ExportSchema::from_json(
            r#"{"unknown_fields": "strip", "fields": {"a": {"rule": "keep"}}}"#,
        )
        .unwrap();
        let RecordOutcome::Clean(out) = strip.apply_json(&t, r#"{"a": 1, "b": 2}"#) else {
            panic!()
        };
        assert_eq!(Value::Object(out), serde_json::json!({"a": 1}));
        let reject = ExportSchema::from_json(
            r#"{"pii_fields": "reject", "fields": {"n": {"rule": "pii"}}}"#,
        )
        .unwrap();
        let outcome = reject.apply_json(&t, r#"{"n": "Jane"}"#);
        assert_eq!(
            outcome.to_json(),
            r#"{"issues":[{"field":"n","reason":"pii_field"}],"quarantined":true}"#
        );
        let long = "x".repeat(100);
        let outcome = reject.apply_json(&t, &format!(r#"{{"{long}": 1}}"#));
        let RecordOutcome::Quarantined(issues) = outcome else {
            panic!()
        };
        assert_eq!(issues[0].field.len(), MAX_REPORTED_NAME_LEN);
    }

    #[test]
    fn non_objects_are_quarantined_without_echo() {
        let schema = ExportSchema::from_json(SCHEMA).unwrap();
        let t = tokenizer();
        for (record, detail) in [
            ("[1, 2]", "found a JSON array"),
            (
                "{\"patron_id\": \"jane@x.org\"",
                "invalid JSON at line 1, column 26",
            ),
            ("not json jane", "invalid JSON at line 1, column 2"),
        ] {
            let outcome = schema.apply_json(&t, record);
            let RecordOutcome::Quarantined(issues) = &outcome else {
                panic!()
            };
            assert_eq!(
                issues[0].reason,
                IssueReason::NotAnObject {
                    detail: detail.into()
                }
            );
            assert!(!outcome.to_json().contains("jane"));
        }
    }

    /// Records and schemas over their caps are refused before parsing.
    #[test]
    fn oversized_records_and_schemas_are_not_parsed() {
        let schema = ExportSchema::from_json(SCHEMA).unwrap();
        let t = tokenizer();
        let huge = format!(r#"{{"patron_id": "{}"}}"#, "9".repeat(MAX_RECORD_LEN));
        let outcome = schema.apply_json(&t, &huge);
        assert_eq!(
            outcome.to_json(),
            format!(
                r#"{{"issues":[{{"bytes":{},"field":"","limit":1048576,"reason":"too_large"}}],"quarantined":true}}"#,
                huge.len()
            )
        );
        let e = ExportSchema::from_json(&" ".repeat(MAX_SCHEMA_LEN + 1)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("schema is longer than 1048576 bytes"),
            "{e}"
        );
    }

    #[test]
    fn bad_schemas() {
        for (schema, needle) in [
            (r#"{"fields": {"a": {"rule": "nope"}}}"#, "unknown variant"),
            (
                r#"{"fields": {"a": {"rule": "age_band", "width": 10, "top": 85}}}"#,
                "field \"a\": top must be",
            ),
            (
                r#"{"fields": {"a": {"rule": "postcode", "keep": 0}}}"#,
                "keep must be at least 1",
            ),
            (r#"{"fields": {}, "extra": 1}"#, "unknown field"),
            (
                r#"{"fields": {"e": {"rule": "email", "keep_domian": true}}}"#,
                "unknown field `keep_domian`",
            ),
            (
                r#"{"fields": {"e": {"rule": "email", "required": "yes"}}}"#,
                "\"required\" must be",
            ),
            ("[]", "is not a valid export schema"),
        ] {
            let e = ExportSchema::from_json(schema).unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
        }
    }
}
