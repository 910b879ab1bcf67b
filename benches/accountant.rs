//! Accountant benchmarks: PLD and RDP composition and planning queries.
//!
//! ```sh
//! cargo bench --bench accountant
//! /tmp/dpacc/bin/python benches/peers/accounting_timing.py   # dp_accounting 0.6.0, same machine
//! ```
//!
//! Medians of `cargo bench --bench accountant --
//! 'pld_100_laplace|pld_37|best_1e17|rdp_100_laplace|pld_1000_gaussians_epsilon'`
//! on 2026-12-03 (shared 2-core machine, load ≈ 7, indicative): PLD ε of
//! 1000 Gaussians 18.8 ms; PLD 100 Laplace 24.1 ms; PLD 37 Laplace at
//! δ = 1e-9 23.2 ms; RDP 100 Laplace 69.9 µs (every order, not only the
//! grid); best for 10¹⁷ Laplace releases 4.4 ms (≈ 2 ms once PLD declines
//! after a window probe). For figures against dp_accounting measured in the
//! same run, use `benches/peers/run.sh --areas accounting` (README).

use criterion::{Criterion, criterion_group, criterion_main};
use ilsprivacy::accountant::{Accountant, Method, Pld, PrivacyEvent, gaussian_sigma, max_releases};
use std::hint::black_box;

fn gaussian() -> PrivacyEvent {
    PrivacyEvent::Gaussian {
        l2_sensitivity: 1.0,
        sigma: 10.0,
    }
}

fn laplace() -> PrivacyEvent {
    PrivacyEvent::Laplace {
        l1_sensitivity: 1.0,
        scale: 10.0,
    }
}

fn composition(c: &mut Criterion) {
    let mut g = c.benchmark_group("accountant");
    g.sample_size(20);
    // dp_accounting: PLDAccountant().compose(GaussianDpEvent(10), 1000).get_epsilon(1e-6)
    g.bench_function("pld_1000_gaussians_epsilon", |b| {
        b.iter(|| {
            let mut acc = Accountant::new();
            acc.compose(black_box(gaussian()), 1000).unwrap();
            acc.epsilon(1e-6, Method::Pld).unwrap()
        })
    });
    // dp_accounting: from_gaussian_mechanism(10).self_compose(1000).get_epsilon_for_delta(1e-6)
    g.bench_function("pld_1000_gaussians_fft_self_compose", |b| {
        let single = Pld::from_event(&gaussian(), 1e-4).unwrap();
        b.iter(|| {
            single
                .self_compose(black_box(1000))
                .unwrap()
                .epsilon(1e-6)
                .unwrap()
        })
    });
    g.bench_function("pld_100_laplace_epsilon", |b| {
        b.iter(|| {
            let mut acc = Accountant::new();
            acc.compose(black_box(laplace()), 100).unwrap();
            acc.epsilon(1e-6, Method::Pld).unwrap()
        })
    });
    // dp_accounting: PLDAccountant().compose(LaplaceDpEvent(3), 37).get_epsilon(1e-9)
    g.bench_function("pld_37_laplace_b3_epsilon_1e-9", |b| {
        let event = PrivacyEvent::Laplace {
            l1_sensitivity: 1.0,
            scale: 3.0,
        };
        b.iter(|| {
            let mut acc = Accountant::new();
            acc.compose(black_box(event), 37).unwrap();
            acc.epsilon(1e-9, Method::Pld).unwrap()
        })
    });
    g.bench_function("rdp_1000_gaussians_epsilon", |b| {
        b.iter(|| {
            let mut acc = Accountant::new();
            acc.compose(black_box(gaussian()), 1000).unwrap();
            acc.epsilon(1e-6, Method::Rdp).unwrap()
        })
    });
    g.bench_function("rdp_100_laplace_epsilon", |b| {
        b.iter(|| {
            let mut acc = Accountant::new();
            acc.compose(black_box(laplace()), 100).unwrap();
            acc.epsilon(1e-6, Method::Rdp).unwrap()
        })
    });
    g.bench_function("zcdp_exact_1000_gaussians_epsilon", |b| {
        b.iter(|| {
            let mut acc = Accountant::new();
            acc.compose(black_box(gaussian()), 1000).unwrap();
            acc.epsilon(1e-6, Method::Zcdp).unwrap()
        })
    });
    // Huge counts: answered in constant time (RDP over every order, the
    // optimal homogeneous bound's Rényi fallback; PLD declines).
    g.bench_function("best_1e17_laplace_epsilon", |b| {
        b.iter(|| {
            let mut acc = Accountant::new();
            acc.compose(black_box(laplace()), 100_000_000_000_000_000)
                .unwrap();
            acc.best_epsilon(1e-6).unwrap()
        })
    });
    g.finish();
}

fn planning(c: &mut Criterion) {
    let mut g = c.benchmark_group("planning");
    g.sample_size(10);
    g.bench_function("gaussian_sigma_best_k1000", |b| {
        b.iter(|| gaussian_sigma(1.0, black_box(1000), 19.4, 1e-6, Method::Best).unwrap())
    });
    g.bench_function("gaussian_sigma_rdp_k1000", |b| {
        b.iter(|| gaussian_sigma(1.0, black_box(1000), 19.4, 1e-6, Method::Rdp).unwrap())
    });
    g.bench_function("gaussian_sigma_pld_k1000", |b| {
        b.iter(|| gaussian_sigma(1.0, black_box(1000), 19.4, 1e-6, Method::Pld).unwrap())
    });
    g.bench_function("max_releases_laplace_rdp", |b| {
        b.iter(|| max_releases(black_box(laplace()), 4.7, 1e-6, Method::Rdp).unwrap())
    });
    g.bench_function("max_releases_laplace_pld", |b| {
        b.iter(|| max_releases(black_box(laplace()), 4.7, 1e-6, Method::Pld).unwrap())
    });
    g.finish();
}

criterion_group!(benches, composition, planning);
criterion_main!(benches);
