//! Tokenization throughput (filled in with the C ABI and peers below).
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ilsprivacy::token::key::SecretKey;
use ilsprivacy::token::tokenizer::{TokenSpec, Tokenizer};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let t = Tokenizer::from_key(&SecretKey::from_bytes(&[7u8; 32]).unwrap());
    let ids: Vec<String> = (0..4096u64)
        .map(|i| format!("2100{:010}", i * 7919 % 10_000_000_000))
        .collect();
    let mut buf = Vec::new();
    let mut offsets = vec![0usize];
    for id in &ids {
        buf.extend_from_slice(id.as_bytes());
        offsets.push(buf.len());
    }
    let mut g = c.benchmark_group("tokenize");
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function("batch_compat_14B", |b| {
        let mut out = vec![0u8; 64 * ids.len()];
        b.iter(|| {
            t.tokenize_batch_into(TokenSpec::COMPAT, black_box(&buf), &offsets, &mut out)
                .unwrap()
        })
    });
    g.finish();
}
criterion_group!(benches, bench);
criterion_main!(benches);
