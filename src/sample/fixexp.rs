//! Rigorous bounds of `e^(−z)` in 127-bit fixed point, with the same work for
//! every `z`: the acceptance test of the fixed-work samplers.
//!
//! Values are `Q127` integers: `v` stands for `v·2^−127`. For `0 ≤ z < 2`,
//! [`exp_neg_lower`] returns `A` with
//!
//! ```text
//! A ≤ e^(−z)·2^127 ≤ A + EXP_GAP,    EXP_GAP = 3·2^57 (an error below 2^−68.6)
//! ```
//!
//! from three table lookups and a short polynomial, all in integers:
//! `z = i/2^8 + j/2^16 + k/2^24 + r` with `r < 2^−24`, and
//! `e^(−z) = e^(−i/2^8)·(1 − δ_j)·(1 − δ_k)·e^(−r)` where the first factor is
//! a table entry rounded down, the `δ` are table entries rounded up, and
//! `e^(−r) ≥ 1 − (r − r²/2 + r³/6)`. The small factors are combined into one
//! upward-rounded `δ`, applied to the large one by subtracting an
//! upward-rounded product, so the result is a lower bound; the error budget
//! is in the comments of [`ExpTables::exp_neg_lower`], and a test compares
//! the result with big-integer bounds of `e^(−z)` at 200 bits.
//!
//! The tables depend only on `e` and are computed once per process from
//! big-integer bounds by interval arithmetic rounded outward ([`Fix127`]).

use std::sync::OnceLock;

use num_traits::ToPrimitive;

use super::exp::{Bounds, ceil_shr, exp_neg_bounds};
use super::rational::Rational;

/// `1.0` in `Q127`.
pub(crate) const ONE: u128 = 1 << 127;

/// `A ≤ e^(−z)·2^127 ≤ A + EXP_GAP` for `A = exp_neg_lower(z)` (an error
/// below `2^−68.6`).
pub(crate) const EXP_GAP: u128 = 3 << 57;

/// Interval bounds of a value in `[0, 1]` in `Q127`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fix127 {
    /// Lower bound.
    pub(crate) lo: u128,
    /// Upper bound.
    pub(crate) hi: u128,
}

/// The full 256-bit product `a·b` as `(high, low)` halves.
#[inline]
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = (a >> 64, a & u128::from(u64::MAX));
    let (b1, b0) = (b >> 64, b & u128::from(u64::MAX));
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & u128::from(u64::MAX)) + (p10 & u128::from(u64::MAX));
    let lo = (p00 & u128::from(u64::MAX)) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

impl Fix127 {
    /// From big-integer bounds at precision `≥ 127`, rounded outward and
    /// capped at 1.
    pub(crate) fn from_bounds(b: &Bounds) -> Fix127 {
        let shift = b.prec - 127;
        Fix127 {
            lo: (&b.lo >> shift).to_u128().unwrap_or(ONE).min(ONE),
            hi: ceil_shr(b.hi.clone(), shift)
                .to_u128()
                .unwrap_or(ONE)
                .min(ONE),
        }
    }

    /// `e^(−x)` for a rational `x ≥ 0`.
    pub(crate) fn exp_neg(x: &Rational) -> Fix127 {
        Fix127::from_bounds(&exp_neg_bounds(x, 160))
    }

    /// The product, rounded outward.
    pub(crate) fn mul(self, other: Fix127) -> Fix127 {
        let (h, l) = mul_wide(self.lo, other.lo);
        let lo = (h << 1) | (l >> 127);
        let (h, l) = mul_wide(self.hi, other.hi);
        let hi = ((h << 1) | (l >> 127)) + u128::from(l & ((1 << 127) - 1) != 0);
        Fix127 { lo, hi }
    }
}

/// `v, v·r, v·r², …` (`n` terms), rounded outward.
pub(crate) fn powers(first: Fix127, ratio: Fix127, n: usize) -> Vec<Fix127> {
    let mut out = Vec::with_capacity(n);
    let mut cur = first;
    for _ in 0..n {
        out.push(cur);
        cur = cur.mul(ratio);
    }
    out
}

/// `a − ⌈((⌊a/2^64⌋ + 1)·d) / 2^shift⌉`, saturating at 0: a lower bound of
/// `a·(1 − δ)` whenever `δ ≤ d·2^−(64+shift)`, since then
/// `a·δ ≤ (⌊a/2^64⌋ + 1)·2^64·δ ≤ (⌊a/2^64⌋ + 1)·d·2^−shift`. It exceeds the
/// exact `a·(1 − δ)` by at most `a·(d·2^−(64+shift) − δ) + 2^64·d·2^−(64+shift) + 1`.
/// Needs `a ≤ 2^127` and `shift < 64`; one 64-bit multiplication.
#[cfg(test)]
pub(crate) fn mul_sub(a: u128, d: u64, shift: u32) -> u128 {
    let p = u128::from((a >> 64) as u64 + 1) * u128::from(d);
    a.saturating_sub((p + ((1u128 << shift) - 1)) >> shift)
}

/// The process-wide tables of [`ExpTables::exp_neg_lower`].
pub(crate) struct ExpTables {
    /// `e^(−i/2^8)·2^127`, `i < 512`, rounded down.
    t1: [u128; 512],
    /// `(1 − e^(−j/2^16))·2^72`, `j < 256`, rounded up (`< 2^64`).
    d2: [u64; 256],
    /// `(1 − e^(−k/2^24))·2^80`, `k < 256`, rounded up (`< 2^64`).
    d3: [u64; 256],
}

impl std::fmt::Debug for ExpTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExpTables { .. }")
    }
}

/// `⌈(1 − L)·2^bits⌉` for a lower bound `L` (`Q127`) of a value in
/// `(0, 1]` whose result fits 64 bits.
fn one_minus_up(l: u128, bits: u32) -> u64 {
    let v = ONE - l;
    let shift = 127 - bits;
    let up = (v >> shift) + u128::from(v & ((1 << shift) - 1) != 0);
    u64::try_from(up).expect("δ·2^bits < 2^64 by the table's range")
}

impl ExpTables {
    /// The tables, computed on first use (≈ 0.1 ms) and shared by every sampler.
    pub(crate) fn get() -> &'static ExpTables {
        static TABLES: OnceLock<Box<ExpTables>> = OnceLock::new();
        TABLES.get_or_init(|| {
            let one = Fix127 { lo: ONE, hi: ONE };
            let step = |den: u128| Fix127::exp_neg(&Rational::from_u128(1, den).expect("den > 0"));
            let mut t = Box::new(ExpTables {
                t1: [0; 512],
                d2: [0; 256],
                d3: [0; 256],
            });
            for (v, f) in t.t1.iter_mut().zip(powers(one, step(1 << 8), 512)) {
                *v = f.lo;
            }
            for (v, f) in t.d2.iter_mut().zip(powers(one, step(1 << 16), 256)) {
                *v = one_minus_up(f.lo, 72);
            }
            for (v, f) in t.d3.iter_mut().zip(powers(one, step(1 << 24), 256)) {
                *v = one_minus_up(f.lo, 80);
            }
            t
        })
    }

    /// A lower bound `A` of `e^(−z)·2^127` for `z = z_q127·2^−127 ∈ [0, 2)`,
    /// within [`EXP_GAP`] of it; the same operations for every `z`.
    ///
    /// `e^(−z) = e^(−i/2^8)·(1 − δ₂)(1 − δ₃)(1 − δ_r)`; the three small
    /// factors are combined first, independently of the large one, into one
    /// upward-rounded `δ` (in units of `2^−72`, below `2^64` since
    /// `δ < 2^−8·0.9942 + 2^−16 + 2^−24`), which shortens the chain of
    /// dependent multiplications: `g(a, b) = a + b − ab` is increasing in
    /// both arguments, so upper bounds of `a`, `b` and a lower bound of `ab`
    /// give an upper bound of `1 − (1 − a)(1 − b)`.
    #[inline(always)]
    pub(crate) fn exp_neg_lower(&self, z: u128) -> u128 {
        let i = (z >> 119) as usize; // z < 2: nine bits
        let j = ((z >> 111) & 0xff) as usize;
        let k = ((z >> 103) & 0xff) as usize;
        let r = z & ((1u128 << 103) - 1); // r < 2^−24
        // e^(−i/256): rounded down by at most 2^11 (512 outward products).
        let t1 = self.t1[i & 511];
        // δ₂ ≤ d2·2^−72 (table, +1 unit), δ₃ ≤ d3·2^−80 ≤ d3u·2^−72 (+1).
        let d2 = self.d2[j & 255];
        let d3u = self.d3[k & 255].div_ceil(1 << 8);
        let dc = d2 + d3u - ((u128::from(d2) * u128::from(d3u)) >> 72) as u64;
        // 1 − e^(−r) ≤ r − r²/2 + r³/6 ≤ (r88 + 1 − ⌊r88²/2^89⌋ + 2^14)·2^−88
        // with r88 = ⌊r·2^88⌋ and r³/6 < 2^14·2^−88; in units of 2^−72 it is
        // at most ⌊(r88 − ⌊r88²/2^89⌋)/2^16⌋ + 2 (+2.3 units at most).
        let r88 = (r >> 39) as u64;
        let dr = ((r88 - ((u128::from(r88) * u128::from(r88)) >> 89) as u64) >> 16) + 2;
        let d = dc + dr - ((u128::from(dc) * u128::from(dr)) >> 72) as u64;
        // d·2^−72 exceeds 1 − (1 − δ₂)(1 − δ₃)(1 − δ_r) by at most
        // 1 + 1 + 1 + 2.3 + 2 units (tables, products) < 2^2.9·2^−72. The
        // subtraction ⌈(⌊t1/2^64⌋ + 1)·d/2^8⌉ ≥ t1·d·2^−72 errs by
        // < 2^127·2^−69.1 + 2^64·2^−8 + 1 (see `mul_sub`); with t1's 2^11:
        // total < 2^57.9 + 2^56 + 2^11 < 2^58.3 < EXP_GAP.
        t1 - sub_part(t1, d, 8)
    }
}

/// `⌈((⌊a/2^64⌋ + 1)·d) / 2^shift⌉` (see [`mul_sub`]).
#[inline(always)]
fn sub_part(a: u128, d: u64, shift: u32) -> u128 {
    let p = u128::from((a >> 64) as u64 + 1) * u128::from(d);
    (p + ((1u128 << shift) - 1)) >> shift
}

/// [`ExpTables::exp_neg_lower`] with the process-wide tables (tests).
#[cfg(test)]
pub(crate) fn exp_neg_lower(z: u128) -> u128 {
    ExpTables::get().exp_neg_lower(z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{InsecureSeededRng, NoiseRng};
    use num_bigint::BigUint;

    /// `A ≤ e^(−z)·2^127 ≤ A + EXP_GAP` against 200-bit big-integer bounds,
    /// for the table points, their neighbours and random `z` in `[0, 2)`.
    #[test]
    fn bounds_hold_against_big_integer_exp() {
        let check = |z: u128| {
            let a = exp_neg_lower(z);
            let x = Rational::new(BigUint::from(z), BigUint::from(1u32) << 127u32).unwrap();
            let b = exp_neg_bounds(&x, 200);
            // b.lo ≤ e^(−z)·2^200 ≤ b.hi.
            assert!(
                BigUint::from(a) << 73u32 <= b.lo,
                "lower bound fails at {z:#x}"
            );
            assert!(
                b.hi <= BigUint::from(a + EXP_GAP) << 73u32,
                "gap fails at {z:#x}"
            );
        };
        let mut rng = InsecureSeededRng::from_seed_insecure(31);
        for i in 0..512u128 {
            for z in [i << 119, (i << 119) | ((1 << 119) - 1)] {
                check(z);
            }
        }
        for _ in 0..20_000 {
            let z = ((u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64())) >> 1;
            // Uniform in [0, 1) and, shifted, in [1, 2); and small values.
            check(z);
            check(z | ONE);
            check(z >> (rng.next_u64() % 120));
        }
        let a0 = exp_neg_lower(0);
        assert!(a0 <= ONE && ONE - a0 <= EXP_GAP);
    }

    #[test]
    fn mul_sub_bounds_and_edges() {
        // ⌈(2^63 + 1)·1/2^6⌉ = 2^57 + 1.
        let a = ONE;
        assert_eq!(mul_sub(a, 1, 6), a - (1 << 57) - 1);
        assert_eq!(mul_sub(0, u64::MAX, 0), u128::from(0u8));
        let p = Fix127 {
            lo: ONE / 2,
            hi: ONE / 2,
        };
        assert_eq!(
            p.mul(p),
            Fix127 {
                lo: ONE / 4,
                hi: ONE / 4
            }
        );
    }
}
