//! The data-lifecycle policies against the example policies in
//! `examples/policies/`: retention windows across their boundaries (leap
//! years, time zones), refused policies, the role × field matrix, and
//! k-anonymity checked against a brute-force search.

use std::collections::BTreeMap;
use std::path::Path;

use ilsprivacy::Status;
use ilsprivacy::policy::access::Disposition;
use ilsprivacy::policy::anonymity::{Hierarchy, k_anonymize, loss_numerator};
use ilsprivacy::policy::date::CivilDate;
use ilsprivacy::policy::retention::{Action, RecordClass};
use ilsprivacy::policy::transform::{DateLevel, Transform};
use ilsprivacy::policy::{Policy, PolicyError};
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::tokenizer::Tokenizer;

fn example(name: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/policies")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("read the example policy");
    Policy::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn day(s: &str) -> CivilDate {
    CivilDate::parse(s).unwrap()
}

/// The actions (by field) of a record of `class` on `as_of`.
fn actions(
    policy: &Policy,
    class: RecordClass,
    as_of: &str,
    record: &[(&str, &str)],
) -> BTreeMap<String, String> {
    policy
        .retention()
        .unwrap()
        .evaluate(class, day(as_of), record)
        .unwrap()
        .actions
        .into_iter()
        .map(|a| (a.field, a.action.to_string()))
        .collect()
}

fn action(
    policy: &Policy,
    class: RecordClass,
    as_of: &str,
    record: &[(&str, &str)],
    field: &str,
) -> String {
    actions(policy, class, as_of, record)[field].clone()
}

// ----- retention ------------------------------------------------------------

const LOAN: [(&str, &str); 4] = [
    ("patron_id", "21234000123456"),
    ("item_id", "31234000999"),
    ("checkout_date", "2025-12-10"),
    ("returned_on", "2026-01-01"),
];

#[test]
fn a_window_applies_on_its_expiry_day_not_the_day_before() {
    let p = example("public-library.toml");
    let c = RecordClass::CirculationHistory;
    // 2026-01-01 + 30 days = 2026-01-31.
    assert_eq!(action(&p, c, "2026-01-30", &LOAN, "patron_id"), "keep");
    assert_eq!(
        action(&p, c, "2026-01-31", &LOAN, "patron_id"),
        "pseudonymize"
    );
    assert_eq!(
        action(&p, c, "2026-02-01", &LOAN, "patron_id"),
        "pseudonymize"
    );
    assert_eq!(action(&p, c, "2026-01-31", &LOAN, "checkout_date"), "keep");
    assert_eq!(action(&p, c, "2026-01-31", &LOAN, "item_id"), "keep");
    // + 1 year, + 3 years (whole record).
    assert_eq!(action(&p, c, "2026-12-31", &LOAN, "checkout_date"), "keep");
    assert_eq!(
        action(&p, c, "2027-01-01", &LOAN, "checkout_date"),
        "coarsen:date:month"
    );
    assert_eq!(action(&p, c, "2028-12-31", &LOAN, "item_id"), "keep");
    let all = actions(&p, c, "2029-01-01", &LOAN);
    assert!(all.values().all(|a| a == "aggregate_only"), "{all:?}");
    // The reference date before the anchor: nothing is due.
    assert!(
        actions(&p, c, "2020-01-01", &LOAN)
            .values()
            .all(|a| a == "keep")
    );
}

#[test]
fn leap_days_and_month_ends() {
    let p = example("public-library.toml");
    let c = RecordClass::CirculationHistory;
    let loan = [
        ("checkout_date", "2024-02-01"),
        ("returned_on", "2024-02-29"),
    ];
    // 2024-02-29 + 1 year = 2025-02-28 (clamped), + 3 years = 2027-02-28.
    assert_eq!(action(&p, c, "2025-02-27", &loan, "checkout_date"), "keep");
    assert_eq!(
        action(&p, c, "2025-02-28", &loan, "checkout_date"),
        "coarsen:date:month"
    );
    assert_eq!(
        action(&p, c, "2027-02-27", &loan, "checkout_date"),
        "coarsen:date:month"
    );
    assert_eq!(
        action(&p, c, "2027-02-28", &loan, "checkout_date"),
        "aggregate_only"
    );
    // 90 days across February: 2024-02-01 + 90 = 2024-05-01 (leap year),
    // 2023-02-01 + 90 = 2023-05-02.
    let h = RecordClass::Holds;
    for (closed, last_kept, first_purged) in [
        ("2024-02-01", "2024-04-30", "2024-05-01"),
        ("2023-02-01", "2023-05-01", "2023-05-02"),
        ("2023-12-31", "2024-03-29", "2024-03-30"),
    ] {
        let hold = [("item_id", "1"), ("closed_on", closed)];
        assert_eq!(
            action(&p, h, last_kept, &hold, "item_id"),
            "keep",
            "{closed}"
        );
        assert_eq!(
            action(&p, h, first_purged, &hold, "item_id"),
            "purge",
            "{closed}"
        );
        assert_eq!(
            action(&p, h, first_purged, &hold, "closed_on"),
            "purge",
            "{closed}"
        );
    }
    // 7 years from a leap day: 2020-02-29 -> 2027-02-28; from 2024-02-29 +
    // 2 years -> 2026-02-28 (patron contact).
    let fine = [("amount", "2.50"), ("paid_on", "2020-02-29")];
    assert_eq!(
        action(&p, RecordClass::Fines, "2027-02-27", &fine, "amount"),
        "keep"
    );
    assert_eq!(
        action(&p, RecordClass::Fines, "2027-02-28", &fine, "amount"),
        "purge"
    );
    let contact = [
        ("postcode", "SW1A 1AA"),
        ("phone", "555"),
        ("card_expired_on", "2024-02-29"),
    ];
    let pc = RecordClass::PatronContact;
    assert_eq!(action(&p, pc, "2026-02-27", &contact, "postcode"), "keep");
    assert_eq!(
        action(&p, pc, "2026-02-28", &contact, "postcode"),
        "coarsen:postcode:3"
    );
    assert_eq!(action(&p, pc, "2026-02-28", &contact, "phone"), "purge");
    assert_eq!(
        action(&p, pc, "2027-02-28", &contact, "card_expired_on"),
        "purge"
    );
    assert_eq!(
        action(&p, pc, "2027-02-27", &contact, "card_expired_on"),
        "keep"
    );
}

/// Dates are civil dates in UTC: a timestamp's offset moves its date.
#[test]
fn timestamps_count_from_their_utc_date() {
    let p = example("public-library.toml");
    let c = RecordClass::CirculationHistory;
    // 23:30 at UTC-5 on 1 January is 04:30 UTC on 2 January: expiry 1 February.
    let late = [
        ("patron_id", "1"),
        ("returned_on", "2026-01-01T23:30:00-05:00"),
    ];
    assert_eq!(action(&p, c, "2026-01-31", &late, "patron_id"), "keep");
    assert_eq!(
        action(&p, c, "2026-02-01", &late, "patron_id"),
        "pseudonymize"
    );
    // 01:00 at UTC+2 on 2 January is 23:00 UTC on 1 January: expiry 31 January.
    let early = [
        ("patron_id", "1"),
        ("returned_on", "2026-01-02T01:00:00+02:00"),
    ];
    assert_eq!(action(&p, c, "2026-01-30", &early, "patron_id"), "keep");
    assert_eq!(
        action(&p, c, "2026-01-31", &early, "patron_id"),
        "pseudonymize"
    );
    // Without an offset the time is UTC.
    let plain = [("patron_id", "1"), ("returned_on", "2026-01-01 23:59:59")];
    assert_eq!(
        action(&p, c, "2026-01-31", &plain, "patron_id"),
        "pseudonymize"
    );
}

#[test]
fn unreadable_anchors_are_errors_that_never_quote_values() {
    let p = example("public-library.toml");
    let r = p.retention().unwrap();
    let c = RecordClass::CirculationHistory;
    let e = r
        .evaluate(c, day("2026-06-01"), &[("patron_id", "secret-patron")])
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    assert!(
        e.to_string()
            .contains("\"returned_on\" (the anchor of retention.rule[0]) is missing"),
        "{e}"
    );
    let e = r
        .evaluate(
            c,
            day("2026-06-01"),
            &[("patron_id", "x"), ("returned_on", "secret-date")],
        )
        .unwrap_err();
    assert!(e.to_string().contains("is not a date"), "{e}");
    assert!(!e.to_string().contains("secret"), "{e}");
    // A whole-record rule governs every record of its class: the anchor is
    // always needed.
    let e = r
        .evaluate(c, day("2026-06-01"), &[("branch", "Main")])
        .unwrap_err();
    assert!(
        e.to_string().contains("the anchor of retention.rule[2]"),
        "{e}"
    );
    // Field rules alone need the anchor only when they govern a field present.
    let p = Policy::parse(&format!(
        "{HEAD}{}",
        rule("holds", "[\"patron_id\"]", "closed_on", "1 day", "purge")
    ))
    .unwrap();
    let ev = p
        .retention()
        .unwrap()
        .evaluate(RecordClass::Holds, day("2026-06-01"), &[("branch", "Main")])
        .unwrap();
    assert_eq!(ev.action_of("branch"), Some(&Action::Keep));
}

#[test]
fn audit_entries_hold_policy_version_class_and_counts_only() {
    let p = example("public-library.toml");
    let ev = p
        .retention()
        .unwrap()
        .evaluate(RecordClass::CirculationHistory, day("2027-06-01"), &LOAN)
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&ev.to_json(p.meta())).unwrap();
    let audit = &json["audit"];
    assert_eq!(audit["policy"], "public-library");
    assert_eq!(audit["version"], "2026-1");
    assert_eq!(audit["class"], "circulation_history");
    assert_eq!(audit["as_of"], "2027-06-01");
    assert_eq!(audit["fields"]["pseudonymize"], 1);
    assert_eq!(audit["fields"]["coarsen:date:month"], 1);
    assert_eq!(audit["fields"]["keep"], 2);
    let text = audit.to_string();
    for (_, value) in LOAN {
        assert!(!text.contains(value), "audit holds a value: {text}");
    }
    assert_eq!(json["actions"]["patron_id"], "pseudonymize");
}

// ----- refused policies -----------------------------------------------------

const HEAD: &str = "[policy]\nname = \"p\"\nversion = \"1\"\n";

fn rule(class: &str, fields: &str, anchor: &str, after: &str, action: &str) -> String {
    format!(
        "\n[[retention.rule]]\nclass = \"{class}\"\nfields = {fields}\nanchor = \"{anchor}\"\nafter = \"{after}\"\naction = \"{action}\"\n"
    )
}

fn refused(text: &str) -> PolicyError {
    match Policy::parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn bad_policies_are_refused_naming_key_and_line() {
    let ok = rule("holds", "[\"item_id\"]", "closed_on", "30 days", "purge");
    Policy::parse(&format!("{HEAD}{ok}")).unwrap();

    // Unknown class, on the second rule (line 13 holds its header).
    let e = refused(&format!(
        "{HEAD}{ok}{}",
        rule("loans", "[\"a\"]", "d", "1 day", "purge")
    ));
    assert!(matches!(e, PolicyError::UnknownClass { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("retention.rule[1].class (line 12): unknown record class \"loans\""),
        "{e}"
    );

    // Negative windows.
    for window in ["-1 days", "-30 days", "-2 years"] {
        let e = refused(&format!(
            "{HEAD}{}",
            rule("holds", "[\"a\"]", "d", window, "purge")
        ));
        assert!(matches!(e, PolicyError::NegativeWindow { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with("retention.rule[0].after (line 5): window must not be negative"),
            "{e}"
        );
    }
    let e = refused(&format!(
        "{HEAD}{}",
        rule("holds", "[\"a\"]", "d", "30 fortnights", "purge")
    ));
    assert!(matches!(e, PolicyError::Invalid { .. }), "{e:?}");

    // Overlaps: the same window twice, windows whose order depends on the
    // anchor date, a weaker action after a stronger one.
    for (w1, a1, w2, a2) in [
        ("30 days", "purge", "30 days", "purge"),
        ("30 days", "pseudonymize", "1 month", "purge"),
        ("1 year", "pseudonymize", "12 months", "purge"),
        ("730 days", "pseudonymize", "2 years", "purge"),
        ("30 days", "purge", "60 days", "pseudonymize"),
        ("2 years", "aggregate_only", "1 year", "purge"),
    ] {
        let text = format!(
            "{HEAD}{}{}",
            rule("fines", "[\"amount\", \"note\"]", "paid_on", w1, a1),
            rule("fines", "[\"note\"]", "paid_on", w2, a2)
        );
        let e = refused(&text);
        assert!(
            matches!(e, PolicyError::Overlap { .. }),
            "{w1} {a1} / {w2} {a2}: {e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.starts_with(
                "retention.rule[1].after (line 12): overlaps retention.rule[0].after (line 5)"
            ),
            "{msg}"
        );
        assert!(msg.contains("\"note\""), "{msg}");
    }
    // Rules of different classes or fields never overlap; escalation is fine.
    Policy::parse(&format!(
        "{HEAD}{}{}{}",
        rule(
            "fines",
            "[\"amount\"]",
            "paid_on",
            "30 days",
            "pseudonymize"
        ),
        rule("fines", "[\"amount\"]", "paid_on", "1 year", "purge"),
        rule(
            "holds",
            "[\"amount\"]",
            "paid_on",
            "30 days",
            "coarsen:date:month"
        ),
    ))
    .unwrap();
    // A whole-record rule must be the last stage.
    let e = refused(&format!(
        "{HEAD}{}{}",
        rule("fines", "[\"*\"]", "paid_on", "1 year", "purge"),
        rule("fines", "[\"amount\"]", "paid_on", "2 years", "purge"),
    ));
    assert!(matches!(e, PolicyError::Overlap { .. }), "{e:?}");
    // An anchor that a rule acts on.
    let e = refused(&format!(
        "{HEAD}{}{}",
        rule("fines", "[\"amount\"]", "paid_on", "2 years", "purge"),
        rule(
            "fines",
            "[\"paid_on\"]",
            "other_date",
            "1 year",
            "coarsen:date:year"
        ),
    ));
    assert!(
        e.to_string()
            .contains("anchor field \"paid_on\" is acted on by retention.rule[1]"),
        "{e}"
    );

    // Unknown roles: in `extends`, and asked for by a caller.
    let roles = format!(
        "{HEAD}\n[access.roles.teacher]\nshow = [\"name\"]\n\n[access.roles.counselor]\nextends = \"techer\"\n"
    );
    let e = refused(&roles);
    assert!(matches!(e, PolicyError::UnknownRole { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "access.roles.counselor.extends (line 8): unknown role \"techer\"; defined roles: counselor, teacher"
    );
    let p = example("school-library.toml");
    let e = p.access().unwrap().role("principal").unwrap_err();
    assert!(matches!(e, PolicyError::UnknownRole { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(
            "role: unknown role \"principal\"; defined roles: circulation-staff, counselor"
        ),
        "{e}"
    );
    let e = p
        .access()
        .unwrap()
        .apply("principal", &[("name", "x")], None)
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    // A cycle of extends; a field both shown and masked; an unknown transform.
    let e = refused(&format!(
        "{HEAD}\n[access.roles.a]\nextends = \"b\"\n[access.roles.b]\nextends = \"a\"\n"
    ));
    assert!(e.to_string().contains("extends forms a cycle"), "{e}");
    let e = refused(&format!(
        "{HEAD}\n[access.roles.a]\nshow = [\"x\"]\nmask = {{ x = \"email\" }}\n"
    ));
    assert!(
        e.to_string()
            .starts_with("access.roles.a.mask.x (line 5): field \"x\" is also listed in show"),
        "{e}"
    );
    let e = refused(&format!(
        "{HEAD}\n[access.roles.a]\nmask = {{ x = \"sha1\" }}\n"
    ));
    assert!(e.to_string().contains("unknown transform \"sha1\""), "{e}");

    // Syntax and unknown keys: the parser's line.
    let e = refused(&format!(
        "{HEAD}\n[[retention.rule]]\nclass = \"holds\"\nfeilds = [\"a\"]\n"
    ));
    assert!(
        matches!(
            e,
            PolicyError::Syntax {
                format: "TOML",
                line: 7,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("feilds"), "{e}");
    let e = refused(
        "{\"policy\": {\"name\": \"p\", \"version\": \"1\"},\n \"retention\": {\"rule\": [{\"class\": 3}]}}",
    );
    assert!(
        matches!(
            e,
            PolicyError::Syntax {
                format: "JSON",
                line: 2,
                ..
            }
        ),
        "{e:?}"
    );
    let e = refused(&format!(
        "{HEAD}\n[anonymity.hierarchy.age]\nkind = \"age\"\nbands = [10, 15]\n"
    ));
    assert!(
        e.to_string()
            .starts_with("anonymity.hierarchy.age (line 5): bands must be"),
        "{e}"
    );
    // The same refusals in JSON name the key without a line.
    let e = refused(
        "{\"policy\": {\"name\": \"p\", \"version\": \"1\"}, \"retention\": {\"rule\": [{\"class\": \"loans\", \"fields\": [\"a\"], \"anchor\": \"d\", \"after\": \"1 day\", \"action\": \"purge\"}]}}",
    );
    assert!(
        e.to_string()
            .starts_with("retention.rule[0].class: unknown record class"),
        "{e}"
    );
    // Oversized text is refused before parsing.
    let e = refused(&" ".repeat(ilsprivacy::policy::MAX_POLICY_LEN + 1));
    assert!(matches!(e, PolicyError::TooLarge(_)), "{e:?}");
}

// ----- role masking -------------------------------------------------------

const STUDENT: [(&str, &str); 9] = [
    ("student_id", "S-1001"),
    ("name", "Ada Lovelace"),
    ("grade_level", "7"),
    ("birth_date", "2013-05-17"),
    ("guardian_contact", "+1 555 0100"),
    ("disciplinary_notes", "detention 2026-02-03"),
    ("email", "ada.lovelace@school.example"),
    ("checkout_date", "2026-03-14"),
    ("item_id", "31234000999"),
];

/// Each role × field of the school policy: shown (S), masked (M) or
/// suppressed (-), for a record without the directory opt-out and one with it.
#[test]
fn role_matrix_of_the_school_policy() {
    let p = example("school-library.toml");
    let access = p.access().unwrap();
    let fields = [
        "student_id",
        "name",
        "grade_level",
        "birth_date",
        "guardian_contact",
        "disciplinary_notes",
        "email",
        "checkout_date",
        "item_id",
        "directory_opt_out",
    ];
    // Columns in the order of `fields`.
    let matrix: [(&str, &str, &str); 4] = [
        ("circulation-staff", "SSS---MSS-", "SSS---MSS-"),
        ("teacher", "SSSM---MS-", "SSSM---MS-"),
        ("counselor", "SSSSSS-MS-", "SSSSSS-MS-"),
        ("vendor-analytics", "MSS----MS-", "M------MS-"),
    ];
    let key = SecretKey::from_bytes(&[3u8; 32]).unwrap();
    let tokenizer = Tokenizer::from_key(&key);
    let expected_of = |c: char| match c {
        'S' => Disposition::Shown,
        'M' => Disposition::Masked,
        _ => Disposition::Suppressed,
    };
    assert_eq!(
        access.roles().len(),
        matrix.len(),
        "every role is in the matrix"
    );
    for (role, not_opted, opted) in matrix {
        for (flag, row) in [("no", not_opted), ("yes", opted)] {
            let mut record: Vec<(&str, &str)> = STUDENT.to_vec();
            record.push(("directory_opt_out", flag));
            let out = access.apply(role, &record, Some(&tokenizer)).unwrap();
            assert_eq!(out.directory_opt_out, flag == "yes");
            for (field, c) in fields.iter().zip(row.chars()) {
                let want = expected_of(c);
                assert_eq!(
                    out.disposition_of(field),
                    Some(want),
                    "{role} / {field} / opt-out {flag}"
                );
                assert_eq!(
                    access.disposition(role, field, flag == "yes").unwrap(),
                    want,
                    "{role} / {field}"
                );
                let original = record.iter().find(|(n, _)| n == field).unwrap().1;
                match want {
                    Disposition::Shown => assert_eq!(out.value_of(field), Some(original)),
                    Disposition::Masked => {
                        let v = out.value_of(field).unwrap();
                        assert_ne!(v, original, "{role} / {field}");
                    }
                    Disposition::Suppressed => assert_eq!(out.value_of(field), None),
                }
            }
            // Suppressed values never reach the JSON form.
            let json = out.to_json();
            for (field, c) in fields.iter().zip(row.chars()) {
                if c == '-' && *field != "directory_opt_out" {
                    let original = record.iter().find(|(n, _)| n == field).unwrap().1;
                    assert!(
                        !json.contains(original),
                        "{role}: {field} leaked into {json}"
                    );
                }
            }
        }
    }
    // The masks are the policy's transforms.
    let out = access.apply("teacher", &STUDENT, None).unwrap();
    assert_eq!(out.value_of("birth_date"), Some("2013"));
    assert_eq!(out.value_of("checkout_date"), Some("2026-W11"));
    assert_eq!(out.value_of("email"), None);
    assert_eq!(
        access
            .apply("circulation-staff", &STUDENT, None)
            .unwrap()
            .value_of("email"),
        Some("a***@***.example")
    );
    let vendor = access
        .apply(
            "vendor-analytics",
            &[("student_id", "S-1001"), ("directory_opt_out", "no")],
            Some(&tokenizer),
        )
        .unwrap();
    assert_eq!(
        vendor.value_of("student_id"),
        Some(tokenizer.tokenize_versioned("S-1001").unwrap().as_str())
    );
    // Tokenizing without a tokenizer is a key error, not a silent pass.
    let e = access
        .apply("vendor-analytics", &STUDENT, None)
        .unwrap_err();
    assert_eq!(e.status(), Status::Key);
}

/// The opt-out flag fails closed: missing or unreadable means opted out.
#[test]
fn directory_opt_out_fails_closed() {
    let p = example("school-library.toml");
    let access = p.access().unwrap();
    for (flag, opted) in [
        (Some("no"), false),
        (Some("N"), false),
        (Some(""), false),
        (Some("0"), false),
        (Some("YES"), true),
        (Some("true"), true),
        (Some("perhaps"), true),
        (None, true),
    ] {
        let mut record = vec![("name", "Ada"), ("grade_level", "7"), ("item_id", "1")];
        if let Some(f) = flag {
            record.push(("directory_opt_out", f));
        }
        let out = access.apply("vendor-analytics", &record, None).unwrap();
        assert_eq!(out.directory_opt_out, opted, "{flag:?}");
        let want = if opted {
            Disposition::Suppressed
        } else {
            Disposition::Shown
        };
        assert_eq!(out.disposition_of("name"), Some(want), "{flag:?}");
        assert_eq!(
            out.disposition_of("item_id"),
            Some(Disposition::Shown),
            "{flag:?}"
        );
        // A school official sees directory information regardless.
        let staff = access.apply("teacher", &record, None).unwrap();
        assert_eq!(staff.disposition_of("name"), Some(Disposition::Shown));
    }
    // A value a mask cannot read is suppressed and reported by field name.
    let out = access
        .apply("teacher", &[("birth_date", "unknown-secret")], None)
        .unwrap();
    assert_eq!(
        out.disposition_of("birth_date"),
        Some(Disposition::Suppressed)
    );
    assert_eq!(out.unreadable, vec!["birth_date".to_owned()]);
    assert!(!out.to_json().contains("unknown-secret"));
    // Scopes select roles.
    assert_eq!(access.role_for_scope("sis.counselor").unwrap(), "counselor");
    assert!(access.role_for_scope("sis.admin").is_err());
}

// ----- k-anonymity --------------------------------------------------------

/// The brute force: every node of the lattice, classes counted from the
/// generalized strings, the least (loss, levels) among those that satisfy.
fn brute_force(
    h: &[Hierarchy],
    rows: &[Vec<String>],
    k: u64,
    max_suppressed: u64,
) -> Option<(Vec<usize>, u64)> {
    let heights: Vec<usize> = h.iter().map(Hierarchy::height).collect();
    let mut best: Option<(u128, Vec<usize>, u64)> = None;
    let total: usize = heights.iter().map(|x| x + 1).product();
    for mut i in 0..total {
        let mut node = vec![0; h.len()];
        for (c, height) in heights.iter().enumerate().rev() {
            node[c] = i % (height + 1);
            i /= height + 1;
        }
        let mut classes: BTreeMap<Vec<String>, u64> = BTreeMap::new();
        for row in rows {
            let key: Vec<String> = row
                .iter()
                .zip(h)
                .zip(&node)
                .map(|((v, hc), &l)| hc.generalize(v, l))
                .collect();
            *classes.entry(key).or_default() += 1;
        }
        let suppressed: u64 = classes.values().filter(|&&n| n < k).sum();
        if suppressed > max_suppressed {
            continue;
        }
        let loss = loss_numerator(&node, &heights);
        let better = match &best {
            None => true,
            Some((l, n, _)) => (loss, &node) < (*l, n),
        };
        if better {
            best = Some((loss, node, suppressed));
        }
    }
    best.map(|(_, n, s)| (n, s))
}

/// Checks a solution: every kept row in a class of at least k (counted
/// afresh from the generalized values), suppression as reported.
fn check_output(
    h: &[Hierarchy],
    rows: &[Vec<String>],
    k: u64,
    levels: &[usize],
    suppressed: &[bool],
) {
    let mut classes: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for (row, &s) in rows.iter().zip(suppressed) {
        if !s {
            let key: Vec<String> = row
                .iter()
                .zip(h)
                .zip(levels)
                .map(|((v, hc), &l)| hc.generalize(v, l))
                .collect();
            *classes.entry(key).or_default() += 1;
        }
    }
    assert!(
        classes.values().all(|&n| n >= k),
        "a class below k: {classes:?}"
    );
}

fn rows_of(data: &[[&str; 3]]) -> Vec<Vec<String>> {
    data.iter()
        .map(|r| r.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

#[test]
fn a_small_export_is_k_anonymous_with_the_least_generalization() {
    let h = vec![
        Hierarchy::Date,
        Hierarchy::Age(vec![5, 10, 20]),
        Hierarchy::Postcode(vec![4, 3, 2]),
    ];
    let rows = rows_of(&[
        ["2026-03-02", "34", "SW1A 1AA"],
        ["2026-03-09", "36", "SW1A 2BB"],
        ["2026-03-15", "31", "SW1B 1AA"],
        ["2026-04-01", "38", "SW1A 9ZZ"],
        ["2026-04-12", "42", "SW2C 1AA"],
        ["2026-04-20", "47", "SW2A 3CC"],
        ["2026-03-28", "44", "SW2B 1AA"],
        ["2026-04-03", "41", "SW2C 4DD"],
    ]);
    for k in 1..=8 {
        for max_suppressed in [0, 1, 3] {
            let s = k_anonymize(&h, &rows, k, max_suppressed).unwrap();
            let (node, suppressed) = brute_force(&h, &rows, k, max_suppressed).unwrap();
            assert_eq!(s.levels, node, "k = {k}, suppression {max_suppressed}");
            assert_eq!(s.suppressed_rows, suppressed);
            assert_eq!(
                s.suppressed.iter().filter(|&&x| x).count() as u64,
                suppressed
            );
            check_output(&h, &rows, k, &s.levels, &s.suppressed);
            assert!(s.smallest_class >= k || s.classes == 0);
            assert!((0.0..=1.0).contains(&s.precision_loss));
        }
    }
    // k = 2 without suppression: ages to 10-year bands and postcodes to 3
    // characters is the least generalization.
    let s = k_anonymize(&h, &rows, 2, 0).unwrap();
    let named: Vec<String> = h
        .iter()
        .zip(&s.levels)
        .map(|(hc, &l)| hc.level_name(l))
        .collect();
    assert_eq!(
        s.levels,
        brute_force(&h, &rows, 2, 0).unwrap().0,
        "{named:?}"
    );
    assert!(s.nodes_evaluated < 4 * 4 * 5, "the search pruned nothing");
}

/// Many generated tables: the search agrees with the brute force.
#[test]
fn the_search_agrees_with_brute_force_on_generated_tables() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let h = vec![
        Hierarchy::Date,
        Hierarchy::Age(vec![5, 10]),
        Hierarchy::Categorical,
    ];
    for _ in 0..40 {
        let n = 1 + next(30) as usize;
        let rows: Vec<Vec<String>> = (0..n)
            .map(|_| {
                let d = CivilDate::parse("2025-11-01")
                    .unwrap()
                    .add_days(next(120) as i64)
                    .unwrap();
                vec![
                    d.to_string(),
                    (20 + next(30)).to_string(),
                    ["Main", "East", "West"][next(3) as usize].to_owned(),
                ]
            })
            .collect();
        let k = 1 + next(5);
        let max_suppressed = next(4);
        match (
            k_anonymize(&h, &rows, k, max_suppressed),
            brute_force(&h, &rows, k, max_suppressed),
        ) {
            (Ok(s), Some((node, suppressed))) => {
                assert_eq!(s.levels, node);
                assert_eq!(s.suppressed_rows, suppressed);
                check_output(&h, &rows, k, &s.levels, &s.suppressed);
            }
            (Err(_), None) => {}
            (a, b) => panic!("search {a:?} but brute force {b:?}"),
        }
    }
}

#[test]
fn example_hierarchies_are_read_from_the_policy() {
    let p = example("public-library.toml");
    let a = p.anonymity().unwrap();
    assert_eq!(a.k, Some(5));
    assert_eq!(a.hierarchy("age"), Hierarchy::Age(vec![5, 10, 20]));
    assert_eq!(a.hierarchy("branch"), Hierarchy::Categorical);
    assert_eq!(
        Transform::parse("date:year").unwrap(),
        Transform::Date(DateLevel::Year)
    );
}

/// The largest policies the caps allow are checked quickly (no quadratic
/// blow-up a hostile policy could use to hang the caller), and one entry
/// more is refused.
#[test]
fn the_largest_policies_are_checked_quickly() {
    use ilsprivacy::policy::{MAX_EXTENDS_DEPTH, MAX_POLICY_ENTRIES};
    let fields: Vec<String> = (0..MAX_POLICY_ENTRIES)
        .map(|i| format!("\"f{i}\""))
        .collect();
    let fields = format!("[{}]", fields.join(","));
    let mut text = HEAD.to_owned();
    for i in 0..MAX_POLICY_ENTRIES {
        text.push_str(&rule(
            "fines",
            &fields,
            "paid_on",
            &format!("{} days", i + 1),
            "purge",
        ));
    }
    assert!(text.len() <= ilsprivacy::policy::MAX_POLICY_LEN);
    let start = std::time::Instant::now();
    let p = Policy::parse(&text).unwrap();
    assert_eq!(p.retention().unwrap().rules().len(), MAX_POLICY_ENTRIES);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    text.push_str(&rule("fines", "[\"x\"]", "paid_on", "1000 days", "purge"));
    assert!(refused(&text).to_string().contains("at most 256 rules"));

    let show: Vec<String> = (0..200).map(|i| format!("\"s{i}\"")).collect();
    let mut roles = HEAD.to_owned();
    for i in 0..MAX_POLICY_ENTRIES {
        roles.push_str(&format!(
            "\n[access.roles.r{i}]\nshow = [{}]\n",
            show.join(",")
        ));
        if i % MAX_EXTENDS_DEPTH != 0 {
            roles.push_str(&format!("extends = \"r{}\"\n", i - 1));
        }
    }
    let start = std::time::Instant::now();
    let p = Policy::parse(&roles).unwrap();
    assert_eq!(p.access().unwrap().roles().len(), MAX_POLICY_ENTRIES);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    // A chain deeper than the cap is refused.
    let mut deep = HEAD.to_owned();
    for i in 0..=MAX_EXTENDS_DEPTH + 1 {
        deep.push_str(&format!("\n[access.roles.r{i}]\nshow = [\"a\"]\n"));
        if i > 0 {
            deep.push_str(&format!("extends = \"r{}\"\n", i - 1));
        }
    }
    assert!(
        refused(&deep)
            .to_string()
            .contains("extends chains at most 16 roles deep")
    );
}
