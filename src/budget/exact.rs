//! Exact comparisons between binary floats and decimals.
//!
//! A [`Decimal`](super::Decimal) is `units / 10³⁰`; a finite double is
//! `m · 2^e`. A cost computed from a mechanism's parameters — `Δ/b`,
//! `Δ²/(2σ²)` — or a float bound is compared with a decimal charge by
//! cross-multiplying into [`Dyadic`] values, integers of up to 256 bits times
//! a power of two, so no comparison ever rounds.

use std::cmp::Ordering;

use crate::sample::decompose_f64;

/// `10³⁰`, the denominator of every decimal amount.
pub(crate) const TEN_POW_30: u128 = 1_000_000_000_000_000_000_000_000_000_000;

/// An exact non-negative `m · 2^exp` with `m < 2²⁵⁶`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dyadic {
    /// Little-endian 64-bit limbs.
    m: [u64; 4],
    exp: i64,
}

impl Dyadic {
    /// The exact value of a finite `x ≥ 0`.
    pub(crate) fn from_f64(x: f64) -> Dyadic {
        debug_assert!(x.is_finite() && x >= 0.0);
        let (m, exp) = decompose_f64(x);
        Dyadic {
            m: [m, 0, 0, 0],
            exp,
        }
    }

    /// The integer `n`.
    pub(crate) fn from_u128(n: u128) -> Dyadic {
        Dyadic {
            m: [n as u64, (n >> 64) as u64, 0, 0],
            exp: 0,
        }
    }

    /// The exact product; `None` if a mantissa exceeds 128 bits (products
    /// of two or three floats and a decimal's units always fit).
    pub(crate) fn mul(self, other: Dyadic) -> Option<Dyadic> {
        Some(Dyadic {
            m: mul_wide(self.low128()?, other.low128()?),
            exp: self.exp + other.exp,
        })
    }

    fn low128(self) -> Option<u128> {
        (self.m[2] == 0 && self.m[3] == 0)
            .then(|| u128::from(self.m[0]) | (u128::from(self.m[1]) << 64))
    }

    /// The number of significant bits of the mantissa (0 for zero).
    fn bits(&self) -> i64 {
        for i in (0..4).rev() {
            if self.m[i] != 0 {
                return 64 * i as i64 + 64 - i64::from(self.m[i].leading_zeros());
            }
        }
        0
    }

    /// The mantissa shifted left by `k` bits (the caller ensures it fits).
    fn shifted(&self, k: u32) -> [u64; 4] {
        let (words, bits) = ((k / 64) as usize, k % 64);
        let mut out = [0u64; 4];
        for i in (words..4).rev() {
            let lo = self.m[i - words];
            out[i] = if bits == 0 {
                lo
            } else {
                let carry = if i > words {
                    self.m[i - words - 1] >> (64 - bits)
                } else {
                    0
                };
                (lo << bits) | carry
            };
        }
        out
    }

    /// The exact order of two values.
    pub(crate) fn cmp(&self, other: &Dyadic) -> Ordering {
        let (a, b) = (self.bits(), other.bits());
        if a == 0 || b == 0 {
            return a.cmp(&b);
        }
        // Compare magnitudes (the position of the top bit) first; when they
        // agree, shifting the operand with the larger exponent left by the
        // exponent gap gives it the other's bit length, which fits.
        let by_magnitude = (a + self.exp).cmp(&(b + other.exp));
        if by_magnitude != Ordering::Equal {
            return by_magnitude;
        }
        let (x, y) = if self.exp >= other.exp {
            (self.shifted((self.exp - other.exp) as u32), other.m)
        } else {
            (self.m, other.shifted((other.exp - self.exp) as u32))
        };
        x.iter().rev().cmp(y.iter().rev())
    }

    /// `self ≤ other`, exactly.
    pub(crate) fn le(&self, other: &Dyadic) -> bool {
        self.cmp(other) != Ordering::Greater
    }
}

/// 128 × 128 → 256-bit product as four little-endian 64-bit limbs.
pub(crate) fn mul_wide(a: u128, b: u128) -> [u64; 4] {
    let (a0, a1) = (a as u64, (a >> 64) as u64);
    let (b0, b1) = (b as u64, (b >> 64) as u64);
    let mut out = [0u64; 4];
    for (i, x) in [a0, a1].into_iter().enumerate() {
        let mut carry: u128 = 0;
        for (j, y) in [b0, b1].into_iter().enumerate() {
            let t = u128::from(x) * u128::from(y) + u128::from(out[i + j]) + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        out[i + 2] = carry as u64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> Dyadic {
        Dyadic::from_f64(x)
    }

    #[test]
    fn orders_floats_exactly() {
        for (a, b) in [
            (0.0, 1.0),
            (0.1, 0.2),
            (1.0, 1.0f64.next_up()),
            (f64::from_bits(1), f64::from_bits(2)),
            (1e-300, 1e300),
            (3.0, 3.0),
        ] {
            assert_eq!(f(a).cmp(&f(b)), a.partial_cmp(&b).unwrap(), "{a} {b}");
            assert_eq!(f(b).cmp(&f(a)), b.partial_cmp(&a).unwrap(), "{b} {a}");
        }
        assert_eq!(f(0.0).cmp(&f(0.0)), Ordering::Equal);
        assert_eq!(Dyadic::from_u128(6).cmp(&f(6.0)), Ordering::Equal);
        assert_eq!(
            f(0.75).mul(Dyadic::from_u128(4)).unwrap().cmp(&f(3.0)),
            Ordering::Equal
        );
    }

    #[test]
    fn products_are_exact() {
        // 0.1 (binary) · 10 > 1: the double 0.1 is above one tenth.
        let ten = Dyadic::from_u128(10);
        assert_eq!(f(0.1).mul(ten).unwrap().cmp(&f(1.0)), Ordering::Greater);
        // 0.3 (binary) · 10 < 3.
        assert_eq!(f(0.3).mul(ten).unwrap().cmp(&f(3.0)), Ordering::Less);
        // (2^53 − 1)² vs (2^53 − 1)·(2^53 − 1): equal through 256-bit limbs.
        let m = f(9_007_199_254_740_991.0);
        let sq = m.mul(m).unwrap();
        assert_eq!(sq.cmp(&sq), Ordering::Equal);
        let big = Dyadic::from_u128(u128::MAX).mul(Dyadic::from_u128(u128::MAX));
        assert!(big.unwrap().mul(ten).is_none(), "beyond 128-bit factors");
        // A product of 206 bits against one of 227 bits, equal in value:
        // (a·2^20)·10^30 = (a·2^-100)·(10^30·2^120).
        let a = 123_456_789.0;
        let lhs = f(a * 2f64.powi(20))
            .mul(Dyadic::from_u128(TEN_POW_30))
            .unwrap();
        let rhs = f(a * 2f64.powi(-100))
            .mul(f(2f64.powi(120)))
            .and_then(|p| p.mul(Dyadic::from_u128(TEN_POW_30)))
            .unwrap();
        assert_eq!(lhs.cmp(&rhs), Ordering::Equal);
        let less = f(a * 2f64.powi(-101))
            .mul(f(2f64.powi(120)))
            .and_then(|p| p.mul(Dyadic::from_u128(TEN_POW_30)))
            .unwrap();
        assert_eq!(
            lhs.cmp(&less),
            Ordering::Greater,
            "halving makes it smaller"
        );
    }

    #[test]
    fn wide_multiplication() {
        assert_eq!(
            mul_wide(u128::MAX, u128::MAX),
            [1, 0, u64::MAX - 1, u64::MAX]
        );
        assert_eq!(mul_wide(1 << 64, 1 << 64), [0, 0, 1, 0]);
    }
}
