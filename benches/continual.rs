//! Continual release and amplified accounting.
//!
//! `cargo bench --bench continual`
//!
//! - `continual/push_laplace_t1024`, `continual/push_gaussian_t1024`: one
//!   period of a counter over 1024 periods (one node noised, ≤ 11 added).
//! - `continual/series_laplace_t52`: a whole 52-week series, from building
//!   the counter to the last running total.
//! - `accountant/sampled_gaussian_rdp_k1000`: ε of 1000 Poisson-sampled
//!   Gaussian releases by RDP (156 orders plus the search over every order).
//! - `accountant/sampled_gaussian_sigma`: the planner's σ for that target.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ilsprivacy::accountant::{Method, PrivacyEvent, epsilon_after, sampled_gaussian_sigma};
use ilsprivacy::mechanism::ContinualCounter;

fn continual(c: &mut Criterion) {
    let mut g = c.benchmark_group("continual");
    for (name, proto) in [
        (
            "push_laplace_t1024",
            ContinualCounter::laplace(1024, 1, 1.0).unwrap(),
        ),
        (
            "push_gaussian_t1024",
            ContinualCounter::gaussian(1024, 1, 0.5).unwrap(),
        ),
    ] {
        let mut counter = proto.clone();
        g.bench_function(name, |b| {
            b.iter(|| {
                if counter.periods_done() == counter.periods() {
                    counter = proto.clone();
                }
                counter.push(black_box(120)).unwrap()
            })
        });
    }
    g.bench_function("series_laplace_t52", |b| {
        b.iter(|| {
            let mut c = ContinualCounter::laplace(52, 4, 0.5).unwrap();
            let mut last = 0;
            for week in 0..52 {
                last = c.push(black_box(100 + week)).unwrap();
            }
            last
        })
    });
    g.finish();
}

fn accounting(c: &mut Criterion) {
    let mut g = c.benchmark_group("accountant");
    g.sample_size(20);
    let event = PrivacyEvent::PoissonSampledGaussian {
        l2_sensitivity: 1.0,
        sigma: 1.0,
        rate: 0.01,
    };
    g.bench_function("sampled_gaussian_rdp_k1000", |b| {
        b.iter(|| epsilon_after(black_box(event), 1000, 1e-5, Method::Rdp).unwrap())
    });
    g.bench_function("sampled_gaussian_sigma", |b| {
        b.iter(|| sampled_gaussian_sigma(1.0, 0.01, 1000, 2.0, 1e-5, Method::Best).unwrap())
    });
    g.finish();
}

criterion_group!(benches, continual, accounting);
criterion_main!(benches);
