//! The accountant against Google's dp_accounting 0.6.0, an independent
//! implementation. Reference values were computed with
//!
//! ```sh
//! python3 -m venv /tmp/dpacc && /tmp/dpacc/bin/pip install dp-accounting==0.6.0
//! /tmp/dpacc/bin/python benches/peers/accounting_reference.py
//! ```
//!
//! and are copied below with the line of output they come from. Our values
//! must be upper bounds where the reference is exact or a lower estimate,
//! and within 1% of dp_accounting's.

use ilsprivacy::accountant::{
    Accountant, Method, PrivacyEvent, RDP_ORDERS, gaussian_sigma, laplace_scale, max_releases,
};

fn within(ours: f64, reference: f64, rel: f64) -> bool {
    (ours / reference - 1.0).abs() <= rel
}

fn gaussians() -> Accountant {
    let mut acc = Accountant::new();
    acc.compose(
        PrivacyEvent::Gaussian {
            l2_sensitivity: 1.0,
            sigma: 10.0,
        },
        1000,
    )
    .unwrap();
    acc
}

fn laplaces() -> Accountant {
    let mut acc = Accountant::new();
    acc.compose(
        PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 10.0,
        },
        100,
    )
    .unwrap();
    acc
}

/// "gaussian sigma/sens=10 k=1000 delta=1e-6 PLD eps = 19.4236564771063"
/// "gaussian sigma/sens=10 k=1000 delta=1e-6 RDP eps = 20.551991629803823"
#[test]
fn thousand_gaussians_match_dp_accounting() {
    let acc = gaussians();
    let pld = acc.epsilon(1e-6, Method::Pld).unwrap();
    let rdp = acc.epsilon(1e-6, Method::Rdp).unwrap();
    let exact = acc.epsilon(1e-6, Method::Zcdp).unwrap();
    eprintln!("1000 Gaussians σ/Δ = 10, δ = 1e-6: PLD {pld}, RDP {rdp}, exact {exact}");
    assert!(within(pld, 19.4236564771063, 0.01), "PLD {pld}");
    assert!(within(rdp, 20.551991629803823, 0.01), "RDP {rdp}");
    // Upper bounds: PLD and RDP are at least the exact (Balle–Wang) ε.
    assert!(pld >= exact && rdp >= pld, "{exact} {pld} {rdp}");
    assert!(within(exact, 19.4236564771063, 0.001), "exact {exact}");
}

/// "gaussian sigma/sens=10 k=1000 eps=10 PLD delta = 0.03377954540079501"
#[test]
fn thousand_gaussians_delta_matches_dp_accounting() {
    let acc = gaussians();
    let pld = acc.delta(10.0, Method::Pld).unwrap();
    let exact = acc.delta(10.0, Method::Zcdp).unwrap();
    assert!(within(pld, 0.03377954540079501, 0.01), "PLD {pld}");
    assert!(pld >= exact * (1.0 - 1e-12) && within(exact, 0.03377954540079501, 0.01));
}

/// Basic: exactly 10 (100 × 0.1).
/// "laplace eps=0.1 k=100 delta=1e-6 PLD eps = 4.6926674386475"
/// "laplace eps=0.1 k=100 delta=1e-6 RDP eps = 4.984173965049364"
/// "laplace eps=0.1 k=100 delta=1e-6 DRV advanced eps = 6.308230950513408"
/// "laplace eps=0.1 k=100 delta=1e-6 KOV (staircase) eps = 4.800000000000001"
#[test]
fn hundred_laplaces_match_dp_accounting() {
    let acc = laplaces();
    let basic = acc.epsilon(1e-6, Method::Basic).unwrap();
    let advanced = acc.epsilon(1e-6, Method::Advanced).unwrap();
    let kov = acc.epsilon(1e-6, Method::OptimalHomogeneous).unwrap();
    let pld = acc.epsilon(1e-6, Method::Pld).unwrap();
    let rdp = acc.epsilon(1e-6, Method::Rdp).unwrap();
    let zcdp = acc.epsilon(1e-6, Method::Zcdp).unwrap();
    eprintln!(
        "100 Laplace ε = 0.1, δ = 1e-6: basic {basic}, advanced {advanced}, KOV {kov}, PLD {pld}, RDP {rdp}, zCDP {zcdp}"
    );
    assert!((10.0..=10.000000000000002).contains(&basic), "{basic}");
    assert!(within(advanced, 6.308230950513408, 1e-8) && advanced >= 6.308230950513408);
    assert!(within(pld, 4.6926674386475, 0.01), "PLD {pld}");
    // Connect the dots on a grid aligned to ε₀, tilted FFT: an upper bound of
    // the exact 4.6926674147 within 3·10⁻⁸ (pessimistic rounding gave 4.70006).
    assert!(pld > 4.6926674147 && pld <= 4.69268, "PLD {pld}");
    assert!(within(rdp, 4.984173965049364, 0.01), "RDP {rdp}");
    // KOV's exact inversion lies at or below dp_accounting's staircase value.
    assert!(kov <= 4.800000000000001 && kov > 4.7, "{kov}");
    // Laplace is better than the worst-case ε-DP mechanism: PLD ≤ KOV ≤ DRV ≤ basic.
    assert!(pld <= kov && kov <= advanced && advanced <= basic);
    let (best, eps) = acc.best_epsilon(1e-6).unwrap();
    assert_eq!((best, eps), (Method::Pld, pld));
}

/// "laplace b=3 k=37 delta=1e-9 PLD eps = 11.34809173021827": ours is at or
/// below it (and, unlike it, a proven upper bound); rounding losses up gave
/// 11.35081.
#[test]
fn thirty_seven_laplaces_at_delta_1e9_are_tighter_than_dp_accounting() {
    let mut acc = Accountant::new();
    acc.compose(
        PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 3.0,
        },
        37,
    )
    .unwrap();
    let pld = acc.epsilon(1e-9, Method::Pld).unwrap();
    assert!(pld <= 11.34809173021827 && pld > 11.3475, "PLD {pld}");
    assert!(acc.delta(pld, Method::Pld).unwrap() <= 1e-9);
    assert_eq!(acc.best_epsilon(1e-9).unwrap(), (Method::Pld, pld));
}

/// "discrete laplace t=5 (param 0.2) sens=2 k=50 delta=1e-6 PLD eps = 14.779197473579705"
#[test]
fn discrete_laplace_matches_dp_accounting() {
    let mut acc = Accountant::new();
    acc.compose(
        PrivacyEvent::DiscreteLaplace {
            l1_sensitivity: 2.0,
            scale: 5.0,
        },
        50,
    )
    .unwrap();
    let pld = acc.epsilon(1e-6, Method::Pld).unwrap();
    assert!(within(pld, 14.779197473579705, 0.01), "PLD {pld}");
    assert!(pld <= acc.epsilon(1e-6, Method::Rdp).unwrap());
}

/// "randomized response eps=ln5 4 buckets x20 delta=1e-6 PLD eps = 32.17783707238083"
/// (dp_accounting 0.6.0's PLDAccountant ignores `count` for randomized
/// response and reports 1.60949839999872 for 20 releases: an under-count we
/// must not reproduce.)
#[test]
fn randomized_response_matches_dp_accounting_and_counts_every_release() {
    let mut acc = Accountant::new();
    acc.compose(
        PrivacyEvent::RandomizedResponse {
            epsilon: 5f64.ln(),
            categories: 4,
        },
        20,
    )
    .unwrap();
    let pld = acc.epsilon(1e-6, Method::Pld).unwrap();
    assert!(within(pld, 32.17783707238083, 0.01), "PLD {pld}");
    assert!(pld > 20.0);
}

#[test]
fn laplace_rdp_orders_are_dp_accountings() {
    assert_eq!(RDP_ORDERS.len(), 156);
}

#[test]
fn planners_agree_with_the_accountant() {
    let sigma = gaussian_sigma(1.0, 1000, 19.4236564771063, 1e-6, Method::Best).unwrap();
    assert!(within(sigma, 10.0, 1e-4), "{sigma}");
    let sigma_pld = gaussian_sigma(1.0, 1000, 19.4236564771063, 1e-6, Method::Pld).unwrap();
    assert!(
        sigma_pld >= sigma && within(sigma_pld, 10.0, 0.01),
        "{sigma_pld}"
    );
    let k = max_releases(
        PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 10.0,
        },
        4.7,
        1e-6,
        Method::Pld,
    )
    .unwrap();
    assert!((95..=101).contains(&k), "{k}");
    let b = laplace_scale(1.0, 100, 10.0, 1e-6, Method::Basic).unwrap();
    assert!(within(b, 10.0, 1e-5) && b >= 10.0, "{b}");
    let b_best = laplace_scale(1.0, 100, 4.7, 1e-6, Method::Best).unwrap();
    assert!(within(b_best, 10.0, 0.01), "{b_best}");
}

/// One discrete Gaussian on an integer query: the accountant uses the
/// mechanism's rigorous bound, the continuous Gaussian's exact δ plus a term
/// e^(−u²/2)/(√(2π)σ) that vanishes as σ grows. At the float mechanisms'
/// scale (σ = Δ = 2³⁰, μ = 1) ε at δ = 1e-5 is dp_accounting's Gaussian
/// value, "get_epsilon_gaussian(1.0, 1e-5) = 4.377178095681137"; at σ = Δ =
/// 1000 it is still well below the CKS20 conversion of ρ = 1/2 (4.7284).
#[test]
fn one_discrete_gaussian_is_accounted_by_its_own_bound() {
    let at_scale = |s: f64| PrivacyEvent::discrete_gaussian(s, s);
    let event = at_scale(2f64.powi(30));
    let eps = event.epsilon_at_delta(1e-5).unwrap();
    assert!(eps >= 4.377178095681137, "an upper bound: {eps}");
    assert!(within(eps, 4.377178095681137, 1e-6), "{eps}");
    let delta = event.delta_at_epsilon(eps).unwrap();
    assert!(delta <= 1e-5 && delta > 0.99e-5, "{delta}");
    let zcdp_only = PrivacyEvent::Zcdp { rho: 0.5 }
        .epsilon_at_delta(1e-5)
        .unwrap();
    assert!(zcdp_only > 4.72, "{zcdp_only}");
    let eps_1000 = at_scale(1000.0).epsilon_at_delta(1e-5).unwrap();
    assert!(eps_1000 > eps && eps_1000 < 4.4, "{eps_1000}");
    // The basic accountant of one release gets the same answer; many
    // releases still compose through zCDP (ρ adds up).
    let mut acc = Accountant::new();
    acc.compose(event, 1).unwrap();
    let basic = acc.epsilon(1e-5, Method::Basic).unwrap();
    assert!(basic >= eps && within(basic, eps, 1e-6), "{basic}");
    // Small σ: the exact CKS20 Thm. 7 sum (σ = 2, Δ = 1), close to the
    // continuous Gaussian's δ at the same ε, far below the CKS20 δ of ρ.
    let small = PrivacyEvent::discrete_gaussian(1.0, 2.0);
    let cont = PrivacyEvent::Gaussian {
        l2_sensitivity: 1.0,
        sigma: 2.0,
    };
    let rho = PrivacyEvent::Zcdp { rho: 0.125 };
    let (ds, dc, dz) = (
        small.delta_at_epsilon(1.0).unwrap(),
        cont.delta_at_epsilon(1.0).unwrap(),
        rho.delta_at_epsilon(1.0).unwrap(),
    );
    assert!(ds > 0.0 && ds < dc * 1.1 && ds < dz, "{ds} vs {dc}, {dz}");
}
