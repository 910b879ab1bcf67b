//! The fixed-work exact sampler behind the discrete Laplace, rounded Laplace
//! and discrete Gaussian samplers: exact rejection from a block proposal
//! drawn from an exact alias table.
//!
//! # The law sampled
//!
//! A law gives unnormalised weights `p̃(a) > 0` of magnitudes `a ≥ 0`
//! (with `p̃(0)` a separate *zero* outcome when the law has one, and the
//! magnitudes from `offset` on cut into blocks `[offset + hB, offset + (h+1)B)`
//! of `B = 2^m` values), and a random sign for signed laws. Per block it gives
//! the envelope mass `m_h = B·max_{a ∈ block h} p̃(a)`, which is attained at
//! the block's first value (`p̃` decreases), so that for `a = offset + hB + l`
//!
//! ```text
//! p̃(a) = (m_h / B)·e^(−x_h(l)),    x_h(l) ≥ 0 a law-specific formula.
//! ```
//!
//! # Method (one round)
//!
//! 1. **Proposal, exact and tie-free.** Every outcome `o` (zero, blocks
//!    `0..K`, tail) has an integer mass `n_o`, `Σ n_o = 2^N`, `N = k + 64`:
//!    `n_o = ⌈S·m_o⌉` for a dyadic `S ≈ 2^N / Σ m` (rounded up from rigorous
//!    upper bounds of `m_o`), the leftover going to the largest outcome. An
//!    alias table ([`super::alias`]) draws `o` with probability `n_o/2^N`
//!    exactly, from `k` bits and a 64-bit coin; within a block, `l` is
//!    uniform on `[0, B)`. So `a` is proposed with probability `n_o/(2^N·B)`.
//! 2. **Acceptance.** `a` is accepted with probability
//!    `α(a) = S·B·p̃(a)/n_o = κ_o·e^(−x_o(l))`, `κ_o = S·m_o/n_o ∈ (7/8, 1]`
//!    (for the zero outcome `α = S·p̃(0)/n_0`). A uniform `V` (64 + `nb` bits,
//!    `nb ≥ 3`) is compared with integer bounds `A ≤ α·2^127 ≤ A + gap_o`:
//!    `A` from [`super::fixexp::exp_neg_lower`] at an upper bound of `x`,
//!    times `1 − δ_o` with `δ_o ≥ 1 − κ_o` rounded up ([`super::fixexp::mul_sub`]);
//!    `gap_o` adds the exponential's error, the error of `x` and of the
//!    `κ` step (each derived where it is computed). `V` below `A` accepts,
//!    `V` above `A + gap_o` rejects.
//! 3. Otherwise (a **tie**, probability `≤ 2^−(64+nb) + gap_o·2^−127 < 2^−66`
//!    per round) the comparison is settled exactly: more bits of `V` are
//!    drawn and compared with big-integer bounds of `α` at growing precision.
//! 4. The **tail** outcome (all magnitudes past the last block, probability
//!    `n_tail/2^N < 2^−66`) draws `a` from a law-specific proposal `q` that
//!    dominates `p̃` there and accepts with probability
//!    `S·p̃(a)/(n_tail·q(a)) ≤ 1`, exactly, with big integers.
//!
//! Each accepted round returns `a` with probability `(S/2^N)·p̃(a)`, the same
//! constant times `p̃` for every `a`: the output follows the law exactly, and
//! the round in which it is accepted is independent of the value accepted.
//! Blocks continue while `m_h ≥ 2^−70·Σ`, so every kept block has
//! `n_o ≥ 8`; the rest is the tail.
//!
//! # Work per sample
//!
//! A round draws a fixed number of 64-bit words (3 when `k + 1 + m ≤ 60`,
//! else 4) and runs the same instructions whatever it proposes: the bucket,
//! outcome and table reads are indexed loads, the magnitude and sign are
//! computed without branches, and the only branches are accept/reject (the
//! number of rounds is independent of the value returned) and the two rare
//! paths, the tie and the tail, of total probability `< 2^−65` per sample.
//! Word layout of a round: `c` (the coin); `w` with the bucket in bits
//! `0..k`, the sign in bit `k`, `l` in the next `m` bits and the low `nb`
//! bits of `V` above; `V`'s high 64 bits. In 4-word mode `w` holds the
//! bucket, the sign and `nb = 63 − k` bits of `V`, and `l` has a word of
//! its own.

use std::fmt;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive};

use super::alias::{self, Bucket};
use super::exp::{Bounds, ceil_div};
use super::fixexp::{EXP_GAP, ONE, exp_neg_lower, mul_sub};
use super::lazy::LazyUniform;
use super::words::WordSource;
use crate::error::{Error, Result};

/// Fractional bits of the mass bounds computed at construction.
pub(crate) const MASS_PREC: u32 = 256;

/// Fewest alias index bits (`N = k + 64 ≥ 73`).
const MIN_BUCKET_BITS: u32 = 9;

/// Blocks are kept while `m_h ≥ 2^−CUT_BITS · Σ` (so `n_o ≥ 8`).
const CUT_BITS: u32 = 70;

/// Most blocks (a bound on memory; the laws need at most about 800).
pub(crate) const MAX_BLOCKS: usize = 1 << 13;

/// What a law supplies to [`BlockSampler`] (see the module documentation).
pub(crate) trait Law: Clone + fmt::Debug + Sized {
    /// Per-block data of the acceptance exponent.
    type Coef: Copy + Default + fmt::Debug;
    /// `m` (`B = 2^m`).
    fn block_bits(&self) -> u32;
    /// Whether magnitude 0 is a separate outcome before the blocks.
    fn has_zero(&self) -> bool;
    /// The first magnitude of block 0.
    fn offset(&self) -> u32;
    /// Whether outputs get a random sign.
    fn signed(&self) -> bool;
    /// Bounds of `p̃(0)` at [`MASS_PREC`] (when [`Law::has_zero`]).
    fn zero_mass(&self) -> Bounds;
    /// Bounds of `m_0, m_1, …` at [`MASS_PREC`], produced while `keep`
    /// returns true for the latest one.
    fn block_masses(&self, keep: &mut dyn FnMut(&Bounds) -> bool) -> Vec<Bounds>;
    /// An upper bound (`hi`) of what the tail outcome needs after `blocks`
    /// blocks: `max_a p̃(a)/q(a)` over the tail, `q` the tail proposal.
    fn tail_need(&self, blocks: usize) -> Bounds;
    /// The exponent data of block `h`.
    fn coef(&self, h: usize) -> Self::Coef;
    /// An upper bound of `x_h(l)·2^127` for `u = l·2^(64−m)` (`l/B` as a
    /// 64-bit fraction).
    fn x_upper(&self, coef: &Self::Coef, u: u64) -> u128;
    /// `max (x_upper − x·2^127)`.
    fn x_error(&self) -> u128;
    /// Bounds of `p̃(a)·2^prec`.
    fn target(&self, a: &BigUint, prec: u32) -> Bounds;
    /// The tail outcome's round: `Some(a)` if its proposal is accepted.
    fn tail<W: WordSource + ?Sized>(engine: &BlockSampler<Self>, rng: &mut W) -> Option<u128>;
}

/// The per-outcome data of a round.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome<C> {
    /// `δ_o ≤ kd·2^−(64+ks)`.
    kd: u64,
    ks: u32,
    /// `α·2^127 ≤ A + gap`.
    gap: u64,
    coef: C,
}

/// The sampler (see the module documentation).
#[derive(Clone)]
pub(crate) struct BlockSampler<L: Law> {
    pub(crate) law: L,
    m: u32,
    k: u32,
    has_zero: bool,
    signed: bool,
    offset: u128,
    /// Four words per round (`k + 1 + m > 60`).
    four: bool,
    /// `2^m − 1`.
    l_mask: u64,
    /// Where `l` starts in its word (`w`, or a word of its own in 4-word mode).
    l_shift: u32,
    /// Bits of `V` in `w`, and where they start.
    v_bits: u32,
    v_shift: u32,
    buckets: Vec<Bucket>,
    /// `2^k` entries (padding after the tail, never drawn).
    outcomes: Vec<Outcome<L::Coef>>,
    /// Index of the tail outcome.
    tail: usize,
    /// `K`.
    blocks: usize,
    /// `S = s_int / 2^s_shift`.
    s_int: BigUint,
    s_shift: u32,
    /// `n_o` per outcome (zero, blocks, tail).
    masses: Vec<u128>,
    /// Test-only widening of the undecided band (forces ties).
    #[cfg(test)]
    tie_margin: u128,
}

impl<L: Law> fmt::Debug for BlockSampler<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockSampler")
            .field("law", &self.law)
            .field("block_bits", &self.m)
            .field("blocks", &self.blocks)
            .field("bucket_bits", &self.k)
            .finish_non_exhaustive()
    }
}

fn internal(what: &str) -> Error {
    Error::Internal(format!("sampler construction: {what}"))
}

impl<L: Law> BlockSampler<L> {
    /// Builds the tables for `law`.
    pub(crate) fn new(law: L) -> Result<Self> {
        Self::with_block_limit(law, MAX_BLOCKS)
    }

    /// Builds the tables with at most `max_blocks` blocks (tests lower it to
    /// send a large share of draws to the tail).
    pub(crate) fn with_block_limit(law: L, max_blocks: usize) -> Result<Self> {
        let m = law.block_bits();
        let has_zero = law.has_zero();
        let zero = has_zero.then(|| law.zero_mass());
        let mut sum_lo = zero.as_ref().map(|z| z.lo.clone()).unwrap_or_default();
        let mut count = 0usize;
        let blocks = law.block_masses(&mut |b: &Bounds| {
            let keep = count < max_blocks.min(MAX_BLOCKS) && (&b.hi << CUT_BITS) >= sum_lo;
            if keep {
                sum_lo += &b.lo;
                count += 1;
            }
            keep
        });
        let kk = blocks.len();
        let tail = law.tail_need(kk);
        let mut his: Vec<&BigUint> = Vec::with_capacity(kk + 2);
        let mut los: Vec<&BigUint> = Vec::with_capacity(kk + 2);
        if let Some(z) = &zero {
            his.push(&z.hi);
            los.push(&z.lo);
        }
        for b in &blocks {
            his.push(&b.hi);
            los.push(&b.lo);
        }
        his.push(&tail.hi);
        let outcomes = his.len();
        let k = MIN_BUCKET_BITS.max(usize::BITS - (outcomes - 1).leading_zeros());
        let n_bits = k + 64;
        // S = s_int/2^F, S·Σ m_hi ≤ 2^N − outcomes − 1.
        let sum_hi: BigUint = his.iter().copied().sum();
        let f = sum_hi.bits() as u32 + 64;
        let shift = f + MASS_PREC;
        let room = (BigUint::one() << n_bits) - BigUint::from(outcomes + 1);
        let s_int = (room << shift) / &sum_hi;
        let mut n: Vec<BigUint> = his
            .iter()
            .map(|h| ceil_div(&s_int * *h, &(BigUint::one() << shift)))
            .collect();
        let total: BigUint = n.iter().sum();
        let full = BigUint::one() << n_bits;
        if total > full {
            return Err(internal("masses overflow"));
        }
        let leftover = full - total;
        let largest = (0..outcomes - 1)
            .max_by(|&a, &b| n[a].cmp(&n[b]))
            .ok_or_else(|| internal("no outcome"))?;
        n[largest] += leftover;
        let masses: Vec<u128> = n
            .iter()
            .map(|v| v.to_u128().ok_or_else(|| internal("mass too large")))
            .collect::<Result<_>>()?;
        let buckets = alias::build(&masses, k).ok_or_else(|| internal("alias table"))?;
        let x_err = law.x_error();
        let mut table = vec![Outcome::default(); 1 << k];
        for (o, entry) in table.iter_mut().enumerate().take(outcomes - 1) {
            if (!has_zero || o != 0) && masses[o] < 8 {
                // A kept block has n ≈ 16 or more (see CUT_BITS): κ > 7/8.
                return Err(internal("block mass"));
            }
            let (kd, ks, kappa_err) = kappa(&s_int, shift, los[o], his[o], &n[o])?;
            let gap = EXP_GAP + x_err + (x_err >> 20) + 1 + kappa_err + 4;
            let h = if has_zero { o.checked_sub(1) } else { Some(o) };
            *entry = Outcome {
                kd,
                ks,
                gap: u64::try_from(gap).map_err(|_| internal("gap"))?,
                coef: h.map(|h| law.coef(h)).unwrap_or_default(),
            };
        }
        let sampler = BlockSampler {
            m,
            k,
            has_zero,
            signed: law.signed(),
            offset: u128::from(law.offset()),
            four: k + 1 + m > 60,
            l_mask: if m == 0 { 0 } else { u64::MAX >> (64 - m) },
            l_shift: if k + 1 + m > 60 { 0 } else { k + 1 },
            v_bits: if k + 1 + m > 60 { 63 - k } else { 63 - k - m },
            v_shift: if k + 1 + m > 60 { k + 1 } else { k + 1 + m },
            buckets,
            outcomes: table,
            tail: outcomes - 1,
            blocks: kk,
            s_int,
            s_shift: f,
            masses,
            #[cfg(test)]
            tie_margin: 0,
            law,
        };
        // Every exponent stays below 1 (in exp_neg_lower's range [0, 2),
        // with no overflow in the laws' fixed-point products).
        if let Some(last) = kk.checked_sub(1) {
            let o = last + usize::from(has_zero);
            let top = sampler.law.x_upper(
                &sampler.outcomes[o].coef,
                sampler.l_mask << sampler.u_shift(),
            );
            if top >= ONE {
                return Err(internal("exponent range"));
            }
        }
        Ok(sampler)
    }

    /// `64 − m` (0 when `m = 0`, where `l` is always 0).
    #[inline(always)]
    fn u_shift(&self) -> u32 {
        (64 - self.m) & 63
    }

    /// `K`, the number of blocks.
    #[cfg(test)]
    pub(crate) fn blocks(&self) -> usize {
        self.blocks
    }

    /// `B = 2^m`.
    #[cfg(test)]
    pub(crate) fn block_size(&self) -> u128 {
        1u128 << self.m
    }

    /// The first magnitude past the last block (where the tail starts).
    pub(crate) fn tail_start(&self) -> u128 {
        self.offset + ((self.blocks as u128) << self.m)
    }

    /// Words a round draws.
    #[cfg(test)]
    pub(crate) fn words_per_round(&self) -> u32 {
        if self.four { 4 } else { 3 }
    }

    /// Probability of the tail outcome, `n_tail/2^N`, as `(n_tail, N)`.
    #[cfg(test)]
    pub(crate) fn tail_mass(&self) -> (u128, u32) {
        (self.masses[self.tail], self.k + 64)
    }

    /// Bounds of `S·v/n_tail · 2^p` for bounds `v` of a value at precision
    /// `v.prec`: the tail's acceptance probability for `v = p̃(a)/q(a)`.
    pub(crate) fn tail_ratio(&self, v: &Bounds, p: u32) -> Bounds {
        let den = BigUint::from(self.masses[self.tail]) << (self.s_shift + v.prec - p);
        Bounds {
            lo: (&self.s_int * &v.lo) / &den,
            hi: ceil_div(&self.s_int * &v.hi, &den),
            prec: p,
        }
    }

    /// One draw with a random sign (for signed laws).
    #[inline(always)]
    pub(crate) fn sample<W: WordSource + ?Sized>(&self, rng: &mut W) -> i128 {
        let (magnitude, w) = self.draw(rng);
        let negative = self.signed && (w >> self.k) & 1 == 1;
        let s = -i128::from(negative);
        // Magnitudes are below 2^127 (at most 2^13 blocks of 2^62 values
        // plus a tail that saturates).
        let v = magnitude.min(i128::MAX as u128) as i128;
        (v ^ s) - s
    }

    /// One magnitude (the sign bit is ignored).
    pub(crate) fn sample_magnitude<W: WordSource + ?Sized>(&self, rng: &mut W) -> u128 {
        self.draw(rng).0
    }

    /// One accepted magnitude and the word `w` of its round.
    #[inline(always)]
    fn draw<W: WordSource + ?Sized>(&self, rng: &mut W) -> (u128, u64) {
        loop {
            let c = rng.word();
            let w = rng.word();
            let lw = if self.four { rng.word() } else { w };
            let v_hi = rng.word();
            let bmask = (1usize << self.k) - 1;
            let b = (w as usize) & bmask;
            let o = alias::pick(&self.buckets, b, c) & bmask;
            let out = self.outcomes[o];
            // In a block (not the zero outcome): l and the block's base.
            let in_block = !self.has_zero || o != 0;
            let keep = u64::from(in_block).wrapping_neg();
            let l = (lw >> self.l_shift) & self.l_mask & keep;
            let h = o.wrapping_sub(usize::from(self.has_zero)) as u128;
            let base = ((h << self.m).wrapping_add(self.offset)) & u128::from(keep);
            let magnitude = base.wrapping_add(u128::from(l));
            let x = self.law.x_upper(&out.coef, l << self.u_shift());
            let a = mul_sub(exp_neg_lower(x), u128::from(out.kd), out.ks);
            // V ∈ [v, v + unit)·2^−127: 64 + v_bits bits.
            let low = (w >> self.v_shift) & ((1u64 << self.v_bits) - 1);
            let unit = 1u128 << (63 - self.v_bits);
            let v = (u128::from(v_hi) << 63) | (u128::from(low) * unit);
            if o == self.tail {
                count_tail();
                match L::tail(self, rng) {
                    Some(t) => return (t, w),
                    None => continue,
                }
            }
            #[cfg(test)]
            let (a, gap) = (
                a.saturating_sub(self.tie_margin),
                u128::from(out.gap) + 2 * self.tie_margin,
            );
            #[cfg(not(test))]
            let gap = u128::from(out.gap);
            if v + unit <= a {
                return (magnitude, w);
            }
            if v >= a + gap {
                continue;
            }
            let prefix = (u128::from(v_hi) << self.v_bits) | u128::from(low);
            if self.settle_tie(o, magnitude, prefix, 64 + self.v_bits, rng) {
                return (magnitude, w);
            }
        }
    }

    /// The exact comparison of `V` (first `bits` bits `prefix`) with `α(a)`.
    #[cold]
    #[inline(never)]
    fn settle_tie<W: WordSource + ?Sized>(
        &self,
        o: usize,
        a: u128,
        prefix: u128,
        bits: u32,
        rng: &mut W,
    ) -> bool {
        count_tie();
        let a = BigUint::from(a);
        let w = if self.has_zero && o == 0 {
            BigUint::one()
        } else {
            BigUint::one() << self.m
        };
        let n = BigUint::from(self.masses[o]);
        LazyUniform::with_prefix(prefix, bits).less_than(rng, |p| {
            // α = S·w·p̃(a)/n_o, bounded with 128 guard bits.
            let g = p + 128;
            let t = self.law.target(&a, g);
            let den = &n << (self.s_shift + g - p);
            let f = &self.s_int * &w;
            Bounds {
                lo: (&f * &t.lo) / &den,
                hi: ceil_div(&f * &t.hi, &den),
                prec: p,
            }
        })
    }

    /// The same sampler with every undecided band widened by `2^bits`
    /// `Q127` units (`bits ≤ 126`), so that the exact tie path runs often
    /// (tests only).
    #[cfg(test)]
    pub(crate) fn with_tie_margin(mut self, bits: u32) -> Self {
        self.tie_margin = 1u128 << bits;
        self
    }

    /// The exact acceptance probability of `a` in outcome `o` and the fast
    /// bounds `(A, A + gap)` for it (tests).
    #[cfg(test)]
    pub(crate) fn check_bounds(&self, o: usize, l: u64) -> (Bounds, u128, u128) {
        let out = self.outcomes[o];
        let in_block = !self.has_zero || o != 0;
        let l = if in_block { l & self.l_mask } else { 0 };
        let h = (o - usize::from(self.has_zero && in_block)) as u128;
        let a = if in_block {
            self.offset + (h << self.m) + u128::from(l)
        } else {
            0
        };
        let x = self.law.x_upper(&out.coef, l << self.u_shift());
        let lo = mul_sub(exp_neg_lower(x), u128::from(out.kd), out.ks);
        let w = if in_block {
            BigUint::one() << self.m
        } else {
            BigUint::one()
        };
        let p = 200;
        let t = self.law.target(&BigUint::from(a), p + 128);
        let den = BigUint::from(self.masses[o]) << (self.s_shift + 128);
        let f = &self.s_int * &w;
        let exact = Bounds {
            lo: (&f * &t.lo) / &den,
            hi: ceil_div(&f * &t.hi, &den),
            prec: p,
        };
        (exact, lo, lo + u128::from(out.gap))
    }

    /// Outcomes other than the tail (tests).
    #[cfg(test)]
    pub(crate) fn outcome_count(&self) -> usize {
        self.tail
    }
}

/// `(kd, ks, err)`: `δ = 1 − κ ≤ kd·2^−(64+ks)` for `κ = S·m/n`
/// (`m ∈ [m_lo, m_hi]`), and the error bound of the `κ` step in `Q127` units:
/// `2^127·(kd·2^−(64+ks) − δ_lo) + kd·2^−ks + 1` (see
/// [`super::fixexp::mul_sub`]).
fn kappa(
    s_int: &BigUint,
    shift: u32,
    m_lo: &BigUint,
    m_hi: &BigUint,
    n: &BigUint,
) -> Result<(u64, u32, u128)> {
    let den = n << shift;
    let s_lo = s_int * m_lo;
    let s_hi = s_int * m_hi;
    if s_hi > den {
        return Err(internal("kappa above 1"));
    }
    let num_up = &den - s_lo; // δ_up = num_up/den
    let num_lo = &den - s_hi; // δ_lo = num_lo/den
    let limit = BigUint::one() << 64u32;
    let mut e = 63u32;
    let d = loop {
        let d = ceil_div(&num_up << (64 + e), &den);
        if d < limit {
            break d;
        }
        if e == 0 {
            return Err(internal("kappa too small"));
        }
        e -= 1;
    };
    // 2^127·(d·2^−(64+e) − num_lo/den) = 2^127·(d·den − num_lo·2^(64+e))/(den·2^(64+e)).
    let diff = &d * &den - (&num_lo << (64 + e));
    let t1 = ceil_div(diff << 127u32, &(&den << (64 + e)));
    let t2 = ceil_div(d.clone(), &(BigUint::one() << e));
    let err = (t1 + t2 + 1u32)
        .to_u128()
        .ok_or_else(|| internal("kappa error"))?;
    let kd = d.to_u64().ok_or_else(|| internal("kappa digits"))?;
    Ok((kd, e, err))
}

/// How often the exact tie path ran (tests check they are exercised).
#[cfg(test)]
pub(crate) static TIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[cfg(test)]
fn count_tie() {
    TIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}
#[cfg(not(test))]
#[inline(always)]
fn count_tie() {}

/// How often a tail outcome was drawn (tests check the tail path runs).
#[cfg(test)]
pub(crate) static TAILS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts a tail round (tests).
#[inline(always)]
pub(crate) fn count_tail() {
    #[cfg(test)]
    TAILS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}
