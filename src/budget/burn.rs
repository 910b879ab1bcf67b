//! Burn-rate plans: an account's planned spend per time window, and the
//! sliding-window sum that raises a burn-rate alert when the spend over the
//! window exceeds `factor` × the plan.
//!
//! The amount tracked is the one the account's limit is enforced in: ε for
//! basic composition, ρ for zCDP. The window counts spends (and charged
//! repairs) recorded since the plan was set; it is exact while the window
//! holds at most [`MAX_WINDOW_SPENDS`] spends, and beyond that the two
//! oldest are merged into one at the later time, so the windowed sum can
//! only be overstated (an alert may come early, never late). Alerts are
//! telemetry: a float ratio, never a privacy guarantee.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::decimal::{Decimal, Rounding};
use crate::error::{Error, Result, describe_f64};

/// The most spends a plan's window keeps apart (older ones are merged).
pub const MAX_WINDOW_SPENDS: usize = 1024;
/// The shortest window, in seconds (one minute).
pub const MIN_BURN_WINDOW_SECS: u64 = 60;
/// The longest window, in seconds (366 days).
pub const MAX_BURN_WINDOW_SECS: u64 = 366 * 86_400;

/// An account's planned spend rate: `planned` per window of `window_secs`;
/// a spend that takes the spend over the sliding window past `factor` ×
/// `planned` raises a burn-rate alert.
///
/// The amount tracked is the one the account's limit is enforced in: ε for
/// basic composition, ρ for zCDP. The window counts spends (and charged
/// repairs) recorded since the plan was set (replayed from the ledger on
/// open); it is exact while the window holds at most
/// [`MAX_WINDOW_SPENDS`] spends, and beyond that the two oldest are merged
/// into one at the later time, so the windowed sum can only be overstated
/// (an alert may come early, never late). Alerts are telemetry (a float
/// comparison), never a privacy guarantee.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurnPlan {
    /// The planned spend per window (ε for basic accounts, ρ for zCDP).
    pub planned: Decimal,
    /// The window's length in seconds.
    pub window_secs: u64,
    /// The alert fires when the window's spend exceeds `factor` × `planned`.
    pub factor: f64,
}

impl BurnPlan {
    /// A plan of `planned` per `window`, alerting past `factor` × plan.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` unless `planned` is finite and > 0 (at most
    /// 10⁶), `window` is between one minute and 366 days (whole seconds),
    /// and `factor` is finite and ≥ 1 (at most 10⁶).
    pub fn new(planned: f64, window: Duration, factor: f64) -> Result<BurnPlan> {
        crate::error::check_positive("planned", planned)?;
        let planned = Decimal::from_printed(planned, Rounding::Up)
            .filter(|p| !p.is_zero())
            .ok_or_else(|| {
                Error::invalid("planned", format!("must be at most 1000000, got {planned}"))
            })?;
        let plan = BurnPlan {
            planned,
            window_secs: window.as_secs(),
            factor,
        };
        plan.validate()?;
        Ok(plan)
    }

    /// A total (e.g. a yearly limit) spread evenly over `horizon`: the plan
    /// per `window` is `total × window / horizon` (rounded up).
    ///
    /// # Errors
    ///
    /// As [`BurnPlan::new`]; also if `horizon` is shorter than `window`.
    pub fn spread(
        total: f64,
        horizon: Duration,
        window: Duration,
        factor: f64,
    ) -> Result<BurnPlan> {
        crate::error::check_positive("total", total)?;
        if horizon.is_zero() || horizon < window {
            return Err(Error::invalid(
                "horizon",
                "must be at least as long as the window",
            ));
        }
        let share = window.as_secs_f64() / horizon.as_secs_f64();
        BurnPlan::new(total * share, window, factor)
    }

    /// Checks a plan (also when read from a ledger).
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` as [`BurnPlan::new`] says.
    pub fn validate(&self) -> Result<()> {
        if self.planned.is_zero() || self.planned > Decimal::MAX_INPUT {
            return Err(Error::invalid("planned", "must be > 0 and at most 1000000"));
        }
        if !(MIN_BURN_WINDOW_SECS..=MAX_BURN_WINDOW_SECS).contains(&self.window_secs) {
            return Err(Error::invalid(
                "window",
                format!(
                    "must be between {MIN_BURN_WINDOW_SECS} s and {MAX_BURN_WINDOW_SECS} s, got {} s",
                    self.window_secs
                ),
            ));
        }
        if !(self.factor.is_finite() && (1.0..=1e6).contains(&self.factor)) {
            return Err(Error::invalid(
                "factor",
                format!("must be in [1, 1000000], got {}", describe_f64(self.factor)),
            ));
        }
        Ok(())
    }

    /// The window's spend above which the alert fires (`factor` × `planned`, as a float).
    pub fn threshold(&self) -> f64 {
        self.factor * self.planned.to_f64_approx()
    }

    fn window_ms(&self) -> i64 {
        (self.window_secs as i64).saturating_mul(1000)
    }
}

/// The spends inside a plan's sliding window.
#[derive(Clone, Debug, Default)]
pub(crate) struct BurnWindow {
    /// (time, amount), oldest first.
    spends: VecDeque<(i64, Decimal)>,
    /// The sum of `spends` (saturating).
    total: Decimal,
}

fn saturating_add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(Decimal::from_units(u128::MAX))
}

impl BurnWindow {
    /// Drops spends at or before `now − window`.
    fn prune(&mut self, plan: &BurnPlan, now_ms: i64) {
        let start = now_ms.saturating_sub(plan.window_ms());
        let saturated = self.total == Decimal::from_units(u128::MAX);
        while let Some(&(t, a)) = self.spends.front()
            && t <= start
        {
            self.spends.pop_front();
            self.total = self.total.saturating_sub(a);
        }
        if saturated {
            // A saturated total is not the sum: re-add what is left.
            self.total = self
                .spends
                .iter()
                .fold(Decimal::ZERO, |s, &(_, a)| saturating_add(s, a));
        }
    }

    /// Records `amount` spent at `time_ms`.
    pub fn add(&mut self, plan: &BurnPlan, time_ms: i64, amount: Decimal) {
        if amount.is_zero() {
            return;
        }
        self.prune(plan, time_ms);
        if self.spends.len() >= MAX_WINDOW_SPENDS
            && let (Some((_, a)), Some((t, b))) = (self.spends.pop_front(), self.spends.pop_front())
        {
            self.spends.push_front((t, saturating_add(a, b)));
        }
        self.spends.push_back((time_ms, amount));
        self.total = saturating_add(self.total, amount);
    }

    /// The spend inside the window that ends at `now_ms`: the running total
    /// less the spends that have left the window since the last prune.
    pub fn sum_at(&self, plan: &BurnPlan, now_ms: i64) -> Decimal {
        let start = now_ms.saturating_sub(plan.window_ms());
        let expired = self
            .spends
            .iter()
            .take_while(|&&(t, _)| t <= start)
            .fold(Decimal::ZERO, |s, &(_, a)| saturating_add(s, a));
        if expired.is_zero() {
            return self.total;
        }
        self.spends
            .iter()
            .filter(|&&(t, _)| t > start)
            .fold(Decimal::ZERO, |s, &(_, a)| saturating_add(s, a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn plans_validate() {
        let day = Duration::from_secs(86_400);
        let p = BurnPlan::spread(3.65, 365 * day, day, 3.0).unwrap();
        assert_eq!(p.planned, d("0.01"));
        assert_eq!(p.window_secs, 86_400);
        assert!((p.threshold() - 0.03).abs() < 1e-15);
        assert!(BurnPlan::new(0.0, day, 3.0).is_err());
        assert!(BurnPlan::new(f64::NAN, day, 3.0).is_err());
        assert!(BurnPlan::new(0.1, Duration::from_secs(59), 3.0).is_err());
        assert!(BurnPlan::new(0.1, 367 * day, 3.0).is_err());
        assert!(BurnPlan::new(0.1, day, 0.5).is_err());
        assert!(BurnPlan::new(0.1, day, f64::INFINITY).is_err());
        assert!(BurnPlan::spread(1.0, day, 2 * day, 3.0).is_err());
    }

    #[test]
    fn the_window_slides_and_stays_bounded() {
        let plan = BurnPlan::new(1.0, Duration::from_secs(60), 2.0).unwrap();
        let mut w = BurnWindow::default();
        w.add(&plan, 0, d("0.5"));
        w.add(&plan, 30_000, d("0.25"));
        assert_eq!(w.sum_at(&plan, 30_000), d("0.75"));
        assert_eq!(w.sum_at(&plan, 59_999), d("0.75"));
        assert_eq!(
            w.sum_at(&plan, 60_000),
            d("0.25"),
            "the first left the window"
        );
        assert_eq!(w.sum_at(&plan, 90_000), Decimal::ZERO);
        for i in 0..5000 {
            w.add(&plan, 100_000, Decimal::UNIT);
            assert!(w.spends.len() <= MAX_WINDOW_SPENDS, "{i}");
        }
        // Merging never loses an amount inside the window.
        assert_eq!(w.sum_at(&plan, 100_000), Decimal::from_units(5000));
        // A steady trickle: the running total follows the window exactly.
        let mut w = BurnWindow::default();
        for i in 0..10_000i64 {
            w.add(&plan, i * 1000, Decimal::UNIT);
            assert_eq!(
                w.sum_at(&plan, i * 1000),
                Decimal::from_units((i + 1).min(60) as u128),
                "{i}"
            );
        }
        assert_eq!(w.total, Decimal::from_units(60));
    }
}
