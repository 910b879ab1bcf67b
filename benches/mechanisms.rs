//! Benchmarks of the exact samplers and mechanisms.
use criterion::{Criterion, criterion_group, criterion_main};
use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};
use std::hint::black_box;

fn rng_bench(c: &mut Criterion) {
    let mut rng = InsecureSeededRng::from_seed_insecure(1);
    c.bench_function("rng/next_u64", |b| b.iter(|| black_box(rng.next_u64())));
    let mut buf = vec![0u8; 4096];
    c.bench_function("rng/fill_4096", |b| {
        b.iter(|| {
            rng.fill_bytes(&mut buf);
            black_box(buf[7])
        })
    });
}

criterion_group!(benches, rng_bench);
criterion_main!(benches);
