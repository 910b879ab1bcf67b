//! Streaming aggregation from untrusted input: CSV rows read into an
//! aggregator, and serialized aggregator states (Rust API and C ABI).

use std::ptr::null_mut;

use ilsprivacy::Status;
use ilsprivacy::aggregate::{
    Aggregator, AggregatorConfig, CsvColumns, CsvEvents, Partitions, ReleasePlan, TableNoise,
};
use ilsprivacy::budget::{Budget, Limit};
use ilsprivacy::ffi::aggregate::{
    ilsp_aggregator, ilsp_aggregator_deserialize, ilsp_aggregator_free, ilsp_aggregator_serialize,
};
use ilsprivacy::ffi::{ILSP_ERR_BUFFER_TOO_SMALL, ILSP_OK};
use ilsprivacy::rng::InsecureSeededRng;

use super::support::checked;

/// The header put in front of the input when its first byte is even.
pub const HEADER: &[u8] = b"patron,branch,format,items,amount\n";

/// Reads the input as CSV (after [`HEADER`], or with its own header when the
/// first byte is odd) into an aggregator. Every data row is either an event
/// or quarantined; no event is refused by the aggregator; the state
/// round-trips through its serialized form.
pub fn csv(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let input = if mode % 2 == 0 {
        [HEADER, body].concat()
    } else {
        body.to_vec()
    };
    let mut columns = CsvColumns::new("patron", "branch");
    if mode & 2 != 0 {
        columns = columns.with_partition_columns(&["branch", "format"]);
    }
    if mode & 4 != 0 {
        columns = columns.with_count("items");
    }
    let mut config = AggregatorConfig::new(1 + u32::from(mode >> 5)).expect("a valid L0");
    if mode & 8 != 0 {
        columns = columns.with_value("amount");
        config = config.with_value_bounds(-100, 100).expect("lo <= hi");
    }
    if mode & 16 != 0 {
        config = config
            .with_public_partitions([&b"EAST"[..], b"WEST", b"MAIN"])
            .expect("distinct keys");
    }
    let mut rows = match CsvEvents::new(input.as_slice(), &columns) {
        Ok(rows) => rows,
        Err(e) => {
            assert!(
                matches!(
                    e.status(),
                    Status::InvalidArgument | Status::Encoding | Status::Io
                ),
                "header: {e}"
            );
            return;
        }
    };
    let mut aggregator = Aggregator::new(config);
    let mut good = 0u64;
    loop {
        match rows.next_event() {
            Ok(Some(event)) => {
                assert!(!event.unit.is_empty() && !event.partition.is_empty());
                aggregator
                    .add(event)
                    .expect("a row that parsed is a valid event");
                good += 1;
            }
            Ok(None) => break,
            Err(e) => {
                // Only an unclosed quote stops the reading (no I/O can fail on a slice).
                assert_eq!(e.status(), Status::InvalidArgument, "row: {e}");
                assert!(e.to_string().contains("quoted field"), "row: {e}");
                return;
            }
        }
    }
    assert_eq!(
        good + rows.quarantine().rows(),
        rows.rows_read(),
        "a row was neither an event nor quarantined"
    );
    let _ = rows.quarantine().to_string();
    assert_eq!(aggregator.stats().events, good);
    round_trip(&aggregator);
}

/// Reads the input as a serialized aggregator state, through the Rust API
/// and the C ABI, which must agree. A state that reads back serializes
/// canonically, merges with an empty shard of itself without change, and
/// releases.
pub fn state(data: &[u8]) {
    let parsed = Aggregator::from_bytes(data);
    let mut handle: *mut ilsp_aggregator = null_mut();
    let status = ilsp_aggregator_deserialize(data.as_ptr(), data.len(), &mut handle);
    checked("ilsp_aggregator_deserialize", status, &[]);
    assert_eq!(
        status == ILSP_OK,
        parsed.is_ok(),
        "the C ABI and Rust disagree"
    );
    let aggregator = match parsed {
        Ok(a) => a,
        Err(e) => {
            assert_eq!(e.status(), Status::InvalidArgument, "{e}");
            assert!(handle.is_null());
            return;
        }
    };
    let bytes = aggregator.to_bytes().expect("a valid state encodes");
    // The C ABI's copy serializes the same, by the documented size protocol.
    let mut len = 0usize;
    let status = ilsp_aggregator_serialize(handle, null_mut(), 0, &mut len);
    if bytes.is_empty() {
        assert_eq!(status, ILSP_OK);
    } else {
        assert_eq!(status, ILSP_ERR_BUFFER_TOO_SMALL);
        assert_eq!(len, bytes.len());
        let mut out = vec![0u8; len];
        let status = ilsp_aggregator_serialize(handle, out.as_mut_ptr(), len, &mut len);
        assert_eq!(checked("ilsp_aggregator_serialize", status, &[]), ILSP_OK);
        assert_eq!(out, bytes, "the C ABI serialized differently");
    }
    ilsp_aggregator_free(handle);

    round_trip(&aggregator);
    let mut merged = Aggregator::from_bytes(&bytes).expect("canonical bytes read back");
    merged
        .merge(&aggregator.new_shard())
        .expect("an empty shard of the same job merges");
    assert_eq!(
        merged.to_bytes().expect("encodes"),
        bytes,
        "merging nothing changed the state"
    );
    release(&aggregator);
}

/// Serializing, reading back and serializing again gives the same bytes.
fn round_trip(aggregator: &Aggregator) {
    let bytes = aggregator.to_bytes().expect("a valid state encodes");
    let again = Aggregator::from_bytes(&bytes).expect("its own bytes read back");
    assert_eq!(again.to_bytes().expect("encodes"), bytes, "not canonical");
    assert_eq!(again.stats(), aggregator.stats());
}

/// Releases with a plan that fits the state's configuration.
fn release(aggregator: &Aggregator) {
    let config = aggregator.config();
    let mut plan = ReleasePlan::new(2, TableNoise::Laplace { epsilon: 1.0 }).expect("valid");
    if config.value_bounds().is_some() {
        plan = plan
            .with_sum(TableNoise::Laplace { epsilon: 1.0 })
            .expect("valid");
    }
    if matches!(config.partitions(), Partitions::FromData) {
        plan = plan.with_partition_selection(1.0, 1e-6).expect("valid");
    }
    let budget = Budget::in_memory();
    budget
        .set_limit("fuzz", Limit::epsilon_delta(10.0, 1e-3).expect("valid"), "")
        .expect("a new account");
    let mut rng = InsecureSeededRng::from_seed_insecure(1);
    match aggregator.release_with(&plan, &budget, "fuzz", &mut rng) {
        Ok(table) => {
            assert!(table.rows.len() as u64 <= aggregator.stats().partitions);
        }
        Err(e) => assert_eq!(e.status(), Status::InvalidArgument, "release: {e}"),
    }
}
