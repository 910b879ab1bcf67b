//! Merging shard states equals aggregating the whole stream: the serialized
//! (canonical) states are byte-for-byte equal, for random events, random
//! shard assignments, random event orders and serialization in between.

use ilsprivacy::aggregate::{Aggregator, AggregatorConfig, Event, SelectionKey};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Ev {
    unit: u8,
    partition: u8,
    count: u64,
    value: i64,
}

fn event() -> impl Strategy<Value = Ev> {
    (0u8..12, 0u8..9, 0u64..6, -40i64..40).prop_map(|(unit, partition, count, value)| Ev {
        unit,
        partition,
        count,
        value,
    })
}

fn feed(agg: &mut Aggregator, events: &[Ev]) {
    for e in events {
        // Half the units are hex tokens (stored compactly), half plain text.
        let unit = if e.unit % 2 == 0 {
            format!(
                "{:064x}",
                u64::from(e.unit).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            )
        } else {
            format!("patron-{}", e.unit)
        };
        let partition = format!("branch-{}", e.partition);
        agg.add(
            Event::new(&unit, &partition)
                .with_count(e.count)
                .with_value(e.value),
        )
        .unwrap();
    }
}

fn config(l0: u32, public: bool) -> AggregatorConfig {
    let c = AggregatorConfig::new(l0)
        .unwrap()
        .with_value_bounds(-10, 25)
        .unwrap()
        .with_selection_key(SelectionKey::from_bytes([42; 16]));
    if public {
        // Partitions 7 and 8 are not listed: their events are dropped.
        c.with_public_partitions((0..7).map(|p| format!("branch-{p}")))
            .unwrap()
    } else {
        c
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn merged_shards_equal_the_whole_stream(
        events in prop::collection::vec(event(), 0..200),
        shard_of in prop::collection::vec(0usize..4, 200),
        order_seed in any::<u64>(),
        l0 in 1u32..5,
        public in any::<bool>(),
        via_bytes in any::<bool>(),
    ) {
        let mut whole = Aggregator::new(config(l0, public));
        feed(&mut whole, &events);

        let mut shards: Vec<Vec<Ev>> = vec![Vec::new(); 4];
        for (i, e) in events.iter().enumerate() {
            shards[shard_of[i]].push(e.clone());
        }
        // Each shard sees its events in a scrambled order.
        for (s, shard) in shards.iter_mut().enumerate() {
            let n = shard.len();
            for i in (1..n).rev() {
                let j = (order_seed.wrapping_mul(6364136223846793005).wrapping_add((i * 7 + s) as u64) >> 33) as usize % (i + 1);
                shard.swap(i, j);
            }
        }
        let mut merged = whole.new_shard();
        for shard in shards.iter().rev() {
            let mut agg = whole.new_shard();
            feed(&mut agg, shard);
            if via_bytes {
                agg = Aggregator::from_bytes(&agg.to_bytes().unwrap()).unwrap();
            }
            merged.merge(&agg).unwrap();
        }
        prop_assert_eq!(merged.stats(), whole.stats());
        prop_assert_eq!(merged.to_bytes().unwrap(), whole.to_bytes().unwrap());
    }
}

/// Shards that were given different selection keys cannot be merged: their
/// bottom-L0 choices are not comparable.
#[test]
fn shards_of_different_jobs_do_not_merge() {
    let a = Aggregator::new(AggregatorConfig::new(2).unwrap());
    let mut b = Aggregator::new(AggregatorConfig::new(2).unwrap());
    let e = b.merge(&a).unwrap_err();
    assert!(e.to_string().contains("selection key"), "{e}");
    b.merge(&b.new_shard()).unwrap();
}

/// A patron in the most partitions a configuration allows (L0 = 65,536)
/// survives a write and a read, and reading it back takes linear time: the
/// check for a repeated partition inside a unit used to compare every pair of
/// its cells (2·10⁹ comparisons here, seconds), so a shard state crafted this
/// way stalled the process reading it.
#[test]
fn a_unit_at_the_largest_l0_reads_back_quickly() {
    let l0 = ilsprivacy::aggregate::MAX_PARTITIONS_PER_UNIT_LIMIT;
    let mut agg = Aggregator::new(
        AggregatorConfig::new(l0)
            .unwrap()
            .with_selection_key(SelectionKey::from_bytes([7; 16])),
    );
    for p in 0..l0 {
        agg.add(Event::new("one patron", &format!("p{p}"))).unwrap();
    }
    let bytes = agg.to_bytes().unwrap();
    let start = std::time::Instant::now();
    let back = Aggregator::from_bytes(&bytes).unwrap();
    let took = start.elapsed();
    assert_eq!(back.to_bytes().unwrap(), bytes);
    assert!(took.as_secs_f64() < 1.0, "reading the state took {took:?}");
}
