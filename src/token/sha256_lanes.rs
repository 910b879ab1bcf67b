//! SHA-256 compression of several independent messages at once.
//!
//! On x86-64 the SHA extensions (`sha256rnds2` and friends) are limited by the
//! latency of each round instruction, not by how many the core can issue: one
//! compression leaves most of the SHA unit idle. Running the rounds of `N`
//! independent blocks interleaved fills that gap, which is what the batch
//! tokenizer does (a short ID needs two compressions, so two or four IDs are
//! hashed side by side).
//!
//! The kernel here is plain, safe code (`core::arch` intrinsics are safe inside
//! a function compiled with the matching `target_feature`). Entering it from a
//! caller not compiled with those features needs one `unsafe` call after
//! run-time detection, which lives with the crate's other unsafe code in
//! `crate::ffi::cpu`; that function is also the portable fallback
//! ([`sha2::block_api::compress256`] per lane) on CPUs without SHA-NI.
//!
//! Reference: Gulley et al., "Intel SHA Extensions", Intel white paper, 2013
//! (the packing of the state into `ABEF`/`CDGH` and the message schedule with
//! `sha256msg1`/`sha256msg2`).

/// SHA-256 round constants (FIPS 180-4 §4.2.2).
#[cfg(target_arch = "x86_64")]
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Compresses `blocks[i]` (sixteen big-endian message words) into `states[i]`
/// for every lane `i`, with the SHA extensions, the `N` lanes' rounds
/// interleaved.
///
/// Same result as `compress256` on the block's bytes, for each lane.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
pub(crate) fn compress_shani<const N: usize>(states: &mut [[u32; 8]; N], blocks: &[[u32; 16]; N]) {
    use core::arch::x86_64::*;

    // Message words W[4j..4j+4] of each lane, lane 0 of the vector = W[4j].
    let mut w: [[__m128i; 4]; N] = core::array::from_fn(|l| {
        let b = &blocks[l];
        core::array::from_fn(|j| {
            _mm_set_epi32(
                b[4 * j + 3] as i32,
                b[4 * j + 2] as i32,
                b[4 * j + 1] as i32,
                b[4 * j] as i32,
            )
        })
    });
    // State packed as ABEF and CDGH (lane 3 = A resp. C).
    let s = |l: usize, i: usize| states[l][i] as i32;
    let mut abef: [__m128i; N] =
        core::array::from_fn(|l| _mm_set_epi32(s(l, 0), s(l, 1), s(l, 4), s(l, 5)));
    let mut cdgh: [__m128i; N] =
        core::array::from_fn(|l| _mm_set_epi32(s(l, 2), s(l, 3), s(l, 6), s(l, 7)));
    let abef0 = abef;
    let cdgh0 = cdgh;

    // 16 groups of 4 rounds; the message words of group r live in slot r % 4.
    // Written out (no loop over r) so that every slot index is a constant and
    // the whole schedule stays in registers.
    macro_rules! group {
        ($r:expr, $slot:expr, $schedule:expr) => {{
            const R: usize = $r;
            const S: usize = $slot;
            if $schedule {
                // W[4r..4r+4] from W[4r-16..4r] (held in the four slots).
                for lane in w.iter_mut() {
                    let t = _mm_add_epi32(
                        _mm_sha256msg1_epu32(lane[S], lane[(S + 1) % 4]),
                        _mm_alignr_epi8(lane[(S + 3) % 4], lane[(S + 2) % 4], 4),
                    );
                    lane[S] = _mm_sha256msg2_epu32(t, lane[(S + 3) % 4]);
                }
            }
            let k = _mm_set_epi32(
                K[4 * R + 3] as i32,
                K[4 * R + 2] as i32,
                K[4 * R + 1] as i32,
                K[4 * R] as i32,
            );
            for l in 0..N {
                let wk = _mm_add_epi32(w[l][S], k);
                cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk);
                abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], _mm_shuffle_epi32(wk, 0x0e));
            }
        }};
    }
    group!(0, 0, false);
    group!(1, 1, false);
    group!(2, 2, false);
    group!(3, 3, false);
    group!(4, 0, true);
    group!(5, 1, true);
    group!(6, 2, true);
    group!(7, 3, true);
    group!(8, 0, true);
    group!(9, 1, true);
    group!(10, 2, true);
    group!(11, 3, true);
    group!(12, 0, true);
    group!(13, 1, true);
    group!(14, 2, true);
    group!(15, 3, true);

    for l in 0..N {
        let x = _mm_add_epi32(abef[l], abef0[l]);
        let y = _mm_add_epi32(cdgh[l], cdgh0[l]);
        states[l] = [
            _mm_extract_epi32(x, 3) as u32,
            _mm_extract_epi32(x, 2) as u32,
            _mm_extract_epi32(y, 3) as u32,
            _mm_extract_epi32(y, 2) as u32,
            _mm_extract_epi32(x, 1) as u32,
            _mm_extract_epi32(x, 0) as u32,
            _mm_extract_epi32(y, 1) as u32,
            _mm_extract_epi32(y, 0) as u32,
        ];
    }
}
