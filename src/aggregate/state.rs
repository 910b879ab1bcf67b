//! The serialized form of an aggregator's state, for moving shards between
//! processes and merging them before the one release.
//!
//! Layout: the 8 bytes `ILSPAGG\0`, the format version as a little-endian
//! `u16` (now 1), then a [postcard](https://docs.rs/postcard) encoding of
//! [`StateV1`] (serde). The encoding is canonical: partitions from data are
//! sorted by key, units by identifier, cells by partition, so two equal
//! states serialize to equal bytes (merged shards and the unsharded run
//! compare byte for byte).
//!
//! A state read back is checked in full (bounds, duplicates, indices, at most
//! L0 cells per unit) before use; a malformed one is an
//! [`Error::InvalidArgument`] on `state`, never a panic. The format version
//! is bumped on any change; older versions stay readable.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::aggregator::Aggregator;
use super::cells::{Cell, UNRANKED, UnitCells};
use super::config::{
    AggregatorConfig, Partitions, SelectionKey, ValueBounds, check_l0, check_public_partitions,
};
use super::partitions::PartitionTable;
use super::units::IdBytes;
use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"ILSPAGG\0";
/// The format version written by this library.
///
/// cbindgen:ignore
pub const STATE_FORMAT_VERSION: u16 = 1;

/// Version 1 of the state (field order is the wire order; never reorder).
#[derive(Serialize, Deserialize)]
struct StateV1<U> {
    max_partitions_per_unit: u32,
    value_bounds: Option<(i64, i64)>,
    public_partitions: bool,
    selection_key: [u8; 16],
    partitions: Vec<U>,
    events: u64,
    events_outside_public: u64,
    units: Vec<UnitV1<U>>,
}

#[derive(Serialize, Deserialize)]
struct UnitV1<U> {
    id: U,
    cells: Vec<CellV1>,
}

#[derive(Serialize, Deserialize)]
struct CellV1 {
    partition: u32,
    count: u32,
    sum: i128,
}

fn corrupt(reason: impl Into<String>) -> Error {
    Error::invalid("state", reason)
}

impl Aggregator {
    /// The state in its versioned, canonical binary form.
    ///
    /// The bytes hold every unit's identifier and exact totals: keep them as
    /// confidential as the input events.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if encoding fails (it cannot for a valid state).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        // Canonical partition numbering: the public order, or sorted keys.
        let order: Vec<u32> = {
            let mut o: Vec<u32> = (0..self.partitions.len() as u32).collect();
            if matches!(self.config.partitions(), Partitions::FromData) {
                o.sort_unstable_by(|&a, &b| {
                    self.partitions.keys[a as usize].cmp(&self.partitions.keys[b as usize])
                });
            }
            o
        };
        let mut canonical = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            canonical[old as usize] = new as u32;
        }
        let mut units: Vec<(IdBytes<'_>, &UnitCells)> = self
            .units
            .iter()
            .map(|(id, c)| (id.original(), c))
            .collect();
        units.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let state = StateV1::<&[u8]> {
            max_partitions_per_unit: self.config.max_partitions_per_unit(),
            value_bounds: self.config.value_bounds().map(|b| (b.lo(), b.hi())),
            public_partitions: matches!(self.config.partitions(), Partitions::Public(_)),
            selection_key: self.config.selection_key().to_bytes(),
            partitions: order
                .iter()
                .map(|&i| &self.partitions.keys[i as usize][..])
                .collect(),
            events: self.events,
            events_outside_public: self.events_outside_public,
            units: units
                .iter()
                .map(|(id, u)| {
                    let mut cells: Vec<CellV1> = u
                        .as_slice()
                        .iter()
                        .map(|c| CellV1 {
                            partition: canonical[c.partition as usize],
                            count: c.count,
                            sum: c.sum,
                        })
                        .collect();
                    cells.sort_unstable_by_key(|c| c.partition);
                    UnitV1 { id: &**id, cells }
                })
                .collect(),
        };
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&STATE_FORMAT_VERSION.to_le_bytes());
        postcard::to_extend(&state, out)
            .map_err(|e| Error::Internal(format!("cannot encode the aggregator state: {e}")))
    }

    /// Reads a state written by [`to_bytes`](Self::to_bytes) (by this or an
    /// older version of the library).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (parameter `state`) if the bytes are not an
    /// aggregator state, have an unknown version, or are inconsistent.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let body = bytes
            .strip_prefix(&MAGIC[..])
            .ok_or_else(|| corrupt("is not an aggregator state (bad magic bytes)"))?;
        let (version, body) = body
            .split_first_chunk::<2>()
            .ok_or_else(|| corrupt("is truncated (no format version)"))?;
        match u16::from_le_bytes(*version) {
            1 => {
                let (state, rest): (StateV1<Vec<u8>>, &[u8]) = postcard::take_from_bytes(body)
                    .map_err(|e| corrupt(format!("is malformed: {e}")))?;
                if !rest.is_empty() {
                    return Err(corrupt(format!(
                        "has {} trailing bytes after the encoded state",
                        rest.len()
                    )));
                }
                from_v1(state)
            }
            v => Err(corrupt(format!(
                "has format version {v}; this library reads versions 1 to {STATE_FORMAT_VERSION}"
            ))),
        }
    }
}

fn from_v1(s: StateV1<Vec<u8>>) -> Result<Aggregator> {
    check_l0(s.max_partitions_per_unit).map_err(|e| corrupt(e.to_string()))?;
    let value_bounds = s
        .value_bounds
        .map(|(lo, hi)| ValueBounds::new(lo, hi))
        .transpose()
        .map_err(|e| corrupt(e.to_string()))?;
    let keys: Vec<Box<[u8]>> = s
        .partitions
        .into_iter()
        .map(Vec::into_boxed_slice)
        .collect();
    let partitions = if s.public_partitions {
        check_public_partitions(&keys).map_err(|e| corrupt(e.to_string()))?;
        Partitions::Public(keys.clone())
    } else {
        if u32::try_from(keys.len()).is_err() {
            return Err(corrupt("has too many partitions"));
        }
        let mut seen = HashMap::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            if k.is_empty() {
                return Err(corrupt(format!("partition {i} is empty")));
            }
            if seen.insert(&k[..], i).is_some() {
                return Err(corrupt(format!("partition {i} is repeated")));
            }
        }
        Partitions::FromData
    };
    let selection_key = SelectionKey::from_bytes(s.selection_key);
    let config = AggregatorConfig::from_parts(
        s.max_partitions_per_unit,
        value_bounds,
        partitions,
        selection_key.clone(),
    );
    let mut agg = Aggregator::new(config);
    agg.partitions = PartitionTable::from_keys(keys);
    agg.events = s.events;
    agg.events_outside_public = s.events_outside_public;
    agg.units.reserve(s.units.len());
    let n_partitions = agg.partitions.len();
    for (i, u) in s.units.into_iter().enumerate() {
        if u.id.is_empty() {
            return Err(corrupt(format!("unit {i} has an empty identifier")));
        }
        if u.cells.is_empty() || u.cells.len() > agg.l0 {
            return Err(corrupt(format!(
                "unit {i} has {} cells, outside [1, {}]",
                u.cells.len(),
                agg.l0
            )));
        }
        // A repeated partition is found by sorting (a unit may hold up to
        // 65,536 cells: comparing every pair would take seconds).
        let mut ids: Vec<u32> = u.cells.iter().map(|c| c.partition).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(corrupt(format!("unit {i} repeats a partition")));
        }
        let mut cells = Vec::with_capacity(u.cells.len());
        for c in &u.cells {
            let p = c.partition as usize;
            if p >= n_partitions {
                return Err(corrupt(format!("unit {i} refers to a missing partition")));
            }
            cells.push(Cell {
                // At most L0 cells: no rank is needed.
                rank: UNRANKED,
                partition: c.partition,
                count: c.count,
                sum: c.sum,
            });
        }
        let key = agg.units.key(&u.id);
        if agg.units.get_mut(&key).is_some() {
            return Err(corrupt(format!("unit {i} is repeated")));
        }
        let first = cells.swap_remove(0);
        let mut unit = UnitCells::new(first);
        // At most L0 cells (checked above): nothing to rank or evict.
        unit.merge(
            cells,
            agg.l0,
            |_| UNRANKED,
            |p| &agg.partitions.keys[p as usize][..],
        );
        agg.units
            .insert_new(&key, unit)
            .map_err(|e| corrupt(e.to_string()))?;
    }
    Ok(agg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Event;
    use crate::error::Status;

    fn sample(public: bool) -> Aggregator {
        let mut c = AggregatorConfig::new(2)
            .unwrap()
            .with_value_bounds(-5, 50)
            .unwrap();
        if public {
            c = c.with_public_partitions(["C", "B", "A"]).unwrap();
        }
        let mut agg = Aggregator::new(c);
        for (u, p, v) in [
            ("u1", "A", 3),
            ("u1", "B", 70),
            ("u2", "C", -9),
            ("u1", "C", 1),
        ] {
            agg.add(Event::new(u, p).with_value(v)).unwrap();
        }
        agg.add(Event::new("u3", "Z").with_count(4)).unwrap();
        agg
    }

    #[test]
    fn round_trips_exactly() {
        for public in [false, true] {
            let a = sample(public);
            let bytes = a.to_bytes().unwrap();
            assert_eq!(&bytes[..8], MAGIC);
            let b = Aggregator::from_bytes(&bytes).unwrap();
            assert_eq!(b.to_bytes().unwrap(), bytes);
            assert_eq!(b.config(), a.config());
            assert_eq!(b.stats(), a.stats());
        }
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        let good = sample(false).to_bytes().unwrap();
        let e = Aggregator::from_bytes(b"hello").unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert_eq!(
            e.to_string(),
            "state is not an aggregator state (bad magic bytes)"
        );
        let mut v2 = good.clone();
        v2[8] = 9;
        let e = Aggregator::from_bytes(&v2).unwrap_err();
        assert!(e.to_string().contains("format version 9"), "{e}");
        let e = Aggregator::from_bytes(&good[..9]).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
        let mut trailing = good.clone();
        trailing.push(0);
        let e = Aggregator::from_bytes(&trailing).unwrap_err();
        assert!(e.to_string().contains("trailing"), "{e}");
        // Every truncation and every single-byte corruption is an error or a
        // valid state, never a panic.
        for n in 0..good.len() {
            let _ = Aggregator::from_bytes(&good[..n]);
            for bit in [0x01u8, 0x80] {
                let mut b = good.clone();
                b[n] ^= bit;
                if let Ok(agg) = Aggregator::from_bytes(&b) {
                    for u in agg.units.cells() {
                        assert!(u.as_slice().len() <= agg.l0);
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_states_that_break_the_l0_bound() {
        let state = StateV1::<Vec<u8>> {
            max_partitions_per_unit: 1,
            value_bounds: None,
            public_partitions: false,
            selection_key: [0; 16],
            partitions: vec![b"A".to_vec(), b"B".to_vec()],
            events: 2,
            events_outside_public: 0,
            units: vec![UnitV1 {
                id: b"u".to_vec(),
                cells: vec![
                    CellV1 {
                        partition: 0,
                        count: 1,
                        sum: 0,
                    },
                    CellV1 {
                        partition: 1,
                        count: 1,
                        sum: 0,
                    },
                ],
            }],
        };
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&1u16.to_le_bytes());
        let bytes = postcard::to_extend(&state, bytes).unwrap();
        let e = Aggregator::from_bytes(&bytes).unwrap_err();
        assert_eq!(e.to_string(), "state unit 0 has 2 cells, outside [1, 1]");
    }
}
