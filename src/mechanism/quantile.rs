//! A private quantile: the exponential mechanism over the edges of equal
//! bins of `[lo, hi]`, sampled exactly.
//!
//! # Guarantee
//!
//! Candidates are the `bins + 1` edges `c_i = lo + i·(hi − lo)/bins`. The
//! utility of `c_i` on data `x` (`n` values) is
//! `u_i = −|#{x_j < c_i} − q·n|`. Adding or removing one value changes every
//! `u_i` by at most `max(q, 1 − q) ≤ 1`, so choosing `i` with probability
//! `∝ exp(ε·u_i/2)` is **ε-DP** under add/remove of one value (McSherry &
//! Talwar 2007; Smith 2011 for quantiles). Each privacy unit must contribute
//! at most one value (bound contributions first, e.g. with
//! [`crate::bound::sample_contributions`]). Event:
//! [`PrivacyEvent::Exponential`]. The ε sampled is the one given or, when
//! smaller, the decimal it prints as (what a [`crate::budget`] charges),
//! rounded down to a double — so the exact loss is at most the charge.
//!
//! Typical use: choosing clamping bounds from the data privately, e.g. the
//! 0.95-quantile of loan counts with `lo = 0`, `hi = 1000`.
//!
//! # Exactness
//!
//! Sampling is exact rejection: a candidate is proposed uniformly and
//! accepted with probability `exp(−ε(u* − u_i)/2)` (`u*` the best utility,
//! decided exactly with [`crate::sample::bernoulli_exp_neg`]); the output
//! law is exactly the exponential mechanism's. The returned edge is computed
//! from `i` in floating point (post-processing).
//!
//! # Timing (not fixed-work)
//!
//! Unlike the additive-noise samplers, this mechanism's running time depends
//! on its input and, weakly, on its output; an observer who can time a
//! release learns about the data set and somewhat about the answer:
//!
//! - sorting the `n` values and computing the `bins + 1` utilities takes
//!   time growing with `n` and `bins`;
//! - the expected number of proposals is
//!   `(bins + 1)/Σ_i exp(−ε(u* − u_i)/2)`, between 1 and `bins + 1`: it
//!   depends on how concentrated the data are (the number of proposals of a
//!   release is independent of the candidate it returns);
//! - each proposal's exact test evaluates `e^(−x)` at the candidate's gap
//!   `x = ε(u* − u_i)/2` with big integers, whose cost grows with the bit
//!   size of `x`, and settles a tie (probability ≈ 2⁻⁶² per test) with
//!   more bits: the accepted round's cost differs slightly between
//!   candidates near the best utility and far from it.
//!
//! The mechanism is meant for rare, non-streaming choices (e.g. a clamping
//! bound before an aggregation), where a caller who needs to hide its time
//! can pad it to a fixed budget.

use num_bigint::BigUint;

use crate::accountant::PrivacyEvent;
use crate::bound::check_bounds;
use crate::budget::at_most_charged;
use crate::error::{Error, Result, check_positive, describe_f64};
use crate::rng::{NoiseRng, with_secure_rng};
use crate::sample::{Rational, bernoulli_exp_neg};

/// Largest number of bins.
const MAX_BINS: u32 = 1 << 20;

/// A configured private quantile (see the module documentation).
#[derive(Clone, Debug)]
pub struct Quantile {
    epsilon: f64,
    quantile: f64,
    lo: f64,
    hi: f64,
    bins: u32,
    eps: Rational,
    q: Rational,
}

impl Quantile {
    /// The `quantile` (in `[0, 1]`) of values in `[lo, hi]` (`lo < hi`,
    /// finite), resolved on `bins` equal bins (`1 ≤ bins ≤ 2^20`), at
    /// privacy `epsilon`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for any parameter out of range.
    pub fn new(epsilon: f64, quantile: f64, lo: f64, hi: f64, bins: u32) -> Result<Quantile> {
        check_positive("epsilon", epsilon)?;
        if !(0.0..=1.0).contains(&quantile) {
            return Err(Error::invalid(
                "quantile",
                format!("must be in [0, 1], got {}", describe_f64(quantile)),
            ));
        }
        check_bounds(lo, hi)?;
        if lo == hi {
            return Err(Error::invalid(
                "lo",
                format!("must be < hi, got lo = hi = {}", describe_f64(lo)),
            ));
        }
        if !(hi - lo).is_finite() {
            return Err(Error::invalid("hi", "hi - lo must be finite"));
        }
        if !(1..=MAX_BINS).contains(&bins) {
            return Err(Error::invalid(
                "bins",
                format!("must be in [1, {MAX_BINS}], got {bins}"),
            ));
        }
        Ok(Quantile {
            epsilon,
            quantile,
            lo,
            hi,
            bins,
            // Sampled at ε as the budget charges it, at most (see `Laplace`):
            // the exact loss is at most both the double given and its decimal.
            eps: Rational::from_f64("epsilon", at_most_charged(epsilon))?,
            q: Rational::from_f64("quantile", quantile)?,
        })
    }

    /// The target quantile `q`.
    pub fn quantile(&self) -> f64 {
        self.quantile
    }

    /// The number of bins.
    pub fn bins(&self) -> u32 {
        self.bins
    }

    /// The privacy event: [`PrivacyEvent::Exponential`] at ε.
    pub fn event(&self) -> PrivacyEvent {
        PrivacyEvent::Exponential {
            epsilon: self.epsilon,
        }
    }

    /// The candidate edge `c_i` (post-processing of the chosen index).
    pub fn edge(&self, i: u32) -> f64 {
        if i >= self.bins {
            return self.hi;
        }
        let t = f64::from(i) / f64::from(self.bins);
        (self.lo + (self.hi - self.lo) * t).clamp(self.lo, self.hi)
    }

    /// A private estimate of the quantile of `values`, with the secure
    /// generator. Values outside `[lo, hi]` count as `lo` or `hi`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if a value is NaN (the message omits it;
    /// the refusal reveals that some value was NaN — its input domain is
    /// every non-NaN double — and costs nothing); [`Error::Entropy`].
    pub fn release(&self, values: &[f64]) -> Result<f64> {
        let utilities = self.utilities(values)?;
        with_secure_rng(|rng| self.edge(self.choose(&utilities, rng)))
    }

    /// As [`Quantile::release`], drawing from `rng`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] if a value is NaN.
    pub fn release_with<R: NoiseRng>(&self, values: &[f64], rng: &mut R) -> Result<f64> {
        let utilities = self.utilities(values)?;
        Ok(self.edge(self.choose(&utilities, rng)))
    }

    /// `|#{x < c_i}·q_den − q_num·n|` for every edge (the distance of the
    /// rank from the target, times `q`'s denominator).
    fn utilities(&self, values: &[f64]) -> Result<Vec<BigUint>> {
        if values.iter().any(|v| v.is_nan()) {
            return Err(Error::invalid("values", "must not contain NaN"));
        }
        let mut sorted: Vec<f64> = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let target = self.q.numer() * BigUint::from(values.len());
        Ok((0..=self.bins)
            .map(|i| {
                let c = self.edge(i);
                let rank = sorted.partition_point(|&v| v < c);
                let scaled = self.q.denom() * BigUint::from(rank);
                if scaled >= target {
                    scaled - &target
                } else {
                    &target - scaled
                }
            })
            .collect())
    }

    /// Exact exponential mechanism by uniform proposals and exact rejection.
    fn choose<R: NoiseRng + ?Sized>(&self, distance: &[BigUint], rng: &mut R) -> u32 {
        let best = distance.iter().min().cloned().unwrap_or_default();
        // x_i = ε·(d_i − d*)/(2·q_den) = eps_num·(d_i − d*) / (2·eps_den·q_den).
        let den = (self.eps.denom() * self.q.denom()) << 1u32;
        loop {
            let i = rng.uniform_below(distance.len() as u64) as usize;
            let gap = &distance[i] - &best;
            let x = Rational::new(self.eps.numer() * gap, den.clone()).expect("den > 0");
            if bernoulli_exp_neg(rng, &x) {
                return i as u32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::InsecureSeededRng;
    use crate::sample::stats::chi_square_critical_1e6;

    #[test]
    fn parameters_are_checked() {
        let ok = Quantile::new(1.0, 0.5, 0.0, 10.0, 10).unwrap();
        assert_eq!(ok.event(), PrivacyEvent::Exponential { epsilon: 1.0 });
        assert_eq!(ok.edge(0), 0.0);
        assert_eq!(ok.edge(5), 5.0);
        assert_eq!(ok.edge(10), 10.0);
        for (args, msg) in [
            (
                (0.0, 0.5, 0.0, 1.0, 4),
                "epsilon must be finite and > 0, got 0",
            ),
            (
                (1.0, 1.5, 0.0, 1.0, 4),
                "quantile must be in [0, 1], got 1.5",
            ),
            (
                (1.0, f64::NAN, 0.0, 1.0, 4),
                "quantile must be in [0, 1], got NaN",
            ),
            (
                (1.0, 0.5, 2.0, 1.0, 4),
                "lo must be <= hi, got lo = 2 > hi = 1",
            ),
            ((1.0, 0.5, 1.0, 1.0, 4), "lo must be < hi, got lo = hi = 1"),
            (
                (1.0, 0.5, 0.0, 1.0, 0),
                "bins must be in [1, 1048576], got 0",
            ),
            (
                (1.0, 0.5, f64::NEG_INFINITY, 1.0, 4),
                "lo must be finite, got -inf",
            ),
        ] {
            let e = Quantile::new(args.0, args.1, args.2, args.3, args.4).unwrap_err();
            assert_eq!(e.to_string(), msg);
        }
        assert!(Quantile::new(1.0, 0.5, -f64::MAX, f64::MAX, 4).is_err());
        let e = ok.release(&[1.0, f64::NAN]).unwrap_err();
        assert_eq!(e.to_string(), "values must not contain NaN");
    }

    /// The output law is the exponential mechanism's (chi-square over the
    /// candidates, false-failure rate ≈ 1e-6).
    #[test]
    fn output_follows_the_exponential_mechanism() {
        let m = Quantile::new(0.5, 0.5, 0.0, 8.0, 8).unwrap();
        let values: Vec<f64> = (0..20).map(|i| f64::from(i % 8) + 0.5).collect();
        let d = m.utilities(&values).unwrap();
        let weights: Vec<f64> = d
            .iter()
            .map(|di| {
                let di: f64 = num_traits::ToPrimitive::to_f64(di).unwrap();
                // ε = 0.5, q = 1/2: x_i = ε·d_i/(2·q_den) with q_den = 2.
                (-0.5 * di / 4.0).exp()
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let mut rng = InsecureSeededRng::from_seed_insecure(31);
        let n = 30_000;
        let mut counts = [0u64; 9];
        for _ in 0..n {
            let y = m.release_with(&values, &mut rng).unwrap();
            counts[y as usize] += 1;
        }
        let chi2: f64 = counts
            .iter()
            .zip(&weights)
            .map(|(&c, w)| {
                let e = n as f64 * w / total;
                (c as f64 - e).powi(2) / e
            })
            .sum();
        assert!(chi2 < chi_square_critical_1e6(8), "{chi2}: {counts:?}");
    }

    /// The ε sampled is at most the decimal the budget charges, exactly
    /// (ε_num·10³⁰ ≤ units·ε_den in integers), for ε as callers type them;
    /// sampling at the double 0.1 itself would not be (it is above 0.1).
    #[test]
    fn the_sampled_epsilon_is_at_most_the_charged_decimal() {
        use crate::budget::{Decimal, Rounding};
        let ten30 = BigUint::from(10u32).pow(30);
        let within =
            |r: &Rational, d: Decimal| r.numer() * &ten30 <= BigUint::from(d.units()) * r.denom();
        let mut eps = vec![0.1, 0.2, 0.3, 0.7, 1.1, 2.9, 1e-3, 0.05];
        for i in 1..400u32 {
            eps.push(f64::from(i) / 1000.0);
            eps.push(f64::from(i * 7 + 3) / 97.0);
        }
        for e in eps {
            let charged = Decimal::from_printed(e, Rounding::Up).unwrap();
            let m = Quantile::new(e, 0.5, 0.0, 1.0, 4).unwrap();
            assert!(within(&m.eps, charged), "epsilon {e}");
            assert_eq!(m.event(), PrivacyEvent::Exponential { epsilon: e });
        }
        let tenth = Decimal::from_printed(0.1, Rounding::Up).unwrap();
        assert!(!within(&Rational::from_f64("e", 0.1).unwrap(), tenth));
    }

    #[test]
    fn a_large_epsilon_finds_the_quantile() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let m = Quantile::new(5.0, 0.9, 0.0, 1000.0, 100).unwrap();
        let mut rng = InsecureSeededRng::from_seed_insecure(32);
        let y = m.release_with(&values, &mut rng).unwrap();
        assert!((y - 900.0).abs() <= 30.0, "{y}");
        // Out-of-range values behave as the bounds; an empty input is allowed.
        assert!(m.release_with(&[-5.0, 5000.0], &mut rng).is_ok());
        assert!(m.release_with(&[], &mut rng).is_ok());
    }
}
