//! Accounts: names, limits, composition rules, period policies and the
//! running totals a limit is enforced against.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::burn::{BurnPlan, BurnWindow};
use super::charge::Charge;
use super::decimal::{Decimal, Rounding};
use super::template::{QueryTemplate, SpendShape, match_any};
use super::time;
use crate::error::{Error, Result, describe_f64};

/// Longest account name, in bytes.
pub const MAX_ACCOUNT_NAME_BYTES: usize = 256;
/// Most accounts one budget holds. It bounds a handle's memory (a few
/// hundred bytes per account) whatever a ledger file contains: creating one
/// more is refused, and a ledger with more fails its integrity check.
pub const MAX_ACCOUNTS: usize = 100_000;
/// Longest reason of a limit change, in bytes.
pub const MAX_REASON_BYTES: usize = 1024;
/// Alert threshold of a new account: 80% of its limit.
pub const DEFAULT_ALERT_THRESHOLD: f64 = 0.8;

/// Checks an account name: 1 to 256 bytes of UTF-8 (any script, e.g.
/// `tenant/dataset`), no control characters, no leading or trailing
/// whitespace. Names are compared byte for byte (no Unicode normalization).
///
/// # Errors
///
/// `Error::InvalidArgument` naming `account`.
pub fn validate_account_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_ACCOUNT_NAME_BYTES {
        return Err(Error::invalid(
            "account",
            format!(
                "must be 1 to {MAX_ACCOUNT_NAME_BYTES} bytes, got {}",
                name.len()
            ),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "account",
            "must not contain control characters",
        ));
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Err(Error::invalid(
            "account",
            "must not start or end with whitespace",
        ));
    }
    Ok(())
}

/// Longest correlation ID, in bytes.
pub const MAX_CORRELATION_ID_BYTES: usize = 64;

/// Checks a spend's correlation ID: 1 to 64 bytes of `A-Z a-z 0-9 . _ : -`.
/// It is written to the ledger and shown in events so that an ILS's own
/// audit log can be joined with the ledger: use a request or job ID, never
/// a patron identifier, name or any other personal data.
///
/// # Errors
///
/// `Error::InvalidArgument` naming `correlation_id` (the message gives the
/// length, never the text).
pub fn validate_correlation_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_CORRELATION_ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "correlation_id",
            format!(
                "must be 1 to {MAX_CORRELATION_ID_BYTES} bytes of A-Z a-z 0-9 . _ : - (got {} bytes)",
                id.len()
            ),
        ))
    }
}

/// Checks the reason of a limit change: at most 1024 bytes, no control
/// characters other than tab. It is written to the ledger: it must never
/// contain patron identifiers or protected values.
pub(crate) fn validate_reason(reason: &str) -> Result<()> {
    if reason.len() > MAX_REASON_BYTES {
        return Err(Error::invalid(
            "reason",
            format!(
                "must be at most {MAX_REASON_BYTES} bytes, got {}",
                reason.len()
            ),
        ));
    }
    if reason.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Error::invalid(
            "reason",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// How an account composes the releases charged to it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Composition {
    /// Basic composition: ε and δ add up (the default).
    #[default]
    Basic,
    /// zCDP: ρ adds up; an (ε, δ) limit is enforced through the ρ it allows
    /// by the Canonne–Kamath–Steinke bound. Tighter for many Gaussian releases.
    Zcdp,
}

/// Which spends count against an account's limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Every spend ever recorded (the default).
    #[default]
    Lifetime,
    /// Spends recorded in the current UTC calendar year.
    CalendarYear,
    /// Spends recorded in the current UTC calendar month.
    CalendarMonth,
}

/// An account's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// At most ε in total and at most δ in total (a zCDP account enforces
    /// it through the largest ρ that implies (ε, δ)).
    EpsilonDelta {
        /// ε, ≥ 0.
        epsilon: Decimal,
        /// δ, in [0, 1).
        delta: Decimal,
    },
    /// At most ρ in total (zCDP accounts only).
    Rho(Decimal),
}

impl Limit {
    /// An (ε, δ) limit: ε finite, ≥ 0 and ≤ 10⁶; δ ∈ [0, 1). Both are read as
    /// the decimals they print as, rounded down past 30 digits.
    pub fn epsilon_delta(epsilon: f64, delta: f64) -> Result<Limit> {
        if !(epsilon.is_finite() && epsilon >= 0.0) {
            return Err(Error::invalid(
                "epsilon",
                format!("must be finite and >= 0, got {}", describe_f64(epsilon)),
            ));
        }
        if !(delta.is_finite() && (0.0..1.0).contains(&delta)) {
            return Err(Error::invalid(
                "delta",
                format!("must be in [0, 1), got {}", describe_f64(delta)),
            ));
        }
        let epsilon = Decimal::from_printed(epsilon, Rounding::Down).ok_or_else(|| {
            Error::invalid("epsilon", format!("must be at most 1000000, got {epsilon}"))
        })?;
        let delta = Decimal::from_printed(delta, Rounding::Down)
            .ok_or_else(|| Error::invalid("delta", format!("must be in [0, 1), got {delta}")))?;
        Ok(Limit::EpsilonDelta { epsilon, delta })
    }

    /// A ρ limit: finite, ≥ 0 and ≤ 10⁶.
    pub fn rho(rho: f64) -> Result<Limit> {
        if !(rho.is_finite() && rho >= 0.0) {
            return Err(Error::invalid(
                "rho",
                format!("must be finite and >= 0, got {}", describe_f64(rho)),
            ));
        }
        Decimal::from_printed(rho, Rounding::Down)
            .map(Limit::Rho)
            .ok_or_else(|| Error::invalid("rho", format!("must be at most 1000000, got {rho}")))
    }
}

/// Amounts of ε, δ and ρ (spent, charged or remaining). A basic account
/// uses ε and δ, a zCDP account ρ; the other fields are zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cost {
    /// ε.
    pub epsilon: Decimal,
    /// δ.
    pub delta: Decimal,
    /// ρ.
    pub rho: Decimal,
}

impl Cost {
    fn checked_add(self, other: Cost) -> Option<Cost> {
        Some(Cost {
            epsilon: self.epsilon.checked_add(other.epsilon)?,
            delta: self.delta.checked_add(other.delta)?,
            rho: self.rho.checked_add(other.rho)?,
        })
    }

    fn saturating_add(self, other: Cost) -> Cost {
        let max = Decimal::from_units(u128::MAX);
        self.checked_add(other).unwrap_or(Cost {
            epsilon: self.epsilon.checked_add(other.epsilon).unwrap_or(max),
            delta: self.delta.checked_add(other.delta).unwrap_or(max),
            rho: self.rho.checked_add(other.rho).unwrap_or(max),
        })
    }
}

/// Spends within one calendar period (a year or a month index).
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    key: i64,
    spent: Cost,
}

impl Window {
    fn at(&self, key: i64) -> Cost {
        if self.key == key {
            self.spent
        } else {
            Cost::default()
        }
    }

    fn add(&mut self, key: i64, cost: Cost) {
        if self.key != key {
            *self = Window {
                key,
                spent: Cost::default(),
            };
        }
        self.spent = self.spent.saturating_add(cost);
    }
}

/// One account's configuration and running totals.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub name: Arc<str>,
    pub composition: Composition,
    pub limit: Option<Limit>,
    /// The ρ a zCDP account enforces (its ρ limit, or the one its (ε, δ) limit allows).
    pub rho_limit: Option<Decimal>,
    pub threshold: f64,
    pub period: Period,
    pub total: Cost,
    year: Window,
    month: Window,
    pub spends: u64,
    pub alerts: u64,
    /// Query templates, in the order added.
    pub templates: Vec<QueryTemplate>,
    /// Whether only spends matching a template are admitted.
    pub templates_only: bool,
    /// The suspension's reason, while suspended.
    pub suspended: Option<String>,
    pub burn_plan: Option<BurnPlan>,
    pub burn_window: BurnWindow,
    pub burn_alerts: u64,
    /// Refused spends seen by this handle (not in the ledger).
    pub refusals: u64,
}

impl Account {
    pub fn new(name: Arc<str>) -> Account {
        Account {
            name,
            composition: Composition::Basic,
            limit: None,
            rho_limit: None,
            threshold: DEFAULT_ALERT_THRESHOLD,
            period: Period::Lifetime,
            total: Cost::default(),
            year: Window::default(),
            month: Window::default(),
            spends: 0,
            alerts: 0,
            templates: Vec::new(),
            templates_only: false,
            suspended: None,
            burn_plan: None,
            burn_window: BurnWindow::default(),
            burn_alerts: 0,
            refusals: 0,
        }
    }

    /// The amount a burn-rate plan tracks of `cost`: ε for basic, ρ for zCDP.
    pub fn burn_amount(&self, cost: Cost) -> Decimal {
        match self.composition {
            Composition::Basic => cost.epsilon,
            Composition::Zcdp => cost.rho,
        }
    }

    /// The spend inside the burn-rate plan's window ending at `time_ms`.
    pub fn burn_window_spent(&self, time_ms: i64) -> Option<(BurnPlan, Decimal)> {
        self.burn_plan
            .map(|p| (p, self.burn_window.sum_at(&p, time_ms)))
    }

    /// Suspension and templates: whether a spend of this shape may be
    /// considered at all (before its cost is checked against the limit).
    pub fn gate(&self, shape: &SpendShape<'_>) -> Result<()> {
        if let Some(reason) = &self.suspended {
            return Err(Error::AccountSuspended {
                account: self.name.to_string(),
                reason: reason.clone(),
            });
        }
        if self.templates_only {
            match_any(&self.templates, shape).map_err(|detail| Error::TemplateMismatch {
                account: self.name.to_string(),
                detail,
            })?;
        }
        Ok(())
    }

    /// What counts against the limit at `time_ms` under the account's period.
    pub fn spent_at(&self, time_ms: i64) -> Cost {
        match self.period {
            Period::Lifetime => self.total,
            Period::CalendarYear => self.year.at(time::year_of(time_ms)),
            Period::CalendarMonth => self.month.at(time::month_index_of(time_ms)),
        }
    }

    /// Adds a charge recorded at `time_ms` to every running total.
    pub fn add(&mut self, cost: Cost, time_ms: i64) {
        if let Some(plan) = self.burn_plan {
            let amount = self.burn_amount(cost);
            self.burn_window.add(&plan, time_ms, amount);
        }
        self.total = self.total.saturating_add(cost);
        self.year.add(time::year_of(time_ms), cost);
        self.month.add(time::month_index_of(time_ms), cost);
    }

    /// The cost a charge has under this account's rule.
    pub fn cost_of(&self, charge: &Charge) -> Result<Cost> {
        match self.composition {
            Composition::Basic => match (charge.epsilon(), charge.delta()) {
                (Some(epsilon), Some(delta)) => Ok(Cost {
                    epsilon,
                    delta,
                    rho: Decimal::ZERO,
                }),
                _ => Err(Error::invalid(
                    "charge",
                    format!(
                        "has no (epsilon, delta) cost, which account {:?} (basic composition) needs",
                        &*self.name
                    ),
                )),
            },
            Composition::Zcdp => match charge.rho() {
                Some(rho) => Ok(Cost {
                    rho,
                    ..Cost::default()
                }),
                None => Err(Error::invalid(
                    "charge",
                    format!(
                        "has no zCDP (rho) cost, which account {:?} (zCDP composition) needs",
                        &*self.name
                    ),
                )),
            },
        }
    }

    /// Whether `cost` fits at `time_ms`; the refusal explains why not
    /// (amounts of ε, δ, ρ only, never released values).
    pub fn admit(&self, cost: Cost, time_ms: i64) -> Result<()> {
        let spent = self.spent_at(time_ms);
        let refuse = |detail: String| {
            Err(Error::BudgetExhausted {
                account: self.name.to_string(),
                detail,
            })
        };
        let Some(limit) = self.limit else {
            return refuse("the account has no limit, so every spend is refused".into());
        };
        let window = match self.period {
            Period::Lifetime => "",
            Period::CalendarYear => " this calendar year",
            Period::CalendarMonth => " this calendar month",
        };
        match (self.composition, limit) {
            (Composition::Basic, Limit::EpsilonDelta { epsilon, delta }) => {
                let fits =
                    |s: Decimal, c: Decimal, l: Decimal| s.checked_add(c).is_some_and(|t| t <= l);
                if fits(spent.epsilon, cost.epsilon, epsilon)
                    && fits(spent.delta, cost.delta, delta)
                {
                    Ok(())
                } else {
                    refuse(format!(
                        "requested epsilon {} and delta {}; spent{window} epsilon {} of {} and delta {} of {}",
                        cost.epsilon, cost.delta, spent.epsilon, epsilon, spent.delta, delta
                    ))
                }
            }
            (Composition::Zcdp, _) => {
                let rho_limit = self.rho_limit.unwrap_or(Decimal::ZERO);
                if spent
                    .rho
                    .checked_add(cost.rho)
                    .is_some_and(|t| t <= rho_limit)
                {
                    Ok(())
                } else {
                    refuse(format!(
                        "requested rho {}; spent{window} rho {} of {}",
                        cost.rho, spent.rho, rho_limit
                    ))
                }
            }
            (Composition::Basic, Limit::Rho(_)) => {
                refuse("a rho limit needs zCDP composition".into())
            }
        }
    }

    /// What is left at `time_ms` (zero when there is no limit).
    pub fn remaining_at(&self, time_ms: i64) -> Cost {
        let spent = self.spent_at(time_ms);
        match (self.composition, self.limit) {
            (_, None) => Cost::default(),
            (Composition::Basic, Some(Limit::EpsilonDelta { epsilon, delta })) => Cost {
                epsilon: epsilon.saturating_sub(spent.epsilon),
                delta: delta.saturating_sub(spent.delta),
                rho: Decimal::ZERO,
            },
            (Composition::Basic, Some(Limit::Rho(_))) => Cost::default(),
            (Composition::Zcdp, Some(_)) => Cost {
                rho: self.rho_limit.unwrap_or_default().saturating_sub(spent.rho),
                ..Cost::default()
            },
        }
    }

    /// The largest fraction of the limit used at `time_ms` (over ε and δ, or
    /// ρ); 0 with nothing spent, ≥ 1 when something is spent against a zero
    /// limit. For alerts and telemetry only (a float ratio).
    pub fn used_fraction_at(&self, time_ms: i64) -> f64 {
        self.used_fraction_of(self.spent_at(time_ms))
    }

    /// The fraction of the limit `spent` would use (see [`Account::used_fraction_at`]).
    pub fn used_fraction_of(&self, spent: Cost) -> f64 {
        let ratio = |s: Decimal, l: Decimal| {
            if s.is_zero() {
                0.0
            } else if l.is_zero() {
                1.0
            } else {
                s.to_f64_approx() / l.to_f64_approx()
            }
        };
        match (self.composition, self.limit) {
            (_, None) | (Composition::Basic, Some(Limit::Rho(_))) => {
                ratio(spent.epsilon.max(spent.delta).max(spent.rho), Decimal::ZERO)
            }
            (Composition::Basic, Some(Limit::EpsilonDelta { epsilon, delta })) => {
                ratio(spent.epsilon, epsilon).max(ratio(spent.delta, delta))
            }
            (Composition::Zcdp, Some(_)) => ratio(spent.rho, self.rho_limit.unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn account_names() {
        for ok in [
            "tenant/dataset",
            "a",
            "bibliothèque/prêts",
            "図書館/貸出",
            &"x".repeat(256),
        ] {
            assert!(validate_account_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", " a", "a ", "a\nb", "a\0b", "\u{7f}", &"x".repeat(257)] {
            let e = validate_account_name(bad).unwrap_err();
            assert!(e.to_string().starts_with("account "), "{e}");
        }
    }

    #[test]
    fn limits_validate_and_round_down() {
        assert_eq!(
            Limit::epsilon_delta(0.3, 1e-6).unwrap(),
            Limit::EpsilonDelta {
                epsilon: d("0.3"),
                delta: d("0.000001")
            }
        );
        assert!(Limit::epsilon_delta(0.0, 0.0).is_ok());
        for (e, dl) in [
            (-0.1, 0.0),
            (f64::NAN, 0.0),
            (f64::INFINITY, 0.0),
            (1.0, 1.0),
            (1.0, -1e-9),
            (1.0, f64::NAN),
            (2e6, 0.0),
        ] {
            assert!(Limit::epsilon_delta(e, dl).is_err(), "{e} {dl}");
        }
        assert_eq!(Limit::rho(0.5).unwrap(), Limit::Rho(d("0.5")));
        assert!(Limit::rho(-0.5).is_err());
        assert_eq!(
            Limit::epsilon_delta(1.2345e-29, 0.0).unwrap(),
            Limit::EpsilonDelta {
                epsilon: Decimal::from_units(12),
                delta: Decimal::ZERO
            }
        );
    }

    #[test]
    fn admits_exactly_up_to_the_limit() {
        let mut a = Account::new("t/d".into());
        a.limit = Some(Limit::epsilon_delta(0.3, 0.0).unwrap());
        let c1 = a.cost_of(&Charge::pure_dp(0.1).unwrap()).unwrap();
        let c2 = a.cost_of(&Charge::pure_dp(0.2).unwrap()).unwrap();
        let c3 = a.cost_of(&Charge::pure_dp(1e-12).unwrap()).unwrap();
        a.admit(c1, 0).unwrap();
        a.add(c1, 0);
        a.admit(c2, 0).unwrap();
        a.add(c2, 0);
        let e = a.admit(c3, 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "privacy budget exhausted on account \"t/d\": requested epsilon 0.000000000001 and delta 0; spent epsilon 0.3 of 0.3 and delta 0 of 0"
        );
        assert_eq!(a.remaining_at(0), Cost::default());
        assert_eq!(a.used_fraction_at(0), 1.0);
    }

    #[test]
    fn periods_reset_at_calendar_boundaries() {
        let dec31 = 1_767_225_599_999; // 2025-12-31T23:59:59.999Z
        let mut a = Account::new("t/d".into());
        a.limit = Some(Limit::epsilon_delta(1.0, 0.0).unwrap());
        a.period = Period::CalendarYear;
        let c = a.cost_of(&Charge::pure_dp(1.0).unwrap()).unwrap();
        a.admit(c, dec31).unwrap();
        a.add(c, dec31);
        assert!(a.admit(c, dec31).is_err());
        assert!(a.admit(c, dec31 + 1).is_ok(), "a new year");
        a.period = Period::Lifetime;
        assert!(a.admit(c, dec31 + 1).is_err(), "lifetime still counts it");
        a.period = Period::CalendarMonth;
        assert!(a.admit(c, dec31 + 1).is_ok(), "a new month");
        assert_eq!(a.total.epsilon, d("1"));
    }

    #[test]
    fn no_limit_refuses_and_rules_need_their_cost() {
        let mut a = Account::new("x".into());
        let cost = a.cost_of(&Charge::pure_dp(0.1).unwrap()).unwrap();
        let e = a.admit(cost, 0).unwrap_err();
        assert!(e.to_string().contains("no limit"), "{e}");
        assert!(a.cost_of(&Charge::zcdp(0.1).unwrap()).is_err());
        a.composition = Composition::Zcdp;
        assert!(
            a.cost_of(&Charge::approximate_dp(0.1, 1e-9).unwrap())
                .is_err()
        );
        assert_eq!(
            a.cost_of(&Charge::pure_dp(1.0).unwrap()).unwrap().rho,
            d("0.5")
        );
    }
}
