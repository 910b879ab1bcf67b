//! Exact non-negative rationals: the parameters of the exact samplers.
//!
//! Every finite `f64` is a dyadic rational `m · 2^e`, so [`Rational::from_f64`]
//! is exact: a scale given as a float is sampled with exactly that scale.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive, Zero};

use crate::error::{Error, Result, describe_f64};

/// A non-negative rational number `num / den` with `den > 0`, held exactly.
#[derive(Clone)]
pub struct Rational {
    num: BigUint,
    den: BigUint,
}

impl Rational {
    /// `num / den`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `den` is zero.
    pub fn new(num: BigUint, den: BigUint) -> Result<Rational> {
        if den.is_zero() {
            return Err(Error::invalid("den", "must be > 0, got 0"));
        }
        Ok(Rational { num, den })
    }

    /// `num / den` from machine integers.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `den` is zero.
    pub fn from_u128(num: u128, den: u128) -> Result<Rational> {
        Rational::new(BigUint::from(num), BigUint::from(den))
    }

    /// The integer `n`.
    pub fn from_integer(n: u128) -> Rational {
        Rational {
            num: BigUint::from(n),
            den: BigUint::one(),
        }
    }

    /// The exact value of a finite, non-negative float.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (naming `param`) if `x` is NaN, infinite or negative.
    pub fn from_f64(param: &'static str, x: f64) -> Result<Rational> {
        if !x.is_finite() || x < 0.0 {
            return Err(Error::invalid(
                param,
                format!("must be finite and >= 0, got {}", describe_f64(x)),
            ));
        }
        let (mut mantissa, mut exponent) = decompose(x);
        if mantissa != 0 {
            let zeros = mantissa.trailing_zeros();
            mantissa >>= zeros;
            exponent += i64::from(zeros);
        }
        Ok(if exponent >= 0 {
            Rational {
                num: BigUint::from(mantissa) << exponent as u32,
                den: BigUint::one(),
            }
        } else {
            Rational {
                num: BigUint::from(mantissa),
                den: BigUint::one() << exponent.unsigned_abs(),
            }
        })
    }

    /// The numerator.
    pub fn numer(&self) -> &BigUint {
        &self.num
    }

    /// The denominator (> 0).
    pub fn denom(&self) -> &BigUint {
        &self.den
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.num.is_zero()
    }

    /// `⌊self⌋`.
    pub fn floor(&self) -> BigUint {
        &self.num / &self.den
    }

    /// `self · 2^k` (k may be negative).
    pub fn mul_pow2(&self, k: i64) -> Rational {
        if k >= 0 {
            Rational {
                num: &self.num << k as u64,
                den: self.den.clone(),
            }
        } else {
            Rational {
                num: self.num.clone(),
                den: &self.den << k.unsigned_abs(),
            }
        }
    }

    /// `self · other`.
    pub fn mul(&self, other: &Rational) -> Rational {
        Rational {
            num: &self.num * &other.num,
            den: &self.den * &other.den,
        }
    }

    /// `self / other`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `other` is zero.
    pub fn div(&self, other: &Rational) -> Result<Rational> {
        Rational::new(&self.num * &other.den, &self.den * &other.num)
    }

    /// `⌊self · 2^bits⌋`.
    pub fn scaled_floor(&self, bits: u32) -> BigUint {
        (&self.num << bits) / &self.den
    }

    /// An approximation as `f64` (for messages; not for privacy arithmetic).
    pub fn to_f64_lossy(&self) -> f64 {
        // Scale both to ~64 significant bits; exactness is not needed here.
        let shift = |x: &BigUint| x.bits().saturating_sub(64);
        let (sn, sd) = (shift(&self.num), shift(&self.den));
        let n = (&self.num >> sn).to_f64().unwrap_or(f64::INFINITY);
        let d = (&self.den >> sd).to_f64().unwrap_or(f64::INFINITY);
        let e = sn as i64 - sd as i64;
        n / d * 2f64.powi(e.clamp(-2000, 2000) as i32)
    }
}

impl PartialEq for Rational {
    fn eq(&self, other: &Rational) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Rational {}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Rational) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Rational) -> Ordering {
        (&self.num * &other.den).cmp(&(&other.num * &self.den))
    }
}

impl fmt::Debug for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// `x = mantissa · 2^exponent` with an integer mantissa, for finite `x >= 0`.
pub(crate) fn decompose(x: f64) -> (u64, i64) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_convert_exactly() {
        let r = Rational::from_f64("x", 0.1).unwrap();
        // 0.1 = 3602879701896397 / 2^55
        assert_eq!(r.numer(), &BigUint::from(3602879701896397u64));
        assert_eq!(r.denom(), &(BigUint::one() << 55u32));
        let r = Rational::from_f64("x", 6.0).unwrap();
        assert_eq!(r, Rational::from_integer(6));
        assert_eq!(r.floor(), BigUint::from(6u32));
        let tiny = Rational::from_f64("x", f64::from_bits(1)).unwrap();
        assert_eq!(tiny.denom(), &(BigUint::one() << 1074u32));
        assert!(Rational::from_f64("scale", -1.0).is_err());
        let e = Rational::from_f64("scale", f64::NAN).unwrap_err();
        assert_eq!(e.to_string(), "scale must be finite and >= 0, got NaN");
    }

    #[test]
    fn ordering_and_arithmetic() {
        let a = Rational::from_u128(1, 3).unwrap();
        let b = Rational::from_u128(1, 2).unwrap();
        assert!(a < b);
        assert_eq!(a.mul(&b), Rational::from_u128(1, 6).unwrap());
        assert_eq!(a.div(&b).unwrap(), Rational::from_u128(2, 3).unwrap());
        assert_eq!(b.mul_pow2(3), Rational::from_integer(4));
        assert_eq!(b.scaled_floor(4), BigUint::from(8u32));
        assert!((a.to_f64_lossy() - 1.0 / 3.0).abs() < 1e-15);
        assert!(Rational::from_u128(1, 0).is_err());
    }
}
