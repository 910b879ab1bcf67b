//! Copied from the library as it was before fixed-work sampling (kept as
//! the timing counter-example; not used by the library).
#![allow(dead_code, clippy::all)]

//! The fast exact core of the Laplace-type samplers: "zero with probability
//! `1 − s`, else a random sign times `1 + G`", `G` geometric with ratio
//! `r = e^(−1/t)`.
//!
//! # Method
//!
//! With a block size `B = 2^j` (`2B < t ≤ 4B`, or `B = 1` for `t ≤ 4`), write
//! `G = T·B + L`: `T` is geometric with ratio `q = e^(−B/t)` and `L` is the
//! truncated geometric law on `[0, B)` (`P(L = l) ∝ r^l`), independent.
//!
//! - **Zero test and `T`, one uniform `U`:** `P(nonzero and T ≥ k) = s·q^k`,
//!   so `U` is compared with the thresholds `θ_k = s·q^k`, `k = 0..128`,
//!   stored as rigorous 63-bit bounds computed once per scale (big-integer
//!   and 127-bit interval arithmetic, rounded outward). The count of
//!   thresholds `U` is surely below is read from an index by the number of
//!   leading zeros of `U` plus four comparisons (an octave holds at most four
//!   thresholds): the same work for every value. If `U` falls inside one
//!   threshold's rounding interval (probability ≈ 2⁻⁶⁰ per draw) that one
//!   decision is settled exactly with more random bits ([`LazyUniform`]).
//!   Beyond the table (`T ≥ 127`, probability `q^127 < 2^−45`) the same is
//!   repeated with the thresholds `q^m` (memorylessness).
//! - **`L` by rejection:** `l` uniform on `[0, B)` is accepted with
//!   probability `e^(−l/t)`: a 63-bit uniform is compared with coarse table
//!   bounds of `e^(−l/t)`, then fine ones, then exactly ([`super::tables`]).
//!   The acceptance rate is `(1 − q)/(B/t) ≥ 0.78`; the number of rounds is
//!   independent of the accepted `l`.
//!
//! - **One word per sample, usually:** for `1 ≤ j ≤ 39` (every float
//!   mechanism scale), the first 64-bit word holds the first 16 bits of `U`,
//!   the sign, the first `47 − j` bits of the acceptance uniform of the first
//!   `L` round and that round's `l`; more words are drawn only when those
//!   bits do not decide (≈ 0.5 % of samples) or `l` is rejected. Each bit
//!   is used for one purpose only, and which bits serve which purpose is
//!   decided by bits already consumed, so all of them stay independent.
//!
//! # Timing
//!
//! The work per sample does not grow with the magnitude of the noise except
//! in the continuation beyond the table (probability < 2⁻⁴⁵ per sample) and
//! in exact tie-breaking (probability ≈ 2⁻⁵⁸ per comparison, slower by about
//! 10⁴). The number of `L` rounds is geometric and independent of the output.

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use ilsprivacy::sample::Rational;
use ilsprivacy::sample::exp::{Bounds, exp_neg_bounds};

use super::WordSource;
use super::tables::{Bound63, ExpTables, LazyUniform, powers};

/// Which law the zero test realises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZeroLaw {
    /// `s = 2r/(1 + r)`: the discrete Laplace law.
    DiscreteLaplace,
    /// `s = e^(−1/(2t))`: the law of `round(W)`, `W` continuous Laplace.
    RoundedLaplace,
}

const TABLE: usize = 128;

/// `l`'s top bits indexing the per-scale table of `e^(−l/t)` bounds (a
/// 4 KiB table: the coarse test leaves ≈ 0.2 % of draws to the fine one).
const LOW_BITS: u32 = 8;

/// Largest block exponent of the packed one-word path.
const PACKED_MAX_J: u32 = 39;

/// Largest block exponent for which the acceptance uniform shares the draw of `l`.
const SHARED_DRAW_MAX_J: u32 = 47;

#[inline(always)]
fn count_tie() {}
const PREC: u32 = 160;

/// 64 thresholds as 63-bit bounds, `lo` non-increasing, with an index by
/// leading zeros that makes counting constant-time.
#[derive(Clone, Debug)]
struct Thresholds {
    /// Lower bounds, padded with zeros (no uniform is surely below 0).
    lo: [u64; 2 * TABLE],
    /// Upper bounds, padded with zeros (every uniform is surely above 0).
    hi: [u64; 2 * TABLE],
    /// `start[z]`: how many thresholds are `≥ 2^(64−z)`, for `z = 1..=64`
    /// (the count for the largest 63-bit value with `z` leading zeros).
    start: [u8; 128],
    /// Entries to test after `start[z]` (the most thresholds in one octave).
    window: usize,
}

/// Thresholds per binary octave: at most `⌈ln 2 / (B/t)⌉ + 1 ≤ 4` since
/// `B/t ≥ 1/4` (coarsened test tables may need more; they take a loop).
const WINDOW: usize = 4;

impl Thresholds {
    fn from_powers(first: &Bounds, ratio: &Bounds) -> Thresholds {
        let mut lo = [0u64; 2 * TABLE];
        let mut hi = [0u64; 2 * TABLE];
        for (k, (l, h)) in powers(first, ratio, TABLE).into_iter().enumerate() {
            lo[k] = if k == 0 { l } else { l.min(lo[k - 1]) };
            hi[k] = h;
        }
        let mut t = Thresholds {
            lo,
            hi,
            start: [0; 128],
            window: 0,
        };
        t.index();
        t
    }

    /// Builds `start` and `window` from `lo`.
    fn index(&mut self) {
        let full = |v: u64| self.lo[..TABLE].iter().filter(|&&l| v < l).count();
        let mut window = 1;
        for z in 1..=64u32 {
            let (top, bottom) = if z == 64 {
                (0, 0)
            } else {
                ((1u64 << (64 - z)) - 1, 1u64 << (63 - z))
            };
            let (c_top, c_bottom) = (full(top), full(bottom));
            self.start[z as usize] = c_top as u8;
            window = window.max(c_bottom - c_top);
        }
        self.window = window;
    }

    /// The number of thresholds the 63-bit `v` is surely below (a prefix,
    /// since `lo` is non-increasing): `start[z]` plus a fixed-size window,
    /// the same work for every `v`.
    #[inline(always)]
    fn count_below(&self, v: u64) -> usize {
        let at = |i: usize| self.lo[i & (2 * TABLE - 1)];
        let base = usize::from(self.start[v.leading_zeros() as usize & 127]);
        let mut c = base
            + usize::from(v < at(base))
            + usize::from(v < at(base + 1))
            + usize::from(v < at(base + 2))
            + usize::from(v < at(base + 3));
        for i in WINDOW..self.window {
            c += usize::from(v < at(base + i));
        }
        c
    }
}

/// The fast exact sampler (see the module documentation).
#[derive(Clone)]
pub struct TwoSidedGeometric {
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
    /// Bounds of `e^(−i·2^(j−h)/t)`, `i = 0..=2^h`.
    low: Vec<Bound63>,
    /// The same bounds in units of `2^j` (rounded outward), for the first
    /// `63 − j` bits of the acceptance uniform.
    low_top: Vec<(u64, u64)>,
    /// `2^j − 1`.
    low_mask: u64,
    /// `j − h`.
    low_shift: u32,
    /// 1 when a bin holds several `l` (its lower bound is the next entry's).
    bin_offset: usize,
    /// `low_top.len()` rounded up to a power of two, minus one.
    low_index_mask: usize,
    /// Whether `j ≤ 47` (the acceptance uniform shares `l`'s draw).
    shared_draw: bool,
    /// Whether `1 ≤ j ≤ 39`: one word usually makes a whole sample (16 bits
    /// of the threshold uniform, the sign, `47 − j ≥ 8` bits of the
    /// acceptance uniform and `l`).
    packed: bool,
    /// `2^(47−j) − 1`.
    packed_top_mask: u64,
    /// `low` in units of `2^(16+j)`, for the packed acceptance bits.
    low_packed: Vec<(u64, u64)>,
    /// `blocks` below this keeps the magnitude in 63 bits.
    block_limit: u64,
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
    pub fn new(law: ZeroLaw, scale: &Rational) -> TwoSidedGeometric {
        let (n, d) = (scale.numer().clone(), scale.denom().clone());
        let j = block_exponent(scale);
        let b = BigUint::from(1u32) << j;
        let q = exp_neg_bounds(&ratio(&(&b * &d), &n), PREC);
        let s = zero_bounds(law, &n, &d, PREC);
        let first = Thresholds::from_powers(&s, &q);
        let cont = Thresholds::from_powers(&q, &q);
        let c = ((BigUint::from(1u32) << (64 + j)) * &d) / &n;
        let c_lo = c.to_u128().unwrap_or(u128::MAX);
        let low_bits = j.min(LOW_BITS);
        let one = Bounds {
            lo: BigUint::from(1u32) << PREC,
            hi: BigUint::from(1u32) << PREC,
            prec: PREC,
        };
        let bin = exp_neg_bounds(&ratio(&(&d << (j - low_bits)), &n), PREC);
        let low = powers(&one, &bin, (1 << low_bits) + 1);
        let low_top = shift_bounds(&low, j);
        let packed = (1..=PACKED_MAX_J).contains(&j);
        let low_packed = shift_bounds(&low, (16 + j).min(63));
        TwoSidedGeometric {
            law,
            n,
            d,
            j,
            c_lo,
            c_hi: c_lo.saturating_add(1),
            first,
            cont,
            low_top,
            low,
            low_mask: (1u64 << j) - 1,
            low_shift: j - low_bits,
            bin_offset: usize::from(j > low_bits),
            low_index_mask: ((1usize << low_bits) + 1).next_power_of_two() - 1,
            shared_draw: j <= SHARED_DRAW_MAX_J,
            packed,
            packed_top_mask: if packed { (1u64 << (47 - j)) - 1 } else { 0 },
            low_packed,
            block_limit: if j >= 62 { 0 } else { 1u64 << (62 - j) },
            tables: ExpTables::get(),
        }
    }

    /// One draw.
    #[inline(always)]
    pub fn sample<W: WordSource + ?Sized>(&self, rng: &mut W) -> i128 {
        let u = rng.word();
        if self.packed {
            return self.sample_packed(u, rng);
        }
        let v = u >> 1;
        let mut c = self.first.count_below(v);
        if v < self.first.hi[c & (2 * TABLE - 1)] {
            c = self.resolve_tie(&self.first, c, u, rng, |k, p| self.first_bounds(k, p));
        }
        if c == 0 {
            return 0;
        }
        let mut blocks = (c - 1) as u64;
        if c == TABLE {
            blocks = self.continuation(blocks, rng);
        }
        let (low, negative) = if self.j == 0 {
            (0, rng.word() >> 63 == 1)
        } else {
            self.sample_low(rng)
        };
        let magnitude = if blocks < self.block_limit {
            i128::from(((blocks << self.j) | low) + 1)
        } else {
            wide_magnitude(blocks, self.j, low)
        };
        if negative { -magnitude } else { magnitude }
    }

    /// Beyond the first table: `T ≥ 127`, continued with the thresholds `q^m`.
    #[cold]
    fn continuation<W: WordSource + ?Sized>(&self, mut blocks: u64, rng: &mut W) -> u64 {
        loop {
            let u = rng.word();
            let v = u >> 1;
            let mut m = self.cont.count_below(v);
            if v < self.cont.hi[m & (2 * TABLE - 1)] {
                m = self.resolve_tie(&self.cont, m, u, rng, |i, p| self.cont_bounds(i + 1, p));
            }
            blocks = blocks.saturating_add(m as u64);
            if m < TABLE {
                return blocks;
            }
        }
    }

    /// `U` (first bits `u`) is surely below thresholds `0..c` and inside the
    /// rounding interval of threshold `c`: settle that exactly (and any
    /// following tie), keeping the drawn bits.
    #[cold]
    #[inline(never)]
    fn resolve_tie<W: WordSource + ?Sized>(
        &self,
        table: &Thresholds,
        c: usize,
        u: u64,
        rng: &mut W,
        exact: impl Fn(usize, u32) -> Bounds,
    ) -> usize {
        resolve_with(table, c, u >> 1, LazyUniform::new(u), rng, exact)
    }

    /// One draw on the packed path (see `packed`): the first word gives the
    /// first 16 bits of the threshold uniform, the sign, the first bits of
    /// the acceptance uniform and `l`.
    #[inline(always)]
    fn sample_packed<W: WordSource + ?Sized>(&self, u: u64, rng: &mut W) -> i128 {
        const SPAN: u64 = (1 << 47) - 1;
        let head = u >> 48;
        let v_min = head << 47;
        let mut c = self.first.count_below(v_min | SPAN);
        if v_min < self.first.hi[c & (2 * TABLE - 1)] {
            c = self.extend_head(head, rng);
        }
        if c == 0 {
            return 0;
        }
        let mut blocks = (c - 1) as u64;
        if c == TABLE {
            blocks = self.continuation(blocks, rng);
        }
        let j = self.j;
        let l = u & self.low_mask;
        let idx = (l >> self.low_shift) as usize;
        let top = (u >> j) & self.packed_top_mask;
        let (lo_top, _) = self.low_packed[(idx + self.bin_offset) & self.low_index_mask];
        let (_, hi_top) = self.low_packed[idx & self.low_index_mask];
        let accepted = if top < lo_top {
            Some((l, (u >> 47) & 1 == 1))
        } else if top >= hi_top {
            None
        } else {
            self.packed_undecided(l, idx, top, u, rng)
        };
        let (low, negative) = match accepted {
            Some(a) => a,
            None => self.sample_low(rng),
        };
        let magnitude = if blocks < self.block_limit {
            i128::from(((blocks << j) | low) + 1)
        } else {
            wide_magnitude(blocks, j, low)
        };
        if negative { -magnitude } else { magnitude }
    }

    /// The first 16 bits did not decide the threshold count: draw the next
    /// 64 bits of that uniform and decide at 63 bits, then exactly.
    #[cold]
    #[inline(never)]
    fn extend_head<W: WordSource + ?Sized>(&self, head: u64, rng: &mut W) -> usize {
        let ext = rng.word();
        let v63 = (head << 47) | (ext >> 17);
        let c = self.first.count_below(v63);
        let prefix = (u128::from(head) << 64) | u128::from(ext);
        resolve_with(
            &self.first,
            c,
            v63,
            LazyUniform::with_prefix(prefix, 80),
            rng,
            |k, p| self.first_bounds(k, p),
        )
    }

    /// The packed acceptance bits did not decide: extend that uniform.
    #[cold]
    #[inline(never)]
    fn packed_undecided<W: WordSource + ?Sized>(
        &self,
        l: u64,
        idx: usize,
        top: u64,
        u: u64,
        rng: &mut W,
    ) -> Option<(u64, bool)> {
        let k = 47 - self.j; // bits of the acceptance uniform in the first word
        let ext = rng.word();
        let v63 = (top << (63 - k)) | (ext >> (k + 1));
        let prefix = (u128::from(top) << 64) | u128::from(ext);
        let bounds = (self.low[idx + self.bin_offset].0, self.low[idx].1);
        self.accept_slow(l, v63, prefix, k + 64, bounds, rng)
            .then_some((l, (u >> 47) & 1 == 1))
    }

    /// `L` by rejection, and the sign from a spare bit of the accepted draw.
    ///
    /// With `j ≤ 47`, one 64-bit draw `w` gives `l` (bits `0..j`), the first
    /// `63 − j` bits of the acceptance uniform (bits `j..63`) and the sign
    /// (bit 63); 64 more bits are drawn only when those do not decide. The
    /// first bounds of `e^(−l/t)` come from the per-scale table indexed by
    /// `l`'s top bits (pre-shifted to the `63 − j` bits drawn).
    #[inline(always)]
    fn sample_low<W: WordSource + ?Sized>(&self, rng: &mut W) -> (u64, bool) {
        let j = self.j;
        loop {
            let w = rng.word();
            let l = w & self.low_mask;
            let idx = (l >> self.low_shift) as usize;
            let accept = if self.shared_draw {
                let top = (w & !(1 << 63)) >> j;
                let (lo_top, _) = self.low_top[(idx + self.bin_offset) & self.low_index_mask];
                let (_, hi_top) = self.low_top[idx & self.low_index_mask];
                if top < lo_top {
                    true
                } else if top >= hi_top {
                    false
                } else {
                    self.accept_extended(l, idx, top, rng)
                }
            } else {
                let v = rng.word();
                let bounds = (self.low[idx + self.bin_offset].0, self.low[idx].1);
                self.accept_slow(l, v >> 1, u128::from(v), 64, bounds, rng)
            };
            if accept {
                let negative = if j < 63 {
                    w >> 63 == 1
                } else {
                    rng.word() >> 63 == 1
                };
                return (l, negative);
            }
        }
    }

    /// The shared-draw test did not decide: draw the next 64 bits of the
    /// acceptance uniform and continue with the 63-bit bounds.
    #[cold]
    fn accept_extended<W: WordSource + ?Sized>(
        &self,
        l: u64,
        idx: usize,
        top: u64,
        rng: &mut W,
    ) -> bool {
        let j = self.j;
        let ext = rng.word();
        let v63 = (top << j) | (ext >> (64 - j));
        let prefix = (u128::from(top) << 64) | u128::from(ext);
        let bounds = (self.low[idx + self.bin_offset].0, self.low[idx].1);
        self.accept_slow(l, v63, prefix, 127 - j, bounds, rng)
    }

    /// Decides `U < e^(−l/t)` from the uniform's 63-bit truncation `v63`
    /// (whose first `bits` bits are `prefix`): coarse bounds, fine bounds,
    /// then exactly.
    #[inline]
    fn accept_slow<W: WordSource + ?Sized>(
        &self,
        l: u64,
        v63: u64,
        prefix: u128,
        bits: u32,
        coarse: Bound63,
        rng: &mut W,
    ) -> bool {
        if v63 < coarse.0 {
            return true;
        }
        if v63 >= coarse.1 {
            return false;
        }
        self.accept_fine(l, v63, prefix, bits, rng)
    }

    #[cold]
    fn accept_fine<W: WordSource + ?Sized>(
        &self,
        l: u64,
        v63: u64,
        prefix: u128,
        bits: u32,
        rng: &mut W,
    ) -> bool {
        let j = self.j;
        let x_lo = (u128::from(l) * self.c_lo) >> j;
        let x_hi = (u128::from(l) * self.c_hi + ((1u128 << j) - 1)) >> j;
        let (lo, hi) = self.tables.fine_bounds(x_lo, x_hi);
        if v63 < lo {
            return true;
        }
        if v63 >= hi {
            return false;
        }
        count_tie();
        let x = ratio(&(BigUint::from(l) * &self.d), &self.n);
        LazyUniform::with_prefix(prefix, bits).less_than(rng, |p| exp_neg_bounds(&x, p))
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

/// Settles, exactly and keeping the drawn bits, the comparisons of the
/// uniform (63-bit truncation `v`) with thresholds `c, c + 1, …` while `v`
/// lies inside their rounding intervals; returns the count it is below.
fn resolve_with<W: WordSource + ?Sized>(
    table: &Thresholds,
    mut c: usize,
    v: u64,
    mut uniform: LazyUniform,
    rng: &mut W,
    exact: impl Fn(usize, u32) -> Bounds,
) -> usize {
    while v < table.hi[c & (2 * TABLE - 1)] {
        count_tie();
        if uniform.less_than(rng, |p| exact(c, p)) {
            c += 1;
        } else {
            break;
        }
    }
    c
}

/// 63-bit bounds in units of `2^j`, rounded outward; padded so that any
/// index masked by `low_index_mask` is in range.
fn shift_bounds(low: &[Bound63], j: u32) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = low
        .iter()
        .map(|&(lo, hi)| (lo >> j, hi.div_ceil(1u64 << j.min(63))))
        .collect();
    out.resize(low.len().next_power_of_two(), (0, 0));
    out
}

/// `1 + blocks·2^j + low` when it needs more than 63 bits (saturating).
#[cold]
fn wide_magnitude(blocks: u64, j: u32, low: u64) -> i128 {
    let m = 1 + (u128::from(blocks) << j) + u128::from(low);
    i128::try_from(m).unwrap_or(i128::MAX)
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

/// `j` with `2^(j+1) < t ≤ 2^(j+2)` (so `1/4 ≤ B/t < 1/2`), or 0 when `t ≤ 4`.
fn block_exponent(t: &Rational) -> u32 {
    if t <= &Rational::from_integer(4) {
        return 0;
    }
    let f = t.floor(); // ≥ 4
    let bits = f.bits() as u32; // 2^(bits−1) ≤ f < 2^bits
    let pow = Rational::from_integer(1u128 << (bits - 1).min(127));
    if t == &pow { bits - 3 } else { bits - 2 }
}
