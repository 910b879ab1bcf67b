//! Eight threads spend on one account until refused, in memory and on a
//! ledger file: the total never exceeds the limit, the limit is used
//! exactly, and every released value has its spend in the ledger.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ilsprivacy::Status;
use ilsprivacy::budget::{Budget, Charge, Limit};
use ilsprivacy::mechanism::Laplace;

const THREADS: usize = 8;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-threads-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs THREADS spenders until each is refused; returns the sequence numbers
/// of every released value.
fn spend_until_refused(budget: &Arc<Budget>, account: &str, epsilon: f64) -> Vec<u64> {
    let released = Arc::new(Mutex::new(Vec::new()));
    let mechanism = Arc::new(Laplace::new(1.0, epsilon).unwrap());
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let (budget, released, mechanism) =
                (budget.clone(), released.clone(), mechanism.clone());
            s.spawn(move || {
                let charge = Charge::pure_dp(epsilon)
                    .unwrap()
                    .with_event(mechanism.event())
                    .unwrap();
                loop {
                    match budget.spend_and_release(account, &charge, || mechanism.release(100.0)) {
                        Ok((value, receipt)) => {
                            assert!(value.is_finite());
                            released.lock().unwrap().push(receipt.seq);
                        }
                        Err(e) => {
                            assert_eq!(e.status(), Status::BudgetExhausted, "{e}");
                            return;
                        }
                    }
                }
            });
        }
    });
    Arc::try_unwrap(released).unwrap().into_inner().unwrap()
}

#[test]
fn eight_threads_in_memory() {
    let budget = Arc::new(Budget::in_memory());
    budget
        .set_limit("shared", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
        .unwrap();
    let seqs = spend_until_refused(&budget, "shared", 0.01);
    assert_eq!(seqs.len(), 100, "0.01 × 100 = 1 exactly");
    assert_eq!(seqs.iter().collect::<BTreeSet<_>>().len(), 100);
    let status = budget.status("shared").unwrap();
    assert_eq!(status.spent.epsilon, "1".parse().unwrap());
    assert_eq!(status.spends, 100);
}

#[test]
fn eight_threads_on_a_ledger_file() {
    let dir = temp_dir("file");
    let path = dir.join("ledger.jsonl");
    let budget = Arc::new(Budget::open(&path).unwrap());
    budget
        .set_limit("shared", Limit::epsilon_delta(0.5, 0.0).unwrap(), "")
        .unwrap();
    let seqs = spend_until_refused(&budget, "shared", 0.01);
    assert_eq!(seqs.len(), 50);
    drop(budget);

    // Every released value's spend is in the file; the file's spends sum to the limit.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut spend_seqs = BTreeSet::new();
    let mut total = 0u128;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["kind"] == "spend" {
            spend_seqs.insert(v["seq"].as_u64().unwrap());
            assert_eq!(v["epsilon"], "0.01");
            assert_eq!(v["event"]["mechanism"], "laplace");
            total += 1;
        }
    }
    assert_eq!(total, 50);
    for seq in &seqs {
        assert!(
            spend_seqs.contains(seq),
            "release {seq} has no ledger entry"
        );
    }
    let reopened = Budget::open(&path).unwrap();
    assert_eq!(
        reopened.status("shared").unwrap().spent.epsilon,
        "0.5".parse().unwrap()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Three handles (each its own open file description, as separate
/// processes would be) spend back to back on one ledger, each holding the
/// lock for an `fsync` (milliseconds) and asking again at once; an opener
/// with a 100 ms lock timeout must still get the lock every time. The wait
/// blocks in the kernel and is woken at each unlock (instead of polling for
/// the microseconds the lock happens to be free), and the turnstile keeps a
/// writer that just unlocked from taking the lock back before the waiter
/// has had it.
#[test]
fn busy_writers_do_not_starve_an_opener() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use ilsprivacy::budget::BudgetOptions;

    let dir = temp_dir("starve");
    let path = dir.join("ledger.jsonl");
    Budget::open(&path)
        .unwrap()
        .set_limit("busy", Limit::epsilon_delta(1e6, 0.0).unwrap(), "")
        .unwrap();
    let stop = AtomicBool::new(false);
    let (opened, attempts) = std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let writer = Budget::open(&path).unwrap();
                let charge = Charge::pure_dp(1e-6).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    writer.spend("busy", &charge).unwrap();
                }
            });
        }
        std::thread::sleep(Duration::from_millis(200));
        let options = BudgetOptions {
            lock_timeout: Duration::from_millis(100),
            ..BudgetOptions::default()
        };
        let attempts = 30;
        let mut opened = 0;
        for _ in 0..attempts {
            if Budget::open_with(&path, &options).is_ok() {
                opened += 1;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        stop.store(true, Ordering::Relaxed);
        (opened, attempts)
    });
    let spends = Budget::open(&path).unwrap().status("busy").unwrap().spends;
    println!("{spends} spends, opened {opened}/{attempts}");
    assert!(spends > 20, "the writers were busy ({spends} spends)");
    assert_eq!(opened, attempts, "the opener was starved");
    std::fs::remove_dir_all(dir).unwrap();
}
