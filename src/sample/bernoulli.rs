//! Exact Bernoulli trials: rational `p`, and `e^(−x)` for rational `x`.
//!
//! Both compare a uniform `U ∈ [0, 1)`, revealed 64 bits at a time, with the
//! probability `p`: with `m` bits revealed, `U · 2^m` lies in `[V, V + 1)`,
//! and integer bounds `lo ≤ p · 2^m ≤ hi` decide `U < p` as soon as
//! `V + 1 ≤ lo` (true) or `V ≥ hi` (false). Otherwise 64 more bits are drawn
//! and the bounds recomputed at the finer precision. Since `hi − lo` stays
//! bounded, another round is needed with probability ≈ `(hi − lo + 1) / 2^m`:
//! the expected number of rounds is ≈ 1 and **does not depend on `p` or `x`**.
//!
//! This replaces the loop of Canonne, Kamath and Steinke (2020, Alg. 1),
//! whose number of Bernoulli(`x/k`) trials grows with `x`, by one exact
//! comparison against rigorous bounds of `e^(−x)` ([`super::exp`]).

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use super::exp::{Bounds, exp_neg_bounds};
use super::lazy::LazyUniform;
use super::rational::Rational;
use super::words::Direct;
use crate::error::{Error, Result};
use crate::rng::NoiseRng;

/// Decides `U < v` for a uniform `U ∈ [0, 1)` whose first 64 bits are
/// `first` (further bits are drawn from `rng` as needed), given an oracle
/// returning integer bounds of `v · 2^prec` for any `prec`.
///
/// Exact whenever the oracle's bounds are correct and shrink to width
/// `O(1)` at every precision.
pub fn uniform_below_real<R: NoiseRng + ?Sized>(
    rng: &mut R,
    first: u64,
    bounds: impl FnMut(u32) -> Bounds,
) -> bool {
    LazyUniform::new(first).less_than(&mut Direct(rng), bounds)
}

/// [`uniform_below_real`] for a uniform whose first `bits ≤ 128` bits are
/// `prefix`.
pub(crate) fn uniform_prefix_below_real<R: NoiseRng + ?Sized>(
    rng: &mut R,
    prefix: u128,
    bits: u32,
    bounds: impl FnMut(u32) -> Bounds,
) -> bool {
    LazyUniform::with_prefix(prefix, bits).less_than(&mut Direct(rng), bounds)
}

/// A uniform integer in `[0, n)` for `n > 0` of any size (rejection on the
/// bit length: fewer than 2 draws of `⌈log₂ n⌉` bits on average).
pub fn uniform_below_big<R: NoiseRng + ?Sized>(rng: &mut R, n: &BigUint) -> BigUint {
    if let Some(small) = n.to_u64() {
        return BigUint::from(rng.uniform_below(small));
    }
    let bits = n.bits();
    let words = bits.div_ceil(64) as usize;
    let extra = (words as u64 * 64 - bits) as u32;
    loop {
        let mut digits: Vec<u64> = (0..words).map(|_| rng.next_u64()).collect();
        if let Some(top) = digits.last_mut() {
            *top >>= extra;
        }
        let candidate = BigUint::from_slice(
            &digits
                .iter()
                .flat_map(|d| [*d as u32, (*d >> 32) as u32])
                .collect::<Vec<u32>>(),
        );
        if &candidate < n {
            return candidate;
        }
    }
}

/// Bernoulli(`p`) for a rational `p ∈ [0, 1]`, exactly.
///
/// # Errors
///
/// [`Error::InvalidArgument`] if `p > 1`.
pub fn bernoulli_rational<R: NoiseRng + ?Sized>(rng: &mut R, p: &Rational) -> Result<bool> {
    if p.numer() > p.denom() {
        return Err(Error::invalid("p", "must be in [0, 1]"));
    }
    if let (Some(num), Some(den)) = (p.numer().to_u64(), p.denom().to_u64()) {
        return Ok(rng.uniform_below(den) < num);
    }
    let first = rng.next_u64();
    Ok(uniform_below_real(rng, first, |prec| {
        let lo = p.scaled_floor(prec);
        let hi = &lo + 1u32;
        Bounds { lo, hi, prec }
    }))
}

/// Bernoulli(`e^(−x)`) for a rational `x ≥ 0`, exactly.
///
/// Timing: one 64-bit draw and one evaluation of 64-bit bounds of `e^(−x)`
/// in almost every call (more with probability ≈ 2⁻⁶²); the cost grows with
/// the bit size of `x`'s numerator and denominator, never with a random value.
pub fn bernoulli_exp_neg<R: NoiseRng + ?Sized>(rng: &mut R, x: &Rational) -> bool {
    let first = rng.next_u64();
    uniform_below_real(rng, first, |prec| exp_neg_bounds(x, prec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::InsecureSeededRng;
    use crate::sample::stats::binomial_z;
    use num_traits::One;

    /// Each frequency is checked at |z| < 5: false-failure rate ≈ 5.7e-7 per check.
    #[test]
    fn bernoulli_exp_neg_matches_its_probability() {
        let mut rng = InsecureSeededRng::from_seed_insecure(11);
        let cases = [
            (Rational::from_u128(0, 1).unwrap(), 1.0),
            (Rational::from_u128(1, 10).unwrap(), (-0.1f64).exp()),
            (Rational::from_integer(1), (-1f64).exp()),
            (Rational::from_u128(7, 2).unwrap(), (-3.5f64).exp()),
            (Rational::from_f64("x", 0.01).unwrap(), (-0.01f64).exp()),
        ];
        let n = 100_000;
        for (x, p) in cases {
            let hits = (0..n).filter(|_| bernoulli_exp_neg(&mut rng, &x)).count();
            let z = binomial_z(hits as u64, n, p);
            assert!(z.abs() < 5.0, "x = {x:?}: z = {z}");
        }
    }

    #[test]
    fn bernoulli_rational_matches_small_and_big_probabilities() {
        let mut rng = InsecureSeededRng::from_seed_insecure(12);
        let n = 100_000;
        let big_den = BigUint::one() << 200u32;
        let big = Rational::new(&big_den / 3u32, big_den).unwrap();
        for (p, want) in [
            (Rational::from_u128(1, 3).unwrap(), 1.0 / 3.0),
            (big, 1.0 / 3.0),
            (Rational::from_u128(0, 5).unwrap(), 0.0),
            (Rational::from_u128(5, 5).unwrap(), 1.0),
        ] {
            let hits = (0..n)
                .filter(|_| bernoulli_rational(&mut rng, &p).unwrap())
                .count();
            if want == 0.0 || want == 1.0 {
                assert_eq!(hits as f64, want * n as f64);
            } else {
                let z = binomial_z(hits as u64, n, want);
                assert!(z.abs() < 5.0, "p = {p:?}: z = {z}");
            }
        }
        assert!(bernoulli_rational(&mut rng, &Rational::from_u128(3, 2).unwrap()).is_err());
    }

    #[test]
    fn uniform_below_big_is_in_range_and_uniform() {
        let mut rng = InsecureSeededRng::from_seed_insecure(13);
        // n = 3·2^70: the top two bits of a uniform draw are uniform on {0,1,2}.
        let n = BigUint::from(3u32) << 70u32;
        let mut counts = [0u64; 3];
        for _ in 0..30_000 {
            let v = uniform_below_big(&mut rng, &n);
            assert!(v < n);
            counts[(v >> 70u32).to_usize().unwrap()] += 1;
        }
        for c in counts {
            assert!(binomial_z(c, 30_000, 1.0 / 3.0).abs() < 5.0, "{counts:?}");
        }
    }

    /// Ties are resolved with more bits: with a first word equal to the
    /// 64-bit floor of p·2^64, the answer is decided by the following bits.
    #[test]
    fn ties_draw_more_bits() {
        let mut rng = InsecureSeededRng::from_seed_insecure(14);
        let x = Rational::from_integer(1);
        let b128 = exp_neg_bounds(&x, 128);
        assert_eq!(&b128.lo >> 64u32, &b128.hi >> 64u32);
        let floor64 = (&b128.lo >> 64u32).to_u64().unwrap();
        let n = 20_000;
        // Conditional on the tie, P(U < e^-1) is the fractional part of e^-1·2^64.
        let frac = ((&b128.lo - (BigUint::from(floor64) << 64u32)) >> 32u32)
            .to_f64()
            .unwrap()
            / 2f64.powi(32);
        let hits = (0..n)
            .filter(|_| uniform_below_real(&mut rng, floor64, |p| exp_neg_bounds(&x, p)))
            .count();
        assert!(binomial_z(hits as u64, n, frac).abs() < 5.0);
    }
}
