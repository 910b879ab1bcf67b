//! Randomized response, binary and k-ary.
//!
//! # Guarantee
//!
//! Each respondent's category `v ∈ {0, …, k−1}` is reported truthfully with
//! probability `p = e^ε / (e^ε + k − 1)` and otherwise replaced by one of the
//! other `k − 1` categories chosen uniformly: any two inputs give output
//! probabilities within a factor `e^ε`, so one report is **ε-DP** under the
//! replace-one relation on a single respondent's value (Warner 1965; k-ary:
//! Kairouz, Oh, Viswanath 2014). Event: [`PrivacyEvent::RandomizedResponse`].
//!
//! The ε used is the double given or, when smaller, the decimal it prints as
//! (the amount a [`crate::budget`] charges for it) rounded down to a double,
//! as for [`super::Laplace`]: the report's privacy loss `ln(p/q)` is exactly
//! that ε, at most both the double given and the decimal charged.
//!
//! # Exactness and timing
//!
//! `p` is irrational; the keep/flip decision compares a 128-bit uniform (two
//! words) with 128-bit bounds of `p` computed once (rounded outward, big
//! integers), and settles a draw that falls between them (probability below
//! `2^−125`) exactly with more bits. The replacement category is drawn for
//! every report, kept or not (an exact uniform over `k − 1` values, by
//! Lemire's multiply-and-reject, whose number of draws does not depend on
//! the category drawn), and selected without a branch: the work per report
//! does not depend on the value reported.

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use super::noise::check_same_length;
use crate::accountant::PrivacyEvent;
use crate::budget::at_most_charged;
use crate::error::{Error, Result, check_positive};
use crate::rng::{NoiseRng, with_secure_rng};
use crate::sample::exp::{Bounds, exp_neg_bounds};
use crate::sample::{Rational, uniform_prefix_below_real};

/// A configured randomized-response mechanism over `k` categories.
#[derive(Clone, Debug)]
pub struct RandomizedResponse {
    epsilon: f64,
    categories: u64,
    /// The ε the probabilities are calibrated to (see the module
    /// documentation), exactly.
    eps: Rational,
    /// The same as a double.
    calibrated: f64,
    /// 128-bit bounds of the keep probability `p` (`p·2^128`).
    keep128: (u128, u128),
}

/// Bounds of `p·2^prec`, `p = 1/(1 + (k−1)·e^(−ε))` (decreasing in `e^(−ε)`).
fn keep_bounds(eps: &Rational, k: u64, prec: u32) -> Bounds {
    let v = exp_neg_bounds(eps, prec + 64);
    let others = BigUint::from(k - 1);
    let one = BigUint::from(1u32) << (prec + 64);
    // p·2^prec = 2^(2·prec + 64) / (2^(prec+64) + (k−1)·v·2^(prec+64)/2^(prec+64)).
    let num = BigUint::from(1u32) << (2 * prec + 64);
    let den_hi = &one + &others * &v.hi;
    let den_lo = &one + &others * &v.lo;
    let lo = &num / &den_hi;
    let hi = (&num + &den_lo - 1u32) / &den_lo;
    Bounds { lo, hi, prec }
}

impl RandomizedResponse {
    /// Randomized response over `categories ≥ 2` values at privacy `epsilon`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `epsilon` is not finite and `> 0` or
    /// `categories < 2`.
    pub fn new(epsilon: f64, categories: u64) -> Result<RandomizedResponse> {
        check_positive("epsilon", epsilon)?;
        if categories < 2 {
            return Err(Error::invalid(
                "categories",
                format!("must be >= 2, got {categories}"),
            ));
        }
        let calibrated = at_most_charged(epsilon);
        let eps = Rational::from_f64("epsilon", calibrated)?;
        let b = keep_bounds(&eps, categories, 128);
        // p < 1, so p·2^128 fits; the upper bound saturates harmlessly.
        let keep128 = (
            b.lo.to_u128().unwrap_or(u128::MAX),
            b.hi.to_u128().unwrap_or(u128::MAX),
        );
        Ok(RandomizedResponse {
            epsilon,
            categories,
            eps,
            calibrated,
            keep128,
        })
    }

    /// Binary randomized response (`categories = 2`; values 0 and 1).
    ///
    /// # Errors
    ///
    /// As [`RandomizedResponse::new`].
    pub fn binary(epsilon: f64) -> Result<RandomizedResponse> {
        RandomizedResponse::new(epsilon, 2)
    }

    /// The privacy event of one report.
    pub fn event(&self) -> PrivacyEvent {
        PrivacyEvent::RandomizedResponse {
            epsilon: self.epsilon,
            categories: self.categories,
        }
    }

    /// ε of one report.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// `k`.
    pub fn categories(&self) -> u64 {
        self.categories
    }

    /// The probability of a truthful report, `e^ε/(e^ε + k − 1)` for the
    /// calibrated ε (for analysis; sampling uses the exact value).
    pub fn keep_probability(&self) -> f64 {
        1.0 / (1.0 + (self.categories - 1) as f64 * (-self.calibrated).exp())
    }

    /// Unbiased estimates of the true category counts from the counts of
    /// `n` reports (post-processing): `(c_i − n·q) / (p − q)` with
    /// `q = (1 − p)/(k − 1)`. Estimates may be negative.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `observed.len() != k`.
    pub fn estimate_counts(&self, observed: &[u64]) -> Result<Vec<f64>> {
        if observed.len() as u64 != self.categories {
            return Err(Error::invalid(
                "observed",
                format!(
                    "must have one count per category ({}), got {}",
                    self.categories,
                    observed.len()
                ),
            ));
        }
        let n: f64 = observed.iter().map(|&c| c as f64).sum();
        let p = self.keep_probability();
        let q = (1.0 - p) / (self.categories - 1) as f64;
        Ok(observed
            .iter()
            .map(|&c| (c as f64 - n * q) / (p - q))
            .collect())
    }

    fn check_value(&self, param: &'static str, value: u64) -> Result<()> {
        if value < self.categories {
            Ok(())
        } else {
            Err(Error::invalid(
                param,
                format!("must be < categories ({})", self.categories),
            ))
        }
    }

    /// The randomized report of `value`, with the secure generator.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `value ≥ k` (the message omits the
    /// value); [`Error::Entropy`].
    pub fn release(&self, value: u64) -> Result<u64> {
        self.check_value("value", value)?;
        with_secure_rng(|rng| self.respond(value, rng))
    }

    /// The randomized report of `value`, drawn from `rng`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if `value ≥ k`.
    pub fn release_with<R: NoiseRng>(&self, value: u64, rng: &mut R) -> Result<u64> {
        self.check_value("value", value)?;
        Ok(self.respond(value, rng))
    }

    /// Reports every value into `out` (same length); all values are checked
    /// first and `out` is untouched on error. Each report costs ε.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a length mismatch or a value `≥ k`.
    pub fn release_batch(&self, values: &[u64], out: &mut [u64]) -> Result<()> {
        check_same_length(values.len(), out.len())?;
        values
            .iter()
            .try_for_each(|&v| self.check_value("values", v))?;
        with_secure_rng(|rng| {
            for (o, &v) in out.iter_mut().zip(values) {
                *o = self.respond(v, rng);
            }
        })
    }

    fn respond<R: NoiseRng + ?Sized>(&self, value: u64, rng: &mut R) -> u64 {
        let u = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        // U ∈ [u, u + 1)·2^−128 against p ∈ [lo, hi]·2^−128.
        let keep = if u < self.keep128.0 {
            true
        } else if u >= self.keep128.1 {
            false
        } else {
            self.settle(u, rng)
        };
        // Uniform over the k − 1 other categories, drawn in every report.
        let r = rng.uniform_below(self.categories - 1);
        let other = r + u64::from(r >= value);
        let mask = u64::from(keep).wrapping_neg();
        (value & mask) | (other & !mask)
    }

    /// The exact keep decision for a uniform inside `p`'s rounding interval.
    #[cold]
    #[inline(never)]
    fn settle<R: NoiseRng + ?Sized>(&self, u: u128, rng: &mut R) -> bool {
        uniform_prefix_below_real(rng, u, 128, |prec| {
            keep_bounds(&self.eps, self.categories, prec)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::InsecureSeededRng;
    use crate::sample::stats::{binomial_z, chi_square_critical_1e6};

    #[test]
    fn keep_probability_bounds_are_rigorous() {
        for (eps, k) in [(1.0, 2u64), (0.1, 5), (3.0, 100), (10.0, 2)] {
            let m = RandomizedResponse::new(eps, k).unwrap();
            let p = m.keep_probability();
            let (lo, hi) = m.keep128;
            let scale = 2f64.powi(128);
            assert!(
                lo as f64 <= p * scale * (1.0 + 1e-12) && hi as f64 >= p * scale * (1.0 - 1e-12)
            );
            assert!(hi - lo <= 4);
        }
    }

    /// The report's true privacy loss, `ln(p/q) = ε_calibrated` exactly, is
    /// at most the decimal the budget charges for the ε given (exact
    /// comparison of a double's binary value with a decimal) and at most
    /// the double given; it is the double just below when the printed
    /// decimal is below the double (`0.1` is charged "0.1", and the double
    /// 0.1 is 0.1000000000000000055…).
    #[test]
    fn true_cost_is_at_most_the_decimal_charged() {
        use crate::budget::{Decimal, Rounding};
        use std::cmp::Ordering;
        let mut rng = InsecureSeededRng::from_seed_insecure(5);
        let mut cases = vec![0.1, 0.2, 0.3, 1.0 / 3.0, 0.7, 1.1, 2.0, 1e-5, 7.123_456_789];
        cases.extend(
            (0..2000).map(|_| f64::from_bits(0x3f00_0000_0000_0000 + (rng.next_u64() >> 10))),
        );
        let mut below = 0;
        for eps in cases {
            let m = RandomizedResponse::new(eps, 3).unwrap();
            let charged = Decimal::from_printed(eps, Rounding::Up).unwrap();
            assert_ne!(charged.cmp_f64(m.calibrated), Ordering::Less, "ε = {eps:e}");
            assert!(m.calibrated <= eps);
            // The loss in the mechanism's own terms: p/q = e^ε_calibrated.
            let p = m.keep_probability();
            let q = (1.0 - p) / 2.0;
            assert!(((p / q).ln() - m.calibrated).abs() < 1e-12 * m.calibrated.max(1.0));
            below += usize::from(m.calibrated < eps);
        }
        assert!(
            below > 100,
            "the decimal is below the double for many ε ({below})"
        );
        assert_eq!(
            RandomizedResponse::new(0.1, 2).unwrap().calibrated,
            0.1f64.next_down()
        );
        assert_eq!(RandomizedResponse::new(0.5, 2).unwrap().calibrated, 0.5);
    }

    /// Fixed work: every report draws the same number of words whatever it
    /// reports (two for the keep decision, one for the replacement, which
    /// Lemire's method redraws with a probability that does not depend on
    /// the category).
    #[test]
    fn words_per_report_do_not_depend_on_the_report() {
        let m = RandomizedResponse::new(1.0, 5).unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(8);
        let mut counts = [0u64; 5];
        for _ in 0..20_000 {
            let before = rng.words_drawn();
            let out = m.release_with(2, &mut rng).unwrap() as usize;
            // 2^64 mod 4 = 0: Lemire never redraws for k − 1 = 4.
            assert_eq!(rng.words_drawn() - before, 3);
            counts[out] += 1;
        }
        assert!(counts.iter().all(|&c| c > 0));
        let b = RandomizedResponse::binary(1.0).unwrap();
        for v in [0, 1, 1, 0] {
            let before = rng.words_drawn();
            b.release_with(v, &mut rng).unwrap();
            assert_eq!(rng.words_drawn() - before, 2, "binary: no replacement draw");
        }
    }

    /// Output frequencies match the k-ary law (chi-square, false-failure
    /// rate ≈ 1e-6), for ε from 0.01 to 10.
    #[test]
    fn reports_follow_the_law() {
        let mut rng = InsecureSeededRng::from_seed_insecure(77);
        for (eps, k) in [(0.01, 2u64), (1.0, 2), (1.0, 4), (10.0, 3), (0.5, 10)] {
            let m = RandomizedResponse::new(eps, k).unwrap();
            let n = 40_000;
            let mut counts = vec![0u64; k as usize];
            for _ in 0..n {
                counts[m.release_with(1, &mut rng).unwrap() as usize] += 1;
            }
            let p = m.keep_probability();
            let q = (1.0 - p) / (k - 1) as f64;
            let chi2: f64 = counts
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    let e = n as f64 * if i == 1 { p } else { q };
                    (c as f64 - e).powi(2) / e
                })
                .sum();
            if k > 2 {
                assert!(
                    chi2 < chi_square_critical_1e6(k as usize - 1),
                    "{eps} {k}: {chi2}"
                );
            } else {
                assert!(binomial_z(counts[1], n, p).abs() < 5.0, "{eps}: {counts:?}");
            }
        }
    }

    #[test]
    fn estimates_and_errors() {
        let m = RandomizedResponse::binary(1.0).unwrap();
        assert_eq!(
            m.event(),
            PrivacyEvent::RandomizedResponse {
                epsilon: 1.0,
                categories: 2
            }
        );
        let p = m.keep_probability();
        // 1000 true ones, 0 zeros: expected observed counts.
        let est = m
            .estimate_counts(&[
                (1000.0 * (1.0 - p)).round() as u64,
                (1000.0 * p).round() as u64,
            ])
            .unwrap();
        assert!(
            est[0].abs() < 2.0 && (est[1] - 1000.0).abs() < 2.0,
            "{est:?}"
        );
        assert!(m.estimate_counts(&[1]).is_err());
        let e = m.release(2).unwrap_err();
        assert_eq!(e.to_string(), "value must be < categories (2)");
        let e = RandomizedResponse::new(1.0, 1).unwrap_err();
        assert_eq!(e.to_string(), "categories must be >= 2, got 1");
        assert!(RandomizedResponse::new(f64::NAN, 2).is_err());
        let mut out = [0u64; 2];
        assert!(m.release_batch(&[0, 5], &mut out).is_err());
        assert_eq!(out, [0, 0]);
        m.release_batch(&[0, 1], &mut out).unwrap();
        assert!(out.iter().all(|&v| v < 2));
    }
}
