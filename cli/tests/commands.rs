//! `ilsprivacy ledger`, `plan`, `tokenize` and `sample`, run as a user would.

mod common;

use std::fs;

use common::*;
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::tokenizer::Tokenizer;

const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn tokenizer() -> Tokenizer {
    let bytes: Vec<u8> = (0u8..32).collect();
    Tokenizer::new("k1", &SecretKey::from_bytes(&bytes).unwrap()).unwrap()
}

#[test]
fn ledger_subcommands_show_status_verify_entries_and_bytes() {
    let s = Scratch::new("ledger");
    let ledger = s.path("l");
    let l = ledger.to_str().unwrap();
    // No ledger yet: every subcommand says so and creates nothing.
    for sub in ["status", "verify", "show", "export"] {
        let out = run(&s.0, &["ledger", sub, "--ledger", l]);
        assert_eq!(out.status.code(), Some(2), "{sub}");
        assert!(text(&out.stderr).contains("there is no ledger at"), "{sub}");
    }
    assert!(!ledger.exists());
    let out = run(
        &s.0,
        &[
            "report",
            "--sample-events",
            "20000",
            "--ledger",
            l,
            "--create-ledger",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let st = text(&run(&s.0, &["ledger", "status", "--ledger", l]).stdout);
    assert!(st.contains("account \"demo/built-in-sample\""), "{st}");
    assert!(
        st.contains("limit: ε 10, δ 0.000001 per calendar month"),
        "{st}"
    );
    assert!(
        st.contains("spent: ε 1, δ 0.0000001 (left ε 9, δ 0.0000009)"),
        "{st}"
    );
    assert!(st.contains("alert at 80%"), "{st}");
    assert!(st.contains("head "), "{st}");

    let v = run(&s.0, &["ledger", "verify", "--ledger", l]);
    assert!(v.status.success());
    let head = text(&v.stdout);
    assert!(head.contains(": OK — "), "{head}");

    let show = text(&run(&s.0, &["ledger", "show", "--ledger", l]).stdout);
    assert!(
        show.contains("spend") && show.contains("epsilon=1"),
        "{show}"
    );
    assert!(
        show.contains("reason=policy of the report configuration"),
        "{show}"
    );
    let last = text(&run(&s.0, &["ledger", "show", "--ledger", l, "--last", "1"]).stdout);
    assert_eq!(last.lines().count(), 1, "{last}");

    let exported = run(&s.0, &["ledger", "export", "--ledger", l]).stdout;
    assert_eq!(exported, fs::read(&ledger).unwrap());
    let copy = s.path("copy.jsonl");
    assert!(
        run(
            &s.0,
            &[
                "ledger",
                "export",
                "--ledger",
                l,
                "--out",
                copy.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    assert_eq!(fs::read(&copy).unwrap(), exported);

    // Eighty percent: the alert shows in the report and the status.
    for _ in 0..7 {
        let out = run(&s.0, &["report", "--sample-events", "20000", "--ledger", l]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let o = text(&out.stdout);
        let e = text(&out.stderr);
        if o.contains("alert:") {
            assert!(
                o.contains(
                    "alert: 80% of the limit is used (alert threshold 80%); this report crossed it"
                ),
                "{o}"
            );
            assert!(
                e.contains("alert: account \"demo/built-in-sample\" has now used 80%"),
                "{e}"
            );
        }
    }
    let st = text(&run(&s.0, &["ledger", "status", "--ledger", l]).stdout);
    assert!(
        st.contains("(ALERT: reached); 1 alert entry recorded; 8 spends"),
        "{st}"
    );

    // Tampering is found.
    let mut bytes = fs::read(&ledger).unwrap();
    let at = bytes.windows(3).position(|w| w == b"\"10").unwrap();
    bytes[at + 1] = b'9';
    fs::write(&ledger, &bytes).unwrap();
    let v = run(&s.0, &["ledger", "verify", "--ledger", l]);
    assert_eq!(v.status.code(), Some(1));
    assert!(text(&v.stderr).contains("error: "), "{}", text(&v.stderr));
    let r = run(&s.0, &["report", "--sample-events", "20000", "--ledger", l]);
    assert_eq!(r.status.code(), Some(1), "a damaged ledger spends nothing");
    assert!(text(&r.stdout).is_empty());
}

#[test]
fn plan_subcommands_answer_the_planning_questions() {
    let s = Scratch::new("plan");
    let out = run(
        &s.0,
        &["plan", "epsilon", "--scale", "10", "--releases", "12"],
    );
    let t = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        t.contains("12 release(s) of Laplace noise, scale 10, sensitivity 1: ε = 1.19"),
        "{t}"
    );
    assert!(t.contains("±29.96"), "{t}");
    let t = text(
        &run(
            &s.0,
            &["plan", "releases", "--scale", "10", "--epsilon", "1"],
        )
        .stdout,
    );
    assert!(t.starts_with("10 releases of Laplace noise"), "{t}");
    let t = text(
        &run(
            &s.0,
            &["plan", "scale", "--releases", "12", "--epsilon", "1"],
        )
        .stdout,
    );
    assert!(t.contains("Laplace noise: b = 11.9"), "{t}");
    let t = text(
        &run(
            &s.0,
            &[
                "plan",
                "scale",
                "--noise",
                "gaussian",
                "--releases",
                "52",
                "--epsilon",
                "1",
            ],
        )
        .stdout,
    );
    assert!(t.contains("Gaussian noise: σ = 30."), "{t}");
    let out = run(
        &s.0,
        &[
            "plan",
            "epsilon",
            "--scale",
            "10",
            "--releases",
            "100000000000000000",
        ],
    );
    // Any count is answered, quickly: the accountant bounds its work.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("100,000,000,000,000,000 release(s)"), "{t}");
    let out = run(
        &s.0,
        &["plan", "epsilon", "--scale", "-1", "--releases", "3"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn tokenize_replaces_ids_with_keyed_tokens_and_writes_nothing_on_failure() {
    let s = Scratch::new("tokenize");
    let csv = s.path("export.csv");
    write_export(&csv, 2_000, ';', &BRANCHES, |line, r| {
        (line == 77).then(|| format!(";{}", r[1..].join(";")))
    });
    let out_csv = s.path("tokens.csv");
    let args = [
        "tokenize",
        "--column",
        "patron_id",
        csv.to_str().unwrap(),
        out_csv.to_str().unwrap(),
    ];
    // No key: refused, nothing written.
    let out = run(&s.0, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no tokenization key"),
        "{}",
        text(&out.stderr)
    );
    assert!(!out_csv.exists());
    let out = command(&s.0, &args)
        .env("ILSPRIVACY_TOKEN_KEY", KEY_HEX)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("left out 1 row: patron_id is empty or missing (line 77)"),
        "{err}"
    );
    let written = fs::read_to_string(&out_csv).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines[0], HEADER.join(";"));
    assert_eq!(lines.len(), 2_000, "header + 1,999 rows");
    let original = fs::read_to_string(&csv).unwrap();
    let first: Vec<&str> = original.lines().nth(1).unwrap().split(';').collect();
    let got: Vec<&str> = lines[1].split(';').collect();
    assert_eq!(
        got[0],
        tokenizer().tokenize(first[0]),
        "= hmac(key, id).hexdigest()"
    );
    assert_eq!(got[1..], first[1..]);
    assert!(!written.contains(first[0]));

    // With the [tokenize] rules of the example configuration: dates coarsened,
    // names dropped, v1 tokens where configured.
    let named = s.path("named.csv");
    let mut text_csv =
        String::from("patron_id,patron_name,branch,format,checkout_date,items,loan_days\n");
    for i in 0..300 {
        text_csv.push_str(&format!(
            "2123400{i:07},Jane Doe {i},MAIN,book,2026-03-{:02},1,14\n",
            1 + i % 28
        ));
    }
    fs::write(&named, &text_csv).unwrap();
    let masked = s.path("masked.csv");
    let config = root().join("examples/report.toml");
    let out = command(
        &s.0,
        &[
            "tokenize",
            "--config",
            config.to_str().unwrap(),
            named.to_str().unwrap(),
            masked.to_str().unwrap(),
        ],
    )
    .env("ILSPRIVACY_TOKEN_KEY", KEY_HEX)
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m = fs::read_to_string(&masked).unwrap();
    assert!(
        m.starts_with("patron_id,branch,format,checkout_date,items,loan_days\n"),
        "{m}"
    );
    assert!(!m.contains("Jane"), "the name column is dropped");
    assert!(m.contains(",2026-W09,") || m.contains(",2026-W10,"), "{m}");
    assert!(
        m.lines()
            .nth(1)
            .unwrap()
            .starts_with(&tokenizer().tokenize("21234000000000"))
    );

    // Too many rows rejected: the run fails and the old output stays as it was.
    let bad = s.path("bad.csv");
    fs::write(&bad, "patron_id,unknown_column\n1,x\n2,y\n").unwrap();
    fs::write(&masked, "previous").unwrap();
    let out = command(
        &s.0,
        &[
            "tokenize",
            "--config",
            config.to_str().unwrap(),
            bad.to_str().unwrap(),
            masked.to_str().unwrap(),
        ],
    )
    .env("ILSPRIVACY_TOKEN_KEY", KEY_HEX)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("require a column \"branch\"") || err.contains("unknown_column"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&masked).unwrap(), "previous");
}

#[test]
fn sample_writes_the_built_in_export() {
    let s = Scratch::new("sample");
    let f = s.path("sample.csv");
    let out = run(&s.0, &["sample", f.to_str().unwrap(), "--events", "1000"]);
    assert!(out.status.success());
    let t = fs::read_to_string(&f).unwrap();
    assert!(t.starts_with("patron_id,branch,format,checkout_date,items,loan_days\n"));
    assert_eq!(t.lines().count(), 1001);
    // The same file through the report as a user's export (default config).
    let out = run(&s.0, &["report", f.to_str().unwrap(), "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn usage_errors_and_help() {
    let s = Scratch::new("usage");
    let out = run(&s.0, &["--help"]);
    assert!(out.status.success());
    for sub in ["report", "ledger", "plan", "tokenize"] {
        assert!(text(&out.stdout).contains(sub));
    }
    let out = run(&s.0, &["report", "--max-quarantined", "200%"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&s.0, &["nonsense"]);
    assert_eq!(out.status.code(), Some(2));
}
