//! Untrusted input never panics and never aborts a run: damaged CSV rows go
//! to the quarantine, and damaged serialized states are typed errors.

use ilsprivacy::Status;
use ilsprivacy::aggregate::{Aggregator, AggregatorConfig, CsvColumns, CsvEvents, Event};
use proptest::prelude::*;

fn sample_state() -> Vec<u8> {
    let config = AggregatorConfig::new(2)
        .unwrap()
        .with_value_bounds(0, 30)
        .unwrap();
    let mut agg = Aggregator::new(config);
    for i in 0..20u64 {
        let unit = format!("token-{}", i % 7);
        let partition = format!("branch-{}", i % 5);
        agg.add(
            Event::new(&unit, &partition)
                .with_count(i)
                .with_value(i as i64),
        )
        .unwrap();
    }
    agg.to_bytes().unwrap()
}

proptest! {
    #[test]
    fn arbitrary_bytes_are_rejected_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut input = b"ILSPAGG\0\x01\x00".to_vec();
        input.extend_from_slice(&bytes);
        for candidate in [&bytes[..], &input[..]] {
            if let Err(e) = Aggregator::from_bytes(candidate) {
                prop_assert_eq!(e.status(), Status::InvalidArgument);
            }
        }
    }

    #[test]
    fn damaged_states_are_errors_or_valid_states(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut state = sample_state();
        for (at, byte) in edits {
            let i = at.index(state.len());
            state[i] = byte;
        }
        match Aggregator::from_bytes(&state) {
            Ok(agg) => {
                // A state that parses is usable: it serializes and merges.
                let again = Aggregator::from_bytes(&agg.to_bytes().unwrap()).unwrap();
                let mut merged = agg.new_shard();
                merged.merge(&again).unwrap();
            }
            Err(e) => prop_assert_eq!(e.status(), Status::InvalidArgument),
        }
    }

    #[test]
    fn arbitrary_csv_never_aborts(body in prop::collection::vec(prop::sample::select(vec![b'a', b'1', b',', b'\n', b'"', b' ', b'-', 0xFF, 0x1F]), 0..400)) {
        let mut data = b"patron,branch,items\n".to_vec();
        data.extend_from_slice(&body);
        let columns = CsvColumns::new("patron", "branch").with_count("items");
        let mut rows = CsvEvents::new(&data[..], &columns).unwrap();
        let mut agg = Aggregator::new(AggregatorConfig::new(1).unwrap());
        let mut good = 0u64;
        loop {
            match rows.next_event() {
                Ok(Some(event)) => {
                    agg.add(event).unwrap();
                    good += 1;
                }
                Ok(None) => break,
                // An unclosed quote stops the run, naming its line.
                Err(e) => {
                    prop_assert_eq!(e.status(), Status::InvalidArgument);
                    prop_assert!(e.to_string().starts_with("input line "), "{}", e);
                    break;
                }
            }
        }
        prop_assert_eq!(good + rows.quarantine().rows(), rows.rows_read());
        prop_assert_eq!(agg.stats().events, good);
    }
}
