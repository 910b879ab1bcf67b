//! Continual release of a running count: the binary-tree mechanism.
//!
//! A [`ContinualCounter`] takes one integer per period (loans this week,
//! visits this month …) for up to T periods and releases, after each
//! period, the noisy running total (prefix sum) so far. The whole series is
//! one release for privacy purposes: it is paid for once, before the first
//! value is taken.
//!
//! # Guarantee
//!
//! Neighbouring streams: one privacy unit is added or removed, which
//! changes the per-period values by integers d₁, …, d_T with Σ|dₜ| ≤ Δ
//! (`sensitivity`: what one unit may add to the whole stream; Δ = 1 when each
//! unit is counted once in the whole series, Δ = k when a patron may be
//! counted in up to k periods, once each).
//!
//! The mechanism (Dwork, Naor, Pitassi, Rothblum 2010; Chan, Shi, Song
//! 2011, "Private and Continual Release of Statistics", the binary
//! mechanism) keeps the dyadic tree over periods 1..T: a node at level j
//! covers 2ʲ consecutive periods, and is noised once, when its last period
//! arrives. The prefix sum after period t is the sum of the noisy nodes of
//! t's binary decomposition (popcount(t) nodes, at most L). With
//! L = ⌊log₂ T⌋ + 1 levels, a period lies in at most one noised node per
//! level, so:
//!
//! - the vector of node sums has L1 sensitivity L·Δ; with discrete Laplace
//!   noise of scale t ≥ L·Δ/ε on each node the series is **ε-DP**
//!   ([`ContinualCounter::laplace`]);
//! - each level's change has L1 norm ≤ Δ, hence L2 norm ≤ Δ, so the node
//!   vector has L2 sensitivity √L·Δ; with discrete Gaussian noise of scale
//!   σ = Δ·√(L/(2ρ)) the series is **ρ-zCDP** (Canonne, Kamath, Steinke
//!   2020, Thm. 14) ([`ContinualCounter::gaussian`]).
//!
//! Released prefix sums are post-processing of the noisy nodes. Event:
//! [`PrivacyEvent::ContinualCountLaplace`] / [`PrivacyEvent::ContinualCountGaussian`].
//!
//! # Error
//!
//! The error of the prefix sum after period t is the sum of popcount(t) ≤ L
//! independent node noises, so its variance is popcount(t)·v, v the
//! variance of one node's noise (2e^{−1/s}/(1 − e^{−1/s})² ≤ 2s² for the
//! discrete Laplace of scale s, ≤ σ² for the discrete Gaussian). With
//! s = L·Δ/ε the standard deviation is at most √2·L^{3/2}·Δ/ε: it grows
//! like (log T)^{3/2} for pure DP and like log T (σ·√L = Δ·L/√(2ρ)) for
//! zCDP — where releasing each running total with fresh noise would need
//! noise growing like T (or √T). [`ContinualCounter::error_bound`] gives a
//! bound on the largest error over all T periods that holds with
//! probability ≥ 1 − β (a Chernoff bound on each prefix, union bound over
//! periods).
//!
//! Inputs are `i64`; node sums are exact in `i128` and releases are clamped
//! to the `i64` range (post-processing).

use super::{DiscreteGaussian, DiscreteLaplace};
use crate::accountant::PrivacyEvent;
use crate::budget::at_most_charged;
use crate::error::{Error, Result, check_positive, describe_f64};
use crate::rng::{NoiseRng, with_secure_rng};
use crate::rounding::{div_up, mul_up, sqrt_down, sqrt_up};

/// The most periods a counter accepts (2⁴⁰, about 10¹² periods).
///
/// cbindgen:ignore
pub const MAX_PERIODS: u64 = 1 << 40;

#[derive(Clone, Copy, Debug)]
enum Requested {
    Epsilon(f64),
    Rho(f64),
}

#[derive(Clone, Debug)]
enum NodeNoise {
    Laplace(DiscreteLaplace),
    Gaussian(DiscreteGaussian),
}

impl NodeNoise {
    fn add<R: NoiseRng>(&self, value: i64, rng: &mut R) -> Result<i64> {
        match self {
            NodeNoise::Laplace(m) => m.release_with(value, rng),
            NodeNoise::Gaussian(m) => m.release_with(value, rng),
        }
    }
}

/// The binary-tree counter (see the module documentation).
///
/// ```
/// use ilsprivacy::mechanism::ContinualCounter;
///
/// // Weekly loans for a year, each loan's patron counted in at most 4 weeks.
/// let mut counter = ContinualCounter::laplace(52, 4, 1.0)?;
/// let event = counter.event(); // charge this once, before the first period
/// assert!(event.pure_epsilon()?.unwrap() <= 1.0);
/// let mut series = Vec::new();
/// for loans in [120, 98, 143] {
///     series.push(counter.push(loans)?); // noisy running total
/// }
/// assert_eq!(counter.periods_done(), 3);
/// # Ok::<(), ilsprivacy::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ContinualCounter {
    periods: u64,
    sensitivity: i64,
    noise: NodeNoise,
    event: PrivacyEvent,
    /// The ε or ρ requested at construction (what a budget charges).
    requested: Requested,
    done: u64,
    /// Exact sum of the last completed node at each level (0 once absorbed
    /// into a higher node).
    exact: Vec<i128>,
    /// Noisy sums of the completed node at each level that the next prefix
    /// sums use (valid where the bit of `done` is set).
    noisy: Vec<i64>,
}

fn check_periods(periods: u64) -> Result<u32> {
    if periods == 0 || periods > MAX_PERIODS {
        return Err(Error::invalid(
            "periods",
            format!("must be in 1..=2^40, got {periods}"),
        ));
    }
    Ok(crate::accountant::tree_levels(periods))
}

fn check_sensitivity(sensitivity: i64) -> Result<()> {
    if sensitivity <= 0 {
        return Err(Error::invalid(
            "sensitivity",
            format!("must be > 0, got {sensitivity}"),
        ));
    }
    Ok(())
}

impl ContinualCounter {
    /// An ε-DP counter over `periods` periods: discrete Laplace noise of
    /// scale L·Δ/ε (rounded up) on each tree node.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `periods` (0 or above
    /// [`MAX_PERIODS`]), `sensitivity` (≤ 0, or L·Δ overflows) or `epsilon`
    /// (not finite and > 0, or too small).
    pub fn laplace(periods: u64, sensitivity: i64, epsilon: f64) -> Result<ContinualCounter> {
        let levels = check_periods(periods)?;
        check_sensitivity(sensitivity)?;
        let node_sensitivity = sensitivity
            .checked_mul(i64::from(levels))
            .ok_or_else(|| Error::invalid("sensitivity", "is too large for this many periods"))?;
        let m = DiscreteLaplace::new(node_sensitivity, epsilon)?;
        let event = PrivacyEvent::ContinualCountLaplace {
            periods,
            sensitivity: sensitivity as f64,
            scale: m.scale(),
        };
        Ok(ContinualCounter::build(
            periods,
            sensitivity,
            NodeNoise::Laplace(m),
            event,
            Requested::Epsilon(epsilon),
        ))
    }

    /// A ρ-zCDP counter over `periods` periods: discrete Gaussian noise of
    /// scale σ = Δ·√(L/(2ρ)) (rounded up) on each tree node.
    ///
    /// # Errors
    ///
    /// As [`ContinualCounter::laplace`], with `rho` in place of `epsilon`.
    pub fn gaussian(periods: u64, sensitivity: i64, rho: f64) -> Result<ContinualCounter> {
        let levels = check_periods(periods)?;
        check_sensitivity(sensitivity)?;
        check_positive("rho", rho)?;
        let sens = sensitivity as f64;
        // Calibrated to ρ as a budget charges it, at most (see `Laplace`).
        let sigma = div_up(
            mul_up(sens, sqrt_up(f64::from(levels))),
            sqrt_down(2.0 * at_most_charged(rho)),
        );
        if !sigma.is_finite() || sigma >= 2f64.powi(62) {
            return Err(Error::invalid(
                "rho",
                format!(
                    "is too small for this sensitivity, got {}",
                    describe_f64(rho)
                ),
            ));
        }
        let m = DiscreteGaussian::from_sigma(sensitivity, sigma)?;
        let event = PrivacyEvent::ContinualCountGaussian {
            periods,
            sensitivity: sens,
            sigma,
        };
        Ok(ContinualCounter::build(
            periods,
            sensitivity,
            NodeNoise::Gaussian(m),
            event,
            Requested::Rho(rho),
        ))
    }

    fn build(
        periods: u64,
        sensitivity: i64,
        noise: NodeNoise,
        event: PrivacyEvent,
        requested: Requested,
    ) -> ContinualCounter {
        let levels = crate::accountant::tree_levels(periods) as usize;
        ContinualCounter {
            periods,
            sensitivity,
            noise,
            event,
            requested,
            done: 0,
            exact: vec![0; levels],
            noisy: vec![0; levels],
        }
    }

    /// The privacy event of the whole series (all T periods); charge it once
    /// before the first [`ContinualCounter::push`].
    pub fn event(&self) -> PrivacyEvent {
        self.event
    }

    /// The ε requested of a pure-DP counter ([`ContinualCounter::laplace`]).
    pub fn epsilon(&self) -> Option<f64> {
        match self.requested {
            Requested::Epsilon(e) => Some(e),
            Requested::Rho(_) => None,
        }
    }

    /// The ρ requested of a zCDP counter ([`ContinualCounter::gaussian`]).
    pub fn rho(&self) -> Option<f64> {
        match self.requested {
            Requested::Rho(r) => Some(r),
            Requested::Epsilon(_) => None,
        }
    }

    /// T, the number of periods the counter accepts.
    pub fn periods(&self) -> u64 {
        self.periods
    }

    /// Δ, what one unit may add to the whole stream.
    pub fn sensitivity(&self) -> i64 {
        self.sensitivity
    }

    /// The number of periods pushed so far.
    pub fn periods_done(&self) -> u64 {
        self.done
    }

    /// L = ⌊log₂ T⌋ + 1, the number of tree levels.
    pub fn levels(&self) -> u32 {
        crate::accountant::tree_levels(self.periods)
    }

    /// The noise scale of each node: t (discrete Laplace) or σ (discrete Gaussian).
    pub fn node_scale(&self) -> f64 {
        match self.noise {
            NodeNoise::Laplace(ref m) => m.scale(),
            NodeNoise::Gaussian(ref m) => m.sigma(),
        }
    }

    /// The variance of one node's noise: 2e^{−1/t}/(1 − e^{−1/t})² for the
    /// discrete Laplace, at most σ² for the discrete Gaussian (reported as σ²).
    pub fn node_variance(&self) -> f64 {
        match self.noise {
            NodeNoise::Laplace(ref m) => {
                let p = (-1.0 / m.scale()).exp();
                2.0 * p / ((1.0 - p) * (1.0 - p))
            }
            NodeNoise::Gaussian(ref m) => m.sigma() * m.sigma(),
        }
    }

    /// A bound B such that, with probability at least 1 − `beta`, every
    /// released prefix sum of the T periods is within B of the true one.
    ///
    /// Each prefix error is a sum of k ≤ L independent node noises X. For
    /// λ below the noise's limit, P(ΣX ≥ B) ≤ exp(k·ln E[e^{λX}] − λB)
    /// (Chernoff), E[e^{λX}] = (1 − p)²/((1 − pe^λ)(1 − pe^{−λ})) for the
    /// discrete Laplace (p = e^{−1/t}) and ≤ e^{λ²σ²/2} for the discrete
    /// Gaussian (CKS20, Cor. 9); both tails and all T prefixes by a union
    /// bound. The best λ on a fixed grid is used; the result is rounded up
    /// to an integer.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `beta` unless 0 < β < 1.
    pub fn error_bound(&self, beta: f64) -> Result<f64> {
        if !(beta > 0.0 && beta < 1.0) {
            return Err(Error::invalid(
                "beta",
                format!("must be in (0, 1), got {}", describe_f64(beta)),
            ));
        }
        let k = f64::from(self.levels());
        // P(max error ≥ B) ≤ 2T·exp(k·ψ(λ) − λB) ≤ β  ⇔  B ≥ (k·ψ(λ) + ln(2T/β))/λ.
        let log_term = (2.0 * self.periods as f64 / beta).ln();
        let (limit, psi): (f64, Box<dyn Fn(f64) -> f64>) = match self.noise {
            NodeNoise::Laplace(ref m) => {
                let t = m.scale();
                let p = (-1.0 / t).exp();
                (
                    1.0 / t,
                    Box::new(move |l: f64| {
                        2.0 * (1.0 - p).ln()
                            - (1.0 - p * l.exp()).ln()
                            - (1.0 - p * (-l).exp()).ln()
                    }),
                )
            }
            NodeNoise::Gaussian(ref m) => {
                let s = m.sigma();
                (f64::INFINITY, Box::new(move |l: f64| l * l * s * s / 2.0))
            }
        };
        let scale = self.node_scale();
        let mut best = f64::INFINITY;
        for i in 1..2000 {
            // λ on a grid of fractions of the limit (or of 1/σ·10 for Gaussians).
            let lambda = if limit.is_finite() {
                limit * f64::from(i) / 2000.0
            } else {
                10.0 / scale * f64::from(i) / 2000.0
            };
            let b = (k * psi(lambda) + log_term) / lambda;
            if b.is_finite() {
                best = best.min(b);
            }
        }
        Ok((best * (1.0 + 1e-9)).ceil())
    }

    /// Takes the next period's value and returns the noisy running total
    /// through this period, drawing noise from the secure generator.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming `periods` once T values have been
    /// pushed (the counter is spent); [`Error::Entropy`].
    pub fn push(&mut self, value: i64) -> Result<i64> {
        self.check_room()?;
        with_secure_rng(|rng| self.step(value, rng))?
    }

    /// [`ContinualCounter::push`] with noise from `rng`.
    ///
    /// # Errors
    ///
    /// As [`ContinualCounter::push`], without `Error::Entropy`.
    pub fn push_with<R: NoiseRng>(&mut self, value: i64, rng: &mut R) -> Result<i64> {
        self.check_room()?;
        self.step(value, rng)
    }

    fn check_room(&self) -> Result<()> {
        if self.done >= self.periods {
            return Err(Error::invalid(
                "periods",
                format!(
                    "all {} periods of this counter have been released",
                    self.periods
                ),
            ));
        }
        Ok(())
    }

    fn step<R: NoiseRng>(&mut self, value: i64, rng: &mut R) -> Result<i64> {
        let t = self.done + 1;
        // Chan–Shi–Song: with i the lowest set bit of t, the node at level i
        // completes now; it is the union of the completed nodes below it and
        // this period: αᵢ = Σ_{j<i} αⱼ + xₜ, those αⱼ are cleared, and αᵢ is
        // noised once.
        let i = t.trailing_zeros() as usize;
        let mut sum = i128::from(value);
        for j in 0..i {
            sum += self.exact[j];
            self.exact[j] = 0;
        }
        self.exact[i] = sum;
        let clamped = sum.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        self.noisy[i] = self.noise.add(clamped, rng)?;
        // The prefix [1, t] is the disjoint union of the nodes of t's set bits.
        let total: i128 = (0..self.noisy.len())
            .filter(|&j| (t >> j) & 1 == 1)
            .map(|j| i128::from(self.noisy[j]))
            .sum();
        self.done = t;
        Ok(total.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accountant::{Accountant, Method};
    use crate::rng::InsecureSeededRng;
    use crate::sample::stats::{assert_follows, discrete_laplace_cdf};

    /// The law of a sum of `k` independent discrete Laplace(t) variables,
    /// by convolution on [−m, m] (the mass outside is below e^{−m/t}·poly).
    fn sum_cdf(t: f64, k: usize, m: i64) -> impl Fn(i128) -> f64 {
        let one = discrete_laplace_cdf(t);
        let pmf: Vec<f64> = (-m..=m)
            .map(|x| one(i128::from(x)) - one(i128::from(x) - 1))
            .collect();
        let mut acc = pmf.clone();
        for _ in 1..k {
            let mut next = vec![0.0; acc.len() + pmf.len() - 1];
            for (i, a) in acc.iter().enumerate() {
                for (j, b) in pmf.iter().enumerate() {
                    next[i + j] += a * b;
                }
            }
            acc = next;
        }
        let lo = -(k as i64) * m;
        let mut cdf = acc;
        for i in 1..cdf.len() {
            cdf[i] += cdf[i - 1];
        }
        move |v: i128| {
            let i = v - i128::from(lo);
            if i < 0 {
                0.0
            } else if i >= cdf.len() as i128 {
                1.0
            } else {
                cdf[i as usize]
            }
        }
    }

    /// The stream the tests feed: arbitrary counts, some large.
    fn value(t: u64) -> i64 {
        ((t * 7919) % 1000) as i64 - 200
    }

    /// Law test against the exact PMF: the errors of the prefix sums after
    /// periods 1, 3, 7 and 15 are sums of 1, 2, 3 and 4 distinct node noises
    /// (disjoint node sets, hence independent), each a discrete Laplace of
    /// scale L·Δ/ε = 4·1/2 = 2. 20,000 seeded runs per period; chi-square at
    /// a false-failure rate of about 10⁻⁶ each (for a random seed).
    #[test]
    fn prefix_errors_follow_the_exact_law() {
        let mut rng = InsecureSeededRng::from_seed_insecure(1919);
        let proto = ContinualCounter::laplace(15, 1, 2.0).unwrap();
        assert_eq!(proto.levels(), 4);
        let t = proto.node_scale();
        assert!((2.0..2.0 * (1.0 + 1e-12)).contains(&t), "{t}");
        let checked = [1u64, 3, 7, 15];
        let mut errors: Vec<Vec<i128>> = vec![Vec::new(); 4];
        for _ in 0..20_000 {
            let mut c = proto.clone();
            let mut truth = 0i64;
            for p in 1..=15u64 {
                truth += value(p);
                let noisy = c.push_with(value(p), &mut rng).unwrap();
                if let Some(k) = checked.iter().position(|&x| x == p) {
                    errors[k].push(i128::from(noisy - truth));
                }
            }
            assert!(c.push_with(0, &mut rng).is_err(), "a 16th period");
        }
        for (k, errs) in errors.iter().enumerate() {
            assert_follows(
                errs,
                sum_cdf(t, k + 1, 120),
                &format!("sum of {} nodes", k + 1),
            );
        }
    }

    /// The mean squared error over all T = 1023 periods matches the stated
    /// variance popcount(t)·v (v the node variance) within 5 standard errors
    /// of the mean over 400 seeded runs (false failure ≈ 6·10⁻⁷ under the
    /// normal approximation, for a random seed); for pure DP and zCDP.
    #[test]
    fn mean_squared_error_matches_the_stated_variance() {
        let mut rng = InsecureSeededRng::from_seed_insecure(2010);
        for proto in [
            ContinualCounter::laplace(1023, 2, 1.0).unwrap(),
            ContinualCounter::gaussian(1023, 2, 0.5).unwrap(),
        ] {
            let v = proto.node_variance();
            let predicted: f64 = (1..=1023u64)
                .map(|t| f64::from(t.count_ones()) * v)
                .sum::<f64>()
                / 1023.0;
            let runs: Vec<f64> = (0..400)
                .map(|_| {
                    let mut c = proto.clone();
                    let mut truth = 0i64;
                    let mut sq = 0.0;
                    for p in 1..=1023 {
                        truth += value(p);
                        let e = (c.push_with(value(p), &mut rng).unwrap() - truth) as f64;
                        sq += e * e;
                    }
                    sq / 1023.0
                })
                .collect();
            let n = runs.len() as f64;
            let mean = runs.iter().sum::<f64>() / n;
            let var = runs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            let se = (var / n).sqrt();
            assert!(
                (mean - predicted).abs() < 5.0 * se,
                "{:?}: mean squared error {mean}, predicted {predicted}, se {se}",
                proto.event()
            );
        }
    }

    /// The error bound holds: over 300 seeded runs of T = 1000 periods, the
    /// largest error exceeds `error_bound(0.1)` in at most 10 % of runs plus
    /// 5 standard deviations (false failure below 10⁻⁶ even if the bound
    /// were exact). And it grows polylogarithmically: from T = 2¹⁰ to 2²⁰ it
    /// grows less than 5-fold (√T grows 32-fold).
    #[test]
    fn error_bound_holds_and_grows_like_a_power_of_log_t() {
        let mut rng = InsecureSeededRng::from_seed_insecure(2011);
        for proto in [
            ContinualCounter::laplace(1000, 1, 1.0).unwrap(),
            ContinualCounter::gaussian(1000, 1, 0.1).unwrap(),
        ] {
            let bound = proto.error_bound(0.1).unwrap();
            let mut exceed = 0;
            let mut largest = 0i64;
            for _ in 0..300 {
                let mut c = proto.clone();
                let mut truth = 0i64;
                let mut worst = 0i64;
                for p in 1..=1000 {
                    truth += value(p);
                    worst = worst.max((c.push_with(value(p), &mut rng).unwrap() - truth).abs());
                }
                largest = largest.max(worst);
                if worst as f64 > bound {
                    exceed += 1;
                }
            }
            let limit = 30.0 + 5.0 * (300.0f64 * 0.1 * 0.9).sqrt();
            assert!(f64::from(exceed) <= limit, "{exceed} runs above {bound}");
            // Not vacuous: the bound is within a small factor of what is seen.
            assert!(
                bound < 4.0 * largest as f64,
                "bound {bound}, largest {largest}"
            );
        }
        for make in [
            |t| ContinualCounter::laplace(t, 1, 1.0).unwrap(),
            |t| ContinualCounter::gaussian(t, 1, 0.1).unwrap(),
        ] {
            let small = make(1 << 10).error_bound(0.05).unwrap();
            let large = make(1 << 20).error_bound(0.05).unwrap();
            assert!(large / small < 5.0, "{small} -> {large}");
        }
    }

    /// The event's cost as the accountant reads it is at most what was
    /// requested, and is L·Δ/t (pure) or LΔ²/(2σ²) (zCDP).
    #[test]
    fn the_accountant_reads_the_requested_cost() {
        let c = ContinualCounter::laplace(365, 3, 0.7).unwrap();
        assert_eq!(c.levels(), 9);
        let eps = c.event().pure_epsilon().unwrap().unwrap();
        assert!(eps <= 0.7 && eps > 0.7 * (1.0 - 1e-9), "{eps}");
        let mut acc = Accountant::new();
        acc.compose(c.event(), 1).unwrap();
        assert!(acc.epsilon(1e-9, Method::Basic).unwrap() <= 0.7);
        let g = ContinualCounter::gaussian(365, 3, 0.2).unwrap();
        let rho = g.event().zcdp_rho().unwrap().unwrap();
        assert!(
            rho <= 0.2 * (1.0 + 1e-12) && rho > 0.2 * (1.0 - 1e-9),
            "{rho}"
        );
        assert!(g.event().pure_epsilon().unwrap().is_none());
        // The tree equivalent is what is accounted.
        assert_eq!(
            g.event().tree_equivalent().unwrap().zcdp_rho().unwrap(),
            Some(rho)
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        for (periods, sens) in [(0, 1), (MAX_PERIODS + 1, 1), (10, 0), (10, -1)] {
            assert!(ContinualCounter::laplace(periods, sens, 1.0).is_err());
            assert!(ContinualCounter::gaussian(periods, sens, 1.0).is_err());
        }
        let e = ContinualCounter::laplace(1 << 40, i64::MAX / 2, 1.0).unwrap_err();
        assert!(e.to_string().contains("sensitivity"), "{e}");
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(ContinualCounter::laplace(10, 1, bad).is_err());
            assert!(ContinualCounter::gaussian(10, 1, bad).is_err());
        }
        assert!(
            ContinualCounter::laplace(10, 1, 1.0)
                .unwrap()
                .error_bound(1.0)
                .is_err()
        );
        // Extreme values are summed exactly and clamped on release.
        let mut rng = InsecureSeededRng::from_seed_insecure(3);
        let mut c = ContinualCounter::laplace(4, 1, 1.0).unwrap();
        for _ in 0..4 {
            let v = c.push_with(i64::MAX, &mut rng).unwrap();
            assert!(v > i64::MAX / 2);
        }
    }
}
