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
//! # Exactness
//!
//! `p` is irrational; the keep/flip decision compares random bits with
//! rigorous bounds of `p` (63-bit bounds computed once, refined exactly with
//! big integers on a tie), and the replacement is an exact uniform draw. The
//! work per report does not depend on the value.

use num_bigint::BigUint;
use num_traits::ToPrimitive;

use super::noise::check_same_length;
use crate::accountant::PrivacyEvent;
use crate::error::{Error, Result, check_positive};
use crate::rng::{NoiseRng, with_secure_rng};
use crate::sample::exp::{Bounds, exp_neg_bounds};
use crate::sample::{Rational, uniform_below_real};

/// A configured randomized-response mechanism over `k` categories.
#[derive(Clone, Debug)]
pub struct RandomizedResponse {
    epsilon: f64,
    categories: u64,
    /// `ε` exactly.
    eps: Rational,
    /// 63-bit bounds of the keep probability `p`.
    keep63: (u64, u64),
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
        let eps = Rational::from_f64("epsilon", epsilon)?;
        let b = keep_bounds(&eps, categories, 63);
        let keep63 = (
            b.lo.to_u64().unwrap_or(0).min(1 << 63),
            b.hi.to_u64().unwrap_or(1 << 63).min(1 << 63),
        );
        Ok(RandomizedResponse {
            epsilon,
            categories,
            eps,
            keep63,
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

    /// The probability of a truthful report, `e^ε/(e^ε + k − 1)` (for
    /// analysis; sampling uses the exact value).
    pub fn keep_probability(&self) -> f64 {
        1.0 / (1.0 + (self.categories - 1) as f64 * (-self.epsilon).exp())
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
        let u = rng.next_u64();
        let keep = if u >> 1 < self.keep63.0 {
            true
        } else if u >> 1 >= self.keep63.1 {
            false
        } else {
            uniform_below_real(rng, u, |prec| keep_bounds(&self.eps, self.categories, prec))
        };
        if keep {
            value
        } else {
            // Uniform over the k − 1 other categories.
            let r = rng.uniform_below(self.categories - 1);
            if r >= value { r + 1 } else { r }
        }
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
            let (lo, hi) = m.keep63;
            let scale = 2f64.powi(63);
            assert!(
                lo as f64 <= p * scale * (1.0 + 1e-12) && hi as f64 >= p * scale * (1.0 - 1e-12)
            );
            assert!(hi - lo <= 4);
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
