//! C entry points for the privacy budget (`crate::budget`).
//!
//! Text outputs (ledger export, recent events, the ledger head) follow the
//! library's buffer convention (`super::text_out`, stated once in the header
//! preamble).

// The entry points are safe Rust functions whose pointer arguments carry a C
// contract (documented on each): every pointer is NULL-checked, and the
// dereferences happen in the helpers below under SAFETY comments.
#![allow(
    clippy::not_unsafe_ptr_arg_deref,
    reason = "C entry points: pointer validity is the C caller's documented contract"
)]

use std::ffi::c_char;
use std::time::Duration;

use super::mechanism::{cached_gaussian, cached_laplace};
use super::{
    check_out, free_handle, give_handle, guard, handle_ref, ilsp_status, opt_path_arg, opt_str_arg,
    path_arg, str_arg, write_out, write_text,
};
use crate::budget::{
    Budget, BudgetOptions, Charge, Composition, Limit, Period, verify_ledger_file,
};
use crate::error::{Error, Result};

/// `ilsp_budget_set_composition`: basic composition (ε and δ add up), the default.
pub const ILSP_COMPOSITION_BASIC: i32 = 0;
/// `ilsp_budget_set_composition`: zCDP composition (ρ adds up).
pub const ILSP_COMPOSITION_ZCDP: i32 = 1;
/// `ilsp_budget_set_period`: the limit bounds every spend ever made (default).
pub const ILSP_PERIOD_LIFETIME: i32 = 0;
/// `ilsp_budget_set_period`: the limit bounds the spends of the current UTC calendar year.
pub const ILSP_PERIOD_CALENDAR_YEAR: i32 = 1;
/// `ilsp_budget_set_period`: the limit bounds the spends of the current UTC calendar month.
pub const ILSP_PERIOD_CALENDAR_MONTH: i32 = 2;

/// A privacy budget: named accounts with limits, optionally persisted in a
/// ledger file. Opaque; made by `ilsp_budget_open`, freed by `ilsp_budget_free`.
pub struct ilsp_budget {
    budget: Budget,
}

/// Borrows the budget behind a handle (shared access only: the budget
/// synchronizes internally).
///
/// # Safety
///
/// `b` must be NULL or a pointer returned by `ilsp_budget_open*` and not yet freed.
pub(crate) unsafe fn budget_arg<'a>(b: *mut ilsp_budget) -> Result<&'a Budget> {
    // SAFETY: forwarded contract.
    unsafe { handle_ref(b.cast_const(), "budget") }.map(|h| &h.budget)
}

/// Borrows the budget and the account name (NUL-terminated UTF-8) of a call
/// on one account.
///
/// # Safety
///
/// As [`budget_arg`]; `account` must be NULL or a NUL-terminated string
/// valid for `'a`.
pub(crate) unsafe fn budget_account<'a>(
    b: *mut ilsp_budget,
    account: *const c_char,
) -> Result<(&'a Budget, &'a str)> {
    // SAFETY: forwarded contracts.
    unsafe { Ok((budget_arg(b)?, str_arg(account, "account")?)) }
}

fn open(path: *const c_char, options: &BudgetOptions, out: *mut *mut ilsp_budget) -> Result<()> {
    check_out(out, "out")?;
    // SAFETY: the C contract: `path` is NULL or a NUL-terminated string.
    let budget = match unsafe { opt_path_arg(path, "ledger_path") }? {
        None => Budget::in_memory(),
        Some(p) => Budget::open_with(p, options)?,
    };
    give_handle(out, ilsp_budget { budget });
    Ok(())
}

/// Opens a budget. `ledger_path` NULL: in memory only (nothing persists).
/// Otherwise the ledger file at that path (bytes as given to the operating
/// system) is created if absent — its directory must exist — or read and
/// checked entry by entry, in bounded memory; an unfinished write from a
/// crash is repaired and charged (see the README, "Budget and ledger").
/// Waits up to 10 s for another process's lock. On success `*out` receives
/// a handle to free with `ilsp_budget_free`.
///
/// The handle pins the file it opened (device, inode and first entry): if
/// the path later names another file (the ledger was replaced, e.g. by a
/// copy, or a symbolic link changed) every call fails with
/// `ILSP_ERR_LEDGER_INTEGRITY`; if the file was deleted or moved, or its
/// directory removed, with `ILSP_ERR_IO`. Nothing is spent or released then.
///
/// Errors: `ILSP_ERR_NULL` (`out`), `ILSP_ERR_IO` (cannot create, open,
/// lock within the timeout, read or write the file; not a regular file —
/// a FIFO, a device or a directory is refused without blocking),
/// `ILSP_ERR_LEDGER_INTEGRITY` (a hash, sequence, version or content check
/// failed, or a line is longer than 1 MiB; the file is not changed).
///
/// Thread safety: safe to call from any thread. The handle is thread-safe:
/// every `ilsp_budget_*` function except `ilsp_budget_free` may be called on
/// it from several threads at once (spends are serialized internally). If a
/// panic inside the library ever poisons the handle's internal lock, every
/// later call on it returns `ILSP_ERR_INTERNAL` and nothing more is spent.
/// Several handles and processes may share one ledger file on one machine.
/// After `fork()`, a child may keep using an inherited handle: it reopens the
/// file and takes its own lock — also when another thread of the parent was
/// inside a call on the handle at the fork (the child then re-reads the
/// ledger instead of waiting for a lock no thread of it holds). An in-memory
/// budget is per process (a forked child works on a separate copy); a copy
/// that another thread was using at the fork may be half-updated, so the
/// child's calls on it fail with `ILSP_ERR_INTERNAL`.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_open(
    ledger_path: *const c_char,
    out: *mut *mut ilsp_budget,
) -> ilsp_status {
    guard(|| open(ledger_path, &BudgetOptions::default(), out))
}

/// `ilsp_budget_open` waiting at most `lock_timeout_ms` milliseconds (0: try
/// once) for the ledger's lock, on open and on every later operation.
///
/// Errors and thread safety: as `ilsp_budget_open`.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_open_with_timeout(
    ledger_path: *const c_char,
    lock_timeout_ms: u32,
    out: *mut *mut ilsp_budget,
) -> ilsp_status {
    let options = BudgetOptions {
        lock_timeout: Duration::from_millis(u64::from(lock_timeout_ms)),
        ..BudgetOptions::default()
    };
    guard(|| open(ledger_path, &options, out))
}

/// Frees a budget handle (closing its ledger file). NULL is a no-op.
///
/// Thread safety: no other call may use the handle during or after this one.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_free(budget: *mut ilsp_budget) {
    // SAFETY: NULL or a handle from `ilsp_budget_open*`, freed once per the contract.
    unsafe { free_handle(budget) }
}

fn set_limit(
    budget: *mut ilsp_budget,
    account: *const c_char,
    limit: impl FnOnce() -> Result<Limit>,
    reason: *const c_char,
) -> ilsp_status {
    guard(|| {
        // SAFETY (all three): the C contract gives a live handle and
        // NUL-terminated strings (or NULL, which the helpers reject).
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let reason = unsafe { opt_str_arg(reason, "reason") }?.unwrap_or_default();
        b.set_limit(account, limit()?, reason)
    })
}

/// Sets `account`'s (ε, δ) limit: ε ≥ 0, δ ∈ [0, 1) (δ = 0: pure DP), read as
/// the decimals they print as. A new account is created (basic composition);
/// on an existing one an adjustment is appended (history is never rewritten)
/// with an empty reason — see `ilsp_budget_set_limit_with_reason`. An account
/// with no limit refuses every spend. For a zCDP account (δ > 0 required) the
/// limit is enforced through the largest ρ that implies it (CKS20 bound).
///
/// Errors: `ILSP_ERR_NULL` (`budget`, `account`), `ILSP_ERR_ENCODING`
/// (`account` not UTF-8), `ILSP_ERR_INVALID_ARGUMENT` (bad name: empty,
/// over 256 bytes, control characters, surrounding spaces; NaN, negative or
/// infinite ε; δ outside [0, 1)), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_limit(
    budget: *mut ilsp_budget,
    account: *const c_char,
    epsilon: f64,
    delta: f64,
) -> ilsp_status {
    set_limit(
        budget,
        account,
        || Limit::epsilon_delta(epsilon, delta),
        std::ptr::null(),
    )
}

/// `ilsp_budget_set_limit` recording `reason` (UTF-8, at most 1024 bytes, no
/// control characters; NULL = empty) with the change in the ledger. The
/// reason is kept forever: never put patron data in it.
///
/// Errors: as `ilsp_budget_set_limit`, plus `ILSP_ERR_ENCODING` /
/// `ILSP_ERR_INVALID_ARGUMENT` for a bad `reason`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_limit_with_reason(
    budget: *mut ilsp_budget,
    account: *const c_char,
    epsilon: f64,
    delta: f64,
    reason: *const c_char,
) -> ilsp_status {
    set_limit(
        budget,
        account,
        || Limit::epsilon_delta(epsilon, delta),
        reason,
    )
}

/// Sets a zCDP account's ρ limit (ρ ≥ 0, finite), with `reason` (may be NULL).
///
/// Errors: as `ilsp_budget_set_limit_with_reason`; `ILSP_ERR_INVALID_ARGUMENT`
/// also if the account uses basic composition (choose zCDP first with
/// `ilsp_budget_set_composition`).
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_limit_rho(
    budget: *mut ilsp_budget,
    account: *const c_char,
    rho: f64,
    reason: *const c_char,
) -> ilsp_status {
    set_limit(budget, account, || Limit::rho(rho), reason)
}

/// Chooses `account`'s composition rule: `ILSP_COMPOSITION_BASIC` (ε and δ
/// add up) or `ILSP_COMPOSITION_ZCDP` (ρ adds up; better for many Gaussian
/// releases). Creates the account (with no limit) if needed. Allowed only
/// before the account's first spend.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (unknown rule, after a spend, or a limit the rule cannot enforce),
/// `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_composition(
    budget: *mut ilsp_budget,
    account: *const c_char,
    rule: i32,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let rule = match rule {
            ILSP_COMPOSITION_BASIC => Composition::Basic,
            ILSP_COMPOSITION_ZCDP => Composition::Zcdp,
            other => {
                return Err(Error::invalid(
                    "rule",
                    format!("must be ILSP_COMPOSITION_BASIC or ILSP_COMPOSITION_ZCDP, got {other}"),
                ));
            }
        };
        b.set_composition(account, rule)
    })
}

/// Sets `account`'s period policy: `ILSP_PERIOD_LIFETIME` (default),
/// `ILSP_PERIOD_CALENDAR_YEAR` or `ILSP_PERIOD_CALENDAR_MONTH` (UTC). A period
/// policy bounds the loss per period, not in total (see the README).
/// Creates the account (with no limit) if needed.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`,
/// `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_period(
    budget: *mut ilsp_budget,
    account: *const c_char,
    period: i32,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        let period = match period {
            ILSP_PERIOD_LIFETIME => Period::Lifetime,
            ILSP_PERIOD_CALENDAR_YEAR => Period::CalendarYear,
            ILSP_PERIOD_CALENDAR_MONTH => Period::CalendarMonth,
            other => {
                return Err(Error::invalid(
                    "period",
                    format!("must be one of the ILSP_PERIOD_ constants, got {other}"),
                ));
            }
        };
        b.set_period(account, period)
    })
}

/// Sets the fraction of `account`'s limit (in (0, 1]; default 0.8) at which a
/// spend records an alert. Creates the account (with no limit) if needed.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`,
/// `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_set_alert_threshold(
    budget: *mut ilsp_budget,
    account: *const c_char,
    threshold: f64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        b.set_alert_threshold(account, threshold)
    })
}

/// Whether `account` is at or past its alert threshold now: `*alerted` is 1
/// or 0, `*used_fraction` the largest fraction of its limit used (over ε and
/// δ, or ρ; ≥ 1 when exhausted). Re-reads a shared ledger first.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (unknown account), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_alert_status(
    budget: *mut ilsp_budget,
    account: *const c_char,
    alerted: *mut i32,
    used_fraction: *mut f64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        check_out(alerted, "alerted")?;
        check_out(used_fraction, "used_fraction")?;
        let s = b.status(account)?;
        write_out(alerted, i32::from(s.alerted));
        write_out(used_fraction, s.used_fraction);
        Ok(())
    })
}

/// What `account` has spent, as (ε, δ), counted against its limit now (the
/// current period's spends under a period policy). Basic accounts: the exact
/// sums, reported as the smallest doubles that print at least as large. zCDP
/// accounts with an (ε, δ) limit: ε at the limit's δ by the CKS20 bound
/// (rounded up) and that δ, or (0, 0) before any spend.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (unknown account, or a zCDP account with a ρ limit: use
/// `ilsp_budget_spent_rho`), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_spent(
    budget: *mut ilsp_budget,
    account: *const c_char,
    epsilon: *mut f64,
    delta: *mut f64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        check_out(epsilon, "epsilon")?;
        check_out(delta, "delta")?;
        let (e, d) = b.status(account)?.spent_epsilon_delta().ok_or_else(|| {
            Error::invalid(
                "account",
                "has a rho limit; read its spend with ilsp_budget_spent_rho",
            )
        })?;
        write_out(epsilon, e.to_f64_up());
        write_out(delta, d.to_f64_up());
        Ok(())
    })
}

/// The ρ a zCDP account has spent (counted against its limit now), rounded up.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (unknown account, or basic composition), `ILSP_ERR_IO`,
/// `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_spent_rho(
    budget: *mut ilsp_budget,
    account: *const c_char,
    rho: *mut f64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        check_out(rho, "rho")?;
        let s = b.status(account)?;
        if s.composition != Composition::Zcdp {
            return Err(Error::invalid(
                "account",
                "uses basic composition; read its spend with ilsp_budget_spent",
            ));
        }
        write_out(rho, s.spent.rho.to_f64_up());
        Ok(())
    })
}

/// What `account` has left now, rounded down: ε and δ for a basic account
/// (ρ = 0), ρ for a zCDP account (ε = δ = 0); all zero without a limit.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (unknown account), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_remaining(
    budget: *mut ilsp_budget,
    account: *const c_char,
    epsilon: *mut f64,
    delta: *mut f64,
    rho: *mut f64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        check_out(epsilon, "epsilon")?;
        check_out(delta, "delta")?;
        check_out(rho, "rho")?;
        let r = b.status(account)?.remaining;
        write_out(epsilon, r.epsilon.to_f64_down());
        write_out(delta, r.delta.to_f64_down());
        write_out(rho, r.rho.to_f64_down());
        Ok(())
    })
}

fn spend(
    budget: *mut ilsp_budget,
    account: *const c_char,
    charge: impl FnOnce() -> Result<Charge>,
    seq: *mut u64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        check_out(seq, "seq")?;
        let receipt = b.spend(account, &charge()?)?;
        write_out(seq, receipt.seq);
        Ok(())
    })
}

/// Records a spend of (ε, δ) on a basic account — ε > 0, δ ∈ [0, 1) — for a
/// release the caller performs itself (e.g. with `ilsp_laplace`), which it
/// must do only after this returns `ILSP_OK`. `*seq` receives the spend's
/// ledger sequence number. Prefer `ilsp_budget_laplace`/`_gaussian`, which
/// spend and release in one step.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_ENCODING`, `ILSP_ERR_INVALID_ARGUMENT`
/// (bad ε or δ, bad name, or a zCDP account: use `ilsp_budget_spend_rho`),
/// `ILSP_ERR_BUDGET_EXHAUSTED` (does not fit, unknown account, or no limit;
/// nothing recorded), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY` (then
/// release nothing: the spend may or may not have been recorded).
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_spend(
    budget: *mut ilsp_budget,
    account: *const c_char,
    epsilon: f64,
    delta: f64,
    seq: *mut u64,
) -> ilsp_status {
    spend(
        budget,
        account,
        || Charge::approximate_dp(epsilon, delta),
        seq,
    )
}

/// Records a spend of ρ (> 0) on a zCDP account for a release the caller
/// performs itself, only after this returns `ILSP_OK`.
///
/// Errors: as `ilsp_budget_spend` (a basic account refuses a ρ-only spend
/// with `ILSP_ERR_INVALID_ARGUMENT`).
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_spend_rho(
    budget: *mut ilsp_budget,
    account: *const c_char,
    rho: f64,
    seq: *mut u64,
) -> ilsp_status {
    spend(budget, account, || Charge::zcdp(rho), seq)
}

/// Spends ε on `account`, then releases `value` plus Laplace noise into
/// `*out`: the mechanism of `ilsp_laplace` (ε-DP for L1 sensitivity
/// `sensitivity`, float-safe). Order: the mechanism is checked (bad
/// parameters cost nothing), `value` is mapped into the mechanism's input
/// domain by a fixed rule (NaN becomes 0; ±inf and magnitudes beyond the
/// noise grid's range, about 2^86 times the noise scale, are clamped), the
/// spend is recorded (with a ledger: written and fsynced), and only then is
/// the noise drawn. `value` is never refused, so no error depends on it. ε
/// is read as the decimal it prints as: a limit of 0.3 admits 0.1 then 0.2
/// exactly.
///
/// Errors: `ILSP_ERR_NULL` (`budget`, `account`, `out`), `ILSP_ERR_ENCODING`,
/// `ILSP_ERR_INVALID_ARGUMENT` (bad name, non-finite or non-positive
/// `sensitivity` or `epsilon`; nothing spent),
/// `ILSP_ERR_BUDGET_EXHAUSTED` (nothing recorded or released), `ILSP_ERR_IO`,
/// `ILSP_ERR_LEDGER_INTEGRITY` (nothing released), `ILSP_ERR_ENTROPY` (after
/// the spend: budget spent, nothing released). `*out` is written only on
/// success.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_laplace(
    budget: *mut ilsp_budget,
    account: *const c_char,
    value: f64,
    sensitivity: f64,
    epsilon: f64,
    out: *mut f64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        check_out(out, "out")?;
        let mechanism = cached_laplace(sensitivity, epsilon)?;
        write_out(out, b.release_laplace(account, &mechanism, value)?);
        Ok(())
    })
}

/// Spends on `account`, then releases `value` plus Gaussian noise into
/// `*out`: the mechanism of `ilsp_gaussian` ((ε, δ)-DP for L2 sensitivity
/// `l2_sensitivity`, analytic calibration, float-safe). A basic account is
/// charged (ε, δ); a zCDP account the mechanism's ρ = Δ'²/(2σ²), rounded
/// up. Same order and guarantees as `ilsp_budget_laplace`; δ must be in (0, 1).
///
/// Errors: as `ilsp_budget_laplace`, with `l2_sensitivity` and `delta`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_gaussian(
    budget: *mut ilsp_budget,
    account: *const c_char,
    value: f64,
    l2_sensitivity: f64,
    epsilon: f64,
    delta: f64,
    out: *mut f64,
) -> ilsp_status {
    guard(|| {
        // SAFETY: live handle and NUL-terminated string per the C contract.
        let (b, account) = unsafe { budget_account(budget, account) }?;
        check_out(out, "out")?;
        let mechanism = cached_gaussian(l2_sensitivity, epsilon, delta)?;
        write_out(
            out,
            b.release_gaussian(account, &mechanism, Some((epsilon, delta)), value)?,
        );
        Ok(())
    })
}

/// Reads and checks the ledger file at `ledger_path` without changing it
/// (under a shared lock, waiting up to 10 s). `*entries` receives the
/// number of entries; the SHA-256 of the last entry (64 lowercase hex
/// characters) goes to `head` per the buffer convention (`head_cap` ≥ 65).
/// Record the head elsewhere to detect a later truncation. An unfinished
/// write after the last entry is not an error here (it is repaired on the
/// next `ilsp_budget_open`); `ilsp_budget_ledger_check` reports its length.
///
/// Errors: `ILSP_ERR_NULL` (`ledger_path`, `entries`, `head_len`, or `head`
/// with `head_cap` > 0), `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`,
/// `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call from any thread, also while other handles
/// and processes use the ledger.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_ledger_verify(
    ledger_path: *const c_char,
    entries: *mut u64,
    head: *mut c_char,
    head_cap: usize,
    head_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: NULL or a NUL-terminated string per the C contract.
        let path = unsafe { path_arg(ledger_path, "ledger_path") }?;
        check_out(entries, "entries")?;
        check_out(head_len, "head_len")?;
        let summary = verify_ledger_file(path)?;
        // SAFETY: `head` is NULL or `head_cap` writable bytes per the C contract.
        unsafe { write_text(&summary.head, head, head_cap, head_len, "head") }?;
        write_out(entries, summary.entries);
        Ok(())
    })
}

/// Checks the ledger file at `ledger_path` as `ilsp_budget_ledger_verify`
/// does, and also reports what that function leaves out: `*accounts`
/// receives the number of accounts, and `*torn_tail_bytes` the length of an
/// unfinished write after the last entry (a crash or a write failure cut
/// it), 0 if there is none. Such a write is not an error: the next
/// `ilsp_budget_open` repairs it and charges it (see the README, "Budget
/// and ledger"). `*entries` and `head` (per the buffer convention,
/// `head_cap` ≥ 65) as for `ilsp_budget_ledger_verify`. The file is read in
/// bounded memory and never changed.
///
/// Errors: `ILSP_ERR_NULL` (`ledger_path`, `entries`, `accounts`,
/// `torn_tail_bytes`, `head_len`, or `head` with `head_cap` > 0),
/// `ILSP_ERR_IO` (cannot open, lock or read it; not a regular file),
/// `ILSP_ERR_LEDGER_INTEGRITY`, `ILSP_ERR_BUFFER_TOO_SMALL`. Outputs are
/// written only on success.
///
/// Thread safety: safe to call from any thread, also while other handles
/// and processes use the ledger.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_ledger_check(
    ledger_path: *const c_char,
    entries: *mut u64,
    accounts: *mut u64,
    torn_tail_bytes: *mut u64,
    head: *mut c_char,
    head_cap: usize,
    head_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: NULL or a NUL-terminated string per the C contract.
        let path = unsafe { path_arg(ledger_path, "ledger_path") }?;
        check_out(entries, "entries")?;
        check_out(accounts, "accounts")?;
        check_out(torn_tail_bytes, "torn_tail_bytes")?;
        check_out(head_len, "head_len")?;
        let summary = verify_ledger_file(path)?;
        // SAFETY: `head` is NULL or `head_cap` writable bytes per the C contract.
        unsafe { write_text(&summary.head, head, head_cap, head_len, "head") }?;
        write_out(entries, summary.entries);
        write_out(accounts, summary.accounts as u64);
        write_out(torn_tail_bytes, summary.torn_tail_bytes);
        Ok(())
    })
}

/// The ledger's content (JSON lines), re-read from the file and checked from
/// the first entry, per the buffer convention. Ask for the length with
/// `out_cap` 0; the ledger may grow between two calls, so retry while the
/// result is `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_BUFFER_TOO_SMALL`,
/// `ILSP_ERR_INVALID_ARGUMENT` (an in-memory budget has no ledger),
/// `ILSP_ERR_IO`, `ILSP_ERR_LEDGER_INTEGRITY`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_ledger_export(
    budget: *mut ilsp_budget,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live handle per the C contract.
        let b = unsafe { budget_arg(budget) }?;
        check_out(out_len, "out_len")?;
        // SAFETY: `out` is NULL or `out_cap` writable bytes per the C contract.
        unsafe { write_text(b.export_ledger()?, out, out_cap, out_len, "out") }
    })
}

/// The handle's ring of recent events (at most 256: spends, refusals, limit
/// changes, alerts, repairs; also those read from other processes) as JSON
/// lines, oldest first, per the buffer convention. Telemetry only: never
/// values or noise.
///
/// Errors: `ILSP_ERR_NULL`, `ILSP_ERR_BUFFER_TOO_SMALL`.
///
/// Thread safety: safe to call concurrently on one handle.
#[unsafe(no_mangle)]
pub extern "C" fn ilsp_budget_recent_events(
    budget: *mut ilsp_budget,
    out: *mut c_char,
    out_cap: usize,
    out_len: *mut usize,
) -> ilsp_status {
    guard(|| {
        // SAFETY: a live handle per the C contract.
        let b = unsafe { budget_arg(budget) }?;
        check_out(out_len, "out_len")?;
        let mut text = Vec::new();
        for event in b.recent_events()? {
            serde_json::to_writer(&mut text, &event)
                .map_err(|e| Error::Internal(format!("cannot encode an event: {e}")))?;
            text.push(b'\n');
        }
        // SAFETY: `out` is NULL or `out_cap` writable bytes per the C contract.
        unsafe { write_text(text, out, out_cap, out_len, "out") }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{
        ILSP_ERR_BUDGET_EXHAUSTED, ILSP_ERR_BUFFER_TOO_SMALL, ILSP_ERR_ENCODING, ILSP_ERR_INTERNAL,
        ILSP_ERR_INVALID_ARGUMENT, ILSP_ERR_IO, ILSP_ERR_LEDGER_INTEGRITY, ILSP_ERR_NULL, ILSP_OK,
        last_error_ptr,
    };
    use std::ffi::{CStr, CString};
    use std::ptr::{null, null_mut};

    fn last_error() -> String {
        // SAFETY: read right after the call, on the same thread.
        unsafe { CStr::from_ptr(last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    fn c(s: &str) -> CString {
        CString::new(s).unwrap()
    }

    fn open_memory() -> *mut ilsp_budget {
        let mut b = null_mut();
        assert_eq!(ilsp_budget_open(null(), &mut b), ILSP_OK);
        assert!(!b.is_null());
        b
    }

    #[test]
    fn spends_exactly_and_reports() {
        let b = open_memory();
        let acct = c("tenant/loans");
        assert_eq!(ilsp_budget_set_limit(b, acct.as_ptr(), 0.3, 0.0), ILSP_OK);
        let mut seq = 0;
        assert_eq!(
            ilsp_budget_spend(b, acct.as_ptr(), 0.1, 0.0, &mut seq),
            ILSP_OK
        );
        assert_eq!(
            ilsp_budget_spend(b, acct.as_ptr(), 0.2, 0.0, &mut seq),
            ILSP_OK
        );
        assert_eq!(seq, 3);
        seq = 99;
        assert_eq!(
            ilsp_budget_spend(b, acct.as_ptr(), 1e-12, 0.0, &mut seq),
            ILSP_ERR_BUDGET_EXHAUSTED
        );
        assert_eq!(seq, 99, "outputs are written only on success");
        let (mut e, mut d) = (0.0, 0.0);
        assert_eq!(ilsp_budget_spent(b, acct.as_ptr(), &mut e, &mut d), ILSP_OK);
        assert_eq!((e, d), (0.3, 0.0));
        let (mut re, mut rd, mut rr) = (1.0, 1.0, 1.0);
        assert_eq!(
            ilsp_budget_remaining(b, acct.as_ptr(), &mut re, &mut rd, &mut rr),
            ILSP_OK
        );
        assert_eq!((re, rd, rr), (0.0, 0.0, 0.0));
        let (mut alerted, mut used) = (0, 0.0);
        assert_eq!(
            ilsp_budget_alert_status(b, acct.as_ptr(), &mut alerted, &mut used),
            ILSP_OK
        );
        assert_eq!((alerted, used), (1, 1.0));
        ilsp_budget_free(b);
        ilsp_budget_free(null_mut());
    }

    #[test]
    fn bad_input_gets_documented_codes() {
        let b = open_memory();
        let acct = c("a");
        let mut seq = 0;
        let (mut e, mut d) = (0.0, 0.0);
        assert_eq!(
            ilsp_budget_set_limit(null_mut(), acct.as_ptr(), 1.0, 0.0),
            ILSP_ERR_NULL
        );
        assert_eq!(last_error(), "budget must not be NULL");
        assert_eq!(ilsp_budget_set_limit(b, null(), 1.0, 0.0), ILSP_ERR_NULL);
        assert_eq!(
            ilsp_budget_set_limit(b, acct.as_ptr(), f64::NAN, 0.0),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "epsilon must be finite and >= 0, got NaN");
        assert_eq!(
            ilsp_budget_set_limit(b, acct.as_ptr(), -1.0, 0.0),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_budget_set_limit(b, acct.as_ptr(), 1.0, 1.0),
            ILSP_ERR_INVALID_ARGUMENT
        );
        let bad = b"ab\xffc\0";
        assert_eq!(
            ilsp_budget_set_limit(b, bad.as_ptr().cast(), 1.0, 0.0),
            ILSP_ERR_ENCODING
        );
        let unknown = c("nobody");
        assert_eq!(
            ilsp_budget_spend(b, unknown.as_ptr(), 0.1, 0.0, &mut seq),
            ILSP_ERR_BUDGET_EXHAUSTED
        );
        assert_eq!(
            ilsp_budget_spent(b, unknown.as_ptr(), &mut e, &mut d),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_budget_set_composition(b, acct.as_ptr(), 7),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_budget_set_period(b, acct.as_ptr(), -1),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_budget_set_alert_threshold(b, acct.as_ptr(), 1.5),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_budget_spend(b, acct.as_ptr(), 0.1, 0.0, null_mut()),
            ILSP_ERR_NULL
        );
        let mut len = 0;
        assert_eq!(
            ilsp_budget_ledger_export(b, null_mut(), 0, &mut len),
            ILSP_ERR_INVALID_ARGUMENT
        );
        let mut out = null_mut();
        let dir = c("/nonexistent-dir-for-ilsp/ledger");
        assert_eq!(ilsp_budget_open(dir.as_ptr(), &mut out), ILSP_ERR_IO);
        assert!(out.is_null());
        assert_eq!(ilsp_budget_open(null(), null_mut()), ILSP_ERR_NULL);
        let mut entries = 0;
        assert_eq!(
            ilsp_budget_ledger_verify(null(), &mut entries, null_mut(), 0, &mut len),
            ILSP_ERR_NULL
        );
        ilsp_budget_free(b);
    }

    #[test]
    fn zcdp_and_text_outputs() {
        let path = std::env::temp_dir().join(format!("ilsp-ffi-budget-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let cpath = c(path.to_str().unwrap());
        let mut b = null_mut();
        assert_eq!(
            ilsp_budget_open_with_timeout(cpath.as_ptr(), 100, &mut b),
            ILSP_OK
        );
        let acct = c("g");
        assert_eq!(
            ilsp_budget_set_composition(b, acct.as_ptr(), ILSP_COMPOSITION_ZCDP),
            ILSP_OK
        );
        assert_eq!(
            ilsp_budget_set_limit_rho(b, acct.as_ptr(), 0.5, null()),
            ILSP_OK
        );
        let mut seq = 0;
        assert_eq!(
            ilsp_budget_spend_rho(b, acct.as_ptr(), 0.125, &mut seq),
            ILSP_OK
        );
        assert_eq!(
            ilsp_budget_spend(b, acct.as_ptr(), 0.1, 1e-9, &mut seq),
            ILSP_ERR_INVALID_ARGUMENT
        );
        let mut rho = 0.0;
        assert_eq!(ilsp_budget_spent_rho(b, acct.as_ptr(), &mut rho), ILSP_OK);
        assert_eq!(rho, 0.125);
        let (mut e, mut d) = (0.0, 0.0);
        assert_eq!(
            ilsp_budget_spent(b, acct.as_ptr(), &mut e, &mut d),
            ILSP_ERR_INVALID_ARGUMENT
        );
        // The buffer convention: ask for the length, then fetch.
        let mut len = 0usize;
        assert_eq!(
            ilsp_budget_ledger_export(b, null_mut(), 0, &mut len),
            ILSP_ERR_BUFFER_TOO_SMALL
        );
        // The capacity needed: the text and its NUL.
        assert_eq!(len as u64, std::fs::metadata(&path).unwrap().len() + 1);
        let mut buf = vec![0u8; len];
        let mut len2 = 0usize;
        assert_eq!(
            ilsp_budget_ledger_export(b, buf.as_mut_ptr().cast(), len - 1, &mut len2),
            ILSP_ERR_BUFFER_TOO_SMALL,
            "no room for the NUL"
        );
        assert_eq!(len2, len);
        assert_eq!(
            ilsp_budget_ledger_export(b, buf.as_mut_ptr().cast(), buf.len(), &mut len2),
            ILSP_OK
        );
        let mut len = len - 1;
        assert_eq!(len2, len);
        assert_eq!(&buf[..len], std::fs::read(&path).unwrap().as_slice());
        assert_eq!(buf[len], 0);
        let mut head = [0u8; 65];
        let (mut entries, mut head_len) = (0u64, 0usize);
        assert_eq!(
            ilsp_budget_ledger_verify(
                cpath.as_ptr(),
                &mut entries,
                head.as_mut_ptr().cast(),
                65,
                &mut head_len
            ),
            ILSP_OK
        );
        assert_eq!((entries, head_len), (4, 64));
        assert_eq!(
            ilsp_budget_ledger_verify(
                cpath.as_ptr(),
                &mut entries,
                head.as_mut_ptr().cast(),
                64,
                &mut head_len
            ),
            ILSP_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(last_error(), "head is too small: 65 bytes needed, 64 given");
        let mut events = vec![0u8; 4096];
        assert_eq!(
            ilsp_budget_recent_events(b, events.as_mut_ptr().cast(), events.len(), &mut len),
            ILSP_OK
        );
        let text = std::str::from_utf8(&events[..len]).unwrap();
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(text.contains("\"kind\":\"refused\""));
        assert!(text.contains("\"kind\":\"spend\""));
        // A second handle times out on the lock while the first holds it.
        {
            let f = std::fs::File::open(&path).unwrap();
            f.lock().unwrap();
            let mut other = null_mut();
            assert_eq!(
                ilsp_budget_open_with_timeout(cpath.as_ptr(), 0, &mut other),
                ILSP_ERR_IO
            );
            assert!(last_error().contains("locked"), "{}", last_error());
        }
        ilsp_budget_free(b);
        // Tampering is reported on open.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[10] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        let mut b2 = null_mut();
        assert_eq!(
            ilsp_budget_open(cpath.as_ptr(), &mut b2),
            ILSP_ERR_LEDGER_INTEGRITY
        );
        assert!(b2.is_null());
        std::fs::remove_file(&path).unwrap();
    }

    /// `ilsp_budget_ledger_verify` accepts a ledger with an unfinished
    /// write (it is repaired on open); `ilsp_budget_ledger_check` reports
    /// its length, and 0 once it is repaired.
    #[test]
    fn ledger_check_reports_a_torn_tail() {
        let path = std::env::temp_dir().join(format!("ilsp-ffi-check-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let cpath = c(path.to_str().unwrap());
        let mut b = null_mut();
        assert_eq!(ilsp_budget_open(cpath.as_ptr(), &mut b), ILSP_OK);
        assert_eq!(ilsp_budget_set_limit(b, c("a").as_ptr(), 1.0, 0.0), ILSP_OK);
        ilsp_budget_free(b);
        let torn = b"{\"v\":1,\"kind\":\"spend\",\"account\":\"a\",\"eps";
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(torn);
        std::fs::write(&path, &bytes).unwrap();
        let check = |entries: &mut u64, accounts: &mut u64, torn: &mut u64| {
            let mut head = [0u8; 65];
            let mut head_len = 0usize;
            let rc = ilsp_budget_ledger_check(
                cpath.as_ptr(),
                entries,
                accounts,
                torn,
                head.as_mut_ptr().cast(),
                head.len(),
                &mut head_len,
            );
            assert!(rc != ILSP_OK || head_len == 64);
            rc
        };
        let (mut entries, mut accounts, mut torn_bytes) = (0, 0, 0);
        assert_eq!(check(&mut entries, &mut accounts, &mut torn_bytes), ILSP_OK);
        assert_eq!((entries, accounts, torn_bytes), (2, 1, torn.len() as u64));
        let (mut e2, mut h2) = (0u64, 0usize);
        assert_eq!(
            ilsp_budget_ledger_verify(cpath.as_ptr(), &mut e2, null_mut(), 0, &mut h2),
            ILSP_ERR_BUFFER_TOO_SMALL
        );
        // Opening repairs it (and charges the account's remaining budget).
        assert_eq!(ilsp_budget_open(cpath.as_ptr(), &mut b), ILSP_OK);
        ilsp_budget_free(b);
        assert_eq!(check(&mut entries, &mut accounts, &mut torn_bytes), ILSP_OK);
        assert_eq!((entries, accounts, torn_bytes), (3, 1, 0));
        // NULL outputs, and outputs untouched on failure.
        let mut head_len = 0usize;
        for (e, a, t) in [
            (
                null_mut(),
                &mut accounts as *mut u64,
                &mut torn_bytes as *mut u64,
            ),
            (&mut entries, null_mut(), &mut torn_bytes),
            (&mut entries, &mut accounts, null_mut()),
        ] {
            assert_eq!(
                ilsp_budget_ledger_check(cpath.as_ptr(), e, a, t, null_mut(), 0, &mut head_len),
                ILSP_ERR_NULL
            );
        }
        std::fs::write(&path, b"garbage\n").unwrap();
        let (mut e, mut a, mut t) = (7u64, 7u64, 7u64);
        assert_eq!(check(&mut e, &mut a, &mut t), ILSP_ERR_LEDGER_INTEGRITY);
        assert_eq!((e, a, t), (7, 7, 7));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn laplace_and_gaussian_spend_then_release() {
        let b = open_memory();
        let acct = c("a");
        assert_eq!(ilsp_budget_set_limit(b, acct.as_ptr(), 0.3, 1e-6), ILSP_OK);
        let mut out = f64::NAN;
        assert_eq!(
            ilsp_budget_laplace(b, acct.as_ptr(), 10.0, 1.0, 0.1, &mut out),
            ILSP_OK
        );
        assert!(out.is_finite());
        assert_eq!(
            ilsp_budget_gaussian(b, acct.as_ptr(), 10.0, 1.0, 0.2, 1e-6, &mut out),
            ILSP_OK
        );
        out = 7.0;
        assert_eq!(
            ilsp_budget_laplace(b, acct.as_ptr(), 10.0, 1.0, 1e-12, &mut out),
            ILSP_ERR_BUDGET_EXHAUSTED
        );
        assert_eq!(out, 7.0, "nothing released on refusal");
        // Bad parameters cost nothing; a NaN value is not refused (released
        // as 0 plus noise: a refusal would depend on the data).
        let other = c("b");
        assert_eq!(ilsp_budget_set_limit(b, other.as_ptr(), 1.0, 1e-6), ILSP_OK);
        assert_eq!(
            ilsp_budget_laplace(b, other.as_ptr(), 1.0, 1.0, f64::NAN, &mut out),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(last_error(), "epsilon must be finite and > 0, got NaN");
        assert_eq!(
            ilsp_budget_gaussian(b, other.as_ptr(), 1.0, 1.0, 0.5, 0.0, &mut out),
            ILSP_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            ilsp_budget_laplace(b, other.as_ptr(), 1.0, 1.0, 0.5, null_mut()),
            ILSP_ERR_NULL
        );
        let (mut e, mut d) = (1.0, 1.0);
        assert_eq!(
            ilsp_budget_spent(b, other.as_ptr(), &mut e, &mut d),
            ILSP_OK
        );
        assert_eq!((e, d), (0.0, 0.0));
        out = 7.0;
        assert_eq!(
            ilsp_budget_laplace(b, other.as_ptr(), f64::NAN, 1.0, 0.5, &mut out),
            ILSP_OK
        );
        assert!(out.is_finite() && out != 7.0);
        ilsp_budget_free(b);
    }

    #[test]
    fn a_poisoned_handle_returns_internal() {
        let b = open_memory();
        let acct = c("a");
        assert_eq!(ilsp_budget_set_limit(b, acct.as_ptr(), 1.0, 0.0), ILSP_OK);
        // SAFETY: `b` is live.
        unsafe { budget_arg(b) }.unwrap().poison_for_test();
        let mut seq = 0;
        assert_eq!(
            ilsp_budget_spend(b, acct.as_ptr(), 0.1, 0.0, &mut seq),
            ILSP_ERR_INTERNAL
        );
        assert!(last_error().contains("poisoned"), "{}", last_error());
        ilsp_budget_free(b);
    }
}
