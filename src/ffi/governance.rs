//! C entry points for budget governance (`crate::budget`): query templates,
//! suspension, dry runs, correlation IDs, burn-rate plans and metrics.

// As in `super::budget`: safe entry points whose pointer arguments carry a
// C contract; every pointer is NULL-checked by the helpers.
#![allow(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry points: pointer validity is the C caller's documented contract"
)]

use std::ffi::c_char;
use std::time::Duration;

use serde::Deserialize;

use super::budget::{budget_account, budget_arg, ilsp_budget};
use super::{
    check_out, guard, ilsp_status, opt_str_arg, slice_arg, slice_out, str_arg, write_out,
    write_text,
};
use crate::budget::{BurnPlan, Charge, QueryTemplate, TemplateMechanism};
use crate::error::{Error, Result};

/// The longest template description `ilsp_budget_set_template` reads, in bytes.
pub const ILSP_MAX_TEMPLATE_JSON_BYTES: usize = 4096;

/// A template as the C caller describes it (JSON).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateSpec {
    name: String,
    #[serde(default)]
    mechanism: Option<String>,
    #[serde(default)]
    max_sensitivity: Option<f64>,
    #[serde(default)]
    epsilon: Option<[f64; 2]>,
    #[serde(default)]
    delta: Option<[f64; 2]>,
    #[serde(default)]
    rho: Option<[f64; 2]>,
}

/// Reads a template from its JSON description (see `ilsp_budget_set_template`).
pub(crate) fn parse_template(json: &str) -> Result<QueryTemplate> {
    if json.len() > ILSP_MAX_TEMPLATE_JSON_BYTES {
        return Err(Error::invalid(
            "template_json",
            format!(
                "is {} bytes, more than {ILSP_MAX_TEMPLATE_JSON_BYTES}",
                json.len()
            ),
        ));
    }
    let spec: TemplateSpec = serde_json::from_str(json).map_err(|e| {
        Error::invalid(
            "template_json",
            format!(
                "is not a template description (line {}, column {}: {})",
                e.line(),
                e.column(),
                match e.classify() {
                    serde_json::error::Category::Data => "a member is unknown or of the wrong type",
                    _ => "not valid JSON",
                }
            ),
        )
    })?;
    let mut t = QueryTemplate::new(&spec.name)?;
    if let Some(m) = &spec.mechanism {
        t = t.mechanism(TemplateMechanism::from_name(m).ok_or_else(|| {
            Error::invalid(
                "template_json",
                "mechanism must be laplace, discrete_laplace, gaussian, discrete_gaussian, randomized_response or exponential",
            )
        })?);
    }
    if let Some(s) = spec.max_sensitivity {
        t = t.max_sensitivity(s)?;
    }
    if let Some([lo, hi]) = spec.epsilon {
        t = t.epsilon(lo, hi)?;
    }
    if let Some([lo, hi]) = spec.delta {
        t = t.delta(lo, hi)?;
    }
    if let Some([lo, hi]) = spec.rho {
        t = t.rho(lo, hi)?;
    }
    t.validate()?;
    Ok(t)
}

/// Adds a query template to `account` (replacing its template of the same
/// name; creating the account if needed), recorded in the ledger with
/// `reason` (NULL: none). `template_json` (NUL-terminated, at most 4096
/// bytes) describes it, e.g.
/// `{"name":"monthly-loans","mechanism":"laplace","max_sensitivity":1.001,"epsilon":[0.05,0.25]}`:
/// `name` (1–64 bytes of `A-Z a-z 0-9 . _ -`), optional `mechanism`
/// (`laplace`, `discrete_laplace`, `gaussian`, `discrete_gaussian`,
/// `randomized_response`, `exponential`; a spend must carry it — the
/// mechanism entry points such as `ilsp_budget_laplace` do, plain
/// `ilsp_budget_spend` does not), optional `max_sensitivity` (needs a
/// Laplace or Gaussian mechanism; it bounds the sensitivity the mechanism
/// charges, which includes its grid rounding — slightly above the nominal
/// one, so allow e.g. 1.001 for a sensitivity of 1), and at least one inclusive range
/// `epsilon`, `delta` or `rho` as `[min, max]`. Templates restrict spends
/// once `ilsp_budget_set_templates_only` enables them.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (bad name, reason or description; more than 64 templates), `ILSP_ERR_IO`,
/// `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_template(
    budget: *mut ilsp_budget,
    account: *const c_char,
    template_json: *const c_char,
    reason: *const c_char,
) -> ilsp_status {
    guard(|| {
        // SAFETY (all three): a live handle and NUL-terminated strings (or
        // NULL, which the helpers reject or read as absent) per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let json = unsafe { str_arg(template_json, "template_json") }?;
        let reason = unsafe { opt_str_arg(reason, "reason") }?.unwrap_or_default();
        b.set_template(account, &parse_template(json)?, reason)
    })
}

/// Removes `account`'s template named `name`, recorded with `reason` (NULL: none).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (no such account or template), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_remove_template(
    budget: *mut ilsp_budget,
    account: *const c_char,
    name: *const c_char,
    reason: *const c_char,
) -> ilsp_status {
    guard(|| {
        // SAFETY (all three): as in `ilsp_budget_set_template`.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let name = unsafe { str_arg(name, "name") }?;
        let reason = unsafe { opt_str_arg(reason, "reason") }?.unwrap_or_default();
        b.remove_template(account, name, reason)
    })
}

/// Switches template enforcement on `account` (`enabled` 1) or off (0),
/// recorded with `reason` (NULL: none). While on, a spend that matches none
/// of the account's templates fails with `ILSP_ERR_TEMPLATE_MISMATCH` (the
/// message names the rule each template broke): nothing is recorded or
/// released.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (`enabled` not 0 or 1, bad name or reason), `ILSP_ERR_IO`,
/// `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_templates_only(
    budget: *mut ilsp_budget,
    account: *const c_char,
    enabled: i32,
    reason: *const c_char,
) -> ilsp_status {
    guard(|| {
        // SAFETY (both): as in `ilsp_budget_set_template`.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let reason = unsafe { opt_str_arg(reason, "reason") }?.unwrap_or_default();
        let enabled = match enabled {
            0 => false,
            1 => true,
            _ => return Err(Error::invalid("enabled", "must be 0 or 1")),
        };
        b.set_templates_only(account, enabled, reason)
    })
}

/// Suspends `account` (creating it if needed), recorded with `reason`
/// (required): every spend on it fails with `ILSP_ERR_ACCOUNT_SUSPENDED`,
/// recording and releasing nothing, until `ilsp_budget_resume`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`,
/// `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_suspend(
    budget: *mut ilsp_budget,
    account: *const c_char,
    reason: *const c_char,
) -> ilsp_status {
    guard(|| {
        // SAFETY (both): as in `ilsp_budget_set_template`.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let reason = unsafe { str_arg(reason, "reason") }?;
        b.suspend(account, reason)
    })
}

/// Resumes a suspended `account`, recorded with `reason` (required).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (unknown or not suspended), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_resume(
    budget: *mut ilsp_budget,
    account: *const c_char,
    reason: *const c_char,
) -> ilsp_status {
    guard(|| {
        // SAFETY (both): as in `ilsp_budget_set_template`.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let reason = unsafe { str_arg(reason, "reason") }?;
        b.resume(account, reason)
    })
}

/// `account`'s governance state now (re-reading a shared ledger):
/// `*suspended` and `*templates_only` are 1 or 0, `*burn_alerted` is 1 if
/// the spend over its burn-rate plan's window exceeds the plan's factor
/// times the plan now, `*burn_alerts` the burn-rate alert entries recorded.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (unknown account), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_governance_status(
    budget: *mut ilsp_budget,
    account: *const c_char,
    suspended: *mut i32,
    templates_only: *mut i32,
    burn_alerted: *mut i32,
    burn_alerts: *mut u64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live handle and a NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        check_out(suspended, "suspended")?;
        check_out(templates_only, "templates_only")?;
        check_out(burn_alerted, "burn_alerted")?;
        check_out(burn_alerts, "burn_alerts")?;
        let s = b.status(account)?;
        write_out(suspended, i32::from(s.suspended.is_some()));
        write_out(templates_only, i32::from(s.templates_only));
        write_out(burn_alerted, i32::from(s.burn_alerted));
        write_out(burn_alerts, s.burn_alerts);
        Ok(())
    })
}

/// `ilsp_budget_spend` recording `correlation_id` in the spend's ledger
/// entry and events, so the caller's audit log can be joined with the
/// ledger. The ID (NUL-terminated) is 1–64 bytes of `A-Z a-z 0-9 . _ : -`:
/// a request or job ID, never a patron identifier or other personal data.
///
/// Errors: as `ilsp_budget_spend`, plus `ILSP_ERR_INVALID_ARGUMENT` for a
/// bad ID (the message never repeats it), `ILSP_ERR_TEMPLATE_MISMATCH`,
/// `ILSP_ERR_ACCOUNT_SUSPENDED` (nothing recorded).
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_spend_correlated(
    budget: *mut ilsp_budget,
    account: *const c_char,
    epsilon: f64,
    delta: f64,
    correlation_id: *const c_char,
    seq: *mut u64,
) -> ilsp_status {
    guard(|| {
        // SAFETY (both): as in `ilsp_budget_set_template`.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let id = unsafe { str_arg(correlation_id, "correlation_id") }?;
        check_out(seq, "seq")?;
        let receipt = b.spend_correlated(account, &Charge::approximate_dp(epsilon, delta)?, id)?;
        write_out(seq, receipt.seq);
        Ok(())
    })
}

/// A dry run: would these `n` spends of (`epsilons[i]`, `deltas[i]`) on
/// `accounts[i]` fit now, made in this order? Answered from the current
/// ledger state without recording anything. `statuses[i]` receives what
/// `ilsp_budget_spend` would return for spend `i` after the ones before it
/// (`ILSP_OK`, `ILSP_ERR_BUDGET_EXHAUSTED`, `ILSP_ERR_TEMPLATE_MISMATCH`,
/// `ILSP_ERR_ACCOUNT_SUSPENDED`, `ILSP_ERR_INVALID_ARGUMENT`, …; a refused
/// spend does not count for the later ones) and `*all_fit` 1 if every one
/// is `ILSP_OK`, else 0. At most 100000 spends.
///
/// Errors: `ILSP_ERR_NULL` (an array with `n` > 0, an account, `all_fit`),
/// `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT` (`n` too large),
/// `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle; other handles
/// may spend between a dry run and a spend, so only the spend decides.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_check_spends(
    budget: *mut ilsp_budget,
    accounts: *const *const c_char,
    epsilons: *const f64,
    deltas: *const f64,
    n: usize,
    statuses: *mut i32,
    all_fit: *mut i32,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live handle per the C contract.
        let b = unsafe { budget_arg(budget) }?;
        check_out(all_fit, "all_fit")?;
        if n > crate::budget::MAX_DRY_RUN_SPENDS {
            return Err(Error::invalid(
                "n",
                format!("must be at most {}", crate::budget::MAX_DRY_RUN_SPENDS),
            ));
        }
        // SAFETY (all four): `n` readable or writable values each, per the C contract.
        let names = unsafe { slice_arg(accounts, n, "accounts") }?;
        let epsilons = unsafe { slice_arg(epsilons, n, "epsilons") }?;
        let deltas = unsafe { slice_arg(deltas, n, "deltas") }?;
        let out = unsafe { slice_out(statuses, n, "statuses") }?;
        let mut parsed = Vec::with_capacity(n);
        for i in 0..n {
            // SAFETY: each entry is a NUL-terminated string per the C contract.
            let account = unsafe { str_arg(names[i], "accounts") }?;
            parsed.push((account, Charge::approximate_dp(epsilons[i], deltas[i])));
        }
        // Bad amounts get their own verdict, like a refused spend.
        let valid: Vec<(usize, &str, Charge)> = parsed
            .iter()
            .enumerate()
            .filter_map(|(i, (a, c))| c.as_ref().ok().map(|c| (i, *a, *c)))
            .collect();
        let list: Vec<(&str, &Charge)> = valid.iter().map(|(_, a, c)| (*a, c)).collect();
        let run = b.check_spends(&list)?;
        let mut verdicts: Vec<i32> = parsed
            .iter()
            .map(|(_, c)| c.as_ref().err().map_or(0, |e| e.status().code()))
            .collect();
        for ((i, _, _), item) in valid.iter().zip(&run.items) {
            verdicts[*i] = item.outcome.as_ref().err().map_or(0, |e| e.status().code());
        }
        out.copy_from_slice(&verdicts);
        write_out(all_fit, i32::from(verdicts.iter().all(|&v| v == 0)));
        Ok(())
    })
}

/// Sets `account`'s burn-rate plan (creating the account if needed):
/// `planned` (ε for a basic account, ρ for zCDP) per window of
/// `window_seconds` (60 s to 366 days); a spend that takes the spend over
/// the window past `factor` (≥ 1) × `planned` appends a `burn_alert` entry
/// to the ledger. `planned` 0 removes the plan.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`,
/// `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_burn_plan(
    budget: *mut ilsp_budget,
    account: *const c_char,
    planned: f64,
    window_seconds: u64,
    factor: f64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live handle and a NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let plan = if planned == 0.0 {
            None
        } else {
            Some(BurnPlan::new(
                planned,
                Duration::from_secs(window_seconds),
                factor,
            )?)
        };
        b.set_burn_plan(account, plan)
    })
}

/// The budget's figures in the Prometheus text exposition format (remaining
/// and spent ε/δ/ρ, spends, refusals by this handle, alerts by kind, the
/// suspended flag per account; the ledger's entries, last entry time and
/// integrity), per the buffer convention. Ask for the length with
/// `out_cap` 0 (figures may change between two calls; retry while the
/// result is `ILSP_ERR_BUFFER_TOO_SMALL`).
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_BUFFER_TOO_SMALL`, `ILSP_ERR_IO`. A
/// ledger that fails its checks is reported in the text
/// (`ilsprivacy_ledger_integrity_ok 0`), not as an error.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_metrics(
    budget: *mut ilsp_budget,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live handle per the C contract.
        let b = unsafe { budget_arg(budget) }?;
        check_out(out_len, "out_len")?;
        let text = b.metrics()?.to_prometheus(true);
        // SAFETY: `out` is NULL or `out_cap` writable bytes per the C contract.
        unsafe { write_text(text, out, out_cap, out_len, "out") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::budget::{
        ilsp_budget_free, ilsp_budget_laplace, ilsp_budget_open, ilsp_budget_set_limit,
    };
    use crate::ffi::{
        ILSP_ERR_ACCOUNT_SUSPENDED, ILSP_ERR_BUDGET_EXHAUSTED, ILSP_ERR_INVALID_ARGUMENT,
        ILSP_ERR_NULL, ILSP_ERR_TEMPLATE_MISMATCH, ILSP_OK,
    };
    use std::ffi::CString;
    use std::ptr::{null, null_mut};

    fn c(s: &str) -> CString {
        CString::new(s).unwrap()
    }

    #[test]
    fn refusals_and_dry_runs_through_the_c_abi() {
        let mut b = null_mut();
        assert_eq!(ilsp_budget_open(null(), &mut b), ILSP_OK);
        let a = c("t/loans");
        assert_eq!(ilsp_budget_set_limit(b, a.as_ptr(), 0.3, 0.0), ILSP_OK);
        let t = c(
            r#"{"name":"count","mechanism":"laplace","max_sensitivity":1.001,"epsilon":[0.01,0.2]}"#,
        );
        assert_eq!(
            ilsp_budget_set_template(b, a.as_ptr(), t.as_ptr(), null()),
            ILSP_OK
        );
        assert_eq!(
            ilsp_budget_set_templates_only(b, a.as_ptr(), 1, null()),
            ILSP_OK
        );
        assert_eq!(
            ilsp_budget_set_templates_only(b, a.as_ptr(), 2, null()),
            ILSP_ERR_INVALID_ARGUMENT
        );
        let mut out = -7.0;
        assert_eq!(
            ilsp_budget_laplace(b, a.as_ptr(), 10.0, 1.0, 0.25, &mut out),
            ILSP_ERR_TEMPLATE_MISMATCH
        );
        assert_eq!(out, -7.0, "nothing released");
        assert_eq!(
            ilsp_budget_laplace(b, a.as_ptr(), 10.0, 1.0, 0.1, &mut out),
            ILSP_OK
        );
        let reason = c("review");
        assert_eq!(ilsp_budget_suspend(b, a.as_ptr(), reason.as_ptr()), ILSP_OK);
        out = -7.0;
        assert_eq!(
            ilsp_budget_laplace(b, a.as_ptr(), 10.0, 1.0, 0.1, &mut out),
            ILSP_ERR_ACCOUNT_SUSPENDED
        );
        assert_eq!(out, -7.0);
        let (mut s, mut t_only, mut ba, mut bn) = (0, 0, 1, 9);
        assert_eq!(
            ilsp_budget_governance_status(b, a.as_ptr(), &mut s, &mut t_only, &mut ba, &mut bn),
            ILSP_OK
        );
        assert_eq!((s, t_only, ba, bn), (1, 1, 0, 0));
        assert_eq!(ilsp_budget_resume(b, a.as_ptr(), reason.as_ptr()), ILSP_OK);
        assert_eq!(
            ilsp_budget_set_templates_only(b, a.as_ptr(), 0, null()),
            ILSP_OK
        );
        let names = [a.as_ptr(), a.as_ptr(), a.as_ptr()];
        let (eps, del) = ([0.1, 0.1, -1.0], [0.0, 1e-12, 0.0]);
        let mut statuses = [99; 3];
        let mut all = 9;
        assert_eq!(
            ilsp_budget_check_spends(
                b,
                names.as_ptr(),
                eps.as_ptr(),
                del.as_ptr(),
                3,
                statuses.as_mut_ptr(),
                &mut all
            ),
            ILSP_OK
        );
        assert_eq!(
            statuses,
            [
                ILSP_OK,
                ILSP_ERR_BUDGET_EXHAUSTED,
                ILSP_ERR_INVALID_ARGUMENT
            ]
        );
        assert_eq!(all, 0);
        assert_eq!(
            ilsp_budget_check_spends(
                b,
                null(),
                null(),
                null(),
                1,
                statuses.as_mut_ptr(),
                &mut all
            ),
            ILSP_ERR_NULL
        );
        let id = c("job-1");
        let mut seq = 0;
        assert_eq!(
            ilsp_budget_spend_correlated(b, a.as_ptr(), 0.1, 0.0, id.as_ptr(), &mut seq),
            ILSP_OK
        );
        let bad = c("patron 12");
        assert_eq!(
            ilsp_budget_spend_correlated(b, a.as_ptr(), 0.1, 0.0, bad.as_ptr(), &mut seq),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_budget_set_burn_plan(b, a.as_ptr(), 0.01, 86_400, 3.0),
            ILSP_OK
        );
        assert_eq!(
            ilsp_budget_set_burn_plan(b, a.as_ptr(), 0.01, 1, 3.0),
            ILSP_ERR_INVALID_ARGUMENT
        );
        let mut len = 0;
        assert_eq!(
            ilsp_budget_metrics(b, null_mut(), 0, &mut len),
            crate::ffi::ILSP_ERR_BUFFER_TOO_SMALL
        );
        let mut buf = vec![0 as c_char; len];
        assert_eq!(
            ilsp_budget_metrics(b, buf.as_mut_ptr(), len, &mut len),
            ILSP_OK
        );
        ilsp_budget_free(b);
    }

    #[test]
    fn template_descriptions_are_checked() {
        assert!(parse_template(r#"{"name":"x","epsilon":[0,1]}"#).is_ok());
        for bad in [
            "",
            "{",
            r#"{"name":"x"}"#,
            r#"{"name":"x","epsilon":[0,1],"extra":1}"#,
            r#"{"name":"x","mechanism":"magic","epsilon":[0,1]}"#,
            r#"{"name":"x","max_sensitivity":1,"epsilon":[0,1]}"#,
            r#"{"name":"x y","epsilon":[0,1]}"#,
            r#"{"name":"x","epsilon":[1,0]}"#,
        ] {
            let e = parse_template(bad).unwrap_err();
            assert_eq!(e.status(), crate::Status::InvalidArgument, "{bad}");
        }
        let long = format!(r#"{{"name":"x","epsilon":[0,1]{}}}"#, " ".repeat(5000));
        assert!(parse_template(&long).is_err());
    }
}
