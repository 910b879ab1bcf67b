//! `ilsprivacy retention` and `ilsprivacy export` on the example policies,
//! run as a user would.

mod common;

use std::fs;

use common::*;

fn policy(name: &str) -> String {
    root()
        .join("examples/policies")
        .join(name)
        .display()
        .to_string()
}

const LOANS: &str = "patron_id,item_id,checkout_date,returned_on,branch
21234000123456,31234000999,2025-12-10,2026-01-01,Main
21234000999999,31234000111,2024-02-01,2024-02-29,East
21234000555555,31234000222,2026-03-01,,West
21234000777777,31234000333,2022-01-05,2022-01-20,Main
";

#[test]
fn retention_writes_actions_per_field_and_an_audit_without_values() {
    let s = Scratch::new("retention");
    fs::write(s.path("loans.csv"), LOANS).unwrap();
    let p = policy("public-library.toml");
    let out = run(
        &s.0,
        &[
            "retention",
            "--policy",
            &p,
            "--as-of",
            "2026-01-31",
            "--class",
            "circulation_history",
            s.path("loans.csv").to_str().unwrap(),
            "-o",
            s.path("actions.csv").to_str().unwrap(),
            "--audit",
            s.path("audit.json").to_str().unwrap(),
        ],
    );
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        fs::read_to_string(s.path("actions.csv")).unwrap(),
        "line,patron_id,item_id,checkout_date,returned_on,branch
2,pseudonymize,keep,keep,keep,keep
3,pseudonymize,keep,coarsen:date:month,keep,keep
4,review,review,review,review,review
5,aggregate_only,aggregate_only,aggregate_only,aggregate_only,aggregate_only
"
    );
    // Diagnostics are labelled and count; the audit holds no value.
    assert!(
        err.contains(
            "[operator diagnostic, exact, not for publication] retention: read 4 data rows"
        ),
        "{err}"
    );
    assert!(
        err.contains("1 to review") && err.contains("at line 4"),
        "{err}"
    );
    let audit = fs::read_to_string(s.path("audit.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(json["policy"], "public-library");
    assert_eq!(json["version"], "2026-1");
    assert_eq!(json["as_of"], "2026-01-31");
    let c = &json["classes"]["circulation_history"];
    assert_eq!(c["records"], 3);
    assert_eq!(c["unevaluable"], 1);
    assert_eq!(c["fields"]["aggregate_only"], 5);
    for value in ["21234000", "31234000", "2025-12-10", "Main"] {
        assert!(
            !audit.contains(value) && !err.contains(value),
            "{value} leaked"
        );
    }
    // The day before the first window ends: everything kept (except the
    // old loan).
    let out = run(
        &s.0,
        &[
            "retention",
            "--policy",
            &p,
            "--as-of",
            "2026-01-30",
            "--class",
            "circulation_history",
            s.path("loans.csv").to_str().unwrap(),
            "-o",
            s.path("a2.csv").to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let a2 = fs::read_to_string(s.path("a2.csv")).unwrap();
    assert!(a2.contains("\n2,keep,keep,keep,keep,keep\n"), "{a2}");
}

#[test]
fn retention_refuses_bad_policies_dates_and_classes() {
    let s = Scratch::new("retention-bad");
    fs::write(s.path("loans.csv"), LOANS).unwrap();
    let input = s.path("loans.csv");
    let bad = s.path("bad.toml");
    fs::write(&bad, "[policy]\nname = \"p\"\nversion = \"1\"\n\n[[retention.rule]]\nclass = \"holds\"\nfields = [\"a\"]\nanchor = \"d\"\nafter = \"-3 days\"\naction = \"purge\"\n").unwrap();
    let p = policy("public-library.toml");
    let out_csv = s.path("out.csv");
    for (args, expect) in [
        (
            vec![
                "--policy",
                bad.to_str().unwrap(),
                "--as-of",
                "2026-01-01",
                "--class",
                "holds",
            ],
            "retention.rule[0].after (line 5): window must not be negative",
        ),
        (
            vec!["--policy", &p, "--as-of", "2026-02-30", "--class", "holds"],
            "--as-of is not a calendar date",
        ),
        (
            vec!["--policy", &p, "--as-of", "2026-01-01", "--class", "loans"],
            "is not a record class",
        ),
        (
            vec!["--policy", &p, "--as-of", "2026-01-01"],
            "give the record class",
        ),
    ] {
        let mut all = vec!["retention"];
        all.extend(args);
        all.extend([input.to_str().unwrap(), "-o", out_csv.to_str().unwrap()]);
        let out = run(&s.0, &all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        assert!(text(&out.stderr).contains(expect), "{}", text(&out.stderr));
        assert!(!s.path("out.csv").exists());
    }
}

const STUDENTS: &str = "student_id,name,grade_level,birth_date,guardian_contact,disciplinary_notes,email,checkout_date,item_id,directory_opt_out
S-1,Ada,7,2013-05-17,+1 555 0100,none,ada@school.example,2026-03-14,I-1,no
S-2,Bob,7,2013-01-02,+1 555 0101,detention,bob@school.example,2026-03-15,I-2,yes
S-3,Cy,8,2012-11-30,+1 555 0102,none,cy@school.example,2026-04-01,I-3,
S-4,Di,8,2012-10-30,+1 555 0103,none,di@school.example,2026-04-02,I-4,maybe
";

#[test]
fn export_masks_by_role_and_honours_opt_outs() {
    let s = Scratch::new("export");
    fs::write(s.path("students.csv"), STUDENTS).unwrap();
    let p = policy("school-library.toml");
    let input = s.path("students.csv");
    let out_path = s.path("out.csv");
    let export = |role: &str, key: bool| {
        let mut c = command(
            &s.0,
            &[
                "export",
                "--role",
                role,
                "--policy",
                &p,
                input.to_str().unwrap(),
                "-o",
                out_path.to_str().unwrap(),
            ],
        );
        if key {
            c.env("ILSPRIVACY_TOKEN_KEY", "42".repeat(32));
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{role}: {}", text(&out.stderr));
        (fs::read_to_string(&out_path).unwrap(), text(&out.stderr))
    };
    let (csv, _) = export("teacher", false);
    assert_eq!(
        csv,
        "student_id,name,grade_level,birth_date,checkout_date,item_id
S-1,Ada,7,2013,2026-W11,I-1
S-2,Bob,7,2013,2026-W11,I-2
S-3,Cy,8,2012,2026-W14,I-3
S-4,Di,8,2012,2026-W14,I-4
"
    );
    let (csv, err) = export("vendor-analytics", true);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "student_id,name,grade_level,checkout_date,item_id"
    );
    assert!(
        lines[1].starts_with("v1.k1.") && lines[1].ends_with(",Ada,7,2026-03,I-1"),
        "{csv}"
    );
    // Opted out ("yes"), unknown flag ("maybe"): directory fields empty.
    assert!(lines[2].ends_with(",,,2026-03,I-2"), "{csv}");
    assert!(lines[3].ends_with(",Cy,8,2026-04,I-3"), "{csv}");
    assert!(lines[4].ends_with(",,,2026-04,I-4"), "{csv}");
    for secret in ["detention", "555", "S-1", "2013-05-17", "school.example"] {
        assert!(!csv.contains(secret), "{secret} leaked to the vendor");
    }
    assert!(
        err.contains("rows treated as opted out of directory information 2"),
        "{err}"
    );
    // Without a key, a role that tokenizes is refused and nothing is written.
    fs::remove_file(&out_path).unwrap();
    let out = run(
        &s.0,
        &[
            "export",
            "--role",
            "vendor-analytics",
            "--policy",
            &p,
            input.to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!out_path.exists());
    // An unknown role is refused, naming the roles.
    let out = run(
        &s.0,
        &[
            "export",
            "--role",
            "principal",
            "--policy",
            &p,
            input.to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown role \"principal\"; defined roles: circulation-staff"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn export_with_k_generalizes_until_every_class_has_k_rows() {
    let s = Scratch::new("export-k");
    let mut csv = String::from("patron_id,item_id,branch,checkout_date,age,postcode\n");
    let dates = [
        "2026-03-02",
        "2026-03-09",
        "2026-03-15",
        "2026-04-01",
        "2026-04-12",
        "2026-04-20",
    ];
    let postcodes = ["SW1A 1AA", "SW1A 2BB", "SW1B 1AA", "SW2C 1AA", "SW2A 3CC"];
    for i in 0..60usize {
        csv.push_str(&format!(
            "2123400{i:07},I-{i},{},{},{},{}\n",
            ["Main", "East"][i % 2],
            dates[i * 7 % dates.len()],
            20 + (i * 13 % 45),
            postcodes[i * 3 % postcodes.len()]
        ));
    }
    fs::write(s.path("loans.csv"), &csv).unwrap();
    let p = policy("public-library.toml");
    let out_path = s.path("out.csv");
    let out = command(
        &s.0,
        &[
            "export",
            "--role",
            "vendor-analytics",
            "--policy",
            &p,
            "--k",
            "5",
            "--quasi",
            "checkout_date,age,postcode",
            s.path("loans.csv").to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ],
    )
    .env("ILSPRIVACY_TOKEN_KEY", "42".repeat(32))
    .output()
    .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("export: k = 5: generalization checkout_date -> "),
        "{err}"
    );
    assert!(
        err.contains("k-anonymity is not differential privacy"),
        "{err}"
    );
    let written = fs::read_to_string(&out_path).unwrap();
    let mut lines = written.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header,
        [
            "patron_id",
            "item_id",
            "branch",
            "checkout_date",
            "age",
            "postcode"
        ]
    );
    let mut classes = std::collections::BTreeMap::<(String, String, String), usize>::new();
    let mut rows = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        *classes
            .entry((f[3].into(), f[4].into(), f[5].into()))
            .or_default() += 1;
        rows += 1;
    }
    // The policy allows 1% of rows suppressed: floor(0.6) = none of 60.
    assert_eq!(rows, 60);
    assert!(classes.values().all(|&n| n >= 5), "{classes:?}");
    // k above the row count with no suppression allowed: refused, nothing written.
    fs::remove_file(&out_path).unwrap();
    let out = command(
        &s.0,
        &[
            "export",
            "--role",
            "vendor-analytics",
            "--policy",
            &p,
            "--k",
            "61",
            "--quasi",
            "age",
            s.path("loans.csv").to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ],
    )
    .env("ILSPRIVACY_TOKEN_KEY", "42".repeat(32))
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(!out_path.exists());
    // A quasi-identifier the role does not see as it is: refused.
    let out = command(
        &s.0,
        &[
            "export",
            "--role",
            "vendor-analytics",
            "--policy",
            &p,
            "--k",
            "5",
            "--quasi",
            "patron_id",
            s.path("loans.csv").to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
        ],
    )
    .env("ILSPRIVACY_TOKEN_KEY", "42".repeat(32))
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("sees this column masked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn retention_reads_each_rows_class_from_a_column() {
    let s = Scratch::new("retention-class-column");
    fs::write(
        s.path("mixed.csv"),
        "kind,item_id,closed_on,paid_on,returned_on
holds,I-1,2026-01-01,,
fines,I-2,,2019-01-01,
loans,I-3,,,2026-01-01
holds,I-4,2026-04-01,,
",
    )
    .unwrap();
    let p = policy("public-library.toml");
    let out = run(
        &s.0,
        &[
            "retention",
            "--policy",
            &p,
            "--as-of",
            "2026-04-01",
            "--class-column",
            "kind",
            s.path("mixed.csv").to_str().unwrap(),
            "-o",
            s.path("a.csv").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Holds: closed 2026-01-01 + 90 days = 2026-04-01: purged on the day;
    // fines: paid 2019-01-01 + 7 years = 2026-01-01; "loans" is no class.
    assert_eq!(
        fs::read_to_string(s.path("a.csv")).unwrap(),
        "line,kind,item_id,closed_on,paid_on,returned_on
2,purge,purge,purge,purge,purge
3,purge,purge,purge,purge,purge
4,review,review,review,review,review
5,keep,keep,keep,keep,keep
"
    );
    assert!(
        text(&out.stderr).contains("1 to review"),
        "{}",
        text(&out.stderr)
    );
}
