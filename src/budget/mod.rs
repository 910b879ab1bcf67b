//! The privacy budget: named accounts with limits, enforced as a privacy
//! filter, persisted in a tamper-evident, crash-safe ledger shared by
//! threads and processes.
//!
//! ```
//! use ilsprivacy::budget::{Budget, Charge, Limit};
//!
//! let budget = Budget::in_memory(); // or Budget::open("/var/lib/ils/privacy.ledger")?
//! budget.set_limit("branch-7/loans", Limit::epsilon_delta(0.3, 0.0)?, "2026 plan")?;
//! budget.spend("branch-7/loans", &Charge::pure_dp(0.1)?)?;
//! budget.spend("branch-7/loans", &Charge::pure_dp(0.2)?)?; // exactly 0.3: admitted
//! let refused = budget.spend("branch-7/loans", &Charge::pure_dp(1e-12)?);
//! assert_eq!(refused.unwrap_err().status(), ilsprivacy::Status::BudgetExhausted);
//! # Ok::<(), ilsprivacy::Error>(())
//! ```
//!
//! # Guarantees
//!
//! **Spend before release.** [`Budget::spend_and_release`] (and the
//! mechanism helpers built on it) record the spend — with a ledger, written
//! and `fsync`ed — before the value is computed, and a refused spend records
//! and releases nothing. A crash can waste budget, never release a value
//! whose spend is not on disk.
//!
//! **Exact arithmetic.** Limits and spends are [`Decimal`]s: ε, δ and ρ given
//! as `f64` are read as the decimals they print as, and added exactly; a
//! limit of 0.3 admits 0.1 then 0.2 and refuses the next 1e-12. Costs computed
//! in floating point (ρ = Δ²/(2σ²), ε = Δ/b of an event) are rounded up;
//! limits past 30 decimal digits are rounded down.
//!
//! **A filter under fully adaptive composition.** Each account is a privacy
//! filter (Rogers, Roth, Ullman, Vadhan 2016): the analyst may choose every
//! release — its mechanism and its ε, δ or ρ — as any function of the values
//! released before, and may stop at any time. Precisely, for one account:
//!
//! - *Basic composition* (default): if release *i* is (εᵢ, δᵢ)-DP for every
//!   history of earlier outputs, and the account admits release *i* only if
//!   ε₁+…+εᵢ ≤ ε and δ₁+…+δᵢ ≤ δ (exact sums), then everything the account
//!   released is (ε, δ)-DP. This is the basic-composition filter of Rogers et
//!   al. 2016 (also Whitehouse, Ramdas, Rogers, Wu, ICML 2023).
//! - *zCDP composition*: if release *i* is ρᵢ-zCDP for every history (so its
//!   Rényi divergence of every order α > 1 is at most ρᵢα) and the account
//!   admits it only if ρ₁+…+ρᵢ ≤ ρ*, then at every order α the Rényi filter
//!   of Feldman and Zrnic (NeurIPS 2021) with budget ρ*α applies, so the whole
//!   interaction is ρ*-zCDP (Whitehouse et al. 2023 give a zCDP filter
//!   directly). When the limit is (ε, δ), ρ* is the largest ρ whose CKS20
//!   conversion (Canonne, Kamath, Steinke 2020, Cor. 13) gives (ε, δ)-DP, so
//!   the interaction is (ε, δ)-DP.
//!
//! A refusal depends only on the requested cost and on earlier costs, which
//! the analyst already knows, so it reveals nothing further.
//!
//! What the filter does **not** cover, stated plainly:
//!
//! - Accounts are independent: if two accounts release statistics about the
//!   same people, their losses add up. Map accounts to disjoint data (or to
//!   one dataset each) to get a per-dataset guarantee.
//! - Limit adjustments. The guarantee is with respect to the largest limit
//!   ever set on the account, and only if the adjustments are decided without
//!   looking at released values (by policy). Raising a limit *because of*
//!   what was released makes the final limit data-dependent, which no filter
//!   covers. Every adjustment is in the ledger with its reason for auditors.
//! - Period policies (below) bound the loss per period, not in total.
//!
//! **Period policies.** [`Period::CalendarYear`] / [`Period::CalendarMonth`]
//! make the limit apply to the spends recorded in the current UTC calendar
//! year or month (the policy is recorded in the ledger and applies to spends
//! of the current period made before it was set). This is a *rate limit*:
//! a person whose data are used in *n* periods can lose up to *n* times the
//! limit, because composition does not restart at New Year. It depends on the
//! system clock: a clock set forward opens the next period early; a clock
//! set back does nothing (entry times never decrease, so a past period is
//! never reopened). Use it where the data of each period are about different
//! events and an organisational policy (e.g. "ε ≤ 1 per year") is what is
//! wanted; use [`Period::Lifetime`] (the default) for a total guarantee.
//!
//! **Alerts.** Each account has an alert threshold (default 80% of its
//! limit). A spend or limit change that takes the used fraction from below
//! it to at or past it appends an `alert` entry to the ledger, calls the
//! handle's [`Budget::on_alert`] callback, and shows in
//! [`AccountStatus::alerted`] (in C: `ilsp_budget_alert_status`).
//!
//! **Governance.** Per-account query templates with templates-only
//! enforcement ([`Budget::set_template`], [`Budget::set_templates_only`]),
//! suspension ([`Budget::suspend`]), dry runs ([`Budget::check_spends`]),
//! correlation IDs ([`Budget::spend_correlated`]), burn-rate plans and
//! alerts ([`Budget::set_burn_plan`], [`BurnPlan`]) and metrics
//! ([`Budget::metrics`], [`BudgetMetrics::to_prometheus`]). Template and
//! suspension refusals (`Error::TemplateMismatch`, `Error::AccountSuspended`)
//! come before anything is recorded or released, like an exhausted budget.
//! A template or suspension does not change the privacy guarantee (which is
//! the limit's); it narrows what may be spent.
//!
//! **Durability, crashes, tampering, replaced or deleted ledgers, hostile
//! files, several processes:** see [`ledger`].
//!
//! **Threads.** [`Budget`] is `Send + Sync` with an internal mutex; a
//! poisoned mutex (a panic inside the library while holding it) turns every
//! later call into `Error::Internal` — the handle never spends again.
//! **Fork:** a child process may keep using an inherited handle, also when
//! another thread was inside a call on it at the `fork()`: the child never
//! waits for a lock that only a thread of the parent held, and rebuilds the
//! handle from its ledger instead (an in-memory budget, which has nothing
//! to rebuild from, refuses every call in such a child with
//! `Error::Internal`). A
//! [`AUDIT_RING_CAPACITY`]-event ring of recent events serves telemetry
//! ([`Budget::recent_events`]).

// The Rust constants of these modules are not part of the C header.
/// cbindgen:ignore
mod account;
/// cbindgen:ignore
mod audit;
/// cbindgen:ignore
mod burn;
mod charge;
mod continual;
/// cbindgen:ignore
mod decimal;
/// cbindgen:ignore
mod exact;
mod fork_mutex;
mod handle;
pub mod ledger;
/// cbindgen:ignore
mod metrics;
mod release;
mod state;
/// cbindgen:ignore
mod template;
mod time;
mod zcdp;

pub use account::{
    Composition, Cost, DEFAULT_ALERT_THRESHOLD, Limit, MAX_ACCOUNT_NAME_BYTES, MAX_ACCOUNTS,
    MAX_CORRELATION_ID_BYTES, MAX_REASON_BYTES, Period, validate_account_name,
    validate_correlation_id,
};
pub use audit::{AUDIT_RING_CAPACITY, AuditEvent, AuditKind};
pub use burn::{BurnPlan, MAX_BURN_WINDOW_SECS, MAX_WINDOW_SPENDS, MIN_BURN_WINDOW_SECS};
pub use charge::Charge;
pub(crate) use decimal::at_most_charged;
pub use decimal::{Decimal, ParseDecimalError, Rounding, SCALE};
pub use handle::{
    AccountStatus, Alert, AlertKind, Budget, BudgetOptions, DEFAULT_LOCK_TIMEOUT, DryRun,
    DryRunItem, MAX_DRY_RUN_SPENDS, Receipt, verify_ledger_file,
};
pub use ledger::LedgerSummary;
pub use metrics::{AccountMetrics, BudgetMetrics, LedgerMetrics};
pub use template::{
    AmountRange, MAX_TEMPLATE_NAME_BYTES, MAX_TEMPLATES_PER_ACCOUNT, QueryTemplate,
    TemplateMechanism, validate_template_name,
};
pub use time::{Clock, SystemClock};
