//! The configuration of an aggregator: how many partitions a privacy unit may
//! touch (L0), the bounds each event's value is clamped to, the partitions
//! (a public list or keys read from the data), and the key that makes the
//! choice of a unit's kept partitions uniformly random.

use std::fmt;

use crate::error::{Error, Result};
use crate::rng::{NoiseRng, with_secure_rng};

/// The largest accepted `max_partitions_per_unit` (L0).
///
/// A unit's state holds up to L0 cells of 32 bytes, so this also caps the
/// memory one unit can take (2 MiB) whatever the input.
///
/// cbindgen:ignore
pub const MAX_PARTITIONS_PER_UNIT_LIMIT: u32 = 1 << 16;

/// The 128-bit key of the keyed hash (SipHash-2-4) that ranks a unit's
/// partitions for L0 bounding.
///
/// Each unit keeps the L0 partitions whose hash of (unit, partition) is
/// smallest. Under a key drawn at random, that is a uniformly random L0-subset
/// of the unit's distinct partitions. Every shard of one job must use the same
/// key (take it from [`crate::aggregate::Aggregator::new_shard`] or a
/// serialized state) so that merged shards equal the unsharded run.
///
/// The key is not what protects privacy: any key gives the same sensitivity
/// bound, because the choice depends only on the unit's own events. It is not
/// printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SelectionKey([u8; 16]);

impl SelectionKey {
    /// A fresh key from the secure generator.
    ///
    /// # Errors
    ///
    /// [`Error::Entropy`] if the operating system cannot provide randomness.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; 16];
        with_secure_rng(|rng| rng.fill_bytes(&mut bytes))?;
        Ok(SelectionKey(bytes))
    }

    /// A key from its 16 bytes (for example to reproduce a job's shards).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        SelectionKey(bytes)
    }

    /// The key's 16 bytes.
    pub fn to_bytes(&self) -> [u8; 16] {
        self.0
    }
}

impl fmt::Debug for SelectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SelectionKey(..)")
    }
}

/// The interval `[lo, hi]` every event's value is clamped to before it is summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueBounds {
    lo: i64,
    hi: i64,
}

impl ValueBounds {
    /// Bounds `[lo, hi]`, in the integer unit of the values (cents, days ...).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `lo > hi`.
    pub fn new(lo: i64, hi: i64) -> Result<Self> {
        if lo > hi {
            return Err(Error::invalid(
                "lo",
                format!("must be <= hi, got lo = {lo} > hi = {hi}"),
            ));
        }
        Ok(ValueBounds { lo, hi })
    }

    /// The lower bound.
    pub fn lo(&self) -> i64 {
        self.lo
    }

    /// The upper bound.
    pub fn hi(&self) -> i64 {
        self.hi
    }

    /// `value` clamped to `[lo, hi]`.
    #[inline]
    pub fn clamp(&self, value: i64) -> i64 {
        value.clamp(self.lo, self.hi)
    }

    /// `max(|lo|, |hi|)`: how far one clamped value moves a sum.
    pub fn magnitude(&self) -> u64 {
        self.lo.unsigned_abs().max(self.hi.unsigned_abs())
    }
}

/// Where the partitions of the released table come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Partitions {
    /// A public list fixed before looking at the data (for example the
    /// library's branch codes). Every listed partition is released, zero-filled
    /// when no event falls in it; events of other partitions are dropped.
    Public(Vec<Box<[u8]>>),
    /// Keys taken from the data. Which of them are released is decided by
    /// differentially private partition selection, whose δ is charged.
    FromData,
}

/// Everything an [`Aggregator`](crate::aggregate::Aggregator) needs before
/// the first event: the L0 bound, the value bounds, the partitions and the
/// selection key. Shards of one job must have equal configurations.
///
/// ```
/// use ilsprivacy::aggregate::AggregatorConfig;
/// let config = AggregatorConfig::new(3)?
///     .with_value_bounds(0, 90)?
///     .with_public_partitions(["CENTRAL", "EAST", "WEST"])?;
/// assert_eq!(config.max_partitions_per_unit(), 3);
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregatorConfig {
    max_partitions_per_unit: u32,
    value_bounds: Option<ValueBounds>,
    partitions: Partitions,
    selection_key: SelectionKey,
}

impl AggregatorConfig {
    /// A configuration where each privacy unit contributes to at most
    /// `max_partitions_per_unit` (L0) partitions, with partitions taken from
    /// the data, values not summed, and a fresh selection key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `1 <= max_partitions_per_unit <=`
    /// [`MAX_PARTITIONS_PER_UNIT_LIMIT`]; [`Error::Entropy`] if no key can be drawn.
    pub fn new(max_partitions_per_unit: u32) -> Result<Self> {
        check_l0(max_partitions_per_unit)?;
        Ok(AggregatorConfig {
            max_partitions_per_unit,
            value_bounds: None,
            partitions: Partitions::FromData,
            selection_key: SelectionKey::generate()?,
        })
    }

    /// Also sums each event's value, clamped to `[lo, hi]`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `lo > hi`.
    pub fn with_value_bounds(mut self, lo: i64, hi: i64) -> Result<Self> {
        self.value_bounds = Some(ValueBounds::new(lo, hi)?);
        Ok(self)
    }

    /// Uses a public list of partitions, released in this order.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the list is empty, or a key is empty or
    /// repeated (the message gives its position, not the key).
    pub fn with_public_partitions<I, K>(mut self, keys: I) -> Result<Self>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<[u8]>,
    {
        let keys: Vec<Box<[u8]>> = keys.into_iter().map(|k| Box::from(k.as_ref())).collect();
        check_public_partitions(&keys)?;
        self.partitions = Partitions::Public(keys);
        Ok(self)
    }

    /// Uses `key` instead of the freshly drawn one (all shards of a job share one).
    pub fn with_selection_key(mut self, key: SelectionKey) -> Self {
        self.selection_key = key;
        self
    }

    /// L0, the most partitions one unit contributes to.
    pub fn max_partitions_per_unit(&self) -> u32 {
        self.max_partitions_per_unit
    }

    /// The bounds values are clamped to, if values are summed.
    pub fn value_bounds(&self) -> Option<ValueBounds> {
        self.value_bounds
    }

    /// The partitions' source.
    pub fn partitions(&self) -> &Partitions {
        &self.partitions
    }

    /// The selection key.
    pub fn selection_key(&self) -> &SelectionKey {
        &self.selection_key
    }

    /// The L0 bound that actually holds: `max_partitions_per_unit`, or the
    /// number of public partitions if that is smaller.
    pub fn effective_l0(&self) -> u32 {
        match &self.partitions {
            Partitions::Public(keys) => {
                let n = u32::try_from(keys.len()).unwrap_or(u32::MAX);
                self.max_partitions_per_unit.min(n)
            }
            Partitions::FromData => self.max_partitions_per_unit,
        }
    }

    pub(crate) fn from_parts(
        max_partitions_per_unit: u32,
        value_bounds: Option<ValueBounds>,
        partitions: Partitions,
        selection_key: SelectionKey,
    ) -> Self {
        AggregatorConfig {
            max_partitions_per_unit,
            value_bounds,
            partitions,
            selection_key,
        }
    }
}

pub(crate) fn check_l0(l0: u32) -> Result<()> {
    if l0 == 0 || l0 > MAX_PARTITIONS_PER_UNIT_LIMIT {
        return Err(Error::invalid(
            "max_partitions_per_unit",
            format!("must be in [1, {MAX_PARTITIONS_PER_UNIT_LIMIT}], got {l0}"),
        ));
    }
    Ok(())
}

pub(crate) fn check_public_partitions(keys: &[Box<[u8]>]) -> Result<()> {
    if keys.is_empty() {
        return Err(Error::invalid("public_partitions", "must not be empty"));
    }
    if u32::try_from(keys.len()).is_err() {
        return Err(Error::invalid(
            "public_partitions",
            format!("must have at most {} keys", u32::MAX),
        ));
    }
    let mut seen = std::collections::HashMap::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        if k.is_empty() {
            return Err(Error::invalid(
                "public_partitions",
                format!("key {i} is empty"),
            ));
        }
        if let Some(first) = seen.insert(&k[..], i) {
            return Err(Error::invalid(
                "public_partitions",
                format!("key {i} repeats key {first}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn rejects_bad_l0_bounds_and_lists() {
        for l0 in [0, MAX_PARTITIONS_PER_UNIT_LIMIT + 1] {
            let e = AggregatorConfig::new(l0).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument);
            assert!(
                e.to_string()
                    .starts_with("max_partitions_per_unit must be in [1, 65536]")
            );
        }
        let c = AggregatorConfig::new(2).unwrap();
        let e = c.clone().with_value_bounds(5, 1).unwrap_err();
        assert_eq!(e.to_string(), "lo must be <= hi, got lo = 5 > hi = 1");
        let e = c
            .clone()
            .with_public_partitions(Vec::<&str>::new())
            .unwrap_err();
        assert_eq!(e.to_string(), "public_partitions must not be empty");
        let e = c.clone().with_public_partitions(["A", ""]).unwrap_err();
        assert_eq!(e.to_string(), "public_partitions key 1 is empty");
        let e = c.with_public_partitions(["A", "B", "A"]).unwrap_err();
        assert_eq!(e.to_string(), "public_partitions key 2 repeats key 0");
    }

    #[test]
    fn effective_l0_is_capped_by_the_public_list() {
        let c = AggregatorConfig::new(5).unwrap();
        assert_eq!(c.effective_l0(), 5);
        let c = c.with_public_partitions(["A", "B"]).unwrap();
        assert_eq!(c.effective_l0(), 2);
    }

    #[test]
    fn keys_are_fresh_and_not_printed() {
        let a = SelectionKey::generate().unwrap();
        let b = SelectionKey::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "SelectionKey(..)");
        let c = AggregatorConfig::new(1).unwrap();
        assert!(format!("{c:?}").contains("SelectionKey(..)"));
        assert_eq!(
            SelectionKey::from_bytes(a.to_bytes()).to_bytes(),
            a.to_bytes()
        );
    }

    #[test]
    fn magnitude_handles_extremes() {
        let b = ValueBounds::new(i64::MIN, 3).unwrap();
        assert_eq!(b.magnitude(), 1u64 << 63);
        assert_eq!(b.clamp(i64::MAX), 3);
        let b = ValueBounds::new(-2, 10).unwrap();
        assert_eq!(b.magnitude(), 10);
    }
}
