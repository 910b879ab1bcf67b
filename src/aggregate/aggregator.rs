//! The streaming aggregator: events in, one bounded state per privacy unit.

use std::collections::HashMap;
use std::fmt;

use foldhash::quality::RandomState;

use super::cells::{Cell, UnitCells, rank};
use super::config::{AggregatorConfig, Partitions};
use super::units::UnitTable;
use crate::error::{Error, Result};

/// One event of the stream: privacy unit `unit` (for example a patron token)
/// contributed `count` (usually 1) and `value` to partition `partition`.
///
/// `Debug` does not show the unit, the partition or the numbers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The privacy unit's identifier (non-empty bytes; use a token, not a raw patron ID).
    pub unit: &'a [u8],
    /// The partition's key (non-empty bytes), e.g. a branch code.
    pub partition: &'a [u8],
    /// How many contributions this event is (a checkout of 3 items is 3).
    pub count: u64,
    /// The value summed when the aggregator has value bounds (ignored otherwise).
    pub value: i64,
}

impl<'a> Event<'a> {
    /// An event of count 1 and value 0.
    pub fn new<U, P>(unit: &'a U, partition: &'a P) -> Self
    where
        U: AsRef<[u8]> + ?Sized,
        P: AsRef<[u8]> + ?Sized,
    {
        Event {
            unit: unit.as_ref(),
            partition: partition.as_ref(),
            count: 1,
            value: 0,
        }
    }

    /// The same event with count `count`.
    pub fn with_count(mut self, count: u64) -> Self {
        self.count = count;
        self
    }

    /// The same event with value `value`.
    pub fn with_value(mut self, value: i64) -> Self {
        self.value = value;
        self
    }

    fn check(&self) -> Result<()> {
        if self.unit.is_empty() {
            return Err(Error::invalid("unit", "must not be empty"));
        }
        if self.partition.is_empty() {
            return Err(Error::invalid("partition", "must not be empty"));
        }
        Ok(())
    }
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Event { .. }")
    }
}

/// Counters of what an aggregator has taken in.
///
/// These are exact, **not differentially private**: they are for the
/// operator's logs and progress display, never for publication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// Events added (including those outside the public partitions).
    pub events: u64,
    /// Events dropped because their partition is not in the public list.
    pub events_outside_public_partitions: u64,
    /// Distinct privacy units with state.
    pub units: u64,
    /// Partitions in the table (public ones, or distinct keys seen).
    pub partitions: u64,
}

/// The table of partitions: index ↔ key.
#[derive(Clone, Default)]
pub(crate) struct PartitionTable {
    pub(crate) keys: Vec<Box<[u8]>>,
    index: HashMap<Box<[u8]>, u32, RandomState>,
}

impl PartitionTable {
    pub(crate) fn from_keys(keys: Vec<Box<[u8]>>) -> Self {
        let index = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u32))
            .collect();
        PartitionTable { keys, index }
    }

    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// The key's index, adding it if new. `None` if the table is full (2³² keys).
    pub(crate) fn intern(&mut self, key: &[u8]) -> Option<u32> {
        if let Some(i) = self.get(key) {
            return Some(i);
        }
        let i = u32::try_from(self.keys.len()).ok()?;
        self.keys.push(Box::from(key));
        self.index.insert(Box::from(key), i);
        Some(i)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

/// A streaming grouped aggregator with per-unit contribution bounding.
///
/// Feed it events one by one ([`add`](Self::add)) or in batches
/// ([`add_batch`](Self::add_batch)); it keeps, per privacy unit, at most L0
/// cells (partition, count, sum), never the events themselves. Shards of one
/// job ([`new_shard`](Self::new_shard)) aggregate separately and
/// [`merge`](Self::merge); the merged state equals the state of one pass over
/// all events, in any order. See the [module documentation](super) for the
/// privacy argument and the memory bound.
///
/// The state holds exact per-unit totals: treat it (and its serialized form)
/// as confidential as the input. `Debug` shows only the configuration and
/// sizes.
///
/// Thread safety: `Send` and `Sync`; adding or merging needs `&mut`.
#[derive(Clone)]
pub struct Aggregator {
    pub(crate) config: AggregatorConfig,
    pub(crate) l0: usize,
    pub(crate) partitions: PartitionTable,
    pub(crate) units: UnitTable,
    pub(crate) events: u64,
    pub(crate) events_outside_public: u64,
}

impl fmt::Debug for Aggregator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aggregator")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new(config: AggregatorConfig) -> Self {
        let partitions = match config.partitions() {
            Partitions::Public(keys) => PartitionTable::from_keys(keys.clone()),
            Partitions::FromData => PartitionTable::default(),
        };
        Aggregator {
            l0: config.effective_l0() as usize,
            config,
            partitions,
            units: UnitTable::default(),
            events: 0,
            events_outside_public: 0,
        }
    }

    /// An empty aggregator with this one's configuration (including its
    /// selection key), for another shard of the same job.
    pub fn new_shard(&self) -> Self {
        Aggregator::new(self.config.clone())
    }

    /// The configuration.
    pub fn config(&self) -> &AggregatorConfig {
        &self.config
    }

    /// What has been taken in so far (exact counts, not for publication).
    pub fn stats(&self) -> IngestStats {
        IngestStats {
            events: self.events,
            events_outside_public_partitions: self.events_outside_public,
            units: self.units.len() as u64,
            partitions: self.partitions.len() as u64,
        }
    }

    /// Adds one event.
    ///
    /// With public partitions, an event of an unlisted partition is counted in
    /// [`IngestStats::events_outside_public_partitions`] and otherwise ignored.
    /// Counts above `u32::MAX` are saturated (the release caps each unit's
    /// cell at L∞ ≤ `u32::MAX` anyway).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the unit or partition is empty, or if
    /// 2³² distinct partitions have already been seen. Nothing is added then.
    #[inline]
    pub fn add(&mut self, event: Event<'_>) -> Result<()> {
        event.check()?;
        self.add_checked(&event)
    }

    /// Adds a batch of events, all or nothing.
    ///
    /// # Errors
    ///
    /// As [`add`](Self::add); the message names the index of the first bad
    /// event, and no event of the batch is added.
    pub fn add_batch(&mut self, events: &[Event<'_>]) -> Result<()> {
        for (i, e) in events.iter().enumerate() {
            e.check().map_err(|err| match err {
                Error::InvalidArgument { param, reason } => {
                    Error::invalid(param, format!("{reason} (event {i} of the batch)"))
                }
                other => other,
            })?;
        }
        if !matches!(self.config.partitions(), Partitions::Public(_)) {
            let new: usize = events
                .iter()
                .filter(|e| self.partitions.get(e.partition).is_none())
                .count();
            if self.partitions.len().saturating_add(new) > u32::MAX as usize {
                return Err(too_many_partitions());
            }
        }
        for e in events {
            self.add_checked(e)?;
        }
        Ok(())
    }

    #[inline]
    fn add_checked(&mut self, event: &Event<'_>) -> Result<()> {
        let partition = match self.config.partitions() {
            Partitions::Public(_) => match self.partitions.get(event.partition) {
                Some(p) => p,
                None => {
                    self.events += 1;
                    self.events_outside_public += 1;
                    return Ok(());
                }
            },
            Partitions::FromData => self
                .partitions
                .intern(event.partition)
                .ok_or_else(too_many_partitions)?,
        };
        self.events += 1;
        let count = u32::try_from(event.count).unwrap_or(u32::MAX);
        let value = match self.config.value_bounds() {
            Some(b) => b.clamp(event.value),
            None => 0,
        };
        let key = self.config.selection_key();
        let keys = &self.partitions.keys;
        let key_of = |p: u32| &keys[p as usize][..];
        let rank_of = || rank(key, event.unit, event.partition);
        let unit = self.units.key(event.unit);
        if let Some(cells) = self.units.get_mut(&unit) {
            cells.add(partition, count, value, self.l0, rank_of, key_of);
            return Ok(());
        }
        let cells = UnitCells::new(Cell {
            rank: rank_of(),
            partition,
            count,
            sum: i128::from(value),
        });
        if let Err(e) = self.units.insert_new(&unit, cells) {
            self.events -= 1;
            return Err(e);
        }
        Ok(())
    }

    /// Merges another shard's state into this one.
    ///
    /// The result equals the state of one aggregator fed both shards' events
    /// (in any order): the bottom-L0 choice of the union is made from the two
    /// bottom-L0 choices, and the totals of kept cells are complete.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `other` was configured differently
    /// (L0, value bounds, partitions or selection key); nothing is merged then.
    pub fn merge(&mut self, other: &Aggregator) -> Result<()> {
        self.check_compatible(other)?;
        // Translate the other table's partition indices to ours.
        let mut translate = Vec::with_capacity(other.partitions.len());
        if matches!(self.config.partitions(), Partitions::FromData) {
            let new = other
                .partitions
                .keys
                .iter()
                .filter(|k| self.partitions.get(k).is_none())
                .count();
            if self.partitions.len().saturating_add(new) > u32::MAX as usize {
                return Err(too_many_partitions());
            }
        }
        for k in &other.partitions.keys {
            let i = match self.config.partitions() {
                Partitions::Public(_) => self.partitions.get(k),
                Partitions::FromData => self.partitions.intern(k),
            };
            translate.push(i.ok_or_else(|| Error::Internal("partition table mismatch".into()))?);
        }
        let keys = &self.partitions.keys;
        let key_of = |p: u32| &keys[p as usize][..];
        for (id, theirs) in other.units.iter() {
            let original = id.original();
            let cells = theirs.as_slice().iter().map(|c| Cell {
                partition: translate[c.partition as usize],
                ..*c
            });
            let unit = self.units.key(&original);
            if let Some(mine) = self.units.get_mut(&unit) {
                mine.merge(cells, self.l0, key_of);
            } else {
                let mut cells: Vec<Cell> = cells.collect();
                let first = cells.swap_remove(0);
                let mut mine = UnitCells::new(first);
                mine.merge(cells, self.l0, key_of);
                self.units.insert_new(&unit, mine)?;
            }
        }
        self.events = self.events.saturating_add(other.events);
        self.events_outside_public = self
            .events_outside_public
            .saturating_add(other.events_outside_public);
        Ok(())
    }

    fn check_compatible(&self, other: &Aggregator) -> Result<()> {
        let (a, b) = (&self.config, &other.config);
        let what = if a.max_partitions_per_unit() != b.max_partitions_per_unit() {
            "max_partitions_per_unit"
        } else if a.value_bounds() != b.value_bounds() {
            "value bounds"
        } else if a.partitions() != b.partitions() {
            "partitions"
        } else if a.selection_key() != b.selection_key() {
            "selection key (shards of one job must come from new_shard or one serialized state)"
        } else {
            return Ok(());
        };
        Err(Error::invalid(
            "other",
            format!("was configured differently: {what} differ"),
        ))
    }
}

fn too_many_partitions() -> Error {
    Error::invalid(
        "partition",
        format!("is new but {} partitions were already seen", u32::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::config::SelectionKey;
    use crate::error::Status;

    fn config(l0: u32) -> AggregatorConfig {
        AggregatorConfig::new(l0)
            .unwrap()
            .with_selection_key(SelectionKey::from_bytes([7; 16]))
    }

    #[test]
    fn bad_events_are_rejected_and_batches_are_atomic() {
        let mut agg = Aggregator::new(config(2));
        let e = agg.add(Event::new("", "A")).unwrap_err();
        assert_eq!(e.to_string(), "unit must not be empty");
        let e = agg.add(Event::new("u", "")).unwrap_err();
        assert_eq!(e.to_string(), "partition must not be empty");
        let batch = [Event::new("u", "A"), Event::new("v", "")];
        let e = agg.add_batch(&batch).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert_eq!(
            e.to_string(),
            "partition must not be empty (event 1 of the batch)"
        );
        assert_eq!(agg.stats(), IngestStats::default());
        agg.add_batch(&batch[..1]).unwrap();
        assert_eq!(agg.stats().events, 1);
        assert_eq!(agg.stats().units, 1);
    }

    #[test]
    fn public_partitions_drop_unlisted_events() {
        let mut agg = Aggregator::new(config(2).with_public_partitions(["A", "B"]).unwrap());
        agg.add(Event::new("u", "A")).unwrap();
        agg.add(Event::new("u", "Z")).unwrap();
        let s = agg.stats();
        assert_eq!(s.events, 2);
        assert_eq!(s.events_outside_public_partitions, 1);
        assert_eq!(s.partitions, 2);
    }

    #[test]
    fn each_unit_keeps_at_most_l0_partitions() {
        let mut agg = Aggregator::new(config(3));
        for p in 0..50 {
            for _ in 0..3 {
                agg.add(Event::new("heavy", &format!("p{p}"))).unwrap();
            }
        }
        let k = agg.units.key(b"heavy");
        let cells = agg.units.get_mut(&k).unwrap().as_slice();
        assert_eq!(cells.len(), 3);
        assert!(cells.iter().all(|c| c.count == 3));
        assert_eq!(agg.stats().partitions, 50);
    }

    #[test]
    fn merge_rejects_other_jobs() {
        let a = Aggregator::new(config(2));
        let cases = [
            (config(3), "max_partitions_per_unit"),
            (config(2).with_value_bounds(0, 1).unwrap(), "value bounds"),
            (
                config(2).with_public_partitions(["A"]).unwrap(),
                "partitions",
            ),
            (
                config(2).with_selection_key(SelectionKey::from_bytes([8; 16])),
                "selection key",
            ),
        ];
        for (c, what) in cases {
            let e = a.clone().merge(&Aggregator::new(c)).unwrap_err();
            assert!(e.to_string().contains(what), "{e}");
        }
    }

    /// The kept partitions are a uniformly random L0-subset of the unit's
    /// distinct partitions, whatever the order and repetition of its events.
    /// One unit with 5 partitions (the first one repeated 20 times, arriving
    /// first) and L0 = 2: over 20,000 random keys each of the 10 subsets
    /// should appear 2,000 times. Chi-square with 9 degrees of freedom,
    /// critical value 27.88 at α = 0.001; the seed is fixed, so the test is
    /// deterministic.
    #[test]
    fn kept_partitions_are_a_uniform_subset() {
        use crate::rng::{InsecureSeededRng, NoiseRng};
        let mut rng = InsecureSeededRng::from_seed_insecure(11);
        let mut counts = std::collections::HashMap::<Vec<u8>, u64>::new();
        let trials = 20_000u64;
        for _ in 0..trials {
            let mut key = [0u8; 16];
            rng.fill_bytes(&mut key);
            let mut agg = Aggregator::new(
                AggregatorConfig::new(2)
                    .unwrap()
                    .with_selection_key(SelectionKey::from_bytes(key)),
            );
            for _ in 0..20 {
                agg.add(Event::new("u", "p0")).unwrap();
            }
            for p in ["p1", "p2", "p3", "p4", "p1", "p3"] {
                agg.add(Event::new("u", p)).unwrap();
            }
            let k = agg.units.key(b"u");
            let mut kept: Vec<u8> = agg
                .units
                .get_mut(&k)
                .unwrap()
                .as_slice()
                .iter()
                .map(|c| agg.partitions.keys[c.partition as usize][1])
                .collect();
            kept.sort();
            *counts.entry(kept).or_default() += 1;
        }
        assert_eq!(counts.len(), 10);
        let expected = trials as f64 / 10.0;
        let chi2: f64 = counts
            .values()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 27.88, "chi2 = {chi2}, counts = {counts:?}");
    }

    #[test]
    fn debug_hides_units_and_events() {
        let mut agg = Aggregator::new(config(1));
        agg.add(Event::new("patron-secret", "BRANCH").with_value(1234))
            .unwrap();
        let d = format!("{agg:?} {:?}", Event::new("patron-secret", "BRANCH"));
        assert!(!d.contains("patron-secret"), "{d}");
        assert!(!d.contains("1234"), "{d}");
    }
}
