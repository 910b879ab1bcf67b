//! `ilsprivacy ledger` governance subcommands, run as a user would:
//! templates, suspension, dry runs, burn-rate plans, metrics and head
//! reconciliation.

mod common;

use std::fs;

use common::*;

const ACCOUNT: &str = "demo/built-in-sample";

/// A ledger with the built-in sample's account and one report's spend.
fn ledger(s: &Scratch) -> String {
    let l = s.path("l").to_str().unwrap().to_owned();
    let out = run(
        &s.0,
        &[
            "report",
            "--sample-events",
            "5000",
            "--ledger",
            &l,
            "--create-ledger",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    l
}

fn head(s: &Scratch, l: &str) -> String {
    let st = text(&run(&s.0, &["ledger", "status", "--ledger", l]).stdout);
    let at = st.find(" head ").expect("status prints the head") + 6;
    st[at..at + 64].to_owned()
}

#[test]
fn verify_reconciles_with_a_recorded_head() {
    let s = Scratch::new("expect-head");
    let l = ledger(&s);
    let recorded = head(&s, &l);
    let ok = run(
        &s.0,
        &[
            "ledger",
            "verify",
            "--ledger",
            &l,
            "--expect-head",
            &recorded,
        ],
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("nothing was appended since"));
    // Growth is fine: the recorded head is still on the chain.
    let out = run(
        &s.0,
        &[
            "ledger",
            "suspend",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
            "--reason",
            "r",
        ],
    );
    assert!(out.status.success());
    let grown = run(
        &s.0,
        &[
            "ledger",
            "verify",
            "--ledger",
            &l,
            "--expect-head",
            &recorded.to_uppercase(),
        ],
    );
    assert!(grown.status.success(), "{}", text(&grown.stderr));
    assert!(
        text(&grown.stdout).contains("followed by 1 later entry"),
        "{}",
        text(&grown.stdout)
    );
    // Cutting whole lines off leaves a valid chain, which verify alone accepts,
    // but the newer recorded head is gone.
    let newer = head(&s, &l);
    let bytes = fs::read(&l).unwrap();
    let cut = bytes[..bytes.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    fs::write(&l, &bytes[..cut]).unwrap();
    assert!(
        run(&s.0, &["ledger", "verify", "--ledger", &l])
            .status
            .success()
    );
    let bad = run(
        &s.0,
        &["ledger", "verify", "--ledger", &l, "--expect-head", &newer],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("is not in this ledger"),
        "{}",
        text(&bad.stderr)
    );
    let usage = run(
        &s.0,
        &["ledger", "verify", "--ledger", &l, "--expect-head", "abc"],
    );
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn suspension_and_templates_refuse_reports_and_record_nothing() {
    let s = Scratch::new("refusals");
    let l = ledger(&s);
    let out = run(
        &s.0,
        &[
            "ledger",
            "suspend",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
            "--reason",
            "incident 42",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("SUSPENDED: every spend is refused (incident 42)"));
    let before = fs::read(&l).unwrap();
    for dry in [true, false] {
        let mut args = vec!["report", "--sample-events", "5000", "--ledger", &l];
        if dry {
            args.push("--dry-run");
        }
        let out = run(&s.0, &args);
        assert_eq!(
            out.status.code(),
            Some(3),
            "dry {dry}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("is suspended"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(fs::read(&l).unwrap(), before, "nothing recorded");
    let out = run(
        &s.0,
        &[
            "ledger",
            "resume",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
            "--reason",
            "closed",
        ],
    );
    assert!(out.status.success());
    // A template the report's composed spend (no single mechanism) cannot match.
    let out = run(
        &s.0,
        &[
            "ledger",
            "template",
            "add",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
            "--name",
            "counts",
            "--mechanism",
            "laplace",
            "--epsilon-max",
            "0.5",
            "--reason",
            "board",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &s.0,
        &[
            "ledger",
            "template",
            "enforce",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
        ],
    );
    assert!(text(&out.stdout).contains("enforced: only matching spends are admitted"));
    let before = fs::read(&l).unwrap();
    let out = run(&s.0, &["report", "--sample-events", "5000", "--ledger", &l]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("template \"counts\""),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fs::read(&l).unwrap(), before, "nothing recorded");
    let out = run(
        &s.0,
        &[
            "ledger",
            "template",
            "remove",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
            "--name",
            "counts",
        ],
    );
    assert!(out.status.success());
    let out = run(
        &s.0,
        &[
            "ledger",
            "template",
            "enforce",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
            "--off",
        ],
    );
    assert!(
        !text(&out.stdout).contains("templates ("),
        "{}",
        text(&out.stdout)
    );
    let out = run(&s.0, &["report", "--sample-events", "5000", "--ledger", &l]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bad = run(
        &s.0,
        &[
            "ledger",
            "template",
            "add",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
            "--name",
            "x",
            "--mechanism",
            "magic",
            "--epsilon-max",
            "1",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_dry_run_plan_is_exact_and_writes_nothing() {
    let s = Scratch::new("plan");
    let l = ledger(&s);
    let out = run(
        &s.0,
        &[
            "ledger",
            "set-limit",
            "--ledger",
            &l,
            "--account",
            "t/holds",
            "--epsilon",
            "0.3",
            "--reason",
            "r",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = fs::read(&l).unwrap();
    let fits = run(
        &s.0,
        &[
            "ledger",
            "plan",
            "--ledger",
            &l,
            "--spend",
            "t/holds=0.1",
            "--spend",
            "t/holds=0.2",
        ],
    );
    assert!(fits.status.success(), "{}", text(&fits.stdout));
    assert!(text(&fits.stdout).contains("all fit now"));
    let no = run(
        &s.0,
        &[
            "ledger",
            "plan",
            "--ledger",
            &l,
            "--spend",
            "t/holds=0.1",
            "--spend",
            "t/holds=0.2",
            "--spend",
            "t/holds=0.000000000001",
        ],
    );
    assert_eq!(no.status.code(), Some(3));
    let shown = text(&no.stdout);
    assert_eq!(shown.matches(": fits").count(), 2, "{shown}");
    assert!(
        shown.contains("ε 0.000000000001, δ 0: does not fit"),
        "{shown}"
    );
    assert_eq!(fs::read(&l).unwrap(), before, "byte-identical");
    let bad = run(
        &s.0,
        &["ledger", "plan", "--ledger", &l, "--spend", "t/holds"],
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn metrics_are_prometheus_text_with_every_account() {
    let s = Scratch::new("metrics");
    let l = ledger(&s);
    let out = run(
        &s.0,
        &[
            "ledger",
            "burn-plan",
            "--ledger",
            &l,
            "--account",
            ACCOUNT,
            "--factor",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("burn-rate plan: "),
        "{}",
        text(&out.stdout)
    );
    let out = run(&s.0, &["ledger", "metrics", "--ledger", &l]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m = text(&out.stdout);
    // The text format: comment lines, then `name{labels} value` samples,
    // every family announced by HELP and TYPE before its samples.
    let mut typed = std::collections::HashSet::new();
    for line in m.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            typed.insert(rest.split(' ').next().unwrap().to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (name, value) = line.rsplit_once(' ').unwrap();
        let family = name.split('{').next().unwrap();
        assert!(typed.contains(family), "{family} sampled before its TYPE");
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
    for want in [
        "ilsprivacy_ledger_integrity_ok 1",
        "ilsprivacy_budget_remaining{account=\"demo/built-in-sample\",measure=\"epsilon\"} 9",
        "ilsprivacy_budget_spends_total{account=\"demo/built-in-sample\"} 1",
        "ilsprivacy_budget_suspended{account=\"demo/built-in-sample\"} 0",
        "ilsprivacy_budget_alerts_total{account=\"demo/built-in-sample\",kind=\"burn_rate\"} 0",
    ] {
        assert!(m.lines().any(|l| l == want), "{want}\n{m}");
    }
    assert!(
        !m.contains("refusals"),
        "a fresh process has refused nothing to report"
    );
    // A tampered ledger: the metrics say so (and nothing else).
    let tampered =
        fs::read_to_string(&l)
            .unwrap()
            .replacen("\"epsilon\":\"1\"", "\"epsilon\":\"0\"", 1);
    fs::write(&l, tampered).unwrap();
    let out = run(&s.0, &["ledger", "metrics", "--ledger", &l]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).ends_with("ilsprivacy_ledger_integrity_ok 0\n"),
        "{}",
        text(&out.stdout)
    );
}
