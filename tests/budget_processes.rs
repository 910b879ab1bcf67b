//! Several processes on one ledger file, and processes killed mid-spend.
//!
//! This test binary is also the spending process: run with `--spender
//! <ledger> <account> <epsilon>` it opens the ledger and, until refused,
//! spends ε and releases a Laplace-noised value, printing `<seq> <value>`
//! (one `write` per line) only after the release — so every printed line is
//! a value that left the library.
//!
//! - `four_processes_never_overspend`: 4 spenders on a limit of 1.0 at
//!   ε = 0.01: exactly 100 spends in total, every printed value has its spend
//!   in the ledger, no sequence number twice.
//! - `killed_spenders_never_release_without_a_spend`: 40 times, a spender is
//!   killed with SIGKILL after a random delay; each time the ledger reopens,
//!   verifies, and contains every spend whose value was printed (in this and
//!   all earlier rounds).
//!
//! `harness = false`: arguments without a leading `-` filter the tests by name.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ilsprivacy::Status;
use ilsprivacy::budget::{Budget, Charge, Limit, verify_ledger_file};
use ilsprivacy::mechanism::Laplace;
use ilsprivacy::rng::{NoiseRng, with_secure_rng};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--spender") {
        spender(&args[1..]);
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let tests: [(&str, fn()); 2] = [
        (
            "four_processes_never_overspend",
            four_processes_never_overspend,
        ),
        (
            "killed_spenders_never_release_without_a_spend",
            killed_spenders_never_release_without_a_spend,
        ),
    ];
    let mut ran = 0;
    for (name, test) in tests {
        if filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())) {
            test();
            println!("test {name} ... ok");
            ran += 1;
        }
    }
    println!("test result: ok. {ran} passed");
}

/// The child: spend and release until refused.
fn spender(args: &[String]) {
    let [path, account, epsilon] = args else {
        panic!("usage: --spender <ledger> <account> <epsilon>");
    };
    let epsilon: f64 = epsilon.parse().unwrap();
    let budget = Budget::open(path).unwrap();
    let mechanism = Laplace::new(1.0, epsilon).unwrap();
    let charge = Charge::pure_dp(epsilon)
        .unwrap()
        .with_event(mechanism.event())
        .unwrap();
    let mut out = std::io::stdout().lock();
    loop {
        match budget.spend_and_release(account, &charge, || mechanism.release(100.0)) {
            Ok((value, receipt)) => {
                // One write per line (a pipe write of < 4096 bytes is atomic).
                out.write_all(format!("{} {value}\n", receipt.seq).as_bytes())
                    .unwrap();
                out.flush().unwrap();
            }
            Err(e) if e.status() == Status::BudgetExhausted => return,
            Err(e) => panic!("spender failed: {e}"),
        }
    }
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-procs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spawn_spender(path: &Path, account: &str, epsilon: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--spender", path.to_str().unwrap(), account, epsilon])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The sequence numbers a spender printed (complete lines only).
fn printed_seqs(child: &mut Child) -> Vec<u64> {
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|line| {
            let (seq, value) = line.split_once(' ').expect("a complete line");
            assert!(value.parse::<f64>().unwrap().is_finite());
            seq.parse().unwrap()
        })
        .collect()
}

/// The sequence numbers of the spend entries on `account`.
fn ledger_spends(path: &Path, account: &str) -> BTreeSet<u64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            (v["kind"] == "spend" && v["account"] == account).then(|| v["seq"].as_u64().unwrap())
        })
        .collect()
}

fn four_processes_never_overspend() {
    let dir = temp_dir("four");
    let path = dir.join("ledger.jsonl");
    Budget::open(&path)
        .unwrap()
        .set_limit(
            "tenant/shared",
            Limit::epsilon_delta(1.0, 0.0).unwrap(),
            "test",
        )
        .unwrap();
    let mut children: Vec<Child> = (0..4)
        .map(|_| spawn_spender(&path, "tenant/shared", "0.01"))
        .collect();
    let mut released = Vec::new();
    for child in &mut children {
        released.extend(printed_seqs(child));
        assert!(child.wait().unwrap().success());
    }
    let spends = ledger_spends(&path, "tenant/shared");
    assert_eq!(spends.len(), 100, "0.01 × 100 = 1.0 exactly, never more");
    assert_eq!(released.len(), 100);
    let unique: BTreeSet<u64> = released.iter().copied().collect();
    assert_eq!(unique.len(), 100, "no sequence number twice");
    assert_eq!(unique, spends, "every released value has its spend");
    let budget = Budget::open(&path).unwrap();
    assert_eq!(
        budget.status("tenant/shared").unwrap().spent.epsilon,
        "1".parse().unwrap()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

fn killed_spenders_never_release_without_a_spend() {
    let dir = temp_dir("kill");
    let path = dir.join("ledger.jsonl");
    Budget::open(&path)
        .unwrap()
        .set_limit(
            "tenant/crash",
            Limit::epsilon_delta(1e6, 0.0).unwrap(),
            "test",
        )
        .unwrap();
    let mut all_released = BTreeSet::new();
    let mut kills_with_output = 0;
    for round in 0..40 {
        let mut child = spawn_spender(&path, "tenant/crash", "0.001");
        let delay = with_secure_rng(|r| r.uniform_below(40_000)).unwrap();
        std::thread::sleep(Duration::from_micros(delay));
        child.kill().unwrap(); // SIGKILL
        let released = printed_seqs(&mut child);
        let _ = child.wait().unwrap();
        kills_with_output += usize::from(!released.is_empty());
        all_released.extend(released);

        // The ledger always reopens (repairing a torn line if there is one)…
        let budget = Budget::open(&path)
            .unwrap_or_else(|e| panic!("round {round}: the ledger does not reopen: {e}"));
        drop(budget);
        verify_ledger_file(&path).unwrap();
        // …and never shows a release without its spend, nor loses one.
        let spends = ledger_spends(&path, "tenant/crash");
        let missing: Vec<_> = all_released.difference(&spends).collect();
        assert!(
            missing.is_empty(),
            "round {round}: released without a spend: {missing:?}"
        );
    }
    assert!(
        kills_with_output > 0,
        "some spender released values before being killed"
    );
    println!(
        "  {} values released over 40 killed spenders; every one has its spend",
        all_released.len()
    );
    std::fs::remove_dir_all(dir).unwrap();
}
