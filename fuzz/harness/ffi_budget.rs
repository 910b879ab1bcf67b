//! The budget C entry points on a ledger file (or in memory), driven by a
//! fuzzer-chosen sequence of calls with arbitrary account names (any bytes,
//! NUL-terminated), numbers (NaN, ∞, negative, tiny, huge), NULL pointers
//! and output capacities.
//!
//! Checked on top of the C conventions: a successful spend never leaves an
//! account above its limit, a reopened ledger reads back what the handle
//! reported, the exported ledger verifies, and outputs stay unwritten on
//! failure.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::ptr::{null, null_mut};

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::ffi::budget::*;
use ilsprivacy::ffi::{ILSP_ERR_BUFFER_TOO_SMALL, ILSP_OK};

use super::cbuf::{Out, OutSpec, Text, cstr_ptr};
use super::support::{Scratch, checked};

/// Account names the calls pick from, besides arbitrary bytes.
const ACCOUNTS: [&str; 4] = ["tenant/loans", "branch-7/holds", "a", "ü/年"];

#[derive(Arbitrary, Debug, Clone)]
enum Account {
    Known(u8),
    Any(Text),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Num {
    Small(u8),
    Raw(f64),
    Special(u8),
}

impl Num {
    fn value(self) -> f64 {
        match self {
            Num::Small(k) => f64::from(k) / 64.0,
            Num::Raw(x) => x,
            Num::Special(k) => [
                0.0,
                -0.0,
                1e-300,
                5e-324,
                f64::NAN,
                f64::INFINITY,
                -1.0,
                1e6,
                1e308,
                0.1,
                0.2,
                0.3,
                1e-6,
            ][usize::from(k) % 13],
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Call {
    SetLimit {
        account: Account,
        epsilon: Num,
        delta: Num,
        reason: Option<Text>,
    },
    SetLimitRho {
        account: Account,
        rho: Num,
        reason: Text,
    },
    Composition {
        account: Account,
        rule: i8,
    },
    Period {
        account: Account,
        period: i8,
    },
    AlertThreshold {
        account: Account,
        threshold: Num,
    },
    AlertStatus {
        account: Account,
        null_out: bool,
    },
    Spent {
        account: Account,
        null_out: bool,
    },
    Remaining {
        account: Account,
    },
    Spend {
        account: Account,
        epsilon: Num,
        delta: Num,
    },
    SpendRho {
        account: Account,
        rho: Num,
    },
    Laplace {
        account: Account,
        value: Num,
        sensitivity: Num,
        epsilon: Num,
    },
    Gaussian {
        account: Account,
        value: Num,
        sensitivity: Num,
        epsilon: Num,
        delta: Num,
    },
    Export {
        out: OutSpec,
    },
    Events {
        out: OutSpec,
    },
    Verify {
        path: Option<Text>,
        out: OutSpec,
        null_entries: bool,
    },
    Reopen {
        timeout: Option<u8>,
    },
}

struct Run {
    ledger: Option<Scratch>,
    budget: *mut ilsp_budget,
    /// Basic-composition accounts and their last limit set through this run.
    limits: BTreeMap<Vec<u8>, (f64, f64)>,
    zcdp: Vec<Vec<u8>>,
}

impl Drop for Run {
    fn drop(&mut self) {
        ilsp_budget_free(self.budget);
    }
}

impl Run {
    fn path(&self) -> Option<CString> {
        self.ledger
            .as_ref()
            .map(|s| CString::new(s.0.as_os_str().as_encoded_bytes()).expect("no NUL"))
    }
}

fn name(account: &Account) -> Option<CString> {
    match account {
        Account::Known(i) => Some(CString::new(ACCOUNTS[usize::from(*i) % 4]).expect("no NUL")),
        Account::Any(text) => text.c_string(),
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let in_memory = u.arbitrary::<bool>().unwrap_or(false);
    let mut run = Run {
        ledger: (!in_memory).then(|| Scratch::new("budget")),
        budget: null_mut(),
        limits: BTreeMap::new(),
        zcdp: Vec::new(),
    };
    let path = run.path();
    let status = ilsp_budget_open(cstr_ptr(&path), &mut run.budget);
    assert_eq!(checked("ilsp_budget_open", status, &[]), ILSP_OK);
    for _ in 0..24 {
        let Ok(call) = Call::arbitrary(&mut u) else {
            break;
        };
        step(&mut run, call);
    }
}

fn spent(b: *mut ilsp_budget, account: &CString) -> Option<(f64, f64)> {
    let (mut e, mut d) = (f64::NAN, f64::NAN);
    let status = ilsp_budget_spent(b, account.as_ptr(), &mut e, &mut d);
    checked("ilsp_budget_spent", status, &[]);
    (status == ILSP_OK).then_some((e, d))
}

/// After a successful spend on a basic account whose limit this run set:
/// the spent amount is within the limit (up to the doubles' rounding).
fn within_limit(run: &Run, account: &CString) {
    let key = account.as_bytes().to_vec();
    if run.zcdp.contains(&key) {
        return;
    }
    if let (Some(&(le, ld)), Some((e, d))) = (run.limits.get(&key), spent(run.budget, account)) {
        let slack = |x: f64| x + x.abs() * 1e-15 + 1e-300;
        assert!(e <= slack(le), "spent epsilon {e} over the limit {le}");
        assert!(d <= slack(ld), "spent delta {d} over the limit {ld}");
    }
}

fn step(run: &mut Run, call: Call) {
    let b = run.budget;
    match call {
        Call::SetLimit {
            account,
            epsilon,
            delta,
            reason,
        } => {
            let a = name(&account);
            let (e, d) = (epsilon.value(), delta.value());
            let status = match reason {
                None => ilsp_budget_set_limit(b, cstr_ptr(&a), e, d),
                Some(r) => {
                    let r = r.c_string();
                    ilsp_budget_set_limit_with_reason(b, cstr_ptr(&a), e, d, cstr_ptr(&r))
                }
            };
            if checked("ilsp_budget_set_limit", status, &[]) == ILSP_OK
                && let Some(a) = a
            {
                run.limits.insert(a.as_bytes().to_vec(), (e, d));
            }
        }
        Call::SetLimitRho {
            account,
            rho,
            reason,
        } => {
            let (a, r) = (name(&account), reason.c_string());
            let status = ilsp_budget_set_limit_rho(b, cstr_ptr(&a), rho.value(), cstr_ptr(&r));
            checked("ilsp_budget_set_limit_rho", status, &[]);
        }
        Call::Composition { account, rule } => {
            let a = name(&account);
            let status = ilsp_budget_set_composition(b, cstr_ptr(&a), i32::from(rule % 3));
            if checked("ilsp_budget_set_composition", status, &[]) == ILSP_OK
                && let Some(a) = a
                && rule % 3 == ILSP_COMPOSITION_ZCDP as i8
            {
                run.zcdp.push(a.as_bytes().to_vec());
            }
        }
        Call::Period { account, period } => {
            let a = name(&account);
            let status = ilsp_budget_set_period(b, cstr_ptr(&a), i32::from(period % 4));
            checked("ilsp_budget_set_period", status, &[]);
        }
        Call::AlertThreshold { account, threshold } => {
            let a = name(&account);
            let status = ilsp_budget_set_alert_threshold(b, cstr_ptr(&a), threshold.value());
            checked("ilsp_budget_set_alert_threshold", status, &[]);
        }
        Call::AlertStatus { account, null_out } => {
            let a = name(&account);
            let (mut alerted, mut fraction) = (-3, f64::NAN);
            let out = if null_out { null_mut() } else { &mut alerted };
            let status = ilsp_budget_alert_status(b, cstr_ptr(&a), out, &mut fraction);
            if checked("ilsp_budget_alert_status", status, &[]) == ILSP_OK {
                assert!(alerted == 0 || alerted == 1);
                assert!(fraction >= 0.0, "used fraction {fraction}");
            } else {
                assert!(
                    alerted == -3 && fraction.is_nan(),
                    "outputs written on failure"
                );
            }
        }
        Call::Spent { account, null_out } => {
            let a = name(&account);
            let (mut e, mut d, mut rho) = (f64::NAN, f64::NAN, f64::NAN);
            let out = if null_out { null_mut() } else { &mut e };
            let status = ilsp_budget_spent(b, cstr_ptr(&a), out, &mut d);
            if checked("ilsp_budget_spent", status, &[]) == ILSP_OK {
                assert!(e >= 0.0 && (0.0..=1.0).contains(&d), "spent ({e}, {d})");
            } else {
                assert!(e.is_nan() && d.is_nan(), "outputs written on failure");
            }
            let status = ilsp_budget_spent_rho(b, cstr_ptr(&a), &mut rho);
            if checked("ilsp_budget_spent_rho", status, &[]) == ILSP_OK {
                assert!(rho >= 0.0);
            } else {
                assert!(rho.is_nan(), "output written on failure");
            }
        }
        Call::Remaining { account } => {
            let a = name(&account);
            let (mut e, mut d, mut r) = (f64::NAN, f64::NAN, f64::NAN);
            let status = ilsp_budget_remaining(b, cstr_ptr(&a), &mut e, &mut d, &mut r);
            if checked("ilsp_budget_remaining", status, &[]) == ILSP_OK {
                assert!(
                    e >= 0.0 && d >= 0.0 && r >= 0.0,
                    "remaining ({e}, {d}, {r})"
                );
            } else {
                assert!(
                    e.is_nan() && d.is_nan() && r.is_nan(),
                    "outputs written on failure"
                );
            }
        }
        Call::Spend {
            account,
            epsilon,
            delta,
        } => {
            let a = name(&account);
            let mut seq = u64::MAX;
            let status =
                ilsp_budget_spend(b, cstr_ptr(&a), epsilon.value(), delta.value(), &mut seq);
            if checked("ilsp_budget_spend", status, &[]) == ILSP_OK {
                within_limit(run, a.as_ref().expect("a spend needs a name"));
            } else {
                assert_eq!(seq, u64::MAX, "seq written on failure");
            }
        }
        Call::SpendRho { account, rho } => {
            let a = name(&account);
            let mut seq = u64::MAX;
            let status = ilsp_budget_spend_rho(b, cstr_ptr(&a), rho.value(), &mut seq);
            if checked("ilsp_budget_spend_rho", status, &[]) != ILSP_OK {
                assert_eq!(seq, u64::MAX, "seq written on failure");
            }
        }
        Call::Laplace {
            account,
            value,
            sensitivity,
            epsilon,
        } => {
            let a = name(&account);
            let mut out = f64::NAN;
            let (v, s, e) = (value.value(), sensitivity.value(), epsilon.value());
            let status = ilsp_budget_laplace(b, cstr_ptr(&a), v, s, e, &mut out);
            if checked("ilsp_budget_laplace", status, &[]) == ILSP_OK {
                assert!(!out.is_nan());
                within_limit(run, a.as_ref().expect("a release needs a name"));
            } else {
                assert!(out.is_nan(), "a value was released on failure");
            }
        }
        Call::Gaussian {
            account,
            value,
            sensitivity,
            epsilon,
            delta,
        } => {
            let a = name(&account);
            let mut out = f64::NAN;
            let (v, s, e, d) = (
                value.value(),
                sensitivity.value(),
                epsilon.value(),
                delta.value(),
            );
            let status = ilsp_budget_gaussian(b, cstr_ptr(&a), v, s, e, d, &mut out);
            if checked("ilsp_budget_gaussian", status, &[]) == ILSP_OK {
                assert!(!out.is_nan());
                within_limit(run, a.as_ref().expect("a release needs a name"));
            } else {
                assert!(out.is_nan(), "a value was released on failure");
            }
        }
        Call::Export { out } => {
            let mut o = Out::text(out);
            let status = ilsp_budget_ledger_export(b, o.cptr(), o.cap(), o.len_ptr());
            checked("ilsp_budget_ledger_export", status, &[]);
            if let Some(text) = o.check_text("ilsp_budget_ledger_export", status)
                && let Some(file) = &run.ledger
            {
                assert_eq!(
                    text,
                    std::fs::read(&file.0).expect("read"),
                    "export differs"
                );
            }
        }
        Call::Events { out } => {
            let mut o = Out::text(out);
            let status = ilsp_budget_recent_events(b, o.cptr(), o.cap(), o.len_ptr());
            checked("ilsp_budget_recent_events", status, &[]);
            if let Some(text) = o.check_text("ilsp_budget_recent_events", status) {
                for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    serde_json::from_slice::<serde_json::Value>(line)
                        .expect("events are JSON lines");
                }
            }
        }
        Call::Verify {
            path,
            out,
            null_entries,
        } => {
            let p = match &path {
                Some(t) => t.c_string(),
                None => run.path(),
            };
            let mut entries = u64::MAX;
            let e = if null_entries {
                null_mut()
            } else {
                &mut entries
            };
            let mut o = Out::text(out);
            let status = ilsp_budget_ledger_verify(cstr_ptr(&p), e, o.cptr(), o.cap(), o.len_ptr());
            checked("ilsp_budget_ledger_verify", status, &[]);
            if let Some(head) = o.check_text("ilsp_budget_ledger_verify", status) {
                assert_eq!(head.len(), 64);
                assert!(entries >= 1 && entries != u64::MAX);
            } else if status != ILSP_ERR_BUFFER_TOO_SMALL {
                assert_eq!(entries, u64::MAX, "entries written on failure");
            }
            if path.is_none() && run.ledger.is_some() && !null_entries {
                assert!(
                    status == ILSP_OK
                        || status == ILSP_ERR_BUFFER_TOO_SMALL
                        || o.len_is_null()
                        || o.is_null_with_cap(),
                    "the run's own ledger does not verify: {}",
                    super::support::last_error()
                );
            }
        }
        Call::Reopen { timeout } => {
            let accounts: Vec<CString> = run
                .limits
                .keys()
                .map(|k| CString::new(k.clone()).expect("no NUL"))
                .collect();
            let before: Vec<_> = accounts.iter().map(|a| spent(b, a)).collect();
            ilsp_budget_free(run.budget);
            run.budget = null_mut();
            let path = run.path();
            let mut fresh = null_mut();
            let status = match timeout {
                None => ilsp_budget_open(cstr_ptr(&path), &mut fresh),
                Some(ms) => {
                    ilsp_budget_open_with_timeout(cstr_ptr(&path), u32::from(ms), &mut fresh)
                }
            };
            assert_eq!(
                checked("ilsp_budget_open", status, &[]),
                ILSP_OK,
                "reopen failed"
            );
            run.budget = fresh;
            if run.ledger.is_some() {
                for (a, spent_before) in accounts.iter().zip(before) {
                    assert_eq!(
                        spent(fresh, a),
                        spent_before,
                        "the ledger reads back differently"
                    );
                }
            } else {
                run.limits.clear();
                run.zcdp.clear();
            }
        }
    }
    // A NULL handle is refused by every function, never dereferenced.
    let mut e = 0.0;
    let mut d = 0.0;
    let status = ilsp_budget_spent(null_mut(), null(), &mut e, &mut d);
    assert_eq!(
        checked("ilsp_budget_spent", status, &[]),
        ilsprivacy::ffi::ILSP_ERR_NULL
    );
}
