//! One privacy unit's bounded state: the (at most L0) partitions it keeps,
//! chosen as a bottom-k sketch of a keyed hash, with its raw totals in each.

use std::cmp::Ordering;
use std::hash::Hasher;

use siphasher::sip::SipHasher24;

use super::config::SelectionKey;

/// The rank of `partition` for `unit`: SipHash-2-4 under the job's selection
/// key of (length of `unit` as 8 bytes, `unit`, `partition`).
///
/// For a fixed unit, the ranks of distinct partitions behave as independent
/// uniform 64-bit numbers, so the L0 smallest form a uniformly random L0-subset.
pub(crate) fn rank(key: &SelectionKey, unit: &[u8], partition: &[u8]) -> u64 {
    let mut h = SipHasher24::new_with_key(&key.to_bytes());
    h.write(&(unit.len() as u64).to_le_bytes());
    h.write(unit);
    h.write(partition);
    h.finish()
}

/// A unit's raw contribution to one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    /// The partition's [`rank`] for this unit.
    pub(crate) rank: u64,
    /// The partition's index in the aggregator's partition table.
    pub(crate) partition: u32,
    /// Σ of the events' counts, saturating at `u32::MAX`. Saturation is exact
    /// for the release, which caps a cell at L∞ ≤ `u32::MAX`, and it is
    /// order-independent (min(a + b, M) is associative for a, b ≥ 0).
    pub(crate) count: u32,
    /// Σ of the events' clamped values. Exact: each term is below 2⁶³ in
    /// magnitude and fewer than 2⁶⁴ events exist, so the sum fits in i128.
    pub(crate) sum: i128,
}

/// The cells of one unit: the at most L0 partitions with the smallest
/// `(rank, partition key)` among every partition the unit has events in.
///
/// Invariant (what makes the result exact and mergeable): a partition kept at
/// the end was among the L0 smallest at every moment since its first event,
/// because the L0-th smallest rank only decreases as partitions arrive. So it
/// was never evicted, and its totals include every one of its events.
///
/// Most units use one partition, so one cell is stored inline (48 bytes in
/// all); more go to a heap vector grown one cell at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UnitCells {
    /// Exactly one cell.
    One(Cell),
    /// Two or more cells (at most L0).
    Many(Vec<Cell>),
}

impl UnitCells {
    /// The cells of a unit whose first event is in `cell`'s partition.
    pub(crate) fn new(cell: Cell) -> Self {
        UnitCells::One(cell)
    }

    /// The cells, in no particular order.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[Cell] {
        match self {
            UnitCells::One(c) => std::slice::from_ref(c),
            UnitCells::Many(v) => v,
        }
    }

    #[inline]
    fn as_mut_slice(&mut self) -> &mut [Cell] {
        match self {
            UnitCells::One(c) => std::slice::from_mut(c),
            UnitCells::Many(v) => v,
        }
    }

    fn push(&mut self, cell: Cell) {
        match self {
            UnitCells::One(first) => {
                *self = UnitCells::Many(vec![*first, cell]);
            }
            UnitCells::Many(v) => {
                // Grow one cell at a time: few units reach L0.
                v.reserve_exact(1);
                v.push(cell);
            }
        }
    }

    /// Adds one event of `count` and clamped `value` in `partition`.
    ///
    /// `rank_of` computes the partition's rank (called only when the
    /// partition is new to this unit); `key_of` gives a partition's key for
    /// breaking rank ties.
    #[inline]
    pub(crate) fn add<'k>(
        &mut self,
        partition: u32,
        count: u32,
        value: i64,
        l0: usize,
        rank_of: impl FnOnce() -> u64,
        key_of: impl Fn(u32) -> &'k [u8],
    ) {
        if let Some(cell) = self
            .as_mut_slice()
            .iter_mut()
            .find(|c| c.partition == partition)
        {
            cell.count = cell.count.saturating_add(count);
            cell.sum = cell.sum.saturating_add(i128::from(value));
            return;
        }
        let cell = Cell {
            rank: rank_of(),
            partition,
            count,
            sum: i128::from(value),
        };
        self.offer(cell, l0, &key_of);
    }

    /// Inserts a cell for a partition this unit does not hold yet, keeping the
    /// L0 smallest.
    fn offer<'k>(&mut self, cell: Cell, l0: usize, key_of: &impl Fn(u32) -> &'k [u8]) {
        let cells = self.as_mut_slice();
        if cells.len() < l0 {
            self.push(cell);
            return;
        }
        let Some((worst, _)) = cells
            .iter()
            .enumerate()
            .max_by(|(_, a), (_, b)| cell_order(a, b, key_of))
        else {
            return;
        };
        if cell_order(&cell, &cells[worst], key_of) == Ordering::Less {
            cells[worst] = cell;
        }
    }

    /// Merges another shard's cells of the same unit (ranks from the same key,
    /// partitions already translated to this table's indices).
    pub(crate) fn merge<'k>(
        &mut self,
        other: impl IntoIterator<Item = Cell>,
        l0: usize,
        key_of: impl Fn(u32) -> &'k [u8],
    ) {
        let mut cells = self.as_slice().to_vec();
        for cell in other {
            if let Some(mine) = cells.iter_mut().find(|c| c.partition == cell.partition) {
                mine.count = mine.count.saturating_add(cell.count);
                mine.sum = mine.sum.saturating_add(cell.sum);
            } else {
                cells.push(cell);
            }
        }
        if cells.len() > l0 {
            cells.sort_unstable_by(|a, b| cell_order(a, b, &key_of));
            cells.truncate(l0);
        }
        *self = match cells.as_slice() {
            [one] => UnitCells::One(*one),
            _ => {
                cells.shrink_to_fit();
                UnitCells::Many(cells)
            }
        };
    }
}

/// Orders cells by rank, breaking (2⁻⁶⁴-likely) ties by partition key so
/// that every shard makes the same choice.
#[inline]
pub(crate) fn cell_order<'k>(a: &Cell, b: &Cell, key_of: &impl Fn(u32) -> &'k [u8]) -> Ordering {
    a.rank
        .cmp(&b.rank)
        .then_with(|| key_of(a.partition).cmp(key_of(b.partition)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<Vec<u8>> {
        (0..10u8).map(|i| vec![b'p', i]).collect()
    }

    fn fresh(partition: u32, rank: u64) -> UnitCells {
        UnitCells::new(Cell {
            rank,
            partition,
            count: 1,
            sum: 2,
        })
    }

    #[test]
    fn keeps_the_l0_smallest_ranks_with_complete_totals() {
        let ks = keys();
        let key_of = |p: u32| &ks[p as usize][..];
        let ranks = [50u64, 10, 40, 20, 30];
        // Partition p gets p+1 events of count 1 and value 2, interleaved
        // (the first one is made by `fresh`).
        let mut u = fresh(0, ranks[0]);
        for round in 0..5u32 {
            for p in round..5 {
                if (round, p) != (0, 0) {
                    u.add(p, 1, 2, 2, || ranks[p as usize], key_of);
                }
            }
        }
        let mut kept: Vec<(u32, u32, i128)> = u
            .as_slice()
            .iter()
            .map(|c| (c.partition, c.count, c.sum))
            .collect();
        kept.sort();
        // Ranks 10 (p1) and 20 (p3) are the two smallest.
        assert_eq!(kept, vec![(1, 2, 4), (3, 4, 8)]);
    }

    #[test]
    fn ties_are_broken_by_partition_key() {
        let ks = keys();
        let key_of = |p: u32| &ks[p as usize][..];
        let mut a = fresh(7, 5);
        a.add(3, 1, 0, 1, || 5, key_of);
        assert_eq!(a.as_slice()[0].partition, 3);
        let mut b = fresh(3, 5);
        b.add(7, 1, 0, 1, || 5, key_of);
        assert_eq!(b.as_slice()[0].partition, 3);
    }

    #[test]
    fn counts_saturate_instead_of_wrapping() {
        let ks = keys();
        let key_of = |p: u32| &ks[p as usize][..];
        let mut u = UnitCells::new(Cell {
            rank: 1,
            partition: 0,
            count: u32::MAX - 1,
            sum: i128::from(i64::MAX),
        });
        u.add(0, 5, i64::MAX, 1, || 1, key_of);
        assert_eq!(u.as_slice()[0].count, u32::MAX);
        assert_eq!(u.as_slice()[0].sum, 2 * i128::from(i64::MAX));
    }

    #[test]
    fn merge_equals_one_pass() {
        let ks = keys();
        let key_of = |p: u32| &ks[p as usize][..];
        let ranks = [9u64, 3, 7, 1, 5, 8, 2, 6, 4, 0];
        let events: Vec<u32> = vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 2, 4, 6, 9, 9, 1];
        let feed = |events: &[u32]| {
            let first = Cell {
                rank: ranks[events[0] as usize],
                partition: events[0],
                count: 1,
                sum: i128::from(events[0]),
            };
            let mut u = UnitCells::new(first);
            for &p in &events[1..] {
                u.add(p, 1, i64::from(p), 3, || ranks[p as usize], key_of);
            }
            u
        };
        let whole = feed(&events);
        let (left, right) = events.split_at(7);
        let mut a = feed(left);
        let b = feed(right);
        a.merge(b.as_slice().to_vec(), 3, key_of);
        let sorted = |u: &UnitCells| {
            let mut v = u.as_slice().to_vec();
            v.sort_by_key(|c| c.partition);
            v
        };
        assert_eq!(sorted(&a), sorted(&whole));
        assert_eq!(a.as_slice().len(), 3);
    }

    #[test]
    fn rank_depends_on_key_unit_and_partition_without_ambiguity() {
        let k1 = SelectionKey::from_bytes([1; 16]);
        let k2 = SelectionKey::from_bytes([2; 16]);
        assert_ne!(rank(&k1, b"u", b"p"), rank(&k2, b"u", b"p"));
        assert_ne!(rank(&k1, b"u", b"p"), rank(&k1, b"v", b"p"));
        assert_ne!(rank(&k1, b"u", b"p"), rank(&k1, b"u", b"q"));
        // The length prefix separates ("ab", "c") from ("a", "bc").
        assert_ne!(rank(&k1, b"ab", b"c"), rank(&k1, b"a", b"bc"));
        assert_eq!(rank(&k1, b"u", b"p"), rank(&k1, b"u", b"p"));
    }
}
