//! The ChaCha12 keystream behind [`super::SecureRng`], sixteen blocks at a
//! time.
//!
//! ChaCha12 (Bernstein 2008, 12 rounds) with a 256-bit key, a 64-bit block
//! counter in state words 12–13 and a zero 64-bit stream id in words 14–15:
//! the generator `chacha20::ChaCha12Rng::from_seed` also computes. Sixteen
//! consecutive blocks are computed side by side, one block per SIMD lane, and
//! the 1 KiB of keystream is handed out **word-major**: 32-bit word `w` of
//! block `b` (counting from the refill's first block) is 32-bit word
//! `16·w + b` of the buffer, read as little-endian 64-bit words. That is a
//! fixed, public permutation of the standard keystream, so it is exactly as
//! unpredictable; the tests compare it word for word with the RustCrypto
//! `chacha20` crate's `ChaCha12Rng` (and ChaCha20 with the original
//! reference vector).
//!
//! Kernels: AVX-512F (16 lanes) and AVX2 (8 lanes, twice) in
//! `crate::ffi::chacha_simd`, chosen at run time by
//! `crate::ffi::cpu::chacha12_blocks`, and [`blocks_portable`] here for every
//! other CPU; all three give the same bytes. On the development machine the
//! AVX-512 kernel makes 64 bits in ≈ 0.7 ns, against ≈ 3.3 ns for
//! `chacha20::ChaCha12Rng` (4 blocks per call, AVX2), which dominated the
//! cost of a noise sample.

use zeroize::Zeroize;

/// Blocks per refill.
pub(crate) const BLOCKS: usize = 16;

/// 64-bit words per refill (16 blocks of 64 bytes).
pub(crate) const WORDS: usize = BLOCKS * 8;

/// ChaCha's constant words, "expand 32-byte k".
pub(crate) const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// Double rounds of ChaCha12.
pub(crate) const DOUBLE_ROUNDS: usize = 6;

/// The keystream's position and key.
pub(crate) struct ChaCha12 {
    key: [u32; 8],
    /// The next block's counter.
    counter: u64,
}

impl ChaCha12 {
    /// The stream of the 256-bit key `seed` (little-endian words), from block 0.
    pub(crate) fn new(seed: &[u8; 32]) -> ChaCha12 {
        let mut key = [0u32; 8];
        for (k, chunk) in key.iter_mut().zip(seed.chunks_exact(4)) {
            let mut le = [0u8; 4];
            le.copy_from_slice(chunk);
            *k = u32::from_le_bytes(le);
        }
        ChaCha12 { key, counter: 0 }
    }

    /// Writes the next [`BLOCKS`] blocks into `out` (word-major, see the
    /// module documentation) and advances the counter.
    pub(crate) fn refill(&mut self, out: &mut [u64; WORDS]) {
        crate::ffi::cpu::chacha12_blocks(&self.key, self.counter, out);
        // 2^64 blocks (2^70 bytes) are never reached; wrapping keeps the
        // arithmetic defined.
        self.counter = self.counter.wrapping_add(BLOCKS as u64);
    }

    /// Blocks produced so far.
    pub(crate) fn blocks(&self) -> u64 {
        self.counter
    }

    /// Moves to block `counter` (tests only).
    #[cfg(test)]
    pub(crate) fn seek(&mut self, counter: u64) {
        self.counter = counter;
    }
}

impl Drop for ChaCha12 {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// The lane counters of blocks `counter + i`, `i < N`, split into low and
/// high 32-bit words (state words 12 and 13).
#[inline(always)]
pub(crate) fn lane_counters<const N: usize>(counter: u64) -> ([u32; N], [u32; N]) {
    let mut lo = [0u32; N];
    let mut hi = [0u32; N];
    for i in 0..N {
        let c = counter.wrapping_add(i as u64);
        lo[i] = c as u32;
        hi[i] = (c >> 32) as u32;
    }
    (lo, hi)
}

/// One ChaCha quarter round on state words `a, b, c, d`.
#[inline(always)]
fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

/// One ChaCha block with `double_rounds` double rounds (6 for ChaCha12).
pub(crate) fn block(key: &[u32; 8], counter: u64, double_rounds: usize) -> [u32; 16] {
    let mut init = [0u32; 16];
    init[..4].copy_from_slice(&SIGMA);
    init[4..12].copy_from_slice(key);
    init[12] = counter as u32;
    init[13] = (counter >> 32) as u32;
    let mut x = init;
    for _ in 0..double_rounds {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    for (v, i) in x.iter_mut().zip(init) {
        *v = v.wrapping_add(i);
    }
    x
}

/// The portable kernel: [`BLOCKS`] ChaCha12 blocks from `counter`, word-major.
pub(crate) fn blocks_portable(key: &[u32; 8], counter: u64, out: &mut [u64; WORDS]) {
    let mut words = [[0u32; 16]; BLOCKS];
    for (b, w) in words.iter_mut().enumerate() {
        *w = block(key, counter.wrapping_add(b as u64), DOUBLE_ROUNDS);
    }
    for w in 0..16 {
        for j in 0..BLOCKS / 2 {
            out[w * BLOCKS / 2 + j] =
                u64::from(words[2 * j][w]) | (u64::from(words[2 * j + 1][w]) << 32);
        }
    }
    words.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{Rng, SeedableRng};

    /// The 32-bit word `i` of a word-major refill.
    fn word32(out: &[u64; WORDS], i: usize) -> u32 {
        (out[i / 2] >> (32 * (i % 2))) as u32
    }

    /// ChaCha20 of the all-zero key and nonce, block 0: the reference
    /// keystream (Bernstein's test vector, also RFC 8439's appendix A.1 #1).
    #[test]
    fn chacha20_reference_vector() {
        let b = block(&[0; 8], 0, 10);
        let bytes: Vec<u8> = b.iter().flat_map(|w| w.to_le_bytes()).collect();
        let want = "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7\
                    da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586";
        let got: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, want);
    }

    /// Every kernel's refill is the `chacha20` crate's ChaCha12 keystream,
    /// transposed: block `b`, word `w` at 32-bit position `16·w + b`. Checked
    /// across refills and across the 32-bit carry of the block counter.
    #[test]
    fn refills_are_the_reference_keystream_transposed() {
        let seed: [u8; 32] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        for start in [0u64, 16, (1 << 32) - 5, u64::MAX - 40] {
            let mut ours = ChaCha12::new(&seed);
            ours.seek(start);
            let mut reference = chacha20::ChaCha12Rng::from_seed(seed);
            reference.set_word_pos(u128::from(start) * 16);
            for _ in 0..3 {
                let first = ours.blocks();
                let mut out = [0u64; WORDS];
                ours.refill(&mut out);
                let mut portable = [0u64; WORDS];
                blocks_portable(&ours.key, first, &mut portable);
                assert_eq!(out, portable, "dispatched kernel vs portable at {first}");
                for b in 0..BLOCKS {
                    for w in 0..16 {
                        assert_eq!(
                            word32(&out, 16 * w + b),
                            reference.next_u32(),
                            "block {} word {w}",
                            first.wrapping_add(b as u64)
                        );
                    }
                }
            }
        }
    }

    /// The AVX-512 and AVX2 kernels, when this CPU has them, agree with the
    /// portable one for many keys and counters.
    #[test]
    fn simd_kernels_agree_with_the_portable_one() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..200 {
            let mut key = [0u32; 8];
            for k in &mut key {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                *k = (state >> 32) as u32;
            }
            let counter = state.rotate_left(17);
            let mut a = [0u64; WORDS];
            let mut b = [0u64; WORDS];
            blocks_portable(&key, counter, &mut a);
            crate::ffi::cpu::chacha12_blocks(&key, counter, &mut b);
            assert_eq!(a, b);
            for kernel in crate::ffi::cpu::chacha12_kernels() {
                let mut c = [0u64; WORDS];
                kernel(&key, counter, &mut c);
                assert_eq!(a, c);
            }
        }
    }
}
