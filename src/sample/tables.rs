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

use super::exp::{Bounds, exp_neg_bounds};
use super::rational::Rational;
use crate::rng::NoiseRng;

/// Bounds of `e^(−x)·2^63`, `x ≥ 0`, as `(lo, hi)`.
pub(crate) type Bound63 = (u64, u64);

const ONE63: u64 = 1 << 63;

/// The universal tables (see the module documentation).
pub(crate) struct ExpTables {
    /// `e^(−n)`, `n ∈ 0..64`.
    int: [Bound63; 64],
    /// `e^(−i/1024)`, `i ∈ 0..=1024`.
    coarse: Vec<Bound63>,
    /// `e^(−b·2^(8k−64))`, `k ∈ 0..8`, `b ∈ 0..256`.
    bytes: Vec<[Bound63; 256]>,
}

/// Precision of the big-integer computation of the tables.
const TABLE_PREC: u32 = 160;

fn to63(b: &Bounds) -> Bound63 {
    let shift = b.prec - 63;
    let lo = (&b.lo >> shift).to_u64().unwrap_or(u64::MAX).min(ONE63);
    let hi = super::exp::ceil_shr(b.hi.clone(), shift)
        .to_u64()
        .unwrap_or(u64::MAX)
        .min(ONE63);
    (lo, hi)
}

/// `v, v·r, v·r², …` (`n` terms) as outward-rounded bounds.
fn powers(first: Bounds, ratio: &Bounds, n: usize) -> Vec<Bound63> {
    let mut out = Vec::with_capacity(n);
    let mut cur = first;
    for _ in 0..n {
        out.push(to63(&cur));
        cur = cur.mul(ratio);
    }
    out
}

impl ExpTables {
    fn compute() -> ExpTables {
        let one = Bounds {
            lo: BigUint::from(1u32) << TABLE_PREC,
            hi: BigUint::from(1u32) << TABLE_PREC,
            prec: TABLE_PREC,
        };
        let e1 = exp_neg_bounds(&Rational::from_integer(1), TABLE_PREC);
        let int: [Bound63; 64] = powers(one.clone(), &e1, 64).try_into().expect("64 entries");
        let step = exp_neg_bounds(&Rational::from_u128(1, 1024).expect("valid"), TABLE_PREC);
        let coarse = powers(one.clone(), &step, 1025);
        let bytes = (0..8u32)
            .map(|k| {
                // e^(−2^(8k−64)) for this byte's unit.
                let unit = Rational::from_integer(1).mul_pow2(i64::from(8 * k) - 64);
                let r = exp_neg_bounds(&unit, TABLE_PREC);
                powers(one.clone(), &r, 256)
                    .try_into()
                    .expect("256 entries")
            })
            .collect();
        ExpTables { int, coarse, bytes }
    }

    /// The process-wide tables (computed on first use, ≈ 1 ms).
    pub(crate) fn get() -> &'static ExpTables {
        static TABLES: OnceLock<ExpTables> = OnceLock::new();
        TABLES.get_or_init(ExpTables::compute)
    }

    /// A copy with every bound rounded outward to `bits` bits (tests force
    /// the finer and exact paths with it).
    #[cfg(test)]
    pub(crate) fn coarsened(&self, bits: u32) -> ExpTables {
        let c = |b: &Bound63| coarsen(*b, bits);
        ExpTables {
            int: self.int.map(|b| c(&b)),
            coarse: self.coarse.iter().map(c).collect(),
            bytes: self.bytes.iter().map(|t| t.map(|b| c(&b))).collect(),
        }
    }

    /// Coarse bounds of `e^(−x)` for `x·2^64 ∈ [x_lo, x_hi]`, `x < 64`.
    #[inline]
    pub(crate) fn coarse_bounds(&self, x_lo: u128, x_hi: u128) -> Bound63 {
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
    pub(crate) fn fine_bounds(&self, x_lo: u128, x_hi: u128) -> Bound63 {
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

/// Rounds a bound outward to a multiple of `2^(63 − bits)`.
#[cfg(test)]
pub(crate) fn coarsen((lo, hi): Bound63, bits: u32) -> Bound63 {
    let mask = (1u64 << (63 - bits)) - 1;
    (lo & !mask, (hi.saturating_add(mask) & !mask).min(ONE63))
}

/// `⌊a·b / 2^63⌋`.
#[inline]
pub(crate) fn mul_lo(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b)) >> 63) as u64
}

/// `⌈a·b / 2^63⌉`.
#[inline]
pub(crate) fn mul_hi(a: u64, b: u64) -> u64 {
    ((u128::from(a) * u128::from(b) + u128::from(ONE63 - 1)) >> 63) as u64
}

/// The outcome of comparing a uniform's first 63 bits with bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    /// The uniform is below the value.
    Below,
    /// The uniform is at or above the value.
    Above,
    /// Undecided at this precision.
    Tie,
}

/// Compares `U` (first 64 bits `u`) with a value bounded by `(lo, hi)`·2^-63.
#[inline]
pub(crate) fn compare63(u: u64, (lo, hi): Bound63) -> Cmp {
    let v = u >> 1;
    if v < lo {
        Cmp::Below
    } else if v >= hi {
        Cmp::Above
    } else {
        Cmp::Tie
    }
}

/// A uniform `U ∈ [0, 1)` of which only a prefix has been drawn; more bits
/// are drawn (and kept) only when a comparison needs them.
pub(crate) struct LazyUniform {
    prefix: BigUint,
    bits: u32,
}

impl LazyUniform {
    /// The uniform whose first 64 bits are `first`.
    pub(crate) fn new(first: u64) -> LazyUniform {
        LazyUniform {
            prefix: BigUint::from(first),
            bits: 64,
        }
    }

    /// Whether `U < v`, given an oracle of bounds of `v·2^prec` at any precision.
    pub(crate) fn less_than<R: NoiseRng + ?Sized>(
        &mut self,
        rng: &mut R,
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
            self.prefix = (std::mem::take(&mut self.prefix) << 64u32) + rng.next_u64();
            self.bits += 64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(b: Bound63, x: f64) {
        let v = (-x).exp() * 2f64.powi(63);
        assert!(
            (b.0 as f64) <= v * (1.0 + 1e-15) && (b.1 as f64) >= v * (1.0 - 1e-15),
            "{x}: {b:?} vs {v}"
        );
    }

    #[test]
    fn tables_bracket_known_values() {
        let t = ExpTables::get();
        check(t.int[0], 0.0);
        check(t.int[1], 1.0);
        check(t.int[40], 40.0);
        check(t.coarse[512], 0.5);
        check(t.coarse[1024], 1.0);
        check(t.bytes[7][128], 0.5);
        check(t.bytes[6][1], 1.0 / 65536.0);
        assert_eq!(t.int[0], (ONE63, ONE63));
        for b in t.coarse.iter().chain(t.bytes.iter().flatten()) {
            assert!(b.0 <= b.1 && b.1 - b.0 <= 2, "{b:?}");
        }
    }

    #[test]
    fn coarse_and_fine_bounds_bracket_e_to_the_minus_x() {
        let t = ExpTables::get();
        for &x in &[0.0, 1e-9, 0.3, 0.999_999, 1.0, 2.75, 17.125, 43.9] {
            let fixed = (x * 2f64.powi(64)) as u128;
            let (c, f) = (
                t.coarse_bounds(fixed, fixed + 1),
                t.fine_bounds(fixed, fixed + 1),
            );
            check(c, x);
            check(f, x);
            assert!(f.1 - f.0 <= 32, "fine width at {x}: {f:?}");
            assert!(f.0 >= c.0 && f.1 <= c.1);
        }
        assert_eq!(t.coarse_bounds(80 << 64, 80 << 64), (0, 1));
    }

    #[test]
    fn comparisons_and_lazy_refinement() {
        assert_eq!(compare63(0, (5, 9)), Cmp::Below);
        assert_eq!(compare63(18, (5, 9)), Cmp::Above);
        assert_eq!(compare63(12, (5, 9)), Cmp::Tie);
        assert_eq!(coarsen((0x1234, 0x1235), 55), (0x1200, 0x1300));
        let mut rng = crate::rng::InsecureSeededRng::from_seed_insecure(1);
        let x = Rational::from_integer(1);
        let b = exp_neg_bounds(&x, 64);
        let mut u = LazyUniform::new(b.lo.to_u64().unwrap());
        let first = u.less_than(&mut rng, |p| exp_neg_bounds(&x, p));
        // The same uniform answers consistently.
        assert_eq!(u.less_than(&mut rng, |p| exp_neg_bounds(&x, p)), first);
    }
}
