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
#[cfg(test)]
pub(crate) fn rank(key: &SelectionKey, unit: &[u8], partition: &[u8]) -> u64 {
    Ranker::new(key, unit).rank(partition)
}

/// [`rank`] for one unit and several partitions: the hash state after the
/// unit's part of the input is computed once.
#[derive(Clone)]
pub(crate) struct Ranker {
    prefix: SipHasher24,
}

impl Ranker {
    pub(crate) fn new(key: &SelectionKey, unit: &[u8]) -> Ranker {
        let mut prefix = SipHasher24::new_with_key(&key.to_bytes());
        prefix.write(&(unit.len() as u64).to_le_bytes());
        prefix.write(unit);
        Ranker { prefix }
    }

    /// [`rank`]`(key, unit, partition)`.
    #[inline]
    pub(crate) fn rank(&self, partition: &[u8]) -> u64 {
        let mut h = self.prefix;
        h.write(partition);
        h.finish()
    }
}

/// The `rank` of a cell whose rank has not been computed.
///
/// Ranks are needed only to choose among more than L0 partitions, so most
/// units (those with at most L0) never compute one. A rank whose true value
/// is `u64::MAX` is indistinguishable from this marker and is simply
/// recomputed when needed: the marker is a cache state, never a value.
pub(crate) const UNRANKED: u64 = u64::MAX;

/// A unit's raw contribution to one partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    /// The partition's [`rank`] for this unit, or [`UNRANKED`].
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
/// The same monotonicity makes a partition that was once turned away (or
/// evicted) stay out for good: its rank exceeds the L0-th smallest then, so
/// forever. `rejected` remembers such partitions (bit `p` for partition
/// index `p < 64`), so that a unit with more than L0 partitions — a heavy
/// borrower visiting many branches — hashes each of them once, not on every
/// event. It is a cache of a fact implied by the cells, never serialized.
///
/// Most units use one partition, so one cell is stored inline (48 bytes in
/// all); more go to a heap vector grown one cell at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UnitCells {
    /// Exactly one cell.
    One {
        /// The cell.
        cell: Cell,
        /// Partitions (index < 64) that can never be kept.
        rejected: u64,
    },
    /// Two or more cells (at most L0).
    Many {
        /// The cells.
        cells: Vec<Cell>,
        /// Partitions (index < 64) that can never be kept.
        rejected: u64,
    },
}

/// Up to this many cells, [`UnitCells::merge`] finds each partition by a
/// scan (fast for the usual small L0); beyond it, by sorting.
const MERGE_BY_SCAN: usize = 64;

/// Bit of partition `p` in a `rejected` set (0 when `p` ≥ 64: not cached).
#[inline]
fn bit(p: u32) -> u64 {
    1u64.checked_shl(p).unwrap_or(0)
}

impl UnitCells {
    /// The cells of a unit whose first event is in `cell`'s partition.
    pub(crate) fn new(cell: Cell) -> Self {
        UnitCells::One { cell, rejected: 0 }
    }

    /// The cells, in no particular order.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[Cell] {
        match self {
            UnitCells::One { cell, .. } => std::slice::from_ref(cell),
            UnitCells::Many { cells, .. } => cells,
        }
    }

    #[inline]
    fn as_mut_slice(&mut self) -> &mut [Cell] {
        match self {
            UnitCells::One { cell, .. } => std::slice::from_mut(cell),
            UnitCells::Many { cells, .. } => cells,
        }
    }

    #[inline]
    fn rejected(&self) -> u64 {
        match self {
            UnitCells::One { rejected, .. } | UnitCells::Many { rejected, .. } => *rejected,
        }
    }

    #[inline]
    fn parts_mut(&mut self) -> (&mut [Cell], &mut u64) {
        match self {
            UnitCells::One { cell, rejected } => (std::slice::from_mut(cell), rejected),
            UnitCells::Many { cells, rejected } => (cells, rejected),
        }
    }

    fn push(&mut self, cell: Cell) {
        match self {
            UnitCells::One {
                cell: first,
                rejected,
            } => {
                *self = UnitCells::Many {
                    cells: vec![*first, cell],
                    rejected: *rejected,
                };
            }
            UnitCells::Many { cells, .. } => {
                // Grow one cell at a time: few units reach L0.
                cells.reserve_exact(1);
                cells.push(cell);
            }
        }
    }

    /// Adds one event of `count` and clamped `value` in `partition`.
    ///
    /// `rank_of` computes a partition's rank (called only when the unit has
    /// more than L0 partitions to choose from); `key_of` gives a partition's
    /// key for breaking rank ties.
    #[inline]
    pub(crate) fn add<'k>(
        &mut self,
        partition: u32,
        count: u32,
        value: i64,
        l0: usize,
        rank_of: impl FnMut(u32) -> u64,
        key_of: impl Fn(u32) -> &'k [u8],
    ) {
        if self.rejected() & bit(partition) != 0 {
            return;
        }
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
            rank: UNRANKED,
            partition,
            count,
            sum: i128::from(value),
        };
        self.offer(cell, l0, rank_of, &key_of);
    }

    /// Inserts a cell for a partition this unit does not hold yet, keeping the
    /// L0 smallest.
    fn offer<'k>(
        &mut self,
        mut cell: Cell,
        l0: usize,
        mut rank_of: impl FnMut(u32) -> u64,
        key_of: &impl Fn(u32) -> &'k [u8],
    ) {
        if self.as_slice().len() < l0 {
            self.push(cell);
            return;
        }
        let (cells, rejected) = self.parts_mut();
        fill_ranks(cells, &mut rank_of);
        cell.rank = rank_of(cell.partition);
        let Some((worst, _)) = cells
            .iter()
            .enumerate()
            .max_by(|(_, a), (_, b)| cell_order(a, b, key_of))
        else {
            return;
        };
        if cell_order(&cell, &cells[worst], key_of) == Ordering::Less {
            *rejected |= bit(cells[worst].partition);
            cells[worst] = cell;
        } else {
            *rejected |= bit(cell.partition);
        }
    }

    /// Merges another shard's cells of the same unit (ranks from the same key
    /// or [`UNRANKED`], partitions already translated to this table's
    /// indices).
    pub(crate) fn merge<'k>(
        &mut self,
        other: impl IntoIterator<Item = Cell>,
        l0: usize,
        mut rank_of: impl FnMut(u32) -> u64,
        key_of: impl Fn(u32) -> &'k [u8],
    ) {
        // This unit's rejected partitions stay rejected: the union's L0-th
        // smallest rank is at most this unit's.
        let mut rejected = self.rejected();
        let mut cells = self.as_slice().to_vec();
        let absorb = |mine: &mut Cell, cell: &Cell| {
            mine.count = mine.count.saturating_add(cell.count);
            mine.sum = mine.sum.saturating_add(cell.sum);
            if mine.rank == UNRANKED {
                mine.rank = cell.rank;
            }
        };
        let other = other.into_iter();
        if cells.len() + other.size_hint().0 <= MERGE_BY_SCAN {
            for cell in other {
                if let Some(mine) = cells.iter_mut().find(|c| c.partition == cell.partition) {
                    absorb(mine, &cell);
                } else {
                    cells.push(cell);
                }
            }
        } else {
            // Many cells (L0 may be 65,536): sort by partition and combine
            // neighbours, O(n log n) instead of a scan per cell. The stable
            // sort keeps this unit's cell first, as the scan does.
            cells.extend(other);
            cells.sort_by_key(|c| c.partition);
            let mut combined: Vec<Cell> = Vec::with_capacity(cells.len());
            for cell in cells {
                match combined.last_mut() {
                    Some(last) if last.partition == cell.partition => absorb(last, &cell),
                    _ => combined.push(cell),
                }
            }
            cells = combined;
        }
        if cells.len() > l0 {
            fill_ranks(&mut cells, &mut rank_of);
            cells.sort_unstable_by(|a, b| cell_order(a, b, &key_of));
            for dropped in &cells[l0..] {
                rejected |= bit(dropped.partition);
            }
            cells.truncate(l0);
        }
        *self = match cells.as_slice() {
            [one] => UnitCells::One {
                cell: *one,
                rejected,
            },
            _ => {
                cells.shrink_to_fit();
                UnitCells::Many { cells, rejected }
            }
        };
    }
}

/// Computes the missing ranks of `cells`.
fn fill_ranks(cells: &mut [Cell], rank_of: &mut impl FnMut(u32) -> u64) {
    for c in cells.iter_mut().filter(|c| c.rank == UNRANKED) {
        c.rank = rank_of(c.partition);
    }
}

/// Orders cells by rank, breaking (2⁻⁶⁴-likely) ties by partition key so
/// that every shard makes the same choice. Both ranks must be computed.
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
                    u.add(p, 1, 2, 2, |q: u32| ranks[q as usize], key_of);
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
        a.add(3, 1, 0, 1, |_| 5, key_of);
        assert_eq!(a.as_slice()[0].partition, 3);
        let mut b = fresh(3, 5);
        b.add(7, 1, 0, 1, |_| 5, key_of);
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
        u.add(0, 5, i64::MAX, 1, |_| 1, key_of);
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
                u.add(p, 1, i64::from(p), 3, |q: u32| ranks[q as usize], key_of);
            }
            u
        };
        let whole = feed(&events);
        let (left, right) = events.split_at(7);
        let mut a = feed(left);
        let b = feed(right);
        a.merge(b.as_slice().to_vec(), 3, |q| ranks[q as usize], key_of);
        let sorted = |u: &UnitCells| {
            let mut v = u.as_slice().to_vec();
            v.sort_by_key(|c| c.partition);
            v
        };
        assert_eq!(sorted(&a), sorted(&whole));
        assert_eq!(a.as_slice().len(), 3);
    }

    /// Ranks are computed only when a unit has more than L0 partitions to
    /// choose from, and each at most once while it stays cached.
    #[test]
    fn ranks_are_computed_only_when_needed() {
        let ks = keys();
        let key_of = |p: u32| &ks[p as usize][..];
        let ranks = [9u64, 3, 7, 1, 5, 8, 2, 6, 4, 0];
        let calls = std::cell::Cell::new(0);
        let rank_of = |q: u32| {
            calls.set(calls.get() + 1);
            ranks[q as usize]
        };
        let mut u = UnitCells::new(Cell {
            rank: UNRANKED,
            partition: 0,
            count: 1,
            sum: 0,
        });
        for p in [0, 1, 2, 1, 0, 2] {
            u.add(p, 1, 0, 3, rank_of, key_of);
        }
        assert_eq!(calls.get(), 0);
        // A fourth partition: the three held ones and the new one are ranked.
        u.add(3, 1, 0, 3, rank_of, key_of);
        assert_eq!(calls.get(), 4);
        // Another new one: only its own rank.
        u.add(4, 1, 0, 3, rank_of, key_of);
        assert_eq!(calls.get(), 5);
        let mut kept: Vec<u32> = u.as_slice().iter().map(|c| c.partition).collect();
        kept.sort();
        assert_eq!(kept, vec![1, 3, 4]);
    }

    /// A rank whose true value equals the marker takes part in the order
    /// like any other: two partitions both ranked `u64::MAX` tie, and the tie
    /// goes to the smaller key whichever arrived first.
    #[test]
    fn a_rank_equal_to_the_marker_is_still_exact() {
        let ks = keys();
        let key_of = |p: u32| &ks[p as usize][..];
        let ranks = [u64::MAX, u64::MAX, u64::MAX - 1];
        let unranked = |p: u32| {
            UnitCells::new(Cell {
                rank: UNRANKED,
                partition: p,
                count: 1,
                sum: 0,
            })
        };
        for (first, second, kept) in [(1, 0, 0), (0, 1, 0), (0, 2, 2), (2, 0, 2)] {
            let mut u = unranked(first);
            u.add(second, 1, 0, 1, |q| ranks[q as usize], key_of);
            assert_eq!(u.as_slice()[0].partition, kept, "{first} then {second}");
        }
    }

    #[test]
    fn ranker_equals_one_hash_of_the_whole_input() {
        let key = SelectionKey::from_bytes(*b"0123456789abcdef");
        for unit_len in [1usize, 7, 8, 9, 31, 32, 64, 200] {
            let unit: Vec<u8> = (0..unit_len).map(|i| (i * 37 + 1) as u8).collect();
            let r = Ranker::new(&key, &unit);
            for partition in [&b"A"[..], b"BR07", b"a partition key of some length"] {
                let mut whole = (unit_len as u64).to_le_bytes().to_vec();
                whole.extend_from_slice(&unit);
                whole.extend_from_slice(partition);
                let mut h = SipHasher24::new_with_key(&key.to_bytes());
                h.write(&whole);
                assert_eq!(r.rank(partition), h.finish());
                assert_eq!(rank(&key, &unit, partition), h.finish());
            }
        }
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
