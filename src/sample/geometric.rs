//! The fast exact core of the Laplace-type samplers: "zero with probability
//! `1 − s`, else a random sign times `1 + G`", `G` geometric with ratio
//! `r = e^(−1/t)`.
//!
//! # Method
//!
//! With a block size `B = 2^j` (`B < t ≤ 2B`, or `B = 1` for `t ≤ 2`), write
//! `G = T·B + L`: `T` is geometric with ratio `q = e^(−B/t)` and `L` is the
//! truncated geometric law on `[0, B)` (`P(L = l) ∝ r^l`), independent.
//!
//! - **Zero test and `T`, one uniform `U`:** `P(nonzero and T ≥ k) = s·q^k`,
//!   so `U` is compared with the thresholds `θ_k = s·q^k`, `k = 0..64`,
//!   stored as rigorous 63-bit bounds computed once per scale in big
//!   integers. A branch-free binary search (6 steps, whatever the value)
//!   counts the thresholds `U` is surely below; if `U` falls inside one
//!   threshold's rounding interval (probability ≈ 2⁻⁶² per draw) that one
//!   decision is settled exactly with more random bits ([`LazyUniform`]).
//!   Beyond the table (`T ≥ 63`, probability `q^63 < 2^−45`) the same is
//!   repeated with the thresholds `q^m` (memorylessness).
//! - **`L` by rejection:** `l` uniform on `[0, B)` is accepted with
//!   probability `e^(−l/t)`: a 63-bit uniform is compared with coarse table
//!   bounds of `e^(−l/t)`, then fine ones, then exactly ([`super::tables`]).
//!   The acceptance rate is `(1 − q)/(B/t) ≥ 0.63`; the number of rounds is
//!   independent of the accepted `l`.
//!
//! # Timing
//!
//! The work per sample does not grow with the magnitude of the noise except
//! in the continuation beyond the table (probability < 2⁻⁴⁵ per sample) and
//! in exact tie-breaking (probability ≈ 2⁻⁵⁸ per comparison, slower by about
//! 10⁴). The number of `L` rounds is geometric and independent of the output.

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use super::exp::{Bounds, exp_neg_bounds};
use super::rational::Rational;
use super::tables::{Bound63, Cmp, ExpTables, LazyUniform, compare63};
use crate::rng::NoiseRng;

/// Which law the zero test realises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZeroLaw {
    /// `s = 2r/(1 + r)`: the discrete Laplace law.
    DiscreteLaplace,
    /// `s = e^(−1/(2t))`: the law of `round(W)`, `W` continuous Laplace.
    RoundedLaplace,
}

const TABLE: usize = 64;

/// How often the exact tie-breaking paths ran (tests check they are exercised).
#[cfg(test)]
pub(crate) static EXACT_TIES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

#[cfg(test)]
fn count_tie() {
    EXACT_TIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}
#[cfg(not(test))]
#[inline(always)]
fn count_tie() {}
const PREC: u32 = 160;

/// 64 thresholds as 63-bit bounds, `lo` non-increasing.
#[derive(Clone, Debug)]
struct Thresholds {
    lo: [u64; TABLE],
    hi: [u64; TABLE],
}

impl Thresholds {
    fn from_powers(first: Bounds, ratio: &Bounds) -> Thresholds {
        let mut lo = [0u64; TABLE];
        let mut hi = [0u64; TABLE];
        let mut cur = first;
        for k in 0..TABLE {
            let (l, h) = to63(&cur);
            lo[k] = if k == 0 { l } else { l.min(lo[k - 1]) };
            hi[k] = h;
            cur = cur.mul(ratio);
        }
        Thresholds { lo, hi }
    }

    /// The number of thresholds `v` is surely below (a prefix: `lo` is
    /// non-increasing), by a branch-free binary search.
    #[inline]
    fn count_below(&self, v: u64) -> usize {
        let mut k = 0usize;
        for step in [32, 16, 8, 4, 2, 1] {
            k += usize::from(v < self.lo[k + step - 1]) * step;
        }
        k + usize::from(v < self.lo[k])
    }

    #[cfg(test)]
    fn coarsen(&mut self, bits: u32) {
        for k in 0..TABLE {
            let (l, h) = super::tables::coarsen((self.lo[k], self.hi[k]), bits);
            self.lo[k] = l;
            self.hi[k] = h;
        }
    }
}

fn to63(b: &Bounds) -> Bound63 {
    let shift = b.prec - 63;
    let lo = (&b.lo >> shift).to_u64().unwrap_or(u64::MAX).min(1 << 63);
    let hi = super::exp::ceil_shr(b.hi.clone(), shift)
        .to_u64()
        .unwrap_or(u64::MAX)
        .min(1 << 63);
    (lo, hi)
}

/// The fast exact sampler (see the module documentation).
#[derive(Clone)]
pub(crate) struct TwoSidedGeometric {
    law: ZeroLaw,
    /// `t = n/d`.
    n: BigUint,
    d: BigUint,
    /// Block exponent: `B = 2^j`.
    j: u32,
    /// Bounds of `2^(64+j)/t` (used when `j ≥ 1`).
    c_lo: u128,
    c_hi: u128,
    first: Thresholds,
    cont: Thresholds,
    tables: &'static ExpTables,
}

impl std::fmt::Debug for TwoSidedGeometric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoSidedGeometric")
            .field("law", &self.law)
            .field("scale", &format_args!("{}/{}", self.n, self.d))
            .field("block_bits", &self.j)
            .finish_non_exhaustive()
    }
}

impl TwoSidedGeometric {
    /// Precomputes the tables for scale `t` (`0 < t ≤ 2^64`, checked by the caller).
    pub(crate) fn new(law: ZeroLaw, scale: &Rational) -> TwoSidedGeometric {
        let (n, d) = (scale.numer().clone(), scale.denom().clone());
        let j = block_exponent(scale);
        let b = BigUint::from(1u32) << j;
        let q = exp_neg_bounds(&ratio(&(&b * &d), &n), PREC);
        let s = zero_bounds(law, &n, &d, PREC);
        let first = Thresholds::from_powers(s, &q);
        let cont = Thresholds::from_powers(q.clone(), &q);
        let c = ((BigUint::from(1u32) << (64 + j)) * &d) / &n;
        let c_lo = c.to_u128().unwrap_or(u128::MAX);
        TwoSidedGeometric {
            law,
            n,
            d,
            j,
            c_lo,
            c_hi: c_lo.saturating_add(1),
            first,
            cont,
            tables: ExpTables::get(),
        }
    }

    /// The same sampler with every fast bound rounded outward to `bits`
    /// bits, so that ties and the exact paths happen often (tests only).
    #[cfg(test)]
    pub(crate) fn with_coarse_bounds(mut self, bits: u32) -> TwoSidedGeometric {
        self.first.coarsen(bits);
        self.cont.coarsen(bits);
        let mask = (1u128 << (64 - bits)) - 1;
        self.c_lo &= !mask;
        self.c_hi = (self.c_hi + mask) & !mask;
        self.tables = Box::leak(Box::new(ExpTables::get().coarsened(bits)));
        self
    }

    /// One draw.
    pub(crate) fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        let u = rng.next_u64();
        let c = self.resolve(&self.first, u, rng, |k, p| self.first_bounds(k, p));
        if c == 0 {
            return 0;
        }
        let mut blocks = (c - 1) as u64;
        if c == TABLE {
            loop {
                let u = rng.next_u64();
                let m = self.resolve(&self.cont, u, rng, |i, p| self.cont_bounds(i + 1, p));
                blocks = blocks.saturating_add(m as u64);
                if m < TABLE {
                    break;
                }
            }
        }
        let (low, negative) = if self.j == 0 {
            (0, rng.next_u64() >> 63 == 1)
        } else {
            self.sample_low(rng)
        };
        let magnitude = 1 + (u128::from(blocks) << self.j) + u128::from(low);
        let magnitude = i128::try_from(magnitude).unwrap_or(i128::MAX);
        if negative { -magnitude } else { magnitude }
    }

    /// The number of thresholds the uniform with first bits `u` is below.
    #[inline]
    fn resolve<R: NoiseRng + ?Sized>(
        &self,
        table: &Thresholds,
        u: u64,
        rng: &mut R,
        exact: impl Fn(usize, u32) -> Bounds,
    ) -> usize {
        let v = u >> 1;
        let mut c = table.count_below(v);
        let mut lazy: Option<LazyUniform> = None;
        while c < TABLE && v < table.hi[c] {
            // A tie with threshold c: settle it exactly, keeping the drawn bits.
            count_tie();
            let uniform = lazy.get_or_insert_with(|| LazyUniform::new(u));
            if uniform.less_than(rng, |p| exact(c, p)) {
                c += 1;
            } else {
                break;
            }
        }
        c
    }

    /// `L` by rejection, and the sign from a spare bit of the accepted draw.
    #[inline]
    fn sample_low<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> (u64, bool) {
        let mask = (1u64 << self.j) - 1;
        loop {
            let w = rng.next_u64();
            let l = w & mask;
            let x_lo = (u128::from(l) * self.c_lo) >> self.j;
            let x_hi = (u128::from(l) * self.c_hi + u128::from(mask)) >> self.j;
            let v = rng.next_u64();
            let accept = match compare63(v, self.tables.coarse_bounds(x_lo, x_hi)) {
                Cmp::Below => true,
                Cmp::Above => false,
                Cmp::Tie => self.accept_slow(l, x_lo, x_hi, v, rng),
            };
            if accept {
                let negative = if self.j < 64 - 1 {
                    w >> 63 == 1
                } else {
                    rng.next_u64() >> 63 == 1
                };
                return (l, negative);
            }
        }
    }

    #[cold]
    fn accept_slow<R: NoiseRng + ?Sized>(
        &self,
        l: u64,
        x_lo: u128,
        x_hi: u128,
        v: u64,
        rng: &mut R,
    ) -> bool {
        match compare63(v, self.tables.fine_bounds(x_lo, x_hi)) {
            Cmp::Below => true,
            Cmp::Above => false,
            Cmp::Tie => {
                count_tie();
                let x = ratio(&(BigUint::from(l) * &self.d), &self.n);
                LazyUniform::new(v).less_than(rng, |p| exp_neg_bounds(&x, p))
            }
        }
    }

    /// Bounds of `θ_k = s·q^k` at precision `p`.
    fn first_bounds(&self, k: usize, p: u32) -> Bounds {
        let kb = BigUint::from(k) << self.j;
        match self.law {
            ZeroLaw::RoundedLaplace => {
                // s·q^k = e^(−(1/2 + kB)/t) = e^(−(1 + 2kB)·d/(2n)).
                let num = ((kb << 1u32) + 1u32) * &self.d;
                exp_neg_bounds(&ratio(&num, &(&self.n << 1u32)), p)
            }
            ZeroLaw::DiscreteLaplace => {
                let s = zero_bounds(self.law, &self.n, &self.d, p);
                if k == 0 {
                    s
                } else {
                    s.mul(&exp_neg_bounds(&ratio(&(kb * &self.d), &self.n), p))
                }
            }
        }
    }

    /// Bounds of `q^m` at precision `p`.
    fn cont_bounds(&self, m: usize, p: u32) -> Bounds {
        let mb = BigUint::from(m) << self.j;
        exp_neg_bounds(&ratio(&(mb * &self.d), &self.n), p)
    }
}

/// `num / den` (den > 0 by construction).
fn ratio(num: &BigUint, den: &BigUint) -> Rational {
    Rational::new(num.clone(), den.clone()).expect("positive denominator")
}

/// Bounds of the nonzero probability `s` for scale `n/d`.
fn zero_bounds(law: ZeroLaw, n: &BigUint, d: &BigUint, p: u32) -> Bounds {
    match law {
        ZeroLaw::DiscreteLaplace => exp_neg_bounds(&ratio(d, n), p).two_v_over_one_plus_v(),
        ZeroLaw::RoundedLaplace => exp_neg_bounds(&ratio(d, &(n << 1u32)), p),
    }
}

/// `j` with `2^j < t ≤ 2^(j+1)`, or 0 when `t ≤ 2`.
fn block_exponent(t: &Rational) -> u32 {
    let two = Rational::from_integer(2);
    if t <= &two {
        return 0;
    }
    let f = t.floor(); // ≥ 2
    let bits = f.bits() as u32; // 2^(bits−1) ≤ f < 2^bits
    let pow = Rational::from_integer(1u128 << (bits - 1).min(127));
    if t == &pow { bits - 2 } else { bits - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_exponents() {
        let j = |x: f64| block_exponent(&Rational::from_f64("t", x).unwrap());
        assert_eq!(j(0.5), 0);
        assert_eq!(j(2.0), 0);
        assert_eq!(j(2.5), 1);
        assert_eq!(j(4.0), 1);
        assert_eq!(j(4.5), 2);
        assert_eq!(j(2f64.powi(40)), 39);
        assert_eq!(j(2f64.powi(40) * 1.5), 40);
        assert_eq!(j(2f64.powi(64)), 63);
    }

    #[test]
    fn thresholds_count_a_prefix() {
        let t = TwoSidedGeometric::new(ZeroLaw::DiscreteLaplace, &Rational::from_integer(1000));
        for v in [0u64, 1, 1 << 20, 1 << 40, 1 << 62, (1 << 63) - 1] {
            let c = t.first.count_below(v);
            let naive = t.first.lo.iter().take_while(|&&lo| v < lo).count();
            assert_eq!(c, naive, "{v}");
        }
        assert!(t.first.lo.windows(2).all(|w| w[0] >= w[1]));
    }
}
