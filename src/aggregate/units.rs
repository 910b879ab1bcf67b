//! The table of privacy units: identifier → cells, laid out for streaming.
//!
//! Entries live in one dense vector (identifier inline when it is at most 64
//! bytes — a hex HMAC token is 64 — and the first cell inline), indexed by a
//! SwissTable of `u32` positions hashed with foldhash under a per-process
//! random seed. A lookup touches the small index and one 128-byte entry; the
//! vector's unused capacity is never written, so it costs no resident memory.

use std::hash::BuildHasher;

use foldhash::quality::RandomState;
use hashbrown::HashTable;

use super::cells::UnitCells;
use crate::error::{Error, Result};

/// Identifiers up to this many bytes are stored inline.
const INLINE: usize = 64;

/// A unit's identifier, inline when short.
#[derive(Clone)]
pub(crate) enum UnitId {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl UnitId {
    fn new(id: &[u8]) -> Self {
        if id.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..id.len()].copy_from_slice(id);
            UnitId::Inline {
                len: id.len() as u8,
                bytes,
            }
        } else {
            UnitId::Heap(Box::from(id))
        }
    }

    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            UnitId::Inline { len, bytes } => &bytes[..usize::from(*len)],
            UnitId::Heap(b) => b,
        }
    }
}

/// One unit's identifier and cells.
#[derive(Clone)]
pub(crate) struct UnitEntry {
    pub(crate) id: UnitId,
    pub(crate) cells: UnitCells,
}

/// Identifier → cells.
#[derive(Clone, Default)]
pub(crate) struct UnitTable {
    hasher: RandomState,
    index: HashTable<u32>,
    entries: Vec<UnitEntry>,
}

impl UnitTable {
    /// The number of units.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Makes room for `additional` more units.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let UnitTable {
            hasher,
            index,
            entries,
        } = self;
        entries.reserve(additional);
        index.reserve(additional, |&i| {
            hasher.hash_one(entries[i as usize].id.as_bytes())
        });
    }

    /// The unit's hash, to pass to [`get_mut`](Self::get_mut) and
    /// [`insert_new`](Self::insert_new).
    #[inline]
    pub(crate) fn hash(&self, id: &[u8]) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The cells of unit `id` (whose hash is `hash`), if it has any.
    #[inline]
    pub(crate) fn get_mut(&mut self, hash: u64, id: &[u8]) -> Option<&mut UnitCells> {
        let entries = &self.entries;
        let i = *self
            .index
            .find(hash, |&i| entries[i as usize].id.as_bytes() == id)?;
        Some(&mut self.entries[i as usize].cells)
    }

    /// Adds unit `id`, which must not be in the table yet.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the table already holds 2³² − 1 units.
    pub(crate) fn insert_new(&mut self, hash: u64, id: &[u8], cells: UnitCells) -> Result<()> {
        let position = u32::try_from(self.entries.len())
            .ok()
            .filter(|&p| p < u32::MAX)
            .ok_or_else(|| {
                Error::invalid(
                    "unit",
                    format!("is new but {} units are already tracked", u32::MAX),
                )
            })?;
        let UnitTable {
            hasher,
            index,
            entries,
        } = self;
        entries.push(UnitEntry {
            id: UnitId::new(id),
            cells,
        });
        index.insert_unique(hash, position, |&i| {
            hasher.hash_one(entries[i as usize].id.as_bytes())
        });
        Ok(())
    }

    /// Every unit, in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &UnitCells)> {
        self.entries.iter().map(|e| (e.id.as_bytes(), &e.cells))
    }

    /// Every unit's cells.
    pub(crate) fn cells(&self) -> impl Iterator<Item = &UnitCells> {
        self.entries.iter().map(|e| &e.cells)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::cells::Cell;

    fn cell(p: u32) -> UnitCells {
        UnitCells::new(Cell {
            rank: 0,
            partition: p,
            count: 1,
            sum: 0,
        })
    }

    #[test]
    fn finds_inline_and_heap_identifiers() {
        let mut t = UnitTable::default();
        let long = vec![b'x'; 200];
        let ids: [&[u8]; 4] = [b"a", &[b'h'; 64], &[b'h'; 65], &long];
        for (i, id) in ids.iter().enumerate() {
            let h = t.hash(id);
            assert!(t.get_mut(h, id).is_none());
            t.insert_new(h, id, cell(i as u32)).unwrap();
        }
        for (i, id) in ids.iter().enumerate() {
            let h = t.hash(id);
            assert_eq!(t.get_mut(h, id).unwrap().as_slice()[0].partition, i as u32);
        }
        assert!(t.get_mut(t.hash(b"b"), b"b").is_none());
        // A prefix of an inline identifier is a different unit.
        assert!(t.get_mut(t.hash(&[b'h'; 63]), &[b'h'; 63]).is_none());
        assert_eq!(t.len(), 4);
        let seen: Vec<&[u8]> = t.iter().map(|(id, _)| id).collect();
        assert_eq!(seen, ids);
    }

    #[test]
    fn entries_stay_compact() {
        assert!(size_of::<UnitEntry>() <= 128, "{}", size_of::<UnitEntry>());
    }
}
