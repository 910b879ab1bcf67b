//! Rigorous integer bounds of `e^(−x)` for rational `x`, to any precision.
//!
//! [`exp_neg_bounds`] returns integers `lo ≤ e^(−x) · 2^prec ≤ hi` with
//! `hi − lo ≤ 4`. Only big-integer arithmetic is used (a Taylor series with
//! every truncation rounded in the safe direction, then repeated squaring
//! with outward rounding), so the bounds are proofs, not estimates. The exact
//! samplers compare random bits against these bounds and ask for more
//! precision only when the bits fall between them.

use num_bigint::BigUint;
use num_traits::{One, Zero};

use super::rational::Rational;

/// Integer bounds `lo ≤ v · 2^prec ≤ hi` of a real number `v`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Lower bound of `v · 2^prec`.
    pub lo: BigUint,
    /// Upper bound of `v · 2^prec`.
    pub hi: BigUint,
    /// The number of fractional bits.
    pub prec: u32,
}

impl Bounds {
    /// Bounds of `self · other` at `self.prec` (both must share the precision).
    pub fn mul(&self, other: &Bounds) -> Bounds {
        debug_assert_eq!(self.prec, other.prec);
        let p = self.prec;
        Bounds {
            lo: (&self.lo * &other.lo) >> p,
            hi: ceil_shr(&self.hi * &other.hi, p),
            prec: p,
        }
    }

    /// Bounds of `2v / (1 + v)` (increasing in `v`), e.g. `2/(1 + e^a)` from `v = e^(−a)`.
    pub fn two_v_over_one_plus_v(&self) -> Bounds {
        let p = self.prec;
        let one = BigUint::one() << p;
        let f_lo = (&self.lo << (p + 1)) / (&one + &self.lo);
        let f_hi = ceil_div(&self.hi << (p + 1), &(&one + &self.hi));
        Bounds {
            lo: f_lo,
            hi: f_hi,
            prec: p,
        }
    }
}

impl Bounds {
    /// Bounds of `self + other` (same precision).
    pub(crate) fn add(&self, other: &Bounds) -> Bounds {
        debug_assert_eq!(self.prec, other.prec);
        Bounds {
            lo: &self.lo + &other.lo,
            hi: &self.hi + &other.hi,
            prec: self.prec,
        }
    }

    /// Bounds of `self · n` for an integer `n`.
    pub(crate) fn times(&self, n: &BigUint) -> Bounds {
        Bounds {
            lo: &self.lo * n,
            hi: &self.hi * n,
            prec: self.prec,
        }
    }

    /// Bounds of `1 − v` for `v ≤ 1`.
    pub(crate) fn one_minus(&self) -> Bounds {
        let one = BigUint::one() << self.prec;
        Bounds {
            lo: one.clone() - self.hi.clone().min(one.clone()),
            hi: one.clone() - self.lo.clone().min(one),
            prec: self.prec,
        }
    }

    /// Bounds of `self / other` for `other > 0` (same precision; `None` if
    /// `other`'s lower bound is 0).
    pub(crate) fn div(&self, other: &Bounds) -> Option<Bounds> {
        debug_assert_eq!(self.prec, other.prec);
        if other.lo.is_zero() {
            return None;
        }
        let p = self.prec;
        Some(Bounds {
            lo: (&self.lo << p) / &other.hi,
            hi: ceil_div(&self.hi << p, &other.lo),
            prec: p,
        })
    }
}

/// Exact bounds of 1 at precision `p`.
pub(crate) fn one(p: u32) -> Bounds {
    Bounds {
        lo: BigUint::one() << p,
        hi: BigUint::one() << p,
        prec: p,
    }
}

/// `⌈a / 2^k⌉`.
pub(crate) fn ceil_shr(a: BigUint, k: u32) -> BigUint {
    let q = &a >> k;
    if (&q << k) == a { q } else { q + 1u32 }
}

/// `⌈a / b⌉` for `b > 0`.
pub(crate) fn ceil_div(a: BigUint, b: &BigUint) -> BigUint {
    let q = &a / b;
    if &q * b == a { q } else { q + 1u32 }
}

/// Integer bounds of `e^(−x) · 2^prec` with `hi − lo ≤ 4`.
///
/// Cost grows with `prec` and with the size of `x`'s numerator and
/// denominator; it does not depend on any random value.
pub fn exp_neg_bounds(x: &Rational, prec: u32) -> Bounds {
    let one = BigUint::one() << prec;
    if x.is_zero() {
        return Bounds {
            lo: one.clone(),
            hi: one,
            prec,
        };
    }
    // ln 2 < 0.6932: if x ≥ 0.6932·(prec + 2) then e^(−x)·2^prec < 1/4.
    if x.numer() * 10_000u32 >= x.denom() * (6_932u64 * (u64::from(prec) + 2)) {
        return Bounds {
            lo: BigUint::zero(),
            hi: BigUint::one(),
            prec,
        };
    }
    // Argument reduction: y = x / 2^s < 1/16.
    let s = x.floor().bits() as u32 + 4;
    let work = prec + s + 24;
    let denom_s = x.denom() << s;
    let y_lo = (x.numer() << work) / &denom_s;
    let y_hi = &y_lo + 1u32;
    let mut e_lo = exp_series(&y_lo, work, false);
    let mut e_hi = exp_series(&y_hi, work, true);
    for _ in 0..s {
        e_lo = (&e_lo * &e_lo) >> work;
        e_hi = ceil_shr(&e_hi * &e_hi, work);
    }
    // e^(−x)·2^prec = 2^(prec+work) / (e^x·2^work).
    let num = BigUint::one() << (prec + work);
    Bounds {
        lo: &num / &e_hi,
        hi: ceil_div(num, &e_lo),
        prec,
    }
}

/// `e^y · 2^work` for `y = y_fix / 2^work < 1/16`: a lower bound (`upper =
/// false`, truncated terms, truncated series) or an upper bound (`upper =
/// true`, rounded-up terms plus a bound on the tail).
fn exp_series(y_fix: &BigUint, work: u32, upper: bool) -> BigUint {
    let mut term = BigUint::one() << work;
    let mut sum = term.clone();
    let mut k = 1u32;
    loop {
        let prod = &term * y_fix;
        let div = BigUint::from(k) << work;
        term = if upper {
            ceil_div(prod, &div)
        } else {
            prod / &div
        };
        sum += &term;
        if term <= BigUint::one() {
            break;
        }
        k += 1;
    }
    if upper {
        // Tail after the last term t_k: Σ_{j>k} y^j/j! ≤ t_k · y/(k+1) · 1/(1−y) < t_k ≤ 1.
        sum += 2u32;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds_f64(x: &Rational, prec: u32) -> (f64, f64) {
        let b = exp_neg_bounds(x, prec);
        let scale = 2f64.powi(-(prec as i32));
        (
            num_traits::ToPrimitive::to_f64(&b.lo).unwrap() * scale,
            num_traits::ToPrimitive::to_f64(&b.hi).unwrap() * scale,
        )
    }

    #[test]
    fn known_values_are_bracketed_tightly() {
        // e^-1 = 0.36787944117144233..., e^-0.5, e^-10, e^-(1/3).
        let cases = [
            (Rational::from_integer(1), 0.367_879_441_171_442_3),
            (Rational::from_u128(1, 2).unwrap(), 0.606_530_659_712_633_4),
            (Rational::from_integer(10), 4.539_992_976_248_485e-5),
            (Rational::from_u128(1, 3).unwrap(), 0.716_531_310_573_789_2),
            (
                Rational::from_u128(700, 7).unwrap(),
                3.720_075_976_020_836e-44,
            ),
        ];
        for (x, want) in cases {
            let (lo, hi) = bounds_f64(&x, 160);
            assert!(
                lo <= want * (1.0 + 1e-15) && hi >= want * (1.0 - 1e-15),
                "{x:?}"
            );
            assert!(hi - lo <= 4.0 * 2f64.powi(-160), "{x:?}: {lo} {hi}");
        }
    }

    /// The 200-bit bounds of e^-1 bracket the first 60 decimal digits of 1/e.
    #[test]
    fn e_inverse_to_sixty_digits() {
        let b = exp_neg_bounds(&Rational::from_integer(1), 200);
        let digits: BigUint = "367879441171442321595523770161460867445811131031767834507836"
            .parse()
            .unwrap(); // ⌊10^60 / e⌋
        let ten60 = BigUint::from(10u32).pow(60);
        // lo/2^200 ≤ 1/e ≤ hi/2^200 and digits/10^60 ≤ 1/e < (digits+1)/10^60.
        assert!(&b.lo * &ten60 < (&digits + 1u32) << 200u32);
        assert!(&b.hi * &ten60 >= &digits << 200u32);
        assert!(&b.hi - &b.lo <= BigUint::from(4u32));
    }

    #[test]
    fn widths_stay_small_at_every_precision() {
        for prec in [1u32, 8, 64, 65, 128, 300] {
            for x in [
                Rational::from_u128(1, 1 << 40).unwrap(),
                Rational::from_u128(3, 7).unwrap(),
                Rational::from_integer(44),
                Rational::from_u128(123_456_789, 1_000).unwrap(),
            ] {
                let b = exp_neg_bounds(&x, prec);
                assert!(b.lo <= b.hi);
                assert!(&b.hi - &b.lo <= BigUint::from(4u32), "{x:?} at {prec}");
            }
        }
        let zero = exp_neg_bounds(&Rational::from_integer(0), 10);
        assert_eq!(zero.lo, BigUint::from(1024u32));
        assert_eq!(zero.hi, BigUint::from(1024u32));
    }

    #[test]
    fn interval_helpers_round_outward() {
        let a = exp_neg_bounds(&Rational::from_integer(1), 100);
        let b = exp_neg_bounds(&Rational::from_integer(2), 100);
        let c = exp_neg_bounds(&Rational::from_integer(3), 100);
        let ab = a.mul(&b);
        assert!(ab.lo <= c.hi && ab.hi >= c.lo);
        // 2/(1+e) = 0.5378828427399902...
        let s = exp_neg_bounds(&Rational::from_integer(1), 80).two_v_over_one_plus_v();
        let scale = 2f64.powi(-80);
        let lo = num_traits::ToPrimitive::to_f64(&s.lo).unwrap() * scale;
        let hi = num_traits::ToPrimitive::to_f64(&s.hi).unwrap() * scale;
        let want = 2.0 / (1.0 + std::f64::consts::E);
        assert!(lo <= want + 1e-16 && hi >= want - 1e-16);
    }
}
