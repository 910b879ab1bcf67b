//! Budget governance: query templates, suspension, dry runs, correlation
//! IDs, burn-rate alerts (under a controlled clock), metrics, and ledgers
//! written before these entries existed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ilsprivacy::Status;
use ilsprivacy::accountant::PrivacyEvent;
use ilsprivacy::budget::{
    AlertKind, AuditKind, Budget, BudgetOptions, BurnPlan, Charge, Clock, Limit, QueryTemplate,
    TemplateMechanism, verify_ledger_file,
};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-gov-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn eps(x: f64) -> Charge {
    Charge::pure_dp(x).unwrap()
}

fn laplace(sensitivity: f64, scale: f64) -> Charge {
    Charge::from_event(&PrivacyEvent::Laplace {
        l1_sensitivity: sensitivity,
        scale,
    })
    .unwrap()
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock {
    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

fn loans_template() -> QueryTemplate {
    QueryTemplate::new("monthly-loans-count")
        .unwrap()
        .mechanism(TemplateMechanism::Laplace)
        .max_sensitivity(1.0)
        .unwrap()
        .epsilon(0.05, 0.25)
        .unwrap()
}

#[test]
fn a_template_mismatch_is_refused_naming_the_rule_and_records_nothing() {
    let dir = temp_dir("template");
    let path = dir.join("l");
    let b = Budget::open(&path).unwrap();
    b.set_limit("t/loans", Limit::epsilon_delta(1.0, 0.0).unwrap(), "plan")
        .unwrap();
    b.set_template("t/loans", &loans_template(), "approved by the board")
        .unwrap();
    // Templates restrict nothing until enforcement is on.
    b.spend("t/loans", &eps(0.01)).unwrap();
    b.set_templates_only("t/loans", true, "templated spends only")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let spends = b.status("t/loans").unwrap().spends;
    for (charge, rule) in [
        (laplace(1.0, 2.0), "is above its maximum 0.25"),
        (laplace(2.0, 10.0), "sensitivity 2 is above its maximum 1"),
        (eps(0.1), "mechanism must be laplace"),
        (
            Charge::from_event(&PrivacyEvent::DiscreteLaplace {
                l1_sensitivity: 1.0,
                scale: 10.0,
            })
            .unwrap(),
            "mechanism discrete_laplace is not laplace",
        ),
    ] {
        let e = b.spend("t/loans", &charge).unwrap_err();
        assert_eq!(e.status(), Status::TemplateMismatch, "{e}");
        assert!(e.to_string().contains(rule), "{e}");
        assert!(e.to_string().contains("monthly-loans-count"), "{e}");
        let mut released = false;
        let e = b
            .spend_and_release("t/loans", &charge, || {
                released = true;
                Ok(())
            })
            .unwrap_err();
        assert_eq!(e.status(), Status::TemplateMismatch);
        assert!(!released, "a refused spend releases nothing");
        assert_eq!(
            b.check_spend("t/loans", &charge).unwrap_err().status(),
            Status::TemplateMismatch
        );
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing recorded");
    assert_eq!(b.status("t/loans").unwrap().spends, spends);
    // Refusals are counted by the handle (the ledger records none).
    let m = b.metrics().unwrap();
    assert_eq!(m.accounts[0].refusals, 8);
    // A matching spend is admitted; the limit still applies on top.
    b.spend("t/loans", &laplace(1.0, 5.0)).unwrap();
    // Templates survive a reopen, and removing the last one refuses everything.
    drop(b);
    let b = Budget::open(&path).unwrap();
    let st = b.status("t/loans").unwrap();
    assert!(st.templates_only);
    assert_eq!(st.templates, vec![loans_template()]);
    b.remove_template("t/loans", "monthly-loans-count", "retired")
        .unwrap();
    let e = b.spend("t/loans", &laplace(1.0, 5.0)).unwrap_err();
    assert!(e.to_string().contains("has no template"), "{e}");
    assert!(b.remove_template("t/loans", "absent", "").is_err());
    b.set_templates_only("t/loans", false, "open again")
        .unwrap();
    b.spend("t/loans", &eps(0.01)).unwrap();
    verify_ledger_file(&path).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_suspended_account_refuses_every_spend_and_records_nothing() {
    let dir = temp_dir("suspend");
    let path = dir.join("l");
    let b = Budget::open(&path).unwrap();
    b.set_limit("t/holds", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "plan")
        .unwrap();
    b.spend("t/holds", &eps(0.1)).unwrap();
    b.suspend("t/holds", "incident 42: export under review")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    for charge in [eps(0.1), laplace(1.0, 10.0), eps(1e-9)] {
        let e = b.spend("t/holds", &charge).unwrap_err();
        assert_eq!(e.status(), Status::AccountSuspended);
        assert!(e.to_string().contains("incident 42"), "{e}");
        let e = b.spend_correlated("t/holds", &charge, "req-1").unwrap_err();
        assert_eq!(e.status(), Status::AccountSuspended);
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing recorded");
    // Visible in status, in events, and to another handle.
    let other = Budget::open(&path).unwrap();
    let st = other.status("t/holds").unwrap();
    assert_eq!(
        st.suspended.as_deref(),
        Some("incident 42: export under review")
    );
    assert_eq!(st.spends, 1);
    assert!(other.recent_events().unwrap().iter().any(|e| matches!(
        &e.kind,
        AuditKind::Suspended { reason } if reason.contains("incident 42")
    )));
    assert_eq!(
        other.spend("t/holds", &eps(0.1)).unwrap_err().status(),
        Status::AccountSuspended
    );
    other.resume("t/holds", "review closed").unwrap();
    assert!(other.resume("t/holds", "again").is_err(), "not suspended");
    b.spend("t/holds", &eps(0.1)).unwrap();
    assert_eq!(b.status("t/holds").unwrap().suspended, None);
    // Suspending an unknown account quarantines it before it is configured.
    b.suspend("t/new", "not yet approved").unwrap();
    b.set_limit("t/new", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
        .unwrap();
    assert_eq!(
        b.spend("t/new", &eps(0.1)).unwrap_err().status(),
        Status::AccountSuspended
    );
    verify_ledger_file(&path).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_dry_run_fits_exactly_at_the_limit_and_leaves_the_ledger_byte_identical() {
    let dir = temp_dir("dry");
    let path = dir.join("l");
    let b = Budget::open(&path).unwrap();
    b.set_limit("a", Limit::epsilon_delta(0.3, 0.0).unwrap(), "")
        .unwrap();
    b.set_limit("z", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let (c1, c2, c3) = (eps(0.1), eps(0.2), eps(1e-12));
    let fits = b.check_spends(&[("a", &c1), ("a", &c2)]).unwrap();
    assert!(fits.fits());
    assert_eq!(
        fits.items[1].outcome.as_ref().unwrap().epsilon,
        "0.2".parse().unwrap()
    );
    let no = b
        .check_spends(&[("a", &c1), ("z", &c3), ("a", &c2), ("a", &c3), ("b", &c1)])
        .unwrap();
    assert!(!no.fits());
    let statuses: Vec<Option<Status>> = no
        .items
        .iter()
        .map(|i| i.outcome.as_ref().err().map(|e| e.status()))
        .collect();
    assert_eq!(
        statuses,
        [
            None,
            None,
            None,
            Some(Status::BudgetExhausted),
            Some(Status::BudgetExhausted)
        ]
    );
    // The same list, spent for real, gives the same verdicts.
    assert_eq!(std::fs::read(&path).unwrap(), before, "byte-identical");
    assert_eq!(b.status("a").unwrap().spends, 0);
    assert!(
        b.recent_events()
            .unwrap()
            .iter()
            .all(|e| !matches!(e.kind, AuditKind::Refused { .. }))
    );
    b.spend("a", &c1).unwrap();
    b.spend("a", &c2).unwrap();
    assert_eq!(
        b.spend("a", &c3).unwrap_err().status(),
        Status::BudgetExhausted
    );
    // Suspension and templates are judged by the dry run too.
    b.suspend("z", "hold").unwrap();
    let r = b.check_spends(&[("z", &c1)]).unwrap();
    assert_eq!(
        r.items[0].outcome.as_ref().unwrap_err().status(),
        Status::AccountSuspended
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn correlation_ids_are_validated_recorded_and_chained() {
    let dir = temp_dir("corr");
    let path = dir.join("l");
    let b = Budget::open(&path).unwrap();
    b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
        .unwrap();
    let r = b
        .spend_correlated("a", &eps(0.1), "ils:req-2026.12_03-0042")
        .unwrap();
    for bad in [
        "",
        "has space",
        "patron@example.org",
        "a/b",
        "\u{e9}",
        &"x".repeat(65),
    ] {
        let e = b.spend_correlated("a", &eps(0.1), bad).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{bad:?}");
        assert!(e.to_string().starts_with("correlation_id "), "{e}");
        if !bad.is_empty() {
            assert!(
                !e.to_string().contains(bad),
                "the message never echoes the ID"
            );
        }
    }
    assert_eq!(b.status("a").unwrap().spends, 1);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("\"correlation_id\""))
        .unwrap();
    assert!(line.contains(&format!("\"seq\":{}", r.seq)));
    assert!(b.recent_events().unwrap().iter().any(|e| matches!(
        &e.kind,
        AuditKind::Spend { correlation_id: Some(id), .. } if id == "ils:req-2026.12_03-0042"
    )));
    drop(b);
    // The hash chain covers the ID: changing one character is detected.
    let tampered = text.replace("req-2026.12_03-0042", "req-2026.12_03-0043");
    std::fs::write(&path, tampered).unwrap();
    assert_eq!(
        verify_ledger_file(&path).unwrap_err().status(),
        Status::LedgerIntegrity
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn burn_rate_alerts_follow_a_controlled_clock() {
    let dir = temp_dir("burn");
    let path = dir.join("l");
    let day: i64 = 86_400_000;
    let clock = Arc::new(TestClock(AtomicI64::new(1_798_761_600_000))); // 2027-01-01, after the header
    let options = BudgetOptions {
        clock: clock.clone(),
        ..BudgetOptions::default()
    };
    let b = Budget::open_with(&path, &options).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    b.on_alert(move |a| sink.lock().unwrap().push(a.clone()));
    b.set_limit("a", Limit::epsilon_delta(3.65, 0.0).unwrap(), "yearly")
        .unwrap();
    // 3.65 a year spread evenly: 0.01 a day; alert past 3x = 0.03 in a day.
    let plan = BurnPlan::spread(
        3.65,
        Duration::from_secs(365 * 86_400),
        Duration::from_secs(86_400),
        3.0,
    )
    .unwrap();
    b.set_burn_plan("a", Some(plan)).unwrap();
    // 0.01 per day for ten days: on plan, no alert.
    for _ in 0..10 {
        b.spend("a", &eps(0.01)).unwrap();
        clock.advance(day);
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?} {plan:?}",
        seen.lock().unwrap()
    );
    // 0.03 within one day is exactly 3x: not past it.
    b.spend("a", &eps(0.02)).unwrap();
    clock.advance(day / 2);
    b.spend("a", &eps(0.01)).unwrap();
    assert!(seen.lock().unwrap().is_empty());
    assert!(!b.status("a").unwrap().burn_alerted);
    // One more within the same window: past 3x, one alert.
    clock.advance(day / 4);
    b.spend("a", &eps(0.001)).unwrap();
    let alerts = seen.lock().unwrap().clone();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].kind, AlertKind::BurnRate);
    assert!((alerts[0].used_fraction - 3.1).abs() < 1e-9, "{alerts:?}");
    assert_eq!(alerts[0].threshold, 3.0);
    let st = b.status("a").unwrap();
    assert!(st.burn_alerted);
    assert_eq!(st.burn_alerts, 1);
    assert_eq!(st.burn_window_spent, "0.031".parse().unwrap());
    // Still past: no second alert for the same excursion.
    b.spend("a", &eps(0.001)).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    // A day later the window has emptied; the status follows the clock.
    clock.advance(day);
    assert!(!b.status("a").unwrap().burn_alerted);
    assert_eq!(
        b.status("a").unwrap().burn_window_spent,
        "0".parse().unwrap()
    );
    // A new excursion alerts again, and the entries replay.
    b.spend("a", &eps(0.05)).unwrap();
    assert_eq!(seen.lock().unwrap().len(), 2);
    drop(b);
    let b = Budget::open_with(&path, &options).unwrap();
    let st = b.status("a").unwrap();
    assert_eq!(st.burn_alerts, 2);
    assert_eq!(st.burn_plan, Some(plan));
    assert_eq!(
        st.alerts, 0,
        "the threshold alert is separate (0.165 of 3.65)"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("\"kind\":\"burn_alert\"").count(), 2);
    // Entry times are the controlled clock's.
    assert!(
        text.contains("\"time\":\"2027-01-11T18:00:00.000Z\""),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn metrics_report_every_account_in_the_prometheus_format() {
    let b = Budget::in_memory();
    b.set_limit(
        "t/\"quoted\"\\x",
        Limit::epsilon_delta(1.0, 1e-6).unwrap(),
        "",
    )
    .unwrap();
    b.spend("t/\"quoted\"\\x", &eps(0.25)).unwrap();
    b.suspend("t/\"quoted\"\\x", "review").unwrap();
    let _ = b.spend("t/\"quoted\"\\x", &eps(0.25));
    let m = b.metrics().unwrap();
    assert!(m.integrity_ok);
    let text = m.to_prometheus(true);
    for line in [
        "ilsprivacy_ledger_integrity_ok 1",
        r#"ilsprivacy_budget_remaining{account="t/\"quoted\"\\x",measure="epsilon"} 0.75"#,
        r#"ilsprivacy_budget_remaining{account="t/\"quoted\"\\x",measure="delta"} 0.000001"#,
        r#"ilsprivacy_budget_spends_total{account="t/\"quoted\"\\x"} 1"#,
        r#"ilsprivacy_budget_refusals_total{account="t/\"quoted\"\\x"} 1"#,
        r#"ilsprivacy_budget_suspended{account="t/\"quoted\"\\x"} 1"#,
        r#"ilsprivacy_budget_alerts_total{account="t/\"quoted\"\\x",kind="burn_rate"} 0"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    }
    assert!(!m.to_prometheus(false).contains("refusals"));
}

fn fixture(dir: &Path) -> PathBuf {
    let path = dir.join("old.jsonl");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ledger-v1-before-governance.jsonl");
    std::fs::copy(fixture, &path).unwrap();
    path
}

#[test]
fn a_ledger_written_before_governance_opens_verifies_and_keeps_its_head() {
    let dir = temp_dir("old");
    let path = fixture(&dir);
    let original = std::fs::read(&path).unwrap();
    let head = "21f4f1473ec557306d137a20c668583aa5d0423bdce798569eaa0e5007a6e687";
    let summary = verify_ledger_file(&path).unwrap();
    assert_eq!((summary.entries, summary.head.as_str()), (14, head));
    assert_eq!(summary.accounts, 2);
    let b = Budget::open(&path).unwrap();
    assert_eq!(b.ledger_head().unwrap(), Some((14, head.to_owned())));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        original,
        "opening writes nothing"
    );
    let loans = b.status("tenant/loans").unwrap();
    assert_eq!(loans.spends, 3);
    assert_eq!(loans.alerts, 1);
    assert_eq!(loans.suspended, None);
    assert!(loans.templates.is_empty() && !loans.templates_only);
    // The old history is the prefix of the new one, whose entries chain on.
    b.suspend("tenant/loans", "audit").unwrap();
    b.resume("tenant/loans", "audit done").unwrap();
    b.set_template("tenant/loans", &loans_template(), "")
        .unwrap();
    b.spend_correlated("tenant/loans", &laplace(1.0, 10.0), "job-7")
        .unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[..original.len()], &original[..]);
    let summary = verify_ledger_file(&path).unwrap();
    assert_eq!(summary.entries, 18);
    std::fs::remove_dir_all(dir).unwrap();
}
