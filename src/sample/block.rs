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
//!    `α = e^(−(x + k_o))` with `k_o = −ln κ_o`, so `A` is
//!    [`super::fixexp::ExpTables::exp_neg_lower`] at `x̄ + k̄_o`, upper bounds
//!    of `x` (from the law, in fixed point) and of `k_o` (a series bound at
//!    construction); `gap_o` adds the exponential's error and the errors of
//!    `x̄` and `k̄_o`. `V` below `A` accepts, `V` above `A + gap_o` rejects.
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
//! Blocks continue while `m_h ≥ 2^−71·Σ`, so every kept block has
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
//! Word layout of a round, in drawing order: `c` (the coin); `w` with the
//! bucket in bits `0..k`, the sign in bit `k`, `l` in the next `m` bits and
//! the low `nb` bits of `V` above; `V`'s high 64 bits. In 4-word mode `w`
//! holds the bucket, the sign and `nb = 63 − k` bits of `V`, and `l` has a
//! fourth word of its own.

use std::fmt;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive};

use super::alias::{self, Bucket};
use super::exp::ceil_shr;
use super::exp::{Bounds, ceil_div};
use super::fixexp::{EXP_GAP, ExpTables, ONE};
use super::lazy::LazyUniform;
use super::words::WordSource;
use crate::error::{Error, Result};

/// Fractional bits of the mass bounds computed at construction.
pub(crate) const MASS_PREC: u32 = 256;

/// Alias index bits `k` (`N = k + 64 = 74`): 1024 buckets, fixed so that
/// every table read is a masked index without a bound check.
const BUCKET_BITS: u32 = 10;

/// `2^BUCKET_BITS`.
const BUCKETS: usize = 1 << BUCKET_BITS;

/// Blocks are kept while `m_h ≥ 2^−CUT_BITS · Σ` (so `n_o ≥ 8`).
const CUT_BITS: u32 = 71;

/// Most blocks (with the zero and tail outcomes they fill the buckets at
/// most; the laws need at most about 780).
pub(crate) const MAX_BLOCKS: usize = BUCKETS - 4;

/// What a law supplies to [`BlockSampler`] (see the module documentation).
pub(crate) trait Law: Clone + fmt::Debug + Sized {
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
    /// An upper bound of `x_h(l)·2^127` for block `h` and `u = l·2^(64−m)`
    /// (`l/B` as a 64-bit fraction), computed without reading tables (the
    /// block index must not choose a memory address).
    fn x_upper(&self, h: u64, u: u64) -> u128;
    /// `max (x_upper − x·2^127)`.
    fn x_error(&self) -> u128;
    /// Bounds of `p̃(a)·2^prec`.
    fn target(&self, a: &BigUint, prec: u32) -> Bounds;
    /// The tail outcome's round: `Some(a)` if its proposal is accepted.
    fn tail<W: WordSource + ?Sized>(engine: &BlockSampler<Self>, rng: &mut W) -> Option<u128>;
}

/// Values in flight in [`BlockSampler::fill`].
pub(crate) const LANES: usize = 4;

/// One round in flight.
#[derive(Clone, Copy, Debug, Default)]
struct Round {
    o: usize,
    magnitude: u128,
    /// The word holding the bucket and the sign.
    w: u64,
    /// The exponent's upper bound, `Q127`, and the outcome's `gap`.
    z: u128,
    gap: u64,
    /// `V`'s known bits as `Q127` (the lower end of its interval).
    v: u128,
    /// `A`, the lower bound of `α·2^127`.
    a: u128,
}

/// The fast decision of a round.
enum Verdict {
    Accept,
    Reject,
    /// A tie or a tail round: settled exactly by [`BlockSampler::settle`].
    Unsure,
}

/// The per-outcome data of a round.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    /// An upper bound of `−ln κ_o` in `Q127`.
    k: u128,
    /// `α·2^127 ≤ A + gap`.
    gap: u64,
}

/// An alias bucket with the data of both its outcomes, so that a round
/// reads one 64-byte line at a uniformly random index whatever outcome it
/// proposes: no memory address depends on the outcome (an outcome table
/// indexed by the outcome would leave the far tail's entries out of the
/// cache, and its reads slower, which a clock can see).
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
struct Slot {
    /// The bucket's outcome is `o[0]` if the coin is below this, else `o[1]`.
    threshold: u64,
    o: [u32; 2],
    gap: [u64; 2],
    k: [u128; 2],
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
    /// `B = 2^m`.
    b: u64,
    /// Where `l` starts in its word (`w`, or a word of its own in 4-word mode).
    l_shift: u32,
    /// Bits of `V` in `w` (from bit `64 − v_bits` on) and `2^(63 − v_bits)`
    /// (the weight of their last bit in `Q127`, `V`'s uncertainty).
    v_bits: u32,
    v_unit: u128,
    /// The bits of `w` from `v_shift` on.
    v_keep: u64,
    /// The alias buckets with their outcomes' data.
    slots: Box<[Slot; BUCKETS]>,
    /// The same data by outcome (construction and tests).
    outcomes: Vec<Outcome>,
    /// Index of the tail outcome.
    tail: usize,
    /// `K`.
    blocks: usize,
    /// `S = s_int / 2^s_shift`.
    s_int: BigUint,
    s_shift: u32,
    /// `n_o` per outcome (zero, blocks, tail).
    masses: Vec<u128>,
    tables: &'static ExpTables,
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
        if kk >= MAX_BLOCKS {
            return Err(internal("too many blocks"));
        }
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
        let k = BUCKET_BITS;
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
        let buckets: Vec<Bucket> =
            alias::build(&masses, k).ok_or_else(|| internal("alias table"))?;
        let x_err = law.x_error();
        let offset = u128::from(law.offset());
        let mut table = vec![Outcome::default(); outcomes];
        for (o, entry) in table.iter_mut().enumerate().take(outcomes - 1) {
            if (!has_zero || o != 0) && masses[o] < 8 {
                // A kept block has n ≥ 8 (see CUT_BITS, N = 74): κ > 7/8.
                return Err(internal("block mass"));
            }
            let (k_lo, k_hi) = neg_ln_kappa(&s_int, shift, los[o], his[o], &n[o])?;
            let k_err = k_hi - k_lo;
            // e^(−x−k) with x, k rounded up by ≤ x_err, k_err: the true
            // value is at most (A + EXP_GAP)·e^((x_err + k_err)·2^−127).
            let gap = EXP_GAP + x_err + (x_err >> 20) + k_err + (k_err >> 20) + 8;
            *entry = Outcome {
                k: k_hi,
                gap: u64::try_from(gap).map_err(|_| internal("gap"))?,
            };
        }
        let mut slots: Box<[Slot; BUCKETS]> = Box::new([Slot::default(); BUCKETS]);
        for (b, (slot, bucket)) in slots.iter_mut().zip(&buckets).enumerate() {
            let pair = [b, bucket.alias as usize];
            let data = pair.map(|o| table.get(o).copied().unwrap_or_default());
            *slot = Slot {
                threshold: bucket.threshold,
                o: pair.map(|o| o as u32),
                gap: data.map(|d| d.gap),
                k: data.map(|d| d.k),
            };
        }
        let sampler = BlockSampler {
            m,
            k,
            has_zero,
            signed: law.signed(),
            offset,
            four: k + 1 + m > 60,
            l_mask: if m == 0 { 0 } else { u64::MAX >> (64 - m) },
            b: 1 << m,
            l_shift: if k + 1 + m > 60 { 0 } else { k + 1 },
            v_bits: if k + 1 + m > 60 { 63 - k } else { 63 - k - m },
            v_unit: 1u128 << (if k + 1 + m > 60 { k } else { k + m }),
            v_keep: u64::MAX << (if k + 1 + m > 60 { k + 1 } else { k + 1 + m }),
            slots,
            outcomes: table,
            tail: outcomes - 1,
            blocks: kk,
            s_int,
            s_shift: f,
            masses,
            tables: ExpTables::get(),
            #[cfg(test)]
            tie_margin: 0,
            law,
        };
        // Every exponent stays below 1 (in exp_neg_lower's range [0, 2),
        // with no overflow in the laws' fixed-point products).
        for (o, out) in sampler.outcomes.iter().enumerate().take(outcomes - 1) {
            let h = o.wrapping_sub(usize::from(has_zero)) as u64;
            let top = sampler.law.x_upper(h, sampler.l_mask << sampler.u_shift());
            if top.saturating_add(out.k) >= ONE && (!has_zero || o != 0) {
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
        self.signed_value(magnitude, w)
    }

    /// `magnitude` with the sign of bit `k` of `w` (signed laws).
    #[inline(always)]
    fn signed_value(&self, magnitude: u128, w: u64) -> i128 {
        let negative = self.signed && (w >> BUCKET_BITS) & 1 == 1;
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

    /// The words of one round: `[c, w, V's high word, l's word]` (`l`'s word
    /// is `w` except in 4-word mode).
    #[inline(always)]
    fn round_words<W: WordSource + ?Sized>(&self, rng: &mut W) -> [u64; 4] {
        let [c, w, v_hi] = rng.words3();
        let lw = if self.four { rng.word() } else { w };
        [c, w, v_hi, lw]
    }

    /// A round up to its exponent: the proposal and `z = x̄ + k̄_o`.
    #[inline(always)]
    fn propose(&self, [c, w, v_hi, lw]: [u64; 4]) -> Round {
        let slot = &self.slots[(w as usize) % BUCKETS];
        let pick = usize::from(c >= slot.threshold);
        let o = slot.o[pick] as usize;
        // In a block (not the zero outcome): l, the block index h and the
        // magnitude, all without reading memory indexed by the outcome.
        let h = o.wrapping_sub(usize::from(self.has_zero)) as u64;
        let in_block = !self.has_zero || o != 0;
        let l = (lw >> self.l_shift) & self.l_mask & u64::from(in_block).wrapping_neg();
        let x = self.law.x_upper(h, l << self.u_shift());
        let base = (u128::from(h) * u128::from(self.b) + self.offset)
            & u128::from(in_block).wrapping_neg();
        // V ∈ [v, v + unit)·2^−127: 64 + v_bits bits, the top bits of w
        // from position v_shift = 64 − v_bits on placed below v_hi.
        Round {
            o,
            magnitude: base + u128::from(l),
            w,
            z: x + slot.k[pick],
            gap: slot.gap[pick],
            v: (u128::from(v_hi) << 63) | u128::from((w & self.v_keep) >> 1),
            a: 0,
        }
    }

    /// The fast decision of a round whose `a` is set.
    #[inline(always)]
    fn verdict(&self, r: &Round) -> Verdict {
        let gap = u128::from(r.gap);
        #[cfg(test)]
        let (a, gap) = (
            r.a.saturating_sub(self.tie_margin),
            gap + 2 * self.tie_margin,
        );
        #[cfg(not(test))]
        let a = r.a;
        if r.o == self.tail {
            Verdict::Unsure
        } else if r.v + self.v_unit <= a {
            Verdict::Accept
        } else if r.v >= a + gap {
            Verdict::Reject
        } else {
            Verdict::Unsure
        }
    }

    /// Settles a tail round or a tie exactly: the accepted magnitude, if any.
    #[cold]
    #[inline(never)]
    fn settle<W: WordSource + ?Sized>(&self, r: &Round, rng: &mut W) -> Option<u128> {
        if r.o == self.tail {
            count_tail();
            return L::tail(self, rng);
        }
        // V's known bits: v = prefix·2^(63 − v_bits).
        let prefix = r.v >> (63 - self.v_bits);
        self.settle_tie(r.o, r.magnitude, prefix, 64 + self.v_bits, rng)
            .then_some(r.magnitude)
    }

    /// One accepted magnitude and the word `w` of its round.
    #[inline(always)]
    fn draw<W: WordSource + ?Sized>(&self, rng: &mut W) -> (u128, u64) {
        loop {
            let mut r = self.propose(self.round_words(rng));
            r.a = self.tables.exp_neg_lower(r.z);
            match self.verdict(&r) {
                Verdict::Accept => return (r.magnitude, r.w),
                Verdict::Reject => {}
                Verdict::Unsure => {
                    if let Some(m) = self.settle(&r, rng) {
                        return (m, r.w);
                    }
                }
            }
        }
    }

    /// Noise for `n` values: `put(i, x)` once for every `i < n`.
    ///
    /// [`LANES`] values are in flight at once: each pass draws one round for
    /// every lane (in lane order), computes them stage by stage so that the
    /// lanes' long multiply chains overlap, and gives each accepted lane its
    /// next value; a rejected lane retries its value in the next pass. Every
    /// value thus gets the first accepted round of its own sequence of
    /// rounds, exactly as [`BlockSampler::sample`] would, and the number of
    /// passes depends only on the rounds' acceptance, which is independent of
    /// the values accepted.
    #[inline(always)]
    pub(crate) fn fill<W: WordSource + ?Sized>(
        &self,
        rng: &mut W,
        n: usize,
        mut put: impl FnMut(usize, i128),
    ) {
        const IDLE: usize = usize::MAX;
        let mut slot = [IDLE; LANES];
        let mut next = 0;
        for s in &mut slot {
            if next < n {
                *s = next;
                next += 1;
            }
        }
        let mut busy = slot.iter().filter(|&&s| s != IDLE).count();
        while busy >= LANES / 2 {
            // One round per lane, stage by stage (no arrays of rounds: the
            // four stay in registers and stack slots).
            let mut r0 = self.propose(self.round_words(rng));
            let mut r1 = self.propose(self.round_words(rng));
            let mut r2 = self.propose(self.round_words(rng));
            let mut r3 = self.propose(self.round_words(rng));
            r0.a = self.tables.exp_neg_lower(r0.z);
            r1.a = self.tables.exp_neg_lower(r1.z);
            r2.a = self.tables.exp_neg_lower(r2.z);
            r3.a = self.tables.exp_neg_lower(r3.z);
            for (s, r) in slot.iter_mut().zip([&r0, &r1, &r2, &r3]) {
                if *s == IDLE {
                    continue;
                }
                let magnitude = match self.verdict(r) {
                    Verdict::Accept => Some(r.magnitude),
                    Verdict::Reject => None,
                    Verdict::Unsure => self.settle(r, rng),
                };
                if let Some(m) = magnitude {
                    put(*s, self.signed_value(m, r.w));
                    if next < n {
                        *s = next;
                        next += 1;
                    } else {
                        *s = IDLE;
                        busy -= 1;
                    }
                }
            }
        }
        // The last few values, one at a time.
        for &s in slot.iter().filter(|&&s| s != IDLE) {
            put(s, self.sample(rng));
        }
        while next < n {
            put(next, self.sample(rng));
            next += 1;
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
        let h = o.wrapping_sub(usize::from(self.has_zero)) as u64;
        let a = if in_block {
            self.offset + u128::from(h) * u128::from(self.b) + u128::from(l)
        } else {
            0
        };
        let x = self.law.x_upper(h, l << self.u_shift());
        let lo = self.tables.exp_neg_lower(x + out.k);
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

/// `Q127` bounds `(lo, hi)` of `−ln κ` for `κ = S·m/n`, `m ∈ [m_lo, m_hi]`
/// (`S = s_int/2^shift` times `2^MASS_PREC`-scaled masses): with
/// `δ = 1 − κ ∈ [δ_lo, δ_up] ⊂ [0, 1/2]`, `−ln κ = Σ_{j≥1} δ^j/j`, bounded
/// below by partial sums at `δ_lo` rounded down and above by partial sums
/// at `δ_up` rounded up plus the last term (the rest of the series is at
/// most `t_J·δ/(1 − δ) ≤ t_J`).
fn neg_ln_kappa(
    s_int: &BigUint,
    shift: u32,
    m_lo: &BigUint,
    m_hi: &BigUint,
    n: &BigUint,
) -> Result<(u128, u128)> {
    const P: u32 = 200;
    let den = n << shift;
    let s_lo = s_int * m_lo;
    let s_hi = s_int * m_hi;
    if s_hi > den {
        return Err(internal("kappa above 1"));
    }
    let d_up = ceil_div((&den - s_lo) << P, &den);
    let d_lo = ((&den - s_hi) << P) / &den;
    if d_up > BigUint::one() << (P - 1) {
        return Err(internal("kappa below 1/2"));
    }
    let small = BigUint::one() << (P - 150);
    let (mut hi, mut t, mut j) = (BigUint::ZERO, d_up.clone(), 1u32);
    loop {
        hi += ceil_div(t.clone(), &BigUint::from(j));
        if t < small {
            hi += &t;
            break;
        }
        t = ceil_shr(&t * &d_up, P);
        j += 1;
    }
    let (mut lo, mut t, mut j) = (BigUint::ZERO, d_lo.clone(), 1u32);
    while t >= small {
        lo += &t / BigUint::from(j);
        t = (&t * &d_lo) >> P;
        j += 1;
    }
    let hi = ceil_shr(hi, P - 127)
        .to_u128()
        .ok_or_else(|| internal("kappa range"))?;
    let lo = (lo >> (P - 127)).to_u128().unwrap_or(0);
    Ok((lo, hi))
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
