//! The data-lifecycle parsers: policy text (TOML or JSON) and epoch ring
//! files, in Rust and through their C functions. The first input byte picks
//! which (0 mod 3: policy text, 1: ring file, 2: the C functions with
//! fuzzer-chosen buffers, lengths, capacities and NULLs); the rest is the
//! input.
//!
//! Properties: no panic; a refused policy is an `InvalidArgument` error
//! with a message; an accepted policy evaluates records of every class on
//! dates around its windows with one action per field, never quoting a
//! value in an error; role masking never puts a suppressed field's value in
//! its output; hierarchies generalize any text. A ring file opens or fails
//! with a key or I/O error, never quoting its key bytes.

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::Status;
use ilsprivacy::ffi::epoch::{
    ilsp_epoch_ring, ilsp_epoch_ring_add, ilsp_epoch_ring_create, ilsp_epoch_ring_free,
    ilsp_epoch_ring_retire, ilsp_epoch_ring_tokenize, ilsp_epoch_ring_verify,
};
use ilsprivacy::ffi::policy::{
    ilsp_access_mask, ilsp_policy, ilsp_policy_free, ilsp_policy_new, ilsp_retention_evaluate,
};
use ilsprivacy::ffi::token::{ilsp_tokenizer, ilsp_tokenizer_free, ilsp_tokenizer_new};
use ilsprivacy::ffi::{ILSP_ERR_KEY, ILSP_ERR_NULL, ILSP_OK};
use ilsprivacy::policy::Policy;
use ilsprivacy::policy::access::Disposition;
use ilsprivacy::policy::date::CivilDate;
use ilsprivacy::policy::retention::RecordClass;
use ilsprivacy::token::epoch::EpochRing;
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::tokenizer::Tokenizer;

use super::cbuf::{Bytes, Out, OutSpec, Text, cstr_ptr};
use super::support::checked;

/// Field values, each distinct, so a leak names its field.
const RECORD: [(&str, &str); 10] = [
    ("patron_id", "VALUE-patron-0001"),
    ("student_id", "VALUE-student-0002"),
    ("name", "VALUE-name-0003"),
    ("email", "value0004@example.org"),
    ("postcode", "SW1A 1AA"),
    ("age", "37"),
    ("checkout_date", "2024-02-29"),
    ("returned_on", "2024-03-01T23:30:00-05:00"),
    ("closed_on", "2023-12-31"),
    ("directory_opt_out", "no"),
];

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        1 => return ring(rest),
        2 => return c_abi(rest),
        _ => {}
    }
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let policy = match Policy::parse(text) {
        Ok(p) => p,
        Err(e) => {
            let e = ilsprivacy::Error::from(e);
            assert_eq!(e.status(), Status::InvalidArgument);
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    if let Ok(r) = policy.retention() {
        for class in RecordClass::ALL {
            for as_of in [
                "2024-02-28",
                "2024-03-30",
                "2025-02-28",
                "2027-03-01",
                "9999-12-31",
            ] {
                let as_of = CivilDate::parse(as_of).expect("a date");
                match r.evaluate(class, as_of, &RECORD) {
                    Ok(ev) => {
                        assert_eq!(ev.actions.len(), RECORD.len());
                        let json = ev.to_json(policy.meta());
                        let audit = json.split("\"audit\"").nth(1).expect("an audit part");
                        for (_, v) in RECORD {
                            // (A value the policy's own text holds, e.g. in
                            // its version, may appear legitimately.)
                            assert!(
                                !audit.contains(v) || text.contains(v),
                                "the audit quotes a value"
                            );
                        }
                    }
                    Err(e) => {
                        assert_eq!(e.status(), Status::InvalidArgument);
                        for (_, v) in RECORD {
                            assert!(
                                !e.to_string().contains(v) || text.contains(v),
                                "an error quotes a value: {e}"
                            );
                        }
                    }
                }
            }
        }
    }
    if let Ok(access) = policy.access() {
        let key = SecretKey::from_bytes(&[7u8; 32]).expect("a key");
        let tokenizer = Tokenizer::from_key(&key);
        for role in access.roles().keys() {
            let out = access
                .apply(role, &RECORD, Some(&tokenizer))
                .expect("a defined role with a tokenizer");
            let json = out.to_json();
            for (f, (name, value)) in out.fields.iter().zip(RECORD) {
                assert_eq!(f.field, name);
                match f.disposition {
                    Disposition::Suppressed => {
                        assert!(f.value.is_none());
                        // Short values (an age) may occur inside other output.
                        assert!(
                            value.len() < 8 || !json.contains(value) || text.contains(value),
                            "{name} suppressed but in the output"
                        );
                    }
                    Disposition::Shown => assert_eq!(f.value.as_deref(), Some(value)),
                    Disposition::Masked => assert!(f.value.is_some()),
                }
            }
        }
    }
    if let Some(a) = policy.anonymity() {
        for (column, value) in RECORD {
            let h = a.hierarchy(column);
            for level in 0..=h.height() + 1 {
                let g = h.generalize(value, level);
                if level >= h.height() {
                    assert_eq!(g, "*");
                }
            }
        }
    }
}

fn ring(bytes: &[u8]) {
    let scratch = super::support::Scratch::new("epoch-ring");
    std::fs::write(&scratch.0, bytes).expect("write the scratch ring");
    match EpochRing::open(&scratch.0) {
        Ok(ring) => {
            let epochs: Vec<String> = ring.epochs().map(|e| e.as_str().to_owned()).collect();
            for epoch in &epochs {
                let token = ring
                    .tokenize(epoch, "21234000123456")
                    .expect("a live epoch");
                assert!(ring.verify(&token, "21234000123456").expect("verify"));
            }
            for r in ring.retirements() {
                let e = ring.tokenize(r.epoch.as_str(), "x").expect_err("retired");
                assert_eq!(e.status(), Status::Key);
            }
        }
        Err(e) => {
            assert!(matches!(e.status(), Status::Key | Status::Io), "{e}");
            // Hex runs of the file never reach the message.
            let text = String::from_utf8_lossy(bytes);
            for word in text.split(|c: char| !c.is_ascii_hexdigit()) {
                if word.len() >= 16 {
                    assert!(
                        !e.to_string().contains(word),
                        "the error quotes key material"
                    );
                }
            }
        }
    }
}

/// The C functions' inputs.
#[derive(Arbitrary, Debug)]
struct CInput {
    policy: Bytes,
    class: Text,
    as_of: Text,
    role: Text,
    record: Bytes,
    out: OutSpec,
    tokenizer: bool,
    epoch: Text,
    id: Bytes,
    token: Bytes,
    out2: OutSpec,
}

fn c_abi(data: &[u8]) {
    let Ok(input) = CInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut p: *mut ilsp_policy = std::ptr::null_mut();
    let status = checked(
        "ilsp_policy_new",
        ilsp_policy_new(input.policy.cptr(), input.policy.len(), &mut p),
        &[],
    );
    if input.policy.is_null_with_data() {
        assert_eq!(status, ILSP_ERR_NULL);
    }
    assert_eq!(
        status == ILSP_OK,
        !p.is_null(),
        "a handle exactly on success"
    );
    let mut t: *mut ilsp_tokenizer = std::ptr::null_mut();
    if input.tokenizer {
        let key = [9u8; 32];
        assert_eq!(ilsp_tokenizer_new(key.as_ptr(), key.len(), &mut t), ILSP_OK);
    }
    let (class, as_of, role) = (
        input.class.c_string(),
        input.as_of.c_string(),
        input.role.c_string(),
    );
    for policy in [p.cast_const(), std::ptr::null()] {
        let mut out = Out::text(input.out);
        let status = checked(
            "ilsp_retention_evaluate",
            ilsp_retention_evaluate(
                policy,
                cstr_ptr(&class),
                cstr_ptr(&as_of),
                input.record.cptr(),
                input.record.len(),
                out.cptr(),
                out.cap(),
                out.len_ptr(),
            ),
            &[],
        );
        if let Some(json) = out.check_text("ilsp_retention_evaluate", status) {
            let v: serde_json::Value = serde_json::from_slice(&json).expect("JSON output");
            assert!(v["actions"].is_object() && v["audit"]["fields"].is_object());
        }
        let mut out = Out::text(input.out);
        let status = checked(
            "ilsp_access_mask",
            ilsp_access_mask(
                policy,
                cstr_ptr(&role),
                t,
                input.record.cptr(),
                input.record.len(),
                out.cptr(),
                out.cap(),
                out.len_ptr(),
            ),
            &[],
        );
        if let Some(json) = out.check_text("ilsp_access_mask", status) {
            let v: serde_json::Value = serde_json::from_slice(&json).expect("JSON output");
            let fields = v["fields"].as_object().expect("fields");
            let record = v["record"].as_object().expect("record");
            for (name, d) in fields {
                assert_eq!(d == "suppressed", !record.contains_key(name), "{name}");
            }
        }
    }
    ilsp_policy_free(p);
    ilsp_tokenizer_free(t);

    // An epoch ring: fuzzer-chosen epoch names, IDs, tokens and buffers.
    let scratch = super::support::Scratch::new("epoch-ring-c");
    let path = std::ffi::CString::new(scratch.0.as_os_str().as_encoded_bytes()).expect("a path");
    let mut ring: *mut ilsp_epoch_ring = std::ptr::null_mut();
    assert_eq!(ilsp_epoch_ring_create(path.as_ptr(), &mut ring), ILSP_OK);
    let root = [5u8; 32];
    assert_eq!(
        ilsp_epoch_ring_add(ring, c"e1".as_ptr(), root.as_ptr(), root.len()),
        ILSP_OK
    );
    let epoch = input.epoch.c_string();
    checked(
        "ilsp_epoch_ring_add",
        ilsp_epoch_ring_add(ring, cstr_ptr(&epoch), root.as_ptr(), root.len()),
        &[],
    );
    for e in [cstr_ptr(&epoch), c"e1".as_ptr()] {
        let mut out = Out::text(input.out2);
        let status = checked(
            "ilsp_epoch_ring_tokenize",
            ilsp_epoch_ring_tokenize(
                ring,
                e,
                input.id.cptr(),
                input.id.len(),
                out.cptr(),
                out.cap(),
                out.len_ptr(),
            ),
            &[],
        );
        if let Some(token) = out.check_text("ilsp_epoch_ring_tokenize", status) {
            let mut m = -1;
            let s = ilsp_epoch_ring_verify(
                ring,
                token.as_ptr().cast(),
                token.len(),
                input.id.cptr(),
                input.id.len(),
                &mut m,
            );
            assert_eq!((s, m), (ILSP_OK, 1), "a token verifies");
        }
    }
    let mut m = -1;
    let status = checked(
        "ilsp_epoch_ring_verify",
        ilsp_epoch_ring_verify(
            ring,
            input.token.cptr(),
            input.token.len(),
            input.id.cptr(),
            input.id.len(),
            &mut m,
        ),
        &[],
    );
    assert_eq!(
        status == ILSP_OK,
        m == 0 || m == 1,
        "matches written exactly on success"
    );
    let mut at = 0u64;
    assert_eq!(
        ilsp_epoch_ring_retire(ring, c"e1".as_ptr(), &mut at),
        ILSP_OK
    );
    let mut out = Out::exact(128);
    let id = b"21234000123456";
    let status = ilsp_epoch_ring_tokenize(
        ring,
        c"e1".as_ptr(),
        id.as_ptr().cast(),
        id.len(),
        out.cptr(),
        out.cap(),
        out.len_ptr(),
    );
    assert_eq!(status, ILSP_ERR_KEY, "a retired epoch still tokenizes");
    ilsp_epoch_ring_free(ring);
}
