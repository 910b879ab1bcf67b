//! The budget governance C entry points (templates, suspension, dry runs,
//! correlation IDs, burn-rate plans, metrics) on a ledger file, driven by a
//! fuzzer-chosen sequence of calls with arbitrary template descriptions
//! (raw bytes, or JSON built from fuzzer-chosen fields), names, reasons,
//! correlation IDs, numbers and NULL pointers.
//!
//! Checked on top of the C conventions: a spend refused by a template or a
//! suspension leaves the ledger file unchanged and its output unwritten; an
//! account suspended by this run refuses every spend until resumed; a dry
//! run never changes the file and gives one known status per spend; the
//! metrics text is one `name{labels} value` sample per non-comment line; a
//! reopened ledger reads back.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::ptr::{null, null_mut};

use arbitrary::{Arbitrary, Unstructured};
use ilsprivacy::ffi::budget::*;
use ilsprivacy::ffi::governance::*;
use ilsprivacy::ffi::{
    ILSP_ERR_ACCOUNT_SUSPENDED, ILSP_ERR_NULL, ILSP_ERR_TEMPLATE_MISMATCH, ILSP_OK,
};

use super::cbuf::{Out, OutSpec, Text, cstr_ptr};
use super::support::{Scratch, checked};

const ACCOUNTS: [&str; 3] = ["tenant/loans", "branch-7/holds", "ü/年"];
const MECHANISMS: [&str; 7] = [
    "laplace",
    "gaussian",
    "discrete_laplace",
    "discrete_gaussian",
    "randomized_response",
    "exponential",
    "magic",
];

#[derive(Arbitrary, Debug, Clone)]
enum Account {
    Known(u8),
    Any(Text),
}

fn name(account: &Account) -> Option<CString> {
    match account {
        Account::Known(i) => Some(CString::new(ACCOUNTS[usize::from(*i) % 3]).expect("no NUL")),
        Account::Any(text) => text.c_string(),
    }
}

/// A small number (k/64), or any double.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Num {
    Small(u8),
    Raw(f64),
}

impl Num {
    fn value(self) -> f64 {
        match self {
            Num::Small(k) => f64::from(k) / 64.0,
            Num::Raw(x) => x,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Template {
    Raw(Text),
    Built {
        name: Text,
        mechanism: Option<u8>,
        max_sensitivity: Option<Num>,
        epsilon: Option<(Num, Num)>,
        delta: Option<(Num, Num)>,
        rho: Option<(Num, Num)>,
    },
}

impl Template {
    fn json(&self) -> Option<CString> {
        match self {
            Template::Raw(t) => t.c_string(),
            Template::Built {
                name,
                mechanism,
                max_sensitivity,
                epsilon,
                delta,
                rho,
            } => {
                let name = name.c_string().map(|c| c.to_string_lossy().into_owned());
                let mut spec = serde_json::Map::new();
                spec.insert("name".into(), name.unwrap_or_default().into());
                if let Some(m) = mechanism {
                    spec.insert("mechanism".into(), MECHANISMS[usize::from(*m) % 7].into());
                }
                let num =
                    |x: Num| serde_json::Number::from_f64(x.value()).map(serde_json::Value::Number);
                if let Some(s) = max_sensitivity.and_then(num) {
                    spec.insert("max_sensitivity".into(), s);
                }
                for (key, range) in [("epsilon", epsilon), ("delta", delta), ("rho", rho)] {
                    if let Some((lo, hi)) = range
                        && let (Some(lo), Some(hi)) = (num(*lo), num(*hi))
                    {
                        spec.insert(key.into(), serde_json::Value::Array(vec![lo, hi]));
                    }
                }
                CString::new(serde_json::Value::Object(spec).to_string()).ok()
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Call {
    SetLimit {
        account: Account,
        epsilon: Num,
    },
    SetTemplate {
        account: Account,
        template: Template,
        reason: Option<Text>,
    },
    RemoveTemplate {
        account: Account,
        name: Text,
    },
    TemplatesOnly {
        account: Account,
        enabled: i8,
    },
    Suspend {
        account: Account,
        reason: Text,
    },
    Resume {
        account: Account,
        reason: Text,
    },
    Status {
        account: Account,
        null_out: bool,
    },
    SpendCorrelated {
        account: Account,
        epsilon: Num,
        delta: Num,
        id: Text,
    },
    Laplace {
        account: Account,
        sensitivity: Num,
        epsilon: Num,
    },
    CheckSpends {
        spends: Vec<(Account, Num, Num)>,
        null_arrays: bool,
    },
    BurnPlan {
        account: Account,
        planned: Num,
        window: u64,
        factor: Num,
    },
    Metrics {
        out: OutSpec,
    },
    Reopen,
}

struct Run {
    ledger: Scratch,
    budget: *mut ilsp_budget,
    /// Accounts this run suspended and did not resume.
    suspended: BTreeSet<Vec<u8>>,
}

impl Drop for Run {
    fn drop(&mut self) {
        ilsp_budget_free(self.budget);
    }
}

impl Run {
    fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.ledger.0).unwrap_or_default()
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut run = Run {
        ledger: Scratch::new("governance"),
        budget: null_mut(),
        suspended: BTreeSet::new(),
    };
    let path = CString::new(run.ledger.0.as_os_str().as_encoded_bytes()).expect("no NUL");
    let status = ilsp_budget_open(path.as_ptr(), &mut run.budget);
    assert_eq!(checked("ilsp_budget_open", status, &[]), ILSP_OK);
    for _ in 0..24 {
        let Ok(call) = Call::arbitrary(&mut u) else {
            break;
        };
        step(&mut run, &path, call);
    }
}

/// A refused spend: nothing written to the file, nothing released.
fn refused_quietly(run: &Run, before: &[u8], status: i32, account: &Option<CString>) {
    if status == ILSP_ERR_TEMPLATE_MISMATCH || status == ILSP_ERR_ACCOUNT_SUSPENDED {
        assert_eq!(run.bytes(), before, "a refused spend changed the ledger");
    }
    if let Some(a) = account
        && run.suspended.contains(a.as_bytes())
    {
        assert_ne!(status, ILSP_OK, "a suspended account spent");
    }
}

fn step(run: &mut Run, path: &CString, call: Call) {
    let b = run.budget;
    match call {
        Call::SetLimit { account, epsilon } => {
            let a = name(&account);
            let status = ilsp_budget_set_limit(b, cstr_ptr(&a), epsilon.value(), 0.0);
            checked("ilsp_budget_set_limit", status, &[]);
        }
        Call::SetTemplate {
            account,
            template,
            reason,
        } => {
            let (a, t, r) = (
                name(&account),
                template.json(),
                reason.and_then(|r| r.c_string()),
            );
            let status = ilsp_budget_set_template(b, cstr_ptr(&a), cstr_ptr(&t), cstr_ptr(&r));
            checked("ilsp_budget_set_template", status, &[]);
        }
        Call::RemoveTemplate { account, name: n } => {
            let (a, n) = (name(&account), n.c_string());
            let status = ilsp_budget_remove_template(b, cstr_ptr(&a), cstr_ptr(&n), null());
            checked("ilsp_budget_remove_template", status, &[]);
        }
        Call::TemplatesOnly { account, enabled } => {
            let a = name(&account);
            let status =
                ilsp_budget_set_templates_only(b, cstr_ptr(&a), i32::from(enabled % 3), null());
            checked("ilsp_budget_set_templates_only", status, &[]);
        }
        Call::Suspend { account, reason } => {
            let (a, r) = (name(&account), reason.c_string());
            let status = ilsp_budget_suspend(b, cstr_ptr(&a), cstr_ptr(&r));
            if checked("ilsp_budget_suspend", status, &[]) == ILSP_OK
                && let Some(a) = a
            {
                run.suspended.insert(a.as_bytes().to_vec());
            }
        }
        Call::Resume { account, reason } => {
            let (a, r) = (name(&account), reason.c_string());
            let status = ilsp_budget_resume(b, cstr_ptr(&a), cstr_ptr(&r));
            if checked("ilsp_budget_resume", status, &[]) == ILSP_OK
                && let Some(a) = a
            {
                assert!(
                    run.suspended.remove(a.as_bytes()),
                    "resumed an account not suspended"
                );
            }
        }
        Call::Status { account, null_out } => {
            let a = name(&account);
            let (mut s, mut t, mut ba, mut bn) = (-3, -3, -3, u64::MAX);
            let s_ptr = if null_out { null_mut() } else { &mut s };
            let status =
                ilsp_budget_governance_status(b, cstr_ptr(&a), s_ptr, &mut t, &mut ba, &mut bn);
            if checked("ilsp_budget_governance_status", status, &[]) == ILSP_OK {
                let suspended = a
                    .as_ref()
                    .is_some_and(|a| run.suspended.contains(a.as_bytes()));
                assert_eq!(s, i32::from(suspended));
                assert!(t == 0 || t == 1);
                assert!(ba == 0 || ba == 1);
            } else {
                assert!(
                    (s, t, ba, bn) == (-3, -3, -3, u64::MAX),
                    "outputs written on failure"
                );
            }
        }
        Call::SpendCorrelated {
            account,
            epsilon,
            delta,
            id,
        } => {
            let (a, id) = (name(&account), id.c_string());
            let before = run.bytes();
            let mut seq = u64::MAX;
            let status = ilsp_budget_spend_correlated(
                b,
                cstr_ptr(&a),
                epsilon.value(),
                delta.value(),
                cstr_ptr(&id),
                &mut seq,
            );
            let status = checked("ilsp_budget_spend_correlated", status, &[]);
            assert_eq!(
                status == ILSP_OK,
                seq != u64::MAX,
                "seq written only on success"
            );
            refused_quietly(run, &before, status, &a);
        }
        Call::Laplace {
            account,
            sensitivity,
            epsilon,
        } => {
            let a = name(&account);
            let before = run.bytes();
            let mut out = f64::NAN;
            let status = ilsp_budget_laplace(
                b,
                cstr_ptr(&a),
                10.0,
                sensitivity.value(),
                epsilon.value(),
                &mut out,
            );
            let status = checked("ilsp_budget_laplace", status, &[]);
            assert_eq!(
                status == ILSP_OK,
                !out.is_nan(),
                "a value released without a spend"
            );
            refused_quietly(run, &before, status, &a);
        }
        Call::CheckSpends {
            spends,
            null_arrays,
        } => {
            let spends = &spends[..spends.len().min(16)];
            let names: Vec<Option<CString>> = spends.iter().map(|(a, _, _)| name(a)).collect();
            let ptrs: Vec<*const std::ffi::c_char> = names.iter().map(cstr_ptr).collect();
            let eps: Vec<f64> = spends.iter().map(|s| s.1.value()).collect();
            let dls: Vec<f64> = spends.iter().map(|s| s.2.value()).collect();
            let mut statuses = vec![-7i32; spends.len()];
            let mut all = -7;
            let before = run.bytes();
            let accounts = if null_arrays { null() } else { ptrs.as_ptr() };
            let status = ilsp_budget_check_spends(
                b,
                accounts,
                eps.as_ptr(),
                dls.as_ptr(),
                spends.len(),
                statuses.as_mut_ptr(),
                &mut all,
            );
            let status = checked("ilsp_budget_check_spends", status, &[]);
            assert_eq!(run.bytes(), before, "a dry run changed the ledger");
            if status == ILSP_OK {
                assert!(
                    statuses
                        .iter()
                        .all(|&s| (0..=12).contains(&s) && s != ILSP_ERR_NULL)
                );
                assert_eq!(all, i32::from(statuses.iter().all(|&s| s == ILSP_OK)));
            } else {
                assert!(statuses.iter().all(|&s| s == -7) && all == -7);
            }
        }
        Call::BurnPlan {
            account,
            planned,
            window,
            factor,
        } => {
            let a = name(&account);
            let status = ilsp_budget_set_burn_plan(
                b,
                cstr_ptr(&a),
                planned.value(),
                window % 100_000_000,
                factor.value(),
            );
            checked("ilsp_budget_set_burn_plan", status, &[]);
        }
        Call::Metrics { out } => {
            let mut out = Out::text(out);
            let status = ilsp_budget_metrics(b, out.cptr(), out.cap(), out.len_ptr());
            let status = checked("ilsp_budget_metrics", status, &[]);
            if let Some(text) = out.check_text("ilsp_budget_metrics", status) {
                let text = String::from_utf8(text).expect("metrics are UTF-8");
                for line in text.lines().filter(|l| !l.starts_with('#')) {
                    let (_, value) = line.rsplit_once(' ').expect("a sample has a value");
                    assert!(value.parse::<f64>().is_ok(), "sample {line:?}");
                }
            }
        }
        Call::Reopen => {
            ilsp_budget_free(run.budget);
            run.budget = null_mut();
            let status = ilsp_budget_open(path.as_ptr(), &mut run.budget);
            assert_eq!(
                checked("ilsp_budget_open", status, &[]),
                ILSP_OK,
                "the ledger reads back"
            );
        }
    }
}
