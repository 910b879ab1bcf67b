//! Copied from the library as it was before fixed-work sampling (kept as
//! the timing counter-example; not used by the library).
#![allow(dead_code, clippy::all)]

//! Fixed-point bounds of `e^(−x)` from precomputed tables, and the lazily
//! refined uniform that settles ties exactly.
//!
//! The fast paths of the samplers compare 63 random bits with integer
//! bounds `lo ≤ e^(−x)·2^63 ≤ hi` read from tables computed once, in big
//! integers with outward rounding ([`ExpTables`]). Three levels:
//!
//! 1. **coarse**: one table entry per `1/1024` of `x` (plus `e^(−n)` for the
//!    integer part): decides all but ≈ 0.1 % of comparisons;
//! 2. **fine**: the product of eight byte tables over the 64 fractional bits
//!    of `x`, rounded outward: width ≈ 2⁻⁶⁰, decides all but ≈ 2⁻⁵⁸ of the rest;
//! 3. **exact**: [`LazyUniform`] draws more bits and compares them with
//!    big-integer bounds at growing precision ([`super::exp`]).
//!
//! The tables depend on nothing but `e`, so they are shared by every scale.

use std::sync::OnceLock;

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use ilsprivacy::sample::Rational;
use ilsprivacy::sample::exp::{Bounds, exp_neg_bounds};

use super::{WordSource, ceil_shr};

/// Bounds of `e^(−x)·2^63`, `x ≥ 0`, as `(lo, hi)`.
pub type Bound63 = (u64, u64);

const ONE63: u64 = 1 << 63;

/// The universal tables (see the module documentation).
pub struct ExpTables {
    /// `e^(−n)`, `n ∈ 0..64`.
    int: [Bound63; 64],
    /// `e^(−i/1024)`, `i ∈ 0..=1024`.
    coarse: Vec<Bound63>,
    /// `e^(−b·2^(8k−64))`, `k ∈ 0..8`, `b ∈ 0..256`.
    bytes: Vec<[Bound63; 256]>,
}

/// Precision of the big-integer computation of the tables.
const TABLE_PREC: u32 = 160;

/// Interval bounds of a value in `[0, 1]` in 127-bit fixed point.
#[derive(Clone, Copy, Debug)]
pub struct Fix127 {
    lo: u128,
    hi: u128,
}

/// The full 256-bit product `a·b` as `(high, low)` halves.
#[inline]
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = (a >> 64, a & u128::from(u64::MAX));
    let (b1, b0) = (b >> 64, b & u128::from(u64::MAX));
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & u128::from(u64::MAX)) + (p10 & u128::from(u64::MAX));
    let lo = (p00 & u128::from(u64::MAX)) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

impl Fix127 {
    /// From big-integer bounds at precision `≥ 127`, rounded outward.
    pub fn from_bounds(b: &Bounds) -> Fix127 {
        let shift = b.prec - 127;
        let cap = 1u128 << 127;
        Fix127 {
            lo: (&b.lo >> shift).to_u128().unwrap_or(cap).min(cap),
            hi: ceil_shr(b.hi.clone(), shift)
                .to_u128()
                .unwrap_or(cap)
                .min(cap),
        }
    }

    /// The product, rounded outward.
    pub fn mul(self, other: Fix127) -> Fix127 {
        let (h, l) = mul_wide(self.lo, other.lo);
        let lo = (h << 1) | (l >> 127);
        let (h, l) = mul_wide(self.hi, other.hi);
        let hi = ((h << 1) | (l >> 127)) + u128::from(l & ((1 << 127) - 1) != 0);
        Fix127 { lo, hi }
    }

    /// 63-bit bounds.
    pub fn to63(self) -> Bound63 {
        ((self.lo >> 64) as u64, self.hi.div_ceil(1 << 64) as u64)
    }
}

/// `v, v·r, v·r², …` (`n` terms) as outward-rounded 63-bit bounds.
pub fn powers(first: &Bounds, ratio: &Bounds, n: usize) -> Vec<Bound63> {
    let r = Fix127::from_bounds(ratio);
    let mut cur = Fix127::from_bounds(first);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(cur.to63());
        cur = cur.mul(r);
    }
    out
}

impl std::fmt::Debug for ExpTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExpTables { .. }")
    }
}

impl ExpTables {
    fn compute() -> ExpTables {
        let one = Bounds {
            lo: BigUint::from(1u32) << TABLE_PREC,
            hi: BigUint::from(1u32) << TABLE_PREC,
            prec: TABLE_PREC,
        };
        let e1 = exp_neg_bounds(&Rational::from_integer(1), TABLE_PREC);
        let int: [Bound63; 64] = powers(&one, &e1, 64).try_into().expect("64 entries");
        let step = exp_neg_bounds(&Rational::from_u128(1, 1024).expect("valid"), TABLE_PREC);
        let coarse = powers(&one, &step, 1025);
        let bytes = (0..8u32)
            .map(|k| {
                // e^(−2^(8k−64)) for this byte's unit.
                let unit = Rational::from_integer(1).mul_pow2(i64::from(8 * k) - 64);
                let r = exp_neg_bounds(&unit, TABLE_PREC);
                powers(&one, &r, 256).try_into().expect("256 entries")
            })
            .collect();
        ExpTables { int, coarse, bytes }
    }

    /// The process-wide tables (computed on first use, ≈ 1 ms).
    pub fn get() -> &'static ExpTables {
        static TABLES: OnceLock<ExpTables> = OnceLock::new();
        TABLES.get_or_init(ExpTables::compute)
    }

    /// Coarse bounds of `e^(−x)` for `x·2^64 ∈ [x_lo, x_hi]`, `x < 64`.
    #[inline]
    pub fn coarse_bounds(&self, x_lo: u128, x_hi: u128) -> Bound63 {
        let hi = {
            let n = (x_lo >> 64) as usize;
            let f = ((x_lo as u64) >> 54) as usize;
            if n >= 64 {
                1
            } else {
                mul_hi(self.int[n].1, self.coarse[f].1)
            }
        };
        let lo = {
            let n = (x_hi >> 64) as usize;
            let f = (((x_hi as u64) >> 54) + 1) as usize;
            if n >= 64 {
                0
            } else {
                mul_lo(self.int[n].0, self.coarse[f].0)
            }
        };
        (lo, hi)
    }

    /// Fine bounds of `e^(−x)` for `x·2^64 ∈ [x_lo, x_hi]`, `x < 64`.
    pub fn fine_bounds(&self, x_lo: u128, x_hi: u128) -> Bound63 {
        let hi = {
            let n = (x_lo >> 64) as usize;
            if n >= 64 {
                1
            } else {
                (0..8).fold(self.int[n].1, |acc, k| {
                    mul_hi(
                        acc,
                        self.bytes[k][((x_lo as u64) >> (8 * k)) as usize & 255].1,
                    )
                })
            }
        };
        let lo = {
            let n = (x_hi >> 64) as usize;
            if n >= 64 {
                0
            } else {
                (0..8).fold(self.int[n].0, |acc, k| {
                    mul_lo(
                        acc,
                        self.bytes[k][((x_hi as u64) >> (8 * k)) as usize & 255].0,
                    )
                })
            }
        };
        (lo, hi)
    }
}

/// `⌊a·b / 2^63⌋`.
#[inline]
pub fn mul_lo(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) >> 63) as u64
}

/// `⌈a·b / 2^63⌉`.
#[inline]
pub fn mul_hi(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b) + u128::from(ONE63 - 1)) >> 63) as u64
}

/// A uniform `U ∈ [0, 1)` of which only a prefix has been drawn; more bits
/// are drawn (and kept) only when a comparison needs them.
pub struct LazyUniform {
    prefix: BigUint,
    bits: u32,
}

impl LazyUniform {
    /// The uniform whose first 64 bits are `first`.
    pub fn new(first: u64) -> LazyUniform {
        LazyUniform::with_prefix(u128::from(first), 64)
    }

    /// The uniform whose first `bits` bits are `prefix` (`bits ≤ 128`).
    pub fn with_prefix(prefix: u128, bits: u32) -> LazyUniform {
        LazyUniform {
            prefix: BigUint::from(prefix),
            bits,
        }
    }

    /// Whether `U < v`, given an oracle of bounds of `v·2^prec` at any precision.
    pub fn less_than<W: WordSource + ?Sized>(
        &mut self,
        rng: &mut W,
        mut bounds: impl FnMut(u32) -> Bounds,
    ) -> bool {
        loop {
            let b = bounds(self.bits);
            debug_assert_eq!(b.prec, self.bits);
            if self.prefix < b.lo {
                return true;
            }
            if self.prefix >= b.hi {
                return false;
            }
            self.prefix = (std::mem::take(&mut self.prefix) << 64u32) + rng.word();
            self.bits += 64;
        }
    }
}
