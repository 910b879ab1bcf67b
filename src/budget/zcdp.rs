//! zCDP ↔ (ε, δ) conversion for budget limits and reports: the one place
//! the budget converts between the two.
//!
//! The bound is Canonne, Kamath, Steinke 2020 ("The Discrete Gaussian for
//! Differential Privacy", Corollary 13; also Asoodeh et al. 2020): a ρ-zCDP
//! mechanism is (ε, δ)-DP for every α > 1 with
//!
//! ```text
//! ε = αρ + g(α),   g(α) = ln(1 − 1/α) − (ln δ + ln α) / (α − 1).
//! ```
//!
//! **Any** α gives a valid bound, so the search over α needs no care for
//! correctness, only for tightness; the float evaluation at the chosen α is
//! then moved outward by a margin far above its rounding error (relative
//! 10⁻⁹ of the magnitudes involved) and rounded outward to a [`Decimal`].
//!
//! - [`max_rho_for`]: the largest ρ (rounded **down**) with ε(ρ, δ) ≤ ε_limit,
//!   used to turn an (ε, δ) limit of a zCDP account into a ρ limit once,
//!   when the limit is set (the ρ is written to the ledger, so replaying a
//!   ledger never depends on float code).
//! - [`epsilon_for`]: ε at δ for a running ρ (rounded **up**), for reports.

use super::decimal::Decimal;

/// Relative safety margin applied to float evaluations of the bound.
const MARGIN: f64 = 1e-9;

/// g(α) of the module docs, for ln δ = `ln_delta`.
fn g(alpha: f64, ln_delta: f64) -> f64 {
    (-1.0 / alpha).ln_1p() - (ln_delta + alpha.ln()) / (alpha - 1.0)
}

/// Maximises `f` over α ∈ (1, 10⁹]: a log-spaced grid on α − 1, then a
/// golden-section refinement around the best grid point. Returns (α, f(α)).
fn maximise(f: impl Fn(f64) -> f64) -> (f64, f64) {
    const LO: f64 = -12.0; // log10(α − 1)
    const HI: f64 = 9.0;
    const STEPS: usize = 420;
    let at = |t: f64| f(1.0 + 10f64.powf(t));
    let step = (HI - LO) / STEPS as f64;
    let mut best_t = LO;
    let mut best = at(LO);
    for i in 1..=STEPS {
        let t = LO + step * i as f64;
        let v = at(t);
        if v > best {
            best = v;
            best_t = t;
        }
    }
    let (mut a, mut b) = (best_t - step, best_t + step);
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let c = b - ratio * (b - a);
        let d = a + ratio * (b - a);
        if at(c) > at(d) {
            b = d;
        } else {
            a = c;
        }
    }
    let t = (a + b) / 2.0;
    let v = at(t);
    if v > best {
        (1.0 + 10f64.powf(t), v)
    } else {
        (1.0 + 10f64.powf(best_t), best)
    }
}

/// The largest ρ, rounded down, such that ρ-zCDP implies
/// (`epsilon`, `delta`)-DP by the CKS20 bound. Zero when `delta` is 0 or 1
/// or more, or when no positive ρ qualifies.
pub(crate) fn max_rho_for(epsilon: Decimal, delta: Decimal) -> Decimal {
    if delta.is_zero() || delta >= Decimal::ONE {
        return Decimal::ZERO;
    }
    // Smaller ε and δ can only shrink ρ: round both down first.
    let eps = epsilon.to_f64_down();
    let ln_delta = delta.to_f64_down().ln();
    if !ln_delta.is_finite() {
        return Decimal::ZERO;
    }
    // For fixed α the largest ρ is (ε − g(α)) / α.
    let rho_at = |alpha: f64| {
        let gv = g(alpha, ln_delta);
        let slack = (eps.abs() + gv.abs()) * MARGIN;
        (eps - gv - slack) / alpha
    };
    let (_, rho) = maximise(rho_at);
    if rho.is_nan() || rho <= 0.0 {
        return Decimal::ZERO;
    }
    Decimal::from_computed_down(rho * (1.0 - MARGIN)).unwrap_or(Decimal::ZERO)
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
    let rho = rho.to_f64_up();
    let ln_delta = delta.to_f64_down().ln();
    let eps_at = |alpha: f64| {
        let gv = g(alpha, ln_delta);
        let e = alpha * rho + gv;
        e + (alpha * rho + gv.abs()) * MARGIN
    };
    let (_, neg_eps) = maximise(|a| -eps_at(a));
    let eps = -neg_eps;
    Decimal::from_computed_up(eps.max(0.0) * (1.0 + MARGIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// The bound evaluated directly at α (no margin), as a check.
    fn cks_epsilon(rho: f64, delta: f64, alpha: f64) -> f64 {
        alpha * rho + g(alpha, delta.ln())
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
                .map(|k| cks_epsilon(more, delta_f, 1.0 + 10f64.powf(-8.0 + k as f64 * 1e-4)))
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
