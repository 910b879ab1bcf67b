//! Benchmarks of the exact samplers and the mechanisms.
//!
//! Run: `cargo bench --bench mechanisms` (add `-- --quick` for a short run).
//! Batch benchmarks report time per element (throughput in elements/s).
//! The peer comparison (numpy, OpenDP) is `benches/peers/peers.py`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ilsprivacy::ffi::mechanism::{
    ilsp_gaussian, ilsp_gaussian_batch, ilsp_laplace, ilsp_laplace_batch,
};
use ilsprivacy::mechanism::{DiscreteGaussian, DiscreteLaplace, Gaussian, Laplace};
use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};
use ilsprivacy::sample::{
    DiscreteGaussianSampler, DiscreteLaplaceSampler, Rational, RoundedLaplaceSampler,
};

const BATCH: usize = 10_000;

fn first_call_costs() {
    // One-time costs, measured once per process before criterion runs.
    let t = Instant::now();
    let m = Laplace::new(1.0, 1.0).unwrap();
    let first = t.elapsed();
    let t = Instant::now();
    let _ = Laplace::new(3.0, 0.7).unwrap();
    let other = t.elapsed();
    let t = Instant::now();
    let _ = Gaussian::from_epsilon_delta(1.0, 1.0, 1e-6).unwrap();
    let gauss = t.elapsed();
    let mut out = 0.0;
    let t = Instant::now();
    ilsp_laplace(1.0, 2.0, 0.3, &mut out);
    let c_first = t.elapsed();
    let t = Instant::now();
    ilsp_laplace(1.0, 2.0, 0.3, &mut out);
    let c_second = t.elapsed();
    black_box((m, out));
    println!(
        "first-call costs: Laplace::new incl. process-wide tables {first:?}; \
         Laplace::new for a new scale {other:?}; Gaussian::from_epsilon_delta {gauss:?}; \
         ilsp_laplace first call with new parameters {c_first:?}, second call {c_second:?}"
    );
}

fn rng(c: &mut Criterion) {
    let mut rng = InsecureSeededRng::from_seed_insecure(1);
    c.bench_function("rng/next_u64", |b| b.iter(|| black_box(rng.next_u64())));
}

fn samplers(c: &mut Criterion) {
    first_call_costs();
    let mut rng = InsecureSeededRng::from_seed_insecure(2);
    let mut g = c.benchmark_group("sample");
    for log2 in [0i64, 10, 40] {
        let s = DiscreteLaplaceSampler::new(&Rational::from_integer(1).mul_pow2(log2)).unwrap();
        g.bench_with_input(
            BenchmarkId::new("discrete_laplace", format!("2^{log2}")),
            &s,
            |b, s| b.iter(|| black_box(s.sample(&mut rng))),
        );
    }
    let s = RoundedLaplaceSampler::new(&Rational::from_integer((1 << 40) + 1)).unwrap();
    g.bench_function("rounded_laplace/2^40+1", |b| {
        b.iter(|| black_box(s.sample(&mut rng)))
    });
    for log2 in [0i64, 10, 38] {
        let s = DiscreteGaussianSampler::new(&Rational::from_integer(3).mul_pow2(log2)).unwrap();
        g.bench_with_input(
            BenchmarkId::new("discrete_gaussian", format!("3*2^{log2}")),
            &s,
            |b, s| b.iter(|| black_box(s.sample(&mut rng))),
        );
    }
    g.finish();
}

fn mechanisms(c: &mut Criterion) {
    let values: Vec<f64> = (0..BATCH).map(|i| i as f64 * 0.37).collect();
    let ints: Vec<i64> = (0..BATCH as i64).collect();
    let mut out = vec![0.0; BATCH];
    let mut iout = vec![0i64; BATCH];

    let lap = Laplace::new(1.0, 1.0).unwrap();
    let gau = Gaussian::from_epsilon_delta(1.0, 1.0, 1e-6).unwrap();
    let dlap = DiscreteLaplace::new(1, 1.0).unwrap();
    let dgau = DiscreteGaussian::from_epsilon_delta(1, 1.0, 1e-6).unwrap();

    let mut g = c.benchmark_group("single");
    g.bench_function("laplace_f64", |b| {
        b.iter(|| black_box(lap.release(black_box(12.5))))
    });
    g.bench_function("gaussian_f64", |b| {
        b.iter(|| black_box(gau.release(black_box(12.5))))
    });
    g.bench_function("laplace_i64", |b| {
        b.iter(|| black_box(dlap.release(black_box(12))))
    });
    g.bench_function("gaussian_i64", |b| {
        b.iter(|| black_box(dgau.release(black_box(12))))
    });
    g.bench_function("ilsp_laplace", |b| {
        let mut o = 0.0;
        b.iter(|| black_box(ilsp_laplace(black_box(12.5), 1.0, 1.0, &mut o)))
    });
    g.bench_function("ilsp_gaussian", |b| {
        let mut o = 0.0;
        b.iter(|| black_box(ilsp_gaussian(black_box(12.5), 1.0, 1.0, 1e-6, &mut o)))
    });
    g.finish();

    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("laplace_f64", |b| {
        b.iter(|| lap.release_batch(&values, &mut out))
    });
    g.bench_function("gaussian_f64", |b| {
        b.iter(|| gau.release_batch(&values, &mut out))
    });
    g.bench_function("laplace_i64", |b| {
        b.iter(|| dlap.release_batch(&ints, &mut iout))
    });
    g.bench_function("gaussian_i64", |b| {
        b.iter(|| dgau.release_batch(&ints, &mut iout))
    });
    g.bench_function("ilsp_laplace_batch", |b| {
        b.iter(|| ilsp_laplace_batch(values.as_ptr(), BATCH, 1.0, 1.0, out.as_mut_ptr()))
    });
    g.bench_function("ilsp_gaussian_batch", |b| {
        b.iter(|| ilsp_gaussian_batch(values.as_ptr(), BATCH, 1.0, 1.0, 1e-6, out.as_mut_ptr()))
    });
    g.finish();
}

criterion_group!(benches, rng, samplers, mechanisms);
criterion_main!(benches);
