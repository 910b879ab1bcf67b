//! Exact discrete Laplace and rounded Laplace samplers.
//!
//! With `t` the scale and `r = e^(−1/t)`:
//!
//! - [`DiscreteLaplaceSampler`]: `P(X = x) = (1 − r)/(1 + r) · r^|x|` on the
//!   integers (the two-sided geometric law; Ghosh, Roughgarden, Sundararajan
//!   2009; Canonne, Kamath, Steinke 2020).
//! - [`RoundedLaplaceSampler`]: the law of `round(W)` for a continuous
//!   Laplace `W` of scale `t`: `P(0) = 1 − e^(−1/(2t))`,
//!   `P(±k) = ½ e^(−1/(2t)) (1 − r) r^(k−1)` for `k ≥ 1`. Adding it to an
//!   integer is the continuous Laplace mechanism followed by rounding, so its
//!   privacy is exactly that of the continuous Laplace mechanism.
//!
//! Both sample the magnitude with [`super::block`]'s fixed-work exact method
//! and add a random sign (irrelevant at 0). Unnormalised magnitude weights:
//! `p̃(0) = 1` and `p̃(a) = P1·r^(a−1)` for `a ≥ 1`, with `P1 = 2r`
//! (discrete: `P(x)/P(0) = r^|x|` on each side) or `P1 = s(1 + s)`,
//! `s = e^(−1/(2t))` (rounded: `P(±a)/P(0) = s(1 − r)r^(a−1)/(1 − s)` and
//! `(1 − r)/(1 − s) = 1 + s`). Blocks of `B = 2^m` magnitudes with
//! `B/t ∈ [1/16, 1/8)` (`B = 1` for `t < 16`), so within a block the
//! acceptance is `e^(−l/t)` and a round is accepted with probability
//! `≥ (1 − e^(−1/8))·8 ≈ 0.94`. The tail (magnitudes past the last block,
//! probability `< 2^−66`) uses memorylessness: `a = a_K + G` with `G`
//! geometric of ratio `r`, accepted with a constant probability.
//!
//! Construction computes the tables once per scale (≈ 0.1–0.3 ms);
//! magnitudes are returned as `i128`.

use std::sync::OnceLock;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive};

use super::block::{BlockSampler, Law, MASS_PREC};
use super::exp::{Bounds, exp_neg_bounds, one};
use super::lazy::LazyUniform;
use super::rational::Rational;
use super::words::{Direct, WordSampler, WordSource};
use crate::error::{Error, Result};
use crate::rng::NoiseRng;

/// Largest accepted scale, 2^64 (noise beyond the `i64` range is the norm
/// long before that).
pub(crate) const MAX_SCALE_LOG2: u32 = 64;

/// Checks `0 < scale ≤ 2^64`.
pub(crate) fn check_scale(param: &'static str, scale: &Rational) -> Result<()> {
    if scale.is_zero() {
        return Err(Error::invalid(param, "must be > 0, got 0"));
    }
    if scale > &Rational::from_integer(1u128 << MAX_SCALE_LOG2) {
        return Err(Error::invalid(
            param,
            format!(
                "must be <= 2^{MAX_SCALE_LOG2}, got {:e}",
                scale.to_f64_lossy()
            ),
        ));
    }
    Ok(())
}

/// Which magnitude law.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The discrete Laplace law's magnitude.
    Discrete,
    /// The magnitude of `round(W)`, `W` continuous Laplace.
    Rounded,
    /// `P(g) ∝ r^g`, `g ≥ 0` (no zero outcome, no sign): the tails' proposal.
    Geometric,
}

/// The Laplace-type magnitude laws for [`BlockSampler`].
#[derive(Clone)]
pub(crate) struct LaplaceLaw {
    shape: Shape,
    /// `t = n/d`.
    n: BigUint,
    d: BigUint,
    m: u32,
    /// `⌈(B/t)·2^127⌉` (used when `m ≥ 1`, where `B/t < 1/8`).
    lambda: u128,
    /// Bounds of `P1·B` and `ρ = e^(−B/t)` at [`MASS_PREC`].
    first: Bounds,
    rho: Bounds,
    /// The geometric sampler of the tail (built on first use).
    geometric: OnceLock<Box<BlockSampler<LaplaceLaw>>>,
}

impl std::fmt::Debug for LaplaceLaw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaplaceLaw")
            .field("shape", &self.shape)
            .field("scale", &format_args!("{}/{}", self.n, self.d))
            .field("block_bits", &self.m)
            .finish_non_exhaustive()
    }
}

/// `m` with `2^m < t/8 ≤ 2^(m+1)` (so `B/t ∈ [1/16, 1/8)`), or 0 when
/// `t < 16`.
fn block_bits(n: &BigUint, d: &BigUint) -> u32 {
    let eight_d = d << 3u32;
    let whole = n / &eight_d; // ⌊t/8⌋
    if whole < BigUint::from(2u32) {
        return 0;
    }
    let bits = whole.bits() as u32; // 2^(bits−1) ≤ t/8 < 2^bits
    let pow = BigUint::one() << (bits - 1);
    if &pow * &eight_d == *n {
        bits - 2 // t/8 = 2^(bits−1) exactly
    } else {
        bits - 1
    }
}

impl LaplaceLaw {
    /// The law of `shape` at scale `t` (`0 < t ≤ 2^64`, checked by the caller).
    pub(crate) fn new(shape: Shape, t: &Rational) -> LaplaceLaw {
        let (n, d) = (t.numer().clone(), t.denom().clone());
        let m = block_bits(&n, &d);
        let p = MASS_PREC;
        let b = BigUint::one() << m;
        let rho = exp_neg_bounds(&ratio(&(&b * &d), &n), p);
        let p1 = match shape {
            Shape::Discrete => exp_neg_bounds(&ratio(&d, &n), p).times(&BigUint::from(2u32)),
            Shape::Rounded => {
                let s = exp_neg_bounds(&ratio(&d, &(&n << 1u32)), p);
                s.mul(&s).add(&s)
            }
            Shape::Geometric => one(p),
        };
        let lambda = if m == 0 {
            0
        } else {
            ceil_ratio(&((&b * &d) << 127u32), &n)
                .to_u128()
                .unwrap_or(u128::MAX)
        };
        LaplaceLaw {
            shape,
            n,
            d,
            m,
            lambda,
            first: p1.times(&b),
            rho,
            geometric: OnceLock::new(),
        }
    }

    /// The geometric sampler of ratio `r` for the tail (the engine itself
    /// for the geometric shape).
    fn geometric(&self) -> &BlockSampler<LaplaceLaw> {
        self.geometric.get_or_init(|| {
            let t = Rational::new(self.n.clone(), self.d.clone()).expect("d > 0");
            // The same scale built this law's sampler, so this cannot fail.
            Box::new(
                BlockSampler::new(LaplaceLaw::new(Shape::Geometric, &t))
                    .expect("a geometric sampler for a valid scale"),
            )
        })
    }

    /// Bounds of `p̃(a)/(1 − r)` at precision `q` (the tail's need at `a_K`).
    fn tail_value(&self, a_k: &BigUint, q: u32) -> Bounds {
        let top = self.target(a_k, q);
        let one_minus_r = exp_neg_bounds(&ratio(&self.d, &self.n), q).one_minus();
        top.div(&one_minus_r).unwrap_or(Bounds {
            lo: BigUint::from(0u32),
            hi: BigUint::one() << (2 * q),
            prec: q,
        })
    }
}

/// `num/den` as a rational (`den > 0` by construction).
pub(crate) fn ratio(num: &BigUint, den: &BigUint) -> Rational {
    Rational::new(num.clone(), den.clone()).expect("positive denominator")
}

/// `⌈a/b⌉`.
pub(crate) fn ceil_ratio(a: &BigUint, b: &BigUint) -> BigUint {
    super::exp::ceil_div(a.clone(), b)
}

impl Law for LaplaceLaw {
    fn block_bits(&self) -> u32 {
        self.m
    }

    fn has_zero(&self) -> bool {
        self.shape != Shape::Geometric
    }

    fn offset(&self) -> u32 {
        u32::from(self.shape != Shape::Geometric)
    }

    fn signed(&self) -> bool {
        self.shape != Shape::Geometric
    }

    fn zero_mass(&self) -> Bounds {
        one(MASS_PREC)
    }

    fn block_masses(&self, keep: &mut dyn FnMut(&Bounds) -> bool) -> Vec<Bounds> {
        // m_h = B·P1·ρ^h.
        let mut out = Vec::new();
        let mut cur = self.first.clone();
        while keep(&cur) {
            let next = cur.mul(&self.rho);
            out.push(cur);
            cur = next;
        }
        out
    }

    fn tail_need(&self, blocks: usize) -> Bounds {
        let a_k = BigUint::from(self.offset()) + (BigUint::from(blocks) << self.m);
        self.tail_value(&a_k, MASS_PREC)
    }

    #[inline(always)]
    fn x_upper(&self, _h: u64, u: u64) -> u128 {
        // x = l/t = (u/2^64)·(B/t) ≤ u·λ/2^64, λ = lambda·2^−127.
        let (hi, lo) = (self.lambda >> 64, self.lambda & u128::from(u64::MAX));
        u128::from(u) * hi + ((u128::from(u) * lo) >> 64) + 1
    }

    fn x_error(&self) -> u128 {
        // lambda rounds up by < 1 unit (≤ 1 after the product) and the floor
        // adds 1 more; the `+ 1` covers it.
        3
    }

    fn target(&self, a: &BigUint, prec: u32) -> Bounds {
        let is_zero = a.bits() == 0;
        if is_zero && self.shape != Shape::Geometric {
            return one(prec);
        }
        let e = |num: &BigUint, den: &BigUint| exp_neg_bounds(&ratio(num, den), prec);
        match self.shape {
            // 2r·r^(a−1) = 2e^(−a/t).
            Shape::Discrete => e(&(a * &self.d), &self.n).times(&BigUint::from(2u32)),
            // (s + s²)·r^(a−1) = e^(−(2a−1)/(2t)) + e^(−a/t).
            Shape::Rounded => e(&(((a << 1u32) - 1u32) * &self.d), &(&self.n << 1u32))
                .add(&e(&(a * &self.d), &self.n)),
            // r^a.
            Shape::Geometric => e(&(a * &self.d), &self.n),
        }
    }

    fn tail<W: WordSource + ?Sized>(engine: &BlockSampler<Self>, rng: &mut W) -> Option<u128> {
        let law = &engine.law;
        let g = if law.shape == Shape::Geometric {
            engine.sample_magnitude(rng)
        } else {
            law.geometric().sample_magnitude(rng)
        };
        let a_k = engine.tail_start();
        let a = a_k.saturating_add(g);
        // q(a) = (1 − r)·r^(a − a_K) and p̃(a)/q(a) = p̃(a_K)/(1 − r): accept
        // with the constant S·p̃(a_K)/((1 − r)·n_tail) ≤ 1.
        let a_k = BigUint::from(a_k);
        let first = rng.word();
        LazyUniform::new(first)
            .less_than(rng, |p| {
                engine.tail_ratio(&law.tail_value(&a_k, p + 128), p)
            })
            .then_some(a)
    }
}

/// Exact sampler of the discrete Laplace law `P(x) ∝ e^(−|x|/t)` on the
/// integers, for a rational scale `0 < t ≤ 2^64` (see the module
/// documentation and `src/sample/block.rs` for the method and its timing).
#[derive(Clone, Debug)]
pub struct DiscreteLaplaceSampler {
    scale: Rational,
    inner: BlockSampler<LaplaceLaw>,
}

impl DiscreteLaplaceSampler {
    /// A sampler of scale `t` (in integer units).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `0 < t ≤ 2^64`.
    pub fn new(scale: &Rational) -> Result<DiscreteLaplaceSampler> {
        check_scale("scale", scale)?;
        Ok(DiscreteLaplaceSampler {
            scale: scale.clone(),
            inner: BlockSampler::new(LaplaceLaw::new(Shape::Discrete, scale))?,
        })
    }

    /// The scale `t`.
    pub fn scale(&self) -> &Rational {
        &self.scale
    }

    /// One exact draw.
    #[inline]
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        self.inner.sample(&mut Direct(rng))
    }

    /// The engine (tests).
    #[cfg(test)]
    pub(crate) fn engine(&self) -> &BlockSampler<LaplaceLaw> {
        &self.inner
    }

    /// Every undecided band widened by `2^bits` (tests: forces ties).
    #[cfg(test)]
    pub(crate) fn with_tie_margin(mut self, bits: u32) -> Self {
        self.inner = self.inner.with_tie_margin(bits);
        self
    }

    /// At most `blocks` blocks (tests: sends draws to the tail).
    #[cfg(test)]
    pub(crate) fn with_block_limit(mut self, blocks: usize) -> Self {
        self.inner =
            BlockSampler::with_block_limit(LaplaceLaw::new(Shape::Discrete, &self.scale), blocks)
                .unwrap();
        self
    }
}

impl WordSampler for DiscreteLaplaceSampler {
    #[inline(always)]
    fn sample_words<W: WordSource + ?Sized>(&self, words: &mut W) -> i128 {
        self.inner.sample(words)
    }

    #[inline(always)]
    fn fill_words<W: WordSource + ?Sized>(
        &self,
        words: &mut W,
        n: usize,
        put: impl FnMut(usize, i128),
    ) {
        self.inner.fill(words, n, put)
    }
}

/// Exact sampler of `round(W)` for a continuous Laplace `W` of scale
/// `0 < t ≤ 2^64` (see the module documentation for its law).
#[derive(Clone, Debug)]
pub struct RoundedLaplaceSampler {
    scale: Rational,
    inner: BlockSampler<LaplaceLaw>,
}

impl RoundedLaplaceSampler {
    /// A sampler of scale `t` (in integer units).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `0 < t ≤ 2^64`.
    pub fn new(scale: &Rational) -> Result<RoundedLaplaceSampler> {
        check_scale("scale", scale)?;
        Ok(RoundedLaplaceSampler {
            scale: scale.clone(),
            inner: BlockSampler::new(LaplaceLaw::new(Shape::Rounded, scale))?,
        })
    }

    /// The scale `t`.
    pub fn scale(&self) -> &Rational {
        &self.scale
    }

    /// One exact draw.
    #[inline]
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        self.inner.sample(&mut Direct(rng))
    }

    /// The engine (tests).
    #[cfg(test)]
    pub(crate) fn engine(&self) -> &BlockSampler<LaplaceLaw> {
        &self.inner
    }

    /// Every undecided band widened by `2^bits` (tests: forces ties).
    #[cfg(test)]
    pub(crate) fn with_tie_margin(mut self, bits: u32) -> Self {
        self.inner = self.inner.with_tie_margin(bits);
        self
    }

    /// At most `blocks` blocks (tests: sends draws to the tail).
    #[cfg(test)]
    pub(crate) fn with_block_limit(mut self, blocks: usize) -> Self {
        self.inner =
            BlockSampler::with_block_limit(LaplaceLaw::new(Shape::Rounded, &self.scale), blocks)
                .unwrap();
        self
    }
}

impl WordSampler for RoundedLaplaceSampler {
    #[inline(always)]
    fn sample_words<W: WordSource + ?Sized>(&self, words: &mut W) -> i128 {
        self.inner.sample(words)
    }

    #[inline(always)]
    fn fill_words<W: WordSource + ?Sized>(
        &self,
        words: &mut W,
        n: usize,
        put: impl FnMut(usize, i128),
    ) {
        self.inner.fill(words, n, put)
    }
}

/// The geometric sampler `P(g) ∝ r^g`, `r = e^(−1/t)`, for the Gaussian's
/// tail (`0 < t ≤ 2^64`).
pub(crate) fn geometric(t: &Rational) -> Result<BlockSampler<LaplaceLaw>> {
    check_scale("scale", t)?;
    BlockSampler::new(LaplaceLaw::new(Shape::Geometric, t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{InsecureSeededRng, NoiseRng};
    use crate::sample::block::{TAILS, TIES};
    use crate::sample::stats::{assert_follows, discrete_laplace_cdf, rounded_laplace_cdf};
    use std::sync::atomic::Ordering;

    fn draws(n: usize, seed: u64, f: impl Fn(&mut InsecureSeededRng) -> i128) -> Vec<i128> {
        let mut rng = InsecureSeededRng::from_seed_insecure(seed);
        (0..n).map(|_| f(&mut rng)).collect()
    }

    /// Scales from tiny to 2^64, including the block-size edges (15.9, 16,
    /// 16.5) and the float mechanisms' ≈ 2^40 grid units.
    const SCALES: [f64; 15] = [
        2.5e-3,
        0.1,
        0.5,
        1.0,
        4.0,
        15.9,
        16.0,
        16.5,
        100.0,
        1e6,
        1.3e12,
        1.7e15,
        1.1e18,
        1.8e19,
        1.429_365_116_108_8e12,
    ];

    /// Chi-square against the exact law (false-failure rate ≈ 1e-6 each),
    /// one value at a time (discrete) and through the four-lane batch path
    /// (rounded).
    #[test]
    fn discrete_and_rounded_laplace_follow_their_laws() {
        for (i, &t) in SCALES.iter().enumerate() {
            let scale = Rational::from_f64("t", t).unwrap();
            let d = DiscreteLaplaceSampler::new(&scale).unwrap();
            let s = draws(20_000, 100 + i as u64, |r| d.sample(r));
            if t < 0.01 {
                // P(X != 0) < 1e-170: every draw is 0.
                assert!(s.iter().all(|&x| x == 0));
            }
            assert_follows(&s, discrete_laplace_cdf(t), &format!("discrete t={t}"));
            let rl = RoundedLaplaceSampler::new(&scale).unwrap();
            let mut rng = InsecureSeededRng::from_seed_insecure(200 + i as u64);
            let mut s = vec![0i128; 20_000];
            rl.fill_words(&mut Direct(&mut rng), s.len(), |j, x| s[j] = x);
            assert_follows(&s, rounded_laplace_cdf(t), &format!("rounded t={t}"));
        }
    }

    /// The same laws with every undecided band widened to `2^−7`, so that the
    /// exact tie path settles about one round in a hundred (thousands of
    /// times in all), and with the blocks cut short so that a fifth to a
    /// tenth of the rounds take the tail path (geometric proposal, exact
    /// constant acceptance).
    #[test]
    fn forced_ties_and_tails_still_follow_the_exact_laws() {
        let (ties, tails) = (TIES.load(Ordering::Relaxed), TAILS.load(Ordering::Relaxed));
        for (i, &t) in [0.5, 1.0, 10.0, 100.0, 1e6, 1.5 * 2f64.powi(40)]
            .iter()
            .enumerate()
        {
            let scale = Rational::from_f64("t", t).unwrap();
            let d = DiscreteLaplaceSampler::new(&scale)
                .unwrap()
                .with_tie_margin(120);
            let s = draws(20_000, 400 + i as u64, |r| d.sample(r));
            assert_follows(&s, discrete_laplace_cdf(t), &format!("tied discrete t={t}"));
            let rl = RoundedLaplaceSampler::new(&scale)
                .unwrap()
                .with_tie_margin(120);
            let s = draws(20_000, 500 + i as u64, |r| rl.sample(r));
            assert_follows(&s, rounded_laplace_cdf(t), &format!("tied rounded t={t}"));
            let blocks = if t < 8.0 { 2 } else { 24 };
            let d = DiscreteLaplaceSampler::new(&scale)
                .unwrap()
                .with_block_limit(blocks);
            let s = draws(20_000, 600 + i as u64, |r| d.sample(r));
            assert_follows(&s, discrete_laplace_cdf(t), &format!("tail discrete t={t}"));
            let rl = RoundedLaplaceSampler::new(&scale)
                .unwrap()
                .with_block_limit(blocks);
            let s = draws(20_000, 700 + i as u64, |r| rl.sample(r));
            assert_follows(&s, rounded_laplace_cdf(t), &format!("tail rounded t={t}"));
        }
        let ties = TIES.load(Ordering::Relaxed) - ties;
        let tails = TAILS.load(Ordering::Relaxed) - tails;
        assert!(ties > 1000, "exact tie path ran only {ties} times");
        assert!(tails > 10_000, "tail path ran only {tails} times");
    }

    /// The fast bounds `A ≤ α·2^127 ≤ A + gap` hold against 200-bit
    /// big-integer values of `α`, for every outcome and random offsets.
    #[test]
    fn fast_acceptance_bounds_bracket_the_exact_probability() {
        let mut rng = InsecureSeededRng::from_seed_insecure(77);
        for &t in &[0.7, 6.0, 1000.0, 1.3e12, 1.1e18] {
            let scale = Rational::from_f64("t", t).unwrap();
            for engine in [
                DiscreteLaplaceSampler::new(&scale)
                    .unwrap()
                    .engine()
                    .clone(),
                RoundedLaplaceSampler::new(&scale).unwrap().engine().clone(),
            ] {
                for o in 0..engine.outcome_count() {
                    let (exact, lo, hi) = engine.check_bounds(o, rng.next_u64());
                    assert!(BigUint::from(lo) << 73u32 <= exact.lo, "t={t} o={o}: low");
                    assert!(exact.hi <= BigUint::from(hi) << 73u32, "t={t} o={o}: gap");
                    assert!(hi - lo < 1 << 64, "t={t} o={o}: gap {}", hi - lo);
                }
            }
        }
    }

    /// Block sizes: `B/t ∈ [1/16, 1/8)` from 16 on, `B = 1` below; three
    /// words a round up to `t ≈ 2^53`, four beyond; the tail starts where the
    /// weight has fallen below `2^−71` of the total.
    #[test]
    fn block_layout() {
        for (t, b, words) in [
            (0.5, 1, 3),
            (8.0, 1, 3),
            (16.0, 1, 3),
            (16.5, 2, 3),
            (1e6, 1 << 16, 3),
            (2f64.powi(40), 1 << 36, 3),
            (2f64.powi(60), 1 << 56, 4),
        ] {
            let e = DiscreteLaplaceSampler::new(&Rational::from_f64("t", t).unwrap())
                .unwrap()
                .engine()
                .clone();
            assert_eq!(e.block_size(), b, "t={t}");
            assert_eq!(e.words_per_round(), words, "t={t}");
            let (n_tail, bits) = e.tail_mass();
            assert!(
                n_tail < 1u128 << (bits - 66),
                "t={t}: tail mass {n_tail}/2^{bits}"
            );
            if t > 16.0 {
                let lambda = b as f64 / t;
                assert!((0.0625..0.125).contains(&lambda), "t={t}");
                // Blocks reach ln(2^71·λ)/λ, about 46/λ to 47/λ.
                let reach = e.blocks() as f64 * lambda;
                assert!((45.0..48.5).contains(&reach), "t={t}: {reach}");
            }
        }
        let tiny = DiscreteLaplaceSampler::new(&Rational::from_f64("t", 1e-3).unwrap()).unwrap();
        assert_eq!(
            tiny.engine().blocks(),
            0,
            "all nonzero values are in the tail"
        );
    }

    #[test]
    fn scales_out_of_range_are_rejected() {
        assert!(DiscreteLaplaceSampler::new(&Rational::from_integer(0)).is_err());
        let huge = Rational::from_integer((1u128 << 64) + 1);
        let e = RoundedLaplaceSampler::new(&huge).unwrap_err();
        assert!(e.to_string().starts_with("scale must be <= 2^64"), "{e}");
        let max = DiscreteLaplaceSampler::new(&Rational::from_integer(1u128 << 64)).unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(3);
        let x = max.sample(&mut rng);
        assert!(x.unsigned_abs() < 1u128 << 72);
        let subnormal = Rational::from_f64("t", f64::from_bits(1)).unwrap();
        let s = RoundedLaplaceSampler::new(&subnormal).unwrap();
        assert_eq!(s.sample(&mut rng), 0);
    }
}
