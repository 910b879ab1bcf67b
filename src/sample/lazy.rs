//! The lazily refined uniform that settles comparisons with irrational
//! probabilities exactly.

use num_bigint::BigUint;

use super::exp::Bounds;
use super::words::WordSource;

/// A uniform `U ∈ [0, 1)` of which only a prefix has been drawn; more bits
/// are drawn (and kept) only when a comparison needs them.
pub(crate) struct LazyUniform {
    prefix: BigUint,
    bits: u32,
}

impl LazyUniform {
    /// The uniform whose first 64 bits are `first`.
    pub(crate) fn new(first: u64) -> LazyUniform {
        LazyUniform::with_prefix(u128::from(first), 64)
    }

    /// The uniform whose first `bits` bits are `prefix` (`bits ≤ 128`).
    pub(crate) fn with_prefix(prefix: u128, bits: u32) -> LazyUniform {
        LazyUniform {
            prefix: BigUint::from(prefix),
            bits,
        }
    }

    /// Whether `U < v`, given an oracle of bounds of `v·2^prec` at any
    /// precision (`hi − lo` bounded, so each refinement decides with
    /// probability close to 1).
    pub(crate) fn less_than<W: WordSource + ?Sized>(
        &mut self,
        rng: &mut W,
        mut bounds: impl FnMut(u32) -> Bounds,
    ) -> bool {
        loop {
            let b = bounds(self.bits);
            debug_assert_eq!(b.prec, self.bits);
            // U ∈ [prefix, prefix + 1)·2^−bits and v ∈ [lo, hi]·2^−bits.
            if self.prefix < b.lo {
                return true;
            }
            if self.prefix >= b.hi {
                return false;
            }
            self.prefix = (std::mem::take(&mut self.prefix) << 64u32) + rng.word();
            self.bits += 64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::exp::exp_neg_bounds;
    use crate::sample::rational::Rational;
    use num_traits::ToPrimitive;

    /// The same uniform answers consistently, and a prefix at the floor of
    /// `e^(−1)·2^64` is decided by the following bits.
    #[test]
    fn comparisons_and_lazy_refinement() {
        let mut seeded = crate::rng::InsecureSeededRng::from_seed_insecure(1);
        let mut rng = super::super::words::Direct(&mut seeded);
        let x = Rational::from_integer(1);
        let b = exp_neg_bounds(&x, 64);
        let mut u = LazyUniform::new(b.lo.to_u64().unwrap());
        let first = u.less_than(&mut rng, |p| exp_neg_bounds(&x, p));
        assert_eq!(u.less_than(&mut rng, |p| exp_neg_bounds(&x, p)), first);
        let mut below = LazyUniform::new(0);
        assert!(below.less_than(&mut rng, |p| exp_neg_bounds(&x, p)));
        let mut above = LazyUniform::new(u64::MAX);
        assert!(!above.less_than(&mut rng, |p| exp_neg_bounds(&x, p)));
    }
}
