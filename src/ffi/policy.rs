//! C entry points for data-lifecycle policies (`crate::policy`): a policy
//! handle, retention evaluation of one record, and role masking of one
//! record.
//!
//! Records are JSON objects (explicit length) whose values are strings,
//! numbers or booleans (read as their text) or `null` (read as empty);
//! results are JSON text with the library's buffer convention. Messages
//! name fields, keys and lines, never values.

#![expect(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry points; pointer contracts are documented in the header"
)]

use std::ffi::c_char;

use serde_json::Value;

use super::token::{ilsp_tokenizer, read_tokenizer};
use super::{
    check_out, free_handle, give_handle, guard, handle_ref, ilsp_status, str_arg, text_arg,
    write_text,
};
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::policy::date::CivilDate;
use crate::policy::retention::RecordClass;
use crate::token::record::MAX_RECORD_LEN;

/// A checked data-lifecycle policy (retention, access, anonymity). Opaque,
/// immutable.
pub struct ilsp_policy {
    policy: Policy,
}

/// Reads a record: a JSON object of scalars, as (name, text) pairs.
fn record_pairs(text: &str) -> Result<Vec<(String, String)>> {
    if text.len() > MAX_RECORD_LEN {
        return Err(Error::invalid(
            "record",
            format!(
                "is longer than {MAX_RECORD_LEN} bytes ({} given)",
                text.len()
            ),
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        // Position only: the parser's messages can quote input.
        Error::invalid(
            "record",
            format!(
                "is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Value::Object(map) = value else {
        return Err(Error::invalid("record", "must be a JSON object"));
    };
    map.into_iter()
        .map(|(name, v)| {
            let text = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(Error::invalid(
                        "record",
                        format!(
                            "field {:?} must be a string, number, boolean or null",
                            crate::policy::shown_name(&name)
                        ),
                    ));
                }
            };
            Ok((name, text))
        })
        .collect()
}

/// Parses and checks a policy of `text_len` bytes (TOML, or JSON when it
/// starts with `{`) into `*out`; free it with `ilsp_policy_free`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (the message names the key and, in TOML, the line: unknown class,
/// overlapping rules, negative window, unknown role, syntax …).
///
/// Thread safety: safe to call from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_policy_new(
    text: *const c_char,
    text_len: usize,
    out: *mut *mut ilsp_policy,
) -> ilsp_status {
    guard(|| {
        check_out(out, "out")?;
        // SAFETY: `text_len` readable bytes at `text` per the header.
        let text = unsafe { text_arg(text, text_len, "text") }?;
        give_handle(
            out,
            ilsp_policy {
                policy: Policy::parse(text)?,
            },
        );
        Ok(())
    })
}

/// Frees a policy. NULL is a no-op. Cannot fail.
///
/// Thread safety: must not run concurrently with any other use of this policy.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_policy_free(policy: *mut ilsp_policy) {
    // SAFETY: a handle from this library (or NULL), freed once per the header.
    unsafe { free_handle(policy) }
}

/// Evaluates the policy's retention rules on one record (a JSON object of
/// `record_len` bytes) of record class `class_name` (`circulation_history`,
/// `holds`, `fines`, `patron_contact`, `student_records`) on the reference
/// date `as_of` (`YYYY-MM-DD`, a civil date in UTC). Writes JSON:
/// `{"class", "as_of", "actions": {field: "keep"|"coarsen:…"|"pseudonymize"|"aggregate_only"|"purge"},
/// "audit": {"policy", "version", "class", "as_of", "fields": {action: count}}}`.
/// Nothing is deleted: the caller carries the actions out.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (no retention section; unknown class; bad date; a record that is not a
/// JSON object of scalars; an anchor date missing or unreadable: the message
/// names the field and rule), `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread, also on the same policy.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_retention_evaluate(
    policy: *const ilsp_policy,
    class_name: *const c_char,
    as_of: *const c_char,
    record: *const c_char,
    record_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live handle per the header.
        let p = unsafe { handle_ref(policy, "policy") }?;
        // SAFETY: NUL-terminated strings per the header.
        let class = RecordClass::parse(unsafe { str_arg(class_name, "class_name") }?)?;
        // SAFETY: as above.
        let as_of = unsafe { str_arg(as_of, "as_of") }?;
        let as_of = CivilDate::parse(as_of).map_err(|e| Error::invalid("as_of", e.to_string()))?;
        // SAFETY: `record_len` readable bytes at `record` per the header.
        let pairs = record_pairs(unsafe { text_arg(record, record_len, "record") }?)?;
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let retention = p.policy.retention()?;
        let json = retention
            .evaluate(class, as_of, &borrowed)?
            .to_json(p.policy.meta());
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(json.as_str(), out, out_cap, out_len, "out") }
    })
}

/// Masks one record (a JSON object of `record_len` bytes) for `role` under
/// the policy's access rules: deny by default, FERPA directory opt-outs per
/// record. `t` (may be NULL) serves the `tokenize` masks. Writes JSON:
/// `{"record": {field: value, …shown and masked only}, "fields": {field:
/// "shown"|"masked"|"suppressed"}, "directory_opt_out": bool, "unreadable": [field, …]}`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (no access section; unknown role; a record that is not a JSON object of
/// scalars), `ILSP_ERR_KEY` (a field to tokenize and `t` NULL),
/// `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread, also on the same policy and tokenizer.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_access_mask(
    policy: *const ilsp_policy,
    role: *const c_char,
    t: *const ilsp_tokenizer,
    record: *const c_char,
    record_len: usize,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live handle per the header.
        let p = unsafe { handle_ref(policy, "policy") }?;
        // SAFETY: NUL-terminated string per the header.
        let role = unsafe { str_arg(role, "role") }?;
        // SAFETY: `record_len` readable bytes at `record` per the header.
        let pairs = record_pairs(unsafe { text_arg(record, record_len, "record") }?)?;
        let borrowed: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let access = p.policy.access()?;
        let guard_t = if t.is_null() {
            None
        } else {
            // SAFETY: a live tokenizer handle per the header.
            Some(read_tokenizer(unsafe { handle_ref(t, "t") }?)?)
        };
        let masked = access.apply(role, &borrowed, guard_t.as_deref())?;
        // SAFETY: `out_cap` writable bytes at `out` per the header.
        unsafe { write_text(masked.to_json().as_str(), out, out_cap, out_len, "out") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{
        ILSP_ERR_BUFFER_TOO_SMALL, ILSP_ERR_INVALID_ARGUMENT, ILSP_ERR_NULL, ILSP_OK,
    };
    use std::ptr::null_mut;

    const POLICY: &str = "[policy]\nname = \"p\"\nversion = \"1\"\n[[retention.rule]]\nclass = \"holds\"\nfields = [\"patron_id\"]\nanchor = \"closed_on\"\nafter = \"30 days\"\naction = \"purge\"\n[access.roles.desk]\nshow = [\"patron_id\"]\n";

    #[test]
    fn evaluate_and_mask_through_the_abi() {
        let mut p = null_mut();
        assert_eq!(
            ilsp_policy_new(POLICY.as_ptr().cast(), POLICY.len(), &mut p),
            ILSP_OK
        );
        let record = br#"{"patron_id": "P-1", "closed_on": "2026-01-01", "n": 3}"#;
        let mut out = [0u8; 512];
        let mut len = 0;
        let call = |as_of: &[u8], out: &mut [u8], len: &mut usize| {
            ilsp_retention_evaluate(
                p,
                c"holds".as_ptr(),
                as_of.as_ptr().cast(),
                record.as_ptr().cast(),
                record.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                len,
            )
        };
        assert_eq!(call(b"2026-01-31\0", &mut out, &mut len), ILSP_OK);
        let json: Value = serde_json::from_slice(&out[..len]).unwrap();
        assert_eq!(json["actions"]["patron_id"], "purge");
        assert_eq!(json["actions"]["n"], "keep");
        assert_eq!(call(b"2026-01-30\0", &mut out, &mut len), ILSP_OK);
        let json: Value = serde_json::from_slice(&out[..len]).unwrap();
        assert_eq!(json["actions"]["patron_id"], "keep");
        assert_eq!(
            call(b"2026-02-30\0", &mut out, &mut len),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            call(b"2026-01-31\0", &mut out[..10], &mut len),
            ILSP_ERR_BUFFER_TOO_SMALL
        );
        assert!(len > 10);
        assert_eq!(
            ilsp_access_mask(
                p,
                c"desk".as_ptr(),
                std::ptr::null(),
                record.as_ptr().cast(),
                record.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut len
            ),
            ILSP_OK
        );
        let json: Value = serde_json::from_slice(&out[..len]).unwrap();
        assert_eq!(json["record"]["patron_id"], "P-1");
        assert_eq!(json["fields"]["n"], "suppressed");
        assert_eq!(
            ilsp_access_mask(
                p,
                c"nobody".as_ptr(),
                std::ptr::null(),
                record.as_ptr().cast(),
                record.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut len
            ),
            ILSP_ERR_INVALID_ARGUMENT
        );
        let nested = br#"{"a": [1]}"#;
        assert_eq!(
            ilsp_access_mask(
                p,
                c"desk".as_ptr(),
                std::ptr::null(),
                nested.as_ptr().cast(),
                nested.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut len
            ),
            ILSP_ERR_INVALID_ARGUMENT
        );
        ilsp_policy_free(p);
        ilsp_policy_free(null_mut());
        let bad = "[policy]\nname = \"p\"\n";
        let mut q = null_mut();
        assert_eq!(
            ilsp_policy_new(bad.as_ptr().cast(), bad.len(), &mut q),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert!(q.is_null());
        assert_eq!(
            ilsp_policy_new(bad.as_ptr().cast(), bad.len(), null_mut()),
            ILSP_ERR_NULL
        );
    }
}
