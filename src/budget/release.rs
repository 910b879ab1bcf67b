//! Spend-then-release with the crate's mechanisms.
//!
//! Each helper follows the same order, so that bad input never costs
//! budget and no value leaves before its spend is recorded:
//!
//! 1. the mechanism is built (parameters validated) — by the caller for the
//!    `release_*` forms;
//! 2. the value is checked (finite, within the mechanism's grid range);
//! 3. the charge is built from the requested ε (and δ) and checked against
//!    the mechanism's own event ([`Charge::with_event`]);
//! 4. the spend is recorded ([`Budget::spend`]: durably, with a ledger);
//! 5. the value is released. If that fails (only `Error::Entropy` can, once
//!    the value is checked), the spend stays recorded: budget wasted, nothing
//!    leaked.

use super::charge::Charge;
use super::handle::Budget;
use crate::error::Result;
use crate::mechanism::{Gaussian, Laplace};

impl Budget {
    /// Builds the ε-DP Laplace mechanism for L1 `sensitivity` at `epsilon`,
    /// charges ε to `account` (read exactly as the decimal it prints as),
    /// and only then releases `value` plus noise.
    ///
    /// # Errors
    ///
    /// `Error::InvalidArgument` for bad parameters or a non-finite value
    /// (nothing spent); the errors of [`Budget::spend`] (nothing released);
    /// `Error::Entropy` after the spend (nothing released, budget spent).
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
        mechanism.check_value(value)?;
        let charge = Charge::pure_dp(mechanism.epsilon())?.with_event(mechanism.event())?;
        self.spend_and_release(account, &charge, || mechanism.release(value))
            .map(|(v, _)| v)
    }

    /// Builds the (ε, δ)-DP Gaussian mechanism for L2 sensitivity
    /// `l2_sensitivity` (analytic calibration for the discrete Gaussian
    /// actually sampled), charges (ε, δ) to a basic account or its ρ to a
    /// zCDP account, and only then releases `value` plus noise.
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
        mechanism.check_value(value)?;
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
    fn bad_input_costs_nothing() {
        let b = Budget::in_memory();
        b.set_limit("a", Limit::epsilon_delta(1.0, 1e-6).unwrap(), "")
            .unwrap();
        for e in [
            b.laplace("a", f64::NAN, 1.0, 0.1).unwrap_err(),
            b.laplace("a", f64::INFINITY, 1.0, 0.1).unwrap_err(),
            b.laplace("a", 1e300, 1.0, 0.1).unwrap_err(),
            b.laplace("a", 1.0, -1.0, 0.1).unwrap_err(),
            b.laplace("a", 1.0, 1.0, f64::NAN).unwrap_err(),
            b.gaussian("a", 1.0, 1.0, 0.5, 0.0).unwrap_err(),
            b.gaussian("a", f64::NAN, 1.0, 0.5, 1e-7).unwrap_err(),
        ] {
            assert_eq!(e.status(), Status::InvalidArgument, "{e}");
            assert!(!e.to_string().contains("1e300"), "values never appear: {e}");
        }
        assert_eq!(b.status("a").unwrap().spends, 0);
        assert!(
            b.recent_events()
                .unwrap()
                .iter()
                .all(|e| !matches!(e.kind, crate::budget::AuditKind::Refused { .. }))
        );
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
