//! Crash safety of spends and of their repairs, tested by injecting a
//! failure at every write and sync (`io::fault`): a write that keeps any
//! number of its bytes and then fails (as `EFBIG` and `ENOSPC` do, or a
//! crash, or a power loss that keeps part of an unsynced write), or a sync
//! that fails, optionally followed by the failure of everything after it.
//! Whatever fails, at whatever step and how often, the ledger opens
//! afterwards and charges exactly what the bytes that reached the file
//! imply — never less — and charges an unfinished write once.

use std::path::{Path, PathBuf};

use super::io::fault::{self, Plan};
use crate::budget::{Budget, Charge, Composition, Decimal, Limit, verify_ledger_file};
use crate::error::Status;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ilsp-crash-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A ledger with account "a" (basic, ε ≤ 1) that spent 0.25 and account
/// "z" (zCDP, ρ ≤ 1) that spent 0.25; its bytes.
fn base(path: &Path) -> Vec<u8> {
    let b = Budget::open(path).unwrap();
    b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
        .unwrap();
    b.spend("a", &Charge::pure_dp(0.25).unwrap()).unwrap();
    b.set_composition("z", Composition::Zcdp).unwrap();
    b.set_limit("z", Limit::rho(1.0).unwrap(), "").unwrap();
    b.spend("z", &Charge::zcdp(0.25).unwrap()).unwrap();
    drop(b);
    std::fs::read(path).unwrap()
}

/// Runs `f` with `plan` armed (if any) on this thread.
fn armed<T>(plan: Option<Plan>, f: impl FnOnce() -> T) -> T {
    if let Some(p) = plan {
        fault::arm(p);
    }
    let out = f();
    fault::disarm();
    out
}

fn plan(fail_at: usize, keep: usize, sticky: bool) -> Plan {
    Plan {
        fail_at,
        keep,
        sticky,
    }
}

/// Bytes kept by a failing repair write (more than a write has: all of it).
const REPAIR_KEEPS: [usize; 6] = [0, 1, 2, 3, 120, usize::MAX];

/// The faults tried while a repair runs: each byte count of its append,
/// its sync, sticky or not.
fn repair_plans() -> Vec<Option<Plan>> {
    let mut plans = vec![None];
    for sticky in [false, true] {
        for keep in REPAIR_KEEPS {
            plans.push(Some(plan(0, keep, sticky)));
        }
        plans.push(Some(plan(1, 0, sticky)));
    }
    plans
}

/// The spend line a handle writes next on `account` (as it would with no
/// fault), found by spending on a copy.
fn next_spend_line(dir: &Path, bytes: &[u8], account: &str, charge: &Charge) -> Vec<u8> {
    let copy = dir.join("probe");
    std::fs::write(&copy, bytes).unwrap();
    Budget::open(&copy).unwrap().spend(account, charge).unwrap();
    let after = std::fs::read(&copy).unwrap();
    std::fs::remove_file(copy).unwrap();
    let line = &after[bytes.len()..];
    // The spend may be followed by an alert line; only the spend matters.
    let end = line.iter().position(|&b| b == b'\n').unwrap() + 1;
    line[..end].to_vec()
}

/// Where a member's value ends (before its comma) in `line`.
fn member_end(line: &[u8], member: &str) -> usize {
    let text = std::str::from_utf8(line).unwrap();
    text.find(&format!("{member},")).unwrap() + member.len()
}

/// What the rules charge in total on `account` when the first `kept`
/// bytes of `line` (a spend of `cost` on an account that spent `before`
/// of a limit of 1) reached the file and the spend did not return.
fn expected(line: &[u8], kept: usize, account: &str, cost_member: &str, cost: &str) -> Decimal {
    let account_done = member_end(line, &format!("\"account\":\"{account}\""));
    let cost_done = member_end(line, cost_member);
    let before = d("0.25");
    if kept + 1 >= line.len() || kept > cost_done {
        before.checked_add(d(cost)).unwrap()
    } else if kept > account_done {
        d("1")
    } else {
        before
    }
}

fn spent(b: &Budget, account: &str) -> Decimal {
    let s = b.status(account).unwrap();
    if account == "z" {
        s.spent.rho
    } else {
        s.spent.epsilon
    }
}

/// One scenario: the spend fails as `first` says, then a repair fails as
/// `second` says (through a new handle, or through the same handle's next
/// call), then another repair as `third` says; then the ledger must open
/// and charge `want`.
struct Scenario<'a> {
    path: &'a Path,
    base: &'a [u8],
    account: &'a str,
    charge: &'a Charge,
    first: Plan,
    second: Option<Plan>,
    same_handle: bool,
    third: Option<Plan>,
}

impl Scenario<'_> {
    /// Runs it; returns whether the spend returned success, and the total
    /// finally charged.
    fn run(&self) -> (bool, Decimal) {
        std::fs::write(self.path, self.base).unwrap();
        let b = Budget::open(self.path).unwrap();
        let spent_ok = armed(Some(self.first), || b.spend(self.account, self.charge)).is_ok();
        if self.same_handle {
            let _ = armed(self.second, || b.status(self.account));
        } else {
            let _ = armed(self.second, || Budget::open(self.path).map(drop));
        }
        drop(b);
        let _ = armed(self.third, || Budget::open(self.path).map(drop));
        // The read-only verifier accepts every state a failure leaves.
        verify_ledger_file(self.path)
            .unwrap_or_else(|e| panic!("{:?}: the verifier refused: {e}", self.plans()));
        let b = Budget::open(self.path)
            .unwrap_or_else(|e| panic!("{:?}: the ledger does not open: {e}", self.plans()));
        let total = spent(&b, self.account);
        drop(b);
        let summary = verify_ledger_file(self.path).unwrap();
        assert_eq!(summary.torn_tail_bytes, 0, "{:?}", self.plans());
        // And it stays that way.
        assert_eq!(
            spent(&Budget::open(self.path).unwrap(), self.account),
            total
        );
        (spent_ok, total)
    }

    fn plans(&self) -> (Plan, Option<Plan>, bool, Option<Plan>) {
        (self.first, self.second, self.same_handle, self.third)
    }
}

fn every_failure_of(account: &str, charge: &Charge, cost_member: &str, cost: &str) {
    let dir = temp_dir(&format!("spend-{account}"));
    let path = dir.join("l");
    let base = base(&path);
    let line = next_spend_line(&dir, &base, account, charge);
    let mut scenarios = 0;
    // The spend's write keeps every possible number of bytes, or its sync fails.
    let mut firsts: Vec<(Plan, usize)> = (0..=line.len()).map(|k| (plan(0, k, false), k)).collect();
    firsts.push((plan(1, 0, false), line.len()));
    firsts.push((plan(0, 17, true), 17));
    for (i, &(first, kept)) in firsts.iter().enumerate() {
        let want = expected(&line, kept, account, cost_member, cost);
        for second in repair_plans() {
            for same_handle in [false, true] {
                // A third failure for a sample of cases (they multiply).
                let thirds: Vec<Option<Plan>> = if i % 16 == 0 {
                    vec![None, Some(plan(0, 1, false)), Some(plan(0, 120, true))]
                } else {
                    vec![None]
                };
                for third in thirds {
                    let s = Scenario {
                        path: &path,
                        base: &base,
                        account,
                        charge,
                        first,
                        second,
                        same_handle,
                        third,
                    };
                    let (spent_ok, total) = s.run();
                    let want = if spent_ok {
                        d("0.25").checked_add(d(cost)).unwrap()
                    } else {
                        want
                    };
                    assert_eq!(total, want, "{:?} (kept {kept} bytes)", s.plans());
                    scenarios += 1;
                }
            }
        }
    }
    assert!(scenarios > 4000, "{scenarios}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
#[cfg_attr(miri, ignore = "thousands of ledgers")]
fn no_failure_of_a_spend_or_of_its_repairs_loses_its_charge() {
    every_failure_of(
        "a",
        &Charge::pure_dp(0.125).unwrap(),
        "\"delta\":\"0\"",
        "0.125",
    );
}

#[test]
#[cfg_attr(miri, ignore = "thousands of ledgers")]
fn the_same_for_a_zcdp_spend() {
    every_failure_of(
        "z",
        &Charge::zcdp(0.125).unwrap(),
        "\"rho\":\"0.125\"",
        "0.125",
    );
}

/// Creating a ledger fails at every write and sync: the file opens
/// afterwards (as a new ledger, or with its header) and works.
#[test]
fn every_failure_while_creating_a_ledger_leaves_one_that_opens() {
    let dir = temp_dir("create");
    let path = dir.join("l");
    let mut plans = vec![];
    for sticky in [false, true] {
        for keep in REPAIR_KEEPS {
            plans.push(plan(0, keep, sticky));
        }
        plans.push(plan(1, 0, sticky)); // the header's sync
        plans.push(plan(2, 0, sticky)); // the directory's sync
    }
    for p in plans {
        let _ = std::fs::remove_file(&path);
        let _ = armed(Some(p), || Budget::open(&path).map(drop));
        let b = Budget::open(&path).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        drop(b);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\"v\":1,\"kind\":\"ledger\""), "{p:?}");
        verify_ledger_file(&path).unwrap();
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A torn first line is cut and the file started afresh; every failure on
/// the way (the cut, the header, its sync, the directory sync, the record
/// of the cut line) leaves a file that opens.
#[test]
fn every_failure_while_repairing_a_torn_first_line_leaves_one_that_opens() {
    let dir = temp_dir("torn-first");
    let path = dir.join("l");
    let mut plans = vec![];
    for sticky in [false, true] {
        for fail_at in 0..7 {
            for keep in [0, 5, usize::MAX] {
                plans.push(plan(fail_at, keep, sticky));
            }
        }
    }
    for p in plans {
        std::fs::write(&path, b"{\"v\":1,\"kind\":\"ledger\",\"form").unwrap();
        let _ = armed(Some(p), || Budget::open(&path).map(drop));
        let _ = armed(Some(plan(0, 30, false)), || Budget::open(&path).map(drop));
        let b = Budget::open(&path).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        assert!(b.accounts().unwrap().is_empty());
        drop(b);
        assert_eq!(verify_ledger_file(&path).unwrap().torn_tail_bytes, 0);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A fragment, then a repair cut short, then another: the ledger keeps
/// every piece, charges the fragment once, and refuses damage that only
/// looks like this (a complete line whose byte was changed).
#[test]
fn a_fragment_followed_by_cut_repairs_is_charged_once() {
    let dir = temp_dir("cut-repairs");
    let path = dir.join("l");
    let base = base(&path);
    let line = next_spend_line(&dir, &base, "a", &Charge::pure_dp(0.125).unwrap());
    let cut = member_end(&line, "\"delta\":\"0\"") + 1;
    std::fs::write(&path, [&base[..], &line[..cut]].concat()).unwrap();
    for keep in [1, 2, 60, 2, 1, 90] {
        let _ = armed(Some(plan(0, keep, true)), || Budget::open(&path).map(drop));
    }
    let text = std::fs::read(&path).unwrap();
    assert!(text[base.len()..].starts_with(&line[..cut]));
    let b = Budget::open(&path).unwrap();
    assert_eq!(b.status("a").unwrap().spent.epsilon, d("0.375"));
    let kinds = std::fs::read_to_string(&path).unwrap();
    assert!(kinds.contains("\"kind\":\"torn_tail\",\"bytes\""));
    drop(b);
    // Exactly one torn-tail entry applies (the partial ones are fragments).
    let b = Budget::open(&path).unwrap();
    let torn: Vec<_> = b
        .recent_events()
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.kind, crate::budget::AuditKind::TornTail { .. }))
        .collect();
    assert_eq!(torn.len(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A complete last line with a changed byte that leaves it looking cut
/// short is still damage, not a fragment: only a line a repair cancelled
/// (which ends with the CANCEL byte) is kept as one.
#[test]
fn damage_that_looks_like_a_cut_line_is_refused() {
    let dir = temp_dir("lookalike");
    let path = dir.join("l");
    let base = base(&path);
    // The last `"` of the last line becomes `#`: an unclosed string, then "}\n".
    let mut bytes = base.clone();
    let at = bytes.len() - 3;
    assert_eq!(bytes[at], b'"');
    bytes[at] = b'#';
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        Budget::open(&path).map(drop).unwrap_err().status(),
        Status::LedgerIntegrity
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Older versions repaired by cutting the fragment first and then writing
/// a torn-tail entry holding it; when that write was cut, the charge was
/// lost. The charge is now recovered from the cut entry's own members, or
/// from the part of the fragment it holds.
#[test]
fn a_cut_repair_of_an_older_version_is_charged_from_what_it_holds() {
    let dir = temp_dir("legacy");
    let path = dir.join("l");
    let base = base(&path);
    let line = next_spend_line(&dir, &base, "a", &Charge::pure_dp(0.125).unwrap());
    let fragment = &line[..member_end(&line, "\"delta\":\"0\"") + 1];
    let hex = super::entry::hex(fragment);
    let full = format!(
        "{{\"v\":1,\"kind\":\"torn_tail\",\"bytes\":{},\"sha256\":\"00\",\"fragment\":\"{hex}\",\"charge\":\"recovered\",\"account\":\"a\",\"epsilon\":\"0.125\",\"delta\":\"0\",\"rho\":\"0\",\"seq\":",
        fragment.len()
    );
    // Cut inside the fragment's hex (after the account and cost are in it),
    // and cut after the entry's own charge members.
    let in_hex = full.find("\",\"charge\"").unwrap();
    let after_charge = full.find("\"seq\"").unwrap();
    for (cut, want) in [(in_hex, "0.375"), (after_charge, "0.375"), (60, "0.25")] {
        std::fs::write(&path, [&base[..], &full.as_bytes()[..cut]].concat()).unwrap();
        let b = Budget::open(&path).unwrap();
        assert_eq!(
            b.status("a").unwrap().spent.epsilon,
            d(want),
            "cut at {cut}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
