//! Continual release through the budget: one charge for all T periods,
//! recorded once in the ledger with the counter's event, before any period
//! is released; a refused charge releases nothing.

use std::path::PathBuf;

use ilsprivacy::accountant::{Accountant, Method, PrivacyEvent};
use ilsprivacy::budget::{Budget, Composition, Limit};
use ilsprivacy::mechanism::ContinualCounter;
use ilsprivacy::{Error, Status};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-continual-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn one_charge_for_every_period_in_the_ledger() {
    let dir = temp_dir("ledger");
    let path = dir.join("ledger.jsonl");
    let budget = Budget::open(&path).unwrap();
    budget
        .set_limit("circ", Limit::epsilon_delta(1.0, 0.0).unwrap(), "year")
        .unwrap();
    let mut weekly = budget
        .start_counter("circ", ContinualCounter::laplace(52, 2, 0.5).unwrap())
        .unwrap();
    let event = weekly.event();
    for week in 0..52 {
        weekly.push(100 + week).unwrap();
    }
    assert!(weekly.push(1).is_err(), "a 53rd week");
    let status = budget.status("circ").unwrap();
    assert_eq!(status.spends, 1);
    assert_eq!(status.spent.epsilon.to_string(), "0.5");
    // The ledger holds one spend naming the event and its 52 periods.
    let ledger = String::from_utf8(budget.export_ledger().unwrap()).unwrap();
    let spends: Vec<&str> = ledger.lines().filter(|l| l.contains("\"spend\"")).collect();
    assert_eq!(spends.len(), 1, "{ledger}");
    assert!(
        spends[0].contains("continual_count_laplace"),
        "{}",
        spends[0]
    );
    assert!(spends[0].contains("\"periods\":52"), "{}", spends[0]);
    // A reopened budget reads the same charge and the event back.
    drop(budget);
    let again = Budget::open(&path).unwrap();
    assert_eq!(
        again.status("circ").unwrap().spent.epsilon.to_string(),
        "0.5"
    );
    let mut acc = Accountant::new();
    acc.compose(event, 1).unwrap();
    assert!(acc.epsilon(1e-9, Method::Basic).unwrap() <= 0.5);
    // A second counter of 0.6 does not fit: refused, nothing recorded.
    let err = again
        .start_counter("circ", ContinualCounter::laplace(52, 2, 0.6).unwrap())
        .unwrap_err();
    assert_eq!(err.status(), Status::BudgetExhausted);
    assert_eq!(again.status("circ").unwrap().spends, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn zcdp_counters_charge_rho_and_used_counters_are_refused() {
    let budget = Budget::in_memory();
    budget
        .set_composition("monthly", Composition::Zcdp)
        .unwrap();
    budget
        .set_limit("monthly", Limit::epsilon_delta(2.0, 1e-6).unwrap(), "")
        .unwrap();
    let mut c = budget
        .start_counter("monthly", ContinualCounter::gaussian(120, 1, 0.05).unwrap())
        .unwrap();
    assert_eq!(
        budget.status("monthly").unwrap().spent.rho.to_string(),
        "0.05"
    );
    c.push(10).unwrap();
    // Charging a counter that has released a period is refused.
    let err = budget.charge_counter("monthly", &c).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err}");
    assert_eq!(budget.status("monthly").unwrap().spends, 1);
    // The event's ρ as the accountant reads it is within the charge.
    let rho = c.event().zcdp_rho().unwrap().unwrap();
    assert!(rho <= 0.05, "{rho}");
    assert!(matches!(
        c.event(),
        PrivacyEvent::ContinualCountGaussian { periods: 120, .. }
    ));
}
