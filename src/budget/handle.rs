//! [`Budget`]: the thread-safe handle over the accounts and their ledger.

use std::path::{Path, PathBuf};
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use super::account::{
    Composition, Cost, Limit, Period, validate_account_name, validate_correlation_id,
    validate_reason,
};
use super::audit::AuditEvent;
use super::burn::BurnPlan;
use super::charge::Charge;
use super::decimal::Decimal;
use super::fork_mutex::ForkMutex;
use super::ledger::LedgerSummary;
use super::ledger::entry::Body;
use super::ledger::file::{self, LedgerFile, Pin};
use super::metrics::{AccountMetrics, BudgetMetrics, LedgerMetrics};
use super::state::State;
use super::template::{QueryTemplate, SpendShape, validate_template_name};
use super::time::{Clock, SystemClock};
use super::zcdp;
use crate::accountant::PrivacyEvent;
use crate::error::{Error, Result, describe_f64};

/// How long a handle waits for another handle's or process's lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for [`Budget::open_with`].
#[derive(Clone, Debug)]
pub struct BudgetOptions {
    /// How long to wait for the ledger's lock before failing with
    /// `Error::Io` (default [`DEFAULT_LOCK_TIMEOUT`]; zero tries once).
    pub lock_timeout: Duration,
    /// Where entry times come from (default: the system clock). Period
    /// policies and burn-rate windows are judged by it; inject a clock to
    /// test them without waiting.
    pub clock: Arc<dyn Clock>,
}

impl Default for BudgetOptions {
    fn default() -> Self {
        BudgetOptions {
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            clock: Arc::new(SystemClock),
        }
    }
}

/// Which kind of alert an [`Alert`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    /// The used fraction of the limit reached the account's alert threshold.
    Threshold,
    /// The spend over the burn-rate plan's window exceeded `factor` × the plan.
    BurnRate,
}

/// What a successful spend recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The spend's ledger sequence number.
    pub seq: u64,
    /// What the account was charged under its rule (ε and δ, or ρ).
    pub charged: Cost,
    /// Whether this spend took the account to its alert threshold.
    pub alert: bool,
}

/// An account reaching its alert threshold or exceeding its burn-rate plan
/// (passed to [`Budget::on_alert`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// The account.
    pub account: String,
    /// Which alert this is.
    pub kind: AlertKind,
    /// The alert entry's ledger sequence number.
    pub seq: u64,
    /// [`AlertKind::Threshold`]: the fraction of the limit used.
    /// [`AlertKind::BurnRate`]: the window's spend divided by the planned spend.
    pub used_fraction: f64,
    /// [`AlertKind::Threshold`]: the account's threshold.
    /// [`AlertKind::BurnRate`]: the plan's factor.
    pub threshold: f64,
}

/// An account's configuration and use, as of the call.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountStatus {
    /// The account's name.
    pub account: String,
    /// Its composition rule.
    pub composition: Composition,
    /// Its limit, if one is set.
    pub limit: Option<Limit>,
    /// For zCDP accounts: the ρ enforced (given, or derived from the (ε, δ) limit).
    pub rho_limit: Option<Decimal>,
    /// Its period policy.
    pub period: Period,
    /// What counts against the limit now (the current period's spends).
    pub spent: Cost,
    /// Everything ever charged.
    pub spent_total: Cost,
    /// What is left now.
    pub remaining: Cost,
    /// Spends recorded.
    pub spends: u64,
    /// Its alert threshold (fraction of the limit).
    pub alert_threshold: f64,
    /// Largest fraction of the limit used now (over ε and δ, or ρ).
    pub used_fraction: f64,
    /// Whether `used_fraction` is at or past the threshold.
    pub alerted: bool,
    /// Alert entries recorded for it.
    pub alerts: u64,
    /// The suspension's reason while the account is suspended.
    pub suspended: Option<String>,
    /// Its query templates.
    pub templates: Vec<QueryTemplate>,
    /// Whether it admits only spends that match a template.
    pub templates_only: bool,
    /// Its burn-rate plan, if any.
    pub burn_plan: Option<BurnPlan>,
    /// The spend inside the plan's window now (zero without a plan).
    pub burn_window_spent: Decimal,
    /// Whether that spend exceeds `factor` × the plan now.
    pub burn_alerted: bool,
    /// Burn-rate alert entries recorded for it.
    pub burn_alerts: u64,
}

impl AccountStatus {
    /// The spent amount as (ε, δ): the sums for a basic account; for a zCDP
    /// account with an (ε, δ) limit, ε at the limit's δ by the CKS20 bound
    /// (rounded up) and that δ, or (0, 0) before any spend. `None` for a zCDP
    /// account with a ρ limit (use `spent.rho`).
    pub fn spent_epsilon_delta(&self) -> Option<(Decimal, Decimal)> {
        match (self.composition, self.limit) {
            (Composition::Basic, _) => Some((self.spent.epsilon, self.spent.delta)),
            (Composition::Zcdp, Some(Limit::EpsilonDelta { delta, .. })) => {
                if self.spent.rho.is_zero() {
                    Some((Decimal::ZERO, Decimal::ZERO))
                } else {
                    zcdp::epsilon_for(self.spent.rho, delta).map(|e| (e, delta))
                }
            }
            (Composition::Zcdp, _) => None,
        }
    }
}

type AlertCallback = dyn Fn(&Alert) + Send + Sync;

enum Store {
    Memory {
        next_seq: u64,
        last_time_ms: i64,
    },
    File(LedgerFile),
    /// An in-memory budget's copy in a child forked while another thread
    /// was inside a call on it: the state may be half-updated, and there is
    /// no ledger to re-read it from.
    Lost,
}

/// What a handle keeps outside its lock: enough to rebuild its state in a
/// child forked while another thread held the lock.
#[derive(Clone)]
enum Origin {
    Memory,
    File {
        path: PathBuf,
        lock_timeout: Duration,
        pin: Pin,
    },
}

impl Origin {
    /// A fresh core: for a ledger, reopened and re-read from the start on
    /// its first use (and refused unless it is the pinned file).
    fn fresh_core(&self, clock: &Arc<dyn Clock>) -> Core {
        Core {
            clock: clock.clone(),
            state: State::new(),
            store: match self {
                Origin::Memory => Store::Lost,
                Origin::File {
                    path,
                    lock_timeout,
                    pin,
                } => Store::File(LedgerFile::reattach(path, *lock_timeout, pin)),
            },
        }
    }
}

struct Core {
    clock: Arc<dyn Clock>,
    state: State,
    store: Store,
}

impl Core {
    /// Runs `decide` on an up-to-date state (under the ledger's lock for a
    /// file), then records the entries it returns (durably for a file).
    fn transact<R>(
        &mut self,
        decide: impl FnOnce(&mut State, i64) -> Result<(Vec<Body>, R)>,
    ) -> Result<(R, Vec<u64>)> {
        match &mut self.store {
            Store::Memory {
                next_seq,
                last_time_ms,
            } => {
                let time = self.clock.now_ms().max(*last_time_ms);
                let (bodies, out) = decide(&mut self.state, time)?;
                self.state.room_for(&bodies)?;
                let mut seqs = Vec::with_capacity(bodies.len());
                for body in &bodies {
                    self.state
                        .apply(body, *next_seq, time)
                        .map_err(|e| Error::Internal(format!("an entry did not apply: {e}")))?;
                    seqs.push(*next_seq);
                    *next_seq += 1;
                }
                *last_time_ms = time;
                Ok((out, seqs))
            }
            Store::File(ledger) => {
                let _lock = ledger.lock()?;
                ledger.refresh(&mut self.state)?;
                let time = ledger.next_time_from(self.clock.now_ms());
                let (bodies, out) = decide(&mut self.state, time)?;
                self.state.room_for(&bodies)?;
                let seqs = if bodies.is_empty() {
                    Vec::new()
                } else {
                    ledger.append(&bodies, time, &mut self.state)?
                };
                Ok((out, seqs))
            }
            Store::Lost => Err(lost()),
        }
    }

    /// Brings the state up to date; returns the current time.
    fn sync(&mut self) -> Result<i64> {
        self.transact(|_, time| Ok((Vec::new(), time)))
            .map(|(t, _)| t)
    }
}

/// A privacy budget: named accounts with limits, enforced as a filter, and
/// (optionally) persisted in a ledger file. See the [module docs](super).
///
/// `Budget` is `Send + Sync`: share it between threads (e.g. in an `Arc`);
/// every operation takes an internal mutex (and, with a ledger, the file's
/// lock), so concurrent spends are serialized. If a thread panicked while
/// holding that mutex, every later operation fails with `Error::Internal`
/// (it never goes on spending against a state that may be half-updated);
/// open a new handle. A child process forked while another thread was
/// inside a call does not inherit that held mutex: its first call rebuilds
/// the handle from the ledger (an in-memory budget refuses instead).
pub struct Budget {
    core: ForkMutex<Core>,
    origin: Origin,
    clock: Arc<dyn Clock>,
    on_alert: ForkMutex<Option<Arc<AlertCallback>>>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("ledger", &self.ledger_path())
            .finish_non_exhaustive()
    }
}

impl Budget {
    /// A budget kept in memory only: the same rules, nothing persisted (so
    /// it resets when the process ends — use a ledger file for anything
    /// that must last).
    pub fn in_memory() -> Budget {
        Budget::in_memory_with_clock(Arc::new(SystemClock))
    }

    /// [`Budget::in_memory`] reading entry times from `clock`.
    pub fn in_memory_with_clock(clock: Arc<dyn Clock>) -> Budget {
        Budget::from_core(
            Core {
                clock,
                state: State::new(),
                store: Store::Memory {
                    next_seq: 1,
                    last_time_ms: i64::MIN,
                },
            },
            Origin::Memory,
        )
    }

    /// Opens the ledger at `path`, creating it if absent (its directory
    /// must exist), with the default options.
    ///
    /// The handle pins the file it opened; once the path names another file,
    /// or none, every operation fails (see the [ledger docs](super::ledger),
    /// "Identity").
    ///
    /// # Errors
    ///
    /// `Error::Io` if the file cannot be created, opened, locked (within the
    /// lock timeout), read or written, or is not a regular file (a FIFO,
    /// device or directory is refused without blocking);
    /// `Error::LedgerIntegrity` if any entry fails the checks of the
    /// [ledger docs](super::ledger) or a line is longer than
    /// [`super::ledger::MAX_LINE_BYTES`].
    pub fn open(path: impl AsRef<Path>) -> Result<Budget> {
        Budget::open_with(path, &BudgetOptions::default())
    }

    /// Opens the ledger at `path` with `options` (see [`Budget::open`]).
    pub fn open_with(path: impl AsRef<Path>, options: &BudgetOptions) -> Result<Budget> {
        let mut state = State::new();
        let ledger = LedgerFile::open(path.as_ref(), options.lock_timeout, &mut state)?;
        let pin = ledger
            .pin()
            .ok_or_else(|| Error::Internal("an opened ledger has no identity".into()))?;
        let origin = Origin::File {
            path: ledger.path().to_owned(),
            lock_timeout: ledger.lock_timeout(),
            pin,
        };
        Ok(Budget::from_core(
            Core {
                clock: options.clock.clone(),
                state,
                store: Store::File(ledger),
            },
            origin,
        ))
    }

    fn from_core(core: Core, origin: Origin) -> Budget {
        Budget {
            clock: core.clock.clone(),
            core: ForkMutex::new(core),
            origin,
            on_alert: ForkMutex::new(None),
        }
    }

    fn core(&self) -> Result<MutexGuard<'_, Core>> {
        self.core
            .lock(|| self.origin.fresh_core(&self.clock))
            .map_err(|_| {
                Error::Internal(
                    "the budget's state lock was poisoned by a panic in another thread; \
                 this handle refuses all further operations (open a new one)"
                        .into(),
                )
            })
    }

    /// The ledger file's path, or `None` for an in-memory budget.
    pub fn ledger_path(&self) -> Option<PathBuf> {
        match &self.origin {
            Origin::File { path, .. } => Some(path.clone()),
            Origin::Memory => None,
        }
    }

    /// Sets `account`'s limit, creating the account (basic composition) if
    /// it does not exist. On an existing account this appends an adjustment
    /// with `reason` (history is never rewritten); the new limit applies to
    /// everything already spent, so lowering it below the spent amount
    /// refuses all further spends.
    ///
    /// For a zCDP account an (ε, δ) limit (δ > 0) is enforced through the
    /// largest ρ that implies it by the CKS20 bound, computed now, rounded
    /// down and recorded in the ledger.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` for a bad name or reason (at most 1024
    /// bytes, no control characters), a ρ limit on a basic account, or δ = 0
    /// on a zCDP account; `Error::Io` / `Error::LedgerIntegrity` from the ledger.
    pub fn set_limit(&self, account: &str, limit: Limit, reason: &str) -> Result<()> {
        validate_account_name(account)?;
        validate_reason(reason)?;
        let (alert, seqs) = self.core()?.transact(|state, time| {
            let composition = state
                .account(account)
                .map(|a| a.composition)
                .unwrap_or_default();
            let (epsilon, delta, rho) = match (composition, limit) {
                (Composition::Basic, Limit::EpsilonDelta { epsilon, delta }) => {
                    (Some(epsilon), Some(delta), None)
                }
                (Composition::Basic, Limit::Rho(_)) => {
                    return Err(Error::invalid(
                        "limit",
                        "a rho limit needs zCDP composition (set it first)",
                    ));
                }
                (Composition::Zcdp, Limit::EpsilonDelta { epsilon, delta }) => (
                    Some(epsilon),
                    Some(delta),
                    Some(zcdp_rho_limit(epsilon, delta)?),
                ),
                (Composition::Zcdp, Limit::Rho(rho)) => (None, None, Some(rho)),
            };
            let mut bodies = vec![Body::Limit {
                account: account.to_owned(),
                epsilon,
                delta,
                rho,
                reason: reason.to_owned(),
            }];
            let alert = state.account(account).and_then(|a| {
                let before = a.used_fraction_at(time);
                let mut after = a.clone();
                after.limit = Some(limit);
                after.rho_limit = rho;
                crossing(before, after.used_fraction_at(time), a.threshold)
            });
            if let Some((used, threshold)) = alert {
                bodies.push(Body::Alert {
                    account: account.to_owned(),
                    used_fraction: used,
                    threshold,
                });
            }
            Ok((bodies, alert))
        })?;
        if let (Some((used_fraction, threshold)), Some(&seq)) = (alert, seqs.last()) {
            self.fire(Alert {
                account: account.to_owned(),
                kind: AlertKind::Threshold,
                seq,
                used_fraction,
                threshold,
            });
        }
        Ok(())
    }

    /// Chooses `account`'s composition rule (creating the account, with no
    /// limit, if it does not exist). Allowed only before its first spend.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` after a spend, for a ρ limit under basic
    /// composition, or for a δ = 0 limit under zCDP.
    pub fn set_composition(&self, account: &str, rule: Composition) -> Result<()> {
        validate_account_name(account)?;
        self.core()?.transact(|state, _| {
            let rho_limit = match state.account(account) {
                Some(a) if a.total != Cost::default() => {
                    return Err(Error::invalid(
                        "composition",
                        format!("cannot change after account {account:?} has spent"),
                    ));
                }
                Some(a) => match (rule, a.limit) {
                    (Composition::Zcdp, Some(Limit::EpsilonDelta { epsilon, delta })) => {
                        Some(zcdp_rho_limit(epsilon, delta)?)
                    }
                    (Composition::Basic, Some(Limit::Rho(_))) => {
                        return Err(Error::invalid(
                            "composition",
                            "basic composition cannot enforce the account's rho limit",
                        ));
                    }
                    _ => None,
                },
                None => None,
            };
            Ok((
                vec![Body::Composition {
                    account: account.to_owned(),
                    rule,
                    rho_limit,
                }],
                (),
            ))
        })?;
        Ok(())
    }

    /// Sets the fraction of the limit at which `account` raises an alert
    /// (default 0.8), creating the account if needed.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` unless `threshold` is in (0, 1].
    pub fn set_alert_threshold(&self, account: &str, threshold: f64) -> Result<()> {
        validate_account_name(account)?;
        if !(threshold.is_finite() && threshold > 0.0 && threshold <= 1.0) {
            return Err(Error::invalid(
                "threshold",
                format!("must be in (0, 1], got {}", describe_f64(threshold)),
            ));
        }
        let body = Body::AlertThreshold {
            account: account.to_owned(),
            threshold,
        };
        self.core()?.transact(|_, _| Ok((vec![body], ())))?;
        Ok(())
    }

    /// Sets `account`'s period policy, creating the account if needed. It
    /// takes effect retroactively: e.g. with [`Period::CalendarYear`] the
    /// limit bounds every spend recorded in the current UTC year, including
    /// those recorded before the policy. See the module docs for what a
    /// period policy does **not** guarantee.
    pub fn set_period(&self, account: &str, period: Period) -> Result<()> {
        validate_account_name(account)?;
        let body = Body::Period {
            account: account.to_owned(),
            period,
        };
        self.core()?.transact(|_, _| Ok((vec![body], ())))?;
        Ok(())
    }

    /// Adds a query template to `account` (replacing its template of the
    /// same name), creating the account if needed, recorded with `reason`.
    /// Templates restrict spends only once [`Budget::set_templates_only`]
    /// switches enforcement on.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` for a bad name, reason or template
    /// ([`QueryTemplate::validate`]), or a 65th template.
    pub fn set_template(
        &self,
        account: &str,
        template: &QueryTemplate,
        reason: &str,
    ) -> Result<()> {
        validate_account_name(account)?;
        validate_reason(reason)?;
        template.validate()?;
        self.core()?.transact(|state, _| {
            if let Some(a) = state.account(account)
                && a.templates.len() >= super::MAX_TEMPLATES_PER_ACCOUNT
                && !a.templates.iter().any(|t| t.name == template.name)
            {
                return Err(Error::invalid(
                    "template",
                    format!(
                        "account {account:?} already has {} templates (the most it holds)",
                        super::MAX_TEMPLATES_PER_ACCOUNT
                    ),
                ));
            }
            Ok((
                vec![Body::Template {
                    account: account.to_owned(),
                    template: template.clone(),
                    reason: reason.to_owned(),
                }],
                (),
            ))
        })?;
        Ok(())
    }

    /// Removes `account`'s template named `name`, recorded with `reason`.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` if the account or template does not exist.
    pub fn remove_template(&self, account: &str, name: &str, reason: &str) -> Result<()> {
        validate_account_name(account)?;
        validate_template_name(name)?;
        validate_reason(reason)?;
        self.core()?.transact(|state, _| {
            if !state
                .account(account)
                .is_some_and(|a| a.templates.iter().any(|t| t.name == name))
            {
                return Err(Error::invalid(
                    "template",
                    format!("{name:?} is not a template of account {account:?}"),
                ));
            }
            Ok((
                vec![Body::TemplateRemoved {
                    account: account.to_owned(),
                    name: name.to_owned(),
                    reason: reason.to_owned(),
                }],
                (),
            ))
        })?;
        Ok(())
    }

    /// Switches template enforcement on `account` (creating it if needed):
    /// when `enabled`, a spend that matches none of its templates is refused
    /// with `Error::TemplateMismatch` (naming the rule each template broke)
    /// before anything is recorded. Recorded with `reason`.
    pub fn set_templates_only(&self, account: &str, enabled: bool, reason: &str) -> Result<()> {
        validate_account_name(account)?;
        validate_reason(reason)?;
        let body = Body::TemplatesOnly {
            account: account.to_owned(),
            enabled,
            reason: reason.to_owned(),
        };
        self.core()?.transact(|_, _| Ok((vec![body], ())))?;
        Ok(())
    }

    /// Suspends `account` (creating it if needed): every spend on it is
    /// refused with `Error::AccountSuspended`, before anything is recorded,
    /// until [`Budget::resume`]. Recorded with `reason` (suspending a
    /// suspended account records the new reason).
    pub fn suspend(&self, account: &str, reason: &str) -> Result<()> {
        validate_account_name(account)?;
        validate_reason(reason)?;
        let body = Body::Suspend {
            account: account.to_owned(),
            reason: reason.to_owned(),
        };
        self.core()?.transact(|_, _| Ok((vec![body], ())))?;
        Ok(())
    }

    /// Resumes a suspended `account`, recorded with `reason`.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` if the account does not exist or is not suspended.
    pub fn resume(&self, account: &str, reason: &str) -> Result<()> {
        validate_account_name(account)?;
        validate_reason(reason)?;
        self.core()?.transact(|state, _| {
            if state.account(account).is_none_or(|a| a.suspended.is_none()) {
                return Err(Error::invalid(
                    "account",
                    format!("{account:?} is not suspended"),
                ));
            }
            Ok((
                vec![Body::Resume {
                    account: account.to_owned(),
                    reason: reason.to_owned(),
                }],
                (),
            ))
        })?;
        Ok(())
    }

    /// Sets (or with `None` removes) `account`'s burn-rate plan, creating
    /// the account if needed. A spend that takes the spend over the plan's
    /// window past `factor` × the plan appends a `burn_alert` entry and
    /// calls [`Budget::on_alert`] ([`AlertKind::BurnRate`]). The window
    /// counts spends recorded from now on (see [`super::BurnPlan`]).
    pub fn set_burn_plan(&self, account: &str, plan: Option<BurnPlan>) -> Result<()> {
        validate_account_name(account)?;
        if let Some(p) = &plan {
            p.validate()?;
        }
        let body = Body::BurnPlan {
            account: account.to_owned(),
            plan,
        };
        self.core()?.transact(|_, _| Ok((vec![body], ())))?;
        Ok(())
    }

    /// The figures of every account and of the ledger now (re-reading a
    /// shared ledger), for monitoring: render them with
    /// [`BudgetMetrics::to_prometheus`]. A ledger that fails its integrity
    /// check gives `integrity_ok: false` and no account figures instead of
    /// an error (so a scraper sees it).
    ///
    /// # Errors
    ///
    /// `Error::Io` if the ledger cannot be read; `Error::Internal` for a
    /// poisoned handle.
    pub fn metrics(&self) -> Result<BudgetMetrics> {
        let mut core = self.core()?;
        let time = match core.sync() {
            Ok(t) => t,
            Err(Error::LedgerIntegrity(_)) => return Ok(BudgetMetrics::integrity_failed()),
            Err(e) => return Err(e),
        };
        let ledger = match &core.store {
            Store::File(l) => Some(LedgerMetrics {
                entries: l.entries(),
                head: l.head(),
                last_entry_time_ms: l.last_time_ms(),
            }),
            Store::Memory { .. } | Store::Lost => None,
        };
        let mut accounts = Vec::new();
        for name in core.state.account_names() {
            let Some(a) = core.state.account(&name) else {
                continue;
            };
            accounts.push(AccountMetrics {
                composition: a.composition,
                remaining: a.remaining_at(time),
                spent: a.spent_at(time),
                spends: a.spends,
                refusals: a.refusals,
                alerts: a.alerts,
                burn_alerts: a.burn_alerts,
                suspended: a.suspended.is_some(),
                account: name,
            });
        }
        Ok(BudgetMetrics {
            integrity_ok: true,
            ledger,
            accounts,
        })
    }

    /// Charges `charge` to `account` if it fits, recording it (durably, with
    /// a ledger) before returning.
    ///
    /// # Errors
    ///
    /// - `Error::BudgetExhausted`: the charge does not fit (or the account
    ///   does not exist or has no limit); nothing was recorded.
    /// - `Error::InvalidArgument`: a bad name, or a charge without the cost
    ///   the account's rule needs (ρ for zCDP, (ε, δ) for basic).
    /// - `Error::Io`, `Error::LedgerIntegrity`: the ledger could not be read
    ///   or written; the spend must be treated as not made (nothing may be
    ///   released), although it may have reached the file (it then counts).
    /// - `Error::Internal`: a poisoned handle.
    pub fn spend(&self, account: &str, charge: &Charge) -> Result<Receipt> {
        self.spend_inner(account, charge, None)
    }

    /// [`Budget::spend`] recording the caller's `correlation_id` in the
    /// spend's ledger entry and events, so that the ILS's own audit log and
    /// the ledger can be joined. The ID is 1–64 bytes of
    /// `A-Z a-z 0-9 . _ : -` ([`super::validate_correlation_id`]): a request
    /// or job ID, never a patron identifier or other personal data.
    ///
    /// # Errors
    ///
    /// As [`Budget::spend`]; `Error::InvalidArgument` for a bad ID.
    pub fn spend_correlated(
        &self,
        account: &str,
        charge: &Charge,
        correlation_id: &str,
    ) -> Result<Receipt> {
        validate_correlation_id(correlation_id)?;
        self.spend_inner(account, charge, Some(correlation_id))
    }

    fn spend_inner(
        &self,
        account: &str,
        charge: &Charge,
        correlation_id: Option<&str>,
    ) -> Result<Receipt> {
        validate_account_name(account)?;
        let ((charged, alerts), seqs) = self.core()?.transact(|state, time| {
            let Some(a) = state.account(account) else {
                state.note_refusal(account, Cost::default(), time);
                return Err(no_account(account));
            };
            let cost = match admit(a, charge, time) {
                Ok(cost) => cost,
                Err(e) => {
                    let requested = a.cost_of(charge).unwrap_or_default();
                    state.note_refusal(account, requested, time);
                    return Err(e);
                }
            };
            let spent = a.spent_at(time);
            let after = Cost {
                epsilon: spent
                    .epsilon
                    .checked_add(cost.epsilon)
                    .unwrap_or(spent.epsilon),
                delta: spent.delta.checked_add(cost.delta).unwrap_or(spent.delta),
                rho: spent.rho.checked_add(cost.rho).unwrap_or(spent.rho),
            };
            let threshold = crossing(
                a.used_fraction_of(spent),
                a.used_fraction_of(after),
                a.threshold,
            );
            let burn = a.burn_window_spent(time).and_then(|(plan, before)| {
                let now = before
                    .checked_add(a.burn_amount(cost))
                    .unwrap_or(Decimal::from_units(u128::MAX));
                let limit = plan.threshold();
                (before.to_f64_approx() <= limit && now.to_f64_approx() > limit)
                    .then_some((plan, now))
            });
            let mut bodies = Vec::with_capacity(3);
            bodies.push(Body::Spend {
                account: account.to_owned(),
                epsilon: charge.epsilon(),
                delta: charge.delta(),
                rho: charge.rho(),
                event: charge.event().copied(),
                correlation_id: correlation_id.map(str::to_owned),
            });
            let mut alerts = Vec::new();
            if let Some((used, threshold)) = threshold {
                alerts.push((AlertKind::Threshold, used, threshold, bodies.len()));
                bodies.push(Body::Alert {
                    account: account.to_owned(),
                    used_fraction: used,
                    threshold,
                });
            }
            if let Some((plan, window_spent)) = burn {
                let ratio = window_spent.to_f64_approx() / plan.planned.to_f64_approx();
                alerts.push((AlertKind::BurnRate, ratio, plan.factor, bodies.len()));
                bodies.push(Body::BurnAlert {
                    account: account.to_owned(),
                    window_spent,
                    planned: plan.planned,
                    factor: plan.factor,
                });
            }
            Ok((bodies, (cost, alerts)))
        })?;
        for &(kind, used_fraction, threshold, index) in &alerts {
            if let Some(&seq) = seqs.get(index) {
                self.fire(Alert {
                    account: account.to_owned(),
                    kind,
                    seq,
                    used_fraction,
                    threshold,
                });
            }
        }
        Ok(Receipt {
            seq: seqs[0],
            charged,
            alert: alerts.iter().any(|a| a.0 == AlertKind::Threshold),
        })
    }

    /// [`Budget::spend`] of the cost `event` implies ([`Charge::from_event`]).
    pub fn spend_event(&self, account: &str, event: &PrivacyEvent) -> Result<Receipt> {
        self.spend(account, &Charge::from_event(event)?)
    }

    /// Spends, then releases: `release` runs only after the spend is
    /// recorded (durably with a ledger), and not at all if it is refused.
    /// If `release` fails, the spend stays recorded (a failure can waste
    /// budget, never leak it).
    pub fn spend_and_release<T>(
        &self,
        account: &str,
        charge: &Charge,
        release: impl FnOnce() -> Result<T>,
    ) -> Result<(T, Receipt)> {
        let receipt = self.spend(account, charge)?;
        Ok((release()?, receipt))
    }

    /// Whether `charge` would fit on `account` now — a dry run of
    /// [`Budget::spend`] that records nothing (no spend, no refusal): the
    /// cost the account's rule would charge, or the error `spend` would
    /// return. Other handles may spend in between, so only `spend` decides;
    /// use this to refuse early (e.g. before reading a large input) and to
    /// show a plan.
    ///
    /// # Errors
    ///
    /// As [`Budget::spend`]: `Error::BudgetExhausted` if the charge does not
    /// fit (or the account does not exist or has no limit);
    /// `Error::InvalidArgument` for a bad name or a charge without the cost
    /// the account's rule needs; `Error::Io`, `Error::LedgerIntegrity` if
    /// the ledger cannot be re-read; `Error::Internal` for a poisoned handle.
    pub fn check_spend(&self, account: &str, charge: &Charge) -> Result<Cost> {
        validate_account_name(account)?;
        let mut core = self.core()?;
        let time = core.sync()?;
        let a = core
            .state
            .account(account)
            .ok_or_else(|| no_account(account))?;
        admit(a, charge, time)
    }

    /// Whether these spends would fit now, made in this order — a dry run
    /// of [`Budget::spend`] for each, answered from the current ledger state
    /// (re-read first) without recording anything (no spend, no refusal,
    /// no event). Spends on one account add up: the second of 0.1 and 0.2
    /// against a limit of 0.3 fits, a third does not. A refused item is not
    /// counted for the items after it. Other handles may spend in between,
    /// so only `spend` decides.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` for more than [`MAX_DRY_RUN_SPENDS`] items;
    /// `Error::Io`, `Error::LedgerIntegrity` if the ledger cannot be
    /// re-read; `Error::Internal` for a poisoned handle. Each item's own
    /// verdict (fit, or the error `spend` would return) is in the result.
    pub fn check_spends(&self, spends: &[(&str, &Charge)]) -> Result<DryRun> {
        if spends.len() > MAX_DRY_RUN_SPENDS {
            return Err(Error::invalid(
                "spends",
                format!(
                    "at most {MAX_DRY_RUN_SPENDS} spends per dry run, got {}",
                    spends.len()
                ),
            ));
        }
        let mut core = self.core()?;
        let time = core.sync()?;
        let mut scratch: std::collections::HashMap<&str, super::account::Account> =
            std::collections::HashMap::new();
        let mut items = Vec::with_capacity(spends.len());
        for &(account, charge) in spends {
            let outcome = validate_account_name(account).and_then(|()| {
                if !scratch.contains_key(account) {
                    let a = core
                        .state
                        .account(account)
                        .ok_or_else(|| no_account(account))?;
                    scratch.insert(account, a.clone());
                }
                let a = scratch
                    .get_mut(account)
                    .ok_or_else(|| Error::Internal("dry-run account vanished".into()))?;
                let cost = admit(a, charge, time)?;
                a.add(cost, time);
                Ok(cost)
            });
            items.push(DryRunItem {
                account: account.to_owned(),
                outcome,
            });
        }
        Ok(DryRun { items })
    }

    /// `account`'s configuration and use now (re-reading a shared ledger).
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` if the account does not exist.
    pub fn status(&self, account: &str) -> Result<AccountStatus> {
        validate_account_name(account)?;
        let mut core = self.core()?;
        let time = core.sync()?;
        let a = core
            .state
            .account(account)
            .ok_or_else(|| Error::invalid("account", format!("{account:?} does not exist")))?;
        let used_fraction = a.used_fraction_at(time);
        Ok(AccountStatus {
            account: account.to_owned(),
            composition: a.composition,
            limit: a.limit,
            rho_limit: a.rho_limit,
            period: a.period,
            spent: a.spent_at(time),
            spent_total: a.total,
            remaining: a.remaining_at(time),
            spends: a.spends,
            alert_threshold: a.threshold,
            used_fraction,
            alerted: used_fraction >= a.threshold,
            alerts: a.alerts,
            suspended: a.suspended.clone(),
            templates: a.templates.clone(),
            templates_only: a.templates_only,
            burn_plan: a.burn_plan,
            burn_window_spent: a
                .burn_window_spent(time)
                .map_or(Decimal::ZERO, |(_, spent)| spent),
            burn_alerted: a
                .burn_window_spent(time)
                .is_some_and(|(plan, spent)| spent.to_f64_approx() > plan.threshold()),
            burn_alerts: a.burn_alerts,
        })
    }

    /// The names of every account, sorted.
    pub fn accounts(&self) -> Result<Vec<String>> {
        let mut core = self.core()?;
        core.sync()?;
        Ok(core.state.account_names())
    }

    /// Calls `callback` whenever a spend or limit change **by this handle**
    /// takes an account to its alert threshold (after the alert entry is
    /// recorded, outside every lock, on the spending thread). Other handles'
    /// alerts show in [`Budget::status`] and in the ledger. Replaces any
    /// earlier callback. A panic in the callback propagates to the spender
    /// (the spend is already recorded). A child forked while another thread
    /// was inside this call starts without a callback.
    pub fn on_alert(&self, callback: impl Fn(&Alert) + Send + Sync + 'static) {
        let mut slot = self
            .on_alert
            .lock(|| None)
            .unwrap_or_else(|p| p.into_inner());
        *slot = Some(Arc::new(callback));
    }

    fn fire(&self, alert: Alert) {
        let callback = self
            .on_alert
            .lock(|| None)
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(callback) = callback {
            callback(&alert);
        }
    }

    /// The most recent events this handle saw, oldest first (at most
    /// [`super::AUDIT_RING_CAPACITY`]).
    pub fn recent_events(&self) -> Result<Vec<AuditEvent>> {
        Ok(self.core()?.state.audit.snapshot())
    }

    /// The ledger's bytes, re-read from the file and checked from the first
    /// line (detecting any change made since the handle opened it), as of
    /// now. For an in-memory budget: `Error::InvalidArgument`.
    pub fn export_ledger(&self) -> Result<Vec<u8>> {
        let mut core = self.core()?;
        core.sync()?;
        match &mut core.store {
            Store::File(ledger) => {
                let _lock = ledger.lock()?;
                let bytes = ledger.contents()?;
                let summary = file::verify_bytes(&bytes, ledger.path())?;
                if summary.head != ledger.head() {
                    return Err(Error::LedgerIntegrity(
                        "the ledger changed under this handle".into(),
                    ));
                }
                Ok(bytes)
            }
            Store::Memory { .. } => Err(no_ledger()),
            Store::Lost => Err(lost()),
        }
    }

    /// Re-reads and checks this handle's ledger from the first line (in
    /// bounded memory, under the lock); it must end where this handle's
    /// reading does. For an in-memory budget: `Error::InvalidArgument`.
    pub fn verify_ledger(&self) -> Result<LedgerSummary> {
        let mut core = self.core()?;
        core.sync()?;
        match &mut core.store {
            Store::File(ledger) => {
                let _lock = ledger.lock()?;
                ledger.verify()
            }
            Store::Memory { .. } => Err(no_ledger()),
            Store::Lost => Err(lost()),
        }
    }

    /// Number of entries and head hash of this handle's ledger as last read.
    pub fn ledger_head(&self) -> Result<Option<(u64, String)>> {
        let core = self.core()?;
        Ok(match &core.store {
            Store::File(l) => Some((l.entries(), l.head())),
            Store::Memory { .. } | Store::Lost => None,
        })
    }

    /// This handle as a child forked while another thread was inside a call
    /// on it sees it: its lock held by a thread that does not exist.
    #[cfg(test)]
    fn as_forked_mid_call(&self) -> Budget {
        Budget {
            core: ForkMutex::inherited_for_test(self.origin.fresh_core(&self.clock), true),
            origin: self.origin.clone(),
            clock: self.clock.clone(),
            on_alert: ForkMutex::new(None),
        }
    }

    #[cfg(test)]
    pub(crate) fn poison_for_test(&self) {
        std::thread::scope(|s| {
            let _ = s
                .spawn(|| {
                    let _guard = self.core.lock(|| unreachable!());
                    panic!("poisoning the budget for a test");
                })
                .join();
        });
    }
}

/// Reads and checks the ledger at `path` without changing it (taking a
/// shared lock, waiting up to `DEFAULT_LOCK_TIMEOUT`), in bounded memory.
/// An unfinished write after the last entry is not an error: the summary's
/// `torn_tail_bytes` reports its length (the next open repairs it).
///
/// # Errors
///
/// `Error::Io` if it cannot be opened, locked or read, or is not a regular
/// file; `Error::LedgerIntegrity` if any check fails.
pub fn verify_ledger_file(path: impl AsRef<Path>) -> Result<LedgerSummary> {
    file::verify_file(path.as_ref(), DEFAULT_LOCK_TIMEOUT)
}

/// The ρ a zCDP account's (ε, δ) limit allows; δ must be > 0.
fn zcdp_rho_limit(epsilon: Decimal, delta: Decimal) -> Result<Decimal> {
    if delta.is_zero() {
        return Err(Error::invalid(
            "delta",
            "must be > 0 for an (epsilon, delta) limit under zCDP composition (zCDP implies no pure DP)",
        ));
    }
    Ok(zcdp::max_rho_for(epsilon, delta))
}

fn no_ledger() -> Error {
    Error::invalid("budget", "is in memory only and has no ledger")
}

fn lost() -> Error {
    Error::Internal(
        "this in-memory budget was in use by another thread when the process forked, so the \
         child's copy may be half-updated; it refuses everything (open a new budget)"
            .into(),
    )
}

/// The most spends one [`Budget::check_spends`] takes.
///
/// cbindgen:ignore
pub const MAX_DRY_RUN_SPENDS: usize = 100_000;

/// The answer of [`Budget::check_spends`].
#[derive(Debug)]
pub struct DryRun {
    /// One verdict per spend, in order.
    pub items: Vec<DryRunItem>,
}

impl DryRun {
    /// Whether every spend would fit.
    pub fn fits(&self) -> bool {
        self.items.iter().all(|i| i.outcome.is_ok())
    }
}

/// One spend's verdict in a [`DryRun`].
#[derive(Debug)]
pub struct DryRunItem {
    /// The account.
    pub account: String,
    /// The cost it would be charged, or the error [`Budget::spend`] would return.
    pub outcome: Result<Cost>,
}

fn no_account(account: &str) -> Error {
    Error::BudgetExhausted {
        account: account.to_owned(),
        detail: "no such account (no limit is set), so every spend is refused".into(),
    }
}

/// Whether `charge` may be spent on `a` at `time`: suspension, the cost
/// under the account's rule, its templates, its limit — in that order.
fn admit(a: &super::account::Account, charge: &Charge, time: i64) -> Result<Cost> {
    a.gate(&SpendShape {
        epsilon: charge.epsilon(),
        delta: charge.delta(),
        rho: charge.rho(),
        event: charge.event(),
    })?;
    let cost = a.cost_of(charge)?;
    a.admit(cost, time)?;
    Ok(cost)
}

/// `Some((after, threshold))` if the used fraction went from below the threshold to at or past it.
fn crossing(before: f64, after: f64, threshold: f64) -> Option<(f64, f64)> {
    (before < threshold && after >= threshold).then_some((after, threshold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// A fresh, empty directory under the system's temporary directory.
    pub(crate) fn temp_dir(tag: &str) -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ilsp-budget-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn exact_limit_is_honoured(budget: &Budget) {
        budget
            .set_limit("t/d", Limit::epsilon_delta(0.3, 0.0).unwrap(), "plan")
            .unwrap();
        budget.spend("t/d", &Charge::pure_dp(0.1).unwrap()).unwrap();
        let r = budget.spend("t/d", &Charge::pure_dp(0.2).unwrap()).unwrap();
        assert_eq!(r.charged.epsilon, d("0.2"));
        let e = budget
            .spend("t/d", &Charge::pure_dp(1e-12).unwrap())
            .unwrap_err();
        assert_eq!(e.status(), Status::BudgetExhausted);
        let s = budget.status("t/d").unwrap();
        assert_eq!(s.spent.epsilon, d("0.3"));
        assert_eq!(s.remaining, Cost::default());
        assert_eq!(s.spends, 2);
    }

    #[test]
    fn exact_limits_in_memory_and_on_disk() {
        exact_limit_is_honoured(&Budget::in_memory());
        let dir = temp_dir("exact");
        let path = dir.join("ledger.jsonl");
        exact_limit_is_honoured(&Budget::open(&path).unwrap());
        // Reopening replays the same state; the refusal left no trace.
        let again = Budget::open(&path).unwrap();
        assert_eq!(again.status("t/d").unwrap().spent.epsilon, d("0.3"));
        let kinds: Vec<String> = lines(&path)
            .iter()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(kinds, ["ledger", "limit", "spend", "spend", "alert"]);
        let summary = verify_ledger_file(&path).unwrap();
        assert_eq!(summary.entries, 5);
        assert_eq!(summary.accounts, 1);
        assert_eq!(
            Some((5, summary.head.clone())),
            again.ledger_head().unwrap()
        );
        assert_eq!(again.verify_ledger().unwrap(), summary);
        assert_eq!(
            again.export_ledger().unwrap(),
            std::fs::read(&path).unwrap()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unknown_accounts_and_missing_limits_refuse() {
        let b = Budget::in_memory();
        let c = Charge::pure_dp(0.1).unwrap();
        let e = b.spend("nobody", &c).unwrap_err();
        assert_eq!(e.status(), Status::BudgetExhausted);
        assert!(e.to_string().contains("no such account"), "{e}");
        b.set_alert_threshold("configured", 0.5).unwrap();
        let e = b.spend("configured", &c).unwrap_err();
        assert!(e.to_string().contains("no limit"), "{e}");
        let e = b.status("nobody").unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert_eq!(
            b.spend("", &c).unwrap_err().status(),
            Status::InvalidArgument
        );
        assert_eq!(
            b.spend("a\nb", &c).unwrap_err().status(),
            Status::InvalidArgument
        );
        let refused: Vec<_> = b
            .recent_events()
            .unwrap()
            .into_iter()
            .filter(|e| matches!(e.kind, crate::budget::AuditKind::Refused { .. }))
            .collect();
        assert_eq!(refused.len(), 2);
        assert_eq!(b.accounts().unwrap(), ["configured"]);
    }

    #[test]
    fn check_spend_answers_like_spend_and_records_nothing() {
        let dir = temp_dir("check");
        let path = dir.join("l");
        let b = Budget::open(&path).unwrap();
        let c = Charge::pure_dp(0.2).unwrap();
        let e = b.check_spend("a", &c).unwrap_err();
        assert!(e.to_string().contains("no such account"), "{e}");
        b.set_limit("a", Limit::epsilon_delta(0.3, 0.0).unwrap(), "plan")
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        assert_eq!(b.check_spend("a", &c).unwrap().epsilon, d("0.2"));
        b.spend("a", &Charge::pure_dp(0.1).unwrap()).unwrap();
        assert_eq!(b.check_spend("a", &c).unwrap().epsilon, d("0.2")); // exactly 0.3
        let after_spend = std::fs::read(&path).unwrap();
        assert!(after_spend.len() > before.len());
        let too_much = Charge::pure_dp(0.2000001).unwrap();
        let e = b.check_spend("a", &too_much).unwrap_err();
        assert_eq!(e.status(), Status::BudgetExhausted);
        assert_eq!(
            e.to_string(),
            b.spend("a", &too_much).unwrap_err().to_string(),
            "the same answer as spend"
        );
        let e = b.check_spend("a", &Charge::zcdp(0.1).unwrap()).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        // The checks wrote nothing (only the refused spend's audit event).
        assert_eq!(std::fs::read(&path).unwrap(), after_spend);
        assert_eq!(b.status("a").unwrap().spends, 1);
        let refused = b
            .recent_events()
            .unwrap()
            .into_iter()
            .filter(|e| matches!(e.kind, crate::budget::AuditKind::Refused { .. }))
            .count();
        assert_eq!(refused, 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn adjustments_are_appended_with_their_reason() {
        let dir = temp_dir("adjust");
        let path = dir.join("l");
        let b = Budget::open(&path).unwrap();
        b.set_limit("a", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "initial")
            .unwrap();
        b.spend("a", &Charge::approximate_dp(0.5, 1e-7).unwrap())
            .unwrap();
        b.set_limit(
            "a",
            Limit::epsilon_delta(0.4, 1e-6).unwrap(),
            "board decision 12",
        )
        .unwrap();
        assert_eq!(
            b.spend("a", &Charge::pure_dp(0.01).unwrap())
                .unwrap_err()
                .status(),
            Status::BudgetExhausted
        );
        b.set_limit("a", Limit::epsilon_delta(2.0, 1e-6).unwrap(), "raised")
            .unwrap();
        b.spend("a", &Charge::pure_dp(0.01).unwrap()).unwrap();
        let reasons: Vec<String> = lines(&path)
            .iter()
            .filter_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["reason"].as_str().map(str::to_owned)
            })
            .collect();
        assert_eq!(reasons, ["initial", "board decision 12", "raised"]);
        let e = b
            .set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "bad\u{1}")
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        let e = b.set_limit("a", Limit::rho(1.0).unwrap(), "").unwrap_err();
        assert!(e.to_string().contains("zCDP"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn zcdp_accounts_charge_rho_against_the_cks_bound() {
        let b = Budget::in_memory();
        b.set_composition("g", Composition::Zcdp).unwrap();
        b.set_limit("g", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "")
            .unwrap();
        let rho_star = b.status("g").unwrap().rho_limit.unwrap();
        // ρ* for (1, 1e-6): 0.02435597036 by a dense scan of the CKS20 bound
        // (Bun–Steinke's ρ + 2√(ρ ln 1/δ) would allow only 0.01747).
        assert!(
            rho_star > d("0.0243559") && rho_star <= d("0.02435597036"),
            "{rho_star:?}"
        );
        let gaussian = |sigma: f64| {
            Charge::from_event(&PrivacyEvent::Gaussian {
                l2_sensitivity: 1.0,
                sigma,
            })
            .unwrap()
        };
        let mut n = 0;
        while b.spend("g", &gaussian(20.0)).is_ok() {
            n += 1;
        }
        // ρ = 1/800 each: ⌊0.024356 × 800⌋ = 19 releases.
        assert_eq!(n, 19);
        let s = b.status("g").unwrap();
        let (eps, delta) = s.spent_epsilon_delta().unwrap();
        assert!(eps <= d("1") && eps > d("0.95"), "{eps:?}");
        assert_eq!(delta, d("0.000001"));
        // An (ε, δ)-only charge has no ρ: refused with a clear error.
        let e = b
            .spend("g", &Charge::approximate_dp(0.1, 1e-9).unwrap())
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        // The rule cannot change after spends; a basic account refuses ρ-only charges.
        let e = b.set_composition("g", Composition::Basic).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        b.set_limit("basic", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "")
            .unwrap();
        assert_eq!(
            b.spend("basic", &Charge::zcdp(0.01).unwrap())
                .unwrap_err()
                .status(),
            Status::InvalidArgument
        );
        // δ = 0 cannot be enforced under zCDP.
        b.set_composition("z2", Composition::Zcdp).unwrap();
        let e = b
            .set_limit("z2", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap_err();
        assert!(e.to_string().starts_with("delta must be > 0"), "{e}");
        b.set_limit("z2", Limit::rho(0.5).unwrap(), "").unwrap();
        assert_eq!(b.status("z2").unwrap().spent_epsilon_delta(), None);
        b.spend("z2", &Charge::pure_dp(1.0).unwrap()).unwrap();
        assert_eq!(b.status("z2").unwrap().spent.rho, d("0.5"));
    }

    #[test]
    fn composition_chosen_after_an_epsilon_delta_limit_derives_rho() {
        let dir = temp_dir("rule");
        let path = dir.join("l");
        let b = Budget::open(&path).unwrap();
        b.set_limit("g", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "")
            .unwrap();
        b.set_composition("g", Composition::Zcdp).unwrap();
        let rho = b.status("g").unwrap().rho_limit.unwrap();
        drop(b);
        let b = Budget::open(&path).unwrap();
        assert_eq!(b.status("g").unwrap().rho_limit, Some(rho));
        assert_eq!(b.status("g").unwrap().composition, Composition::Zcdp);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn alerts_fire_once_when_the_threshold_is_crossed() {
        let b = Budget::in_memory();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        b.on_alert(move |a| sink.lock().unwrap().push(a.clone()));
        b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        b.set_alert_threshold("a", 0.5).unwrap();
        assert!(b.set_alert_threshold("a", 0.0).is_err());
        assert!(b.set_alert_threshold("a", f64::NAN).is_err());
        let c = Charge::pure_dp(0.2).unwrap();
        assert!(!b.spend("a", &c).unwrap().alert);
        assert!(!b.spend("a", &c).unwrap().alert);
        assert!(!b.status("a").unwrap().alerted);
        assert!(b.spend("a", &c).unwrap().alert, "0.6 >= 0.5");
        assert!(!b.spend("a", &c).unwrap().alert, "already past");
        let s = b.status("a").unwrap();
        assert!(s.alerted);
        assert_eq!(s.alerts, 1);
        let alerts = seen.lock().unwrap().clone();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].account, "a");
        assert!((alerts[0].used_fraction - 0.6).abs() < 1e-12);
        assert_eq!(alerts[0].threshold, 0.5);
        // Lowering the limit can cross the threshold too (after raising it away).
        b.set_limit("a", Limit::epsilon_delta(10.0, 0.0).unwrap(), "")
            .unwrap();
        assert!(!b.status("a").unwrap().alerted);
        b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[test]
    fn periods_are_recorded_and_replayed() {
        let dir = temp_dir("period");
        let path = dir.join("l");
        let b = Budget::open(&path).unwrap();
        b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        b.spend("a", &Charge::pure_dp(0.7).unwrap()).unwrap();
        b.set_period("a", Period::CalendarYear).unwrap();
        // Retroactive within the current year: the earlier spend still counts.
        assert_eq!(
            b.spend("a", &Charge::pure_dp(0.5).unwrap())
                .unwrap_err()
                .status(),
            Status::BudgetExhausted
        );
        drop(b);
        let b = Budget::open(&path).unwrap();
        let s = b.status("a").unwrap();
        assert_eq!(s.period, Period::CalendarYear);
        assert_eq!(s.spent.epsilon, d("0.7"));
        assert_eq!(s.spent_total.epsilon, d("0.7"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn two_handles_on_one_file_see_each_other() {
        let dir = temp_dir("two");
        let path = dir.join("l");
        let a = Budget::open(&path).unwrap();
        let b = Budget::open(&path).unwrap();
        a.set_limit("x", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        let c = Charge::pure_dp(0.25).unwrap();
        a.spend("x", &c).unwrap();
        b.spend("x", &c).unwrap();
        a.spend("x", &c).unwrap();
        b.spend("x", &c).unwrap();
        assert!(a.spend("x", &c).is_err());
        assert!(b.spend("x", &c).is_err());
        assert_eq!(a.status("x").unwrap().spends, 4);
        // Events read from the other handle reach this handle's ring too.
        let spends = b
            .recent_events()
            .unwrap()
            .iter()
            .filter(|e| matches!(e.kind, crate::budget::AuditKind::Spend { .. }))
            .count();
        assert_eq!(spends, 4);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn io_failures_are_reported() {
        let dir = temp_dir("io");
        let e = Budget::open(dir.join("missing-dir").join("l")).unwrap_err();
        assert_eq!(e.status(), Status::Io);
        let e = Budget::open(&dir).unwrap_err();
        assert_eq!(e.status(), Status::Io, "a directory is not a ledger");
        let e = verify_ledger_file(dir.join("absent")).unwrap_err();
        assert_eq!(e.status(), Status::Io);
        // A held lock makes a second opener time out with an I/O error.
        let path = dir.join("l");
        drop(Budget::open(&path).unwrap());
        let holder = std::fs::File::open(&path).unwrap();
        holder.lock().unwrap();
        let options = BudgetOptions {
            lock_timeout: Duration::from_millis(50),
            ..BudgetOptions::default()
        };
        let e = Budget::open_with(&path, &options).unwrap_err();
        assert_eq!(e.status(), Status::Io);
        assert!(e.to_string().contains("locked"), "{e}");
        holder.unlock().unwrap();
        Budget::open_with(&path, &options).unwrap();
        let e = Budget::in_memory().export_ledger().unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_poisoned_handle_refuses_everything() {
        let b = Budget::in_memory();
        b.set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        b.poison_for_test();
        let e = b.spend("a", &Charge::pure_dp(0.1).unwrap()).unwrap_err();
        assert_eq!(e.status(), Status::Internal);
        assert!(e.to_string().contains("poisoned"), "{e}");
        assert_eq!(b.status("a").unwrap_err().status(), Status::Internal);
    }

    #[test]
    fn spend_and_release_orders_the_two() {
        let b = Budget::in_memory();
        b.set_limit("a", Limit::epsilon_delta(0.1, 0.0).unwrap(), "")
            .unwrap();
        let c = Charge::pure_dp(0.1).unwrap();
        let (v, r) = b
            .spend_and_release("a", &c, || {
                // The spend is already visible when the release runs.
                assert_eq!(b.status("a").unwrap().spends, 1);
                Ok(42)
            })
            .unwrap();
        assert_eq!((v, r.seq), (42, 2));
        let mut ran = false;
        let e = b
            .spend_and_release("a", &c, || {
                ran = true;
                Ok(0)
            })
            .unwrap_err();
        assert_eq!(e.status(), Status::BudgetExhausted);
        assert!(!ran, "a refused spend releases nothing");
    }

    #[test]
    fn a_child_forked_mid_call_rebuilds_a_ledger_handle() {
        let dir = temp_dir("forked");
        let path = dir.join("l");
        let parent = Budget::open(&path).unwrap();
        parent
            .set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        parent.spend("a", &Charge::pure_dp(0.25).unwrap()).unwrap();
        let child = parent.as_forked_mid_call();
        // The child's first call does not wait for the held lock: it
        // re-reads the ledger, so it sees and respects the parent's spends.
        assert_eq!(child.status("a").unwrap().spent.epsilon, d("0.25"));
        child.spend("a", &Charge::pure_dp(0.5).unwrap()).unwrap();
        assert_eq!(
            child
                .spend("a", &Charge::pure_dp(0.5).unwrap())
                .unwrap_err()
                .status(),
            Status::BudgetExhausted
        );
        assert_eq!(parent.status("a").unwrap().spent.epsilon, d("0.75"));
        assert_eq!(child.ledger_path(), Some(path.clone()));
        // The rebuilt handle still holds the ledger to its identity.
        std::fs::copy(&path, dir.join("copy")).unwrap();
        std::fs::rename(dir.join("copy"), &path).unwrap();
        let rebuilt = parent.as_forked_mid_call();
        assert_eq!(
            rebuilt.status("a").unwrap_err().status(),
            Status::LedgerIntegrity
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_child_forked_mid_call_refuses_an_in_memory_budget() {
        let parent = Budget::in_memory();
        parent
            .set_limit("a", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        let child = parent.as_forked_mid_call();
        let e = child
            .spend("a", &Charge::pure_dp(0.1).unwrap())
            .unwrap_err();
        assert_eq!(e.status(), Status::Internal);
        assert!(e.to_string().contains("forked"), "{e}");
        assert_eq!(child.status("a").unwrap_err().status(), Status::Internal);
        // The parent is unaffected.
        parent.spend("a", &Charge::pure_dp(0.1).unwrap()).unwrap();
    }

    #[test]
    fn accounts_are_capped() {
        use crate::budget::MAX_ACCOUNTS;
        let b = Budget::in_memory();
        for i in 0..MAX_ACCOUNTS {
            b.set_alert_threshold(&format!("a{i}"), 0.5).unwrap();
        }
        let e = b.set_period("one-more", Period::CalendarYear).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert!(e.to_string().contains("100000 accounts"), "{e}");
        // Existing accounts are still configured.
        b.set_limit("a7", Limit::epsilon_delta(1.0, 0.0).unwrap(), "")
            .unwrap();
        assert_eq!(b.accounts().unwrap().len(), MAX_ACCOUNTS);
    }

    #[test]
    fn handles_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Budget>();
    }
}
