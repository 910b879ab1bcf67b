//! The table of partitions: index ↔ key, with a fast path for the usual
//! short keys (branch codes, item formats).
//!
//! Every event looks its partition up, so the lookup is on the hot path. A
//! general hash map hashes the key with a seeded hash, then follows a
//! pointer to compare the stored key. Keys of at most [`SHORT_KEY`] bytes
//! are also packed into two words and kept in a small open-addressing table
//! of their own (up to [`SHORT_KEYS_MAX`] keys): a lookup is then a copy, a
//! multiplication and a compare of two words in one cache line, with no
//! pointer to follow. While that table exists it holds *every* short key of
//! the partition table, so a short key it does not find is not a partition.

use std::collections::HashMap;

use foldhash::quality::RandomState;

/// Keys up to this many bytes are packed into the short-key table.
const SHORT_KEY: usize = 16;
/// The short-key table is dropped (lookups go to the general map) once the
/// partition table holds more short keys than this. It also bounds a lookup
/// to this many probes whatever the keys: the table's hash is not seeded, and
/// never needs to be.
const SHORT_KEYS_MAX: usize = 256;

/// A key of at most [`SHORT_KEY`] bytes as two little-endian words (zero
/// padded) and its length: equal packings ⇔ equal keys.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Packed {
    lo: u64,
    hi: u64,
    /// The key's length; 0 marks an empty slot (keys are never empty).
    len: u32,
}

impl Packed {
    #[inline]
    fn new(key: &[u8]) -> Packed {
        debug_assert!(key.len() <= SHORT_KEY);
        let mut buf = [0u8; SHORT_KEY];
        buf[..key.len()].copy_from_slice(key);
        let (lo, hi) = buf.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        Packed {
            lo: word(lo),
            hi: word(hi),
            len: key.len() as u32,
        }
    }

    /// The table slot to start probing at (the top `bits` bits of a
    /// multiplicative hash).
    #[inline]
    fn home(&self, bits: u32) -> usize {
        let x = self.lo ^ self.hi.rotate_left(29) ^ u64::from(self.len).rotate_right(7);
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }
}

#[derive(Clone, Copy, Default)]
struct Slot {
    key: Packed,
    index: u32,
}

/// Open addressing with linear probing; at most half full.
#[derive(Clone)]
struct ShortKeys {
    slots: Vec<Slot>,
    bits: u32,
    len: usize,
}

impl ShortKeys {
    fn with_bits(bits: u32) -> ShortKeys {
        ShortKeys {
            slots: vec![Slot::default(); 1 << bits],
            bits,
            len: 0,
        }
    }

    #[inline]
    fn get(&self, key: &[u8]) -> Option<u32> {
        let key = Packed::new(key);
        let mask = self.slots.len() - 1;
        let mut i = key.home(self.bits);
        loop {
            let slot = &self.slots[i];
            if slot.key == key {
                return Some(slot.index);
            }
            if slot.key.len == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a key that is not in the table.
    fn insert(&mut self, key: &[u8], index: u32) {
        if 2 * (self.len + 1) > self.slots.len() {
            let mut bigger = ShortKeys::with_bits(self.bits + 1);
            for s in self.slots.iter().filter(|s| s.key.len != 0) {
                bigger.insert_packed(s.key, s.index);
            }
            *self = bigger;
        }
        self.insert_packed(Packed::new(key), index);
    }

    fn insert_packed(&mut self, key: Packed, index: u32) {
        let mask = self.slots.len() - 1;
        let mut i = key.home(self.bits);
        while self.slots[i].key.len != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { key, index };
        self.len += 1;
    }
}

impl Default for ShortKeys {
    fn default() -> Self {
        ShortKeys::with_bits(3)
    }
}

/// The table of partitions: index ↔ key.
#[derive(Clone, Default)]
pub(crate) struct PartitionTable {
    pub(crate) keys: Vec<Box<[u8]>>,
    /// Every key.
    index: HashMap<Box<[u8]>, u32, RandomState>,
    /// Every key of at most [`SHORT_KEY`] bytes, while there are at most
    /// [`SHORT_KEYS_MAX`] of them.
    short: Option<ShortKeys>,
}

impl PartitionTable {
    pub(crate) fn from_keys(keys: Vec<Box<[u8]>>) -> Self {
        let mut table = PartitionTable {
            keys: Vec::with_capacity(keys.len()),
            index: HashMap::default(),
            short: Some(ShortKeys::default()),
        };
        table.index.reserve(keys.len());
        for k in keys {
            // The keys are distinct (checked by the callers).
            let i = table.keys.len() as u32;
            table.push(k, i);
        }
        table
    }

    fn push(&mut self, key: Box<[u8]>, i: u32) {
        if key.len() <= SHORT_KEY
            && let Some(short) = &mut self.short
        {
            if short.len < SHORT_KEYS_MAX {
                short.insert(&key, i);
            } else {
                self.short = None;
            }
        }
        self.index.insert(key.clone(), i);
        self.keys.push(key);
    }

    /// The key's index, if it is in the table.
    #[inline]
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        if key.len() <= SHORT_KEY
            && let Some(short) = &self.short
        {
            return short.get(key);
        }
        self.index.get(key).copied()
    }

    /// The key's index, adding it if new. `None` if the table is full (2³² keys).
    pub(crate) fn intern(&mut self, key: &[u8]) -> Option<u32> {
        if let Some(i) = self.get(key) {
            return Some(i);
        }
        let i = u32::try_from(self.keys.len()).ok()?;
        self.push(Box::from(key), i);
        Some(i)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short-key table and the general map agree on every key, present
    /// or not, across growth of the short table and after it is dropped.
    #[test]
    fn finds_exactly_the_interned_keys() {
        let mut t = PartitionTable::default();
        let mut keys: Vec<Vec<u8>> = Vec::new();
        // Keys of every length 1..=20 (short and long), including ones that
        // differ only by trailing zero bytes, which packing must not merge.
        for i in 0..400u32 {
            let len = 1 + (i as usize % 20);
            let mut k = vec![0u8; len];
            k[0] = (i % 251) as u8;
            k[len - 1] = (i / 7) as u8;
            keys.push(k);
        }
        keys.extend([vec![0], vec![0, 0], vec![0; 16], vec![0; 17]]);
        let mut seen = std::collections::HashSet::new();
        keys.retain(|k| seen.insert(k.clone()));
        for (n, k) in keys.iter().enumerate() {
            assert_eq!(t.get(k), None, "key {n} before interning");
            assert_eq!(t.intern(k), Some(n as u32));
            assert_eq!(t.intern(k), Some(n as u32));
            if n % 37 == 0 {
                for (m, earlier) in keys[..=n].iter().enumerate() {
                    assert_eq!(t.get(earlier), Some(m as u32));
                }
            }
        }
        // More than SHORT_KEYS_MAX short keys: the short table is gone.
        assert!(t.short.is_none());
        for (m, k) in keys.iter().enumerate() {
            assert_eq!(t.get(k), Some(m as u32));
        }
        for absent in [&b"absent"[..], &[0, 0, 0], &[1; 16], &[2; 40]] {
            assert_eq!(t.get(absent), None);
        }
    }

    #[test]
    fn a_public_list_uses_the_short_table() {
        let keys: Vec<Box<[u8]>> = (0..20)
            .map(|b| format!("BR{b:02}").into_bytes().into_boxed_slice())
            .chain([b"a-branch-name-longer-than-16".to_vec().into_boxed_slice()])
            .collect();
        let t = PartitionTable::from_keys(keys.clone());
        assert!(t.short.as_ref().is_some_and(|s| s.len == 20));
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(t.get(k), Some(i as u32));
        }
        assert_eq!(t.get(b"BR20"), None);
        assert_eq!(t.get(b"BR0"), None);
        assert_eq!(t.get(b"BR00\0"), None);
        assert_eq!(t.get(b"a-branch-name-longer-than-1"), None);
    }
}
