//! Spend-then-release with the crate's mechanisms.
//!
//! Each helper follows the same order, so that no value leaves before its
//! spend is recorded and whether a call succeeds never depends on the data:
//!
//! 1. the mechanism is built (parameters validated) — by the caller for the
//!    `release_*` forms;
//! 2. the value is mapped into the mechanism's input domain by a rule fixed
//!    before any data is seen (below);
//! 3. the charge is built from the requested ε (and δ) and checked against
//!    the mechanism's own event ([`Charge::with_event`]);
//! 4. the spend is recorded ([`Budget::spend`]: durably, with a ledger);
//! 5. the value is released. If that fails (only `Error::Entropy` can), the
//!    spend stays recorded: budget wasted, nothing leaked.
//!
//! # Input domain and what a refusal reveals
//!
//! The float mechanisms take finite values with |value| < 2¹²⁶·γ (γ the
//! noise grid, about scale·2⁻⁴⁰; [`Laplace::max_abs_value`]). Called
//! directly, they refuse anything else "at no cost", so their refusal tells
//! the caller that the value was outside that domain. Here the value is
//! never refused: NaN becomes 0, and ±∞ or a larger magnitude becomes
//! ±[`Laplace::max_abs_value`] (a clamp, 1-Lipschitz, so a sensitivity that
//! holds for the values holds for the mapped values). An error from these
//! helpers therefore depends only on the parameters (sensitivity, ε, δ,
//! account name), the budget's state and the ledger or entropy source —
//! never on the value — and an error before the spend costs nothing. (A NaN
//! has no sensitivity; a caller whose query can produce one should decide
//! what it means before releasing, as the release of 0 plus noise is what
//! the rule gives.)

use super::charge::Charge;
use super::handle::Budget;
use crate::error::Result;
use crate::mechanism::{Gaussian, Laplace};

/// `value` mapped into [−`bound`, `bound`] by the fixed rule of the module
/// documentation: NaN to 0, everything else clamped.
pub(crate) fn into_domain(value: f64, bound: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(-bound, bound)
    }
}

impl Budget {
    /// Builds the ε-DP Laplace mechanism for L1 `sensitivity` at `epsilon`,
    /// charges ε to `account` (read exactly as the decimal it prints as),
    /// and only then releases `value` plus noise.
    ///
    /// The value is mapped into the mechanism's input domain first (NaN to 0,
    /// ±∞ and overly large values clamped; see the module documentation), so
    /// it is never the reason for an error.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` for bad parameters (nothing spent); the
    /// errors of [`Budget::spend`] (nothing released); `Error::Entropy`
    /// after the spend (nothing released, budget spent).
    ///
    /// For many releases with the same parameters, build the mechanism once
    /// and use [`Budget::release_laplace`].
    pub fn laplace(
        &self,
        account: &str,
        value: f64,
        sensitivity: f64,
        epsilon: f64,
    ) -> Result<f64> {
        let mechanism = Laplace::new(sensitivity, epsilon)?;
        self.release_laplace(account, &mechanism, value)
    }

    /// [`Budget::laplace`] with a mechanism built beforehand: charges its ε.
    pub fn release_laplace(&self, account: &str, mechanism: &Laplace, value: f64) -> Result<f64> {
        let value = into_domain(value, mechanism.max_abs_value());
        let charge = Charge::pure_dp(mechanism.epsilon())?.with_event(mechanism.event())?;
        self.spend_and_release(account, &charge, || mechanism.release(value))
            .map(|(v, _)| v)
    }

    /// Builds the (ε, δ)-DP Gaussian mechanism for L2 sensitivity
    /// `l2_sensitivity` (analytic calibration for the discrete Gaussian
    /// actually sampled), charges (ε, δ) to a basic account or its ρ to a
    /// zCDP account, and only then releases `value` plus noise.
    ///
    /// The value is mapped into the input domain as by [`Budget::laplace`].
    ///
    /// # Errors
    ///
    /// As [`Budget::laplace`]; δ must be in (0, 1).
    pub fn gaussian(
        &self,
        account: &str,
        value: f64,
        l2_sensitivity: f64,
        epsilon: f64,
        delta: f64,
    ) -> Result<f64> {
        let mechanism = Gaussian::from_epsilon_delta(l2_sensitivity, epsilon, delta)?;
        self.release_gaussian(account, &mechanism, Some((epsilon, delta)), value)
    }

    /// [`Budget::gaussian`] with a mechanism built beforehand. With
    /// `epsilon_delta`, the charge is that (ε, δ) — checked against the
    /// mechanism's own δ at that ε — plus its ρ; without, only its ρ (which a
    /// basic account refuses with `Error::InvalidArgument`).
    pub fn release_gaussian(
        &self,
        account: &str,
        mechanism: &Gaussian,
        epsilon_delta: Option<(f64, f64)>,
        value: f64,
    ) -> Result<f64> {
        let value = into_domain(value, mechanism.max_abs_value());
        let charge = match epsilon_delta {
            Some((epsilon, delta)) => {
                Charge::approximate_dp(epsilon, delta)?.with_event(mechanism.event())?
            }
            None => Charge::from_event(&mechanism.event())?,
        };
        self.spend_and_release(account, &charge, || mechanism.release(value))
            .map(|(v, _)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Composition, Limit};
    use crate::error::Status;

    #[test]
    fn laplace_spends_then_releases() {
        let b = Budget::in_memory();
        b.set_limit("a", Limit::epsilon_delta(0.3, 0.0).unwrap(), "")
            .unwrap();
        let v1 = b.laplace("a", 10.0, 1.0, 0.1).unwrap();
        let v2 = b.laplace("a", 10.0, 1.0, 0.2).unwrap();
        assert!(v1.is_finite() && v2.is_finite());
        let e = b.laplace("a", 10.0, 1.0, 1e-12).unwrap_err();
        assert_eq!(e.status(), Status::BudgetExhausted);
        let s = b.status("a").unwrap();
        assert_eq!(s.spends, 2);
        assert_eq!(s.spent.epsilon, "0.3".parse().unwrap());
    }

    #[test]
    fn bad_parameters_cost_nothing() {
        let b = Budget::in_memory();
        b.set_limit("a", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "")
            .unwrap();
        for e in [
            b.laplace("a", 1.0, -1.0, 0.1).unwrap_err(),
            b.laplace("a", 1.0, 1.0, f64::NAN).unwrap_err(),
            b.laplace("a", 1.0, f64::INFINITY, 0.1).unwrap_err(),
            b.gaussian("a", 1.0, 1.0, 0.5, 0.0).unwrap_err(),
            b.gaussian("a", 1.0, 0.0, 0.5, 1e-7).unwrap_err(),
        ] {
            assert_eq!(e.status(), Status::InvalidArgument, "{e}");
        }
        assert_eq!(b.status("a").unwrap().spends, 0);
        assert!(
            b.recent_events()
                .unwrap()
                .iter()
                .all(|e| !matches!(e.kind, crate::budget::AuditKind::Refused { .. }))
        );
    }

    /// Values outside the input domain are never refused: NaN is released
    /// as 0 plus noise, ±∞ and huge values as the clamped bound plus noise,
    /// each charged like any other value. So the outcome of a call (success,
    /// refusal) is the same for every value: it depends only on parameters
    /// and budget — the refusal of an exhausted budget included.
    #[test]
    fn values_outside_the_domain_are_clamped_not_refused() {
        let b = Budget::in_memory();
        b.set_limit("a", Limit::epsilon_delta(3.0, 1e-5).unwrap(), "")
            .unwrap();
        let lap = Laplace::new(1.0, 0.5).unwrap();
        let bound = lap.max_abs_value();
        assert!(lap.check_value(bound).is_ok() && lap.check_value(bound.next_up()).is_err());
        // Far beyond the noise (b = 2, bound ≈ 2⁸⁷): releases land near the
        // mapped values.
        for (value, mapped) in [
            (f64::NAN, 0.0),
            (f64::INFINITY, bound),
            (f64::NEG_INFINITY, -bound),
            (1e300, bound),
            (-1e300, -bound),
        ] {
            let out = b.release_laplace("a", &lap, value).unwrap();
            assert!(
                (out - mapped).abs() <= 1e3 + mapped.abs() * 1e-12,
                "{value}"
            );
        }
        let g = Gaussian::from_epsilon_delta(1.0, 0.1, 1e-6).unwrap();
        assert!(
            b.release_gaussian("a", &g, Some((0.1, 1e-6)), f64::NAN)
                .unwrap()
                .abs()
                < 1e3
        );
        let s = b.status("a").unwrap();
        assert_eq!(s.spends, 6);
        assert_eq!(s.spent.epsilon, "2.6".parse().unwrap());
        // Exhausted: the same refusal for an ordinary value and for NaN.
        let ordinary = b.laplace("a", 1.0, 1.0, 0.5).unwrap_err();
        let nan = b.laplace("a", f64::NAN, 1.0, 0.5).unwrap_err();
        assert_eq!(ordinary.status(), Status::BudgetExhausted);
        assert_eq!(ordinary.to_string(), nan.to_string());
        assert_eq!(into_domain(f64::NAN, 5.0), 0.0);
        assert_eq!(into_domain(-7.0, 5.0), -5.0);
        assert_eq!(into_domain(3.0, 5.0), 3.0);
    }

    #[test]
    fn gaussian_charges_epsilon_delta_or_rho() {
        let b = Budget::in_memory();
        b.set_limit("basic", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "")
            .unwrap();
        b.gaussian("basic", 5.0, 1.0, 0.5, 5e-7).unwrap();
        b.gaussian("basic", 5.0, 1.0, 0.5, 5e-7).unwrap();
        assert_eq!(
            b.gaussian("basic", 5.0, 1.0, 0.01, 1e-12)
                .unwrap_err()
                .status(),
            Status::BudgetExhausted
        );
        let s = b.status("basic").unwrap();
        assert_eq!(
            (s.spent.epsilon, s.spent.delta),
            ("1".parse().unwrap(), "0.000001".parse().unwrap())
        );

        b.set_composition("z", Composition::Zcdp).unwrap();
        b.set_limit("z", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "")
            .unwrap();
        let m = Gaussian::from_rho(1.0, 0.005).unwrap();
        let mut n = 0;
        while b.release_gaussian("z", &m, None, 3.0).is_ok() {
            n += 1;
        }
        // ρ* = 0.0243559… ; each release ≈ 0.005 (plus the grid's charge).
        assert_eq!(n, 4);
        let e = b.release_gaussian("basic", &m, None, 3.0).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        // A charge that understates the mechanism's δ is refused before spending.
        let tight = Gaussian::from_epsilon_delta(1.0, 1.0, 1e-6).unwrap();
        b.set_limit("big", Limit::epsilon_delta(100.0, 0.5).unwrap(), "")
            .unwrap();
        let e = b
            .release_gaussian("big", &tight, Some((1.0, 1e-9)), 0.0)
            .unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert_eq!(b.status("big").unwrap().spends, 0);
    }
}
