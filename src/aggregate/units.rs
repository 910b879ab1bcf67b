//! The table of privacy units: identifier → cells, laid out for streaming.
//!
//! Entries (96 bytes: the identifier and the first cell inline) live in
//! fixed-size chunks that never move, indexed by a SwissTable of `u32`
//! positions hashed with foldhash under a per-process random seed. A lookup
//! touches the small index and one entry; growing the table never copies
//! entries, so peak memory is the steady-state memory.
//!
//! Identifiers are stored in a canonical compact form: exactly 64 lowercase
//! hex characters (an HMAC-SHA256 token, as `ilsp_tokenize` writes them) as
//! their 32 bytes, up to 32 other bytes inline, longer ones on the heap. The
//! forms are disjoint, so two identifiers share an entry exactly when their
//! bytes are equal.

use std::hash::BuildHasher;
use std::ops::Deref;

use foldhash::quality::RandomState;
use hashbrown::HashTable;

use super::cells::UnitCells;
use crate::error::{Error, Result};

/// Identifiers up to this many bytes (other than hex tokens) are inline.
const INLINE: usize = 32;
/// Entries per chunk (a power of two).
const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;

/// Lowercase hex digit → its value; every other byte → 0xFF.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let mut c = 0;
    while c < 10 {
        t[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        t[b'a' as usize + c] = 10 + c as u8;
        c += 1;
    }
    t
};

/// The 32 bytes of `id` if it is exactly 64 lowercase hex characters
/// (branch-free: this runs on every event).
#[inline]
fn decode_lower_hex(id: &[u8]) -> Option<[u8; 32]> {
    let id: &[u8; 64] = id.try_into().ok()?;
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    for (o, pair) in out.iter_mut().zip(id.chunks_exact(2)) {
        let (hi, lo) = (
            HEX_VALUE[usize::from(pair[0])],
            HEX_VALUE[usize::from(pair[1])],
        );
        invalid |= hi | lo;
        *o = (hi << 4) | (lo & 0x0F);
    }
    (invalid & 0xF0 == 0).then_some(out)
}

/// The canonical form of an identifier: a tag and bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Canonical<'a> {
    Plain(&'a [u8]),
    Hex(&'a [u8; 32]),
}

/// A unit's identifier in its stored form.
#[derive(Clone)]
pub(crate) enum UnitId {
    Short { len: u8, bytes: [u8; INLINE] },
    Hex([u8; 32]),
    Heap(Box<[u8]>),
}

impl UnitId {
    fn from_key(key: &UnitKey<'_>) -> Self {
        match key.id {
            Probe::Hex(bytes) => UnitId::Hex(bytes),
            Probe::Plain(id) if id.len() <= INLINE => {
                let mut bytes = [0u8; INLINE];
                bytes[..id.len()].copy_from_slice(id);
                UnitId::Short {
                    len: id.len() as u8,
                    bytes,
                }
            }
            Probe::Plain(id) => UnitId::Heap(Box::from(id)),
        }
    }

    fn canonical(&self) -> Canonical<'_> {
        match self {
            UnitId::Short { len, bytes } => Canonical::Plain(&bytes[..usize::from(*len)]),
            UnitId::Hex(bytes) => Canonical::Hex(bytes),
            UnitId::Heap(b) => Canonical::Plain(b),
        }
    }

    /// The identifier's original bytes.
    pub(crate) fn original(&self) -> IdBytes<'_> {
        match self.canonical() {
            Canonical::Plain(b) => IdBytes::Borrowed(b),
            Canonical::Hex(b) => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                let mut hex = [0u8; 64];
                for (pair, byte) in hex.chunks_exact_mut(2).zip(b) {
                    pair[0] = DIGITS[usize::from(byte >> 4)];
                    pair[1] = DIGITS[usize::from(byte & 15)];
                }
                IdBytes::Hex(hex)
            }
        }
    }
}

/// An identifier's original bytes (re-encoded for hex tokens).
pub(crate) enum IdBytes<'a> {
    Borrowed(&'a [u8]),
    Hex([u8; 64]),
}

impl PartialEq for IdBytes<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for IdBytes<'_> {}

impl PartialOrd for IdBytes<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IdBytes<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl Deref for IdBytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            IdBytes::Borrowed(b) => b,
            IdBytes::Hex(h) => h,
        }
    }
}

/// An identifier being looked up.
#[derive(Clone, Copy)]
enum Probe<'a> {
    Plain(&'a [u8]),
    Hex([u8; 32]),
}

impl Probe<'_> {
    fn canonical(&self) -> Canonical<'_> {
        match self {
            Probe::Plain(b) => Canonical::Plain(b),
            Probe::Hex(b) => Canonical::Hex(b),
        }
    }
}

/// A looked-up identifier and its hash, for [`UnitTable::get_mut`] and
/// [`UnitTable::insert_new`].
pub(crate) struct UnitKey<'a> {
    id: Probe<'a>,
    hash: u64,
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
    /// Chunks of exactly `CHUNK` capacity; only the last one is not full.
    chunks: Vec<Vec<UnitEntry>>,
    len: usize,
}

impl UnitTable {
    /// The number of units.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn entry(chunks: &[Vec<UnitEntry>], i: u32) -> &UnitEntry {
        &chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    /// Makes room for `additional` more units in the index.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let UnitTable {
            hasher,
            index,
            chunks,
            ..
        } = self;
        index.reserve(additional, |&i| {
            hasher.hash_one(Self::entry(chunks, i).id.canonical())
        });
    }

    /// The key of unit `id`, for [`get_mut`](Self::get_mut) and
    /// [`insert_new`](Self::insert_new).
    #[inline]
    pub(crate) fn key<'a>(&self, id: &'a [u8]) -> UnitKey<'a> {
        let probe = match decode_lower_hex(id) {
            Some(bytes) => Probe::Hex(bytes),
            None => Probe::Plain(id),
        };
        UnitKey {
            hash: self.hasher.hash_one(probe.canonical()),
            id: probe,
        }
    }

    /// The cells of the unit `key` names, if it has any.
    #[inline]
    pub(crate) fn get_mut(&mut self, key: &UnitKey<'_>) -> Option<&mut UnitCells> {
        let chunks = &self.chunks;
        let want = key.id.canonical();
        let i = *self
            .index
            .find(key.hash, |&i| Self::entry(chunks, i).id.canonical() == want)?;
        Some(&mut self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)].cells)
    }

    /// Adds the unit `key` names, which must not be in the table yet.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if the table already holds 2³² − 1 units.
    pub(crate) fn insert_new(&mut self, key: &UnitKey<'_>, cells: UnitCells) -> Result<()> {
        let position = u32::try_from(self.len)
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
            chunks,
            len,
        } = self;
        if chunks.last().is_none_or(|c| c.len() == CHUNK) {
            chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = chunks.last_mut() {
            chunk.push(UnitEntry {
                id: UnitId::from_key(key),
                cells,
            });
        }
        *len += 1;
        index.insert_unique(key.hash, position, |&i| {
            hasher.hash_one(Self::entry(chunks, i).id.canonical())
        });
        Ok(())
    }

    /// Every unit, in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&UnitId, &UnitCells)> {
        self.chunks.iter().flatten().map(|e| (&e.id, &e.cells))
    }

    /// Every unit's cells.
    pub(crate) fn cells(&self) -> impl Iterator<Item = &UnitCells> {
        self.chunks.iter().flatten().map(|e| &e.cells)
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
    fn finds_every_form_of_identifier_exactly() {
        let mut t = UnitTable::default();
        let token = b"8e958a5f766f725d28789aa9dc0b0f5af3d4aa0abcbfd6941ff4be74ba67ef24";
        let upper = token.to_ascii_uppercase();
        let long = vec![b'x'; 200];
        let ids: [&[u8]; 7] = [
            b"a",
            &[b'h'; 32],
            &[b'h'; 33],
            token,
            &upper,       // not lowercase hex: a different unit, stored plain
            &token[..63], // 63 hex characters: plain
            &long,
        ];
        for (i, id) in ids.iter().enumerate() {
            let k = t.key(id);
            assert!(t.get_mut(&k).is_none(), "{i}");
            t.insert_new(&k, cell(i as u32)).unwrap();
        }
        for (i, id) in ids.iter().enumerate() {
            let k = t.key(id);
            assert_eq!(t.get_mut(&k).unwrap().as_slice()[0].partition, i as u32);
        }
        assert!(t.get_mut(&t.key(b"b")).is_none());
        assert!(t.get_mut(&t.key(&[b'h'; 31])).is_none());
        assert_eq!(t.len(), 7);
        let seen: Vec<Vec<u8>> = t.iter().map(|(id, _)| id.original().to_vec()).collect();
        let want: Vec<Vec<u8>> = ids.iter().map(|i| i.to_vec()).collect();
        assert_eq!(seen, want);
        assert!(matches!(t.iter().nth(3).unwrap().0, UnitId::Hex(_)));
    }

    #[test]
    fn grows_across_chunks_without_losing_entries() {
        let mut t = UnitTable::default();
        let n = 3 * CHUNK + 5;
        for i in 0..n {
            let id = format!("{i:064x}");
            let k = t.key(id.as_bytes());
            t.insert_new(&k, cell(i as u32)).unwrap();
        }
        assert_eq!(t.len(), n);
        for i in (0..n).step_by(97) {
            let id = format!("{i:064x}");
            let k = t.key(id.as_bytes());
            assert_eq!(t.get_mut(&k).unwrap().as_slice()[0].partition, i as u32);
        }
        assert_eq!(t.iter().count(), n);
    }

    #[test]
    fn entries_stay_compact() {
        assert!(size_of::<UnitEntry>() <= 96, "{}", size_of::<UnitEntry>());
    }
}
