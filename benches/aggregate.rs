//! Throughput of the streaming aggregator.
//!
//! Run with `cargo bench --bench aggregate`. The workload is the circulation
//! job: 1,000,000 checkout events of 100,000 patrons (64-character hex
//! tokens, heavy-tailed activity) over 20 branches, counted per branch with a
//! public branch list and L0 = 3.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ilsprivacy::aggregate::{Aggregator, AggregatorConfig, Event, SelectionKey};
use ilsprivacy::rng::{InsecureSeededRng, NoiseRng};

const EVENTS: usize = 1_000_000;
const PATRONS: usize = 100_000;
const BRANCHES: usize = 20;

struct Workload {
    units: Vec<String>,
    branches: Vec<String>,
    events: Vec<(u32, u8)>,
}

/// Patron i is drawn with weight 1/(i+1)^0.8 (a Zipf-like tail); each patron
/// has a home branch and borrows elsewhere one time in five.
fn workload() -> Workload {
    let mut rng = InsecureSeededRng::from_seed_insecure(2024);
    let units: Vec<String> = (0..PATRONS)
        .map(|_| {
            let mut b = [0u8; 32];
            rng.fill_bytes(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect()
        })
        .collect();
    let branches: Vec<String> = (0..BRANCHES).map(|b| format!("BR{b:02}")).collect();
    let mut cdf = Vec::with_capacity(PATRONS);
    let mut total = 0.0;
    for i in 0..PATRONS {
        total += 1.0 / ((i + 1) as f64).powf(0.8);
        cdf.push(total);
    }
    let home: Vec<u8> = (0..PATRONS)
        .map(|_| rng.uniform_below(BRANCHES as u64) as u8)
        .collect();
    let events = (0..EVENTS)
        .map(|_| {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
            let p = cdf.partition_point(|&c| c < u).min(PATRONS - 1);
            let b = if rng.uniform_below(5) == 0 {
                rng.uniform_below(BRANCHES as u64) as u8
            } else {
                home[p]
            };
            (p as u32, b)
        })
        .collect();
    Workload {
        units,
        branches,
        events,
    }
}

fn bench_add(c: &mut Criterion) {
    let w = workload();
    let config = AggregatorConfig::new(3)
        .unwrap()
        .with_public_partitions(&w.branches)
        .unwrap()
        .with_selection_key(SelectionKey::from_bytes([1; 16]));
    // The events' bytes lie in stream order, as they would in a parsed
    // input buffer (not scattered over a pool of patron strings).
    let stream: Vec<u8> = w
        .events
        .iter()
        .flat_map(|&(u, _)| w.units[u as usize].bytes())
        .collect();
    let events: Vec<Event<'_>> = w
        .events
        .iter()
        .zip(stream.chunks_exact(64))
        .map(|(&(_, b), unit)| Event::new(unit, &w.branches[b as usize]))
        .collect();

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
