//! Exact discrete Gaussian sampler.
//!
//! Law: `P(X = x) = e^(−x²/(2σ²)) / Σ_y e^(−y²/(2σ²))` on the integers
//! (Canonne, Kamath, Steinke 2020), for every rational `0 < σ < 2^63`.
//!
//! # Method
//!
//! The magnitude is sampled with [`super::block`]'s fixed-work exact
//! rejection and given a random sign (irrelevant at 0). Unnormalised
//! magnitude weights: `p̃(0) = 1` and `p̃(a) = 2e^(−a²/(2σ²))` for `a ≥ 1`
//! (both signs). Magnitudes from 1 are cut into blocks of `B = 2^m` values,
//! `σ/64 < B ≤ σ/32` (`B = 1` for `σ < 64`); block `h` starts at
//! `a₀ = 1 + hB`, its envelope is `p̃(a₀)`, and `a = a₀ + l` is accepted
//! with probability `κ_h·e^(−x)`,
//!
//! ```text
//! x = (a² − a₀²)/(2σ²) = E_h·u + D·u²,   u = l/B,  E_h = a₀B/σ²,  D = B²/(2σ²),
//! ```
//!
//! which is exactly `p̃(a)/p̃(a₀)`: every proposal is accepted with
//! probability proportional to the discrete Gaussian weight, so the output is
//! exactly the discrete Gaussian (the argument of [`super::block`]); no
//! approximation of the law enters, only the speed depends on how well the
//! blocks fit (≈ 1.2–1.5 % of rounds are rejected for `σ ≥ 64`, almost
//! none below). Blocks reach about `9.4σ`; the tail beyond `a_K` is
//! proposed as `a = a_K + g`, `g` geometric of ratio `ρ = e^(−a_K/σ²)`
//! (`p̃(a) ≤ p̃(a_K)·ρ^(a−a_K)` since `a² ≥ a_K² + 2a_K(a − a_K)`), and
//! accepted with probability `S·2e^(−(a_K² + g²)/(2σ²))/(n_tail·(1 − ρ))`.
//!
//! Since the law is the discrete Gaussian itself, the accountant's view is
//! unchanged: ρ-zCDP with `ρ = Δ²/(2σ²)` (CKS20 Prop. 5) and the
//! discrete-Gaussian δ(ε) of [`crate::mechanism::discrete_gaussian_delta`].

use std::sync::OnceLock;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive};

use super::block::{BlockSampler, Law, MASS_PREC};
use super::exp::{Bounds, ceil_div, exp_neg_bounds, one};
use super::laplace::{LaplaceLaw, geometric, ratio};
use super::lazy::LazyUniform;
use super::rational::Rational;
use super::words::{Direct, WordSampler, WordSource};
use crate::error::{Error, Result};
use crate::rng::NoiseRng;

/// The discrete Gaussian's magnitude law for [`BlockSampler`].
#[derive(Clone)]
pub(crate) struct GaussianLaw {
    /// `σ = p/q`.
    p: BigUint,
    q: BigUint,
    m: u32,
    /// `⌈D·2^75⌉`, `D = B²/(2σ²) ≤ 2^−11` (so at most `2^64`, reached
    /// when `B = σ/32`, i.e. for every power-of-two `σ ≥ 64`).
    d64: u128,
    /// `⌈(B/σ²)·2^127⌉` and `⌈(B²/σ²)·2^127⌉` (`E_h = e0 + h·de`).
    e0: u128,
    de: u128,
    /// The geometric sampler of the tail (built on first use).
    geometric: OnceLock<Box<BlockSampler<LaplaceLaw>>>,
}

impl std::fmt::Debug for GaussianLaw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GaussianLaw")
            .field("sigma", &format_args!("{}/{}", self.p, self.q))
            .field("block_bits", &self.m)
            .finish_non_exhaustive()
    }
}

impl GaussianLaw {
    fn new(sigma: &Rational) -> GaussianLaw {
        let (p, q) = (sigma.numer().clone(), sigma.denom().clone());
        let whole = &p / &q;
        // ⌊log₂ σ⌋ − 5 for σ ≥ 64: σ/64 < B ≤ σ/32.
        let m = (whole.bits() as u32).saturating_sub(6);
        let b = BigUint::one() << m;
        let d64 = ceil_div((&b * &b * &q * &q) << 75u32, &((&p * &p) << 1u32))
            .to_u128()
            .unwrap_or(u128::MAX);
        let q2b = &q * &q * &b;
        let p2 = &p * &p;
        let e0 = ceil_div(&q2b << 127u32, &p2).to_u128().unwrap_or(u128::MAX);
        let de = ceil_div((&q2b * &b) << 127u32, &p2)
            .to_u128()
            .unwrap_or(u128::MAX);
        GaussianLaw {
            p,
            q,
            m,
            d64,
            e0,
            de,
            geometric: OnceLock::new(),
        }
    }

    /// `e^(−num/(2σ²))` at precision `prec`, for an integer `num`.
    fn exp_half(&self, num: &BigUint, prec: u32) -> Bounds {
        exp_neg_bounds(
            &ratio(&(num * &self.q * &self.q), &((&self.p * &self.p) << 1u32)),
            prec,
        )
    }

    /// Bounds of `2e^(−(a_K² + g²)/(2σ²))/(1 − e^(−a_K/σ²))` at precision `q`:
    /// `p̃(a)/q(a)` for `a = a_K + g`, with `g = 0` the tail's need.
    fn tail_value(&self, a_k: &BigUint, g: &BigUint, q: u32) -> Bounds {
        let top = self
            .exp_half(&(a_k * a_k + g * g), q)
            .times(&BigUint::from(2u32));
        let rho = self.exp_half(&(a_k << 1u32), q).one_minus();
        top.div(&rho).unwrap_or(Bounds {
            lo: BigUint::from(0u32),
            hi: BigUint::one() << (2 * q),
            prec: q,
        })
    }

    /// The geometric sampler of ratio `e^(−a_K/σ²)` (scale `σ²/a_K`).
    fn geometric(&self, a_k: u128) -> &BlockSampler<LaplaceLaw> {
        self.geometric.get_or_init(|| {
            let t = ratio(
                &(&self.p * &self.p),
                &(&self.q * &self.q * BigUint::from(a_k)),
            );
            // σ < 2^63 and a_K ≥ 1 keep σ²/a_K ≤ 2^64 whenever a_K ≥ σ/4,
            // which holds: blocks reach about 9.4σ (or a_K = 1 for σ < 1/4).
            Box::new(geometric(&t).expect("a geometric sampler for the Gaussian tail"))
        })
    }
}

impl Law for GaussianLaw {
    fn block_bits(&self) -> u32 {
        self.m
    }

    fn has_zero(&self) -> bool {
        true
    }

    fn offset(&self) -> u32 {
        1
    }

    fn signed(&self) -> bool {
        true
    }

    fn zero_mass(&self) -> Bounds {
        one(MASS_PREC)
    }

    fn block_masses(&self, keep: &mut dyn FnMut(&Bounds) -> bool) -> Vec<Bounds> {
        // m_h = 2B·e^(−a₀²/(2σ²)), a₀ = 1 + hB; from h to h + 1 the exponent
        // grows by ((2 + B)B + 2hB²)/(2σ²): m_{h+1} = m_h·α·β^h with
        // α = e^(−(2 + B)B/(2σ²)), β = e^(−B²/σ²).
        let p = MASS_PREC;
        let b = BigUint::one() << self.m;
        let alpha = self.exp_half(&((BigUint::from(2u32) + &b) * &b), p);
        let beta = self.exp_half(&((&b * &b) << 1u32), p);
        let mut cur = self.exp_half(&BigUint::one(), p).times(&(&b << 1u32));
        let mut beta_h = one(p);
        let mut out = Vec::new();
        while keep(&cur) {
            let next = cur.mul(&alpha).mul(&beta_h);
            beta_h = beta_h.mul(&beta);
            out.push(cur);
            cur = next;
        }
        out
    }

    fn tail_need(&self, blocks: usize) -> Bounds {
        let a_k = BigUint::one() + (BigUint::from(blocks) << self.m);
        self.tail_value(&a_k, &BigUint::from(0u32), MASS_PREC)
    }

    #[inline(always)]
    fn x_upper(&self, h: u64, u: u64) -> u128 {
        // E_h = a₀B/σ² = B/σ² + h·B²/σ² ≤ e0 + h·de (both rounded up; h is
        // at most 1020, so the product stays below 2^127).
        // For σ < 64 (`B = 1`) e0 and de saturate and this wraps, harmlessly:
        // u is then always 0 and so is every product with it below. The
        // wrapping is explicit so that builds with overflow checks (debug)
        // do not panic.
        let e = self
            .e0
            .wrapping_add(u128::from(h % 1024).wrapping_mul(self.de));
        // y ≥ (E_h + D·u/2^64)·2^127, then x·2^127 ≤ y·u/2^64 (d64 ≤ 2^64 and
        // u < 2^64: the product fits).
        let du = ((self.d64 * u128::from(u)) >> 12) + 1;
        let y = e.saturating_add(du);
        let (hi, lo) = (y >> 64, y & u128::from(u64::MAX));
        u128::from(u) * hi + ((u128::from(u) * lo) >> 64) + 1
    }

    fn x_error(&self) -> u128 {
        // e0 + h·de exceeds E_h by < 1 + h ≤ 1021 units, D·2^75 rounds up by
        // < 1 (2^52 units of x after the products), floors and `+ 1`s add 4.
        (1 << 53) + 2048
    }

    fn target(&self, a: &BigUint, prec: u32) -> Bounds {
        if a.bits() == 0 {
            return one(prec);
        }
        self.exp_half(&(a * a), prec).times(&BigUint::from(2u32))
    }

    fn tail<W: WordSource + ?Sized>(engine: &BlockSampler<Self>, rng: &mut W) -> Option<u128> {
        let law = &engine.law;
        let a_k = engine.tail_start();
        let g = law.geometric(a_k).sample_magnitude(rng);
        let a = a_k.saturating_add(g);
        let (a_k, g) = (BigUint::from(a_k), BigUint::from(g));
        let first = rng.word();
        LazyUniform::new(first)
            .less_than(rng, |p| {
                engine.tail_ratio(&law.tail_value(&a_k, &g, p + 128), p)
            })
            .then_some(a)
    }
}

/// Exact sampler of the discrete Gaussian law of a rational `σ`, `0 < σ < 2^63`.
#[derive(Clone, Debug)]
pub struct DiscreteGaussianSampler {
    sigma: Rational,
    inner: BlockSampler<GaussianLaw>,
}

impl DiscreteGaussianSampler {
    /// A sampler of scale `σ` (in integer units).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] unless `0 < σ < 2^63`.
    pub fn new(sigma: &Rational) -> Result<DiscreteGaussianSampler> {
        if sigma.is_zero() {
            return Err(Error::invalid("sigma", "must be > 0, got 0"));
        }
        if sigma >= &Rational::from_integer(1u128 << 63) {
            return Err(Error::invalid(
                "sigma",
                format!("must be < 2^63, got {:e}", sigma.to_f64_lossy()),
            ));
        }
        Ok(DiscreteGaussianSampler {
            sigma: sigma.clone(),
            inner: BlockSampler::new(GaussianLaw::new(sigma))?,
        })
    }

    /// The scale `σ`.
    pub fn sigma(&self) -> &Rational {
        &self.sigma
    }

    /// One exact draw.
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        self.inner.sample(&mut Direct(rng))
    }

    /// The engine (tests).
    #[cfg(test)]
    pub(crate) fn engine(&self) -> &BlockSampler<GaussianLaw> {
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
        self.inner = BlockSampler::with_block_limit(GaussianLaw::new(&self.sigma), blocks).unwrap();
        self
    }
}

impl WordSampler for DiscreteGaussianSampler {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{InsecureSeededRng, NoiseRng};
    use crate::sample::block::{TAILS, TIES};
    use crate::sample::stats::{assert_follows, discrete_gaussian_cdf};
    use std::sync::atomic::Ordering;

    fn draws(g: &DiscreteGaussianSampler, n: usize, seed: u64) -> Vec<i128> {
        let mut rng = InsecureSeededRng::from_seed_insecure(seed);
        (0..n).map(|_| g.sample(&mut rng)).collect()
    }

    fn sampler(sigma: f64) -> DiscreteGaussianSampler {
        DiscreteGaussianSampler::new(&Rational::from_f64("s", sigma).unwrap()).unwrap()
    }

    /// Chi-square against the exact law (false-failure rate ≈ 1e-6 each),
    /// from σ = 0.05 (almost every draw 0) through σ < 1, the `B = 1` range,
    /// its edge at 64, the float mechanisms' ≈ 2^40 and the 4-word range.
    #[test]
    fn discrete_gaussian_follows_its_law() {
        let sigmas = [
            0.05,
            0.3,
            0.5,
            0.947,
            1.0,
            3.3,
            10.0,
            63.9,
            64.0,
            100.0,
            1e6,
            1.3 * 2f64.powi(40),
            2f64.powi(53),
            1.7 * 2f64.powi(61),
        ];
        for (i, &sigma) in sigmas.iter().enumerate() {
            let s = draws(&sampler(sigma), 20_000, 300 + i as u64);
            assert_follows(&s, discrete_gaussian_cdf(sigma), &format!("sigma={sigma}"));
        }
    }

    /// Forced exact ties (undecided bands widened to `2^−7`) and a forced
    /// tail (blocks cut at about 1.5σ, so ≈ 13 % of rounds take the
    /// geometric proposal): the law is still exact.
    #[test]
    fn forced_ties_and_tails_still_follow_the_exact_law() {
        let (ties, tails) = (TIES.load(Ordering::Relaxed), TAILS.load(Ordering::Relaxed));
        for (i, &sigma) in [0.6, 1.0, 3.3, 10.0, 100.0, 1e6, 1.3 * 2f64.powi(40)]
            .iter()
            .enumerate()
        {
            let g = sampler(sigma).with_tie_margin(120);
            let s = draws(&g, 20_000, 600 + i as u64);
            assert_follows(
                &s,
                discrete_gaussian_cdf(sigma),
                &format!("tied sigma={sigma}"),
            );
            let blocks = if sigma < 64.0 {
                (1.5 * sigma) as usize
            } else {
                48
            };
            let g = sampler(sigma).with_block_limit(blocks);
            let s = draws(&g, 20_000, 700 + i as u64);
            assert_follows(
                &s,
                discrete_gaussian_cdf(sigma),
                &format!("tail sigma={sigma}"),
            );
        }
        let ties = TIES.load(Ordering::Relaxed) - ties;
        let tails = TAILS.load(Ordering::Relaxed) - tails;
        assert!(ties > 1000, "exact tie path ran only {ties} times");
        assert!(tails > 5000, "tail path ran only {tails} times");
    }

    /// The fast bounds `A ≤ α·2^127 ≤ A + gap` hold against 200-bit values.
    #[test]
    fn fast_acceptance_bounds_bracket_the_exact_probability() {
        let mut rng = InsecureSeededRng::from_seed_insecure(78);
        for &sigma in &[
            0.3,
            0.947,
            20.0,
            64.0,
            5000.5,
            1.3 * 2f64.powi(40),
            2f64.powi(58),
        ] {
            let g = sampler(sigma);
            let e = g.engine();
            for o in 0..e.outcome_count() {
                for _ in 0..3 {
                    let (exact, lo, hi) = e.check_bounds(o, rng.next_u64());
                    assert!(
                        BigUint::from(lo) << 73u32 <= exact.lo,
                        "σ={sigma} o={o}: low"
                    );
                    assert!(
                        exact.hi <= BigUint::from(hi) << 73u32,
                        "σ={sigma} o={o}: gap"
                    );
                }
            }
        }
    }

    #[test]
    fn block_layout() {
        for (sigma, b, words) in [
            (0.947, 1u128, 3u32),
            (63.9, 1, 3),
            (64.0, 2, 3),
            (1e6, 1 << 14, 3),
            (1.3 * 2f64.powi(40), 1 << 35, 3),
            (2f64.powi(58), 1 << 53, 4),
        ] {
            let g = sampler(sigma);
            let e = g.engine();
            assert_eq!(e.block_size(), b, "σ={sigma}");
            assert_eq!(e.words_per_round(), words, "σ={sigma}");
            let (n_tail, bits) = e.tail_mass();
            assert!(
                n_tail < 1u128 << (bits - 66),
                "σ={sigma}: tail {n_tail}/2^{bits}"
            );
            // Blocks reach about 9.4σ.
            let reach = (e.tail_start() as f64) / sigma;
            assert!(
                sigma < 1.0 || (9.0..10.0).contains(&reach),
                "σ={sigma}: {reach}"
            );
        }
        assert_eq!(sampler(0.05).engine().blocks(), 0);
    }

    #[test]
    fn sigma_out_of_range_is_rejected() {
        assert!(DiscreteGaussianSampler::new(&Rational::from_integer(0)).is_err());
        let e = DiscreteGaussianSampler::new(&Rational::from_integer(1 << 63)).unwrap_err();
        assert!(e.to_string().starts_with("sigma must be < 2^63"), "{e}");
        let top = sampler(2f64.powi(63).next_down());
        let mut rng = InsecureSeededRng::from_seed_insecure(1);
        assert!(top.sample(&mut rng).unsigned_abs() < 1u128 << 70);
    }
    /// `x_upper` is an upper bound of `x·2^127` (exact rationals) where
    /// `D·2^75` reaches `2^64`: every power-of-two `σ ≥ 64` has `B = σ/32`
    /// (it was stored in a `u64`, saturated to `2^64 − 1` and left `x̄`
    /// up to `2^52` units short), and at ordinary σ.
    #[test]
    fn x_upper_bounds_x_at_power_of_two_sigma() {
        for sigma in [
            64.0,
            128.0,
            2048.0,
            2f64.powi(40),
            2f64.powi(52),
            100.0,
            5000.5,
        ] {
            let law = GaussianLaw::new(&Rational::from_f64("s", sigma).unwrap());
            let b = 1u64 << law.m;
            for h in [0u64, 1, 50, 300] {
                for l in [b - 1, b / 2, b.saturating_sub(2)] {
                    let u = l << (64 - law.m);
                    let a0 = BigUint::from(1u64 + h * b);
                    let a = &a0 + BigUint::from(l);
                    let num = ((&a * &a - &a0 * &a0) * &law.q * &law.q) << 127u32;
                    let exact = num / ((&law.p * &law.p) << 1u32);
                    assert!(
                        BigUint::from(law.x_upper(h, u)) >= exact,
                        "σ={sigma} h={h} l={l}"
                    );
                }
            }
        }
    }

    /// Small σ (one-value blocks, where the slopes saturate) build and
    /// sample without arithmetic overflow: this fails under overflow checks
    /// (`cargo test` in the dev profile) if `x_upper`'s unused slope sum
    /// is computed with plain `+` and `*`.
    #[test]
    fn small_sigma_has_no_overflow() {
        let mut rng = InsecureSeededRng::from_seed_insecure(9);
        for sigma in [0.05, 0.3, 1.0, 3.0, 31.5, 63.9] {
            let g = sampler(sigma);
            for _ in 0..100 {
                let _ = g.sample(&mut rng);
            }
        }
    }
}
