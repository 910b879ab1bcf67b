//! Property tests: conversions are monotone and conservative.
//!
//! The PLD cases are kept few (each composition is an FFT); every property
//! is a mathematical fact about valid upper bounds, so a failure is a bug.

use ilsprivacy::accountant::{Accountant, Method, PrivacyEvent, Zcdp, optimal_homogeneous_epsilon};
use proptest::prelude::*;

fn gaussian(sigma: f64) -> PrivacyEvent {
    PrivacyEvent::Gaussian {
        l2_sensitivity: 1.0,
        sigma,
    }
}

fn laplace(scale: f64) -> PrivacyEvent {
    PrivacyEvent::Laplace {
        l1_sensitivity: 1.0,
        scale,
    }
}

fn acc(events: &[(PrivacyEvent, u64)]) -> Accountant {
    let mut a = Accountant::new();
    for &(e, c) in events {
        a.compose(e, c).unwrap();
    }
    a
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// For Gaussian-only sequences the PLD ε is an upper bound on the exact
    /// (Balle–Wang) ε, and RDP is looser still (up to grid effects).
    #[test]
    fn pld_and_rdp_bound_the_exact_gaussian(sigma in 0.5f64..50.0, k in 1u64..2000, log_delta in -10.0f64..-3.0) {
        let delta = 10f64.powf(log_delta);
        let a = acc(&[(gaussian(sigma), k)]);
        let exact = a.epsilon(delta, Method::Zcdp).unwrap();
        let pld = a.epsilon(delta, Method::Pld).unwrap();
        let rdp = a.epsilon(delta, Method::Rdp).unwrap();
        prop_assert!(pld >= exact, "pld {} < exact {}", pld, exact);
        prop_assert!(pld <= exact + 2e-3 + 1e-3 * exact, "pld {} far above exact {}", pld, exact);
        prop_assert!(rdp >= pld - 1e-3, "rdp {} < pld {}", rdp, pld);
        // δ side: PLD δ(ε) ≥ exact δ(ε).
        let eps = exact.max(0.01);
        prop_assert!(a.delta(eps, Method::Pld).unwrap() >= a.delta(eps, Method::Zcdp).unwrap() * (1.0 - 1e-9));
    }

    /// Advanced composition is never better than the optimal KOV bound, and
    /// KOV never better than the PLD of the (better-than-worst-case) Laplace
    /// mechanism minus the grid effect.
    #[test]
    fn advanced_is_at_least_kov_is_at_least_pld(scale in 2.0f64..100.0, k in 2u64..300, log_delta in -9.0f64..-3.0) {
        let delta = 10f64.powf(log_delta);
        let a = acc(&[(laplace(scale), k)]);
        let basic = a.epsilon(delta, Method::Basic).unwrap();
        let drv = a.epsilon(delta, Method::Advanced).unwrap();
        let kov = a.epsilon(delta, Method::OptimalHomogeneous).unwrap();
        let pld = a.epsilon(delta, Method::Pld).unwrap();
        prop_assert!(kov <= basic, "kov {} > basic {}", kov, basic);
        prop_assert!(kov <= drv * (1.0 + 1e-9), "kov {} > drv {}", kov, drv);
        prop_assert!(pld <= kov + k as f64 * 1e-4 + 1e-9, "pld {} > kov {}", pld, kov);
        let (_, best) = a.best_epsilon(delta).unwrap();
        prop_assert!(best <= pld && best <= kov && best <= basic);
    }

    /// More releases never cost less, under every method.
    #[test]
    fn epsilon_is_monotone_in_releases(scale in 1.0f64..50.0, k in 1u64..500) {
        let e = laplace(scale);
        for m in [Method::Basic, Method::Advanced, Method::OptimalHomogeneous, Method::Zcdp, Method::Rdp] {
            let a = acc(&[(e, k)]).epsilon(1e-6, m).unwrap();
            let b = acc(&[(e, k + 1)]).epsilon(1e-6, m).unwrap();
            prop_assert!(b >= a, "{}: {} releases {} > {} releases {}", m, k, a, k + 1, b);
        }
    }

    /// A larger δ never needs a larger ε; δ(ε) and ε(δ) are consistent.
    #[test]
    fn epsilon_is_monotone_in_delta_and_round_trips(sigma in 1.0f64..20.0, k in 1u64..100, log_delta in -10.0f64..-2.0) {
        let a = acc(&[(gaussian(sigma), k), (laplace(sigma * 4.0), 3)]);
        let d1 = 10f64.powf(log_delta);
        let d2 = d1 * 2.0;
        for m in [Method::Basic, Method::Zcdp, Method::Rdp] {
            let e1 = a.epsilon(d1, m).unwrap();
            let e2 = a.epsilon(d2, m).unwrap();
            prop_assert!(e2 <= e1, "{}: ε(2δ) {} > ε(δ) {}", m, e2, e1);
            if e1 > 0.0 {
                prop_assert!(a.delta(e1, m).unwrap() <= d1 * (1.0 + 1e-6), "{}", m);
            }
        }
    }

    /// CKS20 zCDP conversion: ε(δ) inverts δ(ε), and is below Bun–Steinke.
    #[test]
    fn zcdp_conversion_is_consistent(rho in 1e-4f64..20.0, log_delta in -12.0f64..-1.0) {
        let delta = 10f64.powf(log_delta);
        let z = Zcdp::new(rho).unwrap();
        let e = z.epsilon(delta).unwrap();
        prop_assert!(e <= rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt() + 1e-9);
        if e > 0.0 {
            prop_assert!(z.delta(e).unwrap() <= delta * (1.0 + 1e-6));
        }
    }

    /// KOV is monotone in k and never above basic composition.
    #[test]
    fn kov_is_monotone(eps0 in 0.01f64..1.0, k in 1u64..400) {
        let a = optimal_homogeneous_epsilon(eps0, 0.0, k, 1e-6).unwrap();
        let b = optimal_homogeneous_epsilon(eps0, 0.0, k + 1, 1e-6).unwrap();
        prop_assert!(b >= a && a <= eps0 * k as f64 * (1.0 + 1e-12));
    }

    /// Bad parameters give typed errors naming the parameter, never panics.
    #[test]
    fn bad_input_never_panics(x in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), Just(0.0), Just(f64::NEG_INFINITY), Just(1.0), Just(2.0)]) {
        let mut a = Accountant::new();
        let r = a.compose(gaussian(x), 1);
        if !(x > 0.0 && x.is_finite()) {
            let e = r.unwrap_err();
            prop_assert!(e.to_string().starts_with("sigma "), "{}", e);
        }
        let _ = a.epsilon(x, Method::Best).map_err(|e| assert!(e.to_string().starts_with("delta "), "{e}"));
        let _ = a.delta(x, Method::Pld).map_err(|e| assert!(e.to_string().starts_with("epsilon "), "{e}"));
        prop_assert!(a.compose(laplace(1.0), 0).is_err());
        let _ = ilsprivacy::accountant::max_releases(laplace(1.0), x, 1e-6, Method::Rdp);
        let _ = ilsprivacy::accountant::gaussian_sigma(x, 10, 1.0, 1e-6, Method::Rdp);
        let _ = ilsprivacy::accountant::laplace_scale(1.0, 10, 1.0, x, Method::Basic);
    }
}

#[test]
fn unsupported_methods_are_typed_errors() {
    let a = acc(&[(gaussian(1.0), 3)]);
    let e = a.epsilon(1e-6, Method::Advanced).unwrap_err();
    assert!(
        e.to_string().starts_with("method advanced composition"),
        "{e}"
    );
    let z = acc(&[(PrivacyEvent::Zcdp { rho: 0.1 }, 1)]);
    assert!(z.epsilon(1e-6, Method::Pld).is_err());
    let (m, _) = z.best_epsilon(1e-6).unwrap();
    assert!(matches!(m, Method::Zcdp | Method::Rdp));
    let mixed = acc(&[(laplace(10.0), 3), (laplace(20.0), 3)]);
    assert!(mixed.epsilon(1e-6, Method::OptimalHomogeneous).is_err());
    assert!(mixed.epsilon(1e-6, Method::Advanced).is_ok());
    assert_eq!(Accountant::new().epsilon(1e-6, Method::Pld).unwrap(), 0.0);
    let mut big = Accountant::new();
    big.compose(laplace(1.0), u64::MAX).unwrap();
    assert!(big.compose(laplace(1.0), 1).is_err());
}
