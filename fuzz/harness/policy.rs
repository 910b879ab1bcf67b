//! The data-lifecycle parsers: policy text (TOML or JSON) and epoch ring
//! files. The first input byte picks which (even: policy, odd: ring file);
//! the rest is the text.
//!
//! Properties: no panic; a refused policy is an `InvalidArgument` error
//! with a message; an accepted policy evaluates records of every class on
//! dates around its windows with one action per field, never quoting a
//! value in an error; role masking never puts a suppressed field's value in
//! its output; hierarchies generalize any text. A ring file opens or fails
//! with a key or I/O error, never quoting its key bytes.

use ilsprivacy::Status;
use ilsprivacy::policy::Policy;
use ilsprivacy::policy::access::Disposition;
use ilsprivacy::policy::date::CivilDate;
use ilsprivacy::policy::retention::RecordClass;
use ilsprivacy::token::epoch::EpochRing;
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::tokenizer::Tokenizer;

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
    if mode % 2 == 1 {
        ring(rest);
        return;
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
