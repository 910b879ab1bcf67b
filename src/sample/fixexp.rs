//! Rigorous bounds of `e^(−z)` in 127-bit fixed point, with the same work for
//! every `z`: the acceptance test of the fixed-work samplers.
//!
//! Values are `Q127` integers: `v` stands for `v·2^−127`. For `0 ≤ z < 2`,
//! [`exp_neg_lower`] returns `A` with
//!
//! ```text
//! A ≤ e^(−z)·2^127 ≤ A + EXP_GAP,    EXP_GAP = 2^57 (an error below 2^−70)
//! ```
//!
//! from three table lookups and a short polynomial, all in integers:
//! `z = i/2^8 + j/2^16 + k/2^24 + r` with `r < 2^−24`, and
//! `e^(−z) = e^(−i/2^8)·(1 − δ_j)·(1 − δ_k)·e^(−r)` where the first factor is
//! a table entry rounded down, the `δ` are table entries rounded up, and
//! `e^(−r) ≥ 1 − (r − r²/2 + r³/6)`. Each factor `1 − δ` is applied by
//! subtracting an upward-rounded product ([`mul_sub`]), so every step keeps a
//! lower bound; the error budget of each step is in the comments of
//! [`exp_neg_lower`], and a test compares the result with big-integer bounds
//! of `e^(−z)` at 200 bits.
//!
//! The tables depend only on `e` and are computed once per process from
//! big-integer bounds by interval arithmetic rounded outward ([`Fix127`]).

use std::sync::OnceLock;

use num_traits::ToPrimitive;

use super::exp::{Bounds, ceil_shr, exp_neg_bounds};
use super::rational::Rational;

/// `1.0` in `Q127`.
pub(crate) const ONE: u128 = 1 << 127;

/// `A ≤ e^(−z)·2^127 ≤ A + EXP_GAP` for `A = exp_neg_lower(z)`.
pub(crate) const EXP_GAP: u128 = 1 << 57;

/// `r³/6·2^88` for `r < 2^−24`, rounded up (with room to spare).
const RESIDUAL_TAIL: u128 = 1 << 14;

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
/// Needs `a ≤ 2^127` and `d ≤ 2^64 + 2^20` (no overflow).
#[inline(always)]
pub(crate) fn mul_sub(a: u128, d: u128, shift: u32) -> u128 {
    let p = ((a >> 64) + 1) * d;
    let mask = (1u128 << shift) - 1;
    let sub = (p >> shift) + u128::from(p & mask != 0);
    a.saturating_sub(sub)
}

/// The process-wide tables of [`exp_neg_lower`].
struct Tables {
    /// `e^(−i/2^8)·2^127`, `i < 512`, rounded down.
    t1: Vec<u128>,
    /// `(1 − e^(−j/2^16))·2^72`, `j < 256`, rounded up (`< 2^64`).
    d2: Vec<u128>,
    /// `(1 − e^(−k/2^24))·2^80`, `k < 256`, rounded up (`< 2^64`).
    d3: Vec<u128>,
}

/// `⌈(1 − L)·2^bits⌉` for a lower bound `L` (`Q127`) of a value in `(0, 1]`.
fn one_minus_up(l: u128, bits: u32) -> u128 {
    let v = ONE - l;
    let shift = 127 - bits;
    (v >> shift) + u128::from(v & ((1 << shift) - 1) != 0)
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let one = Fix127 { lo: ONE, hi: ONE };
        let step = |den: u128| Fix127::exp_neg(&Rational::from_u128(1, den).expect("den > 0"));
        let t1 = powers(one, step(1 << 8), 512)
            .iter()
            .map(|f| f.lo)
            .collect();
        let d2 = powers(one, step(1 << 16), 256)
            .iter()
            .map(|f| one_minus_up(f.lo, 72))
            .collect();
        let d3 = powers(one, step(1 << 24), 256)
            .iter()
            .map(|f| one_minus_up(f.lo, 80))
            .collect();
        Tables { t1, d2, d3 }
    })
}

/// A lower bound `A` of `e^(−z)·2^127` for `z = z_q127·2^−127 ∈ [0, 2)`,
/// within [`EXP_GAP`] of it; the same operations for every `z`.
#[inline(always)]
pub(crate) fn exp_neg_lower(z: u128) -> u128 {
    let t = tables();
    let i = (z >> 119) as usize; // z < 2: nine bits
    let j = ((z >> 111) & 0xff) as usize;
    let k = ((z >> 103) & 0xff) as usize;
    let r = z & ((1u128 << 103) - 1); // r < 2^−24
    // e^(−i/256): rounded down by at most 2^11 (512 outward products).
    let mut a = t.t1[i & 511];
    // ·(1 − δ_j), δ_j < 2^−8: error ≤ 2^127·2^−72 + 2^64·2^−8 + 1 < 2^56.6.
    a = mul_sub(a, t.d2[j], 8);
    // ·(1 − δ_k), δ_k < 2^−16: error < 2^48.6.
    a = mul_sub(a, t.d3[k], 16);
    // ·e^(−r) ≥ 1 − d, d = r − r²/2 + r³/6 ≤ D·2^−88 with
    // D = ⌈r·2^88⌉ − ⌊(⌊r·2^88⌋)²/2^89⌋ + ⌈2^88·r³/6⌉; D exceeds
    // (1 − e^(−r))·2^88 by at most 2 + 2^14 + 2^88·r³/6 < 2^14.8, so the
    // error is < 2^127·2^−73.2 + 2^64·2^−24 + 1 < 2^53.8.
    let r88 = r >> 39;
    let d = (r88 + 1) - ((r88 * r88) >> 89) + RESIDUAL_TAIL;
    // Total < 2^11 + 2^56.6 + 2^48.6 + 2^53.8 < 2^57 = EXP_GAP.
    mul_sub(a, d, 24)
}

/// The tables' lengths (tests).
#[cfg(test)]
pub(crate) fn table_sizes() -> (usize, usize, usize) {
    let t = tables();
    (t.t1.len(), t.d2.len(), t.d3.len())
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
        assert_eq!(table_sizes(), (512, 256, 256));
        let a0 = exp_neg_lower(0);
        assert!(a0 <= ONE && ONE - a0 <= EXP_GAP);
    }

    #[test]
    fn mul_sub_bounds_and_edges() {
        // ⌈(2^63 + 1)·1/2^6⌉ = 2^57 + 1.
        let a = ONE;
        assert_eq!(mul_sub(a, 1, 6), a - (1 << 57) - 1);
        assert_eq!(mul_sub(0, u128::from(u64::MAX), 0), 0);
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
