//! Throughput of the streaming aggregator.
//!
//! Run with `cargo bench --bench aggregate`. The workload is the circulation
//! job: 1,000,000 checkout events of 100,000 patrons (64-character hex
//! tokens, heavy-tailed activity) over 20 branches, counted per branch with a
//! public branch list and L0 = 3.

#[path = "support/aggregate_workload.rs"]
mod aggregate_workload;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ilsprivacy::aggregate::{Aggregator, AggregatorConfig, SelectionKey};

const EVENTS: usize = 1_000_000;
const PATRONS: usize = 100_000;
const BRANCHES: usize = 20;

fn bench_add(c: &mut Criterion) {
    let w = aggregate_workload::workload(EVENTS, PATRONS, BRANCHES);
    let config = AggregatorConfig::new(3)
        .unwrap()
        .with_public_partitions(&w.branches)
        .unwrap()
        .with_selection_key(SelectionKey::from_bytes([1; 16]));
    // The events' bytes lie in stream order, as they would in a parsed
    // input buffer (not scattered over a pool of patron strings).
    let stream = w.unit_stream();
    let events = w.events(&stream);
    // The same events grouped by patron, as in an export sorted by patron.
    let sorted = aggregate_workload::workload(EVENTS, PATRONS, BRANCHES).sorted_by_patron();
    let sorted_stream = sorted.unit_stream();
    let sorted_events = sorted.events(&sorted_stream);

    let mut group = c.benchmark_group("aggregate");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(20);
    group.bench_function("count_public_partitions_1M_events_100k_units", |b| {
        b.iter_batched(
            || Aggregator::new(config.clone()),
            |mut agg| {
                for e in &events {
                    agg.add(*e).unwrap();
                }
                black_box(agg)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("count_public_partitions_add_batch", |b| {
        b.iter_batched(
            || Aggregator::new(config.clone()),
            |mut agg| {
                for chunk in events.chunks(4096) {
                    agg.add_batch(chunk).unwrap();
                }
                black_box(agg)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("count_public_partitions_add_batch_sorted_by_patron", |b| {
        b.iter_batched(
            || Aggregator::new(config.clone()),
            |mut agg| {
                for chunk in sorted_events.chunks(4096) {
                    agg.add_batch(chunk).unwrap();
                }
                black_box(agg)
            },
            BatchSize::PerIteration,
        )
    });
    let mut filled = Aggregator::new(config.clone());
    filled.add_batch(&events).unwrap();
    group.bench_function("merge_two_shards_of_500k_events", |b| {
        let (left, right) = events.split_at(EVENTS / 2);
        let mut a = Aggregator::new(config.clone());
        a.add_batch(left).unwrap();
        let mut r = Aggregator::new(config.clone());
        r.add_batch(right).unwrap();
        b.iter_batched(
            || a.clone(),
            |mut a| {
                a.merge(&r).unwrap();
                black_box(a)
            },
            BatchSize::PerIteration,
        )
    });
    group.throughput(Throughput::Elements(filled.stats().units));
    group.bench_function("serialize_and_read_back_state", |b| {
        b.iter(|| {
            let bytes = filled.to_bytes().unwrap();
            black_box(Aggregator::from_bytes(&bytes).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_add);
criterion_main!(benches);
