//! The SIMD kernels of the ChaCha12 keystream (`crate::rng::chacha`):
//! sixteen blocks side by side, one block per 32-bit lane, written
//! word-major (32-bit word `w` of block `b` at position `16·w + b`).
//!
//! Arithmetic with `core::arch` intrinsics is safe inside functions compiled
//! with the matching `target_feature`; the only `unsafe` operations are the
//! unaligned stores into the caller's buffer, each within its bounds. The
//! functions are entered from `super::cpu::chacha12_blocks` after run-time
//! detection of the feature.

#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

#[cfg(target_arch = "x86_64")]
use crate::rng::chacha::{DOUBLE_ROUNDS, SIGMA, WORDS, lane_counters};

/// Sixteen ChaCha12 blocks from `counter` with AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub(crate) fn blocks_avx512(key: &[u32; 8], counter: u64, out: &mut [u64; WORDS]) {
    let (lo, hi) = lane_counters::<16>(counter);
    let lanes = |w: [u32; 16]| {
        _mm512_set_epi32(
            w[15] as i32,
            w[14] as i32,
            w[13] as i32,
            w[12] as i32,
            w[11] as i32,
            w[10] as i32,
            w[9] as i32,
            w[8] as i32,
            w[7] as i32,
            w[6] as i32,
            w[5] as i32,
            w[4] as i32,
            w[3] as i32,
            w[2] as i32,
            w[1] as i32,
            w[0] as i32,
        )
    };
    let splat = |w: u32| _mm512_set1_epi32(w as i32);
    let init = [
        splat(SIGMA[0]),
        splat(SIGMA[1]),
        splat(SIGMA[2]),
        splat(SIGMA[3]),
        splat(key[0]),
        splat(key[1]),
        splat(key[2]),
        splat(key[3]),
        splat(key[4]),
        splat(key[5]),
        splat(key[6]),
        splat(key[7]),
        lanes(lo),
        lanes(hi),
        _mm512_setzero_si512(),
        _mm512_setzero_si512(),
    ];
    let mut x = init;
    macro_rules! quarter {
        ($a:literal, $b:literal, $c:literal, $d:literal) => {
            x[$a] = _mm512_add_epi32(x[$a], x[$b]);
            x[$d] = _mm512_rol_epi32::<16>(_mm512_xor_si512(x[$d], x[$a]));
            x[$c] = _mm512_add_epi32(x[$c], x[$d]);
            x[$b] = _mm512_rol_epi32::<12>(_mm512_xor_si512(x[$b], x[$c]));
            x[$a] = _mm512_add_epi32(x[$a], x[$b]);
            x[$d] = _mm512_rol_epi32::<8>(_mm512_xor_si512(x[$d], x[$a]));
            x[$c] = _mm512_add_epi32(x[$c], x[$d]);
            x[$b] = _mm512_rol_epi32::<7>(_mm512_xor_si512(x[$b], x[$c]));
        };
    }
    for _ in 0..DOUBLE_ROUNDS {
        quarter!(0, 4, 8, 12);
        quarter!(1, 5, 9, 13);
        quarter!(2, 6, 10, 14);
        quarter!(3, 7, 11, 15);
        quarter!(0, 5, 10, 15);
        quarter!(1, 6, 11, 12);
        quarter!(2, 7, 8, 13);
        quarter!(3, 4, 9, 14);
    }
    for w in 0..16 {
        let v = _mm512_add_epi32(x[w], init[w]);
        // SAFETY: `out` holds 128 u64 = 16 rows of 64 bytes; row `w < 16`
        // starts at u64 index 8·w, so the 64-byte unaligned store stays
        // inside the buffer, which `&mut` borrows exclusively.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(8 * w).cast(), v) };
    }
}

/// Sixteen ChaCha12 blocks from `counter` with AVX2 (two passes of eight).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(crate) fn blocks_avx2(key: &[u32; 8], counter: u64, out: &mut [u64; WORDS]) {
    let (lo, hi) = lane_counters::<16>(counter);
    let rot16 = _mm256_set_epi8(
        13, 12, 15, 14, 9, 8, 11, 10, 5, 4, 7, 6, 1, 0, 3, 2, 13, 12, 15, 14, 9, 8, 11, 10, 5, 4,
        7, 6, 1, 0, 3, 2,
    );
    let rot8 = _mm256_set_epi8(
        14, 13, 12, 15, 10, 9, 8, 11, 6, 5, 4, 7, 2, 1, 0, 3, 14, 13, 12, 15, 10, 9, 8, 11, 6, 5,
        4, 7, 2, 1, 0, 3,
    );
    let splat = |w: u32| _mm256_set1_epi32(w as i32);
    for half in 0..2 {
        let lanes = |w: &[u32; 16]| {
            let s = &w[8 * half..8 * half + 8];
            _mm256_set_epi32(
                s[7] as i32,
                s[6] as i32,
                s[5] as i32,
                s[4] as i32,
                s[3] as i32,
                s[2] as i32,
                s[1] as i32,
                s[0] as i32,
            )
        };
        let init = [
            splat(SIGMA[0]),
            splat(SIGMA[1]),
            splat(SIGMA[2]),
            splat(SIGMA[3]),
            splat(key[0]),
            splat(key[1]),
            splat(key[2]),
            splat(key[3]),
            splat(key[4]),
            splat(key[5]),
            splat(key[6]),
            splat(key[7]),
            lanes(&lo),
            lanes(&hi),
            _mm256_setzero_si256(),
            _mm256_setzero_si256(),
        ];
        let mut x = init;
        macro_rules! quarter {
            ($a:literal, $b:literal, $c:literal, $d:literal) => {
                x[$a] = _mm256_add_epi32(x[$a], x[$b]);
                x[$d] = _mm256_shuffle_epi8(_mm256_xor_si256(x[$d], x[$a]), rot16);
                x[$c] = _mm256_add_epi32(x[$c], x[$d]);
                let t = _mm256_xor_si256(x[$b], x[$c]);
                x[$b] = _mm256_or_si256(_mm256_slli_epi32::<12>(t), _mm256_srli_epi32::<20>(t));
                x[$a] = _mm256_add_epi32(x[$a], x[$b]);
                x[$d] = _mm256_shuffle_epi8(_mm256_xor_si256(x[$d], x[$a]), rot8);
                x[$c] = _mm256_add_epi32(x[$c], x[$d]);
                let t = _mm256_xor_si256(x[$b], x[$c]);
                x[$b] = _mm256_or_si256(_mm256_slli_epi32::<7>(t), _mm256_srli_epi32::<25>(t));
            };
        }
        for _ in 0..DOUBLE_ROUNDS {
            quarter!(0, 4, 8, 12);
            quarter!(1, 5, 9, 13);
            quarter!(2, 6, 10, 14);
            quarter!(3, 7, 11, 15);
            quarter!(0, 5, 10, 15);
            quarter!(1, 6, 11, 12);
            quarter!(2, 7, 8, 13);
            quarter!(3, 4, 9, 14);
        }
        for w in 0..16 {
            let v = _mm256_add_epi32(x[w], init[w]);
            // SAFETY: row `w < 16` of the word-major layout is u64 indices
            // 8·w .. 8·w + 8; this half's eight lanes are its u64 indices
            // 8·w + 4·half .. + 4 (32 bytes, `half < 2`), inside `out`.
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(8 * w + 4 * half).cast(), v) };
        }
    }
}
