//! Export schemas and records (JSON): schemas from untrusted text, records
//! through a known schema or the input's own, and what an outcome may hold.

use std::collections::BTreeSet;

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::Status;
use ilsprivacy::token::format::TokenFormat;
use ilsprivacy::token::record::{ExportSchema, RecordOutcome};
use serde_json::Value;

use super::support::assert_no_leak;

/// The README's schema: every rule once.
pub const SCHEMA: &str = r#"{"unknown_fields": "reject", "pii_fields": "strip", "fields": {
  "patron_id": {"rule": "tokenize", "normalize": ["trim", "strip_separators"], "required": true},
  "legacy_id": {"rule": "tokenize", "kind": "compat"},
  "email":     {"rule": "email", "keep_domain": false},
  "checkout":  {"rule": "date", "granularity": "iso_week"},
  "age":       {"rule": "age_band", "width": 10, "top": 90},
  "postcode":  {"rule": "postcode", "keep": 3},
  "address":   {"rule": "address"},
  "branch":    {"rule": "keep", "type": "string"},
  "count":     {"rule": "keep", "type": "integer"},
  "name":      {"rule": "pii"}}}"#;

/// Fields of [`SCHEMA`] whose values must never leave as they came in.
const PROTECTED: [&str; 7] = [
    "patron_id",
    "legacy_id",
    "email",
    "postcode",
    "address",
    "name",
    "checkout",
];

#[derive(Arbitrary, Debug)]
struct Input {
    own_schema: Option<String>,
    strip_unknown: bool,
    records: Vec<String>,
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let tokenizer = super::token::ring(TokenFormat::default(), 0);
    let known = input.own_schema.is_none();
    let schema_text = match &input.own_schema {
        Some(text) => text.clone(),
        None if input.strip_unknown => SCHEMA.replacen("\"reject\"", "\"strip\"", 1),
        None => SCHEMA.to_owned(),
    };
    let schema = match ExportSchema::from_json(&schema_text) {
        Ok(s) => s,
        Err(e) => {
            assert!(!known, "the built-in schema was refused: {e}");
            assert_eq!(e.status(), Status::InvalidArgument);
            return;
        }
    };
    for record in &input.records {
        let outcome = schema.apply_json(&tokenizer, record);
        let json: Value = serde_json::from_str(&outcome.to_json()).expect("outcome JSON parses");
        let object = json.as_object().expect("an outcome is an object");
        let parsed = serde_json::from_str::<Value>(record).ok();
        let fields = parsed.as_ref().and_then(Value::as_object);
        match &outcome {
            RecordOutcome::Quarantined(issues) => {
                assert!(!issues.is_empty());
                assert_eq!(object.get("quarantined"), Some(&Value::Bool(true)));
                // Issues name fields and reasons, never values.
                if let Some(fields) = fields {
                    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                    let hidden = string_values(fields, |_| true, &names);
                    let hidden: Vec<&[u8]> = hidden.iter().map(|s| s.as_bytes()).collect();
                    assert_no_leak("quarantine", outcome.to_json().as_bytes(), &hidden);
                }
            }
            RecordOutcome::Clean(clean) => {
                let fields = fields.expect("a clean record was an object");
                for name in clean.keys() {
                    assert!(
                        schema.fields.contains_key(name),
                        "unlisted field {name:?} exported"
                    );
                }
                if known {
                    assert!(!clean.contains_key("name"), "a PII field was exported");
                    check_clean(clean, fields);
                }
            }
        }
    }
}

/// String values of `record`'s fields selected by `select`, except those that
/// also occur inside a field name or a value that may leave (their presence
/// in the output proves nothing).
fn string_values(
    record: &serde_json::Map<String, Value>,
    select: impl Fn(&str) -> bool,
    allowed: &[&str],
) -> BTreeSet<String> {
    record
        .iter()
        .filter(|(k, _)| select(k))
        .filter_map(|(_, v)| v.as_str())
        .filter(|v| !allowed.iter().any(|a| a.contains(v)))
        .map(str::to_owned)
        .collect()
}

fn check_clean(clean: &serde_json::Map<String, Value>, record: &serde_json::Map<String, Value>) {
    let mut allowed: Vec<&str> = record.keys().map(String::as_str).collect();
    allowed.extend(
        ["branch", "count"]
            .iter()
            .filter_map(|k| record.get(*k).and_then(Value::as_str)),
    );
    let hidden = string_values(record, |k| PROTECTED.contains(&k), &allowed);
    let hidden: Vec<&[u8]> = hidden.iter().map(|s| s.as_bytes()).collect();
    assert_no_leak(
        "clean record",
        Value::Object(clean.clone()).to_string().as_bytes(),
        &hidden,
    );
    if let Some(Value::String(t)) = clean.get("patron_id") {
        assert!(
            t.starts_with("v1.k1."),
            "patron_id is not a versioned token"
        );
    }
    if let Some(Value::String(t)) = clean.get("legacy_id") {
        assert!(t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    if let Some(Value::String(e)) = clean.get("email") {
        assert!(e.contains("***@***"), "email not masked: domain kept");
    }
    for (k, v) in ["branch", "count"]
        .iter()
        .filter_map(|k| Some((k, clean.get(*k)?)))
    {
        assert_eq!(Some(v), record.get(*k), "a kept field changed");
    }
}
