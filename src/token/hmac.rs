//! HMAC-SHA256 (RFC 2104, FIPS 198-1) with the keyed state computed once.
//!
//! [`HmacSha256Key`] hashes the key's inner and outer pads (`K ⊕ ipad`,
//! `K ⊕ opad`) once, when the key is prepared, and keeps the two resulting
//! SHA-256 chaining states. Each MAC then starts from those states and drives
//! the SHA-256 compression function ([`sha2::block_api::compress256`], which
//! picks the SHA-NI / ARMv8 instructions at run time) directly: a message of
//! up to 55 bytes costs exactly two compressions, one for the inner hash and
//! one for the outer hash, and no allocation.
//!
//! The output is bit-for-bit HMAC-SHA256: the RFC 4231 test vectors run through
//! this path in the tests below, and the property tests compare it with the
//! RustCrypto `hmac` crate on random keys and messages of every length class.

use sha2::block_api::compress256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// SHA-256 block size in bytes.
const BLOCK: usize = 64;

/// SHA-256 initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The length in bytes of an HMAC-SHA256 tag.
pub const TAG_LEN: usize = 32;

/// An HMAC-SHA256 key with its inner and outer pad states precomputed.
///
/// Holds only the two chaining states (64 bytes), never the key itself; both
/// are wiped on drop. `Debug` prints no key-derived bytes.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct HmacSha256Key {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl std::fmt::Debug for HmacSha256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha256Key { .. }")
    }
}

impl HmacSha256Key {
    /// Prepares `key` (any length, as RFC 2104 allows: keys longer than 64
    /// bytes are first hashed with SHA-256). Callers enforce their own minimum
    /// length; the tokenizer requires 32 bytes.
    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            let mut digest = sha256(key);
            block[..TAG_LEN].copy_from_slice(&digest);
            digest.zeroize();
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut pad = [0u8; BLOCK];
        for (p, k) in pad.iter_mut().zip(&block) {
            *p = k ^ 0x36;
        }
        let mut inner = SHA256_IV;
        compress256(&mut inner, &[pad]);
        for (p, k) in pad.iter_mut().zip(&block) {
            *p = k ^ 0x5c;
        }
        let mut outer = SHA256_IV;
        compress256(&mut outer, &[pad]);
        pad.zeroize();
        block.zeroize();
        HmacSha256Key { inner, outer }
    }

    /// HMAC-SHA256(key, `message`).
    #[inline]
    pub fn mac(&self, message: &[u8]) -> [u8; TAG_LEN] {
        let mut state = self.inner;
        absorb_final(&mut state, message, BLOCK as u64);
        let mut block = [0u8; BLOCK];
        for (chunk, word) in block[..TAG_LEN].chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        block[TAG_LEN] = 0x80;
        block[BLOCK - 8..].copy_from_slice(&(((BLOCK + TAG_LEN) as u64) * 8).to_be_bytes());
        let mut outer = self.outer;
        compress256(&mut outer, &[block]);
        let mut tag = [0u8; TAG_LEN];
        for (chunk, word) in tag.chunks_exact_mut(4).zip(outer) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        tag
    }
}

impl HmacSha256Key {
    /// HMAC-SHA256 of `N` messages of at most [`SHORT_MESSAGE_MAX`] bytes
    /// each, their compressions interleaved (see `sha256_lanes`). Returns each
    /// tag as its eight big-endian words.
    ///
    /// The working blocks hold messages and inner digests, never key-equivalent
    /// state: the copies of the pad states are overwritten by the compression.
    #[inline]
    pub fn mac_short_lanes<const N: usize>(&self, messages: [&[u8]; N]) -> [[u32; 8]; N] {
        let mut blocks = [[0u32; 16]; N];
        for (words, m) in blocks.iter_mut().zip(messages) {
            debug_assert!(m.len() <= SHORT_MESSAGE_MAX);
            let mut bytes = [0u8; BLOCK];
            bytes[..m.len()].copy_from_slice(m);
            bytes[m.len()] = 0x80;
            for (w, chunk) in words.iter_mut().zip(bytes.as_chunks::<4>().0) {
                *w = u32::from_be_bytes(*chunk);
            }
            words[15] = ((BLOCK + m.len()) * 8) as u32;
        }
        let mut states = [self.inner; N];
        crate::ffi::cpu::sha256_compress_lanes(&mut states, &blocks);
        for (words, state) in blocks.iter_mut().zip(&states) {
            words[..8].copy_from_slice(state);
            words[8] = 0x8000_0000;
            words[9..15].fill(0);
            words[15] = ((BLOCK + TAG_LEN) * 8) as u32;
        }
        let mut states = [self.outer; N];
        crate::ffi::cpu::sha256_compress_lanes(&mut states, &blocks);
        states
    }
}

/// The longest message whose HMAC inner hash fits one SHA-256 block
/// (64 bytes minus the `0x80` byte and the 8-byte length).
pub const SHORT_MESSAGE_MAX: usize = BLOCK - 9;

/// Absorbs `message` and the SHA-256 padding into `state`, which has already
/// absorbed `prefix_len` bytes (a multiple of 64).
#[inline]
fn absorb_final(state: &mut [u32; 8], message: &[u8], prefix_len: u64) {
    let (blocks, tail) = message.as_chunks::<BLOCK>();
    if !blocks.is_empty() {
        compress256(state, blocks);
    }
    let bit_len = (prefix_len + message.len() as u64) * 8;
    let mut last = [[0u8; BLOCK]; 2];
    let flat = last.as_flattened_mut();
    flat[..tail.len()].copy_from_slice(tail);
    flat[tail.len()] = 0x80;
    // One final block if the tail, the 0x80 byte and the 8-byte length fit.
    let n = if tail.len() < BLOCK - 8 { 1 } else { 2 };
    flat[n * BLOCK - 8..n * BLOCK].copy_from_slice(&bit_len.to_be_bytes());
    compress256(state, &last[..n]);
}

/// Plain SHA-256 of `data`, on the same compression function.
fn sha256(data: &[u8]) -> [u8; TAG_LEN] {
    let mut state = SHA256_IV;
    absorb_final(&mut state, data, 0);
    let mut out = [0u8; TAG_LEN];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{InsecureSeededRng, NoiseRng};
    use hmac::{KeyInit, Mac};

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn words_hex(words: &[u32; 8]) -> String {
        words.iter().map(|w| format!("{w:08x}")).collect()
    }

    /// RFC 4231 §4.2–4.8: (key, data, HMAC-SHA256). Case 5 checks the
    /// leftmost 128 bits only, as the RFC specifies.
    fn rfc4231() -> Vec<(Vec<u8>, Vec<u8>, &'static str)> {
        vec![
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                (1..=25).collect(),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0x0c; 20],
                b"Test With Truncation".to_vec(),
                "a3b6167473100ee06e0c796c2955552b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size \
                  data. The key needs to be hashed before being used by the HMAC algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ]
    }

    #[test]
    fn rfc4231_vectors_through_the_single_path() {
        for (i, (key, data, expected)) in rfc4231().into_iter().enumerate() {
            let tag = HmacSha256Key::new(&key).mac(&data);
            assert_eq!(
                &hex(&tag)[..expected.len()],
                expected,
                "RFC 4231 case {}",
                i + 1
            );
        }
    }

    /// The cases whose data fits one block also run through the interleaved
    /// batch path, in every lane.
    #[test]
    fn rfc4231_vectors_through_the_lanes() {
        for (i, (key, data, expected)) in rfc4231().into_iter().enumerate() {
            if data.len() > SHORT_MESSAGE_MAX {
                continue;
            }
            let k = HmacSha256Key::new(&key);
            let tags = k.mac_short_lanes([&b"x"[..], &data, b"", &data]);
            for lane in [1, 3] {
                assert_eq!(
                    &words_hex(&tags[lane])[..expected.len()],
                    expected,
                    "RFC 4231 case {} lane {lane}",
                    i + 1
                );
            }
        }
    }

    /// Random keys (short, 32 bytes, longer than a block) and messages of
    /// every length around the one- and two-block boundaries, against the
    /// RustCrypto `hmac` crate.
    #[test]
    fn matches_the_hmac_crate() {
        let mut rng = InsecureSeededRng::from_seed_insecure(4231);
        for key_len in [1usize, 20, 32, 63, 64, 65, 131] {
            let mut key = vec![0u8; key_len];
            rng.fill_bytes(&mut key);
            let prepared = HmacSha256Key::new(&key);
            for msg_len in (0..=200).chain([1000, 4096, 65_537]) {
                let mut msg = vec![0u8; msg_len];
                rng.fill_bytes(&mut msg);
                let mut reference = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
                reference.update(&msg);
                let expected = reference.finalize().into_bytes();
                assert_eq!(
                    prepared.mac(&msg)[..],
                    expected[..],
                    "key {key_len} msg {msg_len}"
                );
                if msg_len <= SHORT_MESSAGE_MAX {
                    let lanes = prepared.mac_short_lanes([&msg[..], &msg[..msg_len / 2]]);
                    assert_eq!(words_hex(&lanes[0]), hex(&expected), "lanes, msg {msg_len}");
                }
            }
        }
    }

    #[test]
    fn debug_hides_the_state() {
        assert_eq!(
            format!("{:?}", HmacSha256Key::new(&[1; 32])),
            "HmacSha256Key { .. }"
        );
    }
}
