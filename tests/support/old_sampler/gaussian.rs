//! Copied from the library as it was before fixed-work sampling (kept as
//! the timing counter-example; not used by the library).
#![allow(dead_code, clippy::all)]

//! Exact discrete Gaussian sampler.
//!
//! Law: `P(X = x) = e^(−x²/(2σ²)) / Σ_y e^(−y²/(2σ²))` on the integers.
//!
//! Method (Canonne, Kamath, Steinke 2020, Alg. 3): with `t = ⌊σ⌋ + 1`, draw
//! `Y` from the discrete Laplace law of scale `t` and accept it with
//! probability `exp(−(|Y| − σ²/t)² / (2σ²))`. The number of rounds is
//! geometric with a success rate that depends on `σ` only (≈ 0.76 for large
//! `σ`), and the rounds are independent of the accepted value.
//!
//! # Fast path
//!
//! For `1 ≤ σ < 2^52` the acceptance test first compares the top 32 random
//! bits with per-scale bounds of `e^(−x)` over the bin of `|y|` (2048 bins
//! covering 16σ, built once, ≈ 0.2 ms; for `σ ≥ 64`); undecided draws
//! (≈ 1 %) compare 63 bits with table bounds of `e^(−x)` ([`super::tables`]),
//! `x` being bounded in fixed point from precomputed bounds of `2^63/σ` and
//! `σ/t` (absolute error below 2⁻⁵⁰); only when the bits still fall inside
//! the bounds (≈ 2⁻⁵⁰) is `x` formed as an exact big rational. Other `σ`
//! always take the exact path (microseconds per draw).

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use ilsprivacy::rng::NoiseRng;
use ilsprivacy::sample::Rational;
use ilsprivacy::sample::exp::exp_neg_bounds;
use ilsprivacy::{Error, Result};

use super::laplace::DiscreteLaplaceSampler;
use super::tables::{Bound63, ExpTables, LazyUniform};
use super::{Direct, WordSampler, WordSource};

/// Exact sampler of the discrete Gaussian law of a rational `σ`, `0 < σ < 2^63`.
#[derive(Clone, Debug)]
pub struct DiscreteGaussianSampler {
    sigma: Rational,
    proposal: DiscreteLaplaceSampler,
    /// `t = ⌊σ⌋ + 1`.
    t: BigUint,
    fast: Option<FastAcceptance>,
}

/// Fixed-point data of the fast acceptance test (see the module documentation).
#[derive(Clone, Debug)]
struct FastAcceptance {
    /// `e = ⌊log₂ σ⌋`.
    e: u32,
    /// `y ≥ 2^(e+10)` means `y/σ > 512`: `x` is huge.
    y_limit: u64,
    /// Bounds of `2^(63+e)/σ` (in `(2^62, 2^63]`).
    r_lo: u64,
    r_hi: u64,
    /// Bounds of `(σ/t)·2^63`.
    m_lo: u64,
    m_hi: u64,
    tables: &'static ExpTables,
    /// Per-bin bounds of `e^(−x)` for `y` in bins of width `2^(e−6)` covering
    /// `[0, 2^(e+5))` (at least 16σ), as `(lo, hi − 1)` in units of `2^−32`
    /// rounded outward: a uniform whose top 32 bits are `v` is surely below
    /// when `v < lo` and surely above when `v > hi − 1`. Empty when `e < 6`.
    bins: Vec<(u32, u32)>,
}

/// Bins of the per-scale acceptance table (16 KiB).
const BINS: usize = 2048;

impl FastAcceptance {
    fn new(sigma: &Rational, t: &BigUint) -> Option<FastAcceptance> {
        let (p, q) = (sigma.numer(), sigma.denom());
        if sigma < &Rational::from_integer(1) || sigma >= &Rational::from_integer(1 << 52) {
            return None;
        }
        let e = sigma.floor().bits() as u32 - 1;
        let r_lo = ((BigUint::from(1u32) << (63 + e)) * q / p).to_u64()?;
        let m_lo = ((p << 63u32) / (q * t)).to_u64()?;
        let mut fast = FastAcceptance {
            e,
            y_limit: 1u64 << (e + 10),
            r_lo,
            r_hi: r_lo + 1,
            m_lo,
            m_hi: m_lo + 1,
            tables: ExpTables::get(),
            bins: Vec::new(),
        };
        fast.build_bins(sigma, t);
        Some(fast)
    }

    /// Rigorous bounds of `e^(−x(y))` over each bin of `y`, from the fixed-point
    /// bounds of `x` at the bin's ends (`x` is a convex parabola in `y` with
    /// its minimum at `μ = σ²/t`, so its extremes over a bin are at the ends,
    /// or 0 when the bin holds `μ`).
    fn build_bins(&mut self, sigma: &Rational, t: &BigUint) {
        if self.e < 6 {
            return;
        }
        let width = 1u64 << (self.e - 6);
        let mu = sigma
            .mul(sigma)
            .div(&Rational::new(t.clone(), 1u32.into()).expect("t > 0"));
        let mu_floor = mu.as_ref().map(|m| m.floor()).ok();
        self.bins = (0..BINS as u64)
            .map(|i| {
                let (a, b) = (i * width, (i + 1) * width - 1);
                let (xa, xb) = (self.x_bounds(u128::from(a)), self.x_bounds(u128::from(b)));
                let holds_mu = mu_floor
                    .as_ref()
                    .is_some_and(|m| *m >= BigUint::from(a) && *m <= BigUint::from(b));
                let x_min = if holds_mu { 0 } else { xa.0.min(xb.0) };
                let x_max = xa.1.max(xb.1);
                let (lo, _) = self.tables.fine_bounds(x_max, x_max);
                let (_, hi) = self.tables.fine_bounds(x_min, x_min);
                let lo32 = (lo >> 31).min(u64::from(u32::MAX)) as u32;
                let hi32_minus_one = (hi.div_ceil(1 << 31) - 1).min(u64::from(u32::MAX)) as u32;
                (lo32, hi32_minus_one)
            })
            .collect();
    }

    /// The first test: bounds of `e^(−x)` for the bin of `y`, if it has one.
    #[inline(always)]
    fn bin_bounds(&self, y: u128) -> Option<(u32, u32)> {
        let i = y >> (self.e.saturating_sub(6));
        if i < BINS as u128 && !self.bins.is_empty() {
            self.bins.get(i as usize).copied()
        } else {
            None
        }
    }

    /// Bounds of `x·2^64` for `x = (y − σ²/t)²/(2σ²)`, saturating (a bound
    /// at or above `2^70` means "e^(−x) is below 2^−63").
    #[inline(always)]
    fn x_bounds(&self, y: u128) -> (u128, u128) {
        const HUGE: (u128, u128) = (1 << 70, 1 << 70);
        if y >= u128::from(self.y_limit) {
            return HUGE; // y/σ > 512: x > 10^5
        }
        let y = y as u64;
        // (y/σ)·2^63 ∈ [a_lo, a_hi] (< 2^73).
        let a_lo = (u128::from(y) * u128::from(self.r_lo)) >> self.e;
        let a_hi = (u128::from(y) * u128::from(self.r_hi) + ((1u128 << self.e) - 1)) >> self.e;
        let (m_lo, m_hi) = (u128::from(self.m_lo), u128::from(self.m_hi));
        // |y/σ − σ/t|·2^63 ∈ [z_lo, z_hi].
        let (z_lo, z_hi) = if a_lo >= m_hi {
            (a_lo - m_hi, a_hi - m_lo)
        } else if a_hi <= m_lo {
            (m_lo - a_hi, m_hi - a_lo)
        } else {
            (0, (a_hi - m_lo).max(m_hi - a_lo))
        };
        if z_lo >= 1 << 67 {
            return HUGE; // z ≥ 16: x ≥ 128
        }
        // z·2^56 in [s_lo, s_hi] (< 2^61), then x·2^64 = (z·2^56)² / 2^49.
        let s_lo = (z_lo >> 7) as u64;
        let s_hi = (z_hi.min(1 << 67).div_ceil(1 << 7)) as u64;
        let sq_lo = u128::from(s_lo) * u128::from(s_lo);
        let sq_hi = u128::from(s_hi) * u128::from(s_hi);
        (sq_lo >> 49, (sq_hi >> 49) + 1)
    }
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
        let t = sigma.floor() + 1u32;
        let proposal = DiscreteLaplaceSampler::new(&Rational::new(t.clone(), 1u32.into())?)?;
        let fast = FastAcceptance::new(sigma, &t);
        Ok(DiscreteGaussianSampler {
            sigma: sigma.clone(),
            proposal,
            t,
            fast,
        })
    }

    /// The scale `σ`.
    pub fn sigma(&self) -> &Rational {
        &self.sigma
    }

    /// One exact draw.
    pub fn sample<R: NoiseRng + ?Sized>(&self, rng: &mut R) -> i128 {
        self.sample_words(&mut Direct(rng))
    }

    /// The bin did not decide: bound `x` in fixed point for this `y`.
    #[inline(never)]
    fn accept_fixed<W: WordSource + ?Sized>(
        &self,
        fast: &FastAcceptance,
        y: i128,
        v: u64,
        rng: &mut W,
    ) -> bool {
        let (x_lo, x_hi) = fast.x_bounds(y.unsigned_abs());
        let (lo, hi) = fast.tables.coarse_bounds(x_lo, x_hi);
        if v >> 1 < lo {
            true
        } else if v >> 1 >= hi {
            false
        } else {
            self.accept_fine(fast, y, x_lo, x_hi, v, rng)
        }
    }

    #[cold]
    fn accept_fine<W: WordSource + ?Sized>(
        &self,
        fast: &FastAcceptance,
        y: i128,
        x_lo: u128,
        x_hi: u128,
        v: u64,
        rng: &mut W,
    ) -> bool {
        let (lo, hi): Bound63 = fast.tables.fine_bounds(x_lo, x_hi);
        if v >> 1 < lo {
            return true;
        }
        if v >> 1 >= hi {
            return false;
        }
        let x = self.exponent(y);
        LazyUniform::new(v).less_than(rng, |p| exp_neg_bounds(&x, p))
    }

    /// The exact acceptance exponent `x = (|y| − σ²/t)²/(2σ²)`
    /// `= (|y|·q²·t − p²)² / (2·p²·q²·t²)` for `σ = p/q`.
    fn exponent(&self, y: i128) -> Rational {
        let (p, q) = (self.sigma.numer(), self.sigma.denom());
        let p2 = p * p;
        let q2t = q * q * &self.t;
        let a = BigUint::from(y.unsigned_abs()) * &q2t;
        let diff = if a >= p2 { a - &p2 } else { &p2 - a };
        let den = (&p2 * &q2t * &self.t) << 1u32;
        Rational::new(&diff * &diff, den).expect("den > 0")
    }
}

impl WordSampler for DiscreteGaussianSampler {
    #[inline(always)]
    fn sample_words<W: WordSource + ?Sized>(&self, rng: &mut W) -> i128 {
        loop {
            let y = self.proposal.sample_words(rng);
            let accept = match &self.fast {
                Some(fast) => {
                    let v = rng.word();
                    let v32 = (v >> 32) as u32;
                    match fast.bin_bounds(y.unsigned_abs()) {
                        Some((lo, _)) if v32 < lo => true,
                        Some((_, hi_minus_one)) if v32 > hi_minus_one => false,
                        _ => self.accept_fixed(fast, y, v, rng),
                    }
                }
                None => {
                    let x = self.exponent(y);
                    LazyUniform::new(rng.word()).less_than(rng, |p| exp_neg_bounds(&x, p))
                }
            };
            if accept {
                return y;
            }
        }
    }
}
