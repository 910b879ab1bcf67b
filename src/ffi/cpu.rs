//! Entry into CPU-specific code paths after run-time feature detection.
//!
//! Calling a function compiled with `#[target_feature]` from code compiled
//! without those features is `unsafe` (the CPU might lack the instructions);
//! the crate's such calls live here, with its other unsafe code, each guarded
//! by `is_x86_feature_detected!`.

/// Compresses `blocks[i]` into `states[i]` for every lane `i` (SHA-256); a
/// block is given as its sixteen message words (the block's bytes read
/// big-endian).
///
/// Uses the interleaved SHA-NI kernel of `crate::token::sha256_lanes` when the
/// CPU has the SHA extensions, and [`sha2::block_api::compress256`] lane by
/// lane otherwise. Both give the same result.
#[inline]
pub(crate) fn sha256_compress_lanes<const N: usize>(
    states: &mut [[u32; 8]; N],
    blocks: &[[u32; 16]; N],
) {
    #[cfg(target_arch = "x86_64")]
    if has_sha_ni() {
        // SAFETY: the kernel needs the `sha`, `sse2`, `ssse3` and `sse4.1`
        // target features, all detected on this CPU by `has_sha_ni`.
        unsafe { crate::token::sha256_lanes::compress_shani(states, blocks) };
        return;
    }
    for (state, words) in states.iter_mut().zip(blocks) {
        let mut block = [0u8; 64];
        for (chunk, word) in block.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        sha2::block_api::compress256(state, &[block]);
    }
}

/// Writes sixteen ChaCha12 blocks from `counter` into `out`, word-major
/// (see `crate::rng::chacha`): with AVX-512F when the CPU has it, else AVX2,
/// else the portable kernel. All three give the same bytes.
#[inline]
pub(crate) fn chacha12_blocks(
    key: &[u32; 8],
    counter: u64,
    out: &mut [u64; crate::rng::chacha::WORDS],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the kernel needs `avx512f`, detected on this CPU.
            unsafe { super::chacha_simd::blocks_avx512(key, counter, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the kernel needs `avx2`, detected on this CPU.
            unsafe { super::chacha_simd::blocks_avx2(key, counter, out) };
            return;
        }
    }
    crate::rng::chacha::blocks_portable(key, counter, out);
}

/// A ChaCha12 kernel with the signature of [`chacha12_blocks`].
#[cfg(test)]
pub(crate) type ChaChaKernel = fn(&[u32; 8], u64, &mut [u64; crate::rng::chacha::WORDS]);

/// Every SIMD kernel this CPU can run, as safe functions (tests compare each
/// with the portable kernel).
#[cfg(test)]
pub(crate) fn chacha12_kernels() -> Vec<ChaChaKernel> {
    #[allow(unused_mut)]
    let mut kernels: Vec<ChaChaKernel> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            kernels.push(|k, c, o| {
                // SAFETY: pushed only after `avx512f` was detected.
                unsafe { super::chacha_simd::blocks_avx512(k, c, o) }
            });
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            kernels.push(|k, c, o| {
                // SAFETY: pushed only after `avx2` was detected.
                unsafe { super::chacha_simd::blocks_avx2(k, c, o) }
            });
        }
    }
    kernels
}

/// Whether this x86-64 CPU has the SHA extensions and the SSE levels the
/// kernel uses (detected once, then cached by the standard library).
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_sha_ni() -> bool {
    std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("sse4.1")
        && std::arch::is_x86_feature_detected!("ssse3")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{InsecureSeededRng, NoiseRng};

    #[test]
    fn lanes_match_compress256() {
        let mut rng = InsecureSeededRng::from_seed_insecure(42);
        for _ in 0..200 {
            let mut states = [[0u32; 8]; 4];
            let mut blocks = [[0u8; 64]; 4];
            for (s, b) in states.iter_mut().zip(blocks.iter_mut()) {
                s.iter_mut().for_each(|w| *w = rng.next_u32());
                rng.fill_bytes(b);
            }
            let mut expected = states;
            for (s, b) in expected.iter_mut().zip(&blocks) {
                sha2::block_api::compress256(s, std::slice::from_ref(b));
            }
            let words: [[u32; 16]; 4] = blocks.map(|b| {
                std::array::from_fn(|i| u32::from_be_bytes(b[4 * i..4 * i + 4].try_into().unwrap()))
            });
            let mut two = [states[0], states[1]];
            sha256_compress_lanes(&mut two, &[words[0], words[1]]);
            assert_eq!(two, [expected[0], expected[1]]);
            sha256_compress_lanes(&mut states, &words);
            assert_eq!(states, expected);
        }
    }
}
