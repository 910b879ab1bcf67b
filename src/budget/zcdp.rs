//! zCDP ↔ (ε, δ) for budget limits and reports, in [`Decimal`]s.
//!
//! The conversion itself is the accountant's (Canonne, Kamath, Steinke 2020,
//! Cor. 13; see `crate::accountant::Zcdp`): this module only moves between
//! exact decimals and the floats it takes, always outward — inputs are the
//! nearest doubles on the safe side of the decimals' exact values, and
//! results are rounded to decimals in the safe direction.
//!
//! - [`max_rho_for`]: the largest ρ (rounded **down**) whose conversion gives
//!   (ε_limit, δ), used to turn an (ε, δ) limit of a zCDP account into a ρ
//!   limit once, when the limit is set (the ρ is written to the ledger, so
//!   replaying a ledger never depends on float code).
//! - [`epsilon_for`]: ε at δ for a running ρ (rounded **up**), for reports
//!   and for checking zCDP events charged as (ε, δ).

use super::decimal::Decimal;
use crate::accountant::{cks_epsilon, cks_max_rho};

/// The largest ρ, rounded down, such that ρ-zCDP implies
/// (`epsilon`, `delta`)-DP by the CKS20 bound. Zero when `delta` is 0 or 1
/// or more, or when no positive ρ qualifies.
pub(crate) fn max_rho_for(epsilon: Decimal, delta: Decimal) -> Decimal {
    if delta.is_zero() || delta >= Decimal::ONE {
        return Decimal::ZERO;
    }
    // Smaller ε and δ can only shrink ρ: both are read rounded down.
    let delta = delta.to_f64_at_most();
    if delta <= 0.0 {
        return Decimal::ZERO;
    }
    let rho = cks_max_rho(epsilon.to_f64_at_most(), delta);
    Decimal::from_computed_down(rho).unwrap_or(Decimal::ZERO)
}

/// ε at `delta`, rounded up, for a running ρ by the CKS20 bound; zero for
/// ρ = 0. `None` if `delta` is not in (0, 1) or the result does not fit.
pub(crate) fn epsilon_for(rho: Decimal, delta: Decimal) -> Option<Decimal> {
    if delta.is_zero() || delta >= Decimal::ONE {
        return None;
    }
    if rho.is_zero() {
        return Some(Decimal::ZERO);
    }
    let delta = delta.to_f64_at_most();
    if delta <= 0.0 {
        return None;
    }
    Decimal::from_computed_up(cks_epsilon(rho.to_f64_at_least(), delta))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// The bound evaluated directly at α (no margin), as an independent check.
    fn cks_epsilon_at(rho: f64, delta: f64, alpha: f64) -> f64 {
        alpha * rho + (1.0 - 1.0 / alpha).ln() - (delta.ln() + alpha.ln()) / (alpha - 1.0)
    }

    /// Reference values: min over α of the bound, from a dense scan written
    /// independently in Python (`min(a*r + log1p(-1/a) - (log(d)+log(a))/(a-1)
    /// for a in 1+10**(k/10000))`, k over [-40000, 60000]).
    #[test]
    fn epsilon_matches_a_dense_scan() {
        let cases = [
            // (rho, delta, epsilon from the scan)
            (0.5, 1e-5, 4.728_387),
            (0.01, 1e-6, 0.621_693),
            (1.0, 1e-9, 9.521_464),
        ];
        for (rho, delta, want) in cases {
            let r = Decimal::from_printed(rho, super::super::decimal::Rounding::Up).unwrap();
            let dl = Decimal::from_printed(delta, super::super::decimal::Rounding::Down).unwrap();
            let got = epsilon_for(r, dl).unwrap().to_f64_up();
            assert!(
                got >= want - 2e-6 && got < want * (1.0 + 1e-5),
                "{rho} {delta}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn max_rho_is_admissible_and_nearly_tight() {
        for (eps, delta) in [
            ("1", "0.00001"),
            ("0.5", "0.000001"),
            ("8", "0.000000001"),
            ("0.01", "0.1"),
        ] {
            let rho = max_rho_for(d(eps), d(delta));
            assert!(!rho.is_zero(), "{eps} {delta}");
            // Admissible: the reported ε at that ρ does not exceed the limit.
            let back = epsilon_for(rho, d(delta)).unwrap();
            assert!(
                back <= d(eps).checked_add(d("0.00000001")).unwrap(),
                "{eps}: {back}"
            );
            // Tight: 0.1% more ρ already exceeds ε at every α on a scan.
            let more = rho.to_f64_up() * 1.001;
            let delta_f = d(delta).to_f64_nearest();
            let eps_f = d(eps).to_f64_nearest();
            let min = (1..200_000)
                .map(|k| cks_epsilon_at(more, delta_f, 1.0 + 10f64.powf(-8.0 + k as f64 * 1e-4)))
                .fold(f64::INFINITY, f64::min);
            assert!(min > eps_f, "{eps} {delta}: not tight ({min})");
        }
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(max_rho_for(d("1"), Decimal::ZERO), Decimal::ZERO);
        assert_eq!(max_rho_for(d("1"), Decimal::ONE), Decimal::ZERO);
        assert_eq!(epsilon_for(d("1"), Decimal::ZERO), None);
        assert_eq!(epsilon_for(Decimal::ZERO, d("0.1")), Some(Decimal::ZERO));
        // ε = 0 still admits a tiny ρ only if δ is large enough; never negative.
        let r = max_rho_for(Decimal::ZERO, d("0.000001"));
        assert!(r <= d("0.0000001"));
    }
}
